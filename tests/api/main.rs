//! Integration tests: each starts the real server on port 0 with its own database and speaks
//! GraphQL over HTTP and WebSocket. `HEARTH_TEST_DATABASE_URL` (PostgreSQL) and
//! `HEARTH_TEST_REDIS_URL` switch the backends; a set variable whose server is down fails the run.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failed setup should panic
mod support;

mod accounts;
mod anonymity;
mod answer_moderation;
mod authorisation;
mod cli;
mod crisis;
mod data_rights;
mod devices;
mod erasure_on_disk;
mod fake_fcm;
mod fake_smtp;
mod fcm_protocol;
mod fresh_reads;
mod graphiql;
mod group_lifecycle;
mod groups;
mod http;
mod mail_delivery;
mod matrix;
mod meetings;
mod migrations;
mod moderation;
mod mood_privacy;
mod mood_reminders;
mod mood_shares;
mod moods;
mod mutation_answers;
mod nodes;
mod notifications;
mod one_report_queue;
mod ops;
mod page_cache;
mod persisted;
mod posts;
mod push;
mod pushing;
mod question_safety;
mod questions;
mod realtime;
mod registration;
mod rules_in_time;
mod sealed_at_rest;
mod search;
mod security;
mod stored_values;
mod tokens;
mod told_at_delivery;
mod websocket;

//! Hearth: the backend of peer-support apps. `ARCHITECTURE.md` at the repository root gives the
//! layers (checked by `tests/architecture`) and the path a request takes.
pub mod accounts;
pub mod app;
pub mod auth;
pub mod broker;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub(crate) mod document_guard;
pub mod error;
mod gql;
pub mod groups;
pub mod http;
pub mod ids;
pub mod mail;
pub mod moderation;
pub mod moods;
pub mod notifications;
pub mod pagination;
pub mod posts;
pub mod push;
pub mod query_cost;
pub mod questions;
pub mod rate_limit;
pub mod realtime;
pub mod redis_conn;
pub mod safety;
pub mod schema;
pub mod search;
pub mod secrets;
pub mod state;
pub mod telemetry;

pub use app::App;
pub use config::Settings;

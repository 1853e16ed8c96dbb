//! Hearth: the backend of peer-support apps. See DESIGN.md for the shape.
pub mod accounts;
pub mod app;
pub mod auth;
pub mod broker;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
mod gql;
pub mod groups;
pub mod http;
pub mod moderation;
pub mod moods;
pub mod notifications;
pub mod pagination;
pub mod posts;
pub mod push;
pub mod rate_limit;
pub mod realtime;
mod redis_conn;
pub mod safety;
pub mod schema;
pub mod state;
pub mod telemetry;

pub use app::App;
pub use config::Settings;

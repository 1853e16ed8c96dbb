//! Safety and moderation: blocking, reports, bans, removals, locks, pins and the mod log.
mod graphql;
pub mod removal;
pub mod reports;
pub mod service;

pub use graphql::{ModLogEntryObject, ModerationMutation, ModerationQuery};

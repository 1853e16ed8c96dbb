//! Safety and moderation: blocking, reports, bans, removals, locks, pins and the mod log.
pub mod removal;
pub mod reports;
pub mod service;

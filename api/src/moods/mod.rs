//! Mood check-ins: a daily 1–10 score with emotions, a note and sleep, logged by the person
//! for themselves and summarised next to their own group activity. Nobody else reads them.
mod emotions;
mod graphql;
pub mod reminders;
pub mod service;
mod share_graphql;
pub mod sharing;
pub mod summary;
pub mod timeline;

pub use emotions::Emotion;
pub use graphql::{MoodMutation, MoodQuery};
pub use share_graphql::{ShareMutation, ShareQuery};

//! Mood check-ins: a daily 1–10 score with emotions, a note and sleep, logged by the person
//! for themselves and summarised next to their own group activity. Nobody else reads them.
pub mod emotions;
pub mod reminders;
pub mod service;
pub mod sharing;
pub mod summary;
pub mod timeline;

pub use emotions::Emotion;

//! Posts, threaded replies, reactions and the feed.
pub mod crisis;
pub mod reactions;
pub mod replies;
pub mod reply_counts;
pub mod service;

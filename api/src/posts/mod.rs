//! Posts, threaded replies, reactions and the feed.
mod crisis;
mod graphql;
pub mod loaders;
pub mod service;

pub use graphql::{crisis_resources, PostMutation, PostObject, PostQuery, ReplyObject};

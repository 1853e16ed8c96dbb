//! Posts, threaded replies, reactions and the feed.
mod crisis;
mod graphql;
pub mod loaders;
pub mod reactions;
pub mod replies;
pub mod reply_counts;
pub mod service;

pub use graphql::{
    authors_asked, crisis_resources, PostMutation, PostObject, PostQuery, ReplyObject,
};

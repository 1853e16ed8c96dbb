//! Posts, threaded replies, reactions and the feed.
mod crisis;
mod graphql;
pub mod loaders;
pub mod reply_counts;
pub mod service;

pub use graphql::{
    crisis_resources, joins_asked, PostMutation, PostObject, PostQuery, ReplyObject,
};

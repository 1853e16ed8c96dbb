//! The notification inbox: rows written in the same transaction as the action that caused them,
//! announced live after commit, and handed to push delivery.
mod graphql;
pub mod service;

pub use graphql::{NotificationMutation, NotificationObject, NotificationQuery};
pub use service::Notified;

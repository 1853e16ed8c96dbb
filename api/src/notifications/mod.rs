//! The notification inbox: rows written in the same transaction as the action that caused them,
//! announced live after commit, and handed to push delivery.
pub mod service;

pub use service::Notified;

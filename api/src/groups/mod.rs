//! Support groups: who may see and do what, memberships, join requests and invitations.
pub mod access;
mod graphql;
pub mod invites;
pub mod memberships;
pub mod mod_log;
pub mod service;
pub mod types;

pub use graphql::{
    ExpertStanding, GroupMutation, GroupObject, GroupQuery, MemberObject, UserObject,
};

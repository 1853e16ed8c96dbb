//! Support groups: who may see and do what, memberships, join requests and invitations.
pub mod invites;
pub mod memberships;
pub mod service;

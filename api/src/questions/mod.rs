//! Ask a Question: questions asked of experts and the community, their answers, and the expert
//! standing platform admins grant.
pub mod answers;
pub mod crisis;
pub mod experts;
pub mod reminders;
pub mod service;

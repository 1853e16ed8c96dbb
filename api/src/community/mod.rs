//! The community's vocabulary, below every feature: the words of groups (roles, membership
//! states, visibility), who may see and do what in a group (`access`) and who may hear of an
//! event (`audience`), the mod log's writer, tags, and what a report is as a row.
pub mod access;
pub mod audience;
pub mod mod_log;
pub mod reports;
pub mod tags;
pub mod vocabulary;

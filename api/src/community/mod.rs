//! The community's vocabulary, below every feature: the words of groups (roles, membership
//! states, visibility), who may see and do what in a group (`access`) and who may hear of an
//! event (`audience`), the mod log's writer, tags, what a report is as a row, and what a
//! membership's end takes with it (`departures`).
pub mod access;
pub mod audience;
pub mod departures;
pub mod identify;
pub mod mod_log;
pub mod reports;
pub mod tags;
pub mod vocabulary;

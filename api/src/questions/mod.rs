//! Ask a Question: questions asked of experts and the community, their answers, and the expert
//! standing platform admins grant.
pub mod answers;
pub mod crisis;
pub mod experts;
mod graphql;
pub mod reminders;
pub mod service;

pub(crate) use graphql::person;
pub use graphql::{AnswerObject, QuestionMutation, QuestionObject, QuestionQuery};

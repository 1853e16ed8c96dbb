use crate::ids::{AnswerId, QuestionId, UserId};
use sea_orm::entity::prelude::*;

/// An answer to a question.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AnswerId,
    pub question_id: QuestionId,
    pub author_id: UserId,
    pub body: String,
    pub idempotency_key: Option<String>,
    pub helpful_count: i32,
    /// The asker's accepted answer (one per question at a time).
    pub accepted: bool,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub removed_at: Option<DateTimeUtc>,
    pub removed_reason: Option<String>,
    pub created_at: DateTimeUtc,
    /// Written by the anonymous asker of the question, as that anonymous asker.
    pub anonymous: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

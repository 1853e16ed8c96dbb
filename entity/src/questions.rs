use crate::enums::Topic;
use crate::ids::{AnswerId, GroupId, QuestionId, UserId};
use sea_orm::entity::prelude::*;

/// A question: platform-wide, or asked inside a group (then seen as that group's posts are).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "questions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: QuestionId,
    pub author_id: UserId,
    pub group_id: Option<GroupId>,
    pub title: String,
    pub body: String,
    pub topic: Topic,
    /// Comma-separated, as groups keep theirs.
    pub tags: String,
    /// Shown as "Anonymous member": no field names the author to other people.
    pub anonymous: bool,
    pub content_warning: Option<String>,
    pub idempotency_key: Option<String>,
    pub answer_count: i32,
    pub accepted_answer_id: Option<AnswerId>,
    pub locked: bool,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub removed_at: Option<DateTimeUtc>,
    pub removed_reason: Option<String>,
    pub last_activity_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// When the asker was reminded that answers wait to be accepted (once per question).
    pub reminded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::enums::ReportStatus;
use crate::ids::{AnswerId, GroupId, QuestionId, QuestionReportId, UserId};
use sea_orm::entity::prelude::*;

/// A report on a question or one of its answers (`answer_id`). `group_id` is the question's
/// group: its moderators handle it; without one, the platform admins do.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: QuestionReportId,
    pub question_id: QuestionId,
    pub answer_id: Option<AnswerId>,
    pub group_id: Option<GroupId>,
    /// The reader who reported it; for a crisis flag, the author (never shown).
    pub reporter_id: UserId,
    pub reason: String,
    /// Raised by crisis language: the priority queue.
    pub priority: bool,
    pub status: ReportStatus,
    pub resolved_by: Option<UserId>,
    pub resolution_note: Option<String>,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

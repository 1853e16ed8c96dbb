use crate::enums::{ContentType, ReportStatus};
use crate::ids::{GroupId, ReportId, UserId};
use sea_orm::entity::prelude::*;

/// A report of a post, reply, question or answer, filed by a reader or, with `priority`, by the
/// words themselves when they read like a crisis. `group_id` is where the item was written: its
/// moderators handle the report. A platform-wide question (and its answers) has no group: the
/// platform admins handle its reports.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ReportId,
    pub group_id: Option<GroupId>,
    pub target_type: ContentType,
    pub target_id: String,
    /// The reader who reported it; for a crisis flag, the author (never shown).
    pub reporter_id: UserId,
    pub reason: String,
    pub status: ReportStatus,
    pub priority: bool,
    pub resolved_by: Option<UserId>,
    pub resolution_note: Option<String>,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::enums::{ContentType, ReportStatus};
use crate::ids::{GroupId, ReportId, UserId};
use sea_orm::entity::prelude::*;

/// A report of a post or reply to the group's moderators.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ReportId,
    pub group_id: GroupId,
    pub target_type: ContentType,
    pub target_id: String,
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

use crate::ids::UserId;
use sea_orm::entity::prelude::*;

/// How and when someone wants pushes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub push_enabled: bool,
    pub disabled_kinds: String,
    pub previews: bool,
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    pub quiet_timezone: Option<String>,
    /// When meeting reminders go: `MeetingReminderLead` values, comma-separated (none: off).
    pub meeting_reminders: String,
    /// Meeting reminders are not held by quiet hours.
    pub meetings_in_quiet_hours: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

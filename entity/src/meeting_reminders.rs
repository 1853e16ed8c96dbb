use crate::enums::MeetingReminderLead;
use crate::ids::{MeetingId, UserId};
use sea_orm::entity::prelude::*;

/// A reminder decided for one person, meeting and lead: one row ever, so it goes once across
/// instances and restarts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_reminders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub meeting_id: MeetingId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub lead: MeetingReminderLead,
    pub decided_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

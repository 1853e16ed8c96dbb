use crate::enums::ReminderOutcome;
use crate::ids::UserId;
use sea_orm::entity::prelude::*;

/// The decision about one person's reminder on one local day: `SENT` (a push job was queued in
/// the same transaction) or `SKIPPED` (they had already checked in). One row per day, ever.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mood_reminder_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// `YYYY-MM-DD`, local.
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_date: String,
    pub outcome: ReminderOutcome,
    pub decided_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::enums::{NotificationKind, PushJobState};
use crate::ids::{NotificationId, PushJobId, UserId};
use sea_orm::entity::prelude::*;

/// A push to send, durable until delivered, failed or dropped.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: PushJobId,
    pub user_id: UserId,
    pub notification_id: Option<NotificationId>,
    pub kind: NotificationKind,
    pub collapse_key: Option<String>,
    pub state: PushJobState,
    pub attempts: i32,
    pub due_at: DateTimeUtc,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// Devices (ids, comma-separated) that already have this push, while others are retried.
    pub delivered_to: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

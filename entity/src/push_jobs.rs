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

impl ActiveModel {
    /// A new job, pending and due `at` (the time it is queued), not yet tried.
    pub fn pending(
        user_id: UserId,
        kind: NotificationKind,
        notification_id: Option<NotificationId>,
        collapse_key: Option<String>,
        at: DateTimeUtc,
    ) -> Self {
        use sea_orm::Set;
        ActiveModel {
            id: Set(PushJobId::generate()),
            user_id: Set(user_id),
            notification_id: Set(notification_id),
            kind: Set(kind),
            collapse_key: Set(collapse_key),
            state: Set(PushJobState::Pending),
            attempts: Set(0),
            due_at: Set(at),
            claimed_by: Set(None),
            claimed_until: Set(None),
            last_error: Set(None),
            delivered_to: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        }
    }
}

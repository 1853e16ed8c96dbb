use crate::enums::RsvpStatus;
use crate::ids::{MeetingId, UserId};
use sea_orm::entity::prelude::*;

/// A person's answer for one meeting. The waitlist is in `answered_at` order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_rsvps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub meeting_id: MeetingId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub status: RsvpStatus,
    pub answered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::enums::MeetingStatus;
use crate::ids::{GroupId, MeetingId, MeetingSeriesId};
use sea_orm::entity::prelude::*;

/// One meeting of a series. `local_date` is the date the rule gave it, which stays its key
/// when the meeting is moved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MeetingId,
    pub series_id: MeetingSeriesId,
    pub group_id: GroupId,
    pub local_date: Date,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub status: MeetingStatus,
    /// Moved by hand: a change to the series' time leaves it where it was put.
    pub moved: bool,
    /// How many answered GOING, MAYBE, or wait for a place: kept by triggers on
    /// `meeting_rsvps` (migration 000030), never written by the code.
    pub going_count: i32,
    pub maybe_count: i32,
    pub waitlist_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

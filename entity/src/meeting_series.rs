use crate::enums::MeetingFrequency;
use crate::ids::{GroupId, MeetingSeriesId, UserId};
use sea_orm::entity::prelude::*;

/// When a group meets: a wall-clock time in a time zone and a recurrence. Its meetings are
/// written ahead for a rolling window (`generated_until`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MeetingSeriesId,
    pub group_id: GroupId,
    pub title: String,
    pub description: Option<String>,
    /// An IANA name (`America/New_York`).
    pub time_zone: String,
    pub first_date: Date,
    /// `HH:MM`, on the wall clock of `time_zone`.
    pub local_start_time: String,
    pub duration_minutes: i32,
    pub frequency: MeetingFrequency,
    pub until: Option<Date>,
    pub capacity: Option<i32>,
    pub facilitator_id: Option<UserId>,
    pub join_url: Option<String>,
    pub created_by: Option<UserId>,
    /// The last local date whose meeting is written.
    pub generated_until: Date,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

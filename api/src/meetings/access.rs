//! Who sees a group's meetings, and finding a series or a meeting for the one asking.
use crate::auth::Viewer;
use crate::community::access::{group_access, GroupAccess};
use crate::error::{AppError, AppResult};
use crate::ids::{MeetingId, MeetingSeriesId};
use entity::{meeting_series, meetings};
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};

/// How far ahead meetings are written: a year, so any month a client shows up to then has its
/// meetings (and ids to answer for).
pub const HORIZON_DAYS: u64 = 366;

/// Meetings are for the group's members: anyone else (outsiders, people who left, banned
/// people, platform admins who are not members) is told there is nothing.
pub fn require_sees_meetings(access: &GroupAccess) -> AppResult<()> {
    if access.is_member() && !access.banned {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// A series and the caller's standing in its group; `NOT_FOUND` for anyone who may not see
/// the group's meetings.
pub async fn series_for(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &MeetingSeriesId,
) -> AppResult<(meeting_series::Model, GroupAccess)> {
    let series = meeting_series::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let access = group_access(db, viewer, &series.group_id).await?;
    require_sees_meetings(&access)?;
    Ok((series, access))
}

/// A meeting and the caller's standing in its group; `NOT_FOUND` for anyone who may not see
/// the group's meetings.
pub async fn meeting_for(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &MeetingId,
) -> AppResult<(meetings::Model, GroupAccess)> {
    let meeting = meetings::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let access = group_access(db, viewer, &meeting.group_id).await?;
    require_sees_meetings(&access)?;
    Ok((meeting, access))
}

/// The meeting's row, locked for the rest of the transaction on PostgreSQL (SQLite's write
/// transactions are one at a time already): answers to one meeting are decided one by one, so
/// no more than its capacity are ever going and nobody is let in twice.
pub async fn locked(db: &impl ConnectionTrait, id: &MeetingId) -> AppResult<meetings::Model> {
    meetings::Entity::find_by_id(id.clone())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

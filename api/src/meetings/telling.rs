//! Telling those coming to a meeting that it changed.
use crate::broker::{Announcements, Event};
use crate::clock::now;
use crate::error::AppResult;
use crate::ids::UserId;
use crate::notifications::service::{notify_meeting, NotificationKind};
use entity::enums::{MeetingStatus, RsvpStatus};
use entity::{meeting_reminders, meeting_rsvps, meetings};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

/// The statuses of someone coming, or who might, or waits for a place.
pub const COMING: [RsvpStatus; 3] = [RsvpStatus::Going, RsvpStatus::Maybe, RsvpStatus::Waitlisted];

/// Tells everyone coming to a meeting (going, maybe, waiting) of a change, other than the one
/// who made it: a notification of `kind` (and its push), and a live event.
pub async fn tell(
    txn: &impl ConnectionTrait,
    meeting: &meetings::Model,
    kind: NotificationKind,
    except: Option<&UserId>,
) -> AppResult<Announcements> {
    let coming: Vec<UserId> = meeting_rsvps::Entity::find()
        .select_only()
        .column(meeting_rsvps::Column::UserId)
        .filter(meeting_rsvps::Column::MeetingId.eq(&meeting.id))
        .filter(meeting_rsvps::Column::Status.is_in(COMING.map(|s| s.as_str())))
        .into_tuple()
        .all(txn)
        .await?;
    let coming: Vec<UserId> = coming.into_iter().filter(|u| Some(u) != except).collect();
    tell_people(txn, meeting, coming, kind).await
}

/// Tells these people of a change to a meeting: a notification of `kind` (and its push) and a
/// live event each.
pub async fn tell_people(
    txn: &impl ConnectionTrait,
    meeting: &meetings::Model,
    people: Vec<UserId>,
    kind: NotificationKind,
) -> AppResult<Announcements> {
    let mut announce: Announcements =
        notify_meeting(txn, &people, kind, &meeting.group_id, &meeting.id, None)
            .await?
            .into();
    for user_id in people {
        announce.event(Event::MeetingChanged {
            user_id,
            meeting_id: meeting.id.clone(),
        });
    }
    Ok(announce)
}

/// Cancels one meeting inside a transaction and tells those coming.
pub async fn cancel_in(
    txn: &impl ConnectionTrait,
    meeting: &meetings::Model,
) -> AppResult<Announcements> {
    meetings::Entity::update_many()
        .col_expr(
            meetings::Column::Status,
            Expr::value(MeetingStatus::Cancelled.as_str()),
        )
        .col_expr(meetings::Column::UpdatedAt, Expr::value(now()))
        .filter(meetings::Column::Id.eq(&meeting.id))
        .exec(txn)
        .await?;
    tell(txn, meeting, NotificationKind::MeetingCancelled, None).await
}

/// Forgets the reminders decided for a meeting that moved, so that each person is reminded
/// again for its new time.
pub async fn forget_reminders(
    txn: &impl ConnectionTrait,
    meeting: &meetings::Model,
) -> AppResult<()> {
    meeting_reminders::Entity::delete_many()
        .filter(meeting_reminders::Column::MeetingId.eq(&meeting.id))
        .exec(txn)
        .await?;
    Ok(())
}

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
    let coming = coming_to(txn, meeting, except).await?;
    tell_people(txn, meeting, coming, kind).await
}

/// Those coming to a meeting (going, maybe, waiting), but `except`.
async fn coming_to(
    txn: &impl ConnectionTrait,
    meeting: &meetings::Model,
    except: Option<&UserId>,
) -> AppResult<Vec<UserId>> {
    let coming: Vec<UserId> = meeting_rsvps::Entity::find()
        .select_only()
        .column(meeting_rsvps::Column::UserId)
        .filter(meeting_rsvps::Column::MeetingId.eq(&meeting.id))
        .filter(meeting_rsvps::Column::Status.is_in(COMING.map(|s| s.as_str())))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(coming.into_iter().filter(|u| Some(u) != except).collect())
}

/// One change to many meetings of a series (a new time, a cancelled series), told once per
/// person: each hears of the soonest meeting of theirs it changed (one notification, one
/// push), not of every week they said they would come to; each changed meeting still sends
/// its live event to each of its people, so open screens update.
pub struct SeriesChange {
    kind: NotificationKind,
    /// Each changed meeting with its people, soonest first.
    changed: Vec<(meetings::Model, Vec<UserId>)>,
}

impl SeriesChange {
    pub fn new(kind: NotificationKind) -> Self {
        SeriesChange {
            kind,
            changed: Vec::new(),
        }
    }

    /// Notes a changed meeting and who is coming to it (but `except`, who made the change).
    pub async fn add(
        &mut self,
        txn: &impl ConnectionTrait,
        meeting: &meetings::Model,
        except: Option<&UserId>,
    ) -> AppResult<()> {
        let people = coming_to(txn, meeting, except).await?;
        self.changed.push((meeting.clone(), people));
        Ok(())
    }

    /// The notifications (one a person) and live events (one a person and meeting).
    pub async fn tell(mut self, txn: &impl ConnectionTrait) -> AppResult<Announcements> {
        self.changed.sort_by_key(|(meeting, _)| meeting.starts_at);
        let mut told = std::collections::HashSet::new();
        let mut announce = Announcements::default();
        for (meeting, people) in self.changed {
            let first_for: Vec<UserId> = people
                .iter()
                .filter(|p| told.insert((*p).clone()))
                .cloned()
                .collect();
            if !first_for.is_empty() {
                let notes = notify_meeting(
                    txn,
                    &first_for,
                    self.kind,
                    &meeting.group_id,
                    &meeting.id,
                    None,
                )
                .await?;
                announce.extend(notes.into());
            }
            for user_id in people {
                announce.event(Event::MeetingChanged {
                    user_id,
                    meeting_id: meeting.id.clone(),
                });
            }
        }
        Ok(announce)
    }
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
    mark_cancelled(txn, meeting).await?;
    tell(txn, meeting, NotificationKind::MeetingCancelled, None).await
}

/// Marks one meeting cancelled, telling nobody yet.
pub async fn mark_cancelled(
    txn: &impl ConnectionTrait,
    meeting: &meetings::Model,
) -> AppResult<()> {
    meetings::Entity::update_many()
        .col_expr(
            meetings::Column::Status,
            Expr::value(MeetingStatus::Cancelled.as_str()),
        )
        .col_expr(meetings::Column::UpdatedAt, Expr::value(now()))
        .filter(meetings::Column::Id.eq(&meeting.id))
        .exec(txn)
        .await?;
    Ok(())
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

//! Who is coming to a meeting. A member answers GOING, MAYBE or NOT_GOING; past capacity GOING
//! waits on a list, and a place freed goes to the first who waits (who is told). Answers are
//! counted only for people who are members now and not banned, and the list of who is coming
//! is for the facilitator and the moderators, without anyone blocked either way.
use super::access::{locked, require_sees_meetings, series_for};
use super::rows::{locked_with_answer, Listed};
use super::telling::tell_people;
use crate::auth::Viewer;
use crate::broker::{Announcements, Committed, WorkerHandles};
use crate::clock::now;
use crate::community::access::group_access;
use crate::community::vocabulary::MemberState;
use crate::db::{begin_write, statement};
use crate::error::{AppError, AppResult};
use crate::ids::{MeetingId, UserId};
use crate::notifications::service::NotificationKind;
use entity::enums::{MeetingStatus, RsvpAnswer, RsvpStatus};
use entity::{meeting_rsvps, meeting_series, meetings};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Value,
};
use std::collections::HashMap;

/// The most answers `attendees` lists.
pub const MOST_ATTENDEES_SHOWN: u64 = 1000;

/// How many are going, might come and wait, for one meeting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub going: u64,
    pub maybe: u64,
    pub waitlisted: u64,
}

/// Answers by people who are active members of the meeting's group and not banned from it now,
/// asked again where it decides who is named or let in. Membership and ban are looked up by
/// their keys for each answer.
const COUNTED: &str = "FROM meeting_rsvps r
    JOIN meetings m ON m.id = r.meeting_id
    WHERE EXISTS (SELECT 1 FROM memberships ms WHERE ms.group_id = m.group_id
        AND ms.user_id = r.user_id AND ms.state = $1)
    AND NOT EXISTS (SELECT 1 FROM bans b WHERE b.group_id = m.group_id AND b.user_id = r.user_id
        AND (b.until IS NULL OR b.until > $2))";

impl Counts {
    /// A meeting's counts, as the triggers on `meeting_rsvps` keep them in its row (migration
    /// 000030). Answers leave with the person (leaving, a ban: `community::departures`; an
    /// erased account), so every answer counted is a member's. The list of who answered, which
    /// names people, checks membership, bans and blocks again when it is read (`attendees`).
    pub fn of(meeting: &meetings::Model) -> Counts {
        let count = |n: i32| u64::try_from(n).unwrap_or(0);
        Counts {
            going: count(meeting.going_count),
            maybe: count(meeting.maybe_count),
            waitlisted: count(meeting.waitlist_count),
        }
    }
}

/// `person`'s answers to these meetings, in one statement (by the answers' primary key).
pub async fn answers_of(
    db: &impl ConnectionTrait,
    person: &UserId,
    ids: &[MeetingId],
) -> AppResult<HashMap<MeetingId, RsvpStatus>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let answers: Vec<(MeetingId, RsvpStatus)> = meeting_rsvps::Entity::find()
        .select_only()
        .column(meeting_rsvps::Column::MeetingId)
        .column(meeting_rsvps::Column::Status)
        .filter(meeting_rsvps::Column::UserId.eq(person))
        .filter(meeting_rsvps::Column::MeetingId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(answers.into_iter().collect())
}

/// One meeting's counts as they stand in this transaction (after its own answers).
async fn counts_of(db: &impl ConnectionTrait, meeting: &MeetingId) -> AppResult<Counts> {
    Ok(Counts::of(&reread(db, meeting).await?))
}

/// The first who wait for a place, oldest answer first, counting only current members.
async fn first_waiting(
    db: &impl ConnectionTrait,
    meeting: &MeetingId,
    how_many: u64,
) -> AppResult<Vec<UserId>> {
    let sql = format!(
        "SELECT r.user_id {COUNTED} AND r.meeting_id = $3 AND r.status = $4
         ORDER BY r.answered_at, r.user_id LIMIT {how_many}"
    );
    let values: Vec<Value> = vec![
        MemberState::Active.as_str().into(),
        now().into(),
        meeting.as_str().into(),
        RsvpStatus::Waitlisted.as_str().into(),
    ];
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(statement(backend, &sql, values)).await?;
    rows.iter()
        .map(|row| Ok(UserId::from(row.try_get::<String>("", "user_id")?)))
        .collect()
}

/// Lets people in from the waitlist while there are places (all of them when there is no
/// capacity). Those let in are told. The meeting must be locked (`locked`).
pub async fn settle(
    txn: &impl ConnectionTrait,
    meeting: &meetings::Model,
    capacity: Option<i32>,
) -> AppResult<Announcements> {
    let counts = counts_of(txn, &meeting.id).await?;
    Ok(let_in(txn, meeting, capacity, counts)
        .await?
        .unwrap_or_default())
}

/// [`settle`] with the meeting's counts as they stand now (`meeting` was read locked in this
/// transaction, and no answer to it changed since): what to announce when someone was let in,
/// `None` when nobody was and the counts are as they were.
async fn let_in(
    txn: &impl ConnectionTrait,
    meeting: &meetings::Model,
    capacity: Option<i32>,
    counts: Counts,
) -> AppResult<Option<Announcements>> {
    if counts.waitlisted == 0 || meeting.status != MeetingStatus::Scheduled {
        return Ok(None);
    }
    let free = match capacity {
        None => counts.waitlisted,
        Some(capacity) => u64::try_from(capacity)
            .unwrap_or(0)
            .saturating_sub(counts.going),
    };
    if free == 0 {
        return Ok(None);
    }
    let promoted = first_waiting(txn, &meeting.id, free).await?;
    if promoted.is_empty() {
        return Ok(None);
    }
    meeting_rsvps::Entity::update_many()
        .col_expr(
            meeting_rsvps::Column::Status,
            Expr::value(RsvpStatus::Going.as_str()),
        )
        .filter(meeting_rsvps::Column::MeetingId.eq(&meeting.id))
        .filter(meeting_rsvps::Column::UserId.is_in(&promoted))
        .filter(meeting_rsvps::Column::Status.eq(RsvpStatus::Waitlisted.as_str()))
        .exec(txn)
        .await?;
    Ok(Some(
        tell_people(txn, meeting, promoted, NotificationKind::MeetingPlace).await?,
    ))
}

/// What an answer leaves: the meeting as its transaction left it (counts included), its
/// series, and the answer kept (WAITLISTED for GOING on a full meeting).
pub struct Answered {
    pub meeting: meetings::Model,
    pub series: meeting_series::Model,
    pub status: RsvpStatus,
}

/// A member's answer for a meeting that is still to come. GOING on a full meeting is
/// WAITLISTED; a going person who changes their answer frees a place for the first who waits.
/// The meeting's row, read locked, gives the counts until an answer changes them.
pub async fn answer(
    db: &DatabaseConnection,
    viewer: &Viewer,
    meeting_id: &MeetingId,
    answer: RsvpAnswer,
) -> AppResult<Committed<Answered>> {
    let txn = begin_write(db).await?;
    let Listed {
        meeting,
        series,
        mine,
    } = locked_with_answer(&txn, meeting_id, &viewer.user_id).await?;
    let access = group_access(&txn, viewer, &meeting.group_id).await?;
    require_sees_meetings(&access)?;
    if meeting.status == MeetingStatus::Cancelled {
        return Err(AppError::conflict(
            "meetingId",
            "this meeting was cancelled",
        ));
    }
    if meeting.ends_at <= now() {
        return Err(AppError::conflict("meetingId", "this meeting is over"));
    }
    // Those waiting go first into any place that is free.
    let first = let_in(&txn, &meeting, series.capacity, Counts::of(&meeting)).await?;
    let let_in_before = first.is_some();
    let mut announce = first.unwrap_or_default();
    // Those let in may include the one answering: their answer is then read again.
    let current = if let_in_before {
        meeting_rsvps::Entity::find_by_id((meeting.id.clone(), viewer.user_id.clone()))
            .one(&txn)
            .await?
            .map(|r| r.status)
    } else {
        mine
    };
    let status = match answer {
        RsvpAnswer::Going => match current {
            Some(kept @ (RsvpStatus::Going | RsvpStatus::Waitlisted)) => kept,
            _ => {
                let going = if let_in_before {
                    counts_of(&txn, &meeting.id).await?.going
                } else {
                    Counts::of(&meeting).going
                };
                let full = series
                    .capacity
                    .is_some_and(|c| going >= u64::try_from(c).unwrap_or(0));
                if full {
                    RsvpStatus::Waitlisted
                } else {
                    RsvpStatus::Going
                }
            }
        },
        RsvpAnswer::Maybe => RsvpStatus::Maybe,
        RsvpAnswer::NotGoing => RsvpStatus::NotGoing,
    };
    if current != Some(status) {
        meeting_rsvps::Entity::insert(meeting_rsvps::ActiveModel {
            meeting_id: Set(meeting.id.clone()),
            user_id: Set(viewer.user_id.clone()),
            status: Set(status),
            answered_at: Set(now()),
        })
        .on_conflict(
            OnConflict::columns([
                meeting_rsvps::Column::MeetingId,
                meeting_rsvps::Column::UserId,
            ])
            .update_columns([
                meeting_rsvps::Column::Status,
                meeting_rsvps::Column::AnsweredAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    // The row as the answers left it: its counts are kept by triggers.
    let mut meeting = reread(&txn, &meeting.id).await?;
    if current == Some(RsvpStatus::Going) && status != RsvpStatus::Going {
        if let Some(freed) = let_in(&txn, &meeting, series.capacity, Counts::of(&meeting)).await? {
            meeting = reread(&txn, &meeting.id).await?;
            announce.extend(freed);
        }
    }
    txn.commit().await?;
    Ok(Committed::new(
        Answered {
            meeting,
            series,
            status,
        },
        announce,
    ))
}

async fn reread(txn: &impl ConnectionTrait, id: &MeetingId) -> AppResult<meetings::Model> {
    meetings::Entity::find_by_id(id.clone())
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)
}

/// Who answered for a meeting, for its facilitator and the group's moderators: current members
/// only, without anyone blocked either way with the one asking, in the order they answered.
/// `None` for anyone else.
pub async fn attendees(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    meeting: &meetings::Model,
) -> AppResult<Option<Vec<(UserId, RsvpStatus)>>> {
    let (series, access) = series_for(db, viewer, &meeting.series_id).await?;
    let facilitates = series.facilitator_id.as_ref() == Some(&viewer.user_id);
    if !(facilitates || access.is_moderator()) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT r.user_id, r.status {COUNTED} AND r.meeting_id = $3
           AND r.user_id NOT IN (SELECT blocked_id FROM blocks WHERE blocker_id = $4)
           AND r.user_id NOT IN (SELECT blocker_id FROM blocks WHERE blocked_id = $4)
         ORDER BY r.answered_at, r.user_id LIMIT {MOST_ATTENDEES_SHOWN}"
    );
    let values: Vec<Value> = vec![
        MemberState::Active.as_str().into(),
        now().into(),
        meeting.id.as_str().into(),
        viewer.user_id.as_str().into(),
    ];
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(statement(backend, &sql, values)).await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        let user: String = row.try_get("", "user_id")?;
        list.push((UserId::from(user), row.try_get("", "status")?));
    }
    Ok(Some(list))
}

/// Lets the waitlist into places freed by people who left, were banned or erased their
/// account (a worker's pass): every meeting to come with someone waiting. Returns how many
/// meetings let someone in.
pub async fn fill_freed_places(app: &WorkerHandles) -> AppResult<usize> {
    let db = &app.db;
    let waiting: Vec<MeetingId> = meeting_rsvps::Entity::find()
        .select_only()
        .column(meeting_rsvps::Column::MeetingId)
        .distinct()
        .filter(meeting_rsvps::Column::Status.eq(RsvpStatus::Waitlisted.as_str()))
        .filter(
            meeting_rsvps::Column::MeetingId.in_subquery(
                Query::select()
                    .column(meetings::Column::Id)
                    .from(meetings::Entity)
                    .and_where(meetings::Column::EndsAt.gt(now()))
                    .and_where(meetings::Column::Status.eq(MeetingStatus::Scheduled.as_str()))
                    .to_owned(),
            ),
        )
        .order_by_asc(meeting_rsvps::Column::MeetingId)
        .into_tuple()
        .all(db)
        .await?;
    let mut let_in = 0;
    for id in waiting {
        let txn = begin_write(db).await?;
        let meeting = locked(&txn, &id).await?;
        let capacity = meeting_series::Entity::find_by_id(meeting.series_id.clone())
            .one(&txn)
            .await?
            .and_then(|s| s.capacity);
        let announce = if meeting.ends_at > now() {
            settle(&txn, &meeting, capacity).await?
        } else {
            Announcements::default()
        };
        txn.commit().await?;
        if !announce.is_empty() {
            let_in += 1;
            Committed::new((), announce).publish(&app.broker).await;
        }
    }
    Ok(let_in)
}

//! Meeting series: scheduled, changed and cancelled by a group's moderators, and their meetings
//! written ahead for a rolling window.
use super::access::{series_for, HORIZON_DAYS};
use super::recurrence::{instant, Rule};
use super::telling::{forget_reminders, mark_cancelled, SeriesChange};
use crate::auth::Viewer;
use crate::broker::{Announcements, Committed};
use crate::clock::now;
use crate::community::access::{group_access, GroupAccess};
use crate::community::vocabulary::LedBy;
use crate::db::begin_write;
use crate::error::{text_between, AppError, AppResult};
use crate::ids::{GroupId, MeetingId, MeetingSeriesId, UserId};
use crate::notifications::service::NotificationKind;
use crate::push::preferences::parse_time;
use crate::text::title_between;
use chrono::{Days, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use entity::enums::{MeetingFrequency, MeetingStatus};
use entity::{meeting_series, meetings, memberships};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// The longest meeting.
const LONGEST_MINUTES: i32 = 12 * 60;
/// The largest capacity.
const MOST_PLACES: i32 = 1000;
/// How far back a first date may be (a series scheduled late on its first evening).
const FIRST_DATE_BACK_DAYS: u64 = 1;

/// What a moderator asks for.
pub struct NewSeries {
    pub group_id: GroupId,
    pub title: String,
    pub description: Option<String>,
    pub first_date: NaiveDate,
    pub local_start_time: String,
    pub time_zone: String,
    pub duration_minutes: i32,
    pub frequency: MeetingFrequency,
    pub until: Option<NaiveDate>,
    pub capacity: Option<i32>,
    pub facilitator_id: Option<UserId>,
    pub join_url: Option<String>,
}

/// What may change in a series; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Default)]
pub struct SeriesChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub local_start_time: Option<String>,
    pub duration_minutes: Option<i32>,
    pub until: Option<Option<NaiveDate>>,
    pub capacity: Option<Option<i32>>,
    pub facilitator_id: Option<UserId>,
    pub join_url: Option<Option<String>>,
}

pub fn zone_of(series: &meeting_series::Model) -> AppResult<Tz> {
    series
        .time_zone
        .parse()
        .map_err(|_| AppError::internal(anyhow::anyhow!("a series with an unknown time zone")))
}

pub fn start_time_of(series: &meeting_series::Model) -> AppResult<NaiveTime> {
    NaiveTime::parse_from_str(&series.local_start_time, "%H:%M")
        .map_err(|_| AppError::internal(anyhow::anyhow!("a series with a malformed start time")))
}

pub fn rule_of(series: &meeting_series::Model) -> Rule {
    Rule {
        first_date: series.first_date,
        frequency: series.frequency,
        until: series.until,
    }
}

fn parse_zone(raw: &str) -> AppResult<Tz> {
    raw.trim().parse().map_err(|_| {
        AppError::bad_input("timeZone", "must be an IANA time zone like Europe/Berlin")
    })
}

fn check_duration(minutes: i32) -> AppResult<i32> {
    if !(5..=LONGEST_MINUTES).contains(&minutes) {
        return Err(AppError::bad_input(
            "durationMinutes",
            format!("must be 5 to {LONGEST_MINUTES}"),
        ));
    }
    Ok(minutes)
}

fn check_capacity(capacity: Option<i32>) -> AppResult<Option<i32>> {
    match capacity {
        Some(n) if !(1..=MOST_PLACES).contains(&n) => Err(AppError::bad_input(
            "capacity",
            format!("must be 1 to {MOST_PLACES}, or left out for no limit"),
        )),
        other => Ok(other),
    }
}

fn check_description(raw: Option<String>) -> AppResult<Option<String>> {
    raw.filter(|d| !d.trim().is_empty())
        .map(|d| text_between("description", &d, 1, 2000))
        .transpose()
}

/// A link to where the group meets: `https`, at most 500 characters, no spaces.
fn check_join_url(raw: Option<String>) -> AppResult<Option<String>> {
    let Some(raw) = raw.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let well_formed = raw.len() <= 500
        && raw.starts_with("https://")
        && raw.len() > "https://".len()
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed {
        return Err(AppError::bad_input(
            "joinUrl",
            "must be an https:// link of at most 500 characters",
        ));
    }
    Ok(Some(raw))
}

/// The person who leads a meeting: a moderator or owner of the group; in a group led by a
/// professional, a member with expert standing too.
async fn check_facilitator(
    db: &impl ConnectionTrait,
    access: &GroupAccess,
    person: &UserId,
) -> AppResult<()> {
    let membership = memberships::Entity::find_by_id((access.group.id.clone(), person.clone()))
        .one(db)
        .await?;
    let active = membership
        .as_ref()
        .is_some_and(|m| m.state == crate::community::vocabulary::MemberState::Active);
    let leads = membership.as_ref().is_some_and(|m| {
        matches!(
            m.role,
            crate::community::vocabulary::Role::Owner
                | crate::community::vocabulary::Role::Moderator
        )
    });
    let banned = crate::community::access::is_banned(db, &access.group.id, person).await?;
    let expert = access.group.led_by == LedBy::Professional
        && !crate::questions::experts::current(db, std::slice::from_ref(person))
            .await?
            .is_empty();
    if !active || banned || !(leads || expert) {
        return Err(AppError::bad_input(
            "facilitatorId",
            "must be a moderator of the group (or, in a group led by professionals, a member with expert standing)",
        ));
    }
    Ok(())
}

/// Schedules a series and writes its meetings for the window ahead. Moderators only.
pub async fn schedule(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: NewSeries,
) -> AppResult<meeting_series::Model> {
    let title = title_between("title", &input.title, 1, 120)?;
    let description = check_description(input.description)?;
    let zone = parse_zone(&input.time_zone)?;
    let start = parse_time("localStartTime", &input.local_start_time)?;
    let duration = check_duration(input.duration_minutes)?;
    let capacity = check_capacity(input.capacity)?;
    let join_url = check_join_url(input.join_url)?;
    let today = local_today(zone);
    let earliest = today
        .checked_sub_days(Days::new(FIRST_DATE_BACK_DAYS))
        .unwrap_or(today);
    let latest = today
        .checked_add_days(Days::new(HORIZON_DAYS))
        .unwrap_or(today);
    if input.first_date < earliest || input.first_date > latest {
        return Err(AppError::bad_input(
            "firstDate",
            "must be from today to a year ahead, in the series' time zone",
        ));
    }
    if input.until.is_some_and(|until| until < input.first_date) {
        return Err(AppError::bad_input("until", "must not be before firstDate"));
    }
    let txn = begin_write(db).await?;
    let access = group_access(&txn, viewer, &input.group_id).await?;
    access.require_moderator()?;
    let facilitator = input
        .facilitator_id
        .unwrap_or_else(|| viewer.user_id.clone());
    check_facilitator(&txn, &access, &facilitator).await?;
    let at = now();
    let series = meeting_series::ActiveModel {
        id: Set(MeetingSeriesId::generate()),
        group_id: Set(input.group_id),
        title: Set(title),
        description: Set(description),
        time_zone: Set(zone.name().to_owned()),
        first_date: Set(input.first_date),
        local_start_time: Set(start.format("%H:%M").to_string()),
        duration_minutes: Set(duration),
        frequency: Set(input.frequency),
        until: Set(input.until),
        capacity: Set(capacity),
        facilitator_id: Set(Some(facilitator)),
        join_url: Set(join_url),
        created_by: Set(Some(viewer.user_id.clone())),
        generated_until: Set(input.first_date.pred_opt().unwrap_or(input.first_date)),
        cancelled_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    let series = generate(&txn, series).await?;
    txn.commit().await?;
    Ok(series)
}

/// Today's date on the wall clock of `zone`.
pub fn local_today(zone: Tz) -> NaiveDate {
    now().with_timezone(&zone).date_naive()
}

/// Writes the meetings of a series from the day after `generated_until` to the window's end;
/// a date already written is left as it is. Returns the series with its new mark.
pub async fn generate(
    db: &impl ConnectionTrait,
    series: meeting_series::Model,
) -> AppResult<meeting_series::Model> {
    if series.cancelled_at.is_some() {
        return Ok(series);
    }
    let zone = zone_of(&series)?;
    let start = start_time_of(&series)?;
    let through = local_today(zone)
        .checked_add_days(Days::new(HORIZON_DAYS))
        .unwrap_or(series.generated_until);
    let Some(from) = series.generated_until.succ_opt() else {
        return Ok(series);
    };
    if from > through {
        return Ok(series);
    }
    let at = now();
    let length = chrono::Duration::minutes(series.duration_minutes.into());
    let rows: Vec<meetings::ActiveModel> = rule_of(&series)
        .dates(from, through)
        .into_iter()
        .map(|date| {
            let starts_at = instant(zone, date, start);
            meetings::ActiveModel {
                id: Set(MeetingId::generate()),
                series_id: Set(series.id.clone()),
                group_id: Set(series.group_id.clone()),
                local_date: Set(date),
                starts_at: Set(starts_at),
                ends_at: Set(starts_at + length),
                status: Set(MeetingStatus::Scheduled),
                moved: Set(false),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(200) {
        meetings::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([meetings::Column::SeriesId, meetings::Column::LocalDate])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    meeting_series::Entity::update_many()
        .col_expr(meeting_series::Column::GeneratedUntil, Expr::value(through))
        .filter(meeting_series::Column::Id.eq(&series.id))
        .exec(db)
        .await?;
    Ok(meeting_series::Model {
        generated_until: through,
        ..series
    })
}

/// Moves every live series' window forward (a worker's pass); returns how many it extended.
pub async fn extend_all(db: &DatabaseConnection) -> AppResult<usize> {
    // A week's slack: a series is looked at again once its window is a week short.
    let mark = (now().date_naive())
        .checked_add_days(Days::new(HORIZON_DAYS - 7))
        .unwrap_or(now().date_naive());
    let due = meeting_series::Entity::find()
        .filter(meeting_series::Column::CancelledAt.is_null())
        .filter(meeting_series::Column::GeneratedUntil.lt(mark))
        .all(db)
        .await?;
    let mut extended = 0;
    for series in due {
        if series
            .until
            .is_some_and(|until| until <= series.generated_until)
        {
            continue;
        }
        let txn = begin_write(db).await?;
        generate(&txn, series).await?;
        txn.commit().await?;
        extended += 1;
    }
    Ok(extended)
}

/// Changes a series. A new time or length moves its coming meetings that were not moved by
/// hand; a new last date cancels the meetings after it or writes the ones now in the window;
/// a larger capacity lets the waitlist in. Those coming are told once each ([`SeriesChange`]).
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &MeetingSeriesId,
    changes: SeriesChanges,
) -> AppResult<Committed<meeting_series::Model>> {
    let txn = begin_write(db).await?;
    let (series, access) = series_for(&txn, viewer, id).await?;
    access.require_moderator()?;
    if series.cancelled_at.is_some() {
        return Err(AppError::conflict("seriesId", "this series was cancelled"));
    }
    let mut row: meeting_series::ActiveModel = series.clone().into();
    if let Some(title) = changes.title {
        row.title = Set(title_between("title", &title, 1, 120)?);
    }
    if let Some(description) = changes.description {
        row.description = Set(check_description(description)?);
    }
    let new_time = changes
        .local_start_time
        .map(|raw| parse_time("localStartTime", &raw))
        .transpose()?;
    if let Some(time) = new_time {
        row.local_start_time = Set(time.format("%H:%M").to_string());
    }
    if let Some(minutes) = changes.duration_minutes {
        row.duration_minutes = Set(check_duration(minutes)?);
    }
    if let Some(until) = changes.until {
        if until.is_some_and(|until| until < series.first_date) {
            return Err(AppError::bad_input("until", "must not be before firstDate"));
        }
        row.until = Set(until);
    }
    if let Some(capacity) = changes.capacity {
        row.capacity = Set(check_capacity(capacity)?);
    }
    if let Some(facilitator) = changes.facilitator_id {
        check_facilitator(&txn, &access, &facilitator).await?;
        row.facilitator_id = Set(Some(facilitator));
    }
    if let Some(join_url) = changes.join_url {
        row.join_url = Set(check_join_url(join_url)?);
    }
    row.updated_at = Set(now());
    let updated = row.update(&txn).await?;
    let mut announce = Announcements::default();
    let (mut cancelled, mut moved) = (
        SeriesChange::new(NotificationKind::MeetingCancelled),
        SeriesChange::new(NotificationKind::MeetingMoved),
    );
    let at = now();
    // Locked, as an answer locks its meeting (`access::locked`), and in one order: a capacity
    // raised while an answer is being decided waits for it, and counts the places it left.
    let coming = meetings::Entity::find()
        .filter(meetings::Column::SeriesId.eq(&updated.id))
        .filter(meetings::Column::Status.eq(MeetingStatus::Scheduled))
        .filter(meetings::Column::StartsAt.gt(at))
        .order_by_asc(meetings::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?;
    let zone = zone_of(&updated)?;
    let start = start_time_of(&updated)?;
    let length = chrono::Duration::minutes(updated.duration_minutes.into());
    let retimed = updated.local_start_time != series.local_start_time
        || updated.duration_minutes != series.duration_minutes;
    for meeting in coming {
        if updated
            .until
            .is_some_and(|until| meeting.local_date > until)
        {
            mark_cancelled(&txn, &meeting).await?;
            cancelled.add(&txn, &meeting, None).await?;
            continue;
        }
        if retimed && !meeting.moved {
            let starts_at = instant(zone, meeting.local_date, start);
            meetings::Entity::update_many()
                .col_expr(meetings::Column::StartsAt, Expr::value(starts_at))
                .col_expr(meetings::Column::EndsAt, Expr::value(starts_at + length))
                .col_expr(meetings::Column::UpdatedAt, Expr::value(at))
                .filter(meetings::Column::Id.eq(&meeting.id))
                .exec(&txn)
                .await?;
            forget_reminders(&txn, &meeting).await?;
            moved.add(&txn, &meeting, Some(&viewer.user_id)).await?;
        }
        if updated.capacity != series.capacity {
            announce.extend(super::attendance::settle(&txn, &meeting, updated.capacity).await?);
        }
    }
    announce.extend(cancelled.tell(&txn).await?);
    announce.extend(moved.tell(&txn).await?);
    let updated = if updated.until != series.until {
        generate(&txn, updated).await?
    } else {
        updated
    };
    txn.commit().await?;
    Ok(Committed::new(updated, announce))
}

/// Cancels a series: no meeting is written after, and each coming one is cancelled (those
/// coming are told once each).
pub async fn cancel(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &MeetingSeriesId,
) -> AppResult<Committed<meeting_series::Model>> {
    let txn = begin_write(db).await?;
    let (series, access) = series_for(&txn, viewer, id).await?;
    access.require_moderator()?;
    if series.cancelled_at.is_some() {
        txn.commit().await?;
        return Ok(Committed::quiet(series));
    }
    let at = now();
    let coming = meetings::Entity::find()
        .filter(meetings::Column::SeriesId.eq(&series.id))
        .filter(meetings::Column::Status.eq(MeetingStatus::Scheduled))
        .filter(meetings::Column::StartsAt.gt(at))
        .all(&txn)
        .await?;
    let mut told = SeriesChange::new(NotificationKind::MeetingCancelled);
    for meeting in &coming {
        mark_cancelled(&txn, meeting).await?;
        told.add(&txn, meeting, None).await?;
    }
    let announce = told.tell(&txn).await?;
    let mut row: meeting_series::ActiveModel = series.into();
    row.cancelled_at = Set(Some(at));
    row.updated_at = Set(at);
    let cancelled = row.update(&txn).await?;
    txn.commit().await?;
    Ok(Committed::new(cancelled, announce))
}

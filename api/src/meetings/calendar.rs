//! A person's private calendar feed: a secret URL serving the meetings they said they are
//! going to, as iCalendar. The feed ends up in calendar apps others may look at, so its events
//! say only "Hearth meeting" unless the person asked for names, and never hold the join link.
//! The secret is shown once; only its keyed hash is kept. A new feed replaces the old one, and
//! a revoked one answers 404.
use super::ical::{self, Event};
use super::occurrences::in_my_groups;
use crate::auth::Viewer;
use crate::clock::now;
use crate::error::{AppError, AppResult};
use crate::secrets::{keyed_hash, random_token};
use entity::enums::{MeetingStatus, RsvpStatus};
use entity::{calendar_feeds, groups, meeting_rsvps, meeting_series, meetings};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};

/// The path a feed is served under; the secret and `.ics` follow.
pub const PATH: &str = "/calendar/";
/// Meetings one feed holds at most.
const MOST_EVENTS: u64 = 1000;
/// How far back a feed reaches (recent meetings stay in the calendar).
const BACK_DAYS: i64 = 30;
/// The neutral title of every event of a feed without names.
pub const NEUTRAL_TITLE: &str = "Hearth meeting";

fn hash(key: &str, secret: &str) -> String {
    keyed_hash(key, &format!("calendar:{secret}"))
}

/// Makes (or replaces) my feed and returns its path, relative to the API's origin.
pub async fn create(
    db: &DatabaseConnection,
    key: &str,
    viewer: &Viewer,
    show_group_names: bool,
) -> AppResult<String> {
    let secret = random_token();
    calendar_feeds::Entity::insert(calendar_feeds::ActiveModel {
        user_id: Set(viewer.user_id.clone()),
        token_hash: Set(hash(key, &secret)),
        show_group_names: Set(show_group_names),
        created_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(calendar_feeds::Column::UserId)
            .update_columns([
                calendar_feeds::Column::TokenHash,
                calendar_feeds::Column::ShowGroupNames,
                calendar_feeds::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(format!("{PATH}{secret}.ics"))
}

/// Ends my feed; whether there was one.
pub async fn revoke(db: &DatabaseConnection, viewer: &Viewer) -> AppResult<bool> {
    let removed = calendar_feeds::Entity::delete_by_id(viewer.user_id.clone())
        .exec(db)
        .await?;
    Ok(removed.rows_affected > 0)
}

/// The feed behind a secret (`NOT_FOUND` for one that is unknown or revoked): the meetings its
/// owner is going to in groups they are still in, from a month back to a year ahead, as they
/// stand now (a cancelled one says so, for calendars to strike it).
pub async fn feed(db: &impl ConnectionTrait, key: &str, secret: &str) -> AppResult<String> {
    if secret.is_empty() || secret.len() > 64 {
        return Err(AppError::NotFound);
    }
    let owner = calendar_feeds::Entity::find()
        .filter(calendar_feeds::Column::TokenHash.eq(hash(key, secret)))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let going = Query::select()
        .column(meeting_rsvps::Column::MeetingId)
        .from(meeting_rsvps::Entity)
        .and_where(meeting_rsvps::Column::UserId.eq(&owner.user_id))
        .and_where(meeting_rsvps::Column::Status.eq(RsvpStatus::Going.as_str()))
        .to_owned();
    let at = now();
    let rows = meetings::Entity::find()
        .filter(meetings::Column::Id.in_subquery(going))
        .filter(in_my_groups(&owner.user_id))
        .filter(meetings::Column::StartsAt.gte(at - chrono::Duration::days(BACK_DAYS)))
        .order_by_asc(meetings::Column::StartsAt)
        .limit(MOST_EVENTS)
        .all(db)
        .await?;
    let series_ids: HashSet<_> = rows.iter().map(|m| m.series_id.clone()).collect();
    let series: HashMap<_, _> = meeting_series::Entity::find()
        .filter(meeting_series::Column::Id.is_in(series_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let names: HashMap<_, _> = if owner.show_group_names {
        let group_ids: HashSet<_> = rows.iter().map(|m| m.group_id.clone()).collect();
        groups::Entity::find()
            .filter(groups::Column::Id.is_in(group_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|g| (g.id.clone(), g.name))
            .collect()
    } else {
        HashMap::new()
    };
    let mut events = Vec::with_capacity(rows.len());
    for meeting in rows {
        let Some(series) = series.get(&meeting.series_id) else {
            continue;
        };
        let zone = super::series::zone_of(series)?;
        let summary = match names.get(&meeting.group_id) {
            Some(group) => format!("{} ({group})", series.title),
            None => NEUTRAL_TITLE.to_owned(),
        };
        events.push(Event {
            uid: format!("{}@hearth", meeting.id),
            starts_at: meeting.starts_at,
            ends_at: meeting.ends_at,
            zone,
            summary,
            cancelled: meeting.status == MeetingStatus::Cancelled,
            stamp: meeting.updated_at,
        });
    }
    Ok(ical::calendar("Hearth", &events))
}

//! Meetings one by one: found for the one asking, listed (a group's coming meetings, mine
//! across my groups, a series' meetings in a range), cancelled and moved.
use super::access::{locked, require_sees_meetings, HORIZON_DAYS};
use super::rows::selected;
pub use super::rows::Listed;
use super::telling::{cancel_in, forget_reminders, tell};
use crate::auth::Viewer;
use crate::broker::Committed;
use crate::clock::now;
use crate::community::access::{ban_in_force, group_access, GroupAccess};
use crate::community::vocabulary::MemberState;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::ids::{MeetingId, MeetingSeriesId, UserId};
use crate::notifications::service::NotificationKind;
use crate::pagination::{keyset_query, Order, Page, PageArgs};
use chrono::{DateTime, Utc};
use entity::enums::MeetingStatus;
use entity::{bans, meetings, memberships};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Statement,
};
use std::sync::LazyLock;

/// The widest range one `occurrences` read covers.
pub const WIDEST_RANGE_DAYS: i64 = 366;
/// The most meetings one `occurrences` read returns (a weekly series has 53 in a year; moved
/// meetings may join them).
pub const MOST_IN_RANGE: u64 = 120;

/// A group's meetings still to come (or under way), soonest first; cancelled ones are left
/// out. Empty for anyone who may not see them.
pub async fn coming_in_group(
    db: &impl ConnectionTrait,
    access: &GroupAccess,
    person: Option<&UserId>,
    page: &PageArgs,
) -> AppResult<Page<Listed>> {
    if require_sees_meetings(access).is_err() {
        return Ok(Page::from_rows(Vec::new(), page));
    }
    let query = meetings::Entity::find()
        .filter(meetings::Column::GroupId.eq(&access.group.id))
        .filter(meetings::Column::Status.eq(MeetingStatus::Scheduled.as_str()))
        .filter(meetings::Column::EndsAt.gt(now()));
    soonest_with_series(db, query, person, page).await
}

/// What a page selects of the meetings chosen (`p`), their series and the reader's answer.
static PAGE_COLUMNS: LazyLock<String> = LazyLock::new(|| selected("p"));

/// One page of `query`, soonest first, each meeting with its series and `person`'s answer, in
/// one statement (the counts are in the meeting's row). The page is chosen first and only its
/// meetings are joined to their series and answers: joined before the limit, every meeting the
/// filter lets through was (about twice the page, for weekly groups). The limit is written
/// into the statement, as the posts' pages do (`posts::service`): bound, PostgreSQL may plan
/// the page anew at every call.
async fn soonest_with_series(
    db: &impl ConnectionTrait,
    query: Select<meetings::Entity>,
    person: Option<&UserId>,
    page: &PageArgs,
) -> AppResult<Page<Listed>> {
    let backend = db.get_database_backend();
    let mut query = keyset_query(
        query,
        meetings::Column::StartsAt,
        meetings::Column::Id,
        Order::OldestFirst,
        page,
    );
    QueryTrait::query(&mut query).reset_limit();
    let chosen = query.build(backend);
    let mut values = chosen.values.map(|v| v.0).unwrap_or_default();
    // Without a person, NULL: equal to nobody's answer.
    values.push(person.map(|p| p.as_str().to_owned()).into());
    let person_value = match backend {
        DbBackend::Postgres => format!("${}", values.len()),
        _ => "?".to_owned(),
    };
    let sql = format!(
        r#"SELECT {columns}
        FROM ({chosen} LIMIT {limit}) AS p
        JOIN meeting_series s ON s.id = p.series_id
        LEFT JOIN meeting_rsvps r ON r.meeting_id = p.id AND r.user_id = {person_value}
        ORDER BY p.starts_at, p.id"#,
        columns = *PAGE_COLUMNS,
        chosen = chosen.sql,
        limit = page.limit(),
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let listed = rows
        .iter()
        .map(Listed::from_row)
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(Page::from_rows(listed, page))
}

/// A condition on a meeting: in a group I am an active member of and not banned from now.
pub fn in_my_groups(user_id: &UserId) -> Condition {
    let mine = Query::select()
        .column(memberships::Column::GroupId)
        .from(memberships::Entity)
        .and_where(Expr::col(memberships::Column::UserId).eq(user_id))
        .and_where(Expr::col(memberships::Column::State).eq(MemberState::Active.as_str()))
        .to_owned();
    let banned = Query::select()
        .column(bans::Column::GroupId)
        .from(bans::Entity)
        .and_where(Expr::col(bans::Column::UserId).eq(user_id))
        .and_where(ban_in_force())
        .to_owned();
    Condition::all()
        .add(meetings::Column::GroupId.in_subquery(mine))
        .add(meetings::Column::GroupId.not_in_subquery(banned))
}

/// How far past the page's start `mine` looks first: a page of meetings from a person's weekly
/// groups is nearly always within it, and the database then reads a few meetings of each group
/// instead of a year of them.
const FIRST_LOOK: chrono::Duration = chrono::Duration::days(14);

/// The meetings still to come in all my groups, soonest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    page: &PageArgs,
) -> AppResult<Page<Listed>> {
    let at = now();
    let query = || {
        meetings::Entity::find()
            .filter(in_my_groups(&viewer.user_id))
            .filter(meetings::Column::Status.eq(MeetingStatus::Scheduled.as_str()))
            .filter(meetings::Column::EndsAt.gt(at))
    };
    let page_of = |query| soonest_with_series(db, query, Some(&viewer.user_id), page);
    let from = page
        .after
        .as_ref()
        .map_or(at, |cursor| Ord::max(cursor.at, at));
    let near = page_of(query().filter(meetings::Column::StartsAt.lt(from + FIRST_LOOK))).await?;
    if near.has_next {
        return Ok(near);
    }
    // The page is not full within the first look (or exactly full): the whole year decides.
    page_of(query()).await
}

/// A series' meetings starting in `[from, to)`, cancelled ones included (a calendar shows them
/// struck through). At most [`WIDEST_RANGE_DAYS`] at once.
pub async fn in_range(
    db: &impl ConnectionTrait,
    series_id: &MeetingSeriesId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<meetings::Model>> {
    if to <= from {
        return Err(AppError::bad_input("to", "must be after from"));
    }
    if (to - from).num_days() > WIDEST_RANGE_DAYS {
        return Err(AppError::bad_input(
            "to",
            format!("one read covers at most {WIDEST_RANGE_DAYS} days"),
        ));
    }
    Ok(meetings::Entity::find()
        .filter(meetings::Column::SeriesId.eq(series_id))
        .filter(meetings::Column::StartsAt.gte(from))
        .filter(meetings::Column::StartsAt.lt(to))
        .order_by_asc(meetings::Column::StartsAt)
        .limit(MOST_IN_RANGE)
        .all(db)
        .await?)
}

/// Cancels one meeting of a series; the series goes on. Moderators only.
pub async fn cancel(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &MeetingId,
) -> AppResult<Committed<meetings::Model>> {
    let txn = begin_write(db).await?;
    let meeting = locked(&txn, id).await?;
    let access = group_access(&txn, viewer, &meeting.group_id).await?;
    require_sees_meetings(&access)?;
    access.require_moderator()?;
    if meeting.status == MeetingStatus::Cancelled {
        txn.commit().await?;
        return Ok(Committed::quiet(meeting));
    }
    if meeting.ends_at <= now() {
        return Err(AppError::conflict("meetingId", "this meeting is over"));
    }
    let announce = cancel_in(&txn, &meeting).await?;
    let cancelled = meetings::Model {
        status: MeetingStatus::Cancelled,
        ..meeting
    };
    txn.commit().await?;
    Ok(Committed::new(cancelled, announce))
}

/// Moves one meeting to another start (its length kept); the series goes on as it was.
/// Moderators only; those coming are told.
pub async fn move_to(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &MeetingId,
    starts_at: DateTime<Utc>,
) -> AppResult<Committed<meetings::Model>> {
    let at = now();
    let latest = at + chrono::Duration::days(i64::try_from(HORIZON_DAYS).unwrap_or(366));
    if starts_at <= at || starts_at > latest {
        return Err(AppError::bad_input(
            "startsAt",
            "must be in the future, at most a year ahead",
        ));
    }
    let txn = begin_write(db).await?;
    let meeting = locked(&txn, id).await?;
    let access = group_access(&txn, viewer, &meeting.group_id).await?;
    require_sees_meetings(&access)?;
    access.require_moderator()?;
    if meeting.status == MeetingStatus::Cancelled {
        return Err(AppError::conflict(
            "meetingId",
            "this meeting was cancelled",
        ));
    }
    if meeting.ends_at <= at {
        return Err(AppError::conflict("meetingId", "this meeting is over"));
    }
    let ends_at = starts_at + (meeting.ends_at - meeting.starts_at);
    meetings::Entity::update_many()
        .col_expr(meetings::Column::StartsAt, Expr::value(starts_at))
        .col_expr(meetings::Column::EndsAt, Expr::value(ends_at))
        .col_expr(meetings::Column::Moved, Expr::value(true))
        .col_expr(meetings::Column::UpdatedAt, Expr::value(at))
        .filter(meetings::Column::Id.eq(&meeting.id))
        .exec(&txn)
        .await?;
    forget_reminders(&txn, &meeting).await?;
    let announce = tell(
        &txn,
        &meeting,
        NotificationKind::MeetingMoved,
        Some(&viewer.user_id),
    )
    .await?;
    let moved = meetings::Model {
        starts_at,
        ends_at,
        moved: true,
        updated_at: at,
        ..meeting
    };
    txn.commit().await?;
    Ok(Committed::new(moved, announce))
}

//! A meeting read with its series and one person's answer in one statement: for a list (a
//! page of meetings) and for an answer (the meeting locked).
//!
//! The rows are read by position, each model from the list of columns its statement selects:
//! read by name, every value cost a hashed lookup of its name, and each of the series' a
//! formatted prefix (8 % of the process's time in `bench meetings`).
use crate::db::statement;
use crate::error::{AppError, AppResult};
use crate::ids::{MeetingId, UserId};
use entity::enums::RsvpStatus;
use entity::{meeting_series, meetings};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};
use std::sync::LazyLock;

/// A meeting with its series and the answer of the one reading it.
pub struct Listed {
    pub meeting: meetings::Model,
    pub series: meeting_series::Model,
    pub mine: Option<RsvpStatus>,
}

/// Names a model's columns in one list, and reads the model from a row where those columns
/// come in that order from a given position: the statement and the reader cannot disagree,
/// and a column added to the model is a compile error here until it is listed.
macro_rules! positional {
    ($entity:ident, $columns:ident, $read:ident { $($field:ident),+ $(,)? }) => {
        const $columns: &[&str] = &[$(stringify!($field)),+];

        fn $read(row: &QueryResult, first: usize) -> Result<$entity::Model, DbErr> {
            let mut index = first..;
            Ok($entity::Model {
                $($field: row.try_get_by_index(index.next().unwrap_or(usize::MAX))?),+
            })
        }
    };
}

positional!(
    meetings,
    MEETING_COLUMNS,
    meeting_at {
        id,
        series_id,
        group_id,
        local_date,
        starts_at,
        ends_at,
        status,
        moved,
        going_count,
        maybe_count,
        waitlist_count,
        created_at,
        updated_at,
    }
);

positional!(
    meeting_series,
    SERIES_COLUMNS,
    series_at {
        id,
        group_id,
        title,
        description,
        time_zone,
        first_date,
        local_start_time,
        duration_minutes,
        frequency,
        until,
        capacity,
        facilitator_id,
        join_url,
        created_by,
        generated_until,
        cancelled_at,
        created_at,
        updated_at,
    }
);

/// What a statement selects: the meeting's columns of `meeting` (an alias), then the series'
/// of `s`, then the status of `r`, in the order [`Listed::from_row`] reads them.
pub fn selected(meeting: &str) -> String {
    let meeting_columns = MEETING_COLUMNS
        .iter()
        .map(|column| format!(r#"{meeting}."{column}""#));
    let series_columns = SERIES_COLUMNS
        .iter()
        .map(|column| format!(r#"s."{column}""#));
    meeting_columns
        .chain(series_columns)
        .chain(std::iter::once("r.status".to_owned()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Listed {
    /// A row of a statement selecting [`selected`].
    pub fn from_row(row: &QueryResult) -> Result<Listed, DbErr> {
        let series = MEETING_COLUMNS.len();
        let mine = series + SERIES_COLUMNS.len();
        Ok(Listed {
            meeting: meeting_at(row, 0)?,
            series: series_at(row, series)?,
            mine: row.try_get_by_index(mine)?,
        })
    }
}

/// The statement of [`locked_with_answer`], as PostgreSQL reads it.
static LOCKED_WITH_ANSWER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM meetings m
         JOIN meeting_series s ON s.id = m.series_id
         LEFT JOIN meeting_rsvps r ON r.meeting_id = m.id AND r.user_id = $2
         WHERE m.id = $1",
        selected("m")
    )
});

/// The meeting's row locked as [`super::access::locked`] locks it, read with its series and
/// `person`'s answer in the same statement: an answer's first round trip gives what it decides
/// on. `NOT_FOUND` when there is no such meeting.
pub async fn locked_with_answer(
    db: &impl ConnectionTrait,
    id: &MeetingId,
    person: &UserId,
) -> AppResult<Listed> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!("{} FOR UPDATE OF m", *LOCKED_WITH_ANSWER),
        // SQLite's write transactions are one at a time already.
        _ => LOCKED_WITH_ANSWER.clone(),
    };
    let values = vec![id.as_str().into(), person.as_str().into()];
    let row = db
        .query_one_raw(statement(backend, &sql, values))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Listed::from_row(&row)?)
}

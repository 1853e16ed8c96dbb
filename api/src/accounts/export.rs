//! Export my data: everything Hearth keeps about a person as one versioned JSON document (built
//! by the export jobs, `export_jobs.rs`), and mood check-ins as CSV for spreadsheets and
//! clinicians.
use crate::auth::Viewer;
use crate::clock::now;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::keys::fields::{EMAIL, MOOD_NOTE, SHARE_LABEL};
use crate::keys::{Field, PersonKey, Vault};
use chrono::{DateTime, Utc};
use entity::{
    answer_helpful, answers, bans, blocks, calendar_feeds, devices, experts, groups, meeting_rsvps,
    memberships, mood_checkins, mood_reminders, mood_share_accesses, mood_shares, notifications,
    push_preferences, question_follows, questions, reactions, replies, reports, sessions,
    thread_follows, users,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select};
use serde_json::{json, Map, Value};

/// The document's `version`: bumped when a field changes meaning or goes away.
pub const EXPORT_VERSION: u32 = 1;
/// The longest stretch one CSV export of check-ins covers.
const MAX_CSV_DAYS: i64 = 3 * 366;

/// Rows as JSON objects (column names as stored), without the named columns.
async fn rows<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    without: &[&str],
) -> AppResult<Value> {
    let rows = select.into_json().all(db).await?;
    Ok(Value::Array(
        rows.into_iter()
            .map(|mut row| {
                if let Value::Object(map) = &mut row {
                    for column in without {
                        map.remove(*column);
                    }
                }
                row
            })
            .collect(),
    ))
}

/// What is sealed in the document's sections, opened before it is handed over: the person gets
/// their own words in clear.
const SEALED: &[(&str, Field)] = &[
    ("profile", EMAIL),
    ("moodCheckins", MOOD_NOTE),
    ("moodShares", SHARE_LABEL),
];

/// Everything about one person. Secrets (password hash, token digests, push tokens, blind
/// indexes) are left out; so is what others wrote, except where it is about this person (a ban,
/// a notification).
pub async fn document(
    db: &impl ConnectionTrait,
    vault: &Vault,
    user_id: &UserId,
) -> AppResult<Value> {
    let me = user_id.as_str();
    let profile = users::Entity::find_by_id(user_id.clone());
    let mut profile = rows(
        db,
        profile,
        &["password_hash", "display_name_key", "email_index"],
    )
    .await?;
    let profile = profile
        .as_array_mut()
        .and_then(|rows| rows.pop())
        .ok_or(AppError::NotFound)?;
    let my_groups = memberships::Entity::find()
        .filter(memberships::Column::UserId.eq(me))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.group_id);
    let shares: Vec<_> = mood_shares::Entity::find()
        .filter(mood_shares::Column::UserId.eq(me))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut doc = Map::new();
    doc.insert("format".into(), json!("hearth-export"));
    doc.insert("version".into(), json!(EXPORT_VERSION));
    doc.insert("exportedAt".into(), json!(now()));
    doc.insert("profile".into(), profile);
    let sections: Vec<(&str, Value)> = vec![
        (
            "memberships",
            rows(
                db,
                memberships::Entity::find().filter(memberships::Column::UserId.eq(me)),
                &["alias_key"],
            )
            .await?,
        ),
        (
            "groups",
            rows(
                db,
                groups::Entity::find()
                    .filter(groups::Column::Id.is_in(my_groups))
                    .order_by_asc(groups::Column::Id),
                &[],
            )
            .await?,
        ),
        ("posts", rows(db, posts_of(me), &[]).await?),
        (
            "replies",
            rows(
                db,
                replies::Entity::find()
                    .filter(replies::Column::AuthorId.eq(me))
                    .order_by_asc(replies::Column::CreatedAt),
                &[],
            )
            .await?,
        ),
        (
            "reactions",
            rows(
                db,
                reactions::Entity::find().filter(reactions::Column::UserId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "questions",
            rows(
                db,
                questions::Entity::find()
                    .filter(questions::Column::AuthorId.eq(me))
                    .order_by_asc(questions::Column::CreatedAt),
                &[],
            )
            .await?,
        ),
        (
            "answers",
            rows(
                db,
                answers::Entity::find()
                    .filter(answers::Column::AuthorId.eq(me))
                    .order_by_asc(answers::Column::CreatedAt),
                &[],
            )
            .await?,
        ),
        (
            "helpfulMarks",
            rows(
                db,
                answer_helpful::Entity::find().filter(answer_helpful::Column::UserId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "questionFollows",
            rows(
                db,
                question_follows::Entity::find().filter(question_follows::Column::UserId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "threadFollows",
            rows(
                db,
                thread_follows::Entity::find().filter(thread_follows::Column::UserId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "moodCheckins",
            rows(
                db,
                mood_checkins::Entity::find()
                    .filter(mood_checkins::Column::UserId.eq(me))
                    .order_by_asc(mood_checkins::Column::LoggedAt),
                &[],
            )
            .await?,
        ),
        (
            "moodShares",
            rows(
                db,
                mood_shares::Entity::find().filter(mood_shares::Column::UserId.eq(me)),
                &["token_hash"],
            )
            .await?,
        ),
        (
            "moodShareAccesses",
            rows(
                db,
                mood_share_accesses::Entity::find()
                    .filter(mood_share_accesses::Column::ShareId.is_in(shares)),
                &[],
            )
            .await?,
        ),
        (
            "moodReminder",
            rows(
                db,
                mood_reminders::Entity::find().filter(mood_reminders::Column::UserId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "meetingAnswers",
            rows(
                db,
                meeting_rsvps::Entity::find()
                    .filter(meeting_rsvps::Column::UserId.eq(me))
                    .order_by_asc(meeting_rsvps::Column::AnsweredAt),
                &[],
            )
            .await?,
        ),
        (
            "calendarFeed",
            rows(
                db,
                calendar_feeds::Entity::find().filter(calendar_feeds::Column::UserId.eq(me)),
                &["token_hash"],
            )
            .await?,
        ),
        (
            "notifications",
            rows(
                db,
                notifications::Entity::find()
                    .filter(notifications::Column::UserId.eq(me))
                    .order_by_asc(notifications::Column::CreatedAt),
                &[],
            )
            .await?,
        ),
        (
            "pushPreferences",
            rows(
                db,
                push_preferences::Entity::find().filter(push_preferences::Column::UserId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "devices",
            rows(
                db,
                devices::Entity::find().filter(devices::Column::UserId.eq(me)),
                &["token", "token_index"],
            )
            .await?,
        ),
        (
            "sessions",
            rows(
                db,
                sessions::Entity::find().filter(sessions::Column::UserId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "blocks",
            rows(
                db,
                blocks::Entity::find().filter(blocks::Column::BlockerId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "bans",
            rows(
                db,
                bans::Entity::find().filter(bans::Column::UserId.eq(me)),
                &["banned_by"],
            )
            .await?,
        ),
        (
            "reportsFiled",
            rows(
                db,
                reports::Entity::find().filter(reports::Column::ReporterId.eq(me)),
                &[],
            )
            .await?,
        ),
        (
            "expertStanding",
            rows(
                db,
                experts::Entity::find().filter(experts::Column::UserId.eq(me)),
                &["granted_by"],
            )
            .await?,
        ),
    ];
    for (name, section) in sections {
        doc.insert(name.into(), section);
    }
    open_sealed(&mut doc, &vault.key_of(db, user_id).await?)?;
    Ok(Value::Object(doc))
}

/// Opens the sealed values of the document in place.
fn open_sealed(doc: &mut Map<String, Value>, key: &PersonKey) -> AppResult<()> {
    for (section, field) in SEALED {
        let rows: Vec<&mut Value> = match doc.get_mut(*section) {
            Some(Value::Array(rows)) => rows.iter_mut().collect(),
            Some(row @ Value::Object(_)) => vec![row],
            _ => continue,
        };
        for row in rows {
            let Value::Object(row) = row else { continue };
            let id = row
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(Value::String(stored)) = row.get(field.column) {
                let opened = key.open(*field, &id, stored)?;
                row.insert(field.column.to_owned(), Value::String(opened));
            }
        }
    }
    Ok(())
}

fn posts_of(me: &str) -> Select<entity::posts::Entity> {
    entity::posts::Entity::find()
        .filter(entity::posts::Column::AuthorId.eq(me))
        .order_by_asc(entity::posts::Column::CreatedAt)
}

/// My check-ins between two instants as CSV (RFC 4180): `logged_at,score,emotions,sleep_hours,
/// note`. A cell a spreadsheet would run as a formula is prefixed with `'`.
pub async fn moods_csv(
    db: &impl ConnectionTrait,
    vault: &Vault,
    viewer: &Viewer,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<String> {
    if to <= from {
        return Err(AppError::bad_input("to", "must be after `from`"));
    }
    if to - from > chrono::Duration::days(MAX_CSV_DAYS) {
        return Err(AppError::bad_input(
            "to",
            format!("one export covers at most {MAX_CSV_DAYS} days"),
        ));
    }
    let rows = mood_checkins::Entity::find()
        .filter(mood_checkins::Column::UserId.eq(&viewer.user_id))
        .filter(mood_checkins::Column::LoggedAt.gte(from))
        .filter(mood_checkins::Column::LoggedAt.lt(to))
        .order_by_asc(mood_checkins::Column::LoggedAt)
        .all(db)
        .await?;
    let key = vault.key_of(db, &viewer.user_id).await?;
    let mut csv = String::from("logged_at,score,emotions,sleep_hours,note\r\n");
    for row in rows {
        let note = key.open_opt(MOOD_NOTE, row.id.as_str(), row.note.as_deref())?;
        let sleep = row
            .sleep_quarters
            .map(|q| format!("{}", f64::from(q) / 4.0))
            .unwrap_or_default();
        let cells = [
            row.logged_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            row.score.to_string(),
            row.emotions.replace(',', ";"),
            sleep,
            note.unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    Ok(csv)
}

fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

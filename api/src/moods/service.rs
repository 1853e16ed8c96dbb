//! Logging, correcting, deleting and listing one's own check-ins. Every lookup is by owner:
//! someone else's check-in is `NOT_FOUND`. Scores and notes are never logged. A note is stored
//! sealed under its owner's data key; the models handed out of here hold it opened.
use super::emotions::Emotion;
use crate::auth::Viewer;
use crate::clock::now;
use crate::clock::supported_instant_opt;
use crate::content::idempotency_key;
use crate::db::{begin_write, find_keyed, insert_keyed, Keyed};
use crate::error::{AppError, AppResult};
use crate::ids::{CheckinId, UserId};
use crate::keys::fields::MOOD_NOTE;
use crate::keys::{PersonKey, Vault};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use crate::safety::has_crisis_language;
use chrono::{DateTime, Duration, Utc};
use entity::mood_checkins;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

/// How far back a check-in may be dated.
pub const BACKDATE_LIMIT_DAYS: i64 = 7;
/// Phone clocks run a little fast; a `loggedAt` this far ahead still counts as now.
const CLOCK_SKEW: Duration = Duration::minutes(2);
const NOTE_MAX: usize = 1_000;
const EMOTIONS_MAX: usize = 10;

pub struct NewCheckin {
    pub score: i32,
    pub emotions: Vec<Emotion>,
    pub note: Option<String>,
    pub sleep_hours: Option<f64>,
    pub logged_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

/// Changes to a check-in; `None` leaves a field as it is, `Some(None)` clears it.
pub struct CheckinChanges {
    pub score: Option<i32>,
    pub emotions: Option<Vec<Emotion>>,
    pub note: Option<Option<String>>,
    pub sleep_hours: Option<Option<f64>>,
    pub logged_at: Option<DateTime<Utc>>,
}

/// A check-in as written, and whether it calls for crisis resources.
pub struct Logged {
    pub row: mood_checkins::Model,
    pub worrying: bool,
}

impl Logged {
    fn new(row: mood_checkins::Model) -> Self {
        let worrying = row.score <= 2 || row.note.as_deref().is_some_and(has_crisis_language);
        Logged { row, worrying }
    }
}

fn score(raw: i32) -> AppResult<i16> {
    match i16::try_from(raw) {
        Ok(s) if (1..=10).contains(&s) => Ok(s),
        _ => Err(AppError::bad_input(
            "score",
            "must be a whole number from 1 to 10",
        )),
    }
}

fn emotions(raw: &[Emotion]) -> AppResult<String> {
    let stored = Emotion::store(raw);
    if Emotion::load(&stored).len() > EMOTIONS_MAX {
        return Err(AppError::bad_input(
            "emotions",
            format!("at most {EMOTIONS_MAX} emotions"),
        ));
    }
    Ok(stored)
}

fn note(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > NOTE_MAX {
        return Err(AppError::bad_input(
            "note",
            format!("must be at most {NOTE_MAX} characters"),
        ));
    }
    Ok(Some(text.to_owned()))
}

fn sleep_quarters(raw: Option<f64>) -> AppResult<Option<i16>> {
    let Some(hours) = raw else { return Ok(None) };
    let quarters = hours * 4.0;
    if !(0.0..=24.0).contains(&hours) || quarters.fract() != 0.0 {
        return Err(AppError::bad_input(
            "sleepHours",
            "must be 0 to 24 in steps of 0.25",
        ));
    }
    // In 0..=96 after the check above.
    Ok(Some(quarters as i16))
}

fn logged_at(raw: Option<DateTime<Utc>>, at: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    let Some(when) = raw else { return Ok(at) };
    if when > at + CLOCK_SKEW {
        return Err(AppError::bad_input("loggedAt", "cannot be in the future"));
    }
    if when < at - Duration::days(BACKDATE_LIMIT_DAYS) {
        return Err(AppError::bad_input(
            "loggedAt",
            format!("may be back-dated at most {BACKDATE_LIMIT_DAYS} days"),
        ));
    }
    Ok(when.min(at))
}

pub async fn log(
    db: &DatabaseConnection,
    vault: &Vault,
    viewer: &Viewer,
    input: NewCheckin,
) -> AppResult<Logged> {
    let at = now();
    let score = score(input.score)?;
    let emotions = emotions(&input.emotions)?;
    let note = note(input.note.as_deref())?;
    let sleep = sleep_quarters(input.sleep_hours)?;
    let when = logged_at(input.logged_at, at)?;
    let key = idempotency_key(input.idempotency_key.as_deref())?;
    if let Some(earlier) = earlier(db, viewer, key.as_deref()).await? {
        return Ok(Logged::new(open_one(db, vault, earlier).await?));
    }
    let id = CheckinId::generate();
    let sealed = match &note {
        None => None,
        Some(note) => {
            let owner = vault.key_for_writing(db, &viewer.user_id).await?;
            Some(owner.seal(MOOD_NOTE, id.as_str(), note)?)
        }
    };
    let txn = begin_write(db).await?;
    let row = mood_checkins::ActiveModel {
        id: Set(id),
        user_id: Set(viewer.user_id.clone()),
        score: Set(score),
        emotions: Set(emotions),
        note: Set(sealed),
        sleep_quarters: Set(sleep),
        logged_at: Set(when),
        idempotency_key: Set(key.clone()),
        created_at: Set(at),
        updated_at: Set(at),
    };
    // The same retry may race in on another connection: then answer with what it wrote.
    match insert_keyed(txn, row, || earlier(db, viewer, key.as_deref())).await? {
        Keyed::Fresh(mut row, txn) => {
            txn.commit().await?;
            row.note = note;
            Ok(Logged::new(row))
        }
        Keyed::Earlier(row) => Ok(Logged::new(open_one(db, vault, row).await?)),
    }
}

async fn open_one(
    db: &impl ConnectionTrait,
    vault: &Vault,
    row: mood_checkins::Model,
) -> AppResult<mood_checkins::Model> {
    let owner = row.user_id.clone();
    let mut rows = open_notes(db, vault, &owner, vec![row]).await?;
    rows.pop().ok_or(AppError::NotFound)
}

/// The check-in with its note opened.
pub fn opened(owner: &PersonKey, mut row: mood_checkins::Model) -> AppResult<mood_checkins::Model> {
    row.note = owner.open_opt(MOOD_NOTE, row.id.as_str(), row.note.as_deref())?;
    Ok(row)
}

/// Check-ins of one person with their notes opened.
pub async fn open_notes(
    db: &impl ConnectionTrait,
    vault: &Vault,
    owner: &UserId,
    rows: Vec<mood_checkins::Model>,
) -> AppResult<Vec<mood_checkins::Model>> {
    if rows.iter().all(|row| row.note.is_none()) {
        return Ok(rows);
    }
    let key = vault.key_of(db, owner).await?;
    rows.into_iter().map(|row| opened(&key, row)).collect()
}

async fn earlier(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    key: Option<&str>,
) -> AppResult<Option<mood_checkins::Model>> {
    let columns = (
        mood_checkins::Column::UserId,
        mood_checkins::Column::IdempotencyKey,
    );
    find_keyed::<mood_checkins::Entity>(db, columns, &viewer.user_id, key).await
}

/// One of my check-ins, its note opened; anyone else's is `NOT_FOUND`.
pub async fn read_mine(
    db: &impl ConnectionTrait,
    vault: &Vault,
    viewer: &Viewer,
    id: &CheckinId,
) -> AppResult<mood_checkins::Model> {
    open_one(db, vault, mine(db, viewer, id).await?).await
}

/// One of my check-ins as stored; anyone else's is `NOT_FOUND`.
pub async fn mine(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: &CheckinId,
) -> AppResult<mood_checkins::Model> {
    mood_checkins::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .filter(|row| row.user_id == viewer.user_id)
        .ok_or(AppError::NotFound)
}

pub async fn update(
    db: &DatabaseConnection,
    vault: &Vault,
    viewer: &Viewer,
    id: &CheckinId,
    changes: CheckinChanges,
) -> AppResult<Logged> {
    let at = now();
    let owner = vault.key_for_writing(db, &viewer.user_id).await?;
    let txn = begin_write(db).await?;
    let row = mine(&txn, viewer, id).await?;
    let mut active: mood_checkins::ActiveModel = row.into();
    if let Some(raw) = changes.score {
        active.score = Set(score(raw)?);
    }
    if let Some(raw) = &changes.emotions {
        active.emotions = Set(emotions(raw)?);
    }
    if let Some(raw) = &changes.note {
        let note = note(raw.as_deref())?;
        active.note = Set(owner.seal_opt(MOOD_NOTE, id.as_str(), note.as_deref())?);
    }
    if let Some(raw) = changes.sleep_hours {
        active.sleep_quarters = Set(sleep_quarters(raw)?);
    }
    if let Some(raw) = changes.logged_at {
        active.logged_at = Set(logged_at(Some(raw), at)?);
    }
    active.updated_at = Set(at);
    let row = active.update(&txn).await?;
    txn.commit().await?;
    Ok(Logged::new(opened(&owner, row)?))
}

pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: &CheckinId) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let row = mine(&txn, viewer, id).await?;
    mood_checkins::Entity::delete_by_id(row.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// My check-ins between two instants (either end open), newest first.
pub async fn list(
    db: &DatabaseConnection,
    vault: &Vault,
    user_id: &UserId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> AppResult<Page<mood_checkins::Model>> {
    let from = supported_instant_opt("from", from)?;
    let to = supported_instant_opt("to", to)?;
    let mut query = mood_checkins::Entity::find().filter(mood_checkins::Column::UserId.eq(user_id));
    if let Some(from) = from {
        query = query.filter(mood_checkins::Column::LoggedAt.gte(from));
    }
    if let Some(to) = to {
        query = query.filter(mood_checkins::Column::LoggedAt.lt(to));
    }
    let page = keyset_page(
        db,
        query,
        mood_checkins::Column::LoggedAt,
        mood_checkins::Column::Id,
        Order::NewestFirst,
        page,
    )
    .await?;
    Ok(Page {
        items: open_notes(db, vault, user_id, page.items).await?,
        has_next: page.has_next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_of_each_field() {
        assert!(score(0).is_err());
        assert!(score(11).is_err());
        assert_eq!(score(1).unwrap(), 1);
        assert_eq!(score(10).unwrap(), 10);
        assert_eq!(sleep_quarters(Some(7.25)).unwrap(), Some(29));
        assert_eq!(sleep_quarters(Some(0.0)).unwrap(), Some(0));
        assert_eq!(sleep_quarters(Some(24.0)).unwrap(), Some(96));
        assert!(sleep_quarters(Some(7.3)).is_err());
        assert!(sleep_quarters(Some(24.25)).is_err());
        assert!(sleep_quarters(Some(-0.25)).is_err());
        assert!(note(Some(&"a".repeat(1_000))).is_ok());
        assert!(note(Some(&"a".repeat(1_001))).is_err());
        assert_eq!(note(Some("   ")).unwrap(), None);
        let at = now();
        assert!(logged_at(Some(at + Duration::hours(1)), at).is_err());
        assert!(logged_at(Some(at - Duration::days(8)), at).is_err());
        assert!(logged_at(Some(at - Duration::days(6)), at).is_ok());
    }
}

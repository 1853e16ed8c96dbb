//! Data exports as durable jobs. The app asks (`request`); a worker builds the document
//! (`build_due`; a crash loses nothing, since a claim expires and the job is taken again) and
//! keeps it for an hour; the app polls and downloads it through a signed link that stops
//! working when the asking session is signed out. Expired exports are deleted.
use super::export;
use crate::auth::Viewer;
use crate::broker::{Announcements, Committed, Event};
use crate::clock::now;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::ids::{ExportJobId, SessionId};
use crate::keys::fields::EXPORT_DOCUMENT;
use crate::keys::Vault;
use crate::rate_limit::RateLimiter;
use crate::secrets::keyed_hash;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use entity::enums::ExportState;
use entity::{export_jobs, sessions};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set,
};
use std::io::{Read as _, Write as _};
use std::time::Duration;

/// How long a built export is kept (and its link works).
pub const KEPT_FOR: Duration = Duration::from_secs(3600);
/// How long an export may wait for a worker before it is dropped.
const WAITS_FOR: Duration = Duration::from_secs(24 * 3600);
/// Exports one person may ask for in an hour.
const PER_HOUR: u32 = 5;
/// How long a worker's claim on a job holds.
const LEASE: Duration = Duration::from_secs(300);
/// Jobs one claim takes.
const BATCH: i64 = 4;

/// Asks for an export. One that is still being built is returned again instead of a second.
pub async fn request(
    db: &DatabaseConnection,
    limiter: &RateLimiter,
    viewer: &Viewer,
) -> AppResult<Committed<export_jobs::Model>> {
    let at = now();
    let waiting = export_jobs::Entity::find()
        .filter(export_jobs::Column::UserId.eq(&viewer.user_id))
        .filter(export_jobs::Column::State.eq(ExportState::Pending))
        .filter(export_jobs::Column::ExpiresAt.gt(at))
        .one(db)
        .await?;
    if let Some(job) = waiting {
        return Ok(Committed::quiet(job));
    }
    limiter.hourly("export", &viewer.user_id, PER_HOUR).await?;
    let txn = begin_write(db).await?;
    let job = export_jobs::ActiveModel {
        id: Set(ExportJobId::generate()),
        user_id: Set(viewer.user_id.clone()),
        session_id: Set(viewer.session_id.clone()),
        state: Set(ExportState::Pending),
        document: Set(None),
        bytes: Set(None),
        claimed_by: Set(None),
        claimed_until: Set(None),
        created_at: Set(at),
        ready_at: Set(None),
        expires_at: Set(at + chrono::Duration::from_std(WAITS_FOR).map_err(AppError::internal)?),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let mut announce = Announcements::default();
    announce.event(Event::ExportRequested);
    Ok(Committed::new(job, announce))
}

/// One of my exports that has not expired; `NOT_FOUND` for anyone else's.
pub async fn mine(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &ExportJobId,
) -> AppResult<export_jobs::Model> {
    export_jobs::Entity::find_by_id(id.clone())
        .filter(export_jobs::Column::UserId.eq(&viewer.user_id))
        .filter(export_jobs::Column::ExpiresAt.gt(now()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The download token of a built export: its id, owner, asking session and expiry, signed.
pub fn token(key: &str, job: &export_jobs::Model) -> Option<String> {
    if job.state != ExportState::Ready {
        return None;
    }
    let payload = format!(
        "{}:{}:{}:{}",
        job.id,
        job.user_id,
        job.session_id,
        job.expires_at.timestamp()
    );
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&payload);
    Some(format!("{encoded}.{}", signature(key, &payload)))
}

fn signature(key: &str, payload: &str) -> String {
    keyed_hash(key, &format!("export:{payload}"))
}

/// The document behind a download token, if the token is genuine, the export is built and not
/// expired, and the session that asked is still signed in; `NOT_FOUND` otherwise.
pub async fn open(
    db: &impl ConnectionTrait,
    vault: &Vault,
    key: &str,
    token: &str,
) -> AppResult<String> {
    let (encoded, given) = token.split_once('.').ok_or(AppError::NotFound)?;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(AppError::NotFound)?;
    if signature(key, &payload) != given {
        return Err(AppError::NotFound);
    }
    let Some(job_id) = payload.split(':').next() else {
        return Err(AppError::NotFound);
    };
    let at = now();
    let job = export_jobs::Entity::find_by_id(ExportJobId::from(job_id))
        .one(db)
        .await?
        .filter(|job| job.expires_at > at)
        .ok_or(AppError::NotFound)?;
    let live = sessions::Entity::find_by_id(SessionId::from(job.session_id.as_str()))
        .one(db)
        .await?
        .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > at);
    match &job.document {
        Some(document) if live => {
            let owner = vault.key_of(db, &job.user_id).await?;
            let packed = owner.open_bytes(EXPORT_DOCUMENT, job.id.as_str(), document)?;
            unpack(&packed, job.bytes)
        }
        _ => Err(AppError::NotFound),
    }
}

/// Deletes expired exports, then claims due ones and builds them; returns how many it built.
pub async fn build_due(
    db: &DatabaseConnection,
    vault: &Vault,
    worker_id: &str,
) -> AppResult<usize> {
    export_jobs::Entity::delete_many()
        .filter(export_jobs::Column::ExpiresAt.lte(now()))
        .exec(db)
        .await?;
    let jobs = claim(db, worker_id).await?;
    for job in &jobs {
        let started = std::time::Instant::now();
        let document = export::document(db, vault, &job.user_id).await?.to_string();
        let read = started.elapsed();
        let bytes = document.len() as i64;
        // Kept sealed under the person's key while it waits: erasing the account (or the key)
        // leaves nothing readable of it.
        let owner = vault.key_for_writing(db, &job.user_id).await?;
        let document = owner.seal_bytes(EXPORT_DOCUMENT, job.id.as_str(), &pack(&document)?)?;
        let sealed = started.elapsed() - read;
        let at = now();
        let kept = chrono::Duration::from_std(KEPT_FOR).map_err(AppError::internal)?;
        export_jobs::Entity::update_many()
            .col_expr(export_jobs::Column::State, Expr::value(ExportState::Ready))
            .col_expr(export_jobs::Column::Bytes, Expr::value(bytes))
            .col_expr(export_jobs::Column::Document, Expr::value(document))
            .col_expr(export_jobs::Column::ReadyAt, Expr::value(at))
            .col_expr(export_jobs::Column::ExpiresAt, Expr::value(at + kept))
            .col_expr(
                export_jobs::Column::ClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                export_jobs::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(
                Condition::all()
                    .add(export_jobs::Column::Id.eq(job.id.as_str()))
                    .add(export_jobs::Column::ClaimedBy.eq(worker_id)),
            )
            .exec(db)
            .await?;
        tracing::info!(
            export = %job.id,
            read_ms = read.as_millis() as u64,
            packed_and_sealed_ms = sealed.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "data export built"
        );
    }
    Ok(jobs.len())
}

/// The document compressed before it is sealed: sealed bytes do not compress, and the
/// database would otherwise keep the whole JSON at full size.
fn pack(document: &str) -> AppResult<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(document.as_bytes())
        .map_err(AppError::internal)?;
    encoder.finish().map_err(AppError::internal)
}

/// The document back from what `pack` made, read no further than the length recorded when it
/// was built (a stream that holds more or less is not the document). A document kept in clear (built before documents were sealed, then sealed as it
/// was by the backfill) is not compressed and is returned as it is.
fn unpack(packed: &[u8], bytes: Option<i64>) -> AppResult<String> {
    if !packed.starts_with(&GZIP_MAGIC) {
        return String::from_utf8(packed.to_vec()).map_err(|_| AppError::Unreadable);
    }
    let bound = bytes.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    let mut document = String::new();
    GzDecoder::new(packed)
        .take(bound.saturating_add(1))
        .read_to_string(&mut document)
        .map_err(|_| AppError::Unreadable)?;
    if document.len() as u64 != bound {
        return Err(AppError::Unreadable);
    }
    Ok(document)
}

/// How a gzip stream begins (RFC 1952); JSON never does.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Takes up to `BATCH` pending exports nobody holds (or whose holder's claim expired).
async fn claim(db: &DatabaseConnection, worker_id: &str) -> AppResult<Vec<export_jobs::Model>> {
    let at = now();
    let until = at + chrono::Duration::from_std(LEASE).map_err(AppError::internal)?;
    crate::db::claim_jobs::<export_jobs::Entity>(
        db,
        "UPDATE export_jobs SET claimed_by = $1, claimed_until = $2 \
         WHERE id IN (SELECT id FROM export_jobs WHERE state = 'PENDING' \
           AND (claimed_until IS NULL OR claimed_until < $3) \
           ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING id, user_id, session_id, state, document, bytes, claimed_by, \
         claimed_until, created_at, ready_at, expires_at",
        vec![worker_id.into(), until.into(), at.into(), BATCH.into()],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_document_unpacks_to_itself_and_is_smaller() {
        let document = serde_json::json!({"moods": vec!["a note of a mood"; 500]}).to_string();
        let packed = pack(&document).unwrap();
        assert!(packed.len() * 10 < document.len(), "{} bytes", packed.len());
        assert_eq!(
            unpack(&packed, Some(document.len() as i64)).unwrap(),
            document
        );
    }

    #[test]
    fn a_document_in_clear_is_returned_as_it_is() {
        assert_eq!(
            unpack(b"{\"moods\":[]}", Some(12)).unwrap(),
            "{\"moods\":[]}"
        );
    }

    #[test]
    fn a_stream_longer_or_shorter_than_recorded_is_unreadable() {
        let packed = pack(&"x".repeat(1 << 20)).unwrap();
        assert!(matches!(
            unpack(&packed, Some(1000)),
            Err(AppError::Unreadable)
        ));
        assert!(matches!(
            unpack(&packed, Some(2 << 20)),
            Err(AppError::Unreadable)
        ));
        assert!(matches!(unpack(&packed, None), Err(AppError::Unreadable)));
    }
}

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
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set,
};
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
            owner.open(EXPORT_DOCUMENT, job.id.as_str(), document)
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
        let document = export::document(db, vault, &job.user_id).await?.to_string();
        let bytes = document.len() as i64;
        // Kept sealed under the person's key while it waits: erasing the account (or the key)
        // leaves nothing readable of it.
        let owner = vault.key_for_writing(db, &job.user_id).await?;
        let document = owner.seal(EXPORT_DOCUMENT, job.id.as_str(), &document)?;
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
        tracing::info!(export = %job.id, "data export built");
    }
    Ok(jobs.len())
}

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

//! The mail worker: claims due mails (PostgreSQL `FOR UPDATE SKIP LOCKED`; a claim expires if
//! its worker dies), sends them, and deletes each once sent. A transient failure is retried
//! with backoff; a mail refused for good, or no longer of use, is dropped with a warning.
use super::transport::{Failure, Mailer};
use crate::broker::Topic;
use crate::broker::WorkerHandles;
use crate::clock::now;
use crate::config::MailSettings;
use crate::error::AppResult;
use crate::keys::Vault;
use crate::mail::outbox;
use entity::mail_jobs;
use rand::Rng as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Mails one claim takes.
const BATCH: i64 = 32;
/// How long a claim holds: longer than a few SMTP conversations.
const LEASE: Duration = Duration::from_secs(120);
/// How often the worker looks for due mails when nothing woke it.
const SWEEP: Duration = Duration::from_secs(5);
/// The longest wait between two tries of one mail.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

pub fn spawn(app: WorkerHandles, mailer: Mailer, settings: MailSettings, stop: CancellationToken) {
    let worker_id = uuid::Uuid::now_v7().to_string();
    tokio::spawn(async move {
        let mut wake = app.broker.subscribe(&Topic::Mail);
        tracing::info!(worker = %worker_id, "mail worker started");
        loop {
            match run_once(&app.db, &app.vault, &mailer, &worker_id, &settings).await {
                Ok(claimed) if claimed as i64 >= BATCH => continue,
                Ok(_) => {}
                Err(err) => err.log_internal(),
            }
            // Sleep until the next retry falls due, a new mail wakes us, or the sweep.
            let pause = match next_due(&app.db).await {
                Ok(Some(due)) => (due - now()).to_std().unwrap_or_default().min(SWEEP),
                Ok(None) => SWEEP,
                Err(err) => {
                    err.log_internal();
                    SWEEP
                }
            };
            tokio::select! {
                _ = wake.recv() => {},
                () = tokio::time::sleep(pause) => {},
                () = stop.cancelled() => return,
            }
        }
    });
}

/// Claims due mails and sends them one after another; returns how many it claimed.
pub async fn run_once(
    db: &DatabaseConnection,
    vault: &Vault,
    mailer: &Mailer,
    worker_id: &str,
    settings: &MailSettings,
) -> AppResult<usize> {
    let jobs = claim(db, worker_id).await?;
    for job in &jobs {
        let at = now();
        let outcome = if job.expires_at <= at {
            Err(Failure::Permanent("expired before it could be sent".into()))
        } else {
            match outbox::address(vault, job) {
                Some(to) => mailer.send(&to, &job.subject, &job.body).await,
                None => Err(Failure::Permanent("its address does not open".into())),
            }
        };
        let mine = Condition::all()
            .add(mail_jobs::Column::Id.eq(job.id.as_str()))
            .add(mail_jobs::Column::ClaimedBy.eq(worker_id));
        match outcome {
            Ok(()) => {
                mail_jobs::Entity::delete_many()
                    .filter(mine)
                    .exec(db)
                    .await?;
                tracing::info!(job = %job.id, "mail sent");
            }
            Err(Failure::Permanent(why)) => {
                mail_jobs::Entity::delete_many()
                    .filter(mine)
                    .exec(db)
                    .await?;
                tracing::warn!(job = %job.id, reason = %why, "mail dropped");
            }
            Err(Failure::Transient(why)) => {
                let attempts = job.attempts + 1;
                let due = at + retry_delay(settings.retry_base, attempts);
                tracing::warn!(job = %job.id, attempts, reason = %why, "mail not sent; will retry");
                mail_jobs::Entity::update_many()
                    .col_expr(mail_jobs::Column::Attempts, Expr::value(attempts))
                    .col_expr(mail_jobs::Column::DueAt, Expr::value(due))
                    .col_expr(mail_jobs::Column::LastError, Expr::value(why))
                    .col_expr(
                        mail_jobs::Column::ClaimedBy,
                        Expr::value(Option::<String>::None),
                    )
                    .col_expr(
                        mail_jobs::Column::ClaimedUntil,
                        Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                    )
                    .filter(mine)
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(jobs.len())
}

/// When the earliest mail not held by a worker falls due.
async fn next_due(db: &DatabaseConnection) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(mail_jobs::Entity::find()
        .select_only()
        .column_as(mail_jobs::Column::DueAt.min(), "due")
        .filter(mail_jobs::Column::ClaimedBy.is_null())
        .into_tuple::<Option<chrono::DateTime<chrono::Utc>>>()
        .one(db)
        .await?
        .flatten())
}

/// Takes up to `BATCH` due mails (or mails whose claim expired) for this worker.
async fn claim(db: &DatabaseConnection, worker_id: &str) -> AppResult<Vec<mail_jobs::Model>> {
    let at = now();
    let until =
        at + chrono::Duration::from_std(LEASE).unwrap_or_else(|_| chrono::Duration::minutes(2));
    crate::db::claim_jobs::<mail_jobs::Entity>(
        db,
        "UPDATE mail_jobs SET claimed_by = $1, claimed_until = $2 \
         WHERE id IN (SELECT id FROM mail_jobs \
           WHERE due_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3) \
           ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING id, to_address, to_index, subject, body, attempts, due_at, claimed_by, \
         claimed_until, expires_at, last_error, created_at",
        vec![worker_id.into(), until.into(), at.into(), BATCH.into()],
    )
    .await
}

/// Doubling from `base` with each attempt, plus up to a quarter of `base` of jitter, capped.
fn retry_delay(base: Duration, attempts: i32) -> chrono::Duration {
    let doubling = base
        .saturating_mul(1 << (attempts - 1).clamp(0, 16))
        .min(MAX_DELAY);
    let jitter =
        Duration::from_millis(rand::rng().random_range(0..=base.as_millis().max(1) as u64 / 4));
    chrono::Duration::from_std(doubling + jitter).unwrap_or_else(|_| chrono::Duration::minutes(15))
}

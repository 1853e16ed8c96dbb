//! Push workers: claim due jobs (PostgreSQL `FOR UPDATE SKIP LOCKED`; a claim expires if its
//! worker dies), deliver one request per device, and record the outcome. Woken through the
//! broker when jobs are queued, with a periodic sweep as a safety net.
use super::fcm::{Outcome, Sender};
use super::message::{self, Preview};
use super::preferences::{self, quiet_until};
use crate::broker::Topic;
use crate::error::AppResult;
use crate::notifications::service::{self as notifications};
use crate::pagination::now;
use crate::state::AppContext;
use chrono::{DateTime, Utc};
use entity::{devices, groups, posts, push_jobs, replies};
use futures::StreamExt as _;
use rand::Rng as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Jobs one claim takes.
const BATCH: u64 = 50;
/// Jobs one worker delivers at the same time.
const IN_FLIGHT: usize = 16;
/// How often a worker looks for due jobs when nothing woke it.
const SWEEP: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// How long a claim holds; a job whose worker died is taken again after it.
    pub lease: Duration,
    pub max_attempts: i32,
    /// First retry delay; doubles with each attempt (plus jitter), or what `Retry-After` says.
    pub retry_base: Duration,
}

pub fn spawn(app: AppContext, config: WorkerConfig, stop: CancellationToken) {
    let worker_id = uuid::Uuid::now_v7().to_string();
    tokio::spawn(async move {
        let mut wake = app.broker.subscribe(&Topic::Push);
        tracing::info!(worker = %worker_id, "push worker started");
        loop {
            match run_once(&app, &app.push, &worker_id, &config).await {
                Ok(claimed) if claimed as u64 >= BATCH => continue,
                Ok(_) => {}
                Err(err) => err.log_internal(),
            }
            tokio::select! {
                _ = wake.recv() => {},
                () = tokio::time::sleep(SWEEP) => {},
                () = stop.cancelled() => return,
            }
        }
    });
}

/// Claims due jobs and delivers them; returns how many it claimed.
pub async fn run_once(
    app: &AppContext,
    sender: &Sender,
    worker_id: &str,
    config: &WorkerConfig,
) -> AppResult<usize> {
    let jobs = claim(app, worker_id, config).await?;
    let claimed = jobs.len();
    // Jobs are independent: several in flight at once keep FCM's HTTP/2 connection busy.
    let outcomes: Vec<AppResult<()>> = futures::stream::iter(jobs)
        .map(|job| deliver(app, sender, worker_id, config, job))
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    outcomes.into_iter().collect::<AppResult<Vec<()>>>()?;
    Ok(claimed)
}

/// Takes up to `BATCH` due jobs (or jobs whose claim expired) for this worker.
pub async fn claim(
    app: &AppContext,
    worker_id: &str,
    config: &WorkerConfig,
) -> AppResult<Vec<push_jobs::Model>> {
    let at = now();
    let until = at
        + chrono::Duration::from_std(config.lease)
            .unwrap_or_else(|_| chrono::Duration::seconds(60));
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE push_jobs SET state = 'CLAIMED', claimed_by = $1, claimed_until = $2, updated_at = $3 \
             WHERE id IN (SELECT id FROM push_jobs \
               WHERE (state = 'PENDING' AND due_at <= $3) OR (state = 'CLAIMED' AND claimed_until < $3) \
               ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING *"
        }
        // SQLite has one writer at a time (BEGIN IMMEDIATE): the same claim without row locks.
        _ => {
            "UPDATE push_jobs SET state = 'CLAIMED', claimed_by = ?1, claimed_until = ?2, updated_at = ?3 \
             WHERE id IN (SELECT id FROM push_jobs \
               WHERE (state = 'PENDING' AND due_at <= ?3) OR (state = 'CLAIMED' AND claimed_until < ?3) \
               ORDER BY due_at LIMIT ?4) \
             RETURNING *"
        }
    };
    let txn = crate::db::begin_write(&app.db).await?;
    let jobs = push_jobs::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            sql,
            [
                worker_id.into(),
                until.into(),
                at.into(),
                (BATCH as i64).into(),
            ],
        ))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(jobs)
}

enum Fate {
    Sent(Option<String>),
    Dropped(String),
    Collapsed,
    Deferred(DateTime<Utc>),
    Retry(Option<Duration>, String),
}

async fn deliver(
    app: &AppContext,
    sender: &Sender,
    worker_id: &str,
    config: &WorkerConfig,
    job: push_jobs::Model,
) -> AppResult<()> {
    let fate = decide(app, sender, &job).await?;
    let at = now();
    let mut update = push_jobs::Entity::update_many()
        .col_expr(
            push_jobs::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            push_jobs::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(push_jobs::Column::UpdatedAt, Expr::value(at));
    let (state, error) = match fate {
        Fate::Sent(note) => ("SENT", note),
        Fate::Dropped(why) => {
            tracing::warn!(job = %job.id, reason = %why, "push dropped");
            ("DROPPED", Some(why))
        }
        Fate::Collapsed => ("COLLAPSED", None),
        Fate::Deferred(until) => {
            update = update.col_expr(push_jobs::Column::DueAt, Expr::value(until));
            (
                "PENDING",
                Some("deferred to the end of quiet hours".to_owned()),
            )
        }
        Fate::Retry(after, why) => {
            let attempts = job.attempts + 1;
            update = update.col_expr(push_jobs::Column::Attempts, Expr::value(attempts));
            if attempts >= config.max_attempts {
                tracing::warn!(job = %job.id, attempts, "push failed for good");
                ("FAILED", Some(why))
            } else {
                let doubling = config
                    .retry_base
                    .saturating_mul(1 << (attempts - 1).clamp(0, 16));
                let jitter = Duration::from_millis(
                    rand::rng().random_range(0..=config.retry_base.as_millis().max(1) as u64 / 4),
                );
                let wait = after.map_or(doubling + jitter, |after| after.max(doubling));
                let due = at
                    + chrono::Duration::from_std(wait)
                        .unwrap_or_else(|_| chrono::Duration::seconds(60));
                update = update.col_expr(push_jobs::Column::DueAt, Expr::value(due));
                ("PENDING", Some(why))
            }
        }
    };
    update
        .col_expr(push_jobs::Column::State, Expr::value(state))
        .col_expr(push_jobs::Column::LastError, Expr::value(error))
        .filter(push_jobs::Column::Id.eq(job.id.as_str()))
        .filter(push_jobs::Column::ClaimedBy.eq(worker_id))
        .exec(&app.db)
        .await?;
    Ok(())
}

async fn decide(app: &AppContext, sender: &Sender, job: &push_jobs::Model) -> AppResult<Fate> {
    let db = &app.db;
    let prefs = preferences::get(db, &job.user_id).await?;
    if !prefs.push_enabled || prefs.disabled_kinds.split(',').any(|k| k == job.kind) {
        return Ok(Fate::Dropped("push turned off".into()));
    }
    if let Some(end) = quiet_until(&prefs, Utc::now()) {
        // Deferred, never dropped; repeats about one post wait as one.
        let twin = push_jobs::Entity::find()
            .filter(push_jobs::Column::UserId.eq(job.user_id.as_str()))
            .filter(push_jobs::Column::Id.ne(job.id.as_str()))
            .filter(push_jobs::Column::State.eq("PENDING"))
            .filter(push_jobs::Column::CollapseKey.eq(job.collapse_key.clone()))
            .filter(push_jobs::Column::DueAt.gte(end))
            .one(db)
            .await?;
        return Ok(if twin.is_some() {
            Fate::Collapsed
        } else {
            Fate::Deferred(end)
        });
    }
    let tokens = devices::Entity::find()
        .filter(devices::Column::UserId.eq(job.user_id.as_str()))
        .all(db)
        .await?;
    if tokens.is_empty() {
        return Ok(Fate::Sent(Some("no devices".into())));
    }
    let notification = match &job.notification_id {
        Some(id) => notifications::find(db, &job.user_id, id).await?,
        None => None,
    };
    let unread = notifications::unread_count(db, &job.user_id).await?;
    let preview = if prefs.previews {
        preview_of(app, notification.as_ref()).await?
    } else {
        None
    };

    let mut retry: Option<(Option<Duration>, String)> = None;
    let mut invalid = None;
    let mut delivered = false;
    for device in tokens {
        let message = message::build(
            &device.token,
            job,
            notification.as_ref(),
            unread,
            preview.as_ref(),
        );
        match sender.send(message).await {
            Outcome::Sent => delivered = true,
            Outcome::Unregistered => {
                devices::Entity::delete_by_id(device.id.clone())
                    .exec(db)
                    .await?;
                tracing::info!(device = %device.id, "FCM says the token is gone; device removed");
            }
            Outcome::Invalid(why) => invalid = Some(why),
            Outcome::Retry(after) => {
                let longest = match &retry {
                    Some((Some(before), _)) => after.map(|a| a.max(*before)).or(Some(*before)),
                    _ => after,
                };
                retry = Some((longest, "FCM asked to retry".into()));
            }
        }
    }
    Ok(match (retry, invalid, delivered) {
        (Some((after, why)), _, _) => Fate::Retry(after, why),
        (None, Some(why), false) => Fate::Dropped(why),
        _ => Fate::Sent(None),
    })
}

/// The group's name and the first words of the reply (or post title), for opted-in previews.
async fn preview_of(
    app: &AppContext,
    notification: Option<&entity::notifications::Model>,
) -> AppResult<Option<Preview>> {
    let Some(n) = notification else {
        return Ok(None);
    };
    let Some(group_id) = &n.group_id else {
        return Ok(None);
    };
    let Some(group) = groups::Entity::find_by_id(group_id.clone())
        .one(&app.db)
        .await?
    else {
        return Ok(None);
    };
    let text = match (&n.reply_id, &n.post_id) {
        (Some(reply), _) => replies::Entity::find_by_id(reply.clone())
            .one(&app.db)
            .await?
            .map(|r| r.body),
        (None, Some(post)) => posts::Entity::find_by_id(post.clone())
            .one(&app.db)
            .await?
            .map(|p| p.title),
        _ => None,
    };
    Ok(text.map(|text| Preview {
        group_name: group.name,
        first_words: message::first_words(&text, 80),
    }))
}

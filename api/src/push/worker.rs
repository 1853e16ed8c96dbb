//! Push workers: claim due jobs (PostgreSQL `FOR UPDATE SKIP LOCKED`; a claim expires if its
//! worker dies), deliver one request per device, and record the outcome. Woken through the
//! broker when jobs are queued, with a periodic sweep as a safety net.
use super::fcm::{Outcome, Sender};
use super::message;
use super::preferences::{self, quiet_until};
use super::recheck::{Recheck, Verdict};
use crate::broker::WorkerHandles;
use crate::broker::{Envelope, Topic};
use crate::clock::now;
use crate::config::PushWorkerSettings;
use crate::error::AppResult;
use crate::ids::{DeviceId, NotificationId, PushJobId, UserId};
use crate::keys::fields::DEVICE_TOKEN;
use crate::keys::Vault;
use crate::notifications::service::NotificationKind;
use chrono::{DateTime, Utc};
use entity::enums::PushJobState;
use entity::notifications as notifications_table;
use entity::{devices, push_jobs, push_preferences};
use futures::StreamExt as _;
use rand::Rng as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::TryRecvError;
use tokio_util::sync::CancellationToken;

/// Jobs one lane delivers at the same time: its whole claim, so that a claim costs one round
/// trip to FCM (about 40 ms on a real network), not one per 64 jobs. The lanes together stay
/// within what the sender keeps connections for.
const IN_FLIGHT: usize = super::fcm::IN_FLIGHT / LANES;
/// Jobs one claim takes.
const BATCH: u64 = IN_FLIGHT as u64;
/// How often a worker looks for due jobs when nothing woke it.
const SWEEP: Duration = Duration::from_secs(5);

/// How long a lane waits after a wake-up before it claims. Every reply that tells someone wakes
/// the workers; claimed at once, a busy minute costs a claim, four reads and a record for every
/// reply. Gathered, one claim takes what a burst queued.
const GATHER: Duration = Duration::from_millis(20);

/// Claims one worker works through at the same time: while one claim waits on FCM, the next is
/// taken and read, so the database's part of a claim hides behind the network's. Three smaller
/// claims kept PostgreSQL at 10 000 pushes a second more steadily than two larger ones
/// (BENCHMARKS.md).
const LANES: usize = 3;

pub fn spawn(
    app: WorkerHandles,
    sender: Sender,
    config: PushWorkerSettings,
    stop: CancellationToken,
) {
    for _ in 0..LANES {
        // Each lane claims under an id of its own, so it records only the jobs it holds.
        let lane_id = uuid::Uuid::now_v7().to_string();
        tracing::info!(worker = %lane_id, "push worker lane started");
        let (app, sender) = (app.clone(), sender.clone());
        let (config, stop) = (config.clone(), stop.clone());
        tokio::spawn(async move {
            let mut wake = app.broker.subscribe(&Topic::Push);
            loop {
                match run_once(&app, &sender, &lane_id, &config).await {
                    Ok(claimed) if claimed as u64 >= BATCH => continue,
                    Ok(_) => {}
                    Err(err) => err.log_internal(),
                }
                tokio::select! {
                    _ = wake.recv() => gather(&mut wake, &stop).await,
                    () = tokio::time::sleep(SWEEP) => {},
                    () = stop.cancelled() => return,
                }
            }
        });
    }
}

/// Lets [`GATHER`] pass after a wake-up, then forgets the wake-ups that came meanwhile: the
/// claim that follows takes their jobs.
async fn gather(
    wake: &mut tokio::sync::broadcast::Receiver<Arc<Envelope>>,
    stop: &CancellationToken,
) {
    tokio::select! {
        () = tokio::time::sleep(GATHER) => {},
        () = stop.cancelled() => return,
    }
    while let Ok(_) | Err(TryRecvError::Lagged(_)) = wake.try_recv() {}
}

/// Claims due jobs and delivers them; returns how many it claimed. What the jobs need is read
/// for the whole claim at once, and their outcomes are written in a few statements.
pub async fn run_once(
    app: &WorkerHandles,
    sender: &Sender,
    worker_id: &str,
    config: &PushWorkerSettings,
) -> AppResult<usize> {
    let jobs = claim(app, worker_id, config).await?;
    let claimed = jobs.len();
    if jobs.is_empty() {
        return Ok(0);
    }
    let recipients = Recipients::load(&app.db, &app.vault, &jobs).await?;
    // Jobs are independent: several in flight at once keep FCM's HTTP/2 connection busy.
    let fates: Vec<AppResult<(push_jobs::Model, Fate)>> = futures::stream::iter(jobs)
        .map(|job| {
            let recipients = &recipients;
            async move {
                let fate = decide(app, sender, recipients, &job).await?;
                Ok((job, fate))
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    // A job that could not be decided keeps its claim until it expires and is tried again; the
    // others' outcomes are recorded, so what was sent is not sent twice.
    let mut decided = Vec::with_capacity(fates.len());
    for fate in fates {
        match fate {
            Ok(fate) => decided.push(fate),
            Err(err) => err.log_internal(),
        }
    }
    record(&app.db, worker_id, config, decided).await?;
    Ok(claimed)
}

/// What the jobs of one claim need to know about their people and what they are about, read in
/// a few statements for the whole claim.
struct Recipients {
    preferences: HashMap<UserId, push_preferences::Model>,
    devices: HashMap<UserId, Vec<devices::Model>>,
    unread: HashMap<UserId, u64>,
    notifications: HashMap<NotificationId, notifications_table::Model>,
    /// Whether each notification may still reach its person, as things stand now.
    recheck: Recheck,
}

impl Recipients {
    async fn load(
        db: &DatabaseConnection,
        vault: &Vault,
        jobs: &[push_jobs::Model],
    ) -> AppResult<Self> {
        let users: Vec<&UserId> = jobs
            .iter()
            .map(|j| &j.user_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let preferences = push_preferences::Entity::find()
            .filter(push_preferences::Column::UserId.is_in(users.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.user_id.clone(), p))
            .collect();
        let mut devices: HashMap<UserId, Vec<devices::Model>> = HashMap::new();
        let keys = vault.keys_of(db, &users).await?;
        for mut device in devices::Entity::find()
            .filter(devices::Column::UserId.is_in(users.iter().copied()))
            .all(db)
            .await?
        {
            let Some(key) = keys.get(&device.user_id) else {
                continue;
            };
            // The token is opened only here, to be handed to FCM.
            match key.open(DEVICE_TOKEN, device.id.as_str(), &device.token) {
                Ok(token) => device.token = token,
                Err(_) => continue,
            }
            devices
                .entry(device.user_id.clone())
                .or_default()
                .push(device);
        }
        let unread = notifications_table::Entity::find()
            .select_only()
            .column(notifications_table::Column::UserId)
            .column_as(notifications_table::Column::Id.count(), "unread")
            .filter(notifications_table::Column::UserId.is_in(users.iter().copied()))
            .filter(notifications_table::Column::ReadAt.is_null())
            .group_by(notifications_table::Column::UserId)
            .into_tuple::<(UserId, i64)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(user, n)| (user, n.unsigned_abs()))
            .collect();
        let notifications = notifications_table::Entity::find()
            .filter(
                notifications_table::Column::Id
                    .is_in(jobs.iter().filter_map(|j| j.notification_id.as_ref())),
            )
            .all(db)
            .await?
            .into_iter()
            .map(|n| (n.id.clone(), n))
            .collect::<HashMap<_, _>>();
        let recheck = Recheck::load(db, notifications.values()).await?;
        Ok(Recipients {
            preferences,
            devices,
            unread,
            notifications,
            recheck,
        })
    }
}

/// Takes up to `BATCH` jobs for this worker: those whose claim expired first, then due ones.
pub async fn claim(
    app: &WorkerHandles,
    worker_id: &str,
    config: &PushWorkerSettings,
) -> AppResult<Vec<push_jobs::Model>> {
    let at = now();
    let until = at
        + chrono::Duration::from_std(config.lease)
            .unwrap_or_else(|_| chrono::Duration::seconds(60));
    crate::db::claim_jobs::<push_jobs::Entity>(
        &app.db,
        // Two index scans of (state, due_at), each stopping at the batch: one `OR` of the two
        // made PostgreSQL read and sort the whole table on every claim.
        "WITH lapsed AS (SELECT id FROM push_jobs WHERE state = 'CLAIMED' AND claimed_until < $3 \
           ORDER BY claimed_until LIMIT $4 FOR UPDATE SKIP LOCKED), \
         due AS (SELECT id FROM push_jobs WHERE state = 'PENDING' AND due_at <= $3 \
           ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
         UPDATE push_jobs SET state = 'CLAIMED', claimed_by = $1, claimed_until = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM lapsed UNION ALL SELECT id FROM due LIMIT $4) \
         RETURNING id, user_id, notification_id, kind, collapse_key, state, attempts, due_at, \
         claimed_by, claimed_until, last_error, delivered_to, created_at, updated_at",
        vec![
            worker_id.into(),
            until.into(),
            at.into(),
            (BATCH as i64).into(),
        ],
    )
    .await
}

enum Fate {
    Sent(Option<String>),
    Dropped(String),
    Collapsed,
    Deferred(DateTime<Utc>),
    /// Try again later; the devices listed already have it and are not sent it again.
    Retry(Option<Duration>, String, Vec<DeviceId>),
}

/// Writes the outcomes of one claim: finished jobs in one statement per outcome, retried and
/// deferred ones each with their own due time. Only rows this worker still holds are touched.
async fn record(
    db: &DatabaseConnection,
    worker_id: &str,
    config: &PushWorkerSettings,
    fates: Vec<(push_jobs::Model, Fate)>,
) -> AppResult<()> {
    let at = now();
    let mut finished: HashMap<(PushJobState, Option<String>), Vec<PushJobId>> = HashMap::new();
    let txn = crate::db::begin_write(db).await?;
    for (job, fate) in fates {
        let rescheduled = match fate {
            Fate::Sent(note) => {
                finished
                    .entry((PushJobState::Sent, note))
                    .or_default()
                    .push(job.id);
                continue;
            }
            Fate::Dropped(why) => {
                tracing::warn!(job = %job.id, reason = %why, "push dropped");
                finished
                    .entry((PushJobState::Dropped, Some(why)))
                    .or_default()
                    .push(job.id);
                continue;
            }
            Fate::Collapsed => {
                finished
                    .entry((PushJobState::Collapsed, None))
                    .or_default()
                    .push(job.id);
                continue;
            }
            Fate::Deferred(until) => released(worker_id, at)
                .col_expr(push_jobs::Column::DueAt, Expr::value(until))
                .col_expr(push_jobs::Column::State, Expr::value(PushJobState::Pending))
                .col_expr(
                    push_jobs::Column::LastError,
                    Expr::value("deferred to the end of quiet hours"),
                ),
            Fate::Retry(after, why, delivered) => {
                let attempts = job.attempts + 1;
                let update = released(worker_id, at)
                    .col_expr(push_jobs::Column::Attempts, Expr::value(attempts))
                    .col_expr(push_jobs::Column::LastError, Expr::value(why))
                    .col_expr(
                        push_jobs::Column::DeliveredTo,
                        Expr::value((!delivered.is_empty()).then(|| {
                            delivered
                                .iter()
                                .map(DeviceId::as_str)
                                .collect::<Vec<_>>()
                                .join(",")
                        })),
                    );
                if attempts >= config.max_attempts {
                    tracing::warn!(job = %job.id, attempts, "push failed for good");
                    update.col_expr(push_jobs::Column::State, Expr::value(PushJobState::Failed))
                } else {
                    update
                        .col_expr(push_jobs::Column::State, Expr::value(PushJobState::Pending))
                        .col_expr(
                            push_jobs::Column::DueAt,
                            Expr::value(at + retry_delay(config, attempts, after)),
                        )
                }
            }
        };
        rescheduled
            .filter(push_jobs::Column::Id.eq(job.id.as_str()))
            .exec(&txn)
            .await?;
    }
    for ((state, error), ids) in finished {
        released(worker_id, at)
            .col_expr(push_jobs::Column::State, Expr::value(state))
            .col_expr(push_jobs::Column::LastError, Expr::value(error))
            .filter(push_jobs::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// An update of jobs this worker holds that gives up the claim.
fn released(worker_id: &str, at: DateTime<Utc>) -> sea_orm::UpdateMany<push_jobs::Entity> {
    push_jobs::Entity::update_many()
        .col_expr(
            push_jobs::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            push_jobs::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(push_jobs::Column::UpdatedAt, Expr::value(at))
        .filter(push_jobs::Column::ClaimedBy.eq(worker_id))
}

/// Exponential backoff with jitter, or what `Retry-After` asked if that is longer.
fn retry_delay(
    config: &PushWorkerSettings,
    attempts: i32,
    after: Option<Duration>,
) -> chrono::Duration {
    let doubling = config
        .retry_base
        .saturating_mul(1 << (attempts - 1).clamp(0, 16));
    let jitter = Duration::from_millis(
        rand::rng().random_range(0..=config.retry_base.as_millis().max(1) as u64 / 4),
    );
    let wait = after.map_or(doubling + jitter, |after| after.max(doubling));
    chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::seconds(60))
}

async fn decide(
    app: &WorkerHandles,
    sender: &Sender,
    recipients: &Recipients,
    job: &push_jobs::Model,
) -> AppResult<Fate> {
    let db = &app.db;
    let prefs = recipients
        .preferences
        .get(&job.user_id)
        .cloned()
        .unwrap_or_else(|| preferences::defaults(&job.user_id));
    if !prefs.push_enabled || preferences::disabled_kinds(&prefs)?.contains(&job.kind) {
        return Ok(Fate::Dropped("push turned off".into()));
    }
    // Asked again now, not when the job was written: quiet hours and retries can hold a job for
    // hours, while the person leaves, is banned, blocks someone or the words are deleted.
    let notification = match &job.notification_id {
        None => None,
        Some(id) => match recipients.notifications.get(id) {
            Some(n) if n.user_id == job.user_id => Some(n),
            _ => return Ok(Fate::Dropped("the notification is gone".into())),
        },
    };
    if let Some(Verdict::Drop(why)) = notification.map(|n| recipients.recheck.verdict(n)) {
        return Ok(Fate::Dropped(why.into()));
    }
    // A reminder the person set for a time of their choosing is not held by quiet hours.
    let chosen_time = job.kind == NotificationKind::MoodReminder
        || (job.kind == NotificationKind::MeetingReminder && prefs.meetings_in_quiet_hours);
    if let Some(end) = quiet_until(&prefs, Utc::now()).filter(|_| !chosen_time) {
        // Deferred, never dropped; repeats about one post wait as one. The twin may already
        // wait (pending until the end), or be an older job held by a claim this very moment:
        // by this lane's other jobs or another lane's. Such a twin is deferred the same way, so
        // only the newer of two claimed twins yields, and neither waits for the other's record.
        let older = Condition::any()
            .add(push_jobs::Column::CreatedAt.lt(job.created_at))
            .add(
                Condition::all()
                    .add(push_jobs::Column::CreatedAt.eq(job.created_at))
                    .add(push_jobs::Column::Id.lt(job.id.as_str())),
            );
        let twin = push_jobs::Entity::find()
            .filter(push_jobs::Column::UserId.eq(job.user_id.as_str()))
            .filter(push_jobs::Column::Id.ne(job.id.as_str()))
            .filter(push_jobs::Column::CollapseKey.eq(job.collapse_key.clone()))
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(push_jobs::Column::State.eq(PushJobState::Pending))
                            .add(push_jobs::Column::DueAt.gte(end)),
                    )
                    .add(
                        Condition::all()
                            .add(push_jobs::Column::State.eq(PushJobState::Claimed))
                            .add(older),
                    ),
            )
            .one(db)
            .await?;
        return Ok(if twin.is_some() {
            Fate::Collapsed
        } else {
            Fate::Deferred(end)
        });
    }
    let tokens = recipients
        .devices
        .get(&job.user_id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if tokens.is_empty() {
        return Ok(Fate::Sent(Some("no devices".into())));
    }
    let unread = recipients.unread.get(&job.user_id).copied().unwrap_or(0);
    // Someone else's crisis words never go on a lock screen, previews or not.
    let previewable = job.kind != NotificationKind::CrisisFlag;
    let preview = notification
        .filter(|_| prefs.previews && previewable)
        .and_then(|n| recipients.recheck.preview(n));

    let mut retry: Option<(Option<Duration>, String)> = None;
    let mut invalid = None;
    // Devices that got it on an earlier attempt of this job are not sent it again.
    let mut have_it: Vec<DeviceId> = job
        .delivered_to
        .as_deref()
        .map(|ids| ids.split(',').map(DeviceId::from).collect())
        .unwrap_or_default();
    let mut delivered = !have_it.is_empty();
    let waiting: Vec<&devices::Model> =
        tokens.iter().filter(|d| !have_it.contains(&d.id)).collect();
    for device in waiting {
        let message = message::build(&device.token, job, notification, unread, preview.as_ref());
        match sender.send(message).await {
            Outcome::Sent => {
                delivered = true;
                have_it.push(device.id.clone());
            }
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
        (Some((after, why)), _, _) => Fate::Retry(after, why, have_it),
        (None, Some(why), false) => Fate::Dropped(why),
        _ => Fate::Sent(None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PushWorkerSettings {
        PushWorkerSettings {
            lease: Duration::from_secs(60),
            max_attempts: 8,
            retry_base: Duration::from_secs(1),
        }
    }

    fn waits(attempts: i32, after: Option<Duration>) -> Vec<chrono::Duration> {
        (0..200)
            .map(|_| retry_delay(&settings(), attempts, after))
            .collect()
    }

    #[test]
    fn the_backoff_doubles_with_each_attempt_plus_a_quarter_of_jitter() {
        for (attempts, doubling_ms) in [(1, 1_000), (2, 2_000), (3, 4_000), (5, 16_000)] {
            let waits = waits(attempts, None);
            let low = chrono::Duration::milliseconds(doubling_ms);
            let high = low + chrono::Duration::milliseconds(250);
            assert!(
                waits.iter().all(|w| *w >= low && *w <= high),
                "attempt {attempts}: {waits:?}"
            );
            // 200 draws from 0..=250 ms: all zero would be chance of 251^-200.
            assert!(
                waits.iter().any(|w| *w > low),
                "no jitter at attempt {attempts}"
            );
        }
    }

    #[test]
    fn retry_after_wins_only_when_longer() {
        let asked = Duration::from_secs(30);
        assert!(waits(1, Some(asked))
            .iter()
            .all(|w| *w == chrono::Duration::seconds(30)));
        let short = Duration::from_millis(10);
        assert!(waits(2, Some(short))
            .iter()
            .all(|w| *w == chrono::Duration::seconds(2)));
    }

    #[test]
    fn the_backoff_stops_doubling_after_sixteen() {
        let capped = waits(40, None);
        let most = chrono::Duration::seconds(1 << 16);
        assert!(capped
            .iter()
            .all(|w| *w >= most && *w <= most + chrono::Duration::milliseconds(250)));
    }
}

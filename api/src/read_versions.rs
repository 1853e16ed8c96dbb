//! The versions of what kept reads show, as the database counts them. Every row written to a
//! table a group page or a feed shows adds one to a scope's version in the write's own
//! transaction, from a trigger (migration 000026): a group's (`g:`), a group's membership
//! (`m:`, what access to it rests on), or a person's (`p:`, their blocks, memberships, reactions
//! and profile). A read that may be kept first notes the versions of the
//! scopes it shows, then reads; what it read is served again only while those versions are still
//! the ones known here. A write in one group leaves every other group's reads as they were.
//!
//! This instance learns new versions by asking the database, never by being told what changed:
//! - after every mutation run here, before its answer leaves ([`ReadVersions::check_since`]);
//! - when another instance says it ran one (`Event::ReadsChanged`, which carries nothing else);
//! - every `read_check_every` (400 ms), whatever was heard.
//!
//! A version is trusted for [`BOUND`] from the start of the check that read it, and not after:
//! an instance that missed every word, or cannot reach the database, serves no kept read older
//! than that.
use crate::broker::{Broker, Event, Topic};
use crate::error::{AppError, AppResult};
use crate::ids::{GroupId, UserId};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, StatementBuilder, TransactionTrait};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// Longest a version is trusted after the start of the check that read it.
pub const BOUND: Duration = Duration::from_secs(1);
/// Scopes asked in one statement.
const CHUNK: usize = 500;
/// A scope's rows past this many are folded into one when it is checked.
const FOLD_PAST: i64 = 32;
/// Most scopes followed at once; past it, all are forgotten and read again as used.
const MOST_KNOWN: usize = 200_000;

/// What a read shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Anything that shows in a group: its posts, replies, reactions, members, row.
    Group(GroupId),
    /// The group itself and who is in it (its row, memberships, bans): what access rests on.
    Membership(GroupId),
    /// What one person sees and shows of themselves: their blocks, memberships, reactions,
    /// name and standing.
    Person(UserId),
}

impl Scope {
    /// As the triggers write it.
    fn key(&self) -> String {
        match self {
            Scope::Group(id) => format!("g:{id}"),
            Scope::Membership(id) => format!("m:{id}"),
            Scope::Person(id) => format!("p:{id}"),
        }
    }
}

/// A scope's version as a read saw it.
pub type Seen = (Scope, i64);

struct Known {
    version: i64,
    /// When the check that read it began.
    checked: Instant,
    /// When a read last asked for it: scopes unused for a while are no longer checked.
    used: Instant,
}

pub struct ReadVersions {
    db: DatabaseConnection,
    /// Scopes unused this long are dropped (reads kept longer are not served anyway).
    unused_after: Duration,
    known: Mutex<HashMap<Scope, Known>>,
    /// When the last complete check of every known scope began; one check runs at a time.
    last_check: tokio::sync::Mutex<Option<Instant>>,
}

impl ReadVersions {
    /// Versions read from `db`, for reads kept at most `keep`.
    pub fn new(db: DatabaseConnection, keep: Duration) -> Self {
        ReadVersions {
            db,
            unused_after: keep.max(BOUND),
            known: Mutex::new(HashMap::new()),
            last_check: tokio::sync::Mutex::new(None),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<Scope, Known>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The versions of `scopes` now, read from the database for those not known within
    /// [`BOUND`]. Asked before the read they guard.
    pub async fn seen(&self, scopes: &[Scope]) -> AppResult<Vec<Seen>> {
        let now = Instant::now();
        let missing: Vec<Scope> = {
            let mut known = self.known();
            scopes
                .iter()
                .filter(|scope| match known.get_mut(*scope) {
                    Some(k) if now.duration_since(k.checked) < BOUND => {
                        k.used = now;
                        false
                    }
                    _ => true,
                })
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            let started = Instant::now();
            let found = read(&self.db, &missing).await?;
            self.learn(&missing, &found, started);
        }
        let mut known = self.known();
        for scope in &missing {
            if let Some(k) = known.get_mut(scope) {
                k.used = now;
            }
        }
        Ok(scopes
            .iter()
            .map(|scope| {
                let version = known.get(scope).map_or(-1, |k| k.version);
                (scope.clone(), version)
            })
            .collect())
    }

    /// Whether what was read having seen `seen` still shows what the database holds: each
    /// version is still the one known, and known within [`BOUND`].
    pub fn current(&self, seen: &[Seen]) -> bool {
        let now = Instant::now();
        let known = self.known();
        seen.iter().all(|(scope, version)| {
            known
                .get(scope)
                .is_some_and(|k| k.version == *version && now.duration_since(k.checked) < BOUND)
        })
    }

    /// Checks every scope in use against the database, unless a check that began at or after
    /// `since` has ended meanwhile (one check covers every write committed before it began).
    /// A check that fails forgets every version, so nothing kept is served until read again.
    pub async fn check_since(&self, since: Instant) {
        let mut last = self.last_check.lock().await;
        if last.is_some_and(|began| began >= since) {
            return;
        }
        let began = Instant::now();
        let scopes: Vec<Scope> = {
            let mut known = self.known();
            known.retain(|_, k| began.duration_since(k.used) < self.unused_after);
            known.keys().cloned().collect()
        };
        match self.check(&scopes, began).await {
            Ok(()) => *last = Some(began),
            Err(err) => {
                tracing::warn!(error = %err.message(), "checking read versions failed");
                self.forget();
            }
        }
    }

    async fn check(&self, scopes: &[Scope], began: Instant) -> AppResult<()> {
        for chunk in scopes.chunks(CHUNK) {
            let found = read(&self.db, chunk).await?;
            self.learn(chunk, &found, began);
            for (key, (_, rows)) in &found {
                // A fold that fails (two instances folding one scope at once) changes no
                // version: it is tried again at the next check.
                if *rows > FOLD_PAST {
                    if let Err(err) = fold(&self.db, key).await {
                        tracing::warn!(error = %err.message(), "folding read versions failed");
                    }
                }
            }
        }
        Ok(())
    }

    /// Takes what a check begun at `began` found for `asked` (a scope with no row is at 0).
    fn learn(&self, asked: &[Scope], found: &HashMap<String, (i64, i64)>, began: Instant) {
        let mut known = self.known();
        if known.len() + asked.len() > MOST_KNOWN {
            known.clear();
        }
        for scope in asked {
            let version = found.get(&scope.key()).map_or(0, |(version, _)| *version);
            let entry = known.entry(scope.clone()).or_insert(Known {
                version,
                checked: began,
                used: began,
            });
            // Versions only grow: a slower check that began earlier cannot take one back.
            if version >= entry.version {
                entry.version = version;
                entry.checked = entry.checked.max(began);
            }
        }
    }

    /// Forgets every version known here (after a check that failed): nothing kept is served
    /// until its versions are read again.
    fn forget(&self) {
        self.known().clear();
    }

    /// Folds every scope's rows past [`FOLD_PAST`], in use here or not (run now and then).
    pub async fn fold_all(&self) -> AppResult<()> {
        let busy = Query::select()
            .column(Alias::new("scope"))
            .from(Alias::new("view_changes"))
            .group_by_col(Alias::new("scope"))
            .and_having(Expr::col(Alias::new("scope")).count().gt(FOLD_PAST))
            .limit(1_000)
            .to_owned();
        let rows = self.db.query_all_raw(build(&self.db, &busy)).await?;
        for row in rows {
            let key: String = row.try_get_by_index(0)?;
            fold(&self.db, &key).await?;
        }
        Ok(())
    }
}

fn build(db: &impl ConnectionTrait, statement: &impl StatementBuilder) -> sea_orm::Statement {
    db.get_database_backend().build(statement)
}

/// Each scope's version and number of rows, by its key.
async fn read(db: &DatabaseConnection, scopes: &[Scope]) -> AppResult<HashMap<String, (i64, i64)>> {
    let keys: Vec<String> = scopes.iter().map(Scope::key).collect();
    let sum = Func::cast_as(Func::sum(Expr::col(Alias::new("n"))), Alias::new("BIGINT"));
    let select = Query::select()
        .column(Alias::new("scope"))
        .expr(sum)
        .expr(Expr::col(Alias::new("scope")).count())
        .from(Alias::new("view_changes"))
        .and_where(Expr::col(Alias::new("scope")).is_in(keys))
        .group_by_col(Alias::new("scope"))
        .to_owned();
    let rows = db.query_all_raw(build(db, &select)).await?;
    rows.into_iter()
        .map(|row| {
            let key: String = row.try_get_by_index(0)?;
            let version: i64 = row.try_get_by_index(1)?;
            let count: i64 = row.try_get_by_index(2)?;
            Ok((key, (version, count)))
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(AppError::from)
}

/// Deletes the rows of a deleted person's scope (in the deletion's transaction): nothing keeps
/// their id. Nobody reads as them again, so their version going back to nothing misleads no
/// kept read.
pub async fn forget_person(db: &impl ConnectionTrait, person: &UserId) -> AppResult<()> {
    let delete = Query::delete()
        .from_table(Alias::new("view_changes"))
        .and_where(Expr::col(Alias::new("scope")).eq(Scope::Person(person.clone()).key()))
        .to_owned();
    db.execute_raw(build(db, &delete)).await?;
    Ok(())
}

/// Replaces a scope's rows by one holding their sum: its version stays as it was. Only the
/// rows deleted are summed, so a change committed meanwhile is neither lost nor counted twice.
async fn fold(db: &DatabaseConnection, key: &str) -> AppResult<()> {
    let txn = db.begin().await?;
    let delete = Query::delete()
        .from_table(Alias::new("view_changes"))
        .and_where(Expr::col(Alias::new("scope")).eq(key))
        .returning_col(Alias::new("n"))
        .to_owned();
    let rows = txn.query_all_raw(build(&txn, &delete)).await?;
    let mut sum = 0i64;
    for row in &rows {
        sum += row.try_get_by_index::<i64>(0)?;
    }
    if sum > 0 {
        let insert = Query::insert()
            .into_table(Alias::new("view_changes"))
            .columns([Alias::new("scope"), Alias::new("n")])
            .values([key.into(), sum.into()])
            .map_err(|err| AppError::internal(anyhow::anyhow!("folding {key}: {err}")))?
            .to_owned();
        txn.execute_raw(build(&txn, &insert)).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Says around this instance's writes that versions may have changed: checks them here before
/// the write's answer leaves, then tells the other instances to check theirs.
#[derive(Clone)]
pub struct AfterWrites {
    versions: Arc<ReadVersions>,
    broker: Broker,
    /// This instance, as it signs its word (its own word coming back is not checked again).
    instance: Arc<str>,
}

impl AfterWrites {
    pub fn new(versions: Arc<ReadVersions>, broker: Broker) -> Self {
        AfterWrites {
            versions,
            broker,
            instance: uuid::Uuid::new_v4().to_string().into(),
        }
    }

    /// Something may have been written and committed: check here, then tell the others.
    pub async fn written(&self) {
        self.versions.check_since(Instant::now()).await;
        let by = self.instance.to_string();
        self.broker.publish(Event::ReadsChanged { by }).await;
    }

    /// Follows what the other instances say, and checks `every` so often whatever is heard,
    /// until `stop`. Folds the versions table about once a minute.
    pub fn follow(&self, every: Duration, stop: CancellationToken) {
        // Subscribed before the task starts, so nothing said from now on is missed.
        let mut events = self.broker.subscribe(&Topic::Reads);
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            let fold_every = (60_000 / every.as_millis().max(1)).max(1) as u64;
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut ticks: u64 = 0;
            loop {
                let heard = tokio::select! {
                    () = stop.cancelled() => return,
                    _ = tick.tick() => {
                        ticks += 1;
                        if ticks.is_multiple_of(fold_every) {
                            if let Err(err) = this.versions.fold_all().await {
                                tracing::warn!(error = %err.message(), "folding read versions failed");
                            }
                        }
                        None
                    }
                    event = events.recv() => Some(event),
                };
                match heard {
                    Some(Ok(envelope)) => match &envelope.event {
                        Event::ReadsChanged { by } if **by != *this.instance => {}
                        _ => continue,
                    },
                    Some(Err(RecvError::Closed)) => return,
                    // A tick, or words missed.
                    None | Some(Err(RecvError::Lagged(_))) => {}
                }
                this.versions.check_since(Instant::now()).await;
            }
        });
    }
}

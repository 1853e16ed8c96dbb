//! Fixed-window counters: in process when embedded, in Redis when instances share the count.
//! While Redis is away, counting goes on per instance (looser, never refusing for it).
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::redis_conn::RedisLink;
use crate::telemetry::Metrics;
use redis::{FromRedisValue, Pipeline};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

type Counters = Arc<Mutex<HashMap<String, (u32, Instant)>>>;

#[derive(Clone)]
pub enum RateLimiter {
    Memory(Counters),
    Redis(SharedCounters),
}

/// Counters in Redis, shared by the instances, and this instance's own while Redis is away.
#[derive(Clone)]
pub struct SharedCounters {
    link: RedisLink,
    prefix: String,
    fallback: Counters,
    metrics: Metrics,
}

impl SharedCounters {
    /// Runs `pipeline` on Redis and reads its answer with `shared`; while Redis is away, counts
    /// with `local` on this instance's counters instead.
    async fn run<R: FromRedisValue, T>(
        &self,
        pipeline: &Pipeline,
        shared: impl FnOnce(R) -> T,
        local: impl FnOnce(&Counters) -> T,
    ) -> T {
        match self.link.query::<R>(pipeline).await {
            Ok(answer) => shared(answer),
            Err(_) => {
                self.metrics.count_redis_fallback("rate_limit");
                local(&self.fallback)
            }
        }
    }
}

/// A limit: at most `max` events per `window` under one key.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl RateLimiter {
    pub fn in_memory() -> Self {
        RateLimiter::Memory(Arc::default())
    }

    pub fn redis(link: RedisLink, prefix: &str, metrics: Metrics) -> Self {
        RateLimiter::Redis(SharedCounters {
            link,
            prefix: format!("{prefix}:rl:"),
            fallback: Arc::default(),
            metrics,
        })
    }

    /// Refuses with `RATE_LIMITED` when `key` has already used up its limit, without counting.
    pub async fn check(&self, key: &str, limit: Limit) -> AppResult<()> {
        let (count, retry_after) = self.read(key, limit).await;
        refuse_over(count, limit, retry_after, 0)
    }

    /// One more of `kind` (posts, replies, questions…) by this person this hour, at most
    /// `per_hour`; `RATE_LIMITED` beyond.
    pub async fn hourly(&self, kind: &str, user_id: &UserId, per_hour: u32) -> AppResult<()> {
        let limit = Limit {
            max: per_hour,
            window: Duration::from_secs(3600),
        };
        self.hit(&format!("{kind}:user:{user_id}"), limit).await
    }

    /// Counts one event under `key`; refuses with `RATE_LIMITED` when that goes over the limit.
    pub async fn hit(&self, key: &str, limit: Limit) -> AppResult<()> {
        let (count, retry_after) = self.add(key, limit).await;
        refuse_over(count, limit, retry_after, 1)
    }

    /// Counts one event under `key` without refusing (e.g. a failed login, refused next time);
    /// returns the count in the window so far, this one included.
    pub async fn record(&self, key: &str, limit: Limit) -> AppResult<u32> {
        Ok(self.add(key, limit).await.0)
    }

    /// Whether anything was counted under `key` within `window`.
    pub async fn seen(&self, key: &str, window: Duration) -> AppResult<bool> {
        let limit = Limit { max: 0, window };
        Ok(self.read(key, limit).await.0 > 0)
    }

    pub async fn clear(&self, key: &str) -> AppResult<()> {
        let forget = |map: &Counters| {
            lock(map).remove(key);
        };
        match self {
            RateLimiter::Memory(map) => forget(map),
            RateLimiter::Redis(shared) => {
                // Both: counts made while Redis was away are forgotten too.
                forget(&shared.fallback);
                let mut pipeline = redis::pipe();
                pipeline
                    .cmd("DEL")
                    .arg(format!("{}{key}", shared.prefix))
                    .ignore();
                shared.run(&pipeline, |()| (), |_| ()).await;
            }
        }
        Ok(())
    }

    /// Forgets every counter whose key holds one of `needles` (an account's id, the digest of its
    /// address): what is kept about a deleted account. Best effort while Redis is away.
    pub async fn forget_containing(&self, needles: &[String]) {
        let forget = |map: &Counters| {
            lock(map).retain(|key, _| !needles.iter().any(|n| key.contains(n.as_str())));
        };
        match self {
            RateLimiter::Memory(map) => forget(map),
            RateLimiter::Redis(shared) => {
                forget(&shared.fallback);
                for needle in needles {
                    let pattern = format!("{}*{needle}*", shared.prefix);
                    let Ok(keys) = shared.link.scan(&pattern).await else {
                        tracing::warn!("cannot list the rate-limit keys of a deleted account");
                        continue;
                    };
                    if keys.is_empty() {
                        continue;
                    }
                    let mut pipeline = redis::pipe();
                    pipeline.cmd("DEL").arg(keys).ignore();
                    shared.run(&pipeline, |()| (), |_| ()).await;
                }
            }
        }
    }

    async fn read(&self, key: &str, limit: Limit) -> (u32, Duration) {
        match self {
            RateLimiter::Memory(map) => read_local(map, key, limit),
            RateLimiter::Redis(shared) => {
                let full = format!("{}{key}", shared.prefix);
                let mut pipeline = redis::pipe();
                pipeline.cmd("GET").arg(&full).cmd("PTTL").arg(&full);
                shared
                    .run(
                        &pipeline,
                        |(count, ttl): (Option<u32>, i64)| (count.unwrap_or(0), millis(ttl)),
                        |local| read_local(local, key, limit),
                    )
                    .await
            }
        }
    }

    async fn add(&self, key: &str, limit: Limit) -> (u32, Duration) {
        match self {
            RateLimiter::Memory(map) => add_local(map, key, limit),
            RateLimiter::Redis(shared) => {
                let full = format!("{}{key}", shared.prefix);
                let window_ms = limit.window.as_millis() as u64;
                let mut pipeline = redis::pipe();
                pipeline
                    .atomic()
                    .cmd("INCR")
                    .arg(&full)
                    .cmd("PEXPIRE")
                    .arg(&full)
                    .arg(window_ms)
                    .arg("NX")
                    .ignore()
                    .cmd("PTTL")
                    .arg(&full);
                shared
                    .run(
                        &pipeline,
                        |(count, ttl): (u32, i64)| (count, millis(ttl)),
                        |local| add_local(local, key, limit),
                    )
                    .await
            }
        }
    }
}

/// A Redis `PTTL` as a duration (none left when negative: no key, or no expiry).
fn millis(ttl: i64) -> Duration {
    Duration::from_millis(ttl.max(0) as u64)
}

fn lock(map: &Counters) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read_local(map: &Counters, key: &str, limit: Limit) -> (u32, Duration) {
    match lock(map).get(key) {
        Some((count, start)) if start.elapsed() < limit.window => {
            (*count, limit.window - start.elapsed())
        }
        _ => (0, Duration::ZERO),
    }
}

fn add_local(map: &Counters, key: &str, limit: Limit) -> (u32, Duration) {
    let mut map = lock(map);
    if map.len() > 100_000 {
        map.retain(|_, (_, start)| start.elapsed() < limit.window);
    }
    let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
    if entry.1.elapsed() >= limit.window {
        *entry = (0, Instant::now());
    }
    entry.0 += 1;
    (entry.0, limit.window.saturating_sub(entry.1.elapsed()))
}
fn refuse_over(count: u32, limit: Limit, retry_after: Duration, adding: u32) -> AppResult<()> {
    if count > limit.max || (adding == 0 && count >= limit.max) {
        return Err(AppError::RateLimited {
            retry_after: retry_after.max(Duration::from_secs(1)),
        });
    }
    Ok(())
}

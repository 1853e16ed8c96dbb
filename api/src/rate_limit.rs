//! Fixed-window counters: in process when embedded, in Redis when instances share the count.
use crate::error::{AppError, AppResult};
use crate::redis_conn::query;
use redis::aio::ConnectionManager;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub enum RateLimiter {
    Memory(Arc<Mutex<HashMap<String, (u32, Instant)>>>),
    Redis {
        conn: ConnectionManager,
        prefix: String,
    },
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

    pub fn redis(conn: ConnectionManager, prefix: &str) -> Self {
        RateLimiter::Redis {
            conn,
            prefix: format!("{prefix}:rl:"),
        }
    }

    /// Refuses with `RATE_LIMITED` when `key` has already used up its limit, without counting.
    pub async fn check(&self, key: &str, limit: Limit) -> AppResult<()> {
        let (count, retry_after) = self.read(key, limit).await?;
        refuse_over(count, limit, retry_after, 0)
    }

    /// Counts one event under `key`; refuses with `RATE_LIMITED` when that goes over the limit.
    pub async fn hit(&self, key: &str, limit: Limit) -> AppResult<()> {
        let (count, retry_after) = self.add(key, limit).await?;
        refuse_over(count, limit, retry_after, 1)
    }

    /// Counts one event under `key` without refusing (e.g. a failed login, refused next time).
    pub async fn record(&self, key: &str, limit: Limit) -> AppResult<()> {
        self.add(key, limit).await.map(|_| ())
    }

    pub async fn clear(&self, key: &str) -> AppResult<()> {
        match self {
            RateLimiter::Memory(map) => {
                if let Ok(mut map) = map.lock() {
                    map.remove(key);
                }
                Ok(())
            }
            RateLimiter::Redis { conn, prefix } => {
                let mut pipeline = redis::pipe();
                pipeline.cmd("DEL").arg(format!("{prefix}{key}")).ignore();
                query::<()>(conn, &pipeline)
                    .await
                    .map_err(AppError::internal)
            }
        }
    }

    async fn read(&self, key: &str, limit: Limit) -> AppResult<(u32, Duration)> {
        match self {
            RateLimiter::Memory(map) => {
                let map = map
                    .lock()
                    .map_err(|_| AppError::internal(anyhow::anyhow!("rate limiter poisoned")))?;
                Ok(match map.get(key) {
                    Some((count, start)) if start.elapsed() < limit.window => {
                        (*count, limit.window - start.elapsed())
                    }
                    _ => (0, Duration::ZERO),
                })
            }
            RateLimiter::Redis { conn, prefix } => {
                let full = format!("{prefix}{key}");
                let mut pipeline = redis::pipe();
                pipeline.cmd("GET").arg(&full).cmd("PTTL").arg(&full);
                let (count, ttl): (Option<u32>, i64) =
                    query(conn, &pipeline).await.map_err(AppError::internal)?;
                Ok((count.unwrap_or(0), Duration::from_millis(ttl.max(0) as u64)))
            }
        }
    }

    async fn add(&self, key: &str, limit: Limit) -> AppResult<(u32, Duration)> {
        match self {
            RateLimiter::Memory(map) => {
                let mut map = map
                    .lock()
                    .map_err(|_| AppError::internal(anyhow::anyhow!("rate limiter poisoned")))?;
                if map.len() > 100_000 {
                    map.retain(|_, (_, start)| start.elapsed() < limit.window);
                }
                let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
                if entry.1.elapsed() >= limit.window {
                    *entry = (0, Instant::now());
                }
                entry.0 += 1;
                Ok((entry.0, limit.window.saturating_sub(entry.1.elapsed())))
            }
            RateLimiter::Redis { conn, prefix } => {
                let full = format!("{prefix}{key}");
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
                let (count, ttl): (u32, i64) =
                    query(conn, &pipeline).await.map_err(AppError::internal)?;
                Ok((count, Duration::from_millis(ttl.max(0) as u64)))
            }
        }
    }
}

fn refuse_over(count: u32, limit: Limit, retry_after: Duration, adding: u32) -> AppResult<()> {
    if count > limit.max || (adding == 0 && count >= limit.max) {
        return Err(AppError::RateLimited {
            retry_after: retry_after.max(Duration::from_secs(1)),
        });
    }
    Ok(())
}

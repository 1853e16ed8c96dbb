//! One Redis connection for commands, with a bound on how long a command may take and a
//! breaker: when Redis does not answer in time, callers stop asking it for a moment and fall
//! back (per-instance rate limits, events dropped and counted) instead of failing requests.
use redis::aio::ConnectionManager;
use redis::{FromRedisValue, Pipeline};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Longest a request waits on one Redis command.
pub const COMMAND_BUDGET: Duration = Duration::from_millis(250);
/// How long Redis is left alone after a failure before it is tried again.
const AWAY_FOR: Duration = Duration::from_secs(1);

/// Redis did not answer (or was left alone after failing recently).
#[derive(Debug)]
pub struct Away;

#[derive(Clone)]
pub struct RedisLink {
    conn: ConnectionManager,
    away_until: Arc<Mutex<Option<Instant>>>,
}

impl RedisLink {
    pub fn new(conn: ConnectionManager) -> Self {
        RedisLink {
            conn,
            away_until: Arc::default(),
        }
    }

    /// The connection itself, for callers with their own timeouts (readiness).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Whether to leave Redis alone now. When the pause is over, the first caller probes it
    /// and the others wait another pause, so a Redis still away costs one request, not all.
    fn is_away(&self) -> bool {
        let mut away = self
            .away_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match *away {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                *away = Some(Instant::now() + AWAY_FOR);
                false
            }
            None => false,
        }
    }

    fn is_back(&self) {
        let mut away = self
            .away_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *away = None;
    }

    fn went_away(&self) {
        *self
            .away_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + AWAY_FOR);
    }

    /// Every key matching `pattern` (SCAN, so Redis is never blocked), within a few seconds.
    pub async fn scan(&self, pattern: &str) -> Result<Vec<String>, Away> {
        let mut conn = self.conn.clone();
        let walk = async {
            let mut keys = Vec::new();
            let mut cursor: u64 = 0;
            loop {
                let (next, found): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(1_000)
                    .query_async(&mut conn)
                    .await?;
                keys.extend(found);
                if next == 0 {
                    return Ok::<_, redis::RedisError>(keys);
                }
                cursor = next;
            }
        };
        match tokio::time::timeout(Duration::from_secs(5), walk).await {
            Ok(Ok(keys)) => Ok(keys),
            _ => Err(Away),
        }
    }

    /// Runs the pipeline within [`COMMAND_BUDGET`]. A command that found the connection dropped
    /// (the manager reconnects) is sent once more inside the same budget; a timeout is not
    /// repeated, since the first may still run.
    pub async fn query<T: FromRedisValue>(&self, pipeline: &Pipeline) -> Result<T, Away> {
        if self.is_away() {
            return Err(Away);
        }
        let mut conn = self.conn.clone();
        let attempt = async {
            match pipeline.query_async(&mut conn).await {
                Err(err) if err.is_connection_dropped() && !err.is_timeout() => {
                    pipeline.query_async(&mut conn).await
                }
                outcome => outcome,
            }
        };
        match tokio::time::timeout(COMMAND_BUDGET, attempt).await {
            Ok(Ok(value)) => {
                self.is_back();
                Ok(value)
            }
            // An answer Redis gave (an error reply, a value of another shape): it is there.
            Ok(Err(err))
                if !(err.is_io_error()
                    || err.is_connection_dropped()
                    || err.is_timeout()
                    || err.is_connection_refusal()) =>
            {
                tracing::warn!(error = %err, "a Redis command failed");
                Err(Away)
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "lost Redis; falling back for a moment");
                self.went_away();
                Err(Away)
            }
            Err(_) => {
                tracing::warn!("Redis did not answer in time; falling back for a moment");
                self.went_away();
                Err(Away)
            }
        }
    }
}

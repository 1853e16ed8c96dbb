//! Logs (JSON in production) and Prometheus metrics. Never a password, token, email or body in a log.
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn init_logging(production: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second init (tests start many apps in one process) is harmless.
    let _ = if production {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FallbackLabels {
    what: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// Distinct operation names kept as labels; the rest count as "other" (names come from clients).
const MAX_OPERATION_NAMES: usize = 500;

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<OperationLabels, Counter>,
    latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    websockets: Gauge,
    db_pool: Family<PoolLabels, Gauge>,
    db_queries: Counter,
    panics: Counter,
    redis_fallbacks: Family<FallbackLabels, Counter>,
    events_dropped: Counter,
    kept_answers_served: Counter,
    names: Arc<Mutex<HashSet<String>>>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("hearth");
        let requests = Family::<OperationLabels, Counter>::default();
        let latency = Family::<LatencyLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let websockets = Gauge::default();
        let db_pool = Family::<PoolLabels, Gauge>::default();
        let db_queries = Counter::default();
        let panics = Counter::default();
        let redis_fallbacks = Family::<FallbackLabels, Counter>::default();
        let events_dropped = Counter::default();
        let kept_answers_served = Counter::default();
        registry.register(
            "kept_answers_served",
            "Queries answered whole from the page cache, without running them",
            kept_answers_served.clone(),
        );
        registry.register(
            "redis_fallbacks",
            "Redis commands given up (Redis away): rate limits counted per instance",
            redis_fallbacks.clone(),
        );
        registry.register(
            "events_dropped",
            "Live events not published because Redis was away (apps catch up by query)",
            events_dropped.clone(),
        );
        registry.register(
            "panics",
            "Requests whose execution panicked (answered INTERNAL)",
            panics.clone(),
        );
        registry.register(
            "graphql_requests",
            "GraphQL operations served",
            requests.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "Time to execute a GraphQL operation",
            latency.clone(),
        );
        registry.register(
            "websocket_connections",
            "Open WebSocket connections",
            websockets.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by state",
            db_pool.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            latency,
            websockets,
            db_pool,
            db_queries,
            panics,
            redis_fallbacks,
            events_dropped,
            kept_answers_served,
            names: Arc::default(),
        }
    }

    fn label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation else {
            return "anonymous".into();
        };
        if name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return "invalid".into();
        }
        let Ok(mut names) = self.names.lock() else {
            return "other".into();
        };
        if names.contains(name) || names.len() < MAX_OPERATION_NAMES {
            names.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".into()
        }
    }

    pub fn record_operation(&self, operation: Option<&str>, ok: bool, elapsed: Duration) {
        let operation = self.label(operation);
        self.requests
            .get_or_create(&OperationLabels {
                operation: operation.clone(),
                outcome: if ok { "ok" } else { "error" },
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels { operation })
            .observe(elapsed.as_secs_f64());
    }

    pub fn count_db_query(&self) {
        self.db_queries.inc();
    }

    pub fn count_panic(&self) {
        self.panics.inc();
    }

    pub fn count_redis_fallback(&self, what: &'static str) {
        self.redis_fallbacks
            .get_or_create(&FallbackLabels { what })
            .inc();
    }

    pub fn count_event_dropped(&self) {
        self.events_dropped.inc();
    }

    pub fn count_cached_answer_served(&self) {
        self.kept_answers_served.inc();
    }

    /// Queries answered whole from the page cache so far (the benches report it).
    pub fn kept_answers_served(&self) -> u64 {
        self.kept_answers_served.get()
    }

    /// Database statements run so far (tests bound the round trips of a page with it).
    pub fn db_query_count(&self) -> u64 {
        self.db_queries.get()
    }

    /// Counts an open socket until the returned guard drops.
    pub fn websocket_opened(&self) -> SocketGuard {
        self.websockets.inc();
        SocketGuard(self.websockets.clone())
    }

    pub fn render(&self, pool_size: u32, pool_idle: u32) -> String {
        self.db_pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(pool_idle));
        self.db_pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(pool_size.saturating_sub(pool_idle)));
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

pub struct SocketGuard(Gauge);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

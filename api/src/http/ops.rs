//! Liveness, readiness and metrics for the orchestrator and Prometheus.
use super::HttpState;
use crate::db::pool_usage;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Ready when the database answers. Redis being away degrades an instance (per-instance rate
/// limits, no live events across instances) but does not take it out of rotation: every
/// instance shares the same Redis, so refusing would refuse everything.
pub async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    let database = state.app.db.ping().await.is_ok();
    let redis = match &state.app.redis {
        None => None,
        Some(link) => {
            let mut conn = link.connection();
            let pong = tokio::time::timeout(
                std::time::Duration::from_secs(2),
                redis::cmd("PING").query_async::<String>(&mut conn),
            )
            .await;
            Some(matches!(pong, Ok(Ok(_))))
        }
    };
    let (status, word) = match (database, redis) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (true, Some(false)) => (StatusCode::OK, "degraded"),
        (true, _) => (StatusCode::OK, "ready"),
    };
    let mut body = json!({"status": word, "database": database});
    if let Some(redis) = redis {
        body["redis"] = json!(redis);
    }
    (status, Json(body))
}

pub async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let (size, idle) = pool_usage(&state.app.db);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.app.metrics.render(size, idle),
    )
}

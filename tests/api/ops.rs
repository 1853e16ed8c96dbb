use crate::support::*;
use serde_json::{json, Value};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);

    let ready: Value = reqwest::get(app.url("/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], true);
    assert_eq!(
        ready.get("redis").is_some(),
        test_redis_url().is_some(),
        "{ready}"
    );

    app.gql(None, "query WhoAmI { me { id } }", json!({})).await;
    let _socket = {
        let ana = app.register("Metric Mouse").await;
        let mut socket = app.socket().await;
        socket.init(&ana.access).await;
        socket.expect_json(std::time::Duration::from_secs(5)).await;
        socket
    };
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"hearth_graphql_requests_total{operation="WhoAmI",outcome="ok"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"hearth_graphql_request_duration_seconds_count{operation="WhoAmI"} 1"#)
    );
    assert!(
        metrics.contains("hearth_websocket_connections 1"),
        "{metrics}"
    );
    // The pool's gauges carry its real size: the requests above held a connection.
    let idle = metric(&metrics, r#"hearth_db_pool_connections{state="idle"}"#);
    let in_use = metric(&metrics, r#"hearth_db_pool_connections{state="in_use"}"#);
    assert!(
        idle + in_use >= 1.0,
        "an empty pool was reported: {metrics}"
    );
}

/// The value of one series in a Prometheus text rendering; fails when it is missing.
pub fn metric(rendered: &str, series: &str) -> f64 {
    rendered
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in {rendered}"))
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.context.db.clone().close().await.unwrap();
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
}

/// The settings the server reads, the configuration table of `docs/OPERATIONS.md` and
/// `deploy/.env.example` name the same variables.
#[test]
fn every_setting_is_documented_and_in_the_env_example() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/docs/OPERATIONS.md")).unwrap();
    let example = std::fs::read_to_string(format!("{root}/deploy/.env.example")).unwrap();
    let documented: std::collections::BTreeSet<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `HEARTH_"))
        .filter_map(|l| l.split('`').next())
        .map(|key| format!("HEARTH_{key}"))
        .collect();
    let exampled: std::collections::BTreeSet<String> = example
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .filter_map(|l| l.split_once('=').map(|(key, _)| key.to_owned()))
        .filter(|key| key.starts_with("HEARTH_"))
        .collect();
    let read: std::collections::BTreeSet<String> = api::config::KEYS
        .iter()
        .map(|key| format!("HEARTH_{key}"))
        .collect();
    assert_eq!(
        documented, read,
        "the table of docs/OPERATIONS.md and the settings differ"
    );
    assert_eq!(
        exampled, read,
        "deploy/.env.example and the settings differ"
    );
}

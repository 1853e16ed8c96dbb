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
    assert!(metrics.contains(r#"hearth_db_pool_connections{state="idle"}"#));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.context.db.clone().close().await.unwrap();
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
}

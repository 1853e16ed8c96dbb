//! Smaller hardening: response headers, `/metrics` off the public port.
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn answers_are_not_cached_or_sniffed() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn metrics_move_to_their_own_address() {
    let app = TestApp::spawn_with(|s| s.metrics_bind = Some("127.0.0.1:0".parse().unwrap())).await;
    app.gql(None, "query Counted { __typename }", json!({}))
        .await;
    let public = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(public.status(), 404);
    let own = app.metrics_addr.expect("a metrics listener");
    let metrics = reqwest::get(format!("http://{own}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"hearth_graphql_requests_total{operation="Counted",outcome="ok"} 1"#),
        "{metrics}"
    );
    // GraphQL is not served there.
    let graphql = reqwest::get(format!("http://{own}/graphql")).await.unwrap();
    assert_eq!(graphql.status(), 404);
}

#[tokio::test]
async fn production_never_serves_metrics_on_the_public_port() {
    let app = TestApp::spawn_with(|s| s.env = api::config::Environment::Production).await;
    let public = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(public.status(), 404);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_graphql_error() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(300 * 1024);
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({"query": "{ __typename }", "variables": {"padding": padding}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("256 KiB"));
}

//! What cannot be done for a moment is `UNAVAILABLE` with `retryAfter`, never `INTERNAL`.
use crate::support::*;
use serde_json::{json, Value};

#[tokio::test]
async fn a_database_out_of_reach_is_unavailable_not_internal() {
    let app = TestApp::spawn().await;
    let ana = app.register("Unreachable Database").await;
    app.context.db.clone().close().await.unwrap();
    for (token, query) in [
        (
            None,
            r#"{ sharedMood(token: "t", from: "2026-01-01", to: "2026-01-02") { label } }"#,
        ),
        (
            Some(ana.access.as_str()),
            "{ groups(first: 5) { totalCount } }",
        ),
    ] {
        let mut request = app
            .http
            .post(app.url("/graphql"))
            .json(&json!({"query": query}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "UNAVAILABLE", "{body}");
        let retry_after = body["errors"][0]["extensions"]["retryAfter"].as_u64();
        assert!(retry_after.is_some_and(|s| s >= 1), "{body}");
    }
}

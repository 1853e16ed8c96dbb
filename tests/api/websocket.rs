use crate::support::*;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn signed_in_socket_receives_heartbeats() {
    let app = TestApp::spawn().await;
    let ana = app.register("Night Moth").await;
    let mut socket = app.socket().await;
    socket.init(&ana.access).await;
    assert_eq!(socket.expect_json(WAIT).await["type"], "connection_ack");
    socket
        .send(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { heartbeat(intervalSeconds: 1) { sequence at } }"}}))
        .await;
    for expected in 1..=2 {
        let next = socket.expect_json(WAIT).await;
        assert_eq!(next["type"], "next", "{next}");
        assert_eq!(next["id"], "1");
        assert_eq!(next["payload"]["data"]["heartbeat"]["sequence"], expected);
    }
    socket.send(json!({"id": "1", "type": "complete"})).await;

    // Over HTTP a subscription is not served.
    let over_http = app
        .gql(
            Some(&ana.access),
            "subscription { heartbeat { sequence } }",
            json!({}),
        )
        .await;
    assert!(over_http.get("errors").is_some());
}

#[tokio::test]
async fn bad_or_missing_tokens_close_with_4403() {
    let app = TestApp::spawn().await;
    let mut forged = app.socket().await;
    forged.init("not-a-token").await;
    assert_eq!(forged.expect_close(WAIT).await, Some(4403));

    let mut anonymous = app.socket().await;
    anonymous
        .send(json!({"type": "connection_init", "payload": {}}))
        .await;
    assert_eq!(anonymous.expect_close(WAIT).await, Some(4403));

    let mut eager = app.socket().await;
    eager
        .send(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { heartbeat { sequence } }"}}))
        .await;
    assert_eq!(eager.expect_close(WAIT).await, Some(4401));
}

#[tokio::test]
async fn silence_after_connecting_closes_with_4408() {
    let app = TestApp::spawn_with(|s| s.ws_init_timeout = Duration::from_secs(1)).await;
    let mut socket = app.socket().await;
    assert_eq!(socket.expect_close(WAIT).await, Some(4408));
}

#[tokio::test]
async fn a_revoked_session_closes_its_socket() {
    let app = TestApp::spawn_with(|s| s.session_check_interval = Duration::from_secs(1)).await;
    let ana = app.register("Short Lived").await;
    let mut socket = app.socket().await;
    socket.init(&ana.access).await;
    assert_eq!(socket.expect_json(WAIT).await["type"], "connection_ack");
    app.gql(Some(&ana.access), "mutation { logout }", json!({}))
        .await;
    assert_eq!(socket.expect_close(WAIT).await, Some(4403));
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001_and_finishes_requests() {
    let mut app = TestApp::spawn().await;
    let ana = app.register("Last Guest").await;
    let mut socket = app.socket().await;
    socket.init(&ana.access).await;
    assert_eq!(socket.expect_json(WAIT).await["type"], "connection_ack");

    // A login (an argon2 hash, tens of milliseconds) is in flight when shutdown begins.
    let http = app.http.clone();
    let url = app.url("/graphql");
    let email = ana.email.clone();
    let in_flight = tokio::spawn(async move {
        http.post(url)
            .json(&json!({"query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }", "variables": {"i": {"email": email, "password": PASSWORD}}}))
            .send()
            .await
    });
    // Shutdown begins while the login's password check runs, not before it arrives.
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.context.passwords.running() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the login never started hashing"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    app.begin_stop();
    assert_eq!(socket.expect_close(WAIT).await, Some(1001));
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
    app.stop().await;
    assert!(
        reqwest::get(app.url("/healthz")).await.is_err(),
        "no longer accepting"
    );
}

//! Revocation is immediate everywhere: at the default session check interval (30 s), on one
//! instance and across two, over HTTP and WebSocket.
use crate::support::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Revocation must bite within this of the revoking request's answer, wherever the session is
/// used. (The default session check interval would take 30 s.)
const PROMPT: Duration = Duration::from_secs(1);
const WAIT: Duration = Duration::from_secs(5);

/// A socket signed in as `who`, acknowledged, with a query answered on it.
async fn open_socket(app: &TestApp, who: &Session) -> Socket {
    let mut socket = app.socket().await;
    socket.init(&who.access).await;
    assert_eq!(socket.expect_json(WAIT).await["type"], "connection_ack");
    socket.start("me", "{ me { id } }", json!({})).await;
    assert_eq!(
        socket.expect_json(WAIT).await["payload"]["data"]["me"]["id"],
        json!(who.user_id)
    );
    socket
}

/// The token works on `app` now, so the instance has it in its session cache.
async fn warm(app: &TestApp, who: &Session) {
    assert_eq!(
        app.me(Some(&who.access)).await["data"]["me"]["id"],
        json!(who.user_id)
    );
}

async fn assert_closed_promptly(socket: &mut Socket, since: Instant) {
    assert_eq!(socket.expect_close(WAIT).await, Some(4403));
    assert!(
        since.elapsed() < PROMPT,
        "closed after {:?}",
        since.elapsed()
    );
}

async fn assert_refused(app: &TestApp, who: &Session) {
    let body = app.me(Some(&who.access)).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    let write = app
        .gql(
            Some(&who.access),
            "mutation($i: LogMoodInput!) { logMood(input: $i) { checkin { id } } }",
            json!({"i": {"score": 5}}),
        )
        .await;
    assert_eq!(error_code(&write), "UNAUTHENTICATED", "{write}");
}

#[tokio::test]
async fn signing_out_everywhere_bites_at_once_on_this_instance() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.context.settings.session_check_interval,
        Duration::from_secs(30)
    );
    let ana = app.register("Stolen Phone").await;
    let phone =
        Session::from_payload(&app.login(&ana.email, PASSWORD).await["data"]["login"]).unwrap();
    let mut socket = open_socket(&app, &phone).await;
    warm(&app, &phone).await;
    let started = Instant::now();
    app.ok(
        &ana.access,
        "mutation { logout(allDevices: true) }",
        json!({}),
    )
    .await;
    assert_closed_promptly(&mut socket, started).await;
    assert_refused(&app, &phone).await;
}

#[tokio::test]
#[ignore = "needs Redis: set HEARTH_TEST_REDIS_URL and pass -- --include-ignored"]
async fn a_password_change_bites_at_once_on_another_instance() {
    required_redis_url();
    let a = TestApp::spawn().await;
    let b = a.sibling().await;
    let ana = a.register("Taken Account").await;
    let thief =
        Session::from_payload(&a.login(&ana.email, PASSWORD).await["data"]["login"]).unwrap();
    let mut on_b = open_socket(&b, &thief).await;
    warm(&b, &thief).await;
    // The clock starts when the change is answered: its password hashing is not the delay.
    a.ok(
        &ana.access,
        "mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) }",
        json!({"c": PASSWORD, "n": "a brand new passphrase"}),
    )
    .await;
    let started = Instant::now();
    assert_closed_promptly(&mut on_b, started).await;
    assert_refused(&b, &thief).await;
    // The session that changed the password goes on, on both instances.
    warm(&b, &ana).await;
}

#[tokio::test]
async fn a_replayed_refresh_token_closes_the_sessions_sockets_everywhere() {
    let a = TestApp::spawn_with(|s| s.refresh_reuse_grace = Duration::ZERO).await;
    let b = if test_redis_url().is_some() {
        Some(a.sibling().await)
    } else {
        None
    };
    let ana = a.register("Replayed Token").await;
    let on = b.as_ref().unwrap_or(&a);
    let mut socket = open_socket(on, &ana).await;
    warm(on, &ana).await;
    let rotated: Value = a.refresh(&ana.refresh).await;
    assert!(
        rotated["data"]["refreshSession"]["accessToken"].is_string(),
        "{rotated}"
    );
    // The old refresh token again: stolen; the whole session ends.
    let replayed = a.refresh(&ana.refresh).await;
    assert_eq!(error_code(&replayed), "UNAUTHENTICATED", "{replayed}");
    let started = Instant::now();
    assert_closed_promptly(&mut socket, started).await;
    assert_refused(on, &ana).await;
}

/// When an announcement is lost, the sessions table decides: an instance that has not checked
/// the session yet reads it there, and a revoked row is refused even before it expires.
#[tokio::test]
async fn a_session_revoked_in_the_table_is_refused_without_its_announcement() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = TestApp::spawn().await;
    let who = app.register("Quiet Revocation").await;
    warm(&app, &who).await;
    let backend = app.context.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE sessions SET revoked_at = expires_at - INTERVAL '1 day' WHERE user_id = $1"
        }
        _ => "UPDATE sessions SET revoked_at = datetime(expires_at, '-1 day') WHERE user_id = ?",
    };
    app.context
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [who.user_id.clone().into()],
        ))
        .await
        .unwrap();
    // A second instance on the same database, with its own empty cache and no shared broker.
    let other = app.sibling().await;
    assert_refused(&other, &who).await;
}

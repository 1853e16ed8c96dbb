//! Faults that disturb shared servers, in a test binary of their own: cargo runs test binaries
//! one after another, so nothing else is connected to Redis while these cut its connections.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failed setup should panic
#[path = "../api/support.rs"]
mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::*;

/// The tests here disturb the one Redis server: one at a time.
static REDIS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
#[ignore = "needs Redis: set HEARTH_TEST_REDIS_URL and pass -- --include-ignored"]
async fn a_redis_restart_keeps_live_sockets_and_resubscribes() {
    let redis_url = required_redis_url();
    let _alone = REDIS.lock().await;
    let Thread {
        app,
        owner,
        post,
        mut socket,
        ..
    } = live_thread().await;

    // What a Redis restart looks like from here: every connection it had is cut.
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    for kind in ["pubsub", "normal"] {
        let _: redis::Value = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg(kind)
            .query_async(&mut admin)
            .await
            .unwrap();
    }
    // The instance resubscribes by itself; meanwhile the socket stays open.
    delivery_resumes(&app, &owner, &post, &mut socket).await;
}

/// A server, a post in a public group, and its owner's socket following its replies live
/// (one reply already seen arriving).
struct Thread {
    app: TestApp,
    owner: Session,
    group: String,
    post: String,
    socket: Socket,
}

async fn live_thread() -> Thread {
    let app = TestApp::spawn().await;
    let owner = app.register("Fault Owner").await;
    let group = app.create_group(&owner, "Fault Line", "PUBLIC").await;
    let post = app.post(&owner, &group, "Still here?").await;
    let mut socket = app.socket().await;
    socket
        .subscribe_ready(
            &owner.access,
            "r",
            "subscription($p: ID!) { replyAdded(postId: $p) { body } }",
            json!({"p": post}),
        )
        .await;
    app.reply(&owner, &post, "before").await;
    assert_eq!(
        socket.expect_json(Duration::from_secs(5)).await["payload"]["data"]["replyAdded"]["body"],
        "before"
    );
    Thread {
        app,
        owner,
        group,
        post,
        socket,
    }
}

/// Replies until one reaches the socket again (live delivery resumed), or gives up.
async fn delivery_resumes(app: &TestApp, who: &Session, post: &str, socket: &mut Socket) {
    for attempt in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        app.reply(who, post, &format!("after {attempt}")).await;
        match socket.try_receive(Duration::from_millis(750)).await {
            Some(Received::Json(message)) => {
                assert_eq!(message["type"], "next", "{message}");
                return;
            }
            Some(Received::Closed(code)) => panic!("the socket closed ({code:?})"),
            None => {}
        }
    }
    panic!("no event arrived after Redis came back");
}

#[tokio::test]
#[ignore = "needs Redis: set HEARTH_TEST_REDIS_URL and pass -- --include-ignored"]
async fn a_redis_pause_degrades_without_refusing_writes() {
    let redis_url = required_redis_url();
    let _alone = REDIS.lock().await;
    let Thread {
        app,
        owner,
        group,
        post,
        mut socket,
    } = live_thread().await;

    // Redis stops answering anyone for 10 s. A write that waited for Redis would end only when
    // it answers again; these all end while it is still paused. (Their own durations are not
    // asserted: on a loaded two-core machine a debug build's password hash alone can take a
    // second, and a timed test that flakes proves nothing.)
    let pause = Duration::from_secs(10);
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(pause.as_millis() as u64)
        .arg("ALL")
        .query_async(&mut admin)
        .await
        .unwrap();
    let paused = Instant::now();
    // Every write succeeds meanwhile.
    let newcomer = app.register("Pause Newcomer").await;
    let signed_in = app.login(&newcomer.email, PASSWORD).await;
    assert!(
        signed_in["data"]["login"]["accessToken"].is_string(),
        "{signed_in}"
    );
    let during = app.post(&owner, &group, "Written while Redis sleeps").await;
    let joined = app.join(&newcomer, &group).await;
    assert_eq!(joined["data"]["joinGroup"]["state"], "ACTIVE", "{joined}");
    app.reply(&newcomer, &during, "so was this").await;
    let took = paused.elapsed();
    assert!(
        took < pause,
        "the writes took {took:?}: one of them waited for Redis"
    );
    // Nothing was lost: the writes are there.
    let read = app
        .ok(
            &owner.access,
            "query($p: ID!) { post(id: $p) { replyCount } }",
            json!({"p": during}),
        )
        .await;
    assert_eq!(read["post"]["replyCount"], 1);
    let metrics = app.context.metrics.render(0, 0);
    assert!(
        metrics.contains(r#"hearth_redis_fallbacks_total{what="rate_limit"}"#),
        "{metrics}"
    );
    // The live events of those writes could not be published, and were counted as dropped.
    let dropped = metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix("hearth_events_dropped_total ")?
                .parse::<f64>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no hearth_events_dropped_total in {metrics}"));
    assert!(dropped >= 1.0, "no event was counted as dropped: {metrics}");

    // Once Redis answers again, live delivery resumes on the same socket.
    tokio::time::sleep(pause.saturating_sub(paused.elapsed())).await;
    delivery_resumes(&app, &owner, &post, &mut socket).await;
}

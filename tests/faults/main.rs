//! Faults that disturb shared servers, in a test binary of their own: cargo runs test binaries
//! one after another, so nothing else is connected to Redis while these cut its connections.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failed setup should panic
#[path = "../api/support.rs"]
mod support;

use serde_json::json;
use std::time::Duration;
use support::*;

#[tokio::test]
async fn a_redis_restart_keeps_live_sockets_and_resubscribes() {
    let Some(redis_url) = test_redis_url() else {
        eprintln!(
            "a_redis_restart_keeps_live_sockets_and_resubscribes: needs HEARTH_TEST_REDIS_URL"
        );
        return;
    };
    let app = TestApp::spawn().await;
    let owner = app.register("Fault Owner").await;
    let group = app.create_group(&owner, "Fault Line", "PUBLIC").await;
    let post = app.post(&owner, &group, "Still here?").await;
    let mut socket = app.socket().await;
    socket
        .subscribe(
            &owner.access,
            "r",
            "subscription($p: ID!) { replyAdded(postId: $p) { body } }",
            json!({"p": post}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.reply(&owner, &post, "before").await;
    assert_eq!(
        socket.expect_json(Duration::from_secs(5)).await["payload"]["data"]["replyAdded"]["body"],
        "before"
    );

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
    let mut delivered = false;
    for attempt in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        app.reply(&owner, &post, &format!("after {attempt}")).await;
        match socket.try_receive(Duration::from_millis(750)).await {
            Some(Received::Json(message)) => {
                assert_eq!(message["type"], "next", "{message}");
                delivered = true;
                break;
            }
            Some(Received::Closed(code)) => {
                panic!("the socket closed ({code:?}) during the Redis restart")
            }
            None => {}
        }
    }
    assert!(delivered, "no event arrived after Redis came back");
}

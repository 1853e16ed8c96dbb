use crate::support::*;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
const POST_ADDED: &str =
    "subscription($g: ID!) { postAdded(groupId: $g) { id title author { displayName } } }";
const REPLY_ADDED: &str = "subscription($p: ID!) { replyAdded(postId: $p) { id body } }";

async fn private_group(app: &TestApp, owner: &Session, members: &[&Session]) -> String {
    let group = app.create_group(owner, "Live Room", "PRIVATE").await;
    for who in members {
        app.join(who, &group).await;
        app.ok(
            &owner.access,
            "mutation($g: ID!, $u: ID!) { approveJoinRequest(groupId: $g, userId: $u) }",
            json!({"g": group, "u": who.user_id}),
        )
        .await;
    }
    group
}

#[tokio::test]
async fn posts_and_replies_arrive_live() {
    let app = TestApp::spawn().await;
    let owner = app.register("Live Owner").await;
    let ana = app.register("Live Ana").await;
    let group = private_group(&app, &owner, &[&ana]).await;

    let mut posts = app.socket().await;
    posts
        .subscribe_ready(&ana.access, "p", POST_ADDED, json!({"g": group}))
        .await;
    let post = app.post(&owner, &group, "Fresh news").await;
    let next = posts.expect_json(WAIT).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["data"]["postAdded"],
        json!({"id": post, "title": "Fresh news", "author": {"displayName": "Live Owner"}})
    );

    let mut replies = app.socket().await;
    replies
        .subscribe_ready(&owner.access, "r", REPLY_ADDED, json!({"p": post}))
        .await;
    let reply = app.reply(&ana, &post, "Welcome news").await;
    let next = replies.expect_json(WAIT).await;
    assert_eq!(
        next["payload"]["data"]["replyAdded"],
        json!({"id": reply, "body": "Welcome news"})
    );

    // An idempotent retry is not a second event.
    let create = "mutation($i: CreateReplyInput!) { createReply(input: $i) { id } }";
    app.ok(
        &ana.access,
        create,
        json!({"i": {"postId": post, "body": "once", "idempotencyKey": "k"}}),
    )
    .await;
    app.ok(
        &ana.access,
        create,
        json!({"i": {"postId": post, "body": "once", "idempotencyKey": "k"}}),
    )
    .await;
    assert_eq!(
        replies.expect_json(WAIT).await["payload"]["data"]["replyAdded"]["body"],
        "once"
    );
    // The next thing to arrive is the next reply, not the retry.
    app.reply(&ana, &post, "then this").await;
    assert_eq!(
        replies.expect_json(WAIT).await["payload"]["data"]["replyAdded"]["body"],
        "then this"
    );
}

#[tokio::test]
async fn subscriptions_to_what_i_cannot_see_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.register("Gate Owner").await;
    let outsider = app.register("Gate Outsider").await;
    let group = private_group(&app, &owner, &[]).await;
    let post = app.post(&owner, &group, "Members only").await;
    for (query, variables) in [
        (POST_ADDED, json!({"g": group})),
        (REPLY_ADDED, json!({"p": post})),
        (POST_ADDED, json!({"g": "no-such-group"})),
    ] {
        let mut socket = app.socket().await;
        socket
            .subscribe(&outsider.access, "x", query, variables)
            .await;
        // The subscription's own error arrives as its one result, then it completes.
        let refused = socket.expect_json(WAIT).await;
        assert_eq!(refused["type"], "next", "{refused}");
        assert_eq!(refused["payload"]["data"], json!(null));
        assert_eq!(error_code(&refused["payload"]), "NOT_FOUND", "{refused}");
        assert_eq!(socket.expect_json(WAIT).await["type"], "complete");
    }
}

#[tokio::test]
async fn delivery_stops_after_leaving_a_ban_or_a_block() {
    let app = TestApp::spawn().await;
    let owner = app.register("Stop Owner").await;
    let leaver = app.register("Stop Leaver").await;
    let banned = app.register("Stop Banned").await;
    let blocked = app.register("Stop Blocked").await;
    let stayer = app.register("Stop Stayer").await;
    let group = private_group(&app, &owner, &[&leaver, &banned, &blocked, &stayer]).await;
    let post = app.post(&owner, &group, "Watched thread").await;

    let mut sockets = Vec::new();
    for who in [&leaver, &banned, &blocked] {
        let mut socket = app.socket().await;
        socket
            .subscribe(&who.access, "r", REPLY_ADDED, json!({"p": post}))
            .await;
        socket.probe().await;
        sockets.push(socket);
    }
    // Someone who stays shows that the later reply does go out.
    let mut stays = app.socket().await;
    stays
        .subscribe(&stayer.access, "r", REPLY_ADDED, json!({"p": post}))
        .await;
    stays.probe().await;
    for socket in sockets.iter_mut().chain([&mut stays]) {
        socket.ready().await;
    }
    app.reply(&owner, &post, "everyone sees this").await;
    for socket in sockets.iter_mut().chain([&mut stays]) {
        assert_eq!(
            socket.expect_json(WAIT).await["payload"]["data"]["replyAdded"]["body"],
            "everyone sees this"
        );
    }

    app.ok(
        &leaver.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": group}),
    )
    .await;
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { banMember(groupId: $g, userId: $u, reason: \"r\") }",
        json!({"g": group, "u": banned.user_id}),
    )
    .await;
    app.ok(
        &owner.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": blocked.user_id}),
    )
    .await;
    app.reply(&owner, &post, "after the changes").await;
    assert_eq!(
        stays.expect_json(WAIT).await["payload"]["data"]["replyAdded"]["body"],
        "after the changes"
    );
    for socket in &mut sockets {
        socket.expect_silence(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_socket_holds_at_most_fifty_subscriptions() {
    let app = TestApp::spawn().await;
    let ana = app.register("Many Subs").await;
    let mut socket = app.socket().await;
    socket.init(&ana.access).await;
    socket.expect_json(WAIT).await;
    // The first ticks every second: once completed, it must stay quiet.
    for n in 0..50 {
        let every = if n == 0 { 1 } else { 300 };
        socket
            .start(
                &format!("s{n}"),
                &format!("subscription {{ heartbeat(intervalSeconds: {every}) {{ sequence }} }}"),
                json!({}),
            )
            .await;
    }
    socket
        .start(
            "s50",
            "subscription { heartbeat(intervalSeconds: 300) { sequence } }",
            json!({}),
        )
        .await;
    let refused = socket.expect_json(WAIT).await;
    assert_eq!(refused["id"], "s50");
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    // Completing one makes room for another; nothing more is sent for the completed one.
    socket.send(json!({"id": "s0", "type": "complete"})).await;
    socket
        .start(
            "s51",
            "subscription { heartbeat(intervalSeconds: 1) { sequence } }",
            json!({}),
        )
        .await;
    // Two ticks of the new one, and none of the completed one (it would have ticked twice).
    for sequence in [1, 2] {
        let next = socket.expect_json(WAIT).await;
        assert_eq!(next["id"], "s51", "{next}");
        assert_eq!(next["payload"]["data"]["heartbeat"]["sequence"], sequence);
    }
}

/// The in-process broker is one instance's own: crossing instances needs Redis.
#[tokio::test]
#[ignore = "needs Redis: set HEARTH_TEST_REDIS_URL and pass -- --include-ignored"]
async fn events_cross_instances_through_redis() {
    required_redis_url();
    let a = TestApp::spawn().await;
    let b = a.sibling().await;
    let owner = a.register("Cross Owner").await;
    let ana = a.register("Cross Ana").await;
    let group = private_group(&a, &owner, &[&ana]).await;
    let post = a.post(&owner, &group, "Across").await;

    let mut on_a = a.socket().await;
    on_a.subscribe_ready(&owner.access, "r", REPLY_ADDED, json!({"p": post}))
        .await;
    let reply = b.reply(&ana, &post, "from instance B").await;
    let next = on_a.expect_json(WAIT).await;
    assert_eq!(
        next["payload"]["data"]["replyAdded"],
        json!({"id": reply, "body": "from instance B"})
    );
    // Delivered once: the next message is the next reply.
    let again = b.reply(&ana, &post, "and again").await;
    assert_eq!(
        on_a.expect_json(WAIT).await["payload"]["data"]["replyAdded"]["id"],
        json!(again)
    );
}

/// Who may see a post is worked out once per event, not once per socket: the database work of
/// one post is the same for two followers as for twelve.
#[tokio::test]
async fn one_event_costs_the_same_however_many_sockets_follow() {
    // Workers off: their polling would add queries to the count at random.
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let owner = app.register("Crowd Owner").await;
    let readers = [
        app.register("Crowd A").await,
        app.register("Crowd B").await,
        app.register("Crowd C").await,
    ];
    let group = private_group(&app, &owner, &readers.iter().collect::<Vec<_>>()).await;
    // The author is read from the database when rendered: that happens once, not per socket.
    let watched =
        "subscription($g: ID!) { postAdded(groupId: $g) { id title author { displayName } } }";
    let mut sockets = Vec::new();
    let mut costs = Vec::new();
    for followers in [2, 12] {
        let fresh = sockets.len();
        while sockets.len() < followers {
            let mut socket = app.socket().await;
            let who = &readers[sockets.len() % readers.len()];
            socket
                .subscribe(&who.access, "p", watched, json!({"g": group}))
                .await;
            socket.probe().await;
            sockets.push(socket);
        }
        for socket in &mut sockets[fresh..] {
            socket.ready().await;
        }
        let before = app.context.metrics.db_query_count();
        app.post(&owner, &group, &format!("For {followers}")).await;
        for socket in &mut sockets {
            let next = socket.expect_json(WAIT).await;
            assert_eq!(
                next["payload"]["data"]["postAdded"]["title"],
                format!("For {followers}")
            );
            assert_eq!(
                next["payload"]["data"]["postAdded"]["author"]["displayName"],
                "Crowd Owner"
            );
        }
        costs.push(app.context.metrics.db_query_count() - before);
    }
    assert_eq!(
        costs[0], costs[1],
        "queries grew with the followers: {costs:?}"
    );
}

#[tokio::test]
async fn anyone_signed_in_follows_a_public_group_unless_blocked() {
    let app = TestApp::spawn().await;
    let owner = app.register("Open Owner").await;
    let reader = app.register("Open Reader").await;
    let blocked = app.register("Open Blocked").await;
    let group = app.create_group(&owner, "Open Room", "PUBLIC").await;
    let mut sockets = Vec::new();
    for who in [&reader, &blocked] {
        let mut socket = app.socket().await;
        socket
            .subscribe(&who.access, "p", POST_ADDED, json!({"g": group}))
            .await;
        socket.probe().await;
        sockets.push(socket);
    }
    app.ok(
        &owner.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": blocked.user_id}),
    )
    .await;
    for socket in &mut sockets {
        socket.ready().await;
    }
    app.post(&owner, &group, "Open to all").await;
    let next = sockets[0].expect_json(WAIT).await;
    assert_eq!(next["payload"]["data"]["postAdded"]["title"], "Open to all");
    sockets[1].expect_silence(Duration::from_millis(700)).await;
}

#[tokio::test]
async fn a_rendering_that_reads_the_viewer_is_not_shared() {
    let app = TestApp::spawn().await;
    let owner = app.register("Shared Owner").await;
    let ana = app.register("Shared Ana").await;
    let group = private_group(&app, &owner, &[&ana]).await;
    let personal =
        "subscription($g: ID!) { postAdded(groupId: $g) { id group { myMembership { role } } } }";

    // Three sockets with the same selection, and one with a selection that reads no viewer.
    let mut sockets = Vec::new();
    for who in [&owner, &ana, &owner] {
        let mut socket = app.socket().await;
        socket
            .subscribe(&who.access, "p", personal, json!({"g": group}))
            .await;
        socket.probe().await;
        sockets.push(socket);
    }
    let mut plain = app.socket().await;
    plain
        .subscribe(&ana.access, "p", POST_ADDED, json!({"g": group}))
        .await;
    plain.probe().await;
    for socket in sockets.iter_mut().chain([&mut plain]) {
        socket.ready().await;
    }
    let post = app.post(&owner, &group, "Who am I here").await;

    for (socket, role) in sockets.iter_mut().zip(["OWNER", "MEMBER", "OWNER"]) {
        let next = socket.expect_json(WAIT).await;
        assert_eq!(
            next["payload"]["data"]["postAdded"],
            json!({"id": post, "group": {"myMembership": {"role": role}}}),
            "{next}"
        );
    }
    assert_eq!(
        plain.expect_json(WAIT).await["payload"]["data"]["postAdded"]["author"]["displayName"],
        "Shared Owner"
    );
}

#[tokio::test]
async fn the_socket_speaks_graphql_transport_ws() {
    let app = TestApp::spawn().await;
    let ana = app.register("Protocol Ana").await;
    let mut socket = app.socket().await;
    // A ping is answered at any time, before connection_init too.
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.expect_json(WAIT).await, json!({"type": "pong"}));
    socket.init(&ana.access).await;
    assert_eq!(socket.expect_json(WAIT).await["type"], "connection_ack");
    socket
        .send(json!({"type": "ping", "payload": {"at": 1}}))
        .await;
    assert_eq!(socket.expect_json(WAIT).await, json!({"type": "pong"}));

    // A query over the socket answers once, then completes.
    socket.start("q", "{ me { displayName } }", json!({})).await;
    assert_eq!(
        socket.expect_json(WAIT).await,
        json!({"id": "q", "type": "next", "payload": {"data": {"me": {"displayName": "Protocol Ana"}}}})
    );
    assert_eq!(
        socket.expect_json(WAIT).await,
        json!({"id": "q", "type": "complete"})
    );

    // An invalid selection is answered with its errors, and nothing keeps running.
    socket
        .start("bad", "subscription { postAdded { nope } }", json!({}))
        .await;
    let refused = socket.expect_json(WAIT).await;
    assert_eq!(refused["id"], "bad");
    assert_eq!(refused["type"], "next");
    assert!(
        refused["payload"]["errors"][0]["message"].is_string(),
        "{refused}"
    );
    assert_eq!(socket.expect_json(WAIT).await["type"], "complete");

    // Two root fields are not one subscription.
    socket
        .start(
            "two",
            "subscription { a: heartbeat(intervalSeconds: 1) { sequence } b: heartbeat(intervalSeconds: 1) { sequence } }",
            json!({}),
        )
        .await;
    let refused = socket.expect_json(WAIT).await;
    assert_eq!(
        error_code(&refused["payload"]),
        "BAD_USER_INPUT",
        "{refused}"
    );
    assert_eq!(socket.expect_json(WAIT).await["type"], "complete");

    // A second subscriber under a running id closes the socket (4409).
    let heartbeat = "subscription { heartbeat(intervalSeconds: 300) { sequence } }";
    socket.start("h", heartbeat, json!({})).await;
    socket.start("h", heartbeat, json!({})).await;
    assert_eq!(socket.expect_close(WAIT).await, Some(4409));

    // A second connection_init closes with 4429, and a message that is not one with 4400.
    let mut again = app.socket().await;
    again.init(&ana.access).await;
    again.expect_json(WAIT).await;
    again.init(&ana.access).await;
    assert_eq!(again.expect_close(WAIT).await, Some(4429));
    let mut garbled = app.socket().await;
    garbled.init(&ana.access).await;
    garbled.expect_json(WAIT).await;
    garbled.send(json!({"type": "subscribe", "id": "1"})).await;
    assert_eq!(garbled.expect_close(WAIT).await, Some(4400));
}

#[tokio::test]
async fn a_result_too_large_for_the_socket_is_an_error_not_a_dropped_socket() {
    let app = TestApp::spawn().await;
    let ana = app.register("Long Writer").await;
    let group = app.create_group(&ana, "Long Room", "PUBLIC").await;
    let long = "word ".repeat(4_000);
    let post = app
        .ok(
            &ana.access,
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": group, "title": "Long", "body": long}}),
        )
        .await["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut socket = app.socket().await;
    socket.init(&ana.access).await;
    socket.expect_json(WAIT).await;
    let four_bodies = "query($p: ID!) { post(id: $p) { a: body b: body c: body d: body } }";
    socket.start("big", four_bodies, json!({"p": post})).await;
    let answer = socket.expect_json(WAIT).await;
    assert_eq!(answer["type"], "next");
    assert_eq!(error_code(&answer["payload"]), "BAD_USER_INPUT", "{answer}");
    assert_eq!(socket.expect_json(WAIT).await["type"], "complete");
    // The socket is still open and serves what fits.
    socket
        .start(
            "small",
            "query($p: ID!) { post(id: $p) { title } }",
            json!({"p": post}),
        )
        .await;
    assert_eq!(
        socket.expect_json(WAIT).await["payload"]["data"]["post"]["title"],
        "Long"
    );
}

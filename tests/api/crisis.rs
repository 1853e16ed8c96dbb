//! Crisis language in a post or reply: it is posted all the same, its author gets places to reach
//! someone now, and its group's moderators find it in the priority queue.
use crate::support::*;
use serde_json::{json, Value};

const CREATE_POST: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id crisisResources { name phone } } }";
const CREATE_REPLY: &str =
    "mutation($i: CreateReplyInput!) { createReply(input: $i) { id crisisResources { name } } }";
const QUEUE: &str = "query($g: ID!, $p: Boolean) { reports(groupId: $g, priority: $p) { edges { node { id targetType targetId reason priority post { id title body } reply { body } author { displayName } } } } }";
const FLAG_REASON: &str = "Crisis language: flagged automatically when written";

fn queue(data: &Value) -> Vec<Value> {
    data["reports"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn priority_queue(app: &TestApp, moderator: &Session, group: &str) -> Vec<Value> {
    queue(
        &app.ok(&moderator.access, QUEUE, json!({"g": group, "p": true}))
            .await,
    )
}

fn targets(queue: &[Value]) -> Vec<(String, String)> {
    queue
        .iter()
        .map(|report| {
            assert_eq!(report["reason"], FLAG_REASON);
            assert_eq!(report["priority"], true);
            (
                report["targetType"].as_str().unwrap().to_owned(),
                report["targetId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn create(app: &TestApp, who: &Session, query: &str, input: Value) -> Value {
    let data = app.ok(&who.access, query, json!({"i": input})).await;
    data.as_object().unwrap().values().next().unwrap().clone()
}

struct Room {
    app: TestApp,
    moderator: Session,
    ana: Session,
    ben: Session,
    group: String,
}

async fn room() -> (Room, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = crisis_resources_file(&dir);
    let app = TestApp::spawn_with(|s| s.crisis_resources = Some(file.clone())).await;
    let moderator = app.register("Queue Keeper").await;
    let ana = app.register("Heavy Night").await;
    let ben = app.register("Kind Reader").await;
    let group = app.create_group(&moderator, "Night Shift", "PUBLIC").await;
    app.join(&ana, &group).await;
    app.join(&ben, &group).await;
    app.ok(
        &ana.access,
        "mutation { updateProfile(country: \"GB\") { country } }",
        json!({}),
    )
    .await;
    (
        Room {
            app,
            moderator,
            ana,
            ben,
            group,
        },
        dir,
    )
}

#[tokio::test]
async fn crisis_words_are_posted_flagged_once_and_answered_with_resources() {
    let (
        Room {
            app,
            moderator,
            ana,
            ben,
            group,
        },
        _dir,
    ) = room().await;

    // An ordinary post: no resources, nothing queued.
    let calm = create(
        &app,
        &ana,
        CREATE_POST,
        json!({"groupId": group, "title": "Small win", "body": "I went for a walk."}),
    )
    .await;
    assert_eq!(calm["crisisResources"], json!([]));
    assert!(priority_queue(&app, &moderator, &group).await.is_empty());

    // Crisis words, typed with a phone's curly apostrophe, sent twice with one idempotency key:
    // posted once, answered with my country's resources, queued once.
    let heavy_input = json!({"groupId": group, "title": "Tonight", "body": "I can\u{2019}t go on like this.", "idempotencyKey": "tonight"});
    let heavy = create(&app, &ana, CREATE_POST, heavy_input.clone()).await;
    let again = create(&app, &ana, CREATE_POST, heavy_input).await;
    assert_eq!(heavy["id"], again["id"]);
    assert_eq!(
        heavy["crisisResources"],
        json!([{"name": "Samaritans", "phone": "116 123"}])
    );
    let heavy_id = heavy["id"].as_str().unwrap().to_owned();
    let read = "query($p: ID!) { post(id: $p) { title crisisResources { name } } }";
    let seen_by_ben = app.ok(&ben.access, read, json!({"p": heavy_id})).await;
    assert_eq!(seen_by_ben["post"]["title"], "Tonight");
    assert_eq!(seen_by_ben["post"]["crisisResources"], json!([]));

    // A reply with crisis words, and a calm post and a calm reply edited into crisis words.
    let reply = create(
        &app,
        &ben,
        CREATE_REPLY,
        json!({"postId": heavy_id, "body": "Same here, I want to die some nights."}),
    )
    .await;
    assert!(!reply["crisisResources"].as_array().unwrap().is_empty());
    let calm_reply = create(
        &app,
        &ben,
        CREATE_REPLY,
        json!({"postId": heavy_id, "body": "Sending support."}),
    )
    .await;
    let calm_id = calm["id"].as_str().unwrap().to_owned();
    let calm_reply_id = calm_reply["id"].as_str().unwrap().to_owned();
    app.ok(
        &ana.access,
        "mutation($p: ID!) { editPost(id: $p, contentWarning: \"self-harm\") { id } }",
        json!({"p": calm_id}),
    )
    .await;
    app.ok(
        &ben.access,
        "mutation($r: ID!) { editReply(id: $r, body: \"I feel suicidal tonight.\") { id } }",
        json!({"r": calm_reply_id}),
    )
    .await;

    let expected = vec![
        ("POST".to_owned(), heavy_id.clone()),
        ("REPLY".to_owned(), reply["id"].as_str().unwrap().to_owned()),
        ("POST".to_owned(), calm_id),
        ("REPLY".to_owned(), calm_reply_id),
    ];
    assert_eq!(
        targets(&priority_queue(&app, &moderator, &group).await),
        expected
    );
    let rest = queue(
        &app.ok(&moderator.access, QUEUE, json!({"g": group, "p": false}))
            .await,
    );
    assert!(rest.is_empty(), "{rest:?}");
    // The queue is the moderators': a member is refused.
    let refused = app
        .gql(Some(&ben.access), QUEUE, json!({"g": group, "p": true}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn moderators_can_act_on_a_crisis_flag() {
    let (
        Room {
            app,
            moderator,
            ana,
            ben,
            group,
        },
        _dir,
    ) = room().await;
    let admin = app.register("Platform Keeper").await;
    app.make_admin(&admin).await;
    let heavy = create(
        &app,
        &ana,
        CREATE_POST,
        json!({"groupId": group, "title": "Tonight", "body": "I want to end my life."}),
    )
    .await;
    let heavy_id = heavy["id"].as_str().unwrap().to_owned();
    let reply = create(
        &app,
        &ben,
        CREATE_REPLY,
        json!({"postId": heavy_id, "body": "Some days I want to die too."}),
    )
    .await;

    // The moderator reads what was flagged and who wrote it, a reply included.
    let flagged = priority_queue(&app, &moderator, &group).await;
    assert_eq!(flagged[0]["post"]["body"], "I want to end my life.");
    assert_eq!(flagged[0]["author"]["displayName"], "Heavy Night");
    assert_eq!(flagged[1]["reply"]["body"], "Some days I want to die too.");
    assert_eq!(flagged[1]["post"]["id"], heavy_id.as_str());
    assert_eq!(flagged[1]["author"]["displayName"], "Kind Reader");

    // Once the author deletes the post, its words are gone but the moderator still knows whom
    // to reach.
    app.ok(
        &ana.access,
        "mutation($p: ID!) { deletePost(id: $p) { id } }",
        json!({"p": heavy_id}),
    )
    .await;
    let flagged = priority_queue(&app, &moderator, &group).await;
    assert_eq!(flagged[0]["post"]["body"], Value::Null);
    assert_eq!(flagged[0]["author"]["displayName"], "Heavy Night");

    // The author's own report of their flagged reply is a report of its own, with their reason.
    let own = app
        .ok(
            &ben.access,
            "mutation($r: ID!) { report(input: {targetType: REPLY, targetId: $r, reason: \"please look\"}) { reason priority } }",
            json!({"r": reply["id"]}),
        )
        .await;
    assert_eq!(
        own["report"],
        json!({"reason": "please look", "priority": false})
    );

    // Dismissed, then edited with the words kept: not queued again.
    let resolve =
        "mutation($r: ID!, $s: ReportStatus!) { resolveReport(id: $r, status: $s) { status } }";
    app.ok(
        &moderator.access,
        resolve,
        json!({"r": flagged[1]["id"], "s": "DISMISSED"}),
    )
    .await;
    app.ok(
        &ben.access,
        "mutation($r: ID!) { editReply(id: $r, body: \"Some days I want to die too. Hugs.\") { id } }",
        json!({"r": reply["id"]}),
    )
    .await;
    assert_eq!(priority_queue(&app, &moderator, &group).await.len(), 1);

    // A moderator does not close the flag on their own words.
    let mine = create(
        &app,
        &moderator,
        CREATE_POST,
        json!({"groupId": group, "title": "Me too", "body": "I feel suicidal."}),
    )
    .await;
    // Nobody else moderates this group, so the platform's admins are told: of this flag only.
    let told = app
        .ok(
            &admin.access,
            "{ notifications(first: 10) { edges { node { kind postId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        told["notifications"]["edges"],
        json!([{"node": {"kind": "CRISIS_FLAG", "postId": mine["id"]}}])
    );
    let flagged = priority_queue(&app, &moderator, &group).await;
    let own_flag = flagged
        .iter()
        .find(|report| report["targetId"] == mine["id"])
        .unwrap();
    let refused = app
        .gql(
            Some(&moderator.access),
            resolve,
            json!({"r": own_flag["id"], "s": "DISMISSED"}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

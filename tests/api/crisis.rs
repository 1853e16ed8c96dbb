//! Crisis language in a post or reply: it is posted all the same, its author gets places to reach
//! someone now, and its group's moderators find it in the priority queue.
use crate::support::*;
use serde_json::{json, Value};

const CREATE_POST: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id crisisResources { name phone } } }";
const CREATE_REPLY: &str =
    "mutation($i: CreateReplyInput!) { createReply(input: $i) { id crisisResources { name } } }";
const QUEUE: &str = "query($g: ID!, $p: Boolean) { reports(groupId: $g, priority: $p) { edges { node { targetType targetId reason priority } } } }";

fn queue(data: &Value) -> Vec<Value> {
    data["reports"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test]
async fn crisis_words_are_posted_flagged_and_answered_with_resources() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crisis.json");
    std::fs::write(
        &file,
        r#"{"GB": [{"name": "Samaritans", "phone": "116 123", "url": "https://www.samaritans.org"}]}"#,
    )
    .unwrap();
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

    // An ordinary post: no resources, nothing queued.
    let calm = app
        .ok(
            &ana.access,
            CREATE_POST,
            json!({"i": {"groupId": group, "title": "Small win", "body": "I went for a walk."}}),
        )
        .await;
    assert_eq!(calm["createPost"]["crisisResources"], json!([]));

    // Crisis words are posted, answered with resources for my country, and queued first.
    let heavy = app
        .ok(
            &ana.access,
            CREATE_POST,
            json!({"i": {"groupId": group, "title": "Tonight", "body": "I can't go on like this, I want to die."}}),
        )
        .await;
    let post = heavy["createPost"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        heavy["createPost"]["crisisResources"],
        json!([{"name": "Samaritans", "phone": "116 123"}])
    );
    let read = "query($p: ID!) { post(id: $p) { title crisisResources { name } } }";
    let seen_by_ben = app.ok(&ben.access, read, json!({"p": post})).await;
    assert_eq!(seen_by_ben["post"]["title"], "Tonight");
    assert_eq!(seen_by_ben["post"]["crisisResources"], json!([]));

    let reply = app
        .ok(
            &ben.access,
            CREATE_REPLY,
            json!({"i": {"postId": post, "body": "I have been there. I used to cut myself too."}}),
        )
        .await;
    let reply_id = reply["createReply"]["id"].as_str().unwrap().to_owned();
    assert!(!reply["createReply"]["crisisResources"]
        .as_array()
        .unwrap()
        .is_empty());
    // Editing a flagged post does not queue it twice.
    app.ok(
        &ana.access,
        "mutation($p: ID!) { editPost(id: $p, body: \"Still here. I want to die some nights.\") { id } }",
        json!({"p": post}),
    )
    .await;

    let priority = queue(
        &app.ok(&moderator.access, QUEUE, json!({"g": group, "p": true}))
            .await,
    );
    assert_eq!(
        priority,
        vec![
            json!({"targetType": "POST", "targetId": post, "reason": "Crisis language: flagged automatically when written", "priority": true}),
            json!({"targetType": "REPLY", "targetId": reply_id, "reason": "Crisis language: flagged automatically when written", "priority": true}),
        ]
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

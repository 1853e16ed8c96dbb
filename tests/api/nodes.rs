//! Global object identification: `node(id)` and `nodes(ids)` give back every kind of object by
//! its id alone, and hide what the typed fields hide, the same way (null, no telling error).
use crate::matrix::{world, CALLERS};
use crate::support::*;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id } }";

async fn node(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    app.gql(token, NODE, json!({"id": id})).await
}

/// The typename `node` gives for `id`, or null.
async fn refetched(app: &TestApp, who: &Session, id: &str) -> Value {
    let data = app.ok(&who.access, NODE, json!({"id": id})).await;
    let found = &data["node"];
    if !found.is_null() {
        assert_eq!(found["id"], id, "node gave back another id");
    }
    found["__typename"].clone()
}

fn id_of(value: &Value) -> String {
    value.as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn every_kind_of_object_is_refetched_by_its_id() {
    let app = TestApp::spawn().await;
    let owner = app.register("Node Owner").await;
    let member = app.register("Node Member").await;
    let group = app.create_group(&owner, "Refetched by id", "PUBLIC").await;
    app.join(&member, &group).await;
    let post = app.post(&owner, &group, "A post to find again").await;
    let reply = app.reply(&member, &post, "A reply to find again").await;
    let question = app
        .ok(
            &owner.access,
            "mutation { askQuestion(input: {title: \"How do you sleep better?\", body: \"Asking for ideas.\", topic: OTHER}) { id } }",
            json!({}),
        )
        .await["askQuestion"]["id"]
        .clone();
    let question = id_of(&question);
    let answer = app
        .ok(
            &member.access,
            "mutation($q: ID!) { answerQuestion(input: {questionId: $q, body: \"A walk at dusk.\"}) { id } }",
            json!({"q": question}),
        )
        .await["answerQuestion"]["id"]
        .clone();
    let answer = id_of(&answer);
    let notification = app
        .ok(
            &owner.access,
            "{ notifications { edges { node { id } } } }",
            json!({}),
        )
        .await["notifications"]["edges"][0]["node"]["id"]
        .clone();
    let notification = id_of(&notification);
    let checkin = app
        .ok(
            &owner.access,
            "mutation { logMood(input: {score: 6}) { checkin { id } } }",
            json!({}),
        )
        .await["logMood"]["checkin"]["id"]
        .clone();
    let checkin = id_of(&checkin);
    let first = (Utc::now() + Duration::days(2)).date_naive();
    let series = app
        .ok(
            &owner.access,
            "mutation($i: ScheduleMeetingsInput!) { scheduleMeetings(input: $i) { id occurrences(from: \"2000-01-01T00:00:00Z\", to: \"2000-01-02T00:00:00Z\") { id } } }",
            json!({"i": {"groupId": group, "title": "Circle", "firstDate": first.to_string(),
                "localStartTime": "19:00", "timeZone": "Europe/Berlin", "durationMinutes": 60,
                "frequency": "ONCE"}}),
        )
        .await["scheduleMeetings"]["id"]
        .clone();
    let series = id_of(&series);
    let meeting = app
        .ok(
            &owner.access,
            "{ myMeetings { edges { node { id } } } }",
            json!({}),
        )
        .await["myMeetings"]["edges"][0]["node"]["id"]
        .clone();
    let meeting = id_of(&meeting);

    let expected = [
        (owner.user_id.clone(), "User"),
        (member.user_id.clone(), "User"),
        (group.clone(), "Group"),
        (post.clone(), "Post"),
        (reply.clone(), "Reply"),
        (question.clone(), "Question"),
        (answer.clone(), "Answer"),
        (notification.clone(), "Notification"),
        (checkin.clone(), "MoodCheckin"),
        (series.clone(), "MeetingSeries"),
        (meeting.clone(), "Meeting"),
    ];
    for (id, typename) in &expected {
        assert_eq!(refetched(&app, &owner, id).await, *typename, "node({id})");
    }

    // A refetch reads the same fields as the typed query.
    let typed = app
        .ok(
            &owner.access,
            "query($p: ID!) { post(id: $p) { id title replyCount author { id displayName } } }",
            json!({"p": post}),
        )
        .await;
    let through_node = app
        .ok(&owner.access, "query($p: ID!) { node(id: $p) { ... on Post { id title replyCount author { id displayName } } } }", json!({"p": post}))
        .await;
    assert_eq!(typed["post"], through_node["node"]);

    // Many at once, in the order asked; null for an id that names nothing.
    let mut ids: Vec<String> = expected.iter().map(|(id, _)| id.clone()).collect();
    ids.insert(3, "00000000-0000-7000-8000-000000000000".to_owned());
    ids.insert(5, "not an id at all".to_owned());
    let data = app
        .ok(
            &owner.access,
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({"ids": ids}),
        )
        .await;
    let got = data["nodes"].as_array().unwrap();
    assert_eq!(got.len(), ids.len());
    for (asked, found) in ids.iter().zip(got) {
        match expected.iter().find(|(id, _)| id == asked) {
            Some((_, typename)) => {
                assert_eq!(found["__typename"], *typename);
                assert_eq!(found["id"], asked.as_str());
            }
            None => assert!(found.is_null(), "{asked} gave {found}"),
        }
    }

    // What is mine alone is nobody else's, through `node` too.
    for mine in [&notification, &checkin] {
        assert!(refetched(&app, &member, mine).await.is_null());
    }
    // Signed out: the same answer as every typed field, whether or not the id names anything.
    assert_eq!(
        error_code(&node(&app, None, &post).await),
        "UNAUTHENTICATED"
    );
    let nothing = node(&app, None, "00000000-0000-7000-8000-000000000000").await;
    assert_eq!(error_code(&nothing), "UNAUTHENTICATED");
    let many = app
        .gql(
            None,
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": ["00000000-0000-7000-8000-000000000000"]}),
        )
        .await;
    assert_eq!(error_code(&many), "UNAUTHENTICATED");

    // Bounded.
    let too_many: Vec<String> = (0..101).map(|_| post.clone()).collect();
    let body = app
        .gql(
            Some(&owner.access),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": too_many}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

/// The authorisation matrix's world, read through `node`: for each caller, `node` finds the
/// group, the post and a reply exactly when the typed fields do, and answers null where they
/// answer `NOT_FOUND`. A person is shown to the people who share a group with them.
async fn matrix_through_node(visibility: &str) {
    let app = TestApp::spawn_with(|s| s.posting_limits.posts_per_hour = 100).await;
    let world = world(&app, visibility).await;
    let owner_token = world.tokens[5].clone().unwrap();
    let reply = app
        .ok(
            &owner_token,
            "mutation($p: ID!) { createReply(input: {postId: $p, body: \"The author's reply\"}) { id } }",
            json!({"p": world.post}),
        )
        .await["createReply"]["id"]
        .clone();
    let reply = id_of(&reply);
    let owner = app.ok(&owner_token, "{ me { id } }", json!({})).await["me"]["id"].clone();
    let owner = id_of(&owner);
    let typed_reads = [
        (
            "group",
            "query($id: ID!) { group(id: $id) { id } }",
            world.group.clone(),
        ),
        (
            "post",
            "query($id: ID!) { post(id: $id) { id } }",
            world.post.clone(),
        ),
        (
            "reply",
            "query($id: ID!) { post(id: $id) { replies { edges { node { id } } } } }",
            world.post.clone(),
        ),
    ];
    // Who shares the group with its owner: the owner, the member and the moderator; not the
    // outsider, the pending, the banned, or the person the owner blocked.
    let person_seen = [false, false, false, true, true, true, false, false];
    let mut failures = Vec::new();
    for (i, token) in world.tokens.iter().enumerate() {
        let caller = CALLERS[i];
        for (name, query, id) in &typed_reads {
            let typed = app.gql(token.as_deref(), query, json!({"id": id})).await;
            let expected = match typed.get("errors") {
                Some(_) => error_code(&typed).to_owned(),
                None if *name == "reply" => {
                    let listed = typed["data"]["post"]["replies"]["edges"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|e| e["node"]["id"] == reply.as_str());
                    if listed { "found" } else { "NOT_FOUND" }.to_owned()
                }
                None => "found".to_owned(),
            };
            let asked = if *name == "reply" { &reply } else { id };
            let through_node = node(&app, token.as_deref(), asked).await;
            let got = match through_node.get("errors") {
                Some(_) => error_code(&through_node).to_owned(),
                None if through_node["data"]["node"].is_null() => "NOT_FOUND".to_owned(),
                None => "found".to_owned(),
            };
            if got != expected {
                failures.push(format!(
                    "{visibility} {name} as {caller}: typed {expected}, node {got} ({through_node})"
                ));
            }
        }
        let person = node(&app, token.as_deref(), &owner).await;
        let got = match person.get("errors") {
            Some(_) => error_code(&person).to_owned(),
            None => (!person["data"]["node"].is_null()).to_string(),
        };
        let expected = match token {
            None => "UNAUTHENTICATED".to_owned(),
            Some(_) => person_seen[i].to_string(),
        };
        if got != expected {
            failures.push(format!(
                "{visibility} the owner as {caller}: expected {expected}, got {got} ({person})"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn node_hides_what_the_typed_fields_hide_public() {
    matrix_through_node("PUBLIC").await;
}

#[tokio::test]
async fn node_hides_what_the_typed_fields_hide_private() {
    matrix_through_node("PRIVATE").await;
}

#[tokio::test]
async fn node_hides_what_the_typed_fields_hide_hidden() {
    matrix_through_node("HIDDEN").await;
}

#[tokio::test]
async fn a_person_is_shown_by_node_as_the_group_we_share_shows_them() {
    let app = TestApp::spawn().await;
    let owner = app.register("Alias Owner").await;
    let member = app.register("Alias Member").await;
    let group = app
        .create_group(&owner, "Where aliases hold", "PRIVATE")
        .await;
    app.join(&member, &group).await;
    app.ok(
        &owner.access,
        "mutation($g: ID!, $u: ID!) { approveJoinRequest(groupId: $g, userId: $u) }",
        json!({"g": group, "u": member.user_id}),
    )
    .await;
    app.ok(
        &member.access,
        "mutation($g: ID!) { updateMembership(groupId: $g, alias: \"Quiet Fox\") { alias } }",
        json!({"g": group}),
    )
    .await;
    // The owner sees the member by the alias the group shows, never the pseudonym behind it.
    let data = app
        .ok(
            &owner.access,
            "query($id: ID!) { node(id: $id) { ... on User { id displayName role } } }",
            json!({"id": member.user_id}),
        )
        .await;
    assert_eq!(data["node"]["displayName"], "Quiet Fox");
    assert_eq!(data["node"]["role"], "MEMBER");
    // Myself: by my pseudonym.
    let data = app
        .ok(
            &member.access,
            "query($id: ID!) { node(id: $id) { ... on User { displayName } } }",
            json!({"id": member.user_id}),
        )
        .await;
    assert_eq!(data["node"]["displayName"], "Alias Member");
    // Once the member leaves, the owner shares no group with them.
    app.ok(
        &member.access,
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({"g": group}),
    )
    .await;
    assert!(refetched(&app, &owner, &member.user_id).await.is_null());
}

/// An anonymous post read through `node` names nobody, as the typed field does, also to
/// someone its author blocked (hiding it from them would tell who wrote it).
#[tokio::test]
async fn an_anonymous_post_through_node_names_nobody() {
    let app = TestApp::spawn().await;
    let author = app.register("Node Anonymous").await;
    let reader = app.register("Node Reader").await;
    let group = app.create_group(&author, "Unnamed here", "PUBLIC").await;
    app.join(&reader, &group).await;
    let post = app
        .ok(
            &author.access,
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": group, "title": "Unsigned", "body": "Said without a name.", "anonymous": true}}),
        )
        .await["createPost"]["id"]
        .clone();
    app.ok(
        &author.access,
        "mutation($u: ID!) { blockPerson(userId: $u) { id } }",
        json!({"u": reader.user_id}),
    )
    .await;
    const READ: &str =
        "query($id: ID!) { node(id: $id) { id ... on Post { anonymous author { id } } } }";
    let typed = app
        .ok(
            &reader.access,
            "query($id: ID!) { post(id: $id) { id anonymous author { id } } }",
            json!({"id": post}),
        )
        .await;
    let through_node = app.ok(&reader.access, READ, json!({"id": post})).await;
    assert_eq!(through_node["node"], typed["post"]);
    assert_eq!(through_node["node"]["author"], Value::Null);
    assert!(!through_node.to_string().contains(&author.user_id));
}

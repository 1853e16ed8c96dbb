//! Full-text search on both backends: `similarQuestions` before asking, and `searchPosts`.
use crate::support::*;
use serde_json::{json, Value};

const SIMILAR: &str =
    "query($t: String!, $b: String) { similarQuestions(title: $t, body: $b) { id title } }";
const SEARCH: &str = "query($q: String!, $g: ID, $f: Int, $a: String) { searchPosts(query: $q, groupId: $g, first: $f, after: $a) { edges { cursor node { id title } } pageInfo { hasNextPage } } }";

fn titles(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|q| {
            q.get("node")
                .unwrap_or(q)
                .get("title")
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn similar_questions_rank_the_closest_first_and_respect_who_may_read() {
    let app = TestApp::spawn().await;
    let asker = app.register("Corpus Asker").await;
    let member = app.register("Private Member").await;
    let reader = app.register("New Reader").await;
    let corpus = [
        (
            "Is it normal to feel numb on sertraline?",
            "Three weeks on sertraline and I feel nothing.",
        ),
        ("How do I sleep before exams?", "Exams make my sleep awful."),
        (
            "Coping with grief after losing my father",
            "It has been a month.",
        ),
        (
            "Does exercise help with low mood?",
            "Walking seems to help a little.",
        ),
        (
            "Side effects of starting an antidepressant",
            "Nausea in the first week.",
        ),
    ];
    for (title, body) in corpus {
        app.ok(
            &asker.access,
            "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }",
            json!({"i": {"title": title, "body": body, "topic": "DEPRESSION"}}),
        )
        .await;
    }
    let group = app.create_group(&member, "Closed circle", "PRIVATE").await;
    app.ok(
        &member.access,
        "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }",
        json!({"i": {"title": "Sertraline and feeling numb, members only", "topic": "DEPRESSION", "groupId": group}}),
    )
    .await;

    let found = app
        .ok(
            &reader.access,
            SIMILAR,
            json!({"t": "feeling numb on sertraline", "b": "is this normal?"}),
        )
        .await;
    let found = titles(&found["similarQuestions"]);
    assert_eq!(
        found[0], "Is it normal to feel numb on sertraline?",
        "{found:?}"
    );
    assert!(
        !found.iter().any(|t| t.contains("members only")),
        "a private group's question is not shown to outsiders: {found:?}"
    );
    assert!(!found.iter().any(|t| t.contains("grief")), "{found:?}");

    // Stemming: "exam" and "sleeping" find "exams" and "sleep".
    let found = app
        .ok(
            &reader.access,
            SIMILAR,
            json!({"t": "sleeping badly before an exam"}),
        )
        .await;
    assert_eq!(
        titles(&found["similarQuestions"])[0],
        "How do I sleep before exams?"
    );

    // The member sees their group's question too.
    let found = app
        .ok(
            &member.access,
            SIMILAR,
            json!({"t": "numb sertraline members"}),
        )
        .await;
    assert_eq!(
        titles(&found["similarQuestions"])[0],
        "Sertraline and feeling numb, members only"
    );

    // One shared word is not enough: "sleep" and "numb" are each in one title, never together.
    let one_each = json!({"t": "sleeping numb"});
    let found = app.ok(&reader.access, SIMILAR, one_each.clone()).await;
    assert_eq!(found["similarQuestions"], json!([]));
    // A title edited to hold both is found by them.
    let exams = app
        .ok(
            &reader.access,
            "{ questions(first: 20, search: \"exams\") { edges { node { id } } } }",
            json!({}),
        )
        .await["questions"]["edges"][0]["node"]["id"]
        .clone();
    app.ok(
        &asker.access,
        "mutation($id: ID!) { editQuestion(id: $id, input: {title: \"Numb and unable to sleep before exams\"}) { id } }",
        json!({"id": exams}),
    )
    .await;
    let found = app.ok(&reader.access, SIMILAR, one_each.clone()).await;
    assert_eq!(
        titles(&found["similarQuestions"]),
        ["Numb and unable to sleep before exams"]
    );
    // Deleted, it is no longer offered.
    app.ok(
        &asker.access,
        "mutation($q: ID!) { deleteQuestion(id: $q) }",
        json!({"q": exams}),
    )
    .await;
    let found = app.ok(&reader.access, SIMILAR, one_each).await;
    assert_eq!(found["similarQuestions"], json!([]));

    // Query syntax in people's words is just words; nothing to search for is an empty list.
    for draft in [
        r#"title:* OR "sertraline" NEAR(numb"#,
        "?? !!",
        "the and of",
    ] {
        let body = app
            .gql(Some(&reader.access), SIMILAR, json!({ "t": draft }))
            .await;
        assert!(body.get("errors").is_none(), "{draft}: {body}");
    }
    let none = app
        .ok(&reader.access, SIMILAR, json!({"t": "?? the !!"}))
        .await;
    assert_eq!(none["similarQuestions"], json!([]));
}

#[tokio::test]
async fn search_posts_finds_every_word_only_where_the_caller_may_read() {
    let app = TestApp::spawn().await;
    let owner = app.register("Search Owner").await;
    let reader = app.register("Search Reader").await;
    let blocked = app.register("Blocked Writer").await;
    let open = app
        .create_group(&owner, "Open search group", "PUBLIC")
        .await;
    let closed = app
        .create_group(&owner, "Closed search group", "PRIVATE")
        .await;
    app.join(&reader, &open).await;
    app.join(&blocked, &open).await;

    let best = app
        .post(&owner, &open, "Panic attacks on the night bus")
        .await;
    let other = app.post(&owner, &open, "Night shifts and panic").await;
    app.post(&owner, &open, "Sunday walk in the park").await;
    app.post(&owner, &closed, "Panic attacks at night, private")
        .await;
    app.post(&blocked, &open, "Panic at night every night")
        .await;
    let removed = app.post(&owner, &open, "Panic night removed").await;
    app.ok(
        &owner.access,
        "mutation($p: ID!) { removePost(id: $p, reason: \"test\") { id } }",
        json!({"p": removed}),
    )
    .await;
    app.ok(
        &reader.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": blocked.user_id}),
    )
    .await;

    let found = app
        .ok(&reader.access, SEARCH, json!({"q": "panic night"}))
        .await;
    let edges = &found["searchPosts"]["edges"];
    let ids: Vec<&str> = edges
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        2,
        "every word, readable, not blocked, not removed: {found}"
    );
    assert!(ids.contains(&best.as_str()) && ids.contains(&other.as_str()));
    assert_eq!(
        app.ok(&reader.access, SEARCH, json!({"q": "panic attacks night"}))
            .await["searchPosts"]["edges"][0]["node"]["id"],
        json!(best)
    );

    // Pages by position.
    let one = app
        .ok(&reader.access, SEARCH, json!({"q": "panic night", "f": 1}))
        .await;
    assert_eq!(one["searchPosts"]["pageInfo"]["hasNextPage"], true);
    let after = one["searchPosts"]["edges"][0]["cursor"].clone();
    let two = app
        .ok(
            &reader.access,
            SEARCH,
            json!({"q": "panic night", "f": 1, "a": after}),
        )
        .await;
    assert_eq!(two["searchPosts"]["pageInfo"]["hasNextPage"], false);
    assert_ne!(
        one["searchPosts"]["edges"][0]["node"]["id"],
        two["searchPosts"]["edges"][0]["node"]["id"]
    );

    // Within one group; a group the caller may not read is refused, not searched.
    let in_closed = app
        .gql(
            Some(&reader.access),
            SEARCH,
            json!({"q": "panic", "g": closed}),
        )
        .await;
    assert_eq!(error_code(&in_closed), "FORBIDDEN");
    let in_own = app
        .ok(&owner.access, SEARCH, json!({"q": "panic", "g": closed}))
        .await;
    assert_eq!(
        titles(&in_own["searchPosts"]["edges"]),
        ["Panic attacks at night, private"]
    );

    // An edit is searchable at once; a deleted post is not.
    app.ok(
        &owner.access,
        "mutation($p: ID!) { editPost(id: $p, title: \"Sunday walk with my dog\") { id } }",
        json!({"p": best}),
    )
    .await;
    let dog = app.ok(&reader.access, SEARCH, json!({"q": "dog"})).await;
    assert_eq!(
        titles(&dog["searchPosts"]["edges"]),
        ["Sunday walk with my dog"]
    );
    app.ok(
        &owner.access,
        "mutation($p: ID!) { deletePost(id: $p) { id } }",
        json!({"p": best}),
    )
    .await;
    let dog = app.ok(&reader.access, SEARCH, json!({"q": "dog"})).await;
    assert_eq!(dog["searchPosts"]["edges"], json!([]));
}

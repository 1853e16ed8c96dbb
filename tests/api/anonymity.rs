//! The anonymity walk: an anonymous post and an anonymous question, read by everyone around them
//! (a moderator, a follower, someone the author blocked, someone who blocked the author, a
//! stranger) through every field, list, search, subscription, notification and push that can
//! reach a person. The author is named nowhere; only a moderator acting on a report learns who
//! it was, and that reveal is logged.
use crate::fake_fcm::FakeFcm;
use crate::support::*;
use serde_json::{json, Value};
use std::time::Duration;

const PERSON: &str = "id displayName role expert { title }";

fn post_fields() -> String {
    format!("id anonymous postedByMe title author {{ {PERSON} }} replies(first: 5) {{ edges {{ node {{ body anonymous author {{ {PERSON} }} }} }} }}")
}

fn question_fields() -> String {
    format!("id title anonymous askedByMe authorName author {{ {PERSON} }} group {{ id }} answers(first: 5) {{ edges {{ node {{ body anonymous authorName author {{ {PERSON} }} }} }} }}")
}

/// Everything one person can read about the anonymous post and question, as one text.
async fn everything(
    app: &TestApp,
    who: &Session,
    group: &str,
    post: &str,
    question: &str,
) -> String {
    let post_fields = post_fields();
    let question_fields = question_fields();
    let queries = [
        (format!("query($p: ID!) {{ post(id: $p) {{ {post_fields} }} }}"), json!({"p": post})),
        (
            format!("query($g: ID!) {{ group(id: $g) {{ posts(first: 5) {{ edges {{ node {{ {post_fields} }} }} }} pinnedPosts {{ id }} }} }}"),
            json!({"g": group}),
        ),
        (format!("{{ feed(first: 5) {{ edges {{ node {{ {post_fields} }} }} }} }}"), json!({})),
        (
            format!("{{ searchPosts(query: \"lonely evenings\") {{ edges {{ node {{ {post_fields} }} }} }} }}"),
            json!({}),
        ),
        (format!("query($q: ID!) {{ question(id: $q) {{ {question_fields} }} }}"), json!({"q": question})),
        (format!("{{ questions(first: 5) {{ edges {{ node {{ {question_fields} }} }} }} }}"), json!({})),
        (
            format!("{{ similarQuestions(title: \"medication numb weeks\") {{ {question_fields} }} }}"),
            json!({}),
        ),
        (
            format!("{{ notifications(first: 20) {{ edges {{ node {{ kind text actor {{ {PERSON} }} }} }} }} }}"),
            json!({}),
        ),
    ];
    let mut seen = String::new();
    for (query, variables) in queries {
        let body = app.gql(Some(&who.access), &query, variables).await;
        assert!(body.get("errors").is_none(), "{query}: {body}");
        seen.push_str(&body.to_string());
    }
    seen
}

fn assert_unnamed(text: &str, author: &Session, whose_view: &str) {
    for secret in [
        author.user_id.as_str(),
        "Anon Writer",
        author.email.as_str(),
    ] {
        assert!(
            !text.contains(secret),
            "{whose_view} can see {secret:?}: {text}"
        );
    }
}

#[tokio::test]
async fn an_anonymous_author_is_unreachable_through_every_field_but_a_logged_reveal() {
    let fcm = FakeFcm::start().await;
    let (app, _dir) = TestApp::pushing_to(&fcm, |_| {}).await;
    let owner = app.register("Walk Moderator").await;
    let anon = app.register("Anon Writer").await;
    let follower = app.register("Walk Follower").await;
    let blocker = app.register("Walk Blocker").await;
    let blocked = app.register("Walk Blocked").await;
    let stranger = app.register("Walk Stranger").await;
    let group = app.create_group(&owner, "Walk group", "PUBLIC").await;
    for who in [&anon, &follower, &blocker, &blocked] {
        app.join(who, &group).await;
    }
    app.ok(
        &blocker.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": anon.user_id}),
    )
    .await;
    app.ok(
        &anon.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": blocked.user_id}),
    )
    .await;
    // The follower hears of every post, with previews, on a phone; and watches the group live.
    app.ok(
        &follower.access,
        "mutation($g: ID!) { updateMembership(groupId: $g, notificationLevel: ALL) { notificationLevel } }",
        json!({"g": group}),
    )
    .await;
    for who in [&follower, &owner] {
        app.ok(
            &who.access,
            "mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID}) { id } }",
            json!({"t": format!("phone-{}", who.user_id)}),
        )
        .await;
        app.ok(
            &who.access,
            "mutation { updatePushPreferences(input: {previews: true}) { previews } }",
            json!({}),
        )
        .await;
    }
    let mut live = app.socket().await;
    live.subscribe_ready(
        &follower.access,
        "p",
        &format!(
            "subscription($g: ID!) {{ postAdded(groupId: $g) {{ {} }} }}",
            post_fields()
        ),
        json!({"g": group}),
    )
    .await;

    let post = app
        .ok(
            &anon.access,
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id anonymous postedByMe author { id } } }",
            json!({"i": {"groupId": group, "title": "Lonely evenings", "body": "Lonely evenings are the worst part.", "anonymous": true}}),
        )
        .await["createPost"]
        .clone();
    assert_eq!(post["anonymous"], true);
    assert_eq!(post["postedByMe"], true);
    assert_eq!(post["author"], Value::Null);
    let post = post["id"].as_str().unwrap().to_owned();
    let pushed = live.expect_json(Duration::from_secs(5)).await;
    assert_unnamed(&pushed.to_string(), &anon, "the postAdded subscription");

    let question = app
        .ok(
            &anon.access,
            "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }",
            json!({"i": {"title": "Does medication make you numb for weeks?", "topic": "DEPRESSION", "anonymous": true}}),
        )
        .await["askQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Others reply and answer (the blocked and the blocker included: nothing stops them, which
    // would tell); the author accepts an answer and reacts; the moderator hears of it all.
    for who in [&follower, &blocker, &blocked] {
        app.reply(who, &post, "You are not alone in this").await;
        let answered = app
            .ok(
                &who.access,
                "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id } }",
                json!({"i": {"questionId": question, "body": "It eased for me after a month"}}),
            )
            .await;
        if std::ptr::eq(who, &follower) {
            app.ok(
                &anon.access,
                "mutation($a: ID!) { acceptAnswer(answerId: $a) { accepted } }",
                json!({"a": answered["answerQuestion"]["id"]}),
            )
            .await;
        }
    }

    for (who, name) in [
        (&owner, "the moderator"),
        (&follower, "a follower"),
        (&blocker, "someone who blocked the author"),
        (&blocked, "someone the author blocked"),
        (&stranger, "a stranger"),
    ] {
        let seen = everything(&app, who, &group, &post, &question).await;
        assert!(
            seen.contains("Lonely evenings"),
            "{name} cannot read the post: {seen}"
        );
        assert!(
            seen.contains("medication"),
            "{name} cannot read the question: {seen}"
        );
        assert_unnamed(&seen, &anon, name);
    }
    // Pushes (with previews) name nobody either.
    fcm.wait_for_sends(1).await;
    for sent in fcm.sends() {
        assert_unnamed(&sent.body.to_string(), &anon, "a push");
    }

    // A moderator acting on a report learns who it was, into the mod log; nobody else can.
    let report = app
        .ok(
            &follower.access,
            "mutation($p: ID!) { report(input: {targetType: POST, targetId: $p, reason: \"Worried about them\"}) { id } }",
            json!({"p": post}),
        )
        .await["report"]["id"]
        .clone();
    let reveal = "mutation($r: ID!) { revealReportedAuthor(reportId: $r) { id } }";
    let refused = app
        .gql(Some(&follower.access), reveal, json!({"r": report}))
        .await;
    assert_eq!(error_code(&refused), "NOT_FOUND");
    let queue = app
        .ok(
            &owner.access,
            "query($g: ID!) { reports(groupId: $g) { edges { node { author { id } } } } }",
            json!({"g": group}),
        )
        .await;
    assert_unnamed(&queue.to_string(), &anon, "the report queue");
    let revealed = app.ok(&owner.access, reveal, json!({"r": report})).await;
    assert_eq!(revealed["revealReportedAuthor"]["id"], json!(anon.user_id));
    let log = app
        .ok(
            &owner.access,
            "query($g: ID!) { group(id: $g) { modLog(first: 5) { edges { node { action } } } } }",
            json!({"g": group}),
        )
        .await;
    assert_eq!(
        log["group"]["modLog"]["edges"][0]["node"]["action"],
        "REVEAL_AUTHOR"
    );
}

#[tokio::test]
async fn an_anonymous_author_stays_anonymous_in_their_own_thread() {
    let app = TestApp::spawn().await;
    let owner = app.register("Walk Moderator").await;
    let anon = app.register("Anon Writer").await;
    let follower = app.register("Walk Follower").await;
    let blocker = app.register("Walk Blocker").await;
    let stranger = app.register("Walk Stranger").await;
    let group = app.create_group(&owner, "Walk group", "PUBLIC").await;
    for who in [&anon, &follower, &blocker] {
        app.join(who, &group).await;
    }
    app.ok(
        &blocker.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": anon.user_id}),
    )
    .await;
    let post = app
        .ok(
            &anon.access,
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": group, "title": "Lonely evenings", "body": "Lonely evenings are the worst part.", "anonymous": true}}),
        )
        .await["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let question = app
        .ok(
            &anon.access,
            "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }",
            json!({"i": {"title": "Does medication make you numb for weeks?", "topic": "DEPRESSION", "anonymous": true}}),
        )
        .await["askQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The follower replies and answers first, so they hear of what the author writes next, and
    // watches the thread live.
    app.reply(&follower, &post, "You are not alone in this")
        .await;
    app.ok(
        &follower.access,
        "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id } }",
        json!({"i": {"questionId": question, "body": "It eased for me after a month"}}),
    )
    .await;
    app.ok(
        &follower.access,
        "mutation($q: ID!) { followQuestion(questionId: $q) { id } }",
        json!({"q": question}),
    )
    .await;
    let mut live = app.socket().await;
    live.subscribe_ready(
        &follower.access,
        "r",
        &format!("subscription($p: ID!) {{ replyAdded(postId: $p) {{ body anonymous author {{ {PERSON} }} }} }}"),
        json!({"p": post}),
    )
    .await;

    // The author answers in their own thread, anonymously by default.
    let reply = app
        .ok(
            &anon.access,
            "mutation($i: CreateReplyInput!) { createReply(input: $i) { id anonymous repliedByMe author { id } } }",
            json!({"i": {"postId": post, "body": "Thank you, truly"}}),
        )
        .await["createReply"]
        .clone();
    assert_eq!(reply["anonymous"], true);
    assert_eq!(reply["repliedByMe"], true);
    assert_eq!(reply["author"], Value::Null);
    let answer = app
        .ok(
            &anon.access,
            "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { anonymous author { id } authorName } }",
            json!({"i": {"questionId": question, "body": "Update: it eased for me too"}}),
        )
        .await["answerQuestion"]
        .clone();
    assert_eq!(
        answer,
        json!({"anonymous": true, "author": null, "authorName": "Anonymous member · asker"})
    );
    let pushed = live.expect_json(Duration::from_secs(5)).await;
    assert_eq!(pushed["payload"]["data"]["replyAdded"]["anonymous"], true);
    assert_unnamed(&pushed.to_string(), &anon, "the replyAdded subscription");

    for (who, name) in [
        (&owner, "the moderator"),
        (&follower, "a follower"),
        (&blocker, "someone who blocked the author"),
        (&stranger, "a stranger"),
    ] {
        let seen = everything(&app, who, &group, &post, &question).await;
        // Even someone who blocked the author sees the anonymous words: hiding them would tell.
        for words in ["Thank you, truly", "Update: it eased"] {
            assert!(seen.contains(words), "{name} cannot read {words:?}: {seen}");
        }
        assert_unnamed(&seen, &anon, name);
    }
    // A report of the reply names nobody in the queue; the logged reveal does.
    let report = app
        .ok(
            &follower.access,
            "mutation($r: ID!) { report(input: {targetType: REPLY, targetId: $r, reason: \"Worried\"}) { id } }",
            json!({"r": reply["id"]}),
        )
        .await["report"]["id"]
        .clone();
    let queue = app
        .ok(
            &owner.access,
            "query($g: ID!) { reports(groupId: $g) { edges { node { author { id } } } } }",
            json!({"g": group}),
        )
        .await;
    assert_unnamed(&queue.to_string(), &anon, "the report queue");
    let revealed = app
        .ok(
            &owner.access,
            "mutation($r: ID!) { revealReportedAuthor(reportId: $r) { id } }",
            json!({"r": report}),
        )
        .await;
    assert_eq!(revealed["revealReportedAuthor"]["id"], json!(anon.user_id));

    // Nobody else may write anonymously there; the author may choose to be named, per reply.
    let refused = app
        .gql(
            Some(&follower.access),
            "mutation($i: CreateReplyInput!) { createReply(input: $i) { id } }",
            json!({"i": {"postId": post, "body": "me too", "anonymous": true}}),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "anonymous");
    let named = app
        .ok(
            &anon.access,
            "mutation($i: CreateReplyInput!) { createReply(input: $i) { anonymous author { displayName } } }",
            json!({"i": {"postId": post, "body": "It's me, I'm fine with that", "anonymous": false}}),
        )
        .await;
    assert_eq!(
        named["createReply"],
        json!({"anonymous": false, "author": {"displayName": "Anon Writer"}})
    );
}

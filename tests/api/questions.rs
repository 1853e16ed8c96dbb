//! Ask a Question: questions, answers and their rank, acceptance, helpful marks, following, and
//! expert standing, over HTTP on the real server.
use crate::support::*;
use serde_json::{json, Value};

const ASK: &str = "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id title body topic tags anonymous authorName author { id } askedByMe following answerCount group { id } } }";
const ANSWER: &str = "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id body accepted helpfulCount author { id displayName expert { title } } } }";
const QUESTION: &str = "query($id: ID!) { question(id: $id) { id answerCount acceptedAnswerId following answers(first: 20) { totalCount edges { cursor node { id accepted helpfulCount markedHelpful author { id expert { title verifiedUntil } } } } pageInfo { hasNextPage } } } }";

async fn ask(app: &TestApp, who: &Session, input: Value) -> Value {
    app.ok(&who.access, ASK, json!({ "i": input })).await["askQuestion"].clone()
}

/// Asks, and returns the new question's id.
async fn ask_id(app: &TestApp, who: &Session, input: Value) -> String {
    ask(app, who, input).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn answer(app: &TestApp, who: &Session, question: &str, body: &str) -> String {
    let data = app
        .ok(
            &who.access,
            ANSWER,
            json!({"i": {"questionId": question, "body": body}}),
        )
        .await;
    data["answerQuestion"]["id"].as_str().unwrap().to_owned()
}

fn answer_ids(question: &Value) -> Vec<String> {
    question["answers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn question(app: &TestApp, who: &Session, id: &str) -> Value {
    app.ok(&who.access, QUESTION, json!({ "id": id })).await["question"].clone()
}

/// Gives someone expert standing until `until` (RFC 3339), as a platform admin does.
async fn grant_expert(app: &TestApp, admin: &Session, who: &Session, until: &str) -> Value {
    app.gql(
        Some(&admin.access),
        "mutation($u: ID!, $t: String!, $v: DateTime!) { grantExpert(userId: $u, title: $t, verifiedUntil: $v) { title verifiedUntil } }",
        json!({"u": who.user_id, "t": "Licensed clinical social worker", "v": until}),
    )
    .await
}

#[tokio::test]
async fn a_question_is_asked_read_answered_and_listed_with_its_count() {
    let app = TestApp::spawn().await;
    let asker = app.register("Quiet Asker").await;
    let helper = app.register("Kind Helper").await;
    let asked = ask(
        &app,
        &asker,
        json!({"title": "Is it normal to feel numb on sertraline?", "body": "Three weeks in.", "topic": "DEPRESSION", "tags": ["Medication", "ssri"]}),
    )
    .await;
    let id = asked["id"].as_str().unwrap();
    assert_eq!(asked["tags"], json!(["medication", "ssri"]));
    assert_eq!(asked["authorName"], "Quiet Asker");
    assert_eq!(asked["author"]["id"], json!(asker.user_id));
    assert_eq!(asked["askedByMe"], true);
    assert_eq!(asked["following"], true, "the asker follows their question");
    assert_eq!(asked["group"], Value::Null);

    // Anyone signed in reads a platform-wide question; nobody signed out does.
    let seen = app
        .ok(
            &helper.access,
            "query($id: ID!) { question(id: $id) { title askedByMe following } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        seen["question"],
        json!({"title": "Is it normal to feel numb on sertraline?", "askedByMe": false, "following": false})
    );
    let anonymous = app.gql(None, QUESTION, json!({ "id": id })).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let first = answer(&app, &helper, id, "Yes, it often eases after a few weeks.").await;
    let read = question(&app, &asker, id).await;
    assert_eq!(read["answerCount"], 1);
    assert_eq!(answer_ids(&read), [first.as_str()]);
    assert_eq!(read["answers"]["totalCount"], 1);

    let listed = app
        .ok(
            &helper.access,
            "{ questions(first: 10) { totalCount edges { node { id answerCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["questions"]["totalCount"], 1);
    assert_eq!(
        listed["questions"]["edges"][0]["node"],
        json!({"id": id, "answerCount": 1})
    );
}

#[tokio::test]
async fn answers_rank_accepted_then_expert_then_helpful_then_oldest() {
    let app = TestApp::spawn().await;
    let asker = app.register("Rank Asker").await;
    let admin = app.register("Rank Admin").await;
    app.make_admin(&admin).await;
    let early = app.register("Early Answerer").await;
    let liked = app.register("Liked Answerer").await;
    let expert = app.register("Expert Answerer").await;
    let late = app.register("Late Answerer").await;
    let voters = [
        app.register("Voter One").await,
        app.register("Voter Two").await,
    ];
    let id = ask_id(
        &app,
        &asker,
        json!({"title": "How do I sleep before exams?", "topic": "ANXIETY"}),
    )
    .await;
    let a_early = answer(&app, &early, &id, "Keep a routine.").await;
    let a_liked = answer(&app, &liked, &id, "No screens after ten.").await;
    let a_expert = answer(&app, &expert, &id, "Talk to your GP if it lasts.").await;
    let a_late = answer(&app, &late, &id, "Breathe in for four.").await;
    assert_eq!(
        answer_ids(&question(&app, &asker, &id).await),
        [
            a_early.as_str(),
            a_liked.as_str(),
            a_expert.as_str(),
            a_late.as_str()
        ],
        "with nothing else to go by, oldest first"
    );

    let mark = "mutation($a: ID!) { markHelpful(answerId: $a) { helpfulCount markedHelpful } }";
    for voter in &voters {
        let marked = app.ok(&voter.access, mark, json!({"a": a_liked})).await;
        assert_eq!(marked["markHelpful"]["markedHelpful"], true);
    }
    // Twice by the same person is once.
    let again = app.ok(&voters[0].access, mark, json!({"a": a_liked})).await;
    assert_eq!(again["markHelpful"]["helpfulCount"], 2);
    assert_eq!(
        answer_ids(&question(&app, &asker, &id).await),
        [
            a_liked.as_str(),
            a_early.as_str(),
            a_expert.as_str(),
            a_late.as_str()
        ]
    );

    let until = (chrono::Utc::now() + chrono::Duration::days(365)).to_rfc3339();
    let granted = grant_expert(&app, &admin, &expert, &until).await;
    assert_eq!(
        granted["data"]["grantExpert"]["title"],
        "Licensed clinical social worker"
    );
    let read = question(&app, &asker, &id).await;
    assert_eq!(
        answer_ids(&read),
        [
            a_expert.as_str(),
            a_liked.as_str(),
            a_early.as_str(),
            a_late.as_str()
        ]
    );
    assert_eq!(
        read["answers"]["edges"][0]["node"]["author"]["expert"]["title"],
        "Licensed clinical social worker"
    );

    let accept = "mutation($a: ID!) { acceptAnswer(answerId: $a) { id accepted } }";
    app.ok(&asker.access, accept, json!({"a": a_late})).await;
    let read = question(&app, &asker, &id).await;
    assert_eq!(
        answer_ids(&read),
        [
            a_late.as_str(),
            a_expert.as_str(),
            a_liked.as_str(),
            a_early.as_str()
        ]
    );
    assert_eq!(read["acceptedAnswerId"], json!(a_late));

    // One accepted at a time: accepting another takes it from the first.
    app.ok(&asker.access, accept, json!({"a": a_early})).await;
    let read = question(&app, &asker, &id).await;
    assert_eq!(
        answer_ids(&read),
        [
            a_early.as_str(),
            a_expert.as_str(),
            a_liked.as_str(),
            a_late.as_str()
        ]
    );
    let accepted: Vec<bool> = read["answers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["accepted"].as_bool().unwrap())
        .collect();
    assert_eq!(accepted, [true, false, false, false]);

    app.ok(
        &asker.access,
        "mutation($a: ID!) { unacceptAnswer(answerId: $a) { accepted } }",
        json!({"a": a_early}),
    )
    .await;
    let read = question(&app, &asker, &id).await;
    assert_eq!(read["acceptedAnswerId"], Value::Null);
    assert_eq!(
        answer_ids(&read),
        [
            a_expert.as_str(),
            a_liked.as_str(),
            a_early.as_str(),
            a_late.as_str()
        ]
    );
}

#[tokio::test]
async fn only_the_asker_accepts_and_nobody_marks_their_own_answer() {
    let app = TestApp::spawn().await;
    let asker = app.register("Own Asker").await;
    let helper = app.register("Own Helper").await;
    let stranger = app.register("Own Stranger").await;
    let id = ask_id(
        &app,
        &asker,
        json!({"title": "Where do I start with grief?", "topic": "GRIEF"}),
    )
    .await;
    let a = answer(&app, &helper, &id, "One day at a time.").await;
    let accept = "mutation($a: ID!) { acceptAnswer(answerId: $a) { accepted } }";
    let refused = app
        .gql(Some(&stranger.access), accept, json!({"a": a}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let refused = app.gql(Some(&helper.access), accept, json!({"a": a})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    let own = app
        .gql(
            Some(&helper.access),
            "mutation($a: ID!) { markHelpful(answerId: $a) { helpfulCount } }",
            json!({"a": a}),
        )
        .await;
    assert_eq!(error_code(&own), "BAD_USER_INPUT");
    assert_eq!(
        question(&app, &asker, &id).await["answers"]["edges"][0]["node"]["helpfulCount"],
        0
    );

    // Editing and deleting are the author's alone.
    let edit = "mutation($a: ID!, $b: String!) { editAnswer(id: $a, body: $b) { body } }";
    let refused = app
        .gql(Some(&asker.access), edit, json!({"a": a, "b": "mine now"}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let edited = app
        .ok(
            &helper.access,
            edit,
            json!({"a": a, "b": "One day, then the next."}),
        )
        .await;
    assert_eq!(edited["editAnswer"]["body"], "One day, then the next.");
    let delete_q = "mutation($q: ID!) { deleteQuestion(id: $q) }";
    let refused = app
        .gql(Some(&helper.access), delete_q, json!({"q": id}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    // A deleted answer leaves the count; a deleted question is gone.
    app.ok(
        &helper.access,
        "mutation($a: ID!) { deleteAnswer(id: $a) }",
        json!({"a": a}),
    )
    .await;
    let read = question(&app, &asker, &id).await;
    assert_eq!(
        (read["answerCount"].as_i64(), answer_ids(&read).len()),
        (Some(0), 0)
    );
    app.ok(&asker.access, delete_q, json!({"q": id})).await;
    let gone = app
        .gql(Some(&helper.access), QUESTION, json!({"id": id}))
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

#[tokio::test]
async fn an_expired_standing_stops_showing_and_only_admins_grant_one() {
    let app = TestApp::spawn().await;
    let admin = app.register("Grant Admin").await;
    app.make_admin(&admin).await;
    let expert = app.register("Former Expert").await;
    let asker = app.register("Expiry Asker").await;

    let refused = grant_expert(&app, &expert, &expert, "2099-01-01T00:00:00Z").await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let past = grant_expert(&app, &admin, &expert, "2001-01-01T00:00:00Z").await;
    assert_eq!(error_code(&past), "BAD_USER_INPUT");

    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    assert!(grant_expert(&app, &admin, &expert, &until)
        .await
        .get("errors")
        .is_none());
    let id = ask_id(
        &app,
        &asker,
        json!({"title": "Can I stop my pills?", "topic": "DEPRESSION"}),
    )
    .await;
    answer(&app, &expert, &id, "Not without your prescriber.").await;
    let expert_answered = "{ questions(expertAnswered: true) { totalCount } }";
    assert_eq!(
        app.ok(&asker.access, expert_answered, json!({})).await["questions"]["totalCount"],
        1
    );

    // The standing runs out (as if a year passed): nothing shows it any more.
    {
        use sea_orm::sea_query::Expr;
        use sea_orm::EntityTrait;
        entity::experts::Entity::update_many()
            .col_expr(
                entity::experts::Column::VerifiedUntil,
                Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .exec(&app.context.db)
            .await
            .unwrap();
    }
    let read = question(&app, &asker, &id).await;
    assert_eq!(
        read["answers"]["edges"][0]["node"]["author"]["expert"],
        Value::Null
    );
    assert_eq!(
        app.ok(&asker.access, expert_answered, json!({})).await["questions"]["totalCount"],
        0
    );

    assert!(grant_expert(&app, &admin, &expert, &until)
        .await
        .get("errors")
        .is_none());
    let revoke = "mutation($u: ID!) { revokeExpert(userId: $u) }";
    let data = app
        .ok(&admin.access, revoke, json!({"u": expert.user_id}))
        .await;
    assert_eq!(data["revokeExpert"], true);
    let data = app
        .ok(&admin.access, revoke, json!({"u": expert.user_id}))
        .await;
    assert_eq!(data["revokeExpert"], false);
}

#[tokio::test]
async fn questions_filter_by_topic_tag_and_answers_and_sort_three_ways() {
    let app = TestApp::spawn().await;
    let asker = app.register("Filter Asker").await;
    let helper = app.register("Filter Helper").await;
    let mut ids = Vec::new();
    for (title, topic, tags) in [
        ("First about sleep", "ANXIETY", json!(["sleep"])),
        ("Second about grief", "GRIEF", json!(["loss", "family"])),
        (
            "Third about sleep and work",
            "ANXIETY",
            json!(["work", "sleep"]),
        ),
    ] {
        let q = ask(
            &app,
            &asker,
            json!({"title": title, "topic": topic, "tags": tags}),
        )
        .await;
        ids.push(q["id"].as_str().unwrap().to_owned());
    }
    answer(&app, &helper, &ids[0], "an answer").await;

    let list = "query($t: Topic, $g: String, $u: Boolean, $s: QuestionSort) { questions(topic: $t, tag: $g, unanswered: $u, sort: $s) { totalCount edges { node { id } } } }";
    let run = |vars: Value| {
        let app = &app;
        let asker = &asker;
        async move {
            let data = app.ok(&asker.access, list, vars).await;
            let ids: Vec<String> = data["questions"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect();
            (data["questions"]["totalCount"].as_i64().unwrap(), ids)
        }
    };
    assert_eq!(
        run(json!({})).await,
        (3, vec![ids[2].clone(), ids[1].clone(), ids[0].clone()])
    );
    assert_eq!(
        run(json!({"t": "ANXIETY"})).await,
        (2, vec![ids[2].clone(), ids[0].clone()])
    );
    assert_eq!(
        run(json!({"g": "sleep"})).await,
        (2, vec![ids[2].clone(), ids[0].clone()])
    );
    assert_eq!(run(json!({"g": "family"})).await, (1, vec![ids[1].clone()]));
    assert_eq!(
        run(json!({"g": "slee"})).await,
        (0, vec![]),
        "a tag matches whole"
    );
    assert_eq!(
        run(json!({"u": true})).await,
        (2, vec![ids[2].clone(), ids[1].clone()])
    );
    assert_eq!(
        run(json!({"s": "UNANSWERED"})).await,
        (2, vec![ids[1].clone(), ids[2].clone()]),
        "unanswered, the longest waiting first"
    );
    assert_eq!(
        run(json!({"s": "ACTIVE"})).await.1[0],
        ids[0],
        "the answered one is the latest active"
    );

    // Every word, in title or body.
    let searched =
        "query($q: String) { questions(search: $q) { totalCount edges { node { id } } } }";
    let found = app
        .ok(&asker.access, searched, json!({"q": "sleeping work"}))
        .await;
    assert_eq!(found["questions"]["totalCount"], 1);
    assert_eq!(found["questions"]["edges"][0]["node"]["id"], json!(ids[2]));
    let found = app.ok(&asker.access, searched, json!({"q": "sleep"})).await;
    assert_eq!(found["questions"]["totalCount"], 2);

    // Keyset pages: two, then the rest, no overlap.
    let page = "query($a: String) { questions(first: 2, after: $a) { edges { cursor node { id } } pageInfo { hasNextPage } } }";
    let one = app.ok(&asker.access, page, json!({})).await;
    assert_eq!(one["questions"]["pageInfo"]["hasNextPage"], true);
    let after = one["questions"]["edges"][1]["cursor"].clone();
    let two = app.ok(&asker.access, page, json!({"a": after})).await;
    assert_eq!(two["questions"]["edges"][0]["node"]["id"], json!(ids[0]));
    assert_eq!(two["questions"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn group_questions_are_read_as_the_groups_posts_are() {
    let app = TestApp::spawn().await;
    let owner = app.register("Private Owner").await;
    let outsider = app.register("Private Outsider").await;
    let group = app.create_group(&owner, "Private circle", "PRIVATE").await;
    let asked = ask(
        &app,
        &owner,
        json!({"title": "Members only: how do we cope?", "topic": "OTHER", "groupId": group}),
    )
    .await;
    assert_eq!(asked["group"]["id"], json!(group));
    let id = asked["id"].as_str().unwrap();
    let hidden = app
        .gql(Some(&outsider.access), QUESTION, json!({"id": id}))
        .await;
    assert_eq!(error_code(&hidden), "NOT_FOUND");
    let listed = app
        .ok(&outsider.access, "{ questions { totalCount } }", json!({}))
        .await;
    assert_eq!(listed["questions"]["totalCount"], 0);
    let refused = app
        .gql(
            Some(&outsider.access),
            ANSWER,
            json!({"i": {"questionId": id, "body": "let me in"}}),
        )
        .await;
    assert_eq!(error_code(&refused), "NOT_FOUND");
    // Only members ask inside a group.
    let refused = app
        .gql(
            Some(&outsider.access),
            ASK,
            json!({"i": {"title": "Can I ask here?", "topic": "OTHER", "groupId": group}}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn an_anonymous_question_names_nobody_not_even_to_its_answerers() {
    let app = TestApp::spawn().await;
    let asker = app.register("Hidden Asker").await;
    let helper = app.register("Anon Helper").await;
    let asked = ask(
        &app,
        &asker,
        json!({"title": "Is it normal to feel numb?", "topic": "DEPRESSION", "anonymous": true}),
    )
    .await;
    assert_eq!(asked["authorName"], "Anonymous member");
    assert_eq!(asked["author"], Value::Null, "null even to the asker");
    let id = asked["id"].as_str().unwrap();
    answer(&app, &helper, id, "It can be, ask your GP.").await;
    let seen = app
        .ok(
            &helper.access,
            "query($id: ID!) { question(id: $id) { anonymous authorName author { id displayName } askedByMe } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        seen["question"],
        json!({"anonymous": true, "authorName": "Anonymous member", "author": null, "askedByMe": false})
    );
    let text = seen.to_string();
    assert!(!text.contains(&asker.user_id) && !text.contains("Hidden Asker"));
    // The asker still acts on it.
    let read = question(&app, &asker, id).await;
    let a = answer_ids(&read)[0].clone();
    app.ok(
        &asker.access,
        "mutation($a: ID!) { acceptAnswer(answerId: $a) { accepted } }",
        json!({"a": a}),
    )
    .await;
}

#[tokio::test]
async fn bad_questions_are_refused_and_retries_ask_once() {
    let app = TestApp::spawn().await;
    let asker = app.register("Edge Asker").await;
    for (input, field) in [
        (json!({"title": "Hi?", "topic": "OTHER"}), "title"),
        (json!({"title": "x".repeat(201), "topic": "OTHER"}), "title"),
        (
            json!({"title": "A fair question", "body": "b".repeat(10_001), "topic": "OTHER"}),
            "body",
        ),
        (
            json!({"title": "A fair question", "topic": "OTHER", "tags": ["a", "b", "c", "d", "e", "f"]}),
            "tags",
        ),
        (
            json!({"title": "A fair question", "topic": "OTHER", "tags": ["no spaces"]}),
            "tags",
        ),
        (
            json!({"title": "A fair question", "topic": "OTHER", "idempotencyKey": ""}),
            "idempotencyKey",
        ),
    ] {
        let body = app
            .gql(Some(&asker.access), ASK, json!({ "i": input }))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let listed = "{ questions { totalCount } }";
    assert_eq!(
        app.ok(&asker.access, listed, json!({})).await["questions"]["totalCount"],
        0
    );

    let input =
        json!({"title": "Asked on a flaky train", "topic": "OTHER", "idempotencyKey": "k-1"});
    let first = ask(&app, &asker, input.clone()).await;
    let again = ask(&app, &asker, input).await;
    assert_eq!(first["id"], again["id"]);
    assert_eq!(
        app.ok(&asker.access, listed, json!({})).await["questions"]["totalCount"],
        1
    );

    let id = first["id"].as_str().unwrap();
    let helper = app.register("Edge Helper").await;
    let answer_input = json!({"i": {"questionId": id, "body": "same", "idempotencyKey": "a-1"}});
    let one = app.ok(&helper.access, ANSWER, answer_input.clone()).await;
    let two = app.ok(&helper.access, ANSWER, answer_input).await;
    assert_eq!(one["answerQuestion"]["id"], two["answerQuestion"]["id"]);
    assert_eq!(question(&app, &asker, id).await["answerCount"], 1);
    let empty = app
        .gql(
            Some(&helper.access),
            ANSWER,
            json!({"i": {"questionId": id, "body": "   "}}),
        )
        .await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
}

#[tokio::test]
async fn questions_per_hour_are_limited() {
    let app = TestApp::spawn_with(|s| s.posting_limits.questions_per_hour = 2).await;
    let asker = app.register("Busy Asker").await;
    for n in 0..2 {
        ask(
            &app,
            &asker,
            json!({"title": format!("Question number {n}"), "topic": "OTHER"}),
        )
        .await;
    }
    let third = app
        .gql(
            Some(&asker.access),
            ASK,
            json!({"i": {"title": "Question number 2", "topic": "OTHER"}}),
        )
        .await;
    assert_eq!(error_code(&third), "RATE_LIMITED");
}

#[tokio::test]
async fn following_is_per_person_and_undone() {
    let app = TestApp::spawn().await;
    let asker = app.register("Follow Asker").await;
    let reader = app.register("Follow Reader").await;
    let id = ask_id(
        &app,
        &asker,
        json!({"title": "Anyone else up at 3am?", "topic": "LONELINESS"}),
    )
    .await;
    let follow = "mutation($q: ID!) { followQuestion(questionId: $q) { following } }";
    let unfollow = "mutation($q: ID!) { unfollowQuestion(questionId: $q) { following } }";
    assert_eq!(
        app.ok(&reader.access, follow, json!({"q": id})).await["followQuestion"]["following"],
        true
    );
    assert_eq!(
        app.ok(&reader.access, follow, json!({"q": id})).await["followQuestion"]["following"],
        true
    );
    assert_eq!(
        app.ok(&reader.access, unfollow, json!({"q": id})).await["unfollowQuestion"]["following"],
        false
    );
    assert_eq!(question(&app, &asker, &id).await["following"], true);
}

const INBOX: &str = "{ notifications(first: 20) { edges { node { kind questionId answerId actor { id } text } } } }";

async fn inbox(app: &TestApp, who: &Session) -> Vec<Value> {
    app.ok(&who.access, INBOX, json!({})).await["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn kinds(notes: &[Value]) -> Vec<&str> {
    notes.iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

/// An answer tells no follower who blocked its author, nor one its author blocked; the others
/// hear of it as ever.
#[tokio::test]
async fn an_answer_tells_no_one_across_a_block() {
    let app = TestApp::spawn().await;
    let asker = app.register("Block Asker").await;
    let blocker = app.register("Block Blocker").await;
    let blocked = app.register("Block Blocked").await;
    let helper = app.register("Block Helper").await;
    let id = ask_id(
        &app,
        &asker,
        json!({"title": "Does it get easier after a month?", "topic": "GRIEF"}),
    )
    .await;
    for who in [&blocker, &blocked] {
        app.ok(
            &who.access,
            "mutation($q: ID!) { followQuestion(questionId: $q) { following } }",
            json!({"q": id}),
        )
        .await;
    }
    let block = "mutation($u: ID!) { blockUser(userId: $u) }";
    app.ok(&blocker.access, block, json!({"u": helper.user_id}))
        .await;
    app.ok(&helper.access, block, json!({"u": blocked.user_id}))
        .await;

    answer(&app, &helper, &id, "It changes shape more than it shrinks.").await;
    assert_eq!(kinds(&inbox(&app, &asker).await), ["ANSWER"]);
    assert!(
        inbox(&app, &blocker).await.is_empty(),
        "blocked the answerer"
    );
    assert!(
        inbox(&app, &blocked).await.is_empty(),
        "blocked by the answerer"
    );
}

#[tokio::test]
async fn answers_notify_followers_the_asker_hears_of_experts_and_answerers_of_acceptance() {
    let app = TestApp::spawn().await;
    let asker = app.register("Notified Asker").await;
    let follower = app.register("Notified Follower").await;
    let helper = app.register("Notified Helper").await;
    let expert = app.register("Notified Expert").await;
    let admin = app.register("Notified Admin").await;
    app.make_admin(&admin).await;
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    grant_expert(&app, &admin, &expert, &until).await;
    let id = ask_id(
        &app,
        &asker,
        json!({"title": "What helps with panic at night?", "topic": "ANXIETY", "anonymous": true}),
    )
    .await;
    app.ok(
        &follower.access,
        "mutation($q: ID!) { followQuestion(questionId: $q) { following } }",
        json!({"q": id}),
    )
    .await;

    let a = answer(&app, &helper, &id, "Cold water on the face.").await;
    let asker_notes = inbox(&app, &asker).await;
    assert_eq!(kinds(&asker_notes), ["ANSWER"]);
    assert_eq!(asker_notes[0]["questionId"], json!(id));
    assert_eq!(asker_notes[0]["answerId"], json!(a));
    assert_eq!(kinds(&inbox(&app, &follower).await), ["ANSWER"]);
    assert!(inbox(&app, &helper).await.is_empty(), "never the answerer");

    let b = answer(
        &app,
        &expert,
        &id,
        "Slow breathing; see your GP if it persists.",
    )
    .await;
    assert_eq!(
        kinds(&inbox(&app, &asker).await),
        ["EXPERT_ANSWER", "ANSWER"]
    );
    assert_eq!(kinds(&inbox(&app, &follower).await), ["ANSWER", "ANSWER"]);

    // Accepting tells the answerer, without naming an anonymous asker.
    app.ok(
        &asker.access,
        "mutation($a: ID!) { acceptAnswer(answerId: $a) { accepted } }",
        json!({"a": b}),
    )
    .await;
    let expert_notes = inbox(&app, &expert).await;
    assert_eq!(kinds(&expert_notes), ["ANSWER_ACCEPTED"]);
    assert_eq!(expert_notes[0]["actor"], Value::Null);
    assert!(!expert_notes
        .iter()
        .any(|n| n.to_string().contains(&asker.user_id)));
    // Accepting the same again tells nobody twice.
    app.ok(
        &asker.access,
        "mutation($a: ID!) { acceptAnswer(answerId: $a) { accepted } }",
        json!({"a": b}),
    )
    .await;
    assert_eq!(inbox(&app, &expert).await.len(), 1);
}

#[tokio::test]
async fn new_answers_arrive_live_to_those_who_may_read_the_question() {
    let app = TestApp::spawn().await;
    let owner = app.register("Live Owner").await;
    let member = app.register("Live Member").await;
    let outsider = app.register("Live Outsider").await;
    let group = app
        .create_group(&owner, "Live question circle", "PRIVATE")
        .await;
    app.invite(&owner, &group, &member).await;
    app.join(&member, &group).await;
    let id = ask_id(
        &app,
        &owner,
        json!({"title": "Live: how was your week?", "topic": "OTHER", "groupId": group}),
    )
    .await;
    let live =
        "subscription($q: ID!) { answerAdded(questionId: $q) { id body author { displayName } } }";
    let mut watching = app.socket().await;
    watching
        .subscribe_ready(&owner.access, "a", live, json!({"q": id}))
        .await;
    let mut refused = app.socket().await;
    refused
        .subscribe(&outsider.access, "a", live, json!({"q": id}))
        .await;
    let error = refused.expect_json(std::time::Duration::from_secs(5)).await;
    assert_eq!(
        error["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{error}"
    );

    let a = answer(&app, &member, &id, "Better than the last one.").await;
    let next = watching
        .expect_json(std::time::Duration::from_secs(5))
        .await;
    assert_eq!(next["payload"]["data"]["answerAdded"]["id"], json!(a));
    assert_eq!(
        next["payload"]["data"]["answerAdded"]["author"]["displayName"],
        "Live Member"
    );
}

#[tokio::test]
async fn the_acceptance_reminder_comes_once_across_two_instances() {
    let app = TestApp::spawn().await;
    let sibling = app.sibling().await;
    let asker = app.register("Reminded Asker").await;
    let helper = app.register("Reminded Helper").await;
    let waiting = ask_id(
        &app,
        &asker,
        json!({"title": "Answered, never accepted", "topic": "OTHER"}),
    )
    .await;
    let unanswered = ask_id(
        &app,
        &asker,
        json!({"title": "Nobody answered this", "topic": "OTHER"}),
    )
    .await;
    let accepted = ask_id(
        &app,
        &asker,
        json!({"title": "Answered and accepted", "topic": "OTHER"}),
    )
    .await;
    answer(&app, &helper, &waiting, "an answer").await;
    let a = answer(&app, &helper, &accepted, "the answer").await;
    app.ok(
        &asker.access,
        "mutation($a: ID!) { acceptAnswer(answerId: $a) { accepted } }",
        json!({"a": a}),
    )
    .await;
    let at = chrono::Utc::now();
    // Not yet a week: nothing.
    assert_eq!(
        api::questions::reminders::run_once(&app.context.workers(), at)
            .await
            .unwrap(),
        0
    );
    // A week and a bit later, both instances pass at once: one reminder in all.
    let later = at + api::questions::reminders::WAIT + chrono::Duration::hours(1);
    let (workers, sibling_workers) = (app.context.workers(), sibling.context.workers());
    let (one, two) = tokio::join!(
        api::questions::reminders::run_once(&workers, later),
        api::questions::reminders::run_once(&sibling_workers, later),
    );
    assert_eq!(one.unwrap() + two.unwrap(), 1);
    assert_eq!(
        api::questions::reminders::run_once(&app.context.workers(), later)
            .await
            .unwrap(),
        0
    );
    let notes = inbox(&app, &asker).await;
    let reminders: Vec<&Value> = notes
        .iter()
        .filter(|n| n["kind"] == "QUESTION_REMINDER")
        .collect();
    assert_eq!(reminders.len(), 1, "{notes:?}");
    assert_eq!(reminders[0]["questionId"], json!(waiting));
    assert!(!notes.iter().any(|n| n["questionId"] == json!(unanswered)));
}

#[tokio::test]
async fn a_question_page_costs_the_same_round_trips_whatever_its_size() {
    // No workers: their queries would be counted with the page's.
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let asker = app.register("Paged Asker").await;
    let admin = app.register("Paged Admin").await;
    app.make_admin(&admin).await;
    let id = ask_id(
        &app,
        &asker,
        json!({"title": "A well answered question", "topic": "OTHER"}),
    )
    .await;
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    for n in 0..12 {
        let helper = app.register(&format!("Paged Helper {n}")).await;
        if n % 3 == 0 {
            grant_expert(&app, &admin, &helper, &until).await;
        }
        let a = answer(&app, &helper, &id, &format!("Answer number {n}")).await;
        if n % 2 == 0 {
            app.ok(
                &asker.access,
                "mutation($a: ID!) { markHelpful(answerId: $a) { helpfulCount } }",
                json!({"a": a}),
            )
            .await;
        }
    }
    let page = "query($q: ID!, $n: Int!) { question(id: $q) { following answers(first: $n) { edges { node { id helpfulCount markedHelpful author { displayName expert { title } } } } } } }";
    let mut costs = Vec::new();
    for size in [3, 12] {
        let before = app.context.metrics.db_query_count();
        let data = app
            .ok(&asker.access, page, json!({"q": id, "n": size}))
            .await;
        costs.push(app.context.metrics.db_query_count() - before);
        let edges = data["question"]["answers"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), size as usize);
        assert_eq!(
            edges
                .iter()
                .filter(|e| e["node"]["markedHelpful"] == true)
                .count(),
            edges
                .iter()
                .filter(|e| e["node"]["helpfulCount"] == 1)
                .count(),
            "markedHelpful is the asker's own mark"
        );
    }
    assert_eq!(
        costs[0], costs[1],
        "round trips grew with the page: {costs:?}"
    );
    assert!(
        costs[1] <= 10,
        "a question page took {} round trips",
        costs[1]
    );
}

/// A block hides people both ways on the question and answer read by id, as on a post and a
/// reply; an anonymous question names nobody, so it hides nobody.
#[tokio::test]
async fn a_block_hides_a_question_and_an_answer_by_id() {
    let app = TestApp::spawn().await;
    let asker = app.register("Block Asker").await;
    let answerer = app.register("Block Answerer").await;
    let reader = app.register("Block Reader").await;
    let named = ask_id(
        &app,
        &asker,
        json!({"title": "Does journaling help at night?", "topic": "ANXIETY"}),
    )
    .await;
    let unsigned = ask_id(
        &app,
        &asker,
        json!({"title": "Is it normal to cry at work?", "topic": "ANXIETY", "anonymous": true}),
    )
    .await;
    let reply = answer(&app, &answerer, &unsigned, "It is, and it passes.").await;
    let read = "query($q: ID!) { question(id: $q) { id } }";
    let mark = "mutation($a: ID!) { markHelpful(answerId: $a) { markedHelpful } }";
    app.ok(&reader.access, read, json!({"q": named})).await;
    app.ok(&reader.access, mark, json!({"a": reply})).await;

    for blocked in [&asker, &answerer] {
        app.ok(
            &reader.access,
            "mutation($u: ID!) { blockUser(userId: $u) }",
            json!({"u": blocked.user_id}),
        )
        .await;
    }
    assert_eq!(
        error_code(
            &app.gql(Some(&reader.access), read, json!({"q": named}))
                .await
        ),
        "NOT_FOUND"
    );
    // The answer to the anonymous question is by someone the reader blocked.
    assert_eq!(
        error_code(
            &app.gql(Some(&reader.access), mark, json!({"a": reply}))
                .await
        ),
        "NOT_FOUND"
    );
    let still = app.ok(&reader.access, read, json!({"q": unsigned})).await;
    assert_eq!(still["question"]["id"], unsigned);
    // Blocks hide both ways: the blocked asker no longer finds the reader's question.
    let theirs = ask_id(
        &app,
        &reader,
        json!({"title": "How do I rest on weekends?", "topic": "ANXIETY"}),
    )
    .await;
    assert_eq!(
        error_code(
            &app.gql(Some(&asker.access), read, json!({"q": theirs}))
                .await
        ),
        "NOT_FOUND"
    );
}

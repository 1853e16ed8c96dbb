//! Safety around questions: crisis language flagged and answered with resources, reports,
//! removal and locking by those who handle them (a group's moderators, or the platform admins).
use crate::support::*;
use serde_json::{json, Value};

const ASK: &str =
    "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id crisisResources { name } } }";
const ANSWER: &str = "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id crisisResources { name } } }";
const REPORTS: &str = "query($g: ID, $p: Boolean) { questionReports(groupId: $g, priority: $p) { edges { node { id questionId answerId reason priority status question { title } answer { body } } } } }";
const FLAG_REASON: &str = "Crisis language: flagged automatically when written";

fn reports(data: &Value) -> Vec<Value> {
    data["questionReports"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn notes(app: &TestApp, who: &Session) -> Vec<Value> {
    let data = app
        .ok(
            &who.access,
            "{ notifications(first: 20) { edges { node { kind text questionId answerId actor { id } } } } }",
            json!({}),
        )
        .await;
    data["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn crisis_words_in_a_question_or_answer_are_flagged_and_answered_with_resources() {
    let dir = tempfile::tempdir().unwrap();
    let file = crisis_resources_file(&dir);
    let app = TestApp::spawn_with(move |s| s.crisis_resources = Some(file)).await;
    let admin = app.register("Flag Admin").await;
    app.make_admin(&admin).await;
    let asker = app.register("Heavy Asker").await;
    let helper = app.register("Flag Helper").await;
    app.ok(
        &asker.access,
        "mutation { updateProfile(country: \"GB\") { country } }",
        json!({}),
    )
    .await;

    let calm = app
        .ok(
            &asker.access,
            ASK,
            json!({"i": {"title": "How do I sleep better?", "topic": "OTHER"}}),
        )
        .await;
    assert_eq!(calm["askQuestion"]["crisisResources"], json!([]));
    let heavy = app
        .ok(
            &asker.access,
            ASK,
            json!({"i": {"title": "Is there any point?", "body": "I can\u{2019}t go on like this.", "topic": "DEPRESSION", "anonymous": true}}),
        )
        .await;
    assert_eq!(
        heavy["askQuestion"]["crisisResources"],
        json!([{"name": "Samaritans"}])
    );
    let heavy_id = heavy["askQuestion"]["id"].as_str().unwrap().to_owned();
    // Only its author gets the resources.
    let read = "query($q: ID!) { question(id: $q) { crisisResources { name } } }";
    let other = app.ok(&helper.access, read, json!({"q": heavy_id})).await;
    assert_eq!(other["question"]["crisisResources"], json!([]));

    // Platform-wide: the admins' priority queue, and they are told without the asker's name.
    let queue = reports(&app.ok(&admin.access, REPORTS, json!({"p": true})).await);
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["questionId"], json!(heavy_id));
    assert_eq!(queue[0]["reason"], FLAG_REASON);
    let told = notes(&app, &admin).await;
    assert_eq!(told[0]["kind"], "CRISIS_FLAG");
    assert_eq!(told[0]["actor"], Value::Null);
    assert!(!told[0].to_string().contains(&asker.user_id));
    // Nobody else reads the queue.
    let refused = app
        .gql(Some(&helper.access), REPORTS, json!({"p": true}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    // An answer with the words: flagged once, resources to its author.
    let answered = app
        .ok(
            &helper.access,
            ANSWER,
            json!({"i": {"questionId": heavy_id, "body": "I want to die too some days, you are not alone."}}),
        )
        .await;
    // The helper set no country: the international list.
    assert!(!answered["answerQuestion"]["crisisResources"]
        .as_array()
        .unwrap()
        .is_empty());
    let queue = reports(&app.ok(&admin.access, REPORTS, json!({"p": true})).await);
    assert_eq!(queue.len(), 2);
    assert_eq!(
        queue[1]["answerId"], answered["answerQuestion"]["id"],
        "oldest first, as every report queue"
    );

    // An edit that keeps the words does not queue the question again.
    app.ok(
        &asker.access,
        "mutation($q: ID!) { editQuestion(id: $q, input: {title: \"Is there any point at all?\"}) { id } }",
        json!({"q": heavy_id}),
    )
    .await;
    assert_eq!(
        reports(&app.ok(&admin.access, REPORTS, json!({"p": true})).await).len(),
        2
    );

    // The admin handling the flag may learn who asked (the server's audit log keeps it);
    // nobody else can.
    let reveal = "mutation($r: ID!) { revealQuestionReportAuthor(reportId: $r) { id } }";
    let flagged_question = queue[0]["id"].clone();
    let refused = app
        .gql(Some(&helper.access), reveal, json!({"r": flagged_question}))
        .await;
    assert_eq!(error_code(&refused), "NOT_FOUND");
    let revealed = app
        .ok(&admin.access, reveal, json!({"r": flagged_question}))
        .await;
    assert_eq!(
        revealed["revealQuestionReportAuthor"]["id"],
        json!(asker.user_id)
    );

    // Resolving: an admin closes the flag (with a note); the writer could not close their own.
    let flag = queue[1]["id"].clone();
    let resolve = "mutation($r: ID!) { resolveQuestionReport(id: $r, status: RESOLVED, note: \"Reached out\") { status } }";
    let resolved = app.ok(&admin.access, resolve, json!({"r": flag})).await;
    assert_eq!(resolved["resolveQuestionReport"]["status"], "RESOLVED");
}

#[tokio::test]
async fn a_groups_moderators_handle_its_questions_reports_removal_and_lock() {
    let app = TestApp::spawn().await;
    let owner = app.register("Circle Owner").await;
    let member = app.register("Circle Member").await;
    let reader = app.register("Circle Reader").await;
    let group = app.create_group(&owner, "Question circle", "PUBLIC").await;
    app.join(&member, &group).await;
    app.join(&reader, &group).await;
    let id = app
        .ok(
            &member.access,
            ASK,
            json!({"i": {"title": "Selling my pills, anyone?", "topic": "OTHER", "groupId": group}}),
        )
        .await["askQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = app
        .ok(
            &reader.access,
            ANSWER,
            json!({"i": {"questionId": id, "body": "Please don't."}}),
        )
        .await["answerQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Reading a public group's question is for everyone; answering it is for its members.
    let outsider = app.register("Circle Outsider").await;
    let refused = app
        .gql(
            Some(&outsider.access),
            ANSWER,
            json!({"i": {"questionId": id, "body": "Not a member"}}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    let report = "mutation($q: ID!) { reportQuestion(questionId: $q, reason: \"Selling medication\") { id status } }";
    let first = app.ok(&reader.access, report, json!({"q": id})).await;
    let again = app.ok(&reader.access, report, json!({"q": id})).await;
    assert_eq!(first["reportQuestion"]["id"], again["reportQuestion"]["id"]);
    let queue = reports(&app.ok(&owner.access, REPORTS, json!({"g": group})).await);
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["question"]["title"], "Selling my pills, anyone?");
    let refused = app
        .gql(Some(&reader.access), REPORTS, json!({"g": group}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    // Only moderators remove or lock.
    let lock = "mutation($q: ID!, $l: Boolean!) { lockQuestion(id: $q, locked: $l) { locked } }";
    let refused = app
        .gql(Some(&reader.access), lock, json!({"q": id, "l": true}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let locked = app
        .ok(&owner.access, lock, json!({"q": id, "l": true}))
        .await;
    assert_eq!(locked["lockQuestion"]["locked"], true);
    let blocked = app
        .gql(
            Some(&owner.access),
            ANSWER,
            json!({"i": {"questionId": id, "body": "Locked now"}}),
        )
        .await;
    assert_eq!(error_code(&blocked), "FORBIDDEN");

    let remove_answer = "mutation($a: ID!) { removeAnswer(id: $a, reason: \"Off topic\") }";
    let refused = app
        .gql(Some(&member.access), remove_answer, json!({"a": answer}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    app.ok(&owner.access, remove_answer, json!({"a": answer}))
        .await;
    let count = "query($q: ID!) { question(id: $q) { answerCount answers { totalCount edges { node { id } } } } }";
    let read = app.ok(&member.access, count, json!({"q": id})).await;
    assert_eq!(read["question"]["answerCount"], 0);
    assert_eq!(read["question"]["answers"]["edges"], json!([]));

    let remove = "mutation($q: ID!) { removeQuestion(id: $q, reason: \"Selling medication\") }";
    app.ok(&owner.access, remove, json!({"q": id})).await;
    let gone = app.gql(Some(&reader.access), count, json!({"q": id})).await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    let listed = app
        .ok(&reader.access, "{ questions { totalCount } }", json!({}))
        .await;
    assert_eq!(listed["questions"]["totalCount"], 0);

    // The author is told; the group's mod log has every action.
    let member_notes = notes(&app, &member).await;
    assert_eq!(member_notes[0]["kind"], "MODERATION");
    assert_eq!(member_notes[0]["text"], "A moderator removed your question");
    let reader_notes = notes(&app, &reader).await;
    assert!(reader_notes
        .iter()
        .any(|n| n["text"] == "A moderator removed your answer"));
    let log = app
        .ok(
            &owner.access,
            "query($g: ID!) { group(id: $g) { modLog(first: 10) { edges { node { action } } } } }",
            json!({"g": group}),
        )
        .await;
    let actions: Vec<&str> = log["group"]["modLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["REMOVE_QUESTION", "REMOVE_ANSWER", "LOCK_QUESTION"]
    );
}

#[tokio::test]
async fn platform_wide_questions_are_the_admins_to_remove() {
    let app = TestApp::spawn().await;
    let admin = app.register("Wide Admin").await;
    app.make_admin(&admin).await;
    let asker = app.register("Wide Asker").await;
    let moderator = app.register("Some Moderator").await;
    app.create_group(&moderator, "Unrelated group", "PUBLIC")
        .await;
    let id = app
        .ok(
            &asker.access,
            ASK,
            json!({"i": {"title": "A platform-wide question", "topic": "OTHER"}}),
        )
        .await["askQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let remove = "mutation($q: ID!) { removeQuestion(id: $q, reason: \"Spam\") }";
    let refused = app
        .gql(Some(&moderator.access), remove, json!({"q": id}))
        .await;
    assert_eq!(
        error_code(&refused),
        "FORBIDDEN",
        "a group's moderator is no admin"
    );
    app.ok(&admin.access, remove, json!({"q": id})).await;
    let gone = app
        .gql(
            Some(&asker.access),
            "query($q: ID!) { question(id: $q) { id } }",
            json!({"q": id}),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

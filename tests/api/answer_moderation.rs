//! Reports on answers and helpful marks taken back: a report reaches those who handle the
//! question (a group's moderators, or the platform admins for a platform-wide question), once per
//! reader while it is open, and only from someone who can read the answer; `unmarkHelpful` undoes
//! `markHelpful` exactly, and the answers' rank follows the count.
use crate::support::*;
use serde_json::{json, Value};

const ASK: &str = "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }";
const ANSWER: &str = "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id } }";
const REPORT: &str = "mutation($a: ID!, $r: String!) { reportAnswer(answerId: $a, reason: $r) { id questionId answerId reason priority status } }";
const REPORTS: &str = "query($g: ID, $p: Boolean, $s: ReportStatus) { questionReports(groupId: $g, priority: $p, status: $s) { edges { node { id questionId answerId reason priority status answer { id body } question { title } } } } }";
const MARK: &str =
    "mutation($a: ID!) { markHelpful(answerId: $a) { id helpfulCount markedHelpful } }";
const UNMARK: &str =
    "mutation($a: ID!) { unmarkHelpful(answerId: $a) { id helpfulCount markedHelpful } }";
const RANKED: &str = "query($q: ID!) { question(id: $q) { answers(first: 20) { edges { node { id helpfulCount markedHelpful } } } } }";
const FLAG_REASON: &str = "Crisis language: flagged automatically when written";

async fn ask(app: &TestApp, who: &Session, input: Value) -> String {
    app.ok(&who.access, ASK, json!({ "i": input })).await["askQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn answer(app: &TestApp, who: &Session, question: &str, body: &str) -> String {
    app.ok(
        &who.access,
        ANSWER,
        json!({"i": {"questionId": question, "body": body}}),
    )
    .await["answerQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn report(app: &TestApp, who: &Session, answer: &str, reason: &str) -> Value {
    app.gql(Some(&who.access), REPORT, json!({"a": answer, "r": reason}))
        .await
}

/// The reports `who` handles, oldest first (`variables` may name `g`, `p` and `s`).
async fn queue(app: &TestApp, who: &Session, variables: Value) -> Vec<Value> {
    app.ok(&who.access, REPORTS, variables).await["questionReports"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn ids(reports: &[Value]) -> Vec<&str> {
    reports.iter().map(|r| r["id"].as_str().unwrap()).collect()
}

/// The question's answers as `who` reads them, best first: (id, helpfulCount, markedHelpful).
async fn ranked(app: &TestApp, who: &Session, question: &str) -> Vec<(String, i64, bool)> {
    app.ok(&who.access, RANKED, json!({"q": question})).await["question"]["answers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let node = &e["node"];
            (
                node["id"].as_str().unwrap().to_owned(),
                node["helpfulCount"].as_i64().unwrap(),
                node["markedHelpful"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn order(ranked: &[(String, i64, bool)]) -> Vec<&str> {
    ranked.iter().map(|(id, _, _)| id.as_str()).collect()
}

#[tokio::test]
async fn a_reported_answer_reaches_its_groups_moderators_once_per_open_report() {
    let app = TestApp::spawn().await;
    let owner = app.register("Watch Owner").await;
    let asker = app.register("Watch Asker").await;
    let answerer = app.register("Watch Answerer").await;
    let reader = app.register("Watch Reader").await;
    let second = app.register("Watch Second").await;
    let outsider = app.register("Watch Outsider").await;
    let admin = app.register("Watch Admin").await;
    app.make_admin(&admin).await;
    let group = app.create_group(&owner, "Answer watch", "PRIVATE").await;
    for who in [&asker, &answerer, &reader, &second] {
        app.invite(&owner, &group, who).await;
        let joined = app.join(who, &group).await;
        assert_eq!(joined["data"]["joinGroup"]["state"], "ACTIVE", "{joined}");
    }
    let question = ask(
        &app,
        &asker,
        json!({"title": "How do you wind down after a night shift?", "topic": "OTHER", "groupId": group}),
    )
    .await;
    let body = "Buy my sleep course, link in my profile.";
    let a = answer(&app, &answerer, &question, body).await;

    // The reason is kept trimmed; a reader's report is not a priority one.
    let first = report(&app, &reader, &a, "  Advertising a paid course  ").await;
    let first = &first["data"]["reportAnswer"];
    assert_eq!(
        *first,
        json!({"id": first["id"], "questionId": question, "answerId": a,
               "reason": "Advertising a paid course", "priority": false, "status": "OPEN"})
    );
    let reader_report = first["id"].as_str().unwrap().to_owned();
    // The same reader again, even with other words: the open report they already filed.
    let again = report(&app, &reader, &a, "Spam").await;
    assert_eq!(
        again["data"]["reportAnswer"]["id"],
        json!(reader_report),
        "{again}"
    );
    assert_eq!(
        again["data"]["reportAnswer"]["reason"],
        "Advertising a paid course"
    );
    // Another reader files a report of their own.
    let other = report(&app, &second, &a, "Selling something").await;
    let second_report = other["data"]["reportAnswer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{other}"))
        .to_owned();
    assert_ne!(second_report, reader_report);

    // The group's moderators see both, oldest first as every report queue, with the answer as
    // written.
    let seen = queue(&app, &owner, json!({"g": group})).await;
    assert_eq!(ids(&seen), [reader_report.as_str(), second_report.as_str()]);
    for r in &seen {
        assert_eq!(r["questionId"], json!(question));
        assert_eq!(r["answerId"], json!(a));
        assert_eq!(r["answer"], json!({"id": a, "body": body}));
        assert_eq!(
            r["question"]["title"],
            "How do you wind down after a night shift?"
        );
        assert_eq!(r["status"], "OPEN");
        assert_eq!(r["priority"], false);
    }
    // Platform admins handle every group's reports; the platform-wide queue is another one.
    let by_admin = queue(&app, &admin, json!({"g": group})).await;
    assert_eq!(ids(&by_admin), ids(&seen));
    assert_eq!(queue(&app, &admin, json!({})).await, Vec::<Value>::new());
    // A member who is no moderator reads no queue.
    let refused = app
        .gql(Some(&reader.access), REPORTS, json!({"g": group}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    // What one cannot read, one cannot report (nor mark): the private group's answer is
    // not found for an outsider. A blank reason is refused. Neither files anything.
    let hidden = report(&app, &outsider, &a, "I saw it somewhere").await;
    assert_eq!(error_code(&hidden), "NOT_FOUND");
    assert!(!hidden.to_string().contains(body), "{hidden}");
    let hidden = app.gql(Some(&outsider.access), MARK, json!({"a": a})).await;
    assert_eq!(error_code(&hidden), "NOT_FOUND");
    let blank = report(&app, &asker, &a, "   ").await;
    assert_eq!(error_code(&blank), "BAD_USER_INPUT");
    assert_eq!(
        blank["errors"][0]["extensions"]["field"], "reason",
        "{blank}"
    );
    let anonymous = app
        .gql(None, REPORT, json!({"a": a, "r": "No account"}))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    assert_eq!(queue(&app, &owner, json!({"g": group})).await.len(), 2);

    // Once a moderator closed it, the same reader may report again: a new, open report.
    let dismissed = app
        .ok(
            &owner.access,
            "mutation($r: ID!) { resolveQuestionReport(id: $r, status: DISMISSED, note: \"Not an ad\") { status } }",
            json!({"r": reader_report}),
        )
        .await;
    assert_eq!(dismissed["resolveQuestionReport"]["status"], "DISMISSED");
    let renewed = report(&app, &reader, &a, "It is still an ad").await;
    let renewed_id = renewed["data"]["reportAnswer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{renewed}"))
        .to_owned();
    assert_ne!(renewed_id, reader_report);
    assert_eq!(renewed["data"]["reportAnswer"]["status"], "OPEN");
    let open = queue(&app, &owner, json!({"g": group, "s": "OPEN"})).await;
    assert_eq!(ids(&open), [second_report.as_str(), renewed_id.as_str()]);
    assert_eq!(queue(&app, &owner, json!({"g": group})).await.len(), 3);

    // A deleted answer can no longer be reported; its reports still show it as written.
    app.ok(
        &answerer.access,
        "mutation($a: ID!) { deleteAnswer(id: $a) }",
        json!({"a": a}),
    )
    .await;
    let gone = report(&app, &asker, &a, "Too late").await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    let kept = queue(&app, &owner, json!({"g": group})).await;
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0]["answer"]["body"], body);
}

#[tokio::test]
async fn a_platform_wide_answer_is_reported_to_the_admins_and_crisis_words_flag_it() {
    let app = TestApp::spawn().await;
    let admin = app.register("Wide Report Admin").await;
    app.make_admin(&admin).await;
    let asker = app.register("Wide Report Asker").await;
    let heavy = app.register("Wide Heavy Helper").await;
    let calm = app.register("Wide Calm Helper").await;
    let reader = app.register("Wide Report Reader").await;
    let moderator = app.register("Other Group Moderator").await;
    let their_group = app
        .create_group(&moderator, "Unrelated circle", "PUBLIC")
        .await;
    let question = ask(
        &app,
        &asker,
        json!({"title": "Does it ever get lighter?", "topic": "DEPRESSION"}),
    )
    .await;
    // The words of the answer itself file a priority flag, under its author.
    let worded = answer(
        &app,
        &heavy,
        &question,
        "Some days I want to die too, but talking helps.",
    )
    .await;
    let flags = queue(&app, &admin, json!({"p": true})).await;
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0]["answerId"], json!(worded));
    assert_eq!(flags[0]["reason"], FLAG_REASON);
    assert_eq!(flags[0]["priority"], true);
    let flag = flags[0]["id"].as_str().unwrap().to_owned();

    // A reader's report of the same answer is a report of its own, beside the flag, and is
    // not a priority one: priority comes from the words written, not from a report's reason.
    let filed = report(&app, &reader, &worded, "This reads like they want to die").await;
    let filed = &filed["data"]["reportAnswer"];
    assert_eq!(filed["priority"], false, "{filed}");
    assert_eq!(filed["answerId"], json!(worded));
    let reader_report = filed["id"].as_str().unwrap().to_owned();
    assert_ne!(reader_report, flag);
    assert_eq!(
        ids(&queue(&app, &admin, json!({})).await),
        [flag.as_str(), reader_report.as_str()]
    );
    assert_eq!(
        ids(&queue(&app, &admin, json!({"p": false})).await),
        [reader_report.as_str()]
    );
    assert_eq!(
        ids(&queue(&app, &admin, json!({"p": true})).await),
        [flag.as_str()]
    );
    // A calm answer's report is not priority either.
    let plain = answer(&app, &calm, &question, "It did for me, slowly.").await;
    let calm_report = report(&app, &reader, &plain, "Off topic").await;
    assert_eq!(calm_report["data"]["reportAnswer"]["priority"], false);
    assert_eq!(queue(&app, &admin, json!({"p": true})).await.len(), 1);

    // A group's moderator is no admin: the platform-wide queue is not theirs, and their
    // group's queue holds none of these.
    let refused = app.gql(Some(&moderator.access), REPORTS, json!({})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    assert_eq!(
        queue(&app, &moderator, json!({"g": their_group})).await,
        Vec::<Value>::new()
    );

    // Once the reader blocked its author, the answer is out of their sight: not reportable.
    app.ok(
        &reader.access,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": calm.user_id}),
    )
    .await;
    let blocked = report(&app, &reader, &plain, "Again").await;
    assert_eq!(error_code(&blocked), "NOT_FOUND");
    assert_eq!(queue(&app, &admin, json!({})).await.len(), 3);
}

#[tokio::test]
async fn unmarking_helpful_restores_the_count_the_mark_and_the_rank() {
    let app = TestApp::spawn().await;
    let asker = app.register("Unmark Asker").await;
    let early = app.register("Unmark Early").await;
    let later = app.register("Unmark Later").await;
    let v1 = app.register("Unmark Voter One").await;
    let v2 = app.register("Unmark Voter Two").await;
    let question = ask(
        &app,
        &asker,
        json!({"title": "What helps on a sleepless night?", "topic": "ANXIETY"}),
    )
    .await;
    let a_early = answer(&app, &early, &question, "Write tomorrow's list before bed.").await;
    let a_later = answer(&app, &later, &question, "A short walk after dinner.").await;
    assert_eq!(
        order(&ranked(&app, &asker, &question).await),
        [a_early.as_str(), a_later.as_str()],
        "with no marks, oldest first"
    );

    let marked = app.ok(&v1.access, MARK, json!({"a": a_later})).await;
    assert_eq!(
        marked["markHelpful"],
        json!({"id": a_later, "helpfulCount": 1, "markedHelpful": true})
    );
    assert_eq!(
        order(&ranked(&app, &asker, &question).await),
        [a_later.as_str(), a_early.as_str()]
    );

    // Unmarking takes the mark and the count back, and the rank with them.
    let unmarked = app.ok(&v1.access, UNMARK, json!({"a": a_later})).await;
    assert_eq!(
        unmarked["unmarkHelpful"],
        json!({"id": a_later, "helpfulCount": 0, "markedHelpful": false})
    );
    assert_eq!(
        ranked(&app, &v1, &question).await,
        [(a_early.clone(), 0, false), (a_later.clone(), 0, false)]
    );
    // Twice is harmless: the count never goes below what the marks are.
    let twice = app.ok(&v1.access, UNMARK, json!({"a": a_later})).await;
    assert_eq!(
        twice["unmarkHelpful"],
        json!({"id": a_later, "helpfulCount": 0, "markedHelpful": false})
    );
    // So is unmarking what one never marked.
    let never = app.ok(&v2.access, UNMARK, json!({"a": a_early})).await;
    assert_eq!(
        never["unmarkHelpful"],
        json!({"id": a_early, "helpfulCount": 0, "markedHelpful": false})
    );

    // Each person's mark is their own: one unmarking leaves the other's.
    app.ok(&v1.access, MARK, json!({"a": a_later})).await;
    let two = app.ok(&v2.access, MARK, json!({"a": a_later})).await;
    assert_eq!(two["markHelpful"]["helpfulCount"], 2);
    let one = app.ok(&v2.access, UNMARK, json!({"a": a_later})).await;
    assert_eq!(
        one["unmarkHelpful"],
        json!({"id": a_later, "helpfulCount": 1, "markedHelpful": false})
    );
    assert_eq!(
        ranked(&app, &v1, &question).await,
        [(a_later.clone(), 1, true), (a_early.clone(), 0, false)]
    );
    assert_eq!(
        ranked(&app, &v2, &question).await,
        [(a_later.clone(), 1, false), (a_early.clone(), 0, false)]
    );
    // A tie goes to the older answer; taking a mark back drops the newer one behind.
    app.ok(&v2.access, MARK, json!({"a": a_early})).await;
    assert_eq!(
        ranked(&app, &asker, &question).await,
        [(a_early.clone(), 1, false), (a_later.clone(), 1, false)]
    );
    app.ok(&v1.access, UNMARK, json!({"a": a_later})).await;
    assert_eq!(
        ranked(&app, &asker, &question).await,
        [(a_early.clone(), 1, false), (a_later.clone(), 0, false)]
    );

    // One's own answer is neither marked nor unmarked, and its count stays.
    for mutation in [MARK, UNMARK] {
        let own = app
            .gql(Some(&later.access), mutation, json!({"a": a_later}))
            .await;
        assert_eq!(error_code(&own), "BAD_USER_INPUT", "{mutation}");
        assert_eq!(own["errors"][0]["extensions"]["field"], "answerId", "{own}");
    }
    let anonymous = app.gql(None, UNMARK, json!({"a": a_early})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    assert_eq!(
        ranked(&app, &asker, &question).await,
        [(a_early.clone(), 1, false), (a_later.clone(), 0, false)]
    );

    // A deleted answer is gone for unmarking too.
    app.ok(
        &early.access,
        "mutation($a: ID!) { deleteAnswer(id: $a) }",
        json!({"a": a_early}),
    )
    .await;
    let gone = app
        .gql(Some(&v2.access), UNMARK, json!({"a": a_early}))
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

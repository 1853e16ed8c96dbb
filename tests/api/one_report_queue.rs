//! One moderation for everything a person can report: posts, replies, questions and answers
//! share one queue, one `Report` type and one order, through the same mutations. The first apps'
//! question-report fields still work, over the same rows.
use crate::support::*;
use serde_json::{json, Value};

const REPORT: &str = "mutation($t: ContentType!, $i: ID!) { report(input: {targetType: $t, targetId: $i, reason: \"Please look\"}) { id targetType } }";
const QUEUE: &str = "query($g: ID, $s: ReportStatus = OPEN) { reports(groupId: $g, status: $s) { edges { node { id targetType targetId group { id } post { title } reply { body } question { title } answer { body } author { id } } } } }";
const OLD_QUEUE: &str = "query($g: ID, $s: ReportStatus) { questionReports(groupId: $g, status: $s) { edges { node { id questionId answerId } } } }";
const ASK: &str = "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }";
const ANSWER: &str = "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id } }";

fn nodes(data: &Value, root: &str) -> Vec<Value> {
    data[root]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn id(data: &Value, root: &str) -> String {
    data[root]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn posts_replies_questions_and_answers_share_one_queue() {
    let app = TestApp::spawn().await;
    let owner = app.register("Queue Owner").await;
    let writer = app.register("Queue Writer").await;
    let reader = app.register("Queue Reader").await;
    let group = app.create_group(&owner, "One queue", "PUBLIC").await;
    app.join(&writer, &group).await;
    app.join(&reader, &group).await;
    let post = app.post(&writer, &group, "A post to report").await;
    let reply = app.reply(&writer, &post, "A reply to report").await;
    let asked = json!({"i": {"title": "A question to report", "topic": "OTHER", "groupId": group, "anonymous": true}});
    let question = id(&app.ok(&writer.access, ASK, asked).await, "askQuestion");
    let answered = json!({"i": {"questionId": question, "body": "An answer to report"}});
    let answer = id(
        &app.ok(&writer.access, ANSWER, answered).await,
        "answerQuestion",
    );

    let mut filed = Vec::new();
    for (kind, target) in [
        ("POST", &post),
        ("REPLY", &reply),
        ("QUESTION", &question),
        ("ANSWER", &answer),
    ] {
        let vars = json!({"t": kind, "i": target});
        let report = app.ok(&reader.access, REPORT, vars.clone()).await;
        assert_eq!(report["report"]["targetType"], kind);
        let again = app.ok(&reader.access, REPORT, vars).await;
        assert_eq!(
            again["report"]["id"], report["report"]["id"],
            "one open report per reader and item"
        );
        filed.push(id(&report, "report"));
    }

    // The group's moderators see all four, oldest first, each with what it is about.
    let queue = nodes(
        &app.ok(&owner.access, QUEUE, json!({"g": group})).await,
        "reports",
    );
    let ids: Vec<&str> = queue.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, filed.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(queue[0]["post"]["title"], "A post to report");
    assert_eq!(queue[1]["reply"]["body"], "A reply to report");
    assert_eq!(queue[1]["post"]["title"], "A post to report");
    assert_eq!(queue[2]["question"]["title"], "A question to report");
    assert_eq!(queue[3]["answer"]["body"], "An answer to report");
    assert_eq!(queue[3]["question"]["title"], "A question to report");
    for report in &queue {
        assert_eq!(report["group"]["id"], json!(group));
    }
    assert_eq!(queue[0]["author"]["id"], json!(writer.user_id));
    assert_eq!(
        queue[2]["author"],
        Value::Null,
        "an anonymous question's author is not shown"
    );

    // The first apps' question queue is the same rows, questions and answers only.
    let old = nodes(
        &app.ok(&owner.access, OLD_QUEUE, json!({"g": group})).await,
        "questionReports",
    );
    let old_ids: Vec<&str> = old.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(old_ids, vec![filed[2].as_str(), filed[3].as_str()]);
    assert_eq!(old[1]["questionId"], json!(question));
    assert_eq!(old[1]["answerId"], json!(answer));

    // Others neither read the queue nor handle its reports.
    let refused = app
        .gql(Some(&reader.access), QUEUE, json!({"g": group}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let resolve =
        "mutation($r: ID!, $s: ReportStatus!) { resolveReport(id: $r, status: $s) { id status } }";
    let refused = app
        .gql(
            Some(&reader.access),
            resolve,
            json!({"r": filed[3], "s": "RESOLVED"}),
        )
        .await;
    assert_eq!(error_code(&refused), "NOT_FOUND");

    // One way to handle each: resolve an answer's report, reveal an anonymous asker.
    let done = app
        .ok(
            &owner.access,
            resolve,
            json!({"r": filed[3], "s": "DISMISSED"}),
        )
        .await;
    assert_eq!(done["resolveReport"]["status"], "DISMISSED");
    let reveal = "mutation($r: ID!) { revealReportedAuthor(reportId: $r) { id } }";
    let revealed = app.ok(&owner.access, reveal, json!({"r": filed[2]})).await;
    assert_eq!(
        revealed["revealReportedAuthor"]["id"],
        json!(writer.user_id)
    );
    let log = "query($g: ID!) { group(id: $g) { modLog { edges { node { action targetId } } } } }";
    let entries = nodes(
        &app.ok(&owner.access, log, json!({"g": group})).await["group"],
        "modLog",
    );
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["targetId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("REVEAL_AUTHOR", filed[2].as_str()),
            ("REPORT_DISMISSED", filed[3].as_str())
        ],
        "newest first"
    );
    let open = nodes(
        &app.ok(&owner.access, QUEUE, json!({"g": group, "s": "OPEN"}))
            .await,
        "reports",
    );
    assert_eq!(open.len(), 3);

    // One removal for every kind; removing again changes nothing.
    let remove_answer = "mutation($i: ID!) { removeAnswer(id: $i, reason: \"Off topic\") }";
    assert_eq!(
        app.ok(&owner.access, remove_answer, json!({"i": answer}))
            .await["removeAnswer"],
        true
    );
    let remove_reply =
        "mutation($i: ID!) { removeReply(id: $i, reason: \"Off topic\") { id body } }";
    let removed = app
        .ok(&owner.access, remove_reply, json!({"i": reply}))
        .await;
    assert_eq!(removed["removeReply"]["body"], Value::Null);
    let again = app
        .ok(&owner.access, remove_reply, json!({"i": reply}))
        .await;
    assert_eq!(again["removeReply"]["id"], json!(reply));
    let entries = nodes(
        &app.ok(&owner.access, log, json!({"g": group})).await["group"],
        "modLog",
    );
    let removals = entries
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("REMOVE_"))
        .count();
    assert_eq!(
        removals, 2,
        "a second removal of the same reply is not logged: {entries:?}"
    );

    // Reactions stay on posts and replies.
    let react =
        "mutation($i: ID!) { react(input: {targetType: QUESTION, targetId: $i, kind: SUPPORT}) }";
    let refused = app
        .gql(Some(&reader.access), react, json!({"i": question}))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
}

#[tokio::test]
async fn reports_of_platform_wide_questions_are_the_admins_in_the_same_queue() {
    let app = TestApp::spawn().await;
    let admin = app.register("Queue Admin").await;
    app.make_admin(&admin).await;
    let asker = app.register("Wide Asker").await;
    let reader = app.register("Wide Reader").await;
    let owner = app.register("Wide Owner").await;
    let group = app.create_group(&owner, "Elsewhere", "PUBLIC").await;
    let post = app.post(&owner, &group, "A group post").await;
    let asked = json!({"i": {"title": "A platform-wide question", "topic": "OTHER"}});
    let question = id(&app.ok(&asker.access, ASK, asked).await, "askQuestion");

    let on_post = app
        .ok(&reader.access, REPORT, json!({"t": "POST", "i": post}))
        .await;
    let on_question = app
        .ok(
            &reader.access,
            REPORT,
            json!({"t": "QUESTION", "i": question}),
        )
        .await;

    // Admins: every report, a group's and a platform-wide one, in one queue.
    let queue = nodes(&app.ok(&admin.access, QUEUE, json!({})).await, "reports");
    let ids: Vec<&Value> = queue.iter().map(|r| &r["id"]).collect();
    assert_eq!(
        ids,
        vec![&on_post["report"]["id"], &on_question["report"]["id"]]
    );
    assert_eq!(queue[1]["group"], Value::Null);
    assert_eq!(queue[1]["author"]["id"], json!(asker.user_id));
    // The old platform-wide question queue holds only the question.
    let old = nodes(
        &app.ok(&admin.access, OLD_QUEUE, json!({})).await,
        "questionReports",
    );
    assert_eq!(old.len(), 1);
    assert_eq!(old[0]["id"], on_question["report"]["id"]);
    // A group's moderator handles their group's, not a platform-wide one.
    let refused = app.gql(Some(&owner.access), QUEUE, json!({})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let resolve = "mutation($r: ID!) { resolveReport(id: $r, status: RESOLVED) { status } }";
    let refused = app
        .gql(
            Some(&owner.access),
            resolve,
            json!({"r": on_question["report"]["id"]}),
        )
        .await;
    assert_eq!(error_code(&refused), "NOT_FOUND");
    let resolved = app
        .ok(
            &admin.access,
            resolve,
            json!({"r": on_question["report"]["id"]}),
        )
        .await;
    assert_eq!(resolved["resolveReport"]["status"], "RESOLVED");
}

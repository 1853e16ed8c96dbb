//! Data rights. Deleting an account: a rich account (a row of every kind, a sentinel word in
//! every text it wrote) is deleted, and then no row of any table, and no Redis key, holds its
//! id, its address or the sentinel. Kept content shows "Deleted member"; counters stay right.
//! Exporting it: the document holds every kind of row, and no secret.
use crate::support::*;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{json, Value};
use std::time::Duration;

const SENTINEL: &str = "zqxsentinel";
const WAIT: Duration = Duration::from_secs(5);
const DELETE: &str =
    "mutation($p: String!, $r: Boolean!) { deleteAccount(password: $p, removeContent: $r) }";

struct Rich {
    me: Session,
    other: Session,
    commons: String,
    others_post: String,
    my_post: String,
}

/// An account with a row of every kind the schema has, most with the sentinel in their text.
async fn rich_account(app: &TestApp) -> Rich {
    let me = app
        .register_with(
            &format!("{SENTINEL}@example.org"),
            "Zqxsentinel Rowan",
            PASSWORD,
        )
        .await;
    let other = app.register("Other Otter").await;
    let admin = app.register("Admin Alder").await;
    app.make_admin(&admin).await;
    let s = SENTINEL;
    let ok = |who: &Session, q: &'static str, v: Value| {
        let token = who.access.clone();
        async move { app.ok(&token, q, v).await }
    };

    // Their own group, with nobody else in it, and a place in someone else's.
    let own = app.create_group(&me, "Zqxsentinel Den", "PRIVATE").await;
    ok(
        &me,
        "mutation($g: ID!) { createInviteCode(groupId: $g) { code } }",
        json!({"g": own}),
    )
    .await;
    let commons = app.create_group(&other, "Commons", "PUBLIC").await;
    app.join(&me, &commons).await;
    ok(&other, "mutation($g: ID!, $u: ID!) { setMemberRole(groupId: $g, userId: $u, role: MODERATOR) { role } }", json!({"g": commons, "u": me.user_id})).await;
    ok(&me, "mutation($g: ID!) { updateMembership(groupId: $g, alias: \"Zqxsentinel Alias\") { alias } }", json!({"g": commons})).await;
    ok(
        &me,
        "mutation($g: ID!) { createInviteCode(groupId: $g) { code } }",
        json!({"g": commons}),
    )
    .await;
    let troll = app.register("Troll Toad").await;
    app.join(&troll, &commons).await;
    ok(&me, "mutation($g: ID!, $u: ID!, $r: String!) { banMember(groupId: $g, userId: $u, reason: $r) }", json!({"g": commons, "u": troll.user_id, "r": format!("{s} ban reason")})).await;

    // Writing, reacting, reporting, blocking.
    let my_post = ok(&me, "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }", json!({"i": {"groupId": commons, "title": format!("{s} title"), "body": format!("{s} body"), "contentWarning": format!("{s} cw"), "idempotencyKey": format!("{s}-key")}})).await["createPost"]["id"].as_str().unwrap().to_owned();
    let others_post = app.post(&other, &commons, "Others post").await;
    ok(
        &me,
        "mutation($i: CreateReplyInput!) { createReply(input: $i) { id } }",
        json!({"i": {"postId": others_post, "body": format!("{s} reply")}}),
    )
    .await;
    app.reply(&other, &my_post, "An answer to the sentinel post")
        .await;
    ok(
        &me,
        "mutation($i: ReactionInput!) { react(input: $i) }",
        json!({"i": {"targetType": "POST", "targetId": others_post, "kind": "SUPPORT"}}),
    )
    .await;
    ok(
        &other,
        "mutation($i: ReactionInput!) { react(input: $i) }",
        json!({"i": {"targetType": "POST", "targetId": my_post, "kind": "THANKS"}}),
    )
    .await;
    ok(&me, "mutation($i: ReportInput!) { report(input: $i) { id } }", json!({"i": {"targetType": "POST", "targetId": others_post, "reason": format!("{s} report")}})).await;
    ok(
        &me,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": troll.user_id}),
    )
    .await;
    ok(
        &troll,
        "mutation($u: ID!) { blockUser(userId: $u) }",
        json!({"u": me.user_id}),
    )
    .await;

    // Questions and answers.
    let question = ok(&me, "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }", json!({"i": {"title": format!("Is {s} normal after a while"), "body": format!("{s} question body"), "topic": "OTHER", "tags": [s]}})).await["askQuestion"]["id"].as_str().unwrap().to_owned();
    let others_question = ok(
        &other,
        "mutation($i: AskQuestionInput!) { askQuestion(input: $i) { id } }",
        json!({"i": {"title": "How do people cope with waiting lists", "topic": "OTHER"}}),
    )
    .await["askQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let my_answer = ok(
        &me,
        "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id } }",
        json!({"i": {"questionId": others_question, "body": format!("{s} answer")}}),
    )
    .await["answerQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &other,
        "mutation($a: ID!) { acceptAnswer(answerId: $a) { id } }",
        json!({"a": my_answer}),
    )
    .await;
    let others_answer = ok(
        &other,
        "mutation($i: AnswerQuestionInput!) { answerQuestion(input: $i) { id } }",
        json!({"i": {"questionId": question, "body": "Plain answer"}}),
    )
    .await["answerQuestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &me,
        "mutation($a: ID!) { markHelpful(answerId: $a) { id } }",
        json!({"a": others_answer}),
    )
    .await;
    ok(
        &me,
        "mutation($q: ID!) { followQuestion(questionId: $q) { id } }",
        json!({"q": others_question}),
    )
    .await;
    ok(
        &other,
        "mutation($q: ID!, $r: String!) { reportQuestion(questionId: $q, reason: $r) { id } }",
        json!({"q": question, "r": "Reported by someone else"}),
    )
    .await;
    ok(
        &me,
        "mutation($q: ID!, $r: String!) { reportQuestion(questionId: $q, reason: $r) { id } }",
        json!({"q": others_question, "r": format!("{s} question report")}),
    )
    .await;
    ok(&admin, "mutation($u: ID!, $t: String!, $until: DateTime!) { grantExpert(userId: $u, title: $t, verifiedUntil: $until) { title } }", json!({"u": me.user_id, "t": format!("{s} credential"), "until": "2099-01-01T00:00:00Z"})).await;

    // A weekly meeting they lead in the group they moderate, and their answer for it.
    let first_date = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();
    ok(&me, "mutation($i: ScheduleMeetingsInput!) { scheduleMeetings(input: $i) { id } }", json!({"i": {"groupId": commons, "title": "Thursday circle", "firstDate": first_date, "localStartTime": "19:00", "timeZone": "Europe/Berlin", "durationMinutes": 60, "frequency": "WEEKLY", "joinUrl": "https://meet.example.org/circle"}})).await;
    let meetings = ok(
        &me,
        "query($g: ID!) { group(id: $g) { meetings(first: 1) { edges { node { id } } } } }",
        json!({"g": commons}),
    )
    .await;
    let meeting = meetings["group"]["meetings"]["edges"][0]["node"]["id"].clone();
    ok(
        &me,
        "mutation($m: ID!) { rsvp(meetingId: $m, answer: GOING) { myRsvp } }",
        json!({"m": meeting}),
    )
    .await;
    ok(&me, "mutation { createCalendarFeed { url } }", json!({})).await;

    // Moods, devices, preferences, a code waiting in the outbox.
    ok(
        &me,
        "mutation($i: LogMoodInput!) { logMood(input: $i) { checkin { id } } }",
        json!({"i": {"score": 4, "emotions": ["TIRED"], "note": format!("{s} note")}}),
    )
    .await;
    ok(
        &me,
        "mutation($i: SetMoodReminderInput!) { setMoodReminder(input: $i) { localTime } }",
        json!({"i": {"localTime": "21:00"}}),
    )
    .await;
    ok(&me, "mutation($i: CreateMoodShareInput!) { createMoodShare(input: $i) { share { id } } }", json!({"i": {"label": format!("{s} therapist"), "expiresAt": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(), "includeNotes": true}})).await;
    ok(
        &me,
        "mutation($i: RegisterDeviceInput!) { registerDevice(input: $i) { id } }",
        json!({"i": {"token": format!("{s}-fcm-token"), "platform": "ANDROID"}}),
    )
    .await;
    ok(
        &me,
        "mutation { updatePushPreferences(input: {previews: true}) { previews } }",
        json!({}),
    )
    .await;
    app.gql(
        None,
        "mutation($e: String!) { requestPasswordReset(email: $e) { status } }",
        json!({"e": me.email}),
    )
    .await;
    // A failed sign-in leaves counters keyed by the address.
    app.login(&me.email, "not the password at all").await;
    // A built export holds all of it once more.
    export_ready(app, &me).await;

    Rich {
        me,
        other,
        commons,
        others_post,
        my_post,
    }
}

/// Asks for my data export and waits until it is built; its id and download path.
pub(crate) async fn export_ready(app: &TestApp, who: &Session) -> (String, String) {
    let asked = app
        .ok(
            &who.access,
            "mutation { exportMyData { id status url expiresAt version } }",
            json!({}),
        )
        .await;
    let id = asked["exportMyData"]["id"].as_str().unwrap().to_owned();
    let url = url_when_ready(app, who, &id).await;
    (id, url)
}

/// Polls one of my exports until it is built; its download path.
async fn url_when_ready(app: &TestApp, who: &Session, id: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let export = app
            .ok(
                &who.access,
                "query($id: ID!) { dataExport(id: $id) { status url bytes } }",
                json!({"id": id}),
            )
            .await;
        if export["dataExport"]["status"] == "READY" {
            assert!(export["dataExport"]["bytes"].as_i64().unwrap() > 0);
            return export["dataExport"]["url"].as_str().unwrap().to_owned();
        }
        assert_eq!(
            export["dataExport"]["url"],
            json!(null),
            "a link before it is built"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the export was never built"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every (table, column) holding `needle`, case-insensitively, in any column of any table.
async fn rows_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let db = &app.context.db;
    let backend = db.get_database_backend();
    let columns_sql = match backend {
        DbBackend::Postgres => "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema()".to_owned(),
        _ => "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '%_fts%'".to_owned(),
    };
    let columns = db
        .query_all_raw(Statement::from_string(backend, columns_sql))
        .await
        .unwrap();
    let mut found = Vec::new();
    for row in columns {
        let table: String = row.try_get("", "t").unwrap();
        let column: String = row.try_get("", "c").unwrap();
        let sql = format!(
            "SELECT COUNT(*) AS n FROM \"{table}\" WHERE LOWER(CAST(\"{column}\" AS TEXT)) LIKE '%{}%'",
            needle.to_lowercase()
        );
        let n: i64 = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        if n > 0 {
            found.push(format!("{table}.{column} ({n})"));
        }
    }
    found
}

/// Redis keys of this test's server holding `needle`.
async fn redis_keys_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let Some(url) = test_redis_url() else {
        return Vec::new();
    };
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pattern = format!("{}*{needle}*", app.context.settings.redis_prefix);
    redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_deleted_account_leaves_nothing_behind() {
    let app = TestApp::spawn_with(|s| s.session_check_interval = Duration::from_secs(30)).await;
    let rich = rich_account(&app).await;
    let me = &rich.me;
    // The limiter's counters name the address by a keyed index, never by a plain hash that a
    // list of addresses would match.
    let digest = app
        .context
        .vault
        .ring()
        .index(api::keys::Indexed::Counters, &me.email);
    let plain_digest = api::secrets::sha256_hex(&me.email);
    // Everything is really there before.
    assert!(!rows_holding(&app, SENTINEL).await.is_empty());
    assert!(!rows_holding(&app, &me.user_id).await.is_empty());
    if test_redis_url().is_some() {
        assert!(!redis_keys_holding(&app, &me.user_id).await.is_empty());
        assert!(!redis_keys_holding(&app, &digest).await.is_empty());
        assert_eq!(
            redis_keys_holding(&app, &plain_digest).await,
            Vec::<String>::new()
        );
    }
    let mut socket = app.socket().await;
    socket.init(&me.access).await;
    assert_eq!(socket.expect_json(WAIT).await["type"], "connection_ack");

    let counts = "query($g: ID!) { group(id: $g) { memberCount postCount } }";
    let before = app
        .ok(&rich.other.access, counts, json!({"g": rich.commons}))
        .await;
    assert_eq!(before, json!({"group": {"memberCount": 2, "postCount": 2}}));

    let wrong = app
        .gql(
            Some(&me.access),
            DELETE,
            json!({"p": "not my password", "r": true}),
        )
        .await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "password");

    let deleted = app
        .ok(&me.access, DELETE, json!({"p": PASSWORD, "r": true}))
        .await;
    assert_eq!(deleted["deleteAccount"], true);

    for needle in [
        SENTINEL,
        me.user_id.as_str(),
        me.email.as_str(),
        digest.as_str(),
    ] {
        assert_eq!(
            rows_holding(&app, needle).await,
            Vec::<String>::new(),
            "rows still hold {needle}"
        );
        assert_eq!(
            redis_keys_holding(&app, needle).await,
            Vec::<String>::new(),
            "Redis keys still hold {needle}"
        );
    }
    // Signed out everywhere, at once, and gone for sign-in.
    assert_eq!(socket.expect_close(WAIT).await, Some(4403));
    assert_eq!(
        error_code(&app.me(Some(&me.access)).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.refresh(&me.refresh).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.login(&me.email, PASSWORD).await),
        "UNAUTHENTICATED"
    );

    // The others' view stays whole: their post lost the reply and the reaction, the group the member.
    let post = app
        .ok(
            &rich.other.access,
            "query($p: ID!) { post(id: $p) { replyCount } }",
            json!({"p": rich.others_post}),
        )
        .await;
    assert_eq!(post["post"]["replyCount"], 0, "{post}");
    let after = app
        .ok(&rich.other.access, counts, json!({"g": rich.commons}))
        .await;
    assert_eq!(after, json!({"group": {"memberCount": 1, "postCount": 1}}));
    // Their post is a deleted placeholder in the thread others answered, by nobody.
    let gone = app
        .ok(
            &rich.other.access,
            "query($p: ID!) { post(id: $p) { status title body author { id } } }",
            json!({"p": rich.my_post}),
        )
        .await;
    assert_eq!(gone["post"]["status"], "DELETED", "{gone}");
    assert_eq!(gone["post"]["author"], json!(null), "{gone}");
    // The address can sign up again.
    let again = app
        .gql(None, "mutation($i: RegisterInput!) { register(input: $i) { status } }", json!({"i": {"email": me.email, "password": PASSWORD, "displayName": "Zqxsentinel Rowan"}}))
        .await;
    assert_eq!(again["data"]["register"]["status"], "CODE_SENT", "{again}");
}

#[tokio::test]
async fn kept_content_is_by_deleted_member_and_links_back_to_nobody() {
    let app = TestApp::spawn().await;
    let rich = rich_account(&app).await;
    let me = &rich.me;
    app.ok(&me.access, DELETE, json!({"p": PASSWORD, "r": false}))
        .await;
    for needle in [me.user_id.as_str(), me.email.as_str()] {
        assert_eq!(
            rows_holding(&app, needle).await,
            Vec::<String>::new(),
            "rows still hold {needle}"
        );
    }
    let post = app
        .ok(
            &rich.other.access,
            "query($p: ID!) { post(id: $p) { title replyCount author { displayName } } }",
            json!({"p": rich.my_post}),
        )
        .await;
    assert_eq!(post["post"]["title"], format!("{SENTINEL} title"));
    assert_eq!(post["post"]["author"]["displayName"], "Deleted member");
    assert_eq!(post["post"]["replyCount"], 1);
    let replies = app
        .ok(&rich.other.access, "query($p: ID!) { post(id: $p) { replies(first: 5) { edges { node { body author { displayName } } } } } }", json!({"p": rich.others_post}))
        .await;
    let reply = &replies["post"]["replies"]["edges"][0]["node"];
    assert_eq!(
        reply["author"]["displayName"], "Deleted member",
        "{replies}"
    );
    // Nobody can sign in as, or take the name of, the Deleted member.
    assert_eq!(
        error_code(&app.login("deleted-member@hearth.invalid", "").await),
        "UNAUTHENTICATED"
    );
    let taken = app
        .gql(
            Some(&rich.other.access),
            "mutation { updateProfile(displayName: \"Deleted Member\") { displayName } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&taken), "CONFLICT");
}

#[tokio::test]
async fn the_web_page_deletes_an_account_with_a_mailed_code() {
    let smtp = crate::fake_smtp::FakeSmtp::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(move |s| {
        s.mail.smtp_url = Some(api::config::Secret::new(url));
    })
    .await;
    let me = app.register("Web Walker").await;
    let other = app.register("Stays Here").await;
    let group = app.create_group(&other, "Walkers", "PUBLIC").await;
    app.join(&me, &group).await;
    let post = app.post(&me, &group, "Written on the phone").await;

    let start = app
        .http
        .get(app.url("/account/delete"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 200);
    let csp = start.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = start.text().await.unwrap();
    assert!(
        html.contains("action=\"/account/delete\"") && html.contains("name=\"email\""),
        "{html}"
    );

    let ask = |email: &str| {
        app.http
            .post(app.url("/account/delete"))
            .form(&[("email", email)])
            .send()
    };
    let known = ask(&me.email).await.unwrap();
    assert_eq!(known.status(), 200);
    let known = known.text().await.unwrap();
    let unknown = ask("nobody.here@example.org")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        known.replace(&me.email, "ADDRESS"),
        unknown.replace("nobody.here@example.org", "ADDRESS"),
        "the page tells who has an account"
    );
    assert!(
        known.contains("action=\"/account/delete/confirm\""),
        "{known}"
    );
    // Whatever is typed is shown as text, never as markup.
    let hostile = ask("<script>alert(1)</script>").await.unwrap();
    assert_eq!(hostile.status(), 400);
    assert!(!hostile.text().await.unwrap().contains("<script>"));

    let code = smtp.code(&me.email, 1).await;
    let confirm = |code: String, content: &'static str| {
        let email = me.email.clone();
        let http = app.http.clone();
        let url = app.url("/account/delete/confirm");
        async move {
            http.post(url)
                .form(&[
                    ("email", email.as_str()),
                    ("code", code.as_str()),
                    ("content", content),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = confirm(
        format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000),
        "remove",
    )
    .await;
    assert_eq!(wrong.status(), 400);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("this code is not right"));
    assert_eq!(
        app.me(Some(&me.access)).await["data"]["me"]["id"],
        json!(me.user_id)
    );

    let done = confirm(code, "keep").await;
    assert_eq!(done.status(), 200);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("Your account is deleted"));
    assert_eq!(
        error_code(&app.me(Some(&me.access)).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.login(&me.email, PASSWORD).await),
        "UNAUTHENTICATED"
    );
    // "Keep" kept the post, by nobody in particular.
    let kept = app
        .ok(
            &other.access,
            "query($p: ID!) { post(id: $p) { title author { displayName } } }",
            json!({"p": post}),
        )
        .await;
    assert_eq!(kept["post"]["author"]["displayName"], "Deleted member");
    assert_eq!(rows_holding(&app, &me.user_id).await, Vec::<String>::new());
}

#[tokio::test]
async fn the_export_holds_every_kind_of_row_and_no_secret() {
    let app = TestApp::spawn().await;
    let rich = rich_account(&app).await;
    let me = &rich.me;
    let (_, url) = export_ready(&app, me).await;
    assert!(url.starts_with("/account/export?token="), "{url}");

    let response = app.http.get(app.url(&url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["format"], "hearth-export");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["profile"]["email"], me.email);
    assert_eq!(doc["profile"]["id"], me.user_id);
    // Every section holds every row of its table that is the account's, and there is one.
    let db = &app.context.db;
    let backend = db.get_database_backend();
    for (section, table, column) in [
        ("memberships", "memberships", "user_id"),
        ("posts", "posts", "author_id"),
        ("replies", "replies", "author_id"),
        ("reactions", "reactions", "user_id"),
        ("questions", "questions", "author_id"),
        ("answers", "answers", "author_id"),
        ("helpfulMarks", "answer_helpful", "user_id"),
        ("questionFollows", "question_follows", "user_id"),
        ("threadFollows", "thread_follows", "user_id"),
        ("moodCheckins", "mood_checkins", "user_id"),
        ("moodShares", "mood_shares", "user_id"),
        ("moodReminder", "mood_reminders", "user_id"),
        ("meetingAnswers", "meeting_rsvps", "user_id"),
        ("calendarFeed", "calendar_feeds", "user_id"),
        ("notifications", "notifications", "user_id"),
        ("pushPreferences", "push_preferences", "user_id"),
        ("devices", "devices", "user_id"),
        ("sessions", "sessions", "user_id"),
        ("blocks", "blocks", "blocker_id"),
        ("reportsFiled", "reports", "reporter_id"),
        ("expertStanding", "experts", "user_id"),
    ] {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE {column} = '{}'",
            me.user_id
        );
        let n: i64 = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        let got = doc[section].as_array().map(Vec::len).unwrap_or_default();
        assert!(n > 0, "the rich account has no {table}");
        assert_eq!(got as i64, n, "{section}: {}", doc[section]);
    }
    assert_eq!(doc["groups"].as_array().map(Vec::len), Some(2));
    let text = doc.to_string();
    for written in [
        "zqxsentinel title",
        "zqxsentinel body",
        "zqxsentinel reply",
        "zqxsentinel question body",
        "zqxsentinel answer",
        "zqxsentinel note",
        "zqxsentinel therapist",
        "Zqxsentinel Alias",
        "zqxsentinel report",
        "zqxsentinel question report",
        "zqxsentinel credential",
    ] {
        assert!(text.contains(written), "the export lacks {written:?}");
    }
    // No secret: no password hash, token digest or push token.
    for secret in [
        "password_hash",
        "$argon2",
        "token_hash",
        "zqxsentinel-fcm-token",
        "display_name_key",
    ] {
        assert!(!text.contains(secret), "the export holds {secret:?}");
    }

    // The export is the account's alone: another cannot see it; tampered, the link is
    // nothing; signed out, it stops working; after its hour it is deleted.
    let (id, _) = export_ready(&app, me).await;
    let theirs = app
        .gql(
            Some(&rich.other.access),
            "query($id: ID!) { dataExport(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&theirs), "NOT_FOUND");
    let tampered = url.replacen("token=", "token=x", 1);
    assert_eq!(
        app.http
            .get(app.url(&tampered))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    app.ok(&me.access, "mutation { logout }", json!({})).await;
    assert_eq!(
        app.http.get(app.url(&url)).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        error_code(
            &app.gql(None, "mutation { exportMyData { id } }", json!({}))
                .await
        ),
        "UNAUTHENTICATED"
    );
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let exports = || {
        entity::export_jobs::Entity::find()
            .filter(entity::export_jobs::Column::UserId.eq(me.user_id.as_str()))
            .count(db)
    };
    assert_eq!(exports().await.unwrap(), 3);
    entity::export_jobs::Entity::update_many()
        .col_expr(
            entity::export_jobs::Column::ExpiresAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(entity::export_jobs::Column::UserId.eq(me.user_id.as_str()))
        .exec(db)
        .await
        .unwrap();
    // The next request wakes a worker, which sweeps them before building the new one.
    let again = app.login(&me.email, PASSWORD).await;
    let token = again["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(&token, "mutation { exportMyData { id } }", json!({}))
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while exports().await.unwrap() > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "expired exports stayed: {:?}",
            entity::export_jobs::Entity::find()
                .all(db)
                .await
                .unwrap()
                .iter()
                .map(|j| (j.state, j.created_at, j.expires_at))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn moods_export_as_csv_a_spreadsheet_reads_safely() {
    let app = TestApp::spawn().await;
    let me = app.register("Csv Keeper").await;
    let log = "mutation($i: LogMoodInput!) { logMood(input: $i) { checkin { id } } }";
    let now = chrono::Utc::now();
    for (hours_ago, score, note) in [
        (50, 3, "tired, \"really\" tired\nsecond line"),
        (26, 6, "=HYPERLINK(\"http://evil.example\")"),
        (2, 8, "good day"),
    ] {
        let at = (now - chrono::Duration::hours(hours_ago)).to_rfc3339();
        app.ok(&me.access, log, json!({"i": {"score": score, "emotions": ["CALM", "HOPEFUL"], "note": note, "sleepHours": 7.5, "loggedAt": at}}))
            .await;
    }
    let export =
        "query($f: DateTime!, $t: DateTime!) { exportMoods(from: $f, to: $t, format: CSV) }";
    let range = json!({"f": (now - chrono::Duration::days(7)).to_rfc3339(), "t": (now + chrono::Duration::minutes(1)).to_rfc3339()});
    let csv = app.ok(&me.access, export, range).await["exportMoods"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("logged_at,score,emotions,sleep_hours,note")
    );
    let rest: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    assert_eq!(rest.len(), 3, "{csv}");
    assert!(
        rest[0].ends_with(",3,calm;hopeful,7.5,\"tired, \"\"really\"\" tired\nsecond line\""),
        "{csv}"
    );
    assert!(
        rest[1].ends_with(",6,calm;hopeful,7.5,\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "{csv}"
    );
    assert!(rest[2].ends_with(",8,calm;hopeful,7.5,good day"), "{csv}");

    // Bounded, and only mine.
    let too_long = json!({"f": "2020-01-01T00:00:00Z", "t": "2026-01-01T00:00:00Z"});
    let refused = app.gql(Some(&me.access), export, too_long).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    let backwards =
        json!({"f": now.to_rfc3339(), "t": (now - chrono::Duration::days(1)).to_rfc3339()});
    assert_eq!(
        error_code(&app.gql(Some(&me.access), export, backwards).await),
        "BAD_USER_INPUT"
    );
    let other = app.register("Someone Else").await;
    let theirs = app.ok(&other.access, export, range_of(now)).await;
    assert_eq!(
        theirs["exportMoods"],
        "logged_at,score,emotions,sleep_hours,note\r\n"
    );
}

fn range_of(now: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"f": (now - chrono::Duration::days(7)).to_rfc3339(), "t": (now + chrono::Duration::minutes(1)).to_rfc3339()})
}

#[tokio::test]
async fn an_export_asked_for_while_no_worker_runs_is_built_by_the_next() {
    let api_only = TestApp::spawn_with(|s| s.run_workers = false).await;
    let me = api_only.register("Patient Exporter").await;
    let asked = api_only
        .ok(
            &me.access,
            "mutation { exportMyData { id status url } }",
            json!({}),
        )
        .await;
    assert_eq!(asked["exportMyData"]["status"], "PREPARING");
    assert_eq!(asked["exportMyData"]["url"], json!(null));
    // Asking again while it waits returns the same export.
    let again = api_only
        .ok(&me.access, "mutation { exportMyData { id } }", json!({}))
        .await;
    assert_eq!(again["exportMyData"]["id"], asked["exportMyData"]["id"]);
    // Nobody took it: it waits unclaimed, with no document.
    use sea_orm::EntityTrait as _;
    let waiting = entity::export_jobs::Entity::find()
        .all(&api_only.context.db)
        .await
        .unwrap();
    assert!(
        waiting.len() == 1 && waiting[0].claimed_by.is_none() && waiting[0].document.is_none(),
        "{waiting:?}"
    );
    let still = api_only
        .ok(
            &me.access,
            "query($id: ID!) { dataExport(id: $id) { status } }",
            json!({"id": asked["exportMyData"]["id"]}),
        )
        .await;
    assert_eq!(still["dataExport"]["status"], "PREPARING");
    let worker = api_only.sibling_with(|s| s.run_workers = true).await;
    let id = asked["exportMyData"]["id"].as_str().unwrap();
    let url = url_when_ready(&worker, &me, id).await;
    let doc: Value = api_only
        .http
        .get(api_only.url(&url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["profile"]["id"], me.user_id);
}

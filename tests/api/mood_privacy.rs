//! What a person's moods must not do: reach the server's logs, or prompt them when they turned
//! pushes off.
//!
//! The logs are read from the real binary (`hearth serve`, as deployed, with its own logging set
//! up by `telemetry::init_logging`), run with `RUST_LOG` at debug for everything and trace for
//! the server's own code, so that a careless `debug!` of a note or a score would show.
use crate::fake_fcm::FakeFcm;
use crate::mood_reminders::noon_zone;
use crate::support::*;
use api::moods::reminders::{run_once, Pass};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const JWT_SECRET_FOR_BINARY: &str = "a-test-secret-of-at-least-thirty-two-bytes";
/// Debug for every library, trace for Hearth's own code (library trace spans are left off:
/// they describe the library, not what Hearth chose to log).
const LOG_FILTER: &str = "debug,api=trace,hearth=trace";
const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";

/// `hearth` on the test's database, with none of the caller's `HEARTH_*` settings.
fn hearth(database_url: &str, dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hearth"));
    command.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("HEARTH_") {
            command.env_remove(&name);
        }
    }
    command
        .env("HEARTH_DATABASE_URL", database_url)
        .env("HEARTH_JWT_SECRET", JWT_SECRET_FOR_BINARY)
        .env("RUST_LOG", LOG_FILTER)
        .env("NO_COLOR", "1");
    command
}

/// Copies a stream's lines into `into` until it ends.
fn collect(
    stream: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => into
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&line)),
            }
        }
    })
}

/// Terminal colours out, should the subscriber use them despite `NO_COLOR`.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for end in chars.by_ref() {
                if ('@'..='~').contains(&end) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A `hearth serve` process whose standard output and error are kept.
struct LoggedServer {
    child: Child,
    base: String,
    output: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    http: reqwest::Client,
}

impl LoggedServer {
    async fn start(database_url: &str, dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = hearth(database_url, dir)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), output.clone()),
            collect(child.stderr.take().unwrap(), output.clone()),
        ];
        let mut server = LoggedServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            output,
            readers,
            http: reqwest::Client::new(),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let health = server
                .http
                .get(format!("{}/healthz", server.base))
                .send()
                .await;
            if health.is_ok_and(|r| r.status() == 200) {
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("the server exited ({status}):\n{}", server.log());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not come up:\n{}",
                server.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// What the server wrote so far.
    fn log(&self) -> String {
        strip_ansi(&self.output.lock().unwrap())
    }

    /// Waits (up to 15 s) until `text` was written `times` times.
    async fn wait_for(&self, text: &str, times: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while self.log().matches(text).count() < times {
            assert!(
                std::time::Instant::now() < deadline,
                "{text:?} was not logged {times} times:\n{}",
                self.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Stops the server; everything it wrote.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        self.log()
    }

    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(Some(token), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lines where a score is written as a value: `score=7`, `score: 7`, `"score":7`,
/// `averageScore=Some(7)`… (a column name in SQL, `"score" = $1`, is not one).
fn score_mentions(log: &str, score: i64) -> Vec<String> {
    let wanted = score.to_string();
    let mut found = Vec::new();
    for line in log.lines() {
        let lower = line.to_lowercase();
        let mut rest = lower.as_str();
        while let Some(at) = rest.find("score") {
            rest = &rest[at + "score".len()..];
            let value = rest.trim_start_matches(['"', '\'', '\\', ' ', '=', ':']);
            let value = value.strip_prefix("some(").unwrap_or(value);
            let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
            if digits == wanted {
                found.push(line.to_owned());
                break;
            }
        }
    }
    found
}

#[tokio::test]
async fn mood_scores_and_notes_never_reach_the_logs() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let email = "quiet.logger@example.org";
    let created = tokio::task::spawn_blocking({
        let (url, dir) = (db.url.clone(), dir.path().to_owned());
        move || {
            hearth(&url, &dir)
                .env("HEARTH_NEW_PASSWORD", PASSWORD)
                .args(["admin", "create-user", email, "Quiet Logger"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let server = LoggedServer::start(&db.url, dir.path()).await;
    let signed_in = server
        .gql(
            None,
            LOGIN,
            json!({"i": {"email": email, "password": PASSWORD}}),
        )
        .await;
    let token = signed_in["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{signed_in}"))
        .to_owned();

    // Words found nowhere but in these notes, and scores that are each checked for below.
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let notes = ["marigold", "thistle", "juniper", "bramble"].map(|w| format!("{w}{tag}"));
    let (low, high, changed) = (2, 9, 7);
    let log_mood = "mutation($i: LogMoodInput!) { logMood(input: $i) { checkin { id score note } crisisResources { name } } }";

    // A low score with crisis words: the path that answers with resources.
    let first = server
        .ok(
            &token,
            log_mood,
            json!({"i": {"score": low, "note": format!("{}: some days I want to die", notes[0]),
                   "emotions": ["ANXIOUS", "TIRED"], "sleepHours": 5.5}}),
        )
        .await;
    assert!(
        !first["logMood"]["crisisResources"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{first}"
    );
    let first_id = first["logMood"]["checkin"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A retried check-in (the idempotency path) and a refused one (a note too long).
    let second_input = json!({"i": {"score": high, "note": notes[1], "emotions": ["CALM"], "idempotencyKey": "privacy-1"}});
    let second = server.ok(&token, log_mood, second_input.clone()).await;
    let again = server.ok(&token, log_mood, second_input).await;
    let second_id = second["logMood"]["checkin"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(again["logMood"]["checkin"]["id"], json!(second_id));
    let refused = server
        .gql(
            Some(&token),
            log_mood,
            json!({"i": {"score": high, "note": format!("{} {}", notes[2], "a".repeat(1_000))}}),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    // Changed: a new score and a new note.
    let updated = server
        .ok(
            &token,
            "mutation($id: ID!, $s: Int!, $n: String!) { updateMood(input: {id: $id, score: $s, note: $n}) { checkin { score note } } }",
            json!({"id": second_id, "s": changed, "n": notes[3]}),
        )
        .await;
    assert_eq!(
        updated["updateMood"]["checkin"],
        json!({"score": changed, "note": notes[3]})
    );

    // Every way of reading them back. Each answer carries the notes, so the server did handle
    // them in this run.
    let one = server
        .ok(
            &token,
            "query($id: ID!) { moodCheckin(id: $id) { score note } }",
            json!({"id": second_id}),
        )
        .await;
    assert_eq!(one["moodCheckin"]["note"], json!(notes[3]));
    let listed = server
        .ok(
            &token,
            "query { moodCheckins(first: 10) { edges { node { score note emotions sleepHours } } } }",
            json!({}),
        )
        .await;
    assert!(listed.to_string().contains(&notes[0]), "{listed}");
    assert!(listed.to_string().contains(&notes[3]), "{listed}");
    let today = Utc::now().date_naive();
    let summary = server
        .ok(
            &token,
            "query($f: Date!, $t: Date!) { moodSummary(from: $f, to: $t, bucket: DAY) { checkinCount averageScore topEmotions { emotion count } buckets { averageScore minScore maxScore } } }",
            json!({"f": (today - Duration::days(2)).to_string(), "t": today.to_string()}),
        )
        .await;
    assert_eq!(summary["moodSummary"]["checkinCount"], 2, "{summary}");
    assert_eq!(summary["moodSummary"]["averageScore"], 4.5, "{summary}");
    let now = Utc::now();
    let csv = server
        .ok(
            &token,
            "query($f: DateTime!, $t: DateTime!) { exportMoods(from: $f, to: $t, format: CSV) }",
            json!({"f": now - Duration::days(1), "t": now + Duration::minutes(1)}),
        )
        .await;
    assert!(
        csv["exportMoods"].as_str().unwrap().contains(&notes[0]),
        "{csv}"
    );
    let timeline = server
        .ok(
            &token,
            "query { myTimeline(first: 10) { edges { node { __typename ... on MoodCheckin { score note } } } } }",
            json!({}),
        )
        .await;
    assert!(timeline.to_string().contains(&notes[3]), "{timeline}");
    let shared = server
        .ok(
            &token,
            "mutation($i: CreateMoodShareInput!) { createMoodShare(input: $i) { token share { id } } }",
            json!({"i": {"label": "My counsellor", "expiresAt": now + Duration::days(7), "includeNotes": true}}),
        )
        .await;
    let share_token = shared["createMoodShare"]["token"].as_str().unwrap();
    let opened = server
        .gql(
            None,
            "query($t: String!, $f: Date!, $to: Date!) { sharedMood(token: $t, from: $f, to: $to, bucket: DAY) { checkins { score note } summary { averageScore } } }",
            json!({"t": share_token, "f": (today - Duration::days(2)).to_string(), "to": today.to_string()}),
        )
        .await;
    assert!(opened.to_string().contains(&notes[0]), "{opened}");
    server
        .ok(
            &token,
            "mutation($id: ID!) { deleteMood(id: $id) }",
            json!({"id": first_id}),
        )
        .await;

    // A second sign-in, last: once it is logged, so is everything the requests before it did.
    let later = server
        .gql(
            None,
            LOGIN,
            json!({"i": {"email": email, "password": PASSWORD}}),
        )
        .await;
    assert!(later["data"]["login"]["accessToken"].is_string(), "{later}");
    server.wait_for("signed in", 2).await;
    let log = server.stop();

    // The capture works, at info and at debug, on the moods' own path too.
    for expected in [
        "hearth listening",
        "signed in",
        "mood share opened",
        "finished processing request",
    ] {
        assert!(
            log.contains(expected),
            "{expected:?} not in the log:\n{log}"
        );
    }
    // No note, no score, no password or token.
    let lower = log.to_lowercase();
    assert!(!lower.contains(&tag), "a mood note reached the log:\n{log}");
    for note in &notes {
        assert!(!lower.contains(note.as_str()), "{note} reached the log");
    }
    for score in [low, high, changed] {
        let lines = score_mentions(&log, score);
        assert!(
            lines.is_empty(),
            "score {score} reached the log: {lines:#?}"
        );
    }
    assert!(!log.contains(PASSWORD), "the password reached the log");
    assert!(!log.contains(&token), "an access token reached the log");
}

#[test]
fn score_mentions_finds_values_not_column_names() {
    let log = "DEBUG sqlx::query: UPDATE \"mood_checkins\" SET \"score\" = $1 rows_affected=1\n\
               INFO api::moods: logged score=7\n\
               DEBUG x: {\"averageScore\":7}\n\
               DEBUG y: score: Some(7)\n\
               DEBUG z: score=17";
    let found = score_mentions(log, 7);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(score_mentions(log, 1).is_empty());
    assert_eq!(
        strip_ansi("\u{1b}[2m2024\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m score\u{1b}[2m=\u{1b}[0m7"),
        "2024  INFO score=7"
    );
}

// Mood reminders and push preferences.

/// Someone with a phone and a daily reminder that fell due ten minutes ago.
async fn reminded(app: &TestApp, name: &str, phone: &str) -> Session {
    let (zone, ten_minutes_ago) = noon_zone(10);
    let who = app.register(name).await;
    app.ok(
        &who.access,
        "mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID}) { id } }",
        json!({"t": phone}),
    )
    .await;
    app.ok(
        &who.access,
        "mutation($z: String!) { updateProfile(timezone: $z) { timezone } }",
        json!({"z": zone}),
    )
    .await;
    let set = app
        .ok(
            &who.access,
            "mutation($t: String!) { setMoodReminder(input: {localTime: $t}) { enabled } }",
            json!({"t": ten_minutes_ago}),
        )
        .await;
    assert_eq!(set["setMoodReminder"]["enabled"], true);
    who
}

/// One claim of the push worker, run here and to its end; how many jobs it claimed.
async fn deliver(app: &TestApp) -> usize {
    let context = &app.context;
    api::push::worker::run_once(
        &context.workers(),
        &context.push,
        "mood-privacy-lane",
        &context.settings.push_worker,
    )
    .await
    .unwrap()
}

/// Each person's reminder jobs, oldest first: (state, last error).
async fn reminder_fates(app: &TestApp, who: &Session) -> Vec<(String, Option<String>)> {
    use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    entity::push_jobs::Entity::find()
        .filter(entity::push_jobs::Column::UserId.eq(who.user_id.as_str()))
        .filter(entity::push_jobs::Column::Kind.eq("MOOD_REMINDER"))
        .order_by_asc(entity::push_jobs::Column::CreatedAt)
        .order_by_asc(entity::push_jobs::Column::Id)
        .all(&app.context.db)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.state.to_value(), j.last_error))
        .collect()
}

const PREFERENCES: &str = "mutation($i: PushPreferencesInput!) { updatePushPreferences(input: $i) { pushEnabled disabledKinds } }";

/// The reminder is decided and its job written whatever the push settings; the push worker
/// reads them at delivery and drops the job ("push turned off") for someone who turned pushes,
/// or mood reminders, off. Turned back on, the next day's reminder goes out.
#[tokio::test]
async fn a_mood_reminder_is_not_pushed_when_push_or_its_kind_is_off() {
    let fcm = FakeFcm::start().await;
    // No workers of the instance's own: the test runs the reminder pass and the push worker
    // itself, to their end, so "nothing was sent" is read after every job was decided.
    let (app, _dir) = TestApp::pushing_to(&fcm, |s| s.run_workers = false).await;
    let wanted = reminded(&app, "Reminder Wanted", "wanted-phone").await;
    let silenced = reminded(&app, "Reminder Silenced", "silenced-phone").await;
    let unkinded = reminded(&app, "Reminder Unkinded", "unkinded-phone").await;
    let off = app
        .ok(
            &silenced.access,
            PREFERENCES,
            json!({"i": {"pushEnabled": false}}),
        )
        .await;
    assert_eq!(
        off["updatePushPreferences"],
        json!({"pushEnabled": false, "disabledKinds": []})
    );
    let kind_off = app
        .ok(
            &unkinded.access,
            PREFERENCES,
            json!({"i": {"disabledKinds": ["MOOD_REMINDER"]}}),
        )
        .await;
    assert_eq!(
        kind_off["updatePushPreferences"],
        json!({"pushEnabled": true, "disabledKinds": ["MOOD_REMINDER"]})
    );

    let pass = run_once(&app.context.workers(), Utc::now()).await.unwrap();
    assert_eq!(
        pass,
        Pass {
            sent: 3,
            skipped: 0
        }
    );
    assert_eq!(deliver(&app).await, 3, "the worker took all three jobs");
    let refusals = fcm.refusals();
    assert!(refusals.is_empty(), "the fake FCM refused: {refusals:?}");
    let sends = fcm.sends();
    assert_eq!(sends.len(), 1, "only the control was pushed");
    assert_eq!(sends[0].body["message"]["token"], "wanted-phone");
    assert_eq!(sends[0].body["message"]["data"]["kind"], "MOOD_REMINDER");
    assert_eq!(
        reminder_fates(&app, &wanted).await,
        [("SENT".to_owned(), None)]
    );
    let dropped = [("DROPPED".to_owned(), Some("push turned off".to_owned()))];
    assert_eq!(reminder_fates(&app, &silenced).await, dropped);
    assert_eq!(reminder_fates(&app, &unkinded).await, dropped);
    // Dropped is final: nothing is left for a later claim.
    assert_eq!(deliver(&app).await, 0);
    assert_eq!(fcm.send_count(), 1);

    // Turned back on: the next local day's reminder reaches all three.
    app.ok(
        &silenced.access,
        PREFERENCES,
        json!({"i": {"pushEnabled": true}}),
    )
    .await;
    app.ok(
        &unkinded.access,
        PREFERENCES,
        json!({"i": {"disabledKinds": []}}),
    )
    .await;
    let tomorrow = run_once(&app.context.workers(), Utc::now() + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(tomorrow.sent, 3, "{tomorrow:?}");
    assert_eq!(deliver(&app).await, 3);
    let mut phones: Vec<String> = fcm.sends()[1..]
        .iter()
        .map(|s| s.body["message"]["token"].as_str().unwrap().to_owned())
        .collect();
    phones.sort();
    assert_eq!(phones, ["silenced-phone", "unkinded-phone", "wanted-phone"]);
    for who in [&silenced, &unkinded] {
        assert_eq!(
            reminder_fates(&app, who).await,
            [
                ("DROPPED".to_owned(), Some("push turned off".to_owned())),
                ("SENT".to_owned(), None),
            ]
        );
    }
}

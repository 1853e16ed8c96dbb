//! What a person erases is gone from the disk, not only from SQL (issue 33, secure deletion).
//! On the embedded default (SQLite) the bytes of every file of the database (main file, its
//! write-ahead log and its shared memory) are read after `deleteAccount`: none holds the
//! person's mood note, address or device token. PostgreSQL keeps dead rows until VACUUM and in
//! its WAL, which only encryption answers; this test is SQLite's.
use crate::support::*;
use serde_json::json;

/// The files of a SQLite test database, read whole.
fn database_files(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let path = app
        .db
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let file = format!("{path}{suffix}");
            std::fs::read(&file).ok().map(|bytes| (file, bytes))
        })
        .collect()
}

fn holds(bytes: &[u8], word: &str) -> bool {
    bytes.windows(word.len()).any(|w| w == word.as_bytes())
}

#[tokio::test]
async fn sqlite_files_hold_nothing_of_an_erased_account() {
    let app = TestApp::spawn().await;
    if app.db.is_postgres() {
        return; // SQLite's files only; PostgreSQL's answer is encryption (issue 33).
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (note, email, token) = (
        format!("zygomorphic{id}"),
        format!("erased{id}@example.org"),
        format!("fcmtoken{id}"),
    );
    let person = app.register_with(&email, "Erased Person", PASSWORD).await;
    let other = app.register("Staying Person").await;
    let log = "mutation($n: String!) { logMood(input: {score: 3, note: $n}) { checkin { id } } }";
    app.ok(&person.access, log, json!({"n": note})).await;
    let device =
        "mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID}) { id } }";
    app.ok(&person.access, device, json!({"t": token})).await;
    // Someone else keeps writing, so the log moves on past the person's pages.
    for n in 0..20 {
        app.ok(&other.access, log, json!({"n": format!("another day {n}")}))
            .await;
    }
    let files = database_files(&app);
    assert!(
        files.iter().any(|(_, bytes)| holds(bytes, &note)),
        "the note is on disk before the erasure (the test would prove nothing otherwise)"
    );

    let delete = "mutation($p: String!) { deleteAccount(password: $p, removeContent: true) }";
    app.ok(&person.access, delete, json!({"p": PASSWORD})).await;

    for (file, bytes) in database_files(&app) {
        for word in [&note, &email, &token] {
            assert!(
                !holds(&bytes, word),
                "{file} still holds {word} after the erasure"
            );
        }
    }
    // The rest is intact.
    let mine = app
        .ok(
            &other.access,
            "{ moodCheckins(first: 50) { edges { node { note } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["moodCheckins"]["edges"].as_array().unwrap().len(), 20);
}

//! What a person writes about themself never reaches the disk in clear, and what they erase is
//! gone from it (issue 33). The raw bytes of the database's files are read, not SQL values: on
//! SQLite the main file, its write-ahead log and its shared memory; on PostgreSQL, after a
//! `CHECKPOINT`, every relation file of the tables involved (heap, TOAST, indexes), found with
//! `pg_relation_filepath`, and every WAL segment written since the test began. Neither before
//! nor after `deleteAccount` does any hold the person's mood note, address, device token, share
//! label or export in clear. The pseudonym, which is not sealed, is found in the same files (on
//! PostgreSQL, in the WAL too): the reading itself is checked.
use crate::data_rights::export_ready;
use crate::support::*;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// The tables that hold (or held) something of the person's.
const TABLES: &[&str] = &[
    "users",
    "person_keys",
    "mood_checkins",
    "mood_shares",
    "devices",
    "export_jobs",
    "mail_jobs",
    "email_codes",
];

/// The WAL segment PostgreSQL writes now (none on SQLite).
async fn wal_segment_now(app: &TestApp) -> Option<String> {
    if !app.db.is_postgres() {
        return None;
    }
    Some(text_from(app, "SELECT pg_walfile_name(pg_current_wal_lsn())").await)
}

/// The one text a PostgreSQL statement answers.
async fn text_from(app: &TestApp, sql: &str) -> String {
    let db = &app.context.db;
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

/// The files of the test database, read whole, by name; on PostgreSQL with the WAL segments
/// from `wal_from` (the cluster's, so other tests' writes are read too) to the one written now.
async fn database_files(app: &TestApp, wal_from: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let paths = if app.db.is_postgres() {
        let mut paths = postgres_relation_files(app).await;
        if let (Some(from), Some(to)) = (wal_from, wal_segment_now(app).await) {
            paths.extend(wal_segments(app, from, &to).await);
        }
        paths
    } else {
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
            .map(|suffix| format!("{path}{suffix}"))
            .collect()
    };
    paths
        .into_iter()
        .filter_map(|file| std::fs::read(&file).ok().map(|bytes| (file, bytes)))
        .collect()
}

/// Every file of the tables' heaps, TOAST tables and indexes, with their 1 GiB segments, after
/// a checkpoint has written what is in memory.
async fn postgres_relation_files(app: &TestApp) -> Vec<String> {
    let db = &app.context.db;
    let backend = db.get_database_backend();
    db.execute_unprepared("CHECKPOINT").await.unwrap();
    let dir = text_from(app, "SHOW data_directory").await;
    let mut files = Vec::new();
    for table in TABLES {
        let sql = format!(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c \
             WHERE c.oid = '{table}'::regclass \
                OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = '{table}'::regclass) \
                OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = '{table}'::regclass \
                   OR indrelid = (SELECT reltoastrelid FROM pg_class \
                                  WHERE oid = '{table}'::regclass))"
        );
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
        for row in rows {
            let Ok(Some(relative)) = row.try_get_by_index::<Option<String>>(0) else {
                continue;
            };
            let base = format!("{dir}/{relative}");
            files.push(base.clone());
            for segment in 1.. {
                let next = format!("{base}.{segment}");
                if !std::path::Path::new(&next).exists() {
                    break;
                }
                files.push(next);
            }
        }
    }
    assert!(
        files.iter().any(|f| std::fs::metadata(f).is_ok()),
        "the relation files cannot be read: {files:?}"
    );
    files
}

/// The WAL segments from `from` to `to` (names order as the log does, on one timeline).
async fn wal_segments(app: &TestApp, from: &str, to: &str) -> Vec<String> {
    let dir = text_from(app, "SHOW data_directory").await;
    let mut segments: Vec<String> = std::fs::read_dir(format!("{dir}/pg_wal"))
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.len() == 24 && name.as_str() >= from && name.as_str() <= to)
        .map(|name| format!("{dir}/pg_wal/{name}"))
        .collect();
    segments.sort();
    assert!(!segments.is_empty(), "no WAL segment from {from} to {to}");
    segments
}

fn holds(bytes: &[u8], word: &str) -> bool {
    memchr::memmem::find(bytes, word.as_bytes()).is_some()
}

fn assert_nowhere(files: &[(String, Vec<u8>)], words: &[&str], when: &str) {
    for (file, bytes) in files {
        for word in words {
            assert!(!holds(bytes, word), "{file} holds {word} in clear {when}");
        }
    }
    // What was read, for the record (`-- --nocapture`).
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let names: Vec<&str> = files
        .iter()
        .map(|(f, _)| f.rsplit('/').next().unwrap_or(f))
        .collect();
    println!(
        "{when}: {} files, {bytes} bytes ({}): none holds any of {words:?}",
        files.len(),
        names.join(" ")
    );
}

#[tokio::test]
async fn the_disk_never_holds_what_a_person_wrote_about_themself_in_clear() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let short = &id[..8];
    let (note, email, token, label) = (
        format!("zygomorphic{id}"),
        format!("erased{id}@example.org"),
        format!("fcmtoken{id}"),
        format!("Dr Quillfeather {short}"),
    );
    let pseudonym = format!("Erased {short}");
    let wal_from = wal_segment_now(&app).await;
    let person = app.register_with(&email, &pseudonym, PASSWORD).await;
    let other = app.register("Staying Person").await;
    let log = "mutation($n: String!) { logMood(input: {score: 3, note: $n}) { checkin { id } } }";
    app.ok(&person.access, log, json!({"n": note})).await;
    let device =
        "mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID}) { id } }";
    app.ok(&person.access, device, json!({"t": token})).await;
    let share = "mutation($l: String!, $e: DateTime!) { createMoodShare(input: {label: $l, \
                 expiresAt: $e, includeNotes: true}) { token } }";
    let expires = chrono::Utc::now() + chrono::Duration::days(30);
    app.ok(&person.access, share, json!({"l": label, "e": expires}))
        .await;
    // The export document, every note of the person in one JSON, waits to be downloaded.
    let (_, url) = export_ready(&app, &person).await;
    let document = app
        .http
        .get(app.url(&url))
        .bearer_auth(&person.access)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for word in [&note, &email, &label] {
        assert!(
            document.contains(word.as_str()),
            "the export gives {word} in clear"
        );
    }
    // What the person reads back is in clear.
    let me = app
        .ok(
            &person.access,
            "{ me { email } moodCheckins(first: 5) { edges { node { note } } } \
               moodShares { label } }",
            json!({}),
        )
        .await;
    assert_eq!(me["me"]["email"], json!(email));
    let user_id = api::ids::UserId::from(person.user_id.as_str());
    let devices =
        api::accounts::devices::list_devices(&app.context.db, &app.context.vault, &user_id)
            .await
            .unwrap();
    assert_eq!(
        devices[0].token, token,
        "the push worker gets the token in clear"
    );
    assert_eq!(me["moodCheckins"]["edges"][0]["node"]["note"], json!(note));
    assert_eq!(me["moodShares"][0]["label"], json!(label));
    // Someone else keeps writing, so the log moves on past the person's pages.
    for n in 0..20 {
        app.ok(&other.access, log, json!({"n": format!("another day {n}")}))
            .await;
    }
    let sealed = [
        note.as_str(),
        email.as_str(),
        token.as_str(),
        label.as_str(),
    ];

    let before = database_files(&app, wal_from.as_deref()).await;
    assert!(
        before.iter().any(|(_, bytes)| holds(bytes, &pseudonym)),
        "the pseudonym (not sealed) is found in the files read: the reading works"
    );
    if app.db.is_postgres() {
        assert!(
            before
                .iter()
                .any(|(file, bytes)| file.contains("/pg_wal/") && holds(bytes, &pseudonym)),
            "the pseudonym (not sealed) is found in the WAL segments read: the reading works"
        );
    }
    assert_nowhere(&before, &sealed, "before the erasure");

    let delete = "mutation($p: String!) { deleteAccount(password: $p, removeContent: true) }";
    app.ok(&person.access, delete, json!({"p": PASSWORD})).await;
    let after = database_files(&app, wal_from.as_deref()).await;
    assert_nowhere(&after, &sealed, "after the erasure");
    if !app.db.is_postgres() {
        // SQLite's files hold no page of the person at all (secure_delete, WAL truncated);
        // PostgreSQL keeps dead rows until VACUUM, holding only ciphertext under a key that
        // is gone.
        assert_nowhere(&after, &[pseudonym.as_str()], "after the erasure");
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
    assert_eq!(
        mine["moodCheckins"]["edges"][0]["node"]["note"],
        json!("another day 19")
    );
}

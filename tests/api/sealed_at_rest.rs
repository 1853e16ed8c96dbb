//! Sealing under per-person keys (issue 33): a backup restored after an erasure holds nothing
//! that opens; a sealed value moved to another row or person does not open; a wrong KEK is
//! named at start; a rotation rewraps every key, resumes when stopped, and leaves everything
//! readable under the new KEK alone; rows written in clear before are sealed while serving.
use crate::cli::hearth;
use crate::support::*;
use api::error::AppError;
use api::keys::{rotation, KeyRing, Vault};
use entity::{devices, mood_checkins, users};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::json;

const LOG: &str =
    "mutation($n: String!) { logMood(input: {score: 4, note: $n}) { checkin { id } } }";
const DEVICE: &str =
    "mutation($t: String!) { registerDevice(input: {token: $t, platform: IOS}) { id } }";

fn ring(current: &str, retired: &[&str]) -> Vault {
    let parse = |text: &str| api::keys::ring::parse_kek(text).unwrap();
    Vault::new(KeyRing::new(
        parse(current),
        retired.iter().map(|text| parse(text)).collect(),
    ))
}

/// Runs `hearth keys …` against `database` with this KEK file (and retired one); what it
/// printed, once it has succeeded.
fn keys_command(
    database: &str,
    kek_file: &std::path::Path,
    retired: Option<&std::path::Path>,
    args: &[&str],
) -> String {
    let mut command = hearth();
    command
        .env("HEARTH_DATABASE_URL", database)
        .env("HEARTH_KEK_FILE", kek_file)
        .arg("keys")
        .args(args);
    if let Some(retired) = retired {
        command.env("HEARTH_KEK_RETIRED_FILES", retired);
    }
    let out = command.output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{printed} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    printed
}

async fn log(app: &TestApp, who: &Session, note: &str) -> String {
    let body = app.ok(&who.access, LOG, json!({"n": note})).await;
    body["logMood"]["checkin"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_backup_restored_after_an_erasure_holds_nothing_that_opens() {
    let app = TestApp::spawn().await;
    let db = &app.context.db;
    let person = app.register("Restored Person").await;
    log(&app, &person, "the words of a hard week").await;
    app.ok(
        &person.access,
        DEVICE,
        json!({"t": "restored-device-token"}),
    )
    .await;
    // The backup: the person's rows as they were. Their wrapped key is kept apart
    // (docs/OPERATIONS.md), as the operator's key backups are.
    let user = users::Entity::find_by_id(person.user_id.clone())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let checkins = mood_checkins::Entity::find()
        .filter(mood_checkins::Column::UserId.eq(person.user_id.as_str()))
        .all(db)
        .await
        .unwrap();
    let delete = "mutation($p: String!) { deleteAccount(password: $p, removeContent: true) }";
    app.ok(&person.access, delete, json!({"p": PASSWORD})).await;

    // Restored after the erasure, with the same KEK: the rows are back, the key is not.
    users::Entity::insert(user.clone().into_active_model())
        .exec_without_returning(db)
        .await
        .unwrap();
    for checkin in &checkins {
        mood_checkins::Entity::insert(checkin.clone().into_active_model())
            .exec_without_returning(db)
            .await
            .unwrap();
    }
    // Signing in finds the account by its index, and says plainly that it cannot be read.
    let login = app.login(&person.email, PASSWORD).await;
    assert_eq!(error_code(&login), "UNREADABLE", "{login}");
    let message = login["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("erased"), "{message}");
    // Nothing of the person opens, through any path.
    let vault = &app.context.vault;
    let address = api::accounts::addresses::address_of(db, vault, &user).await;
    assert!(matches!(address, Err(AppError::Unreadable)), "{address:?}");
    let user_id = api::ids::UserId::from(person.user_id.as_str());
    let page = api::pagination::PageArgs::new(Some(10), None).unwrap();
    let notes = api::moods::service::list(db, vault, &user_id, None, None, &page).await;
    assert!(matches!(notes, Err(AppError::Unreadable)), "notes opened");
    let export = api::accounts::export::document(db, vault, &user_id).await;
    assert!(
        matches!(export, Err(AppError::Unreadable)),
        "the export opened"
    );
}

#[tokio::test]
async fn a_sealed_value_moved_to_another_row_or_person_does_not_open() {
    let app = TestApp::spawn().await;
    let db = &app.context.db;
    let ana = app.register("Moving Ana").await;
    let bo = app.register("Moving Bo").await;
    let first = log(&app, &ana, "ana's first note").await;
    let second = log(&app, &ana, "ana's second note").await;
    let bos = log(&app, &bo, "bo's note").await;
    let sealed = |id: &str| {
        let id = id.to_owned();
        async move {
            mood_checkins::Entity::find_by_id(api::ids::CheckinId::from(id))
                .one(db)
                .await
                .unwrap()
                .unwrap()
                .note
                .unwrap()
        }
    };
    let anas_first = sealed(&first).await;
    assert!(anas_first.starts_with("s1:"), "{anas_first}");
    let read = "query($id: ID!) { moodCheckin(id: $id) { note } }";
    let put = |id: String, note: String| async move {
        mood_checkins::ActiveModel {
            id: Set(api::ids::CheckinId::from(id)),
            note: Set(Some(note)),
            ..Default::default()
        }
        .update(db)
        .await
        .unwrap();
    };
    // Another row of the same person.
    put(second.clone(), anas_first.clone()).await;
    let body = app
        .gql(Some(&ana.access), read, json!({"id": second}))
        .await;
    assert_eq!(error_code(&body), "UNREADABLE", "{body}");
    // Another person.
    put(bos.clone(), anas_first.clone()).await;
    let body = app.gql(Some(&bo.access), read, json!({"id": bos})).await;
    assert_eq!(error_code(&body), "UNREADABLE", "{body}");
    // Ana's address as Bo's (Ana's row holding something else, the column being unique).
    let anas_address = users::Entity::find_by_id(ana.user_id.clone())
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .email;
    users::ActiveModel {
        id: Set(ana.user_id.clone().into()),
        email: Set("moved away".into()),
        ..Default::default()
    }
    .update(db)
    .await
    .unwrap();
    users::ActiveModel {
        id: Set(bo.user_id.clone().into()),
        email: Set(anas_address),
        ..Default::default()
    }
    .update(db)
    .await
    .unwrap();
    let body = app
        .gql(Some(&bo.access), "{ me { email } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "UNREADABLE", "{body}");
    // In its own place it still opens.
    let body = app.ok(&ana.access, read, json!({"id": first})).await;
    assert_eq!(body["moodCheckin"]["note"], json!("ana's first note"));
}

#[tokio::test]
async fn a_wrong_or_malformed_kek_at_start_is_named() {
    let app = TestApp::spawn().await;
    app.register("Keyed Person").await;
    let mut settings = test_settings(&app.db);
    settings.kek = Some(api::config::Secret::new(
        api::keys::ring::new_kek_text().as_str(),
    ));
    let err = api::app::App::build(settings).await.err().expect("refused");
    let message = format!("{err:#}");
    assert!(message.starts_with("HEARTH_KEK:"), "{message}");
    assert!(message.contains("is not the one"), "{message}");

    let mut settings = test_settings(&app.db);
    settings.kek = Some(api::config::Secret::new("c2hvcnQ="));
    let err = api::app::App::build(settings).await.err().expect("refused");
    let message = format!("{err:#}");
    assert!(message.starts_with("HEARTH_KEK:"), "{message}");
    assert!(message.contains("32 random bytes"), "{message}");
}

#[tokio::test]
async fn a_rotation_rewraps_every_key_resumes_when_stopped_and_leaves_all_readable() {
    let mut app = TestApp::spawn().await;
    let db = app.context.db.clone();
    let mut people = Vec::new();
    for n in 0..3 {
        let who = app.register(&format!("Rotating {n}")).await;
        log(&app, &who, &format!("note {n} before the rotation")).await;
        app.ok(
            &who.access,
            DEVICE,
            json!({"t": format!("rotating-token-{n}")}),
        )
        .await;
        people.push(who);
    }
    let new_kek = api::keys::ring::new_kek_text().to_string();
    let both = ring(&new_kek, &[TEST_KEK]);
    let old_only = ring(TEST_KEK, &[]);
    // Stopped after one person: some keys are under each KEK, and every one opens with both.
    let first = rotation::rotate(&db, &both, 10, Some(1)).await.unwrap();
    assert_eq!(first.rewrapped, 1);
    assert!(first.left >= 3, "{first:?}");
    let checked = rotation::check(&db, &both).await.unwrap();
    assert_eq!(checked.by_kek.len(), 2, "{checked:?}");
    assert!(checked.unopened.is_empty(), "{checked:?}");
    assert_eq!(
        rotation::check(&db, &old_only)
            .await
            .unwrap()
            .unopened
            .len(),
        1
    );
    // Meanwhile the running server (with both KEKs, as during a rotation) signs people in.
    app.stop().await;
    let db_handle = std::mem::replace(&mut app.db, TestDb::new().await);
    let mut settings = test_settings(&db_handle);
    settings.kek = Some(api::config::Secret::new(new_kek.as_str()));
    let retired = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(retired.path(), TEST_KEK).unwrap();
    settings.retired_kek_files = vec![retired.path().to_owned()];
    let during = TestApp::start(db_handle, settings).await;
    for who in &people {
        let login = during.login(&who.email, PASSWORD).await;
        assert!(login["data"]["login"]["accessToken"].is_string(), "{login}");
    }
    // Run again, as an operator does (`hearth keys rotate`), it finishes what is left.
    let key_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key_file.path(), &new_kek).unwrap();
    let printed = keys_command(
        &during.db.url,
        key_file.path(),
        Some(retired.path()),
        &["rotate", "--batch", "1"],
    );
    let rewrapped: u64 = printed
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{printed}"));
    assert_eq!(rewrapped + first.rewrapped, first.left + 1, "{printed}");
    assert!(printed.contains("; 0 left"), "{printed}");
    assert!(
        printed.contains("done: the retired KEK may be removed"),
        "{printed}"
    );
    // `hearth keys check` with the new KEK alone: every key opens.
    let printed = keys_command(&during.db.url, key_file.path(), None, &["check"]);
    assert!(printed.contains("every data key opens"), "{printed}");

    // A server with the new KEK alone reads everything back, addresses found by new indexes.
    let mut during = during;
    during.stop().await;
    let db_handle = std::mem::replace(&mut during.db, TestDb::new().await);
    let mut settings = test_settings(&db_handle);
    settings.kek = Some(api::config::Secret::new(new_kek.as_str()));
    let after = TestApp::start(db_handle, settings).await;
    for (n, who) in people.iter().enumerate() {
        let login = after.login(&who.email, PASSWORD).await;
        let access = login["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{login}"));
        let me = after
            .ok(
                access,
                "{ me { email } moodCheckins(first: 5) { edges { node { note } } } }",
                json!({}),
            )
            .await;
        assert_eq!(me["me"]["email"], json!(who.email));
        let user_id = api::ids::UserId::from(who.user_id.as_str());
        let devices =
            api::accounts::devices::list_devices(&after.context.db, &after.context.vault, &user_id)
                .await
                .unwrap();
        assert_eq!(devices[0].token, format!("rotating-token-{n}"));
        assert_eq!(
            me["moodCheckins"]["edges"][0]["node"]["note"],
            json!(format!("note {n} before the rotation"))
        );
    }
    let unchanged: Vec<devices::Model> = devices::Entity::find()
        .all(&after.context.db)
        .await
        .unwrap();
    assert_eq!(unchanged.len(), 3);
}

#[tokio::test]
async fn rows_written_in_clear_before_are_sealed_in_batches_while_serving() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let db = &app.context.db;
    let model = app.register("Model Person").await;
    let hash = users::Entity::find_by_id(model.user_id.clone())
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    // An account and a check-in as they were written before issue 33.
    let legacy = api::ids::UserId::generate();
    let now = chrono::Utc::now();
    users::ActiveModel {
        id: Set(legacy.clone()),
        email: Set("legacy.person@example.org".into()),
        email_index: Set(None),
        display_name: Set("Legacy Person".into()),
        display_name_key: Set("legacy person".into()),
        password_hash: Set(hash),
        timezone: Set("UTC".into()),
        country: Set(None),
        is_admin: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    mood_checkins::ActiveModel {
        id: Set(api::ids::CheckinId::generate()),
        user_id: Set(legacy.clone()),
        score: Set(6),
        emotions: Set(String::new()),
        note: Set(Some("written in clear".into())),
        sleep_quarters: Set(None),
        logged_at: Set(now),
        idempotency_key: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    let read = "{ me { email } moodCheckins(first: 5) { edges { node { note } } } }";
    async fn signed_in(app: &TestApp) -> String {
        let login = app.login("legacy.person@example.org", PASSWORD).await;
        login["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{login}"))
            .to_owned()
    }
    let expected = json!({"me": {"email": "legacy.person@example.org"},
        "moodCheckins": {"edges": [{"node": {"note": "written in clear"}}]}});
    let access = signed_in(&app).await;
    assert_eq!(app.ok(&access, read, json!({})).await, expected);

    let mut sealed = 0;
    loop {
        let n = api::keys::backfill::seal_batch(db, &app.context.vault)
            .await
            .unwrap();
        if n == 0 {
            break;
        }
        sealed += n;
    }
    assert!(sealed >= 2, "{sealed}");
    let row = users::Entity::find_by_id(legacy.clone())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(api::keys::sealing::is_sealed(&row.email), "{}", row.email);
    assert!(row.email_index.is_some());
    let note = mood_checkins::Entity::find()
        .filter(mood_checkins::Column::UserId.eq(legacy.as_str()))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .note
        .unwrap();
    assert!(api::keys::sealing::is_sealed(&note), "{note}");
    let access = signed_in(&app).await;
    assert_eq!(app.ok(&access, read, json!({})).await, expected);
}

use crate::support::*;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};

async fn table_count(db: &sea_orm::DatabaseConnection, table: &str) -> Result<i64, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n").unwrap())
        .unwrap_or_default())
}

/// One connection for the whole test. A pooled SQLite connection that has not run a statement
/// since another connection changed the schema can check DDL against its old copy of it (CI saw
/// "duplicate column name" re-adding a column just dropped, and "no such table" deleting from a
/// table just made). The server never hits this: it migrates up once, at start, before anything
/// else uses the pool.
async fn connect_once(url: &str) -> sea_orm::DatabaseConnection {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    sea_orm::Database::connect(options).await.unwrap()
}

#[tokio::test]
async fn migrations_run_up_down_and_up_again() {
    let test_db = TestDb::new().await;
    let db = connect_once(&test_db.url).await;
    Migrator::up(&db, None).await.unwrap();
    // Only the "Deleted member" the migrations make.
    assert_eq!(table_count(&db, "users").await.unwrap(), 1);
    assert!(Migrator::get_pending_migrations(&db)
        .await
        .unwrap()
        .is_empty());

    Migrator::down(&db, None).await.unwrap();
    assert!(
        table_count(&db, "users").await.is_err(),
        "tables are gone after down"
    );
    assert!(!Migrator::get_pending_migrations(&db)
        .await
        .unwrap()
        .is_empty());

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(table_count(&db, "sessions").await.unwrap(), 0);
    db.close().await.unwrap();
}

#[tokio::test]
async fn names_are_rekeyed_by_their_skeleton_and_old_look_alikes_keep_working() {
    let test_db = TestDb::new().await;
    let db = connect_once(&test_db.url).await;
    Migrator::up(&db, Some(7)).await.unwrap();
    let backend = db.get_database_backend();
    let insert = match backend {
        sea_orm::DbBackend::Postgres => "INSERT INTO users (id, email, display_name, display_name_key, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, 'x', $5, $5)",
        _ => "INSERT INTO users (id, email, display_name, display_name_key, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, 'x', ?, ?)",
    };
    // Two people registered before look-alikes were refused.
    for (n, name) in ["Owner Olive", "0wner 0live", "Owner OIive."]
        .iter()
        .enumerate()
    {
        let at = chrono::Utc::now() + chrono::Duration::seconds(n as i64);
        let mut values: Vec<sea_orm::Value> = vec![
            format!("user-{n}").into(),
            format!("{n}@example.org").into(),
            (*name).into(),
            name.to_lowercase().into(),
            at.into(),
        ];
        if backend != sea_orm::DbBackend::Postgres {
            values.push(at.into());
        }
        db.execute_raw(Statement::from_sql_and_values(backend, insert, values))
            .await
            .unwrap();
    }
    Migrator::up(&db, None).await.unwrap();
    let keys = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, display_name_key FROM users WHERE id LIKE 'user-%' ORDER BY id",
        ))
        .await
        .unwrap();
    let keys: Vec<String> = keys
        .iter()
        .map(|r| r.try_get::<String>("", "display_name_key").unwrap())
        .collect();
    let key = migration::name_key::name_key("Owner Olive");
    assert_eq!(
        keys,
        vec![
            key.clone(),
            format!("{key}#user-1"),
            format!("{key}#user-2")
        ]
    );
    Migrator::down(&db, Some(1)).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    db.close().await.unwrap();
}

/// Migration 000027 moves question reports into the one report queue, keeping their ids, and
/// `down` gives them back their own table.
#[tokio::test]
async fn question_reports_move_into_the_one_report_queue_and_back() {
    use entity::enums::Topic;
    use entity::{answers, questions, users};
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let test_db = TestDb::new().await;
    let db = connect_once(&test_db.url).await;
    Migrator::up(&db, Some(26)).await.unwrap();
    let now = chrono::Utc::now();
    // Inserted as the schema was before migration 28 (no blind index column).
    users::Entity::insert(users::ActiveModel {
        id: Set("asker".into()),
        email: Set("asker@example.org".into()),
        email_index: sea_orm::NotSet,
        display_name: Set("Asker".into()),
        display_name_key: Set("asker".into()),
        password_hash: Set("x".into()),
        timezone: Set("UTC".into()),
        country: Set(None),
        is_admin: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&db)
    .await
    .unwrap();
    questions::ActiveModel {
        id: Set("question-1".into()),
        author_id: Set("asker".into()),
        group_id: Set(None),
        title: Set("A platform-wide question".into()),
        body: Set("Its words".into()),
        topic: Set(Topic::Anxiety),
        tags: Set(String::new()),
        anonymous: Set(false),
        content_warning: Set(None),
        idempotency_key: Set(None),
        answer_count: Set(1),
        accepted_answer_id: Set(None),
        locked: Set(false),
        edited_at: Set(None),
        deleted_at: Set(None),
        removed_at: Set(None),
        removed_reason: Set(None),
        last_activity_at: Set(now),
        created_at: Set(now),
        reminded_at: Set(None),
    }
    .insert(&db)
    .await
    .unwrap();
    answers::ActiveModel {
        id: Set("answer-1".into()),
        question_id: Set("question-1".into()),
        author_id: Set("asker".into()),
        body: Set("An answer".into()),
        idempotency_key: Set(None),
        helpful_count: Set(0),
        accepted: Set(false),
        edited_at: Set(None),
        deleted_at: Set(None),
        removed_at: Set(None),
        removed_reason: Set(None),
        created_at: Set(now),
        anonymous: Set(false),
    }
    .insert(&db)
    .await
    .unwrap();
    let backend = db.get_database_backend();
    let insert = match backend {
        sea_orm::DbBackend::Postgres => "INSERT INTO question_reports (id, question_id, answer_id, group_id, reporter_id, reason, priority, status, created_at) VALUES ($1, 'question-1', $2, NULL, 'asker', 'a reason', $3, 'OPEN', $4)",
        _ => "INSERT INTO question_reports (id, question_id, answer_id, group_id, reporter_id, reason, priority, status, created_at) VALUES (?, 'question-1', ?, NULL, 'asker', 'a reason', ?, 'OPEN', ?)",
    };
    for (id, answer, priority) in [
        ("report-q", None, false),
        ("report-a", Some("answer-1"), true),
    ] {
        let values: Vec<sea_orm::Value> = vec![
            id.into(),
            answer.map(str::to_owned).into(),
            priority.into(),
            now.into(),
        ];
        db.execute_raw(Statement::from_sql_and_values(backend, insert, values))
            .await
            .unwrap();
    }

    Migrator::up(&db, None).await.unwrap();
    let moved = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, group_id, target_type, target_id, priority FROM reports ORDER BY id",
        ))
        .await
        .unwrap();
    let moved: Vec<(String, Option<String>, String, String, bool)> = moved
        .iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                r.try_get("", "group_id").unwrap(),
                r.try_get("", "target_type").unwrap(),
                r.try_get("", "target_id").unwrap(),
                r.try_get("", "priority").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        vec![
            (
                "report-a".into(),
                None,
                "ANSWER".into(),
                "answer-1".into(),
                true
            ),
            (
                "report-q".into(),
                None,
                "QUESTION".into(),
                "question-1".into(),
                false
            ),
        ]
    );
    assert!(
        table_count(&db, "question_reports").await.is_err(),
        "the old table is gone"
    );

    // Down past every step after 27, and 27 itself.
    let steps = Migrator::migrations();
    let this_one = steps
        .iter()
        .position(|m| m.name() == "m20261206_000027_one_report_queue")
        .unwrap();
    Migrator::down(&db, Some(u32::try_from(steps.len() - this_one).unwrap()))
        .await
        .unwrap();
    assert_eq!(table_count(&db, "question_reports").await.unwrap(), 2);
    assert_eq!(table_count(&db, "reports").await.unwrap(), 0);
    db.close().await.unwrap();
}

/// Down past the sealing step (000028) is refused while anything is sealed: the code before it
/// would read a sealed address as the address. With nothing sealed it goes down and up again.
#[tokio::test]
async fn going_down_past_sealing_is_refused_while_anything_is_sealed() {
    let test_db = TestDb::new().await;
    let db = connect_once(&test_db.url).await;
    Migrator::up(&db, None).await.unwrap();
    let steps = Migrator::migrations();
    let sealing = steps
        .iter()
        .position(|m| m.name() == "m20261206_000028_sealed_fields")
        .unwrap();
    let past_sealing = u32::try_from(steps.len() - sealing).unwrap();
    let set_email = |email: &str| {
        Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "UPDATE users SET email = $1 WHERE id = $2",
                _ => "UPDATE users SET email = ? WHERE id = ?",
            },
            [email.into(), migration::DELETED_MEMBER_ID.into()],
        )
    };
    db.execute_raw(set_email("s1:AAAAsealed")).await.unwrap();
    let refused = Migrator::down(&db, Some(past_sealing)).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("users.email holds sealed values"),
        "{refused}"
    );
    // Still sealed-capable: the step and its table are there.
    assert_eq!(table_count(&db, "person_keys").await.unwrap(), 0);

    db.execute_raw(set_email("deleted-member@hearth.invalid"))
        .await
        .unwrap();
    // The refused down may have taken the later steps down already: down to just before it.
    let applied = Migrator::get_applied_migrations(&db).await.unwrap().len();
    Migrator::down(&db, Some(u32::try_from(applied - sealing).unwrap()))
        .await
        .unwrap();
    assert!(table_count(&db, "person_keys").await.is_err());
    assert_eq!(
        Migrator::get_applied_migrations(&db).await.unwrap().len(),
        sealing
    );
    Migrator::up(&db, None).await.unwrap();
    db.close().await.unwrap();
}

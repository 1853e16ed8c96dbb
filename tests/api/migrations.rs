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

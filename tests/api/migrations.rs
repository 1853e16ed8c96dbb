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

#[tokio::test]
async fn migrations_run_up_down_and_up_again() {
    let test_db = TestDb::new().await;
    let db = api::db::connect(&test_db.url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(table_count(&db, "users").await.unwrap(), 0);
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

//! Display names and aliases are keyed by their confusable skeleton (UTS #39) instead of their
//! lower case, so a look-alike of someone's name is refused by the same unique indexes. Keys
//! can be longer than the names now, so the columns become text on PostgreSQL. Existing names
//! that now collide keep working: every one after the first gets its id in its key.
use crate::name_key::name_key;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::collections::HashSet;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ALIAS_KEY_INDEX: &str = "idx_memberships_alias_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        if backend == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE users ALTER COLUMN display_name_key TYPE text;
                 ALTER TABLE memberships ALTER COLUMN alias_key TYPE text;",
            )
            .await?;
        }
        rekey_names(db).await?;
        // A display name is checked against aliases in every group.
        manager
            .create_index(
                Index::create()
                    .name(ALIAS_KEY_INDEX)
                    .if_not_exists()
                    .table("memberships")
                    .col("alias_key")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(ALIAS_KEY_INDEX)
                    .table("memberships")
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        // Back to lower case. Names equal in lower case have equal skeletons too, so no two
        // rows could have been kept apart by the skeleton that lower case now joins.
        db.execute_raw(Statement::from_string(
            backend,
            "UPDATE users SET display_name_key = lower(display_name)",
        ))
        .await?;
        db.execute_raw(Statement::from_string(
            backend,
            "UPDATE memberships SET alias_key = lower(alias) WHERE alias IS NOT NULL",
        ))
        .await?;
        if backend == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE users ALTER COLUMN display_name_key TYPE varchar(128);
                 ALTER TABLE memberships ALTER COLUMN alias_key TYPE varchar(128);",
            )
            .await?;
        }
        Ok(())
    }
}

/// Keys every display name and alias again with today's [`name_key`]: oldest first, the first
/// holder of a key keeps it plain, and a later name that now collides keeps working with its id
/// in its key (a new name like it is refused). Later migrations that change the key call it.
pub(crate) async fn rekey_names(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let param = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };

    // Oldest first: the first holder of a key keeps it plain.
    let users = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, display_name FROM users ORDER BY created_at, id",
        ))
        .await?;
    let mut taken = HashSet::new();
    let mut keys = Vec::with_capacity(users.len());
    for row in users {
        let id: String = row.try_get("", "id")?;
        let name: String = row.try_get("", "display_name")?;
        keys.push((id, name_key(&name)));
    }
    // Placeholders first, so a new key never meets an old one in the unique index.
    db.execute_raw(Statement::from_string(
        backend,
        "UPDATE users SET display_name_key = '#' || id",
    ))
    .await?;
    let update = format!(
        "UPDATE users SET display_name_key = {} WHERE id = {}",
        param(1),
        param(2)
    );
    for (id, key) in keys {
        let key = if taken.insert(key.clone()) {
            key
        } else {
            format!("{key}#{id}")
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            &update,
            [key.into(), id.into()],
        ))
        .await?;
    }

    let aliases = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT group_id, user_id, alias FROM memberships WHERE alias IS NOT NULL ORDER BY created_at, user_id",
        ))
        .await?;
    let mut taken = HashSet::new();
    let mut keys = Vec::with_capacity(aliases.len());
    for row in aliases {
        let group_id: String = row.try_get("", "group_id")?;
        let user_id: String = row.try_get("", "user_id")?;
        let alias: String = row.try_get("", "alias")?;
        keys.push((group_id, user_id, name_key(&alias)));
    }
    db.execute_raw(Statement::from_string(
        backend,
        "UPDATE memberships SET alias_key = '#' || user_id WHERE alias IS NOT NULL",
    ))
    .await?;
    let update = format!(
        "UPDATE memberships SET alias_key = {} WHERE group_id = {} AND user_id = {}",
        param(1),
        param(2),
        param(3)
    );
    for (group_id, user_id, key) in keys {
        let key = if taken.insert((group_id.clone(), key.clone())) {
            key
        } else {
            format!("{key}#{user_id}")
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            &update,
            [key.into(), group_id.into(), user_id.into()],
        ))
        .await?;
    }
    Ok(())
}

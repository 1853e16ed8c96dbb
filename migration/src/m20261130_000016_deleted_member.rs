//! "Deleted member": the one account that posts kept after their author deleted their account
//! point to, so nothing links them back to the person. Nobody can sign in as it (its password
//! hash is no hash) or take its name (its name key is taken).
use crate::name_key::name_key;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

/// The id of the "Deleted member" account.
pub const DELETED_MEMBER_ID: &str = "00000000-0000-7000-8000-000000000000";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let sql = match backend {
            sea_orm_migration::sea_orm::DbBackend::Postgres => {
                "INSERT INTO users (id, email, display_name, display_name_key, password_hash, \
                 timezone, is_admin, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, '!', 'UTC', false, $5, $5)"
            }
            _ => {
                "INSERT INTO users (id, email, display_name, display_name_key, password_hash, \
                 timezone, is_admin, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, '!', 'UTC', false, ?5, ?5)"
            }
        };
        let at = sea_orm_migration::sea_orm::prelude::ChronoDateTimeUtc::UNIX_EPOCH;
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                DELETED_MEMBER_ID.into(),
                "deleted-member@hearth.invalid".into(),
                "Deleted member".into(),
                name_key("Deleted member").into(),
                at.into(),
            ],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let sql = match backend {
            sea_orm_migration::sea_orm::DbBackend::Postgres => "DELETE FROM users WHERE id = $1",
            _ => "DELETE FROM users WHERE id = ?1",
        };
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [DELETED_MEMBER_ID.into()],
        ))
        .await?;
        Ok(())
    }
}

//! Statements only PostgreSQL runs (its full-text and array indexes, triggers, deferred keys):
//! SQLite answers the same questions from its FTS5 tables (migration 000011) and runs one writer
//! at a time, so on SQLite these steps do nothing.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Runs `statements` in order on PostgreSQL; nothing on another backend.
pub(crate) async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for statement in statements {
        manager
            .get_connection()
            .execute_unprepared(statement)
            .await?;
    }
    Ok(())
}

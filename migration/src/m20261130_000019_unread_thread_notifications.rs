//! A reply asks which of a thread's people still have an unread notification about it (they are
//! not told again): a partial index on the unread ones, by post and time, answers that
//! from a few entries however many notifications people have, read or not. Both backends take
//! the same statement.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_notifications_unread_by_post \
                 ON notifications (post_id, created_at) WHERE read_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_notifications_unread_by_post")
            .await?;
        Ok(())
    }
}

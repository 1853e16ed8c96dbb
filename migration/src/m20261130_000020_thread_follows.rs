//! Who follows a thread: everyone who replied to a post (the post's author hears of replies on
//! their own). A reply used to find them with `SELECT DISTINCT author_id` over every reply of
//! the post, which grows with the thread; this table holds one row per person and post.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_col: &str, to_table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_thread_follows_{from_col}"))
        .from("thread_follows", from_col.to_owned())
        .to(to_table.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("thread_follows")
                    .col(string_len("post_id", 36))
                    .col(string_len("user_id", 36))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("post_id").col("user_id"))
                    .foreign_key(&mut fk("post_id", "posts"))
                    .foreign_key(&mut fk("user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_thread_follows_user_id")
                    .table("thread_follows")
                    .col("user_id")
                    .to_owned(),
            )
            .await?;
        // Everyone who has a reply standing in a thread follows it, as they did before.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO thread_follows (post_id, user_id, created_at) \
                 SELECT post_id, author_id, MIN(created_at) FROM replies \
                 WHERE deleted_at IS NULL GROUP BY post_id, author_id",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("thread_follows").to_owned())
            .await
    }
}

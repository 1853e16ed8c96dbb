//! Replies committed but not yet counted into their post. On PostgreSQL a reply inserts a row
//! here instead of updating its post, so replies to one busy thread no longer queue for the
//! post's row; the server folds these rows into `posts.reply_count` and
//! `posts.last_activity_at` right after the commit (`api/src/posts/reply_counts.rs`).
//! No foreign keys: a row only says "add one", whatever happened since to the reply or post.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("uncounted_replies")
                    .col(string_len("reply_id", 36).primary_key())
                    .col(string_len("post_id", 36))
                    .col(timestamp_with_time_zone("at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("uncounted_replies").to_owned())
            .await
    }
}

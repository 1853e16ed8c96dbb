//! The feed (posts of all my groups, latest activity first) reads posts in activity order and
//! keeps those of my groups. The index per group serves one group's page but not the feed: without
//! this one, PostgreSQL read every post of my groups and sorted them (feed p99 821 ms against
//! 137 ms with it; BENCHMARKS.md).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_posts_last_activity_at_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .if_not_exists()
                    .table("posts")
                    .col("last_activity_at")
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table("posts").to_owned())
            .await
    }
}

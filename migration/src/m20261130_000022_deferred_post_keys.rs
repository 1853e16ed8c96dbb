//! Replies to a busy thread check their post at commit (PostgreSQL). A foreign key is checked by
//! locking the row it names (`FOR KEY SHARE`); every reply locks its post that way while others
//! wait to bump the post's counter, so PostgreSQL kept a shared lock of many transactions on that
//! one row (a MultiXact) and spent an eighth of its time reading who held it
//! (`GetMultiXactIdMembers`, perf). Checked at commit, after the reply's own bump of the counter,
//! the key needs no lock another transaction shares. SQLite runs one writer at a time.
use crate::postgres_only::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 2] = [
    "ALTER TABLE replies ALTER CONSTRAINT fk_replies_post_id DEFERRABLE INITIALLY DEFERRED",
    "ALTER TABLE thread_follows ALTER CONSTRAINT fk_thread_follows_post_id \
     DEFERRABLE INITIALLY DEFERRED",
];

const DOWN: [&str; 2] = [
    "ALTER TABLE replies ALTER CONSTRAINT fk_replies_post_id NOT DEFERRABLE",
    "ALTER TABLE thread_follows ALTER CONSTRAINT fk_thread_follows_post_id NOT DEFERRABLE",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &DOWN).await
    }
}

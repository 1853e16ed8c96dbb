//! Reports looked up by what they are about: a post or reply written with crisis words checks
//! for its open flag in the transaction that writes it, and a reader's report checks for their
//! own open one. Without this index each lookup scanned the whole table.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_reports_target_type_target_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .if_not_exists()
                    .table("reports")
                    .col("target_type")
                    .col("target_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table("reports").to_owned())
            .await
    }
}

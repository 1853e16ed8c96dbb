//! Data exports as durable jobs: asked for by the app, built by a worker (a crash loses
//! nothing: a claim expires and the job is taken again), kept for an hour once built, then
//! deleted.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("export_jobs")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("user_id", 36))
                    .col(string_len("session_id", 36))
                    .col(string_len("state", 16))
                    .col(text_null("document"))
                    .col(big_integer_null("bytes"))
                    .col(string_len_null("claimed_by", 64))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("ready_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_export_jobs_user_id")
                            .from("export_jobs", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_export_jobs_user")
                    .table("export_jobs")
                    .col("user_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("export_jobs").to_owned())
            .await
    }
}

//! Mail that must not be lost (a durable outbox the mail worker sends from), and the one-time
//! codes mailed to prove an address: to finish a registration, to reset a password, to delete
//! an account from the web. Codes are kept only as keyed hashes.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("mail_jobs")
                    .col(string_len("id", 36).primary_key())
                    .col(text("to_address"))
                    .col(text("subject"))
                    .col(text("body"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(string_len_null("claimed_by", 64))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_jobs_due")
                    .table("mail_jobs")
                    .col("due_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("email_codes")
                    .col(string_len("purpose", 16))
                    .col(string_len("email", 320))
                    .col(string_len("code_hash", 64))
                    .col(integer("tries").default(0))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(text_null("password_hash"))
                    .col(text_null("display_name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("purpose").col("email"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("email_codes").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("mail_jobs").to_owned())
            .await
    }
}

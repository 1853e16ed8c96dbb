//! Mood check-ins, and the country on a profile that picks its crisis resources.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(string_len_null("country", 2))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mood_checkins")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("user_id", 36))
                    .col(small_integer("score"))
                    .col(string_len("emotions", 400).default(""))
                    .col(text_null("note"))
                    // Sleep in quarter hours, so 7.25 h is stored exactly.
                    .col(small_integer_null("sleep_quarters"))
                    .col(timestamp_with_time_zone("logged_at"))
                    .col(string_len_null("idempotency_key", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mood_checkins_user_id")
                            .from("mood_checkins", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mood_checkins_user_logged")
                    .table("mood_checkins")
                    .col("user_id")
                    .col("logged_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mood_checkins_user_key")
                    .table("mood_checkins")
                    .col("user_id")
                    .col("idempotency_key")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("mood_checkins").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("country")
                    .to_owned(),
            )
            .await
    }
}

//! Sharing check-ins with a clinician or someone trusted, and daily check-in reminders.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn owned_by_user(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_user_id"))
        .from(table, "user_id")
        .to("users", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("mood_shares")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("user_id", 36))
                    .col(string_len("label", 100))
                    // SHA-256 of the token, hex; the token itself is shown once and not kept.
                    .col(string_len("token_hash", 64).unique_key())
                    .col(boolean("include_notes"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone_null("last_accessed_at"))
                    .col(integer("access_count").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut owned_by_user("mood_shares"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mood_shares_user")
                    .table("mood_shares")
                    .col("user_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mood_share_accesses")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("share_id", 36))
                    .col(timestamp_with_time_zone("accessed_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mood_share_accesses_share_id")
                            .from("mood_share_accesses", "share_id")
                            .to("mood_shares", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mood_share_accesses_share")
                    .table("mood_share_accesses")
                    .col("share_id")
                    .col("accessed_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mood_reminders")
                    .col(string_len("user_id", 36).primary_key())
                    .col(string_len("local_time", 5))
                    .col(boolean("enabled"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut owned_by_user("mood_reminders"))
                    .to_owned(),
            )
            .await?;
        // One row per person per local day: whoever inserts it sends (or skips) that day's
        // reminder, so two instances or a restart never send twice.
        manager
            .create_table(
                Table::create()
                    .table("mood_reminder_days")
                    .col(string_len("user_id", 36))
                    .col(string_len("local_date", 10))
                    .col(string_len("outcome", 16))
                    .col(timestamp_with_time_zone("decided_at"))
                    .primary_key(Index::create().col("user_id").col("local_date"))
                    .foreign_key(&mut owned_by_user("mood_reminder_days"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "mood_reminder_days",
            "mood_reminders",
            "mood_share_accesses",
            "mood_shares",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

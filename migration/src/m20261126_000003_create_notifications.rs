//! The notification inbox, push preferences and durable push jobs.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("user_id", 36))
                    .col(string_len("kind", 24))
                    .col(string_len_null("group_id", 36))
                    .col(string_len_null("post_id", 36))
                    .col(string_len_null("reply_id", 36))
                    .col(string_len_null("actor_id", 36))
                    .col(string_len_null("detail", 24))
                    .col(integer("count").default(1))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_user_id")
                            .from("notifications", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_user_updated")
                    .table("notifications")
                    .col("user_id")
                    .col("updated_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("push_preferences")
                    .col(string_len("user_id", 36).primary_key())
                    .col(boolean("push_enabled").default(true))
                    .col(string_len("disabled_kinds", 200).default(""))
                    .col(boolean("previews").default(false))
                    .col(string_len_null("quiet_start", 5))
                    .col(string_len_null("quiet_end", 5))
                    .col(string_len_null("quiet_timezone", 64))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_push_preferences_user_id")
                            .from("push_preferences", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("push_jobs")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("user_id", 36))
                    .col(string_len_null("notification_id", 36))
                    .col(string_len("kind", 24))
                    .col(string_len_null("collapse_key", 36))
                    .col(string_len("state", 16))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(string_len_null("claimed_by", 36))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_push_jobs_user_id")
                            .from("push_jobs", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_push_jobs_state_due")
                    .table("push_jobs")
                    .col("state")
                    .col("due_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["push_jobs", "push_preferences", "notifications"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

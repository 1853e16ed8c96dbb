//! Meetings of a group: a series (when it meets, in its own time zone), its meetings written
//! ahead for a rolling window, each person's answer, the reminders decided (one row each, so
//! one push across instances), a private calendar feed per person, and what a person chose
//! for reminders.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn to(
    from: &'static str,
    column: &'static str,
    table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{column}"))
        .from(from, column)
        .to(table, "id")
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("meeting_series")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("group_id", 36))
                    .col(text("title"))
                    .col(text_null("description"))
                    .col(string_len("time_zone", 64))
                    .col(date("first_date"))
                    .col(string_len("local_start_time", 5))
                    .col(integer("duration_minutes"))
                    .col(string_len("frequency", 16))
                    .col(date_null("until"))
                    .col(integer_null("capacity"))
                    .col(string_len_null("facilitator_id", 36))
                    .col(text_null("join_url"))
                    .col(string_len_null("created_by", 36))
                    .col(date("generated_until"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut to("meeting_series", "group_id", "groups", Cascade))
                    .foreign_key(&mut to(
                        "meeting_series",
                        "facilitator_id",
                        "users",
                        SetNull,
                    ))
                    .foreign_key(&mut to("meeting_series", "created_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("meetings")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("series_id", 36))
                    .col(string_len("group_id", 36))
                    .col(date("local_date"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string_len("status", 16))
                    .col(boolean("moved"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut to("meetings", "series_id", "meeting_series", Cascade))
                    .foreign_key(&mut to("meetings", "group_id", "groups", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("meeting_rsvps")
                    .col(string_len("meeting_id", 36))
                    .col(string_len("user_id", 36))
                    .col(string_len("status", 16))
                    .col(timestamp_with_time_zone("answered_at"))
                    .primary_key(Index::create().col("meeting_id").col("user_id"))
                    .foreign_key(&mut to("meeting_rsvps", "meeting_id", "meetings", Cascade))
                    .foreign_key(&mut to("meeting_rsvps", "user_id", "users", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("meeting_reminders")
                    .col(string_len("meeting_id", 36))
                    .col(string_len("user_id", 36))
                    .col(string_len("lead", 16))
                    .col(timestamp_with_time_zone("decided_at"))
                    .primary_key(Index::create().col("meeting_id").col("user_id").col("lead"))
                    .foreign_key(&mut to(
                        "meeting_reminders",
                        "meeting_id",
                        "meetings",
                        Cascade,
                    ))
                    .foreign_key(&mut to("meeting_reminders", "user_id", "users", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("calendar_feeds")
                    .col(string_len("user_id", 36).primary_key())
                    .col(string_len("token_hash", 64).unique_key())
                    .col(boolean("show_group_names"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut to("calendar_feeds", "user_id", "users", Cascade))
                    .to_owned(),
            )
            .await?;
        for (name, table, columns) in [
            (
                "idx_meeting_series_group",
                "meeting_series",
                &["group_id"][..],
            ),
            (
                "idx_meetings_series_date",
                "meetings",
                &["series_id", "local_date"][..],
            ),
            (
                "idx_meetings_group_starts",
                "meetings",
                &["group_id", "starts_at"][..],
            ),
            ("idx_meetings_starts", "meetings", &["starts_at"][..]),
            ("idx_meeting_rsvps_user", "meeting_rsvps", &["user_id"][..]),
            (
                "idx_meeting_rsvps_queue",
                "meeting_rsvps",
                &["meeting_id", "status", "answered_at"][..],
            ),
        ] {
            let mut index = Index::create().name(name).table(table).to_owned();
            for column in columns {
                index.col(*column);
            }
            if name == "idx_meetings_series_date" {
                index.unique();
            }
            manager.create_index(index).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .add_column(string_len_null("meeting_id", 36))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("push_preferences")
                    .add_column(string_len("meeting_reminders", 64).default("HOUR_BEFORE"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("push_preferences")
                    .add_column(boolean("meetings_in_quiet_hours").default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["meetings_in_quiet_hours", "meeting_reminders"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("push_preferences")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("notifications")
                    .drop_column("meeting_id")
                    .to_owned(),
            )
            .await?;
        for table in [
            "calendar_feeds",
            "meeting_reminders",
            "meeting_rsvps",
            "meetings",
            "meeting_series",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

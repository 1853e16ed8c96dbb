//! What a person writes about themself is sealed under a key of their own (issue 33). This
//! makes the place for those keys (`person_keys`, one wrapped data key per person) and the
//! blind indexes that let an address or a device token be looked up without being stored in
//! clear. Existing values are sealed afterwards by the server, in batches (`keys::backfill`):
//! a migration has no key. On PostgreSQL the sealed columns become `text`, as a sealed value is
//! longer than the length the plain one was held to (SQLite does not enforce lengths).
//!
//! A mailed code is now filed under the blind index of its address, not the address: codes
//! waiting when this runs are dropped (they last 15 minutes; the person asks again).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, blind index column, unique)
const INDEXES: &[(&str, &str, bool)] = &[
    ("users", "email_index", true),
    ("devices", "token_index", true),
    ("mail_jobs", "to_index", false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("person_keys")
                    .col(string_len("user_id", 36).primary_key())
                    .col(string_len("kek_id", 16))
                    .col(text("wrapped_key"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_keys_user_id")
                            .from("person_keys", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_keys_kek")
                    .table("person_keys")
                    .col("kek_id")
                    .to_owned(),
            )
            .await?;
        for &(table, column, unique) in INDEXES {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(string_len_null(column, 64))
                        .to_owned(),
                )
                .await?;
            let mut index = Index::create();
            index
                .name(format!("idx_{table}_{column}"))
                .table(table)
                .col(column);
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM email_codes")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("email_codes")
                    .rename_column("email", "email_index")
                    .to_owned(),
            )
            .await?;
        crate::postgres_only::run(
            manager,
            &[
                "ALTER TABLE users ALTER COLUMN email TYPE text",
                "ALTER TABLE devices ALTER COLUMN token TYPE text",
                "ALTER TABLE mood_shares ALTER COLUMN label TYPE text",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Sealed values cannot go back to clear without the keys: a database goes down past
        // this step only before the server has sealed anything (or after `hearth keys
        // unseal`, which does not exist).
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM email_codes")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("email_codes")
                    .rename_column("email_index", "email")
                    .to_owned(),
            )
            .await?;
        for &(table, column, _) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_{column}"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("person_keys").to_owned())
            .await
    }
}

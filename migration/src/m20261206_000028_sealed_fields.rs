//! What a person writes about themself is sealed under a key of their own (issue 33). This
//! makes the place for those keys (`person_keys`, one wrapped data key per person) and the
//! blind indexes that let an address or a device token be looked up without being stored in
//! clear. Existing values are sealed afterwards by the server, in batches (`keys::backfill`):
//! a migration has no key. On PostgreSQL the sealed columns become `text`, as a sealed value is
//! longer than the length the plain one was held to (SQLite does not enforce lengths).
//!
//! A mailed code is now filed under the blind index of its address, not the address: codes
//! waiting when this runs are dropped (they last 15 minutes; the person asks again).
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, blind index column, unique)
const INDEXES: &[(&str, &str, bool)] = &[
    ("users", "email_index", true),
    ("devices", "token_index", true),
    ("mail_jobs", "to_index", false),
];

/// The columns the server seals (the API's `keys::fields`).
const SEALED: &[(&str, &str)] = &[
    ("users", "email"),
    ("mood_checkins", "note"),
    ("devices", "token"),
    ("export_jobs", "document"),
    ("mood_shares", "label"),
    ("mail_jobs", "to_address"),
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
        // Sealed values cannot go back to clear without the keys, which a migration does not
        // have: the code before this step would read them as text (an address "s1:…"). A
        // database goes down past this step only while nothing is sealed.
        let db = manager.get_connection();
        for &(table, column) in SEALED {
            let sealed = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT 1 AS one FROM {table} WHERE {column} LIKE 's1:%' LIMIT 1"),
                ))
                .await?;
            if sealed.is_some() {
                return Err(DbErr::Migration(format!(
                    "{table}.{column} holds sealed values, which the code before this step would \
                     read as text and a migration cannot open: the database stays at this step"
                )));
            }
        }
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

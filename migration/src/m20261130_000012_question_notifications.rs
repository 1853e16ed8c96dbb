//! Notifications about questions and answers, and the one reminder an asker gets when answers
//! wait a week without one accepted.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["question_id", "answer_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("notifications")
                        .add_column(string_len_null(column, 36))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("questions")
                    .add_column(timestamp_with_time_zone_null("reminded_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_questions_reminded_at_created_at")
                    .table("questions")
                    .col("reminded_at")
                    .col("created_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_questions_reminded_at_created_at")
                    .table("questions")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("questions")
                    .drop_column("reminded_at")
                    .to_owned(),
            )
            .await?;
        for column in ["answer_id", "question_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("notifications")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

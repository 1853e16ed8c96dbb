//! Reports on questions and answers: filed by readers, or by the words themselves when they read
//! like a crisis (priority). A group's questions are its moderators' to handle; platform-wide
//! ones are the platform admins'.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("question_reports")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("question_id", 36))
                    .col(string_len_null("answer_id", 36))
                    .col(string_len_null("group_id", 36))
                    .col(string_len("reporter_id", 36))
                    .col(text("reason"))
                    .col(boolean("priority").default(false))
                    .col(string_len("status", 16))
                    .col(string_len_null("resolved_by", 36))
                    .col(text_null("resolution_note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_question_reports_question_id")
                            .from("question_reports", "question_id")
                            .to("questions", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_question_reports_reporter_id")
                            .from("question_reports", "reporter_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_question_reports_queue",
                &["group_id", "status", "priority", "created_at"][..],
            ),
            (
                "idx_question_reports_target",
                &["question_id", "answer_id", "status"][..],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table("question_reports");
            for col in cols {
                index.col(String::from(*col));
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("question_reports").to_owned())
            .await
    }
}

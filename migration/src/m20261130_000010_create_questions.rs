//! Ask a Question: questions (platform-wide, or inside a group), their answers, who found an
//! answer helpful, who follows a question, and the expert standing platform admins grant.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from_table: &str, from_col: &str, to_table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table.to_owned(), from_col.to_owned())
        .to(to_table.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index
        .name(format!("idx_{table}_{}", cols.join("_")))
        .table(table.to_owned());
    for col in cols {
        index.col(String::from(*col));
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("experts")
                    .col(string_len("user_id", 36).primary_key())
                    .col(string_len("title", 120))
                    .col(timestamp_with_time_zone("verified_until"))
                    // Null when granted on the command line.
                    .col(string_len_null("granted_by", 36))
                    .col(timestamp_with_time_zone("granted_at"))
                    .foreign_key(&mut fk("experts", "user_id", "users"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("questions")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("author_id", 36))
                    .col(string_len_null("group_id", 36))
                    .col(string_len("title", 200))
                    .col(text("body"))
                    .col(string_len("topic", 32))
                    .col(string_len("tags", 200).default(""))
                    .col(boolean("anonymous").default(false))
                    .col(string_len_null("content_warning", 200))
                    .col(string_len_null("idempotency_key", 64))
                    .col(integer("answer_count").default(0))
                    .col(string_len_null("accepted_answer_id", 36))
                    .col(boolean("locked").default(false))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .col(timestamp_with_time_zone_null("removed_at"))
                    .col(text_null("removed_reason"))
                    .col(timestamp_with_time_zone("last_activity_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("questions", "author_id", "users"))
                    .foreign_key(&mut fk("questions", "group_id", "groups"))
                    .to_owned(),
            )
            .await?;
        index(manager, "questions", &["created_at", "id"], false).await?;
        index(manager, "questions", &["last_activity_at", "id"], false).await?;
        index(manager, "questions", &["topic", "created_at", "id"], false).await?;
        index(manager, "questions", &["group_id", "created_at"], false).await?;
        // Covers every column `questions` filters on, so its totalCount reads the index alone.
        let mut listing = Index::create();
        listing.name("idx_questions_listing").table("questions");
        for col in [
            "topic",
            "deleted_at",
            "removed_at",
            "group_id",
            "anonymous",
            "author_id",
            "answer_count",
        ] {
            listing.col(col);
        }
        manager.create_index(listing.to_owned()).await?;
        index(
            manager,
            "questions",
            &["author_id", "idempotency_key"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("answers")
                    .col(string_len("id", 36).primary_key())
                    .col(string_len("question_id", 36))
                    .col(string_len("author_id", 36))
                    .col(text("body"))
                    .col(string_len_null("idempotency_key", 64))
                    .col(integer("helpful_count").default(0))
                    .col(boolean("accepted").default(false))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .col(timestamp_with_time_zone_null("removed_at"))
                    .col(text_null("removed_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("answers", "question_id", "questions"))
                    .foreign_key(&mut fk("answers", "author_id", "users"))
                    .to_owned(),
            )
            .await?;
        index(manager, "answers", &["question_id", "created_at"], false).await?;
        index(manager, "answers", &["author_id", "idempotency_key"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("answer_helpful")
                    .col(string_len("answer_id", 36))
                    .col(string_len("user_id", 36))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("answer_id").col("user_id"))
                    .foreign_key(&mut fk("answer_helpful", "answer_id", "answers"))
                    .foreign_key(&mut fk("answer_helpful", "user_id", "users"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("question_follows")
                    .col(string_len("question_id", 36))
                    .col(string_len("user_id", 36))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("question_id").col("user_id"))
                    .foreign_key(&mut fk("question_follows", "question_id", "questions"))
                    .foreign_key(&mut fk("question_follows", "user_id", "users"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "question_follows",
            "answer_helpful",
            "answers",
            "questions",
            "experts",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

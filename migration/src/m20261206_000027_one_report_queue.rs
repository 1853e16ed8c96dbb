//! One report queue for everything a person can report. Reports of questions and answers moved
//! from `question_reports` into `reports` (as `QUESTION` and `ANSWER` targets, keeping their ids),
//! and `reports.group_id` may now be empty: a platform-wide question has no group, and the
//! platform admins handle its reports.
//!
//! SQLite cannot drop a column's NOT NULL, so there the table is rebuilt under the same name
//! with the same columns and indexes.
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every question report, as a row of `reports`.
const MOVE_QUESTION_REPORTS: &str = "INSERT INTO reports \
    (id, group_id, target_type, target_id, reporter_id, reason, status, priority, resolved_by, \
     resolution_note, created_at, resolved_at) \
    SELECT id, group_id, \
           CASE WHEN answer_id IS NULL THEN 'QUESTION' ELSE 'ANSWER' END, \
           COALESCE(answer_id, question_id), reporter_id, reason, status, priority, resolved_by, \
           resolution_note, created_at, resolved_at \
    FROM question_reports";

const COLUMNS: &str = "id, group_id, target_type, target_id, reporter_id, reason, status, \
    priority, resolved_by, resolution_note, created_at, resolved_at";

const QUEUE_INDEX: &str = "idx_reports_group_id_status_created_at";
const TARGET_INDEX: &str = "idx_reports_target_type_target_id";

/// `reports` as it is after this step (`group_id` may be empty) or before it.
fn reports_table(name: &str, group_optional: bool) -> TableCreateStatement {
    let group_id = if group_optional {
        string_len_null("group_id", 36)
    } else {
        string_len("group_id", 36)
    };
    Table::create()
        .table(name.to_owned())
        .col(string_len("id", 36).primary_key())
        .col(group_id)
        .col(string_len("target_type", 8))
        .col(string_len("target_id", 36))
        .col(string_len("reporter_id", 36))
        .col(text("reason"))
        .col(string_len("status", 16))
        .col(boolean("priority").default(false))
        .col(string_len_null("resolved_by", 36))
        .col(text_null("resolution_note"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("resolved_at"))
        .foreign_key(&mut cascade(
            "fk_reports_group_id",
            name,
            "group_id",
            "groups",
        ))
        .foreign_key(&mut cascade(
            "fk_reports_reporter_id",
            name,
            "reporter_id",
            "users",
        ))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Sqlite {
            rebuild_reports(manager, true).await?;
        } else {
            db.execute_unprepared("ALTER TABLE reports ALTER COLUMN group_id DROP NOT NULL")
                .await?;
        }
        db.execute_unprepared(MOVE_QUESTION_REPORTS).await?;
        manager
            .drop_table(Table::drop().table("question_reports").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager.create_table(question_reports_table()).await?;
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
            manager
                .create_index(index("question_reports", name, cols))
                .await?;
        }
        db.execute_unprepared(MOVE_BACK).await?;
        db.execute_unprepared("DELETE FROM reports WHERE target_type IN ('QUESTION', 'ANSWER')")
            .await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            rebuild_reports(manager, false).await
        } else {
            db.execute_unprepared("ALTER TABLE reports ALTER COLUMN group_id SET NOT NULL")
                .await
                .map(|_| ())
        }
    }
}

/// Question reports back into their own table (down). An answer report whose answer is gone
/// cannot name its question, and is dropped.
const MOVE_BACK: &str = "INSERT INTO question_reports \
    (id, question_id, answer_id, group_id, reporter_id, reason, priority, status, resolved_by, \
     resolution_note, created_at, resolved_at) \
    SELECT r.id, \
           CASE WHEN r.target_type = 'QUESTION' THEN r.target_id ELSE a.question_id END, \
           CASE WHEN r.target_type = 'ANSWER' THEN r.target_id END, \
           r.group_id, r.reporter_id, r.reason, r.priority, r.status, r.resolved_by, \
           r.resolution_note, r.created_at, r.resolved_at \
    FROM reports r LEFT JOIN answers a ON r.target_type = 'ANSWER' AND a.id = r.target_id \
    WHERE r.target_type = 'QUESTION' OR a.id IS NOT NULL";

/// SQLite: `reports` made again under its name, with `group_id` optional or not. One script on
/// one connection: a pooled SQLite connection that did not see the table dropped can check the
/// new indexes against its old copy of the schema.
async fn rebuild_reports(manager: &SchemaManager<'_>, group_optional: bool) -> Result<(), DbErr> {
    let mut script = vec![
        reports_table("reports_rebuilt", group_optional).to_string(SqliteQueryBuilder),
        format!("INSERT INTO reports_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM reports"),
        "DROP TABLE reports".to_owned(),
        "ALTER TABLE reports_rebuilt RENAME TO reports".to_owned(),
    ];
    for (name, cols) in [
        (QUEUE_INDEX, &["group_id", "status", "created_at"][..]),
        (TARGET_INDEX, &["target_type", "target_id"][..]),
    ] {
        script.push(index("reports", name, cols).to_string(SqliteQueryBuilder));
    }
    manager
        .get_connection()
        .execute_unprepared(&script.join(";\n"))
        .await
        .map(|_| ())
}

/// `question_reports` as migration 000013 made it.
fn question_reports_table() -> TableCreateStatement {
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
        .foreign_key(&mut cascade(
            "fk_question_reports_question_id",
            "question_reports",
            "question_id",
            "questions",
        ))
        .foreign_key(&mut cascade(
            "fk_question_reports_reporter_id",
            "question_reports",
            "reporter_id",
            "users",
        ))
        .to_owned()
}

/// A key from `table.column` to `to.id`, deleted with the row it points at.
fn cascade(name: &str, table: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table.to_owned(), column.to_owned())
        .to(to.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(table: &str, name: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.to_owned());
    for col in cols {
        index.col(String::from(*col));
    }
    index.to_owned()
}

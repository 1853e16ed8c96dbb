//! Full-text search over questions and posts (title weighted over body).
//!
//! - PostgreSQL: a generated `search` tsvector column ('english' configuration) with a GIN index,
//!   and for questions a `title_search` one beside it (similar questions compare titles).
//! - SQLite: an FTS5 table per searched table (`porter unicode61` tokenizer), kept in step by
//!   triggers, whose rows share the searched row's rowid (external content). SQLite may renumber
//!   rowids when the database is `VACUUM`ed: after one, rebuild each index with
//!   `INSERT INTO posts_fts(posts_fts) VALUES('rebuild')` (and the same for `questions_fts`).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["questions", "posts"];

fn postgres_up(table: &str) -> Vec<String> {
    let mut statements = vec![
        format!(
            "ALTER TABLE {table} ADD COLUMN search tsvector GENERATED ALWAYS AS \
             (setweight(to_tsvector('english', title), 'A') || \
              setweight(to_tsvector('english', body), 'B')) STORED"
        ),
        format!("CREATE INDEX idx_{table}_search ON {table} USING GIN (search)"),
    ];
    // "Similar questions" compare titles alone.
    if table == "questions" {
        statements.extend([
            "ALTER TABLE questions ADD COLUMN title_search tsvector GENERATED ALWAYS AS \
             (to_tsvector('english', title)) STORED"
                .to_owned(),
            "CREATE INDEX idx_questions_title_search ON questions USING GIN (title_search)"
                .to_owned(),
        ]);
    }
    statements
}

fn sqlite_up(table: &str) -> Vec<String> {
    let fts = format!("{table}_fts");
    vec![
        format!(
            "CREATE VIRTUAL TABLE {fts} USING fts5(title, body, content='{table}', \
             content_rowid='rowid', tokenize='porter unicode61')"
        ),
        format!(
            "CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN \
             INSERT INTO {fts}(rowid, title, body) VALUES (new.rowid, new.title, new.body); END"
        ),
        format!(
            "CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN \
             INSERT INTO {fts}({fts}, rowid, title, body) \
             VALUES ('delete', old.rowid, old.title, old.body); END"
        ),
        format!(
            "CREATE TRIGGER {fts}_update AFTER UPDATE OF title, body ON {table} BEGIN \
             INSERT INTO {fts}({fts}, rowid, title, body) \
             VALUES ('delete', old.rowid, old.title, old.body); \
             INSERT INTO {fts}(rowid, title, body) VALUES (new.rowid, new.title, new.body); END"
        ),
        // Rows written before this migration.
        format!("INSERT INTO {fts}({fts}) VALUES ('rebuild')"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            let statements = match manager.get_database_backend() {
                DbBackend::Postgres => postgres_up(table),
                _ => sqlite_up(table),
            };
            for statement in statements {
                db.execute_unprepared(&statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            let statements = match manager.get_database_backend() {
                DbBackend::Postgres => {
                    let mut statements = vec![
                        format!("DROP INDEX idx_{table}_search"),
                        format!("ALTER TABLE {table} DROP COLUMN search"),
                    ];
                    if table == "questions" {
                        statements.extend([
                            "DROP INDEX idx_questions_title_search".to_owned(),
                            "ALTER TABLE questions DROP COLUMN title_search".to_owned(),
                        ]);
                    }
                    statements
                }
                _ => vec![
                    format!("DROP TRIGGER {table}_fts_insert"),
                    format!("DROP TRIGGER {table}_fts_delete"),
                    format!("DROP TRIGGER {table}_fts_update"),
                    format!("DROP TABLE {table}_fts"),
                ],
            };
            for statement in statements {
                db.execute_unprepared(&statement).await?;
            }
        }
        Ok(())
    }
}

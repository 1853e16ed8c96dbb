//! Similar questions, ranked from an index alone (PostgreSQL). Migration 000018 found the titles
//! sharing a pair of words with a draft through a GIN index, but ranking them read every such
//! question's row and ranked its tsvector: about 2 000 rows for a draft of common words. Here each
//! listed question's pairs are also rows of their own, `(pair, question_id)`, kept by a trigger
//! as titles are written, edited, deleted or removed; counting a draft's pairs per question is
//! then a walk of one B-tree, and only the best few questions' rows are read. 000018's GIN index
//! is dropped (nothing looks titles up by it); its column stays, the trigger reads it. SQLite
//! keeps its FTS5 query (migration 000011).
use crate::postgres_only::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 6] = [
    "CREATE TABLE question_title_pairs (\
       pair text NOT NULL, \
       question_id varchar(36) NOT NULL REFERENCES questions (id) ON DELETE CASCADE, \
       PRIMARY KEY (pair, question_id))",
    "CREATE INDEX idx_question_title_pairs_question_id ON question_title_pairs (question_id)",
    // A question is listed while neither deleted nor removed; its pairs follow its title.
    "CREATE FUNCTION hearth_question_title_pairs() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'UPDATE' THEN \
         DELETE FROM question_title_pairs WHERE question_id = OLD.id; \
       END IF; \
       IF NEW.deleted_at IS NULL AND NEW.removed_at IS NULL THEN \
         INSERT INTO question_title_pairs (pair, question_id) \
         SELECT DISTINCT p, NEW.id FROM unnest(NEW.title_pairs) p; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER trg_question_title_pairs \
     AFTER INSERT OR UPDATE OF title, deleted_at, removed_at ON questions \
     FOR EACH ROW EXECUTE FUNCTION hearth_question_title_pairs()",
    "INSERT INTO question_title_pairs (pair, question_id) \
     SELECT DISTINCT p, q.id FROM questions q, unnest(q.title_pairs) p \
     WHERE q.deleted_at IS NULL AND q.removed_at IS NULL",
    // Nothing looks titles up by `title_pairs` any more; the trigger reads the column.
    "DROP INDEX idx_questions_title_pairs",
];

const DOWN: [&str; 4] = [
    "CREATE INDEX idx_questions_title_pairs ON questions USING GIN (title_pairs)",
    "DROP TRIGGER trg_question_title_pairs ON questions",
    "DROP FUNCTION hearth_question_title_pairs()",
    "DROP TABLE question_title_pairs",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &DOWN).await
    }
}

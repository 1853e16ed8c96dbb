//! Similar questions look for titles sharing two of a draft's words. On PostgreSQL the title's
//! pairs of words are indexed themselves: `title_pairs` holds every pair of the title's lexemes
//! ("anxieti panic", the two in order), with a GIN index, so a draft's 15 pairs are 15 short
//! lookups instead of intersecting the long lists of its common words. SQLite's FTS5 table
//! answers the same question from its word lists (migration 000011): nothing changes there.
use crate::postgres_only::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 3] = [
    // Every pair of distinct lexemes, each pair in sorted order: the same text for a title and
    // for a draft holding the same two words.
    "CREATE FUNCTION hearth_word_pairs(words tsvector) RETURNS text[] \
     IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql AS $$ \
     SELECT coalesce(array_agg(a || ' ' || b), '{}') \
     FROM unnest(tsvector_to_array(words)) a, unnest(tsvector_to_array(words)) b WHERE a < b $$",
    "ALTER TABLE questions ADD COLUMN title_pairs text[] GENERATED ALWAYS AS \
     (hearth_word_pairs(to_tsvector('english', title))) STORED",
    "CREATE INDEX idx_questions_title_pairs ON questions USING GIN (title_pairs)",
];

const DOWN: [&str; 3] = [
    "DROP INDEX idx_questions_title_pairs",
    "ALTER TABLE questions DROP COLUMN title_pairs",
    "DROP FUNCTION hearth_word_pairs(tsvector)",
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

//! Full-text search, asked the same way of either backend's index (migration 000011):
//! PostgreSQL's `search` tsvector column, or SQLite's FTS5 table beside the searched table.
//! People's words never reach either query language: they are cut into plain words first.
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::DbBackend;

/// How words combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every word must be there (a search box).
    AllWords,
    /// Any word may be; more shared words rank higher ("these may already answer you").
    AnyWord,
}

/// Tables with a full-text index.
#[derive(Clone, Copy, Debug)]
pub enum Indexed {
    Questions,
    Posts,
}

impl Indexed {
    fn table(self) -> &'static str {
        match self {
            Indexed::Questions => "questions",
            Indexed::Posts => "posts",
        }
    }
}

/// The most words a search uses; the rest are ignored.
const MAX_TERMS: usize = 32;

/// Words too common to tell questions apart (both backends drop them alike).
const STOP_WORDS: &[&str] = &[
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "do", "does", "for", "from", "get", "had", "has", "have", "how", "i", "if", "in", "into", "is",
    "it", "its", "me", "my", "no", "not", "of", "on", "or", "so", "that", "the", "their", "them",
    "then", "there", "they", "this", "to", "was", "we", "what", "when", "where", "which", "who",
    "why", "will", "with", "you", "your",
];

/// A parsed search: the plain words to look for, and how they combine.
#[derive(Clone, Debug)]
pub struct Search {
    terms: Vec<String>,
    mode: Mode,
}

impl Search {
    /// The words of `raw` (letters and digits; everything else separates them), lower-cased,
    /// without stop words. `None` when nothing is left to search for.
    pub fn parse(field: &'static str, raw: &str, mode: Mode) -> AppResult<Option<Self>> {
        if raw.chars().count() > 2_000 {
            return Err(AppError::bad_input(field, "at most 2000 characters"));
        }
        let mut terms: Vec<String> = Vec::new();
        for word in raw.split(|c: char| !c.is_alphanumeric()) {
            let word = word.to_lowercase();
            if word.is_empty() || word.chars().count() > 40 || STOP_WORDS.contains(&word.as_str()) {
                continue;
            }
            if !terms.contains(&word) {
                terms.push(word);
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        Ok((!terms.is_empty()).then_some(Search { terms, mode }))
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// FTS5: each word quoted (a plain string, never syntax).
    fn fts5_query(&self) -> String {
        let joiner = match self.mode {
            Mode::AllWords => " AND ",
            Mode::AnyWord => " OR ",
        };
        self.terms
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(joiner)
    }

    /// `to_tsquery`: the words are letters and digits only, so they carry no operators.
    fn tsquery(&self) -> String {
        let joiner = match self.mode {
            Mode::AllWords => " & ",
            Mode::AnyWord => " | ",
        };
        self.terms.join(joiner)
    }

    /// Rows of `table` that match.
    pub fn matches(&self, backend: DbBackend, indexed: Indexed) -> SimpleExpr {
        let table = indexed.table();
        match backend {
            DbBackend::Postgres => Expr::cust_with_values(
                format!("{table}.search @@ to_tsquery('english', $1)"),
                [self.tsquery()],
            ),
            _ => Expr::cust_with_values(
                format!(
                    "{table}.rowid IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?)"
                ),
                [self.fts5_query()],
            ),
        }
    }

    /// How well a matching row matches: higher is better. A title's words weigh more.
    pub fn rank(&self, backend: DbBackend, indexed: Indexed) -> SimpleExpr {
        let table = indexed.table();
        match backend {
            DbBackend::Postgres => Expr::cust_with_values(
                format!("ts_rank({table}.search, to_tsquery('english', $1))"),
                [self.tsquery()],
            ),
            // bm25 is lower for better matches.
            _ => Expr::cust_with_values(
                format!(
                    "-(SELECT bm25({table}_fts, 4.0, 1.0) FROM {table}_fts \
                     WHERE {table}_fts MATCH ? AND {table}_fts.rowid = {table}.rowid)"
                ),
                [self.fts5_query()],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_plain_lower_case_and_stop_words_go() {
        let search = Search::parse(
            "q",
            r#"Is it NORMAL to feel "numb" on sertraline?) OR title:*"#,
            Mode::AnyWord,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            search.terms(),
            ["normal", "feel", "numb", "sertraline", "title"]
        );
        assert_eq!(
            search.fts5_query(),
            r#""normal" OR "feel" OR "numb" OR "sertraline" OR "title""#
        );
        assert_eq!(
            search.tsquery(),
            "normal | feel | numb | sertraline | title"
        );
        assert!(Search::parse("q", "?? the !!", Mode::AllWords)
            .unwrap()
            .is_none());
        assert!(Search::parse("q", &"x".repeat(2_001), Mode::AllWords).is_err());
    }
}

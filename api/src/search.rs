//! Full-text search, asked the same way of either backend's index (migration 000011):
//! PostgreSQL's `search` tsvector column, or SQLite's FTS5 table beside the searched table.
//! People's words never reach either query language: they are cut into plain words first.
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Alias, Expr, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::DbBackend;

/// How words combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every word must be there (a search box).
    AllWords,
    /// At least two of the words (one, when there is only one): a draft's words, compared with
    /// others' titles for "these may already answer you". Any single common word would match
    /// most of a large corpus.
    SharedPair,
}

/// Tables with a full-text index.
#[derive(Clone, Copy, Debug)]
pub enum Indexed {
    Questions,
    /// Questions' titles alone.
    QuestionTitles,
    Posts,
}

impl Indexed {
    fn table(self) -> &'static str {
        match self {
            Indexed::Questions | Indexed::QuestionTitles => "questions",
            Indexed::Posts => "posts",
        }
    }

    /// PostgreSQL's tsvector column.
    fn column(self) -> &'static str {
        match self {
            Indexed::QuestionTitles => "title_search",
            Indexed::Questions | Indexed::Posts => "search",
        }
    }

    /// FTS5's column filter.
    fn fts5_scope(self) -> &'static str {
        match self {
            Indexed::QuestionTitles => "title : ",
            Indexed::Questions | Indexed::Posts => "",
        }
    }
}

/// The most words a search uses; the rest are ignored.
const MAX_TERMS: usize = 32;
/// The most words a shared-pair search pairs up (6 words, 15 pairs).
const MAX_PAIRED_TERMS: usize = 6;

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
            let cap = match mode {
                Mode::SharedPair => MAX_PAIRED_TERMS,
                Mode::AllWords => MAX_TERMS,
            };
            if terms.len() == cap {
                break;
            }
        }
        Ok((!terms.is_empty()).then_some(Search { terms, mode }))
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// PostgreSQL, a shared-pair search of two words or more: the questions whose titles share
    /// the most of the draft's pairs of words, as `(question_id, shared)`, most first and newest
    /// id first among equals, at most `n`. Counted from `question_title_pairs` (migration 000021)
    /// alone: two shared words are one pair, three are three.
    pub fn questions_sharing_pairs(&self, n: u64) -> Option<SelectStatement> {
        if self.mode != Mode::SharedPair || self.terms.len() < 2 {
            return None;
        }
        let question_id = Alias::new("question_id");
        Some(
            Query::select()
                .column(question_id.clone())
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("shared"))
                .from(Alias::new("question_title_pairs"))
                .and_where(Expr::cust_with_values(
                    "pair = ANY (hearth_word_pairs(to_tsvector('english', $1)))",
                    [self.terms.join(" ")],
                ))
                .group_by_col(question_id.clone())
                .order_by_expr(Expr::cust("COUNT(*)"), Order::Desc)
                .order_by(question_id, Order::Desc)
                .limit(n)
                .to_owned(),
        )
    }

    /// The terms' combination, as groups of words that must all be there (any group may be).
    fn groups(&self) -> Vec<Vec<&str>> {
        let terms: Vec<&str> = self.terms.iter().map(String::as_str).collect();
        match self.mode {
            Mode::AllWords => vec![terms],
            Mode::SharedPair if terms.len() < 2 => vec![terms],
            Mode::SharedPair => {
                let mut pairs = Vec::new();
                for (i, a) in terms.iter().enumerate() {
                    for b in &terms[i + 1..] {
                        pairs.push(vec![*a, *b]);
                    }
                }
                pairs
            }
        }
    }

    /// FTS5: each word quoted (a plain string, never syntax).
    fn fts5_query(&self, indexed: Indexed) -> String {
        let any = self
            .groups()
            .iter()
            .map(|group| {
                let all: Vec<String> = group.iter().map(|t| format!("\"{t}\"")).collect();
                format!("({})", all.join(" AND "))
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        format!("{}({any})", indexed.fts5_scope())
    }

    /// `to_tsquery`: the words are letters and digits only, so they carry no operators.
    fn tsquery(&self) -> String {
        self.groups()
            .iter()
            .map(|group| format!("({})", group.join(" & ")))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// Rows of `table` that match.
    pub fn matches(&self, backend: DbBackend, indexed: Indexed) -> SimpleExpr {
        let (table, column) = (indexed.table(), indexed.column());
        match backend {
            DbBackend::Postgres => Expr::cust_with_values(
                format!("{table}.{column} @@ to_tsquery('english', $1)"),
                [self.tsquery()],
            ),
            _ => Expr::cust_with_values(
                format!(
                    "{table}.rowid IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?)"
                ),
                [self.fts5_query(indexed)],
            ),
        }
    }

    /// How well a matching row matches: higher is better. A title's words weigh more.
    pub fn rank(&self, backend: DbBackend, indexed: Indexed) -> SimpleExpr {
        let (table, column) = (indexed.table(), indexed.column());
        match backend {
            DbBackend::Postgres => Expr::cust_with_values(
                format!("ts_rank({table}.{column}, to_tsquery('english', $1))"),
                [self.tsquery()],
            ),
            // bm25 is lower for better matches.
            _ => Expr::cust_with_values(
                format!(
                    "-(SELECT bm25({table}_fts, 4.0, 1.0) FROM {table}_fts \
                     WHERE {table}_fts MATCH ? AND {table}_fts.rowid = {table}.rowid)"
                ),
                [self.fts5_query(indexed)],
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
            Mode::AllWords,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            search.terms(),
            ["normal", "feel", "numb", "sertraline", "title"]
        );
        assert_eq!(
            search.fts5_query(Indexed::Posts),
            r#"(("normal" AND "feel" AND "numb" AND "sertraline" AND "title"))"#
        );
        assert_eq!(
            search.tsquery(),
            "(normal & feel & numb & sertraline & title)"
        );
        assert!(Search::parse("q", "?? the !!", Mode::AllWords)
            .unwrap()
            .is_none());
        assert!(Search::parse("q", &"x".repeat(2_001), Mode::AllWords).is_err());
    }

    #[test]
    fn a_shared_pair_is_any_two_of_at_most_six_words() {
        let three = Search::parse("t", "numb sertraline weeks", Mode::SharedPair)
            .unwrap()
            .unwrap();
        assert_eq!(
            three.tsquery(),
            "(numb & sertraline) | (numb & weeks) | (sertraline & weeks)"
        );
        assert_eq!(
            three.fts5_query(Indexed::QuestionTitles),
            r#"title : (("numb" AND "sertraline") OR ("numb" AND "weeks") OR ("sertraline" AND "weeks"))"#
        );
        let one = Search::parse("t", "numb", Mode::SharedPair)
            .unwrap()
            .unwrap();
        assert_eq!(one.tsquery(), "(numb)");
        let many = Search::parse("t", "a1 b2 c3 d4 e5 f6 g7 h8 i9 j10", Mode::SharedPair)
            .unwrap()
            .unwrap();
        assert_eq!(many.terms().len(), 6);
        assert_eq!(many.groups().len(), 15);
    }
}

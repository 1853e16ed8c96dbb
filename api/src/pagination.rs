//! Keyset pagination: an opaque cursor of (timestamp, id), pages of at most 100.
use crate::error::{AppError, AppResult};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, SimpleObject};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

pub const DEFAULT_PAGE: i32 = 20;
/// Largest page a connection hands out.
pub const MAX_PAGE: i32 = 100;

/// A position in a list ordered by (time, id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "{}|{}",
            self.at.timestamp_micros(),
            self.id
        ))
    }

    pub fn decode(raw: &str) -> AppResult<Self> {
        let bad = || AppError::bad_input("after", "not a cursor from this list");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (micros, id) = text.split_once('|').ok_or_else(bad)?;
        let at =
            DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
        Ok(Cursor {
            at,
            id: id.to_owned(),
        })
    }
}

/// `first` / `after` as validated at the edge.
#[derive(Clone, Debug)]
pub struct PageArgs {
    pub first: u64,
    pub after: Option<Cursor>,
}

impl PageArgs {
    pub fn new(first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let first = first.unwrap_or(DEFAULT_PAGE);
        if !(0..=MAX_PAGE).contains(&first) {
            return Err(AppError::bad_input(
                "first",
                format!("must be 0 to {MAX_PAGE}"),
            ));
        }
        Ok(PageArgs {
            first: first.unsigned_abs().into(),
            after: after.as_deref().map(Cursor::decode).transpose()?,
        })
    }

    /// Rows to fetch: one more than asked, to learn whether there is a next page.
    pub fn limit(&self) -> u64 {
        self.first + 1
    }
}

#[derive(Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
}

impl<T> Page<T> {
    /// Cuts the extra row fetched by `PageArgs::limit`.
    pub fn from_rows(mut rows: Vec<T>, args: &PageArgs) -> Self {
        let has_next = rows.len() as u64 > args.first;
        rows.truncate(args.first as usize);
        Page {
            items: rows,
            has_next,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next: self.has_next,
        }
    }
}

#[derive(SimpleObject)]
pub struct ListInfo {
    /// How many items the whole list holds, where cheap to know.
    total_count: Option<i64>,
}

/// Turns a page into a Relay connection.
pub fn connection<T: OutputType>(
    page: Page<T>,
    cursor_of: impl Fn(&T) -> Cursor,
    has_previous: bool,
    total_count: Option<i64>,
) -> Connection<String, T, ListInfo> {
    let mut connection =
        Connection::with_additional_fields(has_previous, page.has_next, ListInfo { total_count });
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(cursor_of(&item).encode(), item)),
    );
    connection
}

/// `first` / `after` for ranked lists (answers by rank, search results by relevance), where a
/// row's place can change between pages: the cursor is a position, bounded so that no request
/// walks the database far.
#[derive(Clone, Debug)]
pub struct RankArgs {
    pub first: u64,
    pub offset: u64,
}

/// The deepest position a ranked list pages to.
pub const MAX_RANK_OFFSET: u64 = 10_000;

impl RankArgs {
    pub fn new(first: Option<i32>, after: Option<String>) -> AppResult<Self> {
        let PageArgs { first, .. } = PageArgs::new(first, None)?;
        let offset = match after {
            None => 0,
            Some(raw) => Self::decode(&raw)?,
        };
        Ok(RankArgs { first, offset })
    }

    fn decode(raw: &str) -> AppResult<u64> {
        let bad = || AppError::bad_input("after", "not a cursor from this list");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let position = text
            .strip_prefix("rank|")
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(bad)?;
        if position > MAX_RANK_OFFSET {
            return Err(AppError::bad_input(
                "after",
                format!("ranked lists end after {MAX_RANK_OFFSET} items"),
            ));
        }
        Ok(position)
    }

    /// The cursor of the item at `position` (counted from 1).
    pub fn cursor(position: u64) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("rank|{position}"))
    }

    pub fn limit(&self) -> u64 {
        self.first + 1
    }

    /// Cuts the extra row fetched by `limit`.
    pub fn page<T>(&self, mut rows: Vec<T>) -> Page<T> {
        let has_next = rows.len() as u64 > self.first;
        rows.truncate(self.first as usize);
        Page {
            items: rows,
            has_next,
        }
    }
}

/// Turns a page of a ranked list into a Relay connection.
pub fn ranked_connection<T: OutputType>(
    page: Page<T>,
    args: &RankArgs,
    total_count: Option<i64>,
) -> Connection<String, T, ListInfo> {
    let mut connection = Connection::with_additional_fields(
        args.offset > 0,
        page.has_next,
        ListInfo { total_count },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .zip(args.offset + 1..)
            .map(|(item, position)| Edge::new(RankArgs::cursor(position), item)),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            at: crate::clock::now(),
            id: "abc".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::decode("%%%").is_err());
        assert!(PageArgs::new(Some(101), None).is_err());
        assert!(PageArgs::new(Some(-1), None).is_err());
        assert_eq!(PageArgs::new(None, None).unwrap().first, 20);
    }

    #[test]
    fn rank_cursors_are_positions_within_bounds() {
        let args = RankArgs::new(Some(5), Some(RankArgs::cursor(40))).unwrap();
        assert_eq!((args.first, args.offset), (5, 40));
        assert!(RankArgs::new(None, Some(RankArgs::cursor(MAX_RANK_OFFSET + 1))).is_err());
        let keyset = Cursor {
            at: crate::clock::now(),
            id: "abc".into(),
        };
        assert!(RankArgs::new(None, Some(keyset.encode())).is_err());
        assert!(RankArgs::new(Some(101), None).is_err());
    }
}

/// Which way a keyset list runs.
#[derive(Clone, Copy, Debug)]
pub enum Order {
    NewestFirst,
    OldestFirst,
}

/// One page of `query`, ordered by (`at`, `id`) and continuing after the page's cursor. Fetches
/// one row more than asked to know whether another page follows.
pub async fn keyset_page<E>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    at: E::Column,
    id: E::Column,
    order: Order,
    page: &PageArgs,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
{
    let rows = keyset_query(query, at, id, order, page).all(db).await?;
    Ok(Page::from_rows(rows, page))
}

/// `query` cut to one page, as [`keyset_page`] reads it, for a caller that reads the rows its
/// own way (with columns of joined tables).
pub fn keyset_query<E>(
    query: Select<E>,
    at: E::Column,
    id: E::Column,
    order: Order,
    page: &PageArgs,
) -> Select<E>
where
    E: EntityTrait,
{
    let mut query = query;
    if let Some(after) = &page.after {
        let (time, key) = (after.at, after.id.as_str());
        query = query.filter(match order {
            Order::NewestFirst => Condition::any()
                .add(at.lt(time))
                .add(at.eq(time).and(id.lt(key))),
            Order::OldestFirst => Condition::any()
                .add(at.gt(time))
                .add(at.eq(time).and(id.gt(key))),
        });
    }
    let query = match order {
        Order::NewestFirst => query.order_by_desc(at).order_by_desc(id),
        Order::OldestFirst => query.order_by_asc(at).order_by_asc(id),
    };
    query.limit(page.limit())
}

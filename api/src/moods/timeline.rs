//! `myTimeline`: my check-ins interleaved with my own posts and replies, newest first, so I can
//! see what I wrote next to how I felt. Only my own things, never anyone else's.
use crate::clock::supported_instant_opt;
use crate::error::AppResult;
use crate::ids::UserId;
use crate::keys::Vault;
use crate::pagination::{keyset_page, Cursor, Order, Page, PageArgs};
use chrono::{DateTime, Utc};
use entity::{mood_checkins, posts, replies};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Select};

pub enum Entry {
    Checkin(mood_checkins::Model),
    Post(posts::Model),
    Reply(replies::Model),
}

impl Entry {
    fn cursor(&self) -> Cursor {
        let (at, id) = match self {
            Entry::Checkin(c) => (c.logged_at, c.id.as_str()),
            Entry::Post(p) => (p.created_at, p.id.as_str()),
            Entry::Reply(r) => (r.created_at, r.id.as_str()),
        };
        Cursor {
            at,
            id: id.to_owned(),
        }
    }
}

fn within<E: EntityTrait>(
    query: Select<E>,
    at: E::Column,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Select<E> {
    let query = match from {
        Some(from) => query.filter(at.gte(from)),
        None => query,
    };
    match to {
        Some(to) => query.filter(at.lt(to)),
        None => query,
    }
}

/// One page of my timeline. Each kind is read one page deep after the cursor and the three are
/// merged: whatever belongs on this page is in one of those three pages.
pub async fn page(
    db: &DatabaseConnection,
    vault: &Vault,
    user_id: &UserId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    args: &PageArgs,
) -> AppResult<Page<Entry>> {
    let from = supported_instant_opt("from", from)?;
    let to = supported_instant_opt("to", to)?;
    let checkins = keyset_page(
        db,
        within(
            mood_checkins::Entity::find().filter(mood_checkins::Column::UserId.eq(user_id)),
            mood_checkins::Column::LoggedAt,
            from,
            to,
        ),
        mood_checkins::Column::LoggedAt,
        mood_checkins::Column::Id,
        Order::NewestFirst,
        args,
    )
    .await?;
    let posts = keyset_page(
        db,
        within(
            posts::Entity::find()
                .filter(posts::Column::AuthorId.eq(user_id))
                .filter(posts::Column::DeletedAt.is_null()),
            posts::Column::CreatedAt,
            from,
            to,
        ),
        posts::Column::CreatedAt,
        posts::Column::Id,
        Order::NewestFirst,
        args,
    )
    .await?;
    let replies = keyset_page(
        db,
        within(
            replies::Entity::find()
                .filter(replies::Column::AuthorId.eq(user_id))
                .filter(replies::Column::DeletedAt.is_null()),
            replies::Column::CreatedAt,
            from,
            to,
        ),
        replies::Column::CreatedAt,
        replies::Column::Id,
        Order::NewestFirst,
        args,
    )
    .await?;
    let more = checkins.has_next || posts.has_next || replies.has_next;
    let checkins = super::service::open_notes(db, vault, user_id, checkins.items).await?;
    let mut entries: Vec<Entry> = checkins
        .into_iter()
        .map(Entry::Checkin)
        .chain(posts.items.into_iter().map(Entry::Post))
        .chain(replies.items.into_iter().map(Entry::Reply))
        .collect();
    entries.sort_by(|a, b| {
        let (a, b) = (a.cursor(), b.cursor());
        (b.at, &b.id).cmp(&(a.at, &a.id))
    });
    let has_next = more || entries.len() as u64 > args.first;
    entries.truncate(usize::try_from(args.first).unwrap_or(usize::MAX));
    Ok(Page {
        items: entries,
        has_next,
    })
}

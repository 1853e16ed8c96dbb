//! What the group page and the feed read, kept per instance for a few seconds: the caller's
//! access to a group, the first page of a group's posts and of the feed as that caller sees
//! them, group rows, and reactions as the caller sees them. Phones reload these screens far more
//! often than anyone writes; a page read from the memo asks the database nothing.
//!
//! Freshness does not rest on finding every write that could change a page. Every document that
//! writes (any mutation, over HTTP or a socket) forgets the whole memo once it has run, here at
//! once and on every other instance through the broker; so does the account page's deletion.
//! What changes with no request behind it (a ban running out, the reply-count sweeper, an admin
//! made from the command line) shows once the memo's few seconds are over.
//!
//! How long is `HEARTH_PAGE_MEMO_SECS`: 5 s on a lone instance, off with Redis unless set. Among
//! several instances, one that dies between a commit and its word to the others leaves their
//! memos behind until then, and an app catching up by query after its socket dropped would miss
//! what it wrote.
//!
//! Only queries are served from the memo (`ContextExt::kept`): a mutation's own answer and a live
//! event are rendered right after a write, before the memo is emptied, so they read afresh.
use crate::auth::Viewer;
use crate::broker::{Broker, Event, Topic};
use crate::content::ContentType;
use crate::document_guard::AfterWrites;
use crate::error::AppResult;
use crate::groups::access::{group_access, GroupAccess};
use crate::ids::{GroupId, UserId};
use crate::memo::{Memo, Ticket};
use crate::pagination::{Page, PageArgs};
use crate::posts::loaders::ReactionTally;
use crate::posts::service::{feed, group_posts, Authors, ListedPost};
use entity::groups;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// Most bytes of text the memo holds for each of its kinds of reads.
pub const BUDGET: usize = 16 << 20;
/// What a row costs beyond its text, roughly.
const ROW_BYTES: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PageKey {
    viewer: UserId,
    group: GroupId,
    first: u64,
    authors: Authors,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct FeedKey {
    viewer: UserId,
    first: u64,
    authors: Authors,
}

/// Reactions on one post or reply, as one caller sees them (which are theirs).
type ReactionKey = (UserId, ContentType, String);

pub struct PageMemo {
    /// Whether anything is kept at all (a keep time above zero).
    on: bool,
    /// This instance, as it signs the word it sends when it writes.
    instance: String,
    access: Memo<(UserId, GroupId), GroupAccess>,
    first_pages: Memo<PageKey, Page<ListedPost>>,
    feeds: Memo<FeedKey, Page<ListedPost>>,
    groups: Memo<GroupId, groups::Model>,
    reactions: Memo<ReactionKey, Vec<ReactionTally>>,
}

impl PageMemo {
    /// Keeps reads for `keep`; zero keeps none.
    pub fn new(keep: Duration) -> Self {
        PageMemo {
            on: !keep.is_zero(),
            instance: uuid::Uuid::new_v4().to_string(),
            access: Memo::new(keep, BUDGET),
            first_pages: Memo::new(keep, BUDGET),
            feeds: Memo::new(keep, BUDGET),
            groups: Memo::new(keep, BUDGET),
            reactions: Memo::new(keep, BUDGET),
        }
    }

    /// The reads kept here, served only to `serve`: a query's. A mutation and a live event
    /// render what was just written, while the memo may still hold what was read before it
    /// (it is emptied once the mutation has run), so they read afresh.
    pub fn serving(&self, serve: bool) -> Kept<'_> {
        Kept {
            memo: self,
            serve: serve && self.on,
        }
    }

    /// Forgets everything here, at once.
    pub fn forget_all(&self) {
        self.access.forget_all();
        self.first_pages.forget_all();
        self.feeds.forget_all();
        self.groups.forget_all();
        self.reactions.forget_all();
    }

    /// How many reads are kept (for tests and metrics).
    pub fn len(&self) -> usize {
        self.access.len()
            + self.first_pages.len()
            + self.feeds.len()
            + self.groups.len()
            + self.reactions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The memo as one operation may use it (`PageMemo::serving`).
pub struct Kept<'a> {
    memo: &'a PageMemo,
    serve: bool,
}

impl Kept<'_> {
    fn served<K: Eq + std::hash::Hash, V: Clone>(&self, memo: &Memo<K, V>, key: &K) -> Option<V> {
        if self.serve {
            memo.get(key)
        } else {
            None
        }
    }

    /// The value kept for `key`, or the one `read` gives, then kept (`bytes` of it). The ticket is
    /// taken before the read, so a read that began before a write is never kept after it.
    async fn through<K, V, Fut>(
        &self,
        memo: &Memo<K, V>,
        key: K,
        read: impl FnOnce() -> Fut,
        bytes: impl FnOnce(&V) -> usize,
    ) -> AppResult<V>
    where
        K: Eq + std::hash::Hash,
        V: Clone,
        Fut: std::future::Future<Output = AppResult<V>>,
    {
        if let Some(value) = self.served(memo, &key) {
            return Ok(value);
        }
        let ticket = memo.ticket();
        let value = read().await?;
        let size = bytes(&value);
        self.keep(memo, ticket, key, value.clone(), size);
        Ok(value)
    }

    /// Stores a value read under `ticket`, when the memo keeps anything.
    fn keep<K: Eq + std::hash::Hash, V: Clone>(
        &self,
        memo: &Memo<K, V>,
        ticket: Ticket,
        key: K,
        value: V,
        bytes: usize,
    ) {
        if self.memo.on {
            memo.put(ticket, key, value, bytes);
        }
    }

    /// The caller's access to a group, as [`group_access`] reads it. For reading only: a write
    /// checks access in its own transaction.
    pub async fn group_access(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
        group_id: &GroupId,
    ) -> AppResult<GroupAccess> {
        let key = (viewer.user_id.clone(), group_id.clone());
        let read = || group_access(db, viewer, group_id);
        let bytes = |access: &GroupAccess| group_bytes(&access.group);
        self.through(&self.memo.access, key, read, bytes).await
    }

    /// The first page of the caller's feed from the memo, or as [`feed`] reads it.
    pub async fn feed(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
        page: &PageArgs,
        authors: Authors,
    ) -> AppResult<Page<ListedPost>> {
        if page.after.is_some() {
            return feed(db, viewer, page, authors).await;
        }
        let key = FeedKey {
            viewer: viewer.user_id.clone(),
            first: page.first,
            authors,
        };
        let read = || feed(db, viewer, page, authors);
        self.through(&self.memo.feeds, key, read, page_bytes).await
    }

    /// A group's row, kept or read by `read` (the request's loader).
    pub async fn group_row<F, Fut>(&self, id: &GroupId, read: F) -> AppResult<Option<groups::Model>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<Option<groups::Model>>>,
    {
        if let Some(row) = self.served(&self.memo.groups, id) {
            return Ok(Some(row));
        }
        let ticket = self.memo.groups.ticket();
        let row = read().await?;
        if let Some(row) = &row {
            let bytes = group_bytes(row);
            self.keep(&self.memo.groups, ticket, id.clone(), row.clone(), bytes);
        }
        Ok(row)
    }

    /// The reactions on a post or reply as `viewer` sees them, kept or read by `read` (the
    /// request's loader).
    pub async fn reactions<F, Fut>(
        &self,
        viewer: &UserId,
        target: ContentType,
        id: &str,
        read: F,
    ) -> AppResult<Vec<ReactionTally>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<Vec<ReactionTally>>>,
    {
        let key = (viewer.clone(), target, id.to_owned());
        let bytes = |tallies: &Vec<ReactionTally>| ROW_BYTES + id.len() + tallies.len() * 32;
        self.through(&self.memo.reactions, key, read, bytes).await
    }

    /// A page of a group's posts, as [`group_posts`] reads it; the first page comes from the
    /// memo when it holds it.
    pub async fn group_posts(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
        access: &GroupAccess,
        page: &PageArgs,
        authors: Authors,
    ) -> AppResult<Page<ListedPost>> {
        if page.after.is_some() {
            return group_posts(db, viewer, access, page, authors).await;
        }
        access.require_readable()?;
        let key = PageKey {
            viewer: viewer.user_id.clone(),
            group: access.group.id.clone(),
            first: page.first,
            authors,
        };
        let read = || group_posts(db, viewer, access, page, authors);
        self.through(&self.memo.first_pages, key, read, page_bytes)
            .await
    }
}

fn group_bytes(group: &groups::Model) -> usize {
    ROW_BYTES + group.name.len() + group.description.len() + group.tags.len() + group.rules.len()
}

fn page_bytes(page: &Page<ListedPost>) -> usize {
    page.items.iter().map(listed_bytes).sum()
}

fn listed_bytes(listed: &ListedPost) -> usize {
    let post = &listed.post;
    ROW_BYTES
        + post.title.len()
        + post.body.len()
        + post.content_warning.as_ref().map_or(0, String::len)
        + post.removed_reason.as_ref().map_or(0, String::len)
        + listed.author.as_ref().map_or(0, |a| a.display_name.len())
}

/// Forgets the memo after a write: here at once, then on every instance.
#[derive(Clone)]
pub struct ForgetOnWrite {
    pub memo: Arc<PageMemo>,
    pub broker: Broker,
}

impl ForgetOnWrite {
    pub async fn forget(&self) {
        self.memo.forget_all();
        let by = self.memo.instance.clone();
        self.broker.publish(Event::ReadsChanged { by }).await;
    }
}

impl AfterWrites for ForgetOnWrite {
    fn written(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.forget())
    }
}

/// Forgets the memo whenever another instance says something was written, until `stop`; and
/// when some of what was said may have been missed. This instance's own word comes back through
/// Redis after it forgot: forgetting again would only drop pages read since.
pub fn follow(memo: Arc<PageMemo>, broker: &Broker, stop: CancellationToken) {
    // Subscribed before the task starts, so nothing said from now on is missed.
    let mut events = broker.subscribe(&Topic::Reads);
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                () = stop.cancelled() => return,
                event = events.recv() => event,
            };
            match event {
                Ok(envelope) => match &envelope.event {
                    Event::ReadsChanged { by } if *by == memo.instance => {}
                    _ => memo.forget_all(),
                },
                Err(RecvError::Lagged(_)) => memo.forget_all(),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

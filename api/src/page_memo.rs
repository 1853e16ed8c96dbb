//! What the group page and the feed read, kept per instance for a few seconds: the caller's
//! access to a group, the first page of a group's posts and of the feed as that caller sees
//! them, group rows, and reactions as the caller sees them. Phones reload these screens far more
//! often than anyone writes; a page read from the memo asks the database nothing.
//!
//! Freshness does not rest on finding every write that could change a page. Every document that
//! writes (any mutation, over HTTP or a socket) forgets the whole memo once it has run, here at
//! once and on every other instance through the broker; so does the account page's deletion.
//! What changes with no request behind it (a ban running out, the reply-count sweeper, an admin
//! made from the command line) shows once the memo's few seconds are over
//! (`HEARTH_PAGE_MEMO_SECS`).
//!
//! Among instances, a writer also says before it writes that it is writing (`Event::Writing`).
//! Until its word after the write comes, or [`OPEN_AT_MOST`] has passed, the others neither
//! serve nor keep reads: one that dies between its commit and its second word cannot leave them
//! holding a page read before the commit. Nor do they while they may have missed a word (their
//! subscription to Redis is down, or their queue of words overflowed).
//!
//! Only queries are served from the memo (`ContextExt::kept`): a mutation's own answer and a live
//! event are rendered right after a write, before the memo is emptied, so they read afresh.
//!
//! Whole answers are kept too, under the same rule: a query of the group page or the feed, as one
//! caller sent it, answered as it was sent (its bytes, compressed as that client accepts). Read
//! again, it is not resolved, serialised nor compressed (`http::kept_answers`).
use crate::auth::Viewer;
use crate::broker::{Broker, Event, Hearing, Topic};
use crate::content::ContentType;
use crate::content_coding::Coding;
use crate::document_guard::AroundWrites;
use crate::error::AppResult;
use crate::groups::access::{group_access, GroupAccess};
use crate::ids::{GroupId, UserId};
use crate::memo::{Memo, Ticket};
use crate::pagination::{Page, PageArgs};
use crate::posts::loaders::ReactionTally;
use crate::posts::service::{feed, group_posts, Authors, ListedPost};
use bytes::Bytes;
use entity::groups;
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// Most bytes of text the memo holds for each of its kinds of reads.
pub const BUDGET: usize = 16 << 20;
/// What a row costs beyond its text, roughly.
const ROW_BYTES: usize = 256;
/// Longest another instance's write is taken to be open without its second word: past this,
/// it died or its word was lost, and its transaction has ended either way.
pub const OPEN_AT_MOST: Duration = Duration::from_secs(30);
/// Most writes of other instances followed at once; past it, the memo waits [`OPEN_AT_MOST`].
const MOST_OPEN: usize = 10_000;

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

/// One query as one caller sent it: the request's bytes (a POST's body, a GET's query string),
/// and the form of the answer it asked for (media type, compression).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    pub viewer: UserId,
    pub request: Bytes,
    pub media: &'static str,
    pub coding: Coding,
}

/// A whole answer as it was sent.
#[derive(Clone, Debug)]
pub struct KeptAnswer {
    pub body: Bytes,
    pub coding: Coding,
    /// The operation's name, for metrics.
    pub operation: Option<String>,
}

pub struct PageMemo {
    /// Whether anything is kept at all (a keep time above zero).
    on: bool,
    /// This instance, as it signs the word it sends when it writes.
    instance: String,
    /// Numbers this instance's writes in its words.
    writes: AtomicU64,
    /// Whether this instance hears the others' words now.
    hearing: Hearing,
    /// The subscription last seen heard through; a new one means words may have been missed.
    heard: AtomicU64,
    /// Writes other instances began and have not said they ended.
    elsewhere: Mutex<Elsewhere>,
    access: Memo<(UserId, GroupId), GroupAccess>,
    first_pages: Memo<PageKey, Page<ListedPost>>,
    feeds: Memo<FeedKey, Page<ListedPost>>,
    groups: Memo<GroupId, groups::Model>,
    reactions: Memo<ReactionKey, Vec<ReactionTally>>,
    answers: Memo<AnswerKey, KeptAnswer>,
}

impl PageMemo {
    /// Keeps reads for `keep` (zero keeps none), while this instance hears the others.
    pub fn new(keep: Duration, hearing: Hearing) -> Self {
        PageMemo {
            on: !keep.is_zero(),
            instance: uuid::Uuid::new_v4().to_string(),
            writes: AtomicU64::new(0),
            hearing,
            heard: AtomicU64::new(0),
            elsewhere: Mutex::new(Elsewhere::default()),
            access: Memo::new(keep, BUDGET),
            first_pages: Memo::new(keep, BUDGET),
            feeds: Memo::new(keep, BUDGET),
            groups: Memo::new(keep, BUDGET),
            reactions: Memo::new(keep, BUDGET),
            answers: Memo::new(keep, BUDGET),
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

    /// Whether what is kept can be trusted now: this instance hears the others, and none of
    /// them is in the middle of a write. Hearing again after a lost subscription forgets
    /// everything, and waits out any write begun while this instance could not hear of it (as
    /// after missed words). The first subscription, at start, follows an empty memo.
    fn settled(&self) -> bool {
        let subscription = self.hearing.subscription();
        if subscription == 0 {
            return false;
        }
        if self.heard.load(Ordering::Acquire) != subscription {
            let before = self.heard.swap(subscription, Ordering::AcqRel);
            if before != subscription {
                if before == 0 {
                    self.forget_all();
                } else {
                    self.missed_words();
                }
            }
        }
        self.elsewhere().settled(Instant::now())
    }

    fn elsewhere(&self) -> std::sync::MutexGuard<'_, Elsewhere> {
        self.elsewhere
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Follows one word of another instance (or this one's own, which is ignored).
    fn heard(&self, event: &Event) {
        match event {
            Event::Writing { by, .. } | Event::ReadsChanged { by, .. } if *by == self.instance => {}
            Event::Writing { by, write } => {
                self.elsewhere().begun(by, *write, Instant::now());
                self.forget_all();
            }
            Event::ReadsChanged { by, write } => {
                if let Some(write) = write {
                    self.elsewhere().ended(by, *write);
                }
                self.forget_all();
            }
            _ => {}
        }
    }

    /// Some words were missed: whatever they began may still be open.
    fn missed_words(&self) {
        self.elsewhere().blind(Instant::now());
        self.forget_all();
    }

    /// Forgets everything here, at once.
    pub fn forget_all(&self) {
        self.access.forget_all();
        self.first_pages.forget_all();
        self.feeds.forget_all();
        self.groups.forget_all();
        self.reactions.forget_all();
        self.answers.forget_all();
    }

    /// How many reads are kept (for tests and metrics).
    pub fn len(&self) -> usize {
        self.access.len()
            + self.first_pages.len()
            + self.feeds.len()
            + self.groups.len()
            + self.reactions.len()
            + self.answers.len()
    }

    /// The answer kept for a query sent again, when the memo may be trusted now.
    pub fn answer(&self, key: &AnswerKey) -> Option<KeptAnswer> {
        (self.on && self.settled())
            .then(|| self.answers.get(key))
            .flatten()
    }

    /// Taken before a query whose answer may be kept ([`PageMemo::keep_answer`]); none while the
    /// memo keeps nothing or is not settled.
    pub fn answer_ticket(&self) -> Option<Ticket> {
        self.ticket(&self.answers)
    }

    /// Keeps an answer, unless something was written since `ticket` was taken.
    pub fn keep_answer(&self, ticket: Ticket, key: AnswerKey, answer: KeptAnswer) {
        // The request's bytes may be a slice of the connection's read buffer: the key keeps a
        // copy of its own, so that the budget counts what is held.
        let key = AnswerKey {
            request: bytes::Bytes::copy_from_slice(&key.request),
            ..key
        };
        let bytes = ROW_BYTES + key.request.len() + answer.body.len();
        self.answers.put(ticket, key, answer, bytes);
    }

    /// A ticket of `memo`, if what is read now may be kept. Taken before settlement is checked,
    /// so a write another instance begins after the check voids it (its word forgets all).
    fn ticket<K: Eq + std::hash::Hash, V: Clone>(&self, memo: &Memo<K, V>) -> Option<Ticket> {
        let ticket = memo.ticket();
        (self.on && self.settled()).then_some(ticket)
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
        if self.serve && self.memo.settled() {
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
        let ticket = self.ticket(memo);
        let value = read().await?;
        let size = bytes(&value);
        self.keep(memo, ticket, key, value.clone(), size);
        Ok(value)
    }

    /// Taken before a read that may be kept: none while the memo keeps nothing or is not
    /// settled. Taken before settlement is checked, so a write another instance begins after
    /// the check voids it (its word forgets everything).
    fn ticket<K: Eq + std::hash::Hash, V: Clone>(&self, memo: &Memo<K, V>) -> Option<Ticket> {
        let ticket = memo.ticket();
        (self.memo.on && self.memo.settled()).then_some(ticket)
    }

    /// Stores a value read under `ticket`, if it has one.
    fn keep<K: Eq + std::hash::Hash, V: Clone>(
        &self,
        memo: &Memo<K, V>,
        ticket: Option<Ticket>,
        key: K,
        value: V,
        bytes: usize,
    ) {
        if let Some(ticket) = ticket {
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
        let ticket = self.ticket(&self.memo.groups);
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

/// An empty page costs its key and slot too: otherwise pages of `first: 0` would never fill
/// the budget, and kept without end.
fn page_bytes(page: &Page<ListedPost>) -> usize {
    ROW_BYTES + page.items.iter().map(listed_bytes).sum::<usize>()
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

/// Writes of other instances this one has heard begin and not end.
#[derive(Default)]
struct Elsewhere {
    /// Each open write (instance, number) with the time it is taken to be over by.
    open: HashMap<(String, u64), Instant>,
    /// Until when words may have been missed.
    blind_until: Option<Instant>,
}

impl Elsewhere {
    fn begun(&mut self, by: &str, write: u64, now: Instant) {
        if self.open.len() >= MOST_OPEN {
            self.open.clear();
            self.blind(now);
        } else {
            self.open.insert((by.to_owned(), write), now + OPEN_AT_MOST);
        }
    }

    fn ended(&mut self, by: &str, write: u64) {
        self.open.remove(&(by.to_owned(), write));
    }

    fn blind(&mut self, now: Instant) {
        self.blind_until = Some(now + OPEN_AT_MOST);
    }

    /// Whether no write is open elsewhere, forgetting those past [`OPEN_AT_MOST`].
    fn settled(&mut self, now: Instant) -> bool {
        if self.blind_until.is_some_and(|until| now < until) {
            return false;
        }
        self.blind_until = None;
        if !self.open.is_empty() {
            self.open.retain(|_, over_by| now < *over_by);
        }
        self.open.is_empty()
    }
}

/// Tells every instance around each write: before it, that one is open; after it, to forget.
#[derive(Clone)]
pub struct ForgetOnWrite {
    pub memo: Arc<PageMemo>,
    pub broker: Broker,
}

impl ForgetOnWrite {
    /// Says a write is about to run; hand what it returns to [`ForgetOnWrite::written`].
    pub async fn writing(&self) -> u64 {
        let write = self.memo.writes.fetch_add(1, Ordering::Relaxed);
        let by = self.memo.instance.clone();
        self.broker.publish(Event::Writing { by, write }).await;
        write
    }

    /// Forgets here at once, then says so to every instance.
    pub async fn written(&self, write: u64) {
        self.memo.forget_all();
        let by = self.memo.instance.clone();
        let write = Some(write);
        self.broker.publish(Event::ReadsChanged { by, write }).await;
    }
}

impl AroundWrites for ForgetOnWrite {
    fn writing(&self) -> BoxFuture<'_, u64> {
        Box::pin(ForgetOnWrite::writing(self))
    }

    fn written(&self, write: u64) -> BoxFuture<'_, ()> {
        Box::pin(ForgetOnWrite::written(self, write))
    }

    /// Forgets here at once; the others are told from a task of its own.
    fn abandoned(&self, write: u64) {
        self.memo.forget_all();
        let this = self.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { this.written(write).await });
        }
    }
}

/// Follows what the other instances say of their writes (`PageMemo::heard`), until `stop`.
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
                Ok(envelope) => memo.heard(&envelope.event),
                Err(RecvError::Lagged(_)) => memo.missed_words(),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Reads the reactions on one post through the memo; how many times the database was asked.
    async fn read(memo: &PageMemo, asked: &AtomicUsize) {
        let viewer = UserId::from("viewer");
        let read = || async {
            asked.fetch_add(1, Ordering::Relaxed);
            Ok(Vec::new())
        };
        let kept = memo.serving(true);
        kept.reactions(&viewer, ContentType::Post, "post", read)
            .await
            .unwrap();
    }

    fn memo(hearing: Hearing) -> PageMemo {
        PageMemo::new(Duration::from_secs(60), hearing)
    }

    fn writing(by: &str, write: u64) -> Event {
        Event::Writing {
            by: by.to_owned(),
            write,
        }
    }

    fn written(by: &str, write: u64) -> Event {
        Event::ReadsChanged {
            by: by.to_owned(),
            write: Some(write),
        }
    }

    #[tokio::test]
    async fn a_write_open_elsewhere_is_neither_served_nor_kept_until_it_ends() {
        let memo = memo(Hearing::always());
        let asked = AtomicUsize::new(0);
        read(&memo, &asked).await;
        read(&memo, &asked).await;
        assert_eq!(asked.load(Ordering::Relaxed), 1, "kept while nobody writes");

        memo.heard(&writing("other", 7));
        read(&memo, &asked).await;
        read(&memo, &asked).await;
        assert_eq!(
            asked.load(Ordering::Relaxed),
            3,
            "read afresh while a write is open"
        );
        assert!(memo.is_empty());

        memo.heard(&written("other", 6));
        read(&memo, &asked).await;
        assert_eq!(
            asked.load(Ordering::Relaxed),
            4,
            "another write's end settles nothing"
        );

        memo.heard(&written("other", 7));
        read(&memo, &asked).await;
        read(&memo, &asked).await;
        assert_eq!(asked.load(Ordering::Relaxed), 5, "kept again once it ended");
    }

    #[tokio::test]
    async fn this_instances_own_words_change_nothing() {
        let memo = memo(Hearing::always());
        let asked = AtomicUsize::new(0);
        read(&memo, &asked).await;
        let me = memo.instance.clone();
        memo.heard(&writing(&me, 1));
        memo.heard(&written(&me, 1));
        read(&memo, &asked).await;
        assert_eq!(asked.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn nothing_is_kept_while_words_may_be_missed() {
        let hearing = Hearing::default();
        let memo = memo(hearing.clone());
        let asked = AtomicUsize::new(0);
        read(&memo, &asked).await;
        read(&memo, &asked).await;
        assert_eq!(asked.load(Ordering::Relaxed), 2, "not yet subscribed");

        hearing.set(1);
        read(&memo, &asked).await;
        read(&memo, &asked).await;
        assert_eq!(asked.load(Ordering::Relaxed), 3);

        hearing.set(0);
        read(&memo, &asked).await;
        assert_eq!(asked.load(Ordering::Relaxed), 4, "the subscription dropped");

        hearing.set(2);
        assert!(
            !memo.settled(),
            "subscribed again: a write may have begun unheard meanwhile"
        );
        assert!(
            memo.is_empty(),
            "subscribed again: what was kept is forgotten"
        );
        read(&memo, &asked).await;
        read(&memo, &asked).await;
        assert_eq!(asked.load(Ordering::Relaxed), 6, "nothing kept meanwhile");
    }

    #[tokio::test]
    async fn nothing_is_kept_after_words_were_missed() {
        let memo = memo(Hearing::always());
        let asked = AtomicUsize::new(0);
        read(&memo, &asked).await;
        memo.missed_words();
        read(&memo, &asked).await;
        read(&memo, &asked).await;
        assert_eq!(
            asked.load(Ordering::Relaxed),
            3,
            "words were dropped in this instance"
        );
    }

    #[test]
    fn empty_pages_fill_the_budget_too() {
        let empty = Page::<ListedPost> {
            items: Vec::new(),
            has_next: false,
        };
        assert!(
            BUDGET / page_bytes(&empty) <= 1 << 16,
            "at most 65 536 empty pages kept"
        );
    }

    #[test]
    fn a_write_whose_end_never_comes_is_over_after_a_while() {
        let now = Instant::now();
        let mut elsewhere = Elsewhere::default();
        elsewhere.begun("dead", 1, now);
        assert!(!elsewhere.settled(now + OPEN_AT_MOST / 2));
        assert!(elsewhere.settled(now + OPEN_AT_MOST));

        elsewhere.blind(now);
        assert!(!elsewhere.settled(now + OPEN_AT_MOST / 2));
        assert!(elsewhere.settled(now + OPEN_AT_MOST));
    }

    #[test]
    fn too_many_open_writes_are_waited_out_not_counted() {
        let now = Instant::now();
        let mut elsewhere = Elsewhere::default();
        for write in 0..=MOST_OPEN as u64 {
            elsewhere.begun("busy", write, now);
        }
        assert!(elsewhere.open.len() < MOST_OPEN);
        elsewhere.ended("busy", MOST_OPEN as u64);
        assert!(!elsewhere.settled(now));
        assert!(elsewhere.settled(now + OPEN_AT_MOST));
    }
}

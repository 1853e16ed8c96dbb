//! What the group page and the feed read, kept per instance: a group's first page of posts as
//! every member sees it (once per group), the caller's access to a group, the groups of their
//! feed, the people apart from them by a block, group rows, reaction counts (once for everyone)
//! and which reactions are the caller's, and whole answers. Phones reload these screens far more
//! often than anyone writes.
//!
//! Each kept read carries the versions of what it shows (`read_versions`): the group's (or only
//! its membership's, for access and the group's row), the caller's. They are noted before the
//! read, and what was read is served again only while they
//! are still the versions known, so freshness follows from the database: a write in one group
//! changes that group's version in its own transaction and leaves the rest kept. What changes
//! with the clock alone (a ban running out) shows once the memo's few seconds are over
//! (`HEARTH_PAGE_MEMO_SECS`).
//!
//! Per-person parts are applied on top of what is kept for everyone: a page whose posts include
//! someone apart from the caller by a block is read for them alone; the feed is merged from the
//! first pages of the caller's groups.
//!
//! Whole answers are kept too: a query of the group page or the feed, as one caller sent it,
//! answered as it was sent (its bytes, compressed as that client accepts), with every version
//! its fields noted ([`AnswerDeps`]). Read again, it is not resolved, serialised nor compressed
//! (`http::cached_answers`).
use crate::auth::Viewer;
use crate::community::access::{apart_from, group_access, GroupAccess};
use crate::content::{ContentType, ReactionKind};
use crate::content_coding::Coding;
use crate::error::AppResult;
use crate::ids::{GroupId, UserId};
use crate::memo::Memo;
use crate::pagination::{Page, PageArgs};
use crate::posts::reactions::ReactionTally;
use crate::posts::service::{
    feed, feed_groups, group_posts, group_posts_for_all, hides_from, Authors, ListedPost,
};
use crate::read_versions::{ReadVersions, Scope, Seen};
use bytes::Bytes;
use entity::groups;
use sea_orm::DatabaseConnection;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Most bytes of text the memo holds for each of its kinds of reads.
pub const BUDGET: usize = 16 << 20;
/// What a row costs beyond its text, roughly.
const ROW_BYTES: usize = 256;
/// Most groups a feed is merged from; the feed of someone in more is read in one statement.
const MOST_MERGED: usize = 20;

/// A group's first page as every member sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SharedKey {
    group: GroupId,
    first: u64,
    authors: Authors,
}

/// A first page read for one caller alone: it shows someone apart from them by a block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct OwnKey {
    viewer: UserId,
    /// The group's page, or (none) the feed.
    group: Option<GroupId>,
    first: u64,
    authors: Authors,
}

/// A post or reply, whose reactions are counted.
type TargetKey = (ContentType, String);

/// A post or reply as one caller sees it (which reactions are theirs).
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
pub struct CachedAnswer {
    pub body: Bytes,
    pub coding: Coding,
    /// The answer's entity tag, from its text before compression.
    pub etag: String,
    /// The operation's name, for metrics.
    pub operation: Option<String>,
}

/// The versions one request's answer read under, each at the oldest it was seen. Shared by the
/// request's fields and the code that keeps its answer.
#[derive(Clone, Default)]
pub struct AnswerDeps(Arc<Mutex<HashMap<Scope, i64>>>);

impl AnswerDeps {
    fn note(&self, seen: &[Seen]) {
        let mut deps = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for (scope, version) in seen {
            let noted = deps.entry(scope.clone()).or_insert(*version);
            *noted = (*noted).min(*version);
        }
    }

    fn seen(&self) -> Vec<Seen> {
        let deps = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        deps.iter().map(|(scope, v)| (scope.clone(), *v)).collect()
    }
}

type Deps = Vec<Seen>;

pub struct PageCache {
    /// Whether anything is kept at all (a keep time above zero).
    on: bool,
    versions: Arc<ReadVersions>,
    access: Memo<(UserId, GroupId), GroupAccess, Deps>,
    shared_pages: Memo<SharedKey, Page<ListedPost>, Deps>,
    own_pages: Memo<OwnKey, Page<ListedPost>, Deps>,
    feed_groups: Memo<UserId, Arc<Vec<GroupId>>, Deps>,
    apart: Memo<UserId, Arc<HashSet<UserId>>, Deps>,
    groups: Memo<GroupId, Option<groups::Model>, Deps>,
    reaction_counts: Memo<TargetKey, Arc<Vec<ReactionTally>>, Deps>,
    my_reactions: Memo<ReactionKey, Arc<Vec<ReactionKind>>, Deps>,
    answers: Memo<AnswerKey, CachedAnswer, Deps>,
}

impl PageCache {
    /// Keeps reads for `keep` (zero keeps none), while `versions` say they hold.
    pub fn new(keep: Duration, versions: Arc<ReadVersions>) -> Self {
        PageCache {
            on: !keep.is_zero(),
            versions,
            access: Memo::new(keep, BUDGET),
            shared_pages: Memo::new(keep, BUDGET),
            own_pages: Memo::new(keep, BUDGET),
            feed_groups: Memo::new(keep, BUDGET),
            apart: Memo::new(keep, BUDGET),
            groups: Memo::new(keep, BUDGET),
            reaction_counts: Memo::new(keep, BUDGET),
            my_reactions: Memo::new(keep, BUDGET),
            answers: Memo::new(keep, BUDGET),
        }
    }

    /// The reads kept here, served only to `serve` (a query's: a mutation renders what it just
    /// wrote, before this instance has checked the versions again). What is read is noted in
    /// `answer` when the request's answer may be kept whole.
    pub fn serving<'a>(&'a self, serve: bool, answer: Option<&'a AnswerDeps>) -> CachedReads<'a> {
        CachedReads {
            memo: self,
            serve: serve && self.on,
            answer,
        }
    }

    /// The answer kept for a query sent again, while every version it read under holds.
    pub fn answer(&self, key: &AnswerKey) -> Option<CachedAnswer> {
        if !self.on {
            return None;
        }
        self.answers.get(key, |deps| self.versions.current(deps))
    }

    /// Begun before a query whose answer may be kept: the caller's own version is noted first
    /// (their blocks, memberships and profile show everywhere in it). None while nothing is
    /// kept, or when the version cannot be read.
    pub async fn answer_deps(&self, viewer: &UserId) -> Option<AnswerDeps> {
        if !self.on {
            return None;
        }
        let seen = self
            .versions
            .seen(&[Scope::Person(viewer.clone())])
            .await
            .ok()?;
        let deps = AnswerDeps::default();
        deps.note(&seen);
        Some(deps)
    }

    /// Keeps an answer read under `deps` from `began` on.
    pub fn keep_answer(
        &self,
        key: AnswerKey,
        answer: CachedAnswer,
        deps: AnswerDeps,
        began: Instant,
    ) {
        // The request's bytes may be a slice of the connection's read buffer: the key keeps a
        // copy of its own, so that the budget counts what is held.
        let key = AnswerKey {
            request: Bytes::copy_from_slice(&key.request),
            ..key
        };
        let bytes = ROW_BYTES + key.request.len() + answer.body.len();
        self.answers.put(key, answer, deps.seen(), began, bytes);
    }
}

/// The memo as one operation may use it (`PageCache::serving`).
pub struct CachedReads<'a> {
    memo: &'a PageCache,
    serve: bool,
    answer: Option<&'a AnswerDeps>,
}

impl CachedReads<'_> {
    /// The value kept for `key` while the versions of `scopes` are those it was read under,
    /// or the one `read` gives, then kept. The versions are noted before the read, so what was
    /// read before a write is never kept as read after it.
    async fn through<K, V, Fut>(
        &self,
        memo: &Memo<K, V, Deps>,
        key: K,
        scopes: &[Scope],
        read: impl FnOnce() -> Fut,
        bytes: impl FnOnce(&V) -> usize,
    ) -> AppResult<V>
    where
        K: Eq + std::hash::Hash,
        V: Clone,
        Fut: std::future::Future<Output = AppResult<V>>,
    {
        if !self.memo.on {
            return read().await;
        }
        let began = Instant::now();
        let seen = self.seen(scopes).await?;
        if self.serve {
            if let Some(value) = memo.get(&key, |deps| *deps == seen) {
                return Ok(value);
            }
        }
        let value = read().await?;
        let size = bytes(&value);
        memo.put(key, value.clone(), seen, began, size);
        Ok(value)
    }

    /// The versions of `scopes` now, noted for the answer when it may be kept whole.
    async fn seen(&self, scopes: &[Scope]) -> AppResult<Vec<Seen>> {
        let seen = self.memo.versions.seen(scopes).await?;
        if let Some(answer) = self.answer {
            answer.note(&seen);
        }
        Ok(seen)
    }

    /// The caller's access to a group, as [`group_access`] reads it, kept while the group's
    /// membership and the caller's own version hold. For reading only: a write checks access in
    /// its own transaction.
    pub async fn group_access(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
        group_id: &GroupId,
    ) -> AppResult<GroupAccess> {
        let key = (viewer.user_id.clone(), group_id.clone());
        let scopes = [
            Scope::Membership(group_id.clone()),
            Scope::Person(viewer.user_id.clone()),
        ];
        let read = || group_access(db, viewer, group_id);
        let bytes = |access: &GroupAccess| group_bytes(&access.group);
        self.group_shown(group_id).await?;
        self.through(&self.memo.access, key, &scopes, read, bytes)
            .await
    }

    /// A group shows in an answer that may be kept whole: any of its fields may be asked for
    /// (its members, join requests, mod log…), so the answer depends on everything shown in
    /// the group, which is the group's version. Every group object is reached through
    /// [`Self::group_access`] or [`Self::group_row`], which note it.
    async fn group_shown(&self, group_id: &GroupId) -> AppResult<()> {
        if self.answer.is_some() {
            self.seen(&[Scope::Group(group_id.clone())]).await?;
        }
        Ok(())
    }

    /// A group's row, kept or read by `read` (the request's loader) while its membership's
    /// version holds (the row changes it too).
    pub async fn group_row<F, Fut>(&self, id: &GroupId, read: F) -> AppResult<Option<groups::Model>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<Option<groups::Model>>>,
    {
        let scopes = [Scope::Membership(id.clone())];
        let bytes = |row: &Option<groups::Model>| row.as_ref().map_or(ROW_BYTES, group_bytes);
        self.group_shown(id).await?;
        self.through(&self.memo.groups, id.clone(), &scopes, read, bytes)
            .await
    }

    /// The reactions on a post or reply of `group` as `viewer` sees them, kept or read by
    /// `read` (the request's loader): their counts kept once for everyone while the group's
    /// version holds, which of them are the viewer's while theirs does.
    pub async fn reactions<F, Fut>(
        &self,
        viewer: &UserId,
        target: ContentType,
        id: &str,
        group: &GroupId,
        read: F,
    ) -> AppResult<Vec<ReactionTally>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<Vec<ReactionTally>>>,
    {
        if !self.memo.on {
            return read().await;
        }
        let began = Instant::now();
        let scopes = [Scope::Group(group.clone()), Scope::Person(viewer.clone())];
        let mut seen = self.seen(&scopes).await?;
        let person_seen = seen.split_off(1);
        let group_seen = seen;
        let counts_key = (target, id.to_owned());
        let mine_key = (viewer.clone(), target, id.to_owned());
        let memo = self.memo;
        if self.serve {
            let counts = memo.reaction_counts.get(&counts_key, |d| *d == group_seen);
            let mine = memo.my_reactions.get(&mine_key, |d| *d == person_seen);
            if let (Some(counts), Some(mine)) = (counts, mine) {
                let mark = |t: &ReactionTally| ReactionTally {
                    mine: mine.contains(&t.kind),
                    ..*t
                };
                return Ok(counts.iter().map(mark).collect());
            }
        }
        let tallies = read().await?;
        let counts: Vec<ReactionTally> = tallies
            .iter()
            .map(|t| ReactionTally { mine: false, ..*t })
            .collect();
        let mine: Vec<ReactionKind> = tallies.iter().filter(|t| t.mine).map(|t| t.kind).collect();
        let bytes = ROW_BYTES + id.len() + tallies.len() * 32;
        memo.reaction_counts
            .put(counts_key, Arc::new(counts), group_seen, began, bytes);
        memo.my_reactions
            .put(mine_key, Arc::new(mine), person_seen, began, bytes);
        Ok(tallies)
    }

    /// A page of a group's posts, as [`group_posts`] reads it; the first page is the one kept
    /// for every member, unless it shows someone apart from the caller by a block.
    pub async fn group_posts(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
        access: &GroupAccess,
        page: &PageArgs,
        authors: Authors,
    ) -> AppResult<Page<ListedPost>> {
        if page.after.is_some() || !self.memo.on {
            return group_posts(db, viewer, access, page, authors).await;
        }
        access.require_readable()?;
        let shared = self
            .shared_page(db, &access.group.id, page, authors)
            .await?;
        let apart = self.apart(db, viewer).await?;
        if !shared.items.iter().any(|l| hides_from(&l.post, &apart)) {
            return Ok(shared);
        }
        let group = &access.group.id;
        let key = OwnKey {
            viewer: viewer.user_id.clone(),
            group: Some(group.clone()),
            first: page.first,
            authors,
        };
        let scopes = [
            Scope::Group(group.clone()),
            Scope::Person(viewer.user_id.clone()),
        ];
        let read = || group_posts(db, viewer, access, page, authors);
        self.through(&self.memo.own_pages, key, &scopes, read, page_bytes)
            .await
    }

    /// The first page of the caller's feed, merged from the first pages of their groups as kept
    /// for everyone; or as [`feed`] reads it.
    pub async fn feed(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
        page: &PageArgs,
        authors: Authors,
    ) -> AppResult<Page<ListedPost>> {
        if page.after.is_some() || !self.memo.on {
            return feed(db, viewer, page, authors).await;
        }
        let person = [Scope::Person(viewer.user_id.clone())];
        let read = || async { Ok(Arc::new(feed_groups(db, viewer).await?)) };
        let bytes = |groups: &Arc<Vec<GroupId>>| ROW_BYTES + groups.len() * 48;
        let key = viewer.user_id.clone();
        let groups = self
            .through(&self.memo.feed_groups, key, &person, read, bytes)
            .await?;
        if groups.len() <= MOST_MERGED {
            let pages = futures::future::try_join_all(
                groups
                    .iter()
                    .map(|group| self.shared_page(db, group, page, authors)),
            )
            .await?;
            let merged = merge_newest(pages, page.first);
            let apart = self.apart(db, viewer).await?;
            if !merged.items.iter().any(|l| hides_from(&l.post, &apart)) {
                return Ok(merged);
            }
        }
        let key = OwnKey {
            viewer: viewer.user_id.clone(),
            group: None,
            first: page.first,
            authors,
        };
        let mut scopes = vec![Scope::Person(viewer.user_id.clone())];
        scopes.extend(groups.iter().cloned().map(Scope::Group));
        let read = || feed(db, viewer, page, authors);
        self.through(&self.memo.own_pages, key, &scopes, read, page_bytes)
            .await
    }

    /// A group's first page as every member sees it, before blocks.
    async fn shared_page(
        &self,
        db: &DatabaseConnection,
        group: &GroupId,
        page: &PageArgs,
        authors: Authors,
    ) -> AppResult<Page<ListedPost>> {
        let key = SharedKey {
            group: group.clone(),
            first: page.first,
            authors,
        };
        let scopes = [Scope::Group(group.clone())];
        let read = || group_posts_for_all(db, group, page, authors);
        self.through(&self.memo.shared_pages, key, &scopes, read, page_bytes)
            .await
    }

    /// The people apart from the caller by a block, either way round.
    async fn apart(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
    ) -> AppResult<Arc<HashSet<UserId>>> {
        let scopes = [Scope::Person(viewer.user_id.clone())];
        let read = || async { Ok(Arc::new(apart_from(db, &viewer.user_id).await?)) };
        let bytes = |apart: &Arc<HashSet<UserId>>| ROW_BYTES + apart.len() * 48;
        let key = viewer.user_id.clone();
        self.through(&self.memo.apart, key, &scopes, read, bytes)
            .await
    }
}

/// The newest `first` posts of several pages, newest first as each page is (by latest
/// activity, then id), and whether more follow: the feed's first page, from the first pages of
/// its groups.
fn merge_newest(pages: Vec<Page<ListedPost>>, first: u64) -> Page<ListedPost> {
    let mut has_next = pages.iter().any(|p| p.has_next);
    let mut items: Vec<ListedPost> = pages.into_iter().flat_map(|p| p.items).collect();
    items.sort_by(|a, b| {
        (b.post.last_activity_at, &b.post.id).cmp(&(a.post.last_activity_at, &a.post.id))
    });
    let first = usize::try_from(first).unwrap_or(usize::MAX);
    if items.len() > first {
        items.truncate(first);
        has_next = true;
    }
    Page { items, has_next }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

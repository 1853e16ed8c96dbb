//! Post, reply and reaction services. Lists leave out people blocked either way.
use super::crisis;
use super::reply_counts::ReplyCounts;
use crate::auth::Viewer;
use crate::broker::{Announcements, Committed, Event};
use crate::clock::now;
use crate::config::PostingLimits;
use crate::content::{idempotency_key, is_listed_post, ContentType, ReactionKind};
use crate::db::{begin_write, count_change, find_keyed, insert_keyed, Keyed};
use crate::error::{text_between, AppError, AppResult};
use crate::groups::access::{
    found_with_block, group_access, in_readable_group, not_blocked_with, GroupAccess,
};
use crate::groups::types::{MemberState, PersonInGroup, Role, Standing};
use crate::ids::{GroupId, PostId, ReplyId, UserId};
use crate::notifications::service::{self as notifications, About};
use crate::pagination::{keyset_page, keyset_query, Order, Page, PageArgs, RankArgs};
use crate::rate_limit::RateLimiter;
use crate::search::{Indexed, Mode, Search};
use entity::{groups, memberships, posts, reactions, replies, thread_follows, users};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult as _, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    TryInsertResult,
};

pub struct NewPost {
    pub group_id: GroupId,
    /// Shown as "Anonymous member" to everyone else.
    pub anonymous: bool,
    pub title: String,
    pub body: String,
    pub content_warning: Option<String>,
    pub idempotency_key: Option<String>,
}

pub struct NewReply {
    pub post_id: PostId,
    pub body: String,
    pub parent_reply_id: Option<ReplyId>,
    pub idempotency_key: Option<String>,
    /// As the post's anonymous author (`None`: so when the replier is one).
    pub anonymous: Option<bool>,
}

fn content_warning(raw: Option<&str>) -> AppResult<Option<String>> {
    Ok(raw
        .map(|w| text_between("contentWarning", w, 0, 200))
        .transpose()?
        .filter(|w| !w.is_empty()))
}

/// Posts not written by someone blocked either way with the viewer, unless anonymous.
fn not_blocked_unless_anonymous(viewer_id: &UserId) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(posts::Column::Anonymous.eq(true))
        .add(not_blocked_with(posts::Column::AuthorId, viewer_id))
}

/// A post the caller may see, with their standing in its group; otherwise `NOT_FOUND`.
pub async fn visible_post(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    post_id: &PostId,
) -> AppResult<(posts::Model, GroupAccess)> {
    let (post, blocked) = found_with_block(
        db,
        posts::Entity::find_by_id(post_id.to_owned()),
        posts::Column::AuthorId,
        viewer,
    )
    .await?;
    let access = group_access(db, viewer, &post.group_id).await?;
    // An anonymous post names nobody, so a block hides it from nobody (hiding it would tell).
    if !access.can_read_content() || (!post.anonymous && blocked) {
        return Err(AppError::NotFound);
    }
    Ok((post, access))
}

pub async fn create_post(
    db: &DatabaseConnection,
    limiter: &RateLimiter,
    limits: PostingLimits,
    viewer: &Viewer,
    input: NewPost,
) -> AppResult<Committed<posts::Model>> {
    let title = crate::text::title_between("title", &input.title, 1, 200)?;
    let body = text_between("body", &input.body, 1, 20_000)?;
    let warning = content_warning(input.content_warning.as_deref())?;
    let key = idempotency_key(input.idempotency_key.as_deref())?;
    // The checks read in the transaction that writes, as a reply's do.
    let txn = begin_write(db).await?;
    if let Some(existing) = earlier_post(&txn, viewer, key.as_deref()).await? {
        return Ok(Committed::quiet(existing));
    }
    let access = group_access(&txn, viewer, &input.group_id).await?;
    access.require_participant()?;
    limiter
        .hourly("posts", &viewer.user_id, limits.posts_per_hour)
        .await?;

    let at = now();
    let row = posts::ActiveModel {
        content_warning: Set(warning),
        idempotency_key: Set(key.clone()),
        anonymous: Set(input.anonymous),
        ..posts::ActiveModel::fresh(posts::NewRow {
            id: PostId::generate(),
            group_id: input.group_id.clone(),
            author_id: viewer.user_id.clone(),
            title,
            body,
            at,
        })
    };
    let (post, txn) =
        match insert_keyed(txn, row, || earlier_post(db, viewer, key.as_deref())).await? {
            Keyed::Fresh(post, txn) => (post, txn),
            Keyed::Earlier(post) => return Ok(Committed::quiet(post)),
        };
    count_change::<groups::Entity>(groups::Column::PostCount, 1)
        .filter(groups::Column::Id.eq(input.group_id.as_str()))
        .exec(&txn)
        .await?;
    let mut notified = notifications::notify_new_post(&txn, &post).await?;
    notified.extend(crisis::flag_crisis_in_post(&txn, &post, None).await?);
    txn.commit().await?;
    let mut announce = Announcements::default();
    announce.event(Event::PostAdded {
        group_id: post.group_id.clone(),
        post_id: post.id.clone(),
    });
    announce.extend(notified.into());
    Ok(Committed::new(post, announce))
}

async fn earlier_post(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    key: Option<&str>,
) -> AppResult<Option<posts::Model>> {
    let columns = (posts::Column::AuthorId, posts::Column::IdempotencyKey);
    find_keyed::<posts::Entity>(db, columns, &viewer.user_id, key).await
}

/// The author edits their own visible post.
pub async fn edit_post(
    db: &DatabaseConnection,
    viewer: &Viewer,
    post_id: &PostId,
    title: Option<&str>,
    body: Option<&str>,
    warning: Option<Option<&str>>,
) -> AppResult<Committed<posts::Model>> {
    let txn = begin_write(db).await?;
    let (post, access) = visible_post(&txn, viewer, post_id).await?;
    // Someone banned keeps their words deletable, not editable.
    if post.author_id != viewer.user_id || access.banned {
        return Err(AppError::Forbidden);
    }
    if !is_listed_post(&post) {
        return Err(AppError::NotFound);
    }
    let before = post.clone();
    let mut active: posts::ActiveModel = post.into();
    if let Some(title) = title {
        active.title = Set(crate::text::title_between("title", title, 1, 200)?);
    }
    if let Some(body) = body {
        active.body = Set(text_between("body", body, 1, 20_000)?);
    }
    if let Some(warning) = warning {
        active.content_warning = Set(content_warning(warning)?);
    }
    active.edited_at = Set(Some(now()));
    let post = active.update(&txn).await?;
    let notified = crisis::flag_crisis_in_post(&txn, &post, Some(&before)).await?;
    txn.commit().await?;
    Ok(Committed::new(post, notified.into()))
}

/// The author deletes their post: it shows as deleted, and counts drop.
pub async fn delete_post(
    db: &DatabaseConnection,
    viewer: &Viewer,
    post_id: &PostId,
) -> AppResult<posts::Model> {
    let txn = begin_write(db).await?;
    let (post, _) = visible_post(&txn, viewer, post_id).await?;
    if post.author_id != viewer.user_id {
        return Err(AppError::Forbidden);
    }
    if post.deleted_at.is_some() {
        return Ok(post);
    }
    let was_listed = is_listed_post(&post);
    let group_id = post.group_id.clone();
    let mut active: posts::ActiveModel = post.into();
    active.deleted_at = Set(Some(now()));
    let post = active.update(&txn).await?;
    if was_listed {
        count_change::<groups::Entity>(groups::Column::PostCount, -1)
            .filter(groups::Column::Id.eq(group_id.as_str()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(post)
}

/// Posts of one group by latest activity (deleted and removed ones left out).
pub async fn group_posts(
    db: &DatabaseConnection,
    viewer: &Viewer,
    access: &GroupAccess,
    page: &PageArgs,
    authors: Authors,
) -> AppResult<Page<ListedPost>> {
    access.require_readable()?;
    let query = listed_in(&access.group.id).filter(not_blocked_unless_anonymous(&viewer.user_id));
    by_activity(db, query, page, authors).await
}

/// A page of a group's posts as every member sees it, before anyone's blocks leave some out
/// ([`hides_from`]): what the page cache keeps once per group. For reading only, after access
/// was checked.
pub async fn group_posts_for_all(
    db: &DatabaseConnection,
    group_id: &GroupId,
    page: &PageArgs,
    authors: Authors,
) -> AppResult<Page<ListedPost>> {
    by_activity(db, listed_in(group_id), page, authors).await
}

fn listed_in(group_id: &GroupId) -> sea_orm::Select<posts::Entity> {
    posts::Entity::find()
        .filter(posts::Column::GroupId.eq(group_id.as_str()))
        .filter(posts::Column::DeletedAt.is_null())
        .filter(posts::Column::RemovedAt.is_null())
}

/// Whether a listed post is hidden from someone apart by a block from `apart` (the people they
/// blocked or who blocked them), as every list hides it: an anonymous post names nobody, so it
/// is hidden from nobody.
pub fn hides_from(post: &posts::Model, apart: &std::collections::HashSet<UserId>) -> bool {
    !post.anonymous && apart.contains(&post.author_id)
}

/// The groups whose posts make up the caller's feed: those they are an active member of.
pub async fn feed_groups(db: &DatabaseConnection, viewer: &Viewer) -> AppResult<Vec<GroupId>> {
    Ok(memberships::Entity::find()
        .select_only()
        .column(memberships::Column::GroupId)
        .filter(memberships::Column::UserId.eq(&viewer.user_id))
        .filter(memberships::Column::State.eq(MemberState::Active))
        .into_tuple()
        .all(db)
        .await?)
}

/// Whether a list of posts also reads each author as the group shows them. A page that shows
/// authors would otherwise ask for them in a statement of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Authors {
    Leave,
    Join,
}

/// A post of a list, with its author as the group shows them when the list read authors
/// (`None` for an anonymous post: it names nobody).
#[derive(Clone)]
pub struct ListedPost {
    pub post: posts::Model,
    pub author: Option<PersonInGroup>,
}

const AUTHOR_NAME: &str = "author_display_name";
const AUTHOR_ALIAS: &str = "author_alias";
const AUTHOR_ROLE: &str = "author_role";

/// One page of `query` by latest activity, with the authors in the same statement when asked.
async fn by_activity(
    db: &DatabaseConnection,
    query: sea_orm::Select<posts::Entity>,
    page: &PageArgs,
    authors: Authors,
) -> AppResult<Page<ListedPost>> {
    let mut query = keyset_query(
        query,
        posts::Column::LastActivityAt,
        posts::Column::Id,
        Order::NewestFirst,
        page,
    );
    // The limit is written into the statement rather than bound. Bound, PostgreSQL planned the
    // page anew at every call (the plan's cost depends on it), and planning took four times as
    // long as running it; written, one plan serves every group and caller.
    QueryTrait::query(&mut query).reset_limit();
    let limited = |query: &sea_orm::Select<posts::Entity>| {
        let mut statement = query.build(db.get_database_backend());
        statement.sql.push_str(&format!(" LIMIT {}", page.limit()));
        statement
    };
    if authors == Authors::Leave {
        let rows = db.query_all_raw(limited(&query)).await?;
        let listed = rows
            .iter()
            .map(|row| {
                let post = posts::Model::from_query_result(row, "")?;
                Ok(ListedPost { post, author: None })
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
        return Ok(Page::from_rows(listed, page));
    }
    // The author's name, and their alias and role while an active member of the post's group.
    let standing = Condition::all()
        .add(
            Expr::col((memberships::Entity, memberships::Column::GroupId))
                .equals((posts::Entity, posts::Column::GroupId)),
        )
        .add(
            Expr::col((memberships::Entity, memberships::Column::UserId))
                .equals((posts::Entity, posts::Column::AuthorId)),
        )
        .add(Expr::col((memberships::Entity, memberships::Column::State)).eq(MemberState::Active));
    QueryTrait::query(&mut query)
        .left_join(
            users::Entity,
            Expr::col((users::Entity, users::Column::Id))
                .equals((posts::Entity, posts::Column::AuthorId)),
        )
        .left_join(memberships::Entity, standing)
        .expr_as(
            Expr::col((users::Entity, users::Column::DisplayName)),
            AUTHOR_NAME,
        )
        .expr_as(
            Expr::col((memberships::Entity, memberships::Column::Alias)),
            AUTHOR_ALIAS,
        )
        .expr_as(
            Expr::col((memberships::Entity, memberships::Column::Role)),
            AUTHOR_ROLE,
        );
    let rows = db.query_all_raw(limited(&query)).await?;
    let listed = rows
        .iter()
        .map(|row| {
            let post = posts::Model::from_query_result(row, "")?;
            let author = if post.anonymous {
                None
            } else {
                author_in_row(row, &post)?
            };
            Ok(ListedPost { post, author })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    Ok(Page::from_rows(listed, page))
}

/// The author joined to a post's row; `None` when the account is gone.
fn author_in_row(
    row: &sea_orm::QueryResult,
    post: &posts::Model,
) -> Result<Option<PersonInGroup>, sea_orm::DbErr> {
    let Some(display_name) = row.try_get::<Option<String>>("", AUTHOR_NAME)? else {
        return Ok(None);
    };
    let standing = match row.try_get::<Option<Role>>("", AUTHOR_ROLE)? {
        Some(role) => Some(Standing {
            alias: row.try_get("", AUTHOR_ALIAS)?,
            role,
        }),
        None => None,
    };
    Ok(Some(PersonInGroup {
        id: post.author_id.clone(),
        display_name,
        standing,
    }))
}

/// The most pinned posts a group lists (the query cost counts on it).
pub const MAX_PINNED_SHOWN: u64 = 20;

pub async fn pinned_posts(
    db: &DatabaseConnection,
    viewer: &Viewer,
    access: &GroupAccess,
) -> AppResult<Vec<posts::Model>> {
    access.require_readable()?;
    Ok(posts::Entity::find()
        .filter(posts::Column::GroupId.eq(access.group.id.as_str()))
        .filter(posts::Column::Pinned.eq(true))
        .filter(posts::Column::DeletedAt.is_null())
        .filter(posts::Column::RemovedAt.is_null())
        .filter(not_blocked_unless_anonymous(&viewer.user_id))
        .order_by_desc(posts::Column::CreatedAt)
        .limit(MAX_PINNED_SHOWN)
        .all(db)
        .await?)
}

/// Posts of all my groups by latest activity: keyset paginated, so pages stay stable while new
/// posts arrive at the top.
pub async fn feed(
    db: &DatabaseConnection,
    viewer: &Viewer,
    page: &PageArgs,
    authors: Authors,
) -> AppResult<Page<ListedPost>> {
    let my_groups = Query::select()
        .column(memberships::Column::GroupId)
        .from(memberships::Entity)
        .and_where(Expr::col(memberships::Column::UserId).eq(viewer.user_id.as_str()))
        .and_where(Expr::col(memberships::Column::State).eq(MemberState::Active))
        .to_owned();
    let query = posts::Entity::find()
        .filter(posts::Column::GroupId.in_subquery(my_groups))
        .filter(posts::Column::DeletedAt.is_null())
        .filter(posts::Column::RemovedAt.is_null())
        .filter(not_blocked_unless_anonymous(&viewer.user_id));
    by_activity(db, query, page, authors).await
}

/// Listed posts the caller may read whose title or body holds every word of `query`, best
/// match first; within one group when `group_id` is given. People blocked either way are left
/// out, as in every list.
pub async fn search(
    db: &DatabaseConnection,
    viewer: &Viewer,
    query: &str,
    group_id: Option<&GroupId>,
    page: &RankArgs,
) -> AppResult<Page<posts::Model>> {
    let Some(search) = Search::parse("query", query, Mode::AllWords)? else {
        return Ok(page.page(Vec::new()));
    };
    let mut select = posts::Entity::find()
        .filter(posts::Column::DeletedAt.is_null())
        .filter(posts::Column::RemovedAt.is_null())
        .filter(not_blocked_unless_anonymous(&viewer.user_id));
    select = match group_id {
        Some(group_id) => {
            group_access(db, viewer, group_id)
                .await?
                .require_readable()?;
            select.filter(posts::Column::GroupId.eq(group_id))
        }
        None => select.filter(in_readable_group(
            (posts::Entity, posts::Column::GroupId),
            &viewer.user_id,
        )),
    };
    let backend = db.get_database_backend();
    let rows = select
        .filter(search.matches(backend, Indexed::Posts))
        .order_by(search.rank(backend, Indexed::Posts), sea_orm::Order::Desc)
        .order_by_desc(posts::Column::CreatedAt)
        .offset(page.offset)
        .limit(page.limit())
        .all(db)
        .await?;
    Ok(page.page(rows))
}

pub async fn create_reply(
    db: &DatabaseConnection,
    counts: &ReplyCounts,
    limiter: &RateLimiter,
    limits: PostingLimits,
    viewer: &Viewer,
    input: NewReply,
) -> AppResult<Committed<replies::Model>> {
    let body = text_between("body", &input.body, 1, 10_000)?;
    let key = idempotency_key(input.idempotency_key.as_deref())?;
    // The checks read in the transaction that writes: one connection for the whole reply, not one
    // taken from the pool (and pinged on its way back) per check.
    let txn = begin_write(db).await?;
    if let Some(existing) = earlier_reply(&txn, viewer, key.as_deref()).await? {
        return Ok(Committed::quiet(existing));
    }
    let (post, access) = visible_post(&txn, viewer, &input.post_id).await?;
    access.require_participant()?;
    if !is_listed_post(&post) {
        return Err(AppError::NotFound);
    }
    if post.locked {
        return Err(AppError::Forbidden);
    }
    let anonymous = crate::content::anonymous_in_thread(
        post.anonymous,
        post.author_id == viewer.user_id,
        input.anonymous,
    )?;
    if let Some(parent_id) = &input.parent_reply_id {
        let parent = replies::Entity::find_by_id(parent_id.clone())
            .one(&txn)
            .await?;
        let top_level_of_post =
            parent.is_some_and(|p| p.post_id == post.id && p.parent_reply_id.is_none());
        if !top_level_of_post {
            return Err(AppError::bad_input(
                "parentReplyId",
                "must be a top-level reply of the same post",
            ));
        }
    }
    limiter
        .hourly("replies", &viewer.user_id, limits.replies_per_hour)
        .await?;

    let at = now();
    let row = replies::ActiveModel {
        parent_reply_id: Set(input.parent_reply_id.clone()),
        idempotency_key: Set(key.clone()),
        anonymous: Set(anonymous),
        ..replies::ActiveModel::fresh(replies::NewRow {
            id: ReplyId::generate(),
            post_id: post.id.clone(),
            group_id: post.group_id.clone(),
            author_id: viewer.user_id.clone(),
            body,
            at,
        })
    };
    let (reply, txn) =
        match insert_keyed(txn, row, || earlier_reply(db, viewer, key.as_deref())).await? {
            Keyed::Fresh(reply, txn) => (reply, txn),
            Keyed::Earlier(reply) => return Ok(Committed::quiet(reply)),
        };
    let mut notified = notifications::notify_reply(&txn, &post, &reply).await?;
    notified.extend(crisis::flag_crisis_in_reply(&txn, &reply, None).await?);
    // Last before the commit, with the replier following the thread (notify_reply leaves the
    // replier out either way). SQLite updates the post here; PostgreSQL writes a row of
    // `uncounted_replies`, folded into the post after the commit, so that replies to one busy
    // thread do not queue for the post's row.
    let counted = ReplyCounts::record(&txn, &post.id, &reply.id, &viewer.user_id, at).await?;
    txn.commit().await?;
    counts.settle(db, counted).await;
    let mut announce = Announcements::default();
    announce.event(Event::ReplyAdded {
        group_id: reply.group_id.clone(),
        post_id: reply.post_id.clone(),
        reply_id: reply.id.clone(),
    });
    announce.extend(notified.into());
    Ok(Committed::new(reply, announce))
}

async fn earlier_reply(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    key: Option<&str>,
) -> AppResult<Option<replies::Model>> {
    let columns = (replies::Column::AuthorId, replies::Column::IdempotencyKey);
    find_keyed::<replies::Entity>(db, columns, &viewer.user_id, key).await
}

/// A reply the caller may see (its post visible, its author not blocked either way).
pub async fn visible_reply(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    reply_id: &ReplyId,
) -> AppResult<(replies::Model, posts::Model, GroupAccess)> {
    let (reply, blocked) = found_with_block(
        db,
        replies::Entity::find_by_id(reply_id.to_owned()),
        replies::Column::AuthorId,
        viewer,
    )
    .await?;
    let (post, access) = visible_post(db, viewer, &reply.post_id).await?;
    // Hiding an anonymous reply from someone blocked would tell who wrote it.
    if blocked && !reply.anonymous {
        return Err(AppError::NotFound);
    }
    Ok((reply, post, access))
}

pub async fn edit_reply(
    db: &DatabaseConnection,
    viewer: &Viewer,
    reply_id: &ReplyId,
    body: &str,
) -> AppResult<Committed<replies::Model>> {
    let body = text_between("body", body, 1, 10_000)?;
    let txn = begin_write(db).await?;
    let (reply, _, access) = visible_reply(&txn, viewer, reply_id).await?;
    if reply.author_id != viewer.user_id || access.banned {
        return Err(AppError::Forbidden);
    }
    if reply.deleted_at.is_some() || reply.removed_at.is_some() {
        return Err(AppError::NotFound);
    }
    let before = reply.clone();
    let mut active: replies::ActiveModel = reply.into();
    active.body = Set(body);
    active.edited_at = Set(Some(now()));
    let reply = active.update(&txn).await?;
    let notified = crisis::flag_crisis_in_reply(&txn, &reply, Some(&before)).await?;
    txn.commit().await?;
    Ok(Committed::new(reply, notified.into()))
}

pub async fn delete_reply(
    db: &DatabaseConnection,
    viewer: &Viewer,
    reply_id: &ReplyId,
) -> AppResult<replies::Model> {
    let txn = begin_write(db).await?;
    let (reply, post, _) = visible_reply(&txn, viewer, reply_id).await?;
    if reply.author_id != viewer.user_id {
        return Err(AppError::Forbidden);
    }
    if reply.deleted_at.is_some() {
        return Ok(reply);
    }
    let was_listed = reply.removed_at.is_none();
    let mut active: replies::ActiveModel = reply.into();
    active.deleted_at = Set(Some(now()));
    let reply = active.update(&txn).await?;
    if was_listed {
        count_change::<posts::Entity>(posts::Column::ReplyCount, -1)
            .filter(posts::Column::Id.eq(post.id.as_str()))
            .exec(&txn)
            .await?;
    }
    unfollow_thread_if_silent(&txn, &post.id, &viewer.user_id).await?;
    txn.commit().await?;
    Ok(reply)
}

/// A replier follows the thread (once, however often they reply).
/// Someone who deleted their last reply in a thread no longer follows it.
async fn unfollow_thread_if_silent(
    txn: &impl ConnectionTrait,
    post_id: &PostId,
    user_id: &UserId,
) -> AppResult<()> {
    let still_there = replies::Entity::find()
        .filter(replies::Column::PostId.eq(post_id))
        .filter(replies::Column::AuthorId.eq(user_id))
        .filter(replies::Column::DeletedAt.is_null())
        .count(txn)
        .await?;
    if still_there == 0 {
        thread_follows::Entity::delete_by_id((post_id.clone(), user_id.clone()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Replies of a post, oldest first; deleted and removed ones stay as placeholders in the thread.
pub async fn post_replies(
    db: &DatabaseConnection,
    viewer: &Viewer,
    post: &posts::Model,
    page: &PageArgs,
) -> AppResult<Page<replies::Model>> {
    // A reply by the post's anonymous author names nobody, so a block hides it from nobody.
    let query = replies::Entity::find()
        .filter(replies::Column::PostId.eq(post.id.as_str()))
        .filter(
            sea_orm::Condition::any()
                .add(replies::Column::Anonymous.eq(true))
                .add(not_blocked_with(replies::Column::AuthorId, &viewer.user_id)),
        );
    keyset_page(
        db,
        query,
        replies::Column::CreatedAt,
        replies::Column::Id,
        Order::OldestFirst,
        page,
    )
    .await
}

/// Checks that the caller may react to a target; returns its author and what it is.
async fn reactable(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    target: ContentType,
    target_id: &str,
) -> AppResult<(UserId, About)> {
    let (access, author, about) = match target {
        ContentType::Post => {
            let (post, access) = visible_post(db, viewer, &PostId::from(target_id)).await?;
            if !is_listed_post(&post) {
                return Err(AppError::NotFound);
            }
            let about = About {
                group_id: Some(post.group_id),
                post_id: Some(post.id),
                ..Default::default()
            };
            (access, post.author_id, about)
        }
        ContentType::Reply => {
            let (reply, _, access) = visible_reply(db, viewer, &ReplyId::from(target_id)).await?;
            if reply.deleted_at.is_some() || reply.removed_at.is_some() {
                return Err(AppError::NotFound);
            }
            let about = About {
                group_id: Some(reply.group_id),
                post_id: Some(reply.post_id),
                reply_id: Some(reply.id),
                ..Default::default()
            };
            (access, reply.author_id, about)
        }
    };
    access.require_participant()?;
    Ok((author, about))
}

/// Adds a reaction; reacting twice is the same as once. The author hears of it (batched).
pub async fn react(
    db: &DatabaseConnection,
    viewer: &Viewer,
    target: ContentType,
    target_id: &str,
    kind: ReactionKind,
) -> AppResult<Committed<()>> {
    // The checks read in the transaction that writes, as a reply's do.
    let txn = begin_write(db).await?;
    let (author, mut about) = reactable(&txn, viewer, target, target_id).await?;
    about.detail = Some(kind.as_str().to_owned());
    // A second tap, also one racing this one, meets the key and changes nothing.
    let inserted = reactions::Entity::insert(reactions::ActiveModel {
        target_type: Set(target),
        target_id: Set(target_id.to_owned()),
        user_id: Set(viewer.user_id.clone()),
        kind: Set(kind),
        created_at: Set(now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(&txn)
    .await?;
    if !matches!(inserted, TryInsertResult::Inserted(1)) {
        return Ok(Committed::quiet(()));
    }
    let notified = notifications::notify_reaction(&txn, &author, &viewer.user_id, about).await?;
    txn.commit().await?;
    Ok(Committed::new((), notified.into()))
}

pub async fn unreact(
    db: &DatabaseConnection,
    viewer: &Viewer,
    target: ContentType,
    target_id: &str,
    kind: ReactionKind,
) -> AppResult<()> {
    reactable(db, viewer, target, target_id).await?;
    reactions::Entity::delete_by_id((target, target_id.to_owned(), viewer.user_id.clone(), kind))
        .exec(db)
        .await?;
    Ok(())
}

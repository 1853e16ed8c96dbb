//! Post services: writing, listing (a group's page, the feed, pinned posts) and searching.
//! Lists leave out people blocked either way. Replies are in `replies.rs`, reactions in
//! `reactions.rs`.
use super::crisis;
use crate::auth::Viewer;
use crate::broker::{Announcements, Committed, Event};
use crate::clock::now;
use crate::community::access::{
    found_with_block, group_access, in_readable_group, not_blocked_with, GroupAccess,
};
use crate::community::vocabulary::{MemberState, PersonInGroup, Role, Standing};
use crate::config::PostingLimits;
use crate::content::{idempotency_key, is_listed_post};
use crate::db::{begin_write, count_change, find_keyed, insert_keyed, Keyed};
use crate::error::{text_between, AppError, AppResult};
use crate::ids::{GroupId, PostId, UserId};
use crate::notifications::service::{self as notifications};
use crate::pagination::{keyset_query, Order, Page, PageArgs, RankArgs};
use crate::rate_limit::RateLimiter;
use crate::search::{Indexed, Mode, Search};
use entity::{groups, memberships, posts, users};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult as _, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
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

pub(super) fn content_warning(raw: Option<&str>) -> AppResult<Option<String>> {
    Ok(raw
        .map(|w| text_between("contentWarning", w, 0, 200))
        .transpose()?
        .filter(|w| !w.is_empty()))
}

/// Posts not written by someone blocked either way with the viewer, unless anonymous.
pub(super) fn not_blocked_unless_anonymous(viewer_id: &UserId) -> sea_orm::Condition {
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

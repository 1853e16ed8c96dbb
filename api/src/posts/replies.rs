//! Replies: writing, editing and deleting them, and a thread's page.
use super::crisis;
use super::reply_counts::ReplyCounts;
use super::service::visible_post;
use crate::auth::Viewer;
use crate::broker::{Announcements, Committed, Event};
use crate::clock::now;
use crate::community::access::{found_with_block, not_blocked_with, GroupAccess};
use crate::config::PostingLimits;
use crate::content::{idempotency_key, is_listed_post};
use crate::db::{begin_write, count_change, find_keyed, insert_keyed, Keyed};
use crate::error::{text_between, AppError, AppResult};
use crate::ids::{PostId, ReplyId, UserId};
use crate::notifications::service::{self as notifications};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use crate::rate_limit::RateLimiter;
use entity::{posts, replies, thread_follows};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};

pub struct NewReply {
    pub post_id: PostId,
    pub body: String,
    pub parent_reply_id: Option<ReplyId>,
    pub idempotency_key: Option<String>,
    /// As the post's anonymous author (`None`: so when the replier is one).
    pub anonymous: Option<bool>,
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

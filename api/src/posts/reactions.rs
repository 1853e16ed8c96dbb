//! Reactions to posts and replies.
use super::replies::visible_reply;
use super::service::visible_post;
use crate::auth::Viewer;
use crate::broker::Committed;
use crate::clock::now;
use crate::content::{is_listed_post, ContentType, ReactionKind};
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::ids::{PostId, ReplyId, UserId};
use crate::notifications::service::{self as notifications, About};
use entity::reactions;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TryInsertResult};

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
        ContentType::Question | ContentType::Answer => {
            return Err(AppError::bad_input(
                "targetType",
                "reactions are on posts and replies; mark a helpful answer instead",
            ))
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

/// How many of one kind of reaction a post or reply has, and whether the caller gave one.
#[derive(Clone, Copy, Debug)]
pub struct ReactionTally {
    pub kind: ReactionKind,
    pub count: i64,
    pub mine: bool,
}

//! Moderation services besides reports and removals: blocking, bans, locks and pins, and the
//! mod log. Every moderator action is written to the group's mod log.
use super::removal::moderated_post;
use super::reports::{reason_text, require_moderator};
use crate::auth::Viewer;
use crate::clock::now;
use crate::clock::supported_instant_opt;
use crate::community::access::{group_access, GroupAccess};
use crate::community::mod_log::log_action;
use crate::community::vocabulary::{MemberState, Role};
use crate::db::{begin_write, count_change};
use crate::error::{AppError, AppResult};
use crate::ids::{GroupId, PostId, QuestionId, UserId};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use crate::questions::service::visible_question;
use chrono::{DateTime, Utc};
use entity::enums::{ModAction, ModTarget};
use entity::{bans, blocks, groups, memberships, mod_log, posts, questions, users};
use sea_orm::sea_query::OnConflict;
use sea_orm::QuerySelect as _;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

pub async fn block_user(
    db: &DatabaseConnection,
    viewer: &Viewer,
    user_id: &UserId,
) -> AppResult<()> {
    if *user_id == viewer.user_id {
        return Err(AppError::bad_input("userId", "you cannot block yourself"));
    }
    let txn = begin_write(db).await?;
    if users::Entity::find_by_id(user_id.to_owned())
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    let existing = blocks::Entity::find_by_id((viewer.user_id.clone(), user_id.to_owned()))
        .one(&txn)
        .await?;
    if existing.is_none() {
        blocks::ActiveModel {
            blocker_id: Set(viewer.user_id.clone()),
            blocked_id: Set(user_id.to_owned()),
            created_at: Set(now()),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

pub async fn unblock_user(
    db: &DatabaseConnection,
    viewer: &Viewer,
    user_id: &UserId,
) -> AppResult<()> {
    blocks::Entity::delete_by_id((viewer.user_id.clone(), user_id.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}

/// The most blocked people `blockedUsers` lists (the query cost counts on it).
pub const MAX_BLOCKED_SHOWN: u64 = 1_000;

pub async fn blocked_users(
    db: &DatabaseConnection,
    viewer: &Viewer,
) -> AppResult<Vec<users::Model>> {
    let ids: Vec<UserId> = blocks::Entity::find()
        .filter(blocks::Column::BlockerId.eq(&viewer.user_id))
        .limit(MAX_BLOCKED_SHOWN)
        .all(db)
        .await?
        .into_iter()
        .map(|b| b.blocked_id)
        .collect();
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// Locks (no more replies) or pins a post.
pub async fn set_post_flag(
    db: &DatabaseConnection,
    viewer: &Viewer,
    post_id: &PostId,
    lock: bool,
    on: bool,
) -> AppResult<posts::Model> {
    let txn = begin_write(db).await?;
    let post = moderated_post(&txn, viewer, post_id).await?;
    let group_id = post.group_id.clone();
    let mut active: posts::ActiveModel = post.into();
    let action = match (lock, on) {
        (true, true) => {
            active.locked = Set(true);
            ModAction::LockPost
        }
        (true, false) => {
            active.locked = Set(false);
            ModAction::UnlockPost
        }
        (false, true) => {
            active.pinned = Set(true);
            ModAction::PinPost
        }
        (false, false) => {
            active.pinned = Set(false);
            ModAction::UnpinPost
        }
    };
    let post = active.update(&txn).await?;
    log_action(
        &txn,
        &group_id,
        &viewer.user_id,
        action,
        Some((ModTarget::Post, post_id.as_str())),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(post)
}

/// Bans a member (until a time, or for good): they leave the group and cannot post, reply,
/// react or rejoin there. Moderators ban members; only the owner bans a moderator.
pub async fn ban_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
    user_id: &UserId,
    until: Option<DateTime<Utc>>,
    reason: &str,
) -> AppResult<()> {
    let reason = reason_text(reason)?;
    let until = supported_instant_opt("until", until)?;
    if until.is_some_and(|u| u <= Utc::now()) {
        return Err(AppError::bad_input("until", "must be in the future"));
    }
    if *user_id == viewer.user_id {
        return Err(AppError::bad_input("userId", "you cannot ban yourself"));
    }
    let txn = begin_write(db).await?;
    let access = group_access(&txn, viewer, group_id).await?;
    access.require_moderator()?;
    if users::Entity::find_by_id(user_id.to_owned())
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    if let Some(target) = memberships::Entity::find_by_id((group_id.to_owned(), user_id.to_owned()))
        .one(&txn)
        .await?
    {
        let role = target.role;
        if role == Role::Owner || (role == Role::Moderator && !(access.is_owner() || access.admin))
        {
            return Err(AppError::Forbidden);
        }
        let removed = memberships::Entity::delete_by_id((group_id.to_owned(), user_id.to_owned()))
            .exec(&txn)
            .await?;
        // A ban racing this one may have removed the membership (and counted it) first.
        if removed.rows_affected == 1 && target.state == MemberState::Active {
            count_change::<groups::Entity>(groups::Column::MemberCount, -1)
                .filter(groups::Column::Id.eq(group_id))
                .exec(&txn)
                .await?;
        }
    }
    crate::community::departures::forget_answers(&txn, group_id, user_id).await?;
    // A second ban replaces the first, also when two moderators ban at the same moment.
    bans::Entity::insert(bans::ActiveModel {
        group_id: Set(group_id.to_owned()),
        user_id: Set(user_id.to_owned()),
        until: Set(until),
        reason: Set(reason.clone()),
        banned_by: Set(viewer.user_id.clone()),
        created_at: Set(now()),
    })
    .on_conflict(
        OnConflict::columns([bans::Column::GroupId, bans::Column::UserId])
            .update_columns([
                bans::Column::Until,
                bans::Column::Reason,
                bans::Column::BannedBy,
                bans::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    log_action(
        &txn,
        group_id,
        &viewer.user_id,
        ModAction::Ban,
        Some((ModTarget::User, user_id.as_str())),
        Some(&reason),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn unban_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
    user_id: &UserId,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    group_access(&txn, viewer, group_id)
        .await?
        .require_moderator()?;
    let lifted = bans::Entity::delete_by_id((group_id.to_owned(), user_id.to_owned()))
        .exec(&txn)
        .await?;
    // Nobody by that id is banned here: nothing to lift, and nothing to log.
    if lifted.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    log_action(
        &txn,
        group_id,
        &viewer.user_id,
        ModAction::Unban,
        Some((ModTarget::User, user_id.as_str())),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The mod log of a group, newest first (moderators only).
pub async fn mod_log_page(
    db: &DatabaseConnection,
    access: &GroupAccess,
    page: &PageArgs,
) -> AppResult<Page<mod_log::Model>> {
    access.require_moderator()?;
    let query =
        mod_log::Entity::find().filter(mod_log::Column::GroupId.eq(access.group.id.as_str()));
    keyset_page(
        db,
        query,
        mod_log::Column::CreatedAt,
        mod_log::Column::Id,
        Order::NewestFirst,
        page,
    )
    .await
}

/// A moderator locks a question (no new answers) or unlocks it.
pub async fn lock_question(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &QuestionId,
    locked: bool,
) -> AppResult<questions::Model> {
    let txn = begin_write(db).await?;
    let question = visible_question(&txn, viewer, id).await?;
    require_moderator(&txn, viewer, question.group_id.as_ref()).await?;
    if let Some(group_id) = &question.group_id {
        let action = if locked {
            ModAction::LockQuestion
        } else {
            ModAction::UnlockQuestion
        };
        let target = (ModTarget::Question, question.id.as_str());
        log_action(&txn, group_id, &viewer.user_id, action, Some(target), None).await?;
    }
    let mut active: questions::ActiveModel = question.into();
    active.locked = Set(locked);
    let question = active.update(&txn).await?;
    txn.commit().await?;
    Ok(question)
}

//! Invitations to a group: by person, and by code.
use super::memberships::{activate, new_membership, set_member_count};
use crate::auth::Viewer;
use crate::clock::now;
use crate::community::access::{group_access, is_banned};
use crate::community::mod_log::log_action;
use crate::community::vocabulary::MemberState;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::ids::{GroupId, UserId};
use crate::secrets::{random_token, sha256_hex};
use chrono::{DateTime, Utc};
use entity::enums::{ModAction, ModTarget};
use entity::{groups, invite_codes, memberships, users};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

/// Invites someone by their id: they then see the group (even a hidden one) and join with `joinGroup`.
pub async fn invite_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
    user_id: &UserId,
) -> AppResult<memberships::Model> {
    let txn = begin_write(db).await?;
    group_access(&txn, viewer, group_id)
        .await?
        .require_moderator()?;
    if users::Entity::find_by_id(user_id.to_owned())
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    let membership =
        match memberships::Entity::find_by_id((group_id.to_owned(), user_id.to_owned()))
            .one(&txn)
            .await?
        {
            Some(m) if m.state == MemberState::Pending => activate(&txn, m).await?,
            Some(m) => m,
            None => {
                new_membership(group_id, user_id, MemberState::Invited)
                    .insert(&txn)
                    .await?
            }
        };
    log_action(
        &txn,
        group_id,
        &viewer.user_id,
        ModAction::Invite,
        Some((ModTarget::User, user_id.as_str())),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(membership)
}

/// An invite code (shown once) that lets anyone holding it join until it expires.
pub async fn create_invite_code(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
    valid_hours: i32,
) -> AppResult<(String, DateTime<Utc>)> {
    if !(1..=720).contains(&valid_hours) {
        return Err(AppError::bad_input("validHours", "must be 1 to 720"));
    }
    let txn = begin_write(db).await?;
    group_access(&txn, viewer, group_id)
        .await?
        .require_moderator()?;
    let code = random_token();
    let expires_at = now() + chrono::Duration::hours(valid_hours.into());
    invite_codes::ActiveModel {
        code_hash: Set(sha256_hex(&code)),
        group_id: Set(group_id.to_owned()),
        created_by: Set(viewer.user_id.clone()),
        expires_at: Set(expires_at),
        created_at: Set(now()),
    }
    .insert(&txn)
    .await?;
    log_action(
        &txn,
        group_id,
        &viewer.user_id,
        ModAction::CreateInviteCode,
        None,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok((code, expires_at))
}

pub async fn join_with_invite_code(
    db: &DatabaseConnection,
    viewer: &Viewer,
    code: &str,
) -> AppResult<memberships::Model> {
    let txn = begin_write(db).await?;
    let invite = invite_codes::Entity::find_by_id(sha256_hex(code.trim()))
        .one(&txn)
        .await?
        .filter(|i| i.expires_at > Utc::now())
        .ok_or(AppError::NotFound)?;
    let group = groups::Entity::find_by_id(invite.group_id.clone())
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if is_banned(&txn, &group.id, &viewer.user_id).await? {
        return Err(AppError::Forbidden);
    }
    let membership =
        match memberships::Entity::find_by_id((group.id.clone(), viewer.user_id.clone()))
            .one(&txn)
            .await?
        {
            Some(m) if m.state == MemberState::Active => m,
            Some(m) => activate(&txn, m).await?,
            None => {
                let m = new_membership(&group.id, &viewer.user_id, MemberState::Active)
                    .insert(&txn)
                    .await?;
                set_member_count(&txn, &group.id, 1).await?;
                m
            }
        };
    txn.commit().await?;
    Ok(membership)
}

//! Moderation services. Every moderator action is written to the group's mod log.
use crate::auth::Viewer;
use crate::broker::Committed;
use crate::clock::now;
use crate::clock::supported_instant_opt;
use crate::content::{ContentType, ReportStatus};
use crate::db::{begin_write, count_change};
use crate::error::{text_between, AppError, AppResult};
use crate::groups::access::{group_access, is_admin, GroupAccess};
use crate::groups::mod_log::log_action;
use crate::groups::types::{MemberState, Role};
use crate::ids::{GroupId, PostId, ReplyId, ReportId, UserId};
use crate::notifications::service::{notify_person, About, NotificationKind, Notified};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use crate::posts::replies::visible_reply;
use crate::posts::service::visible_post;
use chrono::{DateTime, Utc};
use entity::enums::{ModAction, ModTarget};
use entity::{bans, blocks, groups, memberships, mod_log, posts, replies, reports, users};
use sea_orm::sea_query::OnConflict;
use sea_orm::QuerySelect as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

pub(crate) fn reason_text(raw: &str) -> AppResult<String> {
    text_between("reason", raw, 1, 1_000)
}

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

/// Reports a post or reply the reporter can see. A second report of the same item by the
/// same person while the first is open returns the first.
pub async fn report(
    db: &DatabaseConnection,
    viewer: &Viewer,
    target: ContentType,
    target_id: &str,
    reason: &str,
) -> AppResult<reports::Model> {
    let reason = reason_text(reason)?;
    let group_id = match target {
        ContentType::Post => {
            visible_post(db, viewer, &PostId::from(target_id))
                .await?
                .0
                .group_id
        }
        ContentType::Reply => {
            visible_reply(db, viewer, &ReplyId::from(target_id))
                .await?
                .0
                .group_id
        }
    };
    let txn = begin_write(db).await?;
    // Not the automatic crisis flag, which is filed under the author.
    let open = reports::Entity::find()
        .filter(reports::Column::ReporterId.eq(viewer.user_id.as_str()))
        .filter(reports::Column::TargetType.eq(target.as_str()))
        .filter(reports::Column::TargetId.eq(target_id))
        .filter(reports::Column::Status.eq(ReportStatus::Open))
        .filter(reports::Column::Priority.eq(false))
        .one(&txn)
        .await?;
    let report = match open {
        Some(report) => report,
        None => {
            reports::ActiveModel {
                id: Set(ReportId::generate()),
                group_id: Set(group_id),
                target_type: Set(target),
                target_id: Set(target_id.to_owned()),
                reporter_id: Set(viewer.user_id.clone()),
                reason: Set(reason),
                status: Set(ReportStatus::Open),
                priority: Set(false),
                resolved_by: Set(None),
                resolution_note: Set(None),
                created_at: Set(now()),
                resolved_at: Set(None),
            }
            .insert(&txn)
            .await?
        }
    };
    txn.commit().await?;
    Ok(report)
}

/// What a report is about, read as stored (the report's reader is its group's moderator or its
/// filer): the post, or for a reply the reply and its post.
pub async fn reported(
    db: &impl ConnectionTrait,
    report: &reports::Model,
) -> AppResult<(Option<posts::Model>, Option<replies::Model>)> {
    let reply = if report.target_type == ContentType::Reply {
        replies::Entity::find_by_id(report.target_id.clone())
            .one(db)
            .await?
    } else {
        None
    };
    let post_id = reply
        .as_ref()
        .map_or(report.target_id.as_str(), |reply| reply.post_id.as_str());
    let post = posts::Entity::find_by_id(post_id.to_owned())
        .one(db)
        .await?;
    Ok((post, reply))
}

/// Reports of one group (its moderators) or of all groups (platform admins), oldest first;
/// `priority` keeps only the priority queue (crisis language), or only the rest.
pub async fn list_reports(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: Option<&GroupId>,
    status: ReportStatus,
    priority: Option<bool>,
    page: &PageArgs,
) -> AppResult<Page<reports::Model>> {
    let mut query = reports::Entity::find().filter(reports::Column::Status.eq(status.as_str()));
    if let Some(priority) = priority {
        query = query.filter(reports::Column::Priority.eq(priority));
    }
    match group_id {
        Some(group_id) => {
            group_access(db, viewer, group_id)
                .await?
                .require_moderator()?;
            query = query.filter(reports::Column::GroupId.eq(group_id));
        }
        None => {
            if !is_admin(db, &viewer.user_id).await? {
                return Err(AppError::Forbidden);
            }
        }
    }
    keyset_page(
        db,
        query,
        reports::Column::CreatedAt,
        reports::Column::Id,
        Order::OldestFirst,
        page,
    )
    .await
}

/// Who wrote an anonymous post, for a moderator acting on a report of it, with the group they
/// are shown in. The reveal goes into the group's mod log, so it is never silent.
pub async fn reveal_author(
    db: &DatabaseConnection,
    viewer: &Viewer,
    report_id: &ReportId,
) -> AppResult<(UserId, GroupId)> {
    let txn = begin_write(db).await?;
    let report = reports::Entity::find_by_id(report_id.to_owned())
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let access = group_access(&txn, viewer, &report.group_id)
        .await
        .map_err(|_| AppError::NotFound)?;
    if access.require_moderator().is_err() {
        return Err(AppError::NotFound);
    }
    let (post, reply) = reported(&txn, &report).await?;
    let author = match (post, reply) {
        (_, Some(reply)) => reply.author_id,
        (Some(post), None) => post.author_id,
        (None, None) => return Err(AppError::NotFound),
    };
    let target = (ModTarget::Report, report.id.as_str());
    log_action(
        &txn,
        &report.group_id,
        &viewer.user_id,
        ModAction::RevealAuthor,
        Some(target),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok((author, report.group_id))
}

/// A report is resolved or dismissed, never reopened.
pub(crate) fn require_closing(status: ReportStatus) -> AppResult<()> {
    if status == ReportStatus::Open {
        return Err(AppError::bad_input(
            "status",
            "resolve as RESOLVED or DISMISSED",
        ));
    }
    Ok(())
}

pub async fn resolve_report(
    db: &DatabaseConnection,
    viewer: &Viewer,
    report_id: &ReportId,
    status: ReportStatus,
    note: Option<&str>,
) -> AppResult<reports::Model> {
    require_closing(status)?;
    let note = note.map(reason_text).transpose()?;
    let txn = begin_write(db).await?;
    let report = reports::Entity::find_by_id(report_id.to_owned())
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let access = group_access(&txn, viewer, &report.group_id)
        .await
        .map_err(|_| AppError::NotFound)?;
    if access.require_moderator().is_err() {
        return Err(AppError::NotFound);
    }
    // A moderator in crisis does not close the flag on their own words; another one does.
    if report.priority && report.reporter_id == viewer.user_id {
        return Err(AppError::Forbidden);
    }
    let group_id = report.group_id.clone();
    let mut active: reports::ActiveModel = report.into();
    active.status = Set(status);
    active.resolved_by = Set(Some(viewer.user_id.clone()));
    active.resolution_note = Set(note.clone());
    active.resolved_at = Set(Some(now()));
    let report = active.update(&txn).await?;
    log_action(
        &txn,
        &group_id,
        &viewer.user_id,
        ModAction::report(status),
        Some((ModTarget::Report, report_id.as_str())),
        note.as_deref(),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}

/// The group of a post, with the caller's standing, for moderator actions on it.
async fn moderated_post(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    post_id: &PostId,
) -> AppResult<(posts::Model, GroupAccess)> {
    let post = posts::Entity::find_by_id(post_id.to_owned())
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let access = group_access(txn, viewer, &post.group_id).await?;
    if !access.can_read_content() {
        return Err(AppError::NotFound);
    }
    access.require_moderator()?;
    Ok((post, access))
}

/// A post or reply a moderator removed.
struct Removal<'a> {
    group_id: &'a GroupId,
    action: ModAction,
    target: (ModTarget, &'a str),
    author_id: &'a UserId,
    reason: &'a str,
    /// Where it was; `detail` is filled in with the action.
    about: About,
}

/// What a removal writes beside the row: the mod log entry, and a notification to its author.
async fn record_removal(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    removal: Removal<'_>,
) -> AppResult<Vec<Notified>> {
    log_action(
        txn,
        removal.group_id,
        &viewer.user_id,
        removal.action,
        Some(removal.target),
        Some(removal.reason),
    )
    .await?;
    let about = About {
        detail: Some(removal.action.as_str().into()),
        ..removal.about
    };
    let kind = NotificationKind::Moderation;
    notify_person(txn, removal.author_id, kind, &viewer.user_id, about).await
}

pub async fn remove_post(
    db: &DatabaseConnection,
    viewer: &Viewer,
    post_id: &PostId,
    reason: &str,
) -> AppResult<Committed<posts::Model>> {
    let reason = reason_text(reason)?;
    let txn = begin_write(db).await?;
    let (post, _) = moderated_post(&txn, viewer, post_id).await?;
    if post.removed_at.is_some() {
        return Ok(Committed::quiet(post));
    }
    let was_listed = post.deleted_at.is_none();
    let group_id = post.group_id.clone();
    let mut active: posts::ActiveModel = post.into();
    active.removed_at = Set(Some(now()));
    active.removed_reason = Set(Some(reason.clone()));
    let post = active.update(&txn).await?;
    if was_listed {
        count_change::<groups::Entity>(groups::Column::PostCount, -1)
            .filter(groups::Column::Id.eq(group_id.as_str()))
            .exec(&txn)
            .await?;
    }
    let removal = Removal {
        group_id: &group_id,
        action: ModAction::RemovePost,
        target: (ModTarget::Post, post_id.as_str()),
        author_id: &post.author_id,
        reason: &reason,
        about: About {
            group_id: Some(group_id.clone()),
            post_id: Some(post.id.clone()),
            ..Default::default()
        },
    };
    let notified = record_removal(&txn, viewer, removal).await?;
    txn.commit().await?;
    Ok(Committed::new(post, notified.into()))
}

pub async fn remove_reply(
    db: &DatabaseConnection,
    viewer: &Viewer,
    reply_id: &ReplyId,
    reason: &str,
) -> AppResult<Committed<replies::Model>> {
    let reason = reason_text(reason)?;
    let txn = begin_write(db).await?;
    let reply = replies::Entity::find_by_id(reply_id.to_owned())
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    moderated_post(&txn, viewer, &reply.post_id).await?;
    if reply.removed_at.is_some() {
        return Ok(Committed::quiet(reply));
    }
    let was_listed = reply.deleted_at.is_none();
    let (group_id, post_id) = (reply.group_id.clone(), reply.post_id.clone());
    let mut active: replies::ActiveModel = reply.into();
    active.removed_at = Set(Some(now()));
    active.removed_reason = Set(Some(reason.clone()));
    let reply = active.update(&txn).await?;
    if was_listed {
        count_change::<posts::Entity>(posts::Column::ReplyCount, -1)
            .filter(posts::Column::Id.eq(post_id.as_str()))
            .exec(&txn)
            .await?;
    }
    let removal = Removal {
        group_id: &group_id,
        action: ModAction::RemoveReply,
        target: (ModTarget::Reply, reply_id.as_str()),
        author_id: &reply.author_id,
        reason: &reason,
        about: About {
            group_id: Some(group_id.clone()),
            post_id: Some(post_id.clone()),
            reply_id: Some(reply.id.clone()),
            ..Default::default()
        },
    };
    let notified = record_removal(&txn, viewer, removal).await?;
    txn.commit().await?;
    Ok(Committed::new(reply, notified.into()))
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
    let (post, _) = moderated_post(&txn, viewer, post_id).await?;
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

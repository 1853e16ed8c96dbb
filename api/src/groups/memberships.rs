//! Who is in a group: joining and leaving, join requests, roles, moderators.
use crate::auth::Viewer;
use crate::broker::Committed;
use crate::clock::now;
use crate::community::access::{group_access, GroupAccess};
use crate::community::mod_log::log_action;
use crate::community::vocabulary::{MemberState, NotificationLevel, Role, Visibility};
use crate::db::{begin_write, count_change, is_unique_violation};
use crate::error::{AppError, AppResult};
use crate::ids::{GroupId, UserId};
use crate::notifications::service::{self as notifications, About, NotificationKind};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use entity::enums::{ModAction, ModTarget};
use entity::{groups, memberships};
use sea_orm::sea_query::Expr;
use sea_orm::QuerySelect as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

pub(super) async fn set_member_count(
    txn: &impl ConnectionTrait,
    group_id: &GroupId,
    delta: i32,
) -> AppResult<()> {
    count_change::<groups::Entity>(groups::Column::MemberCount, delta)
        .filter(groups::Column::Id.eq(group_id))
        .exec(txn)
        .await?;
    Ok(())
}

pub(super) fn new_membership(
    group_id: &GroupId,
    user_id: &UserId,
    state: MemberState,
) -> memberships::ActiveModel {
    let at = now();
    memberships::ActiveModel {
        group_id: Set(group_id.to_owned()),
        user_id: Set(user_id.to_owned()),
        role: Set(Role::Member),
        state: Set(state),
        alias: Set(None),
        alias_key: Set(None),
        notification_level: Set(NotificationLevel::Replies),
        created_at: Set(at),
        joined_at: Set((state == MemberState::Active).then_some(at)),
    }
}

pub(super) async fn activate(
    txn: &impl ConnectionTrait,
    membership: memberships::Model,
) -> AppResult<memberships::Model> {
    let group_id = membership.group_id.clone();
    let mut active: memberships::ActiveModel = membership.into();
    active.state = Set(MemberState::Active);
    active.joined_at = Set(Some(now()));
    let membership = active.update(txn).await?;
    set_member_count(txn, &group_id, 1).await?;
    Ok(membership)
}

/// Joins a public group, accepts an invitation, or asks to join a private group.
pub async fn join_group(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
) -> AppResult<Committed<memberships::Model>> {
    let txn = begin_write(db).await?;
    let access = group_access(&txn, viewer, group_id).await?;
    if access.banned {
        return Err(AppError::Forbidden);
    }
    let mut notified = Vec::new();
    let membership = match access.membership {
        Some(m) if m.state == MemberState::Invited => activate(&txn, m).await?,
        Some(m) => m,
        None => {
            let state = match access.visibility() {
                Visibility::Public => MemberState::Active,
                Visibility::Private => MemberState::Pending,
                Visibility::Hidden => return Err(AppError::NotFound),
            };
            let m = new_membership(group_id, &viewer.user_id, state)
                .insert(&txn)
                .await?;
            if state == MemberState::Active {
                set_member_count(&txn, group_id, 1).await?;
            } else {
                notified =
                    notifications::notify_join_request(&txn, group_id, &viewer.user_id).await?;
            }
            m
        }
    };
    txn.commit().await?;
    Ok(Committed::new(membership, notified.into()))
}

/// Leaves a group, withdraws a join request or declines an invitation. The owner hands over first.
pub async fn leave_group(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let access = group_access(&txn, viewer, group_id).await?;
    let Some(membership) = access.membership.as_ref() else {
        return Ok(());
    };
    if access.is_owner() {
        return Err(AppError::bad_input(
            "groupId",
            "the owner cannot leave; make someone else owner first",
        ));
    }
    memberships::Entity::delete_by_id((group_id.to_owned(), viewer.user_id.clone()))
        .exec(&txn)
        .await?;
    if membership.state == MemberState::Active {
        set_member_count(&txn, group_id, -1).await?;
    }
    crate::community::departures::forget_answers(&txn, group_id, &viewer.user_id).await?;
    txn.commit().await?;
    Ok(())
}

/// My alias in a group (unique there, case-insensitively) and how much it notifies me.
pub async fn update_membership(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
    alias: Option<Option<String>>,
    level: Option<NotificationLevel>,
) -> AppResult<memberships::Model> {
    let txn = begin_write(db).await?;
    let access = group_access(&txn, viewer, group_id).await?;
    if !access.is_member() {
        return Err(AppError::Forbidden);
    }
    let membership = access.membership.ok_or(AppError::Forbidden)?;
    let mut active: memberships::ActiveModel = membership.into();
    if let Some(alias) = alias {
        match alias {
            None => {
                active.alias = Set(None);
                active.alias_key = Set(None);
            }
            Some(raw) => {
                let name = crate::accounts::DisplayName::parse(&raw)
                    .map_err(|err| AppError::bad_input("alias", err.message().to_owned()))?;
                let key = name.key();
                if crate::accounts::name_in_use(&txn, &key, Some(&viewer.user_id), Some(group_id))
                    .await?
                {
                    return Err(AppError::conflict(
                        "alias",
                        "someone here goes by this name, or one that looks like it",
                    ));
                }
                active.alias = Set(Some(name.as_str().to_owned()));
                active.alias_key = Set(Some(key));
            }
        }
    }
    if let Some(level) = level {
        active.notification_level = Set(level);
    }
    let membership = active.update(&txn).await.map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("alias", "someone in this group already uses this alias")
        } else {
            e.into()
        }
    })?;
    txn.commit().await?;
    Ok(membership)
}

/// Active members (members only), or pending requests (moderators only), oldest first.
pub async fn list_memberships(
    db: &DatabaseConnection,
    access: &GroupAccess,
    state: MemberState,
    page: &PageArgs,
) -> AppResult<Page<memberships::Model>> {
    match state {
        MemberState::Active if !(access.is_member() || access.admin) => {
            return Err(AppError::Forbidden)
        }
        MemberState::Pending | MemberState::Invited => access.require_moderator()?,
        MemberState::Active => {}
    }
    let query = memberships::Entity::find()
        .filter(memberships::Column::GroupId.eq(access.group.id.as_str()))
        .filter(memberships::Column::State.eq(state.as_str()));
    keyset_page(
        db,
        query,
        memberships::Column::CreatedAt,
        memberships::Column::UserId,
        Order::OldestFirst,
        page,
    )
    .await
}

/// The most moderators a group lists (the query cost counts on it).
pub const MAX_MODERATORS_SHOWN: u64 = 100;

/// The moderators and owner, shown on professionally led groups.
pub async fn moderators(
    db: &DatabaseConnection,
    group_id: &GroupId,
) -> AppResult<Vec<memberships::Model>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::GroupId.eq(group_id))
        .filter(memberships::Column::State.eq(MemberState::Active))
        .filter(memberships::Column::Role.is_in([Role::Owner.as_str(), Role::Moderator.as_str()]))
        .order_by_asc(memberships::Column::CreatedAt)
        .limit(MAX_MODERATORS_SHOWN)
        .all(db)
        .await?)
}

pub(super) async fn target_membership(
    txn: &impl ConnectionTrait,
    group_id: &GroupId,
    user_id: &UserId,
) -> AppResult<memberships::Model> {
    memberships::Entity::find_by_id((group_id.to_owned(), user_id.to_owned()))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn decide_join_request(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
    user_id: &UserId,
    approve: bool,
) -> AppResult<Committed<Option<memberships::Model>>> {
    let txn = begin_write(db).await?;
    group_access(&txn, viewer, group_id)
        .await?
        .require_moderator()?;
    let request = target_membership(&txn, group_id, user_id).await?;
    if request.state != MemberState::Pending {
        return Err(AppError::NotFound);
    }
    let outcome = if approve {
        Some(activate(&txn, request).await?)
    } else {
        memberships::Entity::delete_by_id((group_id.to_owned(), user_id.to_owned()))
            .exec(&txn)
            .await?;
        None
    };
    let action = if approve {
        ModAction::ApproveJoin
    } else {
        ModAction::DeclineJoin
    };
    log_action(
        &txn,
        group_id,
        &viewer.user_id,
        action,
        Some((ModTarget::User, user_id.as_str())),
        None,
    )
    .await?;
    let notified = if approve {
        let about = About {
            group_id: Some(group_id.to_owned()),
            ..Default::default()
        };
        notifications::notify_person(
            &txn,
            user_id,
            NotificationKind::JoinApproved,
            &viewer.user_id,
            about,
        )
        .await?
    } else {
        Vec::new()
    };
    txn.commit().await?;
    Ok(Committed::new(outcome, notified.into()))
}

/// The owner names moderators and members; naming a new owner hands the group over.
pub async fn set_member_role(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
    user_id: &UserId,
    role: Role,
) -> AppResult<memberships::Model> {
    let txn = begin_write(db).await?;
    let access = group_access(&txn, viewer, group_id).await?;
    if !(access.is_owner() || access.admin) {
        return Err(AppError::Forbidden);
    }
    let target = target_membership(&txn, group_id, user_id).await?;
    if target.state != MemberState::Active {
        return Err(AppError::NotFound);
    }
    if *user_id == viewer.user_id {
        return Err(AppError::bad_input(
            "userId",
            "name another member; the owner's own role follows from that",
        ));
    }
    let mut active: memberships::ActiveModel = target.into();
    active.role = Set(role);
    let updated = active.update(&txn).await?;
    if role == Role::Owner {
        // One owner at a time, also when a platform admin hands the group over.
        memberships::Entity::update_many()
            .col_expr(
                memberships::Column::Role,
                Expr::value(Role::Moderator.as_str()),
            )
            .filter(memberships::Column::GroupId.eq(group_id))
            .filter(memberships::Column::Role.eq(Role::Owner))
            .filter(memberships::Column::UserId.ne(user_id))
            .exec(&txn)
            .await?;
    }
    log_action(
        &txn,
        group_id,
        &viewer.user_id,
        ModAction::set_role(role),
        Some((ModTarget::User, user_id.as_str())),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

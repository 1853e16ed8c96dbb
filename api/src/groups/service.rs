//! Group services: creating and finding groups, joining and leaving, invitations, roles.
use super::access::{group_access, is_banned, GroupAccess};
use super::types::{LedBy, MemberState, NotificationLevel, Role, Topic, Visibility};
use crate::auth::Viewer;
use crate::broker::Committed;
use crate::clock::now;
use crate::db::{begin_write, count_change, is_unique_violation};
use crate::error::{text_between, AppError, AppResult};
use crate::groups::mod_log::log_action;
use crate::ids::{GroupId, UserId};
use crate::notifications::service::{self as notifications, About, NotificationKind};
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use crate::secrets::{random_token, sha256_hex};
use chrono::{DateTime, Utc};
use entity::enums::{ModAction, ModTarget};
use entity::{groups, invite_codes, memberships, users};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::QuerySelect as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};

pub struct NewGroup {
    pub name: String,
    pub description: String,
    pub topic: Topic,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub led_by: LedBy,
    pub rules: String,
}

#[derive(Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub topic: Option<Topic>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    pub led_by: Option<LedBy>,
    pub rules: Option<String>,
}

/// Free tags: at most 5, each 1–24 of a–z, 0–9 and `-`; stored comma-separated.
pub(crate) fn parse_tags(tags: &[String]) -> AppResult<String> {
    if tags.len() > 5 {
        return Err(AppError::bad_input("tags", "at most 5 tags"));
    }
    let mut clean: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty()
            || tag.len() > 24
            || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(AppError::bad_input(
                "tags",
                "tags are 1 to 24 of a-z, 0-9 and -",
            ));
        }
        if !clean.contains(&tag) {
            clean.push(tag);
        }
    }
    Ok(clean.join(","))
}

pub fn tags_of(group: &groups::Model) -> Vec<String> {
    group
        .tags
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn create_group(
    db: &DatabaseConnection,
    viewer: &Viewer,
    input: NewGroup,
) -> AppResult<groups::Model> {
    let name = crate::text::title_between("name", &input.name, 3, 80)?;
    let description = text_between("description", &input.description, 0, 2_000)?;
    let rules = text_between("rules", &input.rules, 0, 5_000)?;
    let tags = parse_tags(&input.tags)?;
    let at = now();
    let txn = begin_write(db).await?;
    let group = groups::ActiveModel {
        id: Set(GroupId::generate()),
        name: Set(name),
        description: Set(description),
        topic: Set(input.topic),
        tags: Set(tags),
        visibility: Set(input.visibility),
        led_by: Set(input.led_by),
        rules: Set(rules),
        created_by: Set(viewer.user_id.clone()),
        member_count: Set(1),
        post_count: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    memberships::ActiveModel {
        group_id: Set(group.id.clone()),
        user_id: Set(viewer.user_id.clone()),
        role: Set(Role::Owner),
        state: Set(MemberState::Active),
        alias: Set(None),
        alias_key: Set(None),
        notification_level: Set(NotificationLevel::Replies),
        created_at: Set(at),
        joined_at: Set(Some(at)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(group_id = %group.id, "group created");
    Ok(group)
}

/// Moderators edit a group; only its owner changes who can see it.
pub async fn update_group(
    db: &DatabaseConnection,
    viewer: &Viewer,
    group_id: &GroupId,
    changes: GroupChanges,
) -> AppResult<groups::Model> {
    let access = group_access(db, viewer, group_id).await?;
    access.require_moderator()?;
    // Who may see the group, and whether it says professionals lead it, are the owner's call.
    let owners_call = changes.visibility.is_some() || changes.led_by.is_some();
    if owners_call && !(access.is_owner() || access.admin) {
        return Err(AppError::Forbidden);
    }
    let mut group: groups::ActiveModel = groups::Model::clone(&access.group).into();
    if let Some(name) = changes.name {
        group.name = Set(crate::text::title_between("name", &name, 3, 80)?);
    }
    if let Some(description) = changes.description {
        group.description = Set(text_between("description", &description, 0, 2_000)?);
    }
    if let Some(rules) = changes.rules {
        group.rules = Set(text_between("rules", &rules, 0, 5_000)?);
    }
    if let Some(tags) = changes.tags {
        group.tags = Set(parse_tags(&tags)?);
    }
    if let Some(topic) = changes.topic {
        group.topic = Set(topic);
    }
    if let Some(visibility) = changes.visibility {
        group.visibility = Set(visibility);
    }
    if let Some(led_by) = changes.led_by {
        group.led_by = Set(led_by);
    }
    group.updated_at = Set(now());
    let txn = begin_write(db).await?;
    let group = group.update(&txn).await?;
    log_action(
        &txn,
        &group.id,
        &viewer.user_id,
        ModAction::UpdateGroup,
        None,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(group)
}

/// Groups I may see: public and private ones, and hidden ones I belong to or am invited to.
pub async fn list_groups(
    db: &DatabaseConnection,
    viewer: &Viewer,
    topic: Option<Topic>,
    search: Option<&str>,
    page: &PageArgs,
) -> AppResult<Page<groups::Model>> {
    let mine = sea_orm::sea_query::Query::select()
        .column(memberships::Column::GroupId)
        .from(memberships::Entity)
        .and_where(Expr::col(memberships::Column::UserId).eq(viewer.user_id.as_str()))
        .and_where(
            Expr::col(memberships::Column::State)
                .is_in([MemberState::Active.as_str(), MemberState::Invited.as_str()]),
        )
        .to_owned();
    let mut query = groups::Entity::find().filter(
        Condition::any()
            .add(groups::Column::Visibility.ne(Visibility::Hidden))
            .add(groups::Column::Id.in_subquery(mine)),
    );
    if let Some(topic) = topic {
        query = query.filter(groups::Column::Topic.eq(topic.as_str()));
    }
    if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
        if search.chars().count() > 100 {
            return Err(AppError::bad_input("search", "at most 100 characters"));
        }
        let escaped = search
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let like = |col: groups::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(like(groups::Column::Name))
                .add(like(groups::Column::Description))
                .add(like(groups::Column::Tags)),
        );
    }
    keyset_page(
        db,
        query,
        groups::Column::CreatedAt,
        groups::Column::Id,
        Order::NewestFirst,
        page,
    )
    .await
}

async fn set_member_count(
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

fn new_membership(
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

async fn activate(
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

async fn target_membership(
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

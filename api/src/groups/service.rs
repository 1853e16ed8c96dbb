//! Group services: creating, changing and finding groups. Who is in them is in
//! `memberships.rs`, invitations in `invites.rs`.
use crate::auth::Viewer;
use crate::clock::now;
use crate::community::access::group_access;
use crate::community::mod_log::log_action;
use crate::community::tags::parse_tags;
use crate::community::vocabulary::{
    LedBy, MemberState, NotificationLevel, Role, Topic, Visibility,
};
use crate::db::begin_write;
use crate::error::{text_between, AppError, AppResult};
use crate::ids::GroupId;
use crate::pagination::{keyset_page, Order, Page, PageArgs};
use entity::enums::ModAction;
use entity::{groups, memberships};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
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

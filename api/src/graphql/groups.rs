//! GraphQL types and resolvers of groups.
use crate::community::access::GroupAccess;
use crate::community::vocabulary::{
    LedBy, MemberState, NotificationLevel, PersonInGroup, Role, Topic, Visibility,
};
use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::ModLogEntryObject;
use crate::graphql::PostObject;
use crate::groups::invites;
use crate::groups::memberships as membership_service;
use crate::groups::service::{self, GroupChanges, NewGroup};
use crate::ids::{GroupId, UserId};
use crate::pagination::{connection, Cursor, ListInfo, PageArgs};
use crate::posts::service as posts;
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{groups, memberships, users};
use tokio::sync::OnceCell;

/// Another person as shown in a group: their alias there, or their pseudonym. Never an email.
#[derive(SimpleObject, Clone)]
#[graphql(name = "User", complex)]
pub struct UserObject {
    pub id: UserId,
    pub display_name: String,
    /// Their role in the group this is shown in, so nobody can pass for its moderators or
    /// professionals by name alone; null outside a group or once they are no member.
    pub role: Option<Role>,
}

/// A credential a platform admin verified, shown beside the person's name until it runs out.
#[derive(SimpleObject)]
#[graphql(name = "Expert")]
pub struct ExpertStanding {
    /// As granted, e.g. "Licensed clinical social worker".
    title: String,
    verified_until: DateTime<Utc>,
}

impl ExpertStanding {
    pub fn new(title: String, verified_until: DateTime<Utc>) -> Self {
        ExpertStanding {
            title,
            verified_until,
        }
    }
}

#[async_graphql::ComplexObject]
impl UserObject {
    /// Their current expert standing; null for everyone else and once it ran out.
    async fn expert(&self, ctx: &Context<'_>) -> Result<Option<ExpertStanding>> {
        let standing = ctx
            .loaders()?
            .experts
            .load_one(self.id.clone())
            .await
            .map_err(AppError::from)?;
        Ok(standing.map(|e| ExpertStanding::new(e.title, e.verified_until)))
    }
}

impl UserObject {
    pub fn new(user: &users::Model, alias: Option<String>) -> Self {
        UserObject {
            id: user.id.clone(),
            display_name: alias.unwrap_or_else(|| user.display_name.clone()),
            role: None,
        }
    }

    /// Loads a person as they appear in a group.
    pub async fn in_group(
        ctx: &Context<'_>,
        user_id: &UserId,
        group_id: &GroupId,
    ) -> AppResult<Option<Self>> {
        let person = ctx
            .loaders()?
            .people_in_groups
            .load_one((group_id.to_owned(), user_id.to_owned()))
            .await?;
        Ok(person.map(Self::shown_in_group))
    }

    /// A person as a group shows them: their alias there, if any, in place of their name.
    pub fn shown_in_group(person: PersonInGroup) -> Self {
        let (alias, role) = match person.standing {
            Some(standing) => (standing.alias, Some(standing.role)),
            None => (None, None),
        };
        UserObject {
            id: person.id,
            display_name: alias.unwrap_or(person.display_name),
            role,
        }
    }
}

pub struct GroupObject {
    row: groups::Model,
    access: OnceCell<GroupAccess>,
}

impl GroupObject {
    /// A group reached from something else (a post, a notification, a report), under the same
    /// rule as `group(id)`: a hidden group is `None` to whoever is not (or no longer) in it.
    pub async fn reachable(ctx: &Context<'_>, group_id: &GroupId) -> AppResult<Option<Self>> {
        let read = || async { Ok(ctx.loaders()?.groups.load_one(group_id.to_owned()).await?) };
        let Some(row) = ctx.cached()?.group_row(group_id, read).await? else {
            return Ok(None);
        };
        if row.visibility != Visibility::Hidden {
            return Ok(Some(GroupObject::new(row)));
        }
        let Ok(viewer) = ctx.viewer() else {
            return Ok(None);
        };
        // A page of notifications or reports may reach one hidden group many times.
        let checked = ctx.lazy_loaders()?;
        match checked.hidden_group_seen(group_id) {
            Some(true) => return Ok(Some(GroupObject::new(row))),
            Some(false) => return Ok(None),
            None => {}
        }
        match crate::community::access::access_to(&ctx.app()?.db, viewer, row).await {
            Ok(access) => {
                checked.remember_hidden_group(group_id, true);
                Ok(Some(GroupObject::with_access(access)))
            }
            Err(AppError::NotFound) => {
                checked.remember_hidden_group(group_id, false);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    fn new(row: groups::Model) -> Self {
        GroupObject {
            row,
            access: OnceCell::new(),
        }
    }

    pub(crate) fn with_access(access: GroupAccess) -> Self {
        GroupObject {
            row: groups::Model::clone(&access.group),
            access: OnceCell::new_with(Some(access)),
        }
    }

    async fn access(&self, ctx: &Context<'_>) -> AppResult<&GroupAccess> {
        self.access
            .get_or_try_init(|| async {
                crate::community::access::access_to(&ctx.app()?.db, ctx.viewer()?, self.row.clone())
                    .await
            })
            .await
    }
}

#[Object(name = "Group")]
impl GroupObject {
    pub(crate) async fn id(&self) -> ID {
        ID::from(self.row.id.clone())
    }
    async fn name(&self) -> &str {
        &self.row.name
    }
    async fn description(&self) -> &str {
        &self.row.description
    }
    async fn topic(&self) -> Topic {
        self.row.topic
    }
    /// Free tags beside the topic.
    async fn tags(&self) -> Vec<String> {
        service::tags_of(&self.row)
    }
    async fn visibility(&self) -> Visibility {
        self.row.visibility
    }
    async fn led_by(&self) -> LedBy {
        self.row.led_by
    }
    async fn rules(&self) -> &str {
        &self.row.rules
    }
    async fn member_count(&self) -> i32 {
        self.row.member_count
    }
    async fn post_count(&self) -> i32 {
        self.row.post_count
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// My place in this group: null when I have none.
    async fn my_membership(&self, ctx: &Context<'_>) -> Result<Option<MembershipObject>> {
        Ok(self
            .access(ctx)
            .await?
            .membership
            .clone()
            .map(MembershipObject))
    }
    /// The owner and moderators (for professionally led groups, the professionals).
    async fn moderators(&self, ctx: &Context<'_>) -> Result<Vec<MemberObject>> {
        let rows = membership_service::moderators(&ctx.app()?.db, &self.row.id).await?;
        Ok(rows.into_iter().map(MemberObject).collect())
    }
    /// Posts by latest activity. Members only, except in public groups.
    async fn posts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PostObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let access = self.access(ctx).await?;
        let authors = crate::graphql::authors_asked(ctx);
        let rows = ctx
            .cached()?
            .group_posts(&ctx.app()?.db, ctx.viewer()?, access, &page, authors)
            .await?;
        Ok(connection(
            rows.map(PostObject::from),
            PostObject::activity_cursor,
            page.after.is_some(),
            Some(self.row.post_count.into()),
        ))
    }
    async fn pinned_posts(&self, ctx: &Context<'_>) -> Result<Vec<PostObject>> {
        let access = self.access(ctx).await?;
        Ok(posts::pinned_posts(&ctx.app()?.db, ctx.viewer()?, access)
            .await?
            .into_iter()
            .map(PostObject::from)
            .collect())
    }
    /// Members, oldest first. Members only.
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, MemberObject, ListInfo>> {
        self.memberships(
            ctx,
            MemberState::Active,
            first,
            after,
            Some(self.row.member_count.into()),
        )
        .await
    }
    /// Pending join requests. Moderators only.
    async fn join_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, MemberObject, ListInfo>> {
        self.memberships(ctx, MemberState::Pending, first, after, None)
            .await
    }
    /// Meetings still to come, soonest first. Members only: empty for anyone else.
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, crate::graphql::MeetingObject, ListInfo>> {
        let args = PageArgs::new(first, after)?;
        let access = self.access(ctx).await?;
        let page =
            crate::meetings::occurrences::coming_in_group(&ctx.app()?.db, access, &args).await?;
        crate::graphql::MeetingObject::connection(ctx, page, &args).await
    }
    /// What moderators did here, newest first. Moderators only.
    async fn mod_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ModLogEntryObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let rows = crate::moderation::service::mod_log_page(
            &ctx.app()?.db,
            self.access(ctx).await?,
            &page,
        )
        .await?;
        Ok(connection(
            rows.map(ModLogEntryObject),
            ModLogEntryObject::cursor,
            page.after.is_some(),
            None,
        ))
    }
}

impl GroupObject {
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        state: MemberState,
        first: Option<i32>,
        after: Option<String>,
        total: Option<i64>,
    ) -> Result<Connection<String, MemberObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let rows = membership_service::list_memberships(
            &ctx.app()?.db,
            self.access(ctx).await?,
            state,
            &page,
        )
        .await?;
        Ok(connection(
            rows.map(MemberObject),
            MemberObject::cursor,
            page.after.is_some(),
            total,
        ))
    }
}

/// My own membership of a group.
pub struct MembershipObject(pub memberships::Model);

#[Object(name = "Membership")]
impl MembershipObject {
    async fn role(&self) -> Role {
        self.0.role
    }
    async fn state(&self) -> MemberState {
        self.0.state
    }
    /// The name shown for me in this group, instead of my pseudonym.
    async fn alias(&self) -> Option<&str> {
        self.0.alias.as_deref()
    }
    async fn notification_level(&self) -> NotificationLevel {
        self.0.notification_level
    }
    async fn joined_at(&self) -> Option<DateTime<Utc>> {
        self.0.joined_at
    }
}

/// Someone in a group, as other members see them.
pub struct MemberObject(pub memberships::Model);

impl MemberObject {
    fn cursor(&self) -> Cursor {
        Cursor {
            at: self.0.created_at,
            id: self.0.user_id.to_string(),
        }
    }
}

#[Object(name = "Member")]
impl MemberObject {
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        Ok(UserObject::in_group(ctx, &self.0.user_id, &self.0.group_id).await?)
    }
    async fn role(&self) -> Role {
        self.0.role
    }
    async fn joined_at(&self) -> Option<DateTime<Utc>> {
        self.0.joined_at
    }
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct CreateGroupInput {
    name: String,
    #[graphql(default)]
    description: String,
    topic: Topic,
    #[graphql(default)]
    tags: Vec<String>,
    visibility: Visibility,
    led_by: LedBy,
    #[graphql(default)]
    rules: String,
}

#[derive(InputObject)]
pub struct UpdateGroupInput {
    name: Option<String>,
    description: Option<String>,
    topic: Option<Topic>,
    tags: Option<Vec<String>>,
    visibility: Option<Visibility>,
    led_by: Option<LedBy>,
    rules: Option<String>,
}

#[derive(SimpleObject)]
pub struct InviteCode {
    /// Shown once: share it with the person you invite.
    code: String,
    expires_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct GroupQuery;

#[Object]
impl GroupQuery {
    /// Groups I can see, newest first; `search` looks in names, descriptions and tags.
    async fn groups(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        topic: Option<Topic>,
        search: Option<String>,
    ) -> Result<Connection<String, GroupObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let rows = service::list_groups(
            &ctx.app()?.db,
            ctx.viewer()?,
            topic,
            search.as_deref(),
            &page,
        )
        .await?;
        Ok(connection(
            rows.map(GroupObject::new),
            |g| Cursor {
                at: g.row.created_at,
                id: g.row.id.to_string(),
            },
            page.after.is_some(),
            None,
        ))
    }

    async fn group(&self, ctx: &Context<'_>, id: GroupId) -> Result<GroupObject> {
        let access = ctx
            .cached()?
            .group_access(&ctx.app()?.db, ctx.viewer()?, &id)
            .await?;
        Ok(GroupObject::with_access(access))
    }
}

#[derive(Default)]
pub struct GroupMutation;

#[Object]
impl GroupMutation {
    /// Creates a group; I become its owner.
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        input: CreateGroupInput,
    ) -> Result<GroupObject> {
        let group = service::create_group(
            &ctx.app()?.db,
            ctx.viewer()?,
            NewGroup {
                name: input.name,
                description: input.description,
                topic: input.topic,
                tags: input.tags,
                visibility: input.visibility,
                led_by: input.led_by,
                rules: input.rules,
            },
        )
        .await?;
        Ok(GroupObject::new(group))
    }

    async fn update_group(
        &self,
        ctx: &Context<'_>,
        id: GroupId,
        input: UpdateGroupInput,
    ) -> Result<GroupObject> {
        let changes = GroupChanges {
            name: input.name,
            description: input.description,
            topic: input.topic,
            tags: input.tags,
            visibility: input.visibility,
            led_by: input.led_by,
            rules: input.rules,
        };
        Ok(GroupObject::new(
            service::update_group(&ctx.app()?.db, ctx.viewer()?, &id, changes).await?,
        ))
    }

    /// Joins a public group, accepts an invitation, or asks to join a private group (state PENDING).
    async fn join_group(&self, ctx: &Context<'_>, group_id: GroupId) -> Result<MembershipObject> {
        let app = ctx.app()?;
        let joined = membership_service::join_group(&app.db, ctx.viewer()?, &group_id).await?;
        Ok(MembershipObject(joined.publish(&app.broker).await))
    }

    async fn leave_group(&self, ctx: &Context<'_>, group_id: GroupId) -> Result<bool> {
        membership_service::leave_group(&ctx.app()?.db, ctx.viewer()?, &group_id).await?;
        Ok(true)
    }

    /// Sets (or with null clears) my alias in a group, and how much it notifies me.
    async fn update_membership(
        &self,
        ctx: &Context<'_>,
        group_id: GroupId,
        alias: MaybeUndefined<String>,
        notification_level: Option<NotificationLevel>,
    ) -> Result<MembershipObject> {
        let alias: Option<Option<String>> = alias.into();
        let membership = membership_service::update_membership(
            &ctx.app()?.db,
            ctx.viewer()?,
            &group_id,
            alias,
            notification_level,
        )
        .await?;
        Ok(MembershipObject(membership))
    }

    async fn approve_join_request(
        &self,
        ctx: &Context<'_>,
        group_id: GroupId,
        user_id: UserId,
    ) -> Result<bool> {
        decide_join_request(ctx, &group_id, &user_id, true).await
    }

    async fn decline_join_request(
        &self,
        ctx: &Context<'_>,
        group_id: GroupId,
        user_id: UserId,
    ) -> Result<bool> {
        decide_join_request(ctx, &group_id, &user_id, false).await
    }

    /// Invites someone: they see the group (even a hidden one) and join with `joinGroup`.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        group_id: GroupId,
        user_id: UserId,
    ) -> Result<bool> {
        invites::invite_member(&ctx.app()?.db, ctx.viewer()?, &group_id, &user_id).await?;
        Ok(true)
    }

    async fn create_invite_code(
        &self,
        ctx: &Context<'_>,
        group_id: GroupId,
        #[graphql(default = 72)] valid_hours: i32,
    ) -> Result<InviteCode> {
        let (code, expires_at) =
            invites::create_invite_code(&ctx.app()?.db, ctx.viewer()?, &group_id, valid_hours)
                .await?;
        Ok(InviteCode { code, expires_at })
    }

    async fn join_with_invite_code(&self, ctx: &Context<'_>, code: String) -> Result<GroupObject> {
        let db = &ctx.app()?.db;
        let membership = invites::join_with_invite_code(db, ctx.viewer()?, &code).await?;
        let access =
            crate::community::access::group_access(db, ctx.viewer()?, &membership.group_id).await?;
        Ok(GroupObject::with_access(access))
    }

    /// The owner names moderators; naming a new OWNER hands the group over.
    async fn set_member_role(
        &self,
        ctx: &Context<'_>,
        group_id: GroupId,
        user_id: UserId,
        role: Role,
    ) -> Result<MemberObject> {
        Ok(MemberObject(
            membership_service::set_member_role(
                &ctx.app()?.db,
                ctx.viewer()?,
                &group_id,
                &user_id,
                role,
            )
            .await?,
        ))
    }
}

async fn decide_join_request(
    ctx: &Context<'_>,
    group_id: &GroupId,
    user_id: &UserId,
    approve: bool,
) -> Result<bool> {
    let app = ctx.app()?;
    membership_service::decide_join_request(&app.db, ctx.viewer()?, group_id, user_id, approve)
        .await?
        .publish(&app.broker)
        .await;
    Ok(true)
}

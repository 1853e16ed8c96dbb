//! GraphQL types and resolvers of groups.
use crate::community::access::GroupAccess;
use crate::community::vocabulary::{
    LedBy, MemberState, NotificationLevel, PersonInGroup, Role, Topic, Visibility,
};
use crate::error::{AppError, AppResult, Optional as _};
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
    /// Names this person across the whole API.
    pub id: UserId,
    /// Their alias in the group this is shown in, else their pseudonym.
    pub display_name: String,
    /// Their role in the group this is shown in, so nobody can pass for its moderators or
    /// professionals by name alone; null outside a group or once they are no member.
    pub role: Option<Role>,
}

/// A group I left: its id, and the group as it is now for me (my membership gone, one member
/// fewer); null when it is hidden and so no longer mine to see.
#[derive(SimpleObject)]
pub struct GroupDeparture {
    /// The group I left.
    group_id: ID,
    /// The group as it is now for me; null for a hidden group.
    group: Option<GroupObject>,
}

/// A credential a platform admin verified, shown beside the person's name until it runs out.
#[derive(SimpleObject)]
#[graphql(name = "Expert")]
pub struct ExpertStanding {
    /// As granted, e.g. "Licensed clinical social worker".
    title: String,
    /// When the standing runs out unless renewed.
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

    /// The group as the caller sees it now, read afresh (after a change of theirs).
    pub(crate) async fn now(ctx: &Context<'_>, id: &GroupId) -> AppResult<Self> {
        let access =
            crate::community::access::group_access(&ctx.app()?.db, ctx.viewer()?, id).await?;
        Ok(Self::with_access(access))
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

/// A support group: its members post, reply, ask and meet there.
#[Object(name = "Group")]
impl GroupObject {
    /// Names this group across the whole API.
    pub(crate) async fn id(&self) -> ID {
        ID::from(self.row.id.clone())
    }
    /// 3 to 80 characters.
    async fn name(&self) -> &str {
        &self.row.name
    }
    /// What the group is about, up to 2 000 characters; may be empty.
    async fn description(&self) -> &str {
        &self.row.description
    }
    /// The subject it is about.
    async fn topic(&self) -> Topic {
        self.row.topic
    }
    /// Free tags beside the topic.
    async fn tags(&self) -> Vec<String> {
        service::tags_of(&self.row)
    }
    /// Who can find it, read it and join it.
    async fn visibility(&self) -> Visibility {
        self.row.visibility
    }
    /// Whether peers or professionals lead it.
    async fn led_by(&self) -> LedBy {
        self.row.led_by
    }
    /// The rules its moderators set, up to 5 000 characters; may be empty.
    async fn rules(&self) -> &str {
        &self.row.rules
    }
    /// How many active members it has (join requests and invitations not counted).
    async fn member_count(&self) -> i32 {
        self.row.member_count
    }
    /// How many posts it holds, deleted and removed ones not counted.
    async fn post_count(&self) -> i32 {
        self.row.post_count
    }
    /// When it was created.
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
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
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
    /// Posts its moderators pinned, newest first, at most 20. Members only, except in public
    /// groups.
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
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
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
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, MemberObject, ListInfo>> {
        self.memberships(ctx, MemberState::Pending, first, after, None)
            .await
    }
    /// Meetings still to come, soonest first. Members only: empty for anyone else.
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, crate::graphql::MeetingObject, ListInfo>> {
        let args = PageArgs::new(first, after)?;
        let access = self.access(ctx).await?;
        let person = ctx.auth()?.optional_viewer()?.map(|v| &v.user_id);
        let page =
            crate::meetings::occurrences::coming_in_group(&ctx.app()?.db, access, person, &args)
                .await?;
        crate::graphql::MeetingObject::connection(page, &args)
    }
    /// What moderators did here, newest first. Moderators only.
    async fn mod_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
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

/// My own membership of a group.
#[Object(name = "Membership")]
impl MembershipObject {
    /// My role in the group.
    async fn role(&self) -> Role {
        self.0.role
    }
    /// Whether I am in the group, asked to join it, or am invited.
    async fn state(&self) -> MemberState {
        self.0.state
    }
    /// The name shown for me in this group, instead of my pseudonym.
    async fn alias(&self) -> Option<&str> {
        self.0.alias.as_deref()
    }
    /// How much this group notifies me; `REPLIES` unless I change it.
    async fn notification_level(&self) -> NotificationLevel {
        self.0.notification_level
    }
    /// When I became an active member; null while my request or invitation is open.
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

/// Someone in a group, or asking to join it, as the group shows them.
#[Object(name = "Member")]
impl MemberObject {
    /// The person, by their alias in this group or else their pseudonym.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        Ok(UserObject::in_group(ctx, &self.0.user_id, &self.0.group_id).await?)
    }
    /// Their role in the group.
    async fn role(&self) -> Role {
        self.0.role
    }
    /// When they became an active member; null for a join request.
    async fn joined_at(&self) -> Option<DateTime<Utc>> {
        self.0.joined_at
    }
    /// When their membership began: when they asked to join, were invited, or joined.
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A new group.
#[derive(InputObject)]
pub struct CreateGroupInput {
    /// 3 to 80 characters, none of them invisible.
    name: String,
    /// What the group is about, up to 2 000 characters.
    #[graphql(default)]
    description: String,
    /// The subject it is about.
    topic: Topic,
    /// Free tags beside the topic: at most 5, each 1 to 24 of `a`-`z`, `0`-`9` and `-`.
    #[graphql(default)]
    tags: Vec<String>,
    /// Who can find it, read it and join it.
    visibility: Visibility,
    /// Whether peers or professionals lead it.
    led_by: LedBy,
    /// The group's rules, up to 5 000 characters.
    #[graphql(default)]
    rules: String,
}

/// Changes to a group; what is left out stays as it is.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    /// 3 to 80 characters, none of them invisible.
    name: Option<String>,
    /// Up to 2 000 characters.
    description: Option<String>,
    /// The subject it is about.
    topic: Option<Topic>,
    /// Replaces every tag: at most 5, each 1 to 24 of `a`-`z`, `0`-`9` and `-`.
    tags: Option<Vec<String>>,
    /// Who can find it, read it and join it. Only the owner (or a platform admin) changes it.
    visibility: Option<Visibility>,
    /// Whether peers or professionals lead it. Only the owner (or a platform admin) changes it.
    led_by: Option<LedBy>,
    /// Up to 5 000 characters.
    rules: Option<String>,
}

/// A code that lets whoever holds it join a group until it expires.
#[derive(SimpleObject)]
pub struct InviteCode {
    /// Shown once: share it with the person you invite.
    code: String,
    /// When the code stops working.
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
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
        #[graphql(desc = "Only groups of this topic.")] topic: Option<Topic>,
        #[graphql(
            desc = "Text to look for, in any case, in names, descriptions and tags; at most 100 \
                    characters."
        )]
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

    /// One group. A hidden one is `NOT_FOUND` to whoever is not in it or invited to it.
    async fn group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's id.")] id: GroupId,
    ) -> Result<GroupObject> {
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
        #[graphql(desc = "The new group's name, topic, visibility and the rest.")]
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

    /// Changes a group. Moderators only; its visibility and `ledBy` are the owner's to change.
    async fn update_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to change.")] id: GroupId,
        #[graphql(desc = "What to change; what is left out stays as it is.")]
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
    async fn join_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to join.")] group_id: GroupId,
    ) -> Result<MembershipObject> {
        let app = ctx.app()?;
        let joined = membership_service::join_group(&app.db, ctx.viewer()?, &group_id).await?;
        Ok(MembershipObject(joined.publish(&app.broker).await))
    }

    /// Leaves a group, withdraws my request to join it, or declines its invitation. An owner
    /// first makes someone else owner. Answers the group as it is now for me, for an app's cache.
    async fn quit_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to leave.")] group_id: GroupId,
    ) -> Result<GroupDeparture> {
        membership_service::leave_group(&ctx.app()?.db, ctx.viewer()?, &group_id).await?;
        let group = GroupObject::now(ctx, &group_id).await.optional()?;
        Ok(GroupDeparture {
            group_id: group_id.into(),
            group,
        })
    }

    /// Leaves a group, withdraws my request to join it, or declines its invitation. An owner
    /// first makes someone else owner.
    #[graphql(deprecation = "Use `quitGroup`, which answers the group as it is now.")]
    async fn leave_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to leave.")] group_id: GroupId,
    ) -> Result<bool> {
        membership_service::leave_group(&ctx.app()?.db, ctx.viewer()?, &group_id).await?;
        Ok(true)
    }

    /// Sets (or with null clears) my alias in a group, and how much it notifies me.
    async fn update_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group I am an active member of.")] group_id: GroupId,
        #[graphql(
            desc = "My name in this group: 3 to 32 letters, digits, spaces, `_`, `-` and `.`, \
                    not one that reads like another's name there. Null clears it; left out \
                    keeps it."
        )]
        alias: MaybeUndefined<String>,
        #[graphql(desc = "How much the group notifies me; left out keeps it.")]
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

    /// Lets someone who asked to join in; they are told. Moderators only. Answers the group as
    /// it is now (one member more), for an app's cache.
    async fn accept_join_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group they asked to join.")] group_id: GroupId,
        #[graphql(desc = "Who asked.")] user_id: UserId,
    ) -> Result<GroupObject> {
        decide_join_request(ctx, &group_id, &user_id, true).await?;
        Ok(GroupObject::now(ctx, &group_id).await?)
    }

    /// Turns down a request to join, which is dropped. Moderators only. Answers the group as it
    /// is now.
    async fn refuse_join_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group they asked to join.")] group_id: GroupId,
        #[graphql(desc = "Who asked.")] user_id: UserId,
    ) -> Result<GroupObject> {
        decide_join_request(ctx, &group_id, &user_id, false).await?;
        Ok(GroupObject::now(ctx, &group_id).await?)
    }

    /// Invites someone: they see the group (even a hidden one) and join with `joinGroup`.
    /// Answers the group as it is now.
    async fn invite_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to invite to; I must moderate it.")] group_id: GroupId,
        #[graphql(desc = "The person to invite.")] user_id: UserId,
    ) -> Result<GroupObject> {
        invites::invite_member(&ctx.app()?.db, ctx.viewer()?, &group_id, &user_id).await?;
        Ok(GroupObject::now(ctx, &group_id).await?)
    }

    /// Lets someone who asked to join in; they are told. Moderators only.
    #[graphql(deprecation = "Use `acceptJoinRequest`, which answers the group as it is now.")]
    async fn approve_join_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group they asked to join.")] group_id: GroupId,
        #[graphql(desc = "Who asked.")] user_id: UserId,
    ) -> Result<bool> {
        decide_join_request(ctx, &group_id, &user_id, true).await
    }

    /// Turns down a request to join, which is dropped. Moderators only.
    #[graphql(deprecation = "Use `refuseJoinRequest`, which answers the group as it is now.")]
    async fn decline_join_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group they asked to join.")] group_id: GroupId,
        #[graphql(desc = "Who asked.")] user_id: UserId,
    ) -> Result<bool> {
        decide_join_request(ctx, &group_id, &user_id, false).await
    }

    /// Invites someone: they see the group (even a hidden one) and join with `joinGroup`.
    #[graphql(deprecation = "Use `invitePerson`, which answers the group as it is now.")]
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to invite to; I must moderate it.")] group_id: GroupId,
        #[graphql(desc = "The person to invite.")] user_id: UserId,
    ) -> Result<bool> {
        invites::invite_member(&ctx.app()?.db, ctx.viewer()?, &group_id, &user_id).await?;
        Ok(true)
    }

    /// Makes a code that lets anyone holding it join the group until it expires. Moderators
    /// only.
    async fn create_invite_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group the code lets people join.")] group_id: GroupId,
        #[graphql(default = 72, desc = "How long the code works, 1 to 720 hours.")]
        valid_hours: i32,
    ) -> Result<InviteCode> {
        let (code, expires_at) =
            invites::create_invite_code(&ctx.app()?.db, ctx.viewer()?, &group_id, valid_hours)
                .await?;
        Ok(InviteCode { code, expires_at })
    }

    /// Joins the group of an invite code at once, whatever its visibility; `NOT_FOUND` for an
    /// unknown or expired code.
    async fn join_with_invite_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code a moderator shared.")] code: String,
    ) -> Result<GroupObject> {
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
        #[graphql(desc = "The group, which I own (or which a platform admin hands over).")]
        group_id: GroupId,
        #[graphql(desc = "An active member other than me.")] user_id: UserId,
        #[graphql(
            desc = "Their new role; OWNER hands the group over, the old owner becoming a \
                    moderator."
        )]
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

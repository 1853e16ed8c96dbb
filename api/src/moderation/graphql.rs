//! GraphQL types and resolvers of moderation and blocking.
use super::service;
use crate::content::ContentType;
use crate::content::ReportStatus;
use crate::error::AppResult;
use crate::gql::ContextExt;
use crate::groups::{GroupObject, UserObject};
use crate::ids::{GroupId, PostId, ReplyId, ReportId, UserId};
use crate::pagination::{connection, Cursor, ListInfo, PageArgs};
use crate::posts::{PostObject, ReplyObject};
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::ModAction;
use entity::{mod_log, posts, replies, reports};
use sea_orm::ActiveEnum as _;
use tokio::sync::OnceCell;

pub struct ReportObject(pub reports::Model, Reported);

/// What a report is about, read once for all of its fields.
type Reported = OnceCell<(Option<posts::Model>, Option<replies::Model>)>;

impl ReportObject {
    fn new(row: reports::Model) -> Self {
        ReportObject(row, Reported::default())
    }

    async fn reported(
        &self,
        ctx: &Context<'_>,
    ) -> AppResult<&(Option<posts::Model>, Option<replies::Model>)> {
        self.1
            .get_or_try_init(|| async { service::reported(&ctx.app()?.db, &self.0).await })
            .await
    }
}

#[Object(name = "Report")]
impl ReportObject {
    async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupObject>> {
        Ok(GroupObject::reachable(ctx, &self.0.group_id).await?)
    }
    async fn target_type(&self) -> ContentType {
        self.0.target_type
    }
    async fn target_id(&self) -> ID {
        ID::from(self.0.target_id.clone())
    }
    /// The reported post, or the post of the reported reply. Its text is null once deleted or
    /// removed, as everywhere.
    async fn post(&self, ctx: &Context<'_>) -> Result<Option<PostObject>> {
        let (post, _) = self.reported(ctx).await?;
        Ok(post.clone().map(PostObject::from))
    }
    /// The reported reply, for a report of a reply.
    async fn reply(&self, ctx: &Context<'_>) -> Result<Option<ReplyObject>> {
        let (_, reply) = self.reported(ctx).await?;
        Ok(reply.clone().map(ReplyObject))
    }
    /// Who wrote what is reported, as the group knows them, even once it is deleted: after a
    /// crisis flag a moderator may need to reach out.
    /// Null for an anonymous post, and for a reply by its anonymous author:
    /// `revealReportedAuthor` names them, into the mod log.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        let author = match self.reported(ctx).await? {
            (_, Some(reply)) if !reply.anonymous => &reply.author_id,
            (_, Some(_)) => return Ok(None),
            (Some(post), None) if !post.anonymous => &post.author_id,
            _ => return Ok(None),
        };
        Ok(UserObject::in_group(ctx, author, &self.0.group_id).await?)
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    async fn status(&self) -> ReportStatus {
        self.0.status
    }
    /// Crisis language: look at these first.
    async fn priority(&self) -> bool {
        self.0.priority
    }
    async fn resolution_note(&self) -> Option<&str> {
        self.0.resolution_note.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
}

pub struct ModLogEntryObject(pub mod_log::Model);

impl ModLogEntryObject {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.0.created_at,
            id: self.0.id.to_string(),
        }
    }
}

#[Object(name = "ModLogEntry")]
impl ModLogEntryObject {
    async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// What was done, e.g. REMOVE_POST, BAN, APPROVE_JOIN.
    async fn action(&self) -> ModAction {
        self.0.action
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        Ok(UserObject::in_group(ctx, &self.0.actor_id, &self.0.group_id).await?)
    }
    // USER, POST, REPLY or REPORT.
    async fn target_type(&self) -> Option<String> {
        self.0.target_type.map(|t| t.to_value())
    }
    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.clone().map(ID::from)
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct ReportInput {
    target_type: ContentType,
    target_id: ID,
    reason: String,
}

#[derive(Default)]
pub struct ModerationQuery;

#[Object]
impl ModerationQuery {
    /// Reports of a group (its moderators), or of every group (platform admins), oldest first.
    /// `priority: true` is the priority queue: posts and replies whose words read like a crisis,
    /// flagged as they were written. Look there first.
    async fn reports(
        &self,
        ctx: &Context<'_>,
        group_id: Option<GroupId>,
        #[graphql(default_with = "ReportStatus::Open")] status: ReportStatus,
        priority: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ReportObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let rows = service::list_reports(
            &ctx.app()?.db,
            ctx.viewer()?,
            group_id.as_ref(),
            status,
            priority,
            &page,
        )
        .await?;
        Ok(connection(
            rows.map(ReportObject::new),
            |r| Cursor {
                at: r.0.created_at,
                id: r.0.id.to_string(),
            },
            page.after.is_some(),
            None,
        ))
    }
}

#[derive(Default)]
pub struct ModerationMutation;

#[Object]
impl ModerationMutation {
    /// Hides their posts and replies from me and mine from them, and stops notifications between us.
    async fn block_user(&self, ctx: &Context<'_>, user_id: UserId) -> Result<bool> {
        service::block_user(&ctx.app()?.db, ctx.viewer()?, &user_id).await?;
        Ok(true)
    }

    async fn unblock_user(&self, ctx: &Context<'_>, user_id: UserId) -> Result<bool> {
        service::unblock_user(&ctx.app()?.db, ctx.viewer()?, &user_id).await?;
        Ok(true)
    }

    /// Reports a post or reply to the group's moderators.
    async fn report(&self, ctx: &Context<'_>, input: ReportInput) -> Result<ReportObject> {
        let report = service::report(
            &ctx.app()?.db,
            ctx.viewer()?,
            input.target_type,
            &input.target_id,
            &input.reason,
        )
        .await?;
        Ok(ReportObject::new(report))
    }

    async fn resolve_report(
        &self,
        ctx: &Context<'_>,
        id: ReportId,
        status: ReportStatus,
        note: Option<String>,
    ) -> Result<ReportObject> {
        Ok(ReportObject::new(
            service::resolve_report(&ctx.app()?.db, ctx.viewer()?, &id, status, note.as_deref())
                .await?,
        ))
    }

    /// Moderators acting on a report: who wrote the reported item, an anonymous post included.
    /// The reveal goes into the group's mod log.
    async fn reveal_reported_author(
        &self,
        ctx: &Context<'_>,
        report_id: ReportId,
    ) -> Result<Option<UserObject>> {
        let app = ctx.app()?;
        let (author, group) = service::reveal_author(&app.db, ctx.viewer()?, &report_id).await?;
        Ok(UserObject::in_group(ctx, &author, &group).await?)
    }

    async fn remove_post(
        &self,
        ctx: &Context<'_>,
        id: PostId,
        reason: String,
    ) -> Result<PostObject> {
        let app = ctx.app()?;
        let removed = service::remove_post(&app.db, ctx.viewer()?, &id, &reason).await?;
        Ok(PostObject::from(removed.publish(&app.broker).await))
    }

    async fn remove_reply(
        &self,
        ctx: &Context<'_>,
        id: ReplyId,
        reason: String,
    ) -> Result<ReplyObject> {
        let app = ctx.app()?;
        let removed = service::remove_reply(&app.db, ctx.viewer()?, &id, &reason).await?;
        Ok(ReplyObject(removed.publish(&app.broker).await))
    }

    /// A locked post takes no more replies.
    async fn lock_post(
        &self,
        ctx: &Context<'_>,
        id: PostId,
        #[graphql(default = true)] locked: bool,
    ) -> Result<PostObject> {
        Ok(PostObject::from(
            service::set_post_flag(&ctx.app()?.db, ctx.viewer()?, &id, true, locked).await?,
        ))
    }

    async fn pin_post(
        &self,
        ctx: &Context<'_>,
        id: PostId,
        #[graphql(default = true)] pinned: bool,
    ) -> Result<PostObject> {
        Ok(PostObject::from(
            service::set_post_flag(&ctx.app()?.db, ctx.viewer()?, &id, false, pinned).await?,
        ))
    }

    /// Bans someone from a group until a time (or for good when `until` is null).
    async fn ban_member(
        &self,
        ctx: &Context<'_>,
        group_id: GroupId,
        user_id: UserId,
        until: Option<DateTime<Utc>>,
        reason: String,
    ) -> Result<bool> {
        service::ban_member(
            &ctx.app()?.db,
            ctx.viewer()?,
            &group_id,
            &user_id,
            until,
            &reason,
        )
        .await?;
        Ok(true)
    }

    async fn unban_member(
        &self,
        ctx: &Context<'_>,
        group_id: GroupId,
        user_id: UserId,
    ) -> Result<bool> {
        service::unban_member(&ctx.app()?.db, ctx.viewer()?, &group_id, &user_id).await?;
        Ok(true)
    }
}

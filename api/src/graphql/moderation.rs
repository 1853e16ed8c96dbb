//! GraphQL types and resolvers of moderation and blocking: one `Report` for the four kinds of
//! item, and the question-only names of the first apps kept, deprecated, over the same rows.
use crate::content::{ContentType, ReportStatus};
use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::{
    person, AnswerObject, GroupObject, PostObject, QuestionObject, ReplyObject, UserObject,
};
use crate::ids::{
    AnswerId, GroupId, PostId, QuestionId, QuestionReportId, ReplyId, ReportId, UserId,
};
use crate::moderation::removal::{self, Item, Removed};
use crate::moderation::reports::{self, Queue, QueueFilter, Reported};
use crate::moderation::service;
use crate::pagination::{connection, Cursor, ListInfo, PageArgs};
use anyhow::anyhow;
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::ModAction;
use entity::{mod_log, reports as report_rows};
use sea_orm::ActiveEnum as _;
use tokio::sync::OnceCell;

pub struct ReportObject(pub report_rows::Model, OnceCell<Reported>);

impl ReportObject {
    fn new(row: report_rows::Model) -> Self {
        ReportObject(row, OnceCell::new())
    }

    /// What the report is about, read once for all of its fields.
    async fn reported(&self, ctx: &Context<'_>) -> AppResult<&Reported> {
        self.1
            .get_or_try_init(|| async { reports::reported(&ctx.app()?.db, &self.0).await })
            .await
    }
}

/// A report of a post, reply, question or answer, for those who handle it: the moderators of
/// the group it was written in, or for a platform-wide question the platform admins.
#[Object(name = "Report")]
impl ReportObject {
    /// Names this report.
    async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// Where the item was written; null for a platform-wide question or one of its answers.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupObject>> {
        match &self.0.group_id {
            Some(group_id) => Ok(GroupObject::reachable(ctx, group_id).await?),
            None => Ok(None),
        }
    }
    /// What kind of item is reported.
    async fn target_type(&self) -> ContentType {
        self.0.target_type
    }
    /// The id of the reported item.
    async fn target_id(&self) -> ID {
        ID::from(self.0.target_id.clone())
    }
    /// The reported post, or the post of the reported reply. Its text is null once deleted or
    /// removed, as everywhere.
    async fn post(&self, ctx: &Context<'_>) -> Result<Option<PostObject>> {
        Ok(self.reported(ctx).await?.post.clone().map(PostObject::from))
    }
    /// The reported reply, for a report of a reply.
    async fn reply(&self, ctx: &Context<'_>) -> Result<Option<ReplyObject>> {
        Ok(self.reported(ctx).await?.reply.clone().map(ReplyObject))
    }
    /// The reported question, or the question of the reported answer, as written (even once
    /// removed).
    async fn question(&self, ctx: &Context<'_>) -> Result<Option<QuestionObject>> {
        Ok(self
            .reported(ctx)
            .await?
            .question
            .clone()
            .map(QuestionObject))
    }
    /// The reported answer, for a report of an answer, as written (even once removed).
    async fn answer(&self, ctx: &Context<'_>) -> Result<Option<AnswerObject>> {
        let reported = self.reported(ctx).await?;
        Ok(reported.answer.clone().map(|row| AnswerObject {
            row,
            group_id: self.0.group_id.clone(),
        }))
    }
    /// Who wrote what is reported, as the group knows them, even once it is deleted: after a
    /// crisis flag a moderator may need to reach out. Null for what was written anonymously:
    /// `revealReportedAuthor` names them, into the mod log.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        match self.reported(ctx).await?.author() {
            Some((author, false)) => Ok(person(ctx, author, self.0.group_id.as_ref()).await?),
            _ => Ok(None),
        }
    }
    /// Why it was reported, in the reporter's words (or the crisis flag's).
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// Open, or closed as resolved or dismissed.
    async fn status(&self) -> ReportStatus {
        self.0.status
    }
    /// Crisis language: look at these first.
    async fn priority(&self) -> bool {
        self.0.priority
    }
    /// The note left by whoever closed it, if any.
    async fn resolution_note(&self) -> Option<&str> {
        self.0.resolution_note.as_deref()
    }
    /// When it was filed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was resolved or dismissed; null while open.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
}

/// The report of a question or answer as the first apps read it: a `Report` by another name.
pub struct QuestionReportObject(ReportObject);

/// The report of a question or answer as the first apps read it: a `Report` by another name.
#[Object(name = "QuestionReport")]
impl QuestionReportObject {
    /// Names this report, the same id as its `Report`'s.
    async fn id(&self) -> ID {
        ID::from(self.0 .0.id.clone())
    }
    /// The reported question, or the question of the reported answer.
    async fn question_id(&self, ctx: &Context<'_>) -> Result<ID> {
        let question = self.0.reported(ctx).await?.question.as_ref();
        Ok(ID::from(question.ok_or(AppError::NotFound)?.id.clone()))
    }
    /// Set when an answer is reported.
    async fn answer_id(&self) -> Option<ID> {
        let row = &self.0 .0;
        (row.target_type == ContentType::Answer).then(|| ID::from(row.target_id.clone()))
    }
    /// The reported question as written (even once removed).
    async fn question(&self, ctx: &Context<'_>) -> Result<Option<QuestionObject>> {
        Ok(self
            .0
            .reported(ctx)
            .await?
            .question
            .clone()
            .map(QuestionObject))
    }
    /// The reported answer as written (even once removed).
    async fn answer(&self, ctx: &Context<'_>) -> Result<Option<AnswerObject>> {
        self.0.answer(ctx).await
    }
    /// Why it was reported, in the reporter's words (or the crisis flag's).
    async fn reason(&self) -> &str {
        &self.0 .0.reason
    }
    /// Raised by crisis language.
    async fn priority(&self) -> bool {
        self.0 .0.priority
    }
    /// Open, or closed as resolved or dismissed.
    async fn status(&self) -> ReportStatus {
        self.0 .0.status
    }
    /// The note left by whoever closed it, if any.
    async fn resolution_note(&self) -> Option<&str> {
        self.0 .0.resolution_note.as_deref()
    }
    /// When it was filed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0 .0.created_at
    }
    /// When it was resolved or dismissed; null while open.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0 .0.resolved_at
    }
}

impl From<report_rows::Model> for QuestionReportObject {
    fn from(row: report_rows::Model) -> Self {
        QuestionReportObject(ReportObject::new(row))
    }
}

fn report_cursor(report: &ReportObject) -> Cursor {
    Cursor {
        at: report.0.created_at,
        id: report.0.id.to_string(),
    }
}

const QUESTION_KINDS: &[ContentType] = &[ContentType::Question, ContentType::Answer];

pub struct ModLogEntryObject(pub mod_log::Model);

impl ModLogEntryObject {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.0.created_at,
            id: self.0.id.to_string(),
        }
    }
}

/// One thing a moderator did in a group, as its mod log records it.
#[Object(name = "ModLogEntry")]
impl ModLogEntryObject {
    /// Names this entry.
    async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// What was done, e.g. REMOVE_POST, BAN, APPROVE_JOIN.
    async fn action(&self) -> ModAction {
        self.0.action
    }
    /// The moderator who acted, as the group shows them.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        Ok(UserObject::in_group(ctx, &self.0.actor_id, &self.0.group_id).await?)
    }
    /// What it was done to: `USER`, `POST`, `REPLY`, `REPORT`, `QUESTION` or `ANSWER`; null
    /// for the group itself.
    async fn target_type(&self) -> Option<String> {
        self.0.target_type.map(|t| t.to_value())
    }
    /// The id of what it was done to; null for the group itself.
    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.clone().map(ID::from)
    }
    /// The reason or note the moderator gave, if any.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// When it was done.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A report of an item I can read.
#[derive(InputObject)]
pub struct ReportInput {
    /// What kind of item it is.
    target_type: ContentType,
    /// The id of the post, reply, question or answer.
    target_id: ID,
    /// Why, 1 to 1 000 characters; those who handle it read it.
    reason: String,
}

#[derive(Default)]
pub struct ModerationQuery;

#[Object]
impl ModerationQuery {
    /// Reports of a group (its moderators), or of everything (platform admins: every group's,
    /// and those of platform-wide questions), oldest first. Posts, replies, questions and
    /// answers share the queue. `priority: true` is the priority queue: items whose words read
    /// like a crisis, flagged as they were written. Look there first.
    async fn reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group I moderate; left out, every report (for platform admins only).")]
        group_id: Option<GroupId>,
        #[graphql(
            default_with = "ReportStatus::Open",
            desc = "Only reports in this status."
        )]
        status: ReportStatus,
        #[graphql(desc = "True: only crisis flags; false: only the rest; left out: both.")]
        priority: Option<bool>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, ReportObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let queue = match &group_id {
            Some(group_id) => Queue::Group(group_id),
            None => Queue::Everything,
        };
        let filter = QueueFilter {
            status: Some(status),
            priority,
            kinds: &[],
        };
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let rows = reports::queue(&app.db, viewer, queue, filter, &page).await?;
        let after = page.after.is_some();
        Ok(connection(
            rows.map(ReportObject::new),
            report_cursor,
            after,
            None,
        ))
    }

    /// Reports of questions and answers only: a group's, or without `groupId` those of
    /// platform-wide questions. Oldest first, as every report queue.
    #[graphql(deprecation = "Use `reports`: one queue for posts, replies, questions and answers.")]
    async fn question_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A group I moderate; left out, the reports of platform-wide questions (for \
                    platform admins only)."
        )]
        group_id: Option<GroupId>,
        #[graphql(desc = "Only this status; all if left out.")] status: Option<ReportStatus>,
        #[graphql(desc = "True: only crisis flags; false: only the rest; left out: both.")]
        priority: Option<bool>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, QuestionReportObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let queue = match &group_id {
            Some(group_id) => Queue::Group(group_id),
            None => Queue::PlatformWide,
        };
        let filter = QueueFilter {
            status,
            priority,
            kinds: QUESTION_KINDS,
        };
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let rows = reports::queue(&app.db, viewer, queue, filter, &page).await?;
        let after = page.after.is_some();
        Ok(connection(
            rows.map(QuestionReportObject::from),
            |r| report_cursor(&r.0),
            after,
            None,
        ))
    }
}

#[derive(Default)]
pub struct ModerationMutation;

#[Object]
impl ModerationMutation {
    /// Hides their posts and replies from me and mine from them, and stops notifications between
    /// us. Answers my account with its list of blocked people, for an app's cache.
    async fn block_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to block; not me.")] user_id: UserId,
    ) -> Result<crate::graphql::Account> {
        let (db, viewer) = (&ctx.app()?.db, ctx.viewer()?);
        service::block_user(db, viewer, &user_id).await?;
        let me = crate::accounts::service::find_user(db, &viewer.user_id).await?;
        Ok(crate::graphql::Account(me))
    }

    /// Ends my block of someone (whether or not I had blocked them). Answers my account with
    /// its list of blocked people.
    async fn unblock_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to unblock.")] user_id: UserId,
    ) -> Result<crate::graphql::Account> {
        let (db, viewer) = (&ctx.app()?.db, ctx.viewer()?);
        service::unblock_user(db, viewer, &user_id).await?;
        let me = crate::accounts::service::find_user(db, &viewer.user_id).await?;
        Ok(crate::graphql::Account(me))
    }

    /// Hides their posts and replies from me and mine from them, and stops notifications between us.
    #[graphql(deprecation = "Use `blockPerson`, which answers my account with its blocked people.")]
    async fn block_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to block; not me.")] user_id: UserId,
    ) -> Result<bool> {
        service::block_user(&ctx.app()?.db, ctx.viewer()?, &user_id).await?;
        Ok(true)
    }

    /// Ends my block of someone; true whether or not I had blocked them.
    #[graphql(
        deprecation = "Use `unblockPerson`, which answers my account with its blocked people."
    )]
    async fn unblock_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to unblock.")] user_id: UserId,
    ) -> Result<bool> {
        service::unblock_user(&ctx.app()?.db, ctx.viewer()?, &user_id).await?;
        Ok(true)
    }

    /// Reports a post, reply, question or answer I can read to those who handle it. My second
    /// report of the same item while the first is open returns the first.
    async fn report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item, and why.")] input: ReportInput,
    ) -> Result<ReportObject> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let (kind, id) = (input.target_type, input.target_id.as_str());
        let report = reports::report(&app.db, viewer, kind, id, &input.reason).await?;
        Ok(ReportObject::new(report))
    }

    /// Reports a question I can read to those who handle it.
    #[graphql(deprecation = "Use `report(input: {targetType: QUESTION, …})`.")]
    async fn report_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question to report.")] question_id: QuestionId,
        #[graphql(desc = "Why, 1 to 1 000 characters; those who handle it read it.")]
        reason: String,
    ) -> Result<QuestionReportObject> {
        let input = ReportInput {
            target_type: ContentType::Question,
            target_id: question_id.into_string().into(),
            reason,
        };
        Ok(QuestionReportObject(self.report(ctx, input).await?))
    }

    /// Reports an answer I can read to those who handle it.
    #[graphql(deprecation = "Use `report(input: {targetType: ANSWER, …})`.")]
    async fn report_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer to report.")] answer_id: AnswerId,
        #[graphql(desc = "Why, 1 to 1 000 characters; those who handle it read it.")]
        reason: String,
    ) -> Result<QuestionReportObject> {
        let input = ReportInput {
            target_type: ContentType::Answer,
            target_id: answer_id.into_string().into(),
            reason,
        };
        Ok(QuestionReportObject(self.report(ctx, input).await?))
    }

    /// Resolves or dismisses a report I handle. Nobody closes the crisis flag on their own words.
    async fn resolve_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report.")] id: ReportId,
        #[graphql(desc = "`RESOLVED` or `DISMISSED`: a report is never opened again.")]
        status: ReportStatus,
        #[graphql(desc = "A note for the record, 1 to 1 000 characters.")] note: Option<String>,
    ) -> Result<ReportObject> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let row = reports::resolve(&app.db, viewer, &id, status, note.as_deref()).await?;
        Ok(ReportObject::new(row))
    }

    /// Resolves or dismisses a report of a question or answer I handle.
    #[graphql(deprecation = "Use `resolveReport`.")]
    async fn resolve_question_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report.")] id: QuestionReportId,
        #[graphql(desc = "`RESOLVED` or `DISMISSED`: a report is never opened again.")]
        status: ReportStatus,
        #[graphql(desc = "A note for the record, 1 to 1 000 characters.")] note: Option<String>,
    ) -> Result<QuestionReportObject> {
        let id = ReportId::from(id.as_str());
        let report = self.resolve_report(ctx, id, status, note).await?;
        Ok(QuestionReportObject(report))
    }

    /// Those handling a report: who wrote the reported item, an anonymous one included. The
    /// reveal goes into the group's mod log (for a platform-wide question, the server's audit
    /// log).
    async fn reveal_reported_author(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A report I handle.")] report_id: ReportId,
    ) -> Result<Option<UserObject>> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let (author, group) = reports::reveal_author(&app.db, viewer, &report_id).await?;
        Ok(person(ctx, &author, group.as_ref()).await?)
    }

    /// Those handling a report: who wrote the reported question or answer, an anonymous one
    /// included, logged as `revealReportedAuthor` logs it.
    #[graphql(deprecation = "Use `revealReportedAuthor`.")]
    async fn reveal_question_report_author(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A report I handle.")] report_id: QuestionReportId,
    ) -> Result<Option<UserObject>> {
        let id = ReportId::from(report_id.as_str());
        self.reveal_reported_author(ctx, id).await
    }

    /// Moderators: removes a post from every list; its author is told.
    async fn remove_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post to remove.")] id: PostId,
        #[graphql(desc = "Why, 1 to 1 000 characters; kept with the post and in the mod log.")]
        reason: String,
    ) -> Result<PostObject> {
        match remove(ctx, Item::Post(id), &reason).await? {
            Removed::Post(post) => Ok(PostObject::from(post)),
            _ => Err(AppError::internal(anyhow!("a post's removal gave another item")).into()),
        }
    }

    /// Moderators: removes a reply; its author is told.
    async fn remove_reply(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reply to remove.")] id: ReplyId,
        #[graphql(desc = "Why, 1 to 1 000 characters; kept with the reply and in the mod log.")]
        reason: String,
    ) -> Result<ReplyObject> {
        match remove(ctx, Item::Reply(id), &reason).await? {
            Removed::Reply(reply) => Ok(ReplyObject(reply)),
            _ => Err(AppError::internal(anyhow!("a reply's removal gave another item")).into()),
        }
    }

    /// Moderators (for a platform-wide question, platform admins): removes a question from
    /// every list; its asker is told.
    #[graphql(
        deprecation = "Use `takeDownQuestion`, which answers the deleted id for an app's cache."
    )]
    async fn remove_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question to remove.")] id: QuestionId,
        #[graphql(
            desc = "Why, 1 to 1 000 characters; kept with the question and in its group's mod \
                    log."
        )]
        reason: String,
    ) -> Result<bool> {
        remove(ctx, Item::Question(id), &reason).await?;
        Ok(true)
    }

    /// Moderators: takes down a question; its author is told. Answers its id, to evict from
    /// an app's cache.
    async fn take_down_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question to take down.")] id: QuestionId,
        #[graphql(
            desc = "Why, 1 to 1 000 characters; kept with the question and in its group's mod \
                    log."
        )]
        reason: String,
    ) -> Result<crate::graphql::Deletion> {
        remove(ctx, Item::Question(id.clone()), &reason).await?;
        Ok(crate::graphql::Deletion::of(id))
    }

    /// Moderators: takes down an answer; its author is told. Answers its id, to evict from an
    /// app's cache, and its question as it is now.
    async fn take_down_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer to take down.")] id: AnswerId,
        #[graphql(
            desc = "Why, 1 to 1 000 characters; kept with the answer and in its group's mod log."
        )]
        reason: String,
    ) -> Result<crate::graphql::questions::AnswerDeletion> {
        let removed = remove(ctx, Item::Answer(id.clone()), &reason).await?;
        let question = match removed {
            Removed::Answer(answer) => {
                crate::graphql::questions::question_now(ctx, &answer.question_id).await?
            }
            _ => None,
        };
        Ok(crate::graphql::questions::AnswerDeletion {
            deleted_id: id.into(),
            question,
        })
    }

    /// Moderators: removes an answer; its author is told.
    #[graphql(
        deprecation = "Use `takeDownAnswer`, which answers the deleted id and the question for an app's cache."
    )]
    async fn remove_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer to remove.")] id: AnswerId,
        #[graphql(
            desc = "Why, 1 to 1 000 characters; kept with the answer and in its group's mod log."
        )]
        reason: String,
    ) -> Result<bool> {
        remove(ctx, Item::Answer(id), &reason).await?;
        Ok(true)
    }

    /// Moderators: a locked question takes no new answers.
    async fn lock_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question.")] id: QuestionId,
        #[graphql(desc = "True locks it; false unlocks it.")] locked: bool,
    ) -> Result<QuestionObject> {
        let app = ctx.app()?;
        let row = service::lock_question(&app.db, ctx.viewer()?, &id, locked).await?;
        Ok(QuestionObject(row))
    }

    /// A locked post takes no more replies.
    async fn lock_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post, in a group I moderate.")] id: PostId,
        #[graphql(default = true, desc = "False unlocks it.")] locked: bool,
    ) -> Result<PostObject> {
        Ok(PostObject::from(
            service::set_post_flag(&ctx.app()?.db, ctx.viewer()?, &id, true, locked).await?,
        ))
    }

    /// Moderators: pins a post among its group's `pinnedPosts`, or unpins it.
    async fn pin_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post, in a group I moderate.")] id: PostId,
        #[graphql(default = true, desc = "False unpins it.")] pinned: bool,
    ) -> Result<PostObject> {
        Ok(PostObject::from(
            service::set_post_flag(&ctx.app()?.db, ctx.viewer()?, &id, false, pinned).await?,
        ))
    }

    /// Bans someone from a group until a time (or for good when `until` is null). Answers the
    /// group as it is now (one member fewer), for an app's cache.
    async fn ban_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group I moderate.")] group_id: GroupId,
        #[graphql(
            desc = "The person to ban; they leave the group. Only the owner bans a moderator, \
                    and nobody the owner."
        )]
        user_id: UserId,
        #[graphql(desc = "When it ends, in the future; null for good.")] until: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "Why, 1 to 1 000 characters; it goes into the mod log.")] reason: String,
    ) -> Result<crate::graphql::GroupObject> {
        let (db, viewer) = (&ctx.app()?.db, ctx.viewer()?);
        service::ban_member(db, viewer, &group_id, &user_id, until, &reason).await?;
        Ok(crate::graphql::GroupObject::now(ctx, &group_id).await?)
    }

    /// Lifts a ban; `NOT_FOUND` when the person is not banned there. Moderators only. Answers
    /// the group as it is now.
    async fn unban_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group I moderate.")] group_id: GroupId,
        #[graphql(desc = "The banned person.")] user_id: UserId,
    ) -> Result<crate::graphql::GroupObject> {
        service::unban_member(&ctx.app()?.db, ctx.viewer()?, &group_id, &user_id).await?;
        Ok(crate::graphql::GroupObject::now(ctx, &group_id).await?)
    }

    /// Bans someone from a group until a time (or for good when `until` is null).
    #[graphql(deprecation = "Use `banPerson`, which answers the group as it is now.")]
    async fn ban_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group I moderate.")] group_id: GroupId,
        #[graphql(
            desc = "The person to ban; they leave the group. Only the owner bans a moderator, \
                    and nobody the owner."
        )]
        user_id: UserId,
        #[graphql(desc = "When it ends, in the future; null for good.")] until: Option<
            DateTime<Utc>,
        >,
        #[graphql(desc = "Why, 1 to 1 000 characters; it goes into the mod log.")] reason: String,
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

    /// Lifts a ban; `NOT_FOUND` when the person is not banned there. Moderators only.
    #[graphql(deprecation = "Use `unbanPerson`, which answers the group as it is now.")]
    async fn unban_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group I moderate.")] group_id: GroupId,
        #[graphql(desc = "The banned person.")] user_id: UserId,
    ) -> Result<bool> {
        service::unban_member(&ctx.app()?.db, ctx.viewer()?, &group_id, &user_id).await?;
        Ok(true)
    }
}

/// Removes an item and announces it.
async fn remove(ctx: &Context<'_>, item: Item, reason: &str) -> AppResult<Removed> {
    let app = ctx.app()?;
    let removed = removal::remove(&app.db, ctx.viewer()?, &item, reason).await?;
    Ok(removed.publish(&app.broker).await)
}

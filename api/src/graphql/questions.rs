//! GraphQL types and resolvers of questions, answers and expert standing.
use crate::community::vocabulary::Topic;
use crate::error::{AppError, AppResult, Optional as _};
use crate::graphql::context::ContextExt;
use crate::graphql::crisis_resources;
use crate::graphql::loaders::MyMarksLoader;
use crate::graphql::{Deletion, ExpertStanding, GroupObject, UserObject};
use crate::ids::{AnswerId, GroupId, QuestionId, UserId};
use crate::pagination::{connection, ranked_connection, Cursor, ListInfo, PageArgs, RankArgs};
use crate::questions::answers::{self, NewAnswer};
use crate::questions::crisis;
use crate::questions::experts;
use crate::questions::service::{self, NewQuestion, QuestionChanges, QuestionFilter, QuestionSort};
use crate::safety::CrisisResource;
use crate::search::{Mode, Search};
use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::{answers as answer_rows, questions};

/// The caller's helpful marks and follows, one query per page.
fn my_marks<'a>(ctx: &'a Context<'_>) -> AppResult<&'a DataLoader<MyMarksLoader>> {
    let viewer = ctx.viewer()?;
    Ok(ctx
        .lazy_loaders()?
        .my_marks(&ctx.app()?.db, &viewer.user_id))
}

/// A person as shown beside a question or answer: in the question's group when it has one.
pub(crate) async fn person(
    ctx: &Context<'_>,
    user_id: &UserId,
    group_id: Option<&GroupId>,
) -> AppResult<Option<UserObject>> {
    match group_id {
        Some(group_id) => UserObject::in_group(ctx, user_id, group_id).await,
        None => Ok(ctx
            .loaders()?
            .users
            .load_one(user_id.clone())
            .await?
            .map(|u| UserObject::new(&u, None))),
    }
}

pub struct QuestionObject(pub questions::Model);

impl QuestionObject {
    fn cursor_by(&self, sort: QuestionSort) -> Cursor {
        let at = match sort {
            QuestionSort::Active => self.0.last_activity_at,
            QuestionSort::Newest | QuestionSort::Unanswered => self.0.created_at,
        };
        Cursor {
            at,
            id: self.0.id.to_string(),
        }
    }
}

/// A question, asked in a group or platform-wide, with its answers.
#[Object(name = "Question")]
impl QuestionObject {
    /// Names this question across the whole API.
    pub(crate) async fn id(&self) -> &QuestionId {
        &self.0.id
    }
    /// 5 to 200 characters.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Up to 10 000 characters; may be empty.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// The subject it is about.
    async fn topic(&self) -> Topic {
        self.0.topic
    }
    /// Free tags beside the topic.
    async fn tags(&self) -> Vec<&str> {
        self.0.tags.split(',').filter(|t| !t.is_empty()).collect()
    }
    /// A warning to show before the words, if the asker gave one.
    async fn content_warning(&self) -> Option<&str> {
        self.0.content_warning.as_deref()
    }
    /// Asked anonymously: `author` is null for everyone, the asker included.
    async fn anonymous(&self) -> bool {
        self.0.anonymous
    }
    /// "Anonymous member" for an anonymous question, else the asker's name where it is shown.
    async fn author_name(&self, ctx: &Context<'_>) -> Result<String> {
        if self.0.anonymous {
            return Ok(ANONYMOUS.to_owned());
        }
        Ok(person(ctx, &self.0.author_id, self.0.group_id.as_ref())
            .await?
            .map_or_else(|| ANONYMOUS.to_owned(), |p| p.display_name))
    }
    /// Null when anonymous.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        if self.0.anonymous {
            return Ok(None);
        }
        Ok(person(ctx, &self.0.author_id, self.0.group_id.as_ref()).await?)
    }
    /// Whether I asked it (so the app offers edit, delete and accept).
    async fn asked_by_me(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.author_id == ctx.viewer()?.user_id)
    }
    /// The group it was asked in; null for a platform-wide question.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupObject>> {
        match &self.0.group_id {
            Some(group_id) => Ok(GroupObject::reachable(ctx, group_id).await?),
            None => Ok(None),
        }
    }
    /// How many answers it has, deleted and removed ones not counted.
    async fn answer_count(&self) -> i32 {
        self.0.answer_count
    }
    /// The answer its asker accepted, if any.
    async fn accepted_answer_id(&self) -> Option<&AnswerId> {
        self.0.accepted_answer_id.as_ref()
    }
    /// Locked by a moderator (a platform admin, for a platform-wide question): it takes no new
    /// answers.
    async fn locked(&self) -> bool {
        self.0.locked
    }
    /// For its asker, when its words read like a crisis: places to reach someone now (empty for
    /// everyone else).
    async fn crisis_resources(&self, ctx: &Context<'_>) -> Result<Vec<CrisisResource>> {
        let crisis = || crisis::question_reads_like_crisis(&self.0);
        Ok(crisis_resources(ctx, &self.0.author_id, crisis).await?)
    }
    /// Whether I hear of new answers.
    async fn following(&self, ctx: &Context<'_>) -> Result<bool> {
        let marks = my_marks(ctx)?;
        let followed = marks.load_one(self.0.id.clone()).await;
        Ok(followed.map_err(AppError::from)?.unwrap_or(false))
    }
    /// When it was asked.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When its asker last edited it; null if never.
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
    /// When it was asked or last answered.
    async fn last_activity_at(&self) -> DateTime<Utc> {
        self.0.last_activity_at
    }
    /// Accepted first, then answers by current experts, then the most helpful, then oldest.
    async fn answers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, AnswerObject, ListInfo>> {
        let page = RankArgs::new(first, after)?;
        let rows = answers::of_question(&ctx.app()?.db, ctx.viewer()?, &self.0, &page).await?;
        let group = self.0.group_id.clone();
        Ok(ranked_connection(
            rows.map(|a| AnswerObject {
                row: a,
                group_id: group.clone(),
            }),
            &page,
            Some(i64::from(self.0.answer_count)),
        ))
    }
}

const ANONYMOUS: &str = "Anonymous member";
const ANONYMOUS_ASKER: &str = "Anonymous member · asker";

pub struct AnswerObject {
    pub(crate) row: answer_rows::Model,
    /// The question's group, where the author is shown.
    pub(crate) group_id: Option<GroupId>,
}

/// A question as the caller may see it now; None where `question(id)` says `NOT_FOUND`.
pub(crate) async fn question_now(
    ctx: &Context<'_>,
    id: &QuestionId,
) -> AppResult<Option<QuestionObject>> {
    let found = service::visible_question(&ctx.app()?.db, ctx.viewer()?, id).await;
    Ok(found.optional()?.map(QuestionObject))
}

/// An answer gone (withdrawn by its author or taken down by a moderator): its id, to evict
/// from an app's cache, and its question as it is now, one answer fewer.
#[derive(async_graphql::SimpleObject)]
pub struct AnswerDeletion {
    /// The answer that is gone.
    pub deleted_id: ID,
    /// Its question as it is now; null if I may no longer read it.
    pub question: Option<QuestionObject>,
}

/// An answer to a question.
#[Object(name = "Answer")]
impl AnswerObject {
    /// Names this answer across the whole API.
    pub(crate) async fn id(&self) -> &AnswerId {
        &self.row.id
    }
    /// The question it answers.
    async fn question_id(&self) -> &QuestionId {
        &self.row.question_id
    }
    /// The question it answers, as it is now (its answer count and accepted answer), so an
    /// answer's mutation updates the question wherever an app shows it.
    async fn question(&self, ctx: &Context<'_>) -> Result<Option<QuestionObject>> {
        Ok(question_now(ctx, &self.row.question_id).await?)
    }
    /// 1 to 10 000 characters.
    async fn body(&self) -> &str {
        &self.row.body
    }
    /// Null for an answer by the question's anonymous asker.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        if self.row.anonymous {
            return Ok(None);
        }
        Ok(person(ctx, &self.row.author_id, self.group_id.as_ref()).await?)
    }
    /// Written by the question's anonymous asker, shown as such ("Anonymous member · asker").
    async fn anonymous(&self) -> bool {
        self.row.anonymous
    }
    /// "Anonymous member · asker" for the anonymous asker's answer, else the author's name
    /// where it is shown.
    async fn author_name(&self, ctx: &Context<'_>) -> Result<String> {
        if self.row.anonymous {
            return Ok(ANONYMOUS_ASKER.to_owned());
        }
        Ok(person(ctx, &self.row.author_id, self.group_id.as_ref())
            .await?
            .map_or_else(|| ANONYMOUS.to_owned(), |p| p.display_name))
    }
    /// Accepted by the question's asker; one answer of a question at most.
    async fn accepted(&self) -> bool {
        self.row.accepted
    }
    /// How many people marked it helpful.
    async fn helpful_count(&self) -> i32 {
        self.row.helpful_count
    }
    /// For its author, when its words read like a crisis: places to reach someone now.
    async fn crisis_resources(&self, ctx: &Context<'_>) -> Result<Vec<CrisisResource>> {
        let crisis = || crisis::answer_reads_like_crisis(&self.row);
        Ok(crisis_resources(ctx, &self.row.author_id, crisis).await?)
    }
    /// Whether I marked it helpful.
    async fn marked_helpful(&self, ctx: &Context<'_>) -> Result<bool> {
        let marks = my_marks(ctx)?;
        let marked = marks.load_one(self.row.id.clone()).await;
        Ok(marked.map_err(AppError::from)?.unwrap_or(false))
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// When its author last edited it; null if never.
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.row.edited_at
    }
}

impl AnswerObject {
    pub fn of(row: answer_rows::Model, question: &questions::Model) -> Self {
        AnswerObject {
            row,
            group_id: question.group_id.clone(),
        }
    }
}

/// A new question.
#[derive(InputObject)]
pub struct AskQuestionInput {
    /// 5 to 200 characters, none of them invisible.
    title: String,
    /// Up to 10 000 characters.
    #[graphql(default)]
    body: String,
    /// The subject it is about.
    topic: Topic,
    /// Free tags beside the topic: at most 5, each 1 to 24 of `a`-`z`, `0`-`9` and `-`.
    #[graphql(default)]
    tags: Vec<String>,
    /// Shown as "Anonymous member" to everyone else.
    #[graphql(default)]
    anonymous: bool,
    /// Shown before the words; up to 200 characters (empty means none).
    content_warning: Option<String>,
    /// Ask inside a group (read as its posts are); platform-wide when absent.
    group_id: Option<GroupId>,
    /// Retrying with the same key returns the first question and creates nothing.
    idempotency_key: Option<String>,
}

/// Changes to my question; what is left out stays as it is.
#[derive(InputObject)]
pub struct EditQuestionInput {
    /// 5 to 200 characters, none of them invisible.
    title: Option<String>,
    /// Up to 10 000 characters.
    body: Option<String>,
    /// The subject it is about.
    topic: Option<Topic>,
    /// Replaces every tag: at most 5, each 1 to 24 of `a`-`z`, `0`-`9` and `-`.
    tags: Option<Vec<String>>,
    /// `null` removes it.
    content_warning: MaybeUndefined<String>,
}

/// A new answer.
#[derive(InputObject)]
pub struct AnswerQuestionInput {
    /// The question to answer; a locked one takes no answers.
    question_id: QuestionId,
    /// 1 to 10 000 characters.
    body: String,
    /// Retrying with the same key (1 to 64 characters) returns the first answer and creates
    /// nothing.
    idempotency_key: Option<String>,
    /// The anonymous asker answers anonymously unless this is false; nobody else may set it.
    anonymous: Option<bool>,
}

#[derive(Default)]
pub struct QuestionQuery;

#[Object]
impl QuestionQuery {
    /// One question I may read; `NOT_FOUND` for any other, and once it is deleted or removed.
    async fn question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question's id.")] id: QuestionId,
    ) -> Result<QuestionObject> {
        let row = service::visible_question(&ctx.app()?.db, ctx.viewer()?, &id).await?;
        Ok(QuestionObject(row))
    }

    /// Before asking: the questions I may read that share the most words with my draft, best
    /// first (at most 10), so the app can show "these may already answer you".
    async fn similar_questions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft's title.")] title: String,
        #[graphql(desc = "The draft's body, if any.")] body: Option<String>,
        #[graphql(desc = "How many to return, at most 10 (5 if not given).")] first: Option<u64>,
    ) -> Result<Vec<QuestionObject>> {
        let (body, first) = (body.unwrap_or_default(), first.unwrap_or(5));
        let rows = service::similar(&ctx.app()?.db, ctx.viewer()?, &title, &body, first).await?;
        Ok(rows.into_iter().map(QuestionObject).collect())
    }

    /// Questions I may read: platform-wide ones, and those of groups whose posts I may read.
    #[allow(clippy::too_many_arguments)]
    async fn questions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
        #[graphql(desc = "Only questions of this topic.")] topic: Option<Topic>,
        #[graphql(desc = "Only questions with this tag.")] tag: Option<String>,
        #[graphql(desc = "True: only questions nobody has answered yet.")] unanswered: Option<bool>,
        #[graphql(desc = "True: only questions a current expert answered.")]
        expert_answered: Option<bool>,
        #[graphql(desc = "Only the questions asked in this group.")] group_id: Option<GroupId>,
        #[graphql(desc = "Questions holding every word of it, in title or body.")] search: Option<
            String,
        >,
        #[graphql(desc = "The order; `NEWEST` if not given.")] sort: Option<QuestionSort>,
    ) -> Result<Connection<String, QuestionObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let filter = QuestionFilter {
            topic,
            tag,
            unanswered: unanswered.unwrap_or(false),
            expert_answered: expert_answered.unwrap_or(false),
            group_id,
            search: search
                .as_deref()
                .map(|s| Search::parse("search", s, Mode::AllWords))
                .transpose()?
                .flatten(),
        };
        let sort = sort.unwrap_or(QuestionSort::Newest);
        // Counting is the costly part of a page: only when asked.
        let count = ctx.look_ahead().field("totalCount").exists();
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let (rows, total) = service::list(&app.db, viewer, &filter, sort, &page, count).await?;
        Ok(connection(
            rows.map(QuestionObject),
            |q| q.cursor_by(sort),
            page.after.is_some(),
            total.map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
        ))
    }
}

#[derive(Default)]
pub struct QuestionMutation;

#[Object]
impl QuestionMutation {
    /// Asks a question, platform-wide or in a group I take part in. I follow it from then on.
    async fn ask_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The title, body, topic and the rest of the new question.")]
        input: AskQuestionInput,
    ) -> Result<QuestionObject> {
        let app = ctx.app()?;
        let written = service::ask(
            &app.db,
            &app.limiter,
            app.settings.posting_limits,
            ctx.viewer()?,
            NewQuestion {
                title: input.title,
                body: input.body,
                topic: input.topic,
                tags: input.tags,
                anonymous: input.anonymous,
                content_warning: input.content_warning,
                group_id: input.group_id,
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        Ok(QuestionObject(written.publish(&app.broker).await))
    }

    /// Edits my own question.
    async fn edit_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "My question to edit.")] id: QuestionId,
        #[graphql(desc = "What to change; what is left out stays as it is.")]
        input: EditQuestionInput,
    ) -> Result<QuestionObject> {
        let changes = QuestionChanges {
            title: input.title,
            body: input.body,
            topic: input.topic,
            tags: input.tags,
            content_warning: input.content_warning.into(),
        };
        let app = ctx.app()?;
        let written = service::edit(&app.db, ctx.viewer()?, &id, changes).await?;
        Ok(QuestionObject(written.publish(&app.broker).await))
    }

    /// Deletes my question: it leaves every list, answers and all.
    #[graphql(
        deprecation = "Use `withdrawQuestion`, which answers the deleted id for an app's cache."
    )]
    async fn delete_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "My question to delete.")] id: QuestionId,
    ) -> Result<bool> {
        service::delete(&ctx.app()?.db, ctx.viewer()?, &id).await?;
        Ok(true)
    }

    /// Makes me hear of each new answer to a question I may read.
    async fn follow_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question to follow.")] question_id: QuestionId,
    ) -> Result<QuestionObject> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        service::follow(&app.db, viewer, &question_id).await?;
        Ok(QuestionObject(
            service::visible_question(&app.db, viewer, &question_id).await?,
        ))
    }

    /// Stops me hearing of new answers to a question.
    async fn unfollow_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question to stop following.")] question_id: QuestionId,
    ) -> Result<QuestionObject> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        service::unfollow(&app.db, viewer, &question_id).await?;
        Ok(QuestionObject(
            service::visible_question(&app.db, viewer, &question_id).await?,
        ))
    }

    /// Answers a question I may read (in a group, only its members answer). Retried with the
    /// same `idempotencyKey`, it returns the first answer.
    async fn answer_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question, body and the rest of the new answer.")]
        input: AnswerQuestionInput,
    ) -> Result<AnswerObject> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let written = answers::answer(
            &app.db,
            &app.limiter,
            app.settings.posting_limits,
            viewer,
            NewAnswer {
                question_id: input.question_id,
                body: input.body,
                idempotency_key: input.idempotency_key,
                anonymous: input.anonymous,
            },
        )
        .await?;
        let row = written.publish(&app.broker).await;
        let question = service::visible_question(&app.db, viewer, &row.question_id).await?;
        Ok(AnswerObject::of(row, &question))
    }

    /// Edits my own answer.
    async fn edit_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "My answer to edit.")] id: AnswerId,
        #[graphql(desc = "The new words, 1 to 10 000 characters.")] body: String,
    ) -> Result<AnswerObject> {
        let (app, viewer) = (ctx.app()?, ctx.viewer()?);
        let written = answers::edit(&app.db, viewer, &id, &body).await?;
        answer_object(ctx, written.publish(&app.broker).await).await
    }

    /// Deletes my question: it leaves every list, answers and all. Answers its id, to evict
    /// from an app's cache.
    async fn withdraw_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "My question to delete.")] id: QuestionId,
    ) -> Result<Deletion> {
        service::delete(&ctx.app()?.db, ctx.viewer()?, &id).await?;
        Ok(Deletion::of(id))
    }

    /// Deletes my answer: it leaves the question, and is no longer its accepted answer.
    /// Answers its id, to evict from an app's cache, and the question as it is now.
    async fn withdraw_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "My answer to delete.")] id: AnswerId,
    ) -> Result<AnswerDeletion> {
        let question = answers::delete(&ctx.app()?.db, ctx.viewer()?, &id).await?;
        Ok(AnswerDeletion {
            deleted_id: id.into(),
            question: question_now(ctx, &question).await?,
        })
    }

    /// Deletes my answer: it leaves the question, and is no longer its accepted answer.
    #[graphql(
        deprecation = "Use `withdrawAnswer`, which answers the deleted id and the question for an app's cache."
    )]
    async fn delete_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "My answer to delete.")] id: AnswerId,
    ) -> Result<bool> {
        answers::delete(&ctx.app()?.db, ctx.viewer()?, &id).await?;
        Ok(true)
    }

    /// The asker accepts an answer (one at a time).
    async fn accept_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An answer to my question; one accepted before no longer is.")]
        answer_id: AnswerId,
    ) -> Result<AnswerObject> {
        let app = ctx.app()?;
        let written = answers::set_accepted(&app.db, ctx.viewer()?, &answer_id, true).await?;
        answer_object(ctx, written.publish(&app.broker).await).await
    }

    /// The asker takes back the acceptance: the question has no accepted answer any more.
    async fn unaccept_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An answer to my question.")] answer_id: AnswerId,
    ) -> Result<AnswerObject> {
        let app = ctx.app()?;
        let written = answers::set_accepted(&app.db, ctx.viewer()?, &answer_id, false).await?;
        answer_object(ctx, written.publish(&app.broker).await).await
    }

    /// Marks someone else's answer helpful (marking twice is marking once).
    async fn mark_helpful(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer, not one of mine.")] answer_id: AnswerId,
    ) -> Result<AnswerObject> {
        let row = answers::set_helpful(&ctx.app()?.db, ctx.viewer()?, &answer_id, true).await?;
        answer_object(ctx, row).await
    }

    /// Takes back my helpful mark on an answer.
    async fn unmark_helpful(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer I marked.")] answer_id: AnswerId,
    ) -> Result<AnswerObject> {
        let row = answers::set_helpful(&ctx.app()?.db, ctx.viewer()?, &answer_id, false).await?;
        answer_object(ctx, row).await
    }

    /// Platform admins: grant or renew someone's expert standing.
    async fn grant_expert(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person given the standing.")] user_id: UserId,
        #[graphql(
            desc = "Their credential as shown, 3 to 120 characters, e.g. \"Licensed clinical \
                    social worker\"."
        )]
        title: String,
        #[graphql(desc = "When it runs out; in the future.")] verified_until: DateTime<Utc>,
    ) -> Result<ExpertStanding> {
        let row = experts::grant(
            &ctx.app()?.db,
            ctx.viewer()?,
            &user_id,
            &title,
            verified_until,
        )
        .await?;
        Ok(ExpertStanding::new(row.title, row.verified_until))
    }

    /// Platform admins: end someone's expert standing; false when they had none.
    async fn revoke_expert(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person whose standing ends.")] user_id: UserId,
    ) -> Result<bool> {
        Ok(experts::revoke(&ctx.app()?.db, ctx.viewer()?, &user_id).await?)
    }
}

async fn answer_object(ctx: &Context<'_>, row: answer_rows::Model) -> Result<AnswerObject> {
    let question =
        service::visible_question(&ctx.app()?.db, ctx.viewer()?, &row.question_id).await?;
    Ok(AnswerObject::of(row, &question))
}

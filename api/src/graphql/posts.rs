//! GraphQL types and resolvers of posts, replies, reactions and the feed.
use crate::community::vocabulary::PersonInGroup;
use crate::config::PostingLimits;
use crate::content::{ContentType, ReactionKind};
use crate::error::{AppResult, Optional as _};
use crate::graphql::context::ContextExt;
use crate::graphql::{GroupObject, UserObject};
use crate::ids::{GroupId, PostId, ReplyId, UserId};
use crate::pagination::{connection, ranked_connection, Cursor, ListInfo, PageArgs, RankArgs};
use crate::posts::reactions;
use crate::posts::reactions::ReactionTally;
use crate::posts::replies::{self as reply_service, NewReply};
use crate::posts::service::{self, Authors, ListedPost, NewPost};
use crate::safety::CrisisResource;
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{posts, replies};
use sea_orm::Iterable as _;

/// Whether a post or reply still shows its words.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ContentStatus {
    Visible,
    /// Deleted by its author.
    Deleted,
    /// Removed by a moderator.
    Removed,
}

fn status(deleted: bool, removed: bool) -> ContentStatus {
    match (deleted, removed) {
        (_, true) => ContentStatus::Removed,
        (true, false) => ContentStatus::Deleted,
        (false, false) => ContentStatus::Visible,
    }
}

/// How many people gave a post or reply one kind of reaction.
#[derive(SimpleObject)]
pub struct ReactionCount {
    /// The kind of reaction.
    kind: ReactionKind,
    /// How many people gave it.
    count: i64,
}

/// The reactions on a post or reply of `group` (whose version they are kept under).
async fn reactions(
    ctx: &Context<'_>,
    target: ContentType,
    id: &str,
    group: &GroupId,
) -> AppResult<Vec<ReactionTally>> {
    let read = || async {
        Ok(ctx
            .reactions()?
            .load_one((target, id.to_owned()))
            .await?
            .unwrap_or_default())
    };
    match ctx.auth()?.viewer() {
        Ok(viewer) => {
            let kept = ctx.cached()?;
            kept.reactions(&viewer.user_id, target, id, group, read)
                .await
        }
        Err(_) => read().await,
    }
}

async fn reaction_counts(
    ctx: &Context<'_>,
    target: ContentType,
    id: &str,
    group: &GroupId,
) -> AppResult<Vec<ReactionCount>> {
    let tallies = reactions(ctx, target, id, group).await?;
    Ok(ReactionKind::iter()
        .map(|kind| ReactionCount {
            kind,
            count: tallies
                .iter()
                .find(|t| t.kind == kind)
                .map_or(0, |t| t.count),
        })
        .collect())
}

async fn my_reactions(
    ctx: &Context<'_>,
    target: ContentType,
    id: &str,
    group: &GroupId,
) -> AppResult<Vec<ReactionKind>> {
    let tallies = reactions(ctx, target, id, group).await?;
    Ok(ReactionKind::iter()
        .filter(|kind| tallies.iter().any(|t| t.kind == *kind && t.mine))
        .collect())
}

/// Places to reach someone now, for the author of words that read like a crisis (by the author's
/// country); empty for everyone else, and once the item is deleted or removed.
pub async fn crisis_resources(
    ctx: &Context<'_>,
    author_id: &UserId,
    reads_like_crisis: impl FnOnce() -> bool,
) -> AppResult<Vec<CrisisResource>> {
    let Ok(viewer) = ctx.viewer() else {
        return Ok(Vec::new());
    };
    // Everyone else's answer is empty: only the author's content is scanned.
    if viewer.user_id != *author_id || !reads_like_crisis() {
        return Ok(Vec::new());
    }
    let author = ctx.loaders()?.users.load_one(author_id.to_owned()).await?;
    let country = author.and_then(|author| author.country);
    Ok(ctx.app()?.crisis.for_country(country.as_deref()))
}

/// A post, with its author as the group shows them when the list that found it read them too.
pub struct PostObject(pub posts::Model, Option<PersonInGroup>);

impl From<posts::Model> for PostObject {
    fn from(row: posts::Model) -> Self {
        PostObject(row, None)
    }
}

impl From<ListedPost> for PostObject {
    fn from(listed: ListedPost) -> Self {
        PostObject(listed.post, listed.author)
    }
}

/// Whether a posts connection shows its posts' authors: then the list reads them with the posts.
pub fn authors_asked(ctx: &Context<'_>) -> Authors {
    if ctx
        .look_ahead()
        .field("edges")
        .field("node")
        .field("author")
        .exists()
    {
        Authors::Join
    } else {
        Authors::Leave
    }
}

impl PostObject {
    pub fn activity_cursor(&self) -> Cursor {
        Cursor {
            at: self.0.last_activity_at,
            id: self.0.id.to_string(),
        }
    }
    fn visible(&self) -> bool {
        crate::content::is_listed_post(&self.0)
    }
}

/// A post in a group, with its replies.
#[Object(name = "Post")]
impl PostObject {
    /// Names this post across the whole API.
    pub(crate) async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// The group it was posted in; null when that group is hidden from me.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<GroupObject>> {
        Ok(GroupObject::reachable(ctx, &self.0.group_id).await?)
    }
    /// Null once the post is deleted or removed, and for an anonymous post.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        if !self.visible() || self.0.anonymous {
            return Ok(None);
        }
        if let Some(known) = &self.1 {
            return Ok(Some(UserObject::shown_in_group(known.clone())));
        }
        Ok(UserObject::in_group(ctx, &self.0.author_id, &self.0.group_id).await?)
    }
    /// Posted anonymously: `author` is null for everyone, the author included.
    async fn anonymous(&self) -> bool {
        self.0.anonymous
    }
    /// Whether I wrote it (so the app offers edit and delete, anonymous or not).
    async fn posted_by_me(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.author_id == ctx.viewer()?.user_id)
    }
    /// Whether it shows, or was deleted by its author or removed by a moderator.
    async fn status(&self) -> ContentStatus {
        status(self.0.deleted_at.is_some(), self.0.removed_at.is_some())
    }
    /// Up to 200 characters; null once the post is deleted or removed.
    async fn title(&self) -> Option<&str> {
        self.visible().then_some(self.0.title.as_str())
    }
    /// Up to 20 000 characters; null once the post is deleted or removed.
    async fn body(&self) -> Option<&str> {
        self.visible().then_some(self.0.body.as_str())
    }
    /// A warning to show before the words, if the author gave one.
    async fn content_warning(&self) -> Option<&str> {
        self.0.content_warning.as_deref()
    }
    /// How many replies it has, deleted and removed ones not counted.
    async fn reply_count(&self) -> i32 {
        self.0.reply_count
    }
    /// When it was posted or last replied to: lists of posts run by it, latest first.
    async fn last_activity_at(&self) -> DateTime<Utc> {
        self.0.last_activity_at
    }
    /// When it was posted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When its author last edited it; null if never.
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
    /// Pinned by a moderator: it is among the group's `pinnedPosts`.
    async fn pinned(&self) -> bool {
        self.0.pinned
    }
    /// Locked by a moderator: it takes no more replies.
    async fn locked(&self) -> bool {
        self.0.locked
    }
    /// Every kind, zero included.
    async fn reaction_counts(&self, ctx: &Context<'_>) -> Result<Vec<ReactionCount>> {
        Ok(reaction_counts(ctx, ContentType::Post, self.0.id.as_str(), &self.0.group_id).await?)
    }
    /// The kinds of reaction I gave it.
    async fn my_reactions(&self, ctx: &Context<'_>) -> Result<Vec<ReactionKind>> {
        Ok(my_reactions(ctx, ContentType::Post, self.0.id.as_str(), &self.0.group_id).await?)
    }
    /// For my own post when its words read like a crisis: places to reach someone now. It is
    /// posted all the same, and its group's moderators see it first. Empty otherwise.
    async fn crisis_resources(&self, ctx: &Context<'_>) -> Result<Vec<CrisisResource>> {
        if !self.visible() {
            return Ok(Vec::new());
        }
        let crisis = || crate::posts::crisis::post_reads_like_crisis(&self.0);
        Ok(crisis_resources(ctx, &self.0.author_id, crisis).await?)
    }
    /// Replies oldest first, nested one level through `parentReplyId`.
    async fn replies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, ReplyObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let rows =
            reply_service::post_replies(&ctx.app()?.db, ctx.viewer()?, &self.0, &page).await?;
        Ok(connection(
            rows.map(ReplyObject),
            |r| Cursor {
                at: r.0.created_at,
                id: r.0.id.to_string(),
            },
            page.after.is_some(),
            Some(self.0.reply_count.into()),
        ))
    }
}

pub struct ReplyObject(pub replies::Model);

impl ReplyObject {
    fn visible(&self) -> bool {
        self.0.deleted_at.is_none() && self.0.removed_at.is_none()
    }
}

/// A reply to a post. Deleted and removed replies keep their place in the thread, without
/// their words.
#[Object(name = "Reply")]
impl ReplyObject {
    /// Names this reply across the whole API.
    pub(crate) async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }
    /// The post it replies to.
    async fn post_id(&self) -> ID {
        ID::from(self.0.post_id.clone())
    }
    /// The post it replies to, as it is now: a reply's answer carries the post's new count,
    /// so an app's cache updates the post wherever it shows it.
    async fn post(&self, ctx: &Context<'_>) -> Result<Option<PostObject>> {
        let found = service::visible_post(&ctx.app()?.db, ctx.viewer()?, &self.0.post_id).await;
        Ok(found.optional()?.map(|(post, _)| PostObject::from(post)))
    }
    /// The top-level reply this one answers, if any.
    async fn parent_reply_id(&self) -> Option<ID> {
        self.0.parent_reply_id.clone().map(ID::from)
    }
    /// Null once deleted or removed, and for a reply by the post's anonymous author.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<UserObject>> {
        if !self.visible() || self.0.anonymous {
            return Ok(None);
        }
        Ok(UserObject::in_group(ctx, &self.0.author_id, &self.0.group_id).await?)
    }
    /// Written by the post's anonymous author, who is shown as such ("Anonymous member ·
    /// author"), to everyone, the author included.
    async fn anonymous(&self) -> bool {
        self.0.anonymous
    }
    /// Whether I wrote it (so the app offers edit and delete, anonymous or not).
    async fn replied_by_me(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.author_id == ctx.viewer()?.user_id)
    }
    /// Whether it shows, or was deleted by its author or removed by a moderator.
    async fn status(&self) -> ContentStatus {
        status(self.0.deleted_at.is_some(), self.0.removed_at.is_some())
    }
    /// Up to 10 000 characters; null once the reply is deleted or removed.
    async fn body(&self) -> Option<&str> {
        self.visible().then_some(self.0.body.as_str())
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When its author last edited it; null if never.
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
    /// Every kind, zero included.
    async fn reaction_counts(&self, ctx: &Context<'_>) -> Result<Vec<ReactionCount>> {
        Ok(reaction_counts(
            ctx,
            ContentType::Reply,
            self.0.id.as_str(),
            &self.0.group_id,
        )
        .await?)
    }
    /// The kinds of reaction I gave it.
    async fn my_reactions(&self, ctx: &Context<'_>) -> Result<Vec<ReactionKind>> {
        Ok(my_reactions(
            ctx,
            ContentType::Reply,
            self.0.id.as_str(),
            &self.0.group_id,
        )
        .await?)
    }
    /// For my own reply when its words read like a crisis: places to reach someone now. It is
    /// posted all the same, and its group's moderators see it first. Empty otherwise.
    async fn crisis_resources(&self, ctx: &Context<'_>) -> Result<Vec<CrisisResource>> {
        if !self.visible() {
            return Ok(Vec::new());
        }
        let crisis = || crate::posts::crisis::reply_reads_like_crisis(&self.0);
        Ok(crisis_resources(ctx, &self.0.author_id, crisis).await?)
    }
}

/// A new post.
#[derive(InputObject)]
pub struct CreatePostInput {
    /// The group to post in, where I am an active member and not banned.
    group_id: GroupId,
    /// Shown as "Anonymous member" to everyone else.
    #[graphql(default)]
    anonymous: bool,
    /// 1 to 200 characters, none of them invisible.
    title: String,
    /// 1 to 20 000 characters.
    body: String,
    /// Shown before the words; up to 200 characters (empty means none).
    content_warning: Option<String>,
    /// Retrying with the same key returns the first post and creates nothing.
    idempotency_key: Option<String>,
}

/// A new reply.
#[derive(InputObject)]
pub struct CreateReplyInput {
    /// The post to reply to; a locked post takes no replies.
    post_id: PostId,
    /// 1 to 10 000 characters.
    body: String,
    /// Answer a top-level reply (one level of nesting).
    parent_reply_id: Option<ReplyId>,
    /// Retrying with the same key (1 to 64 characters) returns the first reply and creates
    /// nothing.
    idempotency_key: Option<String>,
    /// The anonymous author of the post replies anonymously unless this is false; nobody else
    /// may set it.
    anonymous: Option<bool>,
}

/// A reaction given or taken back, and what it is on, as it is now: its counts and my
/// reactions.
#[derive(SimpleObject)]
pub struct ReactionChange {
    /// The post, for a reaction on a post.
    post: Option<PostObject>,
    /// The reply, for a reaction on a reply.
    reply: Option<ReplyObject>,
}

impl ReactionChange {
    async fn on(ctx: &Context<'_>, target: ContentType, id: &str) -> AppResult<Self> {
        let (db, viewer) = (&ctx.app()?.db, ctx.viewer()?);
        Ok(match target {
            ContentType::Reply => {
                let (reply, _, _) =
                    reply_service::visible_reply(db, viewer, &ReplyId::from(id)).await?;
                ReactionChange {
                    post: None,
                    reply: Some(ReplyObject(reply)),
                }
            }
            ContentType::Post => {
                let (post, _) = service::visible_post(db, viewer, &PostId::from(id)).await?;
                ReactionChange {
                    post: Some(PostObject::from(post)),
                    reply: None,
                }
            }
            // `reactable` lets nothing else be reacted to.
            ContentType::Question | ContentType::Answer => {
                return Err(crate::error::AppError::bad_input(
                    "targetType",
                    "only posts and replies take reactions",
                ))
            }
        })
    }
}

/// A reaction on a post or reply.
#[derive(InputObject)]
pub struct ReactionInput {
    /// `POST` or `REPLY`: nothing else takes reactions.
    target_type: ContentType,
    /// The id of the post or reply.
    target_id: ID,
    /// Which reaction.
    kind: ReactionKind,
}

impl ReactionInput {
    /// Gives this reaction as the caller, and announces it.
    async fn give(&self, ctx: &Context<'_>) -> AppResult<()> {
        let app = ctx.app()?;
        let (target, id, kind) = (self.target_type, self.target_id.as_str(), self.kind);
        reactions::react(&app.db, ctx.viewer()?, target, id, kind)
            .await?
            .publish(&app.broker)
            .await;
        Ok(())
    }

    /// Takes this reaction of the caller's back (whether or not they had given it).
    async fn take_back(&self, ctx: &Context<'_>) -> AppResult<()> {
        let (target, id, kind) = (self.target_type, self.target_id.as_str(), self.kind);
        reactions::unreact(&ctx.app()?.db, ctx.viewer()?, target, id, kind).await
    }
}

fn posting_limits(ctx: &Context<'_>) -> AppResult<PostingLimits> {
    Ok(ctx.app()?.settings.posting_limits)
}

#[derive(Default)]
pub struct PostQuery;

#[Object]
impl PostQuery {
    /// One post I may read; `NOT_FOUND` for any other.
    async fn post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's id.")] id: PostId,
    ) -> Result<PostObject> {
        let (post, _) = service::visible_post(&ctx.app()?.db, ctx.viewer()?, &id).await?;
        Ok(PostObject::from(post))
    }

    /// Posts I may read whose title or body holds every word of `query`, best match first;
    /// within one group when `groupId` is given.
    async fn search_posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The words to look for, at most 2 000 characters. Common words are left out; \
                    nothing in it is search syntax."
        )]
        query: String,
        #[graphql(desc = "Search only this group's posts.")] group_id: Option<GroupId>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, PostObject, ListInfo>> {
        let page = RankArgs::new(first, after)?;
        let rows = service::search(
            &ctx.app()?.db,
            ctx.viewer()?,
            &query,
            group_id.as_ref(),
            &page,
        )
        .await?;
        Ok(ranked_connection(rows.map(PostObject::from), &page, None))
    }

    /// Posts of all my groups by latest activity.
    async fn feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, at most 100 (20 if not given).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last item already shown (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> Result<Connection<String, PostObject, ListInfo>> {
        let page = PageArgs::new(first, after)?;
        let rows = ctx
            .cached()?
            .feed(&ctx.app()?.db, ctx.viewer()?, &page, authors_asked(ctx))
            .await?;
        Ok(connection(
            rows.map(PostObject::from),
            PostObject::activity_cursor,
            page.after.is_some(),
            None,
        ))
    }
}

#[derive(Default)]
pub struct PostMutation;

#[Object]
impl PostMutation {
    /// Posts in a group. Retried with the same `idempotencyKey`, it returns the first post.
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group, title, body and the rest of the new post.")]
        input: CreatePostInput,
    ) -> Result<PostObject> {
        let app = ctx.app()?;
        let written = service::create_post(
            &app.db,
            &app.limiter,
            posting_limits(ctx)?,
            ctx.viewer()?,
            NewPost {
                group_id: input.group_id,
                anonymous: input.anonymous,
                title: input.title,
                body: input.body,
                content_warning: input.content_warning,
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        Ok(PostObject::from(written.publish(&app.broker).await))
    }

    /// Edits my own post; what is left out stays as it is.
    async fn edit_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post to edit.")] id: PostId,
        #[graphql(desc = "A new title, 1 to 200 characters.")] title: Option<String>,
        #[graphql(desc = "A new body, 1 to 20 000 characters.")] body: Option<String>,
        #[graphql(desc = "A new warning, up to 200 characters; `null` removes it.")]
        content_warning: MaybeUndefined<String>,
    ) -> Result<PostObject> {
        let warning = content_warning.as_opt_deref();
        let app = ctx.app()?;
        let post = service::edit_post(
            &app.db,
            ctx.viewer()?,
            &id,
            title.as_deref(),
            body.as_deref(),
            warning,
        )
        .await?
        .publish(&app.broker)
        .await;
        Ok(PostObject::from(post))
    }

    /// Deletes my post: it shows as deleted; replies stay but it leaves lists.
    async fn delete_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "My post to delete.")] id: PostId,
    ) -> Result<PostObject> {
        Ok(PostObject::from(
            service::delete_post(&ctx.app()?.db, ctx.viewer()?, &id).await?,
        ))
    }

    /// Replies to a post. Retried with the same `idempotencyKey`, it returns the first reply.
    async fn create_reply(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post, body and the rest of the new reply.")] input: CreateReplyInput,
    ) -> Result<ReplyObject> {
        let app = ctx.app()?;
        let written = reply_service::create_reply(
            &app.db,
            &app.reply_counts,
            &app.limiter,
            posting_limits(ctx)?,
            ctx.viewer()?,
            NewReply {
                post_id: input.post_id,
                body: input.body,
                parent_reply_id: input.parent_reply_id,
                idempotency_key: input.idempotency_key,
                anonymous: input.anonymous,
            },
        )
        .await?;
        Ok(ReplyObject(written.publish(&app.broker).await))
    }

    /// Edits my own reply.
    async fn edit_reply(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reply to edit.")] id: ReplyId,
        #[graphql(desc = "The new words, 1 to 10 000 characters.")] body: String,
    ) -> Result<ReplyObject> {
        let app = ctx.app()?;
        let edited = reply_service::edit_reply(&app.db, ctx.viewer()?, &id, &body).await?;
        Ok(ReplyObject(edited.publish(&app.broker).await))
    }

    /// Deletes my reply: it keeps its place in the thread as deleted, without its words.
    async fn delete_reply(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "My reply to delete.")] id: ReplyId,
    ) -> Result<ReplyObject> {
        Ok(ReplyObject(
            reply_service::delete_reply(&ctx.app()?.db, ctx.viewer()?, &id).await?,
        ))
    }

    /// Gives a reaction to a post or reply (again is a no-op). Answers the post or reply as it
    /// is now, its counts and my reactions, for an app's cache.
    async fn add_reaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post or reply, and the kind of reaction.")] input: ReactionInput,
    ) -> Result<ReactionChange> {
        input.give(ctx).await?;
        Ok(ReactionChange::on(ctx, input.target_type, &input.target_id).await?)
    }

    /// Takes back a reaction of mine (whether or not I had given it). Answers the post or reply
    /// as it is now, for an app's cache.
    async fn remove_reaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post or reply, and the kind of reaction.")] input: ReactionInput,
    ) -> Result<ReactionChange> {
        input.take_back(ctx).await?;
        Ok(ReactionChange::on(ctx, input.target_type, &input.target_id).await?)
    }

    /// Adds a reaction (reacting twice is reacting once).
    #[graphql(
        deprecation = "Use `addReaction`, which answers the post or reply with its new counts."
    )]
    async fn react(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post or reply, and the kind of reaction.")] input: ReactionInput,
    ) -> Result<bool> {
        input.give(ctx).await?;
        Ok(true)
    }

    /// Takes back a reaction of mine; true whether or not I had given it.
    #[graphql(
        deprecation = "Use `removeReaction`, which answers the post or reply with its new counts."
    )]
    async fn unreact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post or reply, and the kind of reaction.")] input: ReactionInput,
    ) -> Result<bool> {
        input.take_back(ctx).await?;
        Ok(true)
    }
}

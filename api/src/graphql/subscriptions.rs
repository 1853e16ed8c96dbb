//! The subscription root: each field checks its caller and names the feed it follows while
//! subscribing, and hands out the delivered item while delivering.
use crate::auth::Viewer;
use crate::community::access::group_access;
use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::delivery::{Delivery, Feed, Following, Heartbeat};
use crate::graphql::AnswerObject;
use crate::graphql::MeetingObject;
use crate::graphql::NotificationObject;
use crate::graphql::{PostObject, ReplyObject};
use crate::ids::{GroupId, PostId, QuestionId};
use crate::posts::service::visible_post;
use crate::questions::service::visible_question;
use crate::state::AppContext;
use async_graphql::{Context, Result, Subscription};
use std::time::Duration;

/// What a subscription resolver returns: nothing while subscribing (it names its feed instead),
/// the delivered item while delivering.
type AtMostOne<T> = futures::stream::Iter<std::option::IntoIter<T>>;

fn at_most_one<T>(item: Option<T>) -> AtMostOne<T> {
    futures::stream::iter(item)
}

/// Records the feed a subscription follows, once its checks have passed.
fn follow<T>(ctx: &Context<'_>, feed: Feed) -> Result<AtMostOne<T>> {
    let following = ctx.data::<Following>().map_err(|_| {
        AppError::bad_input(
            "subscription",
            "subscriptions are served over the WebSocket",
        )
    })?;
    following.name(feed)?;
    Ok(at_most_one(None))
}

/// May this person follow a group live? Readers of its posts who are not banned from it.
async fn may_follow_group(app: &AppContext, viewer: &Viewer, group_id: &GroupId) -> AppResult<()> {
    let access = group_access(&app.db, viewer, group_id).await?;
    if !access.can_read_content() || access.banned {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[derive(Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// Ticks every `intervalSeconds` (1 to 300) while the socket is signed in.
    async fn heartbeat(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 15, desc = "Seconds between ticks, 1 to 300.")] interval_seconds: i32,
    ) -> Result<AtMostOne<Heartbeat>> {
        if let Some(delivery) = ctx.data_opt::<Delivery>() {
            return Ok(at_most_one(delivery.tick()));
        }
        ctx.viewer()?;
        if !(1..=300).contains(&interval_seconds) {
            return Err(AppError::bad_input("intervalSeconds", "must be 1 to 300").into());
        }
        let every = Duration::from_secs(interval_seconds.unsigned_abs().into());
        follow(ctx, Feed::Heartbeat { every })
    }

    /// New posts in a group I can read.
    async fn post_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group whose posts I may read and where I am not banned.")]
        group_id: GroupId,
    ) -> Result<AtMostOne<PostObject>> {
        if let Some(delivery) = ctx.data_opt::<Delivery>() {
            return Ok(at_most_one(delivery.post().map(PostObject::from)));
        }
        may_follow_group(ctx.app()?, ctx.viewer()?, &group_id).await?;
        follow(ctx, Feed::Posts { group_id })
    }

    /// New replies to a post I can read.
    async fn reply_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A post I may read, in a group where I am not banned.")] post_id: PostId,
    ) -> Result<AtMostOne<ReplyObject>> {
        if let Some(delivery) = ctx.data_opt::<Delivery>() {
            return Ok(at_most_one(delivery.reply().map(ReplyObject)));
        }
        let (post, access) = visible_post(&ctx.app()?.db, ctx.viewer()?, &post_id).await?;
        if access.banned {
            return Err(AppError::NotFound.into());
        }
        follow(ctx, Feed::Replies { post_id: post.id })
    }

    /// New answers to a question I can read.
    async fn answer_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A question I may read.")] question_id: QuestionId,
    ) -> Result<AtMostOne<AnswerObject>> {
        if let Some(delivery) = ctx.data_opt::<Delivery>() {
            let answer = delivery.answer();
            return Ok(at_most_one(answer.map(|(a, q)| AnswerObject::of(a, &q))));
        }
        let question = visible_question(&ctx.app()?.db, ctx.viewer()?, &question_id).await?;
        follow(
            ctx,
            Feed::Answers {
                question_id: question.id,
            },
        )
    }

    /// A meeting I am coming to (or might, or wait for) as it changes: moved, cancelled, or my
    /// place on it.
    async fn meeting_changed(&self, ctx: &Context<'_>) -> Result<AtMostOne<MeetingObject>> {
        if let Some(delivery) = ctx.data_opt::<Delivery>() {
            let Some(row) = delivery.meeting() else {
                return Ok(at_most_one(None));
            };
            return Ok(at_most_one(Some(MeetingObject::one(ctx, row).await?)));
        }
        ctx.viewer()?;
        follow(ctx, Feed::Meetings)
    }

    /// My new notifications (and batched ones as they grow), as they are written.
    async fn notification_added(&self, ctx: &Context<'_>) -> Result<AtMostOne<NotificationObject>> {
        if let Some(delivery) = ctx.data_opt::<Delivery>() {
            return Ok(at_most_one(delivery.notification().map(NotificationObject)));
        }
        ctx.viewer()?;
        follow(ctx, Feed::Notifications)
    }
}

//! Subscriptions: live posts and replies, checked when subscribing and again for every event,
//! so someone who left, was banned or blocked stops receiving at once. A client that reconnects
//! catches up with the ordinary paginated queries. Per event, who may see it is worked out once
//! per instance ([`audience`]) and every socket checks its viewer against that.
mod audience;

use crate::auth::Viewer;
use crate::broker::{Envelope, Event, Topic};
use crate::error::{AppError, AppResult};
use crate::gql::ContextExt;
use crate::groups::access::group_access;
use crate::notifications::{service as notifications, NotificationObject};
use crate::posts::service::{is_listed_post, visible_post};
use crate::posts::{PostObject, ReplyObject};
use crate::state::AppContext;
use async_graphql::{Context, Result, SimpleObject, Subscription, ID};
use audience::{LivePost, LiveReply};
use chrono::{DateTime, Utc};
use futures::Stream;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

#[derive(SimpleObject, Clone)]
pub struct Heartbeat {
    /// Counts from 1 on each subscription.
    sequence: i32,
    at: DateTime<Utc>,
}

/// The events of one channel, each turned into what the caller may see (or skipped).
fn live<T, F, Fut>(events: broadcast::Receiver<Arc<Envelope>>, view: F) -> impl Stream<Item = T>
where
    F: FnMut(Arc<Envelope>) -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    futures::stream::unfold((events, view), |(mut events, mut view)| async move {
        loop {
            match events.recv().await {
                Ok(envelope) => {
                    if let Some(item) = view(envelope).await {
                        return Some((item, (events, view)));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "a slow subscriber skipped events");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// May this person follow a group live? Readers of its posts who are not banned from it.
async fn may_follow_group(app: &AppContext, viewer: &Viewer, group_id: &str) -> AppResult<()> {
    let access = group_access(&app.db, viewer, group_id).await?;
    if !access.can_read_content() || access.banned {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Content nobody can be shown when it cannot be read; the error goes to the log once.
fn logged<T>(loaded: AppResult<Option<T>>) -> Option<T> {
    loaded.unwrap_or_else(|err| {
        err.log_internal();
        None
    })
}

#[derive(Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// Ticks every `intervalSeconds` (1 to 300) while the socket is signed in.
    async fn heartbeat(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 15)] interval_seconds: i32,
    ) -> Result<impl Stream<Item = Heartbeat>> {
        ctx.viewer()?;
        if !(1..=300).contains(&interval_seconds) {
            return Err(AppError::bad_input("intervalSeconds", "must be 1 to 300").into());
        }
        let every = Duration::from_secs(interval_seconds.unsigned_abs().into());
        Ok(futures::stream::unfold(0, move |sequence| async move {
            tokio::time::sleep(every).await;
            let next = sequence + 1;
            Some((
                Heartbeat {
                    sequence: next,
                    at: Utc::now(),
                },
                next,
            ))
        }))
    }

    /// New posts in a group I can read.
    async fn post_added(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
    ) -> Result<impl Stream<Item = PostObject>> {
        let app = ctx.app()?.clone();
        let viewer = ctx.viewer()?;
        may_follow_group(&app, viewer, &group_id).await?;
        let me: Arc<str> = viewer.user_id.as_str().into();
        let events = app.broker.subscribe(&Topic::Group(group_id.0.clone()));
        Ok(live(events, move |envelope| {
            let (app, me) = (app.clone(), me.clone());
            async move {
                let Event::PostAdded { post_id, .. } = &envelope.event else {
                    return None;
                };
                let live = envelope
                    .shared(|| async { logged(LivePost::load(&app.db, post_id).await) })
                    .await?;
                let live = live.as_ref().as_ref()?;
                (is_listed_post(&live.post) && live.audience.admits(&me))
                    .then(|| PostObject(live.post.clone()))
            }
        }))
    }

    /// New replies to a post I can read.
    async fn reply_added(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
    ) -> Result<impl Stream<Item = ReplyObject>> {
        let app = ctx.app()?.clone();
        let viewer = ctx.viewer()?;
        let (post, access) = visible_post(&app.db, viewer, &post_id).await?;
        let me: Arc<str> = viewer.user_id.as_str().into();
        if access.banned {
            return Err(AppError::NotFound.into());
        }
        let events = app.broker.subscribe(&Topic::Post(post.id.clone()));
        Ok(live(events, move |envelope| {
            let (app, me) = (app.clone(), me.clone());
            async move {
                let Event::ReplyAdded { reply_id, .. } = &envelope.event else {
                    return None;
                };
                let live = envelope
                    .shared(|| async { logged(LiveReply::load(&app.db, reply_id).await) })
                    .await?;
                let live = live.as_ref().as_ref()?;
                live.audience
                    .admits(&me)
                    .then(|| ReplyObject(live.reply.clone()))
            }
        }))
    }

    /// My new notifications (and batched ones as they grow), as they are written.
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = NotificationObject>> {
        let app = ctx.app()?.clone();
        let me: Arc<str> = ctx.viewer()?.user_id.as_str().into();
        let events = app.broker.subscribe(&Topic::User(me.to_string()));
        Ok(live(events, move |envelope| {
            let (app, me) = (app.clone(), me.clone());
            async move {
                let Event::NotificationAdded {
                    user_id,
                    notification_id,
                } = &envelope.event
                else {
                    return None;
                };
                if user_id.as_str() != &*me {
                    return None;
                }
                let row = Box::pin(notifications::find(&app.db, &me, notification_id))
                    .await
                    .ok()??;
                Some(NotificationObject(row))
            }
        }))
    }
}

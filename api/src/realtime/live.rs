//! The running side of a subscription: what it follows, the events of that feed its caller may
//! see, and the operation a socket starts.
use super::render::{self, Selection};
use crate::auth::Viewer;
use crate::broker::{Envelope, Event, Topic};
use crate::community::audience::{LivePost, LiveReply};
use crate::content::is_listed_post;
use crate::error::{AppResult, Optional as _};
use crate::graphql::context::answer_panics;
use crate::graphql::delivery::{Caller, Delivery, Feed, Following, Heartbeat};
use crate::graphql::schema::HearthSchema;
use crate::ids::UserId;
use crate::meetings::access::meeting_for;
use crate::notifications::service as notifications;
use crate::questions::answers::visible_answer;
use crate::state::AppContext;
use async_graphql::Request;
use chrono::Utc;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Runs an operation sent over a socket. A live subscription yields a payload for each event its
/// caller may see, for as long as the stream is kept; anything else (a query, a mutation, a
/// refused subscription) yields its one response. Payloads are GraphQL responses as JSON.
pub async fn start(
    app: AppContext,
    schema: HearthSchema,
    caller: Arc<Caller>,
    request: Request,
) -> BoxStream<'static, Arc<str>> {
    let selection = Arc::new(Selection::of(&request));
    let following = Following::default();
    let mut ran = schema.execute_stream(caller.prepare(request).data(following.clone()));
    let first = match answer_panics(&app.metrics, ran.next()).await {
        Ok(first) => first,
        Err(internal) => {
            return futures::stream::once(async move { render::json(&internal) }).boxed()
        }
    };
    match (first, following.take()) {
        (None, Some(feed)) => {
            let viewer = Arc::new(caller.viewer.clone());
            deliveries(app, feed, viewer)
                .then(move |delivery| {
                    Box::pin(render::payload(
                        schema.clone(),
                        selection.clone(),
                        caller.clone(),
                        delivery,
                    ))
                })
                .filter_map(futures::future::ready)
                .boxed()
        }
        (first, _) => futures::stream::iter(first)
            .chain(ran)
            .map(|response| render::json(&response))
            .boxed(),
    }
}

/// The items of a feed that this caller may see, as events arrive.
fn deliveries(app: AppContext, feed: Feed, viewer: Arc<Viewer>) -> BoxStream<'static, Delivery> {
    let me = Arc::new(viewer.user_id.clone());
    match feed {
        Feed::Posts { group_id } => {
            let events = app.broker.subscribe(&Topic::Group(group_id));
            on_events(events, move |envelope| {
                let (app, me) = (app.clone(), me.clone());
                async move {
                    let Event::PostAdded { post_id, .. } = &envelope.event else {
                        return None;
                    };
                    let live = envelope
                        .shared(|| {
                            let (db, post_id) = (app.db.clone(), post_id.clone());
                            async move { logged(LivePost::load(&db, &post_id).await).map(Arc::new) }
                        })
                        .await?;
                    let live = live.as_ref().clone()?;
                    (is_listed_post(&live.post) && live.audience.admits(&me))
                        .then_some(Delivery::Post(live))
                }
            })
            .boxed()
        }
        Feed::Replies { post_id } => {
            let events = app.broker.subscribe(&Topic::Post(post_id));
            on_events(events, move |envelope| {
                let (app, me) = (app.clone(), me.clone());
                async move {
                    let Event::ReplyAdded { reply_id, .. } = &envelope.event else {
                        return None;
                    };
                    let live =
                        envelope
                            .shared(|| {
                                let (db, reply_id) = (app.db.clone(), reply_id.clone());
                                async move {
                                    logged(LiveReply::load(&db, &reply_id).await).map(Arc::new)
                                }
                            })
                            .await?;
                    let live = live.as_ref().clone()?;
                    live.audience.admits(&me).then_some(Delivery::Reply(live))
                }
            })
            .boxed()
        }
        Feed::Answers { question_id } => {
            let events = app.broker.subscribe(&Topic::Question(question_id));
            on_events(events, move |envelope| {
                let (app, viewer) = (app.clone(), viewer.clone());
                async move {
                    let Event::AnswerAdded { answer_id, .. } = &envelope.event else {
                        return None;
                    };
                    // Few follow one question live: each socket checks its own caller.
                    let pair = visible_answer(&app.db, &viewer, answer_id).await;
                    logged(pair.optional()).map(|pair| Delivery::Answer(Arc::new(pair)))
                }
            })
            .boxed()
        }
        Feed::Notifications => {
            let events = app.broker.subscribe(&Topic::User(UserId::clone(&me)));
            on_events(events, move |envelope| {
                let (app, me) = (app.clone(), me.clone());
                async move {
                    let Event::NotificationAdded {
                        user_id,
                        notification_id,
                    } = &envelope.event
                    else {
                        return None;
                    };
                    if *user_id != *me {
                        return None;
                    }
                    let row = Box::pin(notifications::find(&app.db, &me, notification_id));
                    logged(row.await).map(|row| Delivery::Notification(Arc::new(row)))
                }
            })
            .boxed()
        }
        Feed::Meetings => {
            let events = app.broker.subscribe(&Topic::User(UserId::clone(&me)));
            on_events(events, move |envelope| {
                let (app, viewer) = (app.clone(), viewer.clone());
                async move {
                    let Event::MeetingChanged {
                        user_id,
                        meeting_id,
                    } = &envelope.event
                    else {
                        return None;
                    };
                    if *user_id != viewer.user_id {
                        return None;
                    }
                    // Asked again now: someone who left or was banned since hears nothing.
                    let found = Box::pin(meeting_for(&app.db, &viewer, meeting_id)).await;
                    logged(found.optional()).map(|(row, _)| Delivery::Meeting(Arc::new(row)))
                }
            })
            .boxed()
        }
        Feed::Heartbeat { every } => futures::stream::unfold(0, move |sequence| async move {
            tokio::time::sleep(every).await;
            let next = sequence + 1;
            let beat = Heartbeat {
                sequence: next,
                at: Utc::now(),
            };
            Some((Delivery::Tick(beat), next))
        })
        .boxed(),
    }
}

/// The events of one channel, each turned into what the caller may see (or skipped).
fn on_events<T, F, Fut>(
    events: broadcast::Receiver<Arc<Envelope>>,
    view: F,
) -> impl Stream<Item = T>
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

/// Content nobody can be shown when it cannot be read; the error goes to the log once.
fn logged<T>(loaded: AppResult<Option<T>>) -> Option<T> {
    loaded.unwrap_or_else(|err| {
        err.log_internal();
        None
    })
}

//! Events between the parts of Hearth and between instances: in process (embedded default) or
//! through Redis pub/sub. With Redis, each instance keeps one subscriber connection (a pattern
//! subscription on its prefix) and fans events out to its own sockets; publishing goes through
//! Redis only, so every instance, this one included, delivers each event once.
use futures::future::{BoxFuture, FutureExt, Shared};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::ids::{
    AnswerId, GroupId, MeetingId, NotificationId, PostId, QuestionId, ReplyId, SessionId, UserId,
};
use crate::redis_conn::RedisLink;
use crate::telemetry::Metrics;

/// Events waiting for a slow socket before it starts missing them (it catches up by query).
const CHANNEL_CAPACITY: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Event {
    PostAdded {
        group_id: GroupId,
        post_id: PostId,
    },
    ReplyAdded {
        group_id: GroupId,
        post_id: PostId,
        reply_id: ReplyId,
    },
    NotificationAdded {
        user_id: UserId,
        notification_id: NotificationId,
    },
    AnswerAdded {
        question_id: QuestionId,
        answer_id: AnswerId,
    },
    /// Push jobs are due: wakes the push workers of every instance.
    PushQueued,
    /// Mails are in the outbox: wakes the mail workers of every instance.
    MailQueued,
    /// A data export was asked for: wakes the export workers.
    ExportRequested,
    /// These sessions were revoked (sign-out, password change, a replayed refresh token):
    /// every instance forgets them and closes their sockets.
    SessionsRevoked {
        session_ids: Vec<SessionId>,
    },
    /// Instance `by` ran something that may have written: every other instance checks the
    /// versions of the reads it keeps (`read_versions`). It says nothing of what changed.
    ReadsChanged {
        by: String,
    },
    /// A meeting this person is coming to (or might, or waits for) changed: moved, cancelled,
    /// or their place on it.
    MeetingChanged {
        user_id: UserId,
        meeting_id: MeetingId,
    },
}

/// What a committed write must announce: the events it raised, in order. A writing service
/// gathers them inside its transaction and returns them with its row ([`Committed`]); they are
/// published once, after the commit, by [`Committed::publish`].
#[must_use = "publish it after the commit (see `Committed::publish`)"]
#[derive(Debug, Default)]
pub struct Announcements {
    events: Vec<Event>,
}

impl Announcements {
    pub fn event(&mut self, event: Event) {
        if matches!(
            event,
            Event::PushQueued | Event::MailQueued | Event::ExportRequested
        ) && self.events.contains(&event)
        {
            return;
        }
        self.events.push(event);
    }

    /// A notification row was written for someone: they hear of it live, and the push workers
    /// wake (once per write, however many were written).
    pub fn notification(&mut self, user_id: UserId, notification_id: NotificationId) {
        self.event(Event::PushQueued);
        self.events.push(Event::NotificationAdded {
            user_id,
            notification_id,
        });
    }

    pub fn extend(&mut self, other: Announcements) {
        for event in other.events {
            match event {
                Event::NotificationAdded {
                    user_id,
                    notification_id,
                } => self.notification(user_id, notification_id),
                event => self.event(event),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }
}

/// A row a writing service committed, with what it must announce.
#[must_use = "publish what it announces: `.publish(&broker)` after the commit"]
#[derive(Debug)]
pub struct Committed<T> {
    pub row: T,
    pub announce: Announcements,
}

impl<T> Committed<T> {
    pub fn new(row: T, announce: Announcements) -> Self {
        Committed { row, announce }
    }

    /// A write that raised nothing to announce.
    pub fn quiet(row: T) -> Self {
        Committed::new(row, Announcements::default())
    }

    /// The one place announcements leave: every event, in order, then the row.
    pub async fn publish(self, broker: &Broker) -> T {
        for event in self.announce.events {
            broker.publish(event).await;
        }
        self.row
    }
}

/// An event with its id, as carried on a channel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Envelope {
    pub id: String,
    #[serde(flatten)]
    pub event: Event,
    #[serde(skip)]
    worked_out: WorkedOut,
}

/// What this instance's subscribers work out from one event (who may see it, say), once for
/// all of them rather than once per socket. Whichever subscriber is polled drives the work, so a
/// socket that stalls after starting it holds up nobody else.
#[derive(Clone, Default)]
struct WorkedOut(Arc<Mutex<Option<Work>>>);

type Work = Shared<BoxFuture<'static, Arc<dyn Any + Send + Sync>>>;

impl std::fmt::Debug for WorkedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorkedOut")
    }
}

impl Envelope {
    pub fn new(event: Event) -> Self {
        Envelope {
            id: uuid::Uuid::now_v7().to_string(),
            event,
            worked_out: WorkedOut::default(),
        }
    }

    /// Starts `work` for the first subscriber that asks; every subscriber, that one included,
    /// awaits the same result. `None` only if an earlier caller stored a different type.
    pub async fn shared<T, F, Fut>(&self, work: F) -> Option<Arc<T>>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = T> + Send + 'static,
    {
        let started = {
            let mut slot = self
                .worked_out
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            slot.get_or_insert_with(|| {
                let running = work();
                async move {
                    let value: Arc<dyn Any + Send + Sync> = Arc::new(running.await);
                    value
                }
                .boxed()
                .shared()
            })
            .clone()
        };
        started.await.downcast::<T>().ok()
    }
}

/// Where an event is published: per group, per post, per user.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    Group(GroupId),
    Post(PostId),
    User(UserId),
    Question(QuestionId),
    Push,
    Mail,
    Exports,
    Sessions,
    Reads,
}

impl Topic {
    fn key(&self) -> String {
        match self {
            Topic::Group(id) => format!("group:{id}"),
            Topic::Post(id) => format!("post:{id}"),
            Topic::User(id) => format!("user:{id}"),
            Topic::Question(id) => format!("question:{id}"),
            Topic::Push => "push".to_owned(),
            Topic::Mail => "mail".to_owned(),
            Topic::Exports => "exports".to_owned(),
            Topic::Sessions => "sessions".to_owned(),
            Topic::Reads => "reads".to_owned(),
        }
    }
}

impl Event {
    /// The channels an event goes out on.
    pub fn topics(&self) -> Vec<Topic> {
        match self {
            Event::PostAdded { group_id, .. } => vec![Topic::Group(group_id.clone())],
            Event::ReplyAdded {
                group_id, post_id, ..
            } => {
                vec![Topic::Post(post_id.clone()), Topic::Group(group_id.clone())]
            }
            Event::NotificationAdded { user_id, .. } => vec![Topic::User(user_id.clone())],
            Event::AnswerAdded { question_id, .. } => vec![Topic::Question(question_id.clone())],
            Event::PushQueued => vec![Topic::Push],
            Event::MailQueued => vec![Topic::Mail],
            Event::ExportRequested => vec![Topic::Exports],
            Event::SessionsRevoked { .. } => vec![Topic::Sessions],
            Event::ReadsChanged { .. } => vec![Topic::Reads],
            Event::MeetingChanged { user_id, .. } => vec![Topic::User(user_id.clone())],
        }
    }
}

type Channels = Arc<Mutex<HashMap<String, broadcast::Sender<Arc<Envelope>>>>>;

#[derive(Clone)]
pub struct Broker {
    channels: Channels,
    redis: Option<RedisSide>,
}

#[derive(Clone)]
struct RedisSide {
    publisher: RedisLink,
    prefix: String,
    metrics: Metrics,
}

impl Broker {
    pub fn in_process() -> Self {
        Broker {
            channels: Arc::default(),
            redis: None,
        }
    }

    /// Publishes through Redis and starts this instance's one subscriber connection, which
    /// reconnects and resubscribes by itself when Redis comes back.
    pub fn redis(
        client: redis::Client,
        publisher: RedisLink,
        prefix: &str,
        stop: CancellationToken,
        metrics: Metrics,
    ) -> Self {
        let channels: Channels = Arc::default();
        let prefix = format!("{prefix}:ev:");
        tokio::spawn(run_subscriber(
            client,
            prefix.clone(),
            channels.clone(),
            stop,
        ));
        Broker {
            channels,
            redis: Some(RedisSide {
                publisher,
                prefix,
                metrics,
            }),
        }
    }

    /// Publishes an event on its channels. Delivery is best effort: a client that missed
    /// something catches up through the paginated queries. While Redis is away the event is
    /// dropped and counted; the write that raised it has already committed.
    pub async fn publish(&self, event: Event) {
        let envelope = Arc::new(Envelope::new(event));
        for topic in envelope.event.topics() {
            let key = topic.key();
            match &self.redis {
                None => deliver(&self.channels, &key, envelope.clone()),
                Some(side) => {
                    let Ok(payload) = serde_json::to_string(&envelope) else {
                        continue;
                    };
                    let mut pipeline = redis::pipe();
                    pipeline
                        .cmd("PUBLISH")
                        .arg(format!("{}{key}", side.prefix))
                        .arg(payload)
                        .ignore();
                    if side.publisher.query::<()>(&pipeline).await.is_err() {
                        side.metrics.count_event_dropped();
                    }
                }
            }
        }
    }

    /// Events of one channel, from now on.
    pub fn subscribe(&self, topic: &Topic) -> broadcast::Receiver<Arc<Envelope>> {
        let key = topic.key();
        let Ok(mut channels) = self.channels.lock() else {
            return broadcast::channel(1).1;
        };
        // Channels nobody listens to any more are dropped as new ones come.
        if channels.len() > 1_024 {
            channels.retain(|_, sender| sender.receiver_count() > 0);
        }
        channels
            .entry(key)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }
}

fn deliver(channels: &Channels, key: &str, envelope: Arc<Envelope>) {
    let Ok(channels) = channels.lock() else {
        return;
    };
    if let Some(sender) = channels.get(key) {
        let _ = sender.send(envelope);
    }
}

async fn run_subscriber(
    client: redis::Client,
    prefix: String,
    channels: Channels,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let session = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.psubscribe(format!("{prefix}*")).await?;
            tracing::info!("subscribed to events through Redis");
            Ok::<_, redis::RedisError>(pubsub)
        };
        let pubsub = tokio::select! {
            pubsub = session => pubsub,
            () = stop.cancelled() => return,
        };
        match pubsub {
            Ok(pubsub) => {
                backoff = Duration::from_millis(100);
                let mut messages = pubsub.into_on_message();
                loop {
                    let message = tokio::select! {
                        message = messages.next() => message,
                        () = stop.cancelled() => return,
                    };
                    let Some(message) = message else { break };
                    let channel = message.get_channel_name().to_owned();
                    let Some(key) = channel.strip_prefix(&prefix) else {
                        continue;
                    };
                    let Ok(payload) = message.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<Envelope>(&payload) {
                        Ok(envelope) => deliver(&channels, key, Arc::new(envelope)),
                        Err(err) => tracing::warn!(error = %err, "unreadable event on Redis"),
                    }
                }
                tracing::warn!("lost the Redis event subscription; reconnecting");
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot subscribe to Redis events; retrying");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {},
            () = stop.cancelled() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(user: &str, id: &str) -> Event {
        Event::NotificationAdded {
            user_id: user.into(),
            notification_id: id.into(),
        }
    }

    #[test]
    fn announcements_keep_their_order_and_wake_the_push_workers_once() {
        let post = Event::PostAdded {
            group_id: "g".into(),
            post_id: "p".into(),
        };
        let mut first = Announcements::default();
        first.event(post.clone());
        first.notification("a".into(), "n1".into());
        let mut second = Announcements::default();
        second.notification("b".into(), "n2".into());
        first.extend(second);
        assert_eq!(
            first.events(),
            [post, Event::PushQueued, added("a", "n1"), added("b", "n2")]
        );
        assert!(Announcements::default().is_empty());
    }
}

/// What a background worker shares with the server: the database it claims its work from and
/// the broker it hears wake-ups on and announces through. Each worker takes this and the few
/// other parts it uses, never the whole server context. Cloning it is cheap.
#[derive(Clone)]
pub struct WorkerHandles {
    pub db: sea_orm::DatabaseConnection,
    pub broker: Broker,
    pub vault: crate::keys::Vault,
}

//! What passes between a subscription's two runs through the schema: the feed its resolver names
//! while subscribing, who holds the socket, and the item handed out while delivering.
use crate::auth::{Auth, RequestMeta, Viewer};
use crate::community::audience::{LivePost, LiveReply, Renders};
use crate::error::{AppError, AppResult};
use crate::graphql::loaders::LazyLoaders;
use crate::ids::{GroupId, PostId, QuestionId};
use crate::telemetry::Metrics;
use async_graphql::{Request, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{answers, posts, questions, replies};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A tick of the `heartbeat` subscription.
#[derive(SimpleObject, Clone)]
pub struct Heartbeat {
    /// Counts from 1 on each subscription.
    pub(crate) sequence: i32,
    /// When the server sent it.
    pub(crate) at: DateTime<Utc>,
}

/// What a subscription follows, named by its resolver once the caller passed its checks.
pub enum Feed {
    Posts {
        group_id: GroupId,
    },
    Replies {
        post_id: PostId,
    },
    Answers {
        question_id: QuestionId,
    },
    Notifications,
    /// Changes to meetings I am coming to (or might, or wait for).
    Meetings,
    Heartbeat {
        every: Duration,
    },
}

/// Where a resolver names its feed while subscribing.
#[derive(Clone, Default)]
pub struct Following(Arc<Mutex<Option<Feed>>>);

impl Following {
    /// One feed per subscription: a second root field is refused.
    pub fn name(&self, feed: Feed) -> AppResult<()> {
        let mut named = self
            .0
            .lock()
            .map_err(|_| AppError::internal(anyhow::anyhow!("feed slot poisoned")))?;
        if named.is_some() {
            return Err(AppError::bad_input(
                "subscription",
                "a subscription selects exactly one field",
            ));
        }
        *named = Some(feed);
        Ok(())
    }

    pub(crate) fn take(&self) -> Option<Feed> {
        self.0.lock().ok()?.take()
    }
}

/// One item a subscription's resolver hands out while delivering.
#[derive(Clone)]
pub enum Delivery {
    Post(Arc<LivePost>),
    Reply(Arc<LiveReply>),
    Notification(Arc<entity::notifications::Model>),
    /// An answer and its question, checked for this one socket's caller.
    Answer(Arc<(answers::Model, questions::Model)>),
    /// A meeting as it stands now, checked for this one socket's caller.
    Meeting(Arc<entity::meetings::Model>),
    Tick(Heartbeat),
}

impl Delivery {
    pub fn post(&self) -> Option<posts::Model> {
        match self {
            Delivery::Post(live) => Some(live.post.clone()),
            _ => None,
        }
    }
    pub fn reply(&self) -> Option<replies::Model> {
        match self {
            Delivery::Reply(live) => Some(live.reply.clone()),
            _ => None,
        }
    }
    pub fn notification(&self) -> Option<entity::notifications::Model> {
        match self {
            Delivery::Notification(row) => Some(entity::notifications::Model::clone(row)),
            _ => None,
        }
    }
    pub fn answer(&self) -> Option<(answers::Model, questions::Model)> {
        match self {
            Delivery::Answer(pair) => Some(pair.as_ref().clone()),
            _ => None,
        }
    }
    pub fn meeting(&self) -> Option<entity::meetings::Model> {
        match self {
            Delivery::Meeting(row) => Some(entity::meetings::Model::clone(row)),
            _ => None,
        }
    }
    pub fn tick(&self) -> Option<Heartbeat> {
        match self {
            Delivery::Tick(beat) => Some(beat.clone()),
            _ => None,
        }
    }
    /// Where renderings of this event are kept for the other sockets, if it is shared.
    pub fn renders(&self) -> Option<&Renders> {
        match self {
            Delivery::Post(live) => Some(&live.renders),
            Delivery::Reply(live) => Some(&live.renders),
            Delivery::Notification(_)
            | Delivery::Answer(_)
            | Delivery::Meeting(_)
            | Delivery::Tick(_) => None,
        }
    }
}

/// Who holds a socket: what its operations run as.
pub struct Caller {
    pub viewer: Viewer,
    pub meta: RequestMeta,
    /// Where a panicking rendering is counted.
    pub metrics: Metrics,
}

impl Caller {
    /// The request with what resolvers read about the caller.
    pub(crate) fn prepare(&self, request: Request) -> Request {
        request
            .data(Auth::Signed(self.viewer.clone()))
            .data(self.meta.clone())
            .data(LazyLoaders::default())
    }
}

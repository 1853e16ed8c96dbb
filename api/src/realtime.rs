//! Subscriptions. For now the heartbeat, which proves an authenticated live socket.
use crate::error::AppError;
use crate::gql::ContextExt;
use async_graphql::{Context, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::Stream;
use std::time::Duration;

#[derive(SimpleObject, Clone)]
pub struct Heartbeat {
    /// Counts from 1 on each subscription.
    sequence: i32,
    at: DateTime<Utc>,
}

#[derive(Default)]
pub struct HeartbeatSubscription;

#[Subscription]
impl HeartbeatSubscription {
    /// Ticks every `intervalSeconds` (1 to 300) while the socket is signed in.
    async fn heartbeat(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 15)] interval_seconds: i32,
    ) -> Result<impl Stream<Item = Heartbeat>> {
        ctx.auth()?.viewer()?;
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
}

//! Revoked sessions stop working on every instance at once: the revoking instance forgets them
//! and announces them on the broker; every instance (itself included) forgets them too and
//! closes the sockets signed in with them (4403).
use super::SessionCache;
use crate::broker::{Broker, Envelope, Event, Topic};
use crate::ids::SessionId;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

/// Applies the revocations any instance announces to this instance's cache, until `stop`.
pub fn follow(sessions: SessionCache, broker: &Broker, stop: CancellationToken) {
    // Subscribed before the task starts, so nothing announced from now on is missed.
    let events = broker.subscribe(&Topic::Sessions);
    tokio::spawn(apply(sessions, events, stop));
}

async fn apply(
    sessions: SessionCache,
    mut events: broadcast::Receiver<Arc<Envelope>>,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            () = stop.cancelled() => return,
            event = events.recv() => event,
        };
        match event {
            Ok(envelope) => {
                if let Event::SessionsRevoked { session_ids } = &envelope.event {
                    sessions.revoke(session_ids);
                }
            }
            // Some announcements were missed: trust no remembered check.
            Err(RecvError::Lagged(_)) => sessions.forget_all(),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Forgets the sessions here at once, then tells every instance.
pub async fn announce(sessions: &SessionCache, broker: &Broker, session_ids: &[SessionId]) {
    if session_ids.is_empty() {
        return;
    }
    sessions.revoke(session_ids);
    broker
        .publish(Event::SessionsRevoked {
            session_ids: session_ids.to_vec(),
        })
        .await;
}

//! `graphql-transport-ws` on `/graphql`: sign-in in `connection_init`, small buffers,
//! sessions re-checked while open, and a 1001 close on shutdown.
use super::HttpState;
use crate::auth::{authenticate, bearer_token, Auth, Viewer};
use crate::posts::loaders::LazyLoaders;
use crate::state::RequestMeta;
use async_graphql::http::{WebSocket as GraphqlSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use std::net::IpAddr;
use std::time::Duration;

/// Client messages are small; a larger one is read in several steps.
const BUFFER: usize = 1024;
/// Most subscriptions one socket may hold at once.
pub const MAX_SUBSCRIPTIONS: usize = 50;
const MAX_MESSAGE: usize = 64 * 1024;

pub mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
}

pub fn upgrade(state: HttpState, upgrade: WebSocketUpgrade, ip: IpAddr) -> Response {
    let sockets = state.sockets.clone();
    upgrade
        .protocols(["graphql-transport-ws"])
        .read_buffer_size(BUFFER)
        .write_buffer_size(BUFFER)
        .max_write_buffer_size(MAX_MESSAGE)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| sockets.track_future(serve(state, socket, ip)))
}

#[derive(Deserialize)]
struct InitMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    payload: Option<InitPayload>,
}

#[derive(Deserialize)]
struct InitPayload {
    authorization: Option<String>,
}

async fn close_with(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn serve(state: HttpState, mut socket: WebSocket, ip: IpAddr) {
    let _open = state.app.metrics.websocket_opened();
    // Boxed: signing in needs large futures only once, and an idle socket should not carry them.
    let Some((viewer, init)) = Box::pin(sign_in(&state, &mut socket)).await else {
        return;
    };

    let (mut sink, stream) = socket.split();
    let active = ActiveSubscriptions::default();
    let counted = active.clone();
    let incoming = futures::stream::once(async move { init }).chain(
        stream
            .take_while(|message| futures::future::ready(message.is_ok()))
            .filter_map(move |message| {
                let bytes = match message {
                    Ok(Message::Text(text)) => Some(axum::body::Bytes::from(text)),
                    Ok(Message::Binary(bytes)) => Some(bytes),
                    _ => None,
                };
                // Over the cap, a subscribe is answered with an error and never reaches the executor.
                let admitted = bytes.filter(|b| counted.admit(b));
                futures::future::ready(admitted)
            }),
    );
    let mut data = Data::default();
    let session_id = viewer.session_id.clone();
    data.insert(Auth::Signed(viewer));
    data.insert(RequestMeta { client_ip: ip });
    data.insert(LazyLoaders::default());
    let mut protocol = Box::pin(
        GraphqlSocket::new(state.schema.clone(), incoming, Protocols::GraphQLWS)
            .on_connection_init(move |_| async move { Ok(data) }),
    );
    let every = state
        .app
        .settings
        .session_check_interval
        .max(Duration::from_secs(1));
    // Pinned in place rather than an `Interval`, which boxes its timer: one allocation less per socket.
    let recheck = tokio::time::sleep(every);
    tokio::pin!(recheck);

    let closing = loop {
        tokio::select! {
            outgoing = protocol.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    active.finished(&text);
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => break Some((code, reason)),
                None => break None,
            },
            () = active.refused() => {
                for refusal in active.take_refusals() {
                    if sink.send(Message::Text(refusal.into())).await.is_err() {
                        return;
                    }
                }
            }
            () = &mut recheck => {
                recheck.as_mut().reset(tokio::time::Instant::now() + every);
                let live = Box::pin(state.app.sessions.is_live(&state.app.db, &session_id)).await;
                if matches!(live, Ok(false)) {
                    break Some((close::FORBIDDEN, "Forbidden".to_owned()));
                }
            }
            () = state.shutdown.cancelled() => {
                break Some((close::GOING_AWAY, "server shutting down".to_owned()));
            }
        }
    };
    if let Some((code, reason)) = closing {
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
    }
}

/// The `connection_init` exchange: the signed-in viewer and the init message, or `None` once
/// the socket has been closed with the reason.
async fn sign_in(state: &HttpState, socket: &mut WebSocket) -> Option<(Viewer, axum::body::Bytes)> {
    let first = tokio::select! {
        first = tokio::time::timeout(state.app.settings.ws_init_timeout, next_payload(socket)) => first,
        () = state.shutdown.cancelled() => {
            close_with(socket, close::GOING_AWAY, "server shutting down").await;
            return None;
        }
    };
    let init = match first {
        Err(_) => {
            close_with(
                socket,
                close::INIT_TIMEOUT,
                "Connection initialisation timeout",
            )
            .await;
            return None;
        }
        Ok(None) => return None,
        Ok(Some(bytes)) => bytes,
    };
    let auth = match serde_json::from_slice::<InitMessage>(&init) {
        Ok(message) if message.kind == "connection_init" => {
            let token = message
                .payload
                .and_then(|p| p.authorization)
                .and_then(|header| bearer_token(&header).map(str::to_owned));
            match token {
                None => Auth::Rejected,
                Some(token) => {
                    match authenticate(
                        &state.app.keys,
                        &state.app.sessions,
                        &state.app.db,
                        Some(&token),
                    )
                    .await
                    {
                        Ok(auth) => auth,
                        Err(err) => {
                            err.log_internal();
                            Auth::Rejected
                        }
                    }
                }
            }
        }
        Ok(message) if message.kind == "subscribe" => {
            close_with(socket, close::UNAUTHORIZED, "Unauthorized").await;
            return None;
        }
        _ => {
            close_with(socket, close::BAD_REQUEST, "expected connection_init").await;
            return None;
        }
    };
    let Auth::Signed(viewer) = auth else {
        close_with(socket, close::FORBIDDEN, "Forbidden").await;
        return None;
    };
    Some((viewer, init))
}

/// The next text or binary message, skipping pings; `None` when the client went away.
async fn next_payload(socket: &mut WebSocket) -> Option<axum::body::Bytes> {
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(text) => return Some(text.into()),
            Message::Binary(bytes) => return Some(bytes),
            Message::Close(_) => return None,
            _ => {}
        }
    }
    None
}

#[derive(Deserialize)]
struct MessageHead {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

/// The ids of a socket's running subscriptions, to hold them under `MAX_SUBSCRIPTIONS`, and the
/// refusals waiting to be sent.
#[derive(Clone, Default)]
struct ActiveSubscriptions(std::sync::Arc<Tracking>);

#[derive(Default)]
struct Tracking {
    active: std::sync::Mutex<Active>,
    refusals_waiting: tokio::sync::Notify,
}

#[derive(Default)]
struct Active {
    ids: std::collections::HashSet<String>,
    refusals: Vec<String>,
}

impl ActiveSubscriptions {
    /// Whether a client message goes on to the executor; a subscribe over the cap is answered
    /// with an error (see `refused`) instead.
    fn admit(&self, message: &[u8]) -> bool {
        let Ok(head) = serde_json::from_slice::<MessageHead>(message) else {
            return true;
        };
        let (Some(id), Ok(mut active)) = (head.id, self.0.active.lock()) else {
            return true;
        };
        match head.kind.as_str() {
            "subscribe" if !active.ids.contains(&id) && active.ids.len() >= MAX_SUBSCRIPTIONS => {
                active.refusals.push(
                    serde_json::json!({
                        "id": id,
                        "type": "error",
                        "payload": [{
                            "message": format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
                            "extensions": {"code": "RATE_LIMITED"}
                        }]
                    })
                    .to_string(),
                );
                self.0.refusals_waiting.notify_one();
                false
            }
            "subscribe" => {
                active.ids.insert(id);
                true
            }
            "complete" => {
                active.ids.remove(&id);
                true
            }
            _ => true,
        }
    }

    /// Resolves when refusals are waiting.
    async fn refused(&self) {
        self.0.refusals_waiting.notified().await;
    }

    fn take_refusals(&self) -> Vec<String> {
        self.0
            .active
            .lock()
            .map(|mut active| std::mem::take(&mut active.refusals))
            .unwrap_or_default()
    }

    /// Notes a subscription the server ended (`complete` or `error`).
    fn finished(&self, text: &str) {
        if text.starts_with("{\"type\":\"next\"") {
            return;
        }
        if let Ok(head) = serde_json::from_str::<MessageHead>(text) {
            if let (Some(id), true, Ok(mut active)) = (
                head.id,
                head.kind == "complete" || head.kind == "error",
                self.0.active.lock(),
            ) {
                active.ids.remove(&id);
            }
        }
    }
}

//! `graphql-transport-ws` on `/graphql`: sign-in in `connection_init`, small buffers, at most
//! [`MAX_SUBSCRIPTIONS`] operations at once, sessions re-checked while open, and a 1001 close on
//! shutdown. Persisted queries (APQ) and trusted documents apply to `subscribe` as they do
//! over HTTP. What each operation sends comes from [`realtime::start`].
use super::HttpState;
use crate::auth::RequestMeta;
use crate::auth::{authenticate, bearer_token, Auth, Viewer};
use crate::realtime::{self, Caller};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::stream::BoxStream;
use futures::StreamExt;
use serde::Deserialize;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::StreamMap;

/// Client messages are small; a larger one is read in several steps.
const BUFFER: usize = 1024;
/// Most subscriptions one socket may hold at once.
pub const MAX_SUBSCRIPTIONS: usize = 50;
const MAX_MESSAGE: usize = 64 * 1024;

pub mod close {
    pub const GOING_AWAY: u16 = 1001;
    /// The server could not check the sign-in just now (its database was out of reach).
    pub const TRY_AGAIN_LATER: u16 = 1013;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const SUBSCRIBER_EXISTS: u16 = 4409;
    pub const TOO_MANY_INITIALISATIONS: u16 = 4429;
}

const ACK: &str = r#"{"type":"connection_ack"}"#;
/// How long a message may wait for the client to take it before the socket is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
const PONG: &str = r#"{"type":"pong"}"#;

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

/// Sends the close frame, waiting no longer than for any other message.
async fn close_with(socket: &mut WebSocket, code: u16, reason: impl Into<String>) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into().into(),
    }));
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(frame)).await;
}

async fn serve(state: HttpState, mut socket: WebSocket, ip: IpAddr) {
    let _open = state.app.metrics.websocket_opened();
    // Boxed: signing in needs large futures only once, and an idle socket should not carry them.
    let Some(viewer) = Box::pin(sign_in(&state, &mut socket)).await else {
        return;
    };
    if socket.send(Message::Text(ACK.into())).await.is_err() {
        return;
    }
    let session_id = viewer.session_id.clone();
    // Cancelled when the session is revoked on any instance.
    let watch = state.app.sessions.watch(&session_id);
    let caller = Arc::new(Caller {
        viewer,
        meta: RequestMeta { client_ip: ip },
        metrics: state.app.metrics.clone(),
    });
    let mut running: StreamMap<String, BoxStream<'static, String>> = StreamMap::new();
    let every = state
        .app
        .settings
        .session_check_interval
        .max(Duration::from_secs(1));
    // Pinned in place rather than an `Interval`, which boxes its timer: one allocation less per socket.
    let recheck = tokio::time::sleep(every);
    tokio::pin!(recheck);

    let closing = loop {
        // Biased, cheapest and rarest first: shutdown and the session check are never starved
        // by a stream of events, and the client's messages (`complete`, `ping`) come before
        // the next event.
        let step = tokio::select! {
            biased;
            () = state.shutdown.cancelled() => {
                Step::Close(close::GOING_AWAY, "server shutting down".to_owned())
            }
            () = watch.revoked.cancelled() => Step::Close(close::FORBIDDEN, "Forbidden".to_owned()),
            () = &mut recheck => {
                recheck.as_mut().reset(tokio::time::Instant::now() + every);
                let live = Box::pin(state.app.sessions.is_live(&state.app.db, &session_id, &caller.viewer.user_id)).await;
                if matches!(live, Ok(false)) {
                    Step::Close(close::FORBIDDEN, "Forbidden".to_owned())
                } else {
                    Step::Nothing
                }
            }
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => handle(&state, &caller, &mut running, text.as_bytes()),
                Some(Ok(Message::Binary(bytes))) => handle(&state, &caller, &mut running, &bytes),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Step::Nothing,
                Some(Ok(Message::Close(_)) | Err(_)) | None => Step::End,
            },
            Some((_, frame)) = running.next(), if !running.is_empty() => Step::Send(frame),
        };
        match step {
            Step::Send(text) => {
                // A client that stops reading is let go rather than waited for.
                let sent =
                    tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into())));
                if !matches!(sent.await, Ok(Ok(()))) {
                    return;
                }
            }
            Step::Nothing => {}
            Step::Close(code, reason) => break Some((code, reason)),
            Step::End => break None,
        }
    };
    // Operations still running stop here: nothing more of theirs is served.
    drop(running);
    if let Some((code, reason)) = closing {
        close_with(&mut socket, code, reason).await;
    }
}

/// A client message after `connection_init`
/// ([protocol](https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md)).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit,
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
    Ping,
    Pong,
}

/// What the socket does next.
enum Step {
    Send(String),
    Nothing,
    Close(u16, String),
    /// The client went away.
    End,
}

/// Acts on one client message.
fn handle(
    state: &HttpState,
    caller: &Arc<Caller>,
    running: &mut StreamMap<String, BoxStream<'static, String>>,
    text: &[u8],
) -> Step {
    let Ok(message) = serde_json::from_slice::<ClientMessage>(text) else {
        return Step::Close(close::BAD_REQUEST, "Invalid message".to_owned());
    };
    match message {
        ClientMessage::ConnectionInit => Step::Close(
            close::TOO_MANY_INITIALISATIONS,
            "Too many initialisation requests".to_owned(),
        ),
        // The id is the client's and may be long; a close reason may not (123 bytes).
        ClientMessage::Subscribe { id, .. } if running.contains_key(&id) => Step::Close(
            close::SUBSCRIBER_EXISTS,
            "Subscriber for this id already exists".to_owned(),
        ),
        ClientMessage::Subscribe { id, .. } if running.len() >= MAX_SUBSCRIPTIONS => {
            Step::Send(refusal(&id))
        }
        ClientMessage::Subscribe { id, payload } => {
            let (app, schema) = (state.app.clone(), state.schema.clone());
            let (caller, persisted) = (caller.clone(), state.persisted.clone());
            let mut request = *payload;
            let payloads = Box::pin(async move {
                // Persisted queries as over HTTP: a hash alone names a kept (or, in
                // production, a trusted) document, and trusted documents bind subscriptions too.
                match persisted.resolve(&mut request).await {
                    Ok(()) => realtime::start(app, schema, caller, request).await,
                    Err(refusal) => {
                        let answer: Arc<str> = refusal.answer().into();
                        futures::stream::once(futures::future::ready(answer)).boxed()
                    }
                }
            });
            running.insert(id.clone(), frames(&id, payloads));
            Step::Nothing
        }
        // Nothing more is sent for it, not even `complete`: the client already knows.
        ClientMessage::Complete { id } => {
            running.remove(&id);
            Step::Nothing
        }
        ClientMessage::Ping => Step::Send(PONG.to_owned()),
        ClientMessage::Pong => Step::Nothing,
    }
}

/// The messages of one operation: `next` for each payload, then `complete`.
fn frames(
    id: &str,
    payloads: impl std::future::Future<Output = BoxStream<'static, Arc<str>>> + Send + 'static,
) -> BoxStream<'static, String> {
    let head = format!(r#"{{"id":{},"type":"next","payload":"#, quoted(id));
    futures::stream::once(payloads)
        .flatten()
        .map(move |payload| {
            let mut frame = String::with_capacity(head.len() + payload.len() + 1);
            frame.push_str(&head);
            frame.push_str(&payload);
            frame.push('}');
            frame
        })
        .chain(futures::stream::once(futures::future::ready(complete(id))))
        .boxed()
}

fn complete(id: &str) -> String {
    format!(r#"{{"id":{},"type":"complete"}}"#, quoted(id))
}

/// Over the cap, a subscribe is answered with an error and never runs.
fn refusal(id: &str) -> String {
    serde_json::json!({
        "id": id,
        "type": "error",
        "payload": [{
            "message": format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
            "extensions": {"code": "RATE_LIMITED"}
        }]
    })
    .to_string()
}

fn quoted(id: &str) -> String {
    serde_json::Value::from(id).to_string()
}

/// The `connection_init` exchange: the signed-in viewer and the init message, or `None` once
/// the socket has been closed with the reason.
async fn sign_in(state: &HttpState, socket: &mut WebSocket) -> Option<Viewer> {
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
                        // The token may be fine: the app should come back, not sign in again.
                        Err(err) => {
                            err.log_internal();
                            close_with(socket, close::TRY_AGAIN_LATER, "Try again later").await;
                            return None;
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
    Some(viewer)
}

/// The next text or binary message, answering `ping`s meanwhile; `None` when the client went
/// away.
async fn next_payload(socket: &mut WebSocket) -> Option<axum::body::Bytes> {
    while let Some(Ok(message)) = socket.recv().await {
        let bytes = match message {
            Message::Text(text) => text.into(),
            Message::Binary(bytes) => bytes,
            Message::Close(_) => return None,
            _ => continue,
        };
        match serde_json::from_slice::<InitMessage>(&bytes) {
            Ok(message) if message.kind == "ping" => {
                if socket.send(Message::Text(PONG.into())).await.is_err() {
                    return None;
                }
            }
            Ok(message) if message.kind == "pong" => {}
            _ => return Some(bytes),
        }
    }
    None
}

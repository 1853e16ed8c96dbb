//! The HTTP surface: `/graphql` (POST, GET, WebSocket), `/healthz`, `/readyz`, `/metrics`, and
//! the account-deletion page (`/account/delete`), and GraphiQL's files in development
//! (`/graphiql/…`).
mod account_page;
mod cached_answers;
mod calendar;
mod graphiql;
mod graphql;
mod ops;
mod ws;

use crate::graphql::schema::HearthSchema;
use crate::persisted::PersistedQueries;
use crate::state::AppContext;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, HeaderValue, Request};
use axum::routing::{get, post};
use axum::Router;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::compression::predicate::{DefaultPredicate, Predicate as _, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// How the other routes' answers are compressed (exports, calendar feeds, GraphiQL's files):
/// `content_coding`'s quality and smallest size. GraphQL's answers come here compressed
/// already (`content_coding::Coding::encode`), and the layer leaves them as they are.
const COMPRESSION_QUALITY: CompressionLevel =
    CompressionLevel::Precise(crate::content_coding::QUALITY as i32);
const COMPRESS_FROM_BYTES: u16 = crate::content_coding::FROM_BYTES as u16;

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 256 * 1024;

#[derive(Clone)]
pub struct HttpState {
    pub app: AppContext,
    pub schema: HearthSchema,
    pub graphiql: bool,
    /// Cancelled on shutdown: sockets then close with 1001.
    pub shutdown: CancellationToken,
    pub sockets: TaskTracker,
    pub persisted: Arc<PersistedQueries>,
}

/// What every process serves for its orchestrator: health, and `/metrics` unless that has an
/// address of its own.
fn health_routes(state: &HttpState) -> Router<HttpState> {
    let routes = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz));
    if state.app.settings.metrics_on_public_port() {
        routes.route("/metrics", get(ops::metrics))
    } else {
        routes
    }
}

pub fn router(state: HttpState) -> Router {
    health_routes(&state)
        .route("/graphql", get(graphql::get_or_upgrade).post(graphql::post))
        .route(
            "/account/delete",
            get(account_page::start).post(account_page::send_code),
        )
        .route("/account/delete/confirm", post(account_page::confirm))
        .route("/account/export", get(account_page::export))
        .route("/calendar/{file}", get(calendar::feed))
        .route("/graphiql/{file}", get(graphiql::asset))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // Answers are about one person and never for a shared cache; nothing is sniffed as HTML.
        // A tagged GET answer says its own (`private, no-cache`: the phone keeps it, and asks
        // with its tag before using it again).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .quality(COMPRESSION_QUALITY)
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_FROM_BYTES))),
        )
        // Method and path only: query strings can carry GraphQL text and variables.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// What a worker-only process (`hearth worker`) serves: its health routes, no API.
pub fn worker_router(state: HttpState) -> Router {
    health_routes(&state)
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// `/metrics` alone, for its own listen address (`HEARTH_METRICS_BIND`).
pub fn metrics_router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// The caller's address: the peer, or behind a trusted proxy the address it appended last.
fn client_ip(state: &HttpState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if state.app.settings.trust_forwarded_for {
        if let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
    }
    peer.ip()
}

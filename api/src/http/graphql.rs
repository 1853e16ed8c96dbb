//! GraphQL over HTTP, following the GraphQL-over-HTTP specification: media types, status codes,
//! GET for queries only, capped batches, and an `extensions.code` on every error.
use super::{cached_answers, client_ip, ws, HttpState};
use crate::auth::RequestMeta;
use crate::auth::{authenticate, bearer_token, Auth};
use crate::content_coding::Coding;
use crate::error::AppError;
use crate::graphql::context::answer_panics;
use crate::graphql::document_guard;
use crate::graphql::loaders::LazyLoaders;
use crate::page_cache::AnswerKey;
use crate::persisted::Refusal;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, Request, Response};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Instant;

/// Most operations one batched POST may carry.
pub const MAX_BATCH: usize = 10;
/// Largest answer to one operation; the query cost keeps answers well under it.
pub const MAX_RESPONSE: usize = 8 * 1024 * 1024;
const TOO_LARGE: &str = r#"{"data":null,"errors":[{"message":"the answer is larger than 8 MiB: select less or use smaller pages","extensions":{"code":"BAD_USER_INPUT"}}]}"#;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponse,
    Json,
}

impl MediaType {
    fn name(self) -> &'static str {
        match self {
            MediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(self.name())
    }
}

/// Picks the response media type from `Accept`; none acceptable means 406.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    if accept.trim().is_empty() {
        return Some(MediaType::Json);
    }
    for item in accept.split(',') {
        let media = item
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            GRAPHQL_RESPONSE => return Some(MediaType::GraphqlResponse),
            JSON | "application/*" | "*/*" => return Some(MediaType::Json),
            _ => {}
        }
    }
    None
}

/// An error about the request itself (not a field), as a GraphQL response body.
fn request_error(status: StatusCode, media: MediaType, message: &str) -> axum::response::Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]});
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response()
}

pub async fn post(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> axum::response::Response {
    let body = match body {
        Ok(body) => body,
        // Over the body limit (or a broken upload): a GraphQL error, not axum's plain text.
        Err(rejection) => {
            return request_error(
                rejection.status(),
                negotiate(&headers).unwrap_or(MediaType::Json),
                &format!(
                    "the body could not be read: at most {} KiB",
                    super::MAX_BODY / 1024
                ),
            );
        }
    };
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            MediaType::Json,
            "Accept must allow application/graphql-response+json or application/json",
        );
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some(JSON) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "Content-Type must be application/json",
        );
    }
    let auth = match authenticated(&state, &headers, media).await {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    let kept = cached_answers::key(&auth, body.clone(), media.name(), &headers);
    if let Some(response) = kept.as_ref().and_then(|key| served(&state, key, None)) {
        return response;
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "the body is not a GraphQL request in JSON",
            );
        }
    };
    let requests = match batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(requests) if requests.is_empty() || requests.len() > MAX_BATCH => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                &format!("a batch carries 1 to {MAX_BATCH} operations"),
            );
        }
        BatchRequest::Batch(requests) => requests,
    };
    let single = requests.len() == 1 && body.first() != Some(&b'[');
    let mut requests = requests;
    for request in &mut requests {
        if let Err(refusal) = state.persisted.resolve(request).await {
            return persisted_refusal(media, &refusal);
        }
    }
    let answer = Answer {
        media,
        auth,
        kept: kept.filter(|_| single),
        get: false,
    };
    execute(&state, peer, &headers, answer, requests, single).await
}

/// A query's answer kept whole (`cached_answers`), sent as it was kept (to a GET, whose headers
/// are `get`, tagged, or `304` when it names the tag).
fn served(
    state: &HttpState,
    key: &AnswerKey,
    get: Option<&HeaderMap>,
) -> Option<axum::response::Response> {
    let started = Instant::now();
    let answer = state.app.page_cache.answer(key)?;
    let metrics = &state.app.metrics;
    metrics.record_operation(answer.operation.as_deref(), true, started.elapsed());
    metrics.count_cached_answer_served();
    Some(cached_answers::respond(key.media, &answer, get))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

pub async fn get_or_upgrade(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (mut parts, _body) = request.into_parts();
    if parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
    {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => {
                let ip = client_ip(&state, peer, &parts.headers);
                ws::upgrade(state, upgrade, ip)
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    let headers = parts.headers;
    let params = match Query::<GetParams>::try_from_uri(&parts.uri) {
        Ok(Query(params)) => params,
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                MediaType::Json,
                "malformed query string",
            )
        }
    };
    let persisted = params
        .extensions
        .as_deref()
        .is_some_and(|e| e.contains("persistedQuery"));
    let Some(query) = params.query.or_else(|| persisted.then(String::new)) else {
        let wants_html = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if state.graphiql && wants_html {
            return super::graphiql::page();
        }
        return request_error(
            StatusCode::BAD_REQUEST,
            MediaType::Json,
            "missing `query` parameter",
        );
    };
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            MediaType::Json,
            "Accept must allow application/graphql-response+json or application/json",
        );
    };
    let auth = match authenticated(&state, &headers, media).await {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    // Marked as a GET's, so no POST body in the same bytes shares its key.
    let sent = Bytes::from(format!("GET ?{}", parts.uri.query().unwrap_or_default()));
    let kept = cached_answers::key(&auth, sent, media.name(), &headers);
    if let Some(response) = kept
        .as_ref()
        .and_then(|key| served(&state, key, Some(&headers)))
    {
        return response;
    }
    let mut request = Request::new(query);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    let extensions = match params
        .extensions
        .as_deref()
        .map(serde_json::from_str::<Value>)
    {
        None => None,
        Some(Ok(Value::Object(extensions))) => Some(extensions),
        Some(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "`variables` and `extensions` must be JSON objects",
            )
        }
    };
    for (name, value) in extensions.into_iter().flatten() {
        if let Ok(value) = async_graphql::Value::from_json(value) {
            request.extensions.insert(name, value);
        }
    }
    if let Err(refusal) = state.persisted.resolve(&mut request).await {
        return persisted_refusal(media, &refusal);
    }
    // Parsed once here; execution reuses the parsed document.
    if let Some(kind) = operation_kind(&mut request) {
        if kind != OperationType::Query {
            let mut response = request_error(
                StatusCode::METHOD_NOT_ALLOWED,
                media,
                "only queries may be sent with GET; use POST",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    if let Some(raw) = params.variables {
        let Ok(value) = serde_json::from_str::<Value>(&raw) else {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "`variables` and `extensions` must be JSON objects",
            );
        };
        request = request.variables(async_graphql::Variables::from_json(value));
    }
    let answer = Answer {
        media,
        auth,
        kept,
        get: true,
    };
    execute(&state, peer, &headers, answer, vec![request], true).await
}

/// A persisted query that cannot run: 200 with the error and its code, as Apollo's clients expect
/// (they send the document after `PERSISTED_QUERY_NOT_FOUND`).
fn persisted_refusal(media: MediaType, refusal: &Refusal) -> axum::response::Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, media.content_type())],
        refusal.answer(),
    )
        .into_response()
}

/// The type of the operation a request would run, when its document parses.
fn operation_kind(request: &mut Request) -> Option<OperationType> {
    document_guard::check_tokens(&request.query).ok()?;
    cached_answers::chosen_operation(request).map(|operation| operation.ty)
}

/// How one HTTP request is to be answered: its media type, its caller, and where its answer
/// would be kept whole (a single request of a signed-in caller).
struct Answer {
    media: MediaType,
    auth: Auth,
    kept: Option<AnswerKey>,
    /// Sent with GET: its answer carries an entity tag, and `If-None-Match` is honoured.
    get: bool,
}

/// The caller, as the request's `Authorization` says; an answer of its own when that cannot be
/// checked now (the database is away).
async fn authenticated(
    state: &HttpState,
    headers: &HeaderMap,
    media: MediaType,
) -> Result<Auth, axum::response::Response> {
    let auth = match headers.get(header::AUTHORIZATION) {
        None => Ok(Auth::Anonymous),
        Some(value) => match value.to_str().ok().and_then(bearer_token) {
            None => Ok(Auth::Rejected),
            Some(token) => {
                authenticate(
                    &state.app.keys,
                    &state.app.sessions,
                    &state.app.db,
                    Some(token),
                )
                .await
            }
        },
    };
    auth.map_err(|err| {
        let status = match err {
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let error = async_graphql::Error::from(err).into_server_error(Default::default());
        let (body, _) = response_body(Response::from_errors(vec![error]));
        (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
    })
}

async fn execute(
    state: &HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
    answer: Answer,
    requests: Vec<Request>,
    single: bool,
) -> axum::response::Response {
    let Answer {
        media,
        auth,
        mut kept,
        get,
    } = answer;
    let meta = RequestMeta {
        client_ip: client_ip(state, peer, headers),
    };

    let mut bodies = Vec::with_capacity(requests.len());
    let mut status = StatusCode::OK;
    for mut request in requests {
        let started = Instant::now();
        let mut deps = None;
        // A document too long to parse cheaply is refused before the parse for metrics.
        let (operation, response) = match document_guard::check_tokens(&request.query) {
            Err(refused) => (None, Response::from_errors(vec![refused])),
            Ok(()) => {
                let operation = operation_name(&mut request);
                if let Some(key) = &kept {
                    let memo = &state.app.page_cache;
                    deps = cached_answers::begin(memo, &mut request, &key.viewer).await;
                }
                if let Some(deps) = &deps {
                    request = request.data(deps.clone());
                }
                let execution = state.schema.execute(
                    request
                        .data(auth.clone())
                        .data(meta.clone())
                        .data(LazyLoaders::default()),
                );
                let response = answer_panics(&state.app.metrics, execution)
                    .await
                    .unwrap_or_else(|internal| internal);
                (operation, response)
            }
        };
        state.app.metrics.record_operation(
            operation.as_deref(),
            response.errors.is_empty(),
            started.elapsed(),
        );
        let answered = response.errors.is_empty();
        let (body, request_failed) = response_body(response);
        if let (true, Some(deps), Some(key)) = (answered, deps, kept.take()) {
            let made = cached_answers::Made {
                deps,
                began: started,
                body,
                operation,
            };
            let get = get.then_some(headers);
            return cached_answers::keep(&state.app.page_cache, key, made, get);
        }
        if single && request_failed && media == MediaType::GraphqlResponse {
            status = StatusCode::BAD_REQUEST;
        }
        bodies.push(body);
    }
    let body = if single {
        bodies.pop().unwrap_or_default()
    } else {
        format!("[{}]", bodies.join(","))
    };
    // Tagged when sent with GET, so that a phone asking again with the tag gets a 304.
    let etag = (get && status == StatusCode::OK).then(|| cached_answers::etag(body.as_bytes()));
    if let Some(not_modified) = etag
        .as_deref()
        .and_then(|etag| cached_answers::not_modified(etag, headers))
    {
        return not_modified;
    }
    // Compressed here in one pass (`content_coding`), not by the HTTP layer's streaming encoder.
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let (body, coding) = Coding::preferred(accepted).encode(body.into_bytes());
    let mut response =
        (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(coding) = coding.header() {
        response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    if let Some(etag) = &etag {
        cached_answers::tag(response_headers, etag);
    }
    response
}

/// The operation's name for metrics: the request's, or the one the document gives. Timing is
/// taken here rather than in a schema extension, which would wrap every field's resolution. The
/// document parsed here is the one execution uses.
fn operation_name(request: &mut Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    match &request.parsed_query().ok()?.operations {
        DocumentOperations::Single(_) => None,
        DocumentOperations::Multiple(ops) => ops.keys().next().map(|name| name.to_string()),
    }
}

/// The JSON of one response, and whether the request failed before execution (parse, validation,
/// limits): such a response has no `data`. Every error gets an `extensions.code`.
fn response_body(response: Response) -> (String, bool) {
    if response.errors.is_empty() {
        // The common case goes straight to text, without an intermediate JSON tree.
        let body = serde_json::to_string(&response).unwrap_or_else(|_| "{\"data\":null}".into());
        if body.len() > MAX_RESPONSE {
            return (TOO_LARGE.to_owned(), false);
        }
        return (body, false);
    }
    let request_failed = response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut body = serde_json::to_value(&response).unwrap_or_else(|_| json!({"data": null}));
    if let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors {
            let Some(error) = error.as_object_mut() else {
                continue;
            };
            let extensions = error.entry("extensions").or_insert_with(|| json!({}));
            if let Some(extensions) = extensions.as_object_mut() {
                extensions
                    .entry("code")
                    .or_insert_with(|| json!("BAD_USER_INPUT"));
            }
        }
    }
    if request_failed {
        if let Some(object) = body.as_object_mut() {
            object.remove("data");
        }
    }
    let body = body.to_string();
    if body.len() > MAX_RESPONSE {
        return (TOO_LARGE.to_owned(), false);
    }
    (body, request_failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_over_the_cap_becomes_an_error() {
        let big = async_graphql::Value::String("x".repeat(MAX_RESPONSE));
        let (body, failed) = response_body(Response::new(big));
        assert_eq!(body, TOO_LARGE);
        assert!(!failed);
        let small = async_graphql::Value::String("x".repeat(1_000));
        let (body, _) = response_body(Response::new(small));
        assert!(body.len() > 1_000 && body.len() < 1_100);
    }
}

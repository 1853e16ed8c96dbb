//! Whole answers to the group page and the feed, kept per instance (`page_cache`). The same person
//! sending the same query again, in the same bytes and asking for the same form, gets the bytes
//! sent before, while nothing it shows was written since (the versions its fields read under
//! hold): the query is not parsed, resolved, serialised nor compressed again. Only an answer
//! without errors, to a query that asks for nothing but `feed` and `group`, is kept.
//!
//! Every answer to a GET carries an entity tag; a GET sent with `If-None-Match` naming the tag of
//! what it would be answered is answered `304 Not Modified`, with no body (and, while the answer
//! is kept, without reading anything).
use crate::auth::Auth;
use crate::content_coding::Coding;
use crate::ids::UserId;
use crate::page_cache::{AnswerDeps, AnswerKey, CachedAnswer, PageCache};
use async_graphql::parser::types::{
    DocumentOperations, OperationDefinition, OperationType, Selection,
};
use async_graphql::Request;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// The root fields of a query whose answer may be kept whole.
const CACHED_ROOTS: [&str; 2] = ["feed", "group"];

/// The key of a signed-in caller's request (`request`: its bytes as sent); none for anyone else.
pub fn key(
    auth: &Auth,
    request: Bytes,
    media: &'static str,
    headers: &HeaderMap,
) -> Option<AnswerKey> {
    let Auth::Signed(viewer) = auth else {
        return None;
    };
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    Some(AnswerKey {
        viewer: viewer.user_id.clone(),
        request,
        media,
        coding: Coding::preferred(accepted),
    })
}

/// Begun before `request` runs when its answer may be kept: one query asking only for
/// [`CACHED_ROOTS`], and a memo that keeps answers.
pub async fn begin(memo: &PageCache, request: &mut Request, viewer: &UserId) -> Option<AnswerDeps> {
    if !keepable(request) {
        return None;
    }
    memo.answer_deps(viewer).await
}

fn keepable(request: &mut Request) -> bool {
    let Some(operation) = chosen_operation(request) else {
        return false;
    };
    operation.ty == OperationType::Query
        && operation.selection_set.node.items.iter().all(|item| {
            matches!(&item.node, Selection::Field(field)
                if CACHED_ROOTS.contains(&field.node.name.node.as_str()))
        })
}

/// The operation a request would run, when its document parses (parsed once: execution reuses
/// it).
pub fn chosen_operation(request: &mut Request) -> Option<&OperationDefinition> {
    let name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, operation)| operation)?,
        // One named operation and no operationName: that operation runs.
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.iter().next().map(|(_, operation)| operation)?
        }
        (DocumentOperations::Multiple(_), None) => return None,
    };
    Some(&operation.node)
}

/// An answer made now, read under `deps` from `began` on: encoded as the client asked, kept,
/// and answered with.
pub struct Made {
    pub deps: AnswerDeps,
    pub began: std::time::Instant,
    pub body: String,
    pub operation: Option<String>,
}

/// Encodes an answer made now as the client asked, keeps it, and answers with it (to a GET,
/// whose headers are `get`, tagged, or `304` when the client already holds it).
pub fn keep(memo: &PageCache, key: AnswerKey, made: Made, get: Option<&HeaderMap>) -> Response {
    let etag = etag(made.body.as_bytes());
    let (body, coding) = key.coding.encode(made.body.into_bytes());
    let answer = CachedAnswer {
        body: Bytes::from(body),
        coding,
        etag,
        operation: made.operation,
    };
    let response = respond(key.media, &answer, get);
    memo.keep_answer(key, answer, made.deps, made.began);
    response
}

/// An answer as it was kept. To a GET (`get`: its headers), tagged, or `304` when it names the
/// tag; a POST's answer is not tagged and keeps `no-store`.
pub fn respond(media: &'static str, answer: &CachedAnswer, get: Option<&HeaderMap>) -> Response {
    if let Some(response) = get.and_then(|request| not_modified(&answer.etag, request)) {
        return response;
    }
    let mut response = (StatusCode::OK, Body::from(answer.body.clone())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(coding) = answer.coding.header() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    if get.is_some() {
        tag(headers, &answer.etag);
    }
    response
}

/// The entity tag of an answer's text: weak, since the same text may be sent compressed or not.
pub fn etag(text: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text);
    format!("W/\"{}\"", hex::encode(&digest[..16]))
}

/// `304 Not Modified` when `request` is a conditional GET naming `etag` (or `*`).
pub fn not_modified(etag: &str, request: &HeaderMap) -> Option<Response> {
    let named = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())?;
    // Compared weakly (RFC 9110, 13.1.2): the tags' opaque parts.
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let matches = named
        .split(',')
        .any(|tag| tag.trim() == "*" || opaque(tag) == opaque(etag));
    if !matches {
        return None;
    }
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    tag(response.headers_mut(), etag);
    Some(response)
}

/// Marks an answer with its tag, and as the caller's own: revalidated before any reuse.
pub fn tag(headers: &mut HeaderMap, etag: &str) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
}

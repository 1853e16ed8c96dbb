//! Whole answers to the group page and the feed, kept per instance (`page_memo`). The same person
//! sending the same query again, in the same bytes and asking for the same form, gets the bytes
//! sent before, unless anything was written since: the query is not parsed, resolved, serialised
//! nor compressed again. Only an answer without errors, to a query that asks for nothing but
//! `feed` and `group`, is kept; everything under them changes only by a mutation (which forgets
//! every kept answer on every instance) or with the clock (within the memo's few seconds).
use crate::auth::Auth;
use crate::content_coding::Coding;
use crate::memo::Ticket;
use crate::page_memo::{AnswerKey, KeptAnswer, PageMemo};
use async_graphql::parser::types::{
    DocumentOperations, OperationDefinition, OperationType, Selection,
};
use async_graphql::Request;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// The root fields of a query whose answer may be kept whole.
const KEPT_ROOTS: [&str; 2] = ["feed", "group"];

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

/// Taken before `request` runs when its answer may be kept: one query asking only for
/// [`KEPT_ROOTS`], and a memo that may keep it now.
pub fn ticket(memo: &PageMemo, request: &mut Request) -> Option<Ticket> {
    keepable(request).then(|| memo.answer_ticket()).flatten()
}

fn keepable(request: &mut Request) -> bool {
    let Some(operation) = chosen_operation(request) else {
        return false;
    };
    operation.ty == OperationType::Query
        && operation.selection_set.node.items.iter().all(|item| {
            matches!(&item.node, Selection::Field(field)
                if KEPT_ROOTS.contains(&field.node.name.node.as_str()))
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

/// Encodes an answer made now as the client asked, keeps it under `ticket`, and answers with it.
pub fn keep(
    memo: &PageMemo,
    ticket: Ticket,
    key: AnswerKey,
    body: String,
    operation: Option<String>,
) -> Response {
    let (body, coding) = key.coding.encode(body.into_bytes());
    let answer = KeptAnswer {
        body: Bytes::from(body),
        coding,
        operation,
    };
    let response = respond(key.media, &answer);
    memo.keep_answer(ticket, key, answer);
    response
}

/// An answer as it was kept.
pub fn respond(media: &'static str, answer: &KeptAnswer) -> Response {
    let mut response = (StatusCode::OK, Body::from(answer.body.clone())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(coding) = answer.coding.header() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}

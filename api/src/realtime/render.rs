//! Rendering a delivered item through a subscription's selection. Per event, a selection is
//! rendered once for everybody on this instance, unless that rendering read who was asking (my
//! reactions, say) or failed: then each viewer's socket renders its own.
use crate::community::audience::Rendered;
use crate::error::AppError;
use crate::graphql::context::{answer_panics, ViewerRead};
use crate::graphql::delivery::{Caller, Delivery};
use crate::graphql::schema::HearthSchema;
use async_graphql::{Request, Response, Variables};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What a subscription asked for, kept to render each delivery.
pub struct Selection {
    query: String,
    operation_name: Option<String>,
    variables: Variables,
    /// Equal for equal selections; `None` if it could not be worked out (never shared then).
    key: Option<[u8; 32]>,
}

impl Selection {
    pub fn of(request: &Request) -> Self {
        let key = serde_json::to_string(&request.variables)
            .ok()
            .map(|variables| {
                let mut hash = Sha256::new();
                let operation = request.operation_name.as_deref().unwrap_or_default();
                for part in [request.query.as_str(), operation, variables.as_str()] {
                    hash.update(part.len().to_le_bytes());
                    hash.update(part);
                }
                hash.finalize().into()
            });
        Selection {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: request.variables.clone(),
            key,
        }
    }

    fn request(&self) -> Request {
        let request = Request::new(self.query.clone()).variables(self.variables.clone());
        match &self.operation_name {
            Some(name) => request.operation_name(name.clone()),
            None => request,
        }
    }
}

/// The payload of one delivery for one subscription, rendered or taken from another socket's
/// rendering of the same event and selection.
pub async fn payload(
    schema: HearthSchema,
    selection: Arc<Selection>,
    caller: Arc<Caller>,
    delivery: Delivery,
) -> Option<Arc<str>> {
    let shared = match (delivery.renders(), selection.key) {
        (Some(renders), Some(key)) => renders.start(key, || {
            render(
                schema.clone(),
                selection.clone(),
                caller.clone(),
                delivery.clone(),
            )
        }),
        _ => None,
    };
    if let Some(shared) = shared {
        let rendered = shared.await;
        match &rendered.personal_to {
            Some(viewer) if *viewer != caller.viewer.user_id => {}
            _ => return rendered.payload.clone(),
        }
    }
    render(schema, selection, caller, delivery)
        .await
        .payload
        .clone()
}

async fn render(
    schema: HearthSchema,
    selection: Arc<Selection>,
    caller: Arc<Caller>,
    delivery: Delivery,
) -> Arc<Rendered> {
    let read = ViewerRead::default();
    let request = caller
        .prepare(selection.request())
        .data(delivery)
        .data(read.clone());
    let response = answer_panics(&caller.metrics, schema.execute_stream(request).next())
        .await
        .unwrap_or_else(Some);
    // A rendering with errors may be one socket's bad luck (a dropped connection): not shared.
    let personal = read.happened() || response.as_ref().is_some_and(|r| !r.errors.is_empty());
    Arc::new(Rendered {
        payload: response.as_ref().map(json),
        personal_to: personal.then(|| caller.viewer.user_id.clone()),
    })
}

/// The largest payload a socket sends; a larger result is answered with an error instead.
pub const MAX_PAYLOAD: usize = 60 * 1024;

/// A response as the JSON text a socket sends.
pub fn json(response: &Response) -> Arc<str> {
    match serde_json::to_string(response) {
        Ok(text) if text.len() <= MAX_PAYLOAD => Arc::from(text),
        Ok(_) => Arc::from(TOO_LARGE),
        Err(err) => {
            AppError::internal(err).log_internal();
            Arc::from(INTERNAL)
        }
    }
}

const TOO_LARGE: &str = r#"{"data":null,"errors":[{"message":"the result is larger than a socket message may be (60 KiB): select less, or ask over HTTP","extensions":{"code":"BAD_USER_INPUT"}}]}"#;
const INTERNAL: &str =
    r#"{"data":null,"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#;

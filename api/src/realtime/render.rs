//! Rendering a delivered item through a subscription's selection. Per event, a selection is
//! rendered once for everybody on this instance, unless that rendering read who was asking (my
//! reactions, say): then each viewer's socket renders its own.
use super::live::{Caller, Delivery};
use crate::error::AppError;
use crate::gql::ViewerRead;
use crate::schema::HearthSchema;
use async_graphql::{Request, Response, Variables};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OnceCell;

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

/// The renderings of one event, by selection. A rendering that read who was asking is kept only
/// for that viewer; everyone else renders their own, which is not kept (an event stays in its
/// channel's buffer for a while, and one rendering per viewer would stay with it).
#[derive(Default)]
pub struct Renders(Mutex<HashMap<[u8; 32], Arc<OnceCell<Rendered>>>>);

impl Renders {
    fn cell(&self, key: [u8; 32]) -> Arc<OnceCell<Rendered>> {
        let mut cells = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        cells.entry(key).or_default().clone()
    }
}

struct Rendered {
    /// `None` when the resolver had nothing to hand out.
    payload: Option<Arc<str>>,
    /// Rendered for this viewer, who was read: not for anyone else.
    personal_to: Option<String>,
}

/// The payload of one delivery for one subscription, rendered or taken from another socket's
/// rendering of the same event and selection.
pub async fn payload(
    schema: HearthSchema,
    selection: Arc<Selection>,
    caller: Arc<Caller>,
    delivery: Delivery,
) -> Option<Arc<str>> {
    let (Some(renders), Some(key)) = (delivery.renders(), selection.key) else {
        return render(&schema, &selection, &caller, delivery.clone())
            .await
            .payload;
    };
    let cell = renders.cell(key);
    let first = cell
        .get_or_init(|| Box::pin(render(&schema, &selection, &caller, delivery.clone())))
        .await;
    match &first.personal_to {
        Some(viewer) if *viewer != caller.viewer.user_id => {
            Box::pin(render(&schema, &selection, &caller, delivery.clone()))
                .await
                .payload
        }
        _ => first.payload.clone(),
    }
}

async fn render(
    schema: &HearthSchema,
    selection: &Selection,
    caller: &Caller,
    delivery: Delivery,
) -> Rendered {
    let read = ViewerRead::default();
    let request = caller
        .prepare(selection.request())
        .data(delivery)
        .data(read.clone());
    let response = schema.execute_stream(request).next().await;
    Rendered {
        payload: response.as_ref().map(json),
        personal_to: read.happened().then(|| caller.viewer.user_id.clone()),
    }
}

/// A response as the JSON text a socket sends.
pub fn json(response: &Response) -> Arc<str> {
    serde_json::to_string(response)
        .map(Arc::from)
        .unwrap_or_else(|err| {
            AppError::internal(err).log_internal();
            Arc::from(
                r#"{"data":null,"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#,
            )
        })
}

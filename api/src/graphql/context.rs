//! Reading what a resolver needs out of the GraphQL context.
use crate::auth::Auth;
use crate::auth::RequestMeta;
use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::graphql::loaders::{LazyLoaders, Loaders, ReactionLoader};
use crate::page_cache::CachedReads;
use crate::state::AppContext;
use crate::telemetry::Metrics;
use async_graphql::dataloader::DataLoader;
use async_graphql::parser::types::OperationType;
use async_graphql::{Context, ErrorExtensionValues, Response, ServerError};
use futures::FutureExt as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Present while a live event is rendered: set when a resolver reads who is asking. A result
/// rendered without reading it is the same for everyone, so their sockets share it. Every
/// resolver reads the caller through [`ContextExt::auth`], which is what makes this sound.
#[derive(Clone, Default)]
pub struct ViewerRead(Arc<AtomicBool>);

impl ViewerRead {
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

pub trait ContextExt {
    fn app(&self) -> AppResult<&AppContext>;
    fn auth(&self) -> AppResult<&Auth>;
    fn meta(&self) -> AppResult<&RequestMeta>;
    /// The loaders that read the same whoever asks.
    fn loaders(&self) -> AppResult<&Loaders>;
    /// The loader of reactions as the caller sees them (which are theirs).
    fn reactions(&self) -> AppResult<&DataLoader<ReactionLoader>>;
    /// This request's loaders and what it has checked for the caller.
    fn lazy_loaders(&self) -> AppResult<&LazyLoaders>;
    /// The reads kept per instance, served to queries only (`page_cache`).
    fn cached(&self) -> AppResult<CachedReads<'_>>;
    /// The signed-in caller, or `UNAUTHENTICATED`.
    fn viewer(&self) -> AppResult<&Viewer> {
        self.auth()?.viewer()
    }
}

impl ContextExt for Context<'_> {
    fn app(&self) -> AppResult<&AppContext> {
        self.data::<AppContext>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("context: {}", e.message)))
    }
    fn auth(&self) -> AppResult<&Auth> {
        if let Some(read) = self.data_opt::<ViewerRead>() {
            read.0.store(true, Ordering::Relaxed);
        }
        self.data::<Auth>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("context: {}", e.message)))
    }
    fn meta(&self) -> AppResult<&RequestMeta> {
        self.data::<RequestMeta>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("context: {}", e.message)))
    }
    fn loaders(&self) -> AppResult<&Loaders> {
        Ok(lazy_loaders(self)?.get(&self.app()?.db))
    }
    fn reactions(&self) -> AppResult<&DataLoader<ReactionLoader>> {
        let viewer = self.auth()?.viewer().ok().map(|v| &v.user_id);
        Ok(lazy_loaders(self)?.reactions(&self.app()?.db, viewer))
    }
    fn lazy_loaders(&self) -> AppResult<&LazyLoaders> {
        lazy_loaders(self)
    }
    fn cached(&self) -> AppResult<CachedReads<'_>> {
        let query = self.query_env.operation.node.ty == OperationType::Query;
        let answer = self.data_opt::<crate::page_cache::AnswerDeps>();
        Ok(self.app()?.page_cache.serving(query, answer))
    }
}

fn lazy_loaders<'a>(ctx: &'a Context<'_>) -> AppResult<&'a LazyLoaders> {
    ctx.data::<LazyLoaders>()
        .map_err(|e| AppError::internal(anyhow::anyhow!("context: {}", e.message)))
}

/// Runs one GraphQL execution; a panic inside it is answered as an `INTERNAL` response carrying
/// a request id, which the log line and the `hearth_panics_total` metric share.
pub async fn answer_panics<T>(
    metrics: &Metrics,
    execution: impl Future<Output = T>,
) -> Result<T, Response> {
    let panic = match AssertUnwindSafe(execution).catch_unwind().await {
        Ok(done) => return Ok(done),
        Err(panic) => panic,
    };
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    let request_id = uuid::Uuid::new_v4().to_string();
    let what: String = what.chars().take(200).collect();
    tracing::error!(request_id = %request_id, panic = %what, "a request panicked; answered INTERNAL");
    metrics.count_panic();
    let mut error = ServerError::new("internal error", None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "INTERNAL");
    extensions.set("requestId", request_id);
    error.extensions = Some(extensions);
    Err(Response::from_errors(vec![error]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_execution_is_answered_and_counted() {
        let metrics = Metrics::new();
        let answered = answer_panics(&metrics, async {
            if metrics.db_query_count() == 0 {
                panic!("NaiveDate + Days out of range");
            }
            Response::new(async_graphql::Value::Null)
        })
        .await;
        let Err(response) = answered else {
            panic!("the panic was not caught");
        };
        let error = &response.errors[0];
        assert_eq!(error.message, "internal error");
        let extensions = error.extensions.as_ref().expect("extensions");
        assert_eq!(
            extensions.get("code"),
            Some(&async_graphql::Value::from("INTERNAL"))
        );
        assert!(extensions.get("requestId").is_some());
        assert!(metrics.render(0, 0).contains("hearth_panics_total 1"));
        // A calm execution passes through.
        let calm = answer_panics(&metrics, async { 7 }).await;
        assert!(matches!(calm, Ok(7)));
    }
}

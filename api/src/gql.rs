//! Reading what a resolver needs out of the GraphQL context.
use crate::auth::Auth;
use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::posts::loaders::{LazyLoaders, Loaders};
use crate::state::{AppContext, RequestMeta};
use async_graphql::Context;

pub trait ContextExt {
    fn app(&self) -> AppResult<&AppContext>;
    fn auth(&self) -> AppResult<&Auth>;
    fn meta(&self) -> AppResult<&RequestMeta>;
    fn loaders(&self) -> AppResult<&Loaders>;
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
        self.data::<Auth>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("context: {}", e.message)))
    }
    fn meta(&self) -> AppResult<&RequestMeta> {
        self.data::<RequestMeta>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("context: {}", e.message)))
    }
    fn loaders(&self) -> AppResult<&Loaders> {
        let lazy = self
            .data::<LazyLoaders>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("context: {}", e.message)))?;
        let viewer = self.auth()?.viewer().ok().map(|v| v.user_id.as_str());
        Ok(lazy.get(&self.app()?.db, viewer))
    }
}

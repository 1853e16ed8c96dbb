//! Reading what a resolver needs out of the GraphQL context.
use crate::auth::Auth;
use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::posts::loaders::{LazyLoaders, Loaders, MyReactionLoader};
use crate::state::{AppContext, RequestMeta};
use async_graphql::dataloader::DataLoader;
use async_graphql::Context;
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
    /// The loader of the caller's own reactions.
    fn my_reactions(&self) -> AppResult<&DataLoader<MyReactionLoader>>;
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
    fn my_reactions(&self) -> AppResult<&DataLoader<MyReactionLoader>> {
        let viewer = self.auth()?.viewer().ok().map(|v| v.user_id.as_str());
        Ok(lazy_loaders(self)?.my_reactions(&self.app()?.db, viewer))
    }
}

fn lazy_loaders<'a>(ctx: &'a Context<'_>) -> AppResult<&'a LazyLoaders> {
    ctx.data::<LazyLoaders>()
        .map_err(|e| AppError::internal(anyhow::anyhow!("context: {}", e.message)))
}

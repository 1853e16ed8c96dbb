//! What every request and worker shares: the database, settings, credentials plumbing and limits.
use crate::accounts::Credentials;
use crate::auth::passwords::PasswordHasher;
use crate::auth::tokens::TokenKeys;
use crate::auth::SessionCache;
use crate::broker::Broker;
use crate::config::Settings;
use crate::rate_limit::RateLimiter;
use crate::redis_conn::RedisLink;
use crate::telemetry::Metrics;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What every request, socket and worker shares. Cloning it is one reference count: a socket
/// holds it for as long as it is open.
#[derive(Clone)]
pub struct AppContext(Arc<AppParts>);

impl AppContext {
    pub fn new(parts: AppParts) -> Self {
        AppContext(Arc::new(parts))
    }
}

impl AppContext {
    /// The narrow handle the background workers take.
    pub fn workers(&self) -> crate::broker::WorkerHandles {
        crate::broker::WorkerHandles {
            db: self.db.clone(),
            broker: self.broker.clone(),
            vault: self.vault.clone(),
        }
    }

    /// The narrow handle the account services take.
    pub fn credentials(&self) -> Credentials<'_> {
        Credentials {
            db: &self.db,
            settings: &self.settings,
            keys: &self.keys,
            vault: &self.vault,
            passwords: &self.passwords,
            limiter: &self.limiter,
            sessions: &self.sessions,
            broker: &self.broker,
        }
    }
}

impl std::ops::Deref for AppContext {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub struct AppParts {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub keys: TokenKeys,
    /// The key ring: what people write about themselves is sealed under their own keys.
    pub vault: crate::keys::Vault,
    pub sessions: SessionCache,
    pub passwords: PasswordHasher,
    pub limiter: RateLimiter,
    pub redis: Option<RedisLink>,
    pub metrics: Metrics,
    pub broker: Broker,
    pub push: crate::push::fcm::Sender,
    pub crisis: Arc<crate::safety::CrisisDirectory>,
    pub reply_counts: Arc<crate::posts::reply_counts::ReplyCounts>,
    /// What group pages read, kept while the versions of what they show hold.
    pub page_cache: Arc<crate::page_cache::PageCache>,
    /// Checks those versions after each write, here and on every instance.
    pub after_writes: crate::read_versions::AfterWrites,
}

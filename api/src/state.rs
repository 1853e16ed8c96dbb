//! What every request and worker shares: the database, settings, credentials plumbing and limits.
use crate::auth::passwords::PasswordHasher;
use crate::auth::tokens::TokenKeys;
use crate::auth::SessionCache;
use crate::broker::Broker;
use crate::config::Settings;
use crate::rate_limit::RateLimiter;
use crate::telemetry::Metrics;
use redis::aio::ConnectionManager;
use sea_orm::DatabaseConnection;
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppContext {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub keys: TokenKeys,
    pub sessions: SessionCache,
    pub passwords: PasswordHasher,
    pub limiter: RateLimiter,
    pub redis: Option<ConnectionManager>,
    pub metrics: Metrics,
    pub broker: Broker,
    pub push: crate::push::fcm::Sender,
    pub crisis: Arc<crate::safety::CrisisDirectory>,
}

/// Facts about one request that services may need (never logged).
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub client_ip: IpAddr,
}

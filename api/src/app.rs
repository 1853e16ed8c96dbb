//! Building and running the server: `App::build(settings)` binds (port 0 in tests), connects,
//! migrates, and `run_until_stopped` serves until shutdown.
use crate::auth::passwords::PasswordHasher;
use crate::auth::tokens::TokenKeys;
use crate::auth::SessionCache;
use crate::broker::Broker;
use crate::config::Settings;
use crate::graphql::schema;
use crate::http::{metrics_router, router, worker_router, HttpState};
use crate::persisted::PersistedQueries;
use crate::rate_limit::RateLimiter;
use crate::redis_conn::RedisLink;
use crate::state::{AppContext, AppParts};
use crate::telemetry::Metrics;
use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long shutdown waits for open sockets to say goodbye.
const SOCKET_DRAIN: Duration = Duration::from_secs(5);

pub struct App {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    state: HttpState,
}

impl App {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let secret = settings
            .jwt_secret
            .clone()
            .context("HEARTH_JWT_SECRET: no secret configured")?;
        let vault =
            crate::keys::Vault::from_settings(&settings).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut db = crate::db::connect_pooled(&settings.database_url, settings.database_pool)
            .await
            .context("HEARTH_DATABASE_URL: cannot connect to the database")?;
        let metrics = Metrics::new();
        let counted = metrics.clone();
        db.set_metric_callback(move |_| counted.count_db_query());
        crate::db::migrate(&db)
            .await
            .context("running migrations")?;
        let kek_variable = crate::keys::KeyRing::variable(&settings);
        crate::keys::rotation::check_at_start(&db, &vault, kek_variable).await?;
        let shutdown = CancellationToken::new();
        let (redis, broker) = match &settings.redis_url {
            None => (None, Broker::in_process()),
            Some(url) => {
                let client =
                    redis::Client::open(url.as_str()).context("HEARTH_REDIS_URL: invalid")?;
                let conn =
                    tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager())
                        .await
                        .context("HEARTH_REDIS_URL: Redis did not answer")?
                        .context("HEARTH_REDIS_URL: cannot connect to Redis")?;
                let link = RedisLink::new(conn);
                let broker = Broker::redis(
                    client,
                    link.clone(),
                    &settings.redis_prefix,
                    shutdown.clone(),
                    metrics.clone(),
                );
                (Some(link), broker)
            }
        };
        let limiter = match &redis {
            Some(link) => RateLimiter::redis(link.clone(), &settings.redis_prefix, metrics.clone()),
            None => RateLimiter::in_memory(),
        };
        let trusted = match &settings.trusted_documents {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .context("HEARTH_TRUSTED_DOCUMENTS: cannot read the manifest")?;
                Some(
                    PersistedQueries::read_manifest(&text)
                        .map_err(|why| anyhow::anyhow!("HEARTH_TRUSTED_DOCUMENTS: {why}"))?,
                )
            }
        };
        let persisted = PersistedQueries::new(
            trusted,
            redis
                .clone()
                .map(|link| (link, settings.redis_prefix.as_str())),
        );
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("HEARTH_BIND: cannot listen on {}", settings.bind))?;
        let metrics_listener = match settings.metrics_bind {
            None => None,
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("HEARTH_METRICS_BIND: cannot listen on {addr}"))?,
            ),
        };
        let graphiql = !settings.is_production();
        let push = match &settings.fcm_credentials {
            None => crate::push::fcm::Sender::Log,
            Some(path) => crate::push::fcm::Sender::Fcm(std::sync::Arc::new(
                crate::push::fcm::FcmClient::from_file(path, &settings.fcm_endpoint)
                    .context("HEARTH_FCM_CREDENTIALS: not a usable service-account JSON")?,
            )),
        };
        let mailer = crate::mail::Mailer::from_settings(&settings.mail)?;
        let crisis = crate::safety::CrisisDirectory::load(settings.crisis_resources.as_deref())
            .context("HEARTH_CRISIS_RESOURCES: not a usable crisis resources file")?;
        let versions = Arc::new(crate::read_versions::ReadVersions::new(
            db.clone(),
            settings.page_cache_keep,
        ));
        let page_cache =
            crate::page_cache::PageCache::new(settings.page_cache_keep, versions.clone());
        let after_writes = crate::read_versions::AfterWrites::new(versions, broker.clone());
        let app = AppContext::new(AppParts {
            db,
            crisis: Arc::new(crisis),
            reply_counts: Default::default(),
            page_cache: Arc::new(page_cache),
            after_writes,
            keys: TokenKeys::new(&secret, settings.access_token_ttl),
            vault,
            sessions: SessionCache::new(settings.session_check_interval),
            passwords: PasswordHasher::new()
                .map_err(|e| anyhow::anyhow!("password hasher: {}", e.message()))?,
            limiter,
            redis,
            metrics,
            broker,
            push,
            settings: Arc::new(settings),
        });
        let schema = schema::build(app.clone(), app.settings.is_production())?;
        crate::auth::revocation::follow(app.sessions.clone(), &app.broker, shutdown.clone());
        // Followed with the memo off too: the versions table is folded from there.
        app.after_writes
            .follow(app.settings.read_check_every, shutdown.clone());
        if app.settings.run_workers {
            let (workers, settings) = (app.workers(), &app.settings);
            crate::push::worker::spawn(
                workers.clone(),
                app.push.clone(),
                settings.push_worker.clone(),
                shutdown.clone(),
            );
            let mail = settings.mail.clone();
            crate::mail::worker::spawn(workers.clone(), mailer, mail, shutdown.clone());
            crate::accounts::export_worker::spawn(workers.clone(), shutdown.clone());
            crate::moods::reminders::spawn(workers.clone(), shutdown.clone());
            crate::meetings::reminders::spawn(workers.clone(), shutdown.clone());
            crate::keys::backfill::spawn(
                workers.db.clone(),
                workers.vault.clone(),
                shutdown.clone(),
            );
            crate::questions::reminders::spawn(workers, shutdown.clone());
            crate::posts::reply_counts::spawn_sweeper(
                app.db.clone(),
                app.reply_counts.clone(),
                shutdown.clone(),
            );
        }
        Ok(Self {
            listener,
            metrics_listener,
            state: HttpState {
                app,
                schema,
                graphiql,
                shutdown,
                sockets: TaskTracker::new(),
                persisted: Arc::new(persisted),
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Where `/metrics` is served on its own, when `HEARTH_METRICS_BIND` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn context(&self) -> &AppContext {
        &self.state.app
    }

    /// Cancelling this token stops the server gracefully (what SIGTERM does).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled: stops accepting, lets in-flight requests
    /// finish, and closes sockets with 1001.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let shutdown = self.state.shutdown.clone();
        let sockets = self.state.sockets.clone();
        if let Some(listener) = self.metrics_listener {
            let metrics = metrics_router(self.state.clone());
            let stopping = shutdown.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, metrics)
                    .with_graceful_shutdown(async move { stopping.cancelled().await })
                    .await;
                if let Err(err) = served {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            });
        }
        let routes = if self.state.app.settings.serve_api {
            router(self.state)
        } else {
            worker_router(self.state)
        }
        .into_make_service_with_connect_info::<SocketAddr>();
        let stopping = shutdown.clone();
        axum::serve(self.listener, routes)
            .with_graceful_shutdown(async move { stopping.cancelled().await })
            .await?;
        sockets.close();
        let _ = tokio::time::timeout(SOCKET_DRAIN, sockets.wait()).await;
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn termination_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

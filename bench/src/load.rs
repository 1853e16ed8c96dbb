//! A closed-loop load generator: C clients, each sending its next request when the last returns.
use anyhow::Context as _;
use api::{App, Settings};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Server {
    pub url: String,
    pub database_url: String,
    pub context: Option<api::state::AppContext>,
    _dir: tempfile::TempDir,
}

/// Starts Hearth in this process, with limits raised so the load is not refused.
pub async fn start_server() -> anyhow::Result<Server> {
    start_server_with(|_| {}).await
}

pub async fn start_server_with(adjust: impl FnOnce(&mut Settings)) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::from_sources(None, &HashMap::new())?;
    settings.bind = "127.0.0.1:0".parse()?;
    settings.database_url = std::env::var("HEARTH_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    settings.jwt_secret = Some(api::config::Secret::new(
        "bench-secret-bench-secret-bench-secret-0123",
    ));
    settings.kek = Some(api::config::Secret::new(crate::process::BENCH_KEK));
    settings.auth_limits.login_attempts_per_ip = u32::MAX;
    settings.auth_limits.registrations_per_ip = u32::MAX;
    settings.posting_limits.posts_per_hour = u32::MAX;
    settings.posting_limits.replies_per_hour = u32::MAX;
    adjust(&mut settings);
    let database_url = settings.database_url.clone();
    let app = App::build(settings).await.context("starting the server")?;
    let url = format!("http://{}/graphql", app.local_addr());
    let context = Some(app.context().clone());
    tokio::spawn(app.run_until_stopped());
    Ok(Server {
        url,
        database_url,
        context,
        _dir: dir,
    })
}

impl Server {
    /// A verified account (as `hearth admin create-user` makes it), signed in over GraphQL:
    /// its access token and id.
    pub async fn sign_up(
        &self,
        http: &reqwest::Client,
        email: &str,
        name: &str,
        password: &str,
    ) -> anyhow::Result<(String, String)> {
        let context = self.context.as_ref().context("no server in this process")?;
        api::accounts::create_verified(
            &context.db,
            &context.vault,
            &context.passwords,
            email,
            name,
            password,
        )
        .await
        .map_err(|e| anyhow::anyhow!("create {email}: {}", e.message()))?;
        sign_in(http, &self.url, email, password).await
    }
}

/// Inserts seed rows 500 to a statement.
pub async fn insert_in_chunks<A>(db: &sea_orm::DatabaseConnection, rows: &[A]) -> anyhow::Result<()>
where
    A: sea_orm::ActiveModelTrait + Clone + Send,
{
    use sea_orm::EntityTrait as _;
    for chunk in rows.chunks(500) {
        A::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

/// Signs in over GraphQL: the access token and the account's id.
pub async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<(String, String)> {
    let data = gql(
        http,
        url,
        None,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }",
        serde_json::json!({"i": {"email": email, "password": password}}),
    )
    .await?;
    let token = data["login"]["accessToken"].as_str().context("no token")?;
    let id = data["login"]["user"]["id"].as_str().context("no id")?;
    Ok((token.to_owned(), id.to_owned()))
}

/// What a measured run reads of an answer: whether it has errors. The rest is read over, not
/// built into a tree: the bench shares the cores with the server it measures.
#[derive(serde::Deserialize)]
struct Checked {
    #[serde(default)]
    errors: Option<serde::de::IgnoredAny>,
}

/// Sends one GraphQL request of a measured run: whether it was answered, in JSON, without
/// errors.
pub async fn answered_without_errors(request: reqwest::RequestBuilder) -> bool {
    match request.send().await {
        Ok(response) => response
            .json::<Checked>()
            .await
            .is_ok_and(|answer| answer.errors.is_none()),
        Err(_) => false,
    }
}

/// One GraphQL operation over HTTP; its `data`, or an error when the response has errors.
pub async fn gql(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let mut request = http
        .post(url)
        .json(&serde_json::json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: serde_json::Value = request.send().await?.json().await?;
    anyhow::ensure!(body.get("errors").is_none(), "GraphQL errors: {body}");
    Ok(body["data"].clone())
}

/// Someone replying to one post every `every`, until [`Replier::stop`]: each reply empties the
/// page cache, so a page measured meanwhile is read afresh after each one.
pub struct Replier {
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<usize>,
}

impl Replier {
    pub fn start(
        http: reqwest::Client,
        url: String,
        token: String,
        post_id: serde_json::Value,
        every: Duration,
    ) -> Self {
        let stop = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                let mut written = 0usize;
                let mut tick = tokio::time::interval(every);
                while !stop.is_cancelled() {
                    tick.tick().await;
                    let reply = gql(
                        &http,
                        &url,
                        Some(&token),
                        "mutation($i: CreateReplyInput!) { createReply(input: $i) { id } }",
                        serde_json::json!({"i": {"postId": post_id, "body": "Still here, still reading."}}),
                    )
                    .await;
                    written += usize::from(reply.is_ok());
                }
                written
            }
        });
        Replier { stop, task }
    }

    /// Stops replying: how many replies landed.
    pub async fn stop(self) -> anyhow::Result<usize> {
        self.stop.cancel();
        Ok(self.task.await?)
    }
}

pub struct Stats {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Stats {
    fn new(mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Self {
        latencies.sort();
        Stats {
            requests: latencies.len(),
            errors,
            elapsed,
            latencies,
        }
    }

    /// Several runs of the same requests as one: their requests over their time together.
    pub fn combined(runs: Vec<Stats>) -> Self {
        let (mut latencies, mut errors, mut elapsed) = (Vec::new(), 0, Duration::ZERO);
        for run in runs {
            latencies.extend(run.latencies);
            errors += run.errors;
            elapsed += run.elapsed;
        }
        Stats::new(latencies, errors, elapsed)
    }

    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The rate `concurrency` clients would reach sending only these requests, each taking as
    /// long as it did (Little's law): how requests measured among others compare with requests
    /// measured alone. For a run of one kind it is `per_second` without the run's ramp.
    pub fn per_second_alone(&self, concurrency: usize) -> f64 {
        let busy: Duration = self.latencies.iter().sum();
        if busy.is_zero() {
            return 0.0;
        }
        self.requests as f64 * concurrency as f64 / busy.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }

    pub fn print(&self, label: &str) {
        println!(
            "{label}: {:.1} req/s over {} requests ({} errors), p50 {:.1} ms, p99 {:.1} ms",
            self.per_second(),
            self.requests,
            self.errors,
            self.percentile(50.0).as_secs_f64() * 1e3,
            self.percentile(99.0).as_secs_f64() * 1e3,
        );
    }
}

/// Runs `total` requests from `concurrency` clients; `request` returns whether it succeeded.
pub async fn run<F, Fut>(total: usize, concurrency: usize, request: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let request = request.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut errors = 0;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let sent = Instant::now();
                    if !request(i).await {
                        errors += 1;
                    }
                    seen.push(sent.elapsed());
                }
                (seen, errors)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    let mut errors = 0;
    for client in clients {
        if let Ok((seen, failed)) = client.await {
            latencies.extend(seen);
            errors += failed;
        }
    }
    Stats::new(latencies, errors, started.elapsed())
}

/// Runs `concurrency` clients for `duration`, each sending its next request when the last
/// returns. `request(i)` tells which of `KINDS` kinds of request it sent (`0..KINDS`) and whether
/// it succeeded; one [`Stats`] per kind, each over the whole run.
pub async fn run_for<const KINDS: usize, F, Fut>(
    duration: Duration,
    concurrency: usize,
    request: F,
) -> [Stats; KINDS]
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (usize, bool)> + Send,
{
    let request = Arc::new(request);
    let clients = concurrency.max(1);
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut seen: [(Vec<Duration>, usize); KINDS] =
                    std::array::from_fn(|_| (Vec::new(), 0));
                let mut i = client;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let (kind, ok) = request(i).await;
                    if let Some((latencies, errors)) = seen.get_mut(kind) {
                        latencies.push(sent.elapsed());
                        *errors += usize::from(!ok);
                    }
                    i += clients;
                }
                seen
            })
        })
        .collect();
    let mut all: [(Vec<Duration>, usize); KINDS] = std::array::from_fn(|_| (Vec::new(), 0));
    for task in tasks {
        if let Ok(seen) = task.await {
            for ((latencies, errors), (more, failed)) in all.iter_mut().zip(seen) {
                latencies.extend(more);
                *errors += failed;
            }
        }
    }
    let elapsed = started.elapsed();
    all.map(|(latencies, errors)| Stats::new(latencies, errors, elapsed))
}

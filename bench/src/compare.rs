//! The group page against PostGraphile, side by side on the same seeded PostgreSQL database
//! (the feed bench's: 1 000 users, 50 groups, 100 000 posts, 500 000 replies). PostGraphile
//! 4.14.1 runs as one Node.js process (`postgraphile -c <db> --schema public`) from
//! `bench/postgraphile` (installed with `npm ci` there when missing); Hearth runs in this
//! process. Both are measured in rounds, one after the other, and the ratio is printed. Both
//! connect to PostgreSQL the same way and answer uncompressed, as `wrk` asks. Hearth is then
//! measured twice more: while someone replies in the group 50 times a second (each write
//! empties the page cache), and with its answers compressed, as the apps ask.
use crate::load::{self, Stats};
use anyhow::Context as _;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) const HEARTH_PAGE: &str = "query($g: ID!) { group(id: $g) { name posts(first: 20) { edges { cursor node { id title replyCount lastActivityAt author { id displayName } } } } } }";
pub(crate) const POSTGRAPHILE_PAGE: &str = "query($g: String!) { groupById(id: $g) { name postsByGroupId(first: 20, orderBy: LAST_ACTIVITY_AT_DESC) { edges { cursor node { id title replyCount lastActivityAt userByAuthorId { id displayName } } } } } }";
const ROUNDS: usize = 2;

pub(crate) struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn run(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let server = seeded_hearth(|_| {}).await?;

    // No `Accept-Encoding`, as `wrk` sends none: PostGraphile's server does not compress, and
    // Hearth compresses only when asked. Hearth compressed is measured apart, after.
    let http = reqwest::Client::builder().no_gzip().no_brotli().build()?;
    let (token, _) = load::sign_in(
        &http,
        &server.url,
        &crate::feed::email(0),
        crate::feed::PASSWORD,
    )
    .await?;
    let mine = load::gql(
        &http,
        &server.url,
        Some(&token),
        "{ feed(first: 1) { edges { node { group { id } } } } }",
        json!({}),
    )
    .await?;
    let group = mine["feed"]["edges"][0]["node"]["group"]["id"]
        .as_str()
        .context("user 0 is in no group")?
        .to_owned();

    let (_postgraphile, postgraphile_url) = postgraphile_on(&http, &server.database_url).await?;
    let newest = same_page(&http, &server.url, &token, &postgraphile_url, &group)
        .await?
        .into_iter()
        .next()
        .context("the group page is empty")?;

    let measure = |url: String, query: &'static str, token: Option<String>, total: usize| {
        let (http, group) = (http.clone(), group.clone());
        load::run(total, concurrency, move |_| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            let body = json!({"query": query, "variables": {"g": group}});
            let mut request = http.post(&url).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            load::answered_without_errors(request)
        })
    };
    let hearth_for = |requests: usize| {
        measure(
            server.url.clone(),
            HEARTH_PAGE,
            Some(token.clone()),
            requests,
        )
    };
    let hearth = || hearth_for(requests);
    let postgraphile = || measure(postgraphile_url.clone(), POSTGRAPHILE_PAGE, None, requests);
    measure(
        server.url.clone(),
        HEARTH_PAGE,
        Some(token.clone()),
        concurrency * 20,
    )
    .await;
    measure(
        postgraphile_url.clone(),
        POSTGRAPHILE_PAGE,
        None,
        concurrency * 20,
    )
    .await;
    let (mut ours, mut theirs): (Vec<Stats>, Vec<Stats>) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ours.push(hearth().await);
        theirs.push(postgraphile().await);
    }
    println!("group page, 20 posts with authors, {concurrency} clients, PostgreSQL, {ROUNDS} rounds each");
    for (round, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        o.print(&format!("round {}: Hearth", round + 1));
        t.print(&format!("round {}: PostGraphile 4.14.1", round + 1));
    }
    let rate = |all: &[Stats]| all.iter().map(Stats::per_second).sum::<f64>() / all.len() as f64;
    println!(
        "Hearth / PostGraphile: {:.2}x ({:.0} vs {:.0} req/s)",
        rate(&ours) / rate(&theirs),
        rate(&ours),
        rate(&theirs)
    );
    // Each write empties the page cache of every instance: the page read while someone replies
    // in the group every 20 ms (50 writes a second), uncompressed as in the rounds, for ten
    // times as many requests so that enough replies land.
    let replier = load::Replier::start(
        http.clone(),
        server.url.clone(),
        token.clone(),
        newest,
        Duration::from_millis(20),
    );
    let started = std::time::Instant::now();
    let stats = hearth_for(requests * 10).await;
    let elapsed = started.elapsed();
    let written = replier.stop().await?;
    stats.print(&format!(
        "Hearth while replies land in the group ({written} in {:.1} s)",
        elapsed.as_secs_f64()
    ));

    // What the apps get: they ask for brotli, which PostGraphile would not give them.
    let compressed = reqwest::Client::new();
    let (url, token) = (server.url.clone(), token.clone());
    load::run(requests, concurrency, move |_| {
        let body = json!({"query": HEARTH_PAGE, "variables": {"g": group}});
        let request = compressed.post(&url).json(&body).bearer_auth(&token);
        load::answered_without_errors(request)
    })
    .await
    .print("Hearth, answers compressed (Accept-Encoding: gzip, br)");
    Ok(())
}

/// Hearth in this process on `HEARTH_BENCH_DATABASE_URL`, which must be PostgreSQL (PostGraphile
/// needs it), with the feed bench's data seeded there and settled; `adjust` changes its settings.
pub(crate) async fn seeded_hearth(
    adjust: impl FnOnce(&mut api::Settings),
) -> anyhow::Result<load::Server> {
    let database_url = std::env::var("HEARTH_BENCH_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres"))
        .context(
            "set HEARTH_BENCH_DATABASE_URL to a PostgreSQL database: PostGraphile needs one",
        )?;
    let database_url = same_transport(&database_url);
    let server = load::start_server_with(|s| {
        s.database_url = database_url.clone();
        adjust(s);
    })
    .await?;
    let db = api::db::connect(&database_url).await?;
    crate::feed::seed(&db).await.context("seeding")?;
    // Settled, as a database in service is: a bulk load leaves hint bits and the visibility map
    // unset, which made both servers slower and PostGraphile less so.
    sea_orm::ConnectionTrait::execute_unprepared(&db, "VACUUM ANALYZE").await?;
    Ok(server)
}

/// PostGraphile on `database_url`, started and answering: the process (stopped when dropped)
/// and its GraphQL URL.
pub(crate) async fn postgraphile_on(
    http: &reqwest::Client,
    database_url: &str,
) -> anyhow::Result<(Node, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let node = start_postgraphile(database_url, port)?;
    let url = format!("http://127.0.0.1:{port}/graphql");
    wait_for(http, &url).await?;
    Ok((node, url))
}

/// A group's first page from both servers, Hearth's read with `token`: the same 20 posts in the
/// same order, or an error. Their ids.
pub(crate) async fn same_page(
    http: &reqwest::Client,
    hearth: &str,
    token: &str,
    postgraphile: &str,
    group: &str,
) -> anyhow::Result<Vec<Value>> {
    let ours = load::gql(http, hearth, Some(token), HEARTH_PAGE, json!({"g": group})).await?;
    let theirs = load::gql(
        http,
        postgraphile,
        None,
        POSTGRAPHILE_PAGE,
        json!({"g": group}),
    )
    .await?;
    let ids = |page: &Value, posts: &str| -> Vec<Value> {
        page[posts]["edges"]
            .as_array()
            .map(|edges| edges.iter().map(|e| e["node"]["id"].clone()).collect())
            .unwrap_or_default()
    };
    let (a, b) = (
        ids(&ours["group"], "posts"),
        ids(&theirs["groupById"], "postsByGroupId"),
    );
    anyhow::ensure!(
        a.len() == 20 && a == b,
        "the pages of group {group} differ: {ours} / {theirs}"
    );
    Ok(a)
}

/// The database URL both servers use: PostgreSQL's driver for Node.js connects without TLS
/// unless the URL asks for it, and sqlx tries TLS first (`sslmode=prefer`); so a URL that says
/// nothing gets `sslmode=disable`, for both.
fn same_transport(url: &str) -> String {
    if url.contains("sslmode=") || url.contains("ssl=") {
        return url.to_owned();
    }
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}sslmode=disable")
}

fn start_postgraphile(database_url: &str, port: u16) -> anyhow::Result<Node> {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/postgraphile");
    let cli = format!("{folder}/node_modules/postgraphile/cli.js");
    if !std::path::Path::new(&cli).exists() {
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(folder)
            .status()
            .context("npm is needed to install PostGraphile")?;
        anyhow::ensure!(installed.success(), "npm ci failed in {folder}");
    }
    let child = Command::new("node")
        .arg(cli)
        .args([
            "-c",
            database_url,
            "--schema",
            "public",
            "--host",
            "127.0.0.1",
            "--disable-query-log",
        ])
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("node is needed to run PostGraphile")?;
    Ok(Node(child))
}

async fn wait_for(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        let ready = http
            .post(url)
            .json(&json!({"query": "{ __typename }"}))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("PostGraphile did not start on {url}")
}

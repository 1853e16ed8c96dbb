//! Members reading while others write (`bench mix`), on the feed bench's database (1 000 users,
//! 50 groups, 100 000 posts, 500 000 replies) in PostgreSQL.
//!
//! `--members` N members sign in, each with their own token. `--concurrency` C closed-loop
//! clients read as them: each request is by a random member, the page of one of their own groups
//! (80 %) or their own feed (20 %). Meanwhile a writer sends R writes a second (R = 0, 20 and
//! 100 in one run), each by a random member in one of their groups: createReply and react on a
//! post of the group, createPost, and editPost of a post they wrote in the run; every write that
//! takes one has its own idempotency key.
//!
//! For each R, in rounds of `--seconds` S each, one after the other: Hearth's mixed reads;
//! PostGraphile 4.14.1 (as `bench compare` runs it, on the same database) sending the same group
//! pages of the same groups, as nobody (it has no accounts here); and Hearth answering
//! `{ __typename }` to the same members, the ceiling the feed is held to. The writes go on
//! through all of them. At R = 0 a second Hearth in this process, on the same database with the
//! page cache off, is measured in the same rounds. Both servers must answer every group's page
//! with the same posts, before the writes and after each R's.
//!
//! A kind of request measured among others (a group page among feeds) is compared with one
//! measured alone by the rate the clients would reach sending only it (`Stats::per_second_alone`);
//! the table shows both. Reads answered whole from the page cache are counted by the server
//! (`hearth_cached_answers_served_total`); the database statements a read cost are shown too
//! (writes' and workers' included). The run ends by drawing BENCHMARKS.md's two charts from its
//! own figures, into `docs/charts/` (`mix-throughput.svg`, `mix-latency.svg`).
//!
//! `HEARTH_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hearth_bench_mix ../target/release/bench mix`
use crate::charts::{Chart, Series};
use crate::compare::{self, HEARTH_PAGE, POSTGRAPHILE_PAGE};
use crate::feed;
use crate::load::{self, Stats};
use anyhow::Context as _;
use entity::enums::MemberState;
use entity::ids::{GroupId, UserId};
use entity::memberships;
use rand::rngs::ThreadRng;
use rand::seq::IndexedRandom as _;
use rand::Rng as _;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Writes a second, one run of rounds each.
const WRITE_RATES: [u32; 3] = [0, 20, 100];
/// Rounds of each measurement at each write rate.
const ROUNDS: usize = 2;
/// Of every 100 reads, how many are a group page; the rest are the feed.
const GROUP_PAGES_IN_100: u32 = 80;
/// How long each server is read before the rounds.
const WARM_UP: Duration = Duration::from_secs(2);
const CEILING: &str = "query Ceiling { __typename }";
/// The kinds of Hearth's mixed reads (`load::run_for`).
const GROUP_PAGE: usize = 0;
const FEED_PAGE: usize = 1;

const REPLY: &str = "mutation($i: CreateReplyInput!) { createReply(input: $i) { id } }";
const REACT: &str = "mutation($i: ReactionInput!) { react(input: $i) }";
const POST: &str = "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }";
const EDIT: &str = "mutation($id: ID!, $b: String!) { editPost(id: $id, body: $b) { id } }";
const REACTIONS: [&str; 3] = ["SUPPORT", "RELATE", "THANKS"];

pub struct Options {
    /// Length of each measurement.
    pub seconds: usize,
    pub concurrency: usize,
    pub members: usize,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    anyhow::ensure!(options.members > 0, "--members must be at least 1");
    let server = compare::seeded_hearth(tokens_outlast_the_run).await?;
    let db = server
        .context
        .as_ref()
        .context("no server in this process")?
        .db
        .clone();
    let database_url = server.database_url.clone();
    let unkept = load::start_server_with(|settings| {
        settings.database_url = database_url.clone();
        settings.page_cache_keep = Duration::ZERO;
        tokens_outlast_the_run(settings);
    })
    .await?;
    let (hearth, unkept) = (Hearth::new(server)?, Hearth::new(unkept)?);

    // Uncompressed, as in `bench compare`: PostGraphile does not compress.
    let http = reqwest::Client::builder().no_gzip().no_brotli().build()?;
    let members = Arc::new(sign_in_members(&http, &hearth.url, &db, options.members).await?);
    let (_postgraphile, postgraphile) = compare::postgraphile_on(&http, &database_url).await?;
    let page_readers = page_readers(&members);
    let posts = same_pages(&http, &hearth.url, &postgraphile, &page_readers)
        .await
        .context("before the writes")?;

    let bench = Bench {
        reads: Reads {
            http: http.clone(),
            members: members.clone(),
            seconds: Duration::from_secs(options.seconds as u64),
            concurrency: options.concurrency,
        },
        desk: Arc::new(Desk::new(http.clone(), hearth.url.clone(), members, posts)?),
        hearth,
        unkept,
        postgraphile,
        page_readers,
        http,
    };
    bench.warm_up().await;
    let mut rates = Vec::with_capacity(WRITE_RATES.len());
    for rate in WRITE_RATES {
        let at = bench.at_rate(rate).await?;
        at.print(options.concurrency);
        rates.push(at);
    }
    print_table(&options, &rates);
    draw_charts(&options, &rates)?;
    Ok(())
}

/// Access tokens outlive the run, however long `--seconds` makes it.
fn tokens_outlast_the_run(settings: &mut api::Settings) {
    settings.access_token_ttl = Duration::from_secs(24 * 3600);
}

/// A Hearth server of this process: where requests go, and its metrics.
struct Hearth {
    url: String,
    metrics: api::telemetry::Metrics,
    _server: load::Server,
}

impl Hearth {
    fn new(server: load::Server) -> anyhow::Result<Self> {
        let metrics = server
            .context
            .as_ref()
            .context("no server in this process")?
            .metrics
            .clone();
        Ok(Hearth {
            url: server.url.clone(),
            metrics,
            _server: server,
        })
    }
}

/// A signed-in member: their token, and the groups they are an active member of.
struct Member {
    token: String,
    groups: Vec<String>,
}

async fn sign_in_members(
    http: &reqwest::Client,
    url: &str,
    db: &DatabaseConnection,
    n: usize,
) -> anyhow::Result<Vec<Member>> {
    let mut members = Vec::with_capacity(n);
    for i in 0..n {
        let email = feed::email(i);
        let (token, id) = load::sign_in(http, url, &email, feed::PASSWORD)
            .await
            .with_context(|| format!("signing in {email}"))?;
        let groups = groups_of(db, &UserId::from(id)).await?;
        anyhow::ensure!(!groups.is_empty(), "{email} is in no group");
        members.push(Member { token, groups });
    }
    Ok(members)
}

async fn groups_of(db: &DatabaseConnection, user: &UserId) -> anyhow::Result<Vec<String>> {
    let groups: Vec<GroupId> = memberships::Entity::find()
        .select_only()
        .column(memberships::Column::GroupId)
        .filter(memberships::Column::UserId.eq(user))
        .filter(memberships::Column::State.eq(MemberState::Active))
        .order_by_asc(memberships::Column::GroupId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(groups.into_iter().map(GroupId::into_string).collect())
}

/// Each group the members are in, with the token of one of them to read its page by.
fn page_readers(members: &[Member]) -> BTreeMap<String, String> {
    let mut readers = BTreeMap::new();
    for member in members {
        for group in &member.groups {
            readers
                .entry(group.clone())
                .or_insert_with(|| member.token.clone());
        }
    }
    readers
}

/// Every group's page from both servers: the same posts in the same order
/// (`compare::same_page`). Each group's posts' ids.
async fn same_pages(
    http: &reqwest::Client,
    hearth: &str,
    postgraphile: &str,
    readers: &BTreeMap<String, String>,
) -> anyhow::Result<HashMap<String, Vec<String>>> {
    let mut posts = HashMap::with_capacity(readers.len());
    for (group, token) in readers {
        let ids = compare::same_page(http, hearth, token, postgraphile, group).await?;
        let ids = ids.iter().filter_map(Value::as_str).map(str::to_owned);
        posts.insert(group.clone(), ids.collect());
    }
    Ok(posts)
}

/// Everything the rounds use.
struct Bench {
    reads: Reads,
    desk: Arc<Desk>,
    hearth: Hearth,
    /// Hearth with the page cache off, on the same database.
    unkept: Hearth,
    postgraphile: String,
    page_readers: BTreeMap<String, String>,
    http: reqwest::Client,
}

impl Bench {
    async fn warm_up(&self) {
        let reads = Reads {
            seconds: WARM_UP,
            ..self.reads.clone()
        };
        reads.mixed(&self.hearth).await;
        reads.mixed(&self.unkept).await;
        reads.postgraphile(&self.postgraphile).await;
        reads.ceiling(&self.hearth.url).await;
    }

    /// The rounds at `rate` writes a second, the writes going on through all of them; then both
    /// servers must still answer the same pages.
    async fn at_rate(&self, rate: u32) -> anyhow::Result<AtRate> {
        let writer = Writer::start(self.desk.clone(), rate);
        let started = Instant::now();
        let (mut hearth, mut unkept) = (Vec::new(), Vec::new());
        let (mut postgraphile, mut ceiling) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            hearth.push(self.reads.mixed(&self.hearth).await);
            if rate == 0 {
                unkept.push(self.reads.mixed(&self.unkept).await);
            }
            postgraphile.push(self.reads.postgraphile(&self.postgraphile).await);
            ceiling.push(self.reads.ceiling(&self.hearth.url).await);
        }
        let writes = writer.stop().await?;
        let writing = started.elapsed();
        same_pages(
            &self.http,
            &self.hearth.url,
            &self.postgraphile,
            &self.page_readers,
        )
        .await
        .with_context(|| format!("after {rate} writes a second"))?;
        Ok(AtRate {
            rate,
            hearth: Mixed::combined(hearth),
            unkept: (!unkept.is_empty()).then(|| Mixed::combined(unkept)),
            postgraphile: Stats::combined(postgraphile),
            ceiling: Stats::combined(ceiling),
            writes,
            writing,
        })
    }
}

/// One read, as a client sends it.
struct Read {
    kind: usize,
    body: Value,
    /// Sent with the member's token.
    signed: bool,
}

/// The readers: the members, and how long and from how many clients they read.
#[derive(Clone)]
struct Reads {
    http: reqwest::Client,
    members: Arc<Vec<Member>>,
    seconds: Duration,
    concurrency: usize,
}

impl Reads {
    /// Hearth's group pages and feeds, mixed.
    async fn mixed(&self, hearth: &Hearth) -> Mixed {
        let before = hearth.metrics.db_query_count();
        let kept_before = hearth.metrics.kept_answers_served();
        let [pages, feeds] = self.measure::<2>(&hearth.url, group_page_or_feed).await;
        let statements = hearth.metrics.db_query_count().saturating_sub(before);
        let kept = hearth
            .metrics
            .kept_answers_served()
            .saturating_sub(kept_before);
        Mixed {
            pages,
            feeds,
            statements,
            kept,
        }
    }

    async fn postgraphile(&self, url: &str) -> Stats {
        let [pages] = self.measure::<1>(url, postgraphile_page).await;
        pages
    }

    async fn ceiling(&self, url: &str) -> Stats {
        let [typename] = self.measure::<1>(url, ceiling).await;
        typename
    }

    /// The clients, each request by a random member; `pick` says what it reads.
    async fn measure<const KINDS: usize>(
        &self,
        url: &str,
        pick: fn(&mut ThreadRng, &Member) -> Read,
    ) -> [Stats; KINDS] {
        let (http, members, url) = (self.http.clone(), self.members.clone(), url.to_owned());
        load::run_for(self.seconds, self.concurrency, move |_| {
            let (read, token) = {
                let mut rng = rand::rng();
                let member = &members[rng.random_range(0..members.len())];
                (pick(&mut rng, member), member.token.clone())
            };
            let mut request = http.post(&url).json(&read.body);
            if read.signed {
                request = request.bearer_auth(token);
            }
            let kind = read.kind;
            async move { (kind, load::answered_without_errors(request).await) }
        })
        .await
    }
}

/// The page of one of the member's groups, in a query of `page`.
fn own_group_page(rng: &mut ThreadRng, member: &Member, page: &str) -> Value {
    let group = &member.groups[rng.random_range(0..member.groups.len())];
    json!({"query": page, "variables": {"g": group}})
}

fn group_page_or_feed(rng: &mut ThreadRng, member: &Member) -> Read {
    if rng.random_range(0..100) < GROUP_PAGES_IN_100 {
        Read {
            kind: GROUP_PAGE,
            body: own_group_page(rng, member, HEARTH_PAGE),
            signed: true,
        }
    } else {
        Read {
            kind: FEED_PAGE,
            body: json!({"query": feed::FEED}),
            signed: true,
        }
    }
}

/// The same pages as Hearth's, as nobody: PostGraphile has no accounts here.
fn postgraphile_page(rng: &mut ThreadRng, member: &Member) -> Read {
    Read {
        kind: 0,
        body: own_group_page(rng, member, POSTGRAPHILE_PAGE),
        signed: false,
    }
}

fn ceiling(_: &mut ThreadRng, _: &Member) -> Read {
    Read {
        kind: 0,
        body: json!({"query": CEILING}),
        signed: true,
    }
}

/// One write, by a member.
enum Write {
    Reply { post: String },
    React { post: String, kind: &'static str },
    Post { group: String },
    Edit { post: String },
}

/// What the writer needs: who writes where, and what they wrote.
struct Desk {
    http: reqwest::Client,
    url: String,
    members: Arc<Vec<Member>>,
    /// The posts replied to and reacted on, by group: each group's first page at the start.
    posts: HashMap<String, Vec<String>>,
    /// The posts each member wrote in this run, which they edit.
    written: Mutex<Vec<Vec<String>>>,
    /// This run's start, so that no key is one of an earlier run on the same database.
    run_id: u128,
    keys: AtomicUsize,
}

impl Desk {
    fn new(
        http: reqwest::Client,
        url: String,
        members: Arc<Vec<Member>>,
        posts: HashMap<String, Vec<String>>,
    ) -> anyhow::Result<Self> {
        let run_id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis();
        Ok(Desk {
            written: Mutex::new(members.iter().map(|_| Vec::new()).collect()),
            http,
            url,
            members,
            posts,
            run_id,
            keys: AtomicUsize::new(0),
        })
    }

    /// A random member and what they write in a random group of theirs: a reply (40 %), a
    /// reaction (30 %), a post (15 %), or an edit of a post they wrote (15 %; a post while they
    /// have none).
    fn next_write(&self) -> (usize, Write) {
        let mut rng = rand::rng();
        let member = rng.random_range(0..self.members.len());
        let groups = &self.members[member].groups;
        let group = groups[rng.random_range(0..groups.len())].clone();
        let post = self
            .posts
            .get(&group)
            .and_then(|posts| posts.choose(&mut rng))
            .cloned();
        let write = match (rng.random_range(0..100), post) {
            (0..40, Some(post)) => Write::Reply { post },
            (40..70, Some(post)) => Write::React {
                post,
                kind: REACTIONS[rng.random_range(0..REACTIONS.len())],
            },
            (70..85, _) => Write::Post { group },
            _ => match self.own_post(member, &mut rng) {
                Some(post) => Write::Edit { post },
                None => Write::Post { group },
            },
        };
        (member, write)
    }

    fn own_post(&self, member: usize, rng: &mut ThreadRng) -> Option<String> {
        let written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        written.get(member)?.choose(rng).cloned()
    }

    fn idempotency_key(&self) -> String {
        let n = self.keys.fetch_add(1, Ordering::Relaxed);
        format!("mix-{}-{n}", self.run_id)
    }

    /// Sends one write as its member: whether it landed (answered without errors).
    async fn send(self: Arc<Self>, member: usize, write: Write) -> bool {
        let Some(token) = self.members.get(member).map(|m| m.token.clone()) else {
            return false;
        };
        let key = self.idempotency_key();
        let (query, variables) = match &write {
            Write::Reply { post } => (
                REPLY,
                json!({"i": {"postId": post, "body": "Reading along tonight, thinking of you all.", "idempotencyKey": &key}}),
            ),
            Write::React { post, kind } => (
                REACT,
                json!({"i": {"targetType": "POST", "targetId": post, "kind": kind}}),
            ),
            Write::Post { group } => (
                POST,
                json!({"i": {"groupId": group, "title": "An evening note", "body": "Writing this while the group reads along.", "idempotencyKey": &key}}),
            ),
            Write::Edit { post } => (
                EDIT,
                json!({"id": post, "b": format!("Writing this while the group reads along (edited, {key}).")}),
            ),
        };
        let Ok(data) = load::gql(&self.http, &self.url, Some(&token), query, variables).await
        else {
            return false;
        };
        if let (Write::Post { .. }, Some(id)) = (&write, data["createPost"]["id"].as_str()) {
            let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(theirs) = written.get_mut(member) {
                theirs.push(id.to_owned());
            }
        }
        true
    }
}

#[derive(Clone, Copy, Default)]
struct Writes {
    sent: usize,
    landed: usize,
}

/// Writes at a steady rate until stopped, each on a task of its own so that a slow write does
/// not hold back the next.
struct Writer {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Writes>,
}

impl Writer {
    fn start(desk: Arc<Desk>, per_second: u32) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                let mut writes = Writes::default();
                let Some(every) = Duration::from_secs(1).checked_div(per_second) else {
                    return writes;
                };
                let mut tick = tokio::time::interval(every);
                let mut flying = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        _ = tick.tick() => {
                            let (member, write) = desk.next_write();
                            flying.spawn(desk.clone().send(member, write));
                            writes.sent += 1;
                        }
                    }
                    while let Some(landed) = flying.try_join_next() {
                        writes.landed += usize::from(matches!(landed, Ok(true)));
                    }
                }
                while let Some(landed) = flying.join_next().await {
                    writes.landed += usize::from(matches!(landed, Ok(true)));
                }
                writes
            }
        });
        Writer { stop, task }
    }

    /// Stops writing, once the writes under way have been answered.
    async fn stop(self) -> anyhow::Result<Writes> {
        self.stop.cancel();
        Ok(self.task.await?)
    }
}

/// Hearth's mixed reads: group pages and feeds apart, and the database statements its server
/// ran meanwhile.
struct Mixed {
    pages: Stats,
    feeds: Stats,
    statements: u64,
    /// Reads answered whole from the page cache.
    kept: u64,
}

impl Mixed {
    fn combined(rounds: Vec<Mixed>) -> Self {
        let statements: u64 = rounds.iter().map(|r| r.statements).sum();
        let kept: u64 = rounds.iter().map(|r| r.kept).sum();
        let (pages, feeds): (Vec<Stats>, Vec<Stats>) =
            rounds.into_iter().map(|r| (r.pages, r.feeds)).unzip();
        Mixed {
            pages: Stats::combined(pages),
            feeds: Stats::combined(feeds),
            statements,
            kept,
        }
    }

    fn reads(&self) -> usize {
        (self.pages.requests + self.feeds.requests).max(1)
    }

    fn statements_per_read(&self) -> f64 {
        self.statements as f64 / self.reads() as f64
    }

    /// Of every 100 reads, how many were answered whole from the page cache.
    fn kept_in_100(&self) -> f64 {
        100.0 * self.kept as f64 / self.reads() as f64
    }
}

/// One write rate's figures, over its rounds.
struct AtRate {
    rate: u32,
    hearth: Mixed,
    /// Hearth with the page cache off: measured while nothing is written only.
    unkept: Option<Mixed>,
    postgraphile: Stats,
    ceiling: Stats,
    writes: Writes,
    /// How long the writes went on.
    writing: Duration,
}

impl AtRate {
    fn print(&self, concurrency: usize) {
        println!(
            "{} writes a second: {} sent, {} landed in {:.1} s ({:.1} a second)",
            self.rate,
            self.writes.sent,
            self.writes.landed,
            self.writing.as_secs_f64(),
            self.writes.sent as f64 / self.writing.as_secs_f64(),
        );
        self.hearth.pages.print("  Hearth group pages");
        self.hearth.feeds.print("  Hearth feeds");
        if let Some(unkept) = &self.unkept {
            unkept.pages.print("  Hearth group pages, page cache off");
            unkept.feeds.print("  Hearth feeds, page cache off");
        }
        self.postgraphile.print("  PostGraphile 4.14.1 group pages");
        self.ceiling.print("  Hearth { __typename }");
        println!(
            "  group pages Hearth / PostGraphile {:.2}x, feed / {{ __typename }} {:.1} % (rates alone, {concurrency} clients)",
            ratio(&self.hearth.pages, &self.postgraphile, concurrency),
            100.0 * ratio(&self.hearth.feeds, &self.ceiling, concurrency),
        );
    }

    /// Hearth's rows: with the page cache, and without it where measured.
    fn hearth_rows(&self) -> Vec<(String, &Mixed)> {
        let mut rows = vec![(self.rate.to_string(), &self.hearth)];
        if let Some(unkept) = &self.unkept {
            rows.push((format!("{}, memo off", self.rate), unkept));
        }
        rows
    }
}

/// `ours` against `theirs`, each at the rate the clients would reach sending only it.
fn ratio(ours: &Stats, theirs: &Stats, concurrency: usize) -> f64 {
    ours.per_second_alone(concurrency) / theirs.per_second_alone(concurrency)
}

fn millis(stats: &Stats, percentile: f64) -> f64 {
    stats.percentile(percentile).as_secs_f64() * 1e3
}

fn head() -> String {
    format!(
        "{:>7} {:>7} {:>6} {:>6} {:>4}",
        "req/s", "alone", "p50 ms", "p99 ms", "err"
    )
}

/// A measurement's cells: req/s, the rate alone, p50, p99, errors.
fn cells(stats: &Stats, concurrency: usize) -> String {
    format!(
        "{:>7.0} {:>7.0} {:>6.1} {:>6.1} {:>4}",
        stats.per_second(),
        stats.per_second_alone(concurrency),
        millis(stats, 50.0),
        millis(stats, 99.0),
        stats.errors
    )
}

fn print_table(options: &Options, rates: &[AtRate]) {
    let c = options.concurrency;
    println!();
    println!(
        "bench mix: {} members, {c} clients, {} s a measurement, {ROUNDS} rounds each, PostgreSQL; \
         `alone`: the rate {c} clients would reach sending only that read",
        options.members, options.seconds
    );
    println!("group pages ({GROUP_PAGES_IN_100} % of Hearth's reads) | PostGraphile 4.14.1, the same groups");
    println!("{:<14} {} | {} | ratio", "writes/s", head(), head());
    for at in rates {
        for (label, hearth) in at.hearth_rows() {
            println!(
                "{label:<14} {} | {} | {:.2}x",
                cells(&hearth.pages, c),
                cells(&at.postgraphile, c),
                ratio(&hearth.pages, &at.postgraphile, c)
            );
        }
    }
    println!(
        "feeds ({} % of Hearth's reads) | {{ __typename }}, the same members",
        100 - GROUP_PAGES_IN_100
    );
    println!(
        "{:<14} {} | {} | feed / ceiling",
        "writes/s",
        head(),
        head()
    );
    for at in rates {
        for (label, hearth) in at.hearth_rows() {
            println!(
                "{label:<14} {} | {} | {:.1} %",
                cells(&hearth.feeds, c),
                cells(&at.ceiling, c),
                100.0 * ratio(&hearth.feeds, &at.ceiling, c)
            );
        }
    }
    println!(
        "writes, and reads answered whole from the page cache (`hearth_cached_answers_served_total`)"
    );
    println!(
        "{:<14} {:>6} {:>6} {:>9} {:>15} {:>16}",
        "writes/s", "sent", "landed", "a second", "from a cache %", "db stmts a read"
    );
    for at in rates {
        for (label, hearth) in at.hearth_rows() {
            println!(
                "{label:<14} {:>6} {:>6} {:>9.1} {:>15.1} {:>16.2}",
                at.writes.sent,
                at.writes.landed,
                at.writes.sent as f64 / at.writing.as_secs_f64(),
                hearth.kept_in_100(),
                hearth.statements_per_read()
            );
        }
    }
}

/// BENCHMARKS.md's two charts of this run: reads a second by write rate against PostGraphile,
/// and latency percentiles. Written to `docs/charts/` of this checkout.
fn draw_charts(options: &Options, rates: &[AtRate]) -> anyhow::Result<()> {
    let c = options.concurrency;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/charts");
    let categories: Vec<String> = rates.iter().map(|at| at.rate.to_string()).collect();
    let each = |f: &dyn Fn(&AtRate) -> Option<f64>| rates.iter().map(f).collect::<Vec<_>>();
    let series = |name: &str, color, dashed, values| Series {
        name: name.to_owned(),
        color,
        dashed,
        values,
    };
    let (hearth, feed, unkept, theirs) = ("#1b6ca8", "#6a3d9a", "#e08214", "#b2182b");
    Chart {
        title: format!("Reads a second ({c} clients, rate alone) under writes"),
        x_label: "writes a second".into(),
        y_label: "reads a second".into(),
        categories: categories.clone(),
        unit: "",
        series: vec![
            series(
                "Hearth group page",
                hearth,
                false,
                each(&|at| Some(at.hearth.pages.per_second_alone(c))),
            ),
            series(
                "Hearth feed",
                feed,
                false,
                each(&|at| Some(at.hearth.feeds.per_second_alone(c))),
            ),
            series(
                "Hearth, cache off",
                unkept,
                true,
                each(&|at| at.unkept.as_ref().map(|u| u.pages.per_second_alone(c))),
            ),
            series(
                "PostGraphile group page",
                theirs,
                false,
                each(&|at| Some(at.postgraphile.per_second_alone(c))),
            ),
        ],
    }
    .write(&dir.join("mix-throughput.svg"))?;
    Chart {
        title: "Group page latency under writes".into(),
        x_label: "writes a second".into(),
        y_label: "milliseconds".into(),
        categories,
        unit: " ms",
        series: vec![
            series(
                "Hearth p50",
                hearth,
                true,
                each(&|at| Some(millis(&at.hearth.pages, 50.0))),
            ),
            series(
                "Hearth p99",
                hearth,
                false,
                each(&|at| Some(millis(&at.hearth.pages, 99.0))),
            ),
            series(
                "PostGraphile p50",
                theirs,
                true,
                each(&|at| Some(millis(&at.postgraphile, 50.0))),
            ),
            series(
                "PostGraphile p99",
                theirs,
                false,
                each(&|at| Some(millis(&at.postgraphile, 99.0))),
            ),
        ],
    }
    .write(&dir.join("mix-latency.svg"))
}

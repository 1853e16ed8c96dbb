//! Account lifecycle figures. Registration: the answer and its time for addresses that have an
//! account and addresses that do not, interleaved (`tries` each, every try a different address,
//! so the per-address mail limit never answers). Then a heavy account (two years of check-ins,
//! 1 000 posts with replies and support): how large its export is and how long it takes from
//! `exportMyData` to the downloaded document (built by the export worker), and
//! how long deleting it takes, removing or keeping what it wrote: `accounts` heavy accounts of
//! each kind, one after the other, with the medians at the end. On PostgreSQL each is timed
//! after `VACUUM ANALYZE`, as two years of an account's rows would have been long before: the
//! autovacuum woken by the seeding otherwise runs during the timed requests, by chance.
use crate::load;
use anyhow::Context as _;
use chrono::{Duration, Utc};
use entity::ids::{GroupId, PostId, ReplyId, UserId};
use serde_json::{json, Value};
use std::time::{Duration as StdDuration, Instant};

const PASSWORD: &str = "a benchmark password";
/// Posts of the heavy account beyond the mood bench's one every third day.
const POSTS: usize = 1_000;

pub async fn run(tries: usize, accounts: usize) -> anyhow::Result<()> {
    let server = load::start_server().await?;
    let backend = if server.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let http = reqwest::Client::new();
    registration_parity(&server, &http, tries, backend).await?;
    let mut times: [(Vec<f64>, Vec<f64>); 2] = Default::default();
    for n in 0..accounts {
        for (remove, (exports, deletions)) in [true, false].into_iter().zip(times.iter_mut()) {
            let (export, deletion) = heavy_account(&server, &http, remove, n, backend).await?;
            exports.push(export);
            deletions.push(deletion);
        }
    }
    for (remove, (exports, deletions)) in [true, false].into_iter().zip(times.iter_mut()) {
        println!(
            "{accounts} heavy accounts, removeContent: {remove} ({backend}): export median {:.0} ms, deleteAccount median {:.0} ms",
            median(exports),
            median(deletions)
        );
    }
    Ok(())
}

fn median(ms: &mut [f64]) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms.get(ms.len() / 2).copied().unwrap_or_default()
}

async fn registration_parity(
    server: &load::Server,
    http: &reqwest::Client,
    tries: usize,
    backend: &str,
) -> anyhow::Result<()> {
    let context = server.context.as_ref().context("no context")?;
    for n in 0..tries {
        api::accounts::create_verified(
            &context.db,
            &context.vault,
            &context.passwords,
            &format!("known{n}@example.org"),
            &format!("Known Person {n}"),
            PASSWORD,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    }
    let register = |email: String, name: String| {
        let body = json!({"query": "mutation($i: RegisterInput!) { register(input: $i) { status codeLifetimeSeconds } }",
            "variables": {"i": {"email": email, "password": PASSWORD, "displayName": name}}});
        timed(http, &server.url, body)
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..tries {
        let (took, known_body) =
            register(format!("known{n}@example.org"), format!("Other Name {n}")).await?;
        known.push(took);
        let (took, unknown_body) =
            register(format!("unknown{n}@example.org"), format!("Fresh Name {n}")).await?;
        unknown.push(took);
        anyhow::ensure!(
            known_body == unknown_body,
            "the answers differ: {known_body} / {unknown_body}"
        );
    }
    print_parity("register", tries, backend, &mut known, &mut unknown);

    // A password reset asked for an address with an account and one without: the same work
    // (a code, a mail row, the workers woken), the mail of the second dropped unsent. Other
    // addresses than registration's, so the per-address mail limit never answers.
    let reset = |email: String| {
        let body = json!({"query": "mutation($e: String!) { requestPasswordReset(email: $e) { status codeLifetimeSeconds } }",
            "variables": {"e": email}});
        timed(http, &server.url, body)
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..tries {
        let (took, known_body) = reset(format!("known{n}@example.org")).await?;
        known.push(took);
        let (took, unknown_body) = reset(format!("nobody{n}@example.org")).await?;
        unknown.push(took);
        anyhow::ensure!(
            known_body == unknown_body,
            "the answers differ: {known_body} / {unknown_body}"
        );
    }
    print_parity(
        "requestPasswordReset",
        tries,
        backend,
        &mut known,
        &mut unknown,
    );
    Ok(())
}

/// One GraphQL request: how long its answer took, and the answer.
async fn timed(
    http: &reqwest::Client,
    url: &str,
    body: Value,
) -> anyhow::Result<(StdDuration, Value)> {
    let started = Instant::now();
    let answer: Value = http.post(url).json(&body).send().await?.json().await?;
    Ok((started.elapsed(), answer))
}

fn print_parity(
    what: &str,
    tries: usize,
    backend: &str,
    known: &mut [StdDuration],
    unknown: &mut [StdDuration],
) {
    let slower = known
        .iter()
        .zip(unknown.iter())
        .filter(|(k, u)| k > u)
        .count();
    let (k, u) = (summary(known), summary(unknown));
    println!("{what}, {tries} tries each, interleaved ({backend}); answers identical");
    println!(
        "  address with an account:    median {:>6.2} ms  mean {:>6.2} ms  p90 {:>6.2} ms",
        k.0, k.1, k.2
    );
    println!(
        "  address without an account: median {:>6.2} ms  mean {:>6.2} ms  p90 {:>6.2} ms",
        u.0, u.1, u.2
    );
    println!(
        "  difference of medians: {:+.2} ms ({:+.1} %); the known address slower in {slower} of {tries} pairs",
        k.0 - u.0,
        (k.0 - u.0) / u.0 * 100.0
    );
}

/// Median, mean and p90 in milliseconds.
fn summary(times: &mut [StdDuration]) -> (f64, f64, f64) {
    times.sort();
    let ms = |d: StdDuration| d.as_secs_f64() * 1_000.0;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len().max(1) as f64;
    let at = |p: f64| ms(times[((times.len() as f64 * p) as usize).min(times.len() - 1)]);
    (at(0.5), mean, at(0.9))
}

async fn heavy_account(
    server: &load::Server,
    http: &reqwest::Client,
    remove_content: bool,
    n: usize,
    backend: &str,
) -> anyhow::Result<(f64, f64)> {
    let context = server.context.as_ref().context("no context")?;
    let tag = if remove_content { "remove" } else { "keep" };
    let tag = format!("{tag}{n}");
    let (token, me) = server
        .sign_up(
            http,
            &format!("heavy-{tag}@example.org"),
            &format!("Heavy {tag}"),
            PASSWORD,
        )
        .await?;
    let (friend_token, friend) = server
        .sign_up(
            http,
            &format!("friend-{tag}@example.org"),
            &format!("Friend {tag}"),
            PASSWORD,
        )
        .await?;
    let group = load::gql(http, &server.url, Some(&friend_token), "mutation($n: String!) { createGroup(input: {name: $n, topic: OTHER, visibility: PUBLIC, ledBy: PEER}) { id } }", json!({"n": format!("Lifecycle bench {tag}")})).await?;
    let group: GroupId = group["createGroup"]["id"].as_str().context("group")?.into();
    load::gql(
        http,
        &server.url,
        Some(&token),
        "mutation($g: ID!) { joinGroup(groupId: $g) { state } }",
        json!({"g": group.as_str()}),
    )
    .await?;
    let (me, friend): (UserId, UserId) = (me.into(), friend.into());
    crate::mood::seed(&context.db, &me, &friend, &group).await?;
    more_posts(&context.db, &me, &friend, &group).await?;
    if backend == "PostgreSQL" {
        use sea_orm::ConnectionTrait;
        context.db.execute_unprepared("VACUUM ANALYZE").await?;
    }

    let started = Instant::now();
    let asked = load::gql(
        http,
        &server.url,
        Some(&token),
        "mutation { exportMyData { id } }",
        json!({}),
    )
    .await?;
    let id = asked["exportMyData"]["id"]
        .as_str()
        .context("no export")?
        .to_owned();
    let path = loop {
        let export = load::gql(
            http,
            &server.url,
            Some(&token),
            "query($id: ID!) { dataExport(id: $id) { status url } }",
            json!({"id": id}),
        )
        .await?;
        if let Some(url) = export["dataExport"]["url"].as_str() {
            break url.to_owned();
        }
        anyhow::ensure!(
            started.elapsed() < StdDuration::from_secs(60),
            "the export was never built"
        );
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    };
    let base = server.url.trim_end_matches("/graphql");
    let bytes = http
        .get(format!("{base}{path}"))
        .send()
        .await?
        .bytes()
        .await?;
    let exported = started.elapsed();
    let doc: Value = serde_json::from_slice(&bytes)?;
    let count = |section: &str| doc[section].as_array().map(Vec::len).unwrap_or_default();
    println!(
        "export of a heavy account ({backend}): {} check-ins, {} posts, {} notifications: {:.1} KiB in {:.0} ms",
        count("moodCheckins"),
        count("posts"),
        count("notifications"),
        bytes.len() as f64 / 1024.0,
        exported.as_secs_f64() * 1_000.0
    );

    let started = Instant::now();
    load::gql(
        http,
        &server.url,
        Some(&token),
        "mutation($p: String!, $r: Boolean!) { deleteAccount(password: $p, removeContent: $r) }",
        json!({"p": PASSWORD, "r": remove_content}),
    )
    .await?;
    let deleted = started.elapsed();
    println!(
        "deleteAccount(removeContent: {remove_content}) of that account ({backend}): {:.0} ms",
        deleted.as_secs_f64() * 1_000.0
    );
    Ok((
        exported.as_secs_f64() * 1_000.0,
        deleted.as_secs_f64() * 1_000.0,
    ))
}

/// Posts up to [`POSTS`] in all, each with one reply from the friend.
async fn more_posts(
    db: &sea_orm::DatabaseConnection,
    me: &UserId,
    friend: &UserId,
    group: &GroupId,
) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
    let have = entity::posts::Entity::find()
        .filter(entity::posts::Column::AuthorId.eq(me))
        .count(db)
        .await? as usize;
    let now = Utc::now();
    let (mut posts, mut replies) = (Vec::new(), Vec::new());
    for n in have..POSTS {
        let at = now - Duration::hours(n as i64 * 7);
        let id = PostId::generate();
        posts.push(entity::posts::ActiveModel {
            reply_count: Set(1),
            ..entity::posts::ActiveModel::fresh(entity::posts::NewRow {
                id: id.clone(),
                group_id: group.to_owned(),
                author_id: me.to_owned(),
                title: format!("Thought {n}"),
                body: "something on my mind today".to_owned(),
                at,
            })
        });
        replies.push(entity::replies::ActiveModel::fresh(
            entity::replies::NewRow {
                id: ReplyId::generate(),
                post_id: id,
                group_id: group.to_owned(),
                author_id: friend.to_owned(),
                body: "thinking of you".to_owned(),
                at: at + Duration::minutes(3),
            },
        ));
    }
    load::insert_in_chunks(db, &posts).await?;
    load::insert_in_chunks(db, &replies).await?;
    Ok(())
}

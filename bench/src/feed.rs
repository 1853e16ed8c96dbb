//! The group-feed page on a seeded database (1 000 users, 50 groups, 100 000 posts,
//! 500 000 replies), against `{ __typename }` on the same server as the framework's ceiling.
use crate::load;
use anyhow::Context as _;
use chrono::{Duration, Utc};
use entity::enums::{
    ContentType, LedBy, MemberState, NotificationLevel, ReactionKind, Role, Topic, Visibility,
};
use entity::ids::{GroupId, PostId, ReplyId, UserId};
use entity::{groups, memberships, posts, reactions, replies, users};
use rand::{Rng, SeedableRng};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, Iterable as _, PaginatorTrait, Set,
};
use serde_json::{json, Value};
use std::time::Instant;

const USERS: usize = 1_000;
const GROUPS: usize = 50;
const POSTS: usize = 100_000;
const REPLIES: usize = 500_000;
const GROUPS_PER_USER: usize = 5;
/// (id, group index, author index, created at, title)
type SeedPost = (PostId, usize, usize, chrono::DateTime<Utc>, String);

pub(crate) const PASSWORD: &str = "a benchmark password";

pub(crate) fn email(n: usize) -> String {
    format!("bench{n}@example.org")
}

/// Seeds once: a database that already holds the users is reused.
pub(crate) async fn seed(db: &DatabaseConnection) -> anyhow::Result<()> {
    if users::Entity::find().count(db).await? >= USERS as u64 {
        println!("seed: reusing the seeded database");
        return Ok(());
    }
    let started = Instant::now();
    let hash = api::auth::passwords::PasswordHasher::new()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .hash(PASSWORD)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let now = Utc::now();

    let user_ids: Vec<UserId> = (0..USERS).map(|_| UserId::generate()).collect();
    for chunk in user_ids.chunks(500).enumerate() {
        let (c, ids) = chunk;
        let rows = ids.iter().enumerate().map(|(i, uid)| {
            let n = c * 500 + i;
            users::ActiveModel {
                id: Set(uid.clone()),
                email: Set(email(n)),
                // Written in clear as before sealing; sealed below as the server would.
                email_index: Set(None),
                display_name: Set(format!("Bench {n}")),
                display_name_key: Set(format!("bench {n}")),
                password_hash: Set(hash.clone()),
                timezone: Set("UTC".into()),
                country: Set(None),
                is_admin: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            }
        });
        users::Entity::insert_many(rows).exec(db).await?;
    }
    api::keys::backfill::seal_all(db, &crate::process::bench_vault()?)
        .await
        .map_err(|e| anyhow::anyhow!("sealing: {}", e.message()))?;
    let group_ids: Vec<GroupId> = (0..GROUPS).map(|_| GroupId::generate()).collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); GROUPS];
    for u in 0..USERS {
        let mut chosen = Vec::new();
        while chosen.len() < GROUPS_PER_USER {
            let g = rng.random_range(0..GROUPS);
            if !chosen.contains(&g) {
                chosen.push(g);
                members[g].push(u);
            }
        }
    }
    let mut post_counts = [0i32; GROUPS];
    let mut post_rows = Vec::with_capacity(POSTS);
    for _ in 0..POSTS {
        let g = rng.random_range(0..GROUPS);
        let author = members[g][rng.random_range(0..members[g].len())];
        let created = now - Duration::seconds(rng.random_range(3_600..31_536_000));
        post_counts[g] += 1;
        let title = crate::words::phrase(&mut rng, 4);
        post_rows.push((PostId::generate(), g, author, created, title));
    }
    let groups_rows = (0..GROUPS).map(|g| groups::ActiveModel {
        id: Set(group_ids[g].clone()),
        name: Set(format!("Bench group {g}")),
        description: Set("A seeded group".into()),
        topic: Set(Topic::Other),
        tags: Set(String::new()),
        visibility: Set(if g % 3 == 0 {
            Visibility::Private
        } else {
            Visibility::Public
        }),
        led_by: Set(LedBy::Peer),
        rules: Set(String::new()),
        created_by: Set(user_ids[members[g][0]].clone()),
        member_count: Set(members[g].len() as i32),
        post_count: Set(post_counts[g]),
        created_at: Set(now),
        updated_at: Set(now),
    });
    groups::Entity::insert_many(groups_rows).exec(db).await?;
    let membership_rows: Vec<memberships::ActiveModel> = members
        .iter()
        .enumerate()
        .flat_map(|(g, us)| us.iter().enumerate().map(move |(i, u)| (g, *u, i == 0)))
        .map(|(g, u, owner)| memberships::ActiveModel {
            group_id: Set(group_ids[g].clone()),
            user_id: Set(user_ids[u].clone()),
            role: Set(if owner { Role::Owner } else { Role::Member }),
            state: Set(MemberState::Active),
            alias: Set(None),
            alias_key: Set(None),
            notification_level: Set(NotificationLevel::Replies),
            created_at: Set(now),
            joined_at: Set(Some(now)),
        })
        .collect();
    for chunk in membership_rows.chunks(1_000) {
        memberships::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }

    insert_posts(db, &post_rows, &group_ids, &user_ids).await?;
    let mut reply_rows = Vec::with_capacity(10_000);
    for _ in 0..REPLIES {
        let p = rng.random_range(0..POSTS);
        let g = post_rows[p].1;
        let author = members[g][rng.random_range(0..members[g].len())];
        let at = post_rows[p].3 + Duration::seconds(rng.random_range(1..86_400));
        reply_rows.push(replies::ActiveModel::fresh(replies::NewRow {
            id: ReplyId::generate(),
            post_id: post_rows[p].0.clone(),
            group_id: group_ids[g].clone(),
            author_id: user_ids[author].clone(),
            body: "A seeded reply with a few words of support.".into(),
            at,
        }));
        if reply_rows.len() == 10_000 {
            for chunk in reply_rows.chunks(1_000) {
                replies::Entity::insert_many(chunk.to_vec())
                    .exec(db)
                    .await?;
            }
            reply_rows.clear();
        }
    }
    fix_post_counters(db).await?;
    let mut reaction_rows = Vec::new();
    let kinds: Vec<ReactionKind> = ReactionKind::iter().collect();
    for _ in 0..100_000 {
        let p = rng.random_range(0..POSTS);
        let g = post_rows[p].1;
        let who = members[g][rng.random_range(0..members[g].len())];
        let kind = kinds[rng.random_range(0..kinds.len())];
        reaction_rows.push((post_rows[p].0.clone(), user_ids[who].clone(), kind));
    }
    reaction_rows.sort();
    reaction_rows.dedup();
    for chunk in reaction_rows.chunks(1_000) {
        let rows = chunk
            .iter()
            .map(|(post, user, kind)| reactions::ActiveModel {
                target_type: Set(ContentType::Post),
                target_id: Set(post.to_string()),
                user_id: Set(user.clone()),
                kind: Set(*kind),
                created_at: Set(now),
            });
        reactions::Entity::insert_many(rows).exec(db).await?;
    }
    println!(
        "seed: {USERS} users, {GROUPS} groups, {POSTS} posts, {REPLIES} replies in {:.0?}",
        started.elapsed()
    );
    Ok(())
}

async fn insert_posts(
    db: &DatabaseConnection,
    rows: &[SeedPost],
    group_ids: &[GroupId],
    user_ids: &[UserId],
) -> anyhow::Result<()> {
    for chunk in rows.chunks(1_000) {
        let models = chunk.iter().map(|(pid, g, author, created, title)| {
            posts::ActiveModel::fresh(posts::NewRow {
                id: pid.clone(),
                group_id: group_ids[*g].clone(),
                author_id: user_ids[*author].clone(),
                title: title.clone(),
                body: "Some days are heavier than others; this one is seeded.".into(),
                at: *created,
            })
        });
        posts::Entity::insert_many(models).exec(db).await?;
    }
    Ok(())
}

/// Sets each post's reply count and last activity from its replies, in one statement.
async fn fix_post_counters(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.execute_unprepared(
        "UPDATE posts SET reply_count = (SELECT COUNT(*) FROM replies r WHERE r.post_id = posts.id), \
         last_activity_at = COALESCE((SELECT MAX(r.created_at) FROM replies r WHERE r.post_id = posts.id), posts.created_at)",
    )
    .await?;
    Ok(())
}

pub(crate) const FEED: &str = "query Feed { feed(first: 20) { edges { cursor node { id title replyCount lastActivityAt author { id displayName } group { id name } reactionCounts { kind count } myReactions } } } }";

pub async fn run(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let server = load::start_server().await?;
    let db = api::db::connect(&server.database_url).await?;
    seed(&db).await.context("seeding")?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for n in 0..concurrency.min(USERS) {
        let body: Value = http
            .post(&server.url)
            .json(&json!({"query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }", "variables": {"i": {"email": email(n), "password": PASSWORD}}}))
            .send()
            .await?
            .json()
            .await?;
        tokens.push(
            body["data"]["login"]["accessToken"]
                .as_str()
                .context("login failed")?
                .to_owned(),
        );
    }
    let probe: Value = http
        .post(&server.url)
        .bearer_auth(&tokens[0])
        .json(&json!({"query": FEED}))
        .send()
        .await?
        .json()
        .await?;
    let edges = probe["data"]["feed"]["edges"]
        .as_array()
        .map_or(0, Vec::len);
    anyhow::ensure!(edges == 20, "the feed page is not full: {probe}");

    let measure_at = |url: String, query: &'static str, total: usize| {
        let (http, tokens) = (http.clone(), tokens.clone());
        load::run(total, concurrency, move |i| {
            let (http, url) = (http.clone(), url.clone());
            let token = tokens[i % tokens.len()].clone();
            load::answered_without_errors(
                http.post(&url)
                    .bearer_auth(token)
                    .json(&json!({"query": query})),
            )
        })
    };
    let measure = |query: &'static str, total: usize| measure_at(server.url.clone(), query, total);
    // Warm up both paths, then measure them back to back on the same server.
    measure(FEED, concurrency * 10).await;
    let typename = measure("query Ceiling { __typename }", requests * 4).await;
    let feed = measure(FEED, requests).await;
    // Every write empties the page cache: the feed read while someone replies every 20 ms in a
    // group of the first reader's (50 writes a second), for four times as many requests.
    let replied_to = probe["data"]["feed"]["edges"][0]["node"]["id"].clone();
    let replier = load::Replier::start(
        http.clone(),
        server.url.clone(),
        tokens[0].clone(),
        replied_to,
        std::time::Duration::from_millis(20),
    );
    let started = std::time::Instant::now();
    let under_writes = measure(FEED, requests * 4).await;
    let elapsed = started.elapsed();
    let written = replier.stop().await?;
    // The same feed from a second server on the same database with the page cache off: what
    // each read costs when nothing is kept.
    let database_url = server.database_url.clone();
    let unkept = load::start_server_with(|settings| {
        settings.database_url = database_url;
        settings.page_cache_keep = std::time::Duration::ZERO;
    })
    .await?;
    measure_at(unkept.url.clone(), FEED, concurrency * 10).await;
    let without_memo = measure_at(unkept.url.clone(), FEED, requests).await;
    println!(
        "database: {}",
        if server.database_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    typename.print(&format!("{{ __typename }} ({concurrency} clients)"));
    feed.print(&format!("feed page, 20 posts ({concurrency} clients)"));
    println!(
        "feed / __typename: {:.1} %",
        100.0 * feed.per_second() / typename.per_second()
    );
    under_writes.print(&format!(
        "feed page while replies land ({written} in {:.1} s)",
        elapsed.as_secs_f64()
    ));
    println!(
        "feed while replies land / __typename: {:.1} %",
        100.0 * under_writes.per_second() / typename.per_second()
    );
    without_memo.print(&format!(
        "feed page, page cache off ({concurrency} clients)"
    ));
    println!(
        "feed with the memo off / __typename: {:.1} %",
        100.0 * without_memo.per_second() / typename.per_second()
    );
    Ok(())
}

//! Replies on a hot thread: 32 members of one group of the feed bench's database reply to one
//! post, then to posts spread over the group, each reply with its own idempotency key. Every
//! reply still writes its notifications and push jobs in its own transaction.
use crate::{feed, load};
use anyhow::Context as _;
use entity::enums::MemberState;
use entity::ids::{GroupId, PostId, UserId};
use entity::{memberships, posts, users};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use std::sync::Arc;

const REPLY: &str = "mutation Reply($i: CreateReplyInput!) { createReply(input: $i) { id } }";
/// Posts the spread-out run replies to.
const SPREAD_POSTS: u64 = 1_000;

/// The first seeded group with enough members, and the emails of `n` of them.
async fn members_of_a_group(
    db: &DatabaseConnection,
    n: usize,
) -> anyhow::Result<(GroupId, Vec<String>)> {
    let groups: Vec<GroupId> = memberships::Entity::find()
        .select_only()
        .column(memberships::Column::GroupId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    for group in groups {
        let people: Vec<UserId> = memberships::Entity::find()
            .select_only()
            .column(memberships::Column::UserId)
            .filter(memberships::Column::GroupId.eq(&group))
            .filter(memberships::Column::State.eq(MemberState::Active))
            .into_tuple()
            .all(db)
            .await?;
        if people.len() < n {
            continue;
        }
        let emails: Vec<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Email)
            .filter(users::Column::Id.is_in(people.into_iter().take(n)))
            .filter(users::Column::Email.starts_with("bench"))
            .into_tuple()
            .all(db)
            .await?;
        if emails.len() == n {
            return Ok((group, emails));
        }
    }
    anyhow::bail!("no seeded group has {n} members")
}

pub async fn run(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let server = load::start_server().await?;
    let db = api::db::connect(&server.database_url).await?;
    feed::seed(&db).await.context("seeding the feed")?;
    let (group, emails) = members_of_a_group(&db, concurrency).await?;
    let spread: Vec<PostId> = posts::Entity::find()
        .select_only()
        .column(posts::Column::Id)
        .filter(posts::Column::GroupId.eq(&group))
        .filter(posts::Column::DeletedAt.is_null())
        .filter(posts::Column::RemovedAt.is_null())
        .order_by_desc(posts::Column::CreatedAt)
        .limit(SPREAD_POSTS)
        .into_tuple()
        .all(&db)
        .await?;
    let hot = spread.first().context("the group has no posts")?.clone();
    let http = reqwest::Client::new();
    let mut tokens = Vec::with_capacity(emails.len());
    for email in &emails {
        let (token, _) = load::sign_in(&http, &server.url, email, feed::PASSWORD).await?;
        tokens.push(token);
    }
    let replies_before = reply_count(&http, &server.url, &tokens[0], &hot).await?;
    // Keys of this run only: a reused database keeps earlier runs' replies.
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();

    let reply_to = |label: &'static str, posts: Vec<PostId>| {
        let (http, url, tokens) = (http.clone(), server.url.clone(), tokens.clone());
        let posts = Arc::new(posts);
        async move {
            let stats = load::run(requests, concurrency, move |i| {
                let (http, url) = (http.clone(), url.clone());
                let token = tokens[i % tokens.len()].clone();
                let post = posts[i % posts.len()].clone();
                let body = json!({"query": REPLY, "variables": {"i": {
                    "postId": post,
                    "body": format!("Reply {i} of a busy evening, thinking of you all"),
                    "idempotencyKey": format!("{run_id}-{label}-{i}"),
                }}});
                load::answered_without_errors(http.post(&url).bearer_auth(token).json(&body))
            })
            .await;
            stats.print(label);
            stats
        }
    };
    let one = reply_to("createReply, one post", vec![hot.clone()]).await;
    let replies_after = reply_count(&http, &server.url, &tokens[0], &hot).await?;
    anyhow::ensure!(
        replies_after - replies_before == (one.requests - one.errors) as i64,
        "the hot post counts {} new replies for {} acknowledged",
        replies_after - replies_before,
        one.requests - one.errors
    );
    reply_to("createReply, 1 000 posts", spread).await;
    println!(
        "database: {}; {concurrency} members of one group, each reply notifying its thread",
        if server.database_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    Ok(())
}

async fn reply_count(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    post: &PostId,
) -> anyhow::Result<i64> {
    let data = load::gql(
        http,
        url,
        Some(token),
        "query($id: ID!) { post(id: $id) { replyCount } }",
        json!({"id": post}),
    )
    .await?;
    data["post"]["replyCount"]
        .as_i64()
        .context("no reply count")
}

//! Push throughput: queued push jobs delivered by one worker through the sender to a fake FCM
//! (the one the tests use) on loopback.
use crate::load;
use anyhow::Context as _;
use entity::enums::NotificationKind;
use entity::ids::{GroupId, NotificationId, PostId, ReplyId, UserId};
use sea_orm::{ActiveModelTrait as _, Set};
use serde_json::json;
use std::time::{Duration, Instant};

/// The people the jobs are for, each a member of the group with a phone of their own.
const RECIPIENTS: usize = 200;
const PASSWORD: &str = "a benchmark password";

pub async fn run(jobs: usize, latency_ms: u64) -> anyhow::Result<()> {
    let fcm = crate::fake_fcm::FakeFcm::start().await;
    fcm.set_latency(Duration::from_millis(latency_ms));
    let dir = tempfile::tempdir()?;
    let credentials = fcm.write_credentials(dir.path());
    let endpoint = fcm.endpoint();
    let server = load::start_server_with(move |s| {
        s.fcm_credentials = Some(credentials);
        s.fcm_endpoint = endpoint;
        s.run_workers = false;
    })
    .await?;
    let http = reqwest::Client::new();
    // Each job tells one of RECIPIENTS members, each with a phone, of a reply in a hidden group,
    // as a real one does, so the worker asks again for every job whether its person may still
    // hear of it (their standing in the group, a block with the replier, the reply still there)
    // before it sends.
    let (owner_token, owner_id) = server
        .sign_up(&http, "owner@example.org", "Push Owner", PASSWORD)
        .await?;
    let group = load::gql(
        &http,
        &server.url,
        Some(&owner_token),
        "mutation { createGroup(input: {name: \"Push bench group\", description: \"\", topic: DEPRESSION, visibility: HIDDEN, ledBy: PEER}) { id } }",
        json!({}),
    )
    .await?["createGroup"]["id"]
        .as_str()
        .context("no group")?
        .to_owned();
    let mut members = Vec::with_capacity(RECIPIENTS);
    for n in 0..RECIPIENTS {
        members.push(member(&server, &http, &owner_token, &group, n).await?);
    }
    let context = server.context.clone().context("no context")?;
    let mut replies = Vec::with_capacity(100);
    for n in 0..100 {
        let post = load::gql(
            &http,
            &server.url,
            Some(&owner_token),
            "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
            json!({"i": {"groupId": group, "title": format!("Post {n}"), "body": "A hard week"}}),
        )
        .await?["createPost"]["id"]
            .as_str()
            .context("no post")?
            .to_owned();
        let reply = insert_reply(&context.db, &group, &post, &owner_id, n).await?;
        replies.push((post, reply));
    }
    let now = chrono::Utc::now();
    let mut notifications = Vec::with_capacity(jobs);
    let mut rows = Vec::with_capacity(jobs);
    for n in 0..jobs {
        let (post, reply) = &replies[n % replies.len()];
        let recipient = UserId::from(members[n % members.len()].as_str());
        let id = NotificationId::generate();
        notifications.push(entity::notifications::ActiveModel {
            id: Set(id.clone()),
            user_id: Set(recipient.clone()),
            kind: Set(NotificationKind::Reply),
            group_id: Set(Some(GroupId::from(group.as_str()))),
            post_id: Set(Some(PostId::from(post.as_str()))),
            reply_id: Set(Some(reply.clone())),
            actor_id: Set(Some(UserId::from(owner_id.as_str()))),
            question_id: Set(None),
            answer_id: Set(None),
            meeting_id: Set(None),
            detail: Set(None),
            count: Set(1),
            read_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
        rows.push(entity::push_jobs::ActiveModel::pending(
            recipient,
            NotificationKind::Reply,
            Some(id),
            Some(post.clone()),
            now,
        ));
    }
    load::insert_in_chunks(&context.db, &notifications).await?;
    load::insert_in_chunks(&context.db, &rows).await?;
    let started = Instant::now();
    let stop = tokio_util::sync::CancellationToken::new();
    api::push::worker::spawn(
        context.workers(),
        context.push.clone(),
        context.settings.push_worker.clone(),
        stop.clone(),
    );
    let deadline = started + Duration::from_secs(600);
    while fcm.send_count() < jobs && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    stop.cancel();
    let sent = fcm.send_count();
    println!(
        "push: {sent} of {jobs} jobs sent to the fake FCM ({latency_ms} ms to answer each) by one worker on {} in {:.2} s: {:.0} pushes/s",
        if server.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" },
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64()
    );
    let traffic = fcm.traffic();
    println!(
        "push: the fake FCM ({} streams a connection) took {} connections, at most {} sends in flight at once, {} sends not over HTTP/2",
        crate::fake_fcm::STREAMS,
        traffic.connections,
        traffic.most_in_flight,
        traffic.sends_not_over_http2
    );
    Ok(())
}

/// Member `n` of `group`, invited by its owner, with a phone: their id.
async fn member(
    server: &load::Server,
    http: &reqwest::Client,
    owner_token: &str,
    group: &str,
    n: usize,
) -> anyhow::Result<String> {
    let (token, id) = server
        .sign_up(
            http,
            &format!("member{n}@example.org"),
            &format!("Push Member {n}"),
            PASSWORD,
        )
        .await?;
    load::gql(
        http,
        &server.url,
        Some(owner_token),
        "mutation($g: ID!, $u: ID!) { inviteMember(groupId: $g, userId: $u) }",
        json!({"g": group, "u": id}),
    )
    .await?;
    load::gql(
        http,
        &server.url,
        Some(&token),
        "mutation($g: ID!) { joinGroup(groupId: $g) { state } }",
        json!({"g": group}),
    )
    .await?;
    load::gql(
        http,
        &server.url,
        Some(&token),
        "mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID}) { id } }",
        json!({"t": format!("bench-device-{n}")}),
    )
    .await?;
    Ok(id)
}

/// One reply to `post`, written straight into the table (replies are not what is measured).
async fn insert_reply(
    db: &sea_orm::DatabaseConnection,
    group: &str,
    post: &str,
    author: &str,
    n: usize,
) -> anyhow::Result<ReplyId> {
    let id = ReplyId::generate();
    entity::replies::ActiveModel::fresh(entity::replies::NewRow {
        id: id.clone(),
        post_id: PostId::from(post),
        group_id: GroupId::from(group),
        author_id: UserId::from(author),
        body: format!("Thinking of you, reply {n}"),
        at: chrono::Utc::now(),
    })
    .insert(db)
    .await?;
    Ok(id)
}

//! Push throughput: queued push jobs delivered by one worker through the sender to a fake FCM
//! (the one the tests use) on loopback.
use crate::load;
use anyhow::Context as _;
use entity::enums::NotificationKind;
use entity::ids::UserId;
use sea_orm::EntityTrait;
use serde_json::json;
use std::time::{Duration, Instant};

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
    let (token, user_id) = server
        .sign_up(
            &http,
            "push@example.org",
            "Push Bench",
            "a benchmark password",
        )
        .await?;
    http.post(&server.url)
        .bearer_auth(&token)
        .json(&json!({"query": "mutation { registerDevice(input: {token: \"bench-device\", platform: ANDROID}) { id } }"}))
        .send()
        .await?;

    let context = server.context.clone().context("no context")?;
    let now = chrono::Utc::now();
    let rows: Vec<entity::push_jobs::ActiveModel> = (0..jobs)
        .map(|n| {
            entity::push_jobs::ActiveModel::pending(
                UserId::from(user_id.as_str()),
                NotificationKind::Reply,
                None,
                Some(format!("post-{}", n % 100)),
                now,
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        entity::push_jobs::Entity::insert_many(chunk.to_vec())
            .exec(&context.db)
            .await?;
    }
    let started = Instant::now();
    let stop = tokio_util::sync::CancellationToken::new();
    api::push::worker::spawn(
        context.clone(),
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

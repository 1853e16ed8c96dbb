//! Fan-out and memory: N sockets subscribed to one group's `postAdded`, one post, the time from
//! sending the post to each socket receiving it; and the server's RSS growth per idle socket.
//! The server runs as its own process (`target/release/hearth`), so its RSS is its own.
use crate::load;
use crate::process::{cpu, memory_kib, ServerProcess};
use anyhow::Context as _;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// CPU time a process has used, in milliseconds.
fn cpu_ms(pid: u32) -> anyhow::Result<u64> {
    Ok(cpu(pid)?.as_millis() as u64)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribed_socket(base: &str, token: &str, group: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{base}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    // tungstenite's default read buffer is 128 KiB, zeroed on every read: with 10 000 sockets
    // that memset was most of this load generator's CPU, taken from the server's two cores.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), false).await?;
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    socket.send(Message::Text(init.to_string().into())).await?;
    socket.next().await.context("no ack")??;
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription($g: ID!) { postAdded(groupId: $g) { id title } }", "variables": {"g": group}}});
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    Ok(socket)
}

pub async fn run(sockets: usize) -> anyhow::Result<()> {
    let server = ServerProcess::start(|command| {
        command
            .env("HEARTH_WS_INIT_TIMEOUT_SECS", "120")
            .env("HEARTH_POSTS_PER_HOUR", "1000000")
            .args(["serve", "--no-workers"]);
    })
    .await?;
    let http = reqwest::Client::new();
    let base = server.base.clone();
    let graphql_url = format!("http://{base}/graphql");
    server.create_user("fan@example.org", "Fan Out", "a benchmark password")?;
    let (token, _) = load::sign_in(
        &http,
        &graphql_url,
        "fan@example.org",
        "a benchmark password",
    )
    .await?;
    let created = load::gql(&http, &graphql_url, Some(&token), "mutation { createGroup(input: {name: \"Fan-out\", topic: OTHER, visibility: PUBLIC, ledBy: PEER}) { id } }", json!({})).await?;
    let group = created["createGroup"]["id"]
        .as_str()
        .context("no group")?
        .to_owned();

    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = memory_kib(server.pid(), "VmRSS:")?;
    let mut opened = Vec::with_capacity(sockets);
    for chunk in (0..sockets).collect::<Vec<_>>().chunks(250) {
        let batch = futures::future::join_all(
            chunk
                .iter()
                .map(|_| subscribed_socket(&base, &token, &group)),
        )
        .await;
        for socket in batch {
            opened.push(socket?);
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = memory_kib(server.pid(), "VmRSS:")?;
    let per_socket = (after.saturating_sub(before)) as f64 * 1024.0 / sockets as f64;

    let sent_at: Arc<OnceLock<Instant>> = Arc::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for mut socket in opened {
        let (sent_at, tx) = (sent_at.clone(), tx.clone());
        tokio::spawn(async move {
            let arrived = tokio::time::timeout(Duration::from_secs(60), socket.next()).await;
            let latency = match (arrived, sent_at.get()) {
                (Ok(Some(Ok(Message::Text(_)))), Some(sent)) => Some(sent.elapsed()),
                _ => None,
            };
            // Sockets stay open until every one has reported, so closing does not compete with the fan-out.
            let _ = tx.send((latency, socket));
        });
    }
    drop(tx);
    let cpu_before = cpu_ms(server.pid())?;
    let own_cpu_before = cpu_ms(std::process::id())?;
    let _ = sent_at.set(Instant::now());
    load::gql(&http, &graphql_url, Some(&token), "mutation($g: ID!) { createPost(input: {groupId: $g, title: \"to everyone\", body: \"fan-out\"}) { id } }", json!({"g": group})).await?;
    let mut latencies = Vec::with_capacity(sockets);
    let mut missed = 0;
    let mut finished = Vec::with_capacity(sockets);
    while let Some((latency, socket)) = rx.recv().await {
        finished.push(socket);
        match latency {
            Some(l) => latencies.push(l),
            None => missed += 1,
        }
    }
    let cpu = cpu_ms(server.pid())? - cpu_before;
    let own_cpu = cpu_ms(std::process::id())? - own_cpu_before;
    drop(finished);
    latencies.sort();
    let pick = |p: f64| {
        latencies
            .get(((p / 100.0) * (latencies.len().max(1) - 1) as f64).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    println!("fan-out to {sockets} sockets (server: SQLite, in-process broker): {} received, {missed} missed", latencies.len());
    println!(
        "publish -> receive: first {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, last {:.1} ms",
        latencies.first().copied().unwrap_or_default().as_secs_f64() * 1e3,
        pick(50.0).as_secs_f64() * 1e3,
        pick(99.0).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("CPU for the post and its fan-out: server {cpu} ms, this load generator {own_cpu} ms (same cores)");
    println!("server RSS: {before} KiB idle, {after} KiB with {sockets} subscribed sockets: {:.1} KiB per socket", per_socket / 1024.0);
    Ok(())
}

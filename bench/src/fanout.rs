//! Fan-out and memory: N sockets subscribed to one group's `postAdded`, one post, the time from
//! sending the post to each socket receiving it; and the server's RSS growth per idle socket.
//! The server runs as its own process (`target/release/hearth`), so its RSS is its own. With
//! `--across`, two do, on PostgreSQL and Redis: the post is written on one and its sockets are on
//! the other, so the event crosses the broker.
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

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Sockets opened from one loopback source address: a source address and port pair is one
/// connection, and the kernel's ephemeral range (32768–60999 by default) holds about 28 000.
const SOCKETS_PER_SOURCE: usize = 20_000;

/// 127.0.0.2, 127.0.0.3, …: the whole of 127/8 is this machine's.
fn source_address(n: usize) -> std::net::SocketAddr {
    let step = (n / SOCKETS_PER_SOURCE) as u32;
    let ip = std::net::Ipv4Addr::from(u32::from(std::net::Ipv4Addr::new(127, 0, 0, 2)) + step);
    std::net::SocketAddr::from((ip, 0))
}

async fn subscribed_socket(
    n: usize,
    server: std::net::SocketAddr,
    token: &str,
    group: &str,
) -> anyhow::Result<Socket> {
    let tcp = tokio::net::TcpSocket::new_v4()?;
    // The port is picked at connect, as for an unbound socket, so one in TIME_WAIT towards
    // another server can be used again; and closing resets rather than leaving TIME_WAIT behind,
    // which would hold tens of thousands of ports for a minute after the run.
    let fd = std::os::fd::AsRawFd::as_raw_fd(&tcp);
    set_option(
        fd,
        libc::IPPROTO_IP,
        libc::IP_BIND_ADDRESS_NO_PORT,
        1 as libc::c_int,
    )?;
    let reset = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    set_option(fd, libc::SOL_SOCKET, libc::SO_LINGER, reset)?;
    tcp.bind(source_address(n))?;
    let stream = tcp.connect(server).await?;
    let mut request = format!("ws://{server}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    // tungstenite's default read buffer is 128 KiB, zeroed on every read: with 10 000 sockets
    // that memset was most of this load generator's CPU, taken from the server's two cores.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut socket, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
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

fn set_option<T>(
    fd: std::os::fd::RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: T,
) -> anyhow::Result<()> {
    // SAFETY: setsockopt reads `size_of::<T>()` bytes from a live local.
    let set = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            std::ptr::addr_of!(value).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    anyhow::ensure!(set == 0, "setsockopt({level}, {name}) failed");
    Ok(())
}

/// Raises this process's open-file limit (which the servers it starts inherit) towards `wanted`:
/// the hard limit too when allowed (`CAP_SYS_RESOURCE`), else the soft limit up to the hard one.
/// What it got.
fn raise_file_limit(wanted: u64) -> anyhow::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read or write the struct passed by pointer.
    unsafe {
        anyhow::ensure!(
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0,
            "getrlimit failed"
        );
        if limit.rlim_cur >= wanted {
            return Ok(limit.rlim_cur);
        }
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: wanted.max(limit.rlim_max),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
            return Ok(wanted);
        }
        let within = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        anyhow::ensure!(
            libc::setrlimit(libc::RLIMIT_NOFILE, &within) == 0,
            "setrlimit failed"
        );
        Ok(limit.rlim_max)
    }
}

/// Where the sockets listen and the post is written: one server on SQLite with the in-process
/// broker, or (`--across`) two on PostgreSQL and Redis, the sockets on B and the post sent to A.
struct Servers {
    writer: ServerProcess,
    listener: Option<ServerProcess>,
    label: &'static str,
}

impl Servers {
    async fn start(across: bool) -> anyhow::Result<Self> {
        let common = |command: &mut std::process::Command| {
            command
                .env("HEARTH_WS_INIT_TIMEOUT_SECS", "120")
                .env("HEARTH_POSTS_PER_HOUR", "1000000")
                .env("HEARTH_LOGIN_ATTEMPTS_PER_IP", "1000000")
                .args(["serve", "--no-workers"]);
        };
        if !across {
            return Ok(Servers {
                writer: ServerProcess::start(common).await?,
                listener: None,
                label: "one server, SQLite, in-process broker",
            });
        }
        let database = std::env::var("HEARTH_BENCH_DATABASE_URL")
            .context("--across needs HEARTH_BENCH_DATABASE_URL (PostgreSQL)")?;
        let redis = std::env::var("HEARTH_BENCH_REDIS_URL")
            .context("--across needs HEARTH_BENCH_REDIS_URL")?;
        let shared = |command: &mut std::process::Command| {
            command
                .env("HEARTH_DATABASE_URL", &database)
                .env("HEARTH_REDIS_URL", &redis);
        };
        crate::process::migrate(|command| {
            shared(command);
            command.env(
                "HEARTH_JWT_SECRET",
                "bench-secret-bench-secret-bench-secret-0123",
            );
        })?;
        let start = || {
            ServerProcess::start(|command| {
                shared(command);
                common(command);
            })
        };
        Ok(Servers {
            writer: start().await?,
            listener: Some(start().await?),
            label: "post written on instance A, sockets on instance B, PostgreSQL and Redis",
        })
    }

    fn listener(&self) -> &ServerProcess {
        self.listener.as_ref().unwrap_or(&self.writer)
    }
}

pub async fn run(asked: usize, across: bool) -> anyhow::Result<()> {
    // Each socket is an open file here and one in the server; a thousand more for the rest.
    const SPARE: u64 = 1_000;
    let wanted = asked as u64 + SPARE;
    let limit = raise_file_limit(wanted)?;
    let sockets = asked.min(limit.saturating_sub(SPARE) as usize);
    println!("open-file limit: asked {wanted}, got {limit}");
    if sockets < asked {
        println!("the hard open-file limit allows {sockets} of the {asked} sockets asked for: measuring {sockets}");
    }
    let servers = Servers::start(across).await?;
    let http = reqwest::Client::new();
    let graphql_url = servers.writer.url("/graphql");
    let listener_address: std::net::SocketAddr = servers.listener().base.parse()?;
    let email = format!("fan-{}@example.org", std::process::id());
    servers
        .writer
        .create_user(&email, "Fan Out", "a benchmark password")?;
    let (token, _) = load::sign_in(&http, &graphql_url, &email, "a benchmark password").await?;
    let created = load::gql(&http, &graphql_url, Some(&token), "mutation { createGroup(input: {name: \"Fan-out\", topic: OTHER, visibility: PUBLIC, ledBy: PEER}) { id } }", json!({})).await?;
    let group = created["createGroup"]["id"]
        .as_str()
        .context("no group")?
        .to_owned();
    let server = servers.listener();

    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = memory_kib(server.pid(), "VmRSS:")?;
    let mut opened = Vec::with_capacity(sockets);
    let opening = Instant::now();
    for chunk in (0..sockets).collect::<Vec<_>>().chunks(250) {
        let batch = futures::future::join_all(
            chunk
                .iter()
                .map(|&n| subscribed_socket(n, listener_address, &token, &group)),
        )
        .await;
        for socket in batch {
            opened.push(socket?);
        }
    }
    let opened_in = opening.elapsed();
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
    let writer_cpu_before = cpu_ms(servers.writer.pid())?;
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
    let writer_cpu = cpu_ms(servers.writer.pid())? - writer_cpu_before;
    let own_cpu = cpu_ms(std::process::id())? - own_cpu_before;
    drop(finished);
    latencies.sort();
    let pick = |p: f64| {
        latencies
            .get(((p / 100.0) * (latencies.len().max(1) - 1) as f64).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "fan-out to {sockets} sockets ({}): {} received, {missed} missed",
        servers.label,
        latencies.len()
    );
    println!(
        "publish -> receive: first {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, last {:.1} ms",
        latencies.first().copied().unwrap_or_default().as_secs_f64() * 1e3,
        pick(50.0).as_secs_f64() * 1e3,
        pick(99.0).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    if across {
        println!("CPU for the post and its fan-out: instance A {writer_cpu} ms, instance B {cpu} ms, this load generator {own_cpu} ms (same cores)");
    } else {
        println!("CPU for the post and its fan-out: server {cpu} ms, this load generator {own_cpu} ms (same cores)");
    }
    println!(
        "{sockets} sockets opened and subscribed in {:.1} s",
        opened_in.as_secs_f64()
    );
    println!("server RSS: {before} KiB idle, {after} KiB with {sockets} subscribed sockets: {:.1} KiB per socket", per_socket / 1024.0);
    Ok(())
}

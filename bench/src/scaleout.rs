//! The deployment's shape, run: two API processes (`serve --no-workers`) and one `worker`
//! process on PostgreSQL and Redis, Debian's nginx in front with `deploy/nginx.conf`, the fake FCM
//! on loopback. Clients sign in, subscribe and write through nginx; one API process is killed
//! (SIGKILL) mid-run and another started in its place. Clients reconnect, subscribe again and
//! catch up by query, as the README tells app developers. Then it checks that every acknowledged
//! write is there once, that every reply to another's post told its author and each such
//! notification was pushed once, that every client has every post of its group, and that nginx
//! answered 5xx only while an instance was down. It prints its figures and fails (exit 1) on any
//! miss. `.ci/scale-out` runs it.
use crate::load;
use crate::process::{free_port, server_binary, ServerProcess};
use anyhow::Context as _;
use futures::{SinkExt as _, StreamExt as _};
use sea_orm::{ConnectionTrait as _, Statement};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const CLIENTS: usize = 8;
const GROUPS: usize = 2;
const PASSWORD: &str = "a scale-out password";
/// Clients write until then; instance A is killed at `KILL_AT` and replaced at `BACK_AT`.
const WRITE_FOR: Duration = Duration::from_secs(20);
const KILL_AT: Duration = Duration::from_secs(7);
const BACK_AT: Duration = Duration::from_secs(9);
/// After the replacement is up, nginx may still answer 5xx this long (its own retry of a dead
/// upstream), still inside the kill window.
const SETTLE: Duration = Duration::from_secs(2);
const BETWEEN_WRITES: Duration = Duration::from_millis(250);

/// What the clients saw, shared.
#[derive(Default)]
struct Record {
    /// (group, post id) of every acknowledged post.
    posts: Mutex<Vec<(usize, String)>>,
    /// (reply id, post id, replier) of every acknowledged reply.
    replies: Mutex<Vec<(String, String, usize)>>,
    /// (time since start, HTTP status) of every write request through nginx.
    statuses: Mutex<Vec<(Duration, u16)>>,
    /// Post ids each client knows of: live events and catch-up queries.
    known: Mutex<HashMap<usize, HashSet<String>>>,
    reconnects: AtomicUsize,
    /// When each reconnect was subscribed and caught up again, since start.
    recovered: Mutex<Vec<Duration>>,
}

struct Client {
    n: usize,
    group: usize,
    group_id: String,
    user_id: String,
    token: String,
}

/// nginx's master process and its prefix folder; stopped with `nginx -s stop` (killing the
/// master alone would leave its workers running).
struct Nginx(Child, std::path::PathBuf);

impl Drop for Nginx {
    fn drop(&mut self) {
        let dir = &self.1;
        let _ = Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-s", "stop"])
            .output();
        let _ = self.0.wait();
    }
}

pub async fn run() -> anyhow::Result<()> {
    let database_url = std::env::var("HEARTH_SCALEOUT_DATABASE_URL")
        .context("set HEARTH_SCALEOUT_DATABASE_URL to an empty PostgreSQL database")?;
    let redis_url =
        std::env::var("HEARTH_SCALEOUT_REDIS_URL").context("set HEARTH_SCALEOUT_REDIS_URL")?;
    let fcm = crate::fake_fcm::FakeFcm::start().await;
    let dir = tempfile::tempdir()?;
    let credentials = fcm.write_credentials(dir.path());
    let binary = server_binary()?;
    let environment = |command: &mut Command| {
        command
            .env("HEARTH_DATABASE_URL", &database_url)
            .env("HEARTH_REDIS_URL", &redis_url)
            .env("HEARTH_FCM_CREDENTIALS", &credentials)
            .env("HEARTH_FCM_ENDPOINT", fcm.endpoint())
            .env("HEARTH_TRUST_FORWARDED_FOR", "true")
            .env("HEARTH_POSTS_PER_HOUR", "1000000")
            .env("HEARTH_REPLIES_PER_HOUR", "1000000")
            .env("HEARTH_LOGIN_ATTEMPTS_PER_IP", "1000000")
            .env("HEARTH_KEK", crate::process::BENCH_KEK)
            .env(
                "HEARTH_JWT_SECRET",
                "bench-secret-bench-secret-bench-secret-0123",
            );
    };
    crate::process::migrate(environment)?;

    let (port_a, port_b) = (free_port()?, free_port()?);
    let api = |port| {
        ServerProcess::start_at(port, |command| {
            environment(command);
            command.args(["serve", "--no-workers"]);
        })
    };
    let mut instance_a = Some(api(port_a).await?);
    let _instance_b = api(port_b).await?;
    let _worker = ServerProcess::start(|command| {
        environment(command);
        command.arg("worker");
    })
    .await?;
    let (nginx, front) = start_nginx(dir.path(), &[port_a, port_b])?;
    let _nginx = Nginx(nginx, dir.path().to_owned());
    let url = format!("http://{front}/graphql");
    wait_until_up(&url).await?;

    let clients = make_clients(&binary, &environment, &url).await?;
    let record = Arc::new(Record::default());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in clients.clone() {
        let (record, url, front) = (record.clone(), url.clone(), front.clone());
        tasks.push(tokio::spawn(listen(
            client.clone(),
            front,
            url.clone(),
            record.clone(),
            start,
        )));
        tasks.push(tokio::spawn(write(client, url, record, start)));
    }
    tokio::time::sleep_until((start + KILL_AT).into()).await;
    drop(instance_a.take()); // SIGKILL
    println!(
        "scale-out: instance A killed at {:.1} s",
        start.elapsed().as_secs_f64()
    );
    tokio::time::sleep_until((start + BACK_AT).into()).await;
    instance_a = Some(api(port_a).await?);
    let back = start.elapsed();
    println!(
        "scale-out: instance A started again, up at {:.1} s",
        back.as_secs_f64()
    );
    for task in tasks {
        task.await??;
    }
    let elapsed = start.elapsed();

    let failures = check(&database_url, &fcm, &record, &clients, back).await?;
    let statuses = locked(&record.statuses)?;
    let in_window = statuses.iter().filter(|(_, s)| *s >= 500).count();
    let mut recovered = locked(&record.recovered)?.clone();
    recovered.sort();
    println!(
        "scale-out: {CLIENTS} clients for {:.1} s: {} write requests through nginx ({} answered 5xx, all in the kill window), {} posts and {} replies acknowledged, {} pushes at the fake FCM, {} sockets reconnected; the last was subscribed and caught up {:.1} s after the kill",
        elapsed.as_secs_f64(),
        statuses.len(),
        in_window,
        locked(&record.posts)?.len(),
        locked(&record.replies)?.len(),
        fcm.send_count(),
        record.reconnects.load(Ordering::Relaxed),
        recovered.last().map_or(0.0, |at| at.saturating_sub(KILL_AT).as_secs_f64()),
    );
    drop(instance_a);
    if failures.is_empty() {
        println!("scale-out: every check held");
        Ok(())
    } else {
        for failure in &failures {
            eprintln!("scale-out: FAILED: {failure}");
        }
        anyhow::bail!("{} checks failed", failures.len())
    }
}

/// nginx from Debian's package with `deploy/nginx.conf`, its upstream the API instances, on a
/// free loopback port; the access log in `dir`.
fn start_nginx(dir: &std::path::Path, ports: &[u16]) -> anyhow::Result<(Child, String)> {
    let front = free_port()?;
    let site =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx.conf"))?;
    let upstream: String = ports
        .iter()
        .map(|port| format!("server 127.0.0.1:{port};\n"))
        .collect();
    anyhow::ensure!(site.contains("server hearth:8000;") && site.contains("listen 80;"));
    let site = site
        .replace("server hearth:8000;", &upstream)
        .replace("listen 80;", &format!("listen 127.0.0.1:{front};"))
        .replace(
            "/var/log/nginx/access.log",
            &dir.join("access.log").display().to_string(),
        );
    std::fs::write(dir.join("site.conf"), site)?;
    std::fs::create_dir_all(dir.join("logs"))?;
    let main = format!(
        "pid {0}/nginx.pid;\nerror_log {0}/logs/error.log;\nevents {{}}\nhttp {{\n include {0}/site.conf;\n}}\n",
        dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), main)?;
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("nginx (Debian's package) must be installed")?;
    Ok((child, format!("127.0.0.1:{front}")))
}

async fn wait_until_up(url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(answer) = http
            .post(url)
            .json(&json!({"query": "{ __typename }"}))
            .send()
            .await
        {
            if answer.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("nginx did not pass requests on")
}

/// Accounts made on the command line, signed in through nginx; two groups with half the clients
/// each; a device per client, so replies to their posts are pushed.
async fn make_clients(
    binary: &std::path::Path,
    environment: &dyn Fn(&mut Command),
    url: &str,
) -> anyhow::Result<Vec<Arc<Client>>> {
    let http = reqwest::Client::new();
    let mut signed_in = Vec::new();
    for n in 0..CLIENTS {
        let email = format!("scale{n}@example.org");
        let mut command = Command::new(binary);
        environment(&mut command);
        let made = command
            .env("HEARTH_NEW_PASSWORD", PASSWORD)
            .args(["admin", "create-user", &email, &format!("Scale Person {n}")])
            .output()?;
        anyhow::ensure!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        signed_in.push(load::sign_in(&http, url, &email, PASSWORD).await?);
    }
    let mut groups = Vec::new();
    for (g, (owner, _)) in signed_in.iter().take(GROUPS).enumerate() {
        let data = load::gql(
            &http,
            url,
            Some(owner),
            "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }",
            json!({"i": {"name": format!("Scale group {g}"), "topic": "OTHER", "visibility": "PUBLIC", "ledBy": "PEER"}}),
        )
        .await?;
        groups.push(
            data["createGroup"]["id"]
                .as_str()
                .context("no group")?
                .to_owned(),
        );
    }
    let mut clients = Vec::new();
    for (n, (token, user_id)) in signed_in.into_iter().enumerate() {
        let group = n % GROUPS;
        if n >= GROUPS {
            load::gql(
                &http,
                url,
                Some(&token),
                "mutation($g: ID!) { joinGroup(groupId: $g) { state } }",
                json!({"g": groups[group]}),
            )
            .await?;
        }
        load::gql(
            &http,
            url,
            Some(&token),
            "mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID}) { id } }",
            json!({"t": format!("scale-device-{n}")}),
        )
        .await?;
        clients.push(Arc::new(Client {
            n,
            group,
            group_id: groups[group].clone(),
            user_id,
            token,
        }));
    }
    Ok(clients)
}

/// Writes through nginx until `WRITE_FOR`: posts and replies to the group's posts by others, each
/// with its own idempotency key, retried with the same key until acknowledged.
async fn write(
    client: Arc<Client>,
    url: String,
    record: Arc<Record>,
    start: Instant,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let mut n = 0;
    while start.elapsed() < WRITE_FOR {
        n += 1;
        let key = format!("scale-{}-{n}", client.n);
        let others_post = {
            let posts = locked(&record.posts)?;
            posts
                .iter()
                .rev()
                .find(|(group, _)| *group == client.group)
                .map(|(_, id)| id.clone())
        };
        let (query, variables) = match others_post.filter(|_| n % 2 == 0) {
            Some(post) => (
                "mutation($i: CreateReplyInput!) { createReply(input: $i) { id postId } }",
                json!({"i": {"postId": post, "body": format!("Reply {key}"), "idempotencyKey": key}}),
            ),
            None => (
                "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
                json!({"i": {"groupId": client.group_id, "title": format!("Post {key}"), "body": "Through nginx", "idempotencyKey": key}}),
            ),
        };
        let data =
            acknowledged(&http, &url, &client.token, query, variables, &record, start).await?;
        if let Some(reply) = data.get("createReply") {
            let id = reply["id"].as_str().context("no reply id")?.to_owned();
            let post = reply["postId"].as_str().context("no post id")?.to_owned();
            locked(&record.replies)?.push((id, post, client.n));
        } else {
            let id = data["createPost"]["id"]
                .as_str()
                .context("no post id")?
                .to_owned();
            locked(&record.posts)?.push((client.group, id));
        }
        tokio::time::sleep(BETWEEN_WRITES).await;
    }
    Ok(())
}

/// Sends a write until it is acknowledged (200 without errors), with the same variables (and so
/// the same idempotency key) each time; every status is recorded.
async fn acknowledged(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
    record: &Record,
    start: Instant,
) -> anyhow::Result<Value> {
    let mut last = String::new();
    for _ in 0..100 {
        let sent = http
            .post(url)
            .bearer_auth(token)
            .timeout(Duration::from_secs(5))
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await;
        if let Ok(answer) = sent {
            let status = answer.status().as_u16();
            locked(&record.statuses)?.push((start.elapsed(), status));
            if let Ok(body) = answer.json::<Value>().await {
                if status == 200 && body.get("errors").is_none() {
                    return Ok(body["data"].clone());
                }
                last = format!("{status} {body}");
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("a write was never acknowledged: {last}")
}

/// One socket at a time through nginx, subscribed to the group's posts; when it drops, another,
/// subscribed again, then the posts caught up by query. Runs until the writes and a grace period
/// are over.
async fn listen(
    client: Arc<Client>,
    front: String,
    url: String,
    record: Arc<Record>,
    start: Instant,
) -> anyhow::Result<()> {
    let until = WRITE_FOR + Duration::from_secs(3);
    let http = reqwest::Client::new();
    let mut first = true;
    while start.elapsed() < until {
        let Ok((mut socket, early)) = subscribed(&front, &client).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        locked(&record.known)?
            .entry(client.n)
            .or_default()
            .extend(early);
        {
            // Caught up by query once subscribed, as an app does on opening and reconnecting.
            let page = load::gql(
                &http,
                &url,
                Some(&client.token),
                "query($g: ID!) { group(id: $g) { posts(first: 100) { edges { node { id } } } } }",
                json!({"g": client.group_id}),
            )
            .await;
            if let Ok(page) = page {
                let ids = page["group"]["posts"]["edges"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let mut known = locked(&record.known)?;
                let mine = known.entry(client.n).or_default();
                mine.extend(
                    ids.iter()
                        .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned)),
                );
            }
            if !first {
                locked(&record.recovered)?.push(start.elapsed());
            }
        }
        first = false;
        loop {
            let left = until.saturating_sub(start.elapsed());
            match tokio::time::timeout(left, socket.next()).await {
                Err(_) => return Ok(()),
                Ok(Some(Ok(Message::Text(text)))) => {
                    let event: Value = serde_json::from_str(&text)?;
                    if event["type"] == "ping" {
                        let _ = socket
                            .send(Message::Text(json!({"type": "pong"}).to_string().into()))
                            .await;
                    }
                    if let Some(id) = event["payload"]["data"]["postAdded"]["id"].as_str() {
                        let mut known = locked(&record.known)?;
                        known.entry(client.n).or_default().insert(id.to_owned());
                    }
                }
                Ok(Some(Ok(_))) => {}
                // Closed (1001 from a server going away, 1006 when it died) or broken.
                Ok(Some(Err(_)) | None) => {
                    record.reconnects.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
    Ok(())
}

/// A lock of the shared record (poisoned only if a client task panicked).
fn locked<T>(mutex: &Mutex<T>) -> anyhow::Result<std::sync::MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| anyhow::anyhow!("a client task panicked"))
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket through nginx, subscribed to the client's group's posts and ready, with the posts
/// that arrived while it got ready.
async fn subscribed(front: &str, client: &Client) -> anyhow::Result<(Socket, Vec<String>)> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{front}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", client.token)}});
    socket.send(Message::Text(init.to_string().into())).await?;
    let ack = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await?
        .context("closed")??;
    anyhow::ensure!(ack.to_text()?.contains("connection_ack"), "no ack: {ack}");
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription($g: ID!) { postAdded(groupId: $g) { id } }", "variables": {"g": client.group_id}}});
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    // Ready when the server says so: a heartbeat started after the subscription ticks once the
    // subscription follows its events (the tests' readiness probe). Posts arriving meanwhile count.
    let probe = json!({"id": "ready", "type": "subscribe", "payload": {"query": "subscription { heartbeat(intervalSeconds: 1) { sequence } }"}});
    socket.send(Message::Text(probe.to_string().into())).await?;
    let mut early = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await?
            .context("closed")??;
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(&text)?;
        if event["id"] == "ready" {
            break;
        }
        if let Some(id) = event["payload"]["data"]["postAdded"]["id"].as_str() {
            early.push(id.to_owned());
        }
    }
    let complete = json!({"id": "ready", "type": "complete"});
    socket
        .send(Message::Text(complete.to_string().into()))
        .await?;
    Ok((socket, early))
}

/// What must hold after the run; each miss as a sentence.
async fn check(
    database_url: &str,
    fcm: &crate::fake_fcm::FakeFcm,
    record: &Record,
    clients: &[Arc<Client>],
    back: Duration,
) -> anyhow::Result<Vec<String>> {
    let mut failures = Vec::new();
    let db = api::db::connect(database_url).await?;
    let posts = locked(&record.posts)?.clone();
    let replies = locked(&record.replies)?.clone();

    // Every acknowledged write is there once: one row per idempotency key, every id present.
    for table in ["posts", "replies"] {
        let doubled = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM (SELECT idempotency_key FROM {table} WHERE idempotency_key LIKE 'scale-%' GROUP BY author_id, idempotency_key HAVING COUNT(*) > 1) d"),
            ))
            .await?
            .context("no count")?
            .try_get::<i64>("", "n")?;
        if doubled > 0 {
            failures.push(format!(
                "{doubled} writes to {table} are there more than once"
            ));
        }
    }
    let stored: HashSet<String> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM posts UNION ALL SELECT id FROM replies",
        ))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<String>("", "id").ok())
        .collect();
    let missing = posts
        .iter()
        .map(|(_, id)| id)
        .chain(replies.iter().map(|(id, _, _)| id))
        .filter(|id| !stored.contains(*id))
        .count();
    if missing > 0 {
        failures.push(format!("{missing} acknowledged writes are missing"));
    }

    // Every reply to someone else's post tells its author: the first one while they have not
    // read the last (later ones join it, migration 000019). Each notification of a reply to a
    // post's author is pushed to that author's device once, never twice.
    let pairs_of = |sql: &'static str| {
        let db = &db;
        async move {
            Ok::<_, anyhow::Error>(
                db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                    .await?
                    .iter()
                    .filter_map(|row| {
                        Some((
                            row.try_get::<String>("", "a").ok()?,
                            row.try_get::<String>("", "b").ok()?,
                        ))
                    })
                    .collect::<Vec<(String, String)>>(),
            )
        }
    };
    let author_of: HashMap<String, String> = pairs_of("SELECT id AS a, author_id AS b FROM posts")
        .await?
        .into_iter()
        .collect();
    let told: Vec<(String, String)> = pairs_of(
        "SELECT reply_id AS a, user_id AS b FROM notifications \
         WHERE kind = 'REPLY' AND reply_id IS NOT NULL",
    )
    .await?;
    let device_of: HashMap<&str, String> = clients
        .iter()
        .map(|c| (c.user_id.as_str(), format!("scale-device-{}", c.n)))
        .collect();
    let reply_post: HashMap<&str, &str> = replies
        .iter()
        .map(|(reply, post, _)| (reply.as_str(), post.as_str()))
        .collect();
    let posts_told: HashSet<&str> = told
        .iter()
        .filter_map(|(reply, _)| reply_post.get(reply.as_str()).copied())
        .collect();
    let untold = replies
        .iter()
        .filter(|(_, post, replier)| {
            author_of
                .get(post)
                .is_some_and(|author| author != &clients[*replier].user_id)
        })
        .filter(|(_, post, _)| !posts_told.contains(post.as_str()))
        .map(|(_, post, _)| post.as_str())
        .collect::<HashSet<_>>()
        .len();
    if untold > 0 {
        failures.push(format!(
            "{untold} posts replied to by others never told their author"
        ));
    }
    let expected: Vec<(String, String)> = told
        .iter()
        .filter_map(|(reply, author)| {
            Some((reply.clone(), device_of.get(author.as_str())?.clone()))
        })
        .collect();
    // The worker drains the queue: wait until every expected push arrived, or 30 s.
    let deadline = Instant::now() + Duration::from_secs(30);
    let sent_pairs = loop {
        let mut pairs: HashMap<(String, String), usize> = HashMap::new();
        for sent in fcm.sends() {
            let message = &sent.body["message"];
            if let (Some(reply), Some(token)) = (
                message["data"]["replyId"].as_str(),
                message["token"].as_str(),
            ) {
                *pairs
                    .entry((reply.to_owned(), token.to_owned()))
                    .or_default() += 1;
            }
        }
        let done = expected.iter().all(|pair| pairs.contains_key(pair));
        if done || Instant::now() > deadline {
            break pairs;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let unsent = expected
        .iter()
        .filter(|pair| !sent_pairs.contains_key(*pair))
        .count();
    let twice = sent_pairs.values().filter(|n| **n > 1).count();
    if unsent > 0 {
        failures.push(format!(
            "{unsent} of {} notifications of a reply were never pushed to their post's author",
            expected.len()
        ));
    }
    if twice > 0 {
        failures.push(format!("{twice} pushes went out more than once"));
    }

    // Every client ends with every post of its group.
    let known = locked(&record.known)?;
    for client in clients {
        let mine = known.get(&client.n).cloned().unwrap_or_default();
        let lacking = posts
            .iter()
            .filter(|(group, id)| *group == client.group && !mine.contains(id))
            .count();
        if lacking > 0 {
            failures.push(format!(
                "client {} lacks {lacking} posts of its group",
                client.n
            ));
        }
    }

    // 5xx only while instance A was down (until it was back, and nginx had settled).
    let statuses = locked(&record.statuses)?;
    let outside = statuses
        .iter()
        .filter(|(at, status)| *status >= 500 && (*at < KILL_AT || *at > back + SETTLE))
        .count();
    if outside > 0 {
        failures.push(format!(
            "{outside} answers were 5xx outside the kill window"
        ));
    }
    Ok(failures)
}

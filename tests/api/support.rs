#![allow(dead_code)]
use api::{App, Settings};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// The key-encryption key of the test servers: 32 bytes in base64.
pub const TEST_KEK: &str = "dGVzdC1rZWstdGVzdC1rZWstdGVzdC1rZWstMDEyMzQ=";
pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

/// A database of this test's own: a temp SQLite file, or a PostgreSQL database dropped afterwards.
pub struct TestDb {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

impl TestDb {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        match std::env::var("HEARTH_TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            None => TestDb {
                url: format!("sqlite://{}/hearth.db?mode=rwc", dir.path().display()),
                postgres: None,
                _dir: dir,
            },
            Some(admin) => {
                assert!(
                    admin.starts_with("postgres"),
                    "HEARTH_TEST_DATABASE_URL must be a postgres:// URL"
                );
                let name = format!("hearth_test_{}", uuid::Uuid::new_v4().simple());
                let conn = sea_orm::Database::connect(admin.as_str())
                    .await
                    .expect("HEARTH_TEST_DATABASE_URL is set but PostgreSQL cannot be reached");
                use sea_orm::ConnectionTrait;
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                TestDb {
                    url: replace_database(&admin, &name),
                    postgres: Some((admin, name)),
                    _dir: dir,
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async: a short-lived runtime on its own thread removes the database.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                use sea_orm::ConnectionTrait;
                if let Ok(conn) = sea_orm::Database::connect(admin.as_str()).await {
                    let _ = conn
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

pub fn test_redis_url() -> Option<String> {
    std::env::var("HEARTH_TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

/// The Redis of a test that needs one (marked `#[ignore]`, so a plain run lists it as ignored
/// with the reason; `-- --include-ignored` runs it, and then Redis must be configured).
pub fn required_redis_url() -> String {
    test_redis_url()
        .expect("this test needs Redis: set HEARTH_TEST_REDIS_URL (see docs/TESTING.md)")
}

pub fn test_settings(db: &TestDb) -> Settings {
    let mut settings = Settings::from_sources(None, &HashMap::new()).unwrap();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.database_url = db.url.clone();
    settings.redis_url = test_redis_url();
    settings.redis_prefix = format!("hearth-test-{}", uuid::Uuid::new_v4().simple());
    settings.jwt_secret = Some(api::config::Secret::new(JWT_SECRET));
    settings.kek = Some(api::config::Secret::new(TEST_KEK));
    settings
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// `/metrics` on its own address, when the settings gave one.
    pub metrics_addr: Option<SocketAddr>,
    pub http: reqwest::Client,
    pub context: api::state::AppContext,
    shutdown: tokio_util::sync::CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDb::new().await;
        let mut settings = test_settings(&db);
        adjust(&mut settings);
        Self::start(db, settings).await
    }

    pub async fn start(db: TestDb, settings: Settings) -> Self {
        let app = App::build(settings).await.expect("app builds");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let context = app.context().clone();
        let shutdown = app.shutdown_token();
        let server = tokio::spawn(app.run_until_stopped());
        TestApp {
            addr,
            metrics_addr,
            http: reqwest::Client::new(),
            context,
            shutdown,
            server: Some(server),
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server as SIGTERM would and waits until it has.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    pub fn begin_stop(&self) {
        self.shutdown.cancel();
    }

    /// POSTs one GraphQL operation; returns the response body (status must be 200).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "GraphQL over HTTP answered non-200");
        response.json().await.unwrap()
    }

    pub async fn register(&self, name: &str) -> Session {
        self.register_with(
            &format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
            name,
            PASSWORD,
        )
        .await
    }

    /// An account whose address counts as verified, signed in, as the command line's
    /// `admin create-user` makes it: no mail and no code. The mailed-code flow itself is tested
    /// in `registration.rs` through the fake SMTP server.
    pub async fn register_with(&self, email: &str, name: &str, password: &str) -> Session {
        let ctx = &self.context;
        let user = api::accounts::create_verified(
            &ctx.db,
            &ctx.vault,
            &ctx.passwords,
            email,
            name,
            password,
        )
        .await
        .unwrap_or_else(|e| panic!("register {email} failed: {}", e.message()));
        let txn = api::db::begin_write(&ctx.db).await.unwrap();
        let signed_in = api::accounts::start_session(&ctx.credentials(), &txn, user)
            .await
            .unwrap_or_else(|e| panic!("signing {email} in failed: {}", e.message()));
        txn.commit().await.unwrap();
        Session {
            access: signed_in.access_token,
            refresh: signed_in.refresh_token,
            user_id: signed_in.user.id.into_string(),
            email: signed_in.user.email,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(
            None,
            "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id displayName } } }",
            json!({"input": {"email": email, "password": password}}),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Value {
        self.gql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { id } } }",
            json!({"t": refresh_token}),
        )
        .await
    }

    pub async fn me(&self, token: Option<&str>) -> Value {
        self.gql(
            token,
            "{ me { id email displayName timezone devices { platform appVersion current } } }",
            json!({}),
        )
        .await
    }

    /// Opens a `graphql-transport-ws` socket (not yet initialised).
    pub async fn socket(&self) -> Socket {
        let mut request = format!("ws://{}/graphql", self.addr)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (stream, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap()),
            Some("graphql-transport-ws")
        );
        Socket { stream }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Debug)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
    pub email: String,
}

impl Session {
    pub fn from_payload(payload: &Value) -> Option<Self> {
        Some(Session {
            access: payload["accessToken"].as_str()?.to_owned(),
            refresh: payload["refreshToken"].as_str()?.to_owned(),
            user_id: payload["user"]["id"].as_str()?.to_owned(),
            email: payload["user"]["email"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

/// A crisis-resources file (`HEARTH_CRISIS_RESOURCES`) with one list, for Great Britain.
pub fn crisis_resources_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let file = dir.path().join("crisis.json");
    std::fs::write(
        &file,
        r#"{"GB": [{"name": "Samaritans", "phone": "116 123", "url": "https://www.samaritans.org"}]}"#,
    )
    .unwrap();
    file
}

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

/// The id of the heartbeat that tells a test its subscriptions are live.
const READY: &str = "ready";

pub struct Socket {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

pub enum Received {
    Json(Value),
    Closed(Option<u16>),
}

impl Socket {
    pub async fn send(&mut self, message: Value) {
        self.stream
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn init(&mut self, token: &str) {
        self.send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}))
            .await;
    }

    /// The next JSON message or the close, within `wait`.
    pub async fn receive(&mut self, wait: Duration) -> Received {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .expect("nothing arrived on the socket in time");
            match next {
                None => return Received::Closed(None),
                Some(Err(_)) => return Received::Closed(None),
                Some(Ok(Message::Text(text))) => {
                    return Received::Json(serde_json::from_str(&text).unwrap())
                }
                Some(Ok(Message::Close(frame))) => {
                    return Received::Closed(frame.map(|f| f.code.into()))
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next JSON message or close, or `None` when nothing came within `wait`.
    pub async fn try_receive(&mut self, wait: Duration) -> Option<Received> {
        match tokio::time::timeout(wait, self.stream.next()).await {
            Err(_) => None,
            Ok(None) | Ok(Some(Err(_))) => Some(Received::Closed(None)),
            Ok(Some(Ok(Message::Text(text)))) => {
                Some(Received::Json(serde_json::from_str(&text).unwrap()))
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                Some(Received::Closed(frame.map(|f| f.code.into())))
            }
            Ok(Some(Ok(_))) => Some(Received::Json(Value::Null)),
        }
    }

    pub async fn expect_json(&mut self, wait: Duration) -> Value {
        match self.receive(wait).await {
            Received::Json(value) => value,
            Received::Closed(code) => {
                panic!("socket closed ({code:?}) where a message was expected")
            }
        }
    }

    pub async fn expect_close(&mut self, wait: Duration) -> Option<u16> {
        loop {
            match self.receive(wait).await {
                Received::Closed(code) => return code,
                Received::Json(_) => continue,
            }
        }
    }
}

impl TestApp {
    /// Runs an operation that must succeed; returns its `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(Some(token), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Creates a group owned by `owner`; returns its id.
    pub async fn create_group(&self, owner: &Session, name: &str, visibility: &str) -> String {
        let data = self
            .ok(
                &owner.access,
                "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }",
                json!({"i": {"name": name, "description": format!("About {name}"), "topic": "DEPRESSION", "visibility": visibility, "ledBy": "PEER"}}),
            )
            .await;
        data["createGroup"]["id"].as_str().unwrap().to_owned()
    }

    /// A moderator invites someone (into a hidden group, say); they still have to join.
    pub async fn invite(&self, moderator: &Session, group_id: &str, who: &Session) {
        self.ok(
            &moderator.access,
            "mutation($g: ID!, $u: ID!) { inviteMember(groupId: $g, userId: $u) }",
            json!({"g": group_id, "u": who.user_id}),
        )
        .await;
    }

    pub async fn join(&self, who: &Session, group_id: &str) -> Value {
        self.gql(
            Some(&who.access),
            "mutation($g: ID!) { joinGroup(groupId: $g) { state role } }",
            json!({"g": group_id}),
        )
        .await
    }

    pub async fn post(&self, who: &Session, group_id: &str, title: &str) -> String {
        let data = self
            .ok(
                &who.access,
                "mutation($i: CreatePostInput!) { createPost(input: $i) { id } }",
                json!({"i": {"groupId": group_id, "title": title, "body": format!("{title}: the body")}}),
            )
            .await;
        data["createPost"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn reply(&self, who: &Session, post_id: &str, body: &str) -> String {
        let data = self
            .ok(
                &who.access,
                "mutation($i: CreateReplyInput!) { createReply(input: $i) { id } }",
                json!({"i": {"postId": post_id, "body": body}}),
            )
            .await;
        data["createReply"]["id"].as_str().unwrap().to_owned()
    }

    /// Makes someone a platform admin (there is no API for it, on purpose).
    pub async fn make_admin(&self, who: &Session) {
        use sea_orm::{ConnectionTrait, Statement};
        let db = &self.context.db;
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "UPDATE users SET is_admin = TRUE WHERE id = $1",
                _ => "UPDATE users SET is_admin = TRUE WHERE id = ?",
            },
            [who.user_id.clone().into()],
        ))
        .await
        .unwrap();
        // Written behind the server's back: the versions it changed are checked now rather
        // than within the bound.
        self.context.after_writes.written().await;
    }
}

impl TestApp {
    /// A second instance on the same database and Redis prefix, as in a scaled-out deployment.
    pub async fn sibling(&self) -> TestApp {
        self.sibling_with(|_| {}).await
    }

    pub async fn sibling_with(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = (*self.context.settings).clone();
        adjust(&mut settings);
        settings.bind = "127.0.0.1:0".parse().unwrap();
        let app = App::build(settings).await.expect("sibling builds");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let context = app.context().clone();
        let shutdown = app.shutdown_token();
        let server = tokio::spawn(app.run_until_stopped());
        TestApp {
            addr,
            metrics_addr,
            http: reqwest::Client::new(),
            context,
            shutdown,
            server: Some(server),
            db: TestDb::borrowed(&self.db.url),
        }
    }
}

impl TestDb {
    /// The same database under another handle: dropping it removes nothing.
    pub fn borrowed(url: &str) -> Self {
        TestDb {
            url: url.to_owned(),
            postgres: None,
            _dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Socket {
    /// Initialises and subscribes; returns once acknowledged.
    pub async fn subscribe(&mut self, token: &str, id: &str, query: &str, variables: Value) {
        self.init(token).await;
        assert_eq!(
            self.expect_json(Duration::from_secs(5)).await["type"],
            "connection_ack"
        );
        self.start(id, query, variables).await;
    }

    pub async fn start(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}))
            .await;
    }

    /// Asserts that nothing arrives for a while, on a socket still open: a closed or broken
    /// stream is not silence. Call it after a peer has received the same event, so the event
    /// is known to have gone out.
    pub async fn expect_silence(&mut self, wait: Duration) {
        match tokio::time::timeout(wait, self.stream.next()).await {
            Err(_) => {}
            Ok(Some(Ok(message))) => panic!("expected silence, got {message:?}"),
            Ok(Some(Err(err))) => panic!("expected silence, the socket broke: {err}"),
            Ok(None) => panic!("expected silence, the socket ended"),
        }
    }

    /// Subscribes, and returns once the server follows the subscription (see [`Self::ready`]).
    pub async fn subscribe_ready(&mut self, token: &str, id: &str, query: &str, variables: Value) {
        self.subscribe(token, id, query, variables).await;
        self.probe().await;
        self.ready().await;
    }

    /// Starts a one-second heartbeat under the id `ready`, after the operations already sent.
    pub async fn probe(&mut self) {
        self.start(
            READY,
            "subscription { heartbeat(intervalSeconds: 1) { sequence } }",
            json!({}),
        )
        .await;
    }

    /// Waits for the probe's first tick, then ends it. The server polls every operation of a
    /// socket whenever it polls one, so by the time a heartbeat sent after a subscription has
    /// ticked (a second on), that subscription has done its checks and follows its events.
    pub async fn ready(&mut self) {
        let tick = self.expect_json(Duration::from_secs(5)).await;
        assert_eq!(tick["id"], READY, "expected the readiness tick, got {tick}");
        assert_eq!(
            tick["payload"]["data"]["heartbeat"]["sequence"], 1,
            "{tick}"
        );
        self.send(json!({"id": READY, "type": "complete"})).await;
    }
}

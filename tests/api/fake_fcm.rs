//! A fake FCM on loopback speaking the real protocol: the OAuth2 token endpoint (JWT bearer
//! grant) and `messages:send` with bearer checks and `google.firebase.fcm.v1.FcmError` bodies.
//! It checks what Google checks: the assertion's RS256 signature against the service account's
//! public key, its issuer, audience, scope and lifetime; the access token's expiry (an expired
//! one is answered 401 `UNAUTHENTICATED`); the v1 message's shape (one target, string-only
//! `data` with no reserved key, the `notification`, `android` and `apns` blocks), its limits (a
//! payload of at most [`MAX_PAYLOAD`] bytes, a device token of a sane shape), answering
//! `invalid_grant` and `INVALID_ARGUMENT` as Google does. It records every request and can be
//! told to fail. Like FCM it answers HTTP/2 (here in cleartext, h2c) and lets one connection
//! carry at most [`STREAMS`] requests at once; it answers HTTP/1.1 too (the OAuth client's).
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Requests one HTTP/2 connection may carry at once (`SETTINGS_MAX_CONCURRENT_STREAMS`), the
/// limit Google's front ends advertise.
pub const STREAMS: u32 = 100;

/// FCM's limit on a message's payload, in bytes, measured by [`payload_size`].
pub const MAX_PAYLOAD: usize = 4096;

/// The longest device token the fake takes. FCM documents no bound (its tokens run to about 160
/// characters); this one is loose, above the 512 Hearth lets a device register.
pub const MAX_DEVICE_TOKEN: usize = 1024;

/// How long an access token lives unless told otherwise: Google's hour.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// What a message weighs against [`MAX_PAYLOAD`]: the JSON of `message` without its `token`
/// (FCM counts the payload the device gets: close to `notification` and `data`; the `android`
/// and `apns` blocks counted here as well make it a little stricter than FCM).
pub fn payload_size(message: &Value) -> usize {
    let mut without = message.clone();
    if let Some(fields) = without.as_object_mut() {
        fields.remove("token");
    }
    serde_json::to_vec(&without).map_or(usize::MAX, |bytes| bytes.len())
}

/// A `data` key FCM refuses: `from`, `notification`, `message_type`, or any starting with
/// `google` or `gcm`.
pub fn is_reserved_data_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["from", "notification", "message_type"].contains(&key.as_str())
        || key.starts_with("google")
        || key.starts_with("gcm")
}

/// What the next `messages:send` answers.
#[derive(Clone, Debug)]
pub enum Reply {
    Ok,
    Error {
        status: u16,
        code: &'static str,
        retry_after: Option<u64>,
    },
}

#[derive(Clone, Debug)]
pub struct Sent {
    pub body: Value,
    pub at: Instant,
    /// The access token the send carried (without `Bearer `).
    pub bearer: String,
}

/// An access token handed out, and when it stops being good.
struct Issued {
    token: String,
    expires: Instant,
}

#[derive(Default)]
struct FakeState {
    /// Where assertions must be addressed (`aud`): this fake's token endpoint.
    token_uri: String,
    /// Why requests were refused, for tests to read.
    refusals: Vec<String>,
    token_requests: usize,
    /// Every access token handed out: like Google's, each stays good until it expires, so two
    /// instances (each with its own) are both accepted.
    issued_tokens: Vec<Issued>,
    /// How long the tokens handed out from now on live (`expires_in`); `None`: an hour.
    token_lifetime: Option<Duration>,
    /// Sends answered 401 `UNAUTHENTICATED` (a missing, unknown, expired or revoked token).
    unauthenticated: usize,
    sends: Vec<Sent>,
    script: VecDeque<Reply>,
    /// Replies for one device token, before the general script.
    token_scripts: HashMap<String, VecDeque<Reply>>,
    /// Refuse the next send's bearer token with 401 (a token revoked early).
    revoke_token: bool,
    /// How long each send waits before it is answered, as a real network would.
    latency: std::time::Duration,
    traffic: Traffic,
}

/// How the sends reached the fake.
#[derive(Clone, Copy, Debug, Default)]
pub struct Traffic {
    /// Connections accepted, for any route.
    pub connections: usize,
    /// Sends that came over anything but HTTP/2.
    pub sends_not_over_http2: usize,
    /// Sends being answered right now, and the most there ever were at once.
    pub in_flight: usize,
    pub most_in_flight: usize,
}

/// Counts one send in flight for as long as it lives.
struct InFlight(Arc<Mutex<FakeState>>);

impl InFlight {
    fn begin(shared: &Arc<Mutex<FakeState>>) -> Self {
        let traffic = &mut shared.lock().unwrap().traffic;
        traffic.in_flight += 1;
        traffic.most_in_flight = traffic.most_in_flight.max(traffic.in_flight);
        InFlight(shared.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.lock() {
            state.traffic.in_flight -= 1;
        }
    }
}

pub struct FakeFcm {
    pub addr: SocketAddr,
    state: Arc<Mutex<FakeState>>,
}

const CLIENT_EMAIL: &str = "hearth@hearth-test.iam.gserviceaccount.com";
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// The public half of [`private_key`], as Google holds it for the service account.
fn public_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        use std::io::Write as _;
        let mut child = std::process::Command::new("openssl")
            .args(["pkey", "-pubout"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("openssl runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(private_key().as_bytes())
            .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    })
}

/// Checks a JWT-bearer assertion as Google's token endpoint does.
fn check_assertion(assertion: &str, token_uri: &str) -> Result<(), String> {
    use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
    let key = DecodingKey::from_rsa_pem(public_key().as_bytes()).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[token_uri]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    // gcp_auth pads its base64url segments; Google's endpoint takes them either way.
    let unpadded: Vec<&str> = assertion
        .split('.')
        .map(|s| s.trim_end_matches('='))
        .collect();
    let claims = decode::<Value>(&unpadded.join("."), &key, &validation)
        .map_err(|e| format!("assertion refused: {e}"))?
        .claims;
    let scopes = claims["scope"].as_str().unwrap_or_default();
    if !scopes.split(' ').any(|s| s == SCOPE) {
        return Err(format!("scope {scopes:?} lacks {SCOPE}"));
    }
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    match (iat, exp) {
        (Some(iat), Some(exp)) if exp > iat && exp - iat <= 3600 => Ok(()),
        _ => Err(format!(
            "lifetime from {iat:?} to {exp:?} is not within an hour"
        )),
    }
}

/// Checks a `messages:send` body as FCM v1 does; the reason when it would be refused.
fn check_message(body: &Value) -> Result<(), String> {
    let Some(top) = body.as_object() else {
        return Err("the body is not an object".into());
    };
    if let Some(extra) = top
        .keys()
        .find(|k| !["message", "validate_only"].contains(&k.as_str()))
    {
        return Err(format!("unknown field {extra:?}"));
    }
    let message = body["message"].as_object().ok_or("`message` is missing")?;
    let known = [
        "token",
        "topic",
        "condition",
        "notification",
        "data",
        "android",
        "apns",
        "webpush",
        "fcm_options",
        "name",
    ];
    if let Some(extra) = message.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!("unknown message field {extra:?}"));
    }
    let targets = ["token", "topic", "condition"]
        .iter()
        .filter(|t| {
            message
                .get(**t)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        })
        .count();
    if targets != 1 {
        return Err("a message names exactly one of token, topic, condition".into());
    }
    if let Some(token) = message.get("token") {
        let token = token.as_str().ok_or("message.token must be a string")?;
        if token.is_empty()
            || token.len() > MAX_DEVICE_TOKEN
            || token.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            let shown: String = token.chars().take(40).collect();
            return Err(format!(
                "message.token {shown:?}… ({} bytes) is not a valid FCM registration token",
                token.len()
            ));
        }
    }
    let size = payload_size(&body["message"]);
    if size > MAX_PAYLOAD {
        return Err(format!(
            "message is too big: {size} bytes, FCM takes at most {MAX_PAYLOAD}"
        ));
    }
    let not_reserved = |value: &Value, what: &str| -> Result<(), String> {
        match value
            .as_object()
            .and_then(|map| map.keys().find(|key| is_reserved_data_key(key)))
        {
            Some(key) => Err(format!("{what}.{key}: {key:?} is a reserved key")),
            None => Ok(()),
        }
    };
    let strings = |value: &Value, what: &str, allowed: &[&str]| -> Result<(), String> {
        let Some(map) = value.as_object() else {
            return Err(format!("{what} is not an object"));
        };
        for (key, v) in map {
            if !allowed.is_empty() && !allowed.contains(&key.as_str()) {
                return Err(format!("unknown field {what}.{key}"));
            }
            if !v.is_string() {
                return Err(format!("{what}.{key} must be a string"));
            }
        }
        Ok(())
    };
    if let Some(notification) = message.get("notification") {
        strings(notification, "notification", &["title", "body", "image"])?;
    }
    if let Some(data) = message.get("data") {
        strings(data, "data", &[])?;
        not_reserved(data, "data")?;
    }
    if let Some(android) = message.get("android") {
        let android = android.as_object().ok_or("android is not an object")?;
        for (key, value) in android {
            match key.as_str() {
                "collapse_key" | "restricted_package_name" => {
                    value
                        .as_str()
                        .ok_or(format!("android.{key} must be a string"))?;
                }
                "priority" if matches!(value.as_str(), Some("NORMAL" | "HIGH")) => {}
                "ttl" => {
                    let ttl = value.as_str().unwrap_or_default();
                    let seconds = ttl.strip_suffix('s').unwrap_or("x");
                    if seconds.parse::<f64>().is_err() {
                        return Err(format!(
                            "android.ttl {ttl:?} is not a duration like \"3600s\""
                        ));
                    }
                }
                "data" => {
                    strings(value, "android.data", &[])?;
                    not_reserved(value, "android.data")?;
                }
                "notification" | "direct_boot_ok" | "fcm_options" => {}
                other => return Err(format!("unknown or invalid android field {other:?}")),
            }
        }
    }
    if let Some(apns) = message.get("apns") {
        let apns = apns.as_object().ok_or("apns is not an object")?;
        if let Some(headers) = apns.get("headers") {
            strings(headers, "apns.headers", &[])?;
        }
        if let Some(payload) = apns.get("payload") {
            if !payload["aps"].is_object() {
                return Err("apns.payload needs an aps dictionary".into());
            }
        }
    }
    Ok(())
}

/// A throwaway RSA key, made once per test run (never a real credential).
fn private_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .expect("openssl makes a test key");
        String::from_utf8(out.stdout).unwrap()
    })
}

async fn token(
    State(state): State<Arc<Mutex<FakeState>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    let grant_ok = form.get("grant_type").map(String::as_str)
        == Some("urn:ietf:params:oauth:grant-type:jwt-bearer");
    let checked = match form.get("assertion") {
        _ if !grant_ok => Err("grant_type is not jwt-bearer".to_owned()),
        None => Err("no assertion".to_owned()),
        Some(assertion) => check_assertion(assertion, &state.token_uri),
    };
    if let Err(why) = checked {
        state.refusals.push(why.clone());
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": why})),
        )
            .into_response();
    }
    state.token_requests += 1;
    let token = format!("fake-access-token-{}", state.token_requests);
    let lifetime = state.token_lifetime.unwrap_or(TOKEN_LIFETIME);
    state.issued_tokens.push(Issued {
        token: token.clone(),
        expires: Instant::now() + lifetime,
    });
    Json(json!({"access_token": token, "expires_in": lifetime.as_secs(), "token_type": "Bearer"}))
        .into_response()
}

fn fcm_error(status: u16, code: &str) -> Value {
    json!({"error": {
        "code": status,
        "message": format!("fake {code}"),
        "status": if code == "UNREGISTERED" { "NOT_FOUND" } else { code },
        "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}]
    }})
}

async fn send(
    State(shared): State<Arc<Mutex<FakeState>>>,
    Path(project): Path<String>,
    version: Version,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    // Declared before `state` below, so dropped after it: its drop takes the lock again.
    let _in_flight = InFlight::begin(&shared);
    if version != Version::HTTP_2 {
        shared.lock().unwrap().traffic.sends_not_over_http2 += 1;
    }
    let latency = shared.lock().unwrap().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut state = shared.lock().unwrap();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let now = Instant::now();
    // Google keeps a token good until it expires, and no longer.
    let good = state
        .issued_tokens
        .iter()
        .any(|issued| !bearer.is_empty() && issued.token == bearer && issued.expires > now);
    if project != "hearth-test" || !good || state.revoke_token {
        state.revoke_token = false;
        state.unauthenticated += 1;
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {
                "code": 401,
                "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                "status": "UNAUTHENTICATED",
            }})),
        )
            .into_response();
    }
    if let Err(why) = check_message(&body) {
        state.refusals.push(why.clone());
        let mut error = fcm_error(400, "INVALID_ARGUMENT");
        error["error"]["message"] = json!(why);
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    }
    let token = body["message"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    state.sends.push(Sent {
        body,
        at: Instant::now(),
        bearer,
    });
    let scripted = state
        .token_scripts
        .get_mut(&token)
        .and_then(VecDeque::pop_front);
    match scripted
        .or_else(|| state.script.pop_front())
        .unwrap_or(Reply::Ok)
    {
        Reply::Ok => {
            Json(json!({"name": format!("projects/{project}/messages/{}", state.sends.len())}))
                .into_response()
        }
        Reply::Error {
            status,
            code,
            retry_after,
        } => {
            let mut response = (
                StatusCode::from_u16(status).unwrap(),
                Json(fcm_error(status, code)),
            )
                .into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", seconds.to_string().parse().unwrap());
            }
            response
        }
    }
}

/// Serves each connection in HTTP/2 (prior knowledge) or HTTP/1.1, whichever it speaks.
async fn serve(listener: tokio::net::TcpListener, app: Router, state: Arc<Mutex<FakeState>>) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http2().max_concurrent_streams(STREAMS);
    let builder = Arc::new(builder);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        state.lock().unwrap().traffic.connections += 1;
        let builder = builder.clone();
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            // A connection the client drops mid-request ends in an error: nothing to record.
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl FakeFcm {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let app = Router::new()
            .route("/token", post(token))
            .route("/v1/projects/{project}/messages:send", post(send))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        state.lock().unwrap().token_uri = format!("http://{addr}/token");
        tokio::spawn(serve(listener, app, state.clone()));
        FakeFcm { addr, state }
    }

    /// How the sends so far reached the fake.
    pub fn traffic(&self) -> Traffic {
        self.state.lock().unwrap().traffic
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A service-account JSON whose `token_uri` points here.
    pub fn write_credentials(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("service-account.json");
        let json = json!({
            "type": "service_account",
            "project_id": "hearth-test",
            "private_key_id": "test-key",
            "private_key": private_key(),
            "client_email": CLIENT_EMAIL,
            "client_id": "1",
            "token_uri": format!("http://{}/token", self.addr),
        });
        std::fs::write(&path, json.to_string()).unwrap();
        path
    }

    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().script.extend(replies);
    }

    /// What the sends to one device token answer, in order (then the general script).
    pub fn script_for(&self, token: &str, replies: impl IntoIterator<Item = Reply>) {
        self.state
            .lock()
            .unwrap()
            .token_scripts
            .entry(token.to_owned())
            .or_default()
            .extend(replies);
    }

    /// Every send from now on is answered after `latency`.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.state.lock().unwrap().latency = latency;
    }

    pub fn revoke_token(&self) {
        self.state.lock().unwrap().revoke_token = true;
    }

    /// The access tokens handed out from now on live this long (the `expires_in` the token
    /// endpoint answers, whole seconds), and are refused once it has passed.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state.lock().unwrap().token_lifetime = Some(lifetime);
    }

    /// Every access token handed out so far expires now, as if their hour had passed: each send
    /// that carries one is answered 401 `UNAUTHENTICATED`, for good.
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for issued in &mut self.state.lock().unwrap().issued_tokens {
            issued.expires = issued.expires.min(now);
        }
    }

    /// Sends answered 401 `UNAUTHENTICATED` so far.
    pub fn unauthenticated(&self) -> usize {
        self.state.lock().unwrap().unauthenticated
    }

    /// `messages:send` of the fake's project.
    pub fn send_url(&self) -> String {
        format!("{}/v1/projects/hearth-test/messages:send", self.endpoint())
    }

    /// An access token from the token endpoint, got as Hearth gets one: a JWT-bearer grant
    /// signed with the service account's key (it counts in [`Self::token_requests`]).
    pub async fn access_token(&self) -> String {
        self.token_answer().await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The token endpoint's whole answer to a good grant (`access_token`, `expires_in`, …).
    pub async fn token_answer(&self) -> Value {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key().as_bytes()).unwrap();
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"iss": CLIENT_EMAIL, "aud": format!("{}/token", self.endpoint()), "scope": SCOPE, "iat": now, "exp": now + 3600});
        let assertion = jsonwebtoken::encode(&header, &claims, &key).unwrap();
        let answer = reqwest::Client::new()
            .post(format!("{}/token", self.endpoint()))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "the fake's token endpoint refused");
        answer.json().await.unwrap()
    }

    pub fn sends(&self) -> Vec<Sent> {
        self.state.lock().unwrap().sends.clone()
    }

    /// How many messages were sent, without copying them.
    pub fn send_count(&self) -> usize {
        self.state.lock().unwrap().sends.len()
    }

    /// Why the fake refused requests (assertions or messages Google would refuse).
    pub fn refusals(&self) -> Vec<String> {
        self.state.lock().unwrap().refusals.clone()
    }

    pub fn token_requests(&self) -> usize {
        self.state.lock().unwrap().token_requests
    }

    /// Waits until at least `n` messages arrived (or panics after 15 s).
    pub async fn wait_for_sends(&self, n: usize) -> Vec<Sent> {
        let deadline = Instant::now() + std::time::Duration::from_secs(15);
        loop {
            // Whatever Hearth sends must pass Google's checks: a refusal fails the test at once.
            let refusals = self.refusals();
            assert!(refusals.is_empty(), "the fake FCM refused: {refusals:?}");
            let sends = self.sends();
            if sends.len() >= n {
                return sends;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} pushes arrived",
                sends.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn the_fake_refuses_what_google_refuses() {
    let fcm = FakeFcm::start().await;
    let http = reqwest::Client::new();
    // An assertion signed by another key is an invalid grant.
    let other = jsonwebtoken::EncodingKey::from_secret(b"not the service account's key");
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": CLIENT_EMAIL, "aud": format!("{}/token", fcm.endpoint()), "scope": SCOPE, "iat": now, "exp": now + 3600});
    let forged = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &other).unwrap();
    let answer = http
        .post(format!("{}/token", fcm.endpoint()))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", forged.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    // Signed with the right key but the wrong scope, or living too long.
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key().as_bytes()).unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    for (field, value) in [
        (
            "scope",
            json!("https://www.googleapis.com/auth/cloud-platform.read-only"),
        ),
        ("exp", json!(now + 7200)),
        ("aud", json!("https://oauth2.googleapis.com/token")),
    ] {
        let mut wrong = claims.clone();
        wrong[field] = value;
        let assertion = jsonwebtoken::encode(&header, &wrong, &key).unwrap();
        let answer = http
            .post(format!("{}/token", fcm.endpoint()))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{field}");
    }
    // The right assertion gets a token.
    let good = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let token: Value = http
        .post(format!("{}/token", fcm.endpoint()))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", good.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token["access_token"].as_str().unwrap().to_owned();
    // Messages FCM would refuse, one flaw each.
    let send_url = format!("{}/v1/projects/hearth-test/messages:send", fcm.endpoint());
    for bad in [
        json!({"message": {"notification": {"title": "t"}}}),
        json!({"message": {"token": "a", "topic": "b"}}),
        json!({"message": {"token": "a", "data": {"unread": 3}}}),
        json!({"message": {"token": "a", "android": {"priority": "URGENT"}}}),
        json!({"message": {"token": "a", "android": {"ttl": "3600"}}}),
        json!({"message": {"token": "a", "apns": {"payload": {"badge": 1}}}}),
        json!({"message": {"token": "a", "notification": {"title": "t", "sound": "x"}}}),
        json!({"token": "a"}),
    ] {
        let answer = http
            .post(&send_url)
            .bearer_auth(&bearer)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{bad}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            body["error"]["details"][0]["errorCode"], "INVALID_ARGUMENT",
            "{bad}"
        );
    }
    assert_eq!(fcm.send_count(), 0);
    let fine = json!({"message": {"token": "a", "notification": {"title": "t", "body": "b"}, "data": {"kind": "REPLY"}, "android": {"priority": "HIGH", "ttl": "86400s", "collapse_key": "c"}, "apns": {"headers": {"apns-priority": "10"}, "payload": {"aps": {"badge": 1}}}}});
    let answer = http
        .post(&send_url)
        .bearer_auth(&bearer)
        .json(&fine)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

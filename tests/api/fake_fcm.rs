//! A fake FCM on loopback speaking the real protocol: the OAuth2 token endpoint (JWT bearer
//! grant) and `messages:send` with bearer checks and `google.firebase.fcm.v1.FcmError` bodies.
//! It records every request and can be told to fail.
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

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
}

#[derive(Default)]
struct FakeState {
    token_requests: usize,
    current_token: String,
    sends: Vec<Sent>,
    script: VecDeque<Reply>,
    /// Refuse the next send's bearer token with 401 (a token revoked early).
    revoke_token: bool,
}

pub struct FakeFcm {
    pub addr: SocketAddr,
    state: Arc<Mutex<FakeState>>,
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
    let grant_ok = form.get("grant_type").map(String::as_str)
        == Some("urn:ietf:params:oauth:grant-type:jwt-bearer");
    let assertion_ok = form
        .get("assertion")
        .is_some_and(|a| a.split('.').count() == 3);
    if !(grant_ok && assertion_ok) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let mut state = state.lock().unwrap();
    state.token_requests += 1;
    state.current_token = format!("fake-access-token-{}", state.token_requests);
    Json(json!({"access_token": state.current_token, "expires_in": 3600, "token_type": "Bearer"}))
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
    State(state): State<Arc<Mutex<FakeState>>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut state = state.lock().unwrap();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if project != "hearth-test"
        || bearer != format!("Bearer {}", state.current_token)
        || state.revoke_token
    {
        state.revoke_token = false;
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": 401, "status": "UNAUTHENTICATED"}})),
        )
            .into_response();
    }
    state.sends.push(Sent {
        body,
        at: Instant::now(),
    });
    match state.script.pop_front().unwrap_or(Reply::Ok) {
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

impl FakeFcm {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let app = Router::new()
            .route("/token", post(token))
            .route("/v1/projects/{project}/messages:send", post(send))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeFcm { addr, state }
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
            "client_email": "hearth@hearth-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": format!("http://{}/token", self.addr),
        });
        std::fs::write(&path, json.to_string()).unwrap();
        path
    }

    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().script.extend(replies);
    }

    pub fn revoke_token(&self) {
        self.state.lock().unwrap().revoke_token = true;
    }

    pub fn sends(&self) -> Vec<Sent> {
        self.state.lock().unwrap().sends.clone()
    }

    /// How many messages were sent, without copying them.
    pub fn send_count(&self) -> usize {
        self.state.lock().unwrap().sends.len()
    }

    pub fn token_requests(&self) -> usize {
        self.state.lock().unwrap().token_requests
    }

    /// Waits until at least `n` messages arrived (or panics after 15 s).
    pub async fn wait_for_sends(&self, n: usize) -> Vec<Sent> {
        let deadline = Instant::now() + std::time::Duration::from_secs(15);
        loop {
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

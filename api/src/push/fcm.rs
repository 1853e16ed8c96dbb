//! FCM HTTP v1: `POST {endpoint}/v1/projects/{project}/messages:send`, one request per device
//! token, with an OAuth2 token from the service account (its `token_uri` honoured, cached until
//! near expiry; a 401 fetches a fresh one once). Requests go over HTTP/2, spread over enough
//! connections to keep [`IN_FLIGHT`] of them in flight.
use gcp_auth::{CustomServiceAccount, TokenProvider};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// What became of one send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// The token is dead (UNREGISTERED, SENDER_ID_MISMATCH): forget the device.
    Unregistered,
    /// FCM refused the message itself (INVALID_ARGUMENT): retrying will not help.
    Invalid(String),
    /// Try again later (UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED, network), after at least this long.
    Retry(Option<Duration>),
}

#[derive(Clone)]
pub enum Sender {
    /// No credentials: the pipeline runs and the message is logged (without content) instead.
    Log,
    Fcm(Arc<FcmClient>),
}

impl Sender {
    pub async fn send(&self, message: Value) -> Outcome {
        match self {
            Sender::Log => {
                let kind = message["message"]["data"]["kind"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                tracing::info!(kind = %kind, "push (log only: no FCM credentials)");
                Outcome::Sent
            }
            Sender::Fcm(client) => client.send(message).await,
        }
    }
}

/// Requests a worker has in flight at most (the whole claim of each of its lanes).
pub const IN_FLIGHT: usize = 2_048;

/// Requests FCM lets one HTTP/2 connection carry at once (the `SETTINGS_MAX_CONCURRENT_STREAMS`
/// Google's front ends advertise). A client whose connection is full does not open another: its
/// further requests wait for a stream (hyper). So one client would cap a worker at this many
/// requests in flight, 2 500 pushes a second at 40 ms each, whatever [`IN_FLIGHT`] says.
const STREAMS_PER_CONNECTION: usize = 100;

/// Clients, each with its own connection, that together carry [`IN_FLIGHT`] requests.
const CONNECTIONS: usize = IN_FLIGHT.div_ceil(STREAMS_PER_CONNECTION);

pub struct FcmClient {
    connections: Vec<reqwest::Client>,
    /// The connection the next request takes (round robin).
    next: AtomicUsize,
    url: String,
    credentials: String,
    account: RwLock<Arc<CustomServiceAccount>>,
}

impl FcmClient {
    /// Reads the service-account JSON; the project comes from it.
    pub fn from_file(path: &std::path::Path, endpoint: &str) -> anyhow::Result<Self> {
        let credentials = std::fs::read_to_string(path)?;
        let account = CustomServiceAccount::from_json(&credentials)?;
        let project = account
            .project_id()
            .ok_or_else(|| anyhow::anyhow!("the service-account JSON names no project_id"))?
            .to_owned();
        // FCM is reached over TLS, where the connection agrees on HTTP/2 (ALPN). An `http://`
        // endpoint, a stand-in on loopback, is spoken to in HTTP/2 as well (prior knowledge), so
        // that it meets FCM's limits.
        let cleartext = endpoint.starts_with("http://");
        let connections = (0..CONNECTIONS)
            .map(|_| {
                let builder = reqwest::Client::builder().timeout(Duration::from_secs(15));
                if cleartext {
                    builder.http2_prior_knowledge()
                } else {
                    builder
                }
                .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FcmClient {
            connections,
            next: AtomicUsize::new(0),
            url: format!(
                "{}/v1/projects/{project}/messages:send",
                endpoint.trim_end_matches('/')
            ),
            credentials,
            account: RwLock::new(Arc::new(account)),
        })
    }

    async fn token(&self) -> Option<String> {
        let account = self.account.read().await.clone();
        match account.token(&[SCOPE]).await {
            Ok(token) => Some(token.as_str().to_owned()),
            Err(err) => {
                tracing::warn!(error = %err, "cannot get an FCM access token");
                None
            }
        }
    }

    fn connection(&self) -> &reqwest::Client {
        let next = self.next.fetch_add(1, Ordering::Relaxed);
        &self.connections[next % self.connections.len()]
    }

    /// Drops the cached token by starting from the credentials again.
    async fn refresh(&self) {
        if let Ok(fresh) = CustomServiceAccount::from_json(&self.credentials) {
            *self.account.write().await = Arc::new(fresh);
        }
    }

    pub async fn send(&self, message: Value) -> Outcome {
        for attempt in 0..2 {
            let Some(token) = self.token().await else {
                return Outcome::Retry(None);
            };
            let response = match self
                .connection()
                .post(&self.url)
                .bearer_auth(token)
                .json(&message)
                .send()
                .await
            {
                Ok(response) => response,
                Err(err) => {
                    tracing::warn!(error = %err, "FCM request failed");
                    return Outcome::Retry(None);
                }
            };
            let status = response.status();
            if status == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                self.refresh().await;
                continue;
            }
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            if status.is_success() {
                return Outcome::Sent;
            }
            let body: Value = response.json().await.unwrap_or(Value::Null);
            return classify(status.as_u16(), &body, retry_after);
        }
        Outcome::Retry(None)
    }
}

/// Maps an FCM error (`google.firebase.fcm.v1.FcmError` in `details`) to what to do next.
pub fn classify(status: u16, body: &Value, retry_after: Option<Duration>) -> Outcome {
    let code = body["error"]["details"]
        .as_array()
        .and_then(|details| details.iter().find_map(|d| d["errorCode"].as_str()))
        .or_else(|| body["error"]["status"].as_str())
        .unwrap_or_default();
    match code {
        "UNREGISTERED" | "SENDER_ID_MISMATCH" => Outcome::Unregistered,
        "INVALID_ARGUMENT" => Outcome::Invalid(code.to_owned()),
        "UNAVAILABLE" | "INTERNAL" | "QUOTA_EXCEEDED" => Outcome::Retry(retry_after),
        _ if status == 404 => Outcome::Unregistered,
        _ if status == 429 || status >= 500 || status == 401 => Outcome::Retry(retry_after),
        _ => Outcome::Invalid(format!("HTTP {status}")),
    }
}

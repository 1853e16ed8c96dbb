//! Persisted queries for phones: Apollo's automatic persisted queries (APQ) and, in production
//! when configured, trusted documents only.
//!
//! APQ: a request carries `extensions.persistedQuery = {version: 1, sha256Hash}`. With the hash
//! alone, the document is looked up (Redis when configured, else this process); unknown, the
//! answer is `PERSISTED_QUERY_NOT_FOUND` and the app sends the hash with the document, which is
//! checked against the hash and kept. Over GET, a hash-only query makes a short URL a CDN can
//! cache.
//!
//! Trusted documents (`HEARTH_TRUSTED_DOCUMENTS`, a JSON object of hash → document that the apps'
//! build emits): only those documents run, by hash or in full; nothing is stored from requests.
use crate::redis_conn::RedisLink;
use crate::secrets::sha256_hex;
use async_graphql::Request;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// How long a document stays in Redis after it was last sent in full.
const REDIS_TTL: Duration = Duration::from_secs(24 * 3600);
/// The in-process store's bound, in bytes of documents; the oldest go first.
const LOCAL_BYTES: usize = 16 * 1024 * 1024;
/// The largest document kept: larger ones still run, sent in full each time. The apps' own
/// operations are a few KiB; this keeps what one request can make Redis hold small.
const MAX_KEPT: usize = 32 * 1024;

/// Why a request's persisted query cannot run; each maps to its own error code.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Send the document with its hash (APQ's answer to an unknown hash).
    NotFound,
    /// The hash is not one of the trusted documents.
    NotInList,
    /// A document sent in full that is not one of the trusted documents.
    NotInSafelist,
    /// The hash does not match the document, or the extension is malformed.
    Invalid(&'static str),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            Refusal::NotInList => "PERSISTED_QUERY_NOT_IN_LIST",
            Refusal::NotInSafelist => "QUERY_NOT_IN_SAFELIST",
            Refusal::Invalid(_) => "BAD_USER_INPUT",
        }
    }

    /// The answer that carries it: a GraphQL response with one error and no data, over HTTP
    /// and as the one `next` of a WebSocket operation alike (Apollo's clients read it there
    /// to send the document).
    pub fn answer(&self) -> String {
        serde_json::json!({"errors": [{"message": self.message(), "extensions": {"code": self.code()}}]})
            .to_string()
    }

    pub fn message(&self) -> &'static str {
        match self {
            // Apollo's clients look for this message to send the document.
            Refusal::NotFound => "PersistedQueryNotFound",
            Refusal::NotInList => "this server runs only the apps' registered operations",
            Refusal::NotInSafelist => "this server runs only the apps' registered operations",
            Refusal::Invalid(why) => why,
        }
    }
}

pub struct PersistedQueries {
    trusted: Option<HashMap<String, String>>,
    redis: Option<(RedisLink, String)>,
    local: Mutex<Local>,
}

#[derive(Default)]
struct Local {
    documents: HashMap<String, String>,
    order: VecDeque<String>,
    bytes: usize,
}

impl PersistedQueries {
    /// `trusted`: the manifest, when only registered operations may run. `redis`: the link and
    /// key prefix, when documents are shared between instances.
    pub fn new(trusted: Option<HashMap<String, String>>, redis: Option<(RedisLink, &str)>) -> Self {
        PersistedQueries {
            trusted,
            redis: redis.map(|(link, prefix)| (link, format!("{prefix}:apq:"))),
            local: Mutex::default(),
        }
    }

    /// Reads a trusted-documents manifest: a JSON object of lower-case SHA-256 hex → document.
    /// Every entry's hash is checked.
    pub fn read_manifest(text: &str) -> Result<HashMap<String, String>, String> {
        let manifest: HashMap<String, String> =
            serde_json::from_str(text).map_err(|e| format!("not a JSON object of strings: {e}"))?;
        if let Some((hash, _)) = manifest
            .iter()
            .find(|(hash, doc)| sha256_hex(doc) != **hash)
        {
            return Err(format!("{hash} is not the SHA-256 of its document"));
        }
        Ok(manifest)
    }

    /// Fills in the request's document from its persisted-query hash, checks and keeps a document
    /// sent with its hash, and under trusted documents refuses anything else.
    pub async fn resolve(&self, request: &mut Request) -> Result<(), Refusal> {
        let hash = match request.extensions.get("persistedQuery") {
            None => None,
            Some(extension) => Some(requested_hash(&extension.clone().into_json().ok())?),
        };
        match (hash, request.query.is_empty()) {
            (None, _) => match &self.trusted {
                Some(trusted) if !trusted.contains_key(&sha256_hex(&request.query)) => {
                    Err(Refusal::NotInSafelist)
                }
                _ => Ok(()),
            },
            (Some(hash), true) => {
                request.query = self.find(&hash).await?;
                Ok(())
            }
            (Some(hash), false) => {
                if sha256_hex(&request.query) != hash {
                    return Err(Refusal::Invalid(
                        "the persisted query's hash does not match",
                    ));
                }
                match &self.trusted {
                    Some(trusted) if !trusted.contains_key(&hash) => Err(Refusal::NotInList),
                    Some(_) => Ok(()),
                    None => {
                        self.keep(hash, &request.query).await;
                        Ok(())
                    }
                }
            }
        }
    }

    async fn find(&self, hash: &str) -> Result<String, Refusal> {
        if let Some(trusted) = &self.trusted {
            return trusted.get(hash).cloned().ok_or(Refusal::NotInList);
        }
        if let Some((link, prefix)) = &self.redis {
            let mut get = redis::pipe();
            get.cmd("GET").arg(format!("{prefix}{hash}"));
            if let Ok((Some(document),)) = link.query::<(Option<String>,)>(&get).await {
                return Ok(document);
            }
        }
        let local = self
            .local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        local.documents.get(hash).cloned().ok_or(Refusal::NotFound)
    }

    async fn keep(&self, hash: String, document: &str) {
        if document.len() > MAX_KEPT {
            return;
        }
        if let Some((link, prefix)) = &self.redis {
            let mut set = redis::pipe();
            set.cmd("SET")
                .arg(format!("{prefix}{hash}"))
                .arg(document)
                .arg("EX")
                .arg(REDIS_TTL.as_secs())
                .ignore();
            if link.query::<()>(&set).await.is_ok() {
                return;
            }
        }
        let mut local = self
            .local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if local.documents.contains_key(&hash) {
            return;
        }
        while local.bytes + document.len() > LOCAL_BYTES {
            let Some(oldest) = local.order.pop_front() else {
                break;
            };
            if let Some(gone) = local.documents.remove(&oldest) {
                local.bytes -= gone.len();
            }
        }
        local.bytes += document.len();
        local.order.push_back(hash.clone());
        local.documents.insert(hash, document.to_owned());
    }
}

/// The hash an APQ extension names: version 1, 64 lower-case hex digits.
fn requested_hash(extension: &Option<serde_json::Value>) -> Result<String, Refusal> {
    let invalid = Refusal::Invalid("extensions.persistedQuery must be {version: 1, sha256Hash}");
    let extension = extension
        .as_ref()
        .ok_or(Refusal::Invalid("bad persistedQuery"))?;
    if extension["version"] != 1 {
        return Err(invalid);
    }
    let hash = extension["sha256Hash"].as_str().ok_or(invalid)?;
    if hash.len() != 64
        || !hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Refusal::Invalid(
            "sha256Hash must be 64 lower-case hex digits",
        ));
    }
    Ok(hash.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        request.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(serde_json::json!({"version": 1, "sha256Hash": hash}))
                .unwrap_or_default(),
        );
        request
    }

    #[tokio::test]
    async fn the_local_store_keeps_within_its_bound_oldest_out_first() {
        let store = PersistedQueries::new(None, None);
        let filler = "x".repeat(MAX_KEPT - 16);
        let documents: Vec<String> = (0..LOCAL_BYTES / filler.len() + 8)
            .map(|n| format!("{n:08}{filler}"))
            .collect();
        for doc in &documents {
            let kept = store.resolve(&mut with_hash(doc, &sha256_hex(doc))).await;
            assert_eq!(kept, Ok(()));
        }
        {
            let local = store
                .local
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            assert!(local.bytes <= LOCAL_BYTES);
            assert_eq!(local.documents.len(), local.order.len());
            assert!(
                !local.documents.contains_key(&sha256_hex(&documents[0])),
                "the oldest went first"
            );
            let newest = documents.last().map(|d| sha256_hex(d)).unwrap_or_default();
            assert!(local.documents.contains_key(&newest));
        }
        // Too large to keep: it runs, and is asked for in full again.
        let huge = "y".repeat(MAX_KEPT + 1);
        assert_eq!(
            store
                .resolve(&mut with_hash(&huge, &sha256_hex(&huge)))
                .await,
            Ok(())
        );
        assert_eq!(store.find(&sha256_hex(&huge)).await, Err(Refusal::NotFound));
    }

    #[test]
    fn a_manifest_entry_must_be_its_documents_hash() {
        let doc = "{ me { id } }";
        let good = serde_json::json!({ sha256_hex(doc): doc }).to_string();
        assert_eq!(
            PersistedQueries::read_manifest(&good).map(|m| m.len()),
            Ok(1)
        );
        let bad = serde_json::json!({ sha256_hex("{ other }"): doc }).to_string();
        assert!(PersistedQueries::read_manifest(&bad).is_err());
    }
}

//! Who is calling: decoded from the bearer token and checked against the live session.
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::sessions;
use sea_orm::{DatabaseConnection, EntityTrait};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::tokens::TokenKeys;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: String,
    pub session_id: String,
}

/// The caller of one request or socket.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No credentials were presented.
    Anonymous,
    /// A token was presented but is expired, forged, or its session is gone.
    Rejected,
    Signed(Viewer),
}

impl Auth {
    pub fn viewer(&self) -> AppResult<&Viewer> {
        match self {
            Auth::Signed(v) => Ok(v),
            Auth::Anonymous | Auth::Rejected => Err(AppError::Unauthenticated),
        }
    }

    /// The viewer when signed in, `None` when anonymous, an error when the token was bad.
    pub fn optional_viewer(&self) -> AppResult<Option<&Viewer>> {
        match self {
            Auth::Signed(v) => Ok(Some(v)),
            Auth::Anonymous => Ok(None),
            Auth::Rejected => Err(AppError::Unauthenticated),
        }
    }
}

/// Remembers sessions found live for a short while, so not every request reads the sessions table.
/// Revocation on another instance therefore takes effect within `ttl`.
#[derive(Clone)]
pub struct SessionCache {
    ttl: Duration,
    live: Arc<Mutex<HashMap<String, Instant>>>,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            live: Arc::default(),
        }
    }

    fn fresh(&self, session_id: &str) -> bool {
        let Ok(live) = self.live.lock() else {
            return false;
        };
        live.get(session_id)
            .is_some_and(|checked| checked.elapsed() < self.ttl)
    }

    fn remember(&self, session_id: &str) {
        if let Ok(mut live) = self.live.lock() {
            if live.len() > 100_000 {
                let ttl = self.ttl;
                live.retain(|_, checked| checked.elapsed() < ttl);
            }
            live.insert(session_id.to_owned(), Instant::now());
        }
    }

    pub fn forget(&self, session_ids: &[String]) {
        if let Ok(mut live) = self.live.lock() {
            for id in session_ids {
                live.remove(id);
            }
        }
    }

    /// Whether the session exists, is not revoked and has not expired.
    pub async fn is_live(&self, db: &DatabaseConnection, session_id: &str) -> AppResult<bool> {
        if self.fresh(session_id) {
            return Ok(true);
        }
        let live = sessions::Entity::find_by_id(session_id.to_owned())
            .one(db)
            .await?
            .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > Utc::now());
        if live {
            self.remember(session_id);
        }
        Ok(live)
    }
}

/// Resolves a bearer token (or its absence) to the caller.
pub async fn authenticate(
    keys: &TokenKeys,
    sessions: &SessionCache,
    db: &DatabaseConnection,
    bearer: Option<&str>,
) -> AppResult<Auth> {
    let Some(token) = bearer else {
        return Ok(Auth::Anonymous);
    };
    let Some(claims) = keys.verify(token) else {
        return Ok(Auth::Rejected);
    };
    if !sessions.is_live(db, &claims.sid).await? {
        return Ok(Auth::Rejected);
    }
    Ok(Auth::Signed(Viewer {
        user_id: claims.sub,
        session_id: claims.sid,
    }))
}

/// Takes the token out of an `Authorization: Bearer <token>` value.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

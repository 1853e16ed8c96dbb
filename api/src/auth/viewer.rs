//! Who is calling: decoded from the bearer token and checked against the live session.
use crate::error::{AppError, AppResult};
use crate::ids::{SessionId, UserId};
use chrono::Utc;
use entity::sessions;
use sea_orm::{DatabaseConnection, EntityTrait};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use super::tokens::TokenKeys;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: UserId,
    pub session_id: SessionId,
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

/// Remembers sessions found live for a short while, so not every request reads the sessions
/// table, and forgets a revoked one at once: revocations are announced to every instance
/// ([`SessionCache::revoke`]), which also closes the sockets signed in with them. `ttl` bounds
/// how late a revocation bites when its announcement is lost.
#[derive(Clone)]
pub struct SessionCache {
    ttl: Duration,
    state: Arc<Mutex<CacheState>>,
}

#[derive(Default)]
struct CacheState {
    /// Sessions found live, with whose they are and when that was read.
    live: HashMap<SessionId, (UserId, Instant)>,
    /// Revoked here: never remembered as live again (a check that read the row just before the
    /// revocation committed must not bring it back).
    revoked: HashMap<SessionId, Instant>,
    /// Sockets open under each session: cancelled when it is revoked.
    sockets: HashMap<SessionId, (CancellationToken, usize)>,
}

/// How long a revocation is remembered; the sessions table says the rest.
const TOMBSTONE: Duration = Duration::from_secs(120);

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            state: Arc::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Live for `user` by a recent check (`Some(true)`), revoked here or someone else's
    /// (`Some(false)`), or unknown.
    fn known(&self, session_id: &SessionId, user: &UserId) -> Option<bool> {
        let state = self.state();
        if state.revoked.contains_key(session_id) {
            return Some(false);
        }
        state
            .live
            .get(session_id)
            .filter(|(_, checked)| checked.elapsed() < self.ttl)
            .map(|(owner, _)| owner == user)
    }

    fn remember(&self, session_id: &SessionId, user: &UserId) {
        let mut state = self.state();
        if state.revoked.contains_key(session_id) {
            return;
        }
        if state.live.len() > 100_000 {
            let ttl = self.ttl;
            state.live.retain(|_, (_, checked)| checked.elapsed() < ttl);
        }
        state
            .live
            .insert(session_id.clone(), (user.clone(), Instant::now()));
    }

    /// Forgets these sessions and closes their sockets on this instance.
    pub fn revoke(&self, session_ids: &[SessionId]) {
        let mut state = self.state();
        if state.revoked.len() > 100_000 {
            state.revoked.retain(|_, at| at.elapsed() < TOMBSTONE);
        }
        for id in session_ids {
            state.live.remove(id);
            state.revoked.insert(id.clone(), Instant::now());
            if let Some((token, _)) = state.sockets.get(id) {
                token.cancel();
            }
        }
    }

    /// Forgets every remembered check (revocations may have been missed): the next request of
    /// each session reads the table again.
    pub fn forget_all(&self) {
        self.state().live.clear();
    }

    /// A handle a socket keeps while it is open: cancelled when its session is revoked.
    pub fn watch(&self, session_id: &SessionId) -> SessionWatch {
        let mut state = self.state();
        let revoked = state.revoked.contains_key(session_id);
        let (token, count) = state
            .sockets
            .entry(session_id.clone())
            .or_insert_with(|| (CancellationToken::new(), 0));
        *count += 1;
        if revoked {
            token.cancel();
        }
        SessionWatch {
            revoked: token.clone(),
            session_id: session_id.clone(),
            cache: self.clone(),
        }
    }

    /// Whether the session exists, is `user`'s, is not revoked and has not expired. A token
    /// naming one person and another's session is refused, however it was signed.
    pub async fn is_live(
        &self,
        db: &DatabaseConnection,
        session_id: &SessionId,
        user: &UserId,
    ) -> AppResult<bool> {
        if let Some(known) = self.known(session_id, user) {
            return Ok(known);
        }
        let Some(session) = sessions::Entity::find_by_id(session_id.clone())
            .one(db)
            .await?
            .filter(|s| s.revoked_at.is_none() && s.expires_at > Utc::now())
        else {
            return Ok(false);
        };
        self.remember(session_id, &session.user_id);
        Ok(session.user_id == *user)
    }
}

/// See [`SessionCache::watch`].
pub struct SessionWatch {
    pub revoked: CancellationToken,
    session_id: SessionId,
    cache: SessionCache,
}

impl Drop for SessionWatch {
    fn drop(&mut self) {
        let mut state = self.cache.state();
        if let Some((_, count)) = state.sockets.get_mut(&self.session_id) {
            *count -= 1;
            if *count == 0 {
                state.sockets.remove(&self.session_id);
            }
        }
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
    let session_id = SessionId::from(claims.sid);
    let user_id = UserId::from(claims.sub);
    if !sessions.is_live(db, &session_id, &user_id).await? {
        return Ok(Auth::Rejected);
    }
    Ok(Auth::Signed(Viewer {
        user_id,
        session_id,
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

/// Facts about one request that services may need (never logged).
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub client_ip: IpAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(id: &str) -> SessionId {
        SessionId::from(id)
    }

    fn ana() -> UserId {
        UserId::from("ana")
    }

    fn ids(n: usize) -> Vec<SessionId> {
        (0..n).map(|i| SessionId::from(format!("s{i}"))).collect()
    }

    #[test]
    fn a_session_found_live_is_known_until_its_ttl_runs_out() {
        let cache = SessionCache::new(Duration::from_secs(60));
        assert_eq!(cache.known(&sid("a"), &ana()), None);
        cache.remember(&sid("a"), &ana());
        assert_eq!(cache.known(&sid("a"), &ana()), Some(true));
        assert_eq!(cache.known(&sid("b"), &ana()), None);
        assert_eq!(
            cache.known(&sid("a"), &UserId::from("mallory")),
            Some(false),
            "a session is its own person's only"
        );

        let expired = SessionCache::new(Duration::ZERO);
        expired.remember(&sid("a"), &ana());
        assert_eq!(
            expired.known(&sid("a"), &ana()),
            None,
            "a check is good for ttl only"
        );
    }

    #[test]
    fn a_revoked_session_stays_revoked_and_is_never_remembered_again() {
        let cache = SessionCache::new(Duration::from_secs(60));
        cache.remember(&sid("a"), &ana());
        cache.revoke(&[sid("a")]);
        assert_eq!(cache.known(&sid("a"), &ana()), Some(false));
        cache.remember(&sid("a"), &ana());
        assert_eq!(cache.known(&sid("a"), &ana()), Some(false));
        cache.forget_all();
        assert_eq!(
            cache.known(&sid("a"), &ana()),
            Some(false),
            "forgetting checks keeps revocations"
        );
    }

    #[test]
    fn forgetting_all_checks_makes_every_session_unknown() {
        let cache = SessionCache::new(Duration::from_secs(60));
        cache.remember(&sid("a"), &ana());
        cache.remember(&sid("b"), &ana());
        cache.forget_all();
        assert_eq!(
            (
                cache.known(&sid("a"), &ana()),
                cache.known(&sid("b"), &ana())
            ),
            (None, None)
        );
    }

    #[test]
    fn the_memory_is_bounded_by_dropping_what_ran_out() {
        let cache = SessionCache::new(Duration::ZERO);
        for id in ids(100_001) {
            cache.remember(&id, &ana());
        }
        assert_eq!(
            cache.state().live.len(),
            100_001,
            "pruned only past the bound"
        );
        cache.remember(&sid("one more"), &ana());
        assert_eq!(
            cache.state().live.len(),
            1,
            "checks past their ttl were dropped"
        );

        let live = SessionCache::new(Duration::from_secs(60));
        for id in ids(100_002) {
            live.remember(&id, &ana());
        }
        assert_eq!(
            live.state().live.len(),
            100_002,
            "checks still good are kept"
        );

        let revoked = SessionCache::new(Duration::from_secs(60));
        revoked.revoke(&ids(100_001));
        revoked.revoke(&[sid("one more")]);
        assert_eq!(
            revoked.state().revoked.len(),
            100_002,
            "tombstones last two minutes"
        );
    }

    #[test]
    fn sockets_are_cancelled_on_revocation_and_forgotten_when_closed() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let first = cache.watch(&sid("a"));
        let second = cache.watch(&sid("a"));
        let other = cache.watch(&sid("b"));
        assert_eq!(cache.state().sockets[&sid("a")].1, 2);
        drop(first);
        assert_eq!(cache.state().sockets[&sid("a")].1, 1);
        cache.revoke(&[sid("a")]);
        assert!(second.revoked.is_cancelled());
        assert!(!other.revoked.is_cancelled());
        drop(second);
        drop(other);
        assert!(
            cache.state().sockets.is_empty(),
            "closed sockets leave nothing behind"
        );

        let late = cache.watch(&sid("a"));
        assert!(
            late.revoked.is_cancelled(),
            "a socket of a revoked session closes at once"
        );
    }
}

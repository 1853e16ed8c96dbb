//! JWT access tokens (HS256, short-lived) and opaque refresh tokens (256 random bits, stored hashed).
use crate::config::Secret;
use crate::ids::{SessionId, UserId};
use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub const ISSUER: &str = "hearth";
/// Clock difference tolerated between instances for `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: u64 = 5;
pub const AUDIENCE: &str = "hearth-app";
const ACCESS: &str = "access";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub typ: String,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &Secret, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        // `nbf` is checked when present; tokens issued before it was added (15 minutes at most)
        // lack it. Require it once those are gone.
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            ttl,
        }
    }

    /// Issues an access token for a session; returns it with its expiry.
    pub fn issue(
        &self,
        user_id: &UserId,
        session_id: &SessionId,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let expires = now + chrono::Duration::from_std(self.ttl)?;
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires.timestamp(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            typ: ACCESS.into(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires))
    }

    /// Verifies signature, algorithm, expiry, not-before, issue time, issuer, audience and type.
    /// Session liveness is checked elsewhere.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        // A token issued in the future was not issued by a clock we trust.
        let issued_in_time = claims.iat <= Utc::now().timestamp() + LEEWAY_SECS as i64;
        (claims.typ == ACCESS && issued_in_time).then_some(claims)
    }
}

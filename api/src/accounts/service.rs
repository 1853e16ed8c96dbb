//! Account services: plain async functions over the database, testable without GraphQL.
use super::addresses::{self, account_with};
use super::input::{Country, DisplayName, Email, Password, Timezone};
use crate::auth::passwords::PasswordHasher;
use crate::auth::tokens::TokenKeys;
use crate::auth::{device_proof, revocation, RequestMeta, SessionCache, Viewer};
use crate::broker::Broker;
use crate::broker::Event;
use crate::config::Settings;
use crate::db::{begin_write, is_unique_violation};
use crate::error::{AppError, AppResult};
use crate::ids::{GroupId, SessionId, UserId};
use crate::keys::Indexed;
use crate::mail::{outbox, Mail};
use crate::rate_limit::{Limit, RateLimiter};
use crate::secrets::{random_token, sha256_hex};
use chrono::{DateTime, Utc};
use entity::{devices, memberships, refresh_tokens, sessions, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use std::net::IpAddr;

/// What the account services work with: the database and the credential plumbing, nothing more.
pub struct Credentials<'a> {
    pub db: &'a DatabaseConnection,
    pub settings: &'a Settings,
    pub keys: &'a TokenKeys,
    pub vault: &'a crate::keys::Vault,
    pub passwords: &'a PasswordHasher,
    pub limiter: &'a RateLimiter,
    pub sessions: &'a SessionCache,
    pub broker: &'a Broker,
}

/// A signed-in session as handed to the app.
pub struct SignedIn {
    /// Kept by the app and given with its next `login` (see `auth::device_proof`).
    pub device_proof: Option<String>,
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub user: users::Model,
}

/// Failed password checks against one account, counted per client address (so a stranger
/// elsewhere cannot lock the owner out) and account-wide under a much higher ceiling (so many
/// addresses together cannot guess for ever). Clients the owner used before are held to their
/// own count only, so guessing from many addresses does not lock the owner out of them: an app
/// that presents the device proof a sign-in gave it (`auth::device_proof`), and an address the
/// account signed in from lately. When the ceiling is reached, the owner is told by mail.
struct PasswordGuesses {
    email: String,
    from_address: String,
    anywhere: String,
    known_address: String,
    /// The counter of a valid device proof presented with the sign-in.
    from_device: Option<String>,
    per_address: Limit,
    per_account: Limit,
}

/// How long an address that signed in stays known to its account.
const KNOWN_ADDRESS_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// An address as one client: IPv6 by its /64, which one subscriber usually holds whole.
fn client_key(client: IpAddr) -> String {
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The server's secret, the key mailed codes are hashed with (so a copy of the database alone
/// does not give the codes back) and device proofs are made with.
pub fn code_key<'a>(ctx: &'a Credentials<'_>) -> &'a str {
    ctx.settings
        .jwt_secret
        .as_ref()
        .map(|s| s.expose())
        .unwrap_or_default()
}

/// How the rate limiter's counters (and the device proofs bound to them) name an account: a
/// keyed index of its address, so the limiter's store (Redis) holds neither the address nor a
/// plain hash of it that a list of addresses would match. A KEK rotation starts the counters
/// afresh and asks each device for a new proof at its next sign-in.
pub(super) fn counter_key(ctx: &Credentials<'_>, address: &str) -> String {
    ctx.vault.ring().index(Indexed::Counters, address)
}

/// Every name the counters of this address may have been kept under: the keyed index under
/// each KEK of the ring (counters written before a rotation), and the plain digest that
/// versions before the keyed index wrote (kept at most 30 days).
pub(super) fn counter_keys(ctx: &Credentials<'_>, address: &str) -> Vec<String> {
    let mut keys = ctx.vault.ring().indexes(Indexed::Counters, address);
    keys.push(sha256_hex(address));
    keys
}

impl PasswordGuesses {
    fn new(ctx: &Credentials<'_>, email: &str, client: IpAddr, proof: Option<&str>) -> Self {
        let limits = &ctx.settings.auth_limits;
        let account = counter_key(ctx, email);
        let client = client_key(client);
        let from_device = proof
            .and_then(|proof| device_proof::verify(code_key(ctx), &account, proof))
            .map(|device| format!("login:device:{account}:{device}"));
        PasswordGuesses {
            from_address: format!("login:account-ip:{account}:{client}"),
            anywhere: format!("login:account:{account}"),
            known_address: format!("login:known:{account}:{client}"),
            email: email.to_owned(),
            from_device,
            per_address: Limit {
                max: limits.login_failures_per_account,
                window: limits.login_window,
            },
            per_account: Limit {
                max: limits.login_failures_per_account_total,
                window: limits.login_window,
            },
        }
    }

    async fn check(&self, ctx: &Credentials<'_>) -> AppResult<()> {
        if let Some(device) = &self.from_device {
            return ctx.limiter.check(device, self.per_address).await;
        }
        ctx.limiter
            .check(&self.from_address, self.per_address)
            .await?;
        if ctx
            .limiter
            .seen(&self.known_address, KNOWN_ADDRESS_FOR)
            .await?
        {
            return Ok(());
        }
        ctx.limiter.check(&self.anywhere, self.per_account).await
    }

    /// Counts a wrong password: against the device that presented its proof, or else against
    /// the address and the account; the failure that reaches the account's ceiling tells the
    /// owner.
    async fn failed(&self, ctx: &Credentials<'_>) -> AppResult<()> {
        if let Some(device) = &self.from_device {
            ctx.limiter.record(device, self.per_address).await?;
            return Ok(());
        }
        ctx.limiter
            .record(&self.from_address, self.per_address)
            .await?;
        let failures = ctx.limiter.record(&self.anywhere, self.per_account).await?;
        if failures == self.per_account.max {
            warn_of_guessing(ctx, &self.email, self.per_account.window).await?;
        }
        Ok(())
    }

    /// The account-wide count stays: the owner signing in does not give guessers a new start.
    async fn succeeded(&self, ctx: &Credentials<'_>) -> AppResult<()> {
        let known = Limit {
            max: u32::MAX,
            window: KNOWN_ADDRESS_FOR,
        };
        ctx.limiter.record(&self.known_address, known).await?;
        if let Some(device) = &self.from_device {
            ctx.limiter.clear(device).await?;
        }
        ctx.limiter.clear(&self.from_address).await
    }
}

/// Tells the owner of `email` that wrong passwords reached the account's ceiling, and how to get
/// in meanwhile. The mail says nothing of what Hearth is for. An address without an account gets
/// the same work, with a decoy mail the worker drops unsent, so that the failure that reaches the
/// ceiling does not tell whether the address has an account.
async fn warn_of_guessing(
    ctx: &Credentials<'_>,
    email: &str,
    window: std::time::Duration,
) -> AppResult<()> {
    let owner = match Email::parse(email) {
        Ok(address) => account_with(ctx.db, ctx.vault, &address).await?,
        Err(_) => None,
    };
    let minutes = window.as_secs().div_ceil(60);
    let mail = Mail {
        to: email.to_owned(),
        subject: "Many wrong passwords were tried on your Hearth account".into(),
        body: format!(
            "Someone tried many wrong passwords on your Hearth account in the last {minutes} \
             minutes. Your account is safe as long as your password is not guessed.\n\n\
             The app on a phone you signed in from before still signs in as usual, and so do \
             places you signed in from lately. Anywhere new has to wait up to {minutes} \
             minutes, or can reset the password from the sign-in screen.\n\n\
             If this was not you, consider changing your password to a long passphrase.\n"
        ),
        expires_at: Utc::now() + chrono::Duration::hours(24),
    };
    let mail = if owner.is_some() { mail } else { mail.decoy() };
    let txn = begin_write(ctx.db).await?;
    outbox::enqueue(&txn, ctx.vault, mail).await?;
    txn.commit().await?;
    ctx.broker.publish(Event::MailQueued).await;
    if let Some(owner) = owner {
        tracing::warn!(user_id = %owner.id, "account-wide sign-in ceiling reached; owner told");
    }
    Ok(())
}

pub async fn find_user(db: &DatabaseConnection, user_id: &UserId) -> AppResult<users::Model> {
    users::Entity::find_by_id(user_id.to_owned())
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The account with this email (compared as stored: trimmed, lower case); `NOT_FOUND` if none.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    vault: &crate::keys::Vault,
    email: &str,
) -> AppResult<users::Model> {
    let email = Email::parse(&email.trim().to_lowercase())?;
    account_with(db, vault, &email)
        .await?
        .ok_or(AppError::NotFound)
}

/// Makes an account a platform admin (the command line's `admin create-admin`).
pub async fn make_admin(db: &impl ConnectionTrait, user_id: &UserId) -> AppResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::IsAdmin, Expr::value(true))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Signs in with a password. `device_proof` is what an earlier sign-in on this install handed
/// the app: with it, failures from elsewhere do not hold this sign-in back.
pub async fn login(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    email: &str,
    password: &str,
    device_proof: Option<&str>,
) -> AppResult<SignedIn> {
    let limits = &ctx.settings.auth_limits;
    ctx.limiter
        .hit(
            &format!("login:ip:{}", meta.client_ip),
            Limit {
                max: limits.login_attempts_per_ip,
                window: limits.login_window,
            },
        )
        .await?;
    let normalised = email.trim().to_lowercase();
    let guesses = PasswordGuesses::new(ctx, &normalised, meta.client_ip, device_proof);
    guesses.check(ctx).await?;

    let user = match Email::parse(&normalised) {
        Ok(email) => account_with(ctx.db, ctx.vault, &email).await?,
        Err(_) => None,
    };
    let ok = ctx
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    let Some(user) = user.filter(|_| ok) else {
        guesses.failed(ctx).await?;
        return Err(AppError::InvalidCredentials);
    };
    guesses.succeeded(ctx).await?;

    let txn = begin_write(ctx.db).await?;
    let signed_in = start_session(ctx, &txn, user).await?;
    txn.commit().await?;
    tracing::info!(user_id = %signed_in.user.id, "signed in");
    Ok(signed_in)
}

/// Opens a session for `user` inside the caller's transaction, to be handed to the app once the
/// caller commits.
pub async fn start_session(
    ctx: &Credentials<'_>,
    txn: &impl ConnectionTrait,
    user: users::Model,
) -> AppResult<SignedIn> {
    let (session_id, refresh_token) = open_session(ctx, txn, &user.id).await?;
    signed_in(ctx, txn, user, &session_id, refresh_token).await
}

/// Exchanges a refresh token for a new pair. Each token is single use: a rotated token is still
/// honoured within the grace window (an app's two concurrent refreshes); after it, presenting it
/// means it was stolen or replayed, and the whole session is revoked.
pub async fn refresh_session(ctx: &Credentials<'_>, refresh_token: &str) -> AppResult<SignedIn> {
    let hash = sha256_hex(refresh_token.trim());
    let Some(token) = refresh_tokens::Entity::find_by_id(hash.clone())
        .one(ctx.db)
        .await?
    else {
        return Err(AppError::SessionExpired);
    };
    let session = sessions::Entity::find_by_id(token.session_id.clone())
        .one(ctx.db)
        .await?
        .ok_or(AppError::SessionExpired)?;
    let now = Utc::now();
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(AppError::SessionExpired);
    }
    let grace =
        chrono::Duration::from_std(ctx.settings.refresh_reuse_grace).map_err(AppError::internal)?;

    let txn = begin_write(ctx.db).await?;
    let won_rotation = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(now))
        .filter(refresh_tokens::Column::TokenHash.eq(hash.as_str()))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if won_rotation {
        // Any other live token of this session (left by a concurrent refresh) is retired too.
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(now))
            .filter(refresh_tokens::Column::SessionId.eq(session.id.as_str()))
            .filter(refresh_tokens::Column::RotatedAt.is_null())
            .exec(&txn)
            .await?;
    } else {
        let rotated_at = refresh_tokens::Entity::find_by_id(hash.clone())
            .one(&txn)
            .await?
            .and_then(|t| t.rotated_at)
            .unwrap_or(now);
        if now - rotated_at > grace {
            txn.rollback().await?;
            revoke_sessions(ctx, std::slice::from_ref(&session.id), "refresh_reuse").await?;
            tracing::warn!(session_id = %session.id, "rotated refresh token presented again; session revoked");
            return Err(AppError::SessionExpired);
        }
    }
    let refresh_token = insert_refresh_token(&txn, &session.id).await?;
    let expires_at =
        now + chrono::Duration::from_std(ctx.settings.session_ttl).map_err(AppError::internal)?;
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastRefreshedAt, Expr::value(now))
        .col_expr(sessions::Column::ExpiresAt, Expr::value(expires_at))
        .filter(sessions::Column::Id.eq(session.id.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let user = find_user(ctx.db, &session.user_id).await?;
    signed_in(ctx, ctx.db, user, &session.id, refresh_token).await
}

pub async fn logout(ctx: &Credentials<'_>, viewer: &Viewer, all_devices: bool) -> AppResult<()> {
    let session_ids = if all_devices {
        live_session_ids(ctx.db, &viewer.user_id).await?
    } else {
        vec![viewer.session_id.clone()]
    };
    revoke_sessions(ctx, &session_ids, "logout").await?;
    tracing::info!(user_id = %viewer.user_id, sessions = session_ids.len(), "signed out");
    Ok(())
}

/// Changes the password and signs out every other session of the account.
pub async fn change_password(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    viewer: &Viewer,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let user = find_user(ctx.db, &viewer.user_id).await?;
    confirm_password(ctx, meta, &user, current, "current").await?;
    let new = Password::parse(new, "new")?;
    let hash = ctx.passwords.hash(new.expose()).await?;
    let others: Vec<SessionId> = live_session_ids(ctx.db, &user.id)
        .await?
        .into_iter()
        .filter(|id| *id != viewer.session_id)
        .collect();

    let txn = begin_write(ctx.db).await?;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(users::Column::Id.eq(user.id.as_str()))
        .exec(&txn)
        .await?;
    revoke_sessions_in(&txn, &others, "password_changed").await?;
    txn.commit().await?;
    revocation::announce(ctx.sessions, ctx.broker, &others).await;
    tracing::info!(user_id = %user.id, revoked = others.len(), "password changed");
    Ok(())
}

/// Checks a signed-in person's password before something that cannot be undone. A wrong one
/// is `BAD_USER_INPUT` on `field` and counts as a failed sign-in from this address.
pub(super) async fn confirm_password(
    ctx: &Credentials<'_>,
    meta: &RequestMeta,
    user: &users::Model,
    password: &str,
    field: &'static str,
) -> AppResult<()> {
    // The stored address is sealed: the guesses are counted, and the owner told, under the
    // address itself, as a sign-in counts them. An address that no longer opens (a backup
    // restored after an erasure) counts under the account's id, and its account can still be
    // deleted.
    let address = addresses::address_of(ctx.db, ctx.vault, user)
        .await
        .unwrap_or_else(|_| user.id.to_string());
    let guesses = PasswordGuesses::new(ctx, &address, meta.client_ip, None);
    guesses.check(ctx).await?;
    if !ctx
        .passwords
        .verify(password, Some(&user.password_hash))
        .await?
    {
        guesses.failed(ctx).await?;
        return Err(AppError::bad_input(field, "the password is incorrect"));
    }
    Ok(())
}

pub async fn update_profile(
    ctx: &Credentials<'_>,
    viewer: &Viewer,
    display_name: Option<&str>,
    timezone: Option<&str>,
    country: Option<&str>,
) -> AppResult<users::Model> {
    let display_name = display_name.map(DisplayName::parse).transpose()?;
    let timezone = timezone.map(Timezone::parse).transpose()?;
    let country = country.map(Country::parse).transpose()?;
    let user = find_user(ctx.db, &viewer.user_id).await?;
    if let Some(name) = &display_name {
        if name_in_use(ctx.db, &name.key(), Some(&user.id), None).await? {
            return Err(name_taken());
        }
    }
    let mut active: users::ActiveModel = user.into();
    if let Some(name) = display_name {
        active.display_name_key = Set(name.key());
        active.display_name = Set(name.as_str().to_owned());
    }
    if let Some(tz) = timezone {
        active.timezone = Set(tz.as_str().to_owned());
    }
    if let Some(country) = country {
        active.country = Set(country.into_code());
    }
    active.updated_at = Set(Utc::now());
    let txn = begin_write(ctx.db).await?;
    let user = active.update(&txn).await.map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("displayName", "this display name is taken")
        } else {
            e.into()
        }
    })?;
    txn.commit().await?;
    Ok(user)
}

pub(super) fn name_taken() -> AppError {
    AppError::conflict(
        "displayName",
        "this display name is taken, or looks like one that is",
    )
}

/// Whether someone other than `me` goes by a name with this key (see [`DisplayName::key`]):
/// as a display name, or as an alias in `group` (in any group when `None`). Others see a
/// person by either, so a look-alike of either is someone passing for them.
pub async fn name_in_use(
    db: &impl ConnectionTrait,
    key: &str,
    me: Option<&UserId>,
    group: Option<&GroupId>,
) -> AppResult<bool> {
    let mut named = users::Entity::find().filter(users::Column::DisplayNameKey.eq(key));
    let mut aliased = memberships::Entity::find().filter(memberships::Column::AliasKey.eq(key));
    if let Some(me) = me {
        named = named.filter(users::Column::Id.ne(me));
        aliased = aliased.filter(memberships::Column::UserId.ne(me));
    }
    if let Some(group) = group {
        aliased = aliased.filter(memberships::Column::GroupId.eq(group));
    }
    Ok(named.one(db).await?.is_some() || aliased.one(db).await?.is_some())
}

pub(super) async fn live_session_ids(
    db: &impl ConnectionTrait,
    user_id: &UserId,
) -> AppResult<Vec<SessionId>> {
    Ok(sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

async fn open_session(
    ctx: &Credentials<'_>,
    txn: &impl ConnectionTrait,
    user_id: &UserId,
) -> AppResult<(SessionId, String)> {
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(ctx.settings.session_ttl).map_err(AppError::internal)?;
    let session = sessions::ActiveModel {
        id: Set(SessionId::generate()),
        user_id: Set(user_id.clone()),
        created_at: Set(now),
        last_refreshed_at: Set(now),
        expires_at: Set(now + ttl),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(txn)
    .await?;
    let refresh_token = insert_refresh_token(txn, &session.id).await?;
    Ok((session.id, refresh_token))
}

async fn insert_refresh_token(
    txn: &impl ConnectionTrait,
    session_id: &SessionId,
) -> AppResult<String> {
    let token = random_token();
    refresh_tokens::ActiveModel {
        token_hash: Set(sha256_hex(&token)),
        session_id: Set(session_id.clone()),
        created_at: Set(Utc::now()),
        rotated_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(token)
}

/// Revokes sessions and drops their push devices: a signed-out phone gets no more pushes.
async fn revoke_sessions(
    ctx: &Credentials<'_>,
    session_ids: &[SessionId],
    reason: &str,
) -> AppResult<()> {
    let txn = begin_write(ctx.db).await?;
    revoke_sessions_in(&txn, session_ids, reason).await?;
    txn.commit().await?;
    revocation::announce(ctx.sessions, ctx.broker, session_ids).await;
    Ok(())
}

pub(super) async fn revoke_sessions_in(
    txn: &impl ConnectionTrait,
    session_ids: &[SessionId],
    reason: &str,
) -> AppResult<()> {
    if session_ids.is_empty() {
        return Ok(());
    }
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(sessions::Column::RevokedReason, Expr::value(reason))
        .filter(sessions::Column::Id.is_in(session_ids))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    devices::Entity::delete_many()
        .filter(devices::Column::SessionId.is_in(session_ids))
        .exec(txn)
        .await?;
    Ok(())
}

/// What the app is handed; `user` holds the address opened.
async fn signed_in(
    ctx: &Credentials<'_>,
    db: &impl ConnectionTrait,
    mut user: users::Model,
    session_id: &SessionId,
    refresh_token: String,
) -> AppResult<SignedIn> {
    user.email = addresses::address_of(db, ctx.vault, &user).await?;
    let (access_token, access_token_expires_at) = ctx
        .keys
        .issue(&user.id, session_id)
        .map_err(AppError::internal)?;
    let device_proof = device_proof::issue(code_key(ctx), &counter_key(ctx, &user.email));
    Ok(SignedIn {
        device_proof,
        access_token,
        access_token_expires_at,
        refresh_token,
        user,
    })
}

//! Sharing check-ins with a clinician or someone trusted: a token shown once (kept hashed) opens a
//! read-only view until it expires or is revoked. Every use is recorded: when, which share; never
//! what was seen. An unknown, expired or revoked token is `NOT_FOUND`.
use crate::auth::Viewer;
use crate::clock::now;
use crate::db::{begin_write, count_change};
use crate::error::{AppError, AppResult};
use crate::ids::{MoodShareId, ShareAccessId, UserId};
use crate::keys::fields::SHARE_LABEL;
use crate::keys::Vault;
use crate::secrets::{random_token, sha256_hex};
use chrono::{DateTime, Duration, Utc};
use entity::{mood_checkins, mood_share_accesses, mood_shares};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// The longest a share may last.
pub const MAX_DAYS: i64 = 366;
/// Shares listed at most (newest first).
const LIST_MAX: u64 = 100;
/// Check-ins one shared view returns at most (newest first).
pub const SHARED_CHECKINS_MAX: u64 = 1_000;

pub struct NewShare {
    pub label: String,
    pub expires_at: DateTime<Utc>,
    pub include_notes: bool,
}

/// A new share and its token, which is shown this once.
pub struct CreatedShare {
    pub share: mood_shares::Model,
    pub token: String,
}

pub fn is_open(share: &mood_shares::Model, at: DateTime<Utc>) -> bool {
    share.revoked_at.is_none() && share.expires_at > at
}

/// A share ends after `at` and at most [`MAX_DAYS`] after it.
fn check_expiry(expires_at: DateTime<Utc>, at: DateTime<Utc>) -> AppResult<()> {
    if expires_at <= at {
        return Err(AppError::bad_input("expiresAt", "must be in the future"));
    }
    if expires_at > at + Duration::days(MAX_DAYS) {
        return Err(AppError::bad_input(
            "expiresAt",
            format!("a share lasts at most {MAX_DAYS} days"),
        ));
    }
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    vault: &Vault,
    viewer: &Viewer,
    input: NewShare,
) -> AppResult<CreatedShare> {
    let at = now();
    let label = crate::text::title_between("label", &input.label, 1, 100)?;
    check_expiry(input.expires_at, at)?;
    let token = random_token();
    let owner = vault.key_for_writing(db, &viewer.user_id).await?;
    let id = MoodShareId::generate();
    let sealed = owner.seal(SHARE_LABEL, id.as_str(), &label)?;
    let txn = begin_write(db).await?;
    let mut share = mood_shares::ActiveModel {
        id: Set(id),
        user_id: Set(viewer.user_id.clone()),
        label: Set(sealed),
        token_hash: Set(sha256_hex(&token)),
        include_notes: Set(input.include_notes),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        last_accessed_at: Set(None),
        access_count: Set(0),
        created_at: Set(at),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    share.label = label;
    Ok(CreatedShare { share, token })
}

/// The share with its label opened.
async fn labelled(
    db: &impl ConnectionTrait,
    vault: &Vault,
    mut share: mood_shares::Model,
) -> AppResult<mood_shares::Model> {
    let owner = vault.key_of(db, &share.user_id).await?;
    share.label = owner.open(SHARE_LABEL, share.id.as_str(), &share.label)?;
    Ok(share)
}

/// My shares, newest first, open or not.
pub async fn list(
    db: &DatabaseConnection,
    vault: &Vault,
    user_id: &UserId,
) -> AppResult<Vec<mood_shares::Model>> {
    let shares = mood_shares::Entity::find()
        .filter(mood_shares::Column::UserId.eq(user_id))
        .order_by_desc(mood_shares::Column::CreatedAt)
        .limit(LIST_MAX)
        .all(db)
        .await?;
    let owner = vault.key_of(db, user_id).await?;
    shares
        .into_iter()
        .map(|mut share| {
            share.label = owner.open(SHARE_LABEL, share.id.as_str(), &share.label)?;
            Ok(share)
        })
        .collect()
}

/// Ends one of my shares at once; revoking again keeps the first time.
pub async fn revoke(
    db: &DatabaseConnection,
    vault: &Vault,
    viewer: &Viewer,
    id: &MoodShareId,
) -> AppResult<mood_shares::Model> {
    let txn = begin_write(db).await?;
    let share = mood_shares::Entity::find_by_id(id.clone())
        .one(&txn)
        .await?
        .filter(|s| s.user_id == viewer.user_id)
        .ok_or(AppError::NotFound)?;
    if share.revoked_at.is_some() {
        return labelled(&txn, vault, share).await;
    }
    let mut active: mood_shares::ActiveModel = share.into();
    active.revoked_at = Set(Some(now()));
    let share = active.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(share = %share.id, "mood share revoked");
    labelled(db, vault, share).await
}

/// Opens a share by its token and records the access; `NOT_FOUND` unless it is open.
pub async fn open(
    db: &DatabaseConnection,
    vault: &Vault,
    token: &str,
) -> AppResult<mood_shares::Model> {
    let at = now();
    let txn = begin_write(db).await?;
    let share = mood_shares::Entity::find()
        .filter(mood_shares::Column::TokenHash.eq(sha256_hex(token.trim())))
        .one(&txn)
        .await?
        .filter(|s| is_open(s, at))
        .ok_or(AppError::NotFound)?;
    mood_share_accesses::ActiveModel {
        id: Set(ShareAccessId::generate()),
        share_id: Set(share.id.clone()),
        accessed_at: Set(at),
    }
    .insert(&txn)
    .await?;
    count_change::<mood_shares::Entity>(mood_shares::Column::AccessCount, 1)
        .col_expr(mood_shares::Column::LastAccessedAt, Expr::value(at))
        .filter(mood_shares::Column::Id.eq(share.id.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(share = %share.id, "mood share opened");
    labelled(db, vault, share).await
}

/// The owner's check-ins in [`start`, `end`), newest first, for a shared view: their notes
/// opened if the share includes notes, left out if not.
pub async fn checkins(
    db: &impl ConnectionTrait,
    vault: &Vault,
    share: &mood_shares::Model,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<Vec<mood_checkins::Model>> {
    let user_id = &share.user_id;
    let rows = mood_checkins::Entity::find()
        .filter(mood_checkins::Column::UserId.eq(user_id))
        .filter(mood_checkins::Column::LoggedAt.gte(start))
        .filter(mood_checkins::Column::LoggedAt.lt(end))
        .order_by_desc(mood_checkins::Column::LoggedAt)
        .order_by_desc(mood_checkins::Column::Id)
        .limit(SHARED_CHECKINS_MAX)
        .all(db)
        .await?;
    if share.include_notes {
        super::service::open_notes(db, vault, user_id, rows).await
    } else {
        Ok(rows
            .into_iter()
            .map(|row| mood_checkins::Model { note: None, ..row })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_lasts_from_just_after_now_to_exactly_the_longest_span() {
        let at = now();
        let longest = at + Duration::days(MAX_DAYS);
        assert!(check_expiry(at, at).is_err());
        assert!(check_expiry(at + Duration::microseconds(1), at).is_ok());
        assert!(check_expiry(longest, at).is_ok());
        assert!(check_expiry(longest + Duration::microseconds(1), at).is_err());
    }

    #[test]
    fn a_share_closes_at_its_expiry_or_when_revoked() {
        let at = now();
        let share = mood_shares::Model {
            id: "s".into(),
            user_id: "u".into(),
            label: "Dr Okafor".into(),
            token_hash: "h".into(),
            include_notes: false,
            expires_at: at,
            revoked_at: None,
            last_accessed_at: None,
            access_count: 0,
            created_at: at,
        };
        assert!(!is_open(&share, at), "expiring now is expired");
        assert!(is_open(&share, at - Duration::microseconds(1)));
        let revoked = mood_shares::Model {
            revoked_at: Some(at),
            ..share
        };
        assert!(!is_open(&revoked, at - Duration::seconds(1)));
    }
}

//! Push devices: FCM registration tokens tied to the session that registered them. A token is
//! stored sealed under its owner's data key and found by its blind index; the models handed
//! out of here hold it opened.
use crate::auth::Viewer;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::ids::{DeviceId, UserId};
use crate::keys::fields::DEVICE_TOKEN;
use crate::keys::{Indexed, Vault};
use chrono::Utc;
use entity::devices;
use sea_orm::QuerySelect as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

pub use entity::enums::Platform;

fn parse_token(raw: &str) -> AppResult<&str> {
    let token = raw.trim();
    if token.is_empty()
        || token.len() > 512
        || token.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AppError::bad_input(
            "token",
            "must be an FCM registration token (1 to 512 characters, no spaces)",
        ));
    }
    Ok(token)
}

/// Ties a registration token to the caller's session. A token already known moves to this
/// session (and user): FCM tokens belong to an app install, which may change hands.
pub async fn register_device(
    db: &DatabaseConnection,
    vault: &Vault,
    viewer: &Viewer,
    token: &str,
    platform: Platform,
    app_version: Option<&str>,
) -> AppResult<devices::Model> {
    let token = parse_token(token)?;
    let app_version = app_version.map(str::trim).filter(|v| !v.is_empty());
    if app_version.is_some_and(|v| v.chars().count() > 32) {
        return Err(AppError::bad_input(
            "appVersion",
            "must be at most 32 characters",
        ));
    }
    let now = Utc::now();
    let key = vault.key_for_writing(db, &viewer.user_id).await?;
    let txn = begin_write(db).await?;
    let existing = devices::Entity::find()
        .filter(with_token(vault, token))
        .one(&txn)
        .await?;
    let index = vault.ring().index(Indexed::DeviceToken, token);
    let mut device = match existing {
        Some(device) => {
            // Sealed again: the owner, and so the key, may have changed.
            let sealed = key.seal(DEVICE_TOKEN, device.id.as_str(), token)?;
            let mut active: devices::ActiveModel = device.into();
            active.token = Set(sealed);
            active.token_index = Set(Some(index));
            active.user_id = Set(viewer.user_id.clone());
            active.session_id = Set(viewer.session_id.clone());
            active.platform = Set(platform);
            active.app_version = Set(app_version.map(str::to_owned));
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => {
            let id = DeviceId::generate();
            devices::ActiveModel {
                token: Set(key.seal(DEVICE_TOKEN, id.as_str(), token)?),
                token_index: Set(Some(index)),
                id: Set(id),
                user_id: Set(viewer.user_id.clone()),
                session_id: Set(viewer.session_id.clone()),
                platform: Set(platform),
                app_version: Set(app_version.map(str::to_owned)),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    txn.commit().await?;
    device.token = token.to_owned();
    Ok(device)
}

/// The row holding `token`.
fn with_token(vault: &Vault, token: &str) -> Condition {
    vault.ring().lookup(
        Indexed::DeviceToken,
        devices::Column::TokenIndex,
        devices::Column::Token,
        token,
    )
}

/// Removes one of the caller's tokens; false when the caller had no such token.
pub async fn unregister_device(
    db: &DatabaseConnection,
    vault: &Vault,
    viewer: &Viewer,
    token: &str,
) -> AppResult<bool> {
    Ok(forget_device(db, vault, viewer, token).await?.is_some())
}

/// Removes my registration of this token; answers its id, or None when I had none.
pub async fn forget_device(
    db: &DatabaseConnection,
    vault: &Vault,
    viewer: &Viewer,
    token: &str,
) -> AppResult<Option<DeviceId>> {
    let token = parse_token(token)?;
    let txn = begin_write(db).await?;
    let mine = devices::Entity::find()
        .filter(with_token(vault, token))
        .filter(devices::Column::UserId.eq(viewer.user_id.as_str()))
        .one(&txn)
        .await?;
    if let Some(device) = &mine {
        devices::Entity::delete_by_id(device.id.clone())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(mine.map(|device| device.id))
}

/// The most devices `devices` lists (the query cost counts on it).
pub const MAX_DEVICES_SHOWN: u64 = 100;

pub async fn list_devices(
    db: &DatabaseConnection,
    vault: &Vault,
    user_id: &UserId,
) -> AppResult<Vec<devices::Model>> {
    let rows = devices::Entity::find()
        .filter(devices::Column::UserId.eq(user_id))
        .order_by_asc(devices::Column::CreatedAt)
        .limit(MAX_DEVICES_SHOWN)
        .all(db)
        .await?;
    let key = vault.key_of(db, user_id).await?;
    rows.into_iter()
        .map(|mut row| {
            row.token = key.open(DEVICE_TOKEN, row.id.as_str(), &row.token)?;
            Ok(row)
        })
        .collect()
}

//! A person's email address is never stored in clear: `users.email` holds it sealed under the
//! person's data key, and `users.email_index` its keyed blind index, which is what sign-in,
//! registration and reset look up. Mail is addressed from the opened value.
use super::input::Email;
use crate::error::AppResult;
use crate::ids::UserId;
use crate::keys::fields::EMAIL;
use crate::keys::{Indexed, PersonKey, Vault};
use entity::users;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

/// The blind indexes of an address under every KEK of the ring, the current first.
pub fn indexes(vault: &Vault, email: &Email) -> Vec<String> {
    vault.ring().indexes(Indexed::Email, email.as_str())
}

/// The account with this address, if any.
pub async fn account_with(
    db: &impl ConnectionTrait,
    vault: &Vault,
    email: &Email,
) -> AppResult<Option<users::Model>> {
    let by_index = users::Column::EmailIndex.is_in(indexes(vault, email));
    // A row written before sealing, not yet sealed by the backfill, has no index.
    let in_clear = Condition::all()
        .add(users::Column::EmailIndex.is_null())
        .add(users::Column::Email.eq(email.as_str()));
    Ok(users::Entity::find()
        .filter(Condition::any().add(by_index).add(in_clear))
        .one(db)
        .await?)
}

/// What `users.email` and `users.email_index` hold for `email`, sealed under `key`.
pub fn sealed(vault: &Vault, key: &PersonKey, email: &Email) -> AppResult<(String, String)> {
    let sealed = key.seal(EMAIL, key.person().as_str(), email.as_str())?;
    Ok((sealed, vault.ring().index(Indexed::Email, email.as_str())))
}

/// The person's address, opened. `UNREADABLE` if their key is gone.
pub async fn address_of(
    db: &impl ConnectionTrait,
    vault: &Vault,
    user: &users::Model,
) -> AppResult<String> {
    if !crate::keys::sealing::is_sealed(&user.email) {
        return Ok(user.email.clone());
    }
    let key = vault.key_of(db, &user.id).await?;
    open(&key, &user.id, &user.email)
}

pub fn open(key: &PersonKey, user_id: &UserId, stored: &str) -> AppResult<String> {
    key.open(EMAIL, user_id.as_str(), stored)
}

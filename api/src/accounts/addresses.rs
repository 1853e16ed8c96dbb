//! A person's email address is never stored in clear: `users.email` holds it sealed under the
//! person's data key, and `users.email_index` its keyed blind index, which is what sign-in,
//! registration and reset look up. Mail is addressed from the opened value.
use super::input::Email;
use crate::error::AppResult;
use crate::keys::fields::EMAIL;
use crate::keys::{Indexed, PersonKey, Vault};
use entity::users;
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter};

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
    let with_address = vault.ring().lookup(
        Indexed::Email,
        users::Column::EmailIndex,
        users::Column::Email,
        email.as_str(),
    );
    Ok(users::Entity::find().filter(with_address).one(db).await?)
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
    key.open(EMAIL, user.id.as_str(), &user.email)
}

//! Each person's data key (DEK): made when first needed, kept only wrapped under the current
//! KEK in `person_keys`, and deleted with the account (crypto-shredding: what was sealed under
//! it no longer opens, in any copy of the database).
use super::ring::KeyRing;
use super::sealing::{self, Key, Place, Unsealed};
use crate::clock::now;
use crate::config::{ConfigError, Settings};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use entity::person_keys;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// A column that holds sealed values.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub table: &'static str,
    pub column: &'static str,
}

impl Field {
    pub const fn new(table: &'static str, column: &'static str) -> Self {
        Field { table, column }
    }

    pub fn at(self, row: &str) -> Place<'_> {
        Place {
            table: self.table,
            column: self.column,
            row,
        }
    }
}

const WRAPPED: Field = Field::new("person_keys", "wrapped_key");

/// How long an instance keeps a person's unwrapped key in memory, and for how many people at
/// most: a write then costs no read of `person_keys`. Keys are wiped from memory when they
/// leave; an erasure drops the person's at once on the instance that erased (the others keep
/// it at most this long, with nothing left in the database for it to open).
const KEPT_FOR: Duration = Duration::from_secs(600);
const KEPT_AT_MOST: usize = 10_000;

/// Data keys unwrapped lately, by person, with when each was unwrapped.
type Kept = HashMap<UserId, (Arc<Key>, Instant)>;

/// The key ring and the data keys unwrapped lately, shared by every part of the server that
/// seals or opens.
#[derive(Clone)]
pub struct Vault {
    ring: Arc<KeyRing>,
    kept: Arc<Mutex<Kept>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({:?})", self.ring)
    }
}

impl Vault {
    pub fn new(ring: KeyRing) -> Self {
        Vault {
            ring: Arc::new(ring),
            kept: Arc::default(),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn recall(&self, person: &UserId) -> Option<Arc<Key>> {
        let kept = self.kept();
        kept.get(person)
            .filter(|(_, at)| at.elapsed() < KEPT_FOR)
            .map(|(key, _)| key.clone())
    }

    fn remember(&self, person: &UserId, key: Arc<Key>) {
        let mut kept = self.kept();
        if kept.len() >= KEPT_AT_MOST {
            kept.retain(|_, (_, at)| at.elapsed() < KEPT_FOR);
            if kept.len() >= KEPT_AT_MOST {
                kept.clear();
            }
        }
        kept.insert(person.clone(), (key, Instant::now()));
    }

    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Vault::new(KeyRing::from_settings(settings)?))
    }

    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }

    /// The person's key to open what is theirs. Without a key (never made, or shredded) it
    /// opens nothing sealed and says so.
    pub async fn key_of(&self, db: &impl ConnectionTrait, person: &UserId) -> AppResult<PersonKey> {
        if let Some(key) = self.recall(person) {
            return Ok(PersonKey {
                person: person.clone(),
                key: Some(key),
            });
        }
        let row = person_keys::Entity::find_by_id(person.clone())
            .one(db)
            .await?;
        let key = match row {
            None => None,
            Some(row) => {
                let key = Arc::new(self.unwrap(&row)?);
                self.remember(person, key.clone());
                Some(key)
            }
        };
        Ok(PersonKey {
            person: person.clone(),
            key,
        })
    }

    /// The keys of several people at once (a person without one gets a key that opens nothing).
    pub async fn keys_of(
        &self,
        db: &impl ConnectionTrait,
        people: &[&UserId],
    ) -> AppResult<HashMap<UserId, PersonKey>> {
        let rows = person_keys::Entity::find()
            .filter(person_keys::Column::UserId.is_in(people.iter().copied()))
            .all(db)
            .await?;
        let mut keys: HashMap<UserId, PersonKey> = people
            .iter()
            .map(|&person| {
                let none = PersonKey {
                    person: person.clone(),
                    key: None,
                };
                (person.clone(), none)
            })
            .collect();
        for row in rows {
            let key = Arc::new(self.unwrap(&row)?);
            keys.insert(
                row.user_id.clone(),
                PersonKey {
                    person: row.user_id,
                    key: Some(key),
                },
            );
        }
        Ok(keys)
    }

    /// The person's key to seal with, made and stored now if they have none yet. It takes the
    /// connection, not a transaction: a key made is committed before anything is sealed with
    /// it, so that no key kept in memory was rolled back.
    pub async fn key_for_writing(
        &self,
        db: &DatabaseConnection,
        person: &UserId,
    ) -> AppResult<PersonKey> {
        let found = self.key_of(db, person).await?;
        if found.key.is_some() {
            return Ok(found);
        }
        // Two first writes at once each make a key; the first stored wins and both use it.
        let fresh = PersonKey::generate(person);
        self.store(db, &fresh).await?;
        let stored = self.key_of(db, person).await?;
        if stored.key.is_none() {
            return Err(AppError::internal(anyhow::anyhow!(
                "a data key was not kept"
            )));
        }
        Ok(stored)
    }

    /// Stores a new person's key, wrapped. A key already stored for them is kept.
    pub async fn store(&self, db: &impl ConnectionTrait, key: &PersonKey) -> AppResult<()> {
        let Some(dek) = &key.key else {
            return Err(AppError::internal(anyhow::anyhow!("no key to store")));
        };
        let (kek_id, wrapped) = self.ring.wrap(WRAPPED.at(key.person.as_str()), dek)?;
        person_keys::Entity::insert(person_keys::ActiveModel {
            user_id: Set(key.person.clone()),
            kek_id: Set(kek_id),
            wrapped_key: Set(wrapped),
            created_at: Set(now()),
        })
        .on_conflict_do_nothing_on([person_keys::Column::UserId])
        .exec(db)
        .await?;
        Ok(())
    }

    /// Deletes the person's key, in the caller's transaction (the account's deletion), and
    /// forgets it here.
    pub async fn shred(&self, db: &impl ConnectionTrait, person: &UserId) -> AppResult<()> {
        self.kept().remove(person);
        person_keys::Entity::delete_by_id(person.clone())
            .exec(db)
            .await?;
        Ok(())
    }

    pub(super) fn unwrap(&self, row: &person_keys::Model) -> AppResult<Key> {
        self.ring
            .unwrap(
                WRAPPED.at(row.user_id.as_str()),
                &row.kek_id,
                &row.wrapped_key,
            )
            .map_err(|_| {
                AppError::internal(anyhow::anyhow!(
                    "the data key of a person does not open under key {} (is a KEK missing from \
                     HEARTH_KEK_RETIRED_FILES?)",
                    row.kek_id
                ))
            })
    }

    pub(super) fn wrap(&self, person: &UserId, key: &Key) -> AppResult<(String, String)> {
        self.ring.wrap(WRAPPED.at(person.as_str()), key)
    }
}

/// One person's data key, or the fact that they have none (any more).
pub struct PersonKey {
    person: UserId,
    key: Option<Arc<Key>>,
}

impl std::fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PersonKey({}, …)", self.person)
    }
}

impl PersonKey {
    /// A new random key for a person, not yet stored (`Vault::store`).
    pub fn generate(person: &UserId) -> Self {
        PersonKey {
            person: person.clone(),
            key: Some(Arc::new(Key::generate())),
        }
    }

    pub fn person(&self) -> &UserId {
        &self.person
    }

    /// Seals `text` for its place: `field` of the row `row`.
    pub fn seal(&self, field: Field, row: &str, text: &str) -> AppResult<String> {
        self.seal_bytes(field, row, text.as_bytes())
    }

    /// Seals bytes that are not text (a compressed document) for their place.
    pub fn seal_bytes(&self, field: Field, row: &str, bytes: &[u8]) -> AppResult<String> {
        let Some(key) = &self.key else {
            return Err(AppError::internal(anyhow::anyhow!(
                "sealing for a person without a key"
            )));
        };
        sealing::seal(key, field.at(row), bytes)
    }

    pub fn seal_opt(
        &self,
        field: Field,
        row: &str,
        text: Option<&str>,
    ) -> AppResult<Option<String>> {
        text.map(|text| self.seal(field, row, text)).transpose()
    }

    /// Opens what was sealed for this place. A value still in clear (written before the rows
    /// were sealed) is returned as it is. A value that does not open is `UNREADABLE`: the key
    /// it was sealed under is gone (the account was erased) or the value was moved from
    /// another place.
    pub fn open(&self, field: Field, row: &str, stored: &str) -> AppResult<String> {
        let bytes = self.open_bytes(field, row, stored)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| AppError::Unreadable)
    }

    /// `open` for bytes sealed by `seal_bytes`; a value in clear gives its own bytes.
    pub fn open_bytes(
        &self,
        field: Field,
        row: &str,
        stored: &str,
    ) -> AppResult<Zeroizing<Vec<u8>>> {
        let in_clear = || Zeroizing::new(stored.as_bytes().to_vec());
        if !sealing::is_sealed(stored) {
            return Ok(in_clear());
        }
        let Some(key) = &self.key else {
            tracing::warn!(user_id = %self.person, table = field.table, column = field.column,
                "a sealed value whose owner has no data key");
            return Err(AppError::Unreadable);
        };
        match sealing::open(key, field.at(row), stored) {
            Ok(bytes) => Ok(bytes),
            // Text from before sealing that happens to start like a sealed value.
            Err(Unsealed::NotSealed) => Ok(in_clear()),
            Err(Unsealed::DoesNotOpen) => {
                tracing::warn!(user_id = %self.person, table = field.table, column = field.column,
                    row, "a sealed value that does not open in its place");
                Err(AppError::Unreadable)
            }
        }
    }

    pub fn open_opt(
        &self,
        field: Field,
        row: &str,
        stored: Option<&str>,
    ) -> AppResult<Option<String>> {
        stored
            .map(|stored| self.open(field, row, stored))
            .transpose()
    }
}

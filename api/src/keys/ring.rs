//! The key-encryption keys (KEKs) the server is given from outside the database: the current
//! one, which wraps every new data key, and retired ones still accepted while `hearth keys
//! rotate` rewraps what they wrapped. Each KEK is known by an id derived from it, stored beside
//! every key it wraps, so several can coexist. From each KEK the server also derives the key of
//! its blind indexes (an address or a device token looked up without being stored in clear) and
//! the key that seals what belongs to no person yet (a mail waiting in the outbox).
use super::sealing::{self, Key, Place, Unsealed};
use crate::config::{ConfigError, Settings};
use crate::error::AppResult;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, Condition};
use sha2::Sha256;
use std::path::Path;
use zeroize::Zeroizing;

/// Why the bytes given as a KEK are not one.
#[derive(Debug, thiserror::Error)]
#[error("must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")]
pub struct NotAKek;

/// One KEK and what is derived from it.
struct Kek {
    id: String,
    wrapping: Key,
    index: Zeroizing<[u8; 32]>,
    server: Key,
}

impl Kek {
    fn new(bytes: Zeroizing<[u8; 32]>) -> Self {
        let derive = |label: &str| {
            let mut out = Zeroizing::new([0u8; 32]);
            out.copy_from_slice(&hmac(&bytes, label.as_bytes()));
            out
        };
        let id = hex::encode(&derive("hearth kek id")[..8]);
        let index = derive("hearth blind index v1");
        let server = Key::from_secret(derive("hearth server sealing v1"));
        Kek {
            id,
            wrapping: Key::from_secret(bytes),
            index,
            server,
        }
    }

    fn index(&self, purpose: &str, value: &str) -> String {
        let mut message = Vec::with_capacity(purpose.len() + 1 + value.len());
        message.extend_from_slice(purpose.as_bytes());
        message.push(0);
        message.extend_from_slice(value.as_bytes());
        hex::encode(hmac(&self.index, &message))
    }
}

/// HMAC-SHA-256 under a 32-byte key. HMAC pads a short key with zeros to its 64-byte block, so
/// the key is given already padded, which the type-checked constructor takes without failing.
fn hmac(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key);
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(block.as_ref().into());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// What a blind index is of: the same value gives different indexes for different purposes.
#[derive(Clone, Copy, Debug)]
pub enum Indexed {
    Email,
    DeviceToken,
    /// An address as the rate limiter's counters name it (sign-in guesses, mails sent): a
    /// copy of the limiter's store (Redis) does not tell which addresses tried or were tried.
    Counters,
}

impl Indexed {
    fn purpose(self) -> &'static str {
        match self {
            Indexed::Email => "email",
            Indexed::DeviceToken => "device token",
            Indexed::Counters => "rate-limit counters",
        }
    }
}

pub struct KeyRing {
    current: Kek,
    retired: Vec<Kek>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyRing(current {}, {} retired)",
            self.current.id,
            self.retired.len()
        )
    }
}

/// Reads a KEK written as base64, standard or URL-safe, padded or not (surrounding white space
/// ignored).
pub fn parse_kek(text: &str) -> Result<Zeroizing<[u8; 32]>, NotAKek> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    let decoded = [BASE64, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or(NotAKek)?;
    let decoded = Zeroizing::new(decoded);
    let mut bytes = Zeroizing::new([0u8; 32]);
    if decoded.len() != 32 {
        return Err(NotAKek);
    }
    bytes.copy_from_slice(&decoded);
    Ok(bytes)
}

/// A new KEK in base64, for a development key file and `hearth keys new`.
pub fn new_kek_text() -> Zeroizing<String> {
    let key = Key::generate();
    Zeroizing::new(BASE64.encode(key.expose_bytes()))
}

impl KeyRing {
    /// The ring the settings give: `HEARTH_KEK_FILE` or `HEARTH_KEK`, and the files of
    /// `HEARTH_KEK_RETIRED_FILES`. An error names the variable.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let bad = |variable: &str, message: String| ConfigError {
            variable: variable.to_owned(),
            message,
        };
        let read = |variable: &str, path: &Path| -> Result<Zeroizing<[u8; 32]>, ConfigError> {
            let text = Zeroizing::new(
                std::fs::read_to_string(path)
                    .map_err(|e| bad(variable, format!("cannot read {}: {e}", path.display())))?,
            );
            parse_kek(&text).map_err(|e| bad(variable, format!("{}: {e}", path.display())))
        };
        let current = match (&settings.kek_file, &settings.kek) {
            (Some(path), _) => read("HEARTH_KEK_FILE", path)?,
            (None, Some(text)) => {
                parse_kek(text.expose()).map_err(|e| bad("HEARTH_KEK", e.to_string()))?
            }
            (None, None) => {
                return Err(bad(
                    "HEARTH_KEK_FILE",
                    "no key-encryption key is configured".into(),
                ))
            }
        };
        let retired = settings
            .retired_kek_files
            .iter()
            .map(|path| read("HEARTH_KEK_RETIRED_FILES", path))
            .collect::<Result<_, _>>()?;
        Ok(KeyRing::new(current, retired))
    }

    /// The variable that gave the current KEK, for what is said about it.
    pub fn variable(settings: &Settings) -> &'static str {
        if settings.kek_file.is_some() {
            "HEARTH_KEK_FILE"
        } else {
            "HEARTH_KEK"
        }
    }

    pub fn new(current: Zeroizing<[u8; 32]>, retired: Vec<Zeroizing<[u8; 32]>>) -> Self {
        let current = Kek::new(current);
        let retired = retired
            .into_iter()
            .map(Kek::new)
            .filter(|kek| kek.id != current.id)
            .collect();
        KeyRing { current, retired }
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// The ids of every KEK of the ring, the current first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.all().map(|kek| kek.id.as_str())
    }

    pub fn knows(&self, kek_id: &str) -> bool {
        self.kek(kek_id).is_some()
    }

    fn kek(&self, kek_id: &str) -> Option<&Kek> {
        std::iter::once(&self.current)
            .chain(&self.retired)
            .find(|kek| kek.id == kek_id)
    }

    fn all(&self) -> impl Iterator<Item = &Kek> {
        std::iter::once(&self.current).chain(&self.retired)
    }

    /// A data key wrapped under the current KEK: (KEK id, wrapped key).
    pub fn wrap(&self, place: Place<'_>, key: &Key) -> AppResult<(String, String)> {
        let wrapped = sealing::seal(&self.current.wrapping, place, key.expose_bytes())?;
        Ok((self.current.id.clone(), wrapped))
    }

    /// The data key wrapped under the KEK `kek_id`.
    pub fn unwrap(&self, place: Place<'_>, kek_id: &str, wrapped: &str) -> Result<Key, Unsealed> {
        let kek = self.kek(kek_id).ok_or(Unsealed::DoesNotOpen)?;
        let bytes = sealing::open(&kek.wrapping, place, wrapped)?;
        if bytes.len() != 32 {
            return Err(Unsealed::DoesNotOpen);
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes);
        Ok(Key::from_secret(key))
    }

    /// The blind index of `value` under the current KEK: what is stored.
    pub fn index(&self, what: Indexed, value: &str) -> String {
        self.current.index(what.purpose(), value)
    }

    /// The blind indexes of `value` under every KEK: what a look-up matches while a rotation
    /// has not yet reached every row.
    pub fn indexes(&self, what: Indexed, value: &str) -> Vec<String> {
        self.all()
            .map(|kek| kek.index(what.purpose(), value))
            .collect()
    }

    /// The rows whose column `value` holds `plain`: by the blind index in `index` under any KEK
    /// of the ring, or, for a row written before sealing and not yet sealed, by the value in
    /// clear (it has no index).
    pub fn lookup<C: ColumnTrait>(
        &self,
        what: Indexed,
        index: C,
        value: C,
        plain: &str,
    ) -> Condition {
        Condition::any()
            .add(index.is_in(self.indexes(what, plain)))
            .add(Condition::all().add(index.is_null()).add(value.eq(plain)))
    }

    /// Seals what belongs to no person under the server key of the current KEK.
    pub fn seal_for_server(&self, place: Place<'_>, plain: &[u8]) -> AppResult<String> {
        sealing::seal(&self.current.server, place, plain)
    }

    /// Opens what `seal_for_server` sealed under any KEK of the ring.
    pub fn open_for_server(
        &self,
        place: Place<'_>,
        sealed: &str,
    ) -> Result<Zeroizing<Vec<u8>>, Unsealed> {
        let mut outcome = Err(Unsealed::DoesNotOpen);
        for kek in self.all() {
            outcome = sealing::open(&kek.server, place, sealed);
            if !matches!(outcome, Err(Unsealed::DoesNotOpen)) {
                break;
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> Zeroizing<[u8; 32]> {
        Zeroizing::new([byte; 32])
    }

    const PLACE: Place<'static> = Place {
        table: "person_keys",
        column: "wrapped_key",
        row: "person-1",
    };

    #[test]
    fn a_key_wrapped_under_a_retired_kek_still_unwraps() {
        let old = KeyRing::new(kek(1), vec![]);
        let dek = Key::generate();
        let (id, wrapped) = old.wrap(PLACE, &dek).unwrap();
        let rotated = KeyRing::new(kek(2), vec![kek(1)]);
        assert_ne!(rotated.current_id(), id);
        assert!(rotated.knows(&id));
        let back = rotated.unwrap(PLACE, &id, &wrapped).unwrap();
        assert_eq!(back.expose_bytes(), dek.expose_bytes());
        let without = KeyRing::new(kek(2), vec![]);
        assert!(without.unwrap(PLACE, &id, &wrapped).is_err());
    }

    #[test]
    fn indexes_differ_by_purpose_and_by_kek() {
        let ring = KeyRing::new(kek(2), vec![kek(1)]);
        let email = ring.index(Indexed::Email, "a@example.org");
        assert_eq!(email, ring.index(Indexed::Email, "a@example.org"));
        assert_ne!(email, ring.index(Indexed::DeviceToken, "a@example.org"));
        let all = ring.indexes(Indexed::Email, "a@example.org");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], email);
        assert_eq!(
            all[1],
            KeyRing::new(kek(1), vec![]).index(Indexed::Email, "a@example.org")
        );
    }

    #[test]
    fn what_the_server_sealed_opens_after_a_rotation() {
        let old = KeyRing::new(kek(1), vec![]);
        let sealed = old.seal_for_server(PLACE, b"a@example.org").unwrap();
        let rotated = KeyRing::new(kek(2), vec![kek(1)]);
        assert_eq!(
            rotated.open_for_server(PLACE, &sealed).unwrap().as_slice(),
            b"a@example.org"
        );
        assert!(KeyRing::new(kek(2), vec![])
            .open_for_server(PLACE, &sealed)
            .is_err());
    }

    #[test]
    fn a_kek_is_32_bytes_of_base64() {
        assert!(parse_kek(&new_kek_text()).is_ok());
        assert!(parse_kek("c2hvcnQ=").is_err());
        assert!(parse_kek("not base64 at all!").is_err());
    }
}

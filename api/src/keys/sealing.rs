//! A field sealed under a key: XChaCha20-Poly1305 with a random 24-byte nonce, and the place the
//! value is kept for (table, column, row) bound in as associated data, so that a sealed value
//! copied into another row, column or table does not open. Stored as text: `s1:` and the base64
//! of the nonce and the ciphertext.
use crate::error::{AppError, AppResult};
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use zeroize::Zeroizing;

/// What every sealed value starts with: the format's version.
pub const PREFIX: &str = "s1:";
const NONCE_LEN: usize = 24;

/// A 256-bit key. Its bytes are wiped when it is dropped and never printed.
pub struct Key(Zeroizing<[u8; 32]>);

impl Key {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Key(Zeroizing::new(bytes))
    }

    pub fn from_secret(bytes: Zeroizing<[u8; 32]>) -> Self {
        Key(bytes)
    }

    /// The key's bytes, for wrapping it under another key.
    pub(super) fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        Key(bytes)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

/// Where a sealed value is kept: it opens only there.
#[derive(Clone, Copy, Debug)]
pub struct Place<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl Place<'_> {
    fn associated_data(&self) -> Vec<u8> {
        // Lengths first, so that no two places share the bytes ("a|bc" and "ab|c").
        let mut out = Vec::new();
        for part in [self.table, self.column, self.row] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

/// Why a sealed value did not open.
#[derive(Debug, PartialEq, Eq)]
pub enum Unsealed {
    /// Not a sealed value of this format.
    NotSealed,
    /// Another key, another place, or altered bytes.
    DoesNotOpen,
}

pub fn is_sealed(text: &str) -> bool {
    text.starts_with(PREFIX)
}

pub fn seal(key: &Key, place: Place<'_>, plain: &[u8]) -> AppResult<String> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let aad = place.associated_data();
    let payload = Payload {
        msg: plain,
        aad: &aad,
    };
    // Encrypting in memory fails only past 256 GiB, which no field comes near.
    let sealed = key
        .cipher()
        .encrypt(XNonce::from_slice(&nonce), payload)
        .map_err(|_| AppError::internal(anyhow::anyhow!("a value too long to seal")))?;
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&sealed);
    Ok(format!("{PREFIX}{}", BASE64.encode(bytes)))
}

pub fn open(key: &Key, place: Place<'_>, sealed: &str) -> Result<Zeroizing<Vec<u8>>, Unsealed> {
    let encoded = sealed.strip_prefix(PREFIX).ok_or(Unsealed::NotSealed)?;
    let bytes = BASE64.decode(encoded).map_err(|_| Unsealed::NotSealed)?;
    if bytes.len() < NONCE_LEN {
        return Err(Unsealed::NotSealed);
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let aad = place.associated_data();
    let payload = Payload {
        msg: ciphertext,
        aad: &aad,
    };
    key.cipher()
        .decrypt(XNonce::from_slice(nonce), payload)
        .map(Zeroizing::new)
        .map_err(|_| Unsealed::DoesNotOpen)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: Place<'static> = Place {
        table: "mood_checkins",
        column: "note",
        row: "checkin-1",
    };

    #[test]
    fn a_sealed_value_opens_with_its_key_in_its_place_only() {
        let key = Key::generate();
        let sealed = seal(&key, NOTE, b"a hard day").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("hard"));
        assert_eq!(open(&key, NOTE, &sealed).unwrap().as_slice(), b"a hard day");
        assert_ne!(
            seal(&key, NOTE, b"a hard day").unwrap(),
            sealed,
            "a new nonce each time"
        );

        let elsewhere = [
            Place {
                row: "checkin-2",
                ..NOTE
            },
            Place {
                column: "emotions",
                ..NOTE
            },
            Place {
                table: "mood_shares",
                ..NOTE
            },
        ];
        for place in elsewhere {
            assert_eq!(
                open(&key, place, &sealed),
                Err(Unsealed::DoesNotOpen),
                "{place:?}"
            );
        }
        assert_eq!(
            open(&Key::generate(), NOTE, &sealed),
            Err(Unsealed::DoesNotOpen)
        );
    }

    #[test]
    fn altered_or_plain_text_does_not_open() {
        let key = Key::generate();
        let sealed = seal(&key, NOTE, b"words").unwrap();
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(open(&key, NOTE, &altered), Err(Unsealed::DoesNotOpen));
        assert_eq!(open(&key, NOTE, "words"), Err(Unsealed::NotSealed));
        assert_eq!(open(&key, NOTE, "s1:%%%"), Err(Unsealed::NotSealed));
        assert_eq!(open(&key, NOTE, "s1:AAAA"), Err(Unsealed::NotSealed));
    }

    #[test]
    fn a_key_never_prints() {
        let key = Key::from_bytes([7; 32]);
        assert_eq!(format!("{key:?}"), "Key(…)");
    }
}

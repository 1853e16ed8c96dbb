//! Random tokens and their digests: refresh tokens, invite codes, share links and the like are
//! handed out once and stored only as a SHA-256 digest.
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A digest only the holder of `key` can compute: for short secrets such as six-digit codes,
/// which a plain digest would not hide (a million guesses undo it).
pub fn keyed_hash(key: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update((key.len() as u64).to_be_bytes());
    hasher.update(key.as_bytes());
    hasher.update(value.as_bytes());
    hex::encode(hasher.finalize())
}

/// A code to type from a mail: six random digits.
pub fn six_digit_code() -> String {
    use rand::Rng as _;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

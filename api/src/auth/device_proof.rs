//! Device proofs (OWASP's "device cookies"): a sign-in hands the app a proof that this install
//! once signed in to this account. A sign-in that presents it is counted on its own, so a
//! stranger's wrong passwords from elsewhere, however many, cannot keep the owner's phone out;
//! and a proof used for guessing locks only itself. A proof is `nonce.mac`: 128 random bits and
//! an HMAC-SHA-256, under the server's secret, of the account (the keyed index of its address
//! that names its rate-limit counters) and
//! the nonce. Nothing is stored: the server recognises its own proofs.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

const CONTEXT: &[u8] = b"hearth device proof v1\0";

fn mac(key: &str, account: &str, nonce: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).ok()?;
    mac.update(CONTEXT);
    mac.update(account.as_bytes());
    mac.update(b"\0");
    mac.update(nonce);
    Some(mac)
}

/// A new proof for `account` (the keyed index of its address), or none without a key.
pub fn issue(key: &str, account: &str) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    let mut nonce = [0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    let tag = mac(key, account, &nonce)?.finalize().into_bytes();
    Some(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(nonce),
        URL_SAFE_NO_PAD.encode(tag)
    ))
}

/// The proof's own name (its nonce) when it is one of ours for `account`; `None` for anything
/// else, however malformed. The comparison takes the same time wherever the tags differ.
pub fn verify(key: &str, account: &str, proof: &str) -> Option<String> {
    if key.is_empty() || proof.len() > 100 {
        return None;
    }
    let (nonce, tag) = proof.split_once('.')?;
    let nonce_bytes = URL_SAFE_NO_PAD.decode(nonce).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    if nonce_bytes.len() != 16 {
        return None;
    }
    mac(key, account, &nonce_bytes)?.verify_slice(&tag).ok()?;
    Some(nonce.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_holds_for_its_account_and_key_only() {
        let proof = issue("server secret", "account-a").unwrap();
        let name = verify("server secret", "account-a", &proof).unwrap();
        assert!(proof.starts_with(&name));
        assert_eq!(verify("server secret", "account-b", &proof), None);
        assert_eq!(verify("another secret", "account-a", &proof), None);
        let (nonce, tag) = proof.split_once('.').unwrap();
        let mut forged = tag.to_owned();
        forged.replace_range(0..1, if tag.starts_with('A') { "B" } else { "A" });
        assert_eq!(
            verify("server secret", "account-a", &format!("{nonce}.{forged}")),
            None
        );
        for junk in ["", ".", "a.b", "no dot", &"x".repeat(500), "AAAA.AAAA"] {
            assert_eq!(verify("server secret", "account-a", junk), None, "{junk}");
        }
        assert_ne!(issue("k", "a"), issue("k", "a"), "each proof is new");
        assert_eq!(issue("", "a"), None);
    }
}

//! Opaque secrets handed to people: refresh tokens, password-reset tokens,
//! invitation tokens. 256 random bits each, shown once, stored only as
//! SHA-256 (they are too random to need a slow hash), with a prefix that
//! says what they are (`rt_`, `reset_`, `inv_`).

use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// A new token and the hash to store.
pub fn new_token(prefix: &str) -> anyhow::Result<(String, Vec<u8>)> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
    let token = format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash(&token);
    Ok((token, hash))
}

/// When a token issued now that lives `ttl` expires.
pub fn expiry(ttl: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default()
}

/// The stored form of a presented token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_unique_and_hash_to_what_is_stored() {
        let (a, hash_a) = new_token("rt").unwrap();
        let (b, _) = new_token("rt").unwrap();
        assert!(a.starts_with("rt_"));
        assert_eq!(a.len(), 3 + 43);
        assert_ne!(a, b);
        assert_eq!(hash(&a), hash_a);
        assert_eq!(hash(&format!(" {a}\n")), hash_a, "surrounding whitespace is ignored");
    }
}

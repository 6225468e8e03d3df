//! Application-layer encryption of clinical text: AES-256-GCM with a
//! random 96-bit nonce per seal, and additional data that binds each
//! ciphertext to its table, column and row, so a sealed value copied onto
//! another row does not open.
//!
//! Keys come from configuration (`ATTEND_DATA_KEYS`), never from the
//! database: `id:base64key,id:base64key`, the first one current. Every
//! sealed value is stored with its key's id beside it; a key stays listed
//! until `attend keys rotate-data` has re-sealed everything it sealed.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use attend_kit::config::ConfigError;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use base64::Engine as _;
use sha2::Digest as _;

/// The setting that holds the keys.
pub const VAR: &str = "ATTEND_DATA_KEYS";

/// The id of the development key used when `ATTEND_DATA_KEYS` is unset.
pub const DEV_KEY_ID: &str = "dev";

/// A sealed value: the key's id and nonce || ciphertext || tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key: String,
    pub bytes: Vec<u8>,
}

/// Why a value could not be sealed.
#[derive(Debug, thiserror::Error)]
#[error("could not seal clinical text: {0}")]
pub struct SealError(&'static str);

/// Why a sealed value did not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("sealed with key {0:?}, which ATTEND_DATA_KEYS no longer lists")]
    UnknownKey(String),
    #[error("sealed data does not open with key {0:?}: altered, or moved from another row")]
    Corrupt(String),
}

impl From<SealError> for attend_kit::Error {
    fn from(e: SealError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

impl From<OpenError> for attend_kit::Error {
    fn from(e: OpenError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

/// The data keys: the current one seals, every listed one opens.
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: BTreeMap<String, Arc<LessSafeKey>>,
    /// A MAC key derived from each data key (signed download links).
    macs: BTreeMap<String, hmac::Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key bytes.
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The MAC key derived from a data key: HMAC-SHA256 of a fixed label, so
/// the data key itself never signs anything but ciphertexts.
fn mac_key(bytes: &[u8; 32]) -> hmac::Key {
    let root = hmac::Key::new(hmac::HMAC_SHA256, bytes);
    hmac::Key::new(
        hmac::HMAC_SHA256,
        hmac::sign(&root, b"attend care link key v1").as_ref(),
    )
}

/// What a MAC covers: the purpose, a NUL, the message.
fn mac_input(purpose: &str, message: &str) -> Vec<u8> {
    [purpose.as_bytes(), b"\0", message.as_bytes()].concat()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

/// An AES-256-GCM key from its bytes.
fn aes(bytes: &[u8; 32]) -> Option<Arc<LessSafeKey>> {
    let unbound = UnboundKey::new(&AES_256_GCM, bytes).ok()?;
    Some(Arc::new(LessSafeKey::new(unbound)))
}

impl Keyring {
    /// Reads `id:base64,id:base64` (the first is current).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let bad = |why: String| ConfigError::new(VAR, why);
        let mut keys = BTreeMap::new();
        let mut macs = BTreeMap::new();
        let mut current = None;
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or_else(|| bad("each key is written id:base64 (e.g. k2:…), separated by commas".to_owned()))?;
            let id = id.trim();
            if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad(format!("key id {id:?} must be 1 to 32 letters, digits, - or _")));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| bad(format!("key {id:?} is not base64")))?;
            let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
                bad(format!(
                    "key {id:?} is {} bytes; AES-256 needs 32 (`openssl rand -base64 32`)",
                    b.len()
                ))
            })?;
            let key = aes(&bytes).ok_or_else(|| bad(format!("key {id:?} is not an AES-256 key")))?;
            macs.insert(id.to_owned(), mac_key(&bytes));
            if keys.insert(id.to_owned(), key).is_some() {
                return Err(bad(format!("key id {id:?} is listed twice")));
            }
            current.get_or_insert_with(|| id.to_owned());
        }
        let current = current.ok_or_else(|| bad("lists no key".to_owned()))?;
        Ok(Self { current, keys, macs })
    }

    /// The development key, for one machine's demo and tests only: it is
    /// in the source code, so it protects nothing.
    pub fn development() -> Self {
        let bytes: [u8; 32] = sha2::Sha256::digest(b"attend development data key: not for real data").into();
        Self {
            current: DEV_KEY_ID.to_owned(),
            keys: aes(&bytes)
                .map(|key| BTreeMap::from([(DEV_KEY_ID.to_owned(), key)]))
                .unwrap_or_default(),
            macs: BTreeMap::from([(DEV_KEY_ID.to_owned(), mac_key(&bytes))]),
        }
    }

    pub fn current(&self) -> &str {
        &self.current
    }

    /// Seals `plain`, bound to `context` (table, column and row).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<Sealed, SealError> {
        let key = self
            .keys
            .get(&self.current)
            .ok_or(SealError("the current key is not listed"))?;
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| SealError("the system's random number generator failed"))?;
        let mut in_out = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(context.as_bytes()),
            &mut in_out,
        )
        .map_err(|_| SealError("AES-GCM refused the message"))?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + in_out.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&in_out);
        Ok(Sealed {
            key: self.current.clone(),
            bytes,
        })
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, context: &str, key_id: &str, bytes: &[u8]) -> Result<Vec<u8>, OpenError> {
        let key = self
            .keys
            .get(key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
        let corrupt = || OpenError::Corrupt(key_id.to_owned());
        if bytes.len() < NONCE_LEN {
            return Err(corrupt());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| corrupt())?;
        let mut in_out = sealed.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut in_out)
            .map_err(|_| corrupt())?;
        Ok(plain.to_vec())
    }

    /// An HMAC-SHA256 of `message` for `purpose`, under a key derived from
    /// the current data key: `<key id>.<hex>`, so any listed key verifies it.
    pub fn mac(&self, purpose: &str, message: &str) -> String {
        let id = &self.current;
        match self.macs.get(id) {
            Some(key) => format!("{id}.{}", hex(hmac::sign(key, &mac_input(purpose, message)).as_ref())),
            None => String::new(),
        }
    }

    /// Whether `signature` is [`Keyring::mac`]'s for `message`, under any listed key.
    pub fn verify_mac(&self, purpose: &str, message: &str, signature: &str) -> bool {
        let Some((id, given)) = signature.split_once('.') else {
            return false;
        };
        let (Some(key), Some(given)) = (self.macs.get(id), unhex(given)) else {
            return false;
        };
        hmac::verify(key, &mac_input(purpose, message), &given).is_ok()
    }

    /// Seals a value as JSON.
    pub fn seal_json<T: serde::Serialize>(&self, context: &str, value: &T) -> Result<Sealed, SealError> {
        let json = serde_json::to_vec(value).map_err(|_| SealError("the value does not serialise"))?;
        self.seal(context, &json)
    }

    /// Opens a value sealed as JSON.
    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        context: &str,
        key_id: &str,
        bytes: &[u8],
    ) -> Result<T, OpenError> {
        let plain = self.open(context, key_id, bytes)?;
        serde_json::from_slice(&plain).map_err(|_| OpenError::Corrupt(key_id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> String {
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    }

    #[test]
    fn a_sealed_value_opens_with_its_key_and_context_only() {
        let ring = Keyring::parse(&format!("k1:{}", key(1))).unwrap();
        let sealed = ring.seal("care.notes.body:1", b"fell in the garden").unwrap();
        assert_eq!(sealed.key, "k1");
        assert!(!sealed.bytes.windows(4).any(|w| w == b"fell"));
        assert_eq!(
            ring.open("care.notes.body:1", "k1", &sealed.bytes).unwrap(),
            b"fell in the garden"
        );
        assert!(matches!(
            ring.open("care.notes.body:2", "k1", &sealed.bytes),
            Err(OpenError::Corrupt(_))
        ));
        assert!(matches!(
            ring.open("care.notes.body:1", "k9", &sealed.bytes),
            Err(OpenError::UnknownKey(_))
        ));
        let mut altered = sealed.bytes.clone();
        altered[NONCE_LEN] ^= 1;
        assert!(ring.open("care.notes.body:1", "k1", &altered).is_err());
    }

    #[test]
    fn two_seals_of_one_text_differ() {
        let ring = Keyring::development();
        assert_ne!(
            ring.seal("c", b"same").unwrap().bytes,
            ring.seal("c", b"same").unwrap().bytes
        );
    }

    #[test]
    fn the_first_key_seals_and_the_older_ones_still_open() {
        let old = Keyring::parse(&format!("k1:{}", key(1))).unwrap();
        let sealed = old.seal("c", b"x").unwrap();
        let rotated = Keyring::parse(&format!("k2:{}, k1:{}", key(2), key(1))).unwrap();
        assert_eq!(rotated.current(), "k2");
        assert_eq!(rotated.open("c", "k1", &sealed.bytes).unwrap(), b"x");
        assert_eq!(rotated.seal("c", b"x").unwrap().key, "k2");
    }

    #[test]
    fn bad_settings_are_named() {
        for (text, says) in [
            ("", "lists no key"),
            ("k1", "id:base64"),
            ("k1:!!!", "not base64"),
            ("k1:AAAA", "needs 32"),
            (&format!("k1:{},k1:{}", key(1), key(2)), "twice"),
            (&format!("bad id:{}", key(1)), "must be 1 to 32"),
        ] {
            let err = Keyring::parse(text).unwrap_err().to_string();
            assert!(err.contains(VAR) && err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn a_mac_verifies_under_its_key_until_the_key_is_dropped() {
        let old = Keyring::parse(&format!("k1:{}", key(1))).unwrap();
        let signature = old.mac("link", "doc:42");
        assert!(signature.starts_with("k1."));
        assert!(old.verify_mac("link", "doc:42", &signature));
        assert!(!old.verify_mac("link", "doc:43", &signature));
        assert!(!old.verify_mac("other", "doc:42", &signature));
        let rotated = Keyring::parse(&format!("k2:{},k1:{}", key(2), key(1))).unwrap();
        assert!(rotated.verify_mac("link", "doc:42", &signature));
        let dropped = Keyring::parse(&format!("k2:{}", key(2))).unwrap();
        assert!(!dropped.verify_mac("link", "doc:42", &signature));
        assert!(!old.verify_mac("link", "doc:42", "k1.zz"));
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let ring = Keyring::parse(&format!("k1:{}", key(7))).unwrap();
        assert!(!format!("{ring:?}").contains(&key(7)));
    }
}

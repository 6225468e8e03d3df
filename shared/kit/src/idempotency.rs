//! Stored results of mutating RPCs, by idempotency key.
//!
//! Inside the transaction that makes the change, [`claim`] the call's key
//! (if it has one): the first time, do the work and store its answer with
//! the guard; a retry with the same key gets the stored answer and no
//! second effect:
//!
//! ```text
//! let mut tx = db.tenant(org).await?;
//! let guard = match claim(&mut tx, org, "Method", key, &request).await? {
//!     Claim::Replay(response) => return Ok(response),   // done before
//!     Claim::Fresh(guard) => guard,
//! };
//! let response = do_the_work(&mut tx).await?;
//! guard.complete(&mut tx, &response).await?;              // same transaction
//! tx.commit().await?;
//! ```
//!
//! (A closure taking the transaction would be shorter, but an async
//! closure over `&mut Tx` can't yet be proven `Send` inside a tonic
//! handler.)
//!
//! Two concurrent calls with one key: the second's insert waits on the
//! first's row lock; when the first commits the second sees its stored
//! response; if it rolls back, the second does the work itself. Reusing a
//! key for a different request is a conflict, not a silent replay.

use prost::Message;
use sha2::{Digest, Sha256};

use crate::db::Tx;
use crate::error::Error;
use crate::ids::{OrgId, TypedId};

/// The outcome of claiming a key.
#[derive(Debug)]
pub enum Claim<R> {
    /// The call happened before; this is what it answered.
    Replay(R),
    /// First time: do the work, then [`Guard::complete`].
    Fresh(Guard),
}

/// Records the response of a fresh call (nothing, for a call without a key).
#[derive(Debug)]
#[must_use = "complete the guard in the same transaction, or the key stays without a response"]
pub struct Guard {
    org: OrgId,
    method: &'static str,
    key: Option<String>,
}

impl Guard {
    pub async fn complete<R: Message>(self, tx: &mut Tx, response: &R) -> Result<(), Error> {
        let Some(key) = self.key else {
            return Ok(());
        };
        sqlx::query("update idempotency_keys set response = $4 where org_id = $1 and method = $2 and key = $3")
            .bind(self.org.uuid())
            .bind(self.method)
            .bind(&key)
            .bind(response.encode_to_vec())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 200;

/// Checks a key's shape (it arrives from callers).
pub fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "idempotency-key",
            format!("must be 1-{MAX_KEY_LEN} printable ASCII characters without spaces"),
        ));
    }
    Ok(())
}

/// Claims `key` for this request in `tx`; a call without a key is always
/// fresh.
pub async fn claim<R: Message + Default>(
    tx: &mut Tx,
    org: OrgId,
    method: &'static str,
    key: Option<&str>,
    request: &impl Message,
) -> Result<Claim<R>, Error> {
    let Some(key) = key else {
        return Ok(Claim::Fresh(Guard { org, method, key: None }));
    };
    check_key(key)?;
    let hash = Sha256::digest(request.encode_to_vec()).to_vec();
    let inserted = sqlx::query(
        "insert into idempotency_keys (org_id, method, key, request_hash) values ($1, $2, $3, $4)
         on conflict do nothing",
    )
    .bind(org.uuid())
    .bind(method)
    .bind(key)
    .bind(&hash)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        return Ok(Claim::Fresh(Guard {
            org,
            method,
            key: Some(key.to_owned()),
        }));
    }
    let (stored_hash, response): (Vec<u8>, Option<Vec<u8>>) = sqlx::query_as(
        "select request_hash, response from idempotency_keys where org_id = $1 and method = $2 and key = $3",
    )
    .bind(org.uuid())
    .bind(method)
    .bind(key)
    .fetch_one(&mut **tx)
    .await?;
    if stored_hash != hash {
        return Err(Error::Conflict(
            "idempotency-key was already used for a different request".to_owned(),
        ));
    }
    let response = response
        .ok_or_else(|| anyhow::anyhow!("idempotency key {key:?} for {method} was committed without a response"))?;
    let decoded = R::decode(response.as_slice())
        .map_err(|e| anyhow::anyhow!("stored response for {method} does not decode: {e}"))?;
    Ok(Claim::Replay(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_short_printable_ascii() {
        assert!(check_key("evt:0192f8a1-b2c3").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("has space").is_err());
        assert!(check_key("tab\there").is_err());
        assert!(check_key(&"x".repeat(MAX_KEY_LEN + 1)).is_err());
        assert!(check_key("ünïcode").is_err());
    }
}

//! Password hashing with argon2id (OWASP's recommended parameters are the
//! crate defaults: m = 19 MiB, t = 2, p = 1), always off the async runtime.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest password we accept.
pub const MIN_LEN: usize = 10;
/// Longest: argon2 takes any length, but bounding it bounds the work.
pub const MAX_LEN: usize = 256;

/// Checks a new password's length, naming the field.
pub fn check(password: &str) -> Result<(), attend_kit::Error> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(attend_kit::Error::invalid(
            "password",
            format!("must be at least {MIN_LEN} characters"),
        ));
    }
    if n > MAX_LEN {
        return Err(attend_kit::Error::invalid(
            "password",
            format!("must be at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// The PHC string of a new password.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await?
}

/// Whether `password` matches `phc`. With `phc = None` (no such user) the
/// same work is done against a fixed hash, so a wrong email takes as long
/// as a wrong password and reveals nothing.
pub async fn verify(password: String, phc: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let real = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(real && matches)
    })
    .await?
}

/// argon2id (default parameters) of a random string nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Xw+Iy8mIBNPT5ruFzgoo5qvJQ2/w0+rn9m1xyIiKx4";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let phc = hash("correct horse battery".to_owned()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery".to_owned(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery".to_owned(), Some(phc)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify("anything at all".to_owned(), None).await.unwrap());
    }

    #[test]
    fn short_and_huge_passwords_are_refused_by_name() {
        assert!(check("short").unwrap_err().to_string().contains("password"));
        assert!(check(&"x".repeat(MAX_LEN + 1)).is_err());
        assert!(check("long enough pass").is_ok());
    }
}

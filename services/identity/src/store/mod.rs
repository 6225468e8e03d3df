//! The SQL over the `identity` schema, and the only place it is written.
//! Each function runs in the transaction it is given (the feature chooses
//! a tenant or a platform transaction and says why), takes domain values,
//! and returns rows or domain values. A unique key that refuses a row comes
//! back as a value (`None`, `false`), not as a database error, so the
//! constraint names stay here.

pub(crate) mod audit;
pub(crate) mod keys;
pub(crate) mod orgs;
pub(crate) mod recovery;
pub(crate) mod sessions;
pub(crate) mod throttle;
pub(crate) mod users;

use attend_kit::db::is_violation;

/// `None` when `constraint` refused the row.
fn unless_violates<T>(result: sqlx::Result<T>, constraint: &str) -> sqlx::Result<Option<T>> {
    match result {
        Ok(row) => Ok(Some(row)),
        Err(e) if is_violation(&e, constraint) => Ok(None),
        Err(e) => Err(e),
    }
}

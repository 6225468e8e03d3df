//! Failed sign-ins per throttle key. They belong to no organisation:
//! callers use platform transactions.

use attend_kit::db::Tx;

use crate::throttle::State;

/// Reads a key's state, locking its row for the rest of the transaction so
/// concurrent attempts on one key are counted one after another. The row
/// is created first if missing: a lock on nothing would let a burst of
/// first attempts through together.
pub(crate) async fn load(tx: &mut Tx, key: &str) -> sqlx::Result<Option<State>> {
    sqlx::query(
        "insert into identity.login_throttle (key, failures, last_failure_at) values ($1, 0, now())
         on conflict do nothing",
    )
    .bind(key)
    .execute(&mut **tx)
    .await?;
    let state: State = sqlx::query_as(
        "select failures, last_failure_at, locked_until from identity.login_throttle where key = $1 for update",
    )
    .bind(key)
    .fetch_one(&mut **tx)
    .await?;
    Ok((state.failures > 0 || state.locked_until.is_some()).then_some(state))
}

/// Forgets keys whose failures are old and whose lock has run out.
pub(crate) async fn purge(tx: &mut Tx) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "delete from identity.login_throttle
         where last_failure_at < now() - interval '1 day' and (locked_until is null or locked_until < now())",
    )
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

pub(crate) async fn save(tx: &mut Tx, key: &str, state: &State) -> sqlx::Result<()> {
    sqlx::query(
        "insert into identity.login_throttle (key, failures, last_failure_at, locked_until)
         values ($1, $2, $3, $4)
         on conflict (key) do update set failures = $2, last_failure_at = $3, locked_until = $4",
    )
    .bind(key)
    .bind(state.failures)
    .bind(state.last_failure_at)
    .bind(state.locked_until)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn clear(tx: &mut Tx, key: &str) -> sqlx::Result<()> {
    sqlx::query("delete from identity.login_throttle where key = $1")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

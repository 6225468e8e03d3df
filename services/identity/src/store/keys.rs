//! Signing keys. They belong to no organisation: callers use platform
//! transactions.

use attend_kit::db::Tx;

/// Every unretired key as (kid, private key, public key), newest first.
pub(crate) async fn unretired(tx: &mut Tx) -> sqlx::Result<Vec<(String, Vec<u8>, Vec<u8>)>> {
    sqlx::query_as(
        "select kid, private_key, public_key from identity.signing_keys
         where retired_at is null order by created_at desc, kid desc",
    )
    .fetch_all(&mut **tx)
    .await
}

pub(crate) async fn insert(tx: &mut Tx, kid: &str, private_key: &[u8], public_key: &[u8]) -> sqlx::Result<()> {
    sqlx::query("insert into identity.signing_keys (kid, private_key, public_key) values ($1, $2, $3)")
        .bind(kid)
        .bind(private_key)
        .bind(public_key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Retires every unretired key but the newest two.
pub(crate) async fn retire_all_but_two(tx: &mut Tx) -> sqlx::Result<()> {
    sqlx::query(
        "update identity.signing_keys set retired_at = now()
             where retired_at is null and kid not in (
               select kid from identity.signing_keys where retired_at is null
               order by created_at desc, kid desc limit 2)",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

//! Refresh tokens: each session is a family of them, one spent per refresh.

use attend_kit::db::Tx;
use attend_kit::ids::{TypedId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::users::UserRow;

/// A refresh token as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct RefreshRow {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new refresh token of `family`, stored by its hash.
pub(crate) async fn insert(
    tx: &mut Tx,
    family: Uuid,
    user: &UserRow,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into identity.refresh_tokens (id, family_id, user_id, org_id, token_hash, expires_at)
             values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(family)
    .bind(user.id)
    .bind(user.org_id)
    .bind(token_hash)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whose token this is, if it is one.
pub(crate) async fn owner(tx: &mut Tx, token_hash: &[u8]) -> sqlx::Result<Option<UserId>> {
    sqlx::query_scalar("select user_id from identity.refresh_tokens where token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&mut **tx)
        .await
}

/// The token, locked for the rest of the transaction.
pub(crate) async fn find_locked(tx: &mut Tx, token_hash: &[u8]) -> sqlx::Result<Option<RefreshRow>> {
    sqlx::query_as(
        "select id, family_id, user_id, org_id, expires_at, used_at, revoked_at
             from identity.refresh_tokens where token_hash = $1 for update",
    )
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await
}

/// The family (session) a token belongs to.
pub(crate) async fn family(tx: &mut Tx, token_hash: &[u8]) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select family_id from identity.refresh_tokens where token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&mut **tx)
        .await
}

/// Marks a token spent: presenting it again revokes its family.
pub(crate) async fn spend(tx: &mut Tx, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update identity.refresh_tokens set used_at = now() where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends one session.
pub(crate) async fn revoke_family(tx: &mut Tx, family: Uuid) -> sqlx::Result<()> {
    sqlx::query("update identity.refresh_tokens set revoked_at = now() where family_id = $1 and revoked_at is null")
        .bind(family)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Signs a user out everywhere (password change or reset, deactivation).
pub(crate) async fn revoke_user(tx: &mut Tx, user: UserId) -> sqlx::Result<()> {
    sqlx::query("update identity.refresh_tokens set revoked_at = now() where user_id = $1 and revoked_at is null")
        .bind(user.uuid())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

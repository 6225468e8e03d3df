//! Password-reset links and invitations, stored by their tokens' hashes.

use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::users::UserRow;

/// How many reset links a user was sent in the last hour.
pub(crate) async fn resets_last_hour(tx: &mut Tx, user: UserId) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from identity.password_resets where user_id = $1 and created_at > now() - interval '1 hour'",
    )
    .bind(user.uuid())
    .fetch_one(&mut **tx)
    .await
}

/// A new reset link's token, by its hash.
pub(crate) async fn insert_reset(
    tx: &mut Tx,
    id: Uuid,
    user: &UserRow,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into identity.password_resets (id, user_id, org_id, token_hash, expires_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(user.id)
    .bind(user.org_id)
    .bind(token_hash)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A reset link that still works, for an active user, locked: its id,
/// user and organisation.
pub(crate) async fn find_reset(tx: &mut Tx, token_hash: &[u8]) -> sqlx::Result<Option<(Uuid, UserId, OrgId)>> {
    sqlx::query_as(
        "select r.id, r.user_id, r.org_id from identity.password_resets r
             join identity.users u on u.id = r.user_id and u.is_active
             where r.token_hash = $1 and r.used_at is null and r.expires_at > now() for update of r",
    )
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await
}

pub(crate) async fn spend_reset(tx: &mut Tx, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update identity.password_resets set used_at = now() where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Every outstanding reset link of a user stops working.
pub(crate) async fn spend_resets_of(tx: &mut Tx, user: UserId) -> sqlx::Result<()> {
    sqlx::query("update identity.password_resets set used_at = now() where user_id = $1 and used_at is null")
        .bind(user.uuid())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An invitation about to be stored.
pub(crate) struct NewInvitation<'a> {
    pub id: Uuid,
    pub org: OrgId,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub invited_by: Option<UserId>,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
}

pub(crate) async fn insert_invitation(tx: &mut Tx, new: NewInvitation<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into identity.invitations (id, org_id, email, name, role, invited_by, token_hash, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new.id)
    .bind(new.org.uuid())
    .bind(new.email)
    .bind(new.name)
    .bind(new.role)
    .bind(new.invited_by.map(|u| u.uuid()))
    .bind(new.token_hash)
    .bind(new.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An invitation not yet accepted nor expired.
#[derive(sqlx::FromRow)]
pub(crate) struct Invitation {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
}

/// The invitation a token opens, locked.
pub(crate) async fn find_invitation(tx: &mut Tx, token_hash: &[u8]) -> sqlx::Result<Option<Invitation>> {
    sqlx::query_as(
        "select id, org_id, email, name, role from identity.invitations
             where token_hash = $1 and accepted_at is null and expires_at > now() for update",
    )
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await
}

pub(crate) async fn accept_invitation(tx: &mut Tx, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update identity.invitations set accepted_at = now() where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

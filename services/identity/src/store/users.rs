//! Users: their accounts, credentials and activity.

use attend_kit::bus::timestamp;
use attend_kit::db::Tx;
use attend_kit::grpc::Role;
use attend_kit::ids::{OrgId, TypedId, UserId};
use attend_proto::identity::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::unless_violates;

/// A user as the API shows it.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl UserRow {
    pub fn into_proto(self) -> pb::User {
        pb::User {
            id: self.id.to_string(),
            org_id: self.org_id.to_string(),
            email: self.email,
            name: self.name,
            role: self.role,
            is_active: self.is_active,
            created_at: Some(timestamp(self.created_at)),
            last_login_at: self.last_login_at.map(timestamp),
        }
    }

    pub fn org(&self) -> OrgId {
        OrgId::from(self.org_id)
    }

    pub fn user_id(&self) -> UserId {
        UserId::from(self.id)
    }

    /// The stored role (the table's check constraint admits only user roles).
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Anonymous)
    }
}

/// A user with the hash their password is checked against.
#[derive(sqlx::FromRow)]
pub(crate) struct LoginRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: String,
}

/// The columns of [`UserRow`], for `concat!` (sqlx takes only static SQL).
macro_rules! user_columns {
    () => {
        "id, org_id, email, name, role, is_active, created_at, last_login_at"
    };
}

/// A new account, for [`insert`].
pub(crate) struct NewUser<'a> {
    pub org: OrgId,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
}

/// Stores a new user under a new id; `None` when the email has an account
/// already (emails are unique across organisations).
pub(crate) async fn insert(tx: &mut Tx, new: NewUser<'_>) -> sqlx::Result<Option<UserRow>> {
    let inserted = sqlx::query_as(concat!(
        "insert into identity.users (id, org_id, email, name, role, password_hash)
             values ($1, $2, $3, $4, $5, $6) returning ",
        user_columns!()
    ))
    .bind(UserId::new().uuid())
    .bind(new.org.uuid())
    .bind(new.email)
    .bind(new.name)
    .bind(new.role)
    .bind(new.password_hash)
    .fetch_one(&mut **tx)
    .await;
    unless_violates(inserted, "users_email_key")
}

/// A user of `org`.
pub(crate) async fn get(tx: &mut Tx, org: OrgId, user: UserId) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(concat!(
        "select ",
        user_columns!(),
        " from identity.users where org_id = $1 and id = $2"
    ))
    .bind(org.uuid())
    .bind(user.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// A user in any organisation.
pub(crate) async fn by_id(tx: &mut Tx, user: UserId) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(concat!(
        "select ",
        user_columns!(),
        " from identity.users where id = $1"
    ))
    .bind(user.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// The users of `org`, oldest first.
pub(crate) async fn list(tx: &mut Tx, org: OrgId) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as(concat!(
        "select ",
        user_columns!(),
        " from identity.users where org_id = $1 order by created_at, id"
    ))
    .bind(org.uuid())
    .fetch_all(&mut **tx)
    .await
}

/// The organisation's active admins and staff, by name.
/// The names of these users of the organisation (any that exist).
pub(crate) async fn names(tx: &mut Tx, org: OrgId, ids: &[Uuid]) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as("select id, name from identity.users where org_id = $1 and id = any($2)")
        .bind(org.uuid())
        .bind(ids)
        .fetch_all(&mut **tx)
        .await
}

pub(crate) async fn assignees(tx: &mut Tx, org: OrgId) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as(concat!(
        "select ",
        user_columns!(),
        " from identity.users where org_id = $1 and is_active and role in ('admin', 'staff')
          order by name, id"
    ))
    .bind(org.uuid())
    .fetch_all(&mut **tx)
    .await
}

/// A user's email and password hash.
pub(crate) async fn credentials(tx: &mut Tx, org: OrgId, user: UserId) -> sqlx::Result<(String, String)> {
    sqlx::query_as("select email, password_hash from identity.users where org_id = $1 and id = $2")
        .bind(org.uuid())
        .bind(user.uuid())
        .fetch_one(&mut **tx)
        .await
}

/// The account signing in with `email`, with its password hash.
pub(crate) async fn for_login(tx: &mut Tx, email: &str) -> sqlx::Result<Option<LoginRow>> {
    // Locked: a password reset or deactivation waits for this sign-in to
    // finish, or this sign-in sees its result.
    sqlx::query_as(concat!(
        "select ",
        user_columns!(),
        ", password_hash from identity.users where email = $1 for update"
    ))
    .bind(email)
    .fetch_optional(&mut **tx)
    .await
}

/// The active account with `email`.
pub(crate) async fn active_by_email_locked(tx: &mut Tx, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(concat!(
        // Locked, so concurrent requests count each other's links.
        "select ",
        user_columns!(),
        " from identity.users where email = $1 and is_active for update"
    ))
    .bind(email)
    .fetch_optional(&mut **tx)
    .await
}

/// Locks a user's row for the rest of the transaction.
pub(crate) async fn lock(tx: &mut Tx, user: UserId) -> sqlx::Result<()> {
    sqlx::query("select 1 from identity.users where id = $1 for update")
        .bind(user.uuid())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn email_taken(tx: &mut Tx, email: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from identity.users where email = $1)")
        .bind(email)
        .fetch_one(&mut **tx)
        .await
}

/// Stamps a successful sign-in.
pub(crate) async fn record_login(tx: &mut Tx, user: UserId) -> sqlx::Result<UserRow> {
    sqlx::query_as(concat!(
        "update identity.users set last_login_at = now() where id = $1
             returning ",
        user_columns!()
    ))
    .bind(user.uuid())
    .fetch_one(&mut **tx)
    .await
}

/// A user's new password hash, set by the user.
pub(crate) async fn set_password(tx: &mut Tx, org: OrgId, user: UserId, hash: &str) -> sqlx::Result<()> {
    sqlx::query("update identity.users set password_hash = $3, updated_at = now() where org_id = $1 and id = $2")
        .bind(org.uuid())
        .bind(user.uuid())
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A user's new password hash, set through a reset link; the user's email.
pub(crate) async fn reset_password(tx: &mut Tx, user: UserId, hash: &str) -> sqlx::Result<String> {
    sqlx::query_scalar("update identity.users set password_hash = $2, updated_at = now() where id = $1 returning email")
        .bind(user.uuid())
        .bind(hash)
        .fetch_one(&mut **tx)
        .await
}

pub(crate) async fn rename(tx: &mut Tx, org: OrgId, user: UserId, name: &str) -> sqlx::Result<()> {
    sqlx::query("update identity.users set name = $3, updated_at = now() where org_id = $1 and id = $2")
        .bind(org.uuid())
        .bind(user.uuid())
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// (De)activates a user of `org`; `None` when there is no such user.
pub(crate) async fn set_active(tx: &mut Tx, org: OrgId, user: UserId, active: bool) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(concat!(
        "update identity.users set is_active = $3,
               deactivated_at = case when $3 then null else now() end, updated_at = now()
             where org_id = $1 and id = $2 returning ",
        user_columns!()
    ))
    .bind(org.uuid())
    .bind(user.uuid())
    .bind(active)
    .fetch_optional(&mut **tx)
    .await
}

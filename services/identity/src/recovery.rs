//! Getting into an account without a password: reset links and
//! invitations, both single-use and expiring, delivered by email through
//! the messaging service (the sandbox provider records them in development
//! and tests).

use attend_kit::error::PeerAnswer;
use std::time::Duration;

use attend_kit::authz::Permission;
use attend_kit::contact_point::Email;
use attend_kit::db::is_violation;
use attend_kit::grpc::{Caller, Role, request, with_idempotency_key};
use attend_kit::ids::{OrgId, TypedId, UserId};
use attend_kit::{Error, FieldError};
use attend_proto::identity::v1 as pb;
use attend_proto::messaging::v1::SendEmailRequest;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::Api;
use crate::audit::{self, Entry};
use crate::users::UserRow;
use crate::{password, sessions, throttle, tokens};

/// How long a reset link works.
pub const RESET_TTL: Duration = Duration::from_secs(3600);
/// How long an invitation works.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

fn expiry(ttl: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default()
}

fn bad_token() -> Error {
    Error::invalid("token", "is not valid, was already used, or has expired")
}

/// Sends the emails that carry links: clonable, so a reset can be sent
/// after the request has been answered.
#[derive(Clone)]
pub struct Mailer {
    pub db: attend_kit::db::Db,
    pub messaging:
        attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient<attend_kit::grpc::Traced>,
    /// The web address links point to.
    pub public_url: url::Url,
}

impl Mailer {
    /// Queues an email holding a one-time link through the messaging
    /// service, once per `key`; messaging treats its body as a secret.
    async fn email(
        &self,
        org: OrgId,
        key: &str,
        to: &str,
        subject: &str,
        body: String,
        category: &str,
    ) -> Result<(), Error> {
        let call = request(
            SendEmailRequest {
                to: to.to_owned(),
                subject: subject.to_owned(),
                body_text: body,
                category: category.to_owned(),
                sensitive: true,
            },
            &Caller::system(org),
        );
        self.messaging
            .clone()
            .send_email(with_idempotency_key(call, key)?)
            .await
            .into_answer("messaging")?;
        Ok(())
    }

    fn link(&self, path: &str, token: &str) -> String {
        let mut url = self.public_url.clone();
        url.set_path(path);
        url.query_pairs_mut().clear().append_pair("token", token);
        url.to_string()
    }

    /// Creates and emails a reset link for an active account, unless it
    /// already had `RESETS_PER_HOUR` in the last hour.
    async fn send_reset(&self, email: Email, client_address: String) -> Result<(), Error> {
        // Platform transaction: the account is found by email alone.
        let mut tx = self.db.platform().await?;
        let user: Option<UserRow> = sqlx::query_as(
            // Locked, so concurrent requests count each other's links.
            "select id, org_id, email, name, role, is_active, created_at, last_login_at
             from identity.users where email = $1 and is_active for update",
        )
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user) = user else {
            return Ok(());
        };
        let recent: i64 = sqlx::query_scalar(
            "select count(*) from identity.password_resets where user_id = $1 and created_at > now() - interval '1 hour'",
        )
        .bind(user.id)
        .fetch_one(&mut *tx)
        .await?;
        if recent >= RESETS_PER_HOUR {
            tracing::warn!(user = %user.user_id(), "password reset requested too often; not sending another");
            return Ok(());
        }
        let (token, hash) = tokens::new_token("reset")?;
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into identity.password_resets (id, user_id, org_id, token_hash, expires_at) values ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(user.id)
        .bind(user.org_id)
        .bind(hash)
        .bind(expiry(RESET_TTL))
        .execute(&mut *tx)
        .await?;
        audit::write(
            &mut tx,
            Entry::own(
                user.org(),
                user.user_id(),
                Role::Anonymous,
                "auth.password_reset_requested",
            )
            .with_details(serde_json::json!({ "address": client_address })),
        )
        .await?;
        tx.commit().await?;
        let body = format!(
            "Hello {},\n\nSomeone (we hope you) asked to reset your attend password. Open this link within an hour to choose a new one:\n\n{}\n\nIf it wasn't you, ignore this email: your password stays as it is.\n",
            user.name,
            self.link("/reset-password", &token)
        );
        // Queued after the token is stored (idempotent by its id): if
        // messaging is down the link was never sent and simply expires.
        self.email(
            user.org(),
            &format!("password-reset:{id}"),
            &user.email,
            "Reset your attend password",
            body,
            "password_reset",
        )
        .await
    }
}

/// Reset links an account can be sent per hour (a mailbox is not a target).
pub const RESETS_PER_HOUR: i64 = 3;

/// Answers at once, the same way for every email; the work (finding
/// the account, storing the token, queueing the email) happens after,
/// so neither the answer nor its timing says whether the email has an
/// account.
pub(crate) async fn request_reset(
    api: &Api,
    req: pb::RequestPasswordResetRequest,
) -> Result<pb::RequestPasswordResetResponse, Error> {
    if let Ok(email) = Email::parse(&req.email) {
        let mailer = api.mailer.clone();
        tokio::spawn(async move {
            if let Err(e) = mailer.send_reset(email, req.client_address).await {
                tracing::error!(error = %e, "a password-reset email could not be sent");
                metrics::counter!("identity_emails_failed_total", "category" => "password_reset").increment(1);
            }
        });
    }
    Ok(pb::RequestPasswordResetResponse {})
}

pub(crate) async fn reset_password(
    api: &Api,
    req: pb::ResetPasswordRequest,
) -> Result<pb::ResetPasswordResponse, Error> {
    password::check(&req.new_password).map_err(|_| {
        Error::invalid(
            "password",
            format!("must be {}-{} characters", password::MIN_LEN, password::MAX_LEN),
        )
    })?;
    let hash = tokens::hash(&req.token);
    let new_hash = password::hash(req.new_password).await?;
    // Platform transaction: the token is the only credential.
    let mut tx = api.db.platform().await?;
    let found: Option<(Uuid, Uuid, Uuid)> = sqlx::query_as(
        "select r.id, r.user_id, r.org_id from identity.password_resets r
             join identity.users u on u.id = r.user_id and u.is_active
             where r.token_hash = $1 and r.used_at is null and r.expires_at > now() for update of r",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, user_id, org_id)) = found else {
        return Err(bad_token());
    };
    let email: String = sqlx::query_scalar(
        "update identity.users set password_hash = $2, updated_at = now() where id = $1 returning email",
    )
    .bind(user_id)
    .bind(&new_hash)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update identity.password_resets set used_at = now() where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // Every session ends, every other outstanding link stops working,
    // and the account's failed sign-ins are forgiven.
    sqlx::query("update identity.password_resets set used_at = now() where user_id = $1 and used_at is null")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sessions::revoke_user(&mut tx, user_id).await?;
    throttle::clear(&mut tx, &throttle::account_key(&email)).await?;
    audit::write(
        &mut tx,
        Entry::own(
            OrgId::from(org_id),
            UserId::from(user_id),
            Role::Anonymous,
            "auth.password_reset",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(pb::ResetPasswordResponse {})
}

pub(crate) async fn invite(
    api: &Api,
    caller: Caller,
    req: pb::CreateInvitationRequest,
) -> Result<pb::Invitation, Error> {
    caller.require_permission(Permission::UsersManage)?;
    let org = caller.org()?;
    let mut problems = Vec::new();
    let email = Email::parse(&req.email)
        .map_err(|r| problems.push(FieldError::new("email", r)))
        .ok();
    let role = req.role.parse::<Role>().ok().filter(|r| Role::USER_ROLES.contains(r));
    if role.is_none() {
        problems.push(FieldError::new(
            "role",
            "must be one of admin, staff, readonly, care_team, family, client",
        ));
    }
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        problems.push(FieldError::new("name", "must be 1-200 characters"));
    }
    let (Some(email), Some(role)) = (email, role) else {
        return Err(Error::Invalid(problems));
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    // Platform transaction: emails are unique across organisations, so
    // the check is too (an invitation that could never be accepted
    // helps nobody).
    let mut tx = api.db.platform().await?;
    let taken: bool = sqlx::query_scalar("select exists(select 1 from identity.users where email = $1)")
        .bind(email.as_str())
        .fetch_one(&mut *tx)
        .await?;
    let org_name: String = sqlx::query_scalar("select name from identity.organisations where id = $1")
        .bind(org.uuid())
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    if taken {
        return Err(Error::Conflict(format!("{email} already has an account")));
    }
    let (token, hash) = tokens::new_token("inv")?;
    let id = Uuid::now_v7();
    let expires_at = expiry(INVITATION_TTL);
    let body = format!(
        "Hello {name},\n\nYou are invited to {org_name} on attend as {role}. Open this link within 7 days to choose your password:\n\n{}\n",
        api.mailer.link("/accept-invitation", &token)
    );
    // The email first (idempotent by the invitation's id), then the
    // invitation: no transaction waits on messaging. If storing fails
    // after the email went, its link just doesn't work, and the admin,
    // who got an error, invites again.
    api.mailer
        .email(
            org,
            &format!("invitation:{id}"),
            email.as_str(),
            &format!("You're invited to {org_name}"),
            body,
            "invitation",
        )
        .await?;
    let mut tx = api.db.tenant(org).await?;
    sqlx::query(
        "insert into identity.invitations (id, org_id, email, name, role, invited_by, token_hash, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(org.uuid())
    .bind(email.as_str())
    .bind(&name)
    .bind(role.as_str())
    .bind(caller.user.map(|u| u.uuid()))
    .bind(hash)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    audit::write(
        &mut tx,
        Entry {
            org,
            actor: caller.user,
            actor_role: caller.role,
            action: "user.invite",
            target_type: "invitation",
            target_id: id.to_string(),
            details: serde_json::json!({ "email": email.as_str(), "role": role.as_str() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(pb::Invitation {
        id: id.to_string(),
        email: email.to_string(),
        role: role.as_str().to_owned(),
        name,
        expires_at: Some(attend_kit::bus::timestamp(expires_at)),
    })
}

pub(crate) async fn accept(api: &Api, req: pb::AcceptInvitationRequest) -> Result<pb::LoginResponse, Error> {
    password::check(&req.password)?;
    let hash = tokens::hash(&req.token);
    let password_hash = password::hash(req.password).await?;
    // Platform transaction: the token is the only credential.
    let mut tx = api.db.platform().await?;
    let found: Option<(Uuid, Uuid, String, String, String)> = sqlx::query_as(
        "select id, org_id, email, name, role from identity.invitations
             where token_hash = $1 and accepted_at is null and expires_at > now() for update",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, org_id, email, invited_name, role)) = found else {
        return Err(bad_token());
    };
    let name = match req.name.trim() {
        "" => invited_name,
        name if name.chars().count() <= 200 => name.to_owned(),
        _ => return Err(Error::invalid("name", "must be at most 200 characters")),
    };
    let user: UserRow = sqlx::query_as(
        "insert into identity.users (id, org_id, email, name, role, password_hash)
             values ($1, $2, $3, $4, $5, $6)
             returning id, org_id, email, name, role, is_active, created_at, last_login_at",
    )
    .bind(UserId::new().uuid())
    .bind(org_id)
    .bind(&email)
    .bind(&name)
    .bind(&role)
    .bind(&password_hash)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_violation(&e, "users_email_key") {
            Error::Conflict(format!("{email} already has an account"))
        } else {
            e.into()
        }
    })?;
    sqlx::query("update identity.invitations set accepted_at = now() where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::write(
        &mut tx,
        Entry::own(user.org(), user.user_id(), user.role(), "user.accept_invitation"),
    )
    .await?;
    let response = sessions::open(&api.keys, &mut tx, user, None).await?;
    tx.commit().await?;
    Ok(response)
}

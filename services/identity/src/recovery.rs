//! Getting into an account without a password: reset links and
//! invitations, both single-use and expiring, delivered by email through
//! the messaging service, which renders them from its `password_reset` and
//! `invitation` templates with the values given here (the sandbox
//! provider records them in development and tests).

use std::collections::BTreeMap;
use std::time::Duration;

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::contact_point::Email;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, Role, request, with_idempotency_key};
use attend_kit::ids::OrgId;
use attend_kit::text::{self, PersonName};
use attend_proto::identity::v1 as pb;
use attend_proto::messaging::v1::SendEmailRequest;
use uuid::Uuid;

use crate::api::Api;
use crate::audit::Entry;
use crate::store::recovery::NewInvitation;
use crate::store::users::NewUser;
use crate::{password, sessions, store, throttle, tokens, users};

/// How long a reset link works.
pub const RESET_TTL: Duration = Duration::from_secs(3600);
/// How long an invitation works.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

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

/// The values of a template, by name.
fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

impl Mailer {
    /// Queues an email holding a one-time link through the messaging
    /// service, rendered from its `template` (which is also the email's
    /// category), once per `key`; messaging treats its body as a secret.
    async fn email(
        &self,
        org: OrgId,
        key: &str,
        to: &str,
        template: &str,
        values: BTreeMap<String, String>,
    ) -> Result<(), Error> {
        let call = request(
            SendEmailRequest {
                to: to.to_owned(),
                category: template.to_owned(),
                sensitive: true,
                template: template.to_owned(),
                values,
                ..Default::default()
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
        let Some(user) = store::users::active_by_email_locked(&mut tx, email.as_str()).await? else {
            return Ok(());
        };
        if store::recovery::resets_last_hour(&mut tx, user.user_id()).await? >= RESETS_PER_HOUR {
            tracing::warn!(user = %user.user_id(), "password reset requested too often; not sending another");
            return Ok(());
        }
        let (token, hash) = tokens::new_token("reset")?;
        let id = Uuid::now_v7();
        store::recovery::insert_reset(&mut tx, id, &user, &hash, tokens::expiry(RESET_TTL)).await?;
        store::audit::write(
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
        let org_name = store::orgs::name(&mut tx, user.org()).await?;
        tx.commit().await?;
        let link = self.link("/reset-password", &token);
        let values = values(&[
            ("name", &user.name),
            ("organisation", &org_name),
            ("link", &link),
            ("expiry", "an hour"),
        ]);
        // Queued after the token is stored (idempotent by its id): if
        // messaging is down the link was never sent and simply expires.
        self.email(
            user.org(),
            &format!("password-reset:{id}"),
            &user.email,
            "password_reset",
            values,
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
                metrics::counter!("attend_identity_emails_failed_total", "category" => "password_reset").increment(1);
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
    let Some((id, user, org)) = store::recovery::find_reset(&mut tx, &hash).await? else {
        return Err(bad_token());
    };
    let email = store::users::reset_password(&mut tx, user, &new_hash).await?;
    store::recovery::spend_reset(&mut tx, id).await?;
    // Every session ends, every other outstanding link stops working,
    // and the account's failed sign-ins are forgiven.
    store::recovery::spend_resets_of(&mut tx, user).await?;
    store::sessions::revoke_user(&mut tx, user).await?;
    store::throttle::clear(&mut tx, &throttle::account_key(&email)).await?;
    store::audit::write(&mut tx, Entry::own(org, user, Role::Anonymous, "auth.password_reset")).await?;
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
    let email = text::collect(&mut problems, "email", Email::parse(&req.email));
    let role = text::collect(&mut problems, "role", users::parse_role(&req.role));
    let name = text::collect(&mut problems, "name", PersonName::parse(&req.name));
    let (Some(email), Some(role), Some(name)) = (email, role, name) else {
        return Err(Error::Invalid(problems));
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    // Platform transaction: emails are unique across organisations, so
    // the check is too (an invitation that could never be accepted
    // helps nobody).
    let mut tx = api.db.platform().await?;
    let taken = store::users::email_taken(&mut tx, email.as_str()).await?;
    let org_name = store::orgs::name(&mut tx, org).await?;
    tx.commit().await?;
    if taken {
        return Err(Error::Conflict(format!("{email} already has an account")));
    }
    let (token, hash) = tokens::new_token("inv")?;
    let id = Uuid::now_v7();
    let expires_at = tokens::expiry(INVITATION_TTL);
    let link = api.mailer.link("/accept-invitation", &token);
    let values = values(&[
        ("name", name.as_str()),
        ("organisation", &org_name),
        ("role", role.as_str()),
        ("link", &link),
        ("expiry", "7 days"),
    ]);
    // The email first (idempotent by the invitation's id), then the
    // invitation: no transaction waits on messaging. If storing fails
    // after the email went, its link just doesn't work, and the admin,
    // who got an error, invites again.
    api.mailer
        .email(org, &format!("invitation:{id}"), email.as_str(), "invitation", values)
        .await?;
    let mut tx = api.db.tenant(org).await?;
    let invitation = NewInvitation {
        id,
        org,
        email: email.as_str(),
        name: name.as_str(),
        role: role.as_str(),
        invited_by: caller.user,
        token_hash: &hash,
        expires_at,
    };
    store::recovery::insert_invitation(&mut tx, invitation).await?;
    store::audit::write(
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
        name: name.into_string(),
        expires_at: Some(attend_kit::bus::timestamp(expires_at)),
    })
}

pub(crate) async fn accept(api: &Api, req: pb::AcceptInvitationRequest) -> Result<pb::LoginResponse, Error> {
    password::check(&req.password)?;
    // Blank keeps the name the admin gave.
    let name = PersonName::parse_optional(&req.name).map_err(text::at("name"))?;
    let hash = tokens::hash(&req.token);
    let password_hash = password::hash(req.password).await?;
    // Platform transaction: the token is the only credential.
    let mut tx = api.db.platform().await?;
    let Some(invitation) = store::recovery::find_invitation(&mut tx, &hash).await? else {
        return Err(bad_token());
    };
    let name = name.map_or(invitation.name, PersonName::into_string);
    let new = NewUser {
        org: OrgId::from(invitation.org_id),
        email: &invitation.email,
        name: &name,
        role: &invitation.role,
        password_hash: &password_hash,
    };
    let user = store::users::insert(&mut tx, new)
        .await?
        .ok_or_else(|| Error::Conflict(format!("{} already has an account", invitation.email)))?;
    store::recovery::accept_invitation(&mut tx, invitation.id).await?;
    store::audit::write(
        &mut tx,
        Entry::own(user.org(), user.user_id(), user.role(), "user.accept_invitation"),
    )
    .await?;
    let response = sessions::open(&api.keys, &mut tx, user, None).await?;
    tx.commit().await?;
    Ok(response)
}

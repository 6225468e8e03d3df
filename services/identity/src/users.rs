//! Users: creation (platform or admin), the signed-in user's own profile,
//! and the admin's list and (de)activation.

use attend_kit::authz::Permission;
use attend_kit::contact_point::Email;
use attend_kit::grpc::{Caller, Role};
use attend_kit::ids::{OrgId, TypedId, UserId};
use attend_kit::text::{self, PersonName};
use attend_kit::{Error, FieldError};
use attend_proto::identity::v1 as pb;

use crate::api::Api;
use crate::audit::Entry;
use crate::store::users::{NewUser, UserRow};
use crate::throttle::{self, Tracked};
use crate::{orgs, password, store};

pub(crate) async fn create(api: &Api, caller: Caller, req: pb::CreateUserRequest) -> Result<pb::User, Error> {
    let org = OrgId::parse_uuid_at("org_id", &req.org_id)?;
    caller.require_permission(Permission::UsersManage)?;
    orgs::require_within(&caller, org)?;
    let mut problems = Vec::new();
    let email = text::collect(&mut problems, "email", Email::parse(&req.email));
    let name = text::collect(&mut problems, "name", PersonName::parse(&req.name));
    let role = text::collect(&mut problems, "role", parse_role(&req.role));
    if let Err(Error::Invalid(mut f)) = password::check(&req.password) {
        problems.append(&mut f);
    }
    let (Some(email), Some(name), Some(role)) = (email, name, role) else {
        return Err(Error::Invalid(problems));
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let hash = password::hash(req.password).await?;
    let mut tx = api.db.tenant(org).await?;
    if !store::orgs::exists(&mut tx, org).await? {
        return Err(Error::invalid("org_id", "no such organisation"));
    }
    let new = NewUser {
        org,
        email: email.as_str(),
        name: name.as_str(),
        role: role.as_str(),
        password_hash: &hash,
    };
    let row = store::users::insert(&mut tx, new)
        .await?
        .ok_or_else(|| Error::Conflict(format!("a user with email {email} already exists")))?;
    store::audit::write(
        &mut tx,
        Entry::by(&caller, org, "user.create", row.user_id())
            .with_details(serde_json::json!({ "role": role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(row.into_proto())
}

/// A role a user can hold.
pub(crate) fn parse_role(raw: &str) -> Result<Role, String> {
    raw.parse::<Role>()
        .ok()
        .filter(|r| Role::USER_ROLES.contains(r))
        .ok_or_else(|| "must be one of admin, staff, readonly, care_team, family, client".to_owned())
}

/// The signed-in user; refused when the caller is not a user.
fn signed_in(caller: &Caller) -> Result<(OrgId, UserId), Error> {
    match (caller.org, caller.user) {
        (Some(org), Some(user)) => Ok((org, user)),
        _ => Err(Error::Unauthenticated("sign in first".to_owned())),
    }
}

pub(crate) async fn get_me(api: &Api, caller: Caller) -> Result<pb::User, Error> {
    let (org, user) = signed_in(&caller)?;
    let mut tx = api.db.tenant(org).await?;
    let row = store::users::get(&mut tx, org, user).await?;
    tx.commit().await?;
    row.map(UserRow::into_proto)
        .ok_or_else(|| Error::Unauthenticated("this account no longer exists".to_owned()))
}

pub(crate) async fn update_me(api: &Api, caller: Caller, req: pb::UpdateMeRequest) -> Result<pb::User, Error> {
    let (org, user) = signed_in(&caller)?;
    let mut problems = Vec::new();
    let name = text::collect(&mut problems, "name", PersonName::parse_optional(&req.name)).flatten();
    let changing_password = !req.new_password.is_empty() || !req.current_password.is_empty();
    if changing_password {
        if req.current_password.is_empty() {
            problems.push(FieldError::new("current_password", "is needed to change the password"));
        }
        if let Err(Error::Invalid(f)) = password::check(&req.new_password) {
            problems.extend(f.into_iter().map(|e| FieldError::new("new_password", e.reason)));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut tx = api.db.tenant(org).await?;
    if changing_password {
        let (email, stored) = store::users::credentials(&mut tx, org, user).await?;
        check_current_password(api, &email, req.current_password, stored).await?;
        let hash = password::hash(req.new_password).await?;
        store::users::set_password(&mut tx, org, user, &hash).await?;
        // A new password signs every session out, this one included.
        store::sessions::revoke_user(&mut tx, user).await?;
        store::audit::write(&mut tx, Entry::own(org, user, caller.role, "user.change_password")).await?;
    }
    if let Some(name) = &name {
        store::users::rename(&mut tx, org, user, name.as_str()).await?;
        store::audit::write(&mut tx, Entry::own(org, user, caller.role, "user.update_profile")).await?;
    }
    tx.commit().await?;
    get_me(api, caller).await
}

/// A wrong current password counts as a failed sign-in for the account,
/// so a stolen access token can't be used to guess the password.
async fn check_current_password(api: &Api, email: &str, given: String, stored: String) -> Result<(), Error> {
    let now = chrono::Utc::now();
    // Platform transaction: sign-in failures belong to no organisation.
    let mut tx = api.db.platform().await?;
    let account = Tracked::load(&mut tx, throttle::ACCOUNT, throttle::account_key(email)).await?;
    if let Err(refusal) = account.check(now) {
        tx.commit().await?;
        return Err(refusal);
    }
    if password::verify(given, Some(stored)).await? {
        tx.commit().await?;
        return Ok(());
    }
    account.failed(&mut tx, now).await?;
    tx.commit().await?;
    Err(Error::invalid("current_password", "is not your current password"))
}

pub(crate) async fn list(api: &Api, caller: Caller) -> Result<pb::ListUsersResponse, Error> {
    caller.require_permission(Permission::UsersManage)?;
    let org = caller.org()?;
    let mut tx = api.db.tenant(org).await?;
    let rows = store::users::list(&mut tx, org).await?;
    tx.commit().await?;
    Ok(pb::ListUsersResponse {
        users: rows.into_iter().map(UserRow::into_proto).collect(),
    })
}

/// Who work can go to: the active admins and staff (no emails: a staff
/// member choosing whom to hand a task to sees names and roles).
pub(crate) async fn assignees(api: &Api, caller: Caller) -> Result<pb::ListUsersResponse, Error> {
    caller.require_permission(Permission::TasksWrite)?;
    let org = caller.org()?;
    let mut tx = api.db.tenant(org).await?;
    let rows = store::users::assignees(&mut tx, org).await?;
    tx.commit().await?;
    Ok(pb::ListUsersResponse {
        users: rows
            .into_iter()
            .map(|row| pb::User {
                email: String::new(),
                ..row.into_proto()
            })
            .collect(),
    })
}

/// The names of users of the caller's organisation, by id: who wrote a
/// care update or a message. Names only, to anyone signed in there.
pub(crate) async fn names(
    api: &Api,
    caller: Caller,
    req: pb::ListUserNamesRequest,
) -> Result<pb::ListUserNamesResponse, Error> {
    let org = caller.org()?;
    if caller.user.is_none() && caller.role != Role::System {
        return Err(Error::Forbidden("only a signed-in user reads names".to_owned()));
    }
    if req.ids.len() > 200 {
        return Err(Error::invalid("ids", "lists more than 200 users"));
    }
    let ids = req
        .ids
        .iter()
        .map(|id| UserId::parse_uuid(id).map(|u| u.uuid()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Error::invalid("ids", "lists something that is not a user id"))?;
    let mut tx = api.db.tenant(org).await?;
    let rows = store::users::names(&mut tx, org, &ids).await?;
    tx.commit().await?;
    Ok(pb::ListUserNamesResponse {
        users: rows
            .into_iter()
            .map(|(id, name)| pb::UserName {
                id: id.to_string(),
                name,
            })
            .collect(),
    })
}

pub(crate) async fn set_active(api: &Api, caller: Caller, req: pb::SetUserActiveRequest) -> Result<pb::User, Error> {
    caller.require_permission(Permission::UsersManage)?;
    let org = caller.org()?;
    let target = UserId::parse_public_at("user_id", &req.user_id)?;
    if caller.user == Some(target) && !req.active {
        return Err(Error::invalid("user_id", "you can't deactivate yourself"));
    }
    let mut tx = api.db.tenant(org).await?;
    let row = store::users::set_active(&mut tx, org, target, req.active)
        .await?
        .ok_or_else(|| Error::NotFound("user".to_owned()))?;
    if !req.active {
        store::sessions::revoke_user(&mut tx, target).await?;
        store::recovery::spend_resets_of(&mut tx, target).await?;
    }
    let action = if req.active {
        "user.reactivate"
    } else {
        "user.deactivate"
    };
    store::audit::write(&mut tx, Entry::by(&caller, org, action, target)).await?;
    tx.commit().await?;
    Ok(row.into_proto())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_person_s_role_can_be_given_to_a_user() {
        assert_eq!(parse_role("staff"), Ok(Role::Staff));
        assert_eq!(parse_role("care_team"), Ok(Role::CareTeam));
        for raw in ["platform", "system", "anonymous", "", "boss"] {
            assert!(
                parse_role(raw).unwrap_err().starts_with("must be one of admin"),
                "{raw}"
            );
        }
    }
}

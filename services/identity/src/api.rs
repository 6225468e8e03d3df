//! `IdentityService` over gRPC, and nothing else: each RPC reads its
//! caller and hands the request to the feature module that owns it.

use attend_kit::Error;
use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_proto::identity::v1 as pb;
use attend_proto::identity::v1::identity_service_server::IdentityService;
use tonic::{Request, Response, Status};

use crate::keys::KeyRing;
use crate::{audit, keys, orgs, recovery, sessions, users};

/// What the handlers need.
pub struct Api {
    pub db: Db,
    pub keys: KeyRing,
    /// Sends password-reset and invitation emails.
    pub mailer: recovery::Mailer,
}

type Reply<T> = Result<Response<T>, Status>;

fn reply<T>(answer: Result<T, Error>) -> Reply<T> {
    Ok(Response::new(answer?))
}

#[tonic::async_trait]
impl IdentityService for Api {
    async fn create_organisation(&self, request: Request<pb::CreateOrganisationRequest>) -> Reply<pb::Organisation> {
        let caller = Caller::of(&request)?;
        reply(orgs::create(self, caller, request.into_inner()).await)
    }

    async fn get_organisation(&self, request: Request<pb::GetOrganisationRequest>) -> Reply<pb::Organisation> {
        let caller = Caller::of(&request)?;
        reply(orgs::get(self, caller, request.into_inner()).await)
    }

    async fn list_organisations(
        &self,
        request: Request<pb::ListOrganisationsRequest>,
    ) -> Reply<pb::ListOrganisationsResponse> {
        let caller = Caller::of(&request)?;
        reply(orgs::list(self, caller).await)
    }

    async fn resolve_organisation(&self, request: Request<pb::ResolveOrganisationRequest>) -> Reply<pb::Organisation> {
        let caller = Caller::of(&request)?;
        reply(orgs::resolve(self, caller, request.into_inner()).await)
    }

    async fn create_user(&self, request: Request<pb::CreateUserRequest>) -> Reply<pb::User> {
        let caller = Caller::of(&request)?;
        reply(users::create(self, caller, request.into_inner()).await)
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        reply(sessions::login(self, request.into_inner()).await)
    }

    async fn refresh(&self, request: Request<pb::RefreshRequest>) -> Reply<pb::LoginResponse> {
        reply(sessions::refresh(self, request.into_inner()).await)
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        reply(sessions::logout(self, request.into_inner()).await)
    }

    async fn get_me(&self, request: Request<pb::GetMeRequest>) -> Reply<pb::User> {
        let caller = Caller::of(&request)?;
        reply(users::get_me(self, caller).await)
    }

    async fn update_me(&self, request: Request<pb::UpdateMeRequest>) -> Reply<pb::User> {
        let caller = Caller::of(&request)?;
        reply(users::update_me(self, caller, request.into_inner()).await)
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Reply<pb::RequestPasswordResetResponse> {
        reply(recovery::request_reset(self, request.into_inner()).await)
    }

    async fn reset_password(&self, request: Request<pb::ResetPasswordRequest>) -> Reply<pb::ResetPasswordResponse> {
        reply(recovery::reset_password(self, request.into_inner()).await)
    }

    async fn create_invitation(&self, request: Request<pb::CreateInvitationRequest>) -> Reply<pb::Invitation> {
        let caller = Caller::of(&request)?;
        reply(recovery::invite(self, caller, request.into_inner()).await)
    }

    async fn accept_invitation(&self, request: Request<pb::AcceptInvitationRequest>) -> Reply<pb::LoginResponse> {
        reply(recovery::accept(self, request.into_inner()).await)
    }

    async fn list_users(&self, request: Request<pb::ListUsersRequest>) -> Reply<pb::ListUsersResponse> {
        let caller = Caller::of(&request)?;
        reply(users::list(self, caller).await)
    }

    async fn list_assignees(&self, request: Request<pb::ListAssigneesRequest>) -> Reply<pb::ListUsersResponse> {
        let caller = Caller::of(&request)?;
        reply(users::assignees(self, caller).await)
    }

    async fn list_user_names(&self, request: Request<pb::ListUserNamesRequest>) -> Reply<pb::ListUserNamesResponse> {
        let caller = Caller::of(&request)?;
        reply(users::names(self, caller, request.into_inner()).await)
    }

    async fn set_user_active(&self, request: Request<pb::SetUserActiveRequest>) -> Reply<pb::User> {
        let caller = Caller::of(&request)?;
        reply(users::set_active(self, caller, request.into_inner()).await)
    }

    async fn get_signing_keys(
        &self,
        _request: Request<pb::GetSigningKeysRequest>,
    ) -> Reply<pb::GetSigningKeysResponse> {
        reply(keys::published(self).await)
    }

    async fn rotate_signing_key(
        &self,
        request: Request<pb::RotateSigningKeyRequest>,
    ) -> Reply<pb::GetSigningKeysResponse> {
        let caller = Caller::of(&request)?;
        reply(keys::rotate(self, caller).await)
    }

    async fn list_audit(&self, request: Request<pb::ListAuditRequest>) -> Reply<pb::ListAuditResponse> {
        let caller = Caller::of(&request)?;
        reply(audit::list(self, caller, request.into_inner()).await)
    }

    async fn update_messaging_settings(
        &self,
        request: Request<pb::UpdateMessagingSettingsRequest>,
    ) -> Reply<pb::Organisation> {
        let caller = Caller::of(&request)?;
        reply(orgs::update_messaging(self, caller, request.into_inner()).await)
    }

    async fn update_business_hours(&self, request: Request<pb::UpdateBusinessHoursRequest>) -> Reply<pb::Organisation> {
        let caller = Caller::of(&request)?;
        reply(orgs::update_business_hours(self, caller, request.into_inner()).await)
    }
}

//! Organisations and users, made through identity's gRPC API as the
//! platform would; access tokens for them, genuine or forged with
//! identity's own key; and the emails the messaging sandbox sent them.

use std::time::Duration;

use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{OrgId, TypedId};
use attend_kit::service::ServiceName;
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use crate::TestFleet;

/// Password of users the harness creates.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestFleet {
    pub fn identity(&self) -> IdentityServiceClient<attend_kit::grpc::Traced> {
        IdentityServiceClient::new(self.fleet.peers().channel(ServiceName::Identity))
    }

    /// Creates an organisation linked to a Wix instance.
    pub async fn create_org(&self, slug: &str, wix_instance: &str) -> OrgId {
        let org = self
            .identity()
            .create_organisation(request(
                identity::CreateOrganisationRequest {
                    name: format!("Clinic {slug}"),
                    slug: slug.to_owned(),
                    time_zone: "Australia/Sydney".to_owned(),
                    phone_region: "AU".to_owned(),
                    external_ids: vec![identity::ExternalId {
                        provider: "wix".to_owned(),
                        external_id: wix_instance.to_owned(),
                    }],
                    business_hours: None,
                },
                &Caller::platform(),
            ))
            .await
            .expect("create organisation")
            .into_inner();
        OrgId::parse_uuid(&org.id).expect("organisation id")
    }

    /// Creates a user with [`PASSWORD`] and returns an access token for them.
    pub async fn user_token(&self, org: OrgId, email: &str, role: &str) -> String {
        self.identity()
            .create_user(request(
                identity::CreateUserRequest {
                    org_id: org.uuid().to_string(),
                    email: email.to_owned(),
                    name: format!("Test {role}"),
                    role: role.to_owned(),
                    password: PASSWORD.to_owned(),
                },
                &Caller::platform(),
            ))
            .await
            .expect("create user");
        let (status, body) = self.login(email, PASSWORD).await;
        assert_eq!(status, 200, "login succeeds: {body}");
        body["access_token"].as_str().expect("access token").to_owned()
    }

    /// Signs `claims` with identity's current signing key, read from its
    /// table as admin: for forging tokens identity would never issue
    /// (expired ones, say) that still carry a genuine signature.
    pub async fn sign_as_identity(&self, claims: &Value) -> String {
        let (kid, pkcs8): (String, Vec<u8>) = sqlx::query_as(
            "select kid, private_key from identity.signing_keys where retired_at is null
             order by created_at desc, kid desc limit 1",
        )
        .fetch_one(&mut self.admin().await)
        .await
        .expect("a signing key exists");
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&pkcs8)).expect("sign")
    }

    /// Emails the messaging sandbox recorded for `to`, newest first.
    pub async fn sandbox_emails(&self, to: &str) -> Vec<attend_proto::messaging::v1::OutboundEmail> {
        use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
        MessagingServiceClient::new(self.fleet.peers().channel(ServiceName::Messaging))
            .list_emails(request(
                attend_proto::messaging::v1::ListEmailsRequest {
                    to: to.to_owned(),
                    limit: 50,
                },
                &Caller::platform(),
            ))
            .await
            .expect("list sandbox emails")
            .into_inner()
            .emails
    }

    /// Waits until the sandbox provider has sent an email to `to`, and
    /// returns the token in its link.
    pub async fn token_from_email(&self, to: &str, prefix: &str) -> String {
        self.until_some(Duration::from_secs(10), "the email is sent", || async {
            let emails = self.sandbox_emails(to).await;
            let email = emails.first().filter(|e| e.status == "sent")?;
            let body = &email.body_text;
            let start = body.find(&format!("token={prefix}_"))? + "token=".len();
            let token: String = body[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            Some(token)
        })
        .await
    }
}

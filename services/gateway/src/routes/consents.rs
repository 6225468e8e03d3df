//! Consent: staff record whether a contact may be messaged on a channel
//! (`POST /api/consents`), and read where a contact stands
//! (`GET /api/contacts/{id}/consents`). Email consent is consent to
//! marketing email, kept against the contact's address; it is what the
//! MailChimp sync sends (`POST /api/campaigns/mailchimp-sync`, here too).

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem};
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::messaging::v1 as pb;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::bookings::keyed;
use super::{public_id, unix_seconds};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/consents", post(set))
        .route("/api/contacts/{id}/consents", get(list))
        .route("/api/campaigns/mailchimp-sync", post(mailchimp_sync))
}

/// A consent ledger entry: the newest one for an address is where it stands.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Consent {
    /// `sms` or `email`.
    pub channel: String,
    /// E.164 phone, or a lower-case email.
    pub address: String,
    /// `contact_…`.
    pub contact_id: Option<String>,
    /// Whether `state` is `opted_in`.
    pub opted_in: bool,
    /// `opted_in` or `opted_out`.
    pub state: String,
    /// `keyword`, `staff` or `provider`.
    pub how: String,
    pub detail: String,
    /// `user_…`, `system` or `provider:<name>`.
    pub actor: String,
    /// Unix seconds.
    pub at: Option<i64>,
}

/// A ledger entry as the API shows it (times as Unix seconds).
fn consent_json(c: &pb::Consent) -> Result<Consent, Error> {
    Ok(Consent {
        channel: c.channel.clone(),
        address: c.address.clone(),
        contact_id: public_id::<ContactId>(&c.contact_id)?,
        opted_in: c.state == "opted_in",
        state: c.state.clone(),
        how: c.how.clone(),
        detail: c.detail.clone(),
        actor: c.actor.clone(),
        at: unix_seconds(&c.at),
    })
}

/// A consent after it was recorded: `{"success": true, "consent": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConsentRecorded {
    pub success: bool,
    pub consent: Consent,
}

/// Where a contact stands on each channel.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactConsents {
    /// `contact_…`.
    pub contact_id: String,
    /// Null when nothing was ever recorded.
    pub sms: Option<Consent>,
    /// Null when nothing was ever recorded.
    pub email: Option<Consent>,
}

/// What a MailChimp sync did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MailchimpSync {
    /// True when nothing failed.
    pub success: bool,
    /// Members MailChimp took (added or updated).
    pub upserted: u32,
    /// Opted-in addresses no contact of the organisation holds any more.
    pub skipped: u32,
    /// How many `failures`.
    pub failed: usize,
    pub failures: Vec<MailchimpFailure>,
}

/// An address MailChimp did not take, and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MailchimpFailure {
    pub email: String,
    pub reason: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SetBody {
    contact_id: String,
    channel: String,
    opted_in: bool,
    #[serde(default)]
    detail: String,
}

#[utoipa::path(operation_id = "consents_set", post, path = "/api/consents", tag = "consents", request_body = SetBody, responses((status = 201, description = "Recorded", body = ConsentRecorded), crate::openapi::Problems))]
async fn set(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SetBody>,
) -> Result<(StatusCode, Json<ConsentRecorded>), Problem> {
    caller.require_permission(Permission::MessagesSend)?;
    let contact = ContactId::parse_public_at("contact_id", &body.contact_id)?;
    let call = keyed(
        request(
            pb::SetConsentRequest {
                contact_id: contact.uuid().to_string(),
                channel: body.channel,
                opted_in: body.opted_in,
                detail: body.detail,
            },
            &caller,
        ),
        &headers,
    )?;
    let consent = state
        .messaging
        .clone()
        .set_consent(call)
        .await
        .into_answer("messaging")?;
    Ok((
        StatusCode::CREATED,
        Json(ConsentRecorded {
            success: true,
            consent: consent_json(&consent)?,
        }),
    ))
}

#[utoipa::path(operation_id = "consents_list", get, path = "/api/contacts/{id}/consents", tag = "consents", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = ContactConsents), crate::openapi::Problems))]
async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<ContactConsents>, Problem> {
    caller.require_permission(Permission::MessagesRead)?;
    let contact = ContactId::parse_public_at("id", &id)?;
    let list = state
        .messaging
        .clone()
        .list_consents(request(
            pb::ListConsentsRequest {
                contact_id: contact.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("messaging")?;
    let consents = list.consents.iter().map(consent_json).collect::<Result<Vec<_>, _>>()?;
    // Each channel, with null where nothing was ever recorded.
    let on = |channel: &str| consents.iter().find(|c| c.channel == channel).cloned();
    Ok(Json(ContactConsents {
        contact_id: contact.to_string(),
        sms: on("sms"),
        email: on("email"),
    }))
}

#[utoipa::path(operation_id = "consents_mailchimp_sync", post, path = "/api/campaigns/mailchimp-sync", tag = "consents", responses((status = 200, description = "OK", body = MailchimpSync), crate::openapi::Problems))]
async fn mailchimp_sync(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<MailchimpSync>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let answer = state
        .messaging
        .clone()
        .sync_mailchimp(request(pb::SyncMailchimpRequest {}, &caller))
        .await
        .into_answer("messaging")?;
    Ok(Json(MailchimpSync {
        success: answer.failures.is_empty(),
        upserted: answer.upserted,
        skipped: answer.skipped,
        failed: answer.failures.len(),
        failures: answer
            .failures
            .into_iter()
            .map(|f| MailchimpFailure {
                email: f.email,
                reason: f.reason,
            })
            .collect(),
    }))
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(set, list, mailchimp_sync))]
pub struct Api;

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
use serde::Deserialize;
use serde_json::{Value, json};

use super::bookings::keyed;
use super::unix;
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/consents", post(set))
        .route("/api/contacts/{id}/consents", get(list))
        .route("/api/campaigns/mailchimp-sync", post(mailchimp_sync))
}

/// A ledger entry as the API shows it (times as Unix seconds).
fn consent_json(c: &pb::Consent) -> Result<Value, Error> {
    let contact = match c.contact_id.as_str() {
        "" => Value::Null,
        uuid => json!(ContactId::parse_uuid(uuid)?.to_string()),
    };
    Ok(json!({
        "channel": c.channel,
        "address": c.address,
        "contact_id": contact,
        "opted_in": c.state == "opted_in",
        "state": c.state,
        "how": c.how,
        "detail": c.detail,
        "actor": c.actor,
        "at": unix(&c.at),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    contact_id: String,
    channel: String,
    opted_in: bool,
    #[serde(default)]
    detail: String,
}

async fn set(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SetBody>,
) -> Result<(StatusCode, Json<Value>), Problem> {
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
        Json(json!({"success": true, "consent": consent_json(&consent)?})),
    ))
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
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
    let on = |channel: &str| {
        consents
            .iter()
            .find(|c| c["channel"] == channel)
            .cloned()
            .unwrap_or(Value::Null)
    };
    Ok(Json(json!({
        "contact_id": contact.to_string(),
        "sms": on("sms"),
        "email": on("email"),
    })))
}

async fn mailchimp_sync(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let answer = state
        .messaging
        .clone()
        .sync_mailchimp(request(pb::SyncMailchimpRequest {}, &caller))
        .await
        .into_answer("messaging")?;
    Ok(Json(json!({
        "success": answer.failures.is_empty(),
        "upserted": answer.upserted,
        "skipped": answer.skipped,
        "failed": answer.failures.len(),
        "failures": answer
            .failures
            .iter()
            .map(|f| json!({"email": f.email, "reason": f.reason}))
            .collect::<Vec<_>>(),
    })))
}

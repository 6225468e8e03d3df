//! `/api/admin/settings`: the organisation as its admin configures it:
//! its time zone and business hours (read), and how its messages read and
//! when they may arrive (template values, quiet hours, the SMS sender).

use std::collections::BTreeMap;

use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, Problem};
use attend_kit::ids::{OrgId, TypedId};
use attend_proto::identity::v1 as pb;
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/settings", get(show))
        .route("/api/admin/settings/messaging", put(update_messaging))
}

fn settings_json(org: &pb::Organisation) -> Value {
    let m = org.messaging.clone().unwrap_or_default();
    let hours: Vec<Value> = org
        .business_hours
        .as_ref()
        .map(|h| {
            h.days
                .iter()
                .map(|d| {
                    json!(
                        d.intervals
                            .iter()
                            .map(|i| [i.opens.clone(), i.closes.clone()])
                            .collect::<Vec<_>>()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let quiet = |t: &str, default: &str| if t.is_empty() { default.to_owned() } else { t.to_owned() };
    json!({
        "name": org.name,
        "slug": org.slug,
        "time_zone": org.time_zone,
        "phone_region": org.phone_region,
        "business_hours": hours,
        "messaging": {
            "values": m.values,
            "quiet_hours": {
                "start": quiet(&m.quiet_hours_start, "20:00"),
                "end": quiet(&m.quiet_hours_end, "08:00"),
            },
            "sms_from": if m.sms_from.is_empty() { Value::Null } else { json!(m.sms_from) },
        },
    })
}

async fn show(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let org = caller.org()?;
    let found = state
        .identity
        .clone()
        .get_organisation(request(
            pb::GetOrganisationRequest {
                id: org.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("identity")?;
    Ok(Json(settings_json(&found)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuietHours {
    start: String,
    end: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Messaging {
    #[serde(default)]
    values: BTreeMap<String, String>,
    quiet_hours: Option<QuietHours>,
    sms_from: Option<String>,
}

async fn update_messaging(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(body): JsonBody<Messaging>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let org: OrgId = caller.org()?;
    let (start, end) = body.quiet_hours.map(|q| (q.start, q.end)).unwrap_or_default();
    let saved = state
        .identity
        .clone()
        .update_messaging_settings(request(
            pb::UpdateMessagingSettingsRequest {
                org_id: org.uuid().to_string(),
                settings: Some(pb::MessagingSettings {
                    values: body.values,
                    quiet_hours_start: start,
                    quiet_hours_end: end,
                    sms_from: body.sms_from.unwrap_or_default(),
                }),
            },
            &caller,
        ))
        .await
        .into_answer("identity")?;
    Ok(Json(settings_json(&saved)))
}

//! `/api/admin/settings`: the organisation as its admin configures it:
//! its time zone (read), its business hours, and how its messages read and
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
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/settings", get(show))
        .route("/api/admin/settings/messaging", put(update_messaging))
        .route("/api/admin/settings/business-hours", put(update_business_hours))
}

/// When the organisation's messages may not arrive, on its own clock
/// (equal times: no quiet hours).
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgQuietHours {
    /// `HH:MM`; default `20:00`.
    pub start: String,
    /// `HH:MM`; default `08:00`.
    pub end: String,
}

/// How the organisation's messages read and when they may arrive.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgMessaging {
    /// Template values by placeholder: `clinic`, `clinic_phone`, `address`,
    /// `booking_link`, ….
    pub values: BTreeMap<String, String>,
    pub quiet_hours: OrgQuietHours,
    /// The SMS sender (an E.164 number or an alphanumeric id); null: the
    /// platform's `ATTEND_SMS_FROM`.
    pub sms_from: Option<String>,
}

/// The organisation as its admin configures it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgSettings {
    pub name: String,
    pub slug: String,
    /// IANA zone, e.g. `Australia/Sydney`.
    pub time_zone: String,
    /// ISO 3166-1 alpha-2 region local phone numbers are read in, e.g. `AU`.
    pub phone_region: String,
    /// Seven days, Monday first; each a list of `[opens, closes]` local
    /// times (`HH:MM`); an empty list means closed.
    pub business_hours: Vec<Vec<[String; 2]>>,
    pub messaging: OrgMessaging,
}

fn settings_json(org: &pb::Organisation) -> OrgSettings {
    let m = org.messaging.clone().unwrap_or_default();
    let business_hours = org
        .business_hours
        .as_ref()
        .map(|h| {
            h.days
                .iter()
                .map(|d| {
                    d.intervals
                        .iter()
                        .map(|i| [i.opens.clone(), i.closes.clone()])
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let quiet = |t: &str, default: &str| if t.is_empty() { default.to_owned() } else { t.to_owned() };
    OrgSettings {
        name: org.name.clone(),
        slug: org.slug.clone(),
        time_zone: org.time_zone.clone(),
        phone_region: org.phone_region.clone(),
        business_hours,
        messaging: OrgMessaging {
            quiet_hours: OrgQuietHours {
                start: quiet(&m.quiet_hours_start, "20:00"),
                end: quiet(&m.quiet_hours_end, "08:00"),
            },
            sms_from: super::text(&m.sms_from),
            // Sorted, as they always were.
            values: m.values.into_iter().collect(),
        },
    }
}

#[utoipa::path(operation_id = "settings_show", get, path = "/api/admin/settings", tag = "settings", responses((status = 200, description = "OK", body = OrgSettings), crate::openapi::Problems))]
async fn show(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<OrgSettings>, Problem> {
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct QuietHours {
    start: String,
    end: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Messaging {
    #[serde(default)]
    values: BTreeMap<String, String>,
    quiet_hours: Option<QuietHours>,
    sms_from: Option<String>,
}

#[utoipa::path(operation_id = "settings_update_messaging", put, path = "/api/admin/settings/messaging", tag = "settings", request_body = Messaging, responses((status = 200, description = "OK", body = OrgSettings), crate::openapi::Problems))]
async fn update_messaging(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(body): JsonBody<Messaging>,
) -> Result<Json<OrgSettings>, Problem> {
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

/// The organisation's opening hours, on its own clock.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BusinessHours {
    /// Seven days, Monday first; each a list of `[opens, closes]` local
    /// times (`HH:MM`) that open before they close and don't overlap; an
    /// empty list means closed.
    business_hours: Vec<Vec<[String; 2]>>,
}

/// identity's name for a field of the hours (`business_hours.days[1].intervals[0]`)
/// as the request spells it (`business_hours[1][0]`).
fn hours_field(field: &str) -> String {
    field
        .replacen("business_hours.days", "business_hours", 1)
        .replacen("].intervals[", "][", 1)
}

#[utoipa::path(operation_id = "settings_update_business_hours", put, path = "/api/admin/settings/business-hours", tag = "settings", request_body = BusinessHours, responses((status = 200, description = "OK", body = OrgSettings), crate::openapi::Problems))]
async fn update_business_hours(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(body): JsonBody<BusinessHours>,
) -> Result<Json<OrgSettings>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let org: OrgId = caller.org()?;
    let days = body
        .business_hours
        .into_iter()
        .map(|day| pb::business_hours::Day {
            intervals: day
                .into_iter()
                .map(|[opens, closes]| pb::business_hours::Interval { opens, closes })
                .collect(),
        })
        .collect();
    let saved = state
        .identity
        .clone()
        .update_business_hours(request(
            pb::UpdateBusinessHoursRequest {
                org_id: org.uuid().to_string(),
                business_hours: Some(pb::BusinessHours { days }),
            },
            &caller,
        ))
        .await
        .into_answer("identity")
        .map_err(|e| e.with_fields_renamed(hours_field))?;
    Ok(Json(settings_json(&saved)))
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(show, update_messaging, update_business_hours))]
pub struct Api;

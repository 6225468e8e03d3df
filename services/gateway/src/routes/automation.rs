//! `/api/automation/*`: the organisation's rules (spec 000's
//! `automation_rules`, versioned), trying a rule against a contact's past
//! without changing anything, and `/api/contacts/{id}/automation`: what
//! each rule did for a contact, and why.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem, QueryParams};
use attend_kit::ids::{BookingId, ContactId, TypedId};
use attend_proto::automation::v1 as pb;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::bookings::keyed;
use super::{public_or_null, unix};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/automation/rules", get(list).post(create))
        .route("/api/automation/rules/{id}", get(show).put(update))
        .route("/api/automation/rules/{id}/activate", post(activate))
        .route("/api/automation/rules/{id}/deactivate", post(deactivate))
        .route("/api/automation/rules/{id}/dry-run", post(dry_run))
        .route("/api/contacts/{id}/automation", get(runs))
}

fn rule_json(r: &pb::Rule) -> Value {
    let definition: Value = serde_json::from_str(&r.definition_json).unwrap_or(Value::Null);
    json!({
        "id": r.id,
        "version": r.version,
        "active": r.active,
        "name": r.name,
        "trigger": r.trigger,
        "priority": r.priority,
        "seeded": r.seeded,
        "definition": definition,
        "updated_at": unix(&r.updated_at),
        "updated_by": r.updated_by,
    })
}

fn json_or_null(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn condition_json(c: &pb::ConditionResult) -> Value {
    json!({
        "field": c.field,
        "op": c.op,
        "expected": json_or_null(&c.expected_json),
        "seen": json_or_null(&c.seen_json),
        "passed": c.passed,
    })
}

fn run_json(r: &pb::Run) -> Result<Value, Error> {
    Ok(json!({
        "id": r.id,
        "rule_id": r.rule_id,
        "rule_version": r.rule_version,
        "trigger": r.trigger,
        "event_type": r.event_type,
        "event_id": r.event_id,
        "contact_id": public_or_null::<ContactId>(&r.contact_id)?,
        "booking_id": public_or_null::<BookingId>(&r.booking_id)?,
        "matched": r.matched,
        "conditions": r.conditions.iter().map(condition_json).collect::<Vec<_>>(),
        "actions": r.actions.iter().map(|a| json!({
            "index": a.index,
            "type": a.r#type,
            "status": a.status,
            "detail": a.detail,
            "due_at": unix(&a.due_at),
            "done_at": unix(&a.done_at),
            "conditions": a.conditions.iter().map(condition_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "at": unix(&r.at),
    }))
}

#[derive(Deserialize)]
struct ListQuery {
    trigger: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksRead)?;
    let found = state
        .rules
        .clone()
        .list_rules(request(
            pb::ListRulesRequest {
                trigger: q.trigger.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("automation")?;
    Ok(Json(
        json!({ "rules": found.rules.iter().map(rule_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
struct ShowQuery {
    version: Option<i32>,
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(q): QueryParams<ShowQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksRead)?;
    let rule = state
        .rules
        .clone()
        .get_rule(request(
            pb::GetRuleRequest {
                id,
                version: q.version.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("automation")?;
    Ok(Json(json!({ "rule": rule_json(&rule) })))
}

/// A definition from a body: a JSON object, as text for the rule service
/// (which names any fault by its path in the object).
fn definition_text(body: &Map<String, Value>) -> String {
    Value::Object(body.clone()).to_string()
}

async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(mut body): JsonBody<Map<String, Value>>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    // The body is the rule's definition, with its id beside it.
    let id = match body.remove("id") {
        Some(Value::String(id)) => id,
        Some(_) => return Err(Error::invalid("id", "must be text").into()),
        None => return Err(Error::invalid("id", "is required").into()),
    };
    let call = keyed(
        request(
            pb::CreateRuleRequest {
                id,
                definition_json: definition_text(&body),
            },
            &caller,
        ),
        &headers,
    )?;
    let rule = state.rules.clone().create_rule(call).await.into_answer("automation")?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "success": true, "rule": rule_json(&rule) })),
    ))
}

async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let rule = state
        .rules
        .clone()
        .update_rule(request(
            pb::UpdateRuleRequest {
                id,
                definition_json: definition_text(&body),
            },
            &caller,
        ))
        .await
        .into_answer("automation")?;
    Ok(Json(json!({ "success": true, "rule": rule_json(&rule) })))
}

async fn set_active(
    state: AppState,
    caller: attend_kit::grpc::Caller,
    id: String,
    active: bool,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let rule = state
        .rules
        .clone()
        .set_rule_active(request(pb::SetRuleActiveRequest { id, active }, &caller))
        .await
        .into_answer("automation")?;
    Ok(Json(json!({ "success": true, "rule": rule_json(&rule) })))
}

async fn activate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    set_active(state, caller, id, true).await
}

async fn deactivate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    set_active(state, caller, id, false).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DryRun {
    contact_id: String,
    /// A draft to try instead of the rule's current version.
    definition: Option<Map<String, Value>>,
}

/// `POST /api/automation/rules/{id}/dry-run`: the rule (or the draft in
/// the body) against the contact's past events; nothing changes.
async fn dry_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<DryRun>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let contact = ContactId::parse_public_at("contact_id", &body.contact_id)?;
    let tried = state
        .rules
        .clone()
        .dry_run(request(
            pb::DryRunRequest {
                rule_id: id,
                definition_json: body.definition.as_ref().map(definition_text).unwrap_or_default(),
                contact_id: contact.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("automation")?;
    Ok(Json(json!({
        "runs": tried.runs.iter().map(run_json).collect::<Result<Vec<_>, _>>()?,
    })))
}

#[derive(Deserialize)]
struct Page {
    cursor: Option<String>,
    limit: Option<u32>,
}

async fn runs(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksRead)?;
    let contact = ContactId::parse_public_at("id", &id)?;
    let found = state
        .rules
        .clone()
        .list_runs(request(
            pb::ListRunsRequest {
                contact_id: contact.uuid().to_string(),
                limit: page.limit.unwrap_or_default(),
                cursor: page.cursor.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("automation")?;
    Ok(Json(json!({
        "runs": found.runs.iter().map(run_json).collect::<Result<Vec<_>, _>>()?,
        "next_cursor": if found.next_cursor.is_empty() { Value::Null } else { json!(found.next_cursor) },
    })))
}

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
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::bookings::keyed;
use super::{public_id, text, unix_seconds};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/automation/rules", get(list).post(create))
        .route("/api/automation/rules/{id}", get(show).put(update))
        .route("/api/automation/rules/{id}/activate", post(activate))
        .route("/api/automation/rules/{id}/deactivate", post(deactivate))
        .route("/api/automation/rules/{id}/dry-run", post(dry_run))
        .route("/api/automation/rules/{id}/runs", get(rule_runs))
        .route("/api/contacts/{id}/automation", get(runs))
}

/// An automation rule, at one version.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AutomationRule {
    /// e.g. `rule_on_lead_created`: stable across versions.
    pub id: String,
    /// 1 when created; each change adds one.
    pub version: i32,
    pub active: bool,
    pub name: String,
    /// What runs it: `lead_created`, `sms_received`, … (docs/automation.md).
    pub trigger: String,
    /// The order rules of one trigger run in (lower first).
    pub priority: i32,
    /// Whether it came with the organisation (spec 000) rather than an admin.
    pub seeded: bool,
    /// The rule as written: `{name, trigger, schedule, conditions, actions,
    /// priority}` (docs/automation.md); null if it cannot be read.
    #[schema(value_type = Option<Object>)]
    pub definition: Value,
    /// Unix seconds.
    pub updated_at: Option<i64>,
    pub updated_by: String,
}

fn rule_json(r: &pb::Rule) -> AutomationRule {
    AutomationRule {
        id: r.id.clone(),
        version: r.version,
        active: r.active,
        name: r.name.clone(),
        trigger: r.trigger.clone(),
        priority: r.priority,
        seeded: r.seeded,
        definition: json_or_null(&r.definition_json),
        updated_at: unix_seconds(&r.updated_at),
        updated_by: r.updated_by.clone(),
    }
}

fn json_or_null(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// One condition of a rule, as a run checked it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConditionCheck {
    /// The fact it reads, e.g. `warmness`.
    pub field: String,
    /// `eq`, `gte`, `gt`, `lte`, `lt`, `in` or `matches`.
    pub op: String,
    /// What the rule asked for (any JSON value).
    pub expected: Value,
    /// What the run saw (any JSON value; null when the fact is unknown).
    pub seen: Value,
    pub passed: bool,
}

fn condition_json(c: &pb::ConditionResult) -> ConditionCheck {
    ConditionCheck {
        field: c.field.clone(),
        op: c.op.clone(),
        expected: json_or_null(&c.expected_json),
        seen: json_or_null(&c.seen_json),
        passed: c.passed,
    }
}

/// One action of a run, and what became of it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RunAction {
    /// The action's place in the rule's `actions`.
    pub index: u32,
    /// `send_sms`, `create_task`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// `pending` (scheduled), `done`, `skipped`, `failed` or `cancelled`.
    pub status: String,
    /// Why it was skipped or failed, or what it did.
    pub detail: String,
    /// Unix seconds.
    pub due_at: Option<i64>,
    /// Unix seconds.
    pub done_at: Option<i64>,
    /// The action's own conditions, as checked.
    pub conditions: Vec<ConditionCheck>,
}

/// What a rule did for one event, and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleRun {
    pub id: String,
    pub rule_id: String,
    pub rule_version: i32,
    pub trigger: String,
    /// The event that triggered it (its type and id), or the periodic check.
    pub event_type: String,
    pub event_id: String,
    /// `contact_…`.
    pub contact_id: Option<String>,
    /// The contact's name; null when it can't be read (a merged contact).
    pub contact_name: Option<String>,
    /// `booking_…`.
    pub booking_id: Option<String>,
    /// Whether the rule's conditions held.
    pub matched: bool,
    pub conditions: Vec<ConditionCheck>,
    pub actions: Vec<RunAction>,
    /// Unix seconds.
    pub at: Option<i64>,
}

fn run_json(r: &pb::Run) -> Result<RuleRun, Error> {
    Ok(RuleRun {
        id: r.id.clone(),
        rule_id: r.rule_id.clone(),
        rule_version: r.rule_version,
        trigger: r.trigger.clone(),
        event_type: r.event_type.clone(),
        event_id: r.event_id.clone(),
        contact_id: public_id::<ContactId>(&r.contact_id)?,
        contact_name: None,
        booking_id: public_id::<BookingId>(&r.booking_id)?,
        matched: r.matched,
        conditions: r.conditions.iter().map(condition_json).collect(),
        actions: r
            .actions
            .iter()
            .map(|a| RunAction {
                index: a.index,
                kind: a.r#type.clone(),
                status: a.status.clone(),
                detail: a.detail.clone(),
                due_at: unix_seconds(&a.due_at),
                done_at: unix_seconds(&a.done_at),
                conditions: a.conditions.iter().map(condition_json).collect(),
            })
            .collect(),
        at: unix_seconds(&r.at),
    })
}

/// The organisation's rules.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AutomationRules {
    pub rules: Vec<AutomationRule>,
}

/// One rule.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneRule {
    pub rule: AutomationRule,
}

/// A rule after a change: `{"success": true, "rule": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleChanged {
    pub success: bool,
    pub rule: AutomationRule,
}

/// Runs of rules, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleRuns {
    pub runs: Vec<RuleRun>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A page of runs, with their contacts' names.
async fn named_runs(
    state: &AppState,
    caller: &attend_kit::grpc::Caller,
    found: &pb::ListRunsResponse,
) -> Result<RuleRuns, Error> {
    let mut runs = found.runs.iter().map(run_json).collect::<Result<Vec<_>, _>>()?;
    let names = super::contacts::names(state, caller, runs.iter().map(|r| &r.contact_id)).await;
    for r in &mut runs {
        r.contact_name = r.contact_id.as_ref().and_then(|id| names.get(id).cloned());
    }
    Ok(RuleRuns {
        runs,
        next_cursor: text(&found.next_cursor),
    })
}

/// What the rule would have done for each of the contact's past events.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DryRunResult {
    pub runs: Vec<RuleRun>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    trigger: Option<String>,
}

#[utoipa::path(operation_id = "automation_list", get, path = "/api/automation/rules", tag = "automation", params(ListQuery), responses((status = 200, description = "OK", body = AutomationRules), crate::openapi::Problems))]
async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<AutomationRules>, Problem> {
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
    Ok(Json(AutomationRules {
        rules: found.rules.iter().map(rule_json).collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ShowQuery {
    version: Option<i32>,
}

#[utoipa::path(operation_id = "automation_show", get, path = "/api/automation/rules/{id}", tag = "automation", params(("id" = String, Path, description = "id"), ShowQuery), responses((status = 200, description = "OK", body = OneRule), crate::openapi::Problems))]
async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(q): QueryParams<ShowQuery>,
) -> Result<Json<OneRule>, Problem> {
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
    Ok(Json(OneRule { rule: rule_json(&rule) }))
}

/// A definition from a body: a JSON object, as text for the rule service
/// (which names any fault by its path in the object).
fn definition_text(body: &Map<String, Value>) -> String {
    Value::Object(body.clone()).to_string()
}

#[utoipa::path(operation_id = "automation_create", post, path = "/api/automation/rules", tag = "automation", request_body(content = Object, description = "A rule: `id`, `name`, `trigger`, `conditions`, `actions` (docs/automation.md)"), responses((status = 201, description = "Created", body = RuleChanged), crate::openapi::Problems))]
async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(mut body): JsonBody<Map<String, Value>>,
) -> Result<(StatusCode, Json<RuleChanged>), Problem> {
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
    Ok((StatusCode::CREATED, changed(&rule)))
}

#[utoipa::path(operation_id = "automation_update", put, path = "/api/automation/rules/{id}", tag = "automation", params(("id" = String, Path, description = "id")), request_body(content = Object, description = "The rule's new definition: a new version (docs/automation.md)"), responses((status = 200, description = "OK", body = RuleChanged), crate::openapi::Problems))]
async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Json<RuleChanged>, Problem> {
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
    Ok(changed(&rule))
}

fn changed(rule: &pb::Rule) -> Json<RuleChanged> {
    Json(RuleChanged {
        success: true,
        rule: rule_json(rule),
    })
}

async fn set_active(
    state: AppState,
    caller: attend_kit::grpc::Caller,
    id: String,
    active: bool,
) -> Result<Json<RuleChanged>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let rule = state
        .rules
        .clone()
        .set_rule_active(request(pb::SetRuleActiveRequest { id, active }, &caller))
        .await
        .into_answer("automation")?;
    Ok(changed(&rule))
}

#[utoipa::path(operation_id = "automation_activate", post, path = "/api/automation/rules/{id}/activate", tag = "automation", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = RuleChanged), crate::openapi::Problems))]
async fn activate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<RuleChanged>, Problem> {
    set_active(state, caller, id, true).await
}

#[utoipa::path(operation_id = "automation_deactivate", post, path = "/api/automation/rules/{id}/deactivate", tag = "automation", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = RuleChanged), crate::openapi::Problems))]
async fn deactivate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<RuleChanged>, Problem> {
    set_active(state, caller, id, false).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DryRun {
    contact_id: String,
    /// A draft to try instead of the rule's current version.
    definition: Option<Map<String, Value>>,
}

/// `POST /api/automation/rules/{id}/dry-run`: the rule (or the draft in
/// the body) against the contact's past events; nothing changes.
#[utoipa::path(operation_id = "automation_dry_run", post, path = "/api/automation/rules/{id}/dry-run", tag = "automation", params(("id" = String, Path, description = "id")), request_body = DryRun, responses((status = 200, description = "OK", body = DryRunResult), crate::openapi::Problems))]
async fn dry_run(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<DryRun>,
) -> Result<Json<DryRunResult>, Problem> {
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
    Ok(Json(DryRunResult {
        runs: tried.runs.iter().map(run_json).collect::<Result<Vec<_>, _>>()?,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    cursor: Option<String>,
    limit: Option<u32>,
}

#[utoipa::path(operation_id = "automation_runs", get, path = "/api/contacts/{id}/automation", tag = "automation", params(("id" = String, Path, description = "id"), Page), responses((status = 200, description = "OK", body = RuleRuns), crate::openapi::Problems))]
async fn runs(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<RuleRuns>, Problem> {
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
                ..Default::default()
            },
            &caller,
        ))
        .await
        .into_answer("automation")?;
    Ok(Json(named_runs(&state, &caller, &found).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RulePage {
    cursor: Option<String>,
    /// 1 to 200; default 50.
    limit: Option<u32>,
    /// `true`: only the runs whose conditions held; `false`: only those
    /// whose didn't; absent: both.
    matched: Option<bool>,
}

/// A rule's runs (every version), newest first: for each, the contact,
/// what each condition saw and what each action did.
#[utoipa::path(operation_id = "automation_rule_runs", get, path = "/api/automation/rules/{id}/runs", tag = "automation", params(("id" = String, Path, description = "rule id, e.g. rule_on_lead_created"), RulePage), responses((status = 200, description = "OK", body = RuleRuns), crate::openapi::Problems))]
async fn rule_runs(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(page): QueryParams<RulePage>,
) -> Result<Json<RuleRuns>, Problem> {
    caller.require_permission(Permission::TasksRead)?;
    let found = state
        .rules
        .clone()
        .list_runs(request(
            pb::ListRunsRequest {
                rule_id: id,
                limit: page.limit.unwrap_or_default(),
                cursor: page.cursor.unwrap_or_default(),
                matched: page.matched,
                ..Default::default()
            },
            &caller,
        ))
        .await
        .into_answer("automation")?;
    Ok(Json(named_runs(&state, &caller, &found).await?))
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, show, update, activate, deactivate, dry_run, runs, rule_runs))]
pub struct Api;

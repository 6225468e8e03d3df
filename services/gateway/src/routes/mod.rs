//! REST routes, one module per resource, each exposing its own `router()`.

pub mod admin;
pub mod auth;
pub mod automation;
pub mod bookings;
pub mod care;
pub mod consents;
pub mod contacts;
pub mod documents;
pub mod messages;
pub mod pipelines;
pub mod recalls;
pub mod reports;
pub mod settings;
pub mod sms;
pub mod tasks;

use attend_kit::http::Problem;
use http::StatusCode;

/// A protobuf time as Unix seconds (the seed's convention), if set.
pub fn unix_seconds(ts: &Option<prost_types::Timestamp>) -> Option<i64> {
    ts.as_ref()
        .and_then(attend_kit::bus::from_timestamp)
        .map(|t| t.timestamp())
}

/// An id the fleet carries as a UUID, in its public form (`task_…`), if
/// there is one.
pub fn public_id<T: attend_kit::ids::TypedId + std::fmt::Display>(
    uuid: &str,
) -> Result<Option<String>, attend_kit::Error> {
    if uuid.is_empty() {
        return Ok(None);
    }
    Ok(Some(T::parse_uuid(uuid)?.to_string()))
}

/// The distinct UUIDs of public ids (`user_…`) a list shows, to ask their
/// owner about them in one call; ids that aren't `T`s are left out.
pub fn distinct_uuids<'a, T: attend_kit::ids::TypedId>(
    ids: impl IntoIterator<Item = &'a Option<String>>,
) -> Vec<String> {
    let mut uuids: Vec<String> = ids
        .into_iter()
        .flatten()
        .filter_map(|id| T::parse_public(id).ok())
        .map(|id| id.uuid().to_string())
        .collect();
    uuids.sort_unstable();
    uuids.dedup();
    uuids
}

/// Text that is absent when empty.
pub fn text(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// `{"success": true}`: what a change that returns nothing else answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Done {
    pub success: bool,
}

impl Done {
    pub fn json() -> axum::Json<Done> {
        axum::Json(Done { success: true })
    }
}

/// Any `/api` path that matches no route.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

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

/// A protobuf time as Unix seconds (the seed's convention), or null.
pub fn unix(ts: &Option<prost_types::Timestamp>) -> serde_json::Value {
    ts.as_ref()
        .and_then(attend_kit::bus::from_timestamp)
        .map(|t| serde_json::json!(t.timestamp()))
        .unwrap_or(serde_json::Value::Null)
}

/// An id the fleet carries as a UUID, in its public form (`task_…`), or
/// null when there is none.
pub fn public_or_null<T: attend_kit::ids::TypedId + std::fmt::Display>(
    uuid: &str,
) -> Result<serde_json::Value, attend_kit::Error> {
    if uuid.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    Ok(serde_json::json!(T::parse_uuid(uuid)?.to_string()))
}

/// Any `/api` path that matches no route.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

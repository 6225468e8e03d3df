//! Care: progress notes, health logs and vitals, care plans and documents (clinical text encrypted at the application layer).
//!
//! # Layout
//! - `migrations/`: the `care` schema. So far it holds only what the kit
//!   keeps in every service (outbox, inbox, dead letters, idempotency keys).
//!
//! This version runs the service's process shell: its schema and database
//! role, gRPC health and reflection, `/healthz`, `/readyz` and `/metrics`.
//! It offers no domain API yet; its gRPC API is added with the feature that
//! needs it, and nothing calls it until then.

use attend_kit::service::{ServiceDef, ServiceName};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The care service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef::schema_only(ServiceName::Care, &MIGRATOR)
}

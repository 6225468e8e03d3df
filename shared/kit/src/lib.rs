//! attend-kit: what every attend service shares, written once.
//!
//! # Layout
//!
//! - [`auth`]: the access-token contract (claims, verification by JWKS).
//! - [`authz`]: the role → permission matrix, checked at the gateway and again in services.
//! - [`audit`]: recording reads and changes as `audit.recorded` facts.
//! - [`config`]: typed settings from environment variables (and an optional
//!   TOML file); a bad setting is one line naming the variable.
//! - [`telemetry`]: logs, spans, OTLP export, and W3C trace context carried
//!   across HTTP, gRPC metadata and NATS headers.
//! - [`db`]: each service's schema, roles and migrations; tenant
//!   (Row-Level Security) and platform transactions.
//! - [`bus`]: the JetStream event stream, the transactional outbox and its
//!   relay, idempotent inbox consumers with retries and dead letters, and the
//!   catalogue of every event.
//! - [`grpc`]: servers with health, reflection and ops routes on one port;
//!   caller identity and idempotency keys in metadata; traced clients.
//! - [`calltoken`]: the signed, short-lived tokens that prove a gRPC caller.
//! - [`idempotency`]: stored results of mutating RPCs by key.
//! - [`http`]: problem+json errors, `/healthz`, `/readyz`, `/metrics`,
//!   request observation.
//! - [`error`]: the service error type and its one mapping to gRPC status.
//! - [`ids`]: typed UUIDv7 ids with prefixed public forms, read with the
//!   field they came in.
//! - [`text`], [`actor`]: text from outside checked once (a person's name,
//!   one-line and free text); who made a change, in one recorded format.
//! - [`merges`]: the consumer that moves a service's rows with contact
//!   merges, and back with their undo.
//! - [`contact_point`]: E.164 phones and normalised emails.
//! - [`service`]: service definitions, their context, and the [`service::Fleet`]
//!   that runs any subset of services in one process.
//! - [`orgs`]: a cached directory of organisations, fetched from identity.
//! - [`secret`]: a wrapper whose `Debug` never shows the value.
//! - [`clock`]: the fleet's one clock (the system's, or a test's).
//! - [`metrics`], [`shutdown`]: the Prometheus recorder; the process-wide
//!   cancellation token.
//!
//! The kit never knows a service's domain: no service's tables, messages or
//! rules live here, only the catalogue of event names in [`bus::catalog`],
//! and the values every service reads the same way (names, ids, actors,
//! contact merges).

pub mod actor;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod bus;
pub mod calltoken;
pub mod clock;
pub mod config;
pub mod contact_point;
pub mod cursor;
pub mod db;
pub mod error;
pub mod grpc;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod localtime;
pub mod merges;
pub mod metrics;
pub mod orgs;
pub mod secret;
pub mod service;
pub mod shutdown;
pub mod telemetry;
pub mod text;

pub use error::{Error, FieldError, Result};
pub use service::{Context, ServiceDef, ServiceName};

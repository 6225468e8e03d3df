//! A test harness that runs the real fleet in-process against real
//! Postgres and NATS.
//!
//! Every [`TestFleet`] gets its own database (`attend_t_<unix>_<random>`)
//! and its own NATS subject and stream prefix, binds every listener to port
//! 0, and drives the platform only through its public edges (HTTP, gRPC,
//! NATS), so tests run in parallel and what is tested is what ships.
//! [`TestFleet::teardown`] drops the database and the stream; a test that
//! panics before it gets there has them removed by the fleet's drop guard;
//! leftovers of runs that crashed outright are removed, once an hour old,
//! when the next test starts.
//!
//! Postgres and NATS come from `DATABASE_URL` and `NATS_URL` (defaulting to
//! the local ones), or, with the `containers` feature and
//! `ATTEND_TEST_CONTAINERS=1`, from containers (needs a Docker engine).
//!
//! # Layout
//!
//! - [`fleet`]: [`TestFleet`] start and teardown, its [`Options`], where
//!   Postgres and NATS are, and looking into the test's own database.
//! - [`cleanup`]: removing a test's database and stream, at teardown or
//!   from the drop guard when the test panics, and those of crashed runs.
//! - [`accounts`]: organisations, users and their tokens, identity's
//!   signing key, and the emails the messaging sandbox sent.
//! - [`http`]: requests to the gateway's API, and stepping through its
//!   backoffs as its Retry-After says.
//! - [`webhooks`]: what providers send ingest (Wix JWTs and their claims,
//!   Standard Webhooks, intake tokens) and what ingest refused.
//! - [`events`]: what is on the event stream, where each consumer stands,
//!   and waiting until the fleet has handled every event.
//! - [`wait`]: waiting for a condition rather than for a fixed time.
//! - `containers` (feature `containers`): Postgres and NATS in containers.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test harness: a panic is the failing test's report"
)]

pub mod accounts;
pub mod cleanup;
#[cfg(feature = "containers")]
mod containers;
pub mod events;
pub mod fleet;
pub mod http;
pub mod wait;
pub mod webhooks;

pub use accounts::PASSWORD;
pub use fleet::{Options, TestFleet, init_logs};
pub use webhooks::{
    INTAKE_SECRET, OTHER_PRIVATE_KEY, TWILIO_AUTH_TOKEN, WEBHOOK_SECRET, WIX_PRIVATE_KEY, WIX_PUBLIC_KEY, seed_booking,
    wix_action_claims, wix_claims, wix_created_claims, wix_created_claims_at, wix_jwt,
};

//! Integration tests of the whole fleet, through its public edges. One test
//! binary (modules below) so the fleet is linked once.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failing test's report"
)]

mod automation;
mod booking_lifecycle;
mod callers;
mod care;
mod contacts_api;
mod dead_letters;
mod email;
mod harness;
mod hostile;
mod intake_flow;
mod isolation;
mod ops;
mod pipelines;
mod recalls;
mod refusals;
mod replay;
mod reports;
mod restart;
mod security;
mod sms;
mod tracing_flow;
mod wix_flow;

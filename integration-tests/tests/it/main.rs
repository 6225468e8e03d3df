//! Integration tests of the whole fleet, through its public edges. One test
//! binary (modules below) so the fleet is linked once.

mod booking_lifecycle;
mod contacts_api;
mod dead_letters;
mod intake_flow;
mod isolation;
mod ops;
mod refusals;
mod restart;
mod security;
mod tracing_flow;
mod wix_flow;

//! The NATS consumers of reporting:
//!
//! - [`projections`]: every event, into the read models.

pub(crate) mod projections;

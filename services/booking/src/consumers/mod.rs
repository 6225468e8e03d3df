//! The NATS consumers of booking, one file each:
//!
//! - [`intake`]: provider bookings from ingest become bookings;
//! - [`merges`]: bookings follow contact merges and their undo.

pub(crate) mod intake;
pub(crate) mod merges;

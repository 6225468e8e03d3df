//! The NATS consumers of automation, one file each:
//!
//! - [`contacts`]: contact events: what the task queue shows (name, phone,
//!   warmness, stage), and a new lead sets off its rules;
//! - [`bookings`]: booking events: reminders follow the booking (planned
//!   again when it moves, dropped when it is cancelled or happened), and
//!   each event sets off its rules;
//! - [`texts`]: a text received or sent sets off its rules;
//! - [`merges`]: tasks, runs and jobs follow contact merges and their undo.

pub(crate) mod bookings;
pub(crate) mod contacts;
pub(crate) mod merges;
pub(crate) mod texts;

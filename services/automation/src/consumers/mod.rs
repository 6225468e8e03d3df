//! The NATS consumers of automation, one file each:
//!
//! - [`merges`]: tasks follow contact merges and their undo.

pub(crate) mod merges;

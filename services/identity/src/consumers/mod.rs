//! Identity's NATS consumers, one file each.

pub(crate) mod audit;

//! Running services: what a service crate hands the runtime
//! ([`ServiceDef`]), what the runtime hands a service ([`Context`]), and the
//! [`Fleet`] that runs any subset of them in one process.
//!
//! Even when every service runs in one process (`attend run all`), they talk
//! only over NATS and gRPC on loopback: a [`Context`] offers a service its
//! own database pool, the bus and channels to its peers, never another
//! service's objects. So what is tested in one process is what is deployed
//! as ten.
//!
//! # Layout
//! - [`name`]: the services and their names.
//! - [`definition`]: [`ServiceDef`], [`Startable`] and `configure`.
//! - [`context`]: [`Context`] and [`Peers`].
//! - [`fleet`]: [`Fleet`]: start, stop, kill, restart, shut down.
//! - [`startup`]: reaching Postgres and NATS, migrating, waiting.

mod context;
mod definition;
mod fleet;
mod name;
mod startup;

pub use context::{Context, Peers};
pub use definition::{Configure, ServiceDef, Startable, no_settings};
pub use fleet::Fleet;
pub use name::ServiceName;
pub use startup::{config_errors, connect_admin, connect_bus, migrate, nats_hint, postgres_hint, wait_until};

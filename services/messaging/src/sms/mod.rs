//! Outbound and inbound SMS.
//!
//! - [`text`]: how a body is encoded (GSM-7 or UCS-2), its length and its
//!   segments.
//! - [`classify`]: what a patient's reply means (confirm, cancel, stop, …).
//! - [`quiet_hours`]: when a message may reach a recipient, in their local
//!   time.
//! - [`providers`]: ClickSend, Twilio and the sandbox, behind one trait.
//! - [`sender`]: the queue worker that sends through the provider.

pub(crate) mod classify;
pub(crate) mod providers;
pub(crate) mod quiet_hours;
pub(crate) mod sender;
pub(crate) mod text;

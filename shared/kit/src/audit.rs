//! Recording who read or changed what. A service calls [`record`] inside
//! the transaction of the read or change, so the audit fact is published
//! (through the outbox) if and only if the work commits; the identity
//! service keeps every organisation's trail, append-only.
//!
//! Reads are recorded with [`record_read`]: a person's reads of a record
//! are the trail; the platform's own (automation gathering a rule's
//! facts, a consumer looking a contact up) are not, or the trail of who
//! looked at a patient would be mostly machines.

use attend_proto::events::v1::AuditRecorded;
use chrono::Utc;

use crate::bus::outbox::Outbox;
use crate::bus::{Draft, timestamp};
use crate::db::Tx;
use crate::error::Error;
use crate::grpc::Caller;
use crate::ids::TypedId;

/// What was done to what.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// `<resource>.<verb>`: `contact.read`, `contact.search`, `user.invite`.
    pub action: &'a str,
    pub target_type: &'a str,
    /// Empty for actions on no single target (a search).
    pub target_id: String,
    /// Action-specific details; never clinical text.
    pub details: serde_json::Value,
}

impl<'a> Entry<'a> {
    pub fn on(action: &'a str, target_type: &'a str, target: impl TypedId + std::fmt::Display) -> Self {
        Self {
            action,
            target_type,
            target_id: target.to_string(),
            details: serde_json::Value::Null,
        }
    }

    /// An action on no single target (a search, a list).
    pub fn untargeted(action: &'a str, target_type: &'a str) -> Self {
        Self {
            action,
            target_type,
            target_id: String::new(),
            details: serde_json::Value::Null,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// [`record`] for a read, when a person made it: a system or platform
/// caller (a service acting on its own) reads without a trail.
pub async fn record_read(outbox: &Outbox, tx: &mut Tx, caller: &Caller, entry: Entry<'_>) -> Result<(), Error> {
    match caller.user {
        Some(_) => record(outbox, tx, caller, entry).await,
        None => Ok(()),
    }
}

/// Adds an `audit.recorded` fact to the transaction.
pub async fn record(outbox: &Outbox, tx: &mut Tx, caller: &Caller, entry: Entry<'_>) -> Result<(), Error> {
    let org = caller.org()?;
    let fact = AuditRecorded {
        actor_user_id: caller.user.map(|u| u.to_string()).unwrap_or_default(),
        actor_role: caller.role.as_str().to_owned(),
        action: entry.action.to_owned(),
        target_type: entry.target_type.to_owned(),
        target_id: entry.target_id,
        occurred_at: Some(timestamp(Utc::now())),
        details_json: if entry.details.is_null() {
            String::new()
        } else {
            entry.details.to_string()
        },
    };
    outbox.add(tx, Draft::new(org, &fact)).await?;
    Ok(())
}

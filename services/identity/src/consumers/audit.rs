//! Keeps other services' audit facts (`audit.recorded`) in identity's
//! trail, once each.

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::UserId;
use attend_proto::events::v1::AuditRecorded;

use crate::store;
use crate::store::audit::Fact;

pub const SPEC: Spec = Spec {
    purpose: "audit",
    events: "audit.recorded",
};

/// Keeps other services' audit facts.
pub struct Keeper;

impl Handler for Keeper {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let fact: AuditRecorded = event.payload()?;
        let occurred_at = fact
            .occurred_at
            .as_ref()
            .and_then(from_timestamp)
            .ok_or_else(|| HandleError::Reject(anyhow::anyhow!("audit fact without occurred_at")))?;
        let actor = match fact.actor_user_id.as_str() {
            "" => None,
            text => Some(
                text.parse::<UserId>()
                    .map_err(|e| HandleError::Reject(anyhow::anyhow!("actor_user_id: {e}")))?,
            ),
        };
        let details: serde_json::Value = match fact.details_json.as_str() {
            "" => serde_json::json!({}),
            text => {
                serde_json::from_str(text).map_err(|e| HandleError::Reject(anyhow::anyhow!("details_json: {e}")))?
            }
        };
        store::audit::keep(
            tx,
            Fact {
                org: event.org,
                actor,
                actor_role: &fact.actor_role,
                action: &fact.action,
                target_type: &fact.target_type,
                target_id: &fact.target_id,
                occurred_at,
                details,
                source: &event.envelope.producer,
                source_event: event.id,
            },
        )
        .await?;
        Ok(())
    }
}

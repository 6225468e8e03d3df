//! The platform's facts, applied to the live read models through the
//! kit's inbox (so an event counts once). One durable consumer per fact
//! family, so that the audit trail (an event per read) never passes
//! through here.
//!
//! Each transaction first takes the rebuild lock shared: a rebuild's swap
//! takes it exclusively, so no event is applied to the live tables while
//! they are being replaced (see [`crate::rebuild`]).

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use chrono::Utc;

use crate::projections;
use crate::rebuild::LOCK;

/// The consumers, by the events they take.
pub(crate) const SPECS: [Spec; 4] = [
    Spec {
        purpose: "contacts",
        events: "contact.>",
    },
    Spec {
        purpose: "bookings",
        events: "booking.>",
    },
    Spec {
        purpose: "messages",
        events: "messaging.sms_sent",
    },
    Spec {
        purpose: "tasks",
        events: "automation.>",
    },
];

/// The durable consumer (`reporting-<purpose>`, the kit keys its inbox by
/// it) that applies events of this type, if any does.
pub fn consumer_for(event_type: &str) -> Option<String> {
    SPECS
        .iter()
        .find(|spec| match spec.events.strip_suffix('>') {
            Some(prefix) => event_type.starts_with(prefix),
            None => event_type == spec.events,
        })
        .map(|spec| format!("reporting-{}", spec.purpose))
}

pub(crate) struct Projections;

impl Handler for Projections {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        sqlx::query("select pg_advisory_xact_lock_shared($1)")
            .bind(LOCK)
            .execute(&mut **tx)
            .await?;
        projections::apply(tx, event).await?;
        // How far behind the facts the read models are: from when the event
        // happened to when its projection is written.
        if let Some(at) = event.envelope.occurred_at.as_ref().and_then(from_timestamp) {
            metrics::histogram!(
                "attend_projection_lag_seconds",
                "service" => "reporting",
                "consumer" => consumer_for(&event.envelope.r#type).unwrap_or_default()
            )
            .record((Utc::now() - at).as_seconds_f64().max(0.0));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::consumer_for;

    #[test]
    fn each_family_has_its_consumer_and_the_audit_trail_none() {
        assert_eq!(
            consumer_for("contact.lead_created").as_deref(),
            Some("reporting-contacts")
        );
        assert_eq!(
            consumer_for("booking.recall_set").as_deref(),
            Some("reporting-bookings")
        );
        assert_eq!(
            consumer_for("messaging.sms_sent").as_deref(),
            Some("reporting-messages")
        );
        assert_eq!(consumer_for("messaging.sms_received"), None);
        assert_eq!(
            consumer_for("automation.task_completed").as_deref(),
            Some("reporting-tasks")
        );
        assert_eq!(consumer_for("audit.recorded"), None);
    }
}

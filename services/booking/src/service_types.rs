//! How the practice classifies each provider's services: the service type,
//! the urgency it implies, and the months until its patients are due back.
//! Changing a classification re-classifies the service's upcoming
//! bookings, each change in their history.

use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::ids::OrgId;
use attend_kit::{Error, FieldError};
use attend_proto::booking::v1 as pb;

use crate::api::Api;
use crate::bookings::draft;
use crate::rules::{MAX_RECALL_MONTHS, default_urgency, static_type, static_urgency};
use crate::store::{self, Change, HistoryEntry};

impl Api {
    pub(crate) async fn list_service_types(&self, caller: Caller) -> Result<pb::ListServiceTypesResponse, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let mut tx = self.db.tenant(org).await?;
        let rows = store::service_types(&mut tx, org).await?;
        tx.commit().await?;
        Ok(pb::ListServiceTypesResponse {
            mappings: rows.into_iter().map(mapping_proto).collect(),
        })
    }

    pub(crate) async fn set_service_type(
        &self,
        caller: Caller,
        req: pb::SetServiceTypeRequest,
    ) -> Result<pb::ServiceTypeMapping, Error> {
        caller.require_permission(Permission::SettingsManage)?;
        let org = caller.org()?;
        let m = req.mapping.unwrap_or_default();
        let mut problems = Vec::new();
        if m.provider.trim().is_empty() {
            problems.push(FieldError::new("provider", "is required, e.g. wix"));
        }
        if m.external_service_id.trim().is_empty() {
            problems.push(FieldError::new("external_service_id", "is required"));
        }
        let service_type = match m.service_type.as_str() {
            t @ ("procedure" | "follow_up" | "routine" | "high_risk") => t.to_owned(),
            _ => {
                problems.push(FieldError::new(
                    "service_type",
                    "must be one of procedure, follow_up, routine, high_risk",
                ));
                String::new()
            }
        };
        let urgency = match m.urgency_level.as_str() {
            "" => default_urgency(&service_type).to_owned(),
            u @ ("high" | "medium" | "low") => u.to_owned(),
            _ => {
                problems.push(FieldError::new("urgency_level", "must be high, medium or low"));
                String::new()
            }
        };
        if !(0..=MAX_RECALL_MONTHS).contains(&m.recall_months) {
            problems.push(FieldError::new(
                "recall_months",
                format!(
                    "must be between 1 and {MAX_RECALL_MONTHS}, or 0 for the default (6 for high_risk, 12 for the rest)"
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let mapping = store::ServiceType {
            provider: m.provider.trim().to_ascii_lowercase(),
            external_service_id: m.external_service_id.trim().to_owned(),
            service_type,
            urgency_level: urgency,
            recall_months: m.recall_months,
        };
        let mut tx = self.db.tenant(org).await?;
        let moved = reclassify(&mut tx, org, &self.outbox, &caller, &mapping).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry {
                action: "settings.service_type",
                target_type: "service",
                target_id: format!("{}:{}", mapping.provider, mapping.external_service_id),
                details: serde_json::json!({
                    "service_type": mapping.service_type,
                    "urgency_level": mapping.urgency_level,
                    "recall_months": mapping.recall_months,
                    "upcoming_bookings_reclassified": moved,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(mapping_proto(mapping))
    }
}

/// A mapping as the API answers it; `recall_months` as set (0: the default).
fn mapping_proto(t: store::ServiceType) -> pb::ServiceTypeMapping {
    pb::ServiceTypeMapping {
        provider: t.provider,
        external_service_id: t.external_service_id,
        service_type: t.service_type,
        urgency_level: t.urgency_level,
        recall_months: t.recall_months,
    }
}

/// Re-classifies a provider's service for the organisation, and its
/// upcoming bookings with it.
async fn reclassify(
    tx: &mut Tx,
    org: OrgId,
    outbox: &Outbox,
    caller: &Caller,
    t: &store::ServiceType,
) -> Result<usize, attend_kit::Error> {
    store::set_service_type(tx, org, t).await?;
    let upcoming = store::upcoming_of_service(tx, org, &t.provider, &t.external_service_id).await?;
    for id in &upcoming {
        let row = store::apply(
            tx,
            org,
            *id,
            &Change {
                service_type: Some(static_type(&t.service_type)),
                urgency_level: Some(static_urgency(&t.urgency_level)),
                ..Change::default()
            },
        )
        .await?;
        store::record(
            tx,
            org,
            *id,
            &HistoryEntry {
                kind: "updated",
                from_status: Some(row.status.clone()),
                to_status: Some(row.status.clone()),
                actor: Actor::of(caller).to_string(),
                note: Some(format!("service type {} ({} urgency)", t.service_type, t.urgency_level)),
                ..HistoryEntry::default()
            },
        )
        .await?;
        let event = pb::BookingUpdated {
            booking: Some(row.clone().into_proto()),
            changed: vec!["service_type".to_owned(), "urgency_level".to_owned()],
        };
        outbox.add(tx, draft(org, &row, &event)).await?;
    }
    Ok(upcoming.len())
}

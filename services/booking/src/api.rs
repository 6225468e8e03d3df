//! `BookingService` over gRPC.

use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Draft, timestamp};
use attend_kit::db::Db;
use attend_kit::grpc::{Caller, idempotency_key};
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{BookingId, ContactId, TypedId};
use attend_kit::{Error, FieldError};
use attend_proto::booking::v1 as pb;
use attend_proto::booking::v1::booking_service_server::BookingService;
use tonic::{Request, Response, Status};

use crate::intake::{default_urgency, reclassify};
use crate::store::{self, Change, HistoryEntry};

pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
}

type Reply<T> = Result<Response<T>, Status>;

fn booking_id(field: &str, text: &str) -> Result<BookingId, Error> {
    BookingId::parse_uuid(text)
        .or_else(|_| text.parse::<BookingId>())
        .map_err(|_| Error::invalid(field, "is not a booking id"))
}

impl Api {
    async fn get_booking(&self, caller: Caller, req: pb::GetBookingRequest) -> Result<pb::Booking, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let id = booking_id("id", &req.id)?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::get(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("booking".to_owned()))?;
        audit::record(&self.outbox, &mut tx, &caller, Entry::on("booking.read", "booking", id)).await?;
        tx.commit().await?;
        Ok(row.into_proto())
    }

    async fn list_bookings(
        &self,
        caller: Caller,
        req: pb::ListBookingsRequest,
    ) -> Result<pb::ListBookingsResponse, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let contact =
            ContactId::parse_uuid(&req.contact_id).map_err(|_| Error::invalid("contact_id", "is not a contact id"))?;
        let mut tx = self.db.tenant(org).await?;
        let rows = store::for_contact(&mut tx, org, contact).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("booking.list", "contact", contact),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListBookingsResponse {
            bookings: rows.into_iter().map(store::BookingRow::into_proto).collect(),
        })
    }

    async fn record_outcome(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::RecordOutcomeRequest,
    ) -> Result<pb::Booking, Error> {
        caller.require_permission(Permission::BookingsWrite)?;
        let org = caller.org()?;
        let id = booking_id("booking_id", &req.booking_id)?;
        let outcome = match req.outcome.as_str() {
            "attended" => "attended",
            "no_show" => "no_show",
            _ => return Err(Error::invalid("outcome", "must be attended or no_show")),
        };
        let notes = Some(req.notes.trim().to_owned()).filter(|n| !n.is_empty());
        if notes.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            return Err(Error::invalid("notes", "must be at most 2000 characters"));
        }
        let mut tx = self.db.tenant(org).await?;
        let guard = match &key {
            Some(key) => match claim(&mut tx, org, "RecordOutcome", key, &req).await? {
                Claim::Replay(response) => return Ok(response),
                Claim::Fresh(guard) => Some(guard),
            },
            None => None,
        };
        let current = store::get_for_update(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("booking".to_owned()))?;
        if current.status == "cancelled" {
            return Err(Error::Conflict(
                "a cancelled booking has no outcome; it was never attended".to_owned(),
            ));
        }
        if outcome == "no_show" && current.appointment_at > chrono::Utc::now() {
            return Err(Error::Conflict(
                "the appointment has not started yet; a no-show can be recorded once its time has passed".to_owned(),
            ));
        }
        let row = if current.outcome.as_deref() == Some(outcome) {
            // Recorded already: the same answer, no second event.
            current
        } else {
            let row = store::apply(
                &mut tx,
                org,
                id,
                &Change {
                    outcome: Some((outcome, notes.clone())),
                    ..Change::default()
                },
            )
            .await?;
            let actor = caller
                .user
                .map(|u| u.uuid().to_string())
                .unwrap_or_else(|| "system".to_owned());
            store::record(
                &mut tx,
                org,
                id,
                &HistoryEntry {
                    kind: "outcome",
                    from_status: Some(row.status.clone()),
                    to_status: Some(row.status.clone()),
                    outcome: Some(outcome),
                    actor: actor.clone(),
                    note: notes,
                    ..HistoryEntry::default()
                },
            )
            .await?;
            let event = pb::BookingOutcomeRecorded {
                booking: Some(row.clone().into_proto()),
                outcome: outcome.to_owned(),
                recorded_by: actor,
            };
            self.outbox
                .add(
                    &mut tx,
                    Draft::new(org, &event)
                        .about("booking_id", id)
                        .about("contact_id", row.contact()),
                )
                .await?;
            audit::record(
                &self.outbox,
                &mut tx,
                &caller,
                Entry::on("booking.record_outcome", "booking", id)
                    .with_details(serde_json::json!({ "outcome": outcome })),
            )
            .await?;
            row
        };
        let response = row.into_proto();
        if let Some(guard) = guard {
            guard.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok(response)
    }

    async fn history(
        &self,
        caller: Caller,
        req: pb::GetBookingHistoryRequest,
    ) -> Result<pb::GetBookingHistoryResponse, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let id = booking_id("booking_id", &req.booking_id)?;
        let mut tx = self.db.tenant(org).await?;
        if store::get(&mut tx, org, id).await?.is_none() {
            return Err(Error::NotFound("booking".to_owned()));
        }
        let rows = store::history(&mut tx, org, id).await?;
        tx.commit().await?;
        Ok(pb::GetBookingHistoryResponse {
            changes: rows
                .into_iter()
                .map(|c| pb::BookingChange {
                    kind: c.kind,
                    from_status: c.from_status.unwrap_or_default(),
                    to_status: c.to_status.unwrap_or_default(),
                    from_appointment_at: c.from_appointment_at.map(timestamp),
                    to_appointment_at: c.to_appointment_at.map(timestamp),
                    outcome: c.outcome.unwrap_or_default(),
                    actor: c.actor,
                    occurred_at: Some(timestamp(c.occurred_at)),
                    note: c.note.unwrap_or_default(),
                })
                .collect(),
        })
    }

    async fn list_service_types(&self, caller: Caller) -> Result<pb::ListServiceTypesResponse, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let mut tx = self.db.tenant(org).await?;
        let rows = store::service_types(&mut tx, org).await?;
        tx.commit().await?;
        Ok(pb::ListServiceTypesResponse {
            mappings: rows
                .into_iter()
                .map(|t| pb::ServiceTypeMapping {
                    provider: t.provider,
                    external_service_id: t.external_service_id,
                    service_type: t.service_type,
                    urgency_level: t.urgency_level,
                })
                .collect(),
        })
    }

    async fn set_service_type(
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
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let mapping = store::ServiceType {
            provider: m.provider.trim().to_ascii_lowercase(),
            external_service_id: m.external_service_id.trim().to_owned(),
            service_type,
            urgency_level: urgency,
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
                    "upcoming_bookings_reclassified": moved,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ServiceTypeMapping {
            provider: mapping.provider,
            external_service_id: mapping.external_service_id,
            service_type: mapping.service_type,
            urgency_level: mapping.urgency_level,
        })
    }
}

#[tonic::async_trait]
impl BookingService for Api {
    async fn get_booking(&self, request: Request<pb::GetBookingRequest>) -> Reply<pb::Booking> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_booking(caller, request.into_inner()).await?))
    }

    async fn list_bookings(&self, request: Request<pb::ListBookingsRequest>) -> Reply<pb::ListBookingsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_bookings(caller, request.into_inner()).await?))
    }

    async fn record_outcome(&self, request: Request<pb::RecordOutcomeRequest>) -> Reply<pb::Booking> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.record_outcome(caller, key, request.into_inner()).await?,
        ))
    }

    async fn get_booking_history(
        &self,
        request: Request<pb::GetBookingHistoryRequest>,
    ) -> Reply<pb::GetBookingHistoryResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.history(caller, request.into_inner()).await?))
    }

    async fn list_service_types(
        &self,
        request: Request<pb::ListServiceTypesRequest>,
    ) -> Reply<pb::ListServiceTypesResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_service_types(caller).await?))
    }

    async fn set_service_type(&self, request: Request<pb::SetServiceTypeRequest>) -> Reply<pb::ServiceTypeMapping> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.set_service_type(caller, request.into_inner()).await?,
        ))
    }
}

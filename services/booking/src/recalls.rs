//! Recalls: when a patient is due back. A rule sets one after an attended
//! visit (spec 000's `calculate_recall_date`), or staff do; a contact has
//! one open recall at most, and a new one replaces it. The daily check
//! lists those due; a recall ends `booked` when the contact books again
//! (the intake consumer calls [`close_as_booked`]) or `closed` by staff.
//! Every change is published (`booking.recall_set`,
//! `booking.recall_closed`) in its transaction.

use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Draft, Event};
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{BookingId, ContactId, OrgId, RecallId, TypedId};
use attend_kit::{Error, FieldError, cursor, text};
use attend_proto::booking::v1 as pb;
use attend_proto::events::v1::Envelope;
use chrono::NaiveDate;

use crate::api::Api;
use crate::rules::{MAX_RECALL_MONTHS, RecallEnd, recall_months};
use crate::store::{self, BookingRow, Closing, NewRecall, Open, RecallRow};

/// What a recall's change is, as published.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Announce {
    Set,
    Closed,
}

/// Publishes a recall's change in the transaction that made it.
pub(crate) async fn announce(
    outbox: &Outbox,
    tx: &mut Tx,
    org: OrgId,
    what: Announce,
    row: &RecallRow,
    cause: Option<&Envelope>,
) -> Result<(), sqlx::Error> {
    fn draft<E: Event>(org: OrgId, event: &E, row: &RecallRow) -> Draft {
        Draft::new(org, event).about("contact_id", row.contact())
    }
    let recall = Some(row.clone().into_proto());
    let mut draft = match what {
        Announce::Set => {
            let d = draft(org, &pb::RecallSet { recall }, row);
            match row.booking() {
                Some(b) => d.about("booking_id", b),
                None => d,
            }
        }
        Announce::Closed => draft(org, &pb::RecallClosed { recall }, row),
    };
    if let Some(cause) = cause {
        draft = draft.caused_by(cause);
    }
    outbox.add(tx, draft).await?;
    Ok(())
}

/// The contact booked again: their open recall, if any, ends `booked`,
/// in the transaction that creates the booking.
pub(crate) async fn close_as_booked(
    outbox: &Outbox,
    tx: &mut Tx,
    org: OrgId,
    booking: &BookingRow,
    cause: &Envelope,
) -> Result<(), sqlx::Error> {
    let note = format!("booked again: {}", booking.booking_id());
    let closing = Closing {
        status: RecallEnd::Booked.as_str(),
        note: Some(&note),
        booked_by: Some(booking.booking_id()),
    };
    // Waits for a recall being set for the contact, so that it is the one closed.
    store::lock_contact_recalls(tx, org, booking.contact()).await?;
    if let Some(row) = store::close_open(tx, org, Open::OfContact(booking.contact()), &closing).await? {
        announce(outbox, tx, org, Announce::Closed, &row, Some(cause)).await?;
    }
    Ok(())
}

/// A recall id as the fleet carries it (a UUID) or as people see it.
fn recall_id(field: &str, text: &str) -> Result<RecallId, Error> {
    RecallId::parse_uuid(text).or_else(|_| RecallId::parse_public_at(field, text))
}

/// A date as the API writes it.
fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "must be a date, YYYY-MM-DD".to_owned())
}

/// A SetRecall request, read; every bad field named.
struct Setting {
    contact: ContactId,
    booking: Option<BookingId>,
    due_on: NaiveDate,
    reason: Option<String>,
    months: i32,
}

fn parse_setting(req: &pb::SetRecallRequest) -> Result<Setting, Error> {
    let mut problems = Vec::new();
    let contact = text::collect(
        &mut problems,
        "contact_id",
        ContactId::parse_uuid(&req.contact_id).map_err(|e| e.to_string()),
    );
    let booking = match req.booking_id.trim() {
        "" => Some(None),
        id => text::collect(
            &mut problems,
            "booking_id",
            BookingId::parse_uuid(id)
                .or_else(|_| BookingId::parse_public(id))
                .map(Some)
                .map_err(|e| e.to_string()),
        ),
    };
    let due_on = text::collect(&mut problems, "due_on", parse_date(&req.due_on));
    let reason = text::collect(&mut problems, "reason", text::line(&req.reason, 100));
    if !(0..=MAX_RECALL_MONTHS).contains(&req.months) {
        problems.push(FieldError::new(
            "months",
            format!("must be between 1 and {MAX_RECALL_MONTHS}, or 0 for the service type's"),
        ));
    }
    match (contact, booking, due_on, reason, problems.is_empty()) {
        (Some(contact), Some(booking), Some(due_on), Some(reason), true) => Ok(Setting {
            contact,
            booking,
            due_on,
            reason: Some(reason).filter(|r| !r.is_empty()),
            months: req.months,
        }),
        _ => Err(Error::Invalid(problems)),
    }
}

impl Api {
    pub(crate) async fn set_recall(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::SetRecallRequest,
    ) -> Result<pb::Recall, Error> {
        caller.require_permission(Permission::BookingsWrite)?;
        let org = caller.org()?;
        let s = parse_setting(&req)?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "SetRecall", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let visit = match s.booking {
            None => None,
            Some(id) => match store::get(&mut tx, org, id).await? {
                Some(b) if b.contact() == s.contact => Some(b),
                Some(_) => return Err(Error::invalid("booking_id", "is a booking of another contact")),
                None => return Err(Error::invalid("booking_id", "is no booking of this organisation")),
            },
        };
        let months = match (s.months, &visit) {
            (1.., _) => s.months,
            (_, Some(b)) => {
                let own = match b.external_service_id.as_deref() {
                    Some(service) => store::service_type(&mut tx, org, &b.provider, service).await?,
                    None => None,
                };
                recall_months(&b.service_type, own.map_or(0, |t| t.recall_months))
            }
            (_, None) => recall_months("", 0),
        };
        store::lock_contact_recalls(&mut tx, org, s.contact).await?;
        let replaced = Closing {
            status: RecallEnd::Closed.as_str(),
            note: Some("replaced by a newer recall"),
            booked_by: None,
        };
        if let Some(old) = store::close_open(&mut tx, org, Open::OfContact(s.contact), &replaced).await? {
            announce(&self.outbox, &mut tx, org, Announce::Closed, &old, None).await?;
        }
        let row = store::insert_recall(
            &mut tx,
            org,
            &NewRecall {
                contact: s.contact,
                booking: s.booking,
                due_on: s.due_on,
                reason: s.reason,
                months,
            },
        )
        .await?;
        announce(&self.outbox, &mut tx, org, Announce::Set, &row, None).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("recall.set", "recall", row.recall_id())
                .with_details(serde_json::json!({ "contact": s.contact.to_string(), "due_on": req.due_on.trim() })),
        )
        .await?;
        let response = row.into_proto();
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(crate) async fn get_recall(&self, caller: Caller, req: pb::GetRecallRequest) -> Result<pb::Recall, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let contact = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::open_recall(&mut tx, org, contact)
            .await?
            .ok_or_else(|| Error::NotFound("open recall".to_owned()))?;
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("recall.read", "recall", row.recall_id()),
        )
        .await?;
        tx.commit().await?;
        Ok(row.into_proto())
    }

    pub(crate) async fn list_due_recalls(
        &self,
        caller: Caller,
        req: pb::ListDueRecallsRequest,
    ) -> Result<pb::ListDueRecallsResponse, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let mut problems = Vec::new();
        let by = text::collect(&mut problems, "on_or_before", parse_date(&req.on_or_before));
        let limit = match req.limit {
            0 => 100,
            n @ 1..=500 => i64::from(n),
            _ => {
                problems.push(FieldError::new("limit", "must be between 1 and 500"));
                0
            }
        };
        let after = match req.cursor.trim() {
            "" => None,
            text => match cursor::decode("cursor", "due", text) {
                Ok((key, id)) => match parse_date(&key) {
                    Ok(due) => Some((due, id)),
                    Err(_) => return Err(Error::invalid("cursor", "is not a cursor from this listing")),
                },
                Err(e) => return Err(e),
            },
        };
        let (Some(by), true) = (by, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let mut rows = store::due_recalls(&mut tx, org, by, after, limit + 1).await?;
        let next_cursor = cursor::next_page(&mut rows, limit, |r| {
            cursor::encode("due", &r.due_on.format("%Y-%m-%d").to_string(), r.id)
        });
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::untargeted("recall.list_due", "recall")
                .with_details(serde_json::json!({ "on_or_before": by.to_string(), "results": rows.len() })),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListDueRecallsResponse {
            recalls: rows.into_iter().map(RecallRow::into_proto).collect(),
            next_cursor,
        })
    }

    pub(crate) async fn close_recall(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::CloseRecallRequest,
    ) -> Result<pb::Recall, Error> {
        caller.require_permission(Permission::BookingsWrite)?;
        let org = caller.org()?;
        let mut problems = Vec::new();
        let which = match (req.recall_id.trim(), req.contact_id.trim()) {
            ("", "") => {
                problems.push(FieldError::new(
                    "recall_id",
                    "give recall_id, or contact_id for its open recall",
                ));
                None
            }
            (id, "") => text::collect(
                &mut problems,
                "recall_id",
                recall_id("recall_id", id)
                    .map(Open::Recall)
                    .map_err(|_| "is not a recall id".to_owned()),
            ),
            ("", contact) => text::collect(
                &mut problems,
                "contact_id",
                ContactId::parse_uuid(contact)
                    .map(Open::OfContact)
                    .map_err(|e| e.to_string()),
            ),
            _ => {
                problems.push(FieldError::new("contact_id", "give recall_id or contact_id, not both"));
                None
            }
        };
        let end = RecallEnd::parse(req.status.trim());
        if end.is_none() {
            problems.push(FieldError::new("status", "must be booked or closed"));
        }
        let note = text::collect(&mut problems, "note", text::multiline(&req.note, 2000));
        let (Some(which), Some(end), Some(note), true) = (which, end, note, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "CloseRecall", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let closing = Closing {
            status: end.as_str(),
            note: Some(note.as_str()).filter(|n| !n.is_empty()),
            booked_by: None,
        };
        let row = match store::close_open(&mut tx, org, which, &closing).await? {
            Some(row) => {
                announce(&self.outbox, &mut tx, org, Announce::Closed, &row, None).await?;
                audit::record(
                    &self.outbox,
                    &mut tx,
                    &caller,
                    Entry::on("recall.close", "recall", row.recall_id())
                        .with_details(serde_json::json!({ "status": end.as_str() })),
                )
                .await?;
                row
            }
            None => {
                let Open::Recall(id) = which else {
                    return Err(Error::NotFound("open recall".to_owned()));
                };
                match store::recall(&mut tx, org, id).await? {
                    None => return Err(Error::NotFound("recall".to_owned())),
                    // Closed the same way already: the same answer.
                    Some(row) if row.status == end.as_str() => row,
                    Some(row) => {
                        return Err(Error::Precondition(format!(
                            "the recall is {} already; only an open recall can be closed",
                            row.status
                        )));
                    }
                }
            }
        };
        let response = row.into_proto();
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(due_on: &str, months: i32) -> pb::SetRecallRequest {
        pb::SetRecallRequest {
            contact_id: ContactId::new().uuid().to_string(),
            booking_id: String::new(),
            due_on: due_on.to_owned(),
            reason: "high_risk".to_owned(),
            months,
        }
    }

    #[test]
    fn a_recall_is_set_for_a_contact_on_a_date() {
        let s = parse_setting(&request("2027-05-31", 6)).unwrap();
        assert_eq!(s.due_on, NaiveDate::from_ymd_opt(2027, 5, 31).unwrap());
        assert_eq!((s.booking, s.reason.as_deref(), s.months), (None, Some("high_risk"), 6));
    }

    #[test]
    fn every_bad_field_of_a_recall_is_named() {
        let mut req = request("31/05/2027", 121);
        req.contact_id = "someone".to_owned();
        req.booking_id = "booking_nope".to_owned();
        req.reason = "line\nbreak".to_owned();
        let Err(Error::Invalid(problems)) = parse_setting(&req) else {
            panic!("refused");
        };
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["contact_id", "booking_id", "due_on", "reason", "months"]);
        assert!(parse_setting(&request("2027-02-30", 0)).is_err(), "no such day");
    }
}

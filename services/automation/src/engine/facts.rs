//! The facts a rule's conditions look at, gathered from their owners when
//! the rule runs: the contact (contact service), the booking and the
//! recall (booking service), the latest touchpoints, and what the event
//! itself carries. Only what the rules ask for is fetched.

use std::collections::HashSet;

use attend_kit::Error;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{ContactId, TypedId};
use attend_kit::localtime::local_date;
use attend_kit::orgs::Org;
use attend_proto::booking::v1 as booking;
use attend_proto::contact::v1 as contact;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::{Context, Owners};
use crate::rules::conditions::Field;

/// What rules see.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub contact: Option<contact::Contact>,
    pub booking: Option<booking::Booking>,
    /// The contact's latest touchpoints, newest first.
    pub touchpoints: Option<Vec<contact::Touchpoint>>,
    pub recall: Option<booking::Recall>,
    pub message_body: Option<String>,
    pub classification: Option<String>,
    pub template: Option<String>,
    pub outcome: Option<String>,
    pub now: DateTime<Utc>,
    /// The organisation's local date now (`"today"`).
    pub today: NaiveDate,
}

fn needs_contact(f: Field) -> bool {
    matches!(
        f,
        Field::Warmness
            | Field::WarmnessLabel
            | Field::IsExistingPatient
            | Field::CurrentPipeline
            | Field::CurrentStage
            | Field::Intent
            | Field::Source
    )
}

fn needs_booking(f: Field) -> bool {
    matches!(
        f,
        Field::UrgencyLevel
            | Field::BookingStatus
            | Field::ServiceType
            | Field::IsHighRisk
            | Field::HoursUntilAppointment
    )
}

/// Booking statuses of an appointment still to come.
pub(crate) const STANDING: &[&str] = &["scheduled", "confirmed", "rescheduled"];

impl Facts {
    /// Gathers what `fields` need. A text with no booking of its own is
    /// about the contact's next appointment still standing: the context
    /// takes that booking, so its actions act on it.
    pub async fn gather(
        owners: &Owners,
        org: &Org,
        ctx: &mut Context,
        fields: &HashSet<Field>,
        now: DateTime<Utc>,
    ) -> Result<Facts, Error> {
        let caller = Caller::system(org.id);
        let contact_id = ctx.contact_id.map(ContactId::from);
        let mut facts = Facts {
            contact: None,
            booking: None,
            touchpoints: None,
            recall: None,
            message_body: ctx.message_body.clone(),
            classification: ctx.classification.clone(),
            template: ctx.template.clone(),
            outcome: ctx.outcome.clone(),
            now,
            today: local_date(now, org.time_zone),
        };
        let Some(contact_id) = contact_id else {
            return Ok(facts);
        };
        if fields.iter().any(|f| needs_contact(*f)) {
            facts.contact = Some(get_contact(owners, &caller, contact_id).await?);
        }
        if ctx.booking_id.is_none() && matches!(ctx.trigger.as_str(), "sms_received" | "sms_sent" | "reminder_sent") {
            ctx.booking_id = next_booking(owners, &caller, contact_id, now)
                .await?
                .and_then(|b| b.id.parse().ok());
        }
        let wants_booking =
            fields.iter().any(|f| needs_booking(*f)) || (ctx.outcome.is_none() && fields.contains(&Field::Outcome));
        if let (Some(booking_id), true) = (ctx.booking_id, wants_booking) {
            facts.booking = get_booking(owners, &caller, booking_id).await?;
        }
        if fields.contains(&Field::LastTouchpointAgeSeconds) || fields.contains(&Field::NoReplyReceived) {
            let page = owners
                .contacts
                .clone()
                .list_touchpoints(request(
                    contact::ListTouchpointsRequest {
                        contact_id: contact_id.uuid().to_string(),
                        limit: 50,
                        cursor: String::new(),
                    },
                    &caller,
                ))
                .await
                .into_answer("contact")?;
            facts.touchpoints = Some(page.touchpoints);
        }
        if fields.contains(&Field::RecallDueDate) {
            facts.recall = get_recall(owners, &caller, contact_id).await?;
        }
        Ok(facts)
    }

    /// The value of a field now; `null` when unknown.
    pub fn value(&self, field: Field) -> Value {
        let c = self.contact.as_ref();
        let b = self.booking.as_ref();
        let text = |s: Option<&String>| s.filter(|s| !s.is_empty()).map_or(Value::Null, |s| json!(s));
        match field {
            Field::Warmness => c.map_or(Value::Null, |c| json!(c.warmness_score)),
            Field::WarmnessLabel => text(c.map(|c| &c.warmness_label)),
            Field::IsExistingPatient => c.map_or(Value::Null, |c| json!(c.is_existing_patient)),
            Field::CurrentPipeline => text(c.map(|c| &c.current_pipeline)),
            Field::CurrentStage => text(c.map(|c| &c.current_stage)),
            Field::Intent => text(c.map(|c| &c.intent)),
            Field::Source => text(c.map(|c| &c.source)),
            Field::UrgencyLevel => text(b.map(|b| &b.urgency_level)),
            Field::BookingStatus => text(b.map(|b| &b.status)),
            Field::ServiceType => text(b.map(|b| &b.service_type)),
            Field::IsHighRisk => b.map_or(Value::Null, |b| json!(b.service_type == "high_risk")),
            Field::Outcome => match &self.outcome {
                Some(o) => json!(o),
                None => text(b.map(|b| &b.outcome)),
            },
            Field::MessageBody => text(self.message_body.as_ref()),
            Field::Classification => text(self.classification.as_ref()),
            Field::Template => text(self.template.as_ref()),
            Field::LastTouchpointAgeSeconds => self
                .touchpoints
                .as_ref()
                .and_then(|t| t.first())
                .and_then(|t| t.occurred_at.as_ref())
                .and_then(attend_kit::bus::from_timestamp)
                .map_or(Value::Null, |at| json!((self.now - at).num_seconds())),
            Field::NoReplyReceived => self.touchpoints.as_ref().map_or(Value::Null, |t| {
                // Newest first: a reply after our latest text is a reply.
                let latest = t.iter().find(|t| t.r#type == "sms_received" || t.r#type == "sms_sent");
                json!(latest.is_none_or(|t| t.r#type != "sms_received"))
            }),
            Field::RecallDueDate => self
                .recall
                .as_ref()
                .filter(|r| r.status == "open")
                .map_or(Value::Null, |r| json!(r.due_on)),
            Field::HoursUntilAppointment => b
                .and_then(|b| b.appointment_at.as_ref())
                .and_then(attend_kit::bus::from_timestamp)
                .map_or(Value::Null, |at| json!((at - self.now).num_minutes() as f64 / 60.0)),
        }
    }
}

pub(crate) async fn get_contact(owners: &Owners, caller: &Caller, id: ContactId) -> Result<contact::Contact, Error> {
    owners
        .contacts
        .clone()
        .get_contact(request(
            contact::GetContactRequest {
                id: id.uuid().to_string(),
            },
            caller,
        ))
        .await
        .into_answer("contact")
}

/// A booking; `None` when it is gone.
pub(crate) async fn get_booking(
    owners: &Owners,
    caller: &Caller,
    id: uuid::Uuid,
) -> Result<Option<booking::Booking>, Error> {
    match owners
        .bookings
        .clone()
        .get_booking(request(booking::GetBookingRequest { id: id.to_string() }, caller))
        .await
        .into_answer("booking")
    {
        Ok(b) => Ok(Some(b)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The contact's soonest appointment still to come and still standing.
pub(crate) async fn next_booking(
    owners: &Owners,
    caller: &Caller,
    contact: ContactId,
    now: DateTime<Utc>,
) -> Result<Option<booking::Booking>, Error> {
    let list = owners
        .bookings
        .clone()
        .list_bookings(request(
            booking::ListBookingsRequest {
                contact_id: contact.uuid().to_string(),
            },
            caller,
        ))
        .await
        .into_answer("booking")?;
    Ok(list
        .bookings
        .into_iter()
        .filter(|b| STANDING.contains(&b.status.as_str()) && b.outcome.is_empty())
        .filter_map(|b| {
            let at = b.appointment_at.as_ref().and_then(attend_kit::bus::from_timestamp)?;
            (at > now).then_some((at, b))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, b)| b))
}

/// The contact's open recall, if any.
pub(crate) async fn get_recall(
    owners: &Owners,
    caller: &Caller,
    contact: ContactId,
) -> Result<Option<booking::Recall>, Error> {
    match owners
        .bookings
        .clone()
        .get_recall(request(
            booking::GetRecallRequest {
                contact_id: contact.uuid().to_string(),
            },
            caller,
        ))
        .await
        .into_answer("booking")
    {
        Ok(r) => Ok(Some(r)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

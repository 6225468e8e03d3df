//! Wix booking deliveries, in the two forms we accept, parsed into one shape.
//!
//! 1. As Wix sends them: a JWT whose claims hold `data`, a JSON string (or
//!    object) with `eventType`, `instanceId` and `data`, itself a JSON
//!    string with the event: `id` (the event id, unique per event and kept
//!    across Wix's retries), `entityFqdn`, `slug`, and for
//!    `wix.bookings.v2.booking_created` the booking at `createdEvent.entity`
//!    (or `createdEvent.entityAsJson`, a string).
//! 2. As seed 000 documents them for forwarders (Zapier, Make): a flat JSON
//!    body `{event, bookingId, contactId, serviceId, startTime, status,
//!    customerInfo{name, phone, email}}` signed with Standard Webhooks.
//!
//! Phones and emails stay raw here: reading a local number needs the
//! organisation's region, known only after routing. Every problem names the
//! field by its path in the body.
//!
//! Over 500 lines for its tests (about 200): Wix's documented events, the
//! seed's bodies and the refusals naming their fields, kept beside the parser.

use attend_kit::FieldError;

use super::{Reader, nested};
use attend_proto::ingest::v1::{BookingAction, BookingStatus, PaymentStatus};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A booking delivery, verified and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// The provider's event id: the dedupe key.
    pub delivery_id: String,
    /// The provider's event type, as sent.
    pub event_type: String,
    /// The Wix app instance: which organisation it belongs to.
    pub instance_id: Option<String>,
    /// What happened, when this version maps the event type; `None` means
    /// the delivery is kept in the log but not acted on.
    pub booking: Option<(BookingAction, Booking)>,
    /// When the provider says it happened (Wix `eventTime`).
    pub event_time: Option<DateTime<Utc>>,
}

/// The booking fields we use.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub external_booking_id: String,
    pub external_contact_id: Option<String>,
    /// Required to create a booking; later events may omit it.
    pub customer: Option<Customer>,
    pub service_id: Option<String>,
    pub service_name: Option<String>,
    /// Required to create a booking; later events may omit it.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub status: BookingStatus,
    pub external_status: String,
    pub payment: PaymentStatus,
    pub external_payment_status: String,
}

/// The customer as sent, with where each field was, for error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub name: String,
    pub phone: Option<String>,
    pub phone_field: String,
    pub email: Option<String>,
    pub email_field: String,
    /// ISO region Wix reports for the contact, used to read a local phone.
    pub country_code: Option<String>,
}

/// The Wix Bookings v2 event types we act on, and where each carries the
/// booking.
fn wix_action(event_type: &str) -> Option<(BookingAction, &'static str)> {
    let action = match event_type {
        "wix.bookings.v2.booking_created" => BookingAction::Created,
        "wix.bookings.v2.booking_confirmed" => BookingAction::Confirmed,
        "wix.bookings.v2.booking_declined" => BookingAction::Declined,
        // Wix spells it "canceled"; some forwarders "cancelled".
        "wix.bookings.v2.booking_canceled" | "wix.bookings.v2.booking_cancelled" => BookingAction::Cancelled,
        "wix.bookings.v2.booking_rescheduled" => BookingAction::Rescheduled,
        "wix.bookings.v2.booking_updated" => BookingAction::Updated,
        _ => return None,
    };
    let at = match action {
        BookingAction::Created => "createdEvent.entity",
        BookingAction::Updated => "updatedEvent.currentEntity",
        _ => "actionEvent.body.booking",
    };
    Some((action, at))
}

/// The object at a dotted path, or its `…AsJson` string twin parsed.
fn entity_at(event: &Value, path: &str) -> Result<Value, Vec<FieldError>> {
    let pointer = format!("/{}", path.replace('.', "/"));
    if let Some(found) = event.pointer(&pointer).filter(|v| !v.is_null()) {
        return Ok(found.clone());
    }
    let twin = format!("{pointer}AsJson");
    nested(event.pointer(&twin).unwrap_or(&Value::Null), path).map_err(|e| vec![e])
}

fn wix_status(status: &str) -> BookingStatus {
    match status {
        "CONFIRMED" => BookingStatus::Confirmed,
        "CANCELED" | "DECLINED" => BookingStatus::Cancelled,
        // CREATED, PENDING, WAITING_LIST, and anything Wix adds later.
        _ => BookingStatus::Scheduled,
    }
}

fn wix_payment(status: &str) -> PaymentStatus {
    match status {
        "PAID" | "EXEMPT" => PaymentStatus::Paid,
        "PARTIALLY_PAID" | "PENDING" => PaymentStatus::Pending,
        // NOT_PAID, UNDEFINED, REFUNDED, and anything new.
        _ => PaymentStatus::Unpaid,
    }
}

/// Parses the verified claims of a Wix webhook JWT.
pub fn from_wix_claims(claims: &Value) -> Result<Notice, Vec<FieldError>> {
    let data = nested(claims.get("data").unwrap_or(&Value::Null), "data").map_err(|e| vec![e])?;
    let mut envelope = Reader::new("data", &data);
    let event_type = envelope.req_str("eventType");
    let instance_id = envelope.req_str("instanceId");
    let inner = match nested(data.get("data").unwrap_or(&Value::Null), "data.data") {
        Ok(inner) => Some(inner),
        Err(e) => {
            envelope.problems.push(e);
            None
        }
    };
    let (event_type, inner) = match (event_type, inner) {
        (Some(t), Some(i)) if envelope.problems.is_empty() => (t, i),
        _ => return Err(envelope.problems),
    };

    let mut event = Reader::new("", &inner);
    let delivery_id = event.req_id("id");
    event.finish()?;
    let delivery_id = delivery_id.unwrap_or_default();

    let mut times = Reader::new("", &inner);
    let event_time = times.opt_time("eventTime");
    times.finish()?;
    let booking = match wix_action(&event_type) {
        Some((action, path)) => {
            let entity = entity_at(&inner, path)?;
            Some((action, wix_booking(&entity, path, action == BookingAction::Created)?))
        }
        None => None,
    };
    Ok(Notice {
        delivery_id,
        event_type,
        instance_id,
        booking,
        event_time,
    })
}

/// A Wix Bookings v2 booking object; `creating` requires what a new
/// booking needs (the customer and the start).
fn wix_booking(entity: &Value, prefix: &str, creating: bool) -> Result<Booking, Vec<FieldError>> {
    let mut r = Reader::new(prefix, entity);
    let id = r.req_id("id");
    if creating && r.at("contactDetails").is_none() {
        r.problem("contactDetails", "is required");
    }
    // The two parts joined stay within a person's name (200 characters).
    let first = r.name("contactDetails.firstName", 100).unwrap_or_default();
    let last = r.name("contactDetails.lastName", 99).unwrap_or_default();
    let phone = r.opt_str("contactDetails.phone");
    let email = r.opt_str("contactDetails.email");
    if r.at("contactDetails").is_some() && phone.is_none() && email.is_none() {
        r.problem("contactDetails.phone", "a phone or an email is required");
    }
    let start = r
        .opt_time("startDate")
        .or_else(|| r.opt_time("bookedEntity.slot.startDate"));
    if creating && start.is_none() && !r.problems.iter().any(|p| p.field.ends_with("startDate")) {
        r.problem("startDate", "is required");
    }
    let end = r
        .opt_time("endDate")
        .or_else(|| r.opt_time("bookedEntity.slot.endDate"));
    let service_id = r
        .opt_str("bookedEntity.slot.serviceId")
        .or_else(|| r.opt_str("bookedEntity.schedule.serviceId"));
    let service_name = r.opt_str("bookedEntity.title");
    let external_status = r.opt_str("status").unwrap_or_else(|| "CREATED".to_owned());
    let external_payment = r.opt_str("paymentStatus").unwrap_or_else(|| "UNDEFINED".to_owned());
    let contact_id = r.opt_str("contactDetails.contactId");
    let country_code = r.opt_str("contactDetails.countryCode");
    let phone_field = r.path("contactDetails.phone");
    let email_field = r.path("contactDetails.email");
    r.finish()?;
    let customer = (phone.is_some() || email.is_some()).then(|| Customer {
        name: format!("{first} {last}").trim().to_owned(),
        phone,
        phone_field,
        email,
        email_field,
        country_code,
    });
    Ok(Booking {
        external_booking_id: id.unwrap_or_default(),
        external_contact_id: contact_id,
        customer,
        service_id,
        service_name,
        start,
        end,
        status: wix_status(&external_status),
        external_status,
        payment: wix_payment(&external_payment),
        external_payment_status: external_payment,
    })
}

/// The `event` values of the seed's JSON form.
const SEED_EVENTS: [&str; 5] = [
    "bookings/created",
    "bookings/confirmed",
    "bookings/rescheduled",
    "bookings/cancelled",
    "bookings/updated",
];

/// Parses the seed's JSON form; `delivery_id` is the `webhook-id` header.
pub fn from_seed_json(body: &[u8], delivery_id: &str) -> Result<Notice, Vec<FieldError>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| vec![FieldError::new("body", format!("is not JSON: {e}"))])?;
    if !value.is_object() {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    }
    let mut r = Reader::new("", &value);
    let event = r.req_str("event");
    let instance_id = r.opt_str("instanceId");
    if let Some(event) = &event
        && !SEED_EVENTS.contains(&event.as_str())
    {
        r.problem("event", format!("must be one of {}", SEED_EVENTS.join(", ")));
    }
    r.finish()?;
    let event = event.unwrap_or_default();
    let action = match event.as_str() {
        "bookings/created" => BookingAction::Created,
        "bookings/confirmed" => BookingAction::Confirmed,
        "bookings/rescheduled" => BookingAction::Rescheduled,
        "bookings/cancelled" => BookingAction::Cancelled,
        _ => BookingAction::Updated,
    };
    let creating = action == BookingAction::Created;

    let mut r = Reader::new("", &value);
    let id = r.req_id("bookingId");
    if creating && r.at("customerInfo").is_none() {
        r.problem("customerInfo", "is required");
    }
    let name = r.name("customerInfo.name", 200).unwrap_or_default();
    let phone = r.opt_str("customerInfo.phone");
    let email = r.opt_str("customerInfo.email");
    if r.at("customerInfo").is_some() && phone.is_none() && email.is_none() {
        r.problem("customerInfo.phone", "a phone or an email is required");
    }
    let start = r.opt_time("startTime");
    let needs_start = creating || action == BookingAction::Rescheduled;
    if needs_start && start.is_none() && !r.problems.iter().any(|p| p.field == "startTime") {
        r.problem("startTime", "is required");
    }
    let end = r.opt_time("endTime");
    let event_time = r.opt_time("occurredAt");
    let external_status = r.opt_str("status").unwrap_or_else(|| "scheduled".to_owned());
    let status = match external_status.as_str() {
        "scheduled" | "rescheduled" => BookingStatus::Scheduled,
        "confirmed" => BookingStatus::Confirmed,
        "cancelled" => BookingStatus::Cancelled,
        _ => {
            r.problem("status", "must be one of scheduled, confirmed, cancelled, rescheduled");
            BookingStatus::Unspecified
        }
    };
    let external_payment = r.opt_str("paymentStatus").unwrap_or_default();
    let payment = match external_payment.as_str() {
        "" => PaymentStatus::Unspecified,
        "unpaid" => PaymentStatus::Unpaid,
        "pending" => PaymentStatus::Pending,
        "paid" => PaymentStatus::Paid,
        _ => {
            r.problem("paymentStatus", "must be one of unpaid, pending, paid");
            PaymentStatus::Unspecified
        }
    };
    let customer = (phone.is_some() || email.is_some()).then(|| Customer {
        name,
        phone,
        phone_field: "customerInfo.phone".to_owned(),
        email,
        email_field: "customerInfo.email".to_owned(),
        country_code: None,
    });
    let booking = Booking {
        external_booking_id: id.unwrap_or_default(),
        external_contact_id: r.opt_str("contactId"),
        customer,
        service_id: r.opt_str("serviceId"),
        service_name: r.opt_str("serviceName"),
        start,
        end,
        status,
        external_status,
        payment,
        external_payment_status: external_payment,
    };
    r.finish()?;
    Ok(Notice {
        delivery_id: delivery_id.to_owned(),
        event_type: event,
        instance_id,
        booking: Some((action, booking)),
        event_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Bookings v2 "booking created" event as Wix documents it.
    pub fn wix_created_claims() -> Value {
        let event = json!({
            "id": "6c9b3f5e-7a86-4d7e-9b1c-2f1f0a6d5e01",
            "entityFqdn": "wix.bookings.v2.booking",
            "slug": "created",
            "entityId": "f1d6a8b2-1c3e-4f5a-9b7d-0e2c4a6b8d10",
            "createdEvent": {
                "entity": {
                    "id": "f1d6a8b2-1c3e-4f5a-9b7d-0e2c4a6b8d10",
                    "bookedEntity": {
                        "slot": {
                            "serviceId": "a4b5c6d7-0000-4000-8000-000000000001",
                            "startDate": "2026-12-05T10:00:00.000Z",
                            "endDate": "2026-12-05T10:30:00.000Z",
                            "timezone": "Australia/Sydney"
                        },
                        "title": "Skin check"
                    },
                    "contactDetails": {
                        "contactId": "9e8d7c6b-0000-4000-8000-000000000002",
                        "firstName": "Jane",
                        "lastName": "Doe",
                        "email": "Jane@Example.com",
                        "phone": "0400 000 000",
                        "countryCode": "AU"
                    },
                    "status": "CONFIRMED",
                    "paymentStatus": "NOT_PAID",
                    "startDate": "2026-12-05T10:00:00.000Z",
                    "endDate": "2026-12-05T10:30:00.000Z",
                    "createdDate": "2026-11-21T09:00:00.000Z"
                }
            },
            "eventTime": "2026-11-21T09:00:00.123Z",
            "triggeredByAnonymizeRequest": false
        });
        let data = json!({
            "eventType": "wix.bookings.v2.booking_created",
            "instanceId": "wix-instance-1",
            "data": event.to_string(),
            "identity": json!({"identityType": "ANONYMOUS_VISITOR"}).to_string(),
        });
        json!({ "data": data.to_string(), "iat": 1_790_000_000, "exp": 1_790_300_000 })
    }

    #[test]
    fn a_documented_wix_created_event_is_mapped() {
        let notice = from_wix_claims(&wix_created_claims()).unwrap();
        assert_eq!(notice.delivery_id, "6c9b3f5e-7a86-4d7e-9b1c-2f1f0a6d5e01");
        assert_eq!(notice.instance_id.as_deref(), Some("wix-instance-1"));
        let (action, b) = notice.booking.unwrap();
        assert_eq!(action, BookingAction::Created);
        assert_eq!(b.external_booking_id, "f1d6a8b2-1c3e-4f5a-9b7d-0e2c4a6b8d10");
        let customer = b.customer.unwrap();
        assert_eq!(customer.name, "Jane Doe");
        assert_eq!(customer.phone.as_deref(), Some("0400 000 000"));
        assert_eq!(customer.country_code.as_deref(), Some("AU"));
        assert_eq!(b.service_id.as_deref(), Some("a4b5c6d7-0000-4000-8000-000000000001"));
        assert_eq!(b.service_name.as_deref(), Some("Skin check"));
        assert_eq!(b.start.unwrap().to_rfc3339(), "2026-12-05T10:00:00+00:00");
        assert_eq!(notice.event_time.unwrap().to_rfc3339(), "2026-11-21T09:00:00.123+00:00");
        assert_eq!(b.status, BookingStatus::Confirmed);
        assert_eq!(b.payment, PaymentStatus::Unpaid);
    }

    #[test]
    fn data_may_arrive_as_objects_instead_of_json_text() {
        let claims = wix_created_claims();
        let data: Value = serde_json::from_str(claims["data"].as_str().unwrap()).unwrap();
        let inner: Value = serde_json::from_str(data["data"].as_str().unwrap()).unwrap();
        let claims = json!({"data": {"eventType": data["eventType"], "instanceId": data["instanceId"], "data": inner}});
        assert!(from_wix_claims(&claims).unwrap().booking.is_some());
    }

    #[test]
    fn other_wix_event_types_are_kept_but_not_mapped() {
        let mut claims = wix_created_claims();
        let mut data: Value = serde_json::from_str(claims["data"].as_str().unwrap()).unwrap();
        data["eventType"] = json!("wix.contacts.v4.contact_created");
        claims["data"] = json!(data.to_string());
        let notice = from_wix_claims(&claims).unwrap();
        assert_eq!(notice.event_type, "wix.contacts.v4.contact_created");
        assert!(notice.booking.is_none());
    }

    #[test]
    fn a_wix_booking_without_start_or_contact_names_the_fields() {
        let mut claims = wix_created_claims();
        let mut data: Value = serde_json::from_str(claims["data"].as_str().unwrap()).unwrap();
        let mut inner: Value = serde_json::from_str(data["data"].as_str().unwrap()).unwrap();
        let entity = inner.pointer_mut("/createdEvent/entity").unwrap();
        entity.as_object_mut().unwrap().remove("startDate");
        entity["bookedEntity"]["slot"]
            .as_object_mut()
            .unwrap()
            .remove("startDate");
        entity.as_object_mut().unwrap().remove("contactDetails");
        data["data"] = json!(inner.to_string());
        claims["data"] = json!(data.to_string());
        let problems = from_wix_claims(&claims).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["createdEvent.entity.contactDetails", "createdEvent.entity.startDate"]
        );
    }

    #[test]
    fn claims_without_data_are_refused_by_name() {
        let problems = from_wix_claims(&json!({"exp": 1})).unwrap_err();
        assert_eq!(problems[0].field, "data");
    }

    #[test]
    fn the_seed_example_is_mapped() {
        let body = br#"{
          "event": "bookings/created",
          "bookingId": "wix_12345",
          "contactId": "wix_contact_789",
          "serviceId": "service_abc",
          "startTime": "2026-01-05T10:00:00Z",
          "status": "scheduled",
          "customerInfo": {"name": "Jane Doe", "phone": "+61400000000", "email": "jane@example.com"}
        }"#;
        let notice = from_seed_json(body, "msg_1").unwrap();
        assert_eq!(notice.delivery_id, "msg_1");
        let (action, b) = notice.booking.unwrap();
        assert_eq!(action, BookingAction::Created);
        assert_eq!(b.external_booking_id, "wix_12345");
        assert_eq!(b.external_contact_id.as_deref(), Some("wix_contact_789"));
        assert_eq!(b.customer.unwrap().phone.as_deref(), Some("+61400000000"));
        assert_eq!(b.status, BookingStatus::Scheduled);
    }

    #[test]
    fn every_bad_seed_field_is_named() {
        let body = br#"{"event": "bookings/created", "startTime": "next tuesday", "status": "maybe", "customerInfo": {"name": "X"}}"#;
        let problems = from_seed_json(body, "m").unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["bookingId", "customerInfo.phone", "startTime", "status"]);
        assert!(problems[2].reason.contains("RFC 3339"));
    }

    #[test]
    fn an_unknown_seed_event_is_refused_and_a_cancellation_needs_only_the_booking() {
        let problems = from_seed_json(br#"{"event": "bookings/exploded"}"#, "m").unwrap_err();
        assert_eq!(problems[0].field, "event");
        let cancel = from_seed_json(br#"{"event": "bookings/cancelled", "bookingId": "x"}"#, "m").unwrap();
        let (action, b) = cancel.booking.unwrap();
        assert_eq!(action, BookingAction::Cancelled);
        assert_eq!(b.external_booking_id, "x");
        assert!(b.customer.is_none());
        let moved = from_seed_json(br#"{"event": "bookings/rescheduled", "bookingId": "x"}"#, "m").unwrap_err();
        assert_eq!(moved[0].field, "startTime", "a reschedule needs the new time");
    }

    /// Wix puts confirmations, cancellations, declines and reschedules at
    /// actionEvent.body.booking, and updates at updatedEvent.currentEntity.
    #[test]
    fn every_wix_booking_action_is_mapped_from_where_wix_puts_it() {
        let booking = json!({
            "id": "b-1",
            "status": "CANCELED",
            "startDate": "2026-12-06T01:00:00Z",
            "contactDetails": {"firstName": "Jo", "phone": "+61400000001"}
        });
        for (event_type, body, action) in [
            (
                "wix.bookings.v2.booking_confirmed",
                json!({"actionEvent": {"body": {"booking": booking}}}),
                BookingAction::Confirmed,
            ),
            (
                "wix.bookings.v2.booking_canceled",
                json!({"actionEvent": {"body": {"booking": booking}}}),
                BookingAction::Cancelled,
            ),
            (
                "wix.bookings.v2.booking_declined",
                json!({"actionEvent": {"body": {"booking": booking}}}),
                BookingAction::Declined,
            ),
            (
                "wix.bookings.v2.booking_rescheduled",
                json!({"actionEvent": {"body": {"booking": booking}}}),
                BookingAction::Rescheduled,
            ),
            (
                "wix.bookings.v2.booking_updated",
                json!({"updatedEvent": {"currentEntityAsJson": booking.to_string()}}),
                BookingAction::Updated,
            ),
        ] {
            let mut inner = body;
            inner["id"] = json!(format!("evt-{event_type}"));
            let data = json!({"eventType": event_type, "instanceId": "i", "data": inner.to_string()});
            let notice = from_wix_claims(&json!({"data": data.to_string()})).unwrap();
            let (mapped, b) = notice.booking.expect(event_type);
            assert_eq!(mapped, action, "{event_type}");
            assert_eq!(b.external_booking_id, "b-1");
            assert_eq!(b.start.unwrap().to_rfc3339(), "2026-12-06T01:00:00+00:00");
        }
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_refused() {
        assert_eq!(from_seed_json(b"[1,2]", "m").unwrap_err()[0].field, "body");
        assert_eq!(from_seed_json(b"{nope", "m").unwrap_err()[0].field, "body");
    }
}

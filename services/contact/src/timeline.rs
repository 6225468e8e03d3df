//! A contact's timeline, newest first, a keyset page at a time; and a
//! touchpoint logged through the API (a rule's `log_touchpoint`, a call
//! staff made), of a type [`crate::touch_types`] knows. The other
//! touchpoints are recorded by the consumers ([`crate::consumers`]), all
//! through [`crate::touch::Recorder`].

use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::{Draft, from_timestamp};
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{BookingId, ContactId, TouchpointId, TypedId};
use attend_kit::{Error, FieldError, cursor, text};
use attend_proto::contact::v1 as pb;

use crate::api::Api;
use crate::store::{self, Added, NewTouchpoint, TouchpointRow};
use crate::touch_types::{self, Refused};

/// Longest details text taken.
const DETAILS_MAX: usize = 10_000;

/// A touchpoint to log, read from the request; every bad field named.
fn parse_log(req: &pb::LogTouchpointRequest, contact: ContactId) -> Result<NewTouchpoint, Error> {
    let mut problems = Vec::new();
    let kind = match touch_types::loggable(req.r#type.trim()) {
        Ok(kind) => Some(kind),
        Err(Refused::Unknown) => {
            problems.push(FieldError::new(
                "type",
                format!("must be one of {}", touch_types::loggable_names()),
            ));
            None
        }
        Err(Refused::RecordedOnly) => {
            problems.push(FieldError::new(
                "type",
                "is recorded by a change of stage (MoveContact), not logged",
            ));
            None
        }
    };
    let source = text::collect(&mut problems, "source", text::line(&req.source, 100));
    let channel = text::collect(&mut problems, "channel", text::line(&req.channel, 200));
    let details = text::collect(
        &mut problems,
        "details_json",
        text::json_object(&req.details_json, DETAILS_MAX),
    );
    let booking = match req.booking_id.trim() {
        "" => None,
        id => text::collect(
            &mut problems,
            "booking_id",
            BookingId::parse_uuid(id)
                .or_else(|_| BookingId::parse_public(id))
                .map_err(|e| e.to_string()),
        ),
    };
    let occurred_at = match &req.occurred_at {
        None => Some(chrono::Utc::now()),
        Some(at) => {
            let at = from_timestamp(at);
            if at.is_none() {
                problems.push(FieldError::new("occurred_at", "is not a valid time"));
            }
            at
        }
    };
    let (Some(kind), Some(source), Some(channel), Some(mut details), Some(occurred_at), true) =
        (kind, source, channel, details, occurred_at, problems.is_empty())
    else {
        return Err(Error::Invalid(problems));
    };
    if let Some(booking) = booking {
        // As the timeline's booking touchpoints name it.
        details.insert("booking_id".to_owned(), booking.to_string().into());
    }
    Ok(NewTouchpoint {
        id: TouchpointId::new(),
        contact,
        occurred_at,
        kind,
        source: if source.is_empty() { "System".to_owned() } else { source },
        channel: Some(channel).filter(|c| !c.is_empty()),
        details: serde_json::Value::Object(details),
        is_attribution_event: req.is_attribution_event,
        source_event_id: None,
    })
}

impl Api {
    pub(crate) async fn list_touchpoints(
        &self,
        caller: Caller,
        req: pb::ListTouchpointsRequest,
    ) -> Result<pb::ListTouchpointsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let limit = match req.limit {
            0 => 100,
            n @ 1..=500 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be between 1 and 500")),
        };
        let before = match req.cursor.trim() {
            "" => None,
            text => {
                let (key, id) = cursor::decode("cursor", "timeline", text)?;
                Some((cursor::parse_time_key("cursor", &key)?, id))
            }
        };
        let mut tx = self.db.tenant(org).await?;
        if store::get(&mut tx, org, id).await?.is_none() {
            return Err(Error::NotFound("contact".to_owned()));
        }
        let mut rows = store::touchpoints(&mut tx, org, id, before, limit + 1).await?;
        let next_cursor = cursor::next_page(&mut rows, limit, |t| {
            cursor::encode("timeline", &cursor::time_key(t.occurred_at), t.id)
        });
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("contact.read_timeline", "contact", id),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListTouchpointsResponse {
            touchpoints: rows.into_iter().map(TouchpointRow::into_proto).collect(),
            next_cursor,
        })
    }

    pub(crate) async fn log_touchpoint(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::LogTouchpointRequest,
    ) -> Result<pb::Touchpoint, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let new = parse_log(&req, id)?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "LogTouchpoint", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        // On the contact, or the one it was merged into; rescored when the
        // type counts.
        let contact = match self.recorder().add(&mut tx, org, &new, None).await? {
            Added::To(contact) => contact,
            Added::NoContact => return Err(Error::NotFound("contact".to_owned())),
            Added::Already => {
                return Err(Error::Internal(anyhow::anyhow!(
                    "a touchpoint without a source event was taken for a duplicate"
                )));
            }
        };
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("contact.log_touchpoint", "contact", contact)
                .with_details(serde_json::json!({ "type": new.kind, "touchpoint": new.id.to_string() })),
        )
        .await?;
        let response = TouchpointRow {
            id: new.id.uuid(),
            contact_id: contact.uuid(),
            occurred_at: new.occurred_at,
            kind: new.kind.to_owned(),
            source: new.source,
            channel: new.channel,
            details: new.details,
            is_attribution_event: new.is_attribution_event,
        }
        .into_proto();
        let event = pb::TouchpointLogged {
            touchpoint: Some(response.clone()),
            actor: Actor::of(&caller).to_string(),
        };
        self.outbox
            .add(&mut tx, Draft::new(org, &event).about("contact_id", contact))
            .await?;
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: &str, details: &str) -> pb::LogTouchpointRequest {
        pb::LogTouchpointRequest {
            contact_id: String::new(),
            r#type: kind.to_owned(),
            details_json: details.to_owned(),
            ..Default::default()
        }
    }

    fn refused_fields(req: &pb::LogTouchpointRequest) -> Vec<String> {
        match parse_log(req, ContactId::new()) {
            Err(Error::Invalid(problems)) => problems.into_iter().map(|p| p.field).collect(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_logged_call_defaults_to_a_system_source_now_and_keeps_its_booking() {
        let booking = BookingId::new();
        let mut req = request("call_attempted", r#"{"outcome": "voicemail"}"#);
        req.booking_id = booking.uuid().to_string();
        let t = parse_log(&req, ContactId::new()).unwrap();
        assert_eq!(
            (t.kind, t.source.as_str(), t.channel),
            ("call_attempted", "System", None)
        );
        assert_eq!(t.details["outcome"], "voicemail");
        assert_eq!(t.details["booking_id"], booking.to_string());
        assert!((chrono::Utc::now() - t.occurred_at).num_seconds() < 5);
    }

    #[test]
    fn every_bad_field_of_a_logged_touchpoint_is_named() {
        assert_eq!(refused_fields(&request("fax_sent", "")), ["type"]);
        assert_eq!(refused_fields(&request("stage_changed", "")), ["type"]);
        assert_eq!(refused_fields(&request("call_attempted", "[1]")), ["details_json"]);
        assert_eq!(
            refused_fields(&request("call_attempted", r#"{"note": "a\u0000b"}"#)),
            ["details_json"],
            "a NUL can't be stored"
        );
        let mut req = request("nope", "{");
        req.source = "Front\u{0}desk".to_owned();
        req.booking_id = "booking_nope".to_owned();
        req.occurred_at = Some(prost_types::Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        });
        assert_eq!(
            refused_fields(&req),
            ["type", "source", "details_json", "booking_id", "occurred_at"]
        );
    }
}

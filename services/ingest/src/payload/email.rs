//! SendGrid's Event Webhook, parsed.
//!
//! A delivery is a JSON array of events, batched by SendGrid (several
//! emails, several organisations, in any order). Each event is an object:
//!
//! ```json
//! [{"email": "sam@example.com", "timestamp": 1775012927, "event": "click",
//!   "url": "https://clinic.example/book", "sg_event_id": "sZROwMGMagFgnOEmSdvhig==",
//!   "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
//!   "useragent": "Mozilla/5.0 …", "ip": "255.255.255.255",
//!   "attend_id": "0190f3a4-5b6c-7d8e-9f00-112233445566", "org": "harbour-physio"}]
//! ```
//!
//! - `event`: processed, delivered, open, click, bounce, dropped, deferred,
//!   spamreport, unsubscribe or group_unsubscribe (others, such as
//!   group_resubscribe, are not handled);
//! - `email`, `timestamp` (Unix seconds), `sg_event_id` (unique per event:
//!   the dedupe key), `sg_message_id`;
//! - `url` (click), `reason` (bounce, dropped, deferred: also `response`
//!   for deferred), `type` (a bounce's kind: bounce or blocked), `status`
//!   (a bounce's SMTP status);
//! - our `custom_args`, which SendGrid copies to the top level of every
//!   event: `attend_id` (our email id) and `org` (the organisation's slug).
//!
//! An event without `attend_id` or `org` was not sent by attend (the same
//! SendGrid account may send other mail) and is left alone.

use attend_kit::FieldError;
use attend_kit::contact_point::Email;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{ID_MAX, Reader};

/// The events handled.
pub const EVENTS: [&str; 10] = [
    "processed",
    "delivered",
    "open",
    "click",
    "bounce",
    "dropped",
    "deferred",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
];

/// One event, read.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailEvent {
    pub event: &'static str,
    /// Lower-cased.
    pub email: String,
    pub event_id: String,
    pub message_id: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub url: Option<String>,
    pub reason: Option<String>,
    pub bounce_type: Option<String>,
    pub status: Option<String>,
    /// Our email id.
    pub reference: String,
    /// The organisation's slug.
    pub org: String,
}

/// What became of one element of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An event of ours to accept.
    Event(Box<EmailEvent>),
    /// Not ours (no `attend_id` or `org`), or an event we don't handle: left
    /// alone, with why.
    Ignored { event_id: Option<String>, why: String },
    /// Ours, but unreadable: refused on its own, each field named.
    Malformed {
        event_id: Option<String>,
        problems: Vec<FieldError>,
    },
}

/// The batch, element by element, each with its own JSON (what the event
/// log keeps). A body that isn't a JSON array of objects is refused whole.
pub fn sendgrid_batch(body: &[u8]) -> Result<Vec<(Item, Value)>, Vec<FieldError>> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        vec![FieldError::new(
            "body",
            format!("is not JSON ({e}); SendGrid sends a JSON array"),
        )]
    })?;
    let Value::Array(items) = value else {
        return Err(vec![FieldError::new("body", "must be a JSON array of events")]);
    };
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if !item.is_object() {
            problems.push(FieldError::new(format!("[{i}]"), "must be an event object"));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, item)| (read(i, &item), item))
        .collect())
}

fn read(index: usize, value: &Value) -> Item {
    let prefix = format!("[{index}]");
    let mut r = Reader::new(&prefix, value);
    let event_id = r.bounded("sg_event_id", ID_MAX);
    let reference = r.bounded("attend_id", ID_MAX);
    let org = r.bounded("org", ID_MAX);
    let (Some(reference), Some(org)) = (reference, org) else {
        return Item::Ignored {
            event_id,
            why: "not sent by attend (no attend_id and org)".to_owned(),
        };
    };
    let kind = r.opt_str("event");
    let Some(event) = kind.as_deref().and_then(|k| EVENTS.iter().find(|e| **e == k).copied()) else {
        return Item::Ignored {
            event_id,
            why: format!("event {:?} is not handled", kind.unwrap_or_default()),
        };
    };
    if event_id.is_none() && !r.problems.iter().any(|p| p.field == r.path("sg_event_id")) {
        r.problem("sg_event_id", "is required");
    }
    let email = r.req_str("email").and_then(|raw| match Email::parse(&raw) {
        Ok(email) => Some(email.to_string()),
        Err(why) => {
            r.problem("email", why);
            None
        }
    });
    let message_id = r.bounded("sg_message_id", ID_MAX);
    let occurred_at = r.opt_instant("timestamp");
    let url = r.opt_str("url");
    let reason = r.opt_str("reason").or_else(|| r.opt_str("response"));
    let bounce_type = r.bounded("type", 40);
    let status = r.bounded("status", 40);
    if !r.problems.is_empty() {
        return Item::Malformed {
            event_id,
            problems: r.problems,
        };
    }
    match (event_id, email) {
        (Some(event_id), Some(email)) => Item::Event(Box::new(EmailEvent {
            event,
            email,
            event_id,
            message_id,
            occurred_at,
            url,
            reason,
            bounce_type,
            status,
            reference,
            org,
        })),
        (event_id, _) => Item::Malformed {
            event_id,
            problems: vec![FieldError::new(prefix, "is incomplete")],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn batch(events: Value) -> Vec<Item> {
        sendgrid_batch(events.to_string().as_bytes())
            .unwrap()
            .into_iter()
            .map(|(item, _)| item)
            .collect()
    }

    /// SendGrid's documented sample batch, with our custom_args.
    fn sample() -> Value {
        let ours = |mut v: Value| {
            v["attend_id"] = json!("0190f3a4-5b6c-7d8e-9f00-112233445566");
            v["org"] = json!("harbour-physio");
            v
        };
        json!([
            ours(
                json!({"email": "Example@Test.com", "timestamp": 1_513_299_569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
                        "event": "processed", "category": "cat facts", "sg_event_id": "rbtnWrG1DVDGGGFHFyun0A==",
                        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000"})
            ),
            ours(
                json!({"email": "example@test.com", "timestamp": 1_513_299_569, "event": "bounce", "reason": "500 unknown recipient",
                        "status": "5.0.0", "type": "bounce", "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
                        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"})
            ),
            ours(
                json!({"email": "example@test.com", "timestamp": 1_513_299_569, "event": "click", "url": "http://www.sendgrid.com/",
                        "useragent": "Mozilla/4.0", "ip": "255.255.255.255", "sg_event_id": "kCAi1KttyQdEKHhdC-nuEA==",
                        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"})
            ),
            json!({"email": "example@test.com", "timestamp": 1_513_299_569, "event": "open",
                   "sg_event_id": "FOTFFO0ecsBE-zxFXfs6WA==", "sg_message_id": "x"}),
            ours(
                json!({"email": "example@test.com", "timestamp": 1_513_299_569, "event": "group_resubscribe",
                        "sg_event_id": "G1", "asm_group_id": 10})
            )
        ])
    }

    #[test]
    fn a_batch_yields_its_events_with_our_custom_args() {
        let items = batch(sample());
        let Item::Event(processed) = &items[0] else {
            panic!("{:?}", items[0])
        };
        assert_eq!(processed.event, "processed");
        assert_eq!(processed.email, "example@test.com", "lower-cased");
        assert_eq!(processed.reference, "0190f3a4-5b6c-7d8e-9f00-112233445566");
        assert_eq!(processed.org, "harbour-physio");
        assert_eq!(processed.event_id, "rbtnWrG1DVDGGGFHFyun0A==");
        assert_eq!(processed.occurred_at, DateTime::from_timestamp(1_513_299_569, 0));
        let Item::Event(bounce) = &items[1] else { panic!() };
        assert_eq!(
            (
                bounce.reason.as_deref(),
                bounce.bounce_type.as_deref(),
                bounce.status.as_deref()
            ),
            (Some("500 unknown recipient"), Some("bounce"), Some("5.0.0"))
        );
        let Item::Event(click) = &items[2] else { panic!() };
        assert_eq!(click.url.as_deref(), Some("http://www.sendgrid.com/"));
    }

    #[test]
    fn events_not_sent_by_attend_or_not_handled_are_left_alone() {
        let items = batch(sample());
        assert!(
            matches!(&items[3], Item::Ignored { why, .. } if why.contains("not sent by attend")),
            "{:?}",
            items[3]
        );
        assert!(
            matches!(&items[4], Item::Ignored { why, .. } if why.contains("group_resubscribe")),
            "{:?}",
            items[4]
        );
    }

    #[test]
    fn an_event_of_ours_missing_its_id_or_address_is_refused_alone_naming_them() {
        let items = batch(json!([
            {"event": "open", "attend_id": "x", "org": "o", "email": "not an address"},
            {"event": "delivered", "attend_id": "x", "org": "o", "email": "a@b.example", "sg_event_id": "ok"}
        ]));
        let Item::Malformed { problems, .. } = &items[0] else {
            panic!("{:?}", items[0])
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["[0].sg_event_id", "[0].email"]);
        assert!(matches!(items[1], Item::Event(_)));
    }

    #[test]
    fn a_body_that_is_not_an_array_of_objects_is_refused_whole() {
        assert!(sendgrid_batch(b"{}").is_err());
        assert!(sendgrid_batch(b"not json").is_err());
        let problems = sendgrid_batch(br#"[{"event":"open"}, 3]"#).unwrap_err();
        assert_eq!(problems[0].field, "[1]");
        assert_eq!(sendgrid_batch(b"[]").unwrap(), vec![]);
    }
}

//! Text messages and delivery reports from ClickSend and Twilio, parsed.
//!
//! - ClickSend inbound (an inbound rule's URL action, `post` or `json`):
//!   `message_id`, `from`, `to`, `body` (also sent as `message`),
//!   `timestamp` (Unix seconds), `original_message_id`, `custom_string`.
//! - ClickSend delivery receipts: `message_id`, `status_code` (200 in
//!   flight, 201 delivered, 300/302 temporary failure, 301 failed),
//!   `status_text`, `error_code`, `error_text`, `timestamp`, and
//!   `custom_string` (our own message id, as messaging sent it); no
//!   recipient.
//! - Twilio inbound: form fields `MessageSid`, `From`, `To`, `Body`, ...
//! - Twilio status callbacks: `MessageSid`, `MessageStatus` (queued,
//!   sending, sent, delivered, read, undelivered, failed, canceled, ...),
//!   `ErrorCode`, `To`, `From`; and `attend_id`, our own message id, from
//!   the query of the callback URL messaging gave Twilio.
//!
//! Phones stay raw here; the edge reads them with the organisation's region.

use attend_kit::FieldError;
use attend_kit::text;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{ID_MAX, Reader};

/// An inbound text.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub message_id: String,
    pub from: String,
    pub from_field: &'static str,
    pub to: Option<String>,
    pub body: String,
    pub received_at: Option<DateTime<Utc>>,
    pub original_message_id: Option<String>,
}

/// A delivery report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub message_id: String,
    /// queued, sent, delivered, retrying or failed.
    pub status: &'static str,
    pub provider_status: String,
    pub error_code: Option<String>,
    pub error_text: Option<String>,
    pub to: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    /// Our own id for the message, echoed by the provider.
    pub reference: Option<String>,
}

impl Report {
    /// The dedupe key: one report per message and status.
    pub fn delivery_id(&self) -> String {
        format!("{}:{}", self.message_id, self.provider_status)
    }
}

const BODY_MAX: usize = 1_600;

pub fn clicksend_inbound(body: &Value) -> Result<Inbound, Vec<FieldError>> {
    let mut r = Reader::new("", body);
    let message_id = r.req_id("message_id");
    let from = r.req_str("from");
    let to = r.opt_str("to");
    let text = r.first_str(&["body", "message"]).unwrap_or_default();
    if text.chars().count() > BODY_MAX {
        r.problem("body", format!("must be at most {BODY_MAX} characters"));
    }
    let received_at = r.opt_instant("timestamp");
    let original_message_id = r.opt_str("original_message_id");
    r.finish()?;
    Ok(Inbound {
        message_id: message_id.unwrap_or_default(),
        from: from.unwrap_or_default(),
        from_field: "from",
        to,
        body: text,
        received_at,
        original_message_id,
    })
}

/// ClickSend's gateway status code as one of our statuses.
fn clicksend_status(code: i64) -> Option<&'static str> {
    match code {
        200 => Some("sent"),
        201 => Some("delivered"),
        300 | 302 => Some("retrying"),
        301 => Some("failed"),
        _ => None,
    }
}

pub fn clicksend_receipt(body: &Value) -> Result<Report, Vec<FieldError>> {
    let mut r = Reader::new("", body);
    let message_id = r.req_id("message_id");
    let code = r.opt_int("status_code");
    let status = match code {
        Some(code) => clicksend_status(code).or_else(|| {
            r.problem(
                "status_code",
                format!("{code} is not a ClickSend status code (200, 201, 300, 301, 302)"),
            );
            None
        }),
        None => {
            if !r.problems.iter().any(|p| p.field == "status_code") {
                r.problem("status_code", "is required");
            }
            None
        }
    };
    let error_code = r.opt_int("error_code").map(|c| c.to_string());
    let error_text = r
        .opt_str("error_text")
        .or_else(|| r.opt_str("status_text").filter(|_| code != Some(201)));
    let reported_at = r.opt_instant("timestamp");
    let reference = r.bounded("custom_string", ID_MAX);
    r.finish()?;
    Ok(Report {
        message_id: message_id.unwrap_or_default(),
        status: status.unwrap_or("sent"),
        provider_status: code.unwrap_or_default().to_string(),
        error_code,
        error_text,
        to: None,
        reported_at,
        reference,
    })
}

pub fn twilio_inbound(body: &Value) -> Result<Inbound, Vec<FieldError>> {
    let mut r = Reader::new("", body);
    let message_id = r.req_id("MessageSid");
    let from = r.req_str("From");
    let to = r.opt_str("To");
    let text = r.opt_str("Body").unwrap_or_default();
    if text.chars().count() > BODY_MAX {
        r.problem("Body", format!("must be at most {BODY_MAX} characters"));
    }
    r.finish()?;
    Ok(Inbound {
        message_id: message_id.unwrap_or_default(),
        from: from.unwrap_or_default(),
        from_field: "From",
        to,
        body: text,
        received_at: None,
        original_message_id: None,
    })
}

fn twilio_status(status: &str) -> Option<&'static str> {
    match status {
        "accepted" | "scheduled" | "queued" => Some("queued"),
        "sending" | "sent" => Some("sent"),
        "delivered" | "read" => Some("delivered"),
        "undelivered" | "failed" | "canceled" => Some("failed"),
        _ => None,
    }
}

pub fn twilio_status_callback(body: &Value) -> Result<Report, Vec<FieldError>> {
    let mut r = Reader::new("", body);
    let message_id = r.req_id("MessageSid");
    let provider_status = r.req_str("MessageStatus");
    let status = provider_status.as_deref().and_then(|s| {
        twilio_status(s).or_else(|| {
            r.problem(
                "MessageStatus",
                format!("{} is not a status of a message we sent", text::shown(s)),
            );
            None
        })
    });
    let error_code = r.opt_str("ErrorCode");
    let error_text = r.opt_str("ErrorMessage");
    let to = r.opt_str("To");
    // From the query of the callback URL we gave Twilio (merged into the
    // fields by the edge).
    let reference = r.bounded("attend_id", ID_MAX);
    r.finish()?;
    Ok(Report {
        message_id: message_id.unwrap_or_default(),
        status: status.unwrap_or("sent"),
        provider_status: provider_status.unwrap_or_default(),
        error_code,
        error_text,
        to,
        reported_at: None,
        reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::object;
    use serde_json::json;

    /// The inbound example from ClickSend's own integration (json mode).
    #[test]
    fn clicksend_inbound_as_clicksend_sends_it() {
        let body = json!({
            "originalsenderid": "+61477485926", "body": "trigger reply", "message": "trigger reply",
            "sms": "+61429912603", "from": "+61429912603", "to": "+61477485926", "timestamp": 1_775_012_927,
            "message_id": "1F12D781-99C1-6D94-96FE-F5A311C8997D",
            "original_message_id": "1F12D717-947A-6FBC-BBFE-D14C2927CEEF", "original_body": "TESTING TRIGGER",
            "user_id": 304_497, "subaccount_id": 745_158, "custom_string": ""
        });
        let sms = clicksend_inbound(&body).unwrap();
        assert_eq!(sms.message_id, "1F12D781-99C1-6D94-96FE-F5A311C8997D");
        assert_eq!(sms.from, "+61429912603");
        assert_eq!(sms.to.as_deref(), Some("+61477485926"));
        assert_eq!(sms.body, "trigger reply");
        assert_eq!(sms.received_at.unwrap().timestamp(), 1_775_012_927);
        assert_eq!(
            sms.original_message_id.as_deref(),
            Some("1F12D717-947A-6FBC-BBFE-D14C2927CEEF")
        );
    }

    #[test]
    fn clicksend_inbound_form_posts_read_the_same() {
        let body = b"from=%2B61429912603&to=%2B61477485926&body=Yes+I+confirm&timestamp=1775012927&message_id=ABC";
        let value = object(body, Some("application/x-www-form-urlencoded")).unwrap();
        let sms = clicksend_inbound(&value).unwrap();
        assert_eq!(
            (sms.body.as_str(), sms.received_at.unwrap().timestamp()),
            ("Yes I confirm", 1_775_012_927)
        );
        let problems = clicksend_inbound(&json!({"body": "hi", "timestamp": "soon"})).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["message_id", "from", "timestamp"]);
    }

    /// The receipt example from ClickSend's SDK documentation.
    #[test]
    fn clicksend_receipts_map_status_codes() {
        let body = json!({
            "timestamp_send": 1_442_381_791, "timestamp": 1_442_381_791,
            "message_id": "31BC271B-1E0C-45F6-9E7E-97186C46BB82", "status_code": 201,
            "status_text": "Success: Message received on handset.", "error_code": null, "error_text": null,
            "custom_string": null, "subaccount_id": null, "message_type": "sms", "digits": null
        });
        let report = clicksend_receipt(&body).unwrap();
        assert_eq!((report.status, report.provider_status.as_str()), ("delivered", "201"));
        assert_eq!(report.error_text, None);
        let failed = clicksend_receipt(
            &json!({"message_id": "X", "status_code": "301", "error_code": "11", "error_text": "Absent subscriber"}),
        )
        .unwrap();
        assert_eq!((failed.status, failed.error_code.as_deref()), ("failed", Some("11")));
        assert_eq!(
            clicksend_receipt(&json!({"message_id": "X", "status_code": 300}))
                .unwrap()
                .status,
            "retrying"
        );
        let problems = clicksend_receipt(&json!({"message_id": "X", "status_code": 999})).unwrap_err();
        assert_eq!(problems[0].field, "status_code");
    }

    #[test]
    fn twilio_messages_and_status_callbacks_are_read() {
        let inbound = b"ToCountry=US&SmsMessageSid=SMe287&NumMedia=0&ToCity=&SmsSid=SMe287&SmsStatus=received&Body=Msg&To=%2B12028831111&NumSegments=1&MessageSid=SMe287&AccountSid=AC1&From=%2B14133881111&ApiVersion=2010-04-01";
        let value = object(inbound, Some("application/x-www-form-urlencoded")).unwrap();
        let sms = twilio_inbound(&value).unwrap();
        assert_eq!(
            (sms.message_id.as_str(), sms.from.as_str(), sms.body.as_str()),
            ("SMe287", "+14133881111", "Msg")
        );
        let status = b"AccountSid=AC1&From=%2B15017250604&MessageSid=SM1342&MessageStatus=undelivered&To=%2B15558675310&ErrorCode=30003";
        let value = object(status, Some("application/x-www-form-urlencoded")).unwrap();
        let report = twilio_status_callback(&value).unwrap();
        assert_eq!((report.status, report.error_code.as_deref()), ("failed", Some("30003")));
        assert_eq!(report.to.as_deref(), Some("+15558675310"));
        assert_eq!(report.delivery_id(), "SM1342:undelivered");
    }

    /// Found while fuzzing: a status Twilio never sends was quoted whole in the
    /// refusal, all 5,000 characters of it.
    #[test]
    fn an_unknown_twilio_status_is_refused_without_echoing_it_whole() {
        let problems =
            twilio_status_callback(&json!({"MessageSid": "SM1", "MessageStatus": "x".repeat(5_000)})).unwrap_err();
        assert_eq!(problems[0].field, "MessageStatus");
        assert!(problems[0].reason.len() < 150, "{}", problems[0].reason);
        assert!(
            problems[0]
                .reason
                .ends_with("(5000 characters) is not a status of a message we sent")
        );
    }
}

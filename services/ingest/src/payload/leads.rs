//! Leads: ManyChat External Requests and web form submissions, parsed.
//!
//! ManyChat sends whatever JSON the flow's External Request is set up to
//! send. We take seed 000's body, `{event, subscriber{name, phone, email},
//! flow_name, buttons_clicked, intent}`, where `subscriber` may also be
//! ManyChat's "Full Contact Data" object (`id`, `first_name`, `last_name`,
//! `phone`, `email`, ...).
//!
//! Forms post JSON or `application/x-www-form-urlencoded` with the
//! person's `name` (or `first_name`/`last_name`), `phone`, `email`,
//! `message`, `intent`, `source`, and the visit's `utm_*` tags and
//! `fbclid`/`gclid`.
//!
//! Phones and emails stay raw here, as in [`super::wix`]: reading a local
//! number needs the organisation's region.

use attend_kit::FieldError;
use attend_proto::ingest::v1::Utm;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{ID_MAX, Reader};

/// A lead, verified and parsed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lead {
    /// The sender's own id for this delivery, when it has one.
    pub delivery_id: Option<String>,
    pub event: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub phone_field: &'static str,
    pub email: Option<String>,
    pub email_field: &'static str,
    pub intent: Option<String>,
    pub flow_name: Option<String>,
    pub buttons_clicked: Vec<String>,
    pub external_contact_id: Option<String>,
    pub source: Option<String>,
    pub utm: Utm,
    pub click_id: Option<String>,
    pub form_name: Option<String>,
    pub page_url: Option<String>,
    pub message: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A ManyChat subscriber id is a number or a string; a string is read
/// like every id (scrubbed, at most [`ID_MAX`] characters).
fn subscriber_id(r: &mut Reader<'_>) -> Option<String> {
    match r.at("subscriber.id")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(_) => r.bounded("subscriber.id", ID_MAX),
        _ => None,
    }
}

/// Parses a ManyChat External Request body.
pub fn from_manychat(body: &Value) -> Result<Lead, Vec<FieldError>> {
    let mut r = Reader::new("", body);
    let event = r.bounded("event", 100);
    if event.is_none() && !r.problems.iter().any(|p| p.field == "event") {
        r.problem("event", "is required, e.g. flow_completed");
    }
    if r.at("subscriber").is_none() {
        r.problem("subscriber", "is required: the contact's name, phone and email");
    }
    // The two parts joined stay within a person's name (200 characters).
    let first = r.name("subscriber.first_name", 100);
    let last = r.name("subscriber.last_name", 99);
    let name = r.name("subscriber.name", 200).or_else(|| {
        let joined = [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ");
        (!joined.is_empty()).then_some(joined)
    });
    let phone = r.bounded("subscriber.phone", 40);
    let email = r.bounded("subscriber.email", 254);
    if r.at("subscriber").is_some() && phone.is_none() && email.is_none() {
        r.problem(
            "subscriber.phone",
            "a phone or an email is required to know who this is",
        );
    }
    let lead = Lead {
        delivery_id: r.bounded("event_id", ID_MAX),
        event: event.unwrap_or_default(),
        name,
        phone,
        phone_field: "subscriber.phone",
        email,
        email_field: "subscriber.email",
        intent: r.bounded("intent", 100),
        flow_name: r.bounded("flow_name", 200),
        buttons_clicked: r.str_list("buttons_clicked", 200),
        external_contact_id: subscriber_id(&mut r),
        occurred_at: r.opt_instant("subscriber.last_interaction"),
        ..Lead::default()
    };
    if lead.buttons_clicked.len() > 50 {
        r.problem("buttons_clicked", "must list at most 50 buttons");
    }
    r.finish()?;
    Ok(lead)
}

/// Parses a form submission (already read into an object).
pub fn from_form(body: &Value) -> Result<Lead, Vec<FieldError>> {
    let mut r = Reader::new("", body);
    // The two parts joined stay within a person's name (200 characters).
    let first = r.name("first_name", 100);
    let last = r.name("last_name", 99);
    let name = r.name("name", 200).or_else(|| r.name("full_name", 200)).or_else(|| {
        let joined = [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ");
        (!joined.is_empty()).then_some(joined)
    });
    let (phone_field, phone) = ["phone", "phone_number", "mobile"]
        .into_iter()
        .find_map(|f| r.bounded(f, 40).map(|p| (f, p)))
        .map_or(("phone", None), |(f, p)| (f, Some(p)));
    let email = r.bounded("email", 254);
    if phone.is_none() && email.is_none() {
        r.problem("phone", "a phone or an email is required so the practice can reply");
    }
    let tag = |r: &mut Reader<'_>, name: &str| {
        r.bounded(&format!("utm_{name}"), 200)
            .or_else(|| r.bounded(&format!("utm.{name}"), 200))
    };
    let utm = Utm {
        source: tag(&mut r, "source").unwrap_or_default(),
        medium: tag(&mut r, "medium").unwrap_or_default(),
        campaign: tag(&mut r, "campaign").unwrap_or_default(),
        term: tag(&mut r, "term").unwrap_or_default(),
        content: tag(&mut r, "content").unwrap_or_default(),
    };
    let lead = Lead {
        delivery_id: r
            .bounded("submission_id", ID_MAX)
            .or_else(|| r.bounded("event_id", ID_MAX)),
        event: "form_submit".to_owned(),
        name,
        phone,
        phone_field,
        email,
        email_field: "email",
        intent: r.bounded("intent", 100),
        source: r.bounded("source", 100),
        utm,
        click_id: r.bounded("fbclid", 500).or_else(|| r.bounded("gclid", 500)),
        form_name: r.bounded("form_name", 200).or_else(|| r.bounded("form", 200)),
        page_url: r.bounded("page_url", 2000),
        message: r.bounded("message", 2000),
        occurred_at: r.opt_instant("submitted_at"),
        ..Lead::default()
    };
    r.finish()?;
    Ok(lead)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_seed_manychat_body_is_read() {
        let body = json!({
            "event": "flow_completed",
            "subscriber": {"name": "John Smith", "phone": "+61411222333", "email": "john@example.com"},
            "flow_name": "High Risk Inquiry",
            "buttons_clicked": ["Book Now", "Learn More"],
            "intent": "procedure"
        });
        let lead = from_manychat(&body).unwrap();
        assert_eq!(lead.event, "flow_completed");
        assert_eq!(lead.name.as_deref(), Some("John Smith"));
        assert_eq!(lead.phone.as_deref(), Some("+61411222333"));
        assert_eq!(lead.email.as_deref(), Some("john@example.com"));
        assert_eq!(lead.flow_name.as_deref(), Some("High Risk Inquiry"));
        assert_eq!(lead.buttons_clicked, ["Book Now", "Learn More"]);
        assert_eq!(lead.intent.as_deref(), Some("procedure"));
    }

    #[test]
    fn manychat_full_contact_data_is_read_too() {
        let body = json!({
            "event": "subscribed",
            "subscriber": {
                "id": 1_324_564_700_000_000u64, "key": "user:1324564700000000", "page_id": "234564657",
                "first_name": "Subscriber", "last_name": "Lastname", "name": "Subscriber Lastname",
                "phone": null, "optin_phone": false, "email": "sub@example.com", "optin_email": true,
                "last_interaction": "2018-07-02T00:00:00+00:00",
                "custom_fields": {"customField": 0.75}
            }
        });
        let lead = from_manychat(&body).unwrap();
        assert_eq!(lead.external_contact_id.as_deref(), Some("1324564700000000"));
        assert_eq!(lead.name.as_deref(), Some("Subscriber Lastname"));
        assert_eq!(lead.phone, None);
        assert_eq!(lead.occurred_at.unwrap().to_rfc3339(), "2018-07-02T00:00:00+00:00");
    }

    #[test]
    fn a_manychat_body_that_names_nobody_is_refused_by_field() {
        let problems = from_manychat(&json!({"subscriber": {"name": "X"}, "buttons_clicked": "Book"})).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["event", "subscriber.phone"]);
        let problems = from_manychat(&json!({"event": "x", "subscriber": {"phone": 61411222333u64}})).unwrap_err();
        assert_eq!(problems[0].field, "subscriber.phone");
        assert_eq!(problems[0].reason, "must be a string");
    }

    #[test]
    fn forms_take_the_usual_field_names_and_utm_tags() {
        let body = json!({
            "first_name": "Sarah", "last_name": "Johnson", "mobile": "0400 111 222",
            "utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "High Risk Awareness",
            "fbclid": "IwAR0abc", "form_name": "Skin check enquiry", "message": "Mole on my back"
        });
        let lead = from_form(&body).unwrap();
        assert_eq!(lead.name.as_deref(), Some("Sarah Johnson"));
        assert_eq!(
            (lead.phone.as_deref(), lead.phone_field),
            (Some("0400 111 222"), "mobile")
        );
        assert_eq!(lead.utm.source, "facebook");
        assert_eq!(lead.utm.campaign, "High Risk Awareness");
        assert_eq!(lead.click_id.as_deref(), Some("IwAR0abc"));
        assert_eq!(lead.event, "form_submit");
    }

    #[test]
    fn a_form_without_a_way_to_reply_is_refused() {
        let problems = from_form(&json!({"name": "Anon", "message": "hi"})).unwrap_err();
        assert_eq!(problems[0].field, "phone");
        let long = "x".repeat(2001);
        let problems = from_form(&json!({"email": "a@b.co", "message": long})).unwrap_err();
        assert_eq!(problems[0].field, "message");
    }

    /// Found while fuzzing: ManyChat's subscriber id was passed on as sent, so
    /// a NUL in it broke the contact's touchpoint (jsonb can't hold one),
    /// and it had no bound.
    #[test]
    fn a_manychat_subscriber_id_is_scrubbed_and_bounded_like_every_id() {
        let body = |id: Value| json!({"event": "flow_completed", "subscriber": {"id": id, "phone": "+61411222333"}});
        let lead = from_manychat(&body(json!(" sub\u{0}scriber-1 "))).unwrap();
        assert_eq!(lead.external_contact_id.as_deref(), Some("subscriber-1"));
        let problems = from_manychat(&body(json!("x".repeat(ID_MAX + 1)))).unwrap_err();
        assert_eq!(problems[0].field, "subscriber.id");
        let lead = from_manychat(&body(json!(1_324_564_700_000_000u64))).unwrap();
        assert_eq!(lead.external_contact_id.as_deref(), Some("1324564700000000"));
    }

    /// Found while fuzzing: ManyChat's buttons were passed on as sent: NUL,
    /// control characters, blanks, and any length.
    #[test]
    fn manychat_buttons_are_scrubbed_bounded_and_never_blank() {
        let body = |buttons: Value| json!({"event": "button_clicked", "subscriber": {"phone": "+61411222333"}, "buttons_clicked": buttons});
        let lead = from_manychat(&body(json!(["Book\u{0} Now", "  ", "\u{7}", " Call "]))).unwrap();
        assert_eq!(lead.buttons_clicked, ["Book Now", "Call"]);
        let lead = from_manychat(&body(json!("Book\u{0},, Call"))).unwrap();
        assert_eq!(lead.buttons_clicked, ["Book", "Call"]);
        let problems = from_manychat(&body(json!(["x".repeat(201)]))).unwrap_err();
        assert_eq!(problems[0].field, "buttons_clicked");
        assert_eq!(problems[0].reason, "each must be at most 200 characters");
    }

    /// Found while fuzzing: a first and a last name of 100 characters each
    /// joined into 201, over a person's name (200); the last name is now
    /// bounded to 99, as Wix's is.
    #[test]
    fn a_first_and_last_name_at_their_limits_join_within_a_persons_name() {
        let first = "a".repeat(100);
        let manychat = |last: &str| json!({"event": "x", "subscriber": {"first_name": first, "last_name": last, "phone": "+61411222333"}});
        let form = |last: &str| json!({"first_name": first, "last_name": last, "phone": "+61411222333"});
        let last = "b".repeat(99);
        for lead in [from_manychat(&manychat(&last)), from_form(&form(&last))] {
            assert_eq!(lead.unwrap().name.unwrap().chars().count(), 200);
        }
        let longer = "b".repeat(100);
        assert_eq!(
            from_manychat(&manychat(&longer)).unwrap_err()[0].field,
            "subscriber.last_name"
        );
        assert_eq!(from_form(&form(&longer)).unwrap_err()[0].field, "last_name");
    }
}

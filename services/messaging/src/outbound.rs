//! `SendSms`: a message to a contact or a number, from a template or a
//! body, checked and queued in one transaction.
//!
//! What happens to a send, decided here and recorded on its row:
//! - the recipient opted out of SMS: **blocked**, with the reason (when,
//!   how), and `messaging.sms_failed` says so, so automation can do
//!   something else (a call task);
//! - it falls in the recipient's quiet hours (and its template observes
//!   them): **queued** with `send_at` at the window's end, never dropped;
//! - that end is at or past `not_after` (the appointment it is about):
//!   **skipped**, with the reason;
//! - otherwise **queued** now; the sender ([`crate::sms::sender`]) takes
//!   it from there.
//!
//! Rendering fails loudly: a placeholder without a value is a 400 naming
//! it, so a patient never receives `{name}`. A marketing message carries
//! the sender's name and the opt-out line.

use std::collections::BTreeMap;

use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::{Draft, from_timestamp};
use attend_kit::contact_point::Phone;
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{BookingId, ContactId, TypedId};
use attend_kit::orgs::Org;
use attend_kit::text;
use attend_kit::{Error, FieldError};
use attend_proto::messaging::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::Api;
use crate::consent;
use crate::sms::quiet_hours::{self, Window};
use crate::sms::text::measure;
use crate::store::{self, NewSms, SmsRow};
use crate::templates::catalog::Purpose;
use crate::templates::{render, values_for};

/// The longest body accepted: ten UCS-2 parts (ten GSM-7 parts are longer).
const BODY_MAX: usize = 670;
/// The longest value a template placeholder may take.
const VALUE_MAX: usize = 500;

/// What a message says, and how it is treated.
#[derive(Debug, Clone)]
pub(crate) struct Content {
    pub body: String,
    pub template_id: Option<String>,
    pub purpose: Purpose,
    /// Whether it waits out quiet hours (a template may say not).
    pub quiet_hours: bool,
}

/// Where a message goes.
#[derive(Debug, Clone)]
pub(crate) struct Recipient {
    pub contact: Option<ContactId>,
    pub phone: Phone,
}

/// Something to send, checked; built by the API or by a reply.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub recipient: Recipient,
    pub content: Content,
    pub booking_id: Option<BookingId>,
    pub not_after: Option<DateTime<Utc>>,
    /// A direct reply to a text (a STOP confirmation, a HELP answer): sent
    /// now, whatever the hour, and even to a number that just opted out.
    pub reply: bool,
    pub sent_by: Actor,
}

impl Api {
    pub(crate) async fn send_sms(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::SendSmsRequest,
    ) -> Result<pb::SmsMessage, Error> {
        caller.require_permission(Permission::MessagesSend)?;
        let org_id = caller.org()?;
        let org = self.orgs.fresh(org_id).await?;
        let outgoing = self.parse_send(&caller, &org, &req).await?;
        let mut tx = self.db.tenant(org_id).await?;
        let guard = match claim(&mut tx, org_id, "SendSms", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let row = self.queue(&mut tx, &org, &outgoing).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            match outgoing.recipient.contact {
                Some(contact) => Entry::on("sms.send", "contact", contact),
                None => Entry::untargeted("sms.send", "number"),
            }
            .with_details(serde_json::json!({ "message": row.id, "status": row.status })),
        )
        .await?;
        let response = row.into_proto();
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        self.wake_sender();
        Ok(response)
    }

    /// A checked `SendSmsRequest`: the recipient found, the body rendered.
    async fn parse_send(&self, caller: &Caller, org: &Org, req: &pb::SendSmsRequest) -> Result<Outgoing, Error> {
        let mut problems = Vec::new();
        let contact = match req.contact_id.trim() {
            "" => None,
            raw => text::collect(
                &mut problems,
                "contact_id",
                ContactId::parse_uuid(raw).map_err(|_| "is not a contact id".to_owned()),
            ),
        };
        let to = match req.to.trim() {
            "" => None,
            raw => text::collect(&mut problems, "to", Phone::parse(raw, org.phone_region)),
        };
        if req.contact_id.trim().is_empty() == req.to.trim().is_empty() {
            problems.push(FieldError::new(
                "contact_id",
                "give a contact_id or a number in to, not both",
            ));
        }
        if req.template_id.trim().is_empty() == req.body.trim().is_empty() {
            problems.push(FieldError::new("template_id", "give a template_id or a body, not both"));
        }
        let purpose = match req.purpose.trim() {
            "" => None,
            raw => text::collect(
                &mut problems,
                "purpose",
                Purpose::parse(raw).ok_or_else(|| "must be transactional or marketing".to_owned()),
            ),
        };
        let booking_id = match req.booking_id.trim() {
            "" => None,
            raw => text::collect(
                &mut problems,
                "booking_id",
                BookingId::parse_uuid(raw).map_err(|_| "is not a booking id".to_owned()),
            ),
        };
        let not_after = req.not_after.as_ref().and_then(from_timestamp);
        // Template values reach the patient's phone: one line each, bounded.
        let mut given = BTreeMap::new();
        for (name, value) in &req.values {
            let plain = name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let field = match plain {
                true => format!("values.{name}"),
                false => format!("values.{}", text::shown(name)),
            };
            if let Some(value) = text::collect(&mut problems, &field, text::line(value, VALUE_MAX)) {
                given.insert(name.clone(), value);
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        // The contact, fetched once: its phone, and its name for the template.
        let (recipient, person) = match (contact, to) {
            (Some(contact), _) => {
                let person = self.contact(caller, contact).await?;
                let phone = Phone::parse(&person.phone, org.phone_region)
                    .map_err(|_| Error::invalid("contact_id", "this contact has no phone number to text"))?;
                let recipient = Recipient {
                    contact: Some(contact),
                    phone,
                };
                (recipient, Some(person))
            }
            (None, Some(phone)) => {
                let person = self.contact_with_phone(caller, &phone).await?;
                let contact = crate::api::contact_id(person.clone())?;
                (Recipient { contact, phone }, person)
            }
            (None, None) => return Err(Error::invalid("to", "is required")),
        };
        let content = match req.template_id.trim() {
            "" => Content {
                body: text::multiline(&req.body, BODY_MAX).map_err(text::at("body"))?,
                template_id: None,
                purpose: purpose.unwrap_or(Purpose::Transactional),
                quiet_hours: true,
            },
            id => {
                self.seeded.ensure(&self.db, org.id).await?;
                let mut tx = self.db.tenant(org.id).await?;
                let template = store::template(&mut tx, org.id, id)
                    .await?
                    .ok_or_else(|| Error::invalid("template_id", format!("no template {}", text::shown(id))))?;
                tx.commit().await?;
                let mut values = values_for(org, person.as_ref());
                // The appointment's own date and time, in the organisation's
                // zone, unless the sender wrote them.
                if let Some(at) = not_after {
                    values.insert("date".to_owned(), render::patient_date(at, org.time_zone));
                    values.insert("time".to_owned(), render::patient_time(at, org.time_zone));
                }
                values.extend(given);
                let body = render::render(&template.content, &values).map_err(|e| match e {
                    // Each missing value named, as a field of `values`.
                    render::TemplateError::Missing { names } => Error::Invalid(
                        names
                            .into_iter()
                            .map(|n| {
                                let reason = format!("is needed by template {} and has no value", template.id);
                                FieldError::new(format!("values.{n}"), reason)
                            })
                            .collect(),
                    ),
                    other => Error::invalid("template_id", other.to_string()),
                })?;
                Content {
                    body,
                    template_id: Some(template.id),
                    // A marketing template stays marketing (consent, the
                    // opt-out line) whatever the request says.
                    purpose: match Purpose::parse(&template.purpose) {
                        Some(Purpose::Marketing) => Purpose::Marketing,
                        own => purpose.or(own).unwrap_or(Purpose::Transactional),
                    },
                    quiet_hours: template.quiet_hours,
                }
            }
        };
        let mut content = content;
        if content.purpose == Purpose::Marketing {
            content.body = with_opt_out(&content.body, org);
        }
        if measure(&content.body).characters > BODY_MAX {
            return Err(Error::invalid(
                "body",
                format!("must be at most {BODY_MAX} characters once filled in"),
            ));
        }
        Ok(Outgoing {
            recipient,
            content,
            booking_id,
            not_after,
            reply: false,
            sent_by: Actor::of(caller),
        })
    }

    /// Logs the message: blocked, skipped, or queued for its time. The
    /// caller commits (and then wakes the sender).
    pub(crate) async fn queue(&self, tx: &mut Tx, org: &Org, out: &Outgoing) -> Result<SmsRow, Error> {
        let now = self.clock.now();
        let phone = out.recipient.phone.as_str();
        let blocked = if out.reply {
            None
        } else {
            consent::sms_blocked(tx, org.id, phone).await?
        };
        let zone = quiet_hours::zone_for(out.recipient.phone.region(), org.time_zone);
        let window = org
            .messaging
            .quiet_hours
            .map(|(start, end)| Window { start, end })
            .unwrap_or_default();
        let send_at = if out.reply || !out.content.quiet_hours {
            now
        } else {
            quiet_hours::next_allowed(now, &window, zone)
        };
        let (status, reason) = match (blocked, out.not_after) {
            (Some(why), _) => ("blocked", Some(why)),
            (None, Some(not_after)) if send_at >= not_after => (
                "skipped",
                Some(if send_at > now {
                    format!(
                        "quiet hours last until {} for the recipient, after the appointment it is about",
                        send_at.with_timezone(&zone).format("%a %-d %b %H:%M")
                    )
                } else {
                    "the appointment it is about has begun".to_owned()
                }),
            ),
            (None, _) => ("queued", None),
        };
        let from = self.sender(org);
        let m = measure(&out.content.body);
        let row = store::insert_sms(
            tx,
            org.id,
            &NewSms {
                id: Uuid::now_v7(),
                contact: out.recipient.contact,
                direction: "outbound",
                to: phone,
                from: &from,
                body: &out.content.body,
                template_id: out.content.template_id.as_deref(),
                purpose: Some(out.content.purpose.as_str()),
                booking_id: out.booking_id.map(|b| b.uuid()),
                status,
                status_reason: reason.as_deref(),
                classification: None,
                provider: None,
                provider_message_id: None,
                encoding: Some(m.encoding.as_str()),
                segments: i32::try_from(m.segments).ok(),
                send_at,
                not_after: out.not_after,
                is_reply: out.reply,
                sent_by: &out.sent_by.to_string(),
                at: now,
            },
        )
        .await?;
        if let Some(contact) = out.recipient.contact {
            store::touch_conversation(tx, org.id, contact, row.id, now, "outbound", &preview(&row.body)).await?;
        }
        if status != "queued" {
            self.publish_failed(tx, &row).await?;
        }
        Ok(row)
    }

    /// Says a message will never go (blocked, skipped, failed).
    pub(crate) async fn publish_failed(&self, tx: &mut Tx, row: &SmsRow) -> Result<(), Error> {
        let event = pb::SmsFailed {
            message: Some(row.clone().into_proto()),
        };
        self.outbox.add(tx, about(Draft::new(row.org(), &event), row)).await?;
        Ok(())
    }

    /// Who the organisation's SMS come from.
    pub(crate) fn sender(&self, org: &Org) -> String {
        org.messaging
            .sms_from
            .clone()
            .unwrap_or_else(|| self.settings.sms_from.clone())
    }
}

/// Names the contact an SMS event is about, when known.
pub(crate) fn about(draft: Draft, row: &SmsRow) -> Draft {
    match row.contact() {
        Some(contact) => draft.about("contact_id", contact),
        None => draft,
    }
}

/// What the inbox shows of a message.
pub(crate) fn preview(body: &str) -> String {
    let line = text::squash_line(body);
    let mut shown: String = line.chars().take(120).collect();
    if line.chars().count() > 120 {
        shown.push('…');
    }
    shown
}

/// A marketing message names its sender and says how to opt out (Spam Act
/// 2003, TCPA), unless the template already does.
fn with_opt_out(body: &str, org: &Org) -> String {
    let mut body = body.trim_end().to_owned();
    let clinic = org
        .messaging
        .values
        .get("clinic")
        .cloned()
        .unwrap_or_else(|| org.name.clone());
    if !body.contains(&clinic) {
        body.push_str(&format!(" - {clinic}"));
    }
    if !body.to_lowercase().contains("reply stop") {
        body.push(' ');
        body.push_str(crate::templates::catalog::OPT_OUT_LINE);
    }
    body
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use attend_kit::ids::OrgId;

    /// An organisation in Sydney with no settings of its own.
    pub(crate) fn org() -> Org {
        Org {
            id: OrgId::new(),
            name: "Avatar Imaging".to_owned(),
            slug: "avatar-imaging".to_owned(),
            time_zone: chrono_tz::Australia::Sydney,
            phone_region: attend_kit::contact_point::Region::default(),
            messaging: attend_kit::orgs::Messaging::default(),
            business_hours: attend_kit::localtime::BusinessHours::default(),
        }
    }

    #[test]
    fn a_marketing_message_names_the_clinic_and_how_to_opt_out() {
        let body = with_opt_out("Refer a friend and get $20 off.", &org());
        assert_eq!(
            body,
            "Refer a friend and get $20 off. - Avatar Imaging Reply STOP to opt out."
        );
        let already = "Avatar Imaging: refer a friend. Reply STOP to opt out.";
        assert_eq!(with_opt_out(already, &org()), already);
    }

    #[test]
    fn the_inbox_preview_is_one_short_line() {
        assert_eq!(preview("Hi\nthere"), "Hi there");
        assert_eq!(preview(&"x".repeat(200)).chars().count(), 121);
    }
}

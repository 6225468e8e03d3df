//! Replaying raw deliveries from the event log through the current mapping
//! (`attend events replay`, `IngestService.ReplayEvents`).
//!
//! A fixed mapping heals what was received before the fix without asking a
//! provider to send again: each logged delivery in the range is read again
//! (its signature was checked when it arrived; the log is append-only), mapped
//! by this version's code, and its event handed to the outbox under the
//! delivery's **original event id**. A consumer that applied that event
//! before takes it as a duplicate in its inbox; one that never did (the event
//! was never published because the old mapping ignored the delivery, or it
//! was dead-lettered) applies it now. So a replay never has two effects, and
//! replaying twice is the same as once. It follows that a replay does not
//! correct an event a consumer already applied with wrong data: that needs a
//! correcting event, not a replay.
//!
//! Covered: Wix bookings, ManyChat and form leads, inbound texts (ClickSend,
//! Twilio). Delivery reports and SendGrid events are not replayed yet: a
//! report's callback parameters are not kept in the log.

use std::collections::HashMap;

use attend_kit::audit::{self, Entry};
use attend_kit::bus::Draft;
use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Db;
use attend_kit::grpc::{Caller, Role};
use attend_kit::ids::{BookingId, EventId, OrgId, TypedId};
use attend_kit::orgs::{Directory, Org};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use crate::edge;
use crate::payload::wix::Notice;
use crate::payload::{self, leads, sms};
use crate::refusal::Rejection;
use attend_proto::ingest::v1::Customer;

/// Which deliveries to replay.
#[derive(Debug, Clone)]
pub struct Filter {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub provider: Option<String>,
}

/// What a replay did.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub read: u64,
    pub published: u64,
    pub unmapped: u64,
    pub not_replayable: u64,
    pub refused: Vec<(Uuid, String, String)>,
    pub refused_count: u64,
}

/// The providers whose deliveries the log keeps (and a replay may name).
pub const PROVIDERS: [&str; 6] = ["wix", "manychat", "form", "clicksend", "twilio", "sendgrid"];

/// Refusals listed in full; the rest are counted.
const REFUSALS_SHOWN: usize = 20;
/// Deliveries read per page.
const PAGE: i64 = 200;

/// A logged delivery.
#[derive(Debug, sqlx::FromRow)]
struct Stored {
    id: Uuid,
    org_id: Uuid,
    provider: String,
    delivery_id: String,
    event_type: String,
    headers: Json<Map<String, Value>>,
    raw_body: Vec<u8>,
    subject_ids: Json<Map<String, Value>>,
    received_at: DateTime<Utc>,
}

/// What the current mapping makes of a delivery.
enum Mapped {
    Event(Box<Draft>),
    /// A Wix booking event, once the booking has its id.
    Booking {
        notice: Box<Notice>,
        customer: Option<Customer>,
    },
    Nothing,
    NotReplayable,
}

/// Replays every delivery `filter` selects; each organisation's audit
/// trail records it.
pub async fn replay(db: &Db, outbox: &Outbox, orgs: &Directory, filter: &Filter) -> Result<Summary, attend_kit::Error> {
    let mut summary = Summary::default();
    let mut known: HashMap<Uuid, Org> = HashMap::new();
    let mut per_org: HashMap<Uuid, u64> = HashMap::new();
    let mut after: (DateTime<Utc>, Uuid) = (filter.from, Uuid::nil());
    loop {
        // The event log is a tenant table; reading across organisations is
        // the platform role's.
        let mut tx = db.platform().await?;
        let page: Vec<Stored> = sqlx::query_as(
            "select id, org_id, provider, delivery_id, event_type, headers, raw_body, subject_ids, received_at
               from ingest.event_log
              where (received_at, id) > ($1, $2) and received_at < $3
                and ($4::text is null or provider = $4)
              order by received_at, id
              limit $5",
        )
        .bind(after.0)
        .bind(after.1)
        .bind(filter.to)
        .bind(filter.provider.as_deref())
        .bind(PAGE)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let Some(last) = page.last() else { break };
        after = (last.received_at, last.id);
        for stored in page {
            summary.read += 1;
            let org = match known.get(&stored.org_id) {
                Some(org) => org.clone(),
                None => {
                    let org = orgs.get(OrgId::from_uuid(stored.org_id)).await?;
                    known.insert(stored.org_id, org.clone());
                    org
                }
            };
            let draft = match map(&stored, &org) {
                Ok(Mapped::Event(draft)) => *draft,
                Ok(Mapped::Booking { notice, customer }) => {
                    let Some((_, b)) = &notice.booking else {
                        summary.unmapped += 1;
                        continue;
                    };
                    // The id assigned when it arrived, else the booking's own.
                    let assigned = stored
                        .subject_ids
                        .get("booking_id")
                        .and_then(Value::as_str)
                        .and_then(|id| BookingId::parse_uuid(id).ok());
                    let booking_id = match assigned {
                        Some(id) => id,
                        None => booking_id(db, &org, &b.external_booking_id).await?,
                    };
                    match edge::booking_draft(&org, &notice, customer, booking_id, EventId::from(stored.id)) {
                        Some(draft) => draft,
                        None => {
                            summary.unmapped += 1;
                            continue;
                        }
                    }
                }
                Ok(Mapped::Nothing) => {
                    summary.unmapped += 1;
                    continue;
                }
                Ok(Mapped::NotReplayable) => {
                    summary.not_replayable += 1;
                    continue;
                }
                Err(r) => {
                    refuse(&mut summary, &stored, &r);
                    continue;
                }
            };
            publish(db, outbox, &org, draft).await?;
            summary.published += 1;
            *per_org.entry(stored.org_id).or_default() += 1;
        }
    }
    for (org, published) in per_org {
        let mut tx = db.tenant(OrgId::from_uuid(org)).await?;
        let caller = Caller {
            org: Some(OrgId::from_uuid(org)),
            user: None,
            role: Role::Platform,
        };
        let entry = Entry::untargeted("events.replay", "event_log").with_details(serde_json::json!({
            "from": filter.from.to_rfc3339(),
            "to": filter.to.to_rfc3339(),
            "provider": filter.provider,
            "published": published,
        }));
        audit::record(outbox, &mut tx, &caller, entry).await?;
        tx.commit().await?;
    }
    Ok(summary)
}

fn refuse(summary: &mut Summary, stored: &Stored, why: &Rejection) {
    summary.refused_count += 1;
    if summary.refused.len() < REFUSALS_SHOWN {
        summary
            .refused
            .push((stored.id, stored.provider.clone(), why.detail().to_owned()));
    }
}

/// The current mapping of a delivery, short of a booking id.
fn map(stored: &Stored, org: &Org) -> Result<Mapped, Rejection> {
    let id = EventId::from(stored.id);
    let content_type = stored.headers.get("content-type").and_then(Value::as_str);
    let body = stored.raw_body.as_slice();
    match (stored.provider.as_str(), stored.event_type.as_str()) {
        ("wix", _) => {
            let notice = edge::stored_notice(&stored.headers, body, &stored.delivery_id)?;
            if notice.booking.is_none() {
                return Ok(Mapped::Nothing);
            }
            let customer = edge::notice_customer(&notice, org)?;
            Ok(Mapped::Booking {
                notice: Box::new(notice),
                customer,
            })
        }
        (provider @ ("manychat" | "form"), _) => {
            let value = payload::object(body, content_type).map_err(Rejection::malformed)?;
            let read = if provider == "manychat" {
                leads::from_manychat
            } else {
                leads::from_form
            };
            let lead = read(&value).map_err(Rejection::malformed)?;
            let contacts = edge::read_lead_contacts(&lead, org)?;
            Ok(Mapped::Event(Box::new(
                edge::lead_draft(provider, org, &lead, contacts, id).with_id(id),
            )))
        }
        (provider @ ("clicksend" | "twilio"), "sms.inbound") => {
            let value = payload::object(body, content_type).map_err(Rejection::malformed)?;
            let read = if provider == "clicksend" {
                sms::clicksend_inbound
            } else {
                sms::twilio_inbound
            };
            let text = read(&value).map_err(Rejection::malformed)?;
            let draft = edge::sms_draft(provider, org, &text)?;
            Ok(Mapped::Event(Box::new(draft(id).with_id(id))))
        }
        _ => Ok(Mapped::NotReplayable),
    }
}

/// The id a provider's booking has, assigned now if it has none yet (the
/// delivery that first named it was not mapped to a booking then).
async fn booking_id(db: &Db, org: &Org, external_id: &str) -> Result<BookingId, attend_kit::Error> {
    let mut tx = db.tenant(org.id).await?;
    let fresh = BookingId::new();
    sqlx::query(
        "insert into ingest.external_refs (org_id, provider, kind, external_id, id)
         values ($1, 'wix', 'booking', $2, $3) on conflict do nothing",
    )
    .bind(org.id.uuid())
    .bind(external_id)
    .bind(fresh.uuid())
    .execute(&mut *tx)
    .await?;
    let id: Uuid = sqlx::query_scalar(
        "select id from ingest.external_refs
          where org_id = $1 and provider = 'wix' and kind = 'booking' and external_id = $2",
    )
    .bind(org.id.uuid())
    .bind(external_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(BookingId::from(id))
}

/// Hands an event to the outbox; one still waiting there under this id is
/// left as it is.
async fn publish(db: &Db, outbox: &Outbox, org: &Org, draft: Draft) -> Result<(), attend_kit::Error> {
    let mut tx = db.tenant(org.id).await?;
    match outbox.add(&mut tx, draft).await {
        Ok(_) => tx.commit().await?,
        // Its first publish is still on the way: it goes out once.
        Err(e) if attend_kit::db::is_violation(&e, "outbox_pkey") => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

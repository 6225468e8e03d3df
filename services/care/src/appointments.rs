//! Appointments (spec 001's `appointments`): booked by the care team at a
//! wall time on the client's clock, listed by date range for a month, week
//! or day view, moved through their status, exported as iCalendar; and the
//! reminders each family member chooses (1, 3 or 7 days before), sent by
//! [`Reminders`] through messaging.

use std::time::Duration as StdDuration;

use attend_kit::audit::{self, Entry};
use attend_kit::bus::timestamp;
use attend_kit::db::Db;
use attend_kit::error::from_status;
use attend_kit::grpc::{Caller, Traced, request, with_idempotency_key};
use attend_kit::ids::{ClientId, OrgId, TypedId};
use attend_kit::{Error, FieldError, localtime, text};
use attend_proto::care::v1 as pb;
use attend_proto::contact::v1 as contact;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::messaging::v1 as messaging;
use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
use chrono::{Duration, NaiveDateTime};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::access::{self, Access};
use crate::api::Api;
use crate::clients::{client_id, family_proto, optional_date};
use crate::ics;
use crate::store::{self, AppointmentRow};

const STATUSES: [&str; 4] = ["scheduled", "completed", "cancelled", "no_show"];
/// The reminders a family member may choose, in days before.
pub const REMINDER_DAYS: [i32; 3] = [1, 3, 7];
/// The SMS template (messaging's catalogue).
pub const TEMPLATE: &str = "care_appointment_reminder";

fn appointment_proto(row: AppointmentRow, zone: chrono_tz::Tz) -> pb::Appointment {
    pb::Appointment {
        id: row.id.to_string(),
        client_id: row.client_id.to_string(),
        scheduled_with: row.scheduled_with,
        starts_at: Some(timestamp(row.starts_at)),
        duration_minutes: row.duration_minutes,
        appointment_type: row.appointment_type.unwrap_or_default(),
        location: row.location.unwrap_or_default(),
        notes: row.notes.unwrap_or_default(),
        status: row.status,
        created_by_id: row.created_by_id.to_string(),
        created_at: Some(timestamp(row.created_at)),
        updated_at: Some(timestamp(row.updated_at)),
        starts_local: row.starts_at.with_timezone(&zone).to_rfc3339(),
    }
}

impl Api {
    pub(crate) async fn list_appointments(
        &self,
        caller: Caller,
        req: pb::ListAppointmentsRequest,
    ) -> Result<pb::ListAppointmentsResponse, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let mut problems = Vec::new();
        let from = optional_date(&mut problems, "from", &req.from);
        let to = optional_date(&mut problems, "to", &req.to);
        let (Some(from), Some(to), true) = (from, to, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let (client, _) = access::resolve(&mut tx, org, &caller, id).await?;
        let zone = client.zone();
        let from = from.unwrap_or_else(|| localtime::local_date(self.clock.now(), zone));
        let to = to.unwrap_or(from + Duration::days(31));
        if to < from || to - from > Duration::days(366) {
            return Err(Error::invalid("to", "must be on or after from, within a year of it"));
        }
        let start = |d: chrono::NaiveDate| localtime::instant_of(d.and_hms_opt(0, 0, 0).unwrap_or_default(), zone);
        let rows = store::appointments_between(&mut tx, org, id, start(from), start(to + Duration::days(1))).await?;
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("appointment.list", "client", id),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListAppointmentsResponse {
            appointments: rows.into_iter().map(|r| appointment_proto(r, zone)).collect(),
            time_zone: client.time_zone,
        })
    }

    pub(crate) async fn create_appointment(
        &self,
        caller: Caller,
        req: pb::CreateAppointmentRequest,
    ) -> Result<pb::Appointment, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let author = caller
            .user
            .ok_or_else(|| Error::Forbidden("appointments are booked by a person".to_owned()))?;
        let mut problems = Vec::new();
        let with = text::collect(
            &mut problems,
            "scheduled_with",
            text::required_line(&req.scheduled_with, 200),
        );
        let local = text::collect(
            &mut problems,
            "starts_local",
            NaiveDateTime::parse_from_str(req.starts_local.trim(), "%Y-%m-%dT%H:%M")
                .map_err(|_| "must be a local date and time, YYYY-MM-DDTHH:MM".to_owned()),
        );
        let minutes = match req.duration_minutes {
            0 => 30,
            m @ 5..=1440 => m,
            _ => {
                problems.push(FieldError::new("duration_minutes", "must be between 5 and 1440"));
                0
            }
        };
        let kind = text::collect(
            &mut problems,
            "appointment_type",
            text::line(&req.appointment_type, 100),
        );
        let location = text::collect(&mut problems, "location", text::line(&req.location, 200));
        let notes = text::collect(&mut problems, "notes", text::multiline(&req.notes, 2000));
        let (Some(with), Some(local), Some(kind), Some(location), Some(notes), true) =
            (with, local, kind, location, notes, problems.is_empty())
        else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let (client, access) = access::resolve(&mut tx, org, &caller, id).await?;
        access.require_team("books appointments")?;
        let zone = client.zone();
        // A wall time a clock change skips is read forward (02:30 on the
        // spring-forward night is 03:30), one it repeats as the first.
        let starts_at = localtime::instant_of(local, zone);
        if starts_at < self.clock.now() - Duration::days(1) {
            return Err(Error::invalid("starts_local", "is in the past"));
        }
        let row = store::insert_appointment(
            &mut tx,
            org,
            &AppointmentRow {
                id: Uuid::now_v7(),
                client_id: id.uuid(),
                scheduled_with: with,
                starts_at,
                duration_minutes: minutes,
                appointment_type: Some(kind).filter(|k| !k.is_empty()),
                location: Some(location).filter(|l| !l.is_empty()),
                notes: Some(notes).filter(|n| !n.is_empty()),
                status: "scheduled".to_owned(),
                created_by_id: author.uuid(),
                created_at: self.clock.now(),
                updated_at: self.clock.now(),
            },
        )
        .await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("appointment.create", "client", id),
        )
        .await?;
        tx.commit().await?;
        Ok(appointment_proto(row, zone))
    }

    pub(crate) async fn set_appointment_status(
        &self,
        caller: Caller,
        req: pb::SetAppointmentStatusRequest,
    ) -> Result<pb::Appointment, Error> {
        let org = caller.org()?;
        let not_found = || Error::NotFound("appointment".to_owned());
        let id: Uuid = req.appointment_id.trim().parse().map_err(|_| not_found())?;
        let status = req.status.trim();
        if !STATUSES.contains(&status) {
            return Err(Error::invalid(
                "status",
                format!("must be one of {}", STATUSES.join(", ")),
            ));
        }
        let mut tx = self.db.tenant(org).await?;
        let row = store::appointment(&mut tx, org, id)
            .await?
            .filter(|r| req.client_id.trim().is_empty() || r.client_id.to_string() == req.client_id.trim())
            .ok_or_else(not_found)?;
        let (client, access) = access::resolve(&mut tx, org, &caller, ClientId::from(row.client_id))
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => not_found(),
                other => other,
            })?;
        access.require_team("changes appointments")?;
        if row.status != "scheduled" && row.status != status {
            return Err(Error::Conflict(format!(
                "status: the appointment is already {}; only a scheduled one changes",
                row.status
            )));
        }
        let row = store::set_appointment_status(&mut tx, org, id, status).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("appointment.status", "client", client.client_id())
                .with_details(serde_json::json!({ "appointment": id.to_string(), "status": status })),
        )
        .await?;
        tx.commit().await?;
        Ok(appointment_proto(row, client.zone()))
    }

    pub(crate) async fn appointments_calendar(
        &self,
        caller: Caller,
        req: pb::AppointmentsCalendarRequest,
    ) -> Result<pb::Calendar, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let mut tx = self.db.tenant(org).await?;
        let (client, _) = access::resolve(&mut tx, org, &caller, id).await?;
        let zone = client.zone();
        let rows = match req.appointment_id.trim() {
            "" => {
                let today = localtime::local_date(self.clock.now(), zone);
                let from = localtime::instant_of(today.and_hms_opt(0, 0, 0).unwrap_or_default(), zone);
                store::appointments_between(&mut tx, org, id, from, from + Duration::days(400)).await?
            }
            one => {
                let not_found = || Error::NotFound("appointment".to_owned());
                let one: Uuid = one.parse().map_err(|_| not_found())?;
                let row = store::appointment(&mut tx, org, one)
                    .await?
                    .filter(|r| r.client_id == id.uuid())
                    .ok_or_else(not_found)?;
                vec![row]
            }
        };
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("appointment.calendar", "client", id),
        )
        .await?;
        tx.commit().await?;
        let events: Vec<ics::Event> = rows
            .iter()
            .map(|r| ics::Event {
                uid: format!("appointment-{}@attend", r.id),
                summary: match &r.appointment_type {
                    Some(kind) => format!("{}: {kind} with {}", client.name, r.scheduled_with),
                    None => format!("{}: appointment with {}", client.name, r.scheduled_with),
                },
                description: r.notes.clone().unwrap_or_default(),
                location: r.location.clone().unwrap_or_default(),
                start: r.starts_at.with_timezone(&zone).naive_local(),
                minutes: i64::from(r.duration_minutes),
                weekly_until: None,
                cancelled: r.status == "cancelled",
            })
            .collect();
        let file_name = match rows.as_slice() {
            [one] if !req.appointment_id.trim().is_empty() => {
                format!("appointment-{}.ics", one.starts_at.format("%Y-%m-%d"))
            }
            _ => "appointments.ics".to_owned(),
        };
        Ok(pb::Calendar {
            ics: ics::calendar(
                &format!("{}: appointments", client.name),
                zone,
                &events,
                self.clock.now(),
            ),
            file_name,
        })
    }

    pub(crate) async fn set_appointment_reminders(
        &self,
        caller: Caller,
        req: pb::SetAppointmentRemindersRequest,
    ) -> Result<pb::FamilyMember, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let mut days: Vec<i32> = req.days_before.clone();
        days.sort_unstable();
        days.dedup();
        if let Some(bad) = days.iter().find(|d| !REMINDER_DAYS.contains(d)) {
            return Err(Error::invalid("days_before", format!("{bad} is not 1, 3 or 7 days")));
        }
        let mut tx = self.db.tenant(org).await?;
        let (_, access) = access::resolve(&mut tx, org, &caller, id).await?;
        let (Access::Family(_), Some(user)) = (access, caller.user) else {
            return Err(Error::Forbidden(
                "a family member chooses their own reminders".to_owned(),
            ));
        };
        let row = store::set_reminders(&mut tx, org, id, user, &days)
            .await?
            .ok_or_else(|| Error::NotFound("client".to_owned()))?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("family.reminders", "client", id).with_details(serde_json::json!({ "days_before": days })),
        )
        .await?;
        tx.commit().await?;
        Ok(family_proto(row))
    }
}

/// Sends the reminders family members chose, as they fall due: every
/// `every`, finds (appointment, family member, days before) that are due
/// and not yet sent, and sends each once. The row recording a reminder is
/// written in the same transaction that sends it, so a failed send is
/// tried again on the next pass; the idempotency key (appointment, member,
/// days) makes a send repeated after a crash one message.
pub struct Reminders {
    pub db: Db,
    pub messaging: MessagingServiceClient<Traced>,
    pub contacts: ContactServiceClient<Traced>,
    pub clock: attend_kit::clock::SharedClock,
}

impl Reminders {
    pub async fn run(self, every: StdDuration, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "appointment reminders: a pass failed; trying again next time");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    /// One pass; how many reminders it sent.
    pub async fn pass(&self) -> Result<usize, Error> {
        let now = self.clock.now();
        let due = {
            let mut tx = self.db.platform().await?;
            let due = store::due_reminders(&mut tx, now).await?;
            tx.commit().await?;
            due
        };
        let mut sent = 0;
        for d in due {
            let org = OrgId::from(d.org_id);
            let mut tx = self.db.tenant(org).await?;
            if !store::claim_reminder(&mut tx, org, d.appointment_id, d.family_member_id, d.days_before).await? {
                continue;
            }
            let system = Caller::system(org);
            let key = format!(
                "care-appointment:{}:{}:{}",
                d.appointment_id, d.family_member_id, d.days_before
            );
            let mut refused = None;
            if d.notify_sms {
                let call = request(
                    messaging::SendSmsRequest {
                        contact_id: d.contact_id.to_string(),
                        template_id: TEMPLATE.to_owned(),
                        values: [("client_name".to_owned(), d.client_name.clone())].into(),
                        purpose: "transactional".to_owned(),
                        not_after: Some(timestamp(d.starts_at)),
                        ..Default::default()
                    },
                    &system,
                );
                if let Err(status) = self
                    .messaging
                    .clone()
                    .send_sms(with_idempotency_key(call, &format!("{key}:sms"))?)
                    .await
                {
                    refused = Some(from_status(status, "messaging"));
                }
            }
            if d.notify_email
                && refused.is_none()
                && let Err(e) = self.email(&system, &d, &key).await
            {
                refused = Some(e);
            }
            match refused {
                None => {
                    tx.commit().await?;
                    sent += 1;
                }
                // The recipient can't be reached (no phone, opted out):
                // recorded as done, or it would be retried every pass.
                Some(e @ (Error::Invalid(_) | Error::NotFound(_) | Error::Forbidden(_) | Error::Conflict(_))) => {
                    tracing::warn!(error = %e, appointment = %d.appointment_id, "appointment reminder skipped");
                    tx.commit().await?;
                }
                Some(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    async fn email(&self, system: &Caller, d: &store::DueReminder, key: &str) -> Result<(), Error> {
        let person = self
            .contacts
            .clone()
            .get_contact(request(
                contact::GetContactRequest {
                    id: d.contact_id.to_string(),
                },
                system,
            ))
            .await
            .map_err(|s| from_status(s, "contact"))?
            .into_inner();
        if person.email.trim().is_empty() {
            return Ok(());
        }
        let zone: chrono_tz::Tz = d.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let local = d.starts_at.with_timezone(&zone);
        let call = request(
            messaging::SendEmailRequest {
                to: person.email,
                subject: format!(
                    "Reminder: {}'s appointment on {}",
                    d.client_name,
                    local.format("%A %-d %B")
                ),
                body_text: format!(
                    "{} has an appointment with {} on {} at {}.\n\nDetails are in the family portal.\n",
                    d.client_name,
                    d.scheduled_with,
                    local.format("%A %-d %B %Y"),
                    local.format("%-I:%M %P"),
                ),
                category: "care_appointment_reminder".to_owned(),
                ..Default::default()
            },
            system,
        );
        self.messaging
            .clone()
            .send_email(with_idempotency_key(call, &format!("{key}:email"))?)
            .await
            .map_err(|s| from_status(s, "messaging"))?;
        Ok(())
    }
}

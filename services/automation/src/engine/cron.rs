//! The periodic checks (spec 000's `cron_check`): hourly on the hour and
//! daily at 09:00, on each organisation's local clock, once per period
//! across replicas.
//!
//! A check claims its period and records what it did in one transaction:
//! a crash mid-check leaves the period to run again, and the runs it
//! records (one per contact the rule acts on) make a second pass act on
//! no one twice. A check acts on a contact once while it stays where the
//! rule looked for it: once per stay in the stage checked (`current_stage`
//! conditions), once per recall (`recall_due_date`). Contacts the rule
//! passes over leave no run (they would fill the history every hour).

use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_kit::orgs::Org;
use attend_proto::booking::v1 as booking;
use attend_proto::contact::v1 as contact;
use attend_proto::identity::v1 as identity;
use chrono::{DateTime, NaiveTime, Utc};
use uuid::Uuid;

use super::facts::Facts;
use super::{Context, Engine, Loaded, load};
use crate::rules::conditions::{Field, Test};
use crate::rules::{Schedule, Trigger};
use crate::store;

/// When the daily check runs, local time.
const DAILY_AT: (u32, u32) = (9, 0);

/// A contact a periodic rule looks at, and what makes its stay new.
struct Subject {
    contact: Uuid,
    booking: Option<Uuid>,
    epoch: String,
}

/// The periods `now` falls in on the organisation's clock: its local hour
/// (with the offset, so the hour repeated when daylight saving ends is a
/// period of its own), and its local day once it is past [`DAILY_AT`].
fn periods(now: DateTime<Utc>, zone: chrono_tz::Tz) -> (String, Option<String>) {
    let local = now.with_timezone(&zone);
    let hour = local.format("%Y-%m-%dT%H%:z").to_string();
    let daily_at = NaiveTime::from_hms_opt(DAILY_AT.0, DAILY_AT.1, 0).unwrap_or(NaiveTime::MIN);
    let day = (local.time() >= daily_at).then(|| local.format("%Y-%m-%d").to_string());
    (hour, day)
}

/// The namespace of the ids periodic checks give their runs.
const NAMESPACE: Uuid = Uuid::from_u128(0x6174_7465_6e64_2d63_726f_6e2d_6368_6b00);

impl Engine {
    pub async fn periodic_checks(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        // One organisation's failing check doesn't hold up the others'.
        for org_id in self.org_ids().await? {
            if let Err(e) = self.check_org(org_id, now).await {
                tracing::warn!(org = %org_id, error = format!("{e:#}"), "automation: a periodic check failed; will retry");
            }
        }
        Ok(())
    }

    async fn check_org(&self, org_id: OrgId, now: DateTime<Utc>) -> anyhow::Result<()> {
        let org = self.orgs.get(org_id).await?;
        let (hour, day) = periods(now, org.time_zone);
        self.check(&org, Schedule::Hourly, &hour, now).await?;
        if let Some(day) = day {
            self.check(&org, Schedule::Daily, &day, now).await?;
        }
        Ok(())
    }

    /// Every organisation, asked of identity at each pass (every few
    /// seconds): one that was just created is checked at once.
    async fn org_ids(&self) -> anyhow::Result<Vec<OrgId>> {
        let list = self
            .owners
            .identity
            .clone()
            .list_organisations(request(identity::ListOrganisationsRequest {}, &Caller::platform()))
            .await
            .into_answer("identity")?;
        Ok(list
            .organisations
            .iter()
            .filter_map(|o| OrgId::parse_uuid(&o.id).ok())
            .collect())
    }

    /// One organisation's check for one period, if no replica ran it.
    async fn check(&self, org: &Org, schedule: Schedule, period: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        self.seeded.ensure(&self.db, org.id, now).await?;
        let trigger = Trigger::CronCheck(schedule);
        let mut tx = self.db.tenant(org.id).await?;
        if !store::cron::claim(&mut tx, org.id, schedule.as_str(), period, now).await? {
            return Ok(());
        }
        let rules = load(store::rules::active_for(&mut tx, org.id, &trigger.key()).await?);
        let mut acted = 0;
        for rule in &rules {
            let fields = rule.def.conditions.fields().collect();
            for subject in self.subjects(&mut tx, org, rule, now).await? {
                let name = format!("{}:{}:{}:{}", org.id, rule.row.id, subject.contact, subject.epoch);
                let mut ctx = Context::new(trigger, "cron_check", Uuid::new_v5(&NAMESPACE, name.as_bytes()));
                ctx.contact_id = Some(subject.contact);
                ctx.booking_id = subject.booking;
                let facts = Facts::gather(&self.owners, org, &mut ctx, &fields, now).await?;
                acted += self
                    .plan(&mut tx, org.id, &ctx, std::slice::from_ref(rule), &facts, now, false)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
        tx.commit().await?;
        if acted > 0 {
            tracing::info!(org = %org.slug, schedule = schedule.as_str(), period, acted, "periodic check acted");
        }
        Ok(())
    }

    /// The contacts a periodic rule looks at: those in the stages it tests
    /// for, or those with a recall due by today.
    async fn subjects(
        &self,
        tx: &mut attend_kit::db::Tx,
        org: &Org,
        rule: &Loaded,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Subject>> {
        let caller = Caller::system(org.id);
        let conditions = &rule.def.conditions.0;
        let mut subjects = Vec::new();
        if conditions.iter().any(|c| c.field == Field::RecallDueDate) {
            let today = attend_kit::localtime::local_date(now, org.time_zone);
            let mut cursor = String::new();
            loop {
                let page = self
                    .owners
                    .bookings
                    .clone()
                    .list_due_recalls(request(
                        booking::ListDueRecallsRequest {
                            on_or_before: today.format("%Y-%m-%d").to_string(),
                            limit: 500,
                            cursor: cursor.clone(),
                        },
                        &caller,
                    ))
                    .await
                    .into_answer("booking")?;
                for r in page.recalls {
                    if let Ok(contact) = Uuid::parse_str(&r.contact_id) {
                        subjects.push(Subject {
                            contact,
                            booking: Uuid::parse_str(&r.booking_id).ok(),
                            epoch: format!("recall:{}", r.id),
                        });
                    }
                }
                if page.next_cursor.is_empty() {
                    break;
                }
                cursor = page.next_cursor;
            }
            return Ok(subjects);
        }
        let pipeline = conditions.iter().find_map(|c| match (&c.field, &c.test) {
            (Field::CurrentPipeline, Test::Eq(v)) => v.as_str().map(str::to_owned),
            _ => None,
        });
        let stages: Vec<String> = conditions
            .iter()
            .filter(|c| c.field == Field::CurrentStage)
            .flat_map(|c| match &c.test {
                Test::Eq(v) => v.as_str().map(|s| vec![s.to_owned()]).unwrap_or_default(),
                Test::In(vs) => vs.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
                _ => Vec::new(),
            })
            .collect();
        for stage in stages {
            let mut cursor = String::new();
            loop {
                let page = self
                    .owners
                    .contacts
                    .clone()
                    .list_contacts(request(
                        contact::ListContactsRequest {
                            pipeline: pipeline.clone().unwrap_or_default(),
                            stage: stage.clone(),
                            limit: 200,
                            cursor: cursor.clone(),
                            ..Default::default()
                        },
                        &caller,
                    ))
                    .await
                    .into_answer("contact")?;
                for c in page.contacts {
                    let Ok(id) = ContactId::parse_uuid(&c.id) else { continue };
                    let since = store::facts::stage_since(tx, org.id, id.uuid()).await?;
                    subjects.push(Subject {
                        contact: id.uuid(),
                        booking: None,
                        epoch: format!(
                            "{}.{}:{}",
                            c.current_pipeline,
                            c.current_stage,
                            since.map(|t| t.timestamp_micros()).unwrap_or_default()
                        ),
                    });
                }
                if page.next_cursor.is_empty() {
                    break;
                }
                cursor = page.next_cursor;
            }
        }
        Ok(subjects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    const SYDNEY: chrono_tz::Tz = chrono_tz::Australia::Sydney;

    #[test]
    fn the_day_starts_at_nine_local_across_both_sydney_transitions() {
        // Sunday 5 April 2026, after daylight saving ends: 09:00 AEST is 23:00 UTC the day before.
        assert_eq!(periods(utc(2026, 4, 4, 22, 59), SYDNEY).1, None);
        assert_eq!(periods(utc(2026, 4, 4, 23, 0), SYDNEY).1.as_deref(), Some("2026-04-05"));
        // Sunday 4 October 2026, after it starts: 09:00 AEDT is 22:00 UTC the day before.
        assert_eq!(periods(utc(2026, 10, 3, 21, 59), SYDNEY).1, None);
        assert_eq!(
            periods(utc(2026, 10, 3, 22, 0), SYDNEY).1.as_deref(),
            Some("2026-10-04")
        );
    }

    #[test]
    fn every_hour_is_checked_once_even_the_repeated_one() {
        // 02:00-03:00 happens twice on 5 April 2026 (AEDT, then AEST): two periods.
        let first = periods(utc(2026, 4, 4, 15, 30), SYDNEY).0;
        let second = periods(utc(2026, 4, 4, 16, 30), SYDNEY).0;
        assert_eq!(first, "2026-04-05T02+11:00");
        assert_eq!(second, "2026-04-05T02+10:00");
        // 02:00-03:00 never happens on 4 October 2026: 01:59 AEST, then 03:00 AEDT.
        assert_eq!(periods(utc(2026, 10, 3, 15, 59), SYDNEY).0, "2026-10-04T01+10:00");
        assert_eq!(periods(utc(2026, 10, 3, 16, 0), SYDNEY).0, "2026-10-04T03+11:00");
        // Within an hour, one period.
        assert_eq!(
            periods(utc(2026, 3, 10, 1, 0), SYDNEY).0,
            periods(utc(2026, 3, 10, 1, 59), SYDNEY).0
        );
    }
}

//! Merging two records of one person, and undoing it.
//!
//! The survivor keeps its identity and gains what it lacked (phone, email,
//! intent); the first touch (source, its scored kind, first-seen time) is
//! the earliest record's. The merged contact stays, pointing at the
//! survivor, so its phone still finds the person. Its touchpoints and
//! warmness adjustments move here; bookings, recalls and tasks move in
//! their own services on `contact.merged`. Each
//! side records what it moved, so an undo moves exactly that back.

use attend_kit::Error;
use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::{Draft, timestamp};
use attend_kit::db::{Tx, is_violation};
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ContactId, MergeId, OrgId, TypedId};
use attend_proto::contact::v1 as pb;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::Api;
use crate::store::{self, ContactRow, Kept, MergeFields as Fields, NewMerge};
use crate::touch::Recorder;

/// An old value (wrapped, so an old null survives JSON: `{"was": null}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Was<T> {
    was: T,
}

/// The fields a merge may change, as they were. A field is present only
/// if the merge changed it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Before {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<Was<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<Was<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<Was<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<Was<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_kind: Option<Was<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    intent: Option<Was<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_existing_patient: Option<Was<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created_at: Option<Was<DateTime<Utc>>>,
}

impl Fields {
    fn of(row: &ContactRow) -> Self {
        Self {
            name: row.name.clone(),
            phone: row.phone.clone(),
            email: row.email.clone(),
            source: row.source.clone(),
            source_kind: row.source_kind.clone(),
            intent: row.intent.clone(),
            is_existing_patient: row.is_existing_patient,
            created_at: row.created_at,
            merged_into: row.merged_into,
        }
    }

    /// What of `self` differs from `old`, as `old` had it.
    fn before(&self, old: &Fields) -> Before {
        fn differs<T: PartialEq + Clone>(new: &T, old: &T) -> Option<Was<T>> {
            (new != old).then(|| Was { was: old.clone() })
        }
        Before {
            name: differs(&self.name, &old.name),
            phone: differs(&self.phone, &old.phone),
            email: differs(&self.email, &old.email),
            source: differs(&self.source, &old.source),
            source_kind: differs(&self.source_kind, &old.source_kind),
            intent: differs(&self.intent, &old.intent),
            is_existing_patient: differs(&self.is_existing_patient, &old.is_existing_patient),
            created_at: differs(&self.created_at, &old.created_at),
        }
    }

    /// `self` with the recorded old values put back.
    fn restored(mut self, b: Before) -> Self {
        fn put_back<T>(field: &mut T, was: Option<Was<T>>) {
            if let Some(w) = was {
                *field = w.was;
            }
        }
        put_back(&mut self.name, b.name);
        put_back(&mut self.phone, b.phone);
        put_back(&mut self.email, b.email);
        put_back(&mut self.source, b.source);
        put_back(&mut self.source_kind, b.source_kind);
        put_back(&mut self.intent, b.intent);
        put_back(&mut self.is_existing_patient, b.is_existing_patient);
        put_back(&mut self.created_at, b.created_at);
        self
    }
}

/// Whether a contact's name is only its phone or email (filled in for a
/// nameless booking).
fn placeholder_name(row: &Fields) -> bool {
    Some(&row.name) == row.phone.as_ref() || Some(&row.name) == row.email.as_ref()
}

/// The survivor and merged contact as the merge leaves them.
fn merged_fields(survivor: &Fields, merged: &Fields) -> (Fields, Fields) {
    let mut s = survivor.clone();
    let mut m = merged.clone();
    if placeholder_name(&s) && !placeholder_name(&m) {
        s.name = m.name.clone();
    }
    if s.phone.is_none() && m.phone.is_some() {
        // Phones are unique: the merged record hands its phone over.
        s.phone = m.phone.take();
    }
    if s.email.is_none() {
        s.email = m.email.clone();
    }
    if s.intent.is_none() {
        s.intent = m.intent.clone();
    }
    s.is_existing_patient |= m.is_existing_patient;
    if m.created_at < s.created_at {
        // The first touch is the earliest record's.
        s.source = m.source.clone();
        s.source_kind = m.source_kind.clone();
        s.created_at = m.created_at;
    }
    (s, m)
}

async fn lock_pair(tx: &mut Tx, org: OrgId, a: ContactId, b: ContactId) -> Result<(ContactRow, ContactRow), Error> {
    // Always in id order, so two merges of the same pair can't deadlock.
    let (first, second) = if a.uuid() < b.uuid() { (a, b) } else { (b, a) };
    let first_row = store::get_for_update(tx, org, first).await?;
    let second_row = store::get_for_update(tx, org, second).await?;
    let (Some(first_row), Some(second_row)) = (first_row, second_row) else {
        return Err(Error::NotFound("contact".to_owned()));
    };
    Ok(if first == a {
        (first_row, second_row)
    } else {
        (second_row, first_row)
    })
}

fn answer(
    id: Uuid,
    survivor: ContactRow,
    merged: ContactRow,
    moved: usize,
    at: DateTime<Utc>,
    undone: Option<DateTime<Utc>>,
) -> pb::Merge {
    pb::Merge {
        id: id.to_string(),
        survivor: Some(survivor.into_proto()),
        merged: Some(merged.into_proto()),
        moved_touchpoints: u32::try_from(moved).unwrap_or(u32::MAX),
        merged_at: Some(timestamp(at)),
        undone_at: undone.map(timestamp),
    }
}

impl Api {
    pub(crate) async fn merge_contacts(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::MergeContactsRequest,
    ) -> Result<pb::Merge, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let survivor = ContactId::parse_uuid_at("survivor_id", &req.survivor_id)?;
        let merged = ContactId::parse_uuid_at("merged_id", &req.merged_id)?;
        if survivor == merged {
            return Err(Error::invalid(
                "merged_id",
                "is the same contact; merge two different contacts",
            ));
        }
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "MergeContacts", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let response = merge(&self.recorder(), &mut tx, org, &caller, survivor, merged).await?;
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(crate) async fn undo_merge(&self, caller: Caller, req: pb::UndoMergeRequest) -> Result<pb::Merge, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let id = MergeId::parse_uuid_at("merge_id", &req.merge_id)?;
        let mut tx = self.db.tenant(org).await?;
        let response = undo(&self.recorder(), &mut tx, org, &caller, id).await?;
        tx.commit().await?;
        Ok(response)
    }
}

/// Merges `merged` into `survivor`.
async fn merge(
    recorder: &Recorder,
    tx: &mut Tx,
    org: OrgId,
    caller: &Caller,
    survivor: ContactId,
    merged: ContactId,
) -> Result<pb::Merge, Error> {
    let (s_row, m_row) = lock_pair(tx, org, survivor, merged).await?;
    for row in [&s_row, &m_row] {
        if let Some(into) = row.merged_into {
            return Err(Error::Conflict(format!(
                "{} was already merged into {}",
                row.contact_id(),
                ContactId::from(into)
            )));
        }
    }
    let (s_old, m_old) = (Fields::of(&s_row), Fields::of(&m_row));
    let (s_new, mut m_new) = merged_fields(&s_old, &m_old);
    m_new.merged_into = Some(survivor.uuid());
    // The merged row gives up its phone first, then the survivor takes it.
    let m_after = store::write_merge_fields(tx, org, merged, &m_new).await?;
    store::write_merge_fields(tx, org, survivor, &s_new).await?;
    let moved = store::move_kept(tx, org, Kept::Touchpoints, merged, survivor, None).await?;
    let adjustments = store::move_kept(tx, org, Kept::Adjustments, merged, survivor, None).await?;
    let repointed = store::repoint_merged(tx, org, merged, survivor, None).await?;

    let id = MergeId::new();
    let json = |b: Before| serde_json::to_value(b).map_err(|e| Error::Internal(e.into()));
    let merged_at = store::insert_merge(
        tx,
        org,
        &NewMerge {
            id,
            survivor,
            merged,
            survivor_before: json(s_new.before(&s_old))?,
            merged_before: json(m_new.before(&m_old))?,
            moved_touchpoints: &moved,
            moved_adjustments: &adjustments,
            repointed_contacts: &repointed,
            merged_by: Actor::of(caller).to_string(),
        },
    )
    .await?;

    let s_after = recorder.rescore(tx, org, survivor, None).await?;
    let event = pb::ContactMerged {
        merge_id: id.uuid().to_string(),
        survivor_id: survivor.uuid().to_string(),
        merged_id: merged.uuid().to_string(),
    };
    recorder
        .outbox
        .add(tx, Draft::new(org, &event).about("contact_id", survivor))
        .await?;
    audit::record(
        &recorder.outbox,
        tx,
        caller,
        Entry::on("contact.merge", "contact", survivor).with_details(serde_json::json!({
            "merge": id.to_string(),
            "merged": merged.to_string(),
            "moved_touchpoints": moved.len(),
            "moved_adjustments": adjustments.len(),
        })),
    )
    .await?;
    Ok(answer(id.uuid(), s_after, m_after, moved.len(), merged_at, None))
}

/// Undoes a merge: both records as they were, touchpoints, adjustments
/// and earlier merges moved back.
async fn undo(recorder: &Recorder, tx: &mut Tx, org: OrgId, caller: &Caller, id: MergeId) -> Result<pb::Merge, Error> {
    let m = store::merge_for_update(tx, org, id)
        .await?
        .ok_or_else(|| Error::NotFound("merge".to_owned()))?;
    if m.undone_at.is_some() {
        return Err(Error::Conflict("this merge was undone already".to_owned()));
    }
    let (survivor, merged) = (ContactId::from(m.survivor_id), ContactId::from(m.merged_id));
    let (s_row, m_row) = lock_pair(tx, org, survivor, merged).await?;
    if let Some(into) = s_row.merged_into {
        return Err(Error::Conflict(format!(
            "{survivor} was merged into {} since; undo that merge first",
            ContactId::from(into)
        )));
    }
    if m_row.merged_into != Some(m.survivor_id) {
        return Err(Error::Conflict(format!("{merged} is no longer merged into {survivor}")));
    }
    let before = |v: serde_json::Value| serde_json::from_value::<Before>(v).map_err(|e| Error::Internal(e.into()));
    let s_fields = Fields::of(&s_row).restored(before(m.survivor_before)?);
    let mut m_fields = Fields::of(&m_row).restored(before(m.merged_before)?);
    m_fields.merged_into = None;
    let taken = |e: sqlx::Error| {
        if is_violation(&e, "contacts_org_phone_key") {
            Error::Conflict("another contact has since taken one of these phones; change it before undoing".to_owned())
        } else {
            e.into()
        }
    };
    // The survivor hands a taken-over phone back first.
    store::write_merge_fields(tx, org, survivor, &s_fields)
        .await
        .map_err(taken)?;
    store::write_merge_fields(tx, org, merged, &m_fields)
        .await
        .map_err(taken)?;
    let moved = store::move_kept(tx, org, Kept::Touchpoints, survivor, merged, Some(&m.moved_touchpoints)).await?;
    store::move_kept(tx, org, Kept::Adjustments, survivor, merged, Some(&m.moved_adjustments)).await?;
    store::repoint_merged(tx, org, survivor, merged, Some(&m.repointed_contacts)).await?;
    let undone_at = store::mark_undone(tx, org, id, &Actor::of(caller).to_string()).await?;
    let s_after = recorder.rescore(tx, org, survivor, None).await?;
    let m_after = recorder.rescore(tx, org, merged, None).await?;
    let event = pb::ContactMergeUndone {
        merge_id: id.uuid().to_string(),
        survivor_id: survivor.uuid().to_string(),
        merged_id: merged.uuid().to_string(),
    };
    recorder
        .outbox
        .add(tx, Draft::new(org, &event).about("contact_id", survivor))
        .await?;
    audit::record(
        &recorder.outbox,
        tx,
        caller,
        Entry::on("contact.merge_undo", "contact", survivor)
            .with_details(serde_json::json!({ "merge": id.to_string(), "merged": merged.to_string() })),
    )
    .await?;
    Ok(answer(
        id.uuid(),
        s_after,
        m_after,
        moved.len(),
        m.merged_at,
        Some(undone_at),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, phone: Option<&str>, email: Option<&str>, source: &str, day: u32) -> Fields {
        Fields {
            name: name.to_owned(),
            phone: phone.map(str::to_owned),
            email: email.map(str::to_owned),
            source: source.to_owned(),
            source_kind: None,
            intent: None,
            is_existing_patient: false,
            created_at: chrono::NaiveDate::from_ymd_opt(2026, 11, day)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap()
                .and_utc(),
            merged_into: None,
        }
    }

    #[test]
    fn the_survivor_keeps_its_own_and_takes_what_it_lacks_and_the_first_touch() {
        let s = fields("Jane Doe", None, Some("jane@example.com"), "Wix", 10);
        let mut m = fields("J Doe", Some("+61412000111"), Some("jd@example.com"), "Meta Ads", 3);
        m.intent = Some("procedure".to_owned());
        m.is_existing_patient = true;
        let (after, gave) = merged_fields(&s, &m);
        assert_eq!(after.name, "Jane Doe");
        assert_eq!(after.email.as_deref(), Some("jane@example.com"), "its own email stays");
        assert_eq!(
            after.phone.as_deref(),
            Some("+61412000111"),
            "the missing phone is taken"
        );
        assert_eq!(gave.phone, None, "and given up by the merged record");
        assert_eq!(after.intent.as_deref(), Some("procedure"));
        assert!(after.is_existing_patient);
        assert_eq!((after.source.as_str(), after.created_at), ("Meta Ads", m.created_at));

        let before = after.before(&s);
        let back = after
            .clone()
            .restored(serde_json::from_value(serde_json::to_value(before).unwrap()).unwrap());
        assert_eq!(back.phone, s.phone);
        assert_eq!(back.source, s.source);
        assert_eq!(back.created_at, s.created_at);
        assert_eq!(back.intent, s.intent);
        assert_eq!(back.is_existing_patient, s.is_existing_patient);
        assert_eq!(back.email, s.email);
    }

    #[test]
    fn a_placeholder_name_gives_way_to_a_real_one() {
        let s = fields("+61412000111", Some("+61412000111"), None, "Wix", 1);
        let m = fields("Jane Doe", None, Some("jane@example.com"), "ManyChat", 2);
        let (after, _) = merged_fields(&s, &m);
        assert_eq!(after.name, "Jane Doe");
        assert_eq!(after.source, "Wix", "the survivor was first");
    }
}

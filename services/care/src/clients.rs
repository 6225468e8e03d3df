//! Clients (care recipients), their care team and their linked family.
//! Medical details are sealed (`care.clients.medical:<id>`); each read of
//! a client's record is in the audit trail.

use attend_kit::audit::{self, Entry};
use attend_kit::bus::timestamp;
use attend_kit::grpc::{Caller, Role};
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ClientId, ContactId, FamilyMemberId, TypedId, UserId};
use attend_kit::{Error, FieldError, text};
use attend_proto::care::v1 as pb;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{self, Access, Level};
use crate::api::Api;
use crate::store::{self, ClientRow, FamilyRow, NewClient, NewFamily, Scope};

/// A client's details, checked.
struct Details {
    user: Option<Uuid>,
    name: String,
    born: NaiveDate,
    gender: Option<String>,
    care_level: String,
    zone: String,
    emergency_name: Option<String>,
    emergency_phone: Option<String>,
    medical: Medical,
}

impl Details {
    fn row<'a>(&'a self, id: ClientId, contact: Uuid, sealed: &'a crate::seal::Sealed) -> NewClient<'a> {
        NewClient {
            id,
            contact_id: contact,
            user_id: self.user,
            name: &self.name,
            date_of_birth: self.born,
            gender: self.gender.as_deref(),
            care_level: &self.care_level,
            time_zone: &self.zone,
            emergency_contact_name: self.emergency_name.as_deref(),
            emergency_contact_phone: self.emergency_phone.as_deref(),
            medical_sealed: &sealed.bytes,
            medical_key: &sealed.key,
        }
    }
}

/// What `medical_sealed` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Medical {
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub allergies: Vec<String>,
    #[serde(default)]
    pub insurance_provider: String,
    #[serde(default)]
    pub insurance_policy_number: String,
}

pub(crate) fn medical_context(id: Uuid) -> String {
    format!("care.clients.medical:{id}")
}

/// A date as the API writes it.
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "must be a date, YYYY-MM-DD".to_owned())
}

/// An optional date field: `Some(None)` when empty, `None` (and the
/// problem noted) when it is not a date.
pub(crate) fn optional_date(problems: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<Option<NaiveDate>> {
    match raw.trim() {
        "" => Some(None),
        d => text::collect(problems, field, parse_date(d)).map(Some),
    }
}

/// A client id from a request: one that isn't an id is as unknown as a
/// missing client.
pub(crate) fn client_id(raw: &str) -> Result<ClientId, Error> {
    ClientId::parse_uuid_at("client_id", raw).map_err(|_| Error::NotFound("client".to_owned()))
}

/// Attachment ids from a request: documents of the client (checked in
/// `tx`), at most 10.
pub(crate) async fn attachments(
    tx: &mut attend_kit::db::Tx,
    org: attend_kit::ids::OrgId,
    client: ClientId,
    given: &[String],
) -> Result<Vec<Uuid>, Error> {
    if given.len() > 10 {
        return Err(Error::invalid("attachment_ids", "lists more than 10 documents"));
    }
    let mut ids = Vec::with_capacity(given.len());
    for (i, raw) in given.iter().enumerate() {
        let id: Uuid = raw
            .trim()
            .parse()
            .map_err(|_| Error::invalid(format!("attachment_ids[{i}]"), "is not a document id"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if !ids.is_empty() && store::attachable(tx, org, client, &ids).await? != i64::try_from(ids.len()).unwrap_or(0) {
        return Err(Error::invalid(
            "attachment_ids",
            "names a document that is not this client's (or failed its virus scan)",
        ));
    }
    Ok(ids)
}

/// A user id as the fleet carries it, or empty.
fn optional_user(problems: &mut Vec<FieldError>, field: &str, raw: &str) -> Option<Option<Uuid>> {
    match raw.trim() {
        "" => Some(None),
        id => text::collect(
            problems,
            field,
            UserId::parse_uuid(id)
                .map(|u| Some(u.uuid()))
                .map_err(|_| "is not a user id".to_owned()),
        ),
    }
}

/// A list of short texts (conditions, allergies, medications).
pub(crate) fn lines(problems: &mut Vec<FieldError>, field: &str, items: &[String], max: usize) -> Vec<String> {
    if items.len() > 50 {
        problems.push(FieldError::new(field, "lists more than 50 entries"));
        return Vec::new();
    }
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| text::collect(problems, &format!("{field}[{i}]"), text::required_line(item, max)))
        .collect()
}

fn team_proto(rows: Vec<store::TeamRow>) -> Vec<pb::TeamMember> {
    rows.into_iter()
        .map(|t| pb::TeamMember {
            user_id: t.user_id.to_string(),
            role: t.role,
        })
        .collect()
}

pub(crate) fn family_proto(f: FamilyRow) -> pb::FamilyMember {
    pb::FamilyMember {
        id: f.id.to_string(),
        client_id: f.client_id.to_string(),
        user_id: f.user_id.to_string(),
        contact_id: f.contact_id.map(|c| c.to_string()).unwrap_or_default(),
        relationship: f.relationship,
        is_primary_contact: f.is_primary_contact,
        access_level: f.access_level,
        notify_sms: f.notify_sms,
        notify_email: f.notify_email,
        appointment_reminders: f.appointment_reminders,
        created_at: Some(timestamp(f.created_at)),
        unlinked_at: f.unlinked_at.map(timestamp),
    }
}

impl Api {
    /// The client as `access` may see it.
    async fn client_proto(
        &self,
        tx: &mut attend_kit::db::Tx,
        org: attend_kit::ids::OrgId,
        row: ClientRow,
        access: Access,
    ) -> Result<pb::Client, Error> {
        let team = store::team(tx, org, row.client_id()).await?;
        let medical = if access.sees_medical() {
            let m: Medical = self
                .keys
                .open_json(&medical_context(row.id), &row.medical_key, &row.medical_sealed)
                .map_err(|e| Error::Internal(anyhow::Error::new(e).context("open a client's medical details")))?;
            Some(pb::Medical {
                conditions: m.conditions,
                allergies: m.allergies,
                insurance_provider: m.insurance_provider,
                insurance_policy_number: m.insurance_policy_number,
            })
        } else {
            None
        };
        Ok(pb::Client {
            id: row.id.to_string(),
            contact_id: row.contact_id.to_string(),
            user_id: row.user_id.map(|u| u.to_string()).unwrap_or_default(),
            name: row.name,
            date_of_birth: row.date_of_birth.format("%Y-%m-%d").to_string(),
            gender: row.gender.unwrap_or_default(),
            status: row.status,
            care_level: row.care_level,
            time_zone: row.time_zone,
            emergency_contact_name: row.emergency_contact_name.unwrap_or_default(),
            emergency_contact_phone: row.emergency_contact_phone.unwrap_or_default(),
            care_team: team_proto(team),
            medical,
            created_at: Some(timestamp(row.created_at)),
            updated_at: Some(timestamp(row.updated_at)),
            access: access.as_str().to_owned(),
        })
    }

    /// A client's details from a request, every bad field named.
    async fn details(&self, org: attend_kit::ids::OrgId, req: &pb::CreateClientRequest) -> Result<Details, Error> {
        let zone = match req.time_zone.trim() {
            "" => self.orgs.get(org).await?.time_zone.name().to_owned(),
            z => z.to_owned(),
        };
        let mut problems = Vec::new();
        let user = optional_user(&mut problems, "user_id", &req.user_id);
        let name = text::collect(&mut problems, "name", text::required_line(&req.name, 200));
        let born = text::collect(
            &mut problems,
            "date_of_birth",
            parse_date(&req.date_of_birth).and_then(|d| {
                let today = self.clock.now().date_naive();
                match d > today || d < NaiveDate::from_ymd_opt(1890, 1, 1).unwrap_or(d) {
                    true => Err("must be a past date after 1890".to_owned()),
                    false => Ok(d),
                }
            }),
        );
        let gender = text::collect(&mut problems, "gender", text::line(&req.gender, 50));
        let care_level = match req.care_level.trim() {
            level @ ("basic" | "intermediate" | "intensive") => Some(level.to_owned()),
            _ => {
                problems.push(FieldError::new(
                    "care_level",
                    "must be basic, intermediate or intensive",
                ));
                None
            }
        };
        if zone.parse::<chrono_tz::Tz>().is_err() {
            problems.push(FieldError::new(
                "time_zone",
                "must be an IANA time zone, e.g. Australia/Sydney",
            ));
        }
        let emergency_name = text::collect(
            &mut problems,
            "emergency_contact_name",
            text::line(&req.emergency_contact_name, 200),
        );
        let emergency_phone = text::collect(
            &mut problems,
            "emergency_contact_phone",
            text::line(&req.emergency_contact_phone, 20),
        );
        let given = req.medical.clone().unwrap_or_default();
        let medical = Medical {
            conditions: lines(&mut problems, "medical.conditions", &given.conditions, 200),
            allergies: lines(&mut problems, "medical.allergies", &given.allergies, 200),
            insurance_provider: text::collect(
                &mut problems,
                "medical.insurance_provider",
                text::line(&given.insurance_provider, 200),
            )
            .unwrap_or_default(),
            insurance_policy_number: text::collect(
                &mut problems,
                "medical.insurance_policy_number",
                text::line(&given.insurance_policy_number, 100),
            )
            .unwrap_or_default(),
        };
        match (
            user,
            name,
            born,
            gender,
            care_level,
            emergency_name,
            emergency_phone,
            problems.is_empty(),
        ) {
            (Some(user), Some(name), Some(born), Some(gender), Some(care_level), Some(en), Some(ep), true) => {
                Ok(Details {
                    user,
                    name,
                    born,
                    gender: Some(gender).filter(|g| !g.is_empty()),
                    care_level,
                    zone,
                    emergency_name: Some(en).filter(|n| !n.is_empty()),
                    emergency_phone: Some(ep).filter(|n| !n.is_empty()),
                    medical,
                })
            }
            _ => Err(Error::Invalid(problems)),
        }
    }

    pub(crate) async fn create_client(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::CreateClientRequest,
    ) -> Result<pb::Client, Error> {
        if caller.role != Role::Admin {
            return Err(Error::Forbidden("only admins add clients".to_owned()));
        }
        let org = caller.org()?;
        let contact = ContactId::parse_uuid(&req.contact_id);
        let details = self.details(org, &req).await;
        let (contact, d) = match (contact, details) {
            (Ok(contact), Ok(d)) => (contact, d),
            (contact, details) => {
                let mut problems = Vec::new();
                if contact.is_err() {
                    problems.push(FieldError::new("contact_id", "is required: the client's contact"));
                }
                match details {
                    Err(Error::Invalid(more)) => problems.extend(more),
                    Err(other) => return Err(other),
                    Ok(_) => {}
                }
                return Err(Error::Invalid(problems));
            }
        };
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim::<pb::Client>(&mut tx, org, "CreateClient", key.as_deref(), &req).await? {
            Claim::Replay(done) => {
                tx.commit().await?;
                return self
                    .get_client(caller, pb::GetClientRequest { client_id: done.id })
                    .await;
            }
            Claim::Fresh(guard) => guard,
        };
        let id = ClientId::new();
        let sealed = self.keys.seal_json(&medical_context(id.uuid()), &d.medical)?;
        let row = store::insert_client(&mut tx, org, &d.row(id, contact.uuid(), &sealed))
            .await?
            .ok_or_else(|| Error::Conflict("contact_id: this contact is already a client".to_owned()))?;
        audit::record(&self.outbox, &mut tx, &caller, Entry::on("client.create", "client", id)).await?;
        // The stored answer names the client only: its medical details
        // are never kept in clear, so a retry reads the client again.
        guard
            .complete(
                &mut tx,
                &pb::Client {
                    id: row.id.to_string(),
                    ..Default::default()
                },
            )
            .await?;
        let client = self.client_proto(&mut tx, org, row, Access::Admin).await?;
        tx.commit().await?;
        Ok(client)
    }

    pub(crate) async fn get_client(&self, caller: Caller, req: pb::GetClientRequest) -> Result<pb::Client, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let mut tx = self.db.tenant(org).await?;
        let (row, access) = access::resolve(&mut tx, org, &caller, id).await?;
        audit::record_read(&self.outbox, &mut tx, &caller, Entry::on("client.read", "client", id)).await?;
        let client = self.client_proto(&mut tx, org, row, access).await?;
        tx.commit().await?;
        Ok(client)
    }

    /// Replaces a client's details (admins): the same fields as adding one,
    /// and `status` (active, inactive, archived).
    pub(crate) async fn update_client(
        &self,
        caller: Caller,
        req: pb::UpdateClientRequest,
    ) -> Result<pb::Client, Error> {
        if caller.role != Role::Admin {
            return Err(Error::Forbidden("only admins change a client's details".to_owned()));
        }
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let given = req.details.unwrap_or_default();
        let status = req.status.trim();
        let d = match (
            self.details(org, &given).await,
            matches!(status, "active" | "inactive" | "archived"),
        ) {
            (Ok(d), true) => d,
            (d, status_ok) => {
                let mut problems = match d {
                    Err(Error::Invalid(problems)) => problems,
                    Err(other) => return Err(other),
                    Ok(_) => Vec::new(),
                };
                if !status_ok {
                    problems.push(FieldError::new("status", "must be active, inactive or archived"));
                }
                return Err(Error::Invalid(problems));
            }
        };
        let mut tx = self.db.tenant(org).await?;
        let (old, access) = access::resolve(&mut tx, org, &caller, id).await?;
        let sealed = self.keys.seal_json(&medical_context(id.uuid()), &d.medical)?;
        let row = store::update_client(&mut tx, org, &d.row(id, old.contact_id, &sealed), status).await?;
        audit::record(&self.outbox, &mut tx, &caller, Entry::on("client.update", "client", id)).await?;
        let client = self.client_proto(&mut tx, org, row, access).await?;
        tx.commit().await?;
        Ok(client)
    }

    pub(crate) async fn list_clients(&self, caller: Caller) -> Result<pb::ListClientsResponse, Error> {
        let org = caller.org()?;
        let user = caller.user;
        let scope = match (caller.role, user) {
            (Role::Admin, _) => Scope::All,
            (Role::CareTeam, Some(u)) => Scope::Team(u),
            (Role::Family, Some(u)) => Scope::Family(u),
            (Role::Client, Some(u)) => Scope::Client(u),
            (role, _) => return Err(access::practice_role(role)),
        };
        let mut tx = self.db.tenant(org).await?;
        let rows = store::clients(&mut tx, org, scope).await?;
        let mut clients = Vec::with_capacity(rows.len());
        for row in rows {
            // Each row's access, by the same rule as a single read.
            let Some(access) = access::access_to(&mut tx, org, &caller, &row).await? else {
                continue;
            };
            // A list shows who, not their medical details.
            let mut client = self.client_proto(&mut tx, org, row, access).await?;
            client.medical = None;
            clients.push(client);
        }
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::untargeted("client.list", "client"),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListClientsResponse { clients })
    }

    pub(crate) async fn set_care_team(&self, caller: Caller, req: pb::SetCareTeamRequest) -> Result<pb::Client, Error> {
        if caller.role != Role::Admin {
            return Err(Error::Forbidden("only admins assign a client's care team".to_owned()));
        }
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let mut problems = Vec::new();
        let mut team = Vec::new();
        for (i, m) in req.care_team.iter().enumerate() {
            let user = text::collect(
                &mut problems,
                &format!("care_team[{i}].user_id"),
                UserId::parse_uuid(&m.user_id).map_err(|_| "is not a user id".to_owned()),
            );
            let role = match m.role.trim() {
                r @ ("coordinator" | "carer") => Some(r),
                _ => {
                    problems.push(FieldError::new(
                        format!("care_team[{i}].role"),
                        "must be coordinator or carer",
                    ));
                    None
                }
            };
            if let (Some(user), Some(role)) = (user, role) {
                if team.iter().any(|(u, _)| *u == user.uuid()) {
                    problems.push(FieldError::new(format!("care_team[{i}].user_id"), "is listed twice"));
                }
                team.push((user.uuid(), role));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let mut tx = self.db.tenant(org).await?;
        let (_, access) = access::resolve(&mut tx, org, &caller, id).await?;
        store::set_team(&mut tx, org, id, &team).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("client.care_team", "client", id).with_details(serde_json::json!({ "members": team.len() })),
        )
        .await?;
        // The row again: set_team moved its updated_at.
        let row = store::client(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("client".to_owned()))?;
        let client = self.client_proto(&mut tx, org, row, access).await?;
        tx.commit().await?;
        Ok(client)
    }

    pub(crate) async fn link_family(
        &self,
        caller: Caller,
        req: pb::LinkFamilyMemberRequest,
    ) -> Result<pb::FamilyMember, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let mut problems = Vec::new();
        let user = text::collect(
            &mut problems,
            "user_id",
            UserId::parse_uuid(&req.user_id).map_err(|_| "is required: the family member's portal user".to_owned()),
        );
        let contact = match req.contact_id.trim() {
            "" => Some(None),
            c => text::collect(
                &mut problems,
                "contact_id",
                ContactId::parse_uuid(c)
                    .map(|c| Some(c.uuid()))
                    .map_err(|_| "is not a contact id".to_owned()),
            ),
        };
        let relationship = text::collect(
            &mut problems,
            "relationship",
            text::required_line(&req.relationship, 100),
        );
        let level = match req.access_level.trim() {
            "" => Some(Level::ViewOnly),
            l => {
                let level = Level::parse(l);
                if level.is_none() {
                    problems.push(FieldError::new(
                        "access_level",
                        "must be view_only, messaging or full_access",
                    ));
                }
                level
            }
        };
        if (req.notify_sms || req.notify_email) && req.contact_id.trim().is_empty() {
            problems.push(FieldError::new(
                "contact_id",
                "is needed for notifications: their phone and email are the contact's",
            ));
        }
        let (Some(user), Some(contact), Some(relationship), Some(level), true) =
            (user, contact, relationship, level, problems.is_empty())
        else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let (_, access) = access::resolve(&mut tx, org, &caller, id).await?;
        access.require_manager("manage family access")?;
        let row = store::link_family(
            &mut tx,
            org,
            id,
            &NewFamily {
                user_id: user.uuid(),
                contact_id: contact,
                relationship: &relationship,
                is_primary_contact: req.is_primary_contact,
                access_level: level.as_str(),
                notify_sms: req.notify_sms,
                notify_email: req.notify_email,
            },
        )
        .await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("family.link", "client", id).with_details(serde_json::json!({
                "user": user.to_string(),
                "access_level": level.as_str(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(family_proto(row))
    }

    pub(crate) async fn unlink_family(
        &self,
        caller: Caller,
        req: pb::UnlinkFamilyMemberRequest,
    ) -> Result<pb::FamilyMember, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let member = FamilyMemberId::parse_uuid_at("family_member_id", &req.family_member_id)?;
        let mut tx = self.db.tenant(org).await?;
        let (_, access) = access::resolve(&mut tx, org, &caller, id).await?;
        access.require_manager("manage family access")?;
        let row = store::unlink_family(&mut tx, org, id, member)
            .await?
            .ok_or_else(|| Error::NotFound("linked family member".to_owned()))?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("family.unlink", "client", id)
                .with_details(serde_json::json!({ "user": UserId::from(row.user_id).to_string() })),
        )
        .await?;
        tx.commit().await?;
        Ok(family_proto(row))
    }

    pub(crate) async fn list_family(
        &self,
        caller: Caller,
        req: pb::ListFamilyMembersRequest,
    ) -> Result<pb::ListFamilyMembersResponse, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let mut tx = self.db.tenant(org).await?;
        let (_, access) = access::resolve(&mut tx, org, &caller, id).await?;
        let rows = store::family(&mut tx, org, id).await?;
        audit::record_read(&self.outbox, &mut tx, &caller, Entry::on("family.list", "client", id)).await?;
        tx.commit().await?;
        // Family see who else is linked, not how each is reached.
        let team = access.is_team();
        Ok(pb::ListFamilyMembersResponse {
            family_members: rows
                .into_iter()
                .map(family_proto)
                .map(|mut f| {
                    if !team {
                        f.contact_id.clear();
                        f.notify_sms = false;
                        f.notify_email = false;
                    }
                    f
                })
                .collect(),
        })
    }
}

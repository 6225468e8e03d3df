//! Organisations (tenants): creating them, reading them, and finding the
//! one a provider's delivery belongs to.

use attend_kit::authz::Permission;
use attend_kit::bus::timestamp;
use attend_kit::contact_point::{Phone, Region};
use attend_kit::db::Tx;
use attend_kit::grpc::{Caller, Role};
use attend_kit::ids::{OrgId, TypedId};
use attend_kit::text;
use attend_kit::{Error, FieldError};
use attend_proto::identity::v1 as pb;
use chrono::NaiveTime;

use crate::api::Api;
use crate::store;
use crate::store::orgs::{OrgRow, Setting};

pub(crate) async fn create(
    api: &Api,
    caller: Caller,
    req: pb::CreateOrganisationRequest,
) -> Result<pb::Organisation, Error> {
    caller.require_permission(Permission::PlatformOperate)?;
    let new = NewOrganisation::parse(req)?;
    // Platform transaction: an organisation is created outside any tenant.
    let mut tx = api.db.platform().await?;
    let id = OrgId::new();
    let row = store::orgs::insert(&mut tx, id, &new)
        .await?
        .ok_or_else(|| Error::Conflict(format!("slug {:?} is already used by another organisation", new.slug)))?;
    for ext in &new.external_ids {
        if !store::orgs::link(&mut tx, id, ext).await? {
            return Err(Error::Conflict(format!(
                "{} id {:?} already belongs to another organisation",
                ext.provider, ext.external_id
            )));
        }
    }
    let org = with_ids(&mut tx, row).await?;
    tx.commit().await?;
    tracing::info!(org = %id, slug = %new.slug, "organisation created");
    Ok(org)
}

pub(crate) async fn get(api: &Api, caller: Caller, req: pb::GetOrganisationRequest) -> Result<pb::Organisation, Error> {
    let id = OrgId::parse_uuid_at("id", &req.id)?;
    // Anyone inside the organisation may read it; the platform reads any.
    require_within(&caller, id)?;
    let mut tx = if caller.role == Role::Platform {
        api.db.platform().await?
    } else {
        api.db.tenant(id).await?
    };
    let row = store::orgs::get(&mut tx, id)
        .await?
        .ok_or_else(|| Error::NotFound("organisation".to_owned()))?;
    let org = with_ids(&mut tx, row).await?;
    tx.commit().await?;
    Ok(org)
}

pub(crate) async fn list(api: &Api, caller: Caller) -> Result<pb::ListOrganisationsResponse, Error> {
    caller.require_permission(Permission::PlatformOperate)?;
    let mut tx = api.db.platform().await?;
    let rows = store::orgs::all(&mut tx).await?;
    let mut organisations = Vec::with_capacity(rows.len());
    for row in rows {
        organisations.push(with_ids(&mut tx, row).await?);
    }
    tx.commit().await?;
    Ok(pb::ListOrganisationsResponse { organisations })
}

pub(crate) async fn resolve(
    api: &Api,
    caller: Caller,
    req: pb::ResolveOrganisationRequest,
) -> Result<pb::Organisation, Error> {
    caller.require_permission(Permission::PlatformOperate)?;
    // Ids come from webhooks: one no organisation could have (a NUL, a
    // megabyte) is simply not found, and never reaches a query.
    for (field, text) in [("provider", &req.provider), ("external_id", &req.external_id)] {
        attend_kit::text::line(text, 200).map_err(attend_kit::text::at(field))?;
    }
    // Platform transaction: routing a delivery to its tenant is exactly
    // the question of which tenant it is.
    let mut tx = api.db.platform().await?;
    let row = if req.external_id.is_empty() {
        let rows = store::orgs::first_two(&mut tx).await?;
        match rows.len() {
            0 => return Err(Error::NotFound("organisation (none exists yet)".to_owned())),
            1 => rows.into_iter().next(),
            _ => {
                return Err(Error::Conflict(
                    "several organisations exist, so the delivery must carry the provider's id for its organisation"
                        .to_owned(),
                ));
            }
        }
    } else if req.provider == "slug" {
        // A webhook URL or token that names the organisation itself.
        store::orgs::by_slug(&mut tx, &req.external_id).await?
    } else {
        store::orgs::by_external_id(&mut tx, &req.provider, &req.external_id).await?
    };
    let row =
        row.ok_or_else(|| Error::NotFound(format!("organisation for {} id {:?}", req.provider, req.external_id)))?;
    let org = with_ids(&mut tx, row).await?;
    tx.commit().await?;
    Ok(org)
}

/// Refuses a caller outside `org`; the platform is within every one. To
/// anyone else another organisation does not exist.
pub(crate) fn require_within(caller: &Caller, org: OrgId) -> Result<(), Error> {
    if caller.role == Role::Platform || caller.org()? == org {
        Ok(())
    } else {
        Err(Error::NotFound("organisation".to_owned()))
    }
}

/// An organisation as the API shows it, with its provider ids.
async fn with_ids(tx: &mut Tx, row: OrgRow) -> Result<pb::Organisation, Error> {
    let external_ids = store::orgs::external_ids(tx, OrgId::from(row.id)).await?;
    Ok(pb::Organisation {
        id: row.id.to_string(),
        name: row.name,
        slug: row.slug,
        time_zone: row.time_zone,
        phone_region: row.phone_region,
        external_ids,
        created_at: Some(timestamp(row.created_at)),
        business_hours: Some(hours_to_proto(&row.business_hours)),
        messaging: Some(messaging_to_proto(&row.messaging)),
    })
}

/// Admin: replaces the organisation's messaging settings, every value
/// checked and every bad one named.
pub(crate) async fn update_messaging(
    api: &Api,
    caller: Caller,
    req: pb::UpdateMessagingSettingsRequest,
) -> Result<pb::Organisation, Error> {
    caller.require_permission(Permission::SettingsManage)?;
    let id = OrgId::parse_uuid_at("org_id", &req.org_id)?;
    require_within(&caller, id)?;
    let mut tx = api.db.tenant(id).await?;
    let region = store::orgs::get(&mut tx, id)
        .await?
        .ok_or_else(|| Error::NotFound("organisation".to_owned()))?
        .phone_region
        .parse::<Region>()
        .unwrap_or_default();
    let settings = messaging_from_proto(&req.settings.unwrap_or_default(), region)?;
    let changed: Vec<&String> = settings["values"]
        .as_object()
        .map(|v| v.keys().collect())
        .unwrap_or_default();
    let details = serde_json::json!({ "values": changed });
    replace_setting(tx, &caller, id, Setting::Messaging, &settings, details).await
}

/// Replaces one of the organisation's settings with a checked value,
/// audited as `settings.<setting>`; the organisation after.
async fn replace_setting(
    mut tx: Tx,
    caller: &Caller,
    id: OrgId,
    setting: Setting,
    value: &serde_json::Value,
    details: serde_json::Value,
) -> Result<pb::Organisation, Error> {
    let row = store::orgs::set(&mut tx, id, setting, value)
        .await?
        .ok_or_else(|| Error::NotFound("organisation".to_owned()))?;
    store::audit::write(
        &mut tx,
        crate::audit::Entry {
            org: id,
            actor: caller.user,
            actor_role: caller.role,
            action: match setting {
                Setting::Messaging => "settings.messaging",
                Setting::BusinessHours => "settings.business_hours",
            },
            target_type: "organisation",
            target_id: id.to_string(),
            details,
        },
    )
    .await?;
    let org = with_ids(&mut tx, row).await?;
    tx.commit().await?;
    Ok(org)
}

/// Admin: replaces the organisation's opening hours.
pub(crate) async fn update_business_hours(
    api: &Api,
    caller: Caller,
    req: pb::UpdateBusinessHoursRequest,
) -> Result<pb::Organisation, Error> {
    caller.require_permission(Permission::SettingsManage)?;
    let id = OrgId::parse_uuid_at("org_id", &req.org_id)?;
    require_within(&caller, id)?;
    let hours = req
        .business_hours
        .as_ref()
        .ok_or_else(|| Error::invalid("business_hours", "is required: seven days, Monday first"))
        .and_then(|h| hours_from_proto(h).map_err(|problem| Error::Invalid(vec![problem])))?;
    let tx = api.db.tenant(id).await?;
    let details = serde_json::json!({ "business_hours": hours });
    replace_setting(tx, &caller, id, Setting::BusinessHours, &hours, details).await
}

/// Checks messaging settings: known values only, links that are web
/// addresses, a phone that reads, quiet hours as HH:MM, a sender that a
/// provider accepts.
fn messaging_from_proto(m: &pb::MessagingSettings, region: Region) -> Result<serde_json::Value, Error> {
    let mut problems = Vec::new();
    let mut values = serde_json::Map::new();
    for (key, value) in &m.values {
        let field = format!("settings.values.{key}");
        if !attend_kit::orgs::TEMPLATE_VALUES.contains(&key.as_str()) {
            problems.push(FieldError::new(
                field,
                format!(
                    "is not a value an organisation sets; one of {}",
                    attend_kit::orgs::TEMPLATE_VALUES.join(", ")
                ),
            ));
            continue;
        }
        let Some(value) = text::collect(&mut problems, &field, text::line(value, 500)) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        if key.ends_with("_link") {
            let web = url::Url::parse(&value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !web {
                problems.push(FieldError::new(field, "must be a web address starting with https://"));
                continue;
            }
        }
        if key == "clinic_phone" && text::collect(&mut problems, &field, Phone::parse(&value, region)).is_none() {
            continue;
        }
        values.insert(key.clone(), value.into());
    }
    let time = |t: &str| -> Option<String> {
        match t.trim() {
            "" => Some(String::new()),
            t => NaiveTime::parse_from_str(t, "%H:%M").ok().map(|_| t.to_owned()),
        }
    };
    let start = time(&m.quiet_hours_start);
    let end = time(&m.quiet_hours_end);
    match (&start, &end) {
        (Some(s), Some(e)) if s.is_empty() == e.is_empty() => {}
        (Some(_), Some(_)) => problems.push(FieldError::new(
            "settings.quiet_hours_end",
            "give both quiet_hours_start and quiet_hours_end, or neither",
        )),
        _ => {
            for (field, parsed) in [("quiet_hours_start", &start), ("quiet_hours_end", &end)] {
                if parsed.is_none() {
                    problems.push(FieldError::new(
                        format!("settings.{field}"),
                        "must be HH:MM, e.g. 20:00",
                    ));
                }
            }
        }
    }
    let sms_from = m.sms_from.trim();
    let sender_ok = sms_from.is_empty()
        || Phone::parse(sms_from, region).is_ok_and(|p| p.as_str() == sms_from)
        || (sms_from.len() <= 11
            && sms_from.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
            && sms_from.chars().any(|c| c.is_ascii_alphabetic()));
    if !sender_ok {
        problems.push(FieldError::new(
            "settings.sms_from",
            "must be a number in E.164 (+61480000000) or a sender name of up to 11 letters and digits",
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok(serde_json::json!({
        "values": values,
        "quiet_hours_start": start.unwrap_or_default(),
        "quiet_hours_end": end.unwrap_or_default(),
        "sms_from": sms_from,
    }))
}

fn messaging_to_proto(stored: &serde_json::Value) -> pb::MessagingSettings {
    let text = |key: &str| stored[key].as_str().unwrap_or_default().to_owned();
    pb::MessagingSettings {
        values: stored["values"]
            .as_object()
            .map(|values| {
                values
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
        quiet_hours_start: text("quiet_hours_start"),
        quiet_hours_end: text("quiet_hours_end"),
        sms_from: text("sms_from"),
    }
}

/// A checked `CreateOrganisationRequest`.
pub(crate) struct NewOrganisation {
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    pub region: Region,
    pub external_ids: Vec<pb::ExternalId>,
    /// Seven weekdays, Monday first: [[opens, closes], ...].
    pub business_hours: serde_json::Value,
}

impl NewOrganisation {
    fn parse(req: pb::CreateOrganisationRequest) -> Result<Self, Error> {
        let mut problems = Vec::new();
        // An organisation's name, not a person's: one line, required.
        let name = text::collect(&mut problems, "name", text::required_line(&req.name, 200));
        let slug = if req.slug.trim().is_empty() {
            slugify(req.name.trim())
        } else {
            req.slug.trim().to_owned()
        };
        if !attend_kit::orgs::is_slug(&slug) {
            problems.push(FieldError::new(
                "slug",
                "must be 1-63 lower-case letters, digits or '-', starting with a letter or digit",
            ));
        }
        let time_zone = if req.time_zone.trim().is_empty() {
            "Australia/Sydney".to_owned()
        } else {
            req.time_zone.trim().to_owned()
        };
        if time_zone.parse::<chrono_tz::Tz>().is_err() {
            problems.push(FieldError::new(
                "time_zone",
                format!("{time_zone:?} is not an IANA time zone such as Australia/Sydney"),
            ));
        }
        let region = if req.phone_region.trim().is_empty() {
            Ok(Region::default())
        } else {
            req.phone_region.parse::<Region>()
        };
        let region = text::collect(&mut problems, "phone_region", region);
        let business_hours = match &req.business_hours {
            None => default_hours(),
            Some(hours) => hours_from_proto(hours).unwrap_or_else(|problem| {
                problems.push(problem);
                serde_json::Value::Null
            }),
        };
        for (i, ext) in req.external_ids.iter().enumerate() {
            if ext.provider.trim().is_empty() || ext.external_id.trim().is_empty() {
                problems.push(FieldError::new(
                    format!("external_ids[{i}]"),
                    "needs both a provider and an id",
                ));
            }
        }
        match (name, region) {
            (Some(name), Some(region)) if problems.is_empty() => Ok(Self {
                name,
                slug,
                time_zone,
                region,
                external_ids: req
                    .external_ids
                    .into_iter()
                    .map(|e| pb::ExternalId {
                        provider: e.provider.trim().to_ascii_lowercase(),
                        external_id: e.external_id.trim().to_owned(),
                    })
                    .collect(),
                business_hours,
            }),
            _ => Err(Error::Invalid(problems)),
        }
    }
}

/// Monday to Friday, 09:00 to 17:00.
fn default_hours() -> serde_json::Value {
    let day = serde_json::json!([["09:00", "17:00"]]);
    serde_json::json!([day, day, day, day, day, [], []])
}

/// Checks opening hours: seven days, each a list of `HH:MM` intervals that
/// open before they close and don't overlap.
fn hours_from_proto(hours: &pb::BusinessHours) -> Result<serde_json::Value, FieldError> {
    if hours.days.len() != 7 {
        return Err(FieldError::new(
            "business_hours.days",
            "must list seven days, Monday first",
        ));
    }
    let mut days = Vec::with_capacity(7);
    for (d, day) in hours.days.iter().enumerate() {
        let mut intervals: Vec<(NaiveTime, NaiveTime)> = Vec::new();
        for (i, interval) in day.intervals.iter().enumerate() {
            let field = format!("business_hours.days[{d}].intervals[{i}]");
            let parse = |t: &str| NaiveTime::parse_from_str(t, "%H:%M");
            let (Ok(opens), Ok(closes)) = (parse(&interval.opens), parse(&interval.closes)) else {
                return Err(FieldError::new(field, "opens and closes must be HH:MM, e.g. 09:00"));
            };
            if opens >= closes {
                return Err(FieldError::new(field, "must open before it closes"));
            }
            if intervals.iter().any(|(o, c)| opens < *c && *o < closes) {
                return Err(FieldError::new(field, "overlaps another interval of the same day"));
            }
            intervals.push((opens, closes));
        }
        intervals.sort();
        days.push(
            intervals
                .iter()
                .map(|(o, c)| serde_json::json!([o.format("%H:%M").to_string(), c.format("%H:%M").to_string()]))
                .collect::<Vec<_>>(),
        );
    }
    Ok(serde_json::json!(days))
}

fn hours_to_proto(stored: &serde_json::Value) -> pb::BusinessHours {
    let days = stored
        .as_array()
        .map(|days| {
            days.iter()
                .map(|day| pb::business_hours::Day {
                    intervals: day
                        .as_array()
                        .map(|intervals| {
                            intervals
                                .iter()
                                .map(|pair| pb::business_hours::Interval {
                                    opens: pair[0].as_str().unwrap_or_default().to_owned(),
                                    closes: pair[1].as_str().unwrap_or_default().to_owned(),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    pb::BusinessHours { days }
}

/// `Avatar Imaging` → `avatar-imaging`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(63).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(slugify("Avatar Imaging"), "avatar-imaging");
        assert_eq!(slugify("  LivingRite -- Portal!! "), "livingrite-portal");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn a_new_organisation_defaults_to_sydney_and_australia() {
        let new = NewOrganisation::parse(pb::CreateOrganisationRequest {
            name: "Avatar Imaging".to_owned(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(new.slug, "avatar-imaging");
        assert_eq!(new.time_zone, "Australia/Sydney");
        assert_eq!(new.region.as_str(), "AU");
    }

    #[test]
    fn business_hours_are_checked_and_normalised() {
        let day = |intervals: &[(&str, &str)]| pb::business_hours::Day {
            intervals: intervals
                .iter()
                .map(|(o, c)| pb::business_hours::Interval {
                    opens: (*o).to_owned(),
                    closes: (*c).to_owned(),
                })
                .collect(),
        };
        let mut hours = pb::BusinessHours {
            days: vec![
                day(&[("13:00", "17:00"), ("08:30", "12:00")]),
                day(&[]),
                day(&[]),
                day(&[]),
                day(&[]),
                day(&[]),
                day(&[]),
            ],
        };
        let stored = hours_from_proto(&hours).unwrap();
        assert_eq!(stored[0], serde_json::json!([["08:30", "12:00"], ["13:00", "17:00"]]));
        assert_eq!(hours_to_proto(&stored).days[0].intervals[1].opens, "13:00");
        hours.days[1] = day(&[("17:00", "09:00")]);
        assert_eq!(
            hours_from_proto(&hours).unwrap_err().field,
            "business_hours.days[1].intervals[0]"
        );
        hours.days[1] = day(&[("09:00", "12:00"), ("11:00", "13:00")]);
        assert!(hours_from_proto(&hours).unwrap_err().reason.contains("overlaps"));
        hours.days.pop();
        assert_eq!(hours_from_proto(&hours).unwrap_err().field, "business_hours.days");
    }

    #[test]
    fn every_bad_field_of_a_new_organisation_is_named() {
        let err = NewOrganisation::parse(pb::CreateOrganisationRequest {
            name: String::new(),
            slug: "Bad Slug".to_owned(),
            time_zone: "Mars/Olympus".to_owned(),
            phone_region: "ZZ".to_owned(),
            external_ids: vec![pb::ExternalId::default()],
            business_hours: None,
        })
        .err()
        .unwrap();
        let Error::Invalid(fields) = err else { panic!() };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["name", "slug", "time_zone", "phone_region", "external_ids[0]"]);
    }

    #[test]
    fn an_organisation_name_is_one_line_of_at_most_200_characters() {
        for name in ["Avatar\nImaging", &"x".repeat(201), "   "] {
            let err = NewOrganisation::parse(pb::CreateOrganisationRequest {
                name: name.to_owned(),
                slug: "avatar".to_owned(),
                ..Default::default()
            })
            .err()
            .unwrap();
            let Error::Invalid(fields) = err else { panic!() };
            assert_eq!(fields[0].field, "name", "{name:?}");
        }
    }

    #[test]
    fn only_the_platform_sees_into_another_organisation() {
        let (mine, other) = (OrgId::new(), OrgId::new());
        let admin = Caller::user(mine, attend_kit::ids::UserId::new(), Role::Admin);
        assert!(require_within(&admin, mine).is_ok());
        assert!(matches!(require_within(&admin, other), Err(Error::NotFound(_))));
        assert!(require_within(&Caller::platform(), other).is_ok());
        assert!(matches!(
            require_within(&Caller::anonymous(), mine),
            Err(Error::Forbidden(_))
        ));
    }
}

//! The `attend` binary's library: which services exist, how to pick some,
//! and the demo seeding. `main.rs` only parses the command line, sets up
//! telemetry and calls into here, so tests run exactly what ships.
//!
//! # Layout
//! - [`definitions`], [`select`]: the ten services and choosing among them.
//! - [`admin`]: `attend orgs`, `attend users`, `attend keys`.
//! - [`demo`]: `attend seed-demo`.

pub mod admin;
pub mod dead_letters;
pub mod demo;
mod demo_care;

use attend_kit::service::{ServiceDef, ServiceName};

/// Every service, in start order (identity first: others ask it about
/// organisations; the gateway last: it fronts the rest).
pub fn definitions() -> Vec<ServiceDef> {
    vec![
        attend_identity::definition(),
        attend_contact::definition(),
        attend_booking::definition(),
        attend_automation::definition(),
        attend_messaging::definition(),
        attend_billing::definition(),
        attend_reporting::definition(),
        attend_care::definition(),
        attend_ingest::definition(),
        attend_gateway::definition(),
    ]
}

/// `all`, or a list of service names.
pub fn select(names: &[String]) -> Result<Vec<ServiceDef>, String> {
    if names.is_empty() {
        return Err("name the services to run, or `all`".to_owned());
    }
    if names.iter().any(|n| n == "all") {
        if names.len() > 1 {
            return Err("`all` runs every service; don't name others with it".to_owned());
        }
        return Ok(definitions());
    }
    let wanted: Vec<ServiceName> = names
        .iter()
        .map(|n| n.parse::<ServiceName>())
        .collect::<Result<_, _>>()?;
    Ok(definitions().into_iter().filter(|d| wanted.contains(&d.name)).collect())
}

/// Services split across processes verify each other's calls, so they must
/// share `ATTEND_FLEET_KEY`; one process running every service may make
/// its own.
pub fn check_fleet_key(defs: &[ServiceDef], fleet_key_set: bool) -> Result<(), String> {
    if fleet_key_set || defs.len() == ServiceName::ALL.len() {
        Ok(())
    } else {
        Err(
            "configuration error: ATTEND_FLEET_KEY: is not set; it must hold the fleet's shared key (at least 32 \
             characters, the same in every process; `openssl rand -base64 48`) when a process runs only some services"
                .to_owned(),
        )
    }
}

/// Clinical text sealed with the development key protects nothing: a
/// process running care on its own (the production shape) must be given
/// `ATTEND_DATA_KEYS`. One process running everything (a laptop, the demo)
/// may use the development key, and says so in its log.
pub fn check_data_keys(defs: &[ServiceDef], data_keys_set: bool) -> Result<(), String> {
    let runs_care = defs.iter().any(|d| d.name == ServiceName::Care);
    if data_keys_set || !runs_care || defs.len() == ServiceName::ALL.len() {
        Ok(())
    } else {
        Err(
            "configuration error: ATTEND_DATA_KEYS: is not set; care needs its data keys (id:base64 of 32 bytes, \
             e.g. k1:$(openssl rand -base64 32)) when a process runs only some services"
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_fleet_needs_a_shared_key() {
        let all = select(&["all".to_owned()]).unwrap();
        let some = select(&["contact".to_owned()]).unwrap();
        assert!(check_fleet_key(&all, false).is_ok());
        assert!(check_fleet_key(&some, true).is_ok());
        let err = check_fleet_key(&some, false).unwrap_err();
        assert!(err.contains("ATTEND_FLEET_KEY"), "{err}");
    }

    #[test]
    fn care_alone_needs_its_data_keys() {
        let all = select(&["all".to_owned()]).unwrap();
        let care = select(&["care".to_owned()]).unwrap();
        let contact = select(&["contact".to_owned()]).unwrap();
        assert!(check_data_keys(&all, false).is_ok());
        assert!(check_data_keys(&contact, false).is_ok());
        assert!(check_data_keys(&care, true).is_ok());
        let err = check_data_keys(&care, false).unwrap_err();
        assert!(err.contains("ATTEND_DATA_KEYS"), "{err}");
    }

    #[test]
    fn there_is_one_definition_per_service() {
        let mut names: Vec<_> = definitions().iter().map(|d| d.name).collect();
        names.sort();
        let mut all = ServiceName::ALL.to_vec();
        all.sort();
        assert_eq!(names, all);
    }

    #[test]
    fn selection_accepts_all_or_names_and_refuses_unknowns() {
        assert_eq!(select(&["all".to_owned()]).unwrap().len(), 10);
        let two = select(&["booking".to_owned(), "contact".to_owned()]).unwrap();
        assert_eq!(
            two.iter().map(|d| d.name).collect::<Vec<_>>(),
            [ServiceName::Contact, ServiceName::Booking]
        );
        assert!(
            select(&["bookings".to_owned()])
                .unwrap_err()
                .contains("unknown service")
        );
        assert!(select(&[]).is_err());
        assert!(select(&["all".to_owned(), "contact".to_owned()]).is_err());
    }
}

//! Who may see and do what with a client's records (the matrix in
//! docs/security.md). A caller not linked to a client learns nothing:
//! the client is NOT_FOUND, exactly as one that doesn't exist.

use attend_kit::Error;
use attend_kit::db::Tx;
use attend_kit::grpc::{Caller, Role};
use attend_kit::ids::{ClientId, OrgId, TypedId};

use crate::store::{self, ClientRow};

/// A family member's access level (spec 001's `family_members.access_level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    ViewOnly,
    Messaging,
    FullAccess,
}

impl Level {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "view_only" => Some(Self::ViewOnly),
            "messaging" => Some(Self::Messaging),
            "full_access" => Some(Self::FullAccess),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewOnly => "view_only",
            Self::Messaging => "messaging",
            Self::FullAccess => "full_access",
        }
    }
}

/// What the caller is to one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An organisation admin: every client.
    Admin,
    /// A care-team member assigned as the client's coordinator.
    Coordinator,
    /// A care-team member assigned to the client.
    Carer,
    /// The client themself.
    Client,
    /// A linked family member.
    Family(Level),
}

/// A note's visibility (spec 001's `progress_notes.visibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// The family and the client (and admins, and its author): not the
    /// rest of the care team.
    FamilyOnly,
    /// Everyone linked to the client.
    FamilyAndTeam,
    /// The care team and admins only.
    InternalOnly,
}

impl Visibility {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "family_only" => Some(Self::FamilyOnly),
            "family_and_team" => Some(Self::FamilyAndTeam),
            "internal_only" => Some(Self::InternalOnly),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FamilyOnly => "family_only",
            Self::FamilyAndTeam => "family_and_team",
            Self::InternalOnly => "internal_only",
        }
    }

    /// The visibilities a caller with `access` reads, for SQL (`= any($n)`);
    /// a family-only note is also read by its author.
    pub fn readable_by(access: Access) -> Vec<&'static str> {
        [Self::FamilyOnly, Self::FamilyAndTeam, Self::InternalOnly]
            .into_iter()
            .filter(|v| access.reads(*v, false))
            .map(Self::as_str)
            .collect()
    }
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Coordinator => "coordinator",
            Self::Carer => "carer",
            Self::Client => "client",
            Self::Family(level) => level.as_str(),
        }
    }

    /// Admins and the assigned care team.
    pub fn is_team(self) -> bool {
        matches!(self, Self::Admin | Self::Coordinator | Self::Carer)
    }

    /// Conditions, allergies and insurance: the team, the client, and
    /// family with full access.
    pub fn sees_medical(self) -> bool {
        self.is_team() || matches!(self, Self::Client | Self::Family(Level::FullAccess))
    }

    /// Whether a note of `visibility` is shown (`own`: the caller wrote it).
    pub fn reads(self, visibility: Visibility, own: bool) -> bool {
        match visibility {
            Visibility::FamilyAndTeam => true,
            Visibility::InternalOnly => self.is_team(),
            Visibility::FamilyOnly => own || matches!(self, Self::Admin | Self::Client | Self::Family(_)),
        }
    }

    /// Care updates and health logs are written by the team.
    pub fn require_team(self, what: &str) -> Result<(), Error> {
        if self.is_team() {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("only the client's care team {what}")))
        }
    }

    /// Family links and the care plan are managed by admins and the
    /// client's coordinators.
    pub fn require_manager(self, what: &str) -> Result<(), Error> {
        if matches!(self, Self::Admin | Self::Coordinator) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "only admins and the client's care coordinators {what}"
            )))
        }
    }
}

/// The caller's access to `client`, with the client; NOT_FOUND when the
/// caller is not linked to it (or it doesn't exist).
pub async fn resolve(tx: &mut Tx, org: OrgId, caller: &Caller, client: ClientId) -> Result<(ClientRow, Access), Error> {
    let not_found = || Error::NotFound("client".to_owned());
    let row = store::client(tx, org, client).await?.ok_or_else(not_found)?;
    let access = access_to(tx, org, caller, &row).await?.ok_or_else(not_found)?;
    Ok((row, access))
}

/// The caller's access to a client already read; `None` when not linked.
pub async fn access_to(tx: &mut Tx, org: OrgId, caller: &Caller, row: &ClientRow) -> Result<Option<Access>, Error> {
    let client = row.client_id();
    Ok(match (caller.role, caller.user) {
        (Role::Admin, _) => Some(Access::Admin),
        (Role::CareTeam, Some(user)) => {
            store::team_role(tx, org, client, user)
                .await?
                .map(|role| match role.as_str() {
                    "coordinator" => Access::Coordinator,
                    _ => Access::Carer,
                })
        }
        (Role::Family, Some(user)) => store::family_level(tx, org, client, user)
            .await?
            .and_then(|l| Level::parse(&l))
            .map(Access::Family),
        (Role::Client, Some(user)) => (row.user_id == Some(user.uuid())).then_some(Access::Client),
        (Role::CareTeam | Role::Family | Role::Client, None) => None,
        (other, _) => return Err(practice_role(other)),
    })
}

/// Practice roles other than admin have no care access.
pub fn practice_role(role: Role) -> Error {
    Error::Forbidden(format!("role {role} has no access to care records"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Access; 7] = [
        Access::Admin,
        Access::Coordinator,
        Access::Carer,
        Access::Client,
        Access::Family(Level::ViewOnly),
        Access::Family(Level::Messaging),
        Access::Family(Level::FullAccess),
    ];

    #[test]
    fn internal_notes_are_for_the_team_only() {
        for a in ALL {
            assert_eq!(a.reads(Visibility::InternalOnly, false), a.is_team(), "{a:?}");
            assert!(a.reads(Visibility::FamilyAndTeam, false), "{a:?}");
        }
    }

    #[test]
    fn family_only_notes_skip_the_wider_team_but_not_their_author() {
        assert!(!Access::Carer.reads(Visibility::FamilyOnly, false));
        assert!(!Access::Coordinator.reads(Visibility::FamilyOnly, false));
        assert!(Access::Carer.reads(Visibility::FamilyOnly, true));
        assert!(Access::Family(Level::ViewOnly).reads(Visibility::FamilyOnly, false));
        assert_eq!(
            Visibility::readable_by(Access::Carer),
            ["family_and_team", "internal_only"]
        );
    }

    #[test]
    fn medical_details_need_full_access_in_the_family() {
        assert!(!Access::Family(Level::ViewOnly).sees_medical());
        assert!(!Access::Family(Level::Messaging).sees_medical());
        assert!(Access::Family(Level::FullAccess).sees_medical());
        assert!(Access::Client.sees_medical());
    }

    #[test]
    fn only_the_team_writes_and_only_managers_link_family() {
        for a in ALL {
            assert_eq!(a.require_team("writes").is_ok(), a.is_team(), "{a:?}");
            assert_eq!(
                a.require_manager("manage family access").is_ok(),
                matches!(a, Access::Admin | Access::Coordinator),
                "{a:?}"
            );
        }
    }
}

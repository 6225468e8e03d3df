//! Who made a change, as recorded beside the change (a booking's history,
//! a merge, a task's creator) and shown in the API.
//!
//! One format everywhere, as text: a person is their public user id
//! (`user_01jd…`), a service acting on an event is `system`, and a
//! provider's own report is `provider:<name>` (`provider:wix`).

use std::fmt;
use std::str::FromStr;

use crate::grpc::Caller;
use crate::ids::UserId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person.
    User(UserId),
    /// A service acting on its own (a rule, a consumer, tooling).
    System,
    /// A provider's report (a booking system, an SMS gateway).
    Provider(String),
}

impl Actor {
    /// The person behind a call, or `system` when a service or tool made it.
    pub fn of(caller: &Caller) -> Self {
        caller.user.map_or(Self::System, Self::User)
    }

    pub fn provider(name: &str) -> Self {
        Self::Provider(name.to_owned())
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(user) => write!(f, "{user}"),
            Self::System => f.write_str("system"),
            Self::Provider(name) => write!(f, "provider:{name}"),
        }
    }
}

impl FromStr for Actor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "system" {
            return Ok(Self::System);
        }
        if let Some(name) = s.strip_prefix("provider:") {
            return Ok(Self::provider(name));
        }
        s.parse::<UserId>()
            .map(Self::User)
            .map_err(|_| format!("{s:?} is not an actor (a user id, system or provider:<name>)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::Role;
    use crate::ids::OrgId;

    #[test]
    fn every_kind_of_actor_reads_back_from_its_text() {
        let user = UserId::new();
        for actor in [Actor::User(user), Actor::System, Actor::provider("wix")] {
            assert_eq!(actor.to_string().parse::<Actor>().unwrap(), actor);
        }
        assert!(Actor::User(user).to_string().starts_with("user_"));
    }

    #[test]
    fn a_call_without_a_person_is_the_system() {
        assert_eq!(Actor::of(&Caller::system(OrgId::new())), Actor::System);
        let user = UserId::new();
        assert_eq!(
            Actor::of(&Caller::user(OrgId::new(), user, Role::Staff)),
            Actor::User(user)
        );
    }
}

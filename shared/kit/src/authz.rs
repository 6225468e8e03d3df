//! Who may do what: the one role → permission matrix. The gateway checks it
//! before calling a service, and the service checks it again from the
//! caller in gRPC metadata, so neither can be bypassed alone.
//! docs/security.md shows the same matrix as a table.

use crate::error::Error;
use crate::grpc::{Caller, Role};

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read contacts, their timeline and attribution.
    ContactsRead,
    /// Create, change and merge contacts.
    ContactsWrite,
    BookingsRead,
    /// Create bookings, record outcomes.
    BookingsWrite,
    TasksRead,
    /// Complete, assign and create tasks.
    TasksWrite,
    /// Send messages to contacts.
    MessagesSend,
    /// Read conversations, messages and templates.
    MessagesRead,
    ReportsRead,
    /// Invite, list, deactivate users of the organisation.
    UsersManage,
    /// Read the organisation's audit trail.
    AuditRead,
    /// Change the organisation's settings (service types, business hours).
    SettingsManage,
    /// Create organisations, rotate signing keys, read refused webhooks.
    PlatformOperate,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Permission::ContactsRead,
        Permission::ContactsWrite,
        Permission::BookingsRead,
        Permission::BookingsWrite,
        Permission::TasksRead,
        Permission::TasksWrite,
        Permission::MessagesSend,
        Permission::MessagesRead,
        Permission::ReportsRead,
        Permission::UsersManage,
        Permission::AuditRead,
        Permission::SettingsManage,
        Permission::PlatformOperate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ContactsRead => "contacts:read",
            Permission::ContactsWrite => "contacts:write",
            Permission::BookingsRead => "bookings:read",
            Permission::BookingsWrite => "bookings:write",
            Permission::TasksRead => "tasks:read",
            Permission::TasksWrite => "tasks:write",
            Permission::MessagesSend => "messages:send",
            Permission::MessagesRead => "messages:read",
            Permission::ReportsRead => "reports:read",
            Permission::UsersManage => "users:manage",
            Permission::AuditRead => "audit:read",
            Permission::SettingsManage => "settings:manage",
            Permission::PlatformOperate => "platform:operate",
        }
    }
}

/// The matrix. Portal roles (care team, family, client) hold none of the
/// practice's permissions: what they see is scoped to the clients they are
/// linked to, by the services that own client records.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission as P;
    use Role as R;
    match role {
        R::Admin => !matches!(permission, P::PlatformOperate),
        R::Staff => matches!(
            permission,
            P::ContactsRead
                | P::ContactsWrite
                | P::BookingsRead
                | P::BookingsWrite
                | P::TasksRead
                | P::TasksWrite
                | P::MessagesSend
                | P::MessagesRead
                | P::ReportsRead
        ),
        // Read-only never mutates.
        R::Readonly => matches!(
            permission,
            P::ContactsRead | P::BookingsRead | P::TasksRead | P::MessagesRead | P::ReportsRead
        ),
        R::CareTeam | R::Family | R::Client | R::Anonymous => false,
        // A service acting within one organisation on an event.
        R::System => !matches!(
            permission,
            P::PlatformOperate | P::UsersManage | P::AuditRead | P::SettingsManage
        ),
        R::Platform => matches!(permission, P::PlatformOperate | P::UsersManage),
    }
}

impl Caller {
    /// Refuses a caller whose role lacks `permission`.
    pub fn require_permission(&self, permission: Permission) -> Result<(), Error> {
        if allows(self.role, permission) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "role {} does not have {}",
                self.role,
                permission.as_str()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITES: [Permission; 7] = [
        Permission::ContactsWrite,
        Permission::BookingsWrite,
        Permission::TasksWrite,
        Permission::MessagesSend,
        Permission::UsersManage,
        Permission::SettingsManage,
        Permission::PlatformOperate,
    ];

    #[test]
    fn readonly_can_never_mutate() {
        for p in WRITES {
            assert!(!allows(Role::Readonly, p), "{p:?}");
        }
    }

    #[test]
    fn portal_roles_hold_no_practice_permission() {
        for role in [Role::CareTeam, Role::Family, Role::Client, Role::Anonymous] {
            for p in Permission::ALL {
                assert!(!allows(role, p), "{role} {p:?}");
            }
        }
    }

    #[test]
    fn only_admins_manage_users_and_read_the_audit_trail_within_an_organisation() {
        for role in Role::USER_ROLES {
            assert_eq!(allows(role, Permission::UsersManage), role == Role::Admin, "{role}");
            assert_eq!(allows(role, Permission::AuditRead), role == Role::Admin, "{role}");
        }
    }

    #[test]
    fn no_user_role_operates_the_platform() {
        for role in Role::USER_ROLES {
            assert!(!allows(role, Permission::PlatformOperate), "{role}");
        }
    }

    #[test]
    fn a_missing_permission_is_forbidden_naming_it() {
        let caller = Caller::user(crate::ids::OrgId::new(), crate::ids::UserId::new(), Role::Readonly);
        let err = caller.require_permission(Permission::ContactsWrite).unwrap_err();
        assert!(err.to_string().contains("contacts:write"), "{err}");
    }
}

//! The audit trail: who read or changed what, per organisation,
//! append-only. Identity records its own actions directly, with an
//! [`Entry`] in the transaction that does the work; every other service
//! publishes `audit.recorded` facts through its outbox, which
//! `consumers::audit` keeps. Admins read the trail here.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::bus::{from_timestamp, timestamp};
use attend_kit::grpc::{Caller, Role};
use attend_kit::ids::{OrgId, TypedId, UserId};
use attend_proto::identity::v1 as pb;
use uuid::Uuid;

use crate::api::Api;
use crate::store;
use crate::store::audit::{AuditRow, Filter};

/// One entry of identity's own.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub org: OrgId,
    pub actor: Option<UserId>,
    pub actor_role: Role,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub details: serde_json::Value,
}

impl<'a> Entry<'a> {
    /// An action by `caller` on a user.
    pub fn by(caller: &Caller, org: OrgId, action: &'a str, target: UserId) -> Self {
        Self {
            org,
            actor: caller.user,
            actor_role: caller.role,
            action,
            target_type: "user",
            target_id: target.to_string(),
            details: serde_json::json!({}),
        }
    }

    /// An action a user took on their own account.
    pub fn own(org: OrgId, user: UserId, role: Role, action: &'a str) -> Self {
        Self {
            org,
            actor: Some(user),
            actor_role: role,
            action,
            target_type: "user",
            target_id: user.to_string(),
            details: serde_json::json!({}),
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// The caller's organisation's trail, newest first, filtered, a page at a
/// time (admins only).
pub(crate) async fn list(api: &Api, caller: Caller, req: pb::ListAuditRequest) -> Result<pb::ListAuditResponse, Error> {
    caller.require_permission(Permission::AuditRead)?;
    let org = caller.org()?;
    let limit = match req.limit {
        0 => 100,
        n @ 1..=500 => i64::from(n),
        _ => return Err(Error::invalid("limit", "must be between 1 and 500")),
    };
    let actor = match req.actor_user_id.trim() {
        "" => None,
        text => Some(UserId::parse_public_at("actor", text)?),
    };
    let before = match req.before.trim() {
        "" => None,
        text => {
            Some(Uuid::parse_str(text).map_err(|_| Error::invalid("before", "is not a page cursor from this API"))?)
        }
    };
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = Filter {
        org,
        actor,
        action: opt(&req.action),
        target_type: opt(&req.target_type),
        target_id: opt(&req.target_id),
        from: req.from.as_ref().and_then(from_timestamp),
        to: req.to.as_ref().and_then(from_timestamp),
        before,
        // One more than a page, to know whether another follows.
        limit: limit + 1,
    };
    let mut tx = api.db.tenant(org).await?;
    let rows = store::audit::find(&mut tx, &filter).await?;
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<AuditRow> = rows.into_iter().take(limit as usize).collect();
    let next_before = if more {
        rows.last().map(|r| r.id.to_string()).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(pb::ListAuditResponse {
        entries: rows
            .into_iter()
            .map(|r| pb::AuditEntry {
                id: r.id.to_string(),
                actor_user_id: r.actor_user_id.map(|u| UserId::from(u).to_string()).unwrap_or_default(),
                actor_role: r.actor_role,
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id,
                occurred_at: Some(timestamp(r.occurred_at)),
                details_json: r.details.to_string(),
                source: r.source,
            })
            .collect(),
        next_before,
    })
}

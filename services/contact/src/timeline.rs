//! A contact's timeline, newest first, a keyset page at a time. The
//! touchpoints themselves are recorded by the consumers
//! ([`crate::consumers`]) and by [`crate::touch::Recorder`].

use attend_kit::Error;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::cursor;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::contact::v1 as pb;

use crate::api::Api;
use crate::store;

impl Api {
    pub(crate) async fn list_touchpoints(
        &self,
        caller: Caller,
        req: pb::ListTouchpointsRequest,
    ) -> Result<pb::ListTouchpointsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let limit = match req.limit {
            0 => 100,
            n @ 1..=500 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be between 1 and 500")),
        };
        let before = match req.cursor.trim() {
            "" => None,
            text => {
                let (key, id) = cursor::decode("cursor", "timeline", text)?;
                Some((cursor::parse_time_key("cursor", &key)?, id))
            }
        };
        let mut tx = self.db.tenant(org).await?;
        if store::get(&mut tx, org, id).await?.is_none() {
            return Err(Error::NotFound("contact".to_owned()));
        }
        let mut rows = store::touchpoints(&mut tx, org, id, before, limit + 1).await?;
        let next_cursor = cursor::next_page(&mut rows, limit, |t| {
            cursor::encode("timeline", &cursor::time_key(t.occurred_at), t.id)
        });
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("contact.read_timeline", "contact", id),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListTouchpointsResponse {
            touchpoints: rows.into_iter().map(store::TouchpointRow::into_proto).collect(),
            next_cursor,
        })
    }
}

//! `ContactService` over gRPC: the tonic adapter only. Each call reads its
//! caller (and idempotency key), then hands the request to its feature:
//! [`crate::contacts`], [`crate::matching`], [`crate::search`],
//! [`crate::timeline`], [`crate::merge`], [`crate::moves`],
//! [`crate::adjustments`].

use attend_kit::bus::outbox::Outbox;
use attend_kit::contact_point::Region;
use attend_kit::db::Db;
use attend_kit::grpc::{Caller, idempotency_key};
use attend_kit::ids::OrgId;
use attend_kit::orgs::Directory;
use attend_proto::contact::v1 as pb;
use attend_proto::contact::v1::contact_service_server::ContactService;
use tonic::{Request, Response, Status};

use crate::touch::Recorder;

/// What the handlers share.
pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
    /// Organisations' settings (the phone region local numbers are read in).
    pub orgs: Directory,
}

impl Api {
    pub(crate) fn recorder(&self) -> Recorder {
        Recorder {
            outbox: self.outbox.clone(),
        }
    }

    /// The region an organisation's local phone numbers are written in.
    pub(crate) async fn region(&self, org: OrgId) -> Result<Region, attend_kit::Error> {
        Ok(self.orgs.get(org).await?.phone_region)
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl ContactService for Api {
    async fn match_or_create_contact(
        &self,
        request: Request<pb::MatchOrCreateContactRequest>,
    ) -> Reply<pb::MatchOrCreateContactResponse> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        let answer = self.match_or_create(caller, key, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn get_contact(&self, request: Request<pb::GetContactRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_contact(caller, request.into_inner()).await?))
    }

    async fn find_contacts(&self, request: Request<pb::FindContactsRequest>) -> Reply<pb::FindContactsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.find_contacts(caller, request.into_inner()).await?))
    }

    async fn list_touchpoints(
        &self,
        request: Request<pb::ListTouchpointsRequest>,
    ) -> Reply<pb::ListTouchpointsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.list_touchpoints(caller, request.into_inner()).await?,
        ))
    }

    async fn create_contact(&self, request: Request<pb::CreateContactRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        let answer = self.create_contact(caller, key, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn update_contact(&self, request: Request<pb::UpdateContactRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.update_contact(caller, request.into_inner()).await?))
    }

    async fn list_contacts(&self, request: Request<pb::ListContactsRequest>) -> Reply<pb::ListContactsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_contacts(caller, request.into_inner()).await?))
    }

    async fn find_duplicates(&self, request: Request<pb::FindDuplicatesRequest>) -> Reply<pb::FindDuplicatesResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.find_duplicates(caller, request.into_inner()).await?))
    }

    async fn merge_contacts(&self, request: Request<pb::MergeContactsRequest>) -> Reply<pb::Merge> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        let answer = self.merge_contacts(caller, key, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn undo_merge(&self, request: Request<pb::UndoMergeRequest>) -> Reply<pb::Merge> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.undo_merge(caller, request.into_inner()).await?))
    }

    async fn list_pipelines(&self, request: Request<pb::ListPipelinesRequest>) -> Reply<pb::ListPipelinesResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_pipelines(caller)?))
    }

    async fn move_contact(&self, request: Request<pb::MoveContactRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        let answer = self.move_contact(caller, key, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn adjust_warmness(&self, request: Request<pb::AdjustWarmnessRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        let answer = self.adjust_warmness(caller, key, request.into_inner()).await?;
        Ok(Response::new(answer))
    }

    async fn log_touchpoint(&self, request: Request<pb::LogTouchpointRequest>) -> Reply<pb::Touchpoint> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        let answer = self.log_touchpoint(caller, key, request.into_inner()).await?;
        Ok(Response::new(answer))
    }
}

//! `CareService` over gRPC: the tonic adapter only. Each call reads its
//! caller (and idempotency key) and hands the request to its feature:
//! [`crate::clients`], [`crate::notes`], [`crate::health`], [`crate::plans`],
//! [`crate::appointments`], [`crate::messages`], [`crate::documents`],
//! [`crate::rotate`].

use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Db;
use attend_kit::grpc::{Caller, idempotency_key};
use attend_kit::orgs::Directory;
use attend_proto::care::v1 as pb;
use attend_proto::care::v1::care_service_server::CareService;
use tonic::{Request, Response, Status};

use crate::seal::Keyring;

/// What the handlers share.
pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
    pub keys: Keyring,
    pub orgs: Directory,
    /// Now, for what a request is checked against (a late entry, a future
    /// date): the fleet's clock, which tests move.
    pub clock: attend_kit::clock::SharedClock,
    /// Where documents are kept and how they are checked.
    pub storage: crate::documents::Storage,
    /// Wakes the virus scanner after an upload (when one is configured).
    pub scanner: Option<std::sync::Arc<tokio::sync::Notify>>,
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl CareService for Api {
    async fn create_client(&self, request: Request<pb::CreateClientRequest>) -> Reply<pb::Client> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.create_client(caller, key, request.into_inner()).await?,
        ))
    }

    async fn get_client(&self, request: Request<pb::GetClientRequest>) -> Reply<pb::Client> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_client(caller, request.into_inner()).await?))
    }

    async fn update_client(&self, request: Request<pb::UpdateClientRequest>) -> Reply<pb::Client> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.update_client(caller, request.into_inner()).await?))
    }

    async fn list_clients(&self, request: Request<pb::ListClientsRequest>) -> Reply<pb::ListClientsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_clients(caller).await?))
    }

    async fn set_care_team(&self, request: Request<pb::SetCareTeamRequest>) -> Reply<pb::Client> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.set_care_team(caller, request.into_inner()).await?))
    }

    async fn link_family_member(&self, request: Request<pb::LinkFamilyMemberRequest>) -> Reply<pb::FamilyMember> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.link_family(caller, request.into_inner()).await?))
    }

    async fn unlink_family_member(&self, request: Request<pb::UnlinkFamilyMemberRequest>) -> Reply<pb::FamilyMember> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.unlink_family(caller, request.into_inner()).await?))
    }

    async fn list_family_members(
        &self,
        request: Request<pb::ListFamilyMembersRequest>,
    ) -> Reply<pb::ListFamilyMembersResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_family(caller, request.into_inner()).await?))
    }

    async fn create_note(&self, request: Request<pb::CreateNoteRequest>) -> Reply<pb::Note> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.create_note(caller, key, request.into_inner()).await?,
        ))
    }

    async fn edit_note(&self, request: Request<pb::EditNoteRequest>) -> Reply<pb::Note> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.edit_note(caller, request.into_inner()).await?))
    }

    async fn list_notes(&self, request: Request<pb::ListNotesRequest>) -> Reply<pb::ListNotesResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_notes(caller, request.into_inner()).await?))
    }

    async fn flag_urgent(&self, request: Request<pb::FlagUrgentRequest>) -> Reply<pb::Note> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.flag_urgent(caller, key, request.into_inner()).await?,
        ))
    }

    async fn record_health_log(&self, request: Request<pb::RecordHealthLogRequest>) -> Reply<pb::HealthLog> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.record_health_log(caller, request.into_inner()).await?,
        ))
    }

    async fn health_week(&self, request: Request<pb::HealthWeekRequest>) -> Reply<pb::HealthWeekResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.health_week(caller, request.into_inner()).await?))
    }

    async fn get_care_plan(&self, request: Request<pb::GetCarePlanRequest>) -> Reply<pb::CarePlan> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_care_plan(caller, request.into_inner()).await?))
    }

    async fn put_care_plan(&self, request: Request<pb::PutCarePlanRequest>) -> Reply<pb::CarePlan> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.put_care_plan(caller, request.into_inner()).await?))
    }

    async fn care_plan_calendar(&self, request: Request<pb::GetCarePlanRequest>) -> Reply<pb::Calendar> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.care_plan_calendar(caller, request.into_inner()).await?,
        ))
    }

    async fn list_appointments(
        &self,
        request: Request<pb::ListAppointmentsRequest>,
    ) -> Reply<pb::ListAppointmentsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.list_appointments(caller, request.into_inner()).await?,
        ))
    }

    async fn create_appointment(&self, request: Request<pb::CreateAppointmentRequest>) -> Reply<pb::Appointment> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.create_appointment(caller, request.into_inner()).await?,
        ))
    }

    async fn set_appointment_status(
        &self,
        request: Request<pb::SetAppointmentStatusRequest>,
    ) -> Reply<pb::Appointment> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.set_appointment_status(caller, request.into_inner()).await?,
        ))
    }

    async fn appointments_calendar(&self, request: Request<pb::AppointmentsCalendarRequest>) -> Reply<pb::Calendar> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.appointments_calendar(caller, request.into_inner()).await?,
        ))
    }

    async fn set_appointment_reminders(
        &self,
        request: Request<pb::SetAppointmentRemindersRequest>,
    ) -> Reply<pb::FamilyMember> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.set_appointment_reminders(caller, request.into_inner()).await?,
        ))
    }

    async fn list_conversations(
        &self,
        request: Request<pb::ListConversationsRequest>,
    ) -> Reply<pb::ListConversationsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_conversations(caller).await?))
    }

    async fn list_messages(&self, request: Request<pb::ListMessagesRequest>) -> Reply<pb::ListMessagesResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_messages(caller, request.into_inner()).await?))
    }

    async fn send_message(&self, request: Request<pb::SendMessageRequest>) -> Reply<pb::Message> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.send_message(caller, key, request.into_inner()).await?,
        ))
    }

    async fn mark_read(&self, request: Request<pb::MarkReadRequest>) -> Reply<pb::ReadReceipt> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.mark_read(caller, request.into_inner()).await?))
    }

    async fn upload_document(&self, request: Request<pb::UploadDocumentRequest>) -> Reply<pb::Document> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.upload_document(caller, request.into_inner()).await?))
    }

    async fn list_documents(&self, request: Request<pb::ListDocumentsRequest>) -> Reply<pb::ListDocumentsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_documents(caller, request.into_inner()).await?))
    }

    async fn get_document(&self, request: Request<pb::GetDocumentRequest>) -> Reply<pb::DocumentLink> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_document(caller, request.into_inner()).await?))
    }

    async fn read_document(&self, request: Request<pb::ReadDocumentRequest>) -> Reply<pb::DocumentContent> {
        // The signed link is the credential; the caller is whoever holds it.
        Ok(Response::new(self.read_document(request.into_inner()).await?))
    }

    async fn rotate_data_keys(&self, request: Request<pb::RotateDataKeysRequest>) -> Reply<pb::RotateDataKeysResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.rotate_data_keys(caller, request.into_inner()).await?,
        ))
    }
}

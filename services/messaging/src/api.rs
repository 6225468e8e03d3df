//! `MessagingService` over gRPC.

use attend_kit::authz::Permission;
use attend_kit::bus::timestamp;
use attend_kit::contact_point::Email;
use attend_kit::db::{Db, Tx};
use attend_kit::grpc::{Caller, Role, idempotency_key};
use attend_kit::idempotency::{Claim, claim};
use attend_kit::{Error, FieldError};
use attend_proto::messaging::v1 as pb;
use attend_proto::messaging::v1::messaging_service_server::MessagingService;
use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};
use uuid::Uuid;

pub struct Api {
    pub db: Db,
}

#[derive(sqlx::FromRow)]
struct EmailRow {
    id: Uuid,
    to_address: String,
    subject: String,
    body_text: String,
    category: String,
    status: String,
    provider: Option<String>,
    provider_message_id: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    error: Option<String>,
    sensitive: bool,
}

impl EmailRow {
    fn into_proto(self) -> pb::OutboundEmail {
        pb::OutboundEmail {
            id: self.id.to_string(),
            to: self.to_address,
            subject: self.subject,
            body_text: self.body_text,
            category: self.category,
            status: self.status,
            provider: self.provider.unwrap_or_default(),
            provider_message_id: self.provider_message_id.unwrap_or_default(),
            created_at: Some(timestamp(self.created_at)),
            sent_at: self.sent_at.map(timestamp),
            error: self.error.unwrap_or_default(),
            sensitive: self.sensitive,
        }
    }
}

/// What a caller may see of an email: a sensitive body only for operators.
fn shown_to(caller: &Caller, mut email: pb::OutboundEmail) -> pb::OutboundEmail {
    if email.sensitive && caller.role != Role::Platform {
        email.body_text = "[withheld: it holds a one-time sign-in link]".to_owned();
    }
    email
}

macro_rules! email_columns {
    () => {
        "id, to_address, subject, body_text, category, status, provider, provider_message_id, created_at, sent_at, \
         error, sensitive"
    };
}

/// A checked `SendEmailRequest`.
fn parse(req: &pb::SendEmailRequest) -> Result<Email, Error> {
    let mut problems = Vec::new();
    let to = Email::parse(&req.to)
        .map_err(|r| problems.push(FieldError::new("to", r)))
        .ok();
    if req.subject.trim().is_empty() || req.subject.chars().count() > 200 {
        problems.push(FieldError::new("subject", "must be 1-200 characters"));
    }
    if req.body_text.trim().is_empty() || req.body_text.len() > 100_000 {
        problems.push(FieldError::new("body_text", "must be 1-100000 bytes"));
    }
    let category_ok = !req.category.is_empty()
        && req.category.len() <= 40
        && req.category.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !category_ok {
        problems.push(FieldError::new("category", "must be 1-40 lower-case letters or '_'"));
    }
    match to {
        Some(to) if problems.is_empty() => Ok(to),
        _ => Err(Error::Invalid(problems)),
    }
}

impl Api {
    async fn send(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::SendEmailRequest,
    ) -> Result<pb::OutboundEmail, Error> {
        caller.require_permission(Permission::MessagesSend)?;
        let org = caller.org()?;
        let to = parse(&req)?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match &key {
            Some(key) => match claim(&mut tx, org, "SendEmail", key, &req).await? {
                Claim::Replay(response) => return Ok(response),
                Claim::Fresh(guard) => Some(guard),
            },
            None => None,
        };
        let row: EmailRow = sqlx::query_as(concat!(
            "insert into messaging.outbound_emails (id, org_id, to_address, subject, body_text, category, sensitive)
             values ($1, $2, $3, $4, $5, $6, $7) returning ",
            email_columns!()
        ))
        .bind(Uuid::now_v7())
        .bind(attend_kit::ids::TypedId::uuid(&org))
        .bind(to.as_str())
        .bind(req.subject.trim())
        .bind(&req.body_text)
        .bind(&req.category)
        .bind(req.sensitive)
        .fetch_one(&mut *tx)
        .await?;
        let response = shown_to(&caller, row.into_proto());
        if let Some(guard) = guard {
            guard.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok(response)
    }

    async fn list(&self, caller: Caller, req: pb::ListEmailsRequest) -> Result<pb::ListEmailsResponse, Error> {
        let limit = match req.limit {
            0 => 50,
            n @ 1..=200 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be between 1 and 200")),
        };
        let to = match req.to.trim() {
            "" => None,
            raw => Some(Email::parse(raw).map_err(|r| Error::invalid("to", r))?),
        };
        // Operators see every organisation's queue; an admin their own.
        let mut tx: Tx = match caller.role {
            Role::Platform => self.db.platform().await?,
            Role::Admin | Role::System => self.db.tenant(caller.org()?).await?,
            _ => {
                return Err(Error::Forbidden(
                    "only administrators and operators list emails".to_owned(),
                ));
            }
        };
        let rows: Vec<EmailRow> = sqlx::query_as(concat!(
            "select ",
            email_columns!(),
            " from messaging.outbound_emails where ($1::text is null or to_address = $1)
             order by created_at desc, id desc limit $2"
        ))
        .bind(to.as_ref().map(Email::as_str))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(pb::ListEmailsResponse {
            emails: rows
                .into_iter()
                .map(|row| shown_to(&caller, row.into_proto()))
                .collect(),
        })
    }
}

#[tonic::async_trait]
impl MessagingService for Api {
    async fn send_email(&self, request: Request<pb::SendEmailRequest>) -> Result<Response<pb::OutboundEmail>, Status> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(self.send(caller, key, request.into_inner()).await?))
    }

    async fn list_emails(
        &self,
        request: Request<pb::ListEmailsRequest>,
    ) -> Result<Response<pb::ListEmailsResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list(caller, request.into_inner()).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_of_an_email_is_named() {
        let err = parse(&pb::SendEmailRequest {
            to: "nobody".to_owned(),
            subject: String::new(),
            body_text: String::new(),
            category: "Bad Category".to_owned(),
            sensitive: false,
        })
        .unwrap_err();
        let Error::Invalid(fields) = err else { panic!() };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["to", "subject", "body_text", "category"]);
    }
}

//! Email: queueing one (identity's invitations and reset links), and the
//! queue as operators and administrators see it. The sender
//! ([`crate::email`]) works through the queue.

use attend_kit::authz::Permission;
use attend_kit::contact_point::Email;
use attend_kit::db::Tx;
use attend_kit::grpc::{Caller, Role};
use attend_kit::idempotency::{Claim, claim};
use attend_kit::text;
use attend_kit::{Error, FieldError};
use attend_proto::messaging::v1 as pb;

use crate::api::Api;
use crate::store::{self, EmailRow, NewEmail};

/// What a caller may see of an email: a sensitive body only for operators.
fn shown_to(caller: &Caller, mut email: pb::OutboundEmail) -> pb::OutboundEmail {
    if email.sensitive && caller.role != Role::Platform {
        email.body_text = "[withheld: it holds a one-time sign-in link]".to_owned();
    }
    email
}

/// A checked `SendEmailRequest`: the address, the subject and the body.
fn parse(req: &pb::SendEmailRequest) -> Result<(Email, String, String), Error> {
    let mut problems = Vec::new();
    let to = text::collect(&mut problems, "to", Email::parse(&req.to));
    let subject = text::collect(&mut problems, "subject", text::required_line(&req.subject, 200));
    let body = text::multiline(&req.body_text, 100_000).and_then(|body| {
        if body.is_empty() {
            Err("is required".to_owned())
        } else {
            Ok(body)
        }
    });
    let body = text::collect(&mut problems, "body_text", body);
    let category_ok = !req.category.is_empty()
        && req.category.len() <= 40
        && req.category.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !category_ok {
        problems.push(FieldError::new("category", "must be 1-40 lower-case letters or '_'"));
    }
    match (to, subject, body) {
        (Some(to), Some(subject), Some(body)) if problems.is_empty() => Ok((to, subject, body)),
        _ => Err(Error::Invalid(problems)),
    }
}

impl Api {
    pub(crate) async fn send_email(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::SendEmailRequest,
    ) -> Result<pb::OutboundEmail, Error> {
        caller.require_permission(Permission::MessagesSend)?;
        let org = caller.org()?;
        let (to, subject, body_text) = parse(&req)?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "SendEmail", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let email = NewEmail {
            to: &to,
            subject: &subject,
            body_text: &body_text,
            category: &req.category,
            sensitive: req.sensitive,
        };
        let row = store::queue(&mut tx, org, &email).await?;
        let response = shown_to(&caller, row.into_proto());
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(crate) async fn list_emails(
        &self,
        caller: Caller,
        req: pb::ListEmailsRequest,
    ) -> Result<pb::ListEmailsResponse, Error> {
        let limit = match req.limit {
            0 => 50,
            n @ 1..=200 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be between 1 and 200")),
        };
        let to = match req.to.trim() {
            "" => None,
            raw => Some(Email::parse(raw).map_err(text::at("to"))?),
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
        let rows = store::list(&mut tx, to.as_ref(), limit).await?;
        tx.commit().await?;
        Ok(pb::ListEmailsResponse {
            emails: rows
                .into_iter()
                .map(|row: EmailRow| shown_to(&caller, row.into_proto()))
                .collect(),
        })
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

//! Email: queueing one (identity's invitations and reset links), from a
//! template ([`crate::email::templates`]) or a subject and bodies given,
//! and the queue as operators and administrators see it. The sender
//! ([`crate::email::sender`]) works through the queue.

use std::collections::BTreeMap;

use attend_kit::authz::Permission;
use attend_kit::contact_point::Email;
use attend_kit::db::Tx;
use attend_kit::grpc::{Caller, Role};
use attend_kit::idempotency::{Claim, claim};
use attend_kit::text;
use attend_kit::{Error, FieldError};
use attend_proto::messaging::v1 as pb;

use crate::api::Api;
use crate::email::templates;
use crate::store::{self, EmailRow, NewEmail};

/// What stands in for a sensitive body shown to anyone but an operator.
const WITHHELD: &str = "[withheld: it holds a one-time sign-in link]";

/// What a caller may see of an email: a sensitive body only for operators.
fn shown_to(caller: &Caller, mut email: pb::OutboundEmail) -> pb::OutboundEmail {
    if email.sensitive && caller.role != Role::Platform {
        email.body_text = WITHHELD.to_owned();
        if !email.body_html.is_empty() {
            email.body_html = WITHHELD.to_owned();
        }
    }
    email
}

/// A checked `SendEmailRequest`.
#[derive(Debug)]
struct Checked {
    to: Email,
    subject: String,
    body_text: String,
    body_html: Option<String>,
}

/// Longest value a template is given.
const VALUE_MAX: usize = 2_000;

/// Reads a `SendEmailRequest`, rendering its template when it names one;
/// every field at fault is named.
fn parse(req: &pb::SendEmailRequest) -> Result<Checked, Error> {
    let mut problems = Vec::new();
    let to = text::collect(&mut problems, "to", Email::parse(&req.to));
    let category_ok = !req.category.is_empty()
        && req.category.len() <= 40
        && req.category.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !category_ok {
        problems.push(FieldError::new("category", "must be 1-40 lower-case letters or '_'"));
    }
    let (subject, body_text, body_html) = if req.template.is_empty() {
        (req.subject.clone(), req.body_text.clone(), req.body_html.clone())
    } else {
        for (field, given) in [
            ("subject", &req.subject),
            ("body_text", &req.body_text),
            ("body_html", &req.body_html),
        ] {
            if !given.is_empty() {
                problems.push(FieldError::new(field, "must be empty: the template gives it"));
            }
        }
        let mut values = BTreeMap::new();
        let before = problems.len();
        for (name, value) in &req.values {
            match text::multiline(value, VALUE_MAX) {
                Ok(value) => {
                    values.insert(name.clone(), value);
                }
                Err(why) => problems.push(FieldError::new(format!("values.{name}"), why)),
            }
        }
        if problems.len() > before {
            // A bad value is named as such, not again as missing.
            return Err(Error::Invalid(problems));
        }
        match templates::render(&req.template, &values) {
            Ok(r) => (r.subject, r.text, r.html),
            Err(Error::Invalid(fields)) => {
                problems.extend(fields);
                return Err(Error::Invalid(problems));
            }
            Err(other) => return Err(other),
        }
    };
    let subject = text::collect(&mut problems, "subject", text::required_line(&subject, 200));
    let body = text::multiline(&body_text, 100_000).and_then(|body| {
        if body.is_empty() {
            Err("is required".to_owned())
        } else {
            Ok(body)
        }
    });
    let body = text::collect(&mut problems, "body_text", body);
    let html = text::collect(&mut problems, "body_html", text::multiline(&body_html, 200_000));
    match (to, subject, body, html) {
        (Some(to), Some(subject), Some(body_text), Some(html)) if problems.is_empty() => Ok(Checked {
            to,
            subject,
            body_text,
            body_html: (!html.is_empty()).then_some(html),
        }),
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
        let checked = parse(&req)?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "SendEmail", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let email = NewEmail {
            to: &checked.to,
            subject: &checked.subject,
            body_text: &checked.body_text,
            body_html: checked.body_html.as_deref(),
            template: (!req.template.is_empty()).then_some(req.template.as_str()),
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

    fn names(err: Error) -> Vec<String> {
        let Error::Invalid(fields) = err else { panic!("{err:?}") };
        fields.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn every_bad_field_of_an_email_is_named() {
        let err = parse(&pb::SendEmailRequest {
            to: "nobody".to_owned(),
            category: "Bad Category".to_owned(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(names(err), ["to", "category", "subject", "body_text"]);
    }

    fn invitation(values: &[(&str, &str)]) -> pb::SendEmailRequest {
        pb::SendEmailRequest {
            to: "Sam@Example.com".to_owned(),
            category: "invitation".to_owned(),
            sensitive: true,
            template: "invitation".to_owned(),
            values: values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_template_fills_the_subject_and_both_bodies() {
        let checked = parse(&invitation(&[
            ("name", "Sam"),
            ("organisation", "Harbour Physio"),
            ("role", "staff"),
            ("link", "https://app.example/accept-invitation?token=inv_1"),
            ("expiry", "7 days"),
        ]))
        .unwrap();
        assert_eq!(checked.to.as_str(), "sam@example.com");
        assert_eq!(checked.subject, "You're invited to Harbour Physio");
        assert!(checked.body_text.contains("token=inv_1"));
        assert!(checked.body_html.unwrap().contains("<!DOCTYPE html>"));
    }

    #[test]
    fn a_template_names_each_value_it_misses_beside_the_other_faults() {
        let mut req = invitation(&[("name", "Sam"), ("role", "staff"), ("expiry", "7 days")]);
        req.subject = "Mine".to_owned();
        req.to = "nobody".to_owned();
        assert_eq!(
            names(parse(&req).unwrap_err()),
            ["to", "subject", "values.link", "values.organisation"]
        );
    }

    #[test]
    fn a_value_with_a_nul_is_refused_by_name() {
        let req = invitation(&[
            ("name", "Sam\0"),
            ("organisation", "Harbour Physio"),
            ("role", "staff"),
            ("link", "https://app.example/"),
            ("expiry", "7 days"),
        ]);
        assert_eq!(names(parse(&req).unwrap_err()), ["values.name"]);
    }

    #[test]
    fn without_a_template_html_is_optional() {
        let req = pb::SendEmailRequest {
            to: "sam@example.com".to_owned(),
            subject: "Hi".to_owned(),
            body_text: "Hello".to_owned(),
            category: "note".to_owned(),
            ..Default::default()
        };
        assert_eq!(parse(&req).unwrap().body_html, None);
        let with_html = pb::SendEmailRequest {
            body_html: "<p>Hello</p>".to_owned(),
            ..req
        };
        assert_eq!(parse(&with_html).unwrap().body_html.as_deref(), Some("<p>Hello</p>"));
    }
}

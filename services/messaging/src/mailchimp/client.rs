//! MailChimp's Marketing API v3, for audience members.
//!
//! # The wire format, as MailChimp documents it
//!
//! `PUT {base}/3.0/lists/{list_id}/members/{subscriber_hash}` adds or
//! updates a member ("upsert"). The base is the account's datacenter,
//! which is the API key's suffix: a key `…-us21` is served from
//! `https://us21.api.mailchimp.com`. The subscriber hash is the MD5 of the
//! lower-cased email, in hex. HTTP basic auth, any user name and the key as
//! the password (`anystring:<key>`). The body:
//!
//! ```json
//! {"email_address": "sam@example.com", "status_if_new": "subscribed",
//!  "merge_fields": {"FNAME": "Sam", "LNAME": "Lee"}}
//! ```
//!
//! `status_if_new` only applies to a new member: someone who unsubscribed
//! in MailChimp stays unsubscribed (their choice there is kept), while
//! their name is brought up to date. `200` with the member is success.
//! A refusal is MailChimp's problem document:
//!
//! ```json
//! {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Invalid Resource",
//!  "status": 400, "detail": "sam@example.com looks fake or invalid, please enter a real email address.",
//!  "instance": "…"}
//! ```
//!
//! Every refusal (and no answer) is reported as the member's failure,
//! with MailChimp's title and detail; the sync carries on with the next
//! member, and running it again retries them.

use attend_kit::secret::Secret;
use md5::{Digest, Md5};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::providers::{REQUEST_TIMEOUT, excerpt, http_client, join_path, transport_reason};

/// Talks to one audience (list). Its `Debug` hides the key.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    base_url: Url,
    api_key: Secret<String>,
    list_id: String,
}

/// A member to add or update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// Lower-case.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// MailChimp's subscriber hash: the MD5 of the lower-cased address, hex.
pub(crate) fn subscriber_hash(email: &str) -> String {
    Md5::digest(email.to_lowercase().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The datacenter an API key names (`…-us21` → `us21`).
pub(crate) fn datacenter(api_key: &str) -> Option<&str> {
    let (_, dc) = api_key.trim().rsplit_once('-')?;
    let letters = dc.chars().take_while(char::is_ascii_lowercase).count();
    let valid = letters > 0 && dc.len() > letters && dc[letters..].bytes().all(|b| b.is_ascii_digit());
    valid.then_some(dc)
}

#[derive(Deserialize)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
}

impl Client {
    pub(crate) fn new(base_url: Url, api_key: Secret<String>, list_id: String) -> Result<Self, String> {
        Ok(Self {
            http: http_client(REQUEST_TIMEOUT)?,
            base_url,
            api_key,
            list_id,
        })
    }

    /// Adds or updates `member`; the reason when MailChimp doesn't take it.
    pub(crate) async fn upsert(&self, member: &Member) -> Result<(), String> {
        let url = join_path(
            &self.base_url,
            &[
                "3.0",
                "lists",
                &self.list_id,
                "members",
                &subscriber_hash(&member.email),
            ],
        );
        let body = json!({
            "email_address": member.email,
            "status_if_new": "subscribed",
            "merge_fields": {"FNAME": member.first_name, "LNAME": member.last_name},
        });
        let response = self
            .http
            .put(url)
            .basic_auth("anystring", Some(self.api_key.expose()))
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_reason("MailChimp", e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let said = match serde_json::from_str::<Problem>(&text) {
            Ok(Problem {
                title: Some(title),
                detail: Some(detail),
            }) => format!("{title}: {detail}"),
            Ok(Problem { title: Some(only), .. }) | Ok(Problem { detail: Some(only), .. }) => only,
            _ => excerpt(&text),
        };
        Err(format!("MailChimp answered {status}: {said}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[test]
    fn the_subscriber_hash_is_the_md5_of_the_lower_cased_address() {
        // The address MailChimp's documentation uses, hashed as `md5sum` does.
        assert_eq!(
            subscriber_hash("Urist.McVankab@freddiesjokes.com"),
            "62eeb292278cc15f5817cb78f7790b08"
        );
        assert_eq!(
            subscriber_hash("urist.mcvankab@freddiesjokes.com"),
            subscriber_hash("URIST.MCVANKAB@FREDDIESJOKES.COM")
        );
    }

    #[test]
    fn the_datacenter_is_the_keys_suffix() {
        assert_eq!(datacenter("0123456789abcdef0123456789abcdef-us21"), Some("us21"));
        assert_eq!(datacenter("abc-us6"), Some("us6"));
        for bad in ["0123456789abcdef", "abc-", "abc-21", "abc-us", "abc-US21", "abc-us21x"] {
            assert_eq!(datacenter(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn a_member_is_put_at_its_hash_with_basic_auth_and_merge_fields() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path("/3.0/lists/a1b2c3d4e5/members/62eeb292278cc15f5817cb78f7790b08"))
            // base64("anystring:key-us21")
            .and(header("authorization", "Basic YW55c3RyaW5nOmtleS11czIx"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"id": "62eeb292278cc15f5817cb78f7790b08", "status": "subscribed"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let client = Client::new(
            Url::parse(&server.uri()).unwrap(),
            Secret::new("key-us21".to_owned()),
            "a1b2c3d4e5".to_owned(),
        )
        .unwrap();
        client
            .upsert(&Member {
                email: "urist.mcvankab@freddiesjokes.com".to_owned(),
                first_name: "Urist".to_owned(),
                last_name: "McVankab".to_owned(),
            })
            .await
            .unwrap();
        let sent: Value = serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
        assert_eq!(
            sent,
            json!({"email_address": "urist.mcvankab@freddiesjokes.com", "status_if_new": "subscribed",
                   "merge_fields": {"FNAME": "Urist", "LNAME": "McVankab"}})
        );
    }

    #[tokio::test]
    async fn a_refusal_reports_mailchimps_title_and_detail() {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "type": "https://mailchimp.com/developer/marketing/docs/errors/",
                "title": "Invalid Resource", "status": 400,
                "detail": "fake@example.com looks fake or invalid, please enter a real email address.",
                "instance": "8a6d7c1e-0000"
            })))
            .mount(&server)
            .await;
        let client = Client::new(
            Url::parse(&server.uri()).unwrap(),
            Secret::new("k-us1".to_owned()),
            "l".to_owned(),
        )
        .unwrap();
        let member = Member {
            email: "fake@example.com".to_owned(),
            first_name: String::new(),
            last_name: String::new(),
        };
        assert_eq!(
            client.upsert(&member).await.unwrap_err(),
            "MailChimp answered 400 Bad Request: Invalid Resource: fake@example.com looks fake or invalid, please enter a real email address."
        );
    }
}

//! Requests to the gateway's API, as the web app makes them: each answers
//! the status and the JSON body (`null` when there is none), some the
//! headers too; and finding a contact once the API shows it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::TestFleet;

/// Touchpoint types automation's rules add after an event (a move along
/// the pipelines, the texts they send), not the event itself. A test of
/// what an event records leaves them out: when they land depends on the
/// rules' timing and on the clinic's quiet hours.
pub const BY_RULES: [&str; 4] = ["stage_changed", "sms_sent", "sms_delivered", "sms_failed"];

/// The touchpoints of a contact's detail (newest first) that the events
/// themselves recorded: all but [`BY_RULES`].
pub fn event_touchpoints(detail: &Value) -> Vec<Value> {
    detail["touchpoints"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|t| !BY_RULES.iter().any(|r| t["type"] == *r))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The touchpoint types of a contact's detail, as the API lists them.
pub fn touchpoint_types(detail: &Value) -> Vec<String> {
    detail["touchpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap().to_owned())
        .collect()
}

impl TestFleet {
    /// Creates a contact through the API (`name`, and `phone` and `email`
    /// when not empty); its public id.
    pub async fn new_contact(&self, token: &str, name: &str, phone: &str, email: &str) -> String {
        let mut body = json!({ "name": name });
        for (field, value) in [("phone", phone), ("email", email)] {
            if !value.is_empty() {
                body[field] = json!(value);
            }
        }
        let (status, created, _) = self.api_post(Some(token), "/api/contacts", &body).await;
        assert_eq!(status, 201, "{created}");
        created["contact"]["id"].as_str().unwrap().to_owned()
    }

    /// GET on the gateway with a bearer token.
    pub async fn api_get(&self, token: &str, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.gateway()))
            .bearer_auth(token)
            .send()
            .await
            .expect("gateway request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs JSON to the gateway, with a bearer token when given.
    pub async fn api_post(
        &self,
        token: Option<&str>,
        path: &str,
        body: &Value,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self.http.post(format!("{}{path}", self.gateway())).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("gateway request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.json().await.unwrap_or(Value::Null), headers)
    }

    /// Waits until the gateway finds a contact by phone, and returns the contact detail.
    pub async fn contact_by_phone(&self, token: &str, phone: &str) -> Value {
        let path = format!("/api/contacts?phone={}", phone.replace('+', "%2B"));
        let id: String = self
            .until_some(Duration::from_secs(20), "the contact is visible", || async {
                let (status, body) = self.api_get(token, &path).await;
                (status == 200)
                    .then(|| body["contacts"][0]["id"].as_str().map(str::to_owned))
                    .flatten()
            })
            .await;
        let path = format!("/api/contacts/{id}");
        self.until_some(
            Duration::from_secs(20),
            "the booking's touchpoint is on the timeline",
            || async {
                let (status, body) = self.api_get(token, &path).await;
                let ready = status == 200 && body["touchpoints"].as_array().is_some_and(|t| !t.is_empty());
                ready.then_some(body)
            },
        )
        .await
    }

    /// Sends any method to the gateway with a bearer token, an optional
    /// JSON body and extra headers.
    pub async fn api_send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.gateway()))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("gateway request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Logs in through the gateway; the whole answer.
    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let (status, body, _) = self
            .api_post(
                None,
                "/api/auth/login",
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        (status, body)
    }

    /// Sends the request `build` makes; while the answer is a 429 asking
    /// for a short wait (a backoff), waits as long as its Retry-After says
    /// and sends it again: how long a backoff lasts is the server's to say.
    /// A longer wait (a lock) is returned as the answer.
    pub async fn send_when_allowed(&self, build: impl Fn() -> reqwest::RequestBuilder) -> reqwest::Response {
        const LONGEST_BACKOFF: u64 = 10;
        for _ in 0..5 {
            let response = build().send().await.expect("gateway request");
            if response.status() != 429 {
                return response;
            }
            let seconds: u64 = response.headers()["retry-after"]
                .to_str()
                .ok()
                .and_then(|s| s.parse().ok())
                .expect("a 429 says when to retry");
            if seconds > LONGEST_BACKOFF {
                return response;
            }
            tokio::time::sleep(Duration::from_secs(seconds)).await;
        }
        panic!("still refused after waiting as told five times");
    }
}

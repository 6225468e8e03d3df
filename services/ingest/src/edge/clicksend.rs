//! ClickSend: inbound texts and delivery receipts.
//!
//! ClickSend signs nothing, so the organisation's token (see
//! [`crate::signature::IntakeSecret`]) is in the callback URL that is set
//! up in ClickSend's dashboard; the token names the organisation.

use std::sync::Arc;

use attend_kit::http::PathParam;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;

use super::{Callback, Delivery, Edge, configured};
use crate::payload::sms;

pub(super) const INBOUND: &str = "/webhooks/clicksend/{token}/inbound";
pub(super) const RECEIPTS: &str = "/webhooks/clicksend/{token}/receipts";

/// `POST .../inbound`: an inbound rule's URL action (`post` or `json`).
pub(super) async fn inbound(
    State(edge): State<Arc<Edge>>,
    PathParam(token): PathParam,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delivery = Delivery::new("clicksend", INBOUND, &headers, &body);
    answer(&edge, &delivery, &token, Callback::Inbound(sms::clicksend_inbound)).await
}

/// `GET .../inbound`: the same, `get` style, the fields in the query.
pub(super) async fn inbound_get(
    State(edge): State<Arc<Edge>>,
    PathParam(token): PathParam,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let delivery = Delivery::new("clicksend", INBOUND, &headers, query.as_bytes()).form_encoded();
    answer(&edge, &delivery, &token, Callback::Inbound(sms::clicksend_inbound)).await
}

/// `POST .../receipts`: delivery receipts.
pub(super) async fn receipts(
    State(edge): State<Arc<Edge>>,
    PathParam(token): PathParam,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delivery = Delivery::new("clicksend", RECEIPTS, &headers, &body);
    answer(&edge, &delivery, &token, Callback::Status(sms::clicksend_receipt)).await
}

/// The token in the URL, its organisation, then the message.
async fn answer(edge: &Edge, delivery: &Delivery<'_>, token: &str, callback: Callback) -> Response {
    let result = async {
        let secret = configured(&edge.intake, "ATTEND_INTAKE_SECRET", "a ClickSend callback")?;
        let slug = secret.verify("clicksend", token)?;
        let org = edge.organisation_by_slug(&slug).await?;
        edge.accept_callback(delivery, &org, callback).await
    }
    .await;
    edge.respond(delivery, result).await
}

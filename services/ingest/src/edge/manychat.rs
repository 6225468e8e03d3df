//! ManyChat: `POST /webhooks/manychat`, a flow's External Request.
//!
//! ManyChat signs nothing, so each organisation has its own token (see
//! [`crate::signature::IntakeSecret`]), sent as `Authorization: Bearer
//! <token>`; the token names the organisation.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, header};

use super::{Delivery, Edge, configured};
use crate::payload::leads;
use crate::signature::SignatureError;

pub(super) const ENDPOINT: &str = "/webhooks/manychat";

pub(super) async fn delivery(State(edge): State<Arc<Edge>>, headers: HeaderMap, body: Bytes) -> Response {
    let delivery = Delivery::new("manychat", ENDPOINT, &headers, &body);
    let result = async {
        let secret = configured(&edge.intake, "ATTEND_INTAKE_SECRET", "a ManyChat delivery")?;
        let presented = headers
            .get(header::AUTHORIZATION)
            .ok_or(SignatureError::MissingHeader("Authorization"))?
            .to_str()
            .map_err(|_| SignatureError::BadSignature)?;
        let token = presented.strip_prefix("Bearer ").unwrap_or(presented);
        let slug = secret.verify("manychat", token)?;
        edge.accept_lead(&delivery, &slug, leads::from_manychat).await
    }
    .await;
    edge.respond(&delivery, result).await
}

//! Documents (spec 001 "Feature 3"): upload (multipart), list and search,
//! and download through a short-lived signed link. Care checks what the
//! file is and who may see it; this module moves bytes and JSON.

use attend_kit::Error;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, request};
use attend_kit::http::{PathParam, Problem, QueryParams};
use attend_kit::ids::{ClientId, DocumentId, OrgId, TypedId, UserId};
use attend_proto::care::v1 as pb;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{public_or_null, unix};
use crate::AppState;
use crate::auth::SignedIn;

/// The largest upload the gateway reads (care's own limit is checked
/// there, by ATTEND_CARE_DOCUMENT_MAX_BYTES); a little over it, so care
/// names the limit rather than the gateway cutting the body.
pub const MAX_UPLOAD: usize = 26 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/documents", post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .route("/api/clients/{id}/documents", get(list))
        .route("/api/documents/{id}", get(show))
        .route("/api/documents/{id}/content", get(content))
}

fn document_json(d: &pb::Document) -> Result<Value, Error> {
    Ok(json!({
        "id": DocumentId::parse_uuid(&d.id)?.to_string(),
        "client_id": ClientId::parse_uuid(&d.client_id)?.to_string(),
        "uploaded_by_id": public_or_null::<UserId>(&d.uploaded_by_id)?,
        "file_name": d.file_name,
        "file_type": d.file_type,
        "content_type": d.content_type,
        "file_size": d.file_size,
        "category": d.category,
        "description": d.description,
        "visibility": d.visibility,
        "status": d.status,
        "scan_result": if d.scan_result.is_empty() { Value::Null } else { json!(d.scan_result) },
        "created_at": unix(&d.created_at),
    }))
}

/// `POST /api/documents` (multipart: `client_id`, `category`,
/// `description`?, `visibility`?, and `file`).
async fn upload(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    mut form: Multipart,
) -> Result<(axum::http::StatusCode, Json<Value>), Problem> {
    let mut req = pb::UploadDocumentRequest::default();
    let mut has_file = false;
    let bad = |field: &str, e: axum::extract::multipart::MultipartError| Error::invalid(field, e.body_text());
    while let Some(field) = form.next_field().await.map_err(|e| bad("body", e))? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                req.file_name = field.file_name().unwrap_or_default().to_owned();
                req.content = field.bytes().await.map_err(|e| bad("file", e))?.to_vec();
                has_file = true;
            }
            "client_id" | "category" | "description" | "visibility" => {
                let value = field.text().await.map_err(|e| bad(&name, e))?;
                match name.as_str() {
                    "client_id" => {
                        req.client_id = match value.trim() {
                            "" => String::new(),
                            id => ClientId::parse_public_at("client_id", id)?.uuid().to_string(),
                        }
                    }
                    "category" => req.category = value,
                    "description" => req.description = value,
                    _ => req.visibility = value,
                }
            }
            other => return Err(Error::invalid(other, "is not a field of an upload").into()),
        }
    }
    if req.client_id.is_empty() {
        return Err(Error::invalid("client_id", "is required: the client the document is about").into());
    }
    if !has_file {
        return Err(Error::invalid("file", "is required: the document itself").into());
    }
    let uploaded = state
        .care
        .clone()
        .upload_document(request(req, &caller))
        .await
        .into_answer("care")?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "document": document_json(&uploaded)? })),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct ListQuery {
    q: String,
    category: String,
}

/// `GET /api/clients/{id}/documents?q=&category=`.
async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Value>, Problem> {
    let client = ClientId::parse_public(&id).map_err(|_| Error::NotFound("client".to_owned()))?;
    let listed = state
        .care
        .clone()
        .list_documents(request(
            pb::ListDocumentsRequest {
                client_id: client.uuid().to_string(),
                q: query.q,
                category: query.category,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(Json(json!({
        "documents": listed.documents.iter().map(document_json).collect::<Result<Vec<_>, _>>()?,
    })))
}

/// `GET /api/documents/{id}`: the document, and a link that downloads it
/// for a few minutes (none while it waits for its virus scan).
async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    let document = DocumentId::parse_public(&id).map_err(|_| Error::NotFound("document".to_owned()))?;
    let link = state
        .care
        .clone()
        .get_document(request(
            pb::GetDocumentRequest {
                document_id: document.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    let shown = link
        .document
        .as_ref()
        .map(document_json)
        .transpose()?
        .unwrap_or(Value::Null);
    let download = match link.expires_at {
        0 => Value::Null,
        expires => json!(format!(
            "/api/documents/{document}/content?org={}&expires={expires}&signature={}",
            OrgId::parse_uuid(&link.org_id).map_err(Error::from)?,
            link.signature
        )),
    };
    Ok(Json(json!({
        "document": shown,
        "download_url": download,
        "download_expires_at": if link.expires_at == 0 { Value::Null } else { json!(link.expires_at) },
    })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LinkQuery {
    org: String,
    expires: i64,
    signature: String,
}

/// `GET /api/documents/{id}/content?org=&expires=&signature=`: the bytes,
/// for whoever holds a link that has not expired (no sign-in: the link is
/// the credential, as a browser download or an `<img>` needs).
async fn content(
    State(state): State<AppState>,
    PathParam(id): PathParam,
    QueryParams(query): QueryParams<LinkQuery>,
) -> Result<Response, Problem> {
    let document = DocumentId::parse_public(&id).map_err(|_| Error::NotFound("document".to_owned()))?;
    let org =
        OrgId::parse_public(&query.org).map_err(|_| Error::Forbidden("this download link is not valid".to_owned()))?;
    let got = state
        .care
        .clone()
        .read_document(request(
            pb::ReadDocumentRequest {
                org_id: org.uuid().to_string(),
                document_id: document.uuid().to_string(),
                expires_at: query.expires,
                signature: query.signature,
            },
            &Caller::anonymous(),
        ))
        .await
        .into_answer("care")?;
    let safe_name: String = got
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, got.content_type),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe_name}\""),
            ),
            (axum::http::header::CACHE_CONTROL, "private, no-store".to_owned()),
            (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        got.content,
    )
        .into_response())
}

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
use serde::{Deserialize, Serialize};

use super::{public_id, text, unix_seconds};
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

/// A document in a client's record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Document {
    /// `doc_…`.
    pub id: String,
    /// `client_…`.
    pub client_id: String,
    /// `user_…`.
    pub uploaded_by_id: Option<String>,
    pub file_name: String,
    /// What the content is, by its bytes: `pdf`, `png`, `jpeg`, `gif`,
    /// `webp`, `doc` or `docx`.
    pub file_type: String,
    /// The MIME type the bytes are served with.
    pub content_type: String,
    /// Bytes.
    pub file_size: i64,
    /// `prescription`, `test_result`, `medical_record`, `insurance` or `other`.
    pub category: String,
    pub description: String,
    /// `family_only`, `care_team_only` or `everyone`.
    pub visibility: String,
    /// `quarantined`, `clean`, `infected` or `unscanned`.
    pub status: String,
    /// What the scanner said: `OK`, or the signature it found; null until
    /// scanned.
    pub scan_result: Option<String>,
    /// Unix seconds.
    pub created_at: Option<i64>,
}

fn document_json(d: &pb::Document) -> Result<Document, Error> {
    Ok(Document {
        id: DocumentId::parse_uuid(&d.id)?.to_string(),
        client_id: ClientId::parse_uuid(&d.client_id)?.to_string(),
        uploaded_by_id: public_id::<UserId>(&d.uploaded_by_id)?,
        file_name: d.file_name.clone(),
        file_type: d.file_type.clone(),
        content_type: d.content_type.clone(),
        file_size: d.file_size,
        category: d.category.clone(),
        description: d.description.clone(),
        visibility: d.visibility.clone(),
        status: d.status.clone(),
        scan_result: text(&d.scan_result),
        created_at: unix_seconds(&d.created_at),
    })
}

/// One document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneDocument {
    pub document: Document,
}

/// A client's documents.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Documents {
    pub documents: Vec<Document>,
}

/// A document, and a link that downloads it for a few minutes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentDownload {
    pub document: Option<Document>,
    /// A signed path to `GET`; null while the document waits for its virus
    /// scan (or may not be downloaded).
    pub download_url: Option<String>,
    /// When the link stops working, Unix seconds; null with no link.
    pub download_expires_at: Option<i64>,
}

/// The multipart form `POST /api/documents` reads (a description: the
/// handler reads the parts one by one).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The document itself; its name's extension must agree with its content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The client it is about (`client_…`).
    client_id: String,
    /// `prescription`, `test_result`, `medical_record`, `insurance` or `other`.
    category: String,
    description: Option<String>,
    /// Who may see it (docs/care.md).
    visibility: Option<String>,
}

/// `POST /api/documents` (multipart: `client_id`, `category`,
/// `description`?, `visibility`?, and `file`).
#[utoipa::path(operation_id = "documents_upload", post, path = "/api/documents", tag = "documents", request_body(content = inline(UploadForm), content_type = "multipart/form-data"), responses((status = 201, description = "Uploaded", body = OneDocument), crate::openapi::Problems))]
async fn upload(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    mut form: Multipart,
) -> Result<(axum::http::StatusCode, Json<OneDocument>), Problem> {
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
        Json(OneDocument {
            document: document_json(&uploaded)?,
        }),
    ))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, default)]
struct ListQuery {
    q: String,
    category: String,
}

/// `GET /api/clients/{id}/documents?q=&category=`.
#[utoipa::path(operation_id = "documents_list", get, path = "/api/clients/{id}/documents", tag = "documents", params(("id" = String, Path, description = "id"), ListQuery), responses((status = 200, description = "OK", body = Documents), crate::openapi::Problems))]
async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Documents>, Problem> {
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
    Ok(Json(Documents {
        documents: listed
            .documents
            .iter()
            .map(document_json)
            .collect::<Result<Vec<_>, _>>()?,
    }))
}

/// `GET /api/documents/{id}`: the document, and a link that downloads it
/// for a few minutes (none while it waits for its virus scan).
#[utoipa::path(operation_id = "documents_show", get, path = "/api/documents/{id}", tag = "documents", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = DocumentDownload), crate::openapi::Problems))]
async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<DocumentDownload>, Problem> {
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
    let shown = link.document.as_ref().map(document_json).transpose()?;
    let download = match link.expires_at {
        0 => None,
        expires => Some(format!(
            "/api/documents/{document}/content?org={}&expires={expires}&signature={}",
            OrgId::parse_uuid(&link.org_id).map_err(Error::from)?,
            link.signature
        )),
    };
    Ok(Json(DocumentDownload {
        document: shown,
        download_url: download,
        download_expires_at: (link.expires_at != 0).then_some(link.expires_at),
    }))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct LinkQuery {
    org: String,
    expires: i64,
    signature: String,
}

/// `GET /api/documents/{id}/content?org=&expires=&signature=`: the bytes,
/// for whoever holds a link that has not expired (no sign-in: the link is
/// the credential, as a browser download or an `<img>` needs).
#[utoipa::path(operation_id = "documents_content", get, path = "/api/documents/{id}/content", tag = "documents", security(()), params(("id" = String, Path, description = "id"), LinkQuery), responses((status = 200, description = "The document's bytes, as its own `Content-Type` (sent as an attachment)", content(("application/octet-stream"))), crate::openapi::Problems))]
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

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(upload, list, show, content))]
pub struct Api;

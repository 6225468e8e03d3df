//! The API contract: every `/api` route described with `utoipa` into one
//! OpenAPI 3.1 document, served at `/api/openapi.json` and browsable at
//! `/api/docs`. The web UI's TypeScript types are generated from this
//! document (`web/src/api/schema.d.ts`), never written by hand.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use utoipa::OpenApi as _;

/// An RFC 9457 problem, as every error answer carries it
/// (`application/problem+json`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a description of `attend_kit::http::Problem`'s JSON, never built
pub struct ProblemBody {
    /// `https://attend.dev/problems/{code}`.
    r#type: String,
    /// The HTTP status's reason phrase.
    title: String,
    status: u16,
    /// What went wrong, in words a person can act on.
    detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`.
    code: String,
    /// The fields at fault, for validation problems.
    errors: Option<Vec<FieldProblem>>,
}

/// One field a request got wrong, and why.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FieldProblem {
    /// Dotted path of the field, e.g. `customer.phone`.
    field: String,
    reason: String,
}

/// The error answers every route can give.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Problems {
    /// The request was refused: invalid (400, naming the field), not signed
    /// in (401), not allowed (403), not found (404), in conflict (409) or
    /// too many (429).
    #[response(status = "4XX", content_type = "application/problem+json")]
    Refused(ProblemBody),
    /// A service this request needs is unavailable; try again shortly.
    #[response(status = "5XX", content_type = "application/problem+json")]
    Failed(ProblemBody),
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "attend",
        description = "The attend REST API: contacts, bookings, tasks, messaging, reports and the care portal. \
                       Sign in at `POST /api/auth/login` and send the access token as `Authorization: Bearer …`. \
                       Errors are `application/problem+json` naming the field and the reason."
    ),
    paths(crate::live::connect, serve_document, docs_page),
    components(schemas(ProblemBody, FieldProblem)),
    modifiers(&BearerAuth)
)]
struct Base;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        openapi.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// The whole document: the base plus each route module's paths.
pub fn document() -> utoipa::openapi::OpenApi {
    use crate::routes::*;
    let mut doc = Base::openapi();
    for part in [
        auth::Api::openapi(),
        contacts::Api::openapi(),
        pipelines::Api::openapi(),
        recalls::Api::openapi(),
        admin::Api::openapi(),
        bookings::Api::openapi(),
        settings::Api::openapi(),
        sms::Api::openapi(),
        consents::Api::openapi(),
        tasks::Api::openapi(),
        automation::Api::openapi(),
        reports::Api::openapi(),
        care::Api::openapi(),
        messages::Api::openapi(),
        documents::Api::openapi(),
    ] {
        doc.merge(part);
    }
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot describe the API: {e}\"}}"))
    })
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(operation_id = "api_serve_document", get, path = "/api/openapi.json", tag = "api", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn serve_document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document_json()).into_response()
}

/// `GET /api/docs`: Swagger UI over the document, from the web build's own
/// copy (`/api-docs/…`), so it works with no internet.
#[utoipa::path(operation_id = "api_docs_page", get, path = "/api/docs", tag = "api", security(()),
    responses((status = 200, description = "The API reference (Swagger UI)", content_type = "text/html")))]
pub async fn docs_page() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>attend API</title>
<link rel="stylesheet" href="/api-docs/swagger-ui.css">
</head>
<body>
<main id="docs"><p>Loading the API reference… If nothing appears, the web UI has not been built
(<code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>); the document itself is at
<a href="/api/openapi.json">/api/openapi.json</a>.</p></main>
<script src="/api-docs/swagger-ui-bundle.js"></script>
<script src="/api-docs/init.js"></script>
</body>
</html>"#,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Every `.route("…", get(…).post(…))` in the gateway's sources, as
    /// `METHOD path`. Read from the source, so a route added without a
    /// description fails [`every_route_is_described`].
    fn routes_in_source() -> BTreeSet<String> {
        let sources = [
            include_str!("lib.rs"),
            include_str!("routes/admin.rs"),
            include_str!("routes/auth.rs"),
            include_str!("routes/automation.rs"),
            include_str!("routes/bookings.rs"),
            include_str!("routes/care.rs"),
            include_str!("routes/consents.rs"),
            include_str!("routes/contacts.rs"),
            include_str!("routes/documents.rs"),
            include_str!("routes/messages.rs"),
            include_str!("routes/pipelines.rs"),
            include_str!("routes/recalls.rs"),
            include_str!("routes/reports.rs"),
            include_str!("routes/settings.rs"),
            include_str!("routes/sms.rs"),
            include_str!("routes/tasks.rs"),
        ];
        let mut found = BTreeSet::new();
        for source in sources {
            for (start, _) in source.match_indices(".route(") {
                let rest = &source[start + ".route(".len()..];
                let Some(open) = rest.find('"') else { continue };
                let Some(len) = rest[open + 1..].find('"') else {
                    continue;
                };
                let path = &rest[open + 1..open + 1 + len];
                // The route's arguments end where its parentheses balance.
                let mut depth = 1;
                let mut end = 0;
                for (i, c) in rest.char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                let handlers = &rest[open + 1 + len + 1..end];
                for method in ["get", "post", "put", "delete", "patch"] {
                    for (at, _) in handlers.match_indices(&format!("{method}(")) {
                        let before = handlers[..at].chars().last();
                        if matches!(before, Some(c) if c.is_alphanumeric() || c == '_') {
                            continue;
                        }
                        found.insert(format!("{} {path}", method.to_uppercase()));
                    }
                }
            }
        }
        found
    }

    fn routes_in_document() -> BTreeSet<String> {
        let doc: serde_json::Value = serde_json::from_str(super::document_json()).unwrap();
        let mut found = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                found.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        found
    }

    #[test]
    fn every_route_is_described() {
        let source = routes_in_source();
        let document = routes_in_document();
        // The parser itself must see the routes, or this test proves nothing.
        assert!(source.len() > 90, "found only {} routes in the sources", source.len());
        assert!(source.contains("POST /api/tasks/{id}/complete"), "{source:?}");
        assert!(source.contains("GET /api/clients/{id}/health-logs"), "{source:?}");
        let missing: Vec<_> = source.difference(&document).collect();
        assert!(missing.is_empty(), "routes missing from /api/openapi.json: {missing:?}");
        let extra: Vec<_> = document.difference(&source).collect();
        assert!(extra.is_empty(), "described but not routed: {extra:?}");
    }

    /// Generated clients name each operation by its id: two alike would
    /// silently make one route's types another's.
    #[test]
    fn operation_ids_are_unique() {
        let doc: serde_json::Value = serde_json::from_str(super::document_json()).unwrap();
        let mut seen = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
                assert!(
                    seen.insert(id.to_owned()),
                    "operationId {id} is used twice ({method} {path})"
                );
            }
        }
        assert!(seen.contains("tasks_complete"), "{seen:?}");
    }

    #[test]
    fn the_document_is_openapi_3_1_with_problems_and_bearer_auth() {
        let doc: serde_json::Value = serde_json::from_str(super::document_json()).unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        assert!(doc["components"]["schemas"]["ProblemBody"].is_object());
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        let complete = &doc["paths"]["/api/tasks/{id}/complete"]["post"];
        assert!(complete["requestBody"].is_object(), "{complete}");
        assert!(
            complete["responses"]["4XX"]["content"]["application/problem+json"].is_object(),
            "{complete}"
        );
    }
}

//! The web UI: the built single-page app (`web/dist`, or
//! `ATTEND_WEB_DIR`) served from `/`, beside the API under `/api`.
//!
//! Any path that is not a file is the app's own route (`/today`,
//! `/portal/...`), answered with `index.html` so a reload or a shared link
//! works. Hashed assets (`/assets/…`) are cached for a year; `index.html`
//! is revalidated every time, so a new build is picked up at once.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

/// Where the built UI is, from `ATTEND_WEB_DIR` (default `web/dist`,
/// relative to the working directory, as the README runs attend).
pub fn dir_from_config(config: &attend_kit::config::Config) -> PathBuf {
    config
        .source
        .optional::<String>("ATTEND_WEB_DIR")
        .ok()
        .flatten()
        .map_or_else(|| PathBuf::from("web/dist"), PathBuf::from)
}

/// The router serving the UI from `dir`; when it holds no build, `/` says
/// how to build it and other paths are the listener's usual 404.
pub fn router(dir: &Path) -> Router {
    let index = dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(dir = %dir.display(), "no web UI build here: `/` explains how to build it (npm --prefix web ci && npm --prefix web run build)");
        return Router::new().route("/", axum::routing::get(not_built));
    }
    let app = ServeFile::new(index);
    // A path that names a file (`/assets/x.js`, `/favicon.ico`) and isn't
    // there is a 404: answering it with the page would hand a script HTML.
    let files = ServeDir::new(dir).fallback(axum::routing::get(move |request: Request| async move {
        if names_a_file(request.uri().path()) {
            return StatusCode::NOT_FOUND.into_response();
        }
        match app.oneshot(request).await {
            Ok(response) => response.into_response(),
            Err(never) => match never {},
        }
    }));
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_headers))
}

/// Whether a path's last segment has an extension (a file, not an app route).
fn names_a_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let hashed = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let value = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// A page, not an error status: the listener turns every error answer into
/// problem+json, and a person opening `/` needs words. The missing build is
/// logged as a warning at start.
async fn not_built() -> Response {
    (
        StatusCode::OK,
        Html(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>attend</title></head>\
             <body><main><h1>The web UI has not been built</h1>\
             <p>Build it with <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code> \
             and restart attend, or point <code>ATTEND_WEB_DIR</code> at a build. \
             The API is at <a href=\"/api/docs\">/api/docs</a>.</p></main></body></html>",
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    async fn get(router: &Router, path: &str) -> (StatusCode, String, String) {
        let response = router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let cache = response
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned(), cache)
    }

    #[tokio::test]
    async fn app_routes_get_the_page_and_missing_files_a_404() {
        let dir = std::env::temp_dir().join(format!("attend-web-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>attend</title>").unwrap();
        std::fs::write(dir.join("assets/app-1a2b.js"), "console.log(1)").unwrap();
        let router = router(&dir);

        let (status, body, cache) = get(&router, "/").await;
        assert_eq!((status, cache.as_str()), (StatusCode::OK, "no-cache"));
        assert!(body.contains("<title>attend</title>"), "{body}");
        // The app's own routes, on reload or from a shared link.
        let (status, body, _) = get(&router, "/contacts/contact_123").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<title>attend</title>"), "{body}");
        let (status, body, cache) = get(&router, "/assets/app-1a2b.js").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "console.log(1)"));
        assert_eq!(cache, "public, max-age=31536000, immutable");
        let (status, _, cache) = get(&router, "/assets/app-gone.js").await;
        assert_eq!((status, cache.as_str()), (StatusCode::NOT_FOUND, "no-cache"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn without_a_build_the_front_page_says_how_to_build_one() {
        let router = router(Path::new("/nonexistent/attend/web"));
        let (status, body, _) = get(&router, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("npm --prefix web run build"), "{body}");
        let (status, _, _) = get(&router, "/contacts").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

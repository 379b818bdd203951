//! What makes dvor installable on a phone's home screen: the web app manifest, its icons, and
//! the service worker (with the one small script that registers it) that shows the last
//! loaded pages offline.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::http::AppState;

/// The service worker's source.
const SERVICE_WORKER: &str = include_str!("../web/assets/sw.js");
/// The script every page loads (it registers the service worker).
const SCRIPT: &str = include_str!("../web/assets/dvor.js");
const ICON_192: &[u8] = include_bytes!("../web/assets/icon-192.png");
const ICON_512: &[u8] = include_bytes!("../web/assets/icon-512.png");

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/manifest.webmanifest", get(web_manifest))
        .route("/sw.js", get(service_worker))
        .route(crate::web::SCRIPT_PATH, get(script))
        .route("/assets/icon-192.png", get(|| icon(ICON_192)))
        .route("/assets/icon-512.png", get(|| icon(ICON_512)))
}

async fn web_manifest(State(state): State<AppState>) -> Response {
    let manifest = serde_json::json!({
        "name": format!("dvor — {}", state.instance_name),
        "short_name": state.instance_name.as_ref(),
        "lang": "ru",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4e89",
        "icons": [
            { "src": "/assets/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any maskable" },
            { "src": "/assets/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable" },
        ],
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json")],
        manifest.to_string(),
    )
        .into_response()
}

async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // A new worker must be picked up at once, not after an hour.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
        .into_response()
}

async fn icon(bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

//! The host's JSON API: identity, communities, roles, joining, notifications and the audit
//! log. Every route is registered through [`utoipa_axum`], so the OpenAPI document served at
//! `/api/openapi.json` is generated from the same code that serves the routes.
//!
//! Handlers are thin: an extractor decides who is asking ([`extract`]), the handler checks
//! what they may do through [`crate::identity::roles::Authority`], and the work is done by a
//! service in [`crate::identity`]. Errors have one shape, [`crate::error::ErrorBody`].

pub mod extract;
pub mod page;

mod admin;
pub(crate) mod announcements;
mod audit;
pub(crate) mod auth;
pub(crate) mod communities;
pub(crate) mod joining;
pub(crate) mod me;
mod notifications;
mod oidc;
pub(crate) mod roles;

use axum::Json;
use axum::extract::State;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dvor",
        description = "The dvor host API: identity, communities, roles, joining, notifications. \
                       Plugin APIs are mounted under /api/c/{community}/p/{plugin}/ and described \
                       by each plugin. Errors are always {\"error\": {\"code\", \"message\", \"field\"}}; \
                       lists are paginated with ?cursor= and next_cursor.",
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "me", description = "The signed-in person: profile, sessions, tokens, personal data"),
        (name = "communities", description = "Places, units, members, organizations"),
        (name = "roles", description = "Role grants and ownership verification"),
        (name = "joining", description = "Invitations, join requests, the owners' register"),
        (name = "notifications", description = "The inbox"),
        (name = "audit", description = "Who changed roles and verification"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session token (`dvs_…`) or an API token (`dvt_…`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(extract::SESSION_COOKIE))),
        );
    }
}

/// The API's routes and their OpenAPI document, with [`complete`]'s statuses.
pub fn routes() -> (axum::Router<AppState>, serde_json::Value) {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::routes())
        .merge(oidc::routes())
        .merge(me::routes())
        .merge(communities::routes())
        .merge(roles::routes())
        .merge(joining::routes())
        .merge(notifications::routes())
        .merge(audit::routes())
        .merge(announcements::routes())
        .merge(admin::routes())
        .routes(routes!(openapi_json))
        .split_for_parts();
    let mut document = serde_json::to_value(&openapi).unwrap_or_default();
    complete(&mut document);
    (router, document)
}

/// Add to every operation the statuses the shared layers answer before its handler runs, where
/// its own list lacks them, so the document names every status a route answers:
///
/// - 400 for a query or path parameter or a body that breaks the document (the host's
///   extractors and [`crate::rejections`]);
/// - 404 for a route with a path parameter (it names something that is not there);
/// - 401 and 403 for a signed-in route (no or a dead sign-in; a token without the scope);
/// - 403 for a write refused as cross-site (see [`crate::csrf`]);
/// - 413 and 415 for a route with a body (over the limit; not of the documented type).
fn complete(document: &mut serde_json::Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let has_parameters = path.contains('{')
                || operation["parameters"]
                    .as_array()
                    .is_some_and(|p| !p.is_empty());
            let has_body = operation.get("requestBody").is_some();
            let signed_in = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            let writes = !matches!(method.as_str(), "get" | "head" | "options");
            let mut add = |status: &str, description: &str| {
                let responses = &mut operation["responses"];
                if responses.get(status).is_none() {
                    responses[status] = serde_json::json!({
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                    });
                }
            };
            if has_parameters || has_body {
                add(
                    "400",
                    "A parameter or the body breaks this document; `field` names it",
                );
            }
            if path.contains('{') {
                add(
                    "404",
                    "A path parameter names nothing that is there; `field` names the parameter",
                );
            }
            if signed_in {
                add("401", "No sign-in, or one that has expired or was ended");
                add(
                    "403",
                    "Not allowed: the role, or an API token without the scope",
                );
            }
            if writes {
                add(
                    "403",
                    "Refused as cross-site: a write from another site, or one signed in by the session cookie without showing it comes from this instance",
                );
            }
            if has_body {
                add("413", "The body is larger than this route takes");
                add("415", "The body is not of the documented content type");
            }
        }
    }
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/api/openapi.json", tag = "auth",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.openapi.as_ref().clone())
}

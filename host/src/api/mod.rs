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
mod roles;

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

/// The API's routes and their OpenAPI document.
pub fn routes() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
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
    (router, openapi)
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/api/openapi.json", tag = "auth",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.openapi.as_ref().clone())
}

//! Signing in through an OpenID Connect provider: the list of providers, the redirect to one,
//! and the callback that starts a session (see [`crate::identity::oidc`]).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ClientInfo;
use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::identity::now_ms;
use crate::identity::oidc::{self, CallbackParams, Device, OidcProvider};

/// The routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_providers))
        .routes(routes!(start))
        .routes(routes!(callback))
}

/// The OpenID Connect providers people may sign in with.
#[utoipa::path(get, path = "/api/auth/oidc", tag = "auth",
    responses((status = 200, body = Vec<OidcProvider>, description = "The configured providers")))]
async fn list_providers(State(state): State<AppState>) -> axum::Json<Vec<OidcProvider>> {
    axum::Json(oidc::providers(&state.identity))
}

/// Where to go after signing in.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// A local path (`/…`) to return to after signing in; anything else means `/`.
    pub return_to: Option<String>,
}

/// Begin signing in with a provider: a redirect to its sign-in page.
#[utoipa::path(get, path = "/api/auth/oidc/{provider}/start", tag = "auth",
    params(("provider" = String, Path, description = "The provider's id, from `GET /api/auth/oidc`"), StartQuery),
    responses(
        (status = 302, description = "To the provider's authorization endpoint (`Location`)"),
        (status = 404, body = ErrorBody, description = "No such provider (field `provider`)"),
        (status = 502, body = ErrorBody, description = "The provider does not answer"),
    ))]
async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let query = StartQuery {
        return_to: query_value(query.as_deref(), "return_to"),
    };
    let url = oidc::start(
        &state.identity,
        &state.runtime.shared().db,
        &provider,
        query.return_to.as_deref(),
        now_ms(),
    )
    .await?;
    redirect(&url, None)
}

/// What the provider sends back.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The state the sign-in began with.
    pub state: Option<String>,
    /// The provider's error code, when it did not sign the person in.
    pub error: Option<String>,
    /// The provider's explanation of `error`.
    pub error_description: Option<String>,
    /// The provider's issuer (RFC 9207), checked when present.
    pub iss: Option<String>,
}

impl CallbackQuery {
    /// The parameters of a query string (the first value of each; others are ignored).
    fn parse(query: Option<&str>) -> Self {
        CallbackQuery {
            code: query_value(query, "code"),
            state: query_value(query, "state"),
            error: query_value(query, "error"),
            error_description: query_value(query, "error_description"),
            iss: query_value(query, "iss"),
        }
    }
}

/// The provider's redirect back: on success a session cookie and a redirect to `return_to`.
#[utoipa::path(get, path = "/api/auth/oidc/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "The provider's id"), CallbackQuery),
    responses(
        (status = 302, description = "Signed in: a `dvor_session` cookie is set and `Location` is the `return_to` of the start"),
        (status = 400, body = ErrorBody, description = "An unknown, spent or expired state (field `state`), a code or id_token that fails the checks (field `code`), or missing names for a new person (field `given_name` or `family_name`)"),
        (status = 403, body = ErrorBody, description = "The provider did not sign the person in (`error`)"),
        (status = 404, body = ErrorBody, description = "No such provider (field `provider`)"),
        (status = 502, body = ErrorBody, description = "The provider does not answer"),
    ))]
async fn callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    client: ClientInfo,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let query = CallbackQuery::parse(query.as_deref());
    let signed_in = oidc::callback(
        &state.identity,
        &state.runtime.shared().db,
        &provider,
        CallbackParams {
            code: query.code.as_deref(),
            state: query.state.as_deref(),
            error: query.error.as_deref(),
            error_description: query.error_description.as_deref(),
            iss: query.iss.as_deref(),
        },
        Device {
            user_agent: client.user_agent.as_deref(),
            locale: &client.locale,
        },
        now_ms(),
    )
    .await?;
    redirect(
        &signed_in.return_to,
        Some(super::auth::session_cookie(&state, &signed_in.token)),
    )
}

/// The first value of `key` in a query string.
fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A 302 to `location`, not to be cached, with a cookie if given.
fn redirect(location: &str, cookie: Option<HeaderValue>) -> Result<Response, AppError> {
    let location = HeaderValue::from_str(location).map_err(AppError::internal)?;
    let mut response = (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

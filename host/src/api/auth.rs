//! Signing in by phone and signing out.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ClientInfo, JsonBody, SESSION_COOKIE, SignedIn};
use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::identity::otp::{self, CodeSent, Verify};
use crate::identity::people::Person;
use crate::identity::{now_ms, tokens};

/// The largest body the sign-in routes take: anyone may call them, so they read little.
pub const SIGN_IN_BODY_LIMIT: usize = 4 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_code))
        .routes(routes!(verify_code))
        .routes(routes!(sign_out))
        .layer(axum::extract::DefaultBodyLimit::max(SIGN_IN_BODY_LIMIT))
}

/// Ask for a sign-in code.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    #[schema(schema_with = crate::identity::phone::phone_schema, required = true)]
    pub phone: Option<String>,
}

/// Send a one-time code by SMS.
#[utoipa::path(post, path = "/api/auth/code", tag = "auth", request_body = CodeRequest,
    responses(
        (status = 200, body = CodeSent, description = "The code was sent"),
        (status = 400, body = ErrorBody, description = "No phone, or not written as the document says (field `phone`)"),
        (status = 422, body = ErrorBody, description = "Not a number that receives SMS: outside the instance's numbering plan (field `phone`)"),
        (status = 429, body = ErrorBody, description = "Cooldown, hourly limit or lockout; `Retry-After` says when the limit frees"),
        (status = 503, body = ErrorBody, description = "The SMS gateway did not take the message"),
    ))]
async fn send_code(
    State(state): State<AppState>,
    client: ClientInfo,
    JsonBody(request): JsonBody<CodeRequest>,
) -> Result<axum::Json<CodeSent>, AppError> {
    let db = &state.runtime.shared().db;
    let sent = otp::send_code(
        &state.identity,
        db,
        request.phone.as_deref(),
        &client.ip,
        now_ms(),
    )
    .await?;
    Ok(axum::Json(sent))
}

/// Check a code (and name a new person).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[schema(schema_with = crate::identity::phone::phone_schema, required = true)]
    pub phone: Option<String>,
    /// The six digits from the SMS.
    #[schema(value_type = String, required = true, pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
    /// First name: required when the phone is new (letters, spaces, hyphens, apostrophes).
    #[schema(max_length = 80)]
    pub given_name: Option<String>,
    /// Surname: required when the phone is new.
    #[schema(max_length = 80)]
    pub family_name: Option<String>,
    /// A new phone's consent to the processing of their personal data (152-ФЗ), as the
    /// client asked for it; `true` is recorded with its time in the audit log, `false` refuses
    /// signing up (field `consent`).
    pub consent: Option<bool>,
}

/// A new session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionStarted {
    /// The session token: send it as `Authorization: Bearer …` (browsers get a cookie too).
    pub token: String,
    /// Who signed in.
    pub person: Person,
    /// Whether the account was created now.
    pub created: bool,
}

/// The `Set-Cookie` value for a session token.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.identity.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let max_age = state.identity.session_ms() / 1000;
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("a token is header-safe")
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("dvor_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Sign in with the code; a new phone needs a first name and a surname.
#[utoipa::path(post, path = "/api/auth/code/verify", tag = "auth", request_body = VerifyRequest,
    responses(
        (status = 200, body = SessionStarted, description = "Signed in; a `dvor_session` cookie is set"),
        (status = 400, body = ErrorBody, description = "A field breaks the document (the field says which)"),
        (status = 422, body = ErrorBody, description = "A wrong, spent or expired code (field `code`), a number outside the plan (field `phone`), a new phone without a name (field `given_name` or `family_name`) or refusing consent (field `consent`)"),
        (status = 429, body = ErrorBody, description = "The phone is locked after too many wrong codes; see Retry-After"),
    ))]
async fn verify_code(
    State(state): State<AppState>,
    client: ClientInfo,
    JsonBody(request): JsonBody<VerifyRequest>,
) -> Result<Response, AppError> {
    let db = &state.runtime.shared().db;
    let signed_in = otp::verify_code(
        &state.identity,
        db,
        Verify {
            phone: request.phone.as_deref(),
            code: request.code.as_deref(),
            given_name: request.given_name.as_deref(),
            family_name: request.family_name.as_deref(),
            consent: request.consent,
            locale: &client.locale,
            ip: &client.ip,
            user_agent: client.user_agent.as_deref(),
        },
        now_ms(),
    )
    .await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&state, &signed_in.token));
    Ok((
        headers,
        axum::Json(SessionStarted {
            token: signed_in.token,
            person: signed_in.person,
            created: signed_in.created,
        }),
    )
        .into_response())
}

/// Which sessions to end.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOutRequest {
    /// End every session of the person (all devices), not only this one.
    #[serde(default)]
    pub everywhere: bool,
}

/// Sign out of this device, or of every device.
#[utoipa::path(post, path = "/api/auth/signout", tag = "auth", request_body = Option<SignOutRequest>,
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, body = ErrorBody),
    ))]
async fn sign_out(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    me.require_session()?;
    // The body is optional: none signs out this device.
    let everywhere = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else if !super::extract::is_json(&headers) {
        return Err(AppError::unsupported_media_type("application/json"));
    } else {
        super::extract::json_object::<SignOutRequest>(&body)?.everywhere
    };
    let db = state.runtime.shared().db.connection();
    let now = now_ms();
    if everywhere {
        tokens::revoke_all_sessions(db, &me.person.id, now).await?;
    } else {
        tokens::revoke(db, &me.person.id, &me.credential.credential_id, now).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie())],
    )
        .into_response())
}

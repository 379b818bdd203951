//! Who is asking: the extractors that turn a session cookie or a bearer token into a
//! [`Principal`] before any handler (or plugin) code runs.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use crate::communities::Communities;
use crate::error::AppError;
use crate::http::AppState;
use crate::identity::now_ms;
use crate::identity::people::{self, Person};
use crate::identity::roles::{self, Authority};
use crate::identity::tokens::{self, Authenticated, Kind};
use crate::runtime::Role;

/// The cookie that carries a browser's session token.
pub const SESSION_COOKIE: &str = "dvor_session";

/// A signed-in person with every role they hold.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The person.
    pub person: Person,
    /// Every role, granted and derived (see [`roles::effective_roles`]).
    pub roles: Vec<Role>,
    /// The credential the request came with.
    pub credential: Authenticated,
    /// The community tree when the request came.
    pub tree: Arc<Communities>,
}

impl Principal {
    /// What the person may do.
    pub fn authority(&self) -> Authority<'_> {
        Authority::new(&self.roles, &self.tree)
    }

    /// The caller a plugin call in `community` sees: the roles bearing on it.
    pub fn caller_in(&self, community: &str) -> crate::runtime::Caller {
        crate::runtime::Caller {
            person_id: self.person.id.clone(),
            display_name: self.person.display_name.clone(),
            roles: roles::bearing_on(&self.roles, community, &self.tree),
            locale: self.person.locale.clone(),
        }
    }

    /// Refuse an API token without `scope` (sessions carry every scope).
    pub fn require_scope(&self, scope: &str) -> Result<(), AppError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "Токену не выдано право `{scope}` / The token lacks the `{scope}` scope"
            )))
        }
    }

    /// Whether the credential carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        match self.credential.kind {
            Kind::Session => true,
            Kind::Api => self
                .credential
                .scopes
                .iter()
                .any(|s| s == scope || (s == "plugins" && scope.starts_with("plugin:"))),
        }
    }

    /// Refuse API tokens: some things only a person at a device may do (tokens, deletion).
    pub fn require_session(&self) -> Result<(), AppError> {
        match self.credential.kind {
            Kind::Session => Ok(()),
            Kind::Api => Err(AppError::forbidden(
                "Это можно сделать только войдя в систему, не токеном / This needs a signed-in session, not an API token",
            )),
        }
    }
}

/// The token a request carries: `Authorization: Bearer …` or the session cookie.
pub fn token_of(parts: &Parts) -> Option<String> {
    token_in(&parts.headers)
}

/// The token in request headers: `Authorization: Bearer …`, else the session cookie (another
/// scheme, such as the Basic credentials of a proxy in front, is not dvor's).
pub fn token_in(headers: &axum::http::HeaderMap) -> Option<String> {
    bearer_in(headers).or_else(|| cookie(headers, SESSION_COOKIE))
}

/// The token of `Authorization: Bearer …`: a credential a browser never adds by itself.
pub fn bearer_in(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

/// The value of cookie `name` in request headers; none when it is absent or empty.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then(|| value.to_owned())
        })
}

/// The name–value pairs of a request's query string, decoded, in order.
pub fn query_pairs(uri: &axum::http::Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// The client's address (no proxy headers are trusted).
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Resolve a token to a principal; `Ok(None)` for no token, 401 for a bad one.
pub async fn principal_of(
    state: &AppState,
    token: Option<String>,
) -> Result<Option<Principal>, AppError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let shared = state.runtime.shared();
    // Read where reads never wait for a writer; the session's once-a-minute renewal writes.
    let db = shared.db.reader();
    let now = now_ms();
    let Some((credential, person)) = tokens::authenticate(
        db,
        shared.db.connection(),
        &token,
        state.identity.session_ms(),
        now,
    )
    .await?
    else {
        return Err(AppError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Сеанс истёк или был завершён. Войдите снова / The session has expired or was ended. Sign in again",
        ));
    };
    let tree = state.runtime.shared().communities();
    let roles = roles::effective_roles(db, &person.id, &tree).await?;
    announce_activity(state, &person, now).await?;
    Ok(Some(Principal {
        person,
        roles,
        credential,
        tree,
    }))
}

/// The host's `person.active` event: once per person and day (instance time), in the community
/// the person is looking at.
async fn announce_activity(state: &AppState, person: &Person, now: i64) -> Result<(), AppError> {
    let local = now + i64::from(state.utc_offset_minutes) * 60_000;
    let Some(day) =
        chrono::DateTime::from_timestamp_millis(local).map(|t| t.date_naive().to_string())
    else {
        return Ok(());
    };
    if person.active_day.as_deref() == Some(day.as_str()) {
        return Ok(());
    }
    let shared = state.runtime.shared();
    let tx = shared.db.begin().await?;
    if people::mark_active(&tx, &person.id, &day).await?
        && let Some(community) = &person.current_community
    {
        crate::identity::host_event(
            shared,
            &tx,
            "person.active",
            community,
            Some(&person.id),
            serde_json::json!({ "person_id": person.id, "date": day }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    shared.events_committed.notify_waiters();
    Ok(())
}

/// A request from a signed-in person; 401 otherwise.
#[derive(Clone, Debug)]
pub struct SignedIn(pub Principal);

/// A request that may or may not be signed in; a bad token is still 401.
#[derive(Clone, Debug)]
pub struct MaybeSignedIn(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(existing) = parts.extensions.get::<Principal>() {
            return Ok(MaybeSignedIn(Some(existing.clone())));
        }
        let principal = principal_of(state, token_of(parts)).await?;
        if let Some(principal) = &principal {
            parts.extensions.insert(principal.clone());
        }
        Ok(MaybeSignedIn(principal))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match MaybeSignedIn::from_request_parts(parts, state).await?.0 {
            Some(principal) => Ok(SignedIn(principal)),
            None => Err(AppError::unauthenticated()),
        }
    }
}

/// The client's address and User-Agent, for sign-in limits and the sessions list.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    /// The peer's IP address.
    pub ip: String,
    /// The User-Agent header.
    pub user_agent: Option<String>,
    /// `ru` or `en`, as [`crate::http::locale_of`] decides.
    pub locale: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = query_pairs(&parts.uri);
        Ok(ClientInfo {
            ip: client_ip(parts),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            locale: crate::http::locale_of(&query, &parts.headers),
        })
    }
}

/// A JSON request body whose rejections answer in the API's error shape: 415 without a JSON
/// `Content-Type`, 413 over the route's limit, 400 for what is not a JSON object (an array
/// where an object is required is refused, never read positionally) or breaks the type, with
/// `field` naming the field at fault (`scopes[1]`), never the value.
#[derive(Clone, Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        if !is_json(request.headers()) {
            return Err(AppError::unsupported_media_type("application/json"));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|r| crate::rejections::refusal(r.status(), &r.body_text(), None))?;
        json_object(&bytes).map(JsonBody)
    }
}

/// Whether a request's `Content-Type` is JSON (`application/json`, `application/*+json`).
pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// `2442.0` as `2442`: JSON Schema counts a number without a fraction as an integer, so an
/// integer field takes it as the document says.
fn whole_numbers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            // Exactly representable whole numbers only; larger ones stay as they are.
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                Value::from(x as i64)
            } else {
                Value::Number(n)
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Read a JSON object into `T`; errors as [`JsonBody`] describes them.
pub fn json_object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::invalid(
            "body",
            format!("Тело запроса — не JSON: {e} / The body is not JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(AppError::invalid(
            "body",
            "Тело запроса должно быть объектом JSON: {…} / The body must be a JSON object: {…}",
        ));
    }
    serde_path_to_error::deserialize(whole_numbers(value)).map_err(|error| {
        let path = error.path().to_string();
        let detail = error.into_inner().to_string();
        // At the top level serde names the field itself: "missing field `x`", "unknown field `x`".
        let field = if path == "." {
            detail
                .split('`')
                .nth(1)
                .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or("body")
                .to_owned()
        } else {
            path
        };
        AppError::invalid(
            &field,
            format!("Поле `{field}`: {detail} / The field `{field}`: {detail}"),
        )
    })
}

/// The caller of a plugin call from request headers: none when signed out, 401 for a dead
/// token, 403 for an API token without the plugin's scope.
pub async fn plugin_caller(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    community: &str,
    plugin: &str,
) -> Result<Option<crate::runtime::Caller>, AppError> {
    Ok(plugin_principal(state, headers, plugin)
        .await?
        .map(|principal| principal.caller_in(community)))
}

/// [`plugin_caller`]'s principal, for a page that also needs the person (its menu names their
/// current place).
pub async fn plugin_principal(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    plugin: &str,
) -> Result<Option<Principal>, AppError> {
    let Some(principal) = principal_of(state, token_in(headers)).await? else {
        return Ok(None);
    };
    principal.require_scope(&format!("plugin:{plugin}"))?;
    Ok(Some(principal))
}

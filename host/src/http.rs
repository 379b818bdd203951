//! The HTTP surface: health, metrics, the plugin API and the plugin pages.
//!
//! Handlers stay thin: they turn HTTP into a [`CallContext`] and an [`Invocation`], and the
//! answer back into HTTP. The host decides who calls and where before any plugin code runs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::Serialize;

use crate::error::{AppError, Shaped};
use crate::runtime::latest::dvor::plugin::context::CallTrigger;
use crate::runtime::latest::dvor::plugin::ui::ActionOutcome;
use crate::runtime::latest::exports::dvor::plugin::plugin::ApiRequest;
use crate::runtime::{CallContext, Invocation, MAX_ANSWER_BYTES, Outcome, Runtime};

/// What every handler can reach: one shared [`AppParts`]. Each middleware and extractor
/// clones the state for every request, so a clone is one reference count, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct AppParts {
    /// The runtime and its plugins.
    pub runtime: Arc<Runtime>,
    /// The instance's name, shown in pages.
    pub instance_name: Arc<str>,
    /// The instance's offset from UTC, for dates shown in pages.
    pub utc_offset_minutes: i32,
    /// Sign-in, sessions and the ways people are reached.
    pub identity: Arc<crate::identity::Identity>,
    /// The OpenAPI document of the host API, made once at start.
    pub openapi: Arc<serde_json::Value>,
    /// The map tiles the instance serves (`[maps] tiles`), if any.
    pub tiles: Option<Arc<crate::maps::Tiles>>,
}

/// Every route of the host.
pub fn router(mut parts: AppParts) -> Router {
    let (api, openapi) = crate::api::routes();
    parts.openapi = Arc::new(openapi);
    let state = AppState(Arc::new(parts));
    Router::new()
        .merge(api)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/plugins", get(list_plugins))
        .route(
            "/api/live/c/{community}/p/{plugin}",
            get(crate::live::stream::follow),
        )
        .route("/files/{id}", get(crate::file_links::serve))
        .route("/api/c/{community}/p/{plugin}", any(plugin_api_root))
        .route("/api/c/{community}/p/{plugin}/{*path}", any(plugin_api))
        .merge(crate::pages::routes())
        .merge(crate::maps::routes())
        .layer(DefaultBodyLimit::max(MAX_ANSWER_BYTES))
        .layer(axum::middleware::from_fn(crate::rejections::shape_refusals))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::pages::browser_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::csrf::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trace_request,
        ))
        .with_state(state)
}

/// A span per request, with its outcome and duration (plugin call spans nest inside it), and
/// the request counted by its route template and status.
async fn trace_request(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    // The status and duration are on the finishing event, not recorded into the span: each
    // record re-formats the span's fields, for no event that would show them.
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = std::time::Instant::now();
    let response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let elapsed = started.elapsed();
    state.runtime.shared().metrics.record_request(
        method.as_str(),
        route.as_ref().map_or("unmatched", |m| m.as_str()),
        response.status().as_u16(),
        elapsed.as_secs_f64(),
    );
    tracing::debug!(
        parent: &span,
        status = response.status().as_u16(),
        duration_us = elapsed.as_micros() as u64,
        "request finished"
    );
    response
}

async fn healthz() -> &'static str {
    "ok"
}

/// How long readiness waits for the database: a balancer's health check must get an answer
/// (503) while the database is away, not a hung request.
const READINESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

async fn readyz(State(state): State<AppState>) -> Response {
    let ping = tokio::time::timeout(
        READINESS_TIMEOUT,
        state.runtime.shared().db.connection().ping(),
    )
    .await
    .unwrap_or_else(|_| Err(sea_orm::DbErr::Custom("no answer within 2 s".to_owned())));
    match ping {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness: database unreachable");
            let mut response =
                (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
            // Probes read the text; it is meant as it is.
            response.extensions_mut().insert(Shaped);
            response
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let shared = state.runtime.shared();
    shared.metrics.refresh_from_database(&shared.db).await;
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.runtime.shared().metrics.encode(),
    )
        .into_response()
}

/// A loaded plugin as `GET /api/plugins` describes it.
#[derive(Serialize)]
pub struct PluginSummary {
    id: String,
    name_ru: String,
    name_en: String,
    version: String,
    contract: String,
    enabled_for: Vec<String>,
}

async fn list_plugins(State(state): State<AppState>) -> Json<Vec<PluginSummary>> {
    Json(
        state
            .runtime
            .plugins()
            .values()
            .map(|p| PluginSummary {
                id: p.id().to_owned(),
                name_ru: p.manifest.name.ru.clone(),
                name_en: p.manifest.name.en.clone(),
                version: p.manifest.version.to_string(),
                contract: p.contract.to_string(),
                enabled_for: p.enabled_for.clone(),
            })
            .collect(),
    )
}

/// The locale of a request: Russian unless the person chose English, with `?lang=en` or the
/// `dvor_lang` cookie. The host's own pages and anonymous page views go by this; plugin calls
/// by [`call_locale`].
pub fn locale_of(query: &[(String, String)], headers: &HeaderMap) -> String {
    chosen_locale(query, headers).unwrap_or_else(|| "ru".into())
}

/// The language a request names itself: a `lang=ru|en` query parameter, else the `dvor_lang`
/// cookie the menu sets.
pub fn chosen_locale(query: &[(String, String)], headers: &HeaderMap) -> Option<String> {
    if let Some((_, lang)) = query
        .iter()
        .find(|(k, v)| k == "lang" && (v == "en" || v == "ru"))
    {
        return Some(lang.clone());
    }
    crate::api::extract::cookie(headers, "dvor_lang").filter(|l| l == "en" || l == "ru")
}

/// Whether the request's `Accept-Language` ranks English above Russian: `en-GB,en;q=0.9` and
/// `de,en;q=0.5` do, `ru-RU,en;q=0.8` and no header do not.
pub fn prefers_english(headers: &HeaderMap) -> bool {
    let Some(header) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let weight = |wanted: &str| {
        header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let primary = tag.split('-').next().unwrap_or_default().to_owned();
                (primary == wanted).then(|| {
                    pieces
                        .find_map(|p| p.trim().strip_prefix("q=")?.trim().parse::<f32>().ok())
                        .unwrap_or(1.0)
                })
            })
            .fold(0.0_f32, f32::max)
    };
    let english = weight("en");
    english > 0.0 && english > weight("ru")
}

/// The locale of a call to a plugin, as the contract's `context.locale` documents it: the
/// request's own choice ([`chosen_locale`]), else the signed-in person's profile language,
/// else — for API calls, `with_accept_language` — the `Accept-Language` header when it prefers
/// English ([`prefers_english`]), else Russian. Pages leave the header out: a browser's default
/// (headless ones send `en-US`) is not a choice the person made, and the page has the menu's
/// language switch.
pub fn call_locale(
    query: &[(String, String)],
    headers: &HeaderMap,
    caller: Option<&crate::runtime::Caller>,
    with_accept_language: bool,
) -> String {
    if let Some(chosen) = chosen_locale(query, headers) {
        return chosen;
    }
    if let Some(caller) = caller
        && (caller.locale == "en" || caller.locale == "ru")
    {
        return caller.locale.clone();
    }
    if with_accept_language && prefers_english(headers) {
        "en".into()
    } else {
        "ru".into()
    }
}

/// Headers a plugin never sees.
const HIDDEN_HEADERS: [&str; 3] = ["cookie", "authorization", "proxy-authorization"];
/// Headers a plugin may set on its answers.
const ALLOWED_ANSWER_HEADERS: [&str; 5] = [
    "location",
    "cache-control",
    "etag",
    "content-disposition",
    "last-modified",
];

async fn plugin_api_root(
    state: State<AppState>,
    Path((community, plugin)): Path<(String, String)>,
    method: Method,
    query: Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    call_api(
        state,
        community,
        plugin,
        String::new(),
        method,
        query,
        headers,
        body,
    )
    .await
}

async fn plugin_api(
    state: State<AppState>,
    Path((community, plugin, path)): Path<(String, String, String)>,
    method: Method,
    query: Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    call_api(state, community, plugin, path, method, query, headers, body).await
}

#[allow(clippy::too_many_arguments)]
async fn call_api(
    State(state): State<AppState>,
    community: String,
    plugin: String,
    path: String,
    method: Method,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let caller = crate::api::extract::plugin_caller(&state, &headers, &community, &plugin).await?;
    if caller.is_none()
        && crate::access::refused_anonymously(
            &state.runtime,
            (&plugin, &community),
            ("api", &format!("{method} {path}")),
            |access| access.lets_anonymous_call(method.as_str(), &path),
        )
    {
        return Err(AppError::unauthenticated());
    }
    let locale = call_locale(&query, &headers, caller.as_ref(), true);
    let mut context = CallContext::anonymous(community, CallTrigger::Api);
    context.caller = caller;
    context.locale = locale;
    let request = ApiRequest {
        method: method.as_str().to_owned(),
        path,
        query,
        headers: headers
            .iter()
            .filter(|(name, _)| !HIDDEN_HEADERS.contains(&name.as_str()))
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        body: body.to_vec(),
    };
    let outcome = state
        .runtime
        .call(&plugin, context, Invocation::Request(request))
        .await?;
    let Outcome::Response(answer) = outcome else {
        return Err(AppError::internal(
            "plugin answered an API request with something else",
        ));
    };
    let content_type = answer.content_type.to_ascii_lowercase();
    if content_type.contains("html") || content_type.contains("javascript") {
        return Err(AppError::internal(format!(
            "plugin `{plugin}` answered with content type `{content_type}`, which the host refuses"
        )));
    }
    let status = StatusCode::from_u16(answer.status).map_err(|_| {
        AppError::internal(format!(
            "plugin `{plugin}` answered status {}",
            answer.status
        ))
    })?;
    let mut response = (status, answer.body).into_response();
    // The plugin's answer is the plugin's: its errors keep the shape it gave them.
    response.extensions_mut().insert(Shaped);
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&answer.content_type) {
        out.insert(header::CONTENT_TYPE, value);
    }
    sandbox(out);
    for (name, value) in answer.headers {
        let lower = name.to_ascii_lowercase();
        if !ALLOWED_ANSWER_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(lower.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            out.insert(name, value);
        }
    }
    Ok(response)
}

/// Which plugin page a request is about, and in which language.
#[derive(Clone, Copy, Debug)]
pub struct PageTarget<'a> {
    /// The community.
    pub community: &'a str,
    /// The plugin.
    pub plugin: &'a str,
    /// The page route inside the plugin.
    pub route: &'a str,
    /// `ru` or `en`.
    pub locale: &'a str,
    /// The signed-in person, if any.
    pub caller: Option<&'a crate::runtime::Caller>,
    /// The same person as the host knows them (the menu shows their current place).
    pub person: Option<&'a crate::identity::people::Person>,
    /// The form token the page's forms carry ([`crate::csrf`]).
    pub csrf_token: &'a str,
}

/// What a re-rendered form shows again: the submitted values and the errors next to fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct Refill<'a> {
    /// The values as submitted.
    pub values: &'a [(String, String)],
    /// `(field, message)` errors.
    pub errors: &'a [(String, String)],
    /// The action whose form is shown again (none: every form on the page).
    pub action: Option<&'a str>,
}

/// Render a plugin page: the shared logic of GET pages and re-rendering after `invalid`.
pub async fn render_plugin_page(
    state: &AppState,
    target: PageTarget<'_>,
    query: Vec<(String, String)>,
    notice: Option<&str>,
    refill: Refill<'_>,
) -> Result<Response, AppError> {
    let mut context = CallContext::anonymous(target.community, CallTrigger::Ui);
    context.locale = target.locale.to_owned();
    context.caller = target.caller.cloned();
    let outcome = state
        .runtime
        .call(
            target.plugin,
            context,
            Invocation::RenderPage {
                route: target.route.to_owned(),
                query,
            },
        )
        .await?;
    let Outcome::Page(page) = outcome else {
        return Err(AppError::internal(
            "plugin answered a page request with something else",
        ));
    };
    Ok(crate::pages::plugin_page(state, target, &page, notice, refill).await)
}

/// The same page again with the form's values and its errors, answered 422.
async fn form_again(
    state: &AppState,
    target: PageTarget<'_>,
    form: &[(String, String)],
    errors: &[(String, String)],
    action: &str,
) -> Result<Response, AppError> {
    let refill = Refill {
        values: form,
        errors,
        action: Some(action),
    };
    let mut response = render_plugin_page(state, target, Vec::new(), None, refill).await?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// Run a UI action and answer with a redirect, the same form with errors, or a page.
pub async fn run_plugin_action(
    state: &AppState,
    target: PageTarget<'_>,
    action: String,
    form: Vec<(String, String)>,
    uploads: Vec<crate::runtime::Upload>,
) -> Result<Response, AppError> {
    if target.caller.is_none()
        && crate::access::refused_anonymously(
            &state.runtime,
            (target.plugin, target.community),
            ("action", &format!("{action} on {}", target.route)),
            |access| access.lets_anonymous_act(target.route, &action),
        )
    {
        // A browser: sign in, then back to the page the form was on.
        let back = crate::pages::plugin_href(target.community, target.plugin, target.route, &[]);
        return Ok(Redirect::to(&crate::pages::sign_in_href(&back)).into_response());
    }
    let posted = action.clone();
    // Money typed in roubles becomes kopecks, dates days, locations points: the typed values
    // the contract promises the plugin.
    let typed = match crate::web::typed_form(&form, target.locale) {
        Ok(typed) => typed,
        Err(errors) => return form_again(state, target, &form, &errors, &posted).await,
    };
    let mut context = CallContext::anonymous(target.community, CallTrigger::Ui);
    context.locale = target.locale.to_owned();
    context.caller = target.caller.cloned();
    let outcome = state
        .runtime
        .call(
            target.plugin,
            context,
            Invocation::Action {
                route: target.route.to_owned(),
                action,
                form: typed,
                uploads,
            },
        )
        .await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        // A plain invalid error with a field is shown next to that field.
        Err(crate::runtime::CallError::Plugin { error, .. })
            if matches!(
                error.code,
                crate::runtime::latest::dvor::plugin::types::ErrorCode::Invalid
            ) =>
        {
            let errors = vec![(error.field.unwrap_or_default(), error.message)];
            return form_again(state, target, &form, &errors, &posted).await;
        }
        Err(other) => return Err(other.into()),
    };
    match outcome {
        Outcome::Action(ActionOutcome::Redirect(redirect))
            if redirect.to.route.starts_with("https://")
                || redirect.to.route.starts_with("http://") =>
        {
            external_redirect(&state.runtime, target.plugin, &redirect.to.route)
        }
        Outcome::Action(ActionOutcome::Redirect(redirect)) => {
            let mut href = crate::pages::plugin_href(
                target.community,
                target.plugin,
                &redirect.to.route,
                &redirect.to.query,
            );
            if let Some(notice) = redirect.notice {
                href.push(if href.contains('?') { '&' } else { '?' });
                href.push_str("notice=");
                href.push_str(&crate::pages::percent_encode(&notice));
            }
            Ok(Redirect::to(&href).into_response())
        }
        Outcome::Action(ActionOutcome::Invalid(invalid)) => {
            let errors: Vec<(String, String)> = invalid
                .errors
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect();
            let shown_in = invalid.form.unwrap_or(posted);
            form_again(state, target, &form, &errors, &shown_in).await
        }
        Outcome::Action(ActionOutcome::Show(page)) => {
            Ok(crate::pages::plugin_page(state, target, &page, None, Refill::default()).await)
        }
        _ => Err(AppError::internal(
            "plugin answered an action with something else",
        )),
    }
}

/// After an action, a plugin may send the browser off the site only to a host it is granted
/// to talk to (`outbound_hosts`, both keys): a payment provider's checkout page. Anything else
/// is refused and logged (contract 0.1 names plugin routes only; see `docs/contract-next.md`).
fn external_redirect(runtime: &Runtime, plugin: &str, url: &str) -> Result<Response, AppError> {
    let allowed = reqwest::Url::parse(url).ok().filter(|parsed| {
        runtime
            .plugins()
            .get(plugin)
            .is_some_and(|p| p.effective.allows_url(parsed))
    });
    match allowed {
        Some(parsed) => Ok(Redirect::to(parsed.as_str()).into_response()),
        None => {
            tracing::warn!(
                plugin,
                url,
                "a plugin redirected to a host it is not granted"
            );
            Err(AppError::internal(format!(
                "plugin `{plugin}` sent the browser to a host it is not granted"
            )))
        }
    }
}

/// The headers of content that came from a plugin (an API answer, a stored file): the browser
/// neither guesses its type nor runs anything in it.
pub(crate) fn sandbox(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
}

/// An HTML answer with the host's security headers.
pub fn html(body: String) -> Response {
    let mut response = Html(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

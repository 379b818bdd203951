//! The web pages: the instance's home, a community's page with its plugins, plugin pages drawn
//! from the UI trees plugins describe, and the host's own pages (signing in, the profile, the
//! inbox, joining, administration), which are UI trees drawn by the same renderer.
//!
//! Every page is server-drawn and works without script; the only script is the service worker
//! that keeps the last pages for offline reading (`/sw.js`, registered by `/assets/dvor.js`).

mod account;
mod admin;
mod errors;
mod join;
mod notices;
mod pwa;
mod staff;
mod tree;

use axum::extract::{FromRequest as _, Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

use crate::api::extract::{Principal, principal_of, token_in};
use crate::error::AppError;
use crate::http::{
    AppState, PageTarget, Refill, html, locale_of, render_plugin_page, run_plugin_action,
};
use crate::identity::people::Person;
use crate::runtime::latest::dvor::plugin::context::CallTrigger;
use crate::runtime::latest::dvor::plugin::ui::{Page, TilePlace};
use crate::runtime::{CallContext, Invocation, Outcome};
use crate::web::{self, PageContext, ShellContext};

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/dvor.css", get(stylesheet))
        .merge(pwa::routes())
        .route(
            "/signin",
            get(account::signin_page)
                .post(account::signin_action)
                // Anyone may post it: it reads little.
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::api::auth::SIGN_IN_BODY_LIMIT,
                )),
        )
        .route(
            "/me",
            get(account::profile_page).post(account::profile_action),
        )
        .route(
            "/inbox",
            get(account::inbox_page).post(account::inbox_action),
        )
        .route("/lang/{locale}", get(account::choose_language))
        .route(
            "/join/{id}/apply",
            get(join::apply_page).post(join::apply_action),
        )
        .route("/admin", get(admin::overview_page))
        .route(
            "/admin/c/{community}",
            get(admin::community_page).post(admin::community_action),
        )
        .route("/c/{community}", get(community_page))
        .route(
            "/c/{community}/p/{plugin}",
            get(plugin_root_get).post(plugin_root_post),
        )
        .route(
            "/c/{community}/p/{plugin}/{*route}",
            get(plugin_get).post(plugin_post),
        )
}

pub use crate::web::percent_encode;
pub use errors::browser_pages;

/// The URL of a plugin page. A route a plugin should not produce (`..`, `//`, a scheme) leads
/// to the plugin's home page instead.
pub fn plugin_href(
    community: &str,
    plugin: &str,
    route: &str,
    query: &[(String, String)],
) -> String {
    let base = format!(
        "/c/{}/p/{}",
        percent_encode(community),
        percent_encode(plugin)
    );
    web::link_href(&base, route, query).unwrap_or(base)
}

fn tr<'a>(locale: &str, ru: &'a str, en: &'a str) -> &'a str {
    if locale == "en" { en } else { ru }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        web::CSS,
    )
        .into_response()
}

/// Who is looking at a page, and in which language.
pub(crate) struct Visitor {
    /// The signed-in person; none when signed out (a dead session counts as signed out).
    pub principal: Option<Principal>,
    /// `ru` or `en`.
    pub locale: String,
    /// The token the page's forms carry, with the pre-session cookie to set if it is new.
    pub form: crate::csrf::FormToken,
}

impl Visitor {
    /// The visitor of a request.
    pub(crate) async fn of(
        state: &AppState,
        headers: &HeaderMap,
        query: &[(String, String)],
    ) -> Self {
        let principal = principal_of(state, token_in(headers)).await.ok().flatten();
        Visitor {
            principal,
            locale: locale_of(query, headers),
            form: crate::csrf::FormToken::of(headers, secure_cookies(state)),
        }
    }

    /// `ru` or `en` text by the visitor's language.
    pub(crate) fn tr<'a>(&self, ru: &'a str, en: &'a str) -> &'a str {
        tr(&self.locale, ru, en)
    }

    /// The signed-in person, or a redirect to the sign-in page that comes back to `back`.
    pub(crate) fn signed_in(&self, back: &str) -> Result<&Principal, Redirect> {
        self.principal
            .as_ref()
            .ok_or_else(|| Redirect::to(&sign_in_href(back)))
    }
}

/// Whether cookies are marked `Secure`: the instance is reached over https.
pub(crate) fn secure_cookies(state: &AppState) -> bool {
    state.identity.public_url.starts_with("https://")
}

/// The sign-in page that returns to `back` (a local path).
pub(crate) fn sign_in_href(back: &str) -> String {
    format!("/signin?next={}", percent_encode(back))
}

/// The half of a host message (`"Русский / English"`) in the visitor's language.
pub(crate) fn say(message: &str, locale: &str) -> String {
    match message.split_once(" / ") {
        Some((ru, en)) => if locale == "en" { en } else { ru }.trim().to_owned(),
        None => message.to_owned(),
    }
}

/// The top navigation: home, the person's current place, the inbox with its unread count, the
/// profile (or signing in), administration for those who manage something, and the other
/// language. `back` is the path of the page, for the language switch to return to.
pub(crate) async fn navigation(
    state: &AppState,
    person: Option<&Person>,
    manages: bool,
    locale: &str,
    back: &str,
) -> Vec<(String, String)> {
    let mut nav = vec![(tr(locale, "Главная", "Home").to_owned(), "/".to_owned())];
    let db = state.runtime.shared().db.reader();
    match person {
        Some(person) => {
            let tree = state.runtime.shared().communities();
            if let Some(place) = person
                .current_community
                .as_deref()
                .and_then(|c| tree.get(c))
            {
                nav.push((
                    place.name.clone(),
                    format!("/c/{}", percent_encode(&place.id)),
                ));
            }
            let unread = crate::inbox::unread_count(db, &person.id)
                .await
                .unwrap_or(0);
            let inbox = tr(locale, "Уведомления", "Notifications");
            nav.push((
                if unread > 0 {
                    format!("{inbox} ({unread})")
                } else {
                    inbox.to_owned()
                },
                "/inbox".to_owned(),
            ));
            nav.push((
                tr(locale, "Профиль", "Profile").to_owned(),
                "/me".to_owned(),
            ));
            if manages {
                nav.push((
                    tr(locale, "Управление", "Administration").to_owned(),
                    "/admin".to_owned(),
                ));
            }
        }
        None => nav.push((
            tr(locale, "Войти", "Sign in").to_owned(),
            sign_in_href(back),
        )),
    }
    let (label, other) = if locale == "en" {
        ("Русский", "ru")
    } else {
        ("English", "en")
    };
    nav.push((
        label.to_owned(),
        format!("/lang/{other}?back={}", percent_encode(back)),
    ));
    nav
}

/// Whether a person manages anything: the administration link is theirs.
pub(crate) fn manages_something(principal: &Principal) -> bool {
    principal.roles.iter().any(|r| is_manager_role(&r.name))
}

/// The roles whose holders see the administration pages.
fn is_manager_role(name: &str) -> bool {
    matches!(
        name,
        "admin" | "chairman" | "board" | "operator" | "official"
    )
}

impl Visitor {
    /// The navigation for this visitor on the page at `back`.
    pub(crate) async fn navigation(&self, state: &AppState, back: &str) -> Vec<(String, String)> {
        let person = self.principal.as_ref().map(|p| &p.person);
        let manages = self.principal.as_ref().is_some_and(manages_something);
        navigation(state, person, manages, &self.locale, back).await
    }
}

/// A host page in the shell, from already-safe HTML.
async fn shell(
    state: &AppState,
    visitor: &Visitor,
    path: &str,
    title: &str,
    body: &str,
    notice: Option<&str>,
) -> Response {
    let nav = visitor.navigation(state, path).await;
    html(web::render_shell(
        title,
        body,
        &ShellContext {
            locale: &visitor.locale,
            instance_name: &state.instance_name,
            nav: &nav,
            current_path: Some(path),
            notice,
            ..Default::default()
        },
    ))
}

/// [`draw`] with the host's own `footer` HTML (already safe) after the page's content.
pub(crate) async fn draw_with_footer(
    state: &AppState,
    visitor: &Visitor,
    route: &str,
    page: &Page,
    footer: &str,
) -> Response {
    let nav = visitor.navigation(state, &format!("/{route}")).await;
    let ctx = host_page_context(state, visitor, route, None, Refill::default(), &nav);
    let body = web::render_page_body(page, &ctx) + footer;
    let shell = ShellContext {
        locale: &visitor.locale,
        instance_name: &state.instance_name,
        nav: &nav,
        current_path: Some(&format!("/{route}")),
        ..Default::default()
    };
    visitor
        .form
        .set_on(html(web::render_shell(&page.title, &body, &shell)))
}

/// What the renderer needs for a host page at `/{route}`.
fn host_page_context<'a>(
    state: &'a AppState,
    visitor: &'a Visitor,
    route: &'a str,
    notice: Option<&'a str>,
    refill: Refill<'a>,
    nav: &'a [(String, String)],
) -> PageContext<'a> {
    PageContext {
        locale: &visitor.locale,
        instance_name: &state.instance_name,
        community_name: "",
        base: "",
        route,
        notice,
        form_values: refill.values,
        field_errors: refill.errors,
        refilled_action: refill.action,
        utc_offset_minutes: state.utc_offset_minutes,
        nav,
        files: None,
        csrf_token: &visitor.form.token,
        tiles: state.tiles.as_ref().map(|t| t.info()),
    }
}

/// A host page drawn from a UI tree at `/{route}`: its forms post to `/{route}?action=…`.
pub(crate) async fn draw(
    state: &AppState,
    visitor: &Visitor,
    route: &str,
    page: &Page,
    notice: Option<&str>,
    refill: Refill<'_>,
) -> Response {
    let nav = visitor.navigation(state, &format!("/{route}")).await;
    let ctx = host_page_context(state, visitor, route, notice, refill, &nav);
    visitor.form.set_on(html(web::render_page(page, &ctx)))
}

/// The page again with the values the person posted with `action` and `error` next to its
/// field (above the form when it names none of its fields), answered 422; errors that are not
/// the person's to fix (a refusal, a missing thing, a server fault) pass through.
pub(crate) async fn form_with_error(
    state: &AppState,
    visitor: &Visitor,
    route: &str,
    page: &Page,
    posted: (&str, &[(String, String)]),
    error: AppError,
) -> Result<Response, AppError> {
    let (action, form) = posted;
    // A refusal (not allowed, not there) or a fault is not the person's to fix in the form.
    if error.status().is_server_error()
        || matches!(
            error.status(),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        )
    {
        return Err(error);
    }
    // An error naming no field of the posted form is listed above it by the renderer.
    let errors = [(
        error.field().unwrap_or_default().to_owned(),
        say(error.message(), &visitor.locale),
    )];
    let refill = Refill {
        values: form,
        errors: &errors,
        action: Some(action),
    };
    let mut response = draw(state, visitor, route, page, None, refill).await;
    *response.status_mut() = if error.status() == StatusCode::TOO_MANY_REQUESTS {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(response)
}

/// A redirect to the local path `to` with a notice shown there.
pub(crate) fn redirect_with_notice(to: &str, notice: &str) -> Response {
    let separator = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{separator}notice={}", percent_encode(notice))).into_response()
}

/// The first value of `name` in a form or query.
pub(crate) fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `next` when it is a local path (`/…`, not `//…`), else `fallback`: a sign-in link must not
/// send anyone to another site.
pub(crate) fn local_path_or<'a>(next: Option<&'a str>, fallback: &'a str) -> &'a str {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or(fallback)
}

/// A response that signs the browser out: the session cookie is cleared, and so are the pages
/// the service worker kept (`Clear-Site-Data`), so the next person at a shared phone sees none.
pub(crate) fn signed_out(response: Response) -> Response {
    let mut response = with_cookie(
        response,
        HeaderValue::from_static("dvor_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response.headers_mut().insert(
        HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cache\", \"storage\""),
    );
    response
}

/// Set a cookie on a response.
pub(crate) fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

async fn home(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let visitor = Visitor::of(&state, &headers, &query).await;
    let locale = visitor.locale.clone();
    let tree = state.runtime.shared().communities();
    let mut body = format!(
        "<h1>{}</h1><p>{}</p><ul class=\"communities\">",
        web::escape(&state.instance_name),
        tr(
            &locale,
            "Выберите свой дом, посёлок или СНТ.",
            "Choose your house, village or garden cooperative."
        )
    );
    for root in tree.roots() {
        for community in std::iter::once(root).chain(tree.descendants(&root.id, None)) {
            let depth = community.path.matches('/').count().saturating_sub(2);
            body.push_str(&format!(
                "<li class=\"depth-{}\"><a href=\"/c/{}\">{}</a></li>",
                depth.min(5),
                percent_encode(&community.id),
                web::escape(&community.name)
            ));
        }
    }
    body.push_str("</ul>");
    // A signed-in person's own tiles, for the place they live in: their bill, their poll.
    let current = visitor
        .principal
        .as_ref()
        .and_then(|p| p.person.current_community.clone())
        .filter(|c| tree.get(c).is_some());
    if let Some(current) = current {
        let mine = tiles(&state, &visitor, &current, TilePlace::Person).await;
        if mine != "<ul class=\"tiles\"></ul>" {
            let place = tree
                .get(&current)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            body = format!(
                "<section class=\"section\" aria-labelledby=\"mine\"><h2 id=\"mine\">{} · {}</h2>{mine}</section>{body}",
                tr(&locale, "Для вас", "For you"),
                web::escape(&place)
            );
        }
    }
    let notice = notice_of(&query);
    shell(
        &state,
        &visitor,
        "/",
        &state.instance_name,
        &body,
        notice.as_deref(),
    )
    .await
}

async fn community_page(
    State(state): State<AppState>,
    Path(community): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let visitor = Visitor::of(&state, &headers, &query).await;
    let locale = visitor.locale.clone();
    let tree = state.runtime.shared().communities();
    let place = tree
        .get(&community)
        .ok_or_else(|| AppError::not_found(format!("no community `{community}`")))?;
    let mut body = format!("<h1>{}</h1>", web::escape(&place.name));
    if let Some(address) = &place.address {
        body.push_str(&format!("<p>{}</p>", web::escape(address)));
    }
    // One list: the place's announcements and the plugins' (housing's outages), urgent first.
    let caller = visitor.principal.as_ref().map(|p| p.caller_in(&community));
    let news = notices::current(&state, caller, &locale, &community).await?;
    body.push_str(&notices::section(&news, &locale));
    body.push_str(&tiles(&state, &visitor, &community, TilePlace::Community).await);
    let children = tree.children(&community, None);
    if !children.is_empty() {
        body.push_str(&format!("<h2>{}</h2><ul>", tr(&locale, "Входит", "Inside")));
        for child in children {
            body.push_str(&format!(
                "<li><a href=\"/c/{}\">{}</a></li>",
                percent_encode(&child.id),
                web::escape(&child.name)
            ));
        }
        body.push_str("</ul>");
    }
    let path = format!("/c/{}", percent_encode(&community));
    let notice = notice_of(&query);
    Ok(shell(
        &state,
        &visitor,
        &path,
        &place.name,
        &body,
        notice.as_deref(),
    )
    .await)
}

/// The tiles of the plugins enabled at `community`: each with what the plugin has to say there
/// now (`plugin.summary`), asked of all at once; a plugin that fails or has nothing to say gets
/// a plain tile with its name.
async fn tiles(state: &AppState, visitor: &Visitor, community: &str, place: TilePlace) -> String {
    let tree = state.runtime.shared().communities();
    let plugins: Vec<_> = state
        .runtime
        .plugins()
        .values()
        .filter(|p| {
            p.enabled_for
                .iter()
                .any(|root| tree.is_within(community, root))
        })
        .cloned()
        .collect();
    let caller = visitor.principal.as_ref().map(|p| p.caller_in(community));
    let asks = plugins.iter().map(|plugin| {
        let mut context = CallContext::anonymous(community, CallTrigger::Summary);
        context.caller = caller.clone();
        context.locale = visitor.locale.clone();
        let runtime = state.runtime.clone();
        let id = plugin.id().to_owned();
        async move {
            match runtime.call(&id, context, Invocation::Summary(place)).await {
                Ok(Outcome::Summary(tile)) => tile,
                Ok(_) => None,
                Err(error) => {
                    tracing::debug!(plugin = %id, %error, "no summary tile");
                    None
                }
            }
        }
    });
    let summaries = futures_util::future::join_all(asks).await;
    let mut out = String::from("<ul class=\"tiles\">");
    for (plugin, summary) in plugins.iter().zip(summaries) {
        if place == TilePlace::Person && summary.is_none() {
            continue;
        }
        let name = if visitor.locale == "en" && !plugin.manifest.name.en.is_empty() {
            &plugin.manifest.name.en
        } else {
            &plugin.manifest.name.ru
        };
        let home = plugin_href(community, plugin.id(), "", &[]);
        match summary {
            None => out.push_str(&format!(
                "<li><a class=\"tile\" href=\"{home}\">{}</a></li>",
                web::escape(name)
            )),
            Some(tile) => {
                let href = tile
                    .link
                    .as_ref()
                    .filter(|l| web::route_is_safe(&l.route))
                    .map(|l| plugin_href(community, plugin.id(), &l.route, &l.query))
                    .unwrap_or(home);
                out.push_str(&format!(
                    "<li><a class=\"tile summary {}\" href=\"{href}\"><span class=\"tile-plugin\">{}</span>",
                    web::tone_class(tile.tone),
                    web::escape(name)
                ));
                out.push_str(&format!(
                    "<strong class=\"tile-title\">{}</strong>",
                    web::escape(&tile.title)
                ));
                if let Some(count) = tile.count {
                    out.push_str(&format!(
                        "<span class=\"badge {}\">{}</span>",
                        web::tone_class(tile.tone),
                        web::escape(&web::format_integer(count, &visitor.locale))
                    ));
                }
                for line in tile.lines.iter().take(4) {
                    out.push_str(&format!(
                        "<span class=\"tile-line\">{}</span>",
                        web::escape(line)
                    ));
                }
                out.push_str("</a></li>");
            }
        }
    }
    out.push_str("</ul>");
    out
}

/// Draw a plugin's page inside the host's shell.
pub async fn plugin_page(
    state: &AppState,
    target: PageTarget<'_>,
    page: &Page,
    notice: Option<&str>,
    refill: Refill<'_>,
) -> Response {
    let tree = state.runtime.shared().communities();
    let community_name = tree
        .get(target.community)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let base = plugin_href(target.community, target.plugin, "", &[]);
    let manages = target
        .caller
        .is_some_and(|caller| caller.roles.iter().any(|r| is_manager_role(&r.name)));
    let path = plugin_href(target.community, target.plugin, target.route, &[]);
    let nav = navigation(state, target.person, manages, target.locale, &path).await;
    // The files the page shows are the viewer's to open, for a day.
    let files = state.runtime.shared().file_links.signer(
        target.plugin,
        target.community,
        target.caller.map(|c| c.person_id.as_str()),
        crate::identity::now_ms(),
    );
    html(web::render_page(
        page,
        &PageContext {
            locale: target.locale,
            instance_name: &state.instance_name,
            community_name: &community_name,
            base: &base,
            route: target.route,
            notice,
            form_values: refill.values,
            field_errors: refill.errors,
            refilled_action: refill.action,
            utc_offset_minutes: state.utc_offset_minutes,
            nav: &nav,
            files: Some(files),
            csrf_token: target.csrf_token,
            tiles: state.tiles.as_ref().map(|t| t.info()),
        },
    ))
}

fn notice_of(query: &[(String, String)]) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == "notice")
        .map(|(_, v)| v.chars().take(300).collect())
}

async fn plugin_root_get(
    State(state): State<AppState>,
    Path((community, plugin)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    page_get(state, community, plugin, String::new(), query, headers).await
}

async fn plugin_get(
    State(state): State<AppState>,
    Path((community, plugin, route)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    page_get(state, community, plugin, route, query, headers).await
}

async fn page_get(
    state: AppState,
    community: String,
    plugin: String,
    route: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let back = plugin_href(&community, &plugin, &route, &[]);
    let PageCaller {
        caller,
        person,
        locale,
    } = match page_caller(&state, &query, &headers, (&community, &plugin), &back).await {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let notice = notice_of(&query);
    let query: Vec<(String, String)> = query
        .into_iter()
        .filter(|(k, _)| k != "notice" && k != "lang")
        .collect();
    let form = crate::csrf::FormToken::of(&headers, secure_cookies(&state));
    let target = PageTarget {
        community: &community,
        plugin: &plugin,
        route: &route,
        locale: &locale,
        caller: caller.as_ref(),
        person: person.as_ref(),
        csrf_token: &form.token,
    };
    match render_plugin_page(&state, target, query, notice.as_deref(), Refill::default()).await {
        Ok(page) => Ok(form.set_on(page)),
        Err(error) => Ok(error_page(&state, &locale, &back, error)),
    }
}

async fn plugin_root_post(
    State(state): State<AppState>,
    Path((community, plugin)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    form: PostedForm,
) -> Result<Response, AppError> {
    action_post(
        state,
        community,
        plugin,
        String::new(),
        query,
        headers,
        form,
    )
    .await
}

async fn plugin_post(
    State(state): State<AppState>,
    Path((community, plugin, route)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    form: PostedForm,
) -> Result<Response, AppError> {
    action_post(state, community, plugin, route, query, headers, form).await
}

async fn action_post(
    state: AppState,
    community: String,
    plugin: String,
    route: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    form: PostedForm,
) -> Result<Response, AppError> {
    let back = plugin_href(&community, &plugin, &route, &[]);
    let PageCaller {
        caller,
        person,
        locale,
    } = match page_caller(&state, &query, &headers, (&community, &plugin), &back).await {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let Some(action) = query
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.clone())
    else {
        let error = AppError::invalid(
            "action",
            "Форма не называет действие / the form names no action",
        );
        return Ok(error_page(&state, &locale, &back, error));
    };
    let token = crate::csrf::FormToken::of(&headers, secure_cookies(&state));
    let target = PageTarget {
        community: &community,
        plugin: &plugin,
        route: &route,
        locale: &locale,
        caller: caller.as_ref(),
        person: person.as_ref(),
        csrf_token: &token.token,
    };
    match run_plugin_action(&state, target, action, form.values, form.files).await {
        Ok(response) => Ok(response),
        Err(error) => Ok(error_page(&state, &locale, &back, error)),
    }
}

/// Who calls a plugin page and in which language ([`crate::http::call_locale`]); a caller
/// that cannot be resolved (a place that does not exist, a plugin not enabled there) is
/// answered with the error page.
async fn page_caller(
    state: &AppState,
    query: &[(String, String)],
    headers: &HeaderMap,
    (community, plugin): (&str, &str),
    back: &str,
) -> Result<PageCaller, Response> {
    match crate::api::extract::plugin_principal(state, headers, plugin).await {
        Ok(principal) => {
            let caller = principal.as_ref().map(|p| p.caller_in(community));
            let locale = crate::http::call_locale(query, headers, caller.as_ref(), false);
            Ok(PageCaller {
                caller,
                person: principal.map(|p| p.person),
                locale,
            })
        }
        Err(error) => Err(error_page(state, &locale_of(query, headers), back, error)),
    }
}

/// Who calls a plugin page: the plugin's caller, the person for the menu, the language.
struct PageCaller {
    caller: Option<crate::runtime::Caller>,
    person: Option<Person>,
    locale: String,
}

/// A plugin page's error as a page a person reads, in their language, with the error's status:
/// what went wrong in words (the error's message, which a plugin writes in the call's locale;
/// a host message `ru / en` in the person's half), and the way home. The technical code stays
/// in the server log and in the API's JSON answers.
fn error_page(state: &AppState, locale: &str, back: &str, error: AppError) -> Response {
    let status = error.status();
    let title = match status {
        StatusCode::UNAUTHORIZED => tr(locale, "Нужно войти", "Please sign in"),
        StatusCode::FORBIDDEN => tr(locale, "Нет доступа", "Not allowed"),
        StatusCode::NOT_FOUND => tr(locale, "Страница не найдена", "Page not found"),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => tr(
            locale,
            "Сервис сейчас не отвечает",
            "The service is not answering now",
        ),
        _ if status.is_server_error() => tr(locale, "Что-то сломалось", "Something broke"),
        _ => tr(locale, "Не получилось", "That did not work"),
    };
    let advice = match status {
        StatusCode::UNAUTHORIZED => tr(
            locale,
            "Войдите, и страница откроется.",
            "Sign in and the page will open.",
        ),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => tr(
            locale,
            "Попробуйте ещё раз через минуту. Ничего не изменилось.",
            "Try again in a minute. Nothing has changed.",
        ),
        _ if status.is_server_error() => tr(
            locale,
            "Ничего не изменилось. Мы записали ошибку; попробуйте позже.",
            "Nothing has changed. The error is logged; try again later.",
        ),
        _ => "",
    };
    let (link, label) = if status == StatusCode::UNAUTHORIZED {
        (sign_in_href(back), tr(locale, "Войти", "Sign in"))
    } else {
        ("/".to_owned(), tr(locale, "На главную", "Home"))
    };
    let mut body = format!("<h1>{}</h1>", web::escape(title));
    let message = say(error.message(), locale);
    if !message.is_empty() && !status.is_server_error() {
        body.push_str(&format!("<p>{}</p>", web::escape(&message)));
    }
    if !advice.is_empty() {
        body.push_str(&format!("<p>{}</p>", web::escape(advice)));
    }
    body.push_str(&format!(
        "<p><a class=\"btn primary\" href=\"{}\">{}</a></p>",
        web::escape(&link),
        web::escape(label)
    ));
    let mut response = html(web::render_shell(
        title,
        &body,
        &ShellContext {
            locale,
            instance_name: &state.instance_name,
            ..Default::default()
        },
    ));
    *response.status_mut() = status;
    response
}

/// A page form as the browser posts it: `application/x-www-form-urlencoded`, or
/// `multipart/form-data` when it has a file field. Empty file inputs (nothing chosen) are
/// left out. Every page POST is read through it, so every one is checked for its form token
/// ([`crate::csrf::check_form`]); without the right one the post is refused with 403 and a page
/// that says to send the form again.
pub struct PostedForm {
    /// The text fields, in order (the form token taken out).
    pub values: Vec<(String, String)>,
    /// The chosen files.
    pub files: Vec<crate::runtime::Upload>,
}

impl axum::extract::FromRequest<AppState> for PostedForm {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Response> {
        let headers = request.headers().clone();
        let path = request.uri().path().to_owned();
        let query = crate::api::extract::query_pairs(request.uri());
        let mut posted = read_form(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let sent = posted
            .values
            .iter()
            .position(|(k, _)| k == crate::csrf::FORM_FIELD)
            .map(|i| posted.values.remove(i).1);
        if !crate::csrf::check_form(&headers, sent.as_deref()) {
            tracing::warn!(%path, "a page form without its token refused");
            return Err(form_expired(state, &locale_of(&query, &headers), &path));
        }
        Ok(posted)
    }
}

/// 403: the form came without the token of the visitor's session (from another site, or drawn
/// before the visitor signed in or out). The page says so and leads back to the form.
fn form_expired(state: &AppState, locale: &str, path: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a class=\"btn primary\" href=\"{}\">{}</a></p>",
        tr(locale, "Форма устарела", "The form is out of date"),
        tr(
            locale,
            "Её открыли до входа или выхода из системы, или отправили с другого сайта. Ничего не изменилось. Откройте страницу заново и отправьте форму ещё раз.",
            "It was opened before signing in or out, or sent from another site. Nothing has changed. Open the page again and send the form once more."
        ),
        web::escape(path),
        tr(locale, "Открыть страницу", "Open the page"),
    );
    let mut response = html(web::render_shell(
        tr(locale, "Форма устарела", "The form is out of date"),
        &body,
        &ShellContext {
            locale,
            instance_name: &state.instance_name,
            ..Default::default()
        },
    ));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

/// Read a posted form; a body over the limit is 413, one of another content type 415.
async fn read_form(
    request: axum::extract::Request,
    state: &AppState,
) -> Result<PostedForm, AppError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let unreadable = |status, detail: String| crate::rejections::refusal(status, &detail, None);
    if !multipart {
        let Form(values) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|e| unreadable(e.status(), e.body_text()))?;
        return Ok(PostedForm {
            values,
            files: Vec::new(),
        });
    }
    let mut parts = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| unreadable(e.status(), e.body_text()))?;
    let mut posted = PostedForm {
        values: Vec::new(),
        files: Vec::new(),
    };
    while let Some(part) = parts
        .next_field()
        .await
        .map_err(|e| unreadable(e.status(), e.body_text()))?
    {
        let name = part.name().unwrap_or_default().to_owned();
        match part.file_name().map(str::to_owned) {
            Some(file_name) => {
                let content_type = part
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let bytes = part
                    .bytes()
                    .await
                    .map_err(|e| unreadable(e.status(), e.body_text()))?;
                if !file_name.is_empty() && !bytes.is_empty() {
                    posted.files.push(crate::runtime::Upload {
                        field: name,
                        name: file_name,
                        content_type,
                        bytes: bytes.to_vec(),
                    });
                }
            }
            None => {
                let text = part
                    .text()
                    .await
                    .map_err(|e| unreadable(e.status(), e.body_text()))?;
                posted.values.push((name, text));
            }
        }
    }
    Ok(posted)
}

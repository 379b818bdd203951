//! The web pages: the instance's home, a community's page with its plugins, and plugin pages
//! drawn from the UI trees plugins describe.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};

use crate::error::AppError;
use crate::http::{
    AppState, PageTarget, Refill, html, locale_of, render_plugin_page, run_plugin_action,
};
use crate::runtime::latest::dvor::plugin::ui::Page;
use crate::web::{self, PageContext, ShellContext};

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/dvor.css", get(stylesheet))
        .route("/manifest.webmanifest", get(web_manifest))
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

async fn web_manifest(State(state): State<AppState>) -> Response {
    let manifest = serde_json::json!({
        "name": format!("dvor — {}", state.instance_name),
        "short_name": state.instance_name.as_ref(),
        "lang": "ru",
        "start_url": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4e89",
    });
    (
        [(header::CONTENT_TYPE, "application/manifest+json")],
        manifest.to_string(),
    )
        .into_response()
}

fn shell(state: &AppState, locale: &str, title: &str, body: &str) -> Response {
    let nav = vec![("dvor".to_owned(), "/".to_owned())];
    html(web::render_shell(
        title,
        body,
        &ShellContext {
            locale,
            instance_name: &state.instance_name,
            nav: &nav,
            ..Default::default()
        },
    ))
}

async fn home(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let locale = locale_of(&query, &headers);
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
    shell(&state, &locale, &state.instance_name, &body)
}

async fn community_page(
    State(state): State<AppState>,
    Path(community): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let locale = locale_of(&query, &headers);
    let tree = state.runtime.shared().communities();
    let place = tree
        .get(&community)
        .ok_or_else(|| AppError::not_found(format!("no community `{community}`")))?;
    let mut body = format!("<h1>{}</h1>", web::escape(&place.name));
    if let Some(address) = &place.address {
        body.push_str(&format!("<p>{}</p>", web::escape(address)));
    }
    body.push_str("<ul class=\"tiles\">");
    for plugin in state.runtime.plugins().values() {
        if plugin
            .enabled_for
            .iter()
            .any(|root| tree.is_within(&community, root))
        {
            let name = if locale == "en" && !plugin.manifest.name.en.is_empty() {
                &plugin.manifest.name.en
            } else {
                &plugin.manifest.name.ru
            };
            body.push_str(&format!(
                "<li><a class=\"tile\" href=\"{}\">{}</a></li>",
                plugin_href(&community, plugin.id(), "", &[]),
                web::escape(name)
            ));
        }
    }
    body.push_str("</ul>");
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
    Ok(shell(&state, &locale, &place.name, &body))
}

/// Draw a plugin's page inside the host's shell.
pub fn plugin_page(
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
    let nav = vec![
        ("dvor".to_owned(), "/".to_owned()),
        (
            community_name.clone(),
            format!("/c/{}", percent_encode(target.community)),
        ),
    ];
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
            utc_offset_minutes: state.utc_offset_minutes,
            nav: &nav,
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
    let locale = locale_of(&query, &headers);
    let notice = notice_of(&query);
    let query: Vec<(String, String)> = query
        .into_iter()
        .filter(|(k, _)| k != "notice" && k != "lang")
        .collect();
    let caller = crate::api::extract::plugin_caller(&state, &headers, &community, &plugin).await?;
    let target = PageTarget {
        community: &community,
        plugin: &plugin,
        route: &route,
        locale: &locale,
        caller: caller.as_ref(),
    };
    render_plugin_page(&state, target, query, notice.as_deref(), Refill::default()).await
}

async fn plugin_root_post(
    State(state): State<AppState>,
    Path((community, plugin)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
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
    Form(form): Form<Vec<(String, String)>>,
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
    form: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let locale = locale_of(&query, &headers);
    let action = query
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| AppError::invalid("action", "the form names no action"))?;
    let caller = crate::api::extract::plugin_caller(&state, &headers, &community, &plugin).await?;
    let target = PageTarget {
        community: &community,
        plugin: &plugin,
        route: &route,
        locale: &locale,
        caller: caller.as_ref(),
    };
    run_plugin_action(&state, target, action, form).await
}

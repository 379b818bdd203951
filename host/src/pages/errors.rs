//! The one place where an error a browser gets becomes a page: a plugin page that failed, a
//! path no route has, a limit, a refused form. Every handler answers errors as JSON
//! ([`crate::error::AppError`], reshaped framework refusals); for a request a browser made for a
//! page (it accepts `text/html`, and the path is not the API's) this layer draws that answer as
//! a page in the person's language, with the same status and `Retry-After`, the menu, and a way
//! on. A page that needs a sign-in sends a browser to the sign-in page and back instead.
//! API clients, stored files and live streams keep their answers as they are.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Visitor, say, sign_in_href};
use crate::http::{AppState, html};
use crate::web::{self, ShellContext};

/// The longest error answer read back (they are a line of JSON).
const ERROR_BYTES: usize = 64 * 1024;

/// Draw the errors of page requests as pages (see the module).
pub async fn browser_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if !wants_page(request.headers(), &path) {
        return next.run(request).await;
    }
    let headers = request.headers().clone();
    let method = request.method().clone();
    let back = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let query = crate::api::extract::query_pairs(request.uri());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_html(response.headers()) {
        return response;
    }
    if status == StatusCode::UNAUTHORIZED && method == Method::GET {
        return Redirect::to(&sign_in_href(&back)).into_response();
    }
    let (parts, body) = response.into_parts();
    let message = axum::body::to_bytes(body, ERROR_BYTES)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|json| json["error"]["message"].as_str().map(str::to_owned));
    let visitor = Visitor::of(&state, &headers, &query).await;
    let retry_after = parts
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let nav = visitor.navigation(&state, &path).await;
    let (title, body) = error_page(status, message.as_deref(), retry_after, &visitor.locale);
    let mut page = html(web::render_shell(
        &title,
        &body,
        &ShellContext {
            locale: &visitor.locale,
            instance_name: &state.instance_name,
            nav: &nav,
            current_path: Some(&path),
            ..Default::default()
        },
    ));
    *page.status_mut() = status;
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = parts.headers.get(&name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    page
}

/// Whether a request is a browser's for a page: it accepts HTML, and it is not for the API, a
/// stored file, the service worker or an asset.
fn wants_page(headers: &HeaderMap, path: &str) -> bool {
    let machine = ["/api/", "/files/", "/assets/", "/tiles/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/sw.js");
    !machine
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .is_some_and(|v| v.contains("html"))
}

/// The title and the body of the page for an error.
pub(crate) fn error_page(
    status: StatusCode,
    message: Option<&str>,
    retry_after_s: Option<u64>,
    locale: &str,
) -> (String, String) {
    let tr = |ru: &'static str, en: &'static str| if locale == "en" { en } else { ru };
    let (title, lead) = match status {
        StatusCode::NOT_FOUND => (
            tr("Страница не найдена", "Page not found"),
            tr(
                "Такой страницы нет или она уже удалена. Проверьте адрес или начните с главной.",
                "There is no such page, or it has been removed. Check the address or start from the home page.",
            ),
        ),
        StatusCode::FORBIDDEN => (
            tr("Нет доступа", "Access denied"),
            tr(
                "Эта страница или действие вам недоступны.",
                "This page or action is not available to you.",
            ),
        ),
        StatusCode::UNAUTHORIZED => (
            tr("Нужно войти", "Please sign in"),
            tr("Войдите, чтобы продолжить.", "Sign in to continue."),
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            tr("Слишком много попыток", "Too many attempts"),
            tr(
                "Подождите немного и попробуйте снова.",
                "Wait a little and try again.",
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            tr("Слишком большой файл", "The file is too large"),
            tr(
                "Отправленные данные больше, чем принимает сайт. Выберите файл поменьше.",
                "What was sent is larger than the site accepts. Choose a smaller file.",
            ),
        ),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => (
            tr(
                "Сервис временно недоступен",
                "The service is unavailable for now",
            ),
            tr(
                "Сейчас не получилось ответить. Попробуйте через минуту.",
                "It could not answer just now. Try again in a minute.",
            ),
        ),
        s if s.is_server_error() => (
            tr("Что-то пошло не так", "Something went wrong"),
            tr(
                "Ошибка на сервере. Мы её записали; попробуйте позже.",
                "A server error. It is logged; try again later.",
            ),
        ),
        _ => (
            tr("Не получилось", "That did not work"),
            tr(
                "Запрос не выполнен. Вернитесь назад и попробуйте ещё раз.",
                "The request was not carried out. Go back and try again.",
            ),
        ),
    };
    let mut body = String::new();
    body.push_str("<h1>");
    body.push_str(&web::escape(title));
    body.push_str("</h1>\n<div class=\"notice tone-danger\" role=\"alert\"><p>");
    body.push_str(&web::escape(lead));
    body.push_str("</p>");
    // A server fault's message says nothing useful; a refusal's says why.
    let detail = message
        .filter(|_| !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE)
        .map(|m| say(m, locale))
        .filter(|m| !m.trim().is_empty() && !is_machine_text(m));
    if let Some(detail) = detail {
        body.push_str("<p>");
        body.push_str(&web::escape(&detail));
        body.push_str("</p>");
    }
    if let Some(seconds) = retry_after_s {
        let wait = if seconds < 120 {
            format!("{seconds} {}", tr("с", "s"))
        } else {
            format!("{} {}", seconds.div_ceil(60), tr("мин", "min"))
        };
        body.push_str("<p>");
        body.push_str(&web::escape(&format!(
            "{} {wait}.",
            tr("Попробовать снова можно через", "You can try again in")
        )));
        body.push_str("</p>");
    }
    body.push_str("</div>\n<p><a class=\"btn primary\" href=\"/\">");
    body.push_str(tr("На главную", "Home page"));
    body.push_str("</a></p>");
    (format!("{title} ({})", status.as_u16()), body)
}

/// A message meant for a developer rather than a person (`no route`, a plugin's internals):
/// such an answer is shown by its status alone.
fn is_machine_text(message: &str) -> bool {
    message.contains('`') || message.starts_with("no ") || message.starts_with("plugin ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_page_speaks_the_persons_language_and_says_when_to_retry() {
        let (title, body) = error_page(
            StatusCode::TOO_MANY_REQUESTS,
            Some("Слишком много кодов / Too many codes"),
            Some(600),
            "ru",
        );
        assert!(title.starts_with("Слишком много попыток"), "{title}");
        assert!(body.contains("Слишком много кодов"), "{body}");
        assert!(!body.contains("Too many codes"), "{body}");
        assert!(body.contains("через 10 мин"), "{body}");
        let (title, body) = error_page(StatusCode::NOT_FOUND, Some("no such page"), None, "en");
        assert!(title.starts_with("Page not found"), "{title}");
        // A plugin's terse machine text is not shown as the reason.
        assert!(!body.contains("<p>no such page</p>"), "{body}");
        assert!(body.contains("There is no such page"), "{body}");
    }

    #[test]
    fn only_a_browsers_page_requests_get_pages() {
        let mut browser = HeaderMap::new();
        browser.insert(header::ACCEPT, HeaderValue::from_static("text/html,*/*"));
        assert!(wants_page(&browser, "/c/x/p/y/nowhere"));
        assert!(!wants_page(&browser, "/api/c/x/p/y"));
        assert!(!wants_page(&browser, "/files/abc"));
        assert!(!wants_page(&HeaderMap::new(), "/c/x"));
    }
}

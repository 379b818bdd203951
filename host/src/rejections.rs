//! One place that turns the framework's own refusals into the API's error shape.
//!
//! Handlers answer errors as [`AppError`]: `{"error": {"code", "message", "field"}}`. Some
//! refusals never reach a handler: a query string or a path parameter that does not parse, a
//! method the route does not have (405, with `Allow`), a path no route has (404), a body over
//! the limit (413) or of the wrong type for a form (415). axum answers those with plain text or
//! an empty body. [`shape_refusals`], a layer over every route, rewrites each of them into the
//! same JSON shape, naming the parameter at fault as `field`; responses the host meant as they
//! are ([`Shaped`]: every [`AppError`] and every plugin answer) and successful ones pass
//! untouched, as do HTML pages.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, Shaped};

/// The longest framework refusal read back (they are a line of text).
const REFUSAL_BYTES: usize = 16 * 1024;

/// Rewrite the framework's refusals (see the module) into the API's error shape.
pub async fn shape_refusals(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<Shaped>().is_some()
        || is_html_or_json(response.headers().get(header::CONTENT_TYPE))
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, REFUSAL_BYTES)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let mut shaped = refusal(status, &text, route.as_deref()).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            shaped.headers_mut().insert(name, value.clone());
        }
    }
    shaped
}

fn is_html_or_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase())
        .is_some_and(|v| v.contains("html") || v.contains("json"))
}

/// The error a framework refusal stands for: its status, and the field named in its text
/// (axum's wording, which `cargo test` pins: see the tests below) or by the route.
pub fn refusal(status: StatusCode, text: &str, route: Option<&str>) -> AppError {
    let text = text.trim();
    match status {
        StatusCode::METHOD_NOT_ALLOWED => AppError::new(
            status,
            "method-not-allowed",
            "Этот адрес не принимает такой запрос; разрешённые методы — в заголовке Allow / This address does not take this method; the Allow header lists the ones it does",
        ),
        StatusCode::NOT_FOUND => AppError::not_found("Здесь ничего нет / Nothing is here"),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
            status,
            "too-large",
            "Запрос слишком большой / The request is too large",
        )
        .with_field("body"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::new(
            status,
            "unsupported-media-type",
            format!("Неподходящий Content-Type: {text} / Unsupported Content-Type: {text}"),
        )
        .with_field("body"),
        _ if status.is_client_error() => {
            let (field, detail) = field_of(text, route);
            let message = match field.as_str() {
                "body" => format!(
                    "Запрос не разобран: {detail} / The request could not be read: {detail}"
                ),
                _ => format!(
                    "Параметр `{field}` не разобран: {detail} / The parameter `{field}` could not be read: {detail}"
                ),
            };
            let code = if status == StatusCode::UNPROCESSABLE_ENTITY {
                "unprocessable"
            } else {
                "invalid"
            };
            AppError::new(status, code, message).with_field(field)
        }
        _ => AppError::internal(format!("the framework refused a request: {status} {text}")),
    }
}

/// The parameter a refusal's text names, and the rest of the text.
fn field_of(text: &str, route: Option<&str>) -> (String, String) {
    for prefix in [
        "Failed to deserialize query string: ",
        "Failed to deserialize form: ",
        "Failed to deserialize form body: ",
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            // serde_path_to_error: `limit: invalid digit found in string`.
            if let Some((path, detail)) = rest.split_once(": ")
                && is_field_path(path)
            {
                return (path.to_owned(), detail.to_owned());
            }
            // `missing field `status``, `unknown field `x`, expected …`.
            if let Some(name) = quoted(rest).filter(|n| is_field_path(n)) {
                return (name.to_owned(), rest.to_owned());
            }
            return ("query".to_owned(), rest.to_owned());
        }
    }
    if let Some(rest) = text.strip_prefix("Invalid URL: ") {
        let params: Vec<&str> = route
            .unwrap_or_default()
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|p| p.trim_start_matches('*'))
            .collect();
        // A tuple of parameters: `Cannot parse value at index 1 with value `x` to a `i64``.
        if let Some(index) = rest
            .strip_prefix("Cannot parse value at index ")
            .and_then(|r| r.split(' ').next())
            .and_then(|i| i.parse::<usize>().ok())
        {
            let field = params.get(index).copied().unwrap_or("path");
            return (field.to_owned(), rest.to_owned());
        }
        // A struct of parameters: `Cannot parse `id` with value `x` to a `i64``.
        if rest.contains(" with value ")
            && let Some(key) = quoted(rest)
        {
            return (key.to_owned(), rest.to_owned());
        }
        // `Invalid UTF-8 in `key``.
        if let Some(key) = rest.strip_prefix("Invalid UTF-8 in ").and_then(quoted) {
            return (key.to_owned(), rest.to_owned());
        }
        // One parameter: `Cannot parse `x` to a `i64``; the route names it.
        let field = match params.as_slice() {
            [one] => (*one).to_owned(),
            _ => "path".to_owned(),
        };
        return (field, rest.to_owned());
    }
    ("body".to_owned(), text.to_owned())
}

/// The first `` `quoted` `` word of a text.
fn quoted(text: &str) -> Option<&str> {
    text.split('`').nth(1)
}

/// `limit`, `items[0].name`: a field path, not a sentence.
fn is_field_path(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaped(status: StatusCode, text: &str, route: Option<&str>) -> (u16, String, String) {
        let error = refusal(status, text, route);
        (
            error.status().as_u16(),
            error.field().unwrap_or_default().to_owned(),
            error.message().to_owned(),
        )
    }

    /// The wording of axum's refusals, as the pinned version writes them: a test that fails
    /// when an upgrade changes it, instead of fields silently becoming `body`.
    #[tokio::test]
    async fn axums_refusals_name_their_parameter() {
        use axum::Router;
        use axum::extract::{Path, Query};
        use axum::routing::get;
        use tower::ServiceExt as _;

        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Paging {
            limit: Option<u32>,
        }
        let app = Router::new()
            .route("/one/{id}", get(|Path(_): Path<i64>| async { "" }))
            .route(
                "/two/{a}/{b}",
                get(|Path(_): Path<(String, i64)>| async { "" }),
            )
            .route("/list", get(|Query(_): Query<Paging>| async { "" }))
            .layer(axum::middleware::from_fn(shape_refusals));
        let answer = |uri: &'static str, method: &'static str| {
            let app = app.clone();
            async move {
                let request = axum::http::Request::builder()
                    .uri(uri)
                    .method(method)
                    .body(axum::body::Body::empty())
                    .unwrap();
                let response = app.oneshot(request).await.unwrap();
                let status = response.status().as_u16();
                let allow = response.headers().get(header::ALLOW).cloned();
                let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                    .await
                    .unwrap();
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                (status, json, allow)
            }
        };
        let (status, json, _) = answer("/list?limit=-1", "GET").await;
        assert_eq!((status, &json["error"]["field"]), (400, &"limit".into()));
        let (status, json, _) = answer("/one/abc", "GET").await;
        assert_eq!((status, &json["error"]["field"]), (400, &"id".into()));
        let (status, json, _) = answer("/two/x/abc", "GET").await;
        assert_eq!((status, &json["error"]["field"]), (400, &"b".into()));
        let (status, json, allow) = answer("/list", "DELETE").await;
        assert_eq!(
            (status, &json["error"]["code"]),
            (405, &"method-not-allowed".into())
        );
        assert!(allow.is_some_and(|a| a.to_str().unwrap().contains("GET")));
        let (status, json, _) = answer("/nowhere", "GET").await;
        assert_eq!((status, &json["error"]["code"]), (404, &"not-found".into()));
    }

    #[test]
    fn bodies_over_the_limit_and_of_the_wrong_type_say_so() {
        let (status, field, _) = shaped(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Failed to buffer the request body: length limit exceeded",
            None,
        );
        assert_eq!((status, field.as_str()), (413, "body"));
        let (status, field, message) = shaped(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Form requests must have `Content-Type: application/x-www-form-urlencoded`",
            None,
        );
        assert_eq!((status, field.as_str()), (415, "body"));
        assert!(message.contains("x-www-form-urlencoded"), "{message}");
        let (_, field, _) = shaped(
            StatusCode::BAD_REQUEST,
            "Failed to deserialize query string: missing field `status`",
            None,
        );
        assert_eq!(field, "status");
    }
}

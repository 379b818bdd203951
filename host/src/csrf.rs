//! Cross-site request forgery: a write is done only when it comes from this instance's own
//! pages or carries a credential a browser never adds by itself.
//!
//! - [`refuse_cross_site`], a layer over every route, refuses with 403 a write (POST, PUT,
//!   PATCH, DELETE) that the browser says comes from another site, whatever it carries:
//!   `Sec-Fetch-Site: cross-site` or `same-site` (a sibling subdomain), or an `Origin` that is
//!   not this instance's (`null` included). Calls between servers (webhooks, Open311 clients,
//!   integrations) send neither header and are judged by their credentials alone.
//! - The same layer refuses a JSON API write signed in by the session cookie (rather than by
//!   `Authorization: Bearer`, which no other site can make a browser send) unless the browser
//!   shows it comes from here: `Sec-Fetch-Site: same-origin` or this instance's `Origin`. The
//!   host's pages never write through the API; an integration uses a bearer token.
//! - Every form the host draws carries a per-session token ([`FORM_FIELD`]), and every page
//!   POST must bring it back ([`check_form`]): the token is derived from the session cookie, or,
//!   for a visitor who is not signed in (the sign-in form), from a pre-session cookie
//!   ([`PRESESSION_COOKIE`]) set when the form is drawn. Nothing is stored: only a browser that
//!   holds the cookie can know the token. This is what protects browsers that send neither
//!   `Origin` nor `Sec-Fetch-Site`, where `SameSite=Lax` alone is not enough.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::api::extract::{SESSION_COOKIE, bearer_in, cookie};
use crate::error::AppError;
use crate::http::AppState;

/// The cookie that keys the form token of a visitor who is not signed in.
pub const PRESESSION_COOKIE: &str = "dvor_presession";

/// The hidden form field that carries the token.
pub const FORM_FIELD: &str = "dvor_csrf";

/// The form token of a request, and the pre-session cookie to set when the visitor had none.
#[derive(Clone, Debug, Default)]
pub struct FormToken {
    /// The token the forms drawn for this request carry.
    pub token: String,
    /// `Set-Cookie` for a new pre-session, when the visitor brought no cookie to key it.
    pub new_cookie: Option<HeaderValue>,
}

impl FormToken {
    /// The token for the cookies of `headers`, minting a pre-session when there are none;
    /// `secure` marks the new cookie `Secure` (an `https://` instance).
    pub fn of(headers: &HeaderMap, secure: bool) -> Self {
        if let Some(token) = expected_token(headers) {
            return FormToken {
                token,
                new_cookie: None,
            };
        }
        let secret =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let secure = if secure { "; Secure" } else { "" };
        let cookie = HeaderValue::from_str(&format!(
            "{PRESESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax{secure}"
        ))
        .expect("base64 is header-safe");
        FormToken {
            token: token_for(&secret),
            new_cookie: Some(cookie),
        }
    }

    /// Set the new pre-session cookie, if there is one, on a page's response.
    pub fn set_on(&self, mut response: Response) -> Response {
        if let Some(cookie) = &self.new_cookie {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    }
}

/// The token a form posted with these cookies must carry: from the session cookie, else the
/// pre-session cookie; none without either.
pub fn expected_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
        .or_else(|| cookie(headers, PRESESSION_COOKIE))
        .map(|secret| token_for(&secret))
}

/// Whether a posted page form may be acted on: it is signed in by a bearer token (which no
/// other site can make a browser send), or it carries the token of its cookies.
pub fn check_form(headers: &HeaderMap, sent: Option<&str>) -> bool {
    if bearer_in(headers).is_some() {
        return true;
    }
    match (expected_token(headers), sent) {
        (Some(expected), Some(sent)) => same(expected.as_bytes(), sent.as_bytes()),
        _ => false,
    }
}

/// The token of a cookie's secret: a hash, so the page that shows it does not show the
/// session itself.
fn token_for(secret: &str) -> String {
    let digest = Sha256::digest(format!("dvor-form-token\n{secret}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Compare without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuse the writes described in the module: cross-site ones, and API writes signed in by
/// the session cookie that do not show they come from this instance.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if writes {
        let headers = request.headers();
        let ours = Ours::of(&state.identity.public_url, headers);
        if let Some(why) = cross_site(headers, &ours) {
            tracing::warn!(path = %request.uri().path(), %why, "cross-site write refused");
            return refused(why).into_response();
        }
        let by_cookie = bearer_in(headers).is_none() && cookie(headers, SESSION_COOKIE).is_some();
        if request.uri().path().starts_with("/api/") && by_cookie && !from_here(headers, &ours) {
            tracing::warn!(path = %request.uri().path(), "cookie-signed API write without its origin refused");
            return refused(
                "a write signed in by the session cookie that does not show it comes from this instance (no same-origin `Origin` or `Sec-Fetch-Site`)",
            )
            .into_response();
        }
    }
    next.run(request).await
}

fn refused(why: &str) -> AppError {
    AppError::new(
        axum::http::StatusCode::FORBIDDEN,
        "cross-site",
        format!(
            "Запрос с другого сайта отклонён. Откройте страницу Двора и повторите / A request from another site is refused ({why}). Open the page in dvor and try again"
        ),
    )
}

/// This instance's origins: its public URL, and the `Host` the request was sent to.
struct Ours {
    public: String,
    host: Option<String>,
}

impl Ours {
    fn of(public_url: &str, headers: &HeaderMap) -> Self {
        Ours {
            public: origin_of(public_url),
            host: headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_ascii_lowercase),
        }
    }

    /// Whether an `Origin` header's value is this instance: its public origin, or the host
    /// the request was addressed to (behind a proxy that keeps `Host`).
    fn is(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        origin == self.public
            || self.host.as_deref().is_some_and(|host| {
                origin
                    .split_once("://")
                    .is_some_and(|(_, authority)| authority == host)
            })
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let url = url.to_ascii_lowercase();
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{authority}")
        }
        None => url,
    }
}

/// Why a write is cross-site, if the browser says it is.
fn cross_site(headers: &HeaderMap, ours: &Ours) -> Option<&'static str> {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("cross-site") => return Some("Sec-Fetch-Site: cross-site"),
        Some("same-site") => return Some("Sec-Fetch-Site: same-site"),
        _ => {}
    }
    let origin = headers.get(header::ORIGIN)?;
    match origin.to_str() {
        Ok(origin) if ours.is(origin) => None,
        _ => Some("an Origin that is not this instance"),
    }
}

/// Whether the browser shows the request comes from this instance's own pages.
fn from_here(headers: &HeaderMap, ours: &Ours) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v == "same-origin")
        || headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|origin| ours.is(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn a_write_from_another_site_is_told_apart_from_ours() {
        let at = |pairs: &[(&'static str, &str)]| {
            let h = headers(pairs);
            cross_site(&h, &Ours::of("https://dvor.example.org", &h))
        };
        assert_eq!(at(&[]), None, "a server-to-server call");
        assert_eq!(at(&[("origin", "https://dvor.example.org")]), None);
        assert_eq!(
            at(&[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080")
            ]),
            None,
            "reached by the address it listens on"
        );
        assert!(at(&[("origin", "https://evil.example")]).is_some());
        assert!(at(&[("origin", "null")]).is_some());
        assert!(at(&[("sec-fetch-site", "same-site")]).is_some());
        assert!(
            at(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://dvor.example.org")
            ])
            .is_some()
        );
    }

    #[test]
    fn a_form_token_is_the_sessions_and_no_other() {
        let signed_in = headers(&[("cookie", "dvor_lang=en; dvor_session=dvs_abc")]);
        let token = FormToken::of(&signed_in, false);
        assert!(token.new_cookie.is_none());
        assert!(check_form(&signed_in, Some(&token.token)));
        assert!(!check_form(&signed_in, Some("forged")));
        assert!(!check_form(&signed_in, None));
        let other = headers(&[("cookie", "dvor_session=dvs_xyz")]);
        assert!(!check_form(&other, Some(&token.token)));
        assert!(!token.token.contains("abc"), "the session is not shown");

        // A visitor without cookies gets a pre-session with the form, and its token works.
        let fresh = FormToken::of(&HeaderMap::new(), true);
        let cookie = fresh.new_cookie.clone().unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("Secure"),
            "{cookie}"
        );
        let pair = cookie.split(';').next().unwrap().to_owned();
        let back = headers(&[("cookie", &pair)]);
        assert!(check_form(&back, Some(&fresh.token)));
        assert!(!check_form(&HeaderMap::new(), Some(&fresh.token)));
        // A bearer token is not something another site can make a browser send; the Basic
        // credentials of a proxy in front are, so they do not stand in for the token.
        assert!(check_form(
            &headers(&[("authorization", "Bearer dvs_abc")]),
            None
        ));
        assert!(!check_form(
            &headers(&[
                ("authorization", "Basic dXNlcjpwYXNz"),
                ("cookie", "dvor_session=dvs_abc")
            ]),
            None
        ));
    }
}

//! URLs: only ever `base` plus a checked, percent-encoded route and query.

use std::fmt::Write as _;

use crate::runtime::latest::dvor::plugin::ui::Link;

/// Percent-encodes everything but the RFC 3986 unreserved characters (and `/` when
/// `keep_slash`), byte by byte of the UTF-8.
fn encode(text: &str, keep_slash: bool, out: &mut String) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Percent-encodes a query key or value, or a single path segment.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    encode(text, false, &mut out);
    out
}

/// Whether a plugin route may become a link: no `..`, `//`, `:` or `\`, no leading `/`, no
/// control characters.
pub fn route_is_safe(route: &str) -> bool {
    !route.contains("..")
        && !route.contains("//")
        && !route.contains(':')
        && !route.contains('\\')
        && !route.starts_with('/')
        && !route.chars().any(char::is_control)
}

/// `base` and an already checked route: `{base}/{route}`, or `base` itself for the empty route.
pub(crate) fn join(base: &str, route: &str) -> String {
    let base = base.trim_end_matches('/');
    let mut out = String::with_capacity(base.len() + route.len() + 1);
    out.push_str(base);
    if !route.is_empty() {
        out.push('/');
        encode(route, true, &mut out);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Appends `?k=v&…` (or `&…` when `has_query`).
fn push_query(out: &mut String, query: &[(String, String)], mut has_query: bool) {
    for (k, v) in query {
        out.push(if has_query { '&' } else { '?' });
        has_query = true;
        encode(k, false, out);
        out.push('=');
        encode(v, false, out);
    }
}

/// The URL of a plugin page: `{base}/{route}?{query}`, or none when the route is not safe.
/// The result is not HTML-escaped (it contains `&`).
pub fn link_href(base: &str, route: &str, query: &[(String, String)]) -> Option<String> {
    if !route_is_safe(route) {
        return None;
    }
    let mut out = join(base, route);
    push_query(&mut out, query, false);
    Some(out)
}

/// The URL of a [`Link`].
pub(crate) fn href_of(base: &str, link: &Link) -> Option<String> {
    link_href(base, &link.route, &link.query)
}

/// Where a form or button of the page at `route` posts: `{base}/{route}?action={name}`. An unsafe
/// current route falls back to the plugin's root.
pub(crate) fn action_url(base: &str, route: &str, action: &str) -> String {
    let mut out = if route_is_safe(route) {
        join(base, route)
    } else {
        join(base, "")
    };
    push_query(&mut out, &[("action".to_owned(), action.to_owned())], false);
    out
}

/// The signed URL of a stored file, `/files/{id}?c=…&e=…&s=…`; none for an id that is not a
/// plain segment, or on a page that links no files.
pub(crate) fn file_href(
    id: &str,
    signer: Option<crate::file_links::LinkSigner<'_>>,
) -> Option<String> {
    let signer = signer?;
    if id.is_empty() || id == "." || id == ".." || id.chars().any(char::is_control) {
        return None;
    }
    Some(file_path(id, &signer))
}

/// `/files/{id}?c=…&e=…&s=…` for a checked id.
pub fn file_path(id: &str, signer: &crate::file_links::LinkSigner<'_>) -> String {
    let mut out = String::from("/files/");
    encode(id, false, &mut out);
    push_query(&mut out, &signer.query(id), false);
    out
}

/// Whether a host-given href (navigation) is a local path: `/…` but not `//…` or `/\…`.
pub(crate) fn local_href_is_safe(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !href.contains('\\')
        && !href.chars().any(|c| c.is_control() || c.is_whitespace())
}

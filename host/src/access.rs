//! What callers who are not signed in may do in a plugin, decided by the host before any plugin
//! code runs.
//!
//! By default an anonymous caller may read: call the plugin's `GET` (and `HEAD`) API routes and
//! see its pages. Anything that may write — another method, a page action — is refused with 401
//! unless the plugin's manifest opens it in its `[access]` table:
//!
//! ```toml
//! [access]
//! # "METHOD route": `*` stands for any text inside one segment, a last `**` for any rest.
//! anonymous_api = ["POST open311/v2/requests.*", "POST external/webhook"]
//! # "action" on any page, or "action route" on the pages matching the route.
//! anonymous_actions = ["add-note"]
//! ```
//!
//! Refusals are logged and counted in `dvor_plugin_scope_denials`, like capability denials. What
//! this does not decide — which signed-in people may do what, where — every plugin still checks
//! itself from the caller's roles.

use serde::Deserialize;

/// `[access]` of a manifest.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// API routes that callers who are not signed in may call with any method:
    /// `"METHOD route"`.
    #[serde(default)]
    pub anonymous_api: Vec<String>,
    /// Page actions they may run: `"action"` or `"action route"`.
    #[serde(default)]
    pub anonymous_actions: Vec<String>,
}

/// The methods an `anonymous_api` entry may name (`*`: any).
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "*"];

/// Methods that only read: open to anonymous callers without a declaration.
fn reads(method: &str) -> bool {
    matches!(method, "GET" | "HEAD")
}

impl Access {
    /// Whether a caller who is not signed in may call `method path` of the plugin's API.
    pub fn lets_anonymous_call(&self, method: &str, path: &str) -> bool {
        reads(method)
            || self.anonymous_api.iter().any(|entry| {
                let (allowed, pattern) = split_entry(entry);
                (allowed == "*" || allowed.eq_ignore_ascii_case(method))
                    && pattern.is_some_and(|p| route_matches(p, path))
            })
    }

    /// Whether a caller who is not signed in may run page action `action` on the page at
    /// `route`.
    pub fn lets_anonymous_act(&self, route: &str, action: &str) -> bool {
        self.anonymous_actions.iter().any(|entry| {
            let (name, pattern) = split_entry(entry);
            name == action && pattern.is_none_or(|p| route_matches(p, route))
        })
    }

    /// What is wrong with the declarations: `(field, index, message)` for each bad entry.
    pub fn problems(&self) -> Vec<(&'static str, usize, String)> {
        let mut problems = Vec::new();
        for (i, entry) in self.anonymous_api.iter().enumerate() {
            let (method, pattern) = split_entry(entry);
            if !METHODS.contains(&method) {
                problems.push((
                    "anonymous_api",
                    i,
                    format!(
                        "`{entry}` does not start with a method ({}, upper case)",
                        METHODS.join(", ")
                    ),
                ));
            } else if let Some(message) = pattern_problem(pattern.unwrap_or_default()) {
                problems.push(("anonymous_api", i, format!("`{entry}`: {message}")));
            } else if pattern.is_none() {
                problems.push((
                    "anonymous_api",
                    i,
                    format!("`{entry}` names no route: \"METHOD route\", e.g. \"POST webhook\""),
                ));
            }
        }
        for (i, entry) in self.anonymous_actions.iter().enumerate() {
            let (action, pattern) = split_entry(entry);
            if action.is_empty() || action.contains('*') {
                problems.push((
                    "anonymous_actions",
                    i,
                    format!("`{entry}` does not start with an action's name"),
                ));
            } else if let Some(message) = pattern.and_then(pattern_problem) {
                problems.push(("anonymous_actions", i, format!("`{entry}`: {message}")));
            }
        }
        problems
    }
}

/// `"WORD rest"` → `("WORD", Some("rest"))`; `"WORD"` → `("WORD", None)`.
fn split_entry(entry: &str) -> (&str, Option<&str>) {
    let entry = entry.trim();
    match entry.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, Some(rest.trim())),
        None => (entry, None),
    }
}

/// The segments of a route as plugins see it: split on `/`, empty segments dropped.
fn segments(route: &str) -> Vec<&str> {
    route.split('/').filter(|s| !s.is_empty()).collect()
}

fn pattern_problem(pattern: &str) -> Option<String> {
    if pattern.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("a route has no spaces".into());
    }
    let parts = segments(pattern);
    for (i, part) in parts.iter().enumerate() {
        if part.contains("**") && (*part != "**" || i + 1 != parts.len()) {
            return Some("`**` stands alone as the last segment".into());
        }
    }
    None
}

/// Whether `route` matches `pattern`: segment by segment, `*` matching any text inside one
/// segment, a last `**` any number of segments (none included).
fn route_matches(pattern: &str, route: &str) -> bool {
    let pattern = segments(pattern);
    let route = segments(route);
    match pattern.split_last() {
        Some((&"**", head)) => {
            route.len() >= head.len() && head.iter().zip(&route).all(|(p, s)| segment_matches(p, s))
        }
        _ => {
            pattern.len() == route.len()
                && pattern
                    .iter()
                    .zip(&route)
                    .all(|(p, s)| segment_matches(p, s))
        }
    }
}

/// A glob inside one segment: `*` matches any run of characters.
fn segment_matches(pattern: &str, segment: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = segment.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        // No `*`: the whole segment.
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether a call by someone not signed in is refused before the plugin runs: the plugin is
/// loaded and enabled in `community` (else the runtime answers 404 as for anyone), and its
/// manifest's `[access]` does not open what is asked. A refusal is logged and counted.
pub fn refused_anonymously(
    runtime: &crate::runtime::Runtime,
    (plugin, community): (&str, &str),
    (kind, what): (&'static str, &str),
    opens: impl Fn(&crate::access::Access) -> bool,
) -> bool {
    let Some(loaded) = runtime.plugin(plugin) else {
        return false;
    };
    let tree = runtime.shared().communities();
    let enabled = tree.get(community).is_some()
        && loaded
            .enabled_for
            .iter()
            .any(|root| tree.is_within(community, root));
    if !enabled || opens(&loaded.manifest.access) {
        return false;
    }
    crate::access::refuse(&runtime.shared().metrics, plugin, community, kind, what);
    true
}

/// Refuse an anonymous call the manifest does not open: logged and counted.
pub fn refuse(
    metrics: &crate::metrics::Metrics,
    plugin: &str,
    community: &str,
    kind: &'static str,
    what: &str,
) {
    tracing::warn!(
        plugin,
        community,
        kind,
        what,
        "scope denied: a caller who is not signed in, and the manifest's [access] does not open this"
    );
    metrics.record_scope_denial(plugin, kind);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(api: &[&str], actions: &[&str]) -> Access {
        Access {
            anonymous_api: api.iter().map(|s| (*s).to_owned()).collect(),
            anonymous_actions: actions.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn reads_are_open_and_writes_closed_by_default() {
        let none = Access::default();
        assert!(none.lets_anonymous_call("GET", "polls/1/results"));
        assert!(none.lets_anonymous_call("HEAD", ""));
        for method in ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            assert!(!none.lets_anonymous_call(method, "polls"), "{method}");
        }
        assert!(!none.lets_anonymous_act("", "vote"));
    }

    #[test]
    fn declared_routes_open_by_method_and_pattern() {
        let open = access(
            &[
                "POST open311/v2/requests.*",
                "POST external/webhook",
                "* hooks/**",
            ],
            &["add-note", "vote poll/*"],
        );
        assert!(open.lets_anonymous_call("POST", "open311/v2/requests.json"));
        assert!(open.lets_anonymous_call("POST", "/open311//v2/requests.xml/"));
        assert!(!open.lets_anonymous_call("POST", "open311/v2/requests"));
        assert!(!open.lets_anonymous_call("PUT", "open311/v2/requests.json"));
        assert!(!open.lets_anonymous_call("POST", "open311/v2/requests.json/extra"));
        assert!(open.lets_anonymous_call("POST", "external/webhook"));
        assert!(!open.lets_anonymous_call("POST", "external/webhooks"));
        assert!(open.lets_anonymous_call("DELETE", "hooks"));
        assert!(open.lets_anonymous_call("PATCH", "hooks/a/b"));
        assert!(!open.lets_anonymous_call("POST", "polls"));
        assert!(open.lets_anonymous_act("", "add-note"));
        assert!(open.lets_anonymous_act("anything/here", "add-note"));
        assert!(open.lets_anonymous_act("poll/42", "vote"));
        assert!(!open.lets_anonymous_act("initiative/42", "vote"));
        assert!(!open.lets_anonymous_act("", "vote"));
    }

    #[test]
    fn segment_globs() {
        assert!(segment_matches("a*c", "abbc"));
        assert!(segment_matches("*", ""));
        assert!(segment_matches("*.json", "requests.json"));
        assert!(!segment_matches("*.json", "requests.xml"));
        assert!(segment_matches("a*b*c", "aXbYc"));
        assert!(!segment_matches("a*b*c", "aXcYb"));
        assert!(!segment_matches("ab*ba", "aba"));
        assert!(segment_matches("exact", "exact"));
        assert!(!segment_matches("exact", "exactly"));
    }

    #[test]
    fn bad_entries_are_named() {
        let bad = access(
            &["post notes", "POST", "GET a/**/b", "POST a b"],
            &["", "* x", "vote poll/**/x"],
        );
        let problems: Vec<(&str, usize)> =
            bad.problems().iter().map(|(f, i, _)| (*f, *i)).collect();
        assert_eq!(
            problems,
            [
                ("anonymous_api", 0),
                ("anonymous_api", 1),
                ("anonymous_api", 2),
                ("anonymous_api", 3),
                ("anonymous_actions", 0),
                ("anonymous_actions", 1),
                ("anonymous_actions", 2),
            ]
        );
        assert!(
            access(
                &["POST open311/v2/requests.*", "* **"],
                &["add-note", "vote poll/*"]
            )
            .problems()
            .is_empty()
        );
    }
}

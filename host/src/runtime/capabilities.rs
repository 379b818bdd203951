//! Two-key capabilities: what a plugin may use is what its manifest asks for AND the
//! instance config grants. Anything else is denied, logged and counted.

use std::collections::BTreeSet;

/// One side of the two keys: a set of capabilities (the manifest's request, or the operator's
/// grant).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapabilitySet {
    /// Storage collections.
    pub collections: BTreeSet<String>,
    /// Event kinds the plugin emits.
    pub emits: BTreeSet<String>,
    /// Event kinds the plugin consumes.
    pub consumes: BTreeSet<String>,
    /// Outbound hosts, `host` or `host:port`. A manifest may ask for [`ANY_HOST`]: the hosts
    /// the operator names (a plugin that talks to a system the instance chooses).
    pub outbound_hosts: BTreeSet<String>,
    /// Scheduled jobs.
    pub schedules: BTreeSet<String>,
    /// Sending notifications.
    pub notifications: bool,
    /// Storing files.
    pub files: bool,
    /// Publishing live updates.
    pub live: bool,
}

/// In a manifest's `outbound_hosts`: whichever hosts the operator grants.
pub const ANY_HOST: &str = "*";

impl CapabilitySet {
    /// What both keys allow.
    pub fn intersect(&self, other: &CapabilitySet) -> CapabilitySet {
        let both =
            |a: &BTreeSet<String>, b: &BTreeSet<String>| a.intersection(b).cloned().collect();
        CapabilitySet {
            collections: both(&self.collections, &other.collections),
            emits: both(&self.emits, &other.emits),
            consumes: both(&self.consumes, &other.consumes),
            outbound_hosts: hosts_of_both(&self.outbound_hosts, &other.outbound_hosts),
            schedules: both(&self.schedules, &other.schedules),
            notifications: self.notifications && other.notifications,
            files: self.files && other.files,
            live: self.live && other.live,
        }
    }

    /// Whether a URL's host (and port) is allowed: an entry `host` allows every port,
    /// `host:port` only that one.
    pub fn allows_url(&self, url: &reqwest::Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let port = url.port_or_known_default();
        self.outbound_hosts
            .iter()
            .any(|entry| match entry.rsplit_once(':') {
                Some((h, p)) => h.eq_ignore_ascii_case(host) && p.parse::<u16>().ok() == port,
                None => entry.eq_ignore_ascii_case(host),
            })
    }
}

/// An outbound host entry: the host, and the port if it names one.
fn host_and_port(entry: &str) -> (&str, Option<&str>) {
    match entry.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (entry, None),
    }
}

/// What two entries for the same host both allow, if anything: `host` and `host:port` allow
/// `host:port` (either side may narrow a host to one port), two different ports nothing.
pub fn narrowest(a: &str, b: &str) -> Option<String> {
    let ((host_a, port_a), (host_b, port_b)) = (host_and_port(a), host_and_port(b));
    if !host_a.eq_ignore_ascii_case(host_b) {
        return None;
    }
    match (port_a, port_b) {
        (None, None) => Some(host_a.to_ascii_lowercase()),
        (Some(port), None) | (None, Some(port)) => {
            Some(format!("{}:{port}", host_a.to_ascii_lowercase()))
        }
        (Some(p), Some(q)) if p == q => Some(format!("{}:{p}", host_a.to_ascii_lowercase())),
        (Some(_), Some(_)) => None,
    }
}

/// The outbound hosts both keys allow; a side asking for [`ANY_HOST`] takes the other's, and
/// a `host:port` on one side narrows a `host` on the other to that port.
fn hosts_of_both(a: &BTreeSet<String>, b: &BTreeSet<String>) -> BTreeSet<String> {
    let named = |set: &BTreeSet<String>| -> BTreeSet<String> {
        set.iter().filter(|h| *h != ANY_HOST).cloned().collect()
    };
    match (a.contains(ANY_HOST), b.contains(ANY_HOST)) {
        (true, true) => BTreeSet::new(),
        (true, false) => named(b),
        (false, true) => named(a),
        (false, false) => a
            .iter()
            .flat_map(|x| b.iter().filter_map(move |y| narrowest(x, y)))
            .collect(),
    }
}

/// Outbound hosts `asked` for that nothing `given` covers, and what `given` covers that
/// nothing `asked` for (either side may be the manifest's).
pub fn hosts_not_covered<'a>(
    asked: &'a BTreeSet<String>,
    given: &'a BTreeSet<String>,
) -> impl Iterator<Item = &'a String> {
    asked.iter().filter(move |entry| {
        *entry != ANY_HOST
            && !given.contains(ANY_HOST)
            && !given.iter().any(|other| narrowest(entry, other).is_some())
    })
}

/// The kind of a denied capability, as logged and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapabilityKind {
    /// A storage collection.
    Collection,
    /// Emitting an event kind.
    Emit,
    /// An outbound host.
    OutboundHost,
    /// Notifications.
    Notifications,
    /// Files.
    Files,
    /// Live updates.
    Live,
    /// A scheduled job (asked for by `jobs.request`).
    Schedule,
}

impl CapabilityKind {
    /// The label used in logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            CapabilityKind::Collection => "collection",
            CapabilityKind::Emit => "event",
            CapabilityKind::OutboundHost => "outbound_host",
            CapabilityKind::Notifications => "notifications",
            CapabilityKind::Files => "files",
            CapabilityKind::Live => "live",
            CapabilityKind::Schedule => "schedule",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_what_both_keys_allow_is_allowed() {
        let requested = CapabilitySet {
            collections: set(&["notes", "stats"]),
            notifications: true,
            ..Default::default()
        };
        let granted = CapabilitySet {
            collections: set(&["notes", "other"]),
            notifications: false,
            ..Default::default()
        };
        let effective = requested.intersect(&granted);
        assert_eq!(effective.collections, set(&["notes"]));
        assert!(!effective.notifications);
    }

    #[test]
    fn outbound_hosts_match_host_and_port() {
        let caps = CapabilitySet {
            outbound_hosts: set(&["example.org", "api.test:8443"]),
            ..Default::default()
        };
        let ok = |u: &str| caps.allows_url(&reqwest::Url::parse(u).unwrap());
        assert!(ok("https://example.org/x"));
        assert!(ok("http://EXAMPLE.org:81/x"));
        assert!(ok("https://api.test:8443/"));
        assert!(!ok("https://api.test/"));
        assert!(!ok("https://evil.example.org/"));
    }

    #[test]
    fn an_operator_narrows_a_manifests_host_to_one_port() {
        let asks = |hosts: &[&str]| CapabilitySet {
            outbound_hosts: set(hosts),
            ..Default::default()
        };
        let effective = asks(&["pay.example.org"]).intersect(&asks(&["pay.example.org:8443"]));
        assert_eq!(effective.outbound_hosts, set(&["pay.example.org:8443"]));
        let ok = |u: &str| effective.allows_url(&reqwest::Url::parse(u).unwrap());
        assert!(ok("https://pay.example.org:8443/checkout"));
        assert!(
            !ok("https://pay.example.org/checkout"),
            "only the granted port"
        );
        // A manifest's port is kept under a grant of the whole host, and two ports meet nowhere.
        assert_eq!(
            asks(&["api.test:9000"])
                .intersect(&asks(&["API.test"]))
                .outbound_hosts,
            set(&["api.test:9000"])
        );
        assert!(
            asks(&["api.test:9000"])
                .intersect(&asks(&["api.test:9001"]))
                .outbound_hosts
                .is_empty()
        );
        let asked = set(&["pay.example.org", "geo.example.org"]);
        let granted = set(&["pay.example.org:8443", "mail.example.org"]);
        assert_eq!(
            hosts_not_covered(&asked, &granted).collect::<Vec<_>>(),
            ["geo.example.org"]
        );
        assert_eq!(
            hosts_not_covered(&granted, &asked).collect::<Vec<_>>(),
            ["mail.example.org"]
        );
    }

    #[test]
    fn a_manifest_asking_for_any_host_gets_the_hosts_the_operator_names() {
        let asks = |hosts: &[&str]| CapabilitySet {
            outbound_hosts: set(hosts),
            ..Default::default()
        };
        let granted = asks(&["people.example.org", "127.0.0.1:9000"]);
        assert_eq!(
            asks(&["*"]).intersect(&granted).outbound_hosts,
            set(&["people.example.org", "127.0.0.1:9000"])
        );
        assert_eq!(
            granted.intersect(&asks(&["*"])).outbound_hosts,
            set(&["people.example.org", "127.0.0.1:9000"])
        );
        assert!(asks(&["*"]).intersect(&asks(&[])).outbound_hosts.is_empty());
        assert_eq!(
            asks(&["example.org"]).intersect(&granted).outbound_hosts,
            set(&[])
        );
    }
}

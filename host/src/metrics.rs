//! Prometheus metrics per plugin, served at `/metrics`.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of a per-plugin metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    /// The plugin's id.
    pub plugin: String,
}

/// Labels of a capability denial.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DenialLabels {
    /// The plugin's id.
    pub plugin: String,
    /// The capability kind: `collection`, `event`, `outbound_host`, `notifications`, `files`.
    pub capability: String,
}

/// Labels of a refusal of a caller who is not signed in.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ScopeDenialLabels {
    /// The plugin's id.
    pub plugin: String,
    /// What was refused: `api` (a route with a writing method) or `action` (a page action).
    pub kind: String,
}

/// Labels of a finished call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// The plugin's id.
    pub plugin: String,
    /// `ok`, `error`, `trap`, `timeout`, `memory`.
    pub outcome: String,
}

/// Every metric the host keeps.
pub struct Metrics {
    registry: Registry,
    /// Calls into plugins, by outcome.
    pub calls: Family<OutcomeLabels, Counter>,
    /// Call latency in seconds.
    pub latency: Family<PluginLabels, Histogram>,
    /// The largest linear memory a plugin instance reached, in bytes.
    pub memory_peak: Family<PluginLabels, Gauge>,
    /// Calls a plugin made to a capability it was not granted.
    pub denials: Family<DenialLabels, Counter>,
    /// Event deliveries that exhausted their attempts.
    pub dead_letters: Family<PluginLabels, Counter>,
    /// Calls by people not signed in to what the plugin's manifest does not open to them.
    pub scope_denials: Family<ScopeDenialLabels, Counter>,
    peaks: Mutex<std::collections::HashMap<String, i64>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("dvor_plugin");
        let calls = Family::<OutcomeLabels, Counter>::default();
        let latency = Family::<PluginLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
            ])
        });
        let memory_peak = Family::<PluginLabels, Gauge>::default();
        let denials = Family::<DenialLabels, Counter>::default();
        let dead_letters = Family::<PluginLabels, Counter>::default();
        let scope_denials = Family::<ScopeDenialLabels, Counter>::default();
        registry.register("calls", "Calls into plugins by outcome", calls.clone());
        registry.register(
            "call_duration_seconds",
            "Plugin call latency",
            latency.clone(),
        );
        registry.register(
            "memory_peak_bytes",
            "Largest linear memory of a plugin instance",
            memory_peak.clone(),
        );
        registry.register(
            "capability_denials",
            "Calls refused because a capability was not both requested and granted",
            denials.clone(),
        );
        registry.register(
            "event_dead_letters",
            "Event deliveries that exhausted their attempts",
            dead_letters.clone(),
        );
        registry.register(
            "scope_denials",
            "Calls refused before the plugin ran: a caller not signed in, and the manifest's [access] does not open the route or action",
            scope_denials.clone(),
        );
        Self {
            registry,
            calls,
            latency,
            memory_peak,
            denials,
            dead_letters,
            scope_denials,
            peaks: Mutex::default(),
        }
    }

    /// Record a finished call.
    pub fn record_call(&self, plugin: &str, outcome: &str, seconds: f64, memory_bytes: usize) {
        self.calls
            .get_or_create(&OutcomeLabels {
                plugin: plugin.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
        let labels = PluginLabels {
            plugin: plugin.to_owned(),
        };
        self.latency.get_or_create(&labels).observe(seconds);
        let memory = i64::try_from(memory_bytes).unwrap_or(i64::MAX);
        let mut peaks = self.peaks.lock().unwrap_or_else(|e| e.into_inner());
        let peak = peaks.entry(plugin.to_owned()).or_insert(0);
        if memory > *peak {
            *peak = memory;
            self.memory_peak.get_or_create(&labels).set(memory);
        }
    }

    /// Record a capability denial.
    pub fn record_denial(&self, plugin: &str, capability: &str) {
        self.denials
            .get_or_create(&DenialLabels {
                plugin: plugin.to_owned(),
                capability: capability.to_owned(),
            })
            .inc();
    }

    /// How many denials a plugin had for a capability kind (for tests and `dvor plugins`).
    pub fn denial_count(&self, plugin: &str, capability: &str) -> u64 {
        self.denials
            .get_or_create(&DenialLabels {
                plugin: plugin.to_owned(),
                capability: capability.to_owned(),
            })
            .get()
    }

    /// Record a call refused before the plugin ran (see [`crate::access`]).
    pub fn record_scope_denial(&self, plugin: &str, kind: &str) {
        self.scope_denials
            .get_or_create(&ScopeDenialLabels {
                plugin: plugin.to_owned(),
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// How many calls of `kind` to a plugin were refused before it ran.
    pub fn scope_denial_count(&self, plugin: &str, kind: &str) -> u64 {
        self.scope_denials
            .get_or_create(&ScopeDenialLabels {
                plugin: plugin.to_owned(),
                kind: kind.to_owned(),
            })
            .get()
    }

    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

//! Prometheus metrics, served at `/metrics`: per plugin (`dvor_plugin_*`) and what an operator
//! watches on every host (`dvor_*`): requests by route template and status, waits for a database
//! connection, the pool, how late the due jobs are and how many event deliveries wait.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

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

/// Labels of a request's latency: its method and route template (`/api/c/{community}/p/{plugin}/{*path}`,
/// never the raw path, so the number of series stays bounded).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The HTTP method.
    pub method: String,
    /// The route template that matched, or `unmatched`.
    pub route: String,
}

/// Labels of a finished request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteStatusLabels {
    /// The HTTP method.
    pub method: String,
    /// The route template that matched, or `unmatched`.
    pub route: String,
    /// The response status code.
    pub status: u16,
}

/// How long units of work waited for a database connection and the start of their transaction,
/// process-wide (recorded by [`crate::storage::Database::begin`] and the plugin calls).
pub static POOL_WAIT: std::sync::LazyLock<Histogram> = std::sync::LazyLock::new(|| {
    Histogram::new([
        0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
    ])
});

/// A gauge of seconds.
type Seconds = Gauge<f64, std::sync::atomic::AtomicU64>;

/// Every metric the host keeps.
pub struct Metrics {
    registry: Registry,
    host_registry: Registry,
    /// Requests by method, route template and status.
    pub http_requests: Family<RouteStatusLabels, Counter>,
    /// Request latency by method and route template.
    pub http_latency: Family<RouteLabels, Histogram>,
    /// Open connections of this host's database pool.
    pub pool_connections: Gauge,
    /// Idle connections of this host's database pool.
    pub pool_idle: Gauge,
    /// Scheduled jobs whose due time has passed.
    pub jobs_due: Gauge,
    /// How late the most overdue job is.
    pub job_lag: Seconds,
    /// Event deliveries waiting for their consumer.
    pub event_backlog: Gauge,
    /// The age of the oldest waiting delivery's event.
    pub event_backlog_age: Seconds,
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
    /// Each plugin's metrics, resolved once: a call records without formatting labels.
    plugin_handles: RwLock<HashMap<String, Arc<PluginHandles>>>,
    /// Each route template's request metrics, by method and status, resolved once.
    route_handles: RwLock<HashMap<String, Vec<RouteHandles>>>,
}

/// One plugin's call metrics, shared with their families.
struct PluginHandles {
    ok_calls: Counter,
    latency: Histogram,
    memory_peak: Gauge,
    /// The largest memory recorded so far (the gauge is set only when it grows).
    peak: AtomicI64,
}

/// One route template's metrics for a method and a status, shared with their families.
struct RouteHandles {
    method: String,
    status: u16,
    requests: Counter,
    latency: Histogram,
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
        let mut host_registry = Registry::with_prefix("dvor");
        let http_requests = Family::<RouteStatusLabels, Counter>::default();
        let http_latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ])
        });
        host_registry.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            http_requests.clone(),
        );
        host_registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route template",
            http_latency.clone(),
        );
        host_registry.register(
            "db_pool_wait_seconds",
            "Time a unit of work waited for a database connection and the start of its transaction",
            POOL_WAIT.clone(),
        );
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        let jobs_due = Gauge::default();
        let job_lag = Seconds::default();
        let event_backlog = Gauge::default();
        let event_backlog_age = Seconds::default();
        host_registry.register(
            "db_pool_connections",
            "Open connections of this host's database pool",
            pool_connections.clone(),
        );
        host_registry.register(
            "db_pool_idle_connections",
            "Idle connections of this host's database pool",
            pool_idle.clone(),
        );
        host_registry.register(
            "jobs_due",
            "Scheduled jobs whose due time has passed (waiting or running)",
            jobs_due.clone(),
        );
        host_registry.register(
            "job_lag_seconds",
            "How late the most overdue scheduled job is",
            job_lag.clone(),
        );
        host_registry.register(
            "event_backlog",
            "Event deliveries waiting for their consumer",
            event_backlog.clone(),
        );
        host_registry.register(
            "event_backlog_age_seconds",
            "Age of the oldest event a delivery waits for",
            event_backlog_age.clone(),
        );
        Self {
            registry,
            host_registry,
            http_requests,
            http_latency,
            pool_connections,
            pool_idle,
            jobs_due,
            job_lag,
            event_backlog,
            event_backlog_age,
            calls,
            latency,
            memory_peak,
            denials,
            dead_letters,
            scope_denials,
            plugin_handles: RwLock::default(),
            route_handles: RwLock::default(),
        }
    }

    /// Record a finished call.
    pub fn record_call(&self, plugin: &str, outcome: &str, seconds: f64, memory_bytes: usize) {
        let handles = self.plugin_handles(plugin);
        if outcome == "ok" {
            handles.ok_calls.inc();
        } else {
            self.calls
                .get_or_create(&OutcomeLabels {
                    plugin: plugin.to_owned(),
                    outcome: outcome.to_owned(),
                })
                .inc();
        }
        handles.latency.observe(seconds);
        let memory = i64::try_from(memory_bytes).unwrap_or(i64::MAX);
        if handles.peak.fetch_max(memory, Ordering::Relaxed) < memory {
            handles
                .memory_peak
                .set(handles.peak.load(Ordering::Relaxed));
        }
    }

    /// The metrics of `plugin`'s calls, made on its first call.
    fn plugin_handles(&self, plugin: &str) -> Arc<PluginHandles> {
        if let Some(handles) = self
            .plugin_handles
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(plugin)
        {
            return handles.clone();
        }
        let labels = PluginLabels {
            plugin: plugin.to_owned(),
        };
        let handles = Arc::new(PluginHandles {
            ok_calls: self
                .calls
                .get_or_create(&OutcomeLabels {
                    plugin: plugin.to_owned(),
                    outcome: "ok".to_owned(),
                })
                .clone(),
            latency: self.latency.get_or_create(&labels).clone(),
            memory_peak: self.memory_peak.get_or_create(&labels).clone(),
            peak: AtomicI64::new(0),
        });
        self.plugin_handles
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(plugin.to_owned())
            .or_insert(handles)
            .clone()
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

    /// Record a finished HTTP request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        fn find<'a>(
            routes: &'a HashMap<String, Vec<RouteHandles>>,
            (method, route, status): (&str, &str, u16),
        ) -> Option<&'a RouteHandles> {
            routes
                .get(route)?
                .iter()
                .find(|h| h.status == status && h.method == method)
        }
        let key = (method, route, status);
        {
            let routes = self.route_handles.read().unwrap_or_else(|e| e.into_inner());
            if let Some(handles) = find(&routes, key) {
                handles.requests.inc();
                handles.latency.observe(seconds);
                return;
            }
        }
        let mut routes = self
            .route_handles
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if find(&routes, key).is_none() {
            let handles = RouteHandles {
                method: method.to_owned(),
                status,
                requests: self
                    .http_requests
                    .get_or_create(&RouteStatusLabels {
                        method: method.to_owned(),
                        route: route.to_owned(),
                        status,
                    })
                    .clone(),
                latency: self
                    .http_latency
                    .get_or_create(&RouteLabels {
                        method: method.to_owned(),
                        route: route.to_owned(),
                    })
                    .clone(),
            };
            routes.entry(route.to_owned()).or_default().push(handles);
        }
        let handles = find(&routes, key).expect("added above");
        handles.requests.inc();
        handles.latency.observe(seconds);
    }

    /// Read what the database-wide gauges show now: the pool, the due jobs, the event backlog.
    /// A failure leaves the last values (the scrape still answers; `/readyz` tells the outage).
    pub async fn refresh_from_database(&self, db: &crate::storage::Database) {
        use sea_orm::{ConnectionTrait as _, Statement};
        let connection = db.connection();
        let (size, idle) = match db.backend() {
            sea_orm::DbBackend::Postgres => {
                let pool = connection.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = connection.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        self.pool_connections.set(i64::from(size));
        self.pool_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
        let now = chrono::Utc::now().timestamp_millis();
        let backend = db.backend();
        let jobs = connection
            .query_one(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DbBackend::Postgres => {
                        "SELECT count(*) AS due, min(next_run_at) AS oldest FROM jobs WHERE next_run_at <= $1"
                    }
                    _ => "SELECT count(*) AS due, min(next_run_at) AS oldest FROM jobs WHERE next_run_at <= ?",
                },
                [now.into()],
            ))
            .await;
        if let Ok(Some(row)) = jobs {
            let due: i64 = row.try_get("", "due").unwrap_or(0);
            let oldest: Option<i64> = row.try_get("", "oldest").unwrap_or(None);
            self.jobs_due.set(due);
            self.job_lag
                .set(oldest.map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0));
        }
        let backlog = connection
            .query_one(Statement::from_string(
                backend,
                "SELECT count(*) AS waiting, min(e.occurred) AS oldest FROM deliveries d \
                 JOIN events e ON e.id = d.event_id WHERE d.status = 'pending'",
            ))
            .await;
        if let Ok(Some(row)) = backlog {
            let waiting: i64 = row.try_get("", "waiting").unwrap_or(0);
            let oldest: Option<i64> = row.try_get("", "oldest").unwrap_or(None);
            self.event_backlog.set(waiting);
            self.event_backlog_age
                .set(oldest.map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0));
        }
    }

    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode_registry(&mut out, &self.host_registry);
        let _ = encode_registry(&mut out, &self.registry);
        let _ = encode_eof(&mut out);
        out
    }
}

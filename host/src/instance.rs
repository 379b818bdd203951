//! Assembling a running instance from its config: the database, the community tree, the
//! runtime with its plugins, and the background tasks.

use std::sync::Arc;
use std::time::Duration;

use crate::communities::Communities;
use crate::config::Config;
use crate::events::DeliverySettings;
use crate::metrics::Metrics;
use crate::runtime::capabilities::CapabilitySet;
use crate::runtime::{EngineSettings, InstanceFacts, Limits, PluginSource, Runtime, Shared};
use crate::scheduler::SchedulerSettings;
use crate::storage::Database;

/// A started instance: everything but the HTTP listener.
pub struct Instance {
    /// The config it was started from.
    pub config: Config,
    /// The runtime and its plugins.
    pub runtime: Arc<Runtime>,
    /// Sign-in, sessions and the ways people are reached.
    pub identity: Arc<crate::identity::Identity>,
}

/// The effective limits of a plugin: its overrides over the instance defaults.
pub fn plugin_limits(config: &Config, plugin: &str) -> Limits {
    let defaults = &config.runtime.limits;
    let overrides = config.plugins.get(plugin).map(|p| &p.limits);
    let pick = |own: Option<u64>, default: u64| own.unwrap_or(default);
    let memory_mb = pick(overrides.and_then(|o| o.memory_mb), defaults.memory_mb);
    let deadline_ms = pick(overrides.and_then(|o| o.deadline_ms), defaults.deadline_ms);
    let fuel = pick(overrides.and_then(|o| o.fuel), defaults.fuel);
    Limits {
        memory_bytes: (memory_mb as usize).saturating_mul(1 << 20),
        deadline: Duration::from_millis(deadline_ms),
        fuel: (fuel > 0).then_some(fuel),
    }
}

/// The engine settings the config asks for.
pub fn engine_settings(config: &Config) -> EngineSettings {
    let max_memory_bytes = config
        .plugins
        .keys()
        .map(|id| plugin_limits(config, id).memory_bytes)
        .chain(std::iter::once(
            (config.runtime.limits.memory_mb as usize).saturating_mul(1 << 20),
        ))
        .max()
        .unwrap_or(64 << 20);
    let fuel = config
        .plugins
        .keys()
        .any(|id| plugin_limits(config, id).fuel.is_some());
    EngineSettings {
        pooling: config.runtime.pooling,
        max_instances: config.runtime.max_instances,
        max_memory_bytes,
        fuel,
        cache_dir: config.cache_dir(),
    }
}

/// Where a plugin's component is: its `path`, else `{id}.wasm` in the plugin directory, else
/// the name cargo gives a crate called like the id (`people-control` builds
/// `people_control.wasm`).
pub fn plugin_path(config: &Config, id: &str) -> std::path::PathBuf {
    if let Some(path) = config.plugins.get(id).and_then(|p| p.path.clone()) {
        return path;
    }
    let named = config.runtime.plugin_dir.join(format!("{id}.wasm"));
    let built = config
        .runtime
        .plugin_dir
        .join(format!("{}.wasm", id.replace('-', "_")));
    if !named.exists() && built.exists() {
        built
    } else {
        named
    }
}

/// Build the runtime and load every configured plugin into it.
pub async fn load_runtime(config: &Config, db: Database) -> anyhow::Result<Runtime> {
    let communities = Communities::load(db.connection()).await?;
    let file_links =
        crate::file_links::FileLinks::load(db.connection(), chrono::Utc::now().timestamp_millis())
            .await?;
    let shared = Arc::new(Shared {
        db,
        communities: std::sync::RwLock::new(Arc::new(communities)),
        metrics: Arc::new(Metrics::new()),
        instance: InstanceFacts {
            timezone: config.instance.timezone.clone(),
            default_locale: config.instance.default_locale.clone(),
            utc_offset_minutes: utc_offset_minutes(&config.instance.timezone),
        },
        http: reqwest::Client::builder()
            .user_agent(concat!("dvor/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
        subscriptions: Default::default(),
        events_committed: tokio::sync::Notify::new(),
        live_committed: tokio::sync::Notify::new(),
        live: Default::default(),
        runs_requested: tokio::sync::Notify::new(),
        file_links,
        clock: crate::runtime::Clock::system(),
    });
    let runtime = Runtime::new(engine_settings(config), shared)?;
    if !runtime.pooling() && config.runtime.pooling {
        tracing::warn!("running with on-demand instance allocation");
    }
    let mut failures = Vec::new();
    for id in config.plugins.keys() {
        if let Err(error) = load_plugin(config, &runtime, id).await {
            failures.push(error.to_string());
        }
    }
    if !failures.is_empty() {
        anyhow::bail!("{}", failures.join("\n"));
    }
    runtime.refresh_subscriptions();
    Ok(runtime)
}

/// Load (or load again) plugin `id` of the config into the runtime: its component, checked
/// against the pinned digest, its settings against its schema. What it asks for and is not
/// granted is logged: calls using it will be denied.
pub async fn load_plugin(
    config: &Config,
    runtime: &Runtime,
    id: &str,
) -> Result<Arc<crate::runtime::LoadedPlugin>, crate::runtime::LoadError> {
    let plugin = &config.plugins[id];
    let source = PluginSource {
        id: id.to_owned(),
        wasm_path: plugin_path(config, id),
        enabled_for: plugin.enabled_for.clone(),
        granted: CapabilitySet::from(&plugin.grants),
        limits: plugin_limits(config, id),
        sha256: plugin.sha256.clone(),
    };
    let given = plugin.settings.clone();
    let loaded = runtime
        .load(source, |manifest| {
            crate::manifest::validate_settings(
                id,
                &manifest.settings,
                given.as_ref(),
                |key| config.line_of(&["plugins", id, "settings", key]),
                &config.source,
            )
            .map_err(|e| e.to_string())
        })
        .await?;
    for gap in crate::manifest::ungranted(&loaded.manifest, &loaded.granted) {
        tracing::warn!(plugin = %id, "{gap}: calls using it will be denied");
    }
    Ok(loaded)
}

impl Instance {
    /// Connect, migrate, seed the community tree and load the plugins.
    pub async fn start(config: Config) -> anyhow::Result<Instance> {
        std::fs::create_dir_all(&config.storage.data_dir).ok();
        let db = Database::connect(&config.database_url()).await?;
        Self::start_on(config, db).await
    }

    /// Start on an already connected database (tests pass fresh ones).
    pub async fn start_on(config: Config, db: Database) -> anyhow::Result<Instance> {
        db.migrate().await?;
        let now = chrono::Utc::now().timestamp_millis();
        Communities::seed(db.connection(), &config, now).await?;
        crate::identity::seed(db.connection(), &config, now).await?;
        let runtime = load_runtime(&config, db).await?;
        crate::scheduler::register(&runtime, now).await?;
        let identity = Arc::new(crate::identity::Identity::new(
            &config,
            runtime.shared().http.clone(),
        ));
        Ok(Instance {
            config,
            runtime: Arc::new(runtime),
            identity,
        })
    }

    /// Event delivery settings from the config.
    pub fn delivery_settings(&self) -> DeliverySettings {
        let e = &self.config.events;
        DeliverySettings {
            max_attempts: e.max_attempts,
            backoff_base: Duration::from_millis(e.backoff_base_ms),
            backoff_max: Duration::from_millis(e.backoff_max_ms),
            poll_interval: Duration::from_millis(e.poll_interval_ms),
        }
    }

    /// Scheduler settings from the config.
    pub fn scheduler_settings(&self) -> SchedulerSettings {
        let s = &self.config.scheduler;
        SchedulerSettings {
            lease: Duration::from_millis(s.lease_ms),
            tick: Duration::from_millis(s.tick_ms),
            owner: format!(
                "{}-{}-{:08x}",
                hostname(),
                std::process::id(),
                rand::random::<u32>()
            ),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "dvor".into())
}

/// The UTC offset of the Russian time zones (none of them has daylight saving since 2014),
/// for showing dates; other zones are shown in Moscow time, with a warning at start-up.
pub fn utc_offset_minutes(timezone: &str) -> i32 {
    let hours = match timezone {
        "UTC" | "Etc/UTC" => 0,
        "Europe/Kaliningrad" => 2,
        "Europe/Moscow" | "Europe/Simferopol" | "Europe/Kirov" | "Europe/Volgograd" => 3,
        "Europe/Samara" | "Europe/Ulyanovsk" | "Europe/Saratov" | "Europe/Astrakhan" => 4,
        "Asia/Yekaterinburg" => 5,
        "Asia/Omsk" => 6,
        "Asia/Novosibirsk" | "Asia/Barnaul" | "Asia/Tomsk" | "Asia/Novokuznetsk"
        | "Asia/Krasnoyarsk" => 7,
        "Asia/Irkutsk" => 8,
        "Asia/Yakutsk" | "Asia/Chita" | "Asia/Khandyga" => 9,
        "Asia/Vladivostok" | "Asia/Ust-Nera" => 10,
        "Asia/Magadan" | "Asia/Sakhalin" | "Asia/Srednekolymsk" => 11,
        "Asia/Kamchatka" | "Asia/Anadyr" => 12,
        other => {
            tracing::warn!(
                timezone = other,
                "unknown time zone; pages show Moscow time"
            );
            3
        }
    };
    hours * 60
}

//! The plugin runtime: wasmtime with the component model.
//!
//! Each plugin is compiled once (and cached on disk), linked once into an `InstancePre`, and
//! instantiated afresh for every call in its own `Store` with its own limits: a memory cap, a
//! wall-clock deadline enforced by epoch interruption, and optional fuel. A call is one
//! database transaction, begun lazily on the first storage access and committed only when the
//! plugin returns `ok`.

mod adapt;
pub mod bindings;
mod cache;
pub mod capabilities;
mod engine;
mod exports;
mod host;
mod loader;
mod state;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::Linker;
use wasmtime::{Engine, Store};

pub use bindings::v0_2_0 as latest;
pub use cache::CacheOutcome;
pub use loader::{Inspected, LoadError, PluginSource, contract_supported};
pub use state::{CallContext, Caller, CommitHook, Role};

use crate::communities::Communities;
use crate::metrics::Metrics;
use crate::storage::Database;
use capabilities::CapabilitySet;
use latest::dvor::plugin::types::Error as WitError;
use state::CallState;

/// The contract versions this host implements, newest first. The newest is implemented
/// directly; each older one is adapted onto it (`adapt`).
pub const SUPPORTED_CONTRACTS: &[&str] = &["0.2.0", "0.1.0"];

/// How often the epoch advances; deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(2);

/// How many frames of a trap's backtrace wasmtime keeps.
const BACKTRACE_FRAMES: usize = 32;

/// The largest API response body or UI answer a plugin may return.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Limits of one plugin's calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The linear memory cap in bytes.
    pub memory_bytes: usize,
    /// The wall-clock deadline of one call.
    pub deadline: Duration,
    /// Fuel per call; none means unmetered.
    pub fuel: Option<u64>,
}

/// Engine settings from the instance config.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// Use the pooling allocator (falls back to on-demand if it cannot reserve memory).
    pub pooling: bool,
    /// Pooled instance slots.
    pub max_instances: u32,
    /// The largest memory any plugin may use, for sizing the pool.
    pub max_memory_bytes: usize,
    /// Whether any plugin meters fuel (fuel is an engine-wide switch).
    pub fuel: bool,
    /// Where compiled plugins are cached.
    pub cache_dir: std::path::PathBuf,
}

/// The instance facts every call can read.
#[derive(Clone, Debug)]
pub struct InstanceFacts {
    /// IANA time zone of the instance.
    pub timezone: String,
    /// `ru` or `en`.
    pub default_locale: String,
    /// The zone's offset from UTC in minutes (the instance's zones keep no daylight saving).
    pub utc_offset_minutes: i32,
}

/// Which plugins consume which event kinds, and where.
#[derive(Clone, Debug, Default)]
pub struct Subscriptions {
    by_kind: BTreeMap<String, Vec<(String, Vec<String>)>>,
}

impl Subscriptions {
    /// The plugins that get an event of `kind` that happened in `community`.
    pub fn subscribers(&self, kind: &str, community: &str, tree: &Communities) -> Vec<String> {
        self.by_kind
            .get(kind)
            .map(|subs| {
                subs.iter()
                    .filter(|(_, enabled)| {
                        enabled.iter().any(|root| tree.is_within(community, root))
                    })
                    .map(|(plugin, _)| plugin.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The clock of plugin calls: the system's, or a fixed instant a test sets and moves.
#[derive(Debug, Default)]
pub struct Clock(std::sync::atomic::AtomicI64);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock::default()
    }

    /// Stop the clock at `ms` (since the epoch); calls see that instant until it is moved.
    pub fn set(&self, ms: i64) {
        self.0.store(ms.max(1), Ordering::Relaxed);
    }

    /// Move a stopped clock on by `ms`.
    pub fn advance(&self, ms: i64) {
        let now = self.now();
        self.set(now + ms);
    }

    /// The current instant of calls, ms since the epoch.
    pub fn now(&self) -> i64 {
        match self.0.load(Ordering::Relaxed) {
            0 => chrono::Utc::now().timestamp_millis(),
            fixed => fixed,
        }
    }
}

/// What the runtime shares with every call.
pub struct Shared {
    /// The database.
    pub db: Database,
    /// The community tree, replaced as a whole when it changes.
    pub communities: std::sync::RwLock<Arc<Communities>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Instance facts.
    pub instance: InstanceFacts,
    /// The client for outbound HTTP.
    pub http: reqwest::Client,
    /// Which plugins consume which events.
    pub subscriptions: std::sync::RwLock<Arc<Subscriptions>>,
    /// Woken when a call commits new events.
    pub events_committed: tokio::sync::Notify,
    /// Woken when a call commits live updates.
    pub live_committed: tokio::sync::Notify,
    /// This host's followers of live channels.
    pub live: crate::live::Hub,
    /// Woken when a call commits requested job runs.
    pub runs_requested: tokio::sync::Notify,
    /// The instance's key for the links of stored files.
    pub file_links: crate::file_links::FileLinks,
    /// The clock of calls (the system's, except in the test host).
    pub clock: Clock,
}

impl Shared {
    /// The current community tree.
    pub fn communities(&self) -> Arc<Communities> {
        self.communities
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A plugin ready to be called.
pub struct LoadedPlugin {
    /// The plugin's manifest.
    pub manifest: crate::manifest::Manifest,
    /// The contract version the component was built against (from its imports).
    pub contract: semver::Version,
    /// The community subtrees it is enabled for.
    pub enabled_for: Vec<String>,
    /// What the manifest asks for.
    pub requested: CapabilitySet,
    /// What the operator granted.
    pub granted: CapabilitySet,
    /// What it may actually use: both keys.
    pub effective: CapabilitySet,
    /// Limits of its calls.
    pub limits: Limits,
    /// Its settings as a JSON object (defaults overlaid with config).
    pub settings_json: String,
    /// Its collections by name.
    pub collections: BTreeMap<String, crate::storage::CollectionSpec>,
    /// The SHA-256 of the component.
    pub sha256: String,
    /// Whether it was loaded from the compile cache.
    pub cache: CacheOutcome,
    pre: PluginPre,
}

/// A linked component, by the contract version its exports speak.
#[derive(Clone)]
pub(crate) enum PluginPre {
    /// Built against 0.2.x.
    V0_2(Arc<exports::Exports>),
    /// Built against 0.1.x: its exports are called through the 0.1 bindings and their answers
    /// converted to the newest types.
    V0_1(bindings::v0_1_0::DvorPluginPre<CallState>),
}

impl LoadedPlugin {
    /// The plugin's id.
    pub fn id(&self) -> &str {
        &self.manifest.id
    }
}

/// What the host asks a plugin to do.
#[derive(Clone, Debug)]
pub enum Invocation {
    /// Answer an API request.
    Request(latest::exports::dvor::plugin::plugin::ApiRequest),
    /// Describe a UI page.
    RenderPage {
        /// The page route.
        route: String,
        /// Query parameters.
        query: Vec<(String, String)>,
    },
    /// Run a UI action.
    Action {
        /// The page the action came from.
        route: String,
        /// The action's name.
        action: String,
        /// Submitted values, typed by their fields' kinds.
        form: Vec<latest::dvor::plugin::ui::FormEntry>,
        /// Files posted with the form: stored for the plugin in the call's transaction, each
        /// field's value becoming the stored file's id, as the contract promises.
        uploads: Vec<Upload>,
    },
    /// Handle an event.
    Event(latest::dvor::plugin::events::Event),
    /// Run a chunk of a job.
    Job(latest::exports::dvor::plugin::plugin::JobRun),
    /// A tile for a host page.
    Summary(latest::dvor::plugin::ui::TilePlace),
    /// May the caller follow a live channel?
    Subscribe(String),
}

impl Invocation {
    /// Whether the call was asked to read (a page, a tile, a GET): it may start on the read
    /// pool, and moves onto the writer only if it writes.
    fn reads_first(&self) -> bool {
        match self {
            Invocation::Request(request) => matches!(request.method.as_str(), "GET" | "HEAD"),
            Invocation::RenderPage { .. } | Invocation::Summary(_) | Invocation::Subscribe(_) => {
                true
            }
            Invocation::Action { .. } | Invocation::Event(_) | Invocation::Job(_) => false,
        }
    }

    /// A copy to run again if the call loses a race with a concurrent transaction; none for a
    /// form with files (they are not kept twice in memory).
    fn copy_for_retry(&self) -> Option<Invocation> {
        match self {
            Invocation::Action { uploads, .. } if !uploads.is_empty() => None,
            other => Some(other.clone()),
        }
    }
}

/// How long to wait before running a call again that lost a race with a concurrent
/// transaction: a random pause up to 5 ms × 2^(attempt − 1), at most 50 ms, so that the calls
/// that lost do not collide again in step.
fn race_backoff(attempt: u32) -> Duration {
    let cap = (5u64 << attempt.saturating_sub(1).min(4)).min(50);
    Duration::from_millis(rand::random_range(1..=cap))
}

/// A file posted with a page form.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The form field.
    pub field: String,
    /// The file's name as the browser gave it.
    pub name: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// What a plugin answered.
#[derive(Debug)]
pub enum Outcome {
    /// An API response.
    Response(latest::exports::dvor::plugin::plugin::ApiResponse),
    /// A UI page.
    Page(latest::dvor::plugin::ui::Page),
    /// What follows a UI action.
    Action(latest::dvor::plugin::ui::ActionOutcome),
    /// The event was handled.
    EventHandled,
    /// What a job's chunk answered.
    JobStep(latest::exports::dvor::plugin::plugin::JobStep),
    /// A tile, or none.
    Summary(Option<latest::dvor::plugin::ui::Tile>),
    /// The caller may follow the channel.
    Subscribed,
}

/// Why a limit stopped a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// The wall-clock deadline.
    Deadline,
    /// The memory cap.
    Memory,
    /// The fuel budget.
    Fuel,
    /// The wasm stack (too deep recursion).
    Stack,
    /// The size of the answer.
    AnswerSize,
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No place with that id exists.
    #[error("no such place `{0}`")]
    UnknownCommunity(String),
    /// No plugin with that id is loaded.
    #[error("plugin `{0}` is not loaded")]
    UnknownPlugin(String),
    /// The plugin is not enabled for the call's community.
    #[error("plugin `{plugin}` is not enabled for community `{community}`")]
    NotEnabled {
        /// The plugin.
        plugin: String,
        /// The community.
        community: String,
    },
    /// The plugin answered with an error; everything it wrote was rolled back.
    #[error("plugin `{plugin}`: {}", error.message)]
    Plugin {
        /// The plugin.
        plugin: String,
        /// Its error.
        error: WitError,
    },
    /// The plugin hit one of its limits; everything it wrote was rolled back.
    #[error("plugin `{plugin}` exceeded its {what}")]
    Limit {
        /// The plugin.
        plugin: String,
        /// Which limit.
        kind: LimitKind,
        /// The limit in words, e.g. "deadline of 2000 ms".
        what: String,
    },
    /// The plugin trapped (a panic, an unreachable); everything it wrote was rolled back.
    #[error("plugin `{plugin}` crashed: {detail}")]
    Trap {
        /// The plugin.
        plugin: String,
        /// The panic message or trap description.
        detail: String,
    },
    /// The host failed (database unavailable, …).
    #[error("plugin `{plugin}`: host failure: {detail}")]
    Host {
        /// The plugin.
        plugin: String,
        /// What failed (logged, not shown to users).
        detail: String,
    },
}

impl CallError {
    /// The label of the outcome in metrics.
    fn outcome_label(&self) -> &'static str {
        match self {
            CallError::Plugin { .. } => "error",
            CallError::Limit {
                kind: LimitKind::Deadline,
                ..
            } => "timeout",
            CallError::Limit {
                kind: LimitKind::Memory,
                ..
            } => "memory",
            CallError::Limit { .. } | CallError::Trap { .. } => "trap",
            CallError::Host { .. }
            | CallError::UnknownCommunity(_)
            | CallError::UnknownPlugin(_)
            | CallError::NotEnabled { .. } => "host",
        }
    }
}

/// Advances the engine's epoch until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("dvor-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The loaded plugins by id.
pub type PluginMap = BTreeMap<String, Arc<LoadedPlugin>>;

/// The loaded plugins and everything needed to call them.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    shared: Arc<Shared>,
    /// The loaded plugins, replaced as a whole when one is loaded or reloaded: a call holds
    /// the plugin it started with to its end ([`Runtime::load`] on a running instance).
    plugins: std::sync::RwLock<Arc<PluginMap>>,
    pooling: bool,
    /// With the pooling allocator, one permit per instance slot: a call waits for a free slot
    /// instead of failing when more calls run at once than the pool holds.
    slots: Option<Arc<tokio::sync::Semaphore>>,
    settings: EngineSettings,
    _ticker: EpochTicker,
}

impl Runtime {
    /// Build the engine and linker. Plugins are added with [`Runtime::load`].
    pub fn new(settings: EngineSettings, shared: Arc<Shared>) -> anyhow::Result<Self> {
        let (engine, pooling) = engine::build(&settings)?;
        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasm_error)?;
        latest::DvorPlugin::add_to_linker::<CallState, wasmtime::component::HasSelf<CallState>>(
            &mut linker,
            |state| state,
        )
        .map_err(wasm_error)?;
        bindings::v0_1_0::DvorPlugin::add_to_linker::<
            CallState,
            wasmtime::component::HasSelf<CallState>,
        >(&mut linker, |state| state)
        .map_err(wasm_error)?;
        Ok(Self {
            _ticker: EpochTicker::start(engine.clone()),
            engine,
            linker,
            shared,
            plugins: Default::default(),
            pooling,
            slots: pooling
                .then(|| Arc::new(tokio::sync::Semaphore::new(settings.max_instances as usize))),
            settings,
        })
    }

    /// Whether the pooling allocator is in use.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// What the runtime shares with calls.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The loaded plugins by id, as they are now (a plugin reloaded later is not seen here).
    pub fn plugins(&self) -> Arc<PluginMap> {
        self.plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A loaded plugin, as it is now.
    pub fn plugin(&self, id: &str) -> Option<Arc<LoadedPlugin>> {
        self.plugins().get(id).cloned()
    }

    /// Put `plugin` in place of the one of its id (or beside the others): calls that started
    /// before keep the one they started with.
    fn install(&self, plugin: Arc<LoadedPlugin>) {
        let mut plugins = self.plugins.write().unwrap_or_else(|e| e.into_inner());
        let mut next = PluginMap::clone(&plugins);
        next.insert(plugin.id().to_owned(), plugin);
        *plugins = Arc::new(next);
    }

    /// Recompute which plugins consume which events (after loading plugins).
    pub fn refresh_subscriptions(&self) {
        let mut subs = Subscriptions::default();
        for plugin in self.plugins().values() {
            for kind in &plugin.effective.consumes {
                subs.by_kind
                    .entry(kind.clone())
                    .or_default()
                    .push((plugin.id().to_owned(), plugin.enabled_for.clone()));
            }
        }
        *self
            .shared
            .subscriptions
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(subs);
    }

    /// Call a plugin: a fresh instance, one transaction.
    pub async fn call(
        &self,
        plugin_id: &str,
        context: CallContext,
        invocation: Invocation,
    ) -> Result<Outcome, CallError> {
        let tree = self.shared.communities();
        if tree.get(&context.community).is_none() {
            return Err(CallError::UnknownCommunity(context.community.clone()));
        }
        let plugin = self
            .plugin(plugin_id)
            .ok_or_else(|| CallError::UnknownPlugin(plugin_id.to_owned()))?;
        let enabled = plugin
            .enabled_for
            .iter()
            .any(|root| tree.is_within(&context.community, root));
        let community_path = match tree.get(&context.community) {
            Some(community) if enabled => community.path.clone(),
            _ => {
                return Err(CallError::NotEnabled {
                    plugin: plugin_id.to_owned(),
                    community: context.community.clone(),
                });
            }
        };
        drop(tree);

        // A debug span: at the default `info` level a call makes no span (building and
        // formatting one was ~8 % of a small request's CPU); what an operator needs of a
        // failed call is on its own event below, and the plugin's log lines name it too.
        let span = tracing::debug_span!(
            "plugin_call",
            plugin = %plugin_id,
            version = %plugin.manifest.version,
            community = %context.community,
            trigger = ?context.trigger,
        );
        let community = context.community.clone();
        let started = Instant::now();
        // On PostgreSQL a call whose transaction lost a race with a concurrent one (both read a
        // document, the other wrote it first) is refused by the database and rolled back
        // whole; it runs again, reading the winner's writes, until it commits, fails for
        // another reason, or has taken the plugin's deadline in all. SQLite runs write
        // transactions one at a time and never refuses one so; but a call that read on the
        // read pool and then writes loses the same race when a document it read changed
        // before it could write (see `CallState::tx`).
        let postgres = self.shared.db.backend() == sea_orm::DbBackend::Postgres;
        let reads_first = self.shared.db.has_reader() && invocation.reads_first();
        let mut invocation = invocation;
        let mut attempt = 1u32;
        let (result, memory) = loop {
            let again = if postgres || reads_first {
                invocation.copy_for_retry()
            } else {
                None
            };
            // The semaphore is never closed: a permit always comes.
            let slot = match &self.slots {
                Some(slots) => slots.clone().acquire_owned().await.ok(),
                None => None,
            };
            let (result, memory, lost_race) = tracing::Instrument::instrument(
                self.call_in_store(&plugin, context.clone(), community_path.clone(), invocation),
                span.clone(),
            )
            .await;
            drop(slot);
            match (result, again) {
                (Err(error), Some(next))
                    if lost_race && started.elapsed() < plugin.limits.deadline && attempt < 100 =>
                {
                    tracing::debug!(parent: &span, attempt, %error, "lost a race with a concurrent transaction; running the call again");
                    tokio::time::sleep(race_backoff(attempt)).await;
                    invocation = next;
                    attempt += 1;
                }
                (result, _) => break (result, memory),
            }
        };
        let elapsed = started.elapsed();
        let outcome = match &result {
            Ok(_) => "ok",
            Err(error) => error.outcome_label(),
        };
        self.shared
            .metrics
            .record_call(plugin_id, outcome, elapsed.as_secs_f64(), memory);
        if let Err(error) = &result {
            let duration_us = elapsed.as_micros() as u64;
            match error {
                CallError::Plugin { .. } => {
                    tracing::debug!(parent: &span, outcome, duration_us, %error, "plugin call failed")
                }
                _ => tracing::warn!(
                    plugin = %plugin_id,
                    %community,
                    outcome,
                    duration_us,
                    %error,
                    "plugin call failed"
                ),
            }
        }
        result
    }

    async fn call_in_store(
        &self,
        plugin: &Arc<LoadedPlugin>,
        context: CallContext,
        community_path: String,
        invocation: Invocation,
    ) -> (Result<Outcome, CallError>, usize, bool) {
        let plugin_id = plugin.id().to_owned();
        let mut state =
            CallState::new(plugin.clone(), self.shared.clone(), context, community_path);
        state.reads_first = invocation.reads_first();
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        engine::arm_deadline(&mut store, plugin.limits.deadline);
        if self.settings.fuel {
            let fuel = plugin.limits.fuel.unwrap_or(u64::MAX);
            if let Err(error) = store.set_fuel(fuel) {
                return (Err(host_failure(&plugin_id, error)), 0, false);
            }
        }

        // The epoch deadline stops wasm code; this one also stops a call that waits too long in
        // a host function (a slow database, a slow outbound request).
        let deadline = plugin.limits.deadline + Duration::from_millis(250);
        let run = tokio::time::timeout(deadline, run_invocation(&mut store, plugin, invocation));
        let raw = match run.await {
            Ok(raw) => raw,
            Err(_) => Err(wasmtime::Error::new(wasmtime::Trap::Interrupt)),
        };
        let memory = store.data().memory.peak;
        let state = store.data_mut();
        let result = classify(plugin, state, raw);
        let result = match result {
            Ok(outcome) if !state.pending_events.is_empty() || !state.pending_live.is_empty() => {
                match write_pending(state).await {
                    Ok(()) => Ok(outcome),
                    Err(error) => Err(host_failure(&plugin_id, error)),
                }
            }
            other => other,
        };
        let hook = state.context.commit_hook.take();
        let result = match (result, hook) {
            (Ok(outcome), Some(hook)) => match run_commit_hook(state, &hook, &outcome).await {
                Ok(()) => Ok(outcome),
                Err(error) => Err(host_failure(&plugin_id, error)),
            },
            (result, _) => result,
        };
        state.end_read().await;
        let tx = state.tx.take();
        let mut lost_race = state.lost_race;
        let finished = match (result, tx) {
            (Ok(outcome), Some(tx)) => match tx.commit().await {
                Ok(()) => {
                    if state.emitted_events > 0 {
                        self.shared.events_committed.notify_waiters();
                    }
                    if !state.pending_live.is_empty() {
                        state.pending_live.clear();
                        self.shared.live_committed.notify_waiters();
                    }
                    if state.requested_runs > 0 {
                        self.shared.runs_requested.notify_waiters();
                    }
                    Ok(outcome)
                }
                Err(error) => {
                    lost_race |= crate::storage::lost_race(&error);
                    Err(host_failure(&plugin_id, error))
                }
            },
            (Ok(outcome), None) => Ok(outcome),
            (Err(error), Some(tx)) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::error!(plugin = %plugin_id, %rollback, "rollback failed");
                }
                Err(error)
            }
            (Err(error), None) => Err(error),
        };
        let retry = lost_race && !state.reached_out && finished.is_err();
        (finished, memory, retry)
    }

    /// An instance kept alive for many calls, for the benchmark's warm-call figure: each call
    /// still runs under the plugin's deadline, but storage access is not expected (there is no
    /// per-call transaction boundary).
    pub async fn warm_instance(
        &self,
        plugin_id: &str,
        context: CallContext,
    ) -> Result<WarmInstance, CallError> {
        let plugin = self
            .plugin(plugin_id)
            .ok_or_else(|| CallError::UnknownPlugin(plugin_id.to_owned()))?;
        let path = self
            .shared
            .communities()
            .get(&context.community)
            .map(|c| c.path.clone())
            .unwrap_or_else(|| "/".into());
        let state = CallState::new(plugin.clone(), self.shared.clone(), context, path);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(ticks_for(plugin.limits.deadline));
        if self.settings.fuel {
            store
                .set_fuel(u64::MAX)
                .map_err(|e| host_failure(plugin_id, e))?;
        }
        let exports = match &plugin.pre {
            PluginPre::V0_2(exports) => exports.clone(),
            PluginPre::V0_1(_) => {
                return Err(host_failure(
                    plugin_id,
                    "a warm instance needs a plugin on the newest contract",
                ));
            }
        };
        let instance = exports
            .instantiate(&mut store)
            .await
            .map_err(|e| host_failure(plugin_id, e))?;
        Ok(WarmInstance {
            store,
            exports,
            instance,
            deadline: ticks_for(plugin.limits.deadline),
        })
    }
}

/// An instance kept alive across calls (see [`Runtime::warm_instance`]).
pub struct WarmInstance {
    store: Store<CallState>,
    exports: Arc<exports::Exports>,
    instance: wasmtime::component::Instance,
    deadline: u64,
}

impl WarmInstance {
    /// Call `handle-request` on the live instance.
    pub async fn request(
        &mut self,
        request: &latest::exports::dvor::plugin::plugin::ApiRequest,
    ) -> wasmtime::Result<Result<latest::exports::dvor::plugin::plugin::ApiResponse, WitError>>
    {
        self.store.set_epoch_deadline(self.deadline);
        self.exports
            .handle_request(&mut self.store, &self.instance, request)
            .await
    }
}

/// Store the files posted with a form for the plugin, in the call's transaction: each field
/// then carries the stored file's id, as the contract promises. A refused file is the field's
/// error.
async fn store_uploads(
    store: &mut Store<CallState>,
    form: &mut Vec<latest::dvor::plugin::ui::FormEntry>,
    uploads: Vec<Upload>,
) -> wasmtime::Result<Result<(), WitError>> {
    use latest::dvor::plugin::ui::{FieldValue, FormEntry};
    let community = store.data().context.community.clone();
    for upload in uploads {
        let stored = latest::dvor::plugin::files::Host::store(
            store.data_mut(),
            community.clone(),
            upload.name,
            upload.content_type,
            upload.bytes,
        )
        .await?;
        match stored {
            Ok(info) => {
                form.retain(|entry| entry.name != upload.field);
                form.push(FormEntry {
                    name: upload.field,
                    value: FieldValue::File(info.id),
                });
            }
            Err(mut error) => {
                error.field = Some(upload.field);
                return Ok(Err(error));
            }
        }
    }
    Ok(Ok(()))
}

async fn run_invocation(
    store: &mut Store<CallState>,
    plugin: &LoadedPlugin,
    invocation: Invocation,
) -> wasmtime::Result<Result<Outcome, WitError>> {
    let invocation = match invocation {
        Invocation::Action {
            route,
            action,
            mut form,
            uploads,
        } => {
            if let Err(error) = store_uploads(store, &mut form, uploads).await? {
                return Ok(Err(error));
            }
            Invocation::Action {
                route,
                action,
                form,
                uploads: Vec::new(),
            }
        }
        other => other,
    };
    match &plugin.pre {
        PluginPre::V0_2(exports) => {
            let instance = exports.instantiate(store).await?;
            exports.call(store, &instance, invocation).await
        }
        PluginPre::V0_1(pre) => adapt::run_v0_1(store, pre, invocation).await,
    }
}

/// Write the events the call emitted and the live updates it published, in its transaction,
/// before it commits (the updates stay listed: after the commit they wake the live hub).
async fn write_pending(state: &mut CallState) -> wasmtime::Result<()> {
    let now = state.now;
    let events = std::mem::take(&mut state.pending_events);
    let updates = std::mem::take(&mut state.pending_live);
    let tx = state.tx().await?;
    if !events.is_empty() {
        crate::events::record_many(tx, &events, now).await?;
    }
    if !updates.is_empty() {
        crate::live::record_many(tx, &updates, now).await?;
    }
    state.pending_live = updates;
    Ok(())
}

async fn run_commit_hook(
    state: &mut CallState,
    hook: &CommitHook,
    outcome: &Outcome,
) -> wasmtime::Result<()> {
    let now = state.now;
    let shared = state.shared.clone();
    let tx = state.tx().await?;
    match hook {
        CommitHook::Delivered {
            event_id,
            subscriber,
        } => crate::events::mark_delivered(tx, event_id, subscriber, now).await?,
        CommitHook::JobChunk(chunk) => {
            let step = match outcome {
                Outcome::JobStep(step) => Some(step),
                _ => None,
            };
            crate::scheduler::save_chunk(tx, &shared, chunk, step, now).await?
        }
    }
    Ok(())
}

/// wasmtime has its own error type; the host's start-up code speaks anyhow.
pub(crate) fn wasm_error(error: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{error:#}")
}

fn ticks_for(deadline: Duration) -> u64 {
    (deadline.as_micros() / EPOCH_TICK.as_micros()).max(1) as u64 + 1
}

fn host_failure(plugin: &str, error: impl std::fmt::Display) -> CallError {
    CallError::Host {
        plugin: plugin.to_owned(),
        detail: error.to_string(),
    }
}

/// Turn what came out of the store into the call's result, naming the limit that stopped it.
fn classify(
    plugin: &LoadedPlugin,
    state: &mut CallState,
    raw: wasmtime::Result<Result<Outcome, WitError>>,
) -> Result<Outcome, CallError> {
    let id = plugin.id().to_owned();
    if let Some(failure) = state.host_failure.take() {
        return Err(CallError::Host {
            plugin: id,
            detail: failure,
        });
    }
    let limit = |kind: LimitKind, what: String| CallError::Limit {
        plugin: id.clone(),
        kind,
        what,
    };
    match raw {
        Ok(Ok(outcome)) => {
            let size = answer_size(&outcome);
            if size > MAX_ANSWER_BYTES {
                return Err(limit(
                    LimitKind::AnswerSize,
                    format!(
                        "answer size limit of {} MiB (answered {size} bytes)",
                        MAX_ANSWER_BYTES >> 20
                    ),
                ));
            }
            Ok(outcome)
        }
        Ok(Err(error)) => Err(CallError::Plugin { plugin: id, error }),
        Err(error) => {
            if state.memory.hit {
                return Err(limit(
                    LimitKind::Memory,
                    format!("memory limit of {} MiB", plugin.limits.memory_bytes >> 20),
                ));
            }
            match error.downcast_ref::<wasmtime::Trap>() {
                Some(wasmtime::Trap::Interrupt) => Err(limit(
                    LimitKind::Deadline,
                    format!("deadline of {} ms", plugin.limits.deadline.as_millis()),
                )),
                Some(wasmtime::Trap::OutOfFuel) => Err(limit(
                    LimitKind::Fuel,
                    format!("fuel budget of {}", plugin.limits.fuel.unwrap_or(0)),
                )),
                Some(wasmtime::Trap::StackOverflow) => {
                    Err(limit(LimitKind::Stack, "stack (recursion too deep)".into()))
                }
                // A guest compiled from Rust or C keeps its own stack in linear memory; when
                // deep recursion runs it off the bottom, the trap is an out-of-bounds access
                // whose (truncated) backtrace is one function calling itself.
                Some(wasmtime::Trap::MemoryOutOfBounds)
                    if error
                        .downcast_ref::<wasmtime::WasmBacktrace>()
                        .is_some_and(looks_like_runaway_recursion) =>
                {
                    Err(limit(LimitKind::Stack, "stack (recursion too deep)".into()))
                }
                _ => {
                    let stderr = state.stderr_text();
                    let detail = panic_message(&stderr).unwrap_or_else(|| format!("{error:#}"));
                    Err(CallError::Trap { plugin: id, detail })
                }
            }
        }
    }
}

/// A full backtrace in which one function is nearly every frame.
fn looks_like_runaway_recursion(trace: &wasmtime::WasmBacktrace) -> bool {
    let frames = trace.frames();
    if frames.len() < BACKTRACE_FRAMES {
        return false;
    }
    let most = frames
        .iter()
        .map(|f| f.func_index())
        .fold(
            std::collections::HashMap::<u32, usize>::new(),
            |mut counts, f| {
                *counts.entry(f).or_default() += 1;
                counts
            },
        )
        .into_values()
        .max()
        .unwrap_or(0);
    most * 10 >= frames.len() * 9
}

fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.find("panicked at")?;
    let text: String = stderr[start..]
        .lines()
        .take(2)
        .collect::<Vec<_>>()
        .join(": ");
    Some(text.chars().take(500).collect())
}

fn answer_size(outcome: &Outcome) -> usize {
    match outcome {
        Outcome::Response(response) => response.body.len(),
        Outcome::JobStep(step) => step.cursor.as_ref().map_or(0, String::len),
        Outcome::Page(_)
        | Outcome::Action(_)
        | Outcome::EventHandled
        | Outcome::Summary(_)
        | Outcome::Subscribed => 0,
    }
}

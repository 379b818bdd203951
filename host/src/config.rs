//! The instance config: one TOML file, overridable key by key from the environment.
//!
//! # Where the values come from
//!
//! 1. The file ([`Config::load`]) — or the embedded default, `config/dvor.toml`
//!    ([`Config::load_embedded`]).
//! 2. Environment variables override single keys: `DVOR_SERVER__BIND=0.0.0.0:80` sets
//!    `server.bind`. The prefix is `DVOR_`, `__` separates the levels and the names are
//!    lower-cased, so `DVOR_PLUGINS__HOUSING__LIMITS__DEADLINE_MS=2000` sets
//!    `plugins.housing.limits.deadline_ms`. A level that is an array takes an index
//!    (`DVOR_COMMUNITIES__0__NAME`). Where a key holds a `-` (the plugin `people-control`) the
//!    variable may spell it `_`. The value is read as a TOML value if it parses as one
//!    (`2000`, `true`, `["a", "b"]`, `"quoted"`), otherwise it is taken as a string
//!    (`0.0.0.0:80`, `postgres://…`). Variables named `DVOR_…` without a `__` (`DVOR_CONFIG`,
//!    `DVOR_LOG`) are not overrides: they are left to the command line.
//!
//! # Strictness
//!
//! Unknown keys are errors, in the file and in the environment; every error names the key
//! and the line of the file (or the environment variable) it comes from, e.g.
//! ``config/dvor.toml:42: unknown key `bindd` in [server]; expected `bind` ``. After parsing,
//! cross-references are checked: community ids are well-formed and unique, parents exist and
//! form no cycle, units belong to declared communities, plugins are enabled for declared
//! communities. Nothing here reads any other file: plugin components and manifests are
//! checked when the runtime loads them (settings with [`crate::manifest::validate_settings`]
//! and [`Config::line_of`]).
//!
//! # Paths
//!
//! Relative paths (`storage.data_dir`, `runtime.plugin_dir`, `runtime.cache_dir`,
//! `plugins.*.path`) are relative to the **current working directory** of the `dvor`
//! process, not to the config file's directory.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::runtime::capabilities::CapabilitySet;

/// The embedded default config, `config/dvor.toml`: a demo town on SQLite under `data/`.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../config/dvor.toml");

/// The name errors in the embedded default config are reported under.
pub const EMBEDDED_SOURCE: &str = "embedded config/dvor.toml";

/// The prefix of environment variables that override config keys.
pub const ENV_PREFIX: &str = "DVOR_";

// ---------------------------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------------------------

/// A parsed and validated instance config.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[instance]`: what the instance is called and where it lives.
    pub instance: InstanceConfig,
    /// `[server]`: the HTTP listener.
    #[serde(default)]
    pub server: ServerConfig,
    /// `[storage]`: the data directory and the database.
    #[serde(default)]
    pub storage: StorageConfig,
    /// `[runtime]`: the plugin runtime and the default limits of plugin calls.
    #[serde(default)]
    pub runtime: RuntimeConfig,
    /// `[events]`: delivery of plugin events.
    #[serde(default)]
    pub events: EventsConfig,
    /// `[scheduler]`: scheduled plugin jobs.
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    /// `[[communities]]`: the community tree, seeded into the database at start.
    #[serde(default)]
    pub communities: Vec<CommunityConfig>,
    /// `[[units]]`: apartments, plots and premises of the communities.
    #[serde(default)]
    pub units: Vec<UnitConfig>,
    /// `[plugins.<id>]`: the plugins this instance runs, by id.
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginConfig>,
    /// `[identity]`: sign-in, sessions and their limits.
    #[serde(default)]
    pub identity: crate::identity::config::IdentityConfig,
    /// `[notifications]`: email and SMS delivery of the inbox.
    #[serde(default)]
    pub notifications: crate::identity::config::NotificationsConfig,
    /// `[[organizations]]`: management companies, suppliers, government bodies, SNT boards.
    #[serde(default)]
    pub organizations: Vec<crate::identity::config::OrganizationConfig>,
    /// `[maps]`: the vector tiles the instance's maps are drawn from.
    #[serde(default)]
    pub maps: crate::maps::MapsConfig,
    /// The name of the file the config was read from (`config/dvor.toml`), used in messages.
    #[serde(skip)]
    pub source: String,
    #[serde(skip)]
    lines: KeyLines,
    #[serde(skip)]
    env: Vec<EnvOverride>,
}

/// `[instance]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceConfig {
    /// The instance's name, shown in the UI.
    pub name: String,
    /// IANA time zone name (`Europe/Moscow`, the default).
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// `ru` (the default) or `en`.
    #[serde(default = "default_locale")]
    pub default_locale: String,
    /// The URL people reach the instance at; default `http://{server.bind}` (see
    /// [`Config::public_url`]).
    #[serde(default)]
    pub public_url: Option<String>,
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// `host:port` to listen on; default `127.0.0.1:8080`.
    #[serde(default = "default_bind")]
    pub bind: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: default_bind(),
        }
    }
}

/// `[storage]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The data directory (relative to the working directory); default `data`.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default `sqlite://{data_dir}/dvor.db` (see
    /// [`Config::database_url`]).
    #[serde(default)]
    pub database_url: Option<String>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: default_data_dir(),
            database_url: None,
        }
    }
}

/// `[runtime]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Where `{id}.wasm` is looked up for a plugin without a `path`; default
    /// `target/wasm32-wasip2/plugin`.
    #[serde(default = "default_plugin_dir")]
    pub plugin_dir: PathBuf,
    /// The compiled-plugin cache; default `{data_dir}/cache` (see [`Config::cache_dir`]).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Use the pooling allocator (falls back to on-demand if the reservation fails); default
    /// true.
    #[serde(default = "yes")]
    pub pooling: bool,
    /// Pooled instance slots; default 100.
    #[serde(default = "default_max_instances")]
    pub max_instances: u32,
    /// `[runtime.limits]`: the limits of every plugin's calls unless the plugin overrides them.
    #[serde(default)]
    pub limits: LimitsConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            plugin_dir: default_plugin_dir(),
            cache_dir: None,
            pooling: true,
            max_instances: default_max_instances(),
            limits: LimitsConfig::default(),
        }
    }
}

/// `[runtime.limits]`: the default limits of a plugin call.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Linear memory cap in MiB; default 64.
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u64,
    /// Wall-clock deadline of one call in milliseconds; default 5000.
    #[serde(default = "default_deadline_ms")]
    pub deadline_ms: u64,
    /// Fuel per call; 0 (the default) turns fuel metering off.
    #[serde(default)]
    pub fuel: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            memory_mb: default_memory_mb(),
            deadline_ms: default_deadline_ms(),
            fuel: 0,
        }
    }
}

/// `[plugins.<id>.limits]`: a plugin's overrides of `[runtime.limits]`, each optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PluginLimits {
    /// Linear memory cap in MiB.
    #[serde(default)]
    pub memory_mb: Option<u64>,
    /// Wall-clock deadline of one call in milliseconds.
    #[serde(default)]
    pub deadline_ms: Option<u64>,
    /// Fuel per call; 0 turns metering off for this plugin.
    #[serde(default)]
    pub fuel: Option<u64>,
}

/// `[events]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsConfig {
    /// Delivery attempts before a delivery goes to the dead-letter list; default 8.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The first retry's delay in ms, doubling each attempt; default 1000.
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    /// The cap of the retry delay in ms; default 600000 (10 minutes).
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// How often to look for due deliveries when nothing wakes the dispatcher; default 500.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            max_attempts: default_max_attempts(),
            backoff_base_ms: default_backoff_base_ms(),
            backoff_max_ms: default_backoff_max_ms(),
            poll_interval_ms: default_poll_interval_ms(),
        }
    }
}

/// `[scheduler]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Run scheduled jobs in this process; default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How long a claimed job stays claimed without progress, in ms; default 60000.
    #[serde(default = "default_lease_ms")]
    pub lease_ms: u64,
    /// How often to look for due jobs, in ms; default 1000.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u64,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            enabled: true,
            lease_ms: default_lease_ms(),
            tick_ms: default_tick_ms(),
        }
    }
}

/// What kind of place a community is.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum CommunityKind {
    /// A region (субъект РФ).
    Region,
    /// A municipality (муниципальное образование).
    Municipality,
    /// A town or village as a settlement.
    Settlement,
    /// A district of a settlement.
    District,
    /// A house (МКД).
    House,
    /// A garden cooperative (СНТ).
    Snt,
    /// A village community.
    Village,
    /// A yard.
    Yard,
}

impl CommunityKind {
    /// The name stored in the database and shown to plugins.
    pub fn as_str(self) -> &'static str {
        match self {
            CommunityKind::Region => "region",
            CommunityKind::Municipality => "municipality",
            CommunityKind::Settlement => "settlement",
            CommunityKind::District => "district",
            CommunityKind::House => "house",
            CommunityKind::Snt => "snt",
            CommunityKind::Village => "village",
            CommunityKind::Yard => "yard",
        }
    }
}

impl fmt::Display for CommunityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[[communities]]`: one community, seeded into the database at start (inserted if
/// missing; name, kind and address updated; never deleted).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CommunityConfig {
    /// `[a-z0-9][a-z0-9-]{0,62}`, unique in the instance.
    pub id: String,
    /// The name people see.
    pub name: String,
    /// What kind of place it is.
    pub kind: CommunityKind,
    /// The id of the community it belongs to (declared in the same config).
    #[serde(default)]
    pub parent: Option<String>,
    /// A postal address.
    #[serde(default)]
    pub address: Option<String>,
}

/// What kind of unit a unit is.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum UnitKind {
    /// An apartment in a house.
    Apartment,
    /// A land plot.
    Plot,
    /// A non-residential premise.
    NonResidential,
}

impl UnitKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Apartment => "apartment",
            UnitKind::Plot => "plot",
            UnitKind::NonResidential => "non-residential",
        }
    }
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An area in hundredths of a square metre, written in the config as a decimal string with
/// at most two decimals (`"54.3"` is 5430). Floats are refused: areas feed money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Area {
    /// Hundredths of m².
    pub centi_m2: i64,
}

impl Area {
    /// Parse `"54.3"`, `"600"`, `"12.05"`; `None` for anything else (signs, commas,
    /// exponents, more than two decimals, more than 12 integer digits).
    pub fn parse(text: &str) -> Option<Area> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > 12
            || !digits(whole)
            || !digits(fraction)
            || fraction.len() > 2
            || (text.contains('.') && fraction.is_empty())
        {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let mut centi: i64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().ok()?
        };
        if fraction.len() == 1 {
            centi *= 10;
        }
        Some(Area {
            centi_m2: whole * 100 + centi,
        })
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.centi_m2 / 100, self.centi_m2 % 100)
    }
}

impl<'de> Deserialize<'de> for Area {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Area, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Area;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an area in m² as a string with a dot and at most 2 decimals, e.g. \"54.3\"",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Area, E> {
                Area::parse(v).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// `[[units]]`: one apartment, plot or premise, keyed by (community, number).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UnitConfig {
    /// The community (usually a house or an SNT) the unit is in.
    pub community: String,
    /// The unit's number in its community (`12`, `45а`); no `/`.
    pub number: String,
    /// What kind of unit it is.
    pub kind: UnitKind,
    /// Its area.
    pub area: Area,
    /// The cadastral number.
    #[serde(default)]
    pub cadastral_number: Option<String>,
    /// The entrance (подъезд) of an apartment.
    #[serde(default)]
    pub entrance: Option<String>,
    /// The floor of an apartment.
    #[serde(default)]
    pub floor: Option<i32>,
}

impl UnitConfig {
    /// The unit's id in the database: `{community}/{number}`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.community, self.number)
    }
}

/// `[plugins.<id>]`: one plugin the instance runs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// The component file; default `{runtime.plugin_dir}/{id}.wasm`.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The SHA-256 of the component the operator vetted (hex): a file that does not match is
    /// refused at load, naming both digests.
    #[serde(default)]
    pub sha256: Option<String>,
    /// The community subtrees the plugin runs in (ids of declared communities).
    pub enabled_for: Vec<String>,
    /// `[plugins.<id>.grants]`: the operator's key of the two-key capability model.
    #[serde(default)]
    pub grants: Grants,
    /// `[plugins.<id>.limits]`: overrides of `[runtime.limits]`.
    #[serde(default)]
    pub limits: PluginLimits,
    /// `[plugins.<id>.settings]`: checked against the manifest's settings schema when the
    /// plugin is loaded ([`crate::manifest::validate_settings`]).
    #[serde(default)]
    pub settings: Option<toml::Table>,
}

/// `[plugins.<id>.grants]`: what the operator allows a plugin. A plugin may use a capability
/// only if its manifest asks for it and this grants it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Storage collections.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Event kinds it may emit.
    #[serde(default)]
    pub emits: Vec<String>,
    /// Event kinds it may consume.
    #[serde(default)]
    pub consumes: Vec<String>,
    /// Outbound hosts, `host` (any port) or `host:port`.
    #[serde(default)]
    pub outbound_hosts: Vec<String>,
    /// Sending notifications.
    #[serde(default)]
    pub notifications: bool,
    /// Storing files.
    #[serde(default)]
    pub files: bool,
    /// Publishing live updates.
    #[serde(default)]
    pub live: bool,
    /// Scheduled jobs (by the manifest's job names).
    #[serde(default)]
    pub schedules: Vec<String>,
}

impl From<&Grants> for CapabilitySet {
    fn from(grants: &Grants) -> CapabilitySet {
        let set = |items: &Vec<String>| items.iter().cloned().collect();
        CapabilitySet {
            collections: set(&grants.collections),
            emits: set(&grants.emits),
            consumes: set(&grants.consumes),
            outbound_hosts: set(&grants.outbound_hosts),
            schedules: set(&grants.schedules),
            notifications: grants.notifications,
            files: grants.files,
            live: grants.live,
        }
    }
}

fn yes() -> bool {
    true
}
fn default_timezone() -> String {
    "Europe/Moscow".into()
}
fn default_locale() -> String {
    "ru".into()
}
fn default_bind() -> String {
    "127.0.0.1:8080".into()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
fn default_plugin_dir() -> PathBuf {
    PathBuf::from("target/wasm32-wasip2/plugin")
}
fn default_max_instances() -> u32 {
    100
}
fn default_memory_mb() -> u64 {
    64
}
fn default_deadline_ms() -> u64 {
    5000
}
fn default_max_attempts() -> u32 {
    8
}
fn default_backoff_base_ms() -> u64 {
    1000
}
fn default_backoff_max_ms() -> u64 {
    600_000
}
fn default_poll_interval_ms() -> u64 {
    500
}
fn default_lease_ms() -> u64 {
    60_000
}
fn default_tick_ms() -> u64 {
    1000
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Where a config value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The file, at a line if known.
    File {
        /// The file's name as given (`config/dvor.toml`).
        source: String,
        /// 1-based line.
        line: Option<usize>,
    },
    /// An environment variable.
    Env {
        /// The variable's name (`DVOR_SERVER__BIND`).
        var: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                source,
                line: Some(line),
            } => write!(f, "{source}:{line}"),
            Origin::File { source, line: None } => f.write_str(source),
            Origin::Env { var } => write!(f, "environment variable {var}"),
        }
    }
}

/// One thing wrong with a config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub origin: Origin,
    /// What, naming the key.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// Why a config was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file or the environment holds something wrong; every problem found, one per line.
    #[error("{}", display_problems(.0))]
    Invalid(Vec<Problem>),
}

impl ConfigError {
    /// The problems found (empty for [`ConfigError::Read`]).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid(problems) => problems,
        }
    }
}

fn display_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Spans, paths and lines of a TOML document (shared with the manifest parser)
// ---------------------------------------------------------------------------------------------

/// One step of a key path: a table key or an array index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// `units[2].area`, `plugins.hello.limits`.
pub(crate) fn render_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let bare = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if bare {
                    out.push_str(key);
                } else {
                    out.push_str(&format!("{key:?}"));
                }
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// `[server]`, or `the top level`.
fn render_table(path: &[Seg]) -> String {
    if path.is_empty() {
        "at the top level".into()
    } else {
        format!("in [{}]", render_path(path))
    }
}

/// Byte offsets to 1-based line numbers.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

struct Node {
    key_span: Range<usize>,
    value_span: Range<usize>,
    path: Vec<Seg>,
}

/// Every key and value of a parsed document with its span and path.
pub(crate) struct SpanIndex {
    nodes: Vec<Node>,
}

impl SpanIndex {
    pub(crate) fn build(root: &DeTable<'_>) -> SpanIndex {
        fn walk_table(table: &DeTable<'_>, path: &mut Vec<Seg>, nodes: &mut Vec<Node>) {
            for (key, value) in table.iter() {
                path.push(Seg::Key(key.get_ref().to_string()));
                nodes.push(Node {
                    key_span: key.span(),
                    value_span: value.span(),
                    path: path.clone(),
                });
                walk_value(value.get_ref(), path, nodes);
                path.pop();
            }
        }
        fn walk_value(value: &DeValue<'_>, path: &mut Vec<Seg>, nodes: &mut Vec<Node>) {
            match value {
                DeValue::Table(table) => walk_table(table, path, nodes),
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Seg::Index(i));
                        nodes.push(Node {
                            key_span: item.span(),
                            value_span: item.span(),
                            path: path.clone(),
                        });
                        walk_value(item.get_ref(), path, nodes);
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        let mut nodes = Vec::new();
        walk_table(root, &mut Vec::new(), &mut nodes);
        SpanIndex { nodes }
    }

    /// The path of the key (`true`) or value (`false`) at exactly `span`, else of the deepest
    /// value around it.
    pub(crate) fn path_at(&self, span: &Range<usize>) -> Option<(&[Seg], bool)> {
        if let Some(node) = self
            .nodes
            .iter()
            .find(|n| n.key_span == *span && n.key_span != n.value_span)
        {
            return Some((&node.path, true));
        }
        fn deepest(nodes: Vec<&Node>) -> Option<&Node> {
            nodes.into_iter().max_by_key(|n| n.path.len())
        }
        deepest(
            self.nodes
                .iter()
                .filter(|n| n.value_span == *span)
                .collect(),
        )
        .or_else(|| {
            deepest(
                self.nodes
                    .iter()
                    .filter(|n| n.value_span.contains(&span.start))
                    .collect(),
            )
        })
        .map(|n| (n.path.as_slice(), false))
    }

    /// The line of every key whose key and value both lie before `limit` (the file's end).
    pub(crate) fn lines(&self, lines: &LineIndex, limit: usize) -> KeyLines {
        let mut out = BTreeMap::new();
        for node in &self.nodes {
            if node.key_span.start >= limit || node.value_span.start >= limit {
                continue;
            }
            let key = node
                .path
                .iter()
                .map(|seg| match seg {
                    Seg::Key(k) => k.clone(),
                    Seg::Index(i) => i.to_string(),
                })
                .collect();
            out.entry(key)
                .or_insert_with(|| lines.line(node.key_span.start));
        }
        KeyLines(out)
    }
}

/// The line of each key path in a file (array indices as decimal strings).
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyLines(BTreeMap<Vec<String>, usize>);

impl KeyLines {
    pub(crate) fn get(&self, path: &[&str]) -> Option<usize> {
        let key: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        self.0.get(&key).copied()
    }
}

/// A syntax error's message, with the text it is about when that is short: `duplicate key
/// (at `bind`)`.
pub(crate) fn describe_syntax_error(
    text: &str,
    message: &str,
    span: Option<Range<usize>>,
) -> String {
    let message = message.trim();
    let snippet = span
        .and_then(|s| text.get(s))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.chars().count() <= 40 && !s.contains('\n'));
    match snippet {
        Some(snippet) => format!("{message} (at `{snippet}`)"),
        None => message.to_owned(),
    }
}

/// serde's `expected struct Foo` is `expected a table` to an operator.
fn plain_expectations(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find("expected struct ") {
        out.push_str(&rest[..at]);
        out.push_str("expected a table");
        rest = &rest[at + "expected struct ".len()..];
        rest = rest.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
    }
    out.push_str(rest);
    out
}

/// Turn a deserialization error into a message that names the key:
/// ``unknown key `x` in [server]; expected `bind` `` or `` `server.bind`: invalid type: … ``.
pub(crate) fn describe_de_error(
    message: &str,
    path: Option<(&[Seg], bool)>,
) -> (String, Option<String>) {
    let message = &plain_expectations(message);
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((name, tail)) = rest.split_once('`')
    {
        let table: Vec<Seg> = match path {
            Some((p, true)) => p[..p.len().saturating_sub(1)].to_vec(),
            Some((p, false)) => p.to_vec(),
            None => Vec::new(),
        };
        let tail = tail.strip_prefix(", ").unwrap_or(tail);
        let expected = if tail.is_empty() {
            String::new()
        } else {
            format!("; {tail}")
        };
        let mut full = table.clone();
        full.push(Seg::Key(name.to_owned()));
        return (
            format!("unknown key `{name}` {}{expected}", render_table(&table)),
            Some(render_path(&full)),
        );
    }
    match path {
        Some((p, _)) if !p.is_empty() => {
            let rendered = render_path(p);
            (format!("`{rendered}`: {message}"), Some(rendered))
        }
        _ => (message.to_owned(), None),
    }
}

// ---------------------------------------------------------------------------------------------
// Environment overrides
// ---------------------------------------------------------------------------------------------

/// An applied environment override: the variable and the key path it set.
#[derive(Clone, Debug, PartialEq, Eq)]
struct EnvOverride {
    var: String,
    path: Vec<String>,
}

struct PendingOverride {
    var: String,
    path: Vec<String>,
    raw: String,
}

fn env_overrides(
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<PendingOverride>, ConfigError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (var, raw) in env {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if !rest.contains("__") {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
        if path.iter().any(String::is_empty) {
            problems.push(Problem {
                origin: Origin::Env { var: var.clone() },
                message:
                    "empty key level (use `__` only between key names, e.g. DVOR_SERVER__BIND)"
                        .into(),
            });
            continue;
        }
        out.push(PendingOverride { var, path, raw });
    }
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    out.sort_by(|a, b| a.var.cmp(&b.var));
    Ok(out)
}

/// An override's resolved path as segments (numbers were array indices).
fn env_path(path: &[String]) -> Vec<Seg> {
    path.iter()
        .map(|p| match p.parse() {
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(p.clone()),
        })
        .collect()
}

/// Give a value (and everything in it) one span.
fn respan<'i>(value: DeValue<'i>, span: &Range<usize>) -> DeValue<'i> {
    match value {
        DeValue::Table(table) => DeValue::Table(
            table
                .into_iter()
                .map(|(k, v)| {
                    (
                        Spanned::new(span.clone(), k.into_inner()),
                        Spanned::new(span.clone(), respan(v.into_inner(), span)),
                    )
                })
                .collect(),
        ),
        DeValue::Array(mut items) => {
            for item in items.iter_mut() {
                let inner = std::mem::replace(item.get_mut(), DeValue::Boolean(false));
                *item = Spanned::new(span.clone(), respan(inner, span));
            }
            DeValue::Array(items)
        }
        other => other,
    }
}

/// The key as spelled in the table: itself, or with `_` read as `-` if only that exists.
fn resolve_key(table: &DeTable<'_>, key: &str) -> String {
    if table.contains_key(key) {
        return key.to_owned();
    }
    let dashed = key.replace('_', "-");
    if table.contains_key(dashed.as_str()) {
        dashed
    } else {
        key.to_owned()
    }
}

/// Set `path` under `node` to `value`, creating tables on the way; returns the path as
/// resolved (with `-` where the document spells it so).
fn set_path<'i>(
    node: &mut DeValue<'i>,
    path: &[String],
    value: DeValue<'i>,
    span: &Range<usize>,
    walked: &mut Vec<String>,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *node = value;
        return Ok(());
    };
    let here = |walked: &[String]| {
        if walked.is_empty() {
            "the top level".to_owned()
        } else {
            format!("`{}`", walked.join("."))
        }
    };
    match node {
        DeValue::Table(table) => {
            let key = resolve_key(table, first);
            walked.push(key.clone());
            let child = table
                .entry(Spanned::new(span.clone(), Cow::Owned(key)))
                .or_insert_with(|| Spanned::new(span.clone(), DeValue::Table(DeTable::new())));
            if rest.is_empty() {
                *child = Spanned::new(span.clone(), value);
                return Ok(());
            }
            set_path(child.get_mut(), rest, value, span, walked)
        }
        DeValue::Array(items) => {
            let Ok(index) = first.parse::<usize>() else {
                return Err(format!(
                    "{} is an array; the next level must be an index (0, 1, …), not `{first}`",
                    here(walked)
                ));
            };
            let len = items.len();
            let Some(item) = items.get_mut(index) else {
                return Err(format!(
                    "{} has {len} entries; there is no entry {index}",
                    here(walked)
                ));
            };
            walked.push(index.to_string());
            if rest.is_empty() {
                *item = Spanned::new(span.clone(), value);
                return Ok(());
            }
            set_path(item.get_mut(), rest, value, span, walked)
        }
        other => Err(format!(
            "{} is a {}, it has no key `{first}`",
            here(walked),
            other.type_str()
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

impl Config {
    /// Read and validate a config file, with the process environment's overrides.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::from_str_with_env(&text, &path.display().to_string(), process_env())
    }

    /// The embedded default config, `config/dvor.toml`, with the process environment's
    /// overrides.
    pub fn load_embedded() -> Result<Config, ConfigError> {
        Config::from_str_with_env(EMBEDDED_DEFAULT, EMBEDDED_SOURCE, process_env())
    }

    /// The embedded default config as written, without environment overrides.
    pub fn embedded_default() -> Result<Config, ConfigError> {
        Config::from_str_with_env(EMBEDDED_DEFAULT, EMBEDDED_SOURCE, std::iter::empty())
    }

    /// Parse and validate config text named `source` in messages, with overrides from `env`
    /// (pairs of variable name and value; only `DVOR_…__…` names are looked at).
    pub fn from_str_with_env(
        text: &str,
        source: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let pending = env_overrides(env)?;
        let file_problem = |offset: Option<usize>, message: String| {
            let line = offset.map(|o| LineIndex::new(text).line(o));
            ConfigError::Invalid(vec![Problem {
                origin: Origin::File {
                    source: source.to_owned(),
                    line,
                },
                message,
            }])
        };
        let mut root = DeTable::parse(text).map_err(|e| {
            file_problem(
                e.span().map(|s| s.start),
                describe_syntax_error(text, e.message(), e.span()),
            )
        })?;

        // Overrides get spans past the end of the text, one per variable, so that an error
        // about a value can be traced back to the variable that set it.
        let base = text.len() + 1;
        let mut applied = Vec::new();
        {
            let mut doc = DeValue::Table(std::mem::take(root.get_mut()));
            for (i, o) in pending.iter().enumerate() {
                let span = base + i..base + i + 1;
                let value = match DeValue::parse(&o.raw) {
                    Ok(v) => respan(v.into_inner(), &span),
                    Err(_) => DeValue::String(Cow::Borrowed(o.raw.as_str())),
                };
                let mut walked = Vec::new();
                set_path(&mut doc, &o.path, value, &span, &mut walked).map_err(|message| {
                    ConfigError::Invalid(vec![Problem {
                        origin: Origin::Env { var: o.var.clone() },
                        message,
                    }])
                })?;
                applied.push(EnvOverride {
                    var: o.var.clone(),
                    path: walked,
                });
            }
            if let DeValue::Table(table) = doc {
                *root.get_mut() = table;
            }
        }

        let index = SpanIndex::build(root.get_ref());
        let line_index = LineIndex::new(text);
        let lines = index.lines(&line_index, text.len() + 1);
        let mut config = Config::deserialize(toml::de::Deserializer::from(root)).map_err(|e| {
            let message = e.message().trim();
            let problem = match e.span() {
                Some(span) if span.start >= base => {
                    let o = &applied[(span.start - base).min(applied.len() - 1)];
                    let table_of = |name: &str| -> Vec<Seg> {
                        let at = o.path.iter().position(|p| p == name).unwrap_or(0);
                        env_path(&o.path[..at])
                    };
                    let (message, _) = if let Some(rest) = message.strip_prefix("unknown field `")
                        && let Some((name, _)) = rest.split_once('`')
                    {
                        let table = table_of(name);
                        let mut key = table.clone();
                        key.push(Seg::Key(name.to_owned()));
                        describe_de_error(message, Some((&key, true)))
                    } else {
                        describe_de_error(message, Some((&env_path(&o.path), false)))
                    };
                    Problem {
                        origin: Origin::Env { var: o.var.clone() },
                        message,
                    }
                }
                Some(span) => Problem {
                    origin: Origin::File {
                        source: source.to_owned(),
                        line: Some(line_index.line(span.start)),
                    },
                    message: describe_de_error(message, index.path_at(&span)).0,
                },
                None => Problem {
                    origin: Origin::File {
                        source: source.to_owned(),
                        line: None,
                    },
                    message: message.to_owned(),
                },
            };
            ConfigError::Invalid(vec![problem])
        })?;
        config.source = source.to_owned();
        config.lines = lines;
        config.env = applied;
        let problems = config.validate();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// The 1-based line of a key in the config file, by its path (array indices as decimal
    /// strings): `config.line_of(&["plugins", "hello", "settings", "greeting_ru"])`. `None` if
    /// the key is not in the file, or its value was set by an environment variable.
    pub fn line_of(&self, path: &[&str]) -> Option<usize> {
        if self.env_override_of(path).is_some() {
            return None;
        }
        self.lines.get(path)
    }

    /// Where the value at `path` comes from: the environment variable that set it, or the
    /// file at the line of the key (or of its nearest ancestor in the file).
    pub fn origin_of(&self, path: &[&str]) -> Origin {
        if let Some(var) = self.env_override_of(path) {
            return Origin::Env { var: var.clone() };
        }
        let line = (1..=path.len())
            .rev()
            .find_map(|len| self.lines.get(&path[..len]));
        Origin::File {
            source: self.source.clone(),
            line,
        }
    }

    fn env_override_of(&self, path: &[&str]) -> Option<&String> {
        self.env
            .iter()
            .rev()
            .find(|o| o.path.len() <= path.len() && o.path.iter().zip(path).all(|(a, b)| a == b))
            .map(|o| &o.var)
    }

    /// The database URL: `storage.database_url`, or `sqlite://{data_dir}/dvor.db`.
    pub fn database_url(&self) -> String {
        match &self.storage.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.storage.data_dir.join("dvor.db").display()
            ),
        }
    }

    /// The compiled-plugin cache directory: `runtime.cache_dir`, or `{data_dir}/cache`.
    pub fn cache_dir(&self) -> PathBuf {
        self.runtime
            .cache_dir
            .clone()
            .unwrap_or_else(|| self.storage.data_dir.join("cache"))
    }

    /// The public URL: `instance.public_url`, or `http://{server.bind}` (with `127.0.0.1`
    /// for an unspecified address).
    pub fn public_url(&self) -> String {
        if let Some(url) = &self.instance.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let bind = &self.server.bind;
        let bind = match bind.rsplit_once(':') {
            Some(("0.0.0.0" | "[::]" | "", port)) => format!("127.0.0.1:{port}"),
            _ => bind.clone(),
        };
        format!("http://{bind}")
    }

    /// A community declared in the config, by id.
    pub fn community(&self, id: &str) -> Option<&CommunityConfig> {
        self.communities.iter().find(|c| c.id == id)
    }

    // -----------------------------------------------------------------------------------------
    // Validation
    // -----------------------------------------------------------------------------------------

    fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut report = |path: &[&str], message: String| {
            problems.push(Problem {
                origin: self.origin_of(path),
                message,
            });
        };

        // [instance]
        if self.instance.name.trim().is_empty() {
            report(
                &["instance", "name"],
                "`instance.name` must not be empty".into(),
            );
        }
        if !is_timezone_name(&self.instance.timezone) {
            report(
                &["instance", "timezone"],
                format!(
                    "`instance.timezone` must be an IANA time zone name such as `Europe/Moscow`, got `{}`",
                    self.instance.timezone
                ),
            );
        }
        if !matches!(self.instance.default_locale.as_str(), "ru" | "en") {
            report(
                &["instance", "default_locale"],
                format!(
                    "`instance.default_locale` must be `ru` or `en`, got `{}`",
                    self.instance.default_locale
                ),
            );
        }
        if let Some(url) = &self.instance.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            report(
                &["instance", "public_url"],
                format!("`instance.public_url` must start with http:// or https://, got `{url}`"),
            );
        }

        // [server], [storage]
        if !is_host_port(&self.server.bind, true) {
            report(
                &["server", "bind"],
                format!(
                    "`server.bind` must be `host:port` such as `127.0.0.1:8080`, got `{}`",
                    self.server.bind
                ),
            );
        }
        if let Some(url) = &self.storage.database_url {
            let ok = ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| url.starts_with(p));
            if !ok {
                report(
                    &["storage", "database_url"],
                    "`storage.database_url` must start with sqlite:, postgres:// or postgresql://"
                        .into(),
                );
            }
        }

        // [runtime], [events], [scheduler]
        let at_least_one: [(&[&str], u64); 8] = [
            (
                &["runtime", "max_instances"],
                self.runtime.max_instances.into(),
            ),
            (
                &["runtime", "limits", "memory_mb"],
                self.runtime.limits.memory_mb,
            ),
            (
                &["runtime", "limits", "deadline_ms"],
                self.runtime.limits.deadline_ms,
            ),
            (&["events", "max_attempts"], self.events.max_attempts.into()),
            (&["events", "backoff_base_ms"], self.events.backoff_base_ms),
            (
                &["events", "poll_interval_ms"],
                self.events.poll_interval_ms,
            ),
            (&["scheduler", "lease_ms"], self.scheduler.lease_ms),
            (&["scheduler", "tick_ms"], self.scheduler.tick_ms),
        ];
        for (path, value) in at_least_one {
            if value == 0 {
                report(path, format!("`{}` must be at least 1", path.join(".")));
            }
        }
        if self.runtime.limits.memory_mb > MAX_MEMORY_MB {
            report(
                &["runtime", "limits", "memory_mb"],
                format!(
                    "`runtime.limits.memory_mb` must be at most {MAX_MEMORY_MB} (a 32-bit WebAssembly memory)"
                ),
            );
        }
        if self.events.backoff_max_ms < self.events.backoff_base_ms {
            report(
                &["events", "backoff_max_ms"],
                "`events.backoff_max_ms` must not be less than `events.backoff_base_ms`".into(),
            );
        }

        // [[communities]]
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, community) in self.communities.iter().enumerate() {
            let n = i.to_string();
            if !is_community_id(&community.id) {
                report(
                    &["communities", &n, "id"],
                    format!(
                        "`communities[{i}].id`: `{}` is not a community id ([a-z0-9][a-z0-9-]{{0,62}}: lower-case latin letters, digits and dashes)",
                        community.id
                    ),
                );
            }
            if let Some(first) = ids.insert(&community.id, i) {
                report(
                    &["communities", &n, "id"],
                    format!(
                        "`communities[{i}].id`: `{}` is already the id of communities[{first}]",
                        community.id
                    ),
                );
            }
            if community.name.trim().is_empty() {
                report(
                    &["communities", &n, "name"],
                    format!("`communities[{i}].name` must not be empty"),
                );
            }
        }
        for (i, community) in self.communities.iter().enumerate() {
            let n = i.to_string();
            let Some(parent) = &community.parent else {
                continue;
            };
            if !ids.contains_key(parent.as_str()) {
                report(
                    &["communities", &n, "parent"],
                    format!(
                        "`communities[{i}].parent`: community `{}` has parent `{parent}`, which is not declared in [[communities]]",
                        community.id
                    ),
                );
            }
        }
        for cycle in parent_cycles(&self.communities) {
            let i = ids[cycle[0].as_str()];
            let n = i.to_string();
            report(
                &["communities", &n, "parent"],
                format!(
                    "`communities[{i}].parent`: the communities {} are each other's parents (a cycle)",
                    cycle
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
            );
        }

        // [[units]]
        let mut units: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (i, unit) in self.units.iter().enumerate() {
            let n = i.to_string();
            if !ids.contains_key(unit.community.as_str()) {
                report(
                    &["units", &n, "community"],
                    format!(
                        "`units[{i}].community`: `{}` is not declared in [[communities]]",
                        unit.community
                    ),
                );
            }
            if unit.number.trim().is_empty() || unit.number.contains('/') {
                report(
                    &["units", &n, "number"],
                    format!(
                        "`units[{i}].number` must be non-empty and contain no `/`, got `{}`",
                        unit.number
                    ),
                );
            }
            if let Some(first) = units.insert((&unit.community, &unit.number), i) {
                report(
                    &["units", &n, "number"],
                    format!(
                        "`units[{i}]`: unit `{}` of `{}` is already declared as units[{first}]",
                        unit.number, unit.community
                    ),
                );
            }
        }

        // [plugins.*]
        for (id, plugin) in &self.plugins {
            let key = |rest: &[&'static str]| -> Vec<String> {
                ["plugins", id.as_str()]
                    .iter()
                    .chain(rest)
                    .map(|s| (*s).to_owned())
                    .collect()
            };
            let mut at = |rest: &[&'static str], message: String| {
                let path = key(rest);
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                report(&path, format!("plugin `{id}`: {message}"));
            };
            if !crate::manifest::is_plugin_id(id) {
                at(
                    &[],
                    "not a plugin id ([a-z][a-z0-9-]*, at most 63 characters)".into(),
                );
            }
            if plugin.enabled_for.is_empty() {
                at(
                    &["enabled_for"],
                    "`enabled_for` is empty; list the community subtrees it runs in".into(),
                );
            }
            for community in &plugin.enabled_for {
                if !ids.contains_key(community.as_str()) {
                    at(
                        &["enabled_for"],
                        format!("`enabled_for`: `{community}` is not declared in [[communities]]"),
                    );
                }
            }
            if let Some(digest) = &plugin.sha256
                && (digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                at(
                    &["sha256"],
                    format!(
                        "`sha256`: `{digest}` is not a SHA-256 digest (64 hexadecimal digits, as `sha256sum` prints them)"
                    ),
                );
            }
            let g = &plugin.grants;
            for name in &g.collections {
                if !crate::manifest::is_name(name) {
                    at(
                        &["grants", "collections"],
                        format!(
                            "`grants.collections`: `{name}` is not a collection name ([a-z][a-z0-9_]*)"
                        ),
                    );
                }
            }
            for (field, kinds) in [("emits", &g.emits), ("consumes", &g.consumes)] {
                for kind in kinds {
                    if !crate::manifest::is_event_kind(kind) {
                        at(
                            &["grants", field],
                            format!(
                                "`grants.{field}`: `{kind}` is not an event kind (lower-case words joined by dots, e.g. `appeal.created`)"
                            ),
                        );
                    }
                }
            }
            for host in &g.outbound_hosts {
                if !is_host_port(host, false) {
                    at(
                        &["grants", "outbound_hosts"],
                        format!("`grants.outbound_hosts`: `{host}` is not `host` or `host:port`"),
                    );
                }
            }
            for job in &g.schedules {
                if !crate::manifest::is_name(job) {
                    at(
                        &["grants", "schedules"],
                        format!("`grants.schedules`: `{job}` is not a job name ([a-z][a-z0-9_]*)"),
                    );
                }
            }
            let limits = &plugin.limits;
            if limits.memory_mb == Some(0) || limits.memory_mb.is_some_and(|m| m > MAX_MEMORY_MB) {
                at(
                    &["limits", "memory_mb"],
                    format!("`limits.memory_mb` must be between 1 and {MAX_MEMORY_MB}"),
                );
            }
            if limits.deadline_ms == Some(0) {
                at(
                    &["limits", "deadline_ms"],
                    "`limits.deadline_ms` must be at least 1".into(),
                );
            }
        }
        // [identity], [notifications], [[organizations]]
        for (path, message) in crate::identity::config::validate(
            &self.identity,
            &self.notifications,
            &self.organizations,
            |id| self.community(id).is_some(),
        ) {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            report(&path, message);
        }

        problems
    }
}

/// The largest memory a plugin may be given, in MiB (4 GiB: a 32-bit WebAssembly memory).
pub const MAX_MEMORY_MB: u64 = 4096;

fn process_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// `[a-z0-9][a-z0-9-]{0,62}`.
pub fn is_community_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// A plausible IANA name (`Europe/Moscow`, `UTC`, `America/Argentina/Buenos_Aires`); the
/// zone database itself is not consulted.
fn is_timezone_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part.starts_with(|c: char| c.is_ascii_alphabetic())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

/// `host:port` (port required if `need_port`), host a name, IPv4 or `[IPv6]`.
fn is_host_port(text: &str, need_port: bool) -> bool {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, tail)) if v6.parse::<std::net::Ipv6Addr>().is_ok() => {
                match tail.strip_prefix(':') {
                    Some(port) => (None, Some(port)),
                    None if tail.is_empty() => (None, None),
                    None => return false,
                }
            }
            _ => return false,
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(text), None),
        }
    };
    let host_ok = host.is_none_or(|h| {
        !h.is_empty()
            && h.len() <= 253
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    });
    let port_ok = match port {
        Some(p) => p.parse::<u16>().is_ok(),
        None => !need_port,
    };
    host_ok && port_ok
}

/// Cycles among declared parents, each as the ids along it (reported once per cycle).
fn parent_cycles(communities: &[CommunityConfig]) -> Vec<Vec<String>> {
    let parent: BTreeMap<&str, &str> = communities
        .iter()
        .filter_map(|c| c.parent.as_deref().map(|p| (c.id.as_str(), p)))
        .collect();
    let mut seen_in_cycle: BTreeSet<&str> = BTreeSet::new();
    let mut cycles = Vec::new();
    for community in communities {
        let mut trail: Vec<&str> = vec![community.id.as_str()];
        let mut current = community.id.as_str();
        while let Some(&next) = parent.get(current) {
            if let Some(pos) = trail.iter().position(|&t| t == next) {
                let cycle = &trail[pos..];
                if cycle.iter().all(|c| !seen_in_cycle.contains(c)) {
                    seen_in_cycle.extend(cycle.iter().copied());
                    let mut ids: Vec<String> = cycle.iter().map(|s| (*s).to_owned()).collect();
                    ids.push(next.to_owned());
                    cycles.push(ids);
                }
                break;
            }
            trail.push(next);
            current = next;
        }
    }
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[instance]
name = "Тест"

[server]
bind = "127.0.0.1:9000"

[[communities]]
id = "town"
name = "Город"
kind = "settlement"

[[communities]]
id = "house-1"
name = "Дом 1"
kind = "house"
parent = "town"

[[units]]
community = "house-1"
number = "12"
kind = "apartment"
area = "54.3"

[plugins.hello]
enabled_for = ["town"]
[plugins.hello.grants]
collections = ["notes"]
[plugins.hello.settings]
greeting_ru = "Здравствуйте"
"#;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn parse(text: &str, pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_str_with_env(text, "test.toml", env(pairs))
    }

    fn error(text: &str, pairs: &[(&str, &str)]) -> String {
        parse(text, pairs).expect_err("should fail").to_string()
    }

    #[test]
    fn minimal_config_parses_with_defaults() {
        let config = parse(MINIMAL, &[]).unwrap();
        assert_eq!(config.server.bind, "127.0.0.1:9000");
        assert_eq!(config.instance.timezone, "Europe/Moscow");
        assert_eq!(config.database_url(), "sqlite://data/dvor.db");
        assert_eq!(config.cache_dir(), PathBuf::from("data/cache"));
        assert_eq!(config.public_url(), "http://127.0.0.1:9000");
        assert_eq!(config.runtime.limits, LimitsConfig::default());
        assert_eq!(config.units[0].area.centi_m2, 5430);
        assert_eq!(config.units[0].id(), "house-1/12");
        assert_eq!(config.communities[1].kind, CommunityKind::House);
        assert_eq!(config.line_of(&["server", "bind"]), Some(6));
        assert_eq!(config.line_of(&["units", "0", "area"]), Some(23));
        assert_eq!(
            config.line_of(&["plugins", "hello", "settings", "greeting_ru"]),
            Some(30)
        );
        let granted = CapabilitySet::from(&config.plugins["hello"].grants);
        assert!(granted.collections.contains("notes"));
    }

    #[test]
    fn env_overrides_change_keys() {
        let config = parse(
            MINIMAL,
            &[
                ("DVOR_SERVER__BIND", "0.0.0.0:80"),
                ("DVOR_STORAGE__DATABASE_URL", "postgres://dvor@db/dvor"),
                ("DVOR_PLUGINS__HELLO__LIMITS__DEADLINE_MS", "2000"),
                ("DVOR_RUNTIME__POOLING", "false"),
                (
                    "DVOR_PLUGINS__HELLO__GRANTS__EMITS",
                    r#"["hello.note_added"]"#,
                ),
                ("DVOR_COMMUNITIES__1__NAME", "Дом номер один"),
                ("DVOR_CONFIG", "ignored.toml"),
                ("HOME", "/root"),
            ],
        )
        .unwrap();
        assert_eq!(config.server.bind, "0.0.0.0:80");
        assert_eq!(config.database_url(), "postgres://dvor@db/dvor");
        assert_eq!(config.plugins["hello"].limits.deadline_ms, Some(2000));
        assert!(!config.runtime.pooling);
        assert_eq!(config.plugins["hello"].grants.emits, ["hello.note_added"]);
        assert_eq!(config.communities[1].name, "Дом номер один");
        assert_eq!(config.public_url(), "http://127.0.0.1:80");
        // A key set from the environment has no line in the file.
        assert_eq!(config.line_of(&["server", "bind"]), None);
        assert_eq!(
            config.origin_of(&["server", "bind"]).to_string(),
            "environment variable DVOR_SERVER__BIND"
        );
    }

    #[test]
    fn env_override_with_dashed_key() {
        let text = MINIMAL.replace("[plugins.hello", "[plugins.people-control");
        let config = parse(
            &text,
            &[("DVOR_PLUGINS__PEOPLE_CONTROL__LIMITS__FUEL", "1000")],
        )
        .unwrap();
        assert_eq!(config.plugins["people-control"].limits.fuel, Some(1000));
    }

    #[test]
    fn unknown_key_in_file_names_key_and_line() {
        let text = MINIMAL.replace("bind = ", "bindd = ");
        let message = error(&text, &[]);
        assert_eq!(
            message,
            "test.toml:6: unknown key `bindd` in [server]; expected `bind`"
        );
        let text = MINIMAL.replace("collections = [\"notes\"]", "colections = []");
        let message = error(&text, &[]);
        assert!(
            message.starts_with(
                "test.toml:28: unknown key `colections` in [plugins.hello.grants]; expected one of"
            ),
            "{message}"
        );
    }

    #[test]
    fn unknown_env_key_names_variable() {
        let message = error(MINIMAL, &[("DVOR_SERVER__BINDD", "0.0.0.0:80")]);
        assert_eq!(
            message,
            "environment variable DVOR_SERVER__BINDD: unknown key `bindd` in [server]; expected `bind`"
        );
        let message = error(MINIMAL, &[("DVOR_SERVR__BIND", "0.0.0.0:80")]);
        assert!(
            message.starts_with(
                "environment variable DVOR_SERVR__BIND: unknown key `servr` at the top level"
            ),
            "{message}"
        );
        let message = error(MINIMAL, &[("DVOR_SERVER__BIND__X", "1")]);
        assert!(
            message.starts_with(
                "environment variable DVOR_SERVER__BIND__X: `server.bind` is a string"
            ),
            "{message}"
        );
    }

    #[test]
    fn env_value_of_wrong_type_names_variable() {
        let message = error(MINIMAL, &[("DVOR_RUNTIME__LIMITS__MEMORY_MB", "lots")]);
        assert!(
            message.starts_with(
                "environment variable DVOR_RUNTIME__LIMITS__MEMORY_MB: `runtime.limits.memory_mb`: invalid type: string"
            ),
            "{message}"
        );
        let message = error(MINIMAL, &[("DVOR_SERVER__BIND", "nonsense")]);
        assert!(
            message.starts_with("environment variable DVOR_SERVER__BIND: `server.bind` must be"),
            "{message}"
        );
    }

    #[test]
    fn wrong_types_and_values_name_the_key_and_line() {
        let message = error(&MINIMAL.replace("area = \"54.3\"", "area = 54.3"), &[]);
        assert!(
            message.starts_with("test.toml:23: `units[0].area`: invalid type: floating point"),
            "{message}"
        );
        let message = error(&MINIMAL.replace("area = \"54.3\"", "area = \"54,3\""), &[]);
        assert!(
            message.starts_with("test.toml:23: `units[0].area`: invalid value"),
            "{message}"
        );
        let message = error(
            &MINIMAL.replace("kind = \"house\"", "kind = \"tower\""),
            &[],
        );
        assert!(
            message.starts_with("test.toml:16: `communities[1].kind`: unknown variant `tower`"),
            "{message}"
        );
        let message = error("[instance]\nname = 1\n", &[]);
        assert!(
            message.starts_with("test.toml:2: `instance.name`: invalid type: integer"),
            "{message}"
        );
        let message = error("[instance]\nname = \n", &[]);
        assert!(message.starts_with("test.toml:2: "), "{message}");
    }

    #[test]
    fn area_parsing() {
        let area = |s: &str| Area::parse(s).map(|a| a.centi_m2);
        assert_eq!(area("54.3"), Some(5430));
        assert_eq!(area("600"), Some(60000));
        assert_eq!(area("12.05"), Some(1205));
        assert_eq!(area("0.5"), Some(50));
        for bad in [
            "", "54.", ".5", "54.345", "-1", "1e3", "54,3", " 54", "１２",
        ] {
            assert_eq!(area(bad), None, "{bad}");
        }
        assert_eq!(Area { centi_m2: 5430 }.to_string(), "54.30");
    }

    #[test]
    fn cross_references_are_checked() {
        let text = MINIMAL.replace("parent = \"town\"", "parent = \"nowhere\"");
        let message = error(&text, &[]);
        assert!(
            message.contains("test.toml:17: `communities[1].parent`: community `house-1` has parent `nowhere`, which is not declared"),
            "{message}"
        );
        let text = MINIMAL.replace("community = \"house-1\"", "community = \"house-2\"");
        assert!(error(&text, &[]).contains("test.toml:20: `units[0].community`: `house-2`"));
        let text = MINIMAL.replace("enabled_for = [\"town\"]", "enabled_for = [\"city\"]");
        assert!(
            error(&text, &[])
                .contains("test.toml:26: plugin `hello`: `enabled_for`: `city` is not declared")
        );
        let text = MINIMAL.replace("id = \"town\"", "id = \"Town\"");
        assert!(error(&text, &[]).contains("test.toml:9: `communities[0].id`: `Town`"));
        let text = format!(
            "{MINIMAL}\n[[communities]]\nid = \"a\"\nname = \"A\"\nkind = \"yard\"\nparent = \"b\"\n\n[[communities]]\nid = \"b\"\nname = \"B\"\nkind = \"yard\"\nparent = \"a\"\n"
        );
        let message = error(&text, &[]);
        assert!(message.contains("a cycle"), "{message}");
        let text = format!(
            "{MINIMAL}\n[[units]]\ncommunity = \"house-1\"\nnumber = \"12\"\nkind = \"apartment\"\narea = \"1\"\n"
        );
        assert!(error(&text, &[]).contains("already declared"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let message = error("[instance]\nname = \"x\"\n[server\n", &[]);
        assert!(message.starts_with("test.toml:3: "), "{message}");
    }

    #[test]
    fn shipped_configs_parse() {
        let config = Config::embedded_default().unwrap();
        assert_eq!(config.instance.name, "Демо-город");
        assert_eq!(config.server.bind, "127.0.0.1:8080");
        assert!(config.plugins.contains_key("hello"));
        assert!(config.plugins.contains_key("housing"));
        assert_eq!(config.plugins.len(), 9, "only bundled plugins in dvor.toml");
        let house = config
            .units
            .iter()
            .find(|u| u.community == "demo-house-1" && u.number == "12")
            .unwrap();
        assert_eq!(house.area.centi_m2, 5430);

        for (name, text) in [
            (
                "region.toml",
                include_str!("../../config/examples/region.toml"),
            ),
            ("snt.toml", include_str!("../../config/examples/snt.toml")),
        ] {
            let config = Config::from_str_with_env(text, name, std::iter::empty())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!config.communities.is_empty(), "{name}");
        }
        let snt = Config::from_str_with_env(
            include_str!("../../config/examples/snt.toml"),
            "snt.toml",
            std::iter::empty(),
        )
        .unwrap();
        let plugins: Vec<&str> = snt.plugins.keys().map(String::as_str).collect();
        assert_eq!(plugins, ["coop", "meetings", "snt"]);
    }

    #[test]
    fn host_port_checks() {
        assert!(is_host_port("127.0.0.1:8080", true));
        assert!(is_host_port("[::]:80", true));
        assert!(is_host_port("localhost:80", true));
        assert!(!is_host_port("localhost", true));
        assert!(is_host_port("api.example.org", false));
        assert!(is_host_port("api.example.org:8443", false));
        assert!(!is_host_port("https://api.example.org", false));
        assert!(!is_host_port("host:99999", false));
    }
}

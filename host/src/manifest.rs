//! Plugin manifests (`dvor-plugin.toml`, embedded in the component and handed to the host as
//! text by the plugin's `manifest` export), and the checks that hang off them: the settings
//! in the instance config against the manifest's settings schema, and the operator's grants
//! against what the manifest asks for.
//!
//! A manifest the host cannot understand is refused: unknown keys, wrong types, malformed
//! ids, versions, event kinds or cron expressions, collections asked for but not declared (or
//! declared but not asked for), default values that do not match their declared type. Every
//! error names the field and its line in the manifest.
//!
//! ```toml
//! id = "hello"                 # [a-z][a-z0-9-]*
//! name = { ru = "Привет", en = "Hello" }
//! version = "0.1.0"            # semver
//! contract = "0.1.0"           # the dvor:plugin contract version it was built against
//! description = { ru = "…", en = "…" }   # optional
//! [capabilities]               # every key optional
//! collections = ["notes"]
//! emits = ["hello.note_added"]
//! consumes = ["hello.note_added"]
//! outbound_hosts = []
//! notifications = false
//! files = false
//! [[collections]]
//! name = "notes"
//! indexes = [{ field = "author", type = "text" }, { field = "created", type = "integer" }]
//! [[schedules]]
//! job = "tidy"
//! cron = "0 */5 * * * *"       # sec min hour day-of-month month day-of-week
//! [access]                     # optional: what callers who are not signed in may do
//! anonymous_api = ["POST notes"]        # "METHOD route", `*` inside a segment, a last `**`
//! anonymous_actions = ["add-note"]      # "action" or "action route"
//! [settings.greeting_ru]
//! type = "string"              # string | integer | boolean | array | object
//! default = "Привет"
//! description = "…"            # optional
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr as _;

use serde::Deserialize;
use toml::de::DeTable;

use crate::config::{LineIndex, Seg, SpanIndex, describe_de_error, render_path};
use crate::runtime::capabilities::CapabilitySet;

/// A plugin's manifest.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The plugin's id, `[a-z][a-z0-9-]*`; the instance config refers to it by this.
    pub id: String,
    /// Its name in Russian and English.
    pub name: LocalizedText,
    /// Its own version.
    pub version: semver::Version,
    /// The contract version it was built against.
    pub contract: semver::Version,
    /// What it does.
    #[serde(default)]
    pub description: Option<LocalizedText>,
    /// `[capabilities]`: what it asks the operator for.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// `[[collections]]`: its storage collections and their indexed fields.
    #[serde(default)]
    pub collections: Vec<CollectionDecl>,
    /// `[[schedules]]`: its scheduled jobs.
    #[serde(default)]
    pub schedules: Vec<Schedule>,
    /// `[settings.<key>]`: the schema of its settings.
    #[serde(default)]
    pub settings: SettingsSchema,
    /// `[access]`: what callers who are not signed in may do besides reading.
    #[serde(default)]
    pub access: crate::access::Access,
}

/// A text in Russian (required) and English (may be empty: the Russian is shown then).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LocalizedText {
    /// Russian.
    pub ru: String,
    /// English.
    #[serde(default)]
    pub en: String,
}

/// `[capabilities]`: the plugin's key of the two-key capability model.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Storage collections it uses (each declared in `[[collections]]`).
    #[serde(default)]
    pub collections: Vec<String>,
    /// Event kinds it emits.
    #[serde(default)]
    pub emits: Vec<String>,
    /// Event kinds it consumes.
    #[serde(default)]
    pub consumes: Vec<String>,
    /// Outbound hosts, `host` or `host:port`.
    #[serde(default)]
    pub outbound_hosts: Vec<String>,
    /// Whether it sends notifications.
    #[serde(default)]
    pub notifications: bool,
    /// Whether it stores files.
    #[serde(default)]
    pub files: bool,
    /// Whether it publishes live updates.
    #[serde(default)]
    pub live: bool,
}

/// `[[collections]]`: one storage collection.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CollectionDecl {
    /// `[a-z][a-z0-9_]*`.
    pub name: String,
    /// Its indexed fields.
    #[serde(default)]
    pub indexes: Vec<IndexDecl>,
}

/// One indexed field of a collection.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IndexDecl {
    /// The document field, `[a-z][a-z0-9_]*`; not `id` or `community` (the host's own).
    pub field: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: IndexType,
}

/// The type of an indexed field.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IndexType {
    /// A string.
    Text,
    /// A 64-bit integer.
    Integer,
    /// A boolean.
    Boolean,
}

/// `[[schedules]]`: one scheduled job.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The job's name, `[a-z][a-z0-9_]*`; the operator grants it by this name.
    pub job: String,
    /// When it runs: 6 fields, `sec min hour day-of-month month day-of-week` (UTC). Without
    /// one, the job runs only when the plugin asks for a run (`jobs.request`).
    #[serde(default)]
    pub cron: Option<String>,
    /// What people call it ("Выгрузка должников"), in the notification of a finished run.
    #[serde(default)]
    pub title: Option<LocalizedText>,
}

/// The settings schema: setting key → its spec.
pub type SettingsSchema = BTreeMap<String, SettingSpec>;

/// `[settings.<key>]`: one setting.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SettingSpec {
    /// Its type.
    #[serde(rename = "type")]
    pub kind: SettingType,
    /// Its value when the config does not set it; without one, the config must.
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// What it means, for the operator.
    #[serde(default)]
    pub description: Option<String>,
}

/// The type of a setting.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SettingType {
    /// A string.
    String,
    /// A 64-bit integer.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// An array of anything.
    Array,
    /// A table (a JSON object for the plugin).
    Object,
}

impl SettingType {
    /// `a string`, `an integer`, … for messages.
    pub fn described(self) -> &'static str {
        match self {
            SettingType::String => "a string",
            SettingType::Integer => "an integer",
            SettingType::Boolean => "a boolean",
            SettingType::Array => "an array",
            SettingType::Object => "a table",
        }
    }

    /// Whether a TOML value is of this type.
    pub fn matches(self, value: &toml::Value) -> bool {
        matches!(
            (self, value),
            (SettingType::String, toml::Value::String(_))
                | (SettingType::Integer, toml::Value::Integer(_))
                | (SettingType::Boolean, toml::Value::Boolean(_))
                | (SettingType::Array, toml::Value::Array(_))
                | (SettingType::Object, toml::Value::Table(_))
        )
    }
}

/// `a string`, `a float`, … of a TOML value, for messages.
fn describe_value(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date-time",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// One thing wrong with a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestProblem {
    /// The field, `collections[0].indexes[1].type`; empty for the document as a whole.
    pub field: String,
    /// The 1-based line in the manifest text.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a manifest was refused: every problem found. The plugin's id is not part of the
/// message (the manifest may not have a readable one); the loader names the plugin.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ManifestError {
    /// The problems, in the order found.
    pub problems: Vec<ManifestProblem>,
}

impl Manifest {
    /// Parse and check a manifest.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let lines = LineIndex::new(text);
        let root = DeTable::parse(text).map_err(|e| ManifestError {
            problems: vec![ManifestProblem {
                field: String::new(),
                line: e.span().map(|s| lines.line(s.start)),
                message: crate::config::describe_syntax_error(text, e.message(), e.span()),
            }],
        })?;
        let index = SpanIndex::build(root.get_ref());
        let key_lines = index.lines(&lines, text.len() + 1);
        let manifest = Manifest::deserialize(toml::de::Deserializer::from(root)).map_err(|e| {
            let path = e.span().and_then(|s| index.path_at(&s));
            let (message, field) = describe_de_error(e.message().trim(), path);
            ManifestError {
                problems: vec![ManifestProblem {
                    field: field.unwrap_or_default(),
                    line: e.span().map(|s| lines.line(s.start)),
                    message,
                }],
            }
        })?;
        let problems = manifest.check();
        if problems.is_empty() {
            return Ok(manifest);
        }
        Err(ManifestError {
            problems: problems
                .into_iter()
                .map(|(path, message)| {
                    let line = (1..=path.len()).rev().find_map(|len| {
                        let keys: Vec<String> = path[..len]
                            .iter()
                            .map(|s| match s {
                                Seg::Key(k) => k.clone(),
                                Seg::Index(i) => i.to_string(),
                            })
                            .collect();
                        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                        key_lines.get(&keys)
                    });
                    ManifestProblem {
                        field: render_path(&path),
                        line,
                        message: format!("`{}`: {message}", render_path(&path)),
                    }
                })
                .collect(),
        })
    }

    /// Semantic checks; each problem with the path of its field.
    fn check(&self) -> Vec<(Vec<Seg>, String)> {
        let mut problems = Vec::new();
        let key = |k: &str| Seg::Key(k.to_owned());
        let mut report = |path: Vec<Seg>, message: String| problems.push((path, message));

        if !is_plugin_id(&self.id) {
            report(
                vec![key("id")],
                format!(
                    "`{}` is not a plugin id ([a-z][a-z0-9-]*, at most 63 characters)",
                    self.id
                ),
            );
        }
        if self.name.ru.trim().is_empty() {
            report(
                vec![key("name"), key("ru")],
                "the Russian name must not be empty".into(),
            );
        }

        let caps = &self.capabilities;
        let capability =
            |field: &str, i: usize| vec![key("capabilities"), key(field), Seg::Index(i)];
        for (i, name) in caps.collections.iter().enumerate() {
            if !is_name(name) {
                report(
                    capability("collections", i),
                    format!("`{name}` is not a collection name ([a-z][a-z0-9_]*)"),
                );
            }
        }
        for field in ["emits", "consumes"] {
            let kinds = if field == "emits" {
                &caps.emits
            } else {
                &caps.consumes
            };
            for (i, kind) in kinds.iter().enumerate() {
                if !is_event_kind(kind) {
                    report(
                        capability(field, i),
                        format!(
                            "`{kind}` is not an event kind (lower-case words joined by dots, e.g. `appeal.created`)"
                        ),
                    );
                }
            }
        }
        for (i, host) in caps.outbound_hosts.iter().enumerate() {
            if !is_outbound_host(host) {
                report(
                    capability("outbound_hosts", i),
                    format!("`{host}` is not `host`, `host:port` or `*`"),
                );
            }
        }

        let asked: BTreeSet<&str> = caps.collections.iter().map(String::as_str).collect();
        let mut declared: BTreeSet<&str> = BTreeSet::new();
        for (i, collection) in self.collections.iter().enumerate() {
            let at = |rest: &[Seg]| {
                let mut path = vec![key("collections"), Seg::Index(i)];
                path.extend_from_slice(rest);
                path
            };
            if !is_name(&collection.name) {
                report(
                    at(&[key("name")]),
                    format!(
                        "`{}` is not a collection name ([a-z][a-z0-9_]*)",
                        collection.name
                    ),
                );
            }
            if !declared.insert(&collection.name) {
                report(
                    at(&[key("name")]),
                    format!("collection `{}` is declared twice", collection.name),
                );
            }
            if !asked.contains(collection.name.as_str()) {
                report(
                    at(&[key("name")]),
                    format!(
                        "collection `{}` is declared but not listed in capabilities.collections",
                        collection.name
                    ),
                );
            }
            let mut fields = BTreeSet::new();
            for (j, index) in collection.indexes.iter().enumerate() {
                let path = at(&[key("indexes"), Seg::Index(j), key("field")]);
                if matches!(index.field.as_str(), "id" | "community") {
                    report(
                        path,
                        format!(
                            "`{}` is the host's own field and cannot be declared as an index",
                            index.field
                        ),
                    );
                } else if !is_name(&index.field) {
                    report(
                        path,
                        format!("`{}` is not a field name ([a-z][a-z0-9_]*)", index.field),
                    );
                } else if !fields.insert(index.field.as_str()) {
                    report(
                        path,
                        format!(
                            "field `{}` is indexed twice in collection `{}`",
                            index.field, collection.name
                        ),
                    );
                }
            }
        }
        for (i, name) in caps.collections.iter().enumerate() {
            if !declared.contains(name.as_str()) {
                report(
                    capability("collections", i),
                    format!(
                        "collection `{name}` has no [[collections]] entry declaring its indexes"
                    ),
                );
            }
        }

        let mut jobs = BTreeSet::new();
        for (i, schedule) in self.schedules.iter().enumerate() {
            let at = |field: &str| vec![key("schedules"), Seg::Index(i), key(field)];
            if !is_name(&schedule.job) {
                report(
                    at("job"),
                    format!("`{}` is not a job name ([a-z][a-z0-9_]*)", schedule.job),
                );
            }
            if !jobs.insert(schedule.job.as_str()) {
                report(
                    at("job"),
                    format!("job `{}` is declared twice", schedule.job),
                );
            }
            if let Some(Err(message)) = schedule.cron.as_deref().map(check_cron) {
                report(at("cron"), message);
            }
        }

        for (field, i, message) in self.access.problems() {
            report(vec![key("access"), key(field), Seg::Index(i)], message);
        }

        for (name, spec) in &self.settings {
            let at = |field: Option<&str>| {
                let mut path = vec![key("settings"), key(name)];
                path.extend(field.map(key));
                path
            };
            if !is_name(name) {
                report(
                    at(None),
                    format!("`{name}` is not a setting name ([a-z][a-z0-9_]*)"),
                );
            }
            if let Some(default) = &spec.default
                && !spec.kind.matches(default)
            {
                report(
                    at(Some("default")),
                    format!(
                        "the default must be {}, got {}",
                        spec.kind.described(),
                        describe_value(default)
                    ),
                );
            }
        }
        problems
    }

    /// What the manifest asks for, as a capability set (schedules by job name).
    pub fn requested_capabilities(&self) -> CapabilitySet {
        let set = |items: &[String]| items.iter().cloned().collect();
        let caps = &self.capabilities;
        CapabilitySet {
            collections: set(&caps.collections),
            emits: set(&caps.emits),
            consumes: set(&caps.consumes),
            outbound_hosts: set(&caps.outbound_hosts),
            schedules: self.schedules.iter().map(|s| s.job.clone()).collect(),
            notifications: caps.notifications,
            files: caps.files,
            live: caps.live,
        }
    }

    /// The plugin's name in `locale` (`en` falls back to Russian if there is no English).
    pub fn name_in(&self, locale: &str) -> &str {
        if locale == "en" && !self.name.en.is_empty() {
            &self.name.en
        } else {
            &self.name.ru
        }
    }
}

/// A 6-field cron expression the `cron` crate understands (or one of its `@daily`-style
/// shorthands).
fn check_cron(expression: &str) -> Result<(), String> {
    let fields = expression.split_whitespace().count();
    if !expression.trim_start().starts_with('@') && fields != 6 {
        return Err(format!(
            "`{expression}` has {fields} fields; a cron expression here has 6: sec min hour day-of-month month day-of-week (e.g. `0 */5 * * * *`)"
        ));
    }
    cron::Schedule::from_str(expression)
        .map(|_| ())
        .map_err(|e| format!("`{expression}` is not a valid cron expression: {e}"))
}

/// `[a-z][a-z0-9-]*`, at most 63 characters.
pub fn is_plugin_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// `[a-z][a-z0-9_]*`, at most 63 characters: collection, field, job and setting names.
pub fn is_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// At least two [`is_name`] words joined by dots: `appeal.created`, `hello.note_added`.
pub fn is_event_kind(kind: &str) -> bool {
    kind.len() <= 127 && kind.split('.').count() >= 2 && kind.split('.').all(is_name)
}

/// `host`, `host:port`, or `*` (the hosts the operator grants).
fn is_outbound_host(text: &str) -> bool {
    if text == crate::runtime::capabilities::ANY_HOST {
        return true;
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && port.is_none_or(|p| p.parse::<u16>().is_ok())
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/// Why a plugin's settings in the config were refused: one line per problem, each naming the
/// config file and line, the plugin and the setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.problems.join("\n"))]
pub struct SettingsError {
    /// The problems, each a complete message.
    pub problems: Vec<String>,
}

/// Check a plugin's `[plugins.<id>.settings]` against its manifest's schema and return the
/// settings the plugin sees: a JSON object of the defaults overlaid with the given values.
///
/// `line_of` gives the config line of a setting key (see [`crate::config::Config::line_of`]);
/// `source` is the config file's name.
pub fn validate_settings(
    plugin_id: &str,
    schema: &SettingsSchema,
    given: Option<&toml::Table>,
    line_of: impl Fn(&str) -> Option<usize>,
    source: &str,
) -> Result<serde_json::Value, SettingsError> {
    let at = |key: &str| match line_of(key) {
        Some(line) => format!("{source}:{line}: plugin `{plugin_id}`"),
        None => format!("{source}: plugin `{plugin_id}`"),
    };
    let mut problems = Vec::new();
    let mut out = serde_json::Map::new();
    let empty = toml::Table::new();
    let given = given.unwrap_or(&empty);

    for (key, value) in given {
        match schema.get(key) {
            None => {
                let known = if schema.is_empty() {
                    "the plugin has no settings".to_owned()
                } else {
                    format!(
                        "known: {}",
                        schema.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                };
                problems.push(format!(
                    "{}: setting `{key}` is not in the plugin's settings ({known})",
                    at(key)
                ));
            }
            Some(spec) if !spec.kind.matches(value) => problems.push(format!(
                "{}: setting `{key}` must be {}, got {}",
                at(key),
                spec.kind.described(),
                describe_value(value)
            )),
            Some(_) => {
                out.insert(key.clone(), to_json(value));
            }
        }
    }
    for (key, spec) in schema {
        if given.contains_key(key) {
            continue;
        }
        match &spec.default {
            Some(default) => {
                out.insert(key.clone(), to_json(default));
            }
            None => problems.push(format!(
                "{}: setting `{key}` has no default; set it in [plugins.{plugin_id}.settings]",
                at(key)
            )),
        }
    }
    if problems.is_empty() {
        Ok(serde_json::Value::Object(out))
    } else {
        Err(SettingsError { problems })
    }
}

/// A TOML value as JSON (date-times as their TOML text, non-finite floats as null).
pub fn to_json(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(table) => {
            serde_json::Value::Object(table.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// Grants the manifest does not ask for: harmless (the capability stays unused), but likely a
/// typo in the config, so they are logged and `dvor plugin check` names them.
pub fn check_grants(manifest: &Manifest, granted: &CapabilitySet) -> Vec<String> {
    gaps(&granted.clone(), &manifest.requested_capabilities())
        .into_iter()
        .map(|(what, item)| match item {
            Some(item) => format!(
                "plugin `{}`: the config grants {what} `{item}`, which its manifest does not ask for",
                manifest.id
            ),
            None => format!(
                "plugin `{}`: the config grants {what}, which its manifest does not ask for",
                manifest.id
            ),
        })
        .collect()
}

/// Capabilities the manifest asks for that the config does not grant: calls using them will
/// be denied. `dvor config check`, `dvor plugin check`, `dvor plugins` and the start-up log
/// name each.
pub fn ungranted(manifest: &Manifest, granted: &CapabilitySet) -> Vec<String> {
    let requested = manifest.requested_capabilities();
    let mut out: Vec<String> = gaps(&requested, granted)
        .into_iter()
        .map(|(what, item)| match item {
            Some(item) => format!(
                "plugin `{}`: its manifest asks for {what} `{item}`, which the config does not grant",
                manifest.id
            ),
            None => format!(
                "plugin `{}`: its manifest asks for {what}, which the config does not grant",
                manifest.id
            ),
        })
        .collect();
    let any_host = crate::runtime::capabilities::ANY_HOST;
    if requested.outbound_hosts.contains(any_host)
        && granted.outbound_hosts.iter().all(|h| h == any_host)
    {
        out.push(format!(
            "plugin `{}`: its manifest asks for the outbound hosts the operator names (`*`), and the config names none in grants.outbound_hosts",
            manifest.id
        ));
    }
    out
}

/// What `asked` has that `given` does not: `(what, Some(item))` for named capabilities,
/// `(what, None)` for switches.
fn gaps(asked: &CapabilitySet, given: &CapabilitySet) -> Vec<(&'static str, Option<String>)> {
    let mut out = Vec::new();
    let lists = [
        ("collection", &asked.collections, &given.collections),
        ("emitted event", &asked.emits, &given.emits),
        ("consumed event", &asked.consumes, &given.consumes),
        ("schedule", &asked.schedules, &given.schedules),
    ];
    for (what, asked, given) in lists {
        out.extend(
            asked
                .difference(given)
                .map(|item| (what, Some(item.clone()))),
        );
    }
    out.extend(
        crate::runtime::capabilities::hosts_not_covered(
            &asked.outbound_hosts,
            &given.outbound_hosts,
        )
        .map(|host| ("outbound host", Some(host.clone()))),
    );
    for (what, asked, given) in [
        ("notifications", asked.notifications, given.notifications),
        ("files", asked.files, given.files),
        ("live updates", asked.live, given.live),
    ] {
        if asked && !given {
            out.push((what, None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &str = r#"id = "hello"
name = { ru = "Привет", en = "Hello" }
version = "0.1.0"
contract = "0.1.0"
description = { ru = "Пример", en = "An example" }

[capabilities]
collections = ["notes", "echoes", "stats"]
emits = ["hello.note_added"]
consumes = ["hello.note_added"]

[[collections]]
name = "notes"
indexes = [{ field = "author", type = "text" }, { field = "created", type = "integer" }]

[[collections]]
name = "echoes"

[[collections]]
name = "stats"
indexes = [{ field = "day", type = "text" }]

[[schedules]]
job = "tidy"
cron = "0 */5 * * * *"

[settings.greeting_ru]
type = "string"
default = "Привет"
description = "Приветствие"

[settings.greeting_en]
type = "string"
default = "Hello"

[settings.max_note_length]
type = "integer"
default = 500
"#;

    fn problems(text: &str) -> String {
        Manifest::parse(text).expect_err("should fail").to_string()
    }

    #[test]
    fn hello_manifest_parses() {
        let manifest = Manifest::parse(HELLO).unwrap();
        assert_eq!(manifest.id, "hello");
        assert_eq!(manifest.version, semver::Version::new(0, 1, 0));
        assert_eq!(manifest.collections[0].indexes[1].kind, IndexType::Integer);
        assert_eq!(manifest.schedules[0].job, "tidy");
        assert_eq!(manifest.name_in("en"), "Hello");
        let requested = manifest.requested_capabilities();
        assert!(requested.schedules.contains("tidy"));
        assert!(requested.collections.contains("stats"));
    }

    #[test]
    fn the_loaders_bootstrap_manifest_parses() {
        let text = "id = \"loading\"\nname = { ru = \"-\", en = \"-\" }\nversion = \"0.0.0\"\ncontract = \"0.1.0\"\n";
        Manifest::parse(text).unwrap();
    }

    #[test]
    fn unknown_fields_and_bad_types_name_the_field_and_line() {
        let message = problems(&HELLO.replace("[capabilities]", "[capabilities]\nnotify = true"));
        assert!(
            message.starts_with("line 8: unknown key `notify` in [capabilities]; expected one of"),
            "{message}"
        );
        let message = problems(&HELLO.replace("type = \"text\"", "type = \"txt\""));
        assert!(
            message.starts_with("line 14: `collections[0].indexes[0].type`: unknown variant `txt`"),
            "{message}"
        );
        let message = problems(&HELLO.replace("version = \"0.1.0\"", "version = \"1.0\""));
        assert!(message.starts_with("line 3: `version`: "), "{message}");
        let message = problems(&HELLO.replace("id = \"hello\"\n", ""));
        assert!(message.contains("missing field `id`"), "{message}");
    }

    #[test]
    fn semantic_checks() {
        let message = problems(&HELLO.replace("id = \"hello\"", "id = \"Hello_1\""));
        assert_eq!(
            message,
            "line 1: `id`: `Hello_1` is not a plugin id ([a-z][a-z0-9-]*, at most 63 characters)"
        );
        let message = problems(&HELLO.replace("\"echoes\", ", ""));
        assert!(
            message.contains(
                "line 17: `collections[1].name`: collection `echoes` is declared but not listed"
            ),
            "{message}"
        );
        let message = problems(&HELLO.replace("name = \"echoes\"", "name = \"echos\""));
        assert!(
            message.contains("collection `echoes` has no [[collections]] entry"),
            "{message}"
        );
        assert!(
            message.contains("collection `echos` is declared but not listed"),
            "{message}"
        );
        let message = problems(&HELLO.replace("field = \"author\"", "field = \"community\""));
        assert!(message.contains("the host's own field"), "{message}");
        let message = problems(&HELLO.replace("field = \"created\"", "field = \"author\""));
        assert!(message.contains("indexed twice"), "{message}");
        let message =
            problems(&HELLO.replace("emits = [\"hello.note_added\"]", "emits = [\"noteAdded\"]"));
        assert!(
            message.contains("`capabilities.emits[0]`: `noteAdded` is not an event kind"),
            "{message}"
        );
        let message = problems(&HELLO.replace("0 */5 * * * *", "*/5 * * * *"));
        assert!(
            message.contains("line 25: `schedules[0].cron`: `*/5 * * * *` has 5 fields"),
            "{message}"
        );
        let message = problems(&HELLO.replace("0 */5 * * * *", "0 */5 * * * blah"));
        assert!(message.contains("not a valid cron expression"), "{message}");
        let message = problems(&HELLO.replace("default = 500", "default = \"500\""));
        assert!(
            message.contains("line 38: `settings.max_note_length.default`: the default must be an integer, got a string"),
            "{message}"
        );
    }

    #[test]
    fn access_declarations_are_checked_and_name_the_entry() {
        let open = format!(
            "{HELLO}\n[access]\nanonymous_api = [\"POST notes\"]\nanonymous_actions = [\"add-note\"]\n"
        );
        let manifest = Manifest::parse(&open).unwrap();
        assert!(manifest.access.lets_anonymous_call("POST", "notes"));
        assert!(!manifest.access.lets_anonymous_call("DELETE", "notes"));
        assert!(manifest.access.lets_anonymous_act("", "add-note"));
        assert!(
            !Manifest::parse(HELLO)
                .unwrap()
                .access
                .lets_anonymous_act("", "add-note")
        );

        let message = problems(&format!(
            "{HELLO}\n[access]\nanonymous_api = [\"POST notes\", \"post notes\"]\n"
        ));
        assert!(
            message.contains(
                "line 41: `access.anonymous_api[1]`: `post notes` does not start with a method"
            ),
            "{message}"
        );
        let message = problems(&format!("{HELLO}\n[access]\nanonymous = []\n"));
        assert!(message.contains("unknown key `anonymous`"), "{message}");
    }

    fn schema() -> SettingsSchema {
        Manifest::parse(HELLO).unwrap().settings
    }

    #[test]
    fn settings_are_defaults_overlaid_with_config() {
        let given: toml::Table = toml::from_str("greeting_ru = \"Здравствуйте\"").unwrap();
        let value =
            validate_settings("hello", &schema(), Some(&given), |_| None, "x.toml").unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "greeting_ru": "Здравствуйте",
                "greeting_en": "Hello",
                "max_note_length": 500,
            })
        );
        let value = validate_settings("hello", &schema(), None, |_| None, "x.toml").unwrap();
        assert_eq!(value["greeting_ru"], "Привет");
    }

    #[test]
    fn settings_errors_name_plugin_key_and_line() {
        let config = crate::config::Config::from_str_with_env(
            r#"[instance]
name = "Тест"

[[communities]]
id = "town"
name = "Город"
kind = "settlement"

[plugins.hello]
enabled_for = ["town"]

[plugins.hello.settings]
greeting_ru = "Здравствуйте"
max_note_lenght = 10
"#,
            "config/dvor.toml",
            std::iter::empty(),
        )
        .unwrap();
        let check = |config: &crate::config::Config| {
            validate_settings(
                "hello",
                &schema(),
                config.plugins["hello"].settings.as_ref(),
                |key| config.line_of(&["plugins", "hello", "settings", key]),
                &config.source,
            )
            .expect_err("should fail")
            .to_string()
        };
        assert_eq!(
            check(&config),
            "config/dvor.toml:14: plugin `hello`: setting `max_note_lenght` is not in the plugin's settings (known: greeting_en, greeting_ru, max_note_length)"
        );

        let mut config = config;
        let settings = config
            .plugins
            .get_mut("hello")
            .unwrap()
            .settings
            .as_mut()
            .unwrap();
        settings.remove("max_note_lenght");
        settings.insert("max_note_length".into(), toml::Value::String("10".into()));
        assert_eq!(
            check(&config),
            "config/dvor.toml: plugin `hello`: setting `max_note_length` must be an integer, got a string"
        );
    }

    #[test]
    fn settings_wrong_type_with_line() {
        let text = "[instance]\nname = \"x\"\n[[communities]]\nid = \"t\"\nname = \"T\"\nkind = \"yard\"\n[plugins.hello]\nenabled_for = [\"t\"]\nsettings = { max_note_length = \"10\" }\n";
        let config =
            crate::config::Config::from_str_with_env(text, "c.toml", std::iter::empty()).unwrap();
        let error = validate_settings(
            "hello",
            &schema(),
            config.plugins["hello"].settings.as_ref(),
            |key| config.line_of(&["plugins", "hello", "settings", key]),
            &config.source,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "c.toml:9: plugin `hello`: setting `max_note_length` must be an integer, got a string"
        );
    }

    #[test]
    fn required_setting_without_default() {
        let mut schema = schema();
        schema.get_mut("greeting_en").unwrap().default = None;
        let error = validate_settings("hello", &schema, None, |_| None, "c.toml").unwrap_err();
        assert_eq!(
            error.to_string(),
            "c.toml: plugin `hello`: setting `greeting_en` has no default; set it in [plugins.hello.settings]"
        );
    }

    #[test]
    fn grants_not_asked_for_are_warned_about() {
        let manifest = Manifest::parse(HELLO).unwrap();
        let granted = CapabilitySet {
            collections: ["notes".to_owned(), "secrets".to_owned()].into(),
            schedules: ["tidy".to_owned()].into(),
            notifications: true,
            ..Default::default()
        };
        let warnings = check_grants(&manifest, &granted);
        assert_eq!(
            warnings,
            [
                "plugin `hello`: the config grants collection `secrets`, which its manifest does not ask for",
                "plugin `hello`: the config grants notifications, which its manifest does not ask for",
            ]
        );
        let missing = ungranted(&manifest, &granted);
        assert!(missing.iter().any(|m| m.contains("collection `echoes`")));
    }

    #[test]
    fn every_ungranted_capability_is_named_and_a_narrowed_host_is_not_a_gap() {
        let text = HELLO.replace(
            "consumes = [\"hello.note_added\"]",
            "consumes = [\"hello.note_added\"]\noutbound_hosts = [\"pay.example.org\", \"geo.example.org\"]\nlive = true\nfiles = true",
        );
        let manifest = Manifest::parse(&text).unwrap();
        let granted = CapabilitySet {
            collections: ["notes".to_owned(), "echoes".to_owned(), "stats".to_owned()].into(),
            emits: ["hello.note_added".to_owned()].into(),
            consumes: ["hello.note_added".to_owned()].into(),
            schedules: ["tidy".to_owned()].into(),
            outbound_hosts: [
                "pay.example.org:8443".to_owned(),
                "mail.example.org".to_owned(),
            ]
            .into(),
            files: true,
            ..Default::default()
        };
        assert_eq!(
            ungranted(&manifest, &granted),
            [
                "plugin `hello`: its manifest asks for outbound host `geo.example.org`, which the config does not grant",
                "plugin `hello`: its manifest asks for live updates, which the config does not grant",
            ]
        );
        assert_eq!(
            check_grants(&manifest, &granted),
            [
                "plugin `hello`: the config grants outbound host `mail.example.org`, which its manifest does not ask for"
            ]
        );
        let any = Manifest::parse(&HELLO.replace(
            "consumes = [\"hello.note_added\"]",
            "consumes = [\"hello.note_added\"]\noutbound_hosts = [\"*\"]",
        ))
        .unwrap();
        assert!(
            ungranted(&any, &granted).is_empty(),
            "`*` takes the hosts the operator names"
        );
        assert!(
            ungranted(
                &any,
                &CapabilitySet {
                    outbound_hosts: Default::default(),
                    ..granted.clone()
                }
            )
            .iter()
            .any(|gap| gap.contains("names none"))
        );
    }
}

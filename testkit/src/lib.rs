//! The dvor plugin test kit: ordinary `cargo test`s that run a plugin's compiled component in a
//! real dvor runtime — the same storage, scopes, capabilities, transactions, limits and page
//! renderer as an instance — on an in-memory database, with the places, people, roles, clock
//! and callers a test chooses, and no HTTP or config file.
//!
//! ```no_run
//! use dvor_testkit::{Setup, this_plugin};
//!
//! #[test]
//! fn a_resident_adds_a_note() {
//!     let mut host = Setup::new()
//!         .plugin(this_plugin!())
//!         .place("town", "Город", "settlement", None)
//!         .place("house-1", "Дом 1", "house", Some("town"))
//!         .unit("house-1", "12", "apartment", "54.3")
//!         .now("2026-12-01T10:00:00+03:00")
//!         .start();
//!     let anna = host.person("Анна Петрова").resident("house-1").owns("house-1/12").create();
//!     let added = host.at("house-1").by(&anna).submit("", "add-note", &[("text", "Привет")]);
//!     assert_eq!(added.notice(), Some("Заметка добавлена"));
//!     let page = host.at("house-1").page("");
//!     assert!(page.shows("Анна Петрова"));
//! }
//! ```
//!
//! The runtime is the `dvor` binary's (`dvor plugin test-host`): the kit finds it in `DVOR_BIN`,
//! else on `PATH`. The component is built by [`this_plugin!`] (`cargo build --target
//! wasm32-wasip2 --release` of the crate under test), unless `DVOR_PLUGIN_DIR` names a
//! directory where it is built already.
#![deny(missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// The component of the crate the test is in: built now unless `DVOR_PLUGIN_DIR` has it.
#[macro_export]
macro_rules! this_plugin {
    () => {
        $crate::Wasm::of_crate(env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"))
    };
}

/// A plugin component to load.
#[derive(Clone, Debug)]
pub struct Wasm(PathBuf);

impl Wasm {
    /// A component file.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Wasm(path.into())
    }

    /// The component of crate `name` at `manifest_dir`: from `DVOR_PLUGIN_DIR` if it is there,
    /// else built with cargo for `wasm32-wasip2` (release) and taken from its target directory.
    pub fn of_crate(manifest_dir: &str, name: &str) -> Self {
        let file = format!("{}.wasm", name.replace('-', "_"));
        if let Some(dir) = std::env::var_os("DVOR_PLUGIN_DIR") {
            let path = PathBuf::from(dir).join(&file);
            if path.exists() {
                return Wasm(path);
            }
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(&cargo)
            .args(["build", "--target", "wasm32-wasip2", "--release", "--quiet"])
            .arg("--manifest-path")
            .arg(Path::new(manifest_dir).join("Cargo.toml"))
            .status()
            .unwrap_or_else(|e| panic!("dvor-testkit: cannot run cargo to build the plugin: {e}"));
        assert!(
            status.success(),
            "dvor-testkit: building the plugin for wasm32-wasip2 failed (is the target installed? \
             `rustup target add wasm32-wasip2`)"
        );
        let target = target_dir(Path::new(manifest_dir));
        let path = target.join("wasm32-wasip2/release").join(&file);
        assert!(
            path.exists(),
            "dvor-testkit: cargo built the plugin but {} is not there",
            path.display()
        );
        Wasm(path)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// The target directory cargo builds the crate at `dir` into.
fn target_dir(dir: &Path) -> PathBuf {
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target);
    }
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(dir)
        .output();
    if let Ok(output) = output
        && let Ok(meta) = serde_json::from_slice::<Value>(&output.stdout)
        && let Some(target) = meta["target_directory"].as_str()
    {
        return PathBuf::from(target);
    }
    dir.join("target")
}

/// What the test instance is: its plugins, places, units, organizations and clock.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    plugins: Vec<Value>,
    communities: Vec<Value>,
    units: Vec<Value>,
    organizations: Vec<Value>,
    now: Option<String>,
    timezone: Option<String>,
}

impl Setup {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Load a plugin, enabled at every root place and granted everything its manifest asks for.
    pub fn plugin(self, wasm: Wasm) -> Self {
        self.plugin_with(wasm, json!({}))
    }

    /// Load a plugin with `options`: any of `enabled_for` (place ids), `grants` (as in an
    /// instance config's `[plugins.ID.grants]`), `settings`, `limits`.
    pub fn plugin_with(mut self, wasm: Wasm, options: Value) -> Self {
        let mut spec = json!({ "wasm": wasm.path().display().to_string() });
        if let (Some(spec), Some(options)) = (spec.as_object_mut(), options.as_object()) {
            for (k, v) in options {
                spec.insert(k.clone(), v.clone());
            }
        }
        self.plugins.push(spec);
        self
    }

    /// A place: its id, name, kind (`settlement`, `house`, `snt`, …) and parent.
    pub fn place(mut self, id: &str, name: &str, kind: &str, parent: Option<&str>) -> Self {
        let mut place = json!({ "id": id, "name": name, "kind": kind });
        if let Some(parent) = parent {
            place["parent"] = parent.into();
        }
        self.communities.push(place);
        self
    }

    /// A place with every field an instance config's `[[communities]]` takes.
    pub fn place_with(mut self, place: Value) -> Self {
        self.communities.push(place);
        self
    }

    /// A unit of a place: its number, kind (`apartment`, `plot`, `non-residential`) and area in
    /// m² as text (`"54.3"`).
    pub fn unit(mut self, community: &str, number: &str, kind: &str, area: &str) -> Self {
        self.units
            .push(json!({ "community": community, "number": number, "kind": kind, "area": area }));
        self
    }

    /// A unit with every field an instance config's `[[units]]` takes (entrance, floor, …).
    pub fn unit_with(mut self, unit: Value) -> Self {
        self.units.push(unit);
        self
    }

    /// An organization serving places: a management company, a supplier, a business…
    pub fn organization(mut self, id: &str, name: &str, kind: &str, serves: &[&str]) -> Self {
        self.organizations
            .push(json!({ "id": id, "name": name, "kind": kind, "serves": serves }));
        self
    }

    /// Stop the clock of calls at an RFC 3339 time (it stays there until the test moves it).
    pub fn now(mut self, rfc3339: &str) -> Self {
        self.now = Some(rfc3339.to_owned());
        self
    }

    /// The instance's time zone (IANA; `Europe/Moscow` by default).
    pub fn timezone(mut self, zone: &str) -> Self {
        self.timezone = Some(zone.to_owned());
        self
    }

    /// Start the test host. Panics with the host's words if a plugin does not load.
    pub fn start(self) -> TestHost {
        let mut host = TestHost::spawn();
        let mut start = json!({
            "op": "start",
            "plugins": self.plugins,
            "communities": self.communities,
            "units": self.units,
            "organizations": self.organizations,
        });
        if let Some(now) = self.now {
            start["now"] = now.into();
        }
        if let Some(zone) = self.timezone {
            start["timezone"] = zone.into();
        }
        let started = host.request(start);
        host.plugin = started["plugins"][0]["id"].as_str().map(str::to_owned);
        host.plugins = started["plugins"].clone();
        host
    }
}

/// A running test host: one in-memory instance, ended when this is dropped.
pub struct TestHost {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    plugin: Option<String>,
    plugins: Value,
}

impl std::fmt::Debug for TestHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHost")
            .field("plugins", &self.plugins)
            .finish_non_exhaustive()
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `dvor` binary the kit runs: `DVOR_BIN`, else `dvor` on `PATH`.
fn dvor_binary() -> PathBuf {
    std::env::var_os("DVOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("dvor"))
}

impl TestHost {
    fn spawn() -> TestHost {
        let binary = dvor_binary();
        let mut child = Command::new(&binary)
            .args(["plugin", "test-host"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "dvor-testkit: cannot start `{} plugin test-host`: {e} (install dvor, or point \
                     DVOR_BIN at its binary)",
                    binary.display()
                )
            });
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        TestHost {
            child,
            stdin,
            stdout,
            plugin: None,
            plugins: Value::Null,
        }
    }

    /// Send one request and read its answer: the `ok` value, or a panic with the host's error.
    pub fn request(&mut self, request: Value) -> Value {
        match self.try_request(request.clone()) {
            Ok(value) => value,
            Err(error) => panic!("dvor test host refused {request}: {error}"),
        }
    }

    /// Send one request: `Ok(value)` or `Err(the error object)`.
    pub fn try_request(&mut self, request: Value) -> Result<Value, Value> {
        writeln!(self.stdin, "{request}").expect("the test host reads its input");
        self.stdin.flush().expect("the test host reads its input");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("the test host answers");
        assert!(!line.is_empty(), "the test host ended (see its log above)");
        let mut answer: Value = serde_json::from_str(&line).expect("the test host answers JSON");
        match answer.get_mut("ok") {
            Some(ok) => Ok(ok.take()),
            None => Err(answer["error"].take()),
        }
    }

    /// The loaded plugins: id, version, contract.
    pub fn plugins(&self) -> &Value {
        &self.plugins
    }

    /// Start making a person.
    pub fn person(&mut self, name: &str) -> PersonBuilder<'_> {
        PersonBuilder {
            host: self,
            spec: json!({ "op": "person", "name": name, "roles": [], "owns": [] }),
        }
    }

    /// Calls at `community`, to the first plugin loaded (another with [`Call::plugin`]).
    pub fn at(&mut self, community: &str) -> Call<'_> {
        let plugin = self.plugin.clone().unwrap_or_default();
        Call {
            host: self,
            plugin,
            community: community.to_owned(),
            caller: None,
            locale: "ru".into(),
        }
    }

    /// Deliver every due event to the plugins that consume it; how many deliveries ran.
    pub fn deliver_events(&mut self) -> u64 {
        self.request(json!({ "op": "deliver" }))["delivered"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Every event emitted so far, oldest first: `kind`, `source`, `community`, `actor`,
    /// `payload`.
    pub fn events(&mut self) -> Vec<Value> {
        self.request(json!({ "op": "events" }))["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The payloads of the events of `kind`, oldest first.
    pub fn events_of(&mut self, kind: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["kind"] == kind)
            .map(|mut e| e["payload"].take())
            .collect()
    }

    /// A person's notifications, newest first: `title`, `body` (Russian), `title_en`,
    /// `body_en`, `link`, `urgency`.
    pub fn inbox(&mut self, person: &Person) -> Vec<Value> {
        self.request(json!({ "op": "inbox", "person": person.id }))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Run job `job` of the first plugin for `community` from its first chunk to its last;
    /// answers each chunk's step (`cursor`, `progress`, `output`).
    pub fn run_job(&mut self, job: &str, community: &str) -> Value {
        let plugin = self.plugin.clone().unwrap_or_default();
        self.request(
            json!({ "op": "run_job", "plugin": plugin, "job": job, "community": community }),
        )
    }

    /// Run the job runs plugins asked for (`jobs.request`); how many chunks ran.
    pub fn run_requested(&mut self) -> u64 {
        self.request(json!({ "op": "run_requested" }))["chunks"]
            .as_u64()
            .unwrap_or(0)
    }

    /// The live updates published on `channel` of the first plugin at `community`: `mode`,
    /// `text` (what a follower's page shows), `html`, `data`.
    pub fn live(&mut self, community: &str, channel: &str) -> Vec<Value> {
        let plugin = self.plugin.clone().unwrap_or_default();
        self.request(
            json!({ "op": "live", "plugin": plugin, "community": community, "channel": channel }),
        )
        .as_array()
        .cloned()
        .unwrap_or_default()
    }

    /// Stop the clock at an RFC 3339 time.
    pub fn set_clock(&mut self, rfc3339: &str) {
        self.request(json!({ "op": "clock", "set": rfc3339 }));
    }

    /// Move the stopped clock on.
    pub fn advance(&mut self, by: std::time::Duration) {
        self.request(json!({ "op": "clock", "advance_ms": by.as_millis() as i64 }));
    }
}

/// A person being made: their roles and what they own.
pub struct PersonBuilder<'h> {
    host: &'h mut TestHost,
    spec: Value,
}

impl PersonBuilder<'_> {
    /// The phone number (`+79001234567`).
    pub fn phone(mut self, phone: &str) -> Self {
        self.spec["phone"] = phone.into();
        self
    }

    /// A role in a place (`resident`, `moderator`, `official`, `chairman`, …).
    pub fn role(mut self, role: &str, community: &str) -> Self {
        if let Some(roles) = self.spec["roles"].as_array_mut() {
            roles.push(json!({ "role": role, "community": community }));
        }
        self
    }

    /// A staff role in an organization (`operator`, `executor`, …).
    pub fn staff(mut self, role: &str, organization: &str) -> Self {
        if let Some(roles) = self.spec["roles"].as_array_mut() {
            roles.push(json!({ "role": role, "organization": organization }));
        }
        self
    }

    /// The instance's admin.
    pub fn admin(mut self) -> Self {
        if let Some(roles) = self.spec["roles"].as_array_mut() {
            roles.push(json!({ "role": "admin" }));
        }
        self
    }

    /// A resident of a place.
    pub fn resident(self, community: &str) -> Self {
        self.role("resident", community)
    }

    /// The verified sole owner of a unit (`house-1/12`).
    pub fn owns(self, unit: &str) -> Self {
        self.owns_share(unit, (1, 1), true)
    }

    /// An owner of a share of a unit, verified or not.
    pub fn owns_share(mut self, unit: &str, share: (u32, u32), verified: bool) -> Self {
        if let Some(owns) = self.spec["owns"].as_array_mut() {
            owns.push(json!({ "unit": unit, "share": [share.0, share.1], "verified": verified }));
        }
        self
    }

    /// Make them.
    pub fn create(self) -> Person {
        let name = self.spec["name"].as_str().unwrap_or_default().to_owned();
        let made = self.host.request(self.spec);
        Person {
            id: made["id"].as_str().unwrap_or_default().to_owned(),
            name,
        }
    }
}

/// A person of the test instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Their id, as plugins see it.
    pub id: String,
    /// Their name.
    pub name: String,
}

/// One call being made: where, by whom, in which language.
pub struct Call<'h> {
    host: &'h mut TestHost,
    plugin: String,
    community: String,
    caller: Option<String>,
    locale: String,
}

impl Call<'_> {
    /// To another loaded plugin.
    pub fn plugin(mut self, id: &str) -> Self {
        self.plugin = id.to_owned();
        self
    }

    /// Signed in as `person`.
    pub fn by(mut self, person: &Person) -> Self {
        self.caller = Some(person.id.clone());
        self
    }

    /// In English.
    pub fn english(mut self) -> Self {
        self.locale = "en".into();
        self
    }

    fn send(self, what: &str, body: Value) -> Result<Value, Value> {
        let mut request = json!({
            "op": "call",
            "plugin": self.plugin,
            "community": self.community,
            "locale": self.locale,
        });
        if let Some(caller) = self.caller {
            request["as"] = caller.into();
        }
        request[what] = body;
        self.host.try_request(request)
    }

    fn api(self, method: &str, path: &str, json: Option<Value>) -> Answer {
        let mut api = json!({ "method": method, "path": path });
        if let Some(json) = json {
            api["json"] = json;
        }
        let answer = self.send("api", api).unwrap_or_else(|e| panic!("{e}"));
        match answer.get("error") {
            Some(error) => Answer {
                status: error["status"].as_u64().unwrap_or(500) as u16,
                json: json!({ "error": error }),
                body: error.to_string(),
            },
            None => Answer {
                status: answer["status"].as_u64().unwrap_or(0) as u16,
                body: answer["body"].as_str().unwrap_or_default().to_owned(),
                json: answer["json"].clone(),
            },
        }
    }

    /// `GET path` (with its query) of the plugin's API.
    pub fn get(self, path: &str) -> Answer {
        self.api("GET", path, None)
    }

    /// `POST path` with a JSON body.
    pub fn post(self, path: &str, body: Value) -> Answer {
        self.api("POST", path, Some(body))
    }

    /// `PUT path` with a JSON body.
    pub fn put(self, path: &str, body: Value) -> Answer {
        self.api("PUT", path, Some(body))
    }

    /// `DELETE path`.
    pub fn delete(self, path: &str) -> Answer {
        self.api("DELETE", path, None)
    }

    /// The page at `route` as a person sees it.
    pub fn page(self, route: &str) -> PageView {
        let answer = self
            .send("page", json!({ "route": route }))
            .unwrap_or_else(|e| panic!("{e}"));
        PageView::from_answer(answer)
    }

    /// Fill in the form (or press the button) of `action` on the page at `route`, as a person
    /// would: `values` are what they type, by field name; the page's own values stand for the
    /// rest.
    pub fn submit(self, route: &str, action: &str, values: &[(&str, &str)]) -> Outcome {
        let values: Vec<[&str; 2]> = values.iter().map(|(k, v)| [*k, *v]).collect();
        let answer = self
            .send(
                "action",
                json!({ "route": route, "action": action, "values": values }),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        Outcome::from_answer(answer)
    }

    /// The plugin's tile for the place's home page (`person = false`) or the caller's own home.
    pub fn tile(self, person: bool) -> Option<Value> {
        let place = if person { "person" } else { "community" };
        let answer = self
            .send("summary", place.into())
            .unwrap_or_else(|e| panic!("{e}"));
        match answer.get("error") {
            Some(error) => panic!("the tile failed: {error}"),
            None => Some(answer["tile"].clone()).filter(|t| !t.is_null()),
        }
    }

    /// Whether the caller may follow live `channel`.
    pub fn may_follow(self, channel: &str) -> bool {
        let answer = self
            .send("subscribe", channel.into())
            .unwrap_or_else(|e| panic!("{e}"));
        answer.get("allowed").is_some()
    }
}

/// An API answer as an HTTP client would see it.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The body as JSON (null when it is not JSON); errors are `{"error": {code, message,
    /// field}}`.
    pub json: Value,
    /// The body as text.
    pub body: String,
}

impl Answer {
    /// The field an error names.
    pub fn field(&self) -> Option<&str> {
        self.json["error"]["field"].as_str()
    }
}

/// A page as drawn for a person.
#[derive(Clone, Debug)]
pub struct PageView {
    /// The title.
    pub title: String,
    /// Everything a person reads on it, one space between words (money and dates formatted).
    pub text: String,
    /// The page's HTML body as the host draws it.
    pub html: String,
    /// The plugin's tree (`ui.page`) as JSON.
    pub tree: Value,
    /// When the page could not be drawn: the host's error (`status`, `code`, `message`).
    pub error: Option<Value>,
}

impl PageView {
    fn from_answer(answer: Value) -> Self {
        if let Some(error) = answer.get("error") {
            return PageView {
                title: String::new(),
                text: String::new(),
                html: String::new(),
                tree: Value::Null,
                error: Some(error.clone()),
            };
        }
        let page = &answer["page"];
        PageView {
            title: page["title"].as_str().unwrap_or_default().to_owned(),
            text: page["text"].as_str().unwrap_or_default().to_owned(),
            html: page["html"].as_str().unwrap_or_default().to_owned(),
            tree: page["tree"].clone(),
            error: None,
        }
    }

    /// Whether the page shows `text` (a non-breaking space matches a space).
    pub fn shows(&self, text: &str) -> bool {
        self.text
            .replace('\u{a0}', " ")
            .contains(&text.replace('\u{a0}', " "))
    }

    /// The status the host would answer instead of the page (401, 403, 404…), if any.
    pub fn status(&self) -> u16 {
        self.error
            .as_ref()
            .and_then(|e| e["status"].as_u64())
            .map_or(200, |s| s as u16)
    }

    /// Whether the page has a form posting `action`.
    pub fn has_form(&self, action: &str) -> bool {
        self.tree["sections"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["blocks"].as_array().into_iter().flatten())
            .any(|b| b["Form"]["action"] == action)
    }
}

/// What followed a form or a button.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Went to a plugin page, with a notice.
    Redirect {
        /// The page's route.
        route: String,
        /// The notice shown there.
        notice: Option<String>,
    },
    /// The form came back with errors next to its fields: `(field, message)`.
    Invalid(Vec<(String, String)>),
    /// A page was shown.
    Page(PageView),
    /// The host refused it (`status`, `code`, `message`, `field`).
    Refused(Value),
}

impl Outcome {
    fn from_answer(answer: Value) -> Self {
        if let Some(r) = answer.get("redirect") {
            return Outcome::Redirect {
                route: r["route"].as_str().unwrap_or_default().to_owned(),
                notice: r["notice"].as_str().map(str::to_owned),
            };
        }
        if let Some(i) = answer.get("invalid") {
            return Outcome::Invalid(
                i["errors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or_default().to_owned(),
                            e["message"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
            );
        }
        if answer.get("page").is_some() {
            return Outcome::Page(PageView::from_answer(answer));
        }
        Outcome::Refused(answer["error"].clone())
    }

    /// The notice of a redirect.
    pub fn notice(&self) -> Option<&str> {
        match self {
            Outcome::Redirect { notice, .. } => notice.as_deref(),
            _ => None,
        }
    }

    /// The error shown next to `field`, if the form came back with one.
    pub fn error_of(&self, field: &str) -> Option<&str> {
        match self {
            Outcome::Invalid(errors) => errors
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, m)| m.as_str()),
            _ => None,
        }
    }
}

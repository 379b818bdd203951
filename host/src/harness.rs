//! The plugin test host: `dvor plugin test-host` runs plugins in the real runtime, on a real
//! database (SQLite in memory), driven by one JSON request per line on standard input and
//! answering one JSON line each on standard output.
//!
//! It is what the plugin author's test kits (Rust `dvor-testkit`, and the JavaScript and Python
//! modules the scaffold writes) talk to, so a plugin's ordinary tests exercise its compiled
//! component exactly as an instance would run it — the same storage, scopes, capabilities,
//! transactions, limits and renderer — without HTTP and without a config file: the places,
//! people, roles, clock and callers are what the test says.
//!
//! Requests (`op`), answers (`{"ok": …}` or `{"error": {…}}`):
//! - `start` — the plugins (`wasm`, optional `enabled_for`, `grants` (default: everything the
//!   manifest asks for), `settings`, `limits`), `communities`, `units`, `organizations`, `now`
//!   (RFC 3339 or ms) and `timezone`. Answers the plugins' ids and contracts.
//! - `person` — a person with `name`, optional `phone`, `roles` (`[{role, community} |
//!   {role, organization}]`) and `owns` (`[{unit, share: [n, d], verified}]`); answers its id.
//! - `call` — `plugin`, `community`, optional `as` (a person id) and `locale`, and one of
//!   `api` (`method`, `path` with its query, `json` or `body`, `headers`), `page` (`route`),
//!   `action` (`route`, `action`, `values`: what a person would type, typed by the page's
//!   form as a browser's would be), `summary` (`community` | `person`), `subscribe` (a
//!   channel). Errors answer what the host would: `status`, `code`, `message`, `field`.
//! - `deliver` — deliver due events to their subscribers; answers how many.
//! - `run_job` — run a plugin's job (`plugin`, `job`, `community`) to its end; `run_requested`
//!   — run the runs plugins asked for.
//! - `events`, `inbox` (`person`), `live` (`plugin`, `community`, `channel`) — what happened.
//! - `clock` — `set` (RFC 3339 or ms) or `advance_ms`.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::runtime::latest::dvor::plugin::context::CallTrigger;
use crate::runtime::latest::dvor::plugin::ui::{
    ActionOutcome, Block, Button, FieldKind, Page, TilePlace,
};
use crate::runtime::latest::exports::dvor::plugin::plugin::{ApiRequest, JobRun, JobStep};
use crate::runtime::{CallContext, CallError, Caller, Invocation, Outcome, Runtime};
use crate::storage::Database;

/// A request to the test host.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    Start(Box<Setup>),
    Person(PersonSpec),
    Call(Box<CallSpec>),
    Deliver,
    RunJob {
        plugin: String,
        job: String,
        community: Option<String>,
    },
    RunRequested,
    Events {
        source: Option<String>,
    },
    Inbox {
        person: String,
    },
    Live {
        plugin: String,
        community: String,
        channel: String,
        #[serde(default)]
        after: i64,
    },
    Clock {
        set: Option<Value>,
        advance_ms: Option<i64>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setup {
    plugins: Vec<PluginSpec>,
    #[serde(default)]
    communities: Vec<Value>,
    #[serde(default)]
    units: Vec<Value>,
    #[serde(default)]
    organizations: Vec<Value>,
    now: Option<Value>,
    timezone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginSpec {
    wasm: PathBuf,
    #[serde(default)]
    enabled_for: Option<Vec<String>>,
    /// The operator's grants; none grants everything the manifest asks for.
    #[serde(default)]
    grants: Option<Value>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default)]
    limits: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonSpec {
    name: String,
    phone: Option<String>,
    #[serde(default)]
    roles: Vec<RoleSpec>,
    #[serde(default)]
    owns: Vec<OwnsSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    role: String,
    community: Option<String>,
    organization: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnsSpec {
    unit: String,
    #[serde(default = "whole")]
    share: (u32, u32),
    #[serde(default = "yes")]
    verified: bool,
}

fn whole() -> (u32, u32) {
    (1, 1)
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallSpec {
    plugin: String,
    community: String,
    #[serde(rename = "as")]
    caller: Option<String>,
    #[serde(default = "russian")]
    locale: String,
    api: Option<ApiSpec>,
    page: Option<PageSpec>,
    action: Option<ActionSpec>,
    summary: Option<String>,
    subscribe: Option<String>,
}

fn russian() -> String {
    "ru".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSpec {
    method: String,
    path: String,
    json: Option<Value>,
    body: Option<String>,
    #[serde(default)]
    headers: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageSpec {
    #[serde(default)]
    route: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionSpec {
    #[serde(default)]
    route: String,
    action: String,
    #[serde(default)]
    values: Vec<(String, String)>,
}

/// A failure of the test host's own (a bad request, a plugin that does not load).
#[derive(Debug)]
struct Refused(String);

impl<E: std::fmt::Display> From<E> for Refused {
    fn from(e: E) -> Self {
        Refused(e.to_string())
    }
}

/// One test's instance.
struct Session {
    instance: crate::Instance,
    _dir: ScratchDir,
}

/// A directory removed when the session ends.
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Serve requests from `input` to `output` until `input` ends.
pub async fn serve(input: impl BufRead, mut output: impl Write) -> anyhow::Result<()> {
    let mut session: Option<Session> = None;
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Request>(&line) {
            Ok(request) => match answer(&mut session, request).await {
                Ok(value) => json!({ "ok": value }),
                Err(Refused(message)) => {
                    json!({ "error": { "kind": "harness", "status": 0, "code": "harness", "message": message } })
                }
            },
            Err(e) => {
                json!({ "error": { "kind": "harness", "status": 0, "code": "harness", "message": format!("a request the test host does not understand: {e}") } })
            }
        };
        writeln!(output, "{answer}")?;
        output.flush()?;
    }
    Ok(())
}

async fn answer(session: &mut Option<Session>, request: Request) -> Result<Value, Refused> {
    if let Request::Start(setup) = request {
        let (started, value) = start(*setup).await?;
        *session = Some(started);
        return Ok(value);
    }
    let Some(session) = session.as_ref() else {
        return Err(Refused("send `start` first".into()));
    };
    let runtime = &session.instance.runtime;
    match request {
        Request::Start(_) => unreachable!("handled above"),
        Request::Person(spec) => person(runtime, spec).await,
        Request::Call(spec) => call(runtime, *spec).await,
        Request::Deliver => {
            let settings = session.instance.delivery_settings();
            let mut total = 0;
            for _ in 0..100 {
                let n = crate::events::deliver_due(runtime, &settings).await?;
                total += n;
                if n == 0 {
                    break;
                }
            }
            Ok(json!({ "delivered": total }))
        }
        Request::RunJob {
            plugin,
            job,
            community,
        } => run_job(runtime, &plugin, &job, community).await,
        Request::RunRequested => {
            let settings = crate::scheduler::SchedulerSettings {
                lease: std::time::Duration::from_secs(60),
                tick: std::time::Duration::from_millis(50),
                owner: "test-host".into(),
            };
            let chunks = crate::scheduler::run_requested(runtime, &settings).await?;
            Ok(json!({ "chunks": chunks }))
        }
        Request::Events { source } => events(runtime, source.as_deref()).await,
        Request::Inbox { person } => {
            let items = crate::inbox::list(runtime.shared().db.connection(), &person, 1000).await?;
            Ok(json!(
                items
                    .into_iter()
                    .map(|i| json!({
                        "source": i.source, "title": i.title_ru, "body": i.body_ru,
                        "title_en": i.title_en, "body_en": i.body_en,
                        "link": i.link, "urgency": i.urgency, "created": i.created,
                    }))
                    .collect::<Vec<_>>()
            ))
        }
        Request::Live {
            plugin,
            community,
            channel,
            after,
        } => {
            let updates = crate::live::since(
                runtime.shared().db.connection(),
                &plugin,
                &community,
                std::slice::from_ref(&channel),
                after,
                1000,
            )
            .await?;
            let base = format!("/c/{community}/p/{plugin}");
            Ok(json!(
                updates
                    .iter()
                    .map(|u| {
                        let html = u
                            .html("ru", |blocks| {
                                crate::web::render_blocks(
                                    blocks,
                                    &crate::web::PageContext {
                                        locale: "ru",
                                        base: &base,
                                        utc_offset_minutes: runtime.shared().instance.utc_offset_minutes,
                                        ..Default::default()
                                    },
                                )
                            })
                            .to_owned();
                        json!({ "id": u.id, "mode": u.body.mode, "text": plain_text(&html), "html": html, "data": u.body.data })
                    })
                    .collect::<Vec<_>>()
            ))
        }
        Request::Clock { set, advance_ms } => {
            let clock = &runtime.shared().clock;
            if let Some(at) = set {
                clock.set(instant(&at)?);
            }
            if let Some(ms) = advance_ms {
                clock.advance(ms);
            }
            Ok(json!({ "now": clock.now() }))
        }
    }
}

/// An instant given as ms since the epoch or as RFC 3339 text.
fn instant(value: &Value) -> Result<i64, Refused> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| Refused("`now` must be whole milliseconds".into())),
        Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.timestamp_millis())
            .map_err(|e| Refused(format!("`{text}` is not an RFC 3339 time: {e}"))),
        _ => Err(Refused("`now` is milliseconds or an RFC 3339 time".into())),
    }
}

/// The instance of a test: its config written from the setup, the plugins granted what they
/// ask for unless the test says otherwise.
async fn start(setup: Setup) -> Result<(Session, Value), Refused> {
    let dir = std::env::temp_dir().join(format!(
        "dvor-test-host-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir)?;
    let dir = ScratchDir(dir);
    let cache = std::env::var_os("DVOR_TEST_HOST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("dvor-test-host-cache"));
    let db = Database::connect("sqlite::memory:").await?;

    // What each plugin asks for, read from its component.
    let probe_text = base_config(&setup, &cache, &dir.0, "")?;
    let probe_config = crate::config::Config::from_str_with_env(
        &probe_text,
        "test-host",
        Vec::<(String, String)>::new(),
    )?;
    db.migrate().await?;
    crate::communities::Communities::seed(db.connection(), &probe_config, 0).await?;
    let probe = crate::instance::load_runtime(&probe_config, db.clone()).await?;
    let mut plugins = String::new();
    for spec in &setup.plugins {
        let inspected = probe.inspect(&spec.wasm).await?;
        let manifest = &inspected.manifest;
        let id = &manifest.id;
        let mut table = toml::Table::new();
        table.insert("path".into(), spec.wasm.display().to_string().into());
        let roots: Vec<String> = match &spec.enabled_for {
            Some(roots) => roots.clone(),
            None => setup
                .communities
                .iter()
                .filter(|c| c.get("parent").is_none_or(Value::is_null))
                .filter_map(|c| c.get("id")?.as_str().map(str::to_owned))
                .collect(),
        };
        table.insert("enabled_for".into(), to_toml(&json!(roots))?);
        let grants = match &spec.grants {
            Some(grants) => to_toml(grants)?,
            None => {
                let asked = manifest.requested_capabilities();
                let set =
                    |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
                to_toml(&json!({
                    "collections": set(&asked.collections),
                    "emits": set(&asked.emits),
                    "consumes": set(&asked.consumes),
                    // A manifest asking for "any host" gets none unless the test names them.
                    "outbound_hosts": asked.outbound_hosts.iter().filter(|h| *h != "*").cloned().collect::<Vec<_>>(),
                    "schedules": set(&asked.schedules),
                    "notifications": asked.notifications,
                    "files": asked.files,
                    "live": asked.live,
                }))?
            }
        };
        table.insert("grants".into(), grants);
        if let Some(settings) = &spec.settings {
            table.insert("settings".into(), to_toml(settings)?);
        }
        if let Some(limits) = &spec.limits {
            table.insert("limits".into(), to_toml(limits)?);
        }
        let mut outer = toml::Table::new();
        let mut by_id = toml::Table::new();
        by_id.insert(id.clone(), toml::Value::Table(table));
        outer.insert("plugins".into(), toml::Value::Table(by_id));
        plugins.push_str(&toml::to_string(&outer)?);
        plugins.push('\n');
    }
    drop(probe);
    let text = base_config(&setup, &cache, &dir.0, &plugins)?;
    let config = crate::config::Config::from_str_with_env(
        &text,
        "test-host",
        Vec::<(String, String)>::new(),
    )?;
    let instance = crate::Instance::start_on(config, db).await?;
    if let Some(now) = &setup.now {
        instance.runtime.shared().clock.set(instant(now)?);
    }
    let loaded: Vec<Value> = instance
        .runtime
        .plugins()
        .values()
        .map(|p| json!({ "id": p.id(), "version": p.manifest.version.to_string(), "contract": p.contract.to_string() }))
        .collect();
    Ok((
        Session {
            instance,
            _dir: dir,
        },
        json!({ "plugins": loaded }),
    ))
}

fn to_toml(value: &Value) -> Result<toml::Value, Refused> {
    toml::Value::try_from(value).map_err(|e| Refused(format!("cannot be written as TOML: {e}")))
}

/// The config of a test instance without its plugins: the places, units and organizations of
/// the setup, no scheduler (the test runs jobs), quick event retries.
fn base_config(
    setup: &Setup,
    cache: &std::path::Path,
    dir: &std::path::Path,
    plugins: &str,
) -> Result<String, Refused> {
    let mut root = toml::Table::new();
    let mut instance = toml::Table::new();
    instance.insert("name".into(), "Тестовый стенд".into());
    if let Some(zone) = &setup.timezone {
        instance.insert("timezone".into(), zone.clone().into());
    }
    root.insert("instance".into(), toml::Value::Table(instance));
    root.insert(
        "storage".into(),
        to_toml(&json!({ "data_dir": dir.display().to_string() }))?,
    );
    root.insert(
        "runtime".into(),
        to_toml(&json!({
            "plugin_dir": dir.display().to_string(),
            "cache_dir": cache.display().to_string(),
            "max_instances": 16,
            "limits": { "memory_mb": 256, "deadline_ms": 10_000 },
        }))?,
    );
    root.insert(
        "events".into(),
        to_toml(&json!({ "max_attempts": 3, "backoff_base_ms": 1, "backoff_max_ms": 5, "poll_interval_ms": 10 }))?,
    );
    root.insert("scheduler".into(), to_toml(&json!({ "enabled": false }))?);
    let list = |items: &[Value]| -> Result<toml::Value, Refused> {
        to_toml(&Value::Array(items.to_vec()))
    };
    if !setup.communities.is_empty() {
        root.insert("communities".into(), list(&setup.communities)?);
    }
    if !setup.units.is_empty() {
        root.insert("units".into(), list(&setup.units)?);
    }
    if !setup.organizations.is_empty() {
        root.insert("organizations".into(), list(&setup.organizations)?);
    }
    let mut text = toml::to_string(&root)?;
    text.push('\n');
    text.push_str(plugins);
    Ok(text)
}

async fn person(runtime: &Runtime, spec: PersonSpec) -> Result<Value, Refused> {
    use crate::identity::membership::{OwnershipChange, Place, grant, set_ownership, unit};
    let (given, family) = spec
        .name
        .split_once(' ')
        .map_or((spec.name.as_str(), ""), |(g, f)| (g, f));
    let db = runtime.shared().db.connection();
    let now = runtime.shared().clock.now();
    let person = crate::identity::people::create(
        db,
        crate::identity::people::NewPerson {
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            phone: spec.phone.clone(),
            email: None,
            locale: "ru".into(),
        },
        now,
    )
    .await?;
    for role in &spec.roles {
        let place = match (&role.organization, &role.community) {
            (Some(org), _) => Place::Organization(org),
            (None, community) => Place::Community(community.as_deref()),
        };
        grant(db, None, &person.id, &role.role, place, now).await?;
    }
    for owns in &spec.owns {
        let Some(unit) = unit(db, &owns.unit).await? else {
            return Err(Refused(format!(
                "no unit `{}` (units are `{{community}}/{{number}}`)",
                owns.unit
            )));
        };
        set_ownership(
            db,
            None,
            OwnershipChange {
                person: &person.id,
                unit: &unit,
                share: owns.share,
                verified: owns.verified,
                source: "manager",
            },
            now,
        )
        .await?;
    }
    Ok(json!({ "id": person.id }))
}

/// The caller a plugin sees for person `id` in `community`: their roles bearing on it.
async fn caller_of(runtime: &Runtime, id: &str, community: &str) -> Result<Caller, Refused> {
    let db = runtime.shared().db.connection();
    let Some(person) = crate::identity::people::by_id(db, id).await? else {
        return Err(Refused(format!(
            "no person `{id}`: make one with `person` first"
        )));
    };
    let tree = runtime.shared().communities();
    let roles = crate::identity::roles::effective_roles(db, id, &tree).await?;
    Ok(Caller {
        person_id: person.id.clone(),
        display_name: person.display_name.clone(),
        roles: crate::identity::roles::bearing_on(&roles, community, &tree),
        locale: person.locale.clone(),
    })
}

async fn call(runtime: &Runtime, spec: CallSpec) -> Result<Value, Refused> {
    let caller = match &spec.caller {
        Some(id) => Some(caller_of(runtime, id, &spec.community).await?),
        None => None,
    };
    let context = |trigger| {
        let mut context = CallContext::anonymous(spec.community.clone(), trigger);
        context.caller = caller.clone();
        context.locale = spec.locale.clone();
        context
    };
    let base = format!(
        "/c/{}/p/{}",
        crate::web::percent_encode(&spec.community),
        crate::web::percent_encode(&spec.plugin)
    );
    let draw = |page: &Page| {
        let files = runtime.shared().file_links.signer(
            &spec.plugin,
            &spec.community,
            spec.caller.as_deref(),
            runtime.shared().clock.now(),
        );
        let html = crate::web::render_page_body(
            page,
            &crate::web::PageContext {
                locale: &spec.locale,
                base: &base,
                utc_offset_minutes: runtime.shared().instance.utc_offset_minutes,
                files: Some(files),
                ..Default::default()
            },
        );
        json!({
            "title": page.title,
            "text": plain_text(&html),
            "html": html,
            "tree": page,
        })
    };
    if let Some(api) = spec.api {
        let (path, query) = api.path.split_once('?').unwrap_or((&api.path, ""));
        let query = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let mut headers = api.headers.clone();
        let body = match (&api.json, &api.body) {
            (Some(value), _) => {
                headers.push(("content-type".into(), "application/json".into()));
                value.to_string().into_bytes()
            }
            (None, Some(text)) => text.clone().into_bytes(),
            (None, None) => Vec::new(),
        };
        if spec.caller.is_none()
            && crate::access::refused_anonymously(
                runtime,
                (&spec.plugin, &spec.community),
                (
                    "api",
                    &format!("{} {path}", api.method.to_ascii_uppercase()),
                ),
                |access| access.lets_anonymous_call(&api.method.to_ascii_uppercase(), path),
            )
        {
            // What the host answers before the plugin runs.
            return Ok(refused_before_the_plugin());
        }
        let request = ApiRequest {
            method: api.method.to_ascii_uppercase(),
            path: path.trim_start_matches('/').to_owned(),
            query,
            headers,
            body,
        };
        return Ok(
            match runtime
                .call(
                    &spec.plugin,
                    context(CallTrigger::Api),
                    Invocation::Request(request),
                )
                .await
            {
                Ok(Outcome::Response(r)) => {
                    let text = String::from_utf8_lossy(&r.body).into_owned();
                    json!({
                        "status": r.status,
                        "content_type": r.content_type,
                        "headers": r.headers,
                        "json": serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
                        "body": text,
                    })
                }
                Ok(other) => return Err(Refused(format!("the plugin answered {other:?}"))),
                Err(error) => call_error(error),
            },
        );
    }
    if let Some(page) = spec.page {
        return Ok(
            match render(runtime, &spec.plugin, context(CallTrigger::Ui), &page.route).await {
                Ok(page) => json!({ "page": draw(&page) }),
                Err(error) => call_error(error),
            },
        );
    }
    if let Some(action) = spec.action {
        // What a browser would post: the page's form (or button) for the action, its values
        // typed by the form's fields.
        let page = match render(
            runtime,
            &spec.plugin,
            context(CallTrigger::Ui),
            &action.route,
        )
        .await
        {
            Ok(page) => page,
            Err(error) => return Ok(call_error(error)),
        };
        if spec.caller.is_none()
            && crate::access::refused_anonymously(
                runtime,
                (&spec.plugin, &spec.community),
                ("action", &format!("{} on {}", action.action, action.route)),
                |access| access.lets_anonymous_act(&action.route, &action.action),
            )
        {
            return Ok(refused_before_the_plugin());
        }
        let Some(pairs) = posted(&page, &action) else {
            return Err(Refused(format!(
                "the page `{}` has no form or button for action `{}`",
                action.route, action.action
            )));
        };
        let typed = match crate::web::typed_form(&pairs, &spec.locale) {
            Ok(typed) => typed,
            Err(errors) => {
                return Ok(
                    json!({ "invalid": { "errors": errors.iter().map(|(f, m)| json!({ "field": f, "message": m })).collect::<Vec<_>>(), "form": null } }),
                );
            }
        };
        let outcome = runtime
            .call(
                &spec.plugin,
                context(CallTrigger::Ui),
                Invocation::Action {
                    route: action.route.clone(),
                    action: action.action.clone(),
                    form: typed,
                    uploads: Vec::new(),
                },
            )
            .await;
        return Ok(match outcome {
            Ok(Outcome::Action(ActionOutcome::Redirect(r))) => json!({ "redirect": {
                "route": r.to.route, "query": r.to.query, "notice": r.notice,
            } }),
            Ok(Outcome::Action(ActionOutcome::Invalid(i))) => json!({ "invalid": {
                "errors": i.errors.iter().map(|e| json!({ "field": e.field, "message": e.message })).collect::<Vec<_>>(),
                "form": i.form,
            } }),
            Ok(Outcome::Action(ActionOutcome::Show(page))) => json!({ "page": draw(&page) }),
            Ok(other) => return Err(Refused(format!("the plugin answered {other:?}"))),
            // A page shows an invalid error next to its field, as the host's pages do.
            Err(CallError::Plugin { error, .. })
                if error.code
                    == crate::runtime::latest::dvor::plugin::types::ErrorCode::Invalid =>
            {
                json!({ "invalid": { "errors": [{ "field": error.field.unwrap_or_default(), "message": error.message }], "form": null } })
            }
            Err(error) => call_error(error),
        });
    }
    if let Some(place) = spec.summary {
        let place = match place.as_str() {
            "community" => TilePlace::Community,
            "person" => TilePlace::Person,
            other => {
                return Err(Refused(format!(
                    "a tile is for `community` or `person`, not `{other}`"
                )));
            }
        };
        return Ok(
            match runtime
                .call(
                    &spec.plugin,
                    context(CallTrigger::Summary),
                    Invocation::Summary(place),
                )
                .await
            {
                Ok(Outcome::Summary(tile)) => json!({ "tile": tile }),
                Ok(other) => return Err(Refused(format!("the plugin answered {other:?}"))),
                Err(error) => call_error(error),
            },
        );
    }
    if let Some(channel) = spec.subscribe {
        return Ok(
            match runtime
                .call(
                    &spec.plugin,
                    context(CallTrigger::Subscription),
                    Invocation::Subscribe(channel),
                )
                .await
            {
                Ok(_) => json!({ "allowed": true }),
                Err(error) => call_error(error),
            },
        );
    }
    Err(Refused(
        "a call names one of `api`, `page`, `action`, `summary`, `subscribe`".into(),
    ))
}

async fn render(
    runtime: &Runtime,
    plugin: &str,
    context: CallContext,
    route: &str,
) -> Result<Page, CallError> {
    // `route?a=1&b=2`: the query goes to the plugin as the web UI passes it.
    let (route, query) = match route.split_once('?') {
        Some((route, query)) => (
            route,
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        ),
        None => (route, Vec::new()),
    };
    match runtime
        .call(
            plugin,
            context,
            Invocation::RenderPage {
                route: route.to_owned(),
                query,
            },
        )
        .await?
    {
        Outcome::Page(page) => Ok(page),
        other => Err(CallError::Host {
            plugin: plugin.to_owned(),
            detail: format!("answered a page with {other:?}"),
        }),
    }
}

/// The pairs a browser would post for `action` from `page`: a form's fields with the values
/// given (and their current values for the rest), or a button's arguments; with the markers
/// the renderer puts in forms, so [`crate::web::typed_form`] types them.
fn posted(page: &Page, action: &ActionSpec) -> Option<Vec<(String, String)>> {
    let blocks = page.sections.iter().flat_map(|s| &s.blocks);
    for block in blocks.clone() {
        if let Block::Form(form) = block
            && form.action == action.action
        {
            let mut pairs = Vec::new();
            for field in &form.fields {
                let mark = crate::web::field_mark(&field.kind);
                pairs.push(("_dvor.field".to_owned(), format!("{mark}:{}", field.name)));
                let given: Vec<&(String, String)> = action
                    .values
                    .iter()
                    .filter(|(n, _)| *n == field.name)
                    .collect();
                if given.is_empty() {
                    if let Some(current) = crate::web::shown_value(&field.value, "ru") {
                        if matches!(field.kind, FieldKind::MultiSelect(_)) {
                            pairs.extend(
                                current
                                    .split('\n')
                                    .map(|v| (field.name.clone(), v.to_owned())),
                            );
                        } else if !matches!(field.kind, FieldKind::Checkbox) || current == "true" {
                            pairs.push((field.name.clone(), current));
                        }
                    }
                } else {
                    pairs.extend(given.into_iter().cloned());
                }
            }
            // Values for names the form does not have are what a forged post would carry.
            for (name, value) in &action.values {
                if !form.fields.iter().any(|f| &f.name == name) {
                    pairs.push((name.clone(), value.clone()));
                }
            }
            return Some(pairs);
        }
    }
    let buttons = blocks.flat_map(|b| match b {
        Block::Buttons(buttons) => buttons.iter().collect::<Vec<_>>(),
        Block::Table(table) => table.rows.iter().flat_map(|r| &r.actions).collect(),
        _ => Vec::new(),
    });
    // The button a person would press: of those for the action, the one whose arguments agree
    // with the values given (the «Одобрить» of one row among many), else the first; a value
    // given replaces the argument of its name.
    let buttons: Vec<_> = buttons.filter(|b| b.action == action.action).collect();
    let agrees = |button: &&Button| {
        button.args.iter().all(|(name, value)| {
            action
                .values
                .iter()
                .all(|(given, typed)| given != name || typed == value)
        })
    };
    let button = buttons
        .iter()
        .copied()
        .find(agrees)
        .or_else(|| buttons.first().copied())?;
    let mut pairs: Vec<(String, String)> = button
        .args
        .iter()
        .filter(|(name, _)| !action.values.iter().any(|(given, _)| given == name))
        .cloned()
        .collect();
    pairs.extend(action.values.iter().cloned());
    Some(pairs)
}

/// What the host answers a caller not signed in whose write the manifest does not open.
fn refused_before_the_plugin() -> Value {
    json!({ "error": {
        "kind": "unauthenticated",
        "status": 401,
        "code": "unauthenticated",
        "field": null,
        "message": "Войдите, чтобы продолжить / Sign in to continue",
    } })
}

/// A failed call as the host would answer it over HTTP.
fn call_error(error: CallError) -> Value {
    let kind = match &error {
        CallError::Plugin { .. } => "plugin",
        CallError::Limit { .. } => "limit",
        CallError::Trap { .. } => "trap",
        CallError::Host { .. } => "host",
        CallError::UnknownCommunity(_) => "no-such-place",
        CallError::UnknownPlugin(_) | CallError::NotEnabled { .. } => "not-enabled",
    };
    let (code, field, message) = match &error {
        CallError::Plugin { error, .. } => (
            crate::error::status_of(error.code).1,
            error.field.clone(),
            error.message.clone(),
        ),
        other => ("", None, other.to_string()),
    };
    let app = crate::error::AppError::from(error);
    let code = if code.is_empty() {
        app_code(&app)
    } else {
        code
    };
    json!({ "error": { "kind": kind, "status": app.status().as_u16(), "code": code, "field": field, "message": message } })
}

fn app_code(error: &crate::error::AppError) -> &'static str {
    match error.status().as_u16() {
        504 | 503 => "plugin-limit",
        500 => "plugin-failed",
        404 => "not-found",
        _ => "internal",
    }
}

async fn run_job(
    runtime: &Runtime,
    plugin: &str,
    job: &str,
    community: Option<String>,
) -> Result<Value, Refused> {
    let Some(loaded) = runtime.plugin(plugin) else {
        return Err(Refused(format!("no plugin `{plugin}`")));
    };
    let community = community
        .or_else(|| loaded.enabled_for.first().cloned())
        .ok_or_else(|| Refused(format!("plugin `{plugin}` is enabled nowhere")))?;
    let mut cursor = None;
    let mut steps = Vec::new();
    for _ in 0..10_000 {
        let context = CallContext::anonymous(community.clone(), CallTrigger::Schedule);
        let step = runtime
            .call(
                plugin,
                context,
                Invocation::Job(JobRun {
                    name: job.to_owned(),
                    cursor: cursor.clone(),
                    request: None,
                }),
            )
            .await;
        match step {
            Ok(Outcome::JobStep(JobStep {
                cursor: next,
                progress,
                output,
            })) => {
                steps.push(json!({ "cursor": next, "progress": progress.map(|p| json!({ "done": p.done, "total": p.total })), "output": output }));
                match next {
                    Some(next) => cursor = Some(next),
                    None => return Ok(json!({ "chunks": steps.len(), "steps": steps })),
                }
            }
            Ok(other) => return Err(Refused(format!("the plugin answered {other:?}"))),
            Err(error) => return Ok(call_error(error)),
        }
    }
    Err(Refused(format!(
        "job `{job}` did not finish in 10 000 chunks"
    )))
}

async fn events(runtime: &Runtime, source: Option<&str>) -> Result<Value, Refused> {
    use sea_orm::sea_query::{Alias, Expr, Order, Query};
    use sea_orm::{ConnectionTrait, FromQueryResult};
    #[derive(FromQueryResult)]
    struct Row {
        id: String,
        kind: String,
        source: String,
        community_id: String,
        actor: Option<String>,
        occurred: i64,
        payload: String,
    }
    let db = runtime.shared().db.connection();
    let mut select = Query::select();
    select
        .columns(
            [
                "id",
                "kind",
                "source",
                "community_id",
                "actor",
                "occurred",
                "payload",
            ]
            .map(Alias::new),
        )
        .from(Alias::new("events"))
        .order_by(Alias::new("id"), Order::Asc);
    if let Some(source) = source {
        select.and_where(Expr::col(Alias::new("source")).eq(source));
    }
    let rows = Row::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await?;
    let by_kind: BTreeMap<String, usize> = rows.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.kind.clone()).or_default() += 1;
        m
    });
    Ok(json!({
        "events": rows.into_iter().map(|r| json!({
            "id": r.id, "kind": r.kind, "source": r.source, "community": r.community_id,
            "actor": r.actor, "occurred": r.occurred,
            "payload": serde_json::from_str::<Value>(&r.payload).unwrap_or(Value::Null),
        })).collect::<Vec<_>>(),
        "count_by_kind": by_kind,
    }))
}

/// What a person reads on a drawn page: the text without tags, entities decoded, one space
/// between words (non-breaking spaces too; a hidden "status" word for screen readers included).
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The test host's entry point: serve standard input and output.
pub async fn run_stdio() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    serve(stdin.lock(), stdout.lock()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_what_a_person_reads() {
        assert_eq!(
            plain_text(
                "<h1>Счёт</h1><p>К оплате <span class=\"money\">1&nbsp;234,50&nbsp;₽</span></p><p>A &amp; B</p>"
            ),
            "Счёт К оплате 1 234,50 ₽ A & B"
        );
    }

    #[tokio::test]
    async fn a_request_before_start_and_a_request_it_does_not_know_are_refused_in_words() {
        let input = "{\"op\":\"deliver\"}\n{\"op\":\"fly\"}\n";
        let mut output = Vec::new();
        serve(input.as_bytes(), &mut output).await.unwrap();
        let lines: Vec<Value> = String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["error"]["message"], "send `start` first");
        assert!(
            lines[1]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("does not understand"),
            "{}",
            lines[1]
        );
    }
}

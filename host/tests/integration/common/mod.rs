//! What the host's integration tests share: the built plugins, a config with a small community
//! tree, and instances on SQLite and (when `DVOR_TEST_POSTGRES_URL` is set) PostgreSQL.

#![allow(dead_code)]

pub mod browser;
pub mod node;
pub mod payments;
pub mod python;
pub mod server;

use std::path::PathBuf;
use std::sync::Arc;

use dvor::config::Config;
use dvor::runtime::latest::dvor::plugin::context::CallTrigger;
use dvor::runtime::latest::exports::dvor::plugin::plugin::{ApiRequest, ApiResponse};
use dvor::runtime::{CallContext, CallError, Invocation, Outcome, Runtime};
use dvor::storage::Database;

/// The directory the plugins are built into by `cargo xtask plugins`.
pub fn plugin_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/wasm32-wasip2/plugin");
    for name in ["hello", "chaos"] {
        assert!(
            dir.join(format!("{name}.wasm")).exists(),
            "{name}.wasm is not built: run the tests with `cargo xtask test` (or build with `cargo xtask plugins`)"
        );
    }
    dir
}

/// A fresh scratch directory.
pub fn scratch_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("dvor-test-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The test instance's config: a town with two houses and an SNT; `hello` enabled for the
/// town, `chaos` for the first house and the SNT only.
pub fn config_text(extra: &str) -> String {
    format!(
        r#"
[instance]
name = "Тестовый город"

[server]
bind = "127.0.0.1:0"

[runtime]
plugin_dir = "{plugin_dir}"
cache_dir = "{cache}"
max_instances = 32
[runtime.limits]
memory_mb = 32
deadline_ms = 1000

[events]
max_attempts = 3
backoff_base_ms = 10
backoff_max_ms = 50
poll_interval_ms = 20

[scheduler]
enabled = false

[[communities]]
id = "town"
name = "Город"
kind = "settlement"

[[communities]]
id = "house-1"
name = "Дом 1"
kind = "house"
parent = "town"
address = "ул. Садовая, 1"

[[communities]]
id = "house-2"
name = "Дом 2"
kind = "house"
parent = "town"

[[communities]]
id = "snt"
name = "СНТ «Рябинка»"
kind = "snt"
parent = "town"

[[units]]
community = "house-1"
number = "12"
kind = "apartment"
area = "54.3"

[plugins.hello]
enabled_for = ["town"]
[plugins.hello.grants]
collections = ["notes", "echoes", "stats", "exports"]
emits = ["hello.note_added"]
consumes = ["hello.note_added"]
schedules = ["tidy", "export"]
files = true
live = true

[plugins.chaos]
enabled_for = ["house-1", "snt"]
[plugins.chaos.grants]
collections = ["scratch"]
emits = ["chaos.poked"]
consumes = ["chaos.poked"]
[plugins.chaos.limits]
deadline_ms = 500
{extra}
"#,
        plugin_dir = plugin_dir().display(),
        cache = scratch_dir().join("cache").display(),
    )
}

/// Parse a config with no environment overrides.
pub fn config(extra: &str, database_url: &str) -> Config {
    config_from_text(config_text(extra), database_url)
}

/// Parse a config text (the database URL is overridden as an operator would, by environment).
pub fn config_from_text(text: String, database_url: &str) -> Config {
    let env = vec![(
        "DVOR_STORAGE__DATABASE_URL".to_owned(),
        database_url.to_owned(),
    )];
    Config::from_str_with_env(&text, "test.toml", env).expect("the test config parses")
}

/// Fresh databases: SQLite always, PostgreSQL when configured.
pub async fn databases() -> Vec<(&'static str, Database)> {
    dvor::storage::testing::test_databases().await
}

/// Start an instance (without HTTP) on a database.
pub async fn instance_on(db: Database, extra: &str) -> dvor::Instance {
    dvor::Instance::start_on(config(extra, "sqlite://unused.db"), db)
        .await
        .expect("the test instance starts")
}

/// One started instance per test database, from a config text.
pub async fn instances_from_text(text: String) -> Vec<(&'static str, dvor::Instance)> {
    let mut out = Vec::new();
    for (engine, db) in databases().await {
        let config = config_from_text(text.clone(), "sqlite://unused.db");
        out.push((
            engine,
            dvor::Instance::start_on(config, db)
                .await
                .expect("the test instance starts"),
        ));
    }
    out
}

/// What an HTTP client would see as the status of an API call.
pub fn http_status(result: &Result<ApiResponse, CallError>) -> u16 {
    match result {
        Ok(response) => response.status,
        Err(error) => dvor::error::AppError::from(clone_error(error))
            .status()
            .as_u16(),
    }
}

fn clone_error(error: &CallError) -> CallError {
    match error {
        CallError::Plugin { plugin, error } => CallError::Plugin {
            plugin: plugin.clone(),
            error: error.clone(),
        },
        other => CallError::Host {
            plugin: String::new(),
            detail: other.to_string(),
        },
    }
}

/// One started instance per test database.
pub async fn instances(extra: &str) -> Vec<(&'static str, dvor::Instance)> {
    let mut out = Vec::new();
    for (engine, db) in databases().await {
        out.push((engine, instance_on(db, extra).await));
    }
    out
}

/// Call a plugin's API.
pub async fn api(
    runtime: &Runtime,
    plugin: &str,
    community: &str,
    method: &str,
    path_and_query: &str,
    body: &[u8],
) -> Result<ApiResponse, CallError> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let request = ApiRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_vec(),
    };
    let context = CallContext::anonymous(community, CallTrigger::Api);
    match runtime
        .call(plugin, context, Invocation::Request(request))
        .await?
    {
        Outcome::Response(response) => Ok(response),
        other => panic!("an API call answered {other:?}"),
    }
}

/// The body of a response as text.
pub fn text(response: &ApiResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The runtime of an instance.
pub fn runtime(instance: &dvor::Instance) -> Arc<Runtime> {
    instance.runtime.clone()
}

/// The scheduler's settings for a test that runs jobs itself: a lease of 30 s, a 10 ms tick.
pub fn scheduler_settings() -> dvor::scheduler::SchedulerSettings {
    dvor::scheduler::SchedulerSettings {
        lease: std::time::Duration::from_secs(30),
        tick: std::time::Duration::from_millis(10),
        owner: "test".into(),
    }
}

/// Run every requested job run (`jobs.request`) to its end, as the scheduler does between
/// requests.
pub async fn run_requested_now(runtime: &Runtime) {
    dvor::scheduler::run_requested(runtime, &scheduler_settings())
        .await
        .unwrap();
}

/// Run scheduled job `job` of `plugin` for the enabled root `community` now, as the scheduler
/// would, until it has nothing left.
pub async fn run_job_now(runtime: &Runtime, plugin: &str, job: &str, community: &str) {
    let now = chrono::Utc::now().timestamp_millis();
    dvor::scheduler::request_run(
        runtime.shared().db.connection(),
        plugin,
        job,
        community,
        now,
    )
    .await
    .unwrap();
    dvor::scheduler::run_due(runtime, &scheduler_settings())
        .await
        .unwrap();
}

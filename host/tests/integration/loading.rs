//! Loading plugins: the compile cache, contract versions, manifests and settings.

use crate::common;

use dvor::runtime::CacheOutcome;

#[tokio::test]
async fn a_restart_loads_plugins_from_the_cache_without_compiling() {
    let (_, db) = common::databases().await.remove(0);
    let cache = common::scratch_dir();
    let extra = "";
    let text = common::config_text(extra).replace(
        "cache_dir = ",
        &format!("cache_dir = \"{}\"\n# replaced: ", cache.display()),
    );
    let config = || {
        dvor::config::Config::from_str_with_env(&text, "test.toml", Vec::<(String, String)>::new())
            .unwrap()
    };
    let first = dvor::Instance::start_on(config(), db.clone())
        .await
        .unwrap();
    assert_eq!(
        first.runtime.plugin("hello").unwrap().cache,
        CacheOutcome::Compiled
    );
    drop(first);
    let second = dvor::Instance::start_on(config(), db).await.unwrap();
    assert_eq!(
        second.runtime.plugin("hello").unwrap().cache,
        CacheOutcome::Hit
    );
    assert_eq!(
        second.runtime.plugin("chaos").unwrap().cache,
        CacheOutcome::Hit
    );
}

#[tokio::test]
async fn a_plugin_built_against_an_unsupported_contract_is_refused_by_name() {
    // A component that imports a future contract version.
    let component = wat::parse_str(
        r#"(component
            (import "dvor:plugin/context@0.3.0" (instance))
        )"#,
    )
    .unwrap();
    let dir = common::scratch_dir();
    let path = dir.join("future.wasm");
    std::fs::write(&path, component).unwrap();
    let extra = format!(
        "[plugins.future]\npath = \"{}\"\nenabled_for = [\"town\"]\n",
        path.display()
    );
    let (_, db) = common::databases().await.remove(0);
    let config = common::config(&extra, "sqlite://unused.db");
    let error = match dvor::Instance::start_on(config, db).await {
        Ok(_) => panic!("the host must refuse the plugin"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("future"), "names the plugin: {error}");
    assert!(error.contains("0.3.0"), "names its version: {error}");
    assert!(
        error.contains("0.2.0") && error.contains("0.1.0"),
        "names the host's: {error}"
    );
}

#[tokio::test]
async fn a_plugin_whose_export_has_the_wrong_type_is_refused_at_load_naming_the_export() {
    // Every export of the newest contract is there, `manifest` with its right type, the others
    // answering a number. The host type-checks all of them once, when the plugin loads (calls
    // then skip the check): a plugin with a mistyped export must never load, though reading
    // its manifest alone would succeed.
    let component = wat::parse_str(
        r#"(component
            (core module $m
                (memory (export "memory") 1)
                (data (i32.const 16) "\20\00\00\00\05\00\00\00")
                (data (i32.const 32) "hello")
                (func (export "manifest") (result i32) i32.const 16)
                (func (export "number") (result i32) i32.const 7))
            (core instance $i (instantiate $m))
            (alias core export $i "memory" (core memory $memory))
            (func $manifest (result string)
                (canon lift (core func $i "manifest") (memory $memory)))
            (func $number (result u32) (canon lift (core func $i "number")))
            (instance $plugin
                (export "manifest" (func $manifest))
                (export "handle-request" (func $number))
                (export "render-page" (func $number))
                (export "handle-action" (func $number))
                (export "on-event" (func $number))
                (export "run-job" (func $number))
                (export "summary" (func $number))
                (export "subscribe" (func $number)))
            (export "dvor:plugin/plugin@0.2.0" (instance $plugin))
        )"#,
    )
    .unwrap();
    let dir = common::scratch_dir();
    let path = dir.join("mistyped.wasm");
    std::fs::write(&path, component).unwrap();
    let extra = format!(
        "[plugins.mistyped]\npath = \"{}\"\nenabled_for = [\"town\"]\n",
        path.display()
    );
    let (_, db) = common::databases().await.remove(0);
    let config = common::config(&extra, "sqlite://unused.db");
    let error = match dvor::Instance::start_on(config, db).await {
        Ok(_) => panic!("the host must refuse a plugin whose export has the wrong type"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("mistyped"), "names the plugin: {error}");
    assert!(
        error.contains("the export `handle-request`"),
        "names the export: {error}"
    );
}

#[test]
fn compatible_contract_versions_follow_semver() {
    use dvor::runtime::contract_supported;
    let v = |s: &str| semver::Version::parse(s).unwrap();
    assert!(
        contract_supported(&v("0.1.0")),
        "the first release, adapted"
    );
    assert!(contract_supported(&v("0.2.0")), "the newest");
    assert!(
        !contract_supported(&v("0.1.1")),
        "newer than the host's 0.1 line"
    );
    assert!(!contract_supported(&v("0.2.1")), "newer than the host");
    assert!(!contract_supported(&v("0.3.0")));
    assert!(!contract_supported(&v("1.0.0")));
}

#[tokio::test]
async fn settings_with_a_wrong_key_are_refused_naming_plugin_key_and_line() {
    let extra = "[plugins.hello.settings]\nmax_note_lenght = 20\n";
    let (_, db) = common::databases().await.remove(0);
    let config = common::config(extra, "sqlite://unused.db");
    let error = match dvor::Instance::start_on(config, db).await {
        Ok(_) => panic!("a misspelt setting must be refused"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("hello"), "{error}");
    assert!(error.contains("max_note_lenght"), "{error}");
    let line = common::config_text(extra)
        .lines()
        .position(|l| l.starts_with("max_note_lenght"))
        .unwrap()
        + 1;
    assert!(
        error.contains(&format!(":{line}")),
        "names line {line}: {error}"
    );
}

#[tokio::test]
async fn settings_reach_the_plugin_with_defaults_filled_in() {
    let extra = "[plugins.hello.settings]\ngreeting_ru = \"Здравствуйте\"\n";
    let (_, db) = common::databases().await.remove(0);
    let instance = common::instance_on(db, extra).await;
    let greet = common::api(
        &instance.runtime,
        "hello",
        "house-1",
        "GET",
        "greet?name=Анна",
        b"",
    )
    .await
    .unwrap();
    assert!(
        common::text(&greet).contains("Здравствуйте, Анна"),
        "{}",
        common::text(&greet)
    );
    let settings: serde_json::Value =
        serde_json::from_str(&instance.runtime.plugin("hello").unwrap().settings_json).unwrap();
    assert_eq!(settings["max_note_length"], 500, "the default is filled in");
}

#[tokio::test]
async fn without_address_space_for_the_pool_the_host_falls_back_to_on_demand_instances() {
    // Ten million pooled instances cannot be reserved on any machine.
    let text = common::config_text("").replace("max_instances = 32", "max_instances = 10000000");
    let (_, db) = common::databases().await.remove(0);
    let config = common::config_from_text(text, "sqlite://unused.db");
    let instance = dvor::Instance::start_on(config, db).await.unwrap();
    assert!(!instance.runtime.pooling());
    let ok = common::api(&instance.runtime, "chaos", "house-1", "GET", "ok", b"")
        .await
        .unwrap();
    assert_eq!(ok.status, 200, "plugins still run");
}

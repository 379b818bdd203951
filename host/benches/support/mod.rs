//! What the plugin benches share: the built plugins, and an instance started on a test
//! database from the bench's own config, as an operator starts one.

use std::path::PathBuf;

/// The directory `cargo xtask plugins` builds into; panics with how to build it when `wasm`
/// (`meetings.wasm`) is not there.
pub fn plugin_dir(wasm: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/wasm32-wasip2/plugin");
    assert!(
        dir.join(wasm).exists(),
        "build the plugins first: cargo xtask plugins"
    );
    dir
}

/// Start an instance on `db` from the config `config(plugin_dir, cache_dir)` makes; compiled
/// plugins are cached per bench `name` across runs.
pub async fn start_instance(
    name: &str,
    plugin_dir: &std::path::Path,
    db: dvor::storage::Database,
    config: impl Fn(&str, &str) -> String,
) -> dvor::Instance {
    let cache = std::env::temp_dir().join(format!("dvor-bench-{name}-cache"));
    let text = config(
        &plugin_dir.display().to_string(),
        &cache.display().to_string(),
    );
    let env = vec![(
        "DVOR_STORAGE__DATABASE_URL".to_owned(),
        "sqlite://unused.db".to_owned(),
    )];
    let config = dvor::config::Config::from_str_with_env(&text, "bench.toml", env)
        .expect("the bench config parses");
    dvor::Instance::start_on(config, db)
        .await
        .expect("the instance starts")
}

/// A multi-threaded runtime for the bench's async work.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

//! What the plugin benches share: the built plugins, an instance started on a test database
//! from the bench's own config, as an operator starts one, the residents they sign in, and how
//! they read their settings and summarise latencies.

// Each bench compiles this module and uses a part of it.
#![allow(dead_code)]

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

/// A bench setting from the environment (`DVOR_BENCH_…`), or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `q` quantile (0.5, 0.99, 1.0 for the maximum) of `samples`, which it sorts; 0 for none.
pub fn quantile(samples: &mut [u64], q: f64) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    samples.sort_unstable();
    samples[((samples.len() as f64 - 1.0) * q) as usize]
}

/// The start of a bench config: the instance with no scheduler, a town and its house
/// `house-1`; the bench appends its plugins (and units).
pub fn town_with_house(plugin_dir: &str, cache: &str) -> String {
    format!(
        r#"
[instance]
name = "Бенчмарк"
[server]
bind = "127.0.0.1:0"
[runtime]
plugin_dir = "{plugin_dir}"
cache_dir = "{cache}"
max_instances = 64
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
"#
    )
}

/// `count` residents of `house`, set up directly in the database in one transaction: each is
/// a `resident` there, the verified owner of `share_of(i)` of unit `unit_of(i)` (`house/N`),
/// and has a session. Their session tokens, in order.
pub async fn residents(
    db: &dvor::storage::Database,
    house: &str,
    count: u64,
    unit_of: impl Fn(u64) -> String,
    share_of: impl Fn(u64) -> (u32, u32),
) -> Vec<String> {
    use dvor::identity::membership::{self, OwnershipChange, Place};
    use dvor::identity::people::{self, NewPerson};
    use dvor::identity::tokens;
    let tx = db.begin().await.unwrap();
    let mut sessions = Vec::new();
    for i in 0..count {
        let person = people::create(
            &tx,
            NewPerson {
                given_name: "Житель".into(),
                family_name: format!("{i}"),
                phone: Some(format!("+7999{i:07}")),
                email: None,
                locale: "ru".into(),
            },
            0,
        )
        .await
        .unwrap();
        membership::grant(
            &tx,
            None,
            &person.id,
            "resident",
            Place::Community(Some(house)),
            0,
        )
        .await
        .unwrap();
        let unit_id = format!("{house}/{}", unit_of(i));
        let unit = membership::unit(&tx, &unit_id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no unit {unit_id}"));
        membership::set_ownership(
            &tx,
            None,
            OwnershipChange {
                person: &person.id,
                unit: &unit,
                share: share_of(i),
                verified: true,
                source: "bench",
            },
            0,
        )
        .await
        .unwrap();
        let (token, _) = tokens::issue(
            &tx,
            tokens::NewCredential {
                person_id: &person.id,
                kind: tokens::Kind::Session,
                name: None,
                scopes: &[],
                user_agent: None,
                expires: None,
            },
            dvor::identity::now_ms(),
        )
        .await
        .unwrap();
        sessions.push(token);
    }
    tx.commit().await.unwrap();
    sessions
}

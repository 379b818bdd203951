//! What the plugin benches share: the built plugins, an instance started on a test database
//! from the bench's own config, as an operator starts one — in the bench's process, or as a
//! release `dvor serve` process of its own — the residents they sign in, and how they read
//! their settings and summarise latencies.

// Each bench compiles this module and uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
        sessions.push(session(&tx, &person.id).await);
    }
    tx.commit().await.unwrap();
    sessions
}

/// A member of `organization`'s staff holding `role` there, made in the host's database as
/// [`residents`] are; returns their session token.
pub async fn staff(db: &dvor::storage::Database, role: &str, organization: &str) -> String {
    use dvor::identity::membership::{self, Place};
    use dvor::identity::people::{self, NewPerson};
    let tx = db.begin().await.unwrap();
    let person = people::create(
        &tx,
        NewPerson {
            given_name: "Сотрудник".into(),
            family_name: role.into(),
            phone: Some("+79980000001".into()),
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
        role,
        Place::Organization(organization),
        0,
    )
    .await
    .unwrap();
    let token = session(&tx, &person.id).await;
    tx.commit().await.unwrap();
    token
}

/// A session token for `person_id`, as a sign-in would give them.
async fn session(tx: &sea_orm::DatabaseTransaction, person_id: &str) -> String {
    let (token, _) = dvor::identity::tokens::issue(
        tx,
        dvor::identity::tokens::NewCredential {
            person_id,
            kind: dvor::identity::tokens::Kind::Session,
            name: None,
            scopes: &[],
            user_agent: None,
            expires: None,
        },
        dvor::identity::now_ms(),
    )
    .await
    .unwrap();
    token
}

/// One `dvor serve` process on SQLite in a data directory of its own; killed, and its data
/// removed, when dropped.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The data directory (the database is `data/dvor.db` in it, the log `serve.log`).
    pub data: PathBuf,
}

impl Served {
    /// The URL of the host's SQLite database, to set up residents in it.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}/data/dvor.db", self.data.display())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The `dvor` binary the process benches serve: `DVOR_BIN`, or the release build.
pub fn release_bin() -> PathBuf {
    let bin = std::env::var("DVOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/dvor")
        });
    assert!(
        bin.exists(),
        "build the server first: cargo build --release -p dvor --bin dvor ({})",
        bin.display()
    );
    bin
}

/// Start `dvor serve` from the repository root with `config` (the bundled `config/dvor.toml`
/// when `None`, else this text, written into the data directory), the built plugins, a fresh
/// data directory and `env` on top; compiled plugins are cached per bench `name`.
pub fn serve_process(
    name: &str,
    plugin_dir: &std::path::Path,
    config: Option<&str>,
    env: &[(&str, &str)],
) -> Served {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = std::env::temp_dir().join(format!("dvor-bench-{name}-{port}"));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let cache = std::env::temp_dir().join(format!("dvor-bench-{name}-cache"));
    let log = std::fs::File::create(data.join("serve.log")).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(release_bin());
    command.arg("serve").current_dir(&root);
    if let Some(text) = config {
        let file = data.join("bench.toml");
        std::fs::write(&file, text).unwrap();
        command.arg("--config").arg(file);
    }
    command
        .env(
            "DVOR_STORAGE__DATA_DIR",
            data.join("data").display().to_string(),
        )
        .env("DVOR_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("DVOR_INSTANCE__PUBLIC_URL", &base)
        .env("DVOR_RUNTIME__PLUGIN_DIR", plugin_dir.display().to_string())
        .env("DVOR_RUNTIME__CACHE_DIR", cache.display().to_string())
        .env("DVOR_LOG", "warn")
        .env("NO_COLOR", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("dvor serve starts");
    Served { child, base, data }
}

/// Poll `check` every half second until it holds, for at most `seconds`.
pub async fn wait_for<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + Duration::from_secs(seconds);
    while !check().await {
        assert!(Instant::now() < until, "waited {seconds} s for {what}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Wait until `served` answers 200 on `/readyz` (its plugins compiled and its jobs scheduled).
pub async fn wait_ready(http: &reqwest::Client, served: &Served) {
    let base = served.base.clone();
    wait_for("the host to be ready", 300, || {
        let probe = http.get(format!("{base}/readyz")).send();
        async move { probe.await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
}

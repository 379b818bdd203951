//! Operating an instance as an operator does, with the built `dvor` binary: upgrading a
//! database the 0.1 release made, `dvor migrate --dry-run`, and `dvor backup` of a running
//! instance restored into a fresh data directory (or an empty PostgreSQL database) — on SQLite,
//! and on PostgreSQL when `DVOR_TEST_POSTGRES_URL` is set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common;
use crate::common::server::{Client, SmsInbox, sms_gateway};

const ANNA: &str = "+79001234567";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/upgrade/0.1")
}

/// Where an instance's data lives: a data directory, and the database URL if it is not the
/// directory's SQLite file.
struct Place {
    data_dir: PathBuf,
    database_url: Option<String>,
}

impl Place {
    /// The environment an operator sets for this place (the bundled config otherwise).
    fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![(
            "DVOR_STORAGE__DATA_DIR".to_owned(),
            self.data_dir.display().to_string(),
        )];
        if let Some(url) = &self.database_url {
            env.push(("DVOR_STORAGE__DATABASE_URL".to_owned(), url.clone()));
        }
        env
    }

    /// Run a `dvor` command on this place; its output, asserting that it succeeded.
    fn dvor(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_dvor"))
            .args(args)
            .current_dir(root())
            .envs(self.env())
            .env("DVOR_LOG", "error")
            .output()
            .expect("dvor runs");
        assert!(
            out.status.success(),
            "dvor {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run a `dvor` command expected to refuse; what it said.
    fn dvor_refused(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_dvor"))
            .args(args)
            .current_dir(root())
            .envs(self.env())
            .env("DVOR_LOG", "error")
            .output()
            .expect("dvor runs");
        assert!(!out.status.success(), "dvor {args:?} should have refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// A `dvor serve` process, stopped when dropped.
struct Host {
    child: Child,
    base: String,
    sms: SmsInbox,
}

impl Host {
    /// Start `dvor serve` on `place` with the bundled config, as an operator would, and wait
    /// until it is ready. Jobs are not run by the clock: what is checked is what is stored.
    async fn start(place: &Place, cache: &Path) -> Host {
        Host::start_with(place, cache, &[], Stdio::inherit()).await
    }

    /// [`Host::start`] with more environment, and its standard error (its log) sent to `log`.
    async fn start_with(place: &Place, cache: &Path, env: &[(&str, &str)], log: Stdio) -> Host {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let (sms_url, sms) = sms_gateway().await;
        let child = Command::new(env!("CARGO_BIN_EXE_dvor"))
            .arg("serve")
            .current_dir(root())
            .envs(place.env())
            .env("DVOR_SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("DVOR_INSTANCE__PUBLIC_URL", &base)
            .env(
                "DVOR_RUNTIME__PLUGIN_DIR",
                common::plugin_dir().display().to_string(),
            )
            .env("DVOR_RUNTIME__CACHE_DIR", cache.display().to_string())
            .env("DVOR_SCHEDULER__ENABLED", "false")
            .env("DVOR_IDENTITY__SMS__GATEWAY", "http")
            .env("DVOR_IDENTITY__SMS__URL", &sms_url)
            .env("DVOR_IDENTITY__OTP__RESEND_COOLDOWN_S", "0")
            .env("DVOR_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("dvor serve starts");
        let host = Host { child, base, sms };
        host.wait_ready().await;
        host
    }

    async fn wait_ready(&self) {
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(answer) = http.get(format!("{}/readyz", self.base)).send().await
                && answer.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("dvor serve at {} did not become ready", self.base);
    }

    async fn sign_in(&self, phone: &str, given: &str, family: &str) -> Client {
        Client::sign_in_at(&self.base, &self.sms, phone, given, family, &self.base).await
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the 0.1 demo's resident Anna did and what its first jobs made, as she reads it back:
/// one JSON value per thing, in a fixed order, so two instances can be compared whole.
async fn what_anna_reads(anna: &Client) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for path in [
        "/api/me",
        "/api/c/demo-town/p/hello/notes",
        "/api/c/demo-town/p/people-control/appeals",
        "/api/c/demo-town/p/people-control/categories",
        "/api/c/demo-town/p/meetings/polls",
        "/api/c/demo-house-1/p/housing/accounts",
        "/api/c/demo-house-1/p/housing/accounts/12/readings",
        "/api/c/demo-house-1/p/housing/accounts/12/bills",
        "/api/c/demo-town/p/gamification/me",
    ] {
        let answer = anna.get(path).await;
        assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
        out.push((path.to_owned(), answer.json));
    }
    out
}

/// Check that what Anna reads is what the 0.1 demo left: her note, her appeal, the poll she
/// voted in, her flat's account with her reading of 125.5 and last month's bill.
fn assert_the_0_1_demo(engine: &str, read: &[(String, Value)]) {
    let text = serde_json::to_string(read).unwrap();
    for expected in [
        "Заметка из версии 0.1",
        "Мусор у третьего подъезда не вывозят неделю",
        "Где поставить лавочки?",
        // Her cold-water reading of 125.5 m³, kept in thousandths.
        "\"value\":125500",
    ] {
        assert!(
            text.contains(expected),
            "{engine}: Anna reads back «{expected}»: {text}"
        );
    }
    let me = &read[0].1;
    assert_eq!(me["person"]["given_name"], "Анна", "{engine}: {me}");
    let bills = &read[7].1;
    assert!(
        bills["bills"].as_array().is_some_and(|b| !b.is_empty()),
        "{engine}: last month's bill is there: {bills}"
    );
}

/// Drop the databases a test made on the PostgreSQL test server (best effort: a failed test
/// leaves them for the throwaway CI server).
async fn drop_postgres_databases(places: &[&Place]) {
    use sea_orm::ConnectionTrait as _;
    let Some(admin_url) = postgres_url() else {
        return;
    };
    let Ok(admin) = sea_orm::Database::connect(&admin_url).await else {
        return;
    };
    for url in places.iter().filter_map(|p| p.database_url.as_ref()) {
        if let Some((_, name)) = url.rsplit_once('/') {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// A new PostgreSQL database on the test server, and its URL (dropped by the server when the
/// test ends is not attempted: names are random, and CI's server is thrown away).
async fn new_postgres_database(admin_url: &str) -> String {
    use sea_orm::ConnectionTrait as _;
    let name = format!("dvor_ops_{:012x}", rand::random::<u64>() >> 16);
    let admin = sea_orm::Database::connect(admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

fn postgres_url() -> Option<String> {
    std::env::var(dvor::storage::testing::POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .map(|url| url.trim().to_owned())
}

/// The 0.1 fixture, loaded as an operator's old database: a copy of its SQLite file in a new
/// data directory, or its `pg_dump` loaded with `psql` into a new PostgreSQL database.
async fn the_0_1_database(engine: &str) -> Place {
    let data_dir = common::scratch_dir();
    match engine {
        "sqlite" => {
            std::fs::copy(fixtures().join("dvor.db"), data_dir.join("dvor.db")).unwrap();
            Place {
                data_dir,
                database_url: None,
            }
        }
        _ => {
            let url = new_postgres_database(&postgres_url().unwrap()).await;
            let out = Command::new("psql")
                .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
                .arg(fixtures().join("postgres.sql"))
                .arg(&url)
                .output()
                .expect("psql runs");
            assert!(
                out.status.success(),
                "loading the 0.1 dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Place {
                data_dir,
                database_url: Some(url),
            }
        }
    }
}

fn engines() -> Vec<&'static str> {
    let mut engines = vec!["sqlite"];
    if postgres_url().is_some() {
        engines.push("postgres");
    }
    engines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_0_1_release_migrates_forward_with_its_data() {
    let cache = common::scratch_dir();
    for engine in engines() {
        let place = the_0_1_database(engine).await;

        // The dry run names what is new since 0.1, and changes nothing.
        let plan = place.dvor(&["migrate", "--dry-run"]);
        assert!(
            plan.contains("5 of 7 migrations applied"),
            "{engine}: {plan}"
        );
        assert!(plan.contains("m20261126_000006_instance_secrets"), "{plan}");
        assert!(plan.contains("m20261201_000007_contract_0_2"), "{plan}");
        assert!(!plan.contains("m20261123_000001"), "{engine}: {plan}");
        let again = place.dvor(&["migrate", "--dry-run"]);
        assert_eq!(plan, again, "{engine}: a dry run changes nothing");

        // The current host starts on it (migrating as it starts) and Anna finds everything.
        let host = Host::start(&place, &cache).await;
        let anna = host.sign_in(ANNA, "Анна", "Петрова").await;
        let read = what_anna_reads(&anna).await;
        assert_the_0_1_demo(engine, &read);

        // And she can go on: a new note is stored next to the old one.
        let note = anna
            .post(
                "/api/c/demo-town/p/hello/notes",
                json!({ "text": "После обновления" }),
            )
            .await;
        assert_eq!(note.status, 201, "{engine}: {note:?}");
        drop(host);
        let plan = place.dvor(&["migrate", "--dry-run"]);
        assert!(plan.contains("nothing to run"), "{engine}: {plan}");
        drop_postgres_databases(&[&place]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_instance_restores_into_a_fresh_place_the_same() {
    let cache = common::scratch_dir();
    for engine in engines() {
        let place = the_0_1_database(engine).await;
        let host = Host::start(&place, &cache).await;
        let anna = host.sign_in(ANNA, "Анна", "Петрова").await;
        let note = anna
            .post(
                "/api/c/demo-town/p/hello/notes",
                json!({ "text": "До резервной копии" }),
            )
            .await;
        assert_eq!(note.status, 201, "{engine}: {note:?}");
        let before = what_anna_reads(&anna).await;

        // Backed up while the host serves.
        let backup = common::scratch_dir().join("nightly").join("dvor.backup");
        let said = place.dvor(&["backup", backup.to_str().unwrap()]);
        assert!(said.contains("backed up to"), "{engine}: {said}");
        assert!(backup.is_file(), "{engine}: {said}");
        // A backup never overwrites one that exists.
        let refused = place.dvor_refused(&["backup", backup.to_str().unwrap()]);
        assert!(refused.contains("exists already"), "{engine}: {refused}");

        // What happens after the backup is not in it.
        let later = anna
            .post(
                "/api/c/demo-town/p/hello/notes",
                json!({ "text": "После резервной копии" }),
            )
            .await;
        assert_eq!(later.status, 201, "{engine}: {later:?}");

        // Restored into a new place, a host there reads back the same.
        let fresh = Place {
            data_dir: common::scratch_dir().join("restored"),
            database_url: match engine {
                "sqlite" => None,
                _ => Some(new_postgres_database(&postgres_url().unwrap()).await),
            },
        };
        let said = fresh.dvor(&["restore", backup.to_str().unwrap()]);
        assert!(said.contains("restored"), "{engine}: {said}");
        // Restoring over a database that has data is refused.
        let refused = fresh.dvor_refused(&["restore", backup.to_str().unwrap()]);
        assert!(
            refused.contains("exists already") || refused.contains("tables already"),
            "{engine}: {refused}"
        );
        drop(host);
        let restored = Host::start(&fresh, &cache).await;
        let anna_there = restored.sign_in(ANNA, "Анна", "Петрова").await;
        let after = what_anna_reads(&anna_there).await;
        assert_the_0_1_demo(engine, &after);
        let text = serde_json::to_string(&after).unwrap();
        assert!(text.contains("До резервной копии"), "{engine}: {text}");
        assert!(!text.contains("После резервной копии"), "{engine}: {text}");
        assert_eq!(
            before, after,
            "{engine}: everything Anna read before the backup reads back the same"
        );
        drop(restored);
        drop_postgres_databases(&[&place, &fresh]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_name_routes_jobs_and_events_and_logs_are_plain_or_json() {
    let cache = common::scratch_dir();
    let place = the_0_1_database("sqlite").await;
    let log_file = place.data_dir.join("serve.log");
    let log = std::fs::File::create(&log_file).unwrap();
    let host = Host::start_with(
        &place,
        &cache,
        &[("DVOR_LOG_FORMAT", "json"), ("DVOR_LOG", "info")],
        log.into(),
    )
    .await;
    let anna = host.sign_in(ANNA, "Анна", "Петрова").await;
    for note in ["первая", "вторая"] {
        let answer = anna
            .post("/api/c/demo-town/p/hello/notes", json!({ "text": note }))
            .await;
        assert_eq!(answer.status, 201, "{answer:?}");
    }
    let missing = anna
        .get("/api/c/demo-town/p/hello/notes/no-such-thing")
        .await;
    assert_ne!(missing.status, 200);
    let metrics = Client::signed_out(&host.base).get("/metrics").await.text;

    // Requests by route template, never by raw path.
    let notes = r#"dvor_http_requests_total{method="POST",route="/api/c/{community}/p/{plugin}/{*path}",status="201"} 2"#;
    assert!(metrics.contains(notes), "{metrics}");
    assert!(
        metrics.contains(r#"dvor_http_request_duration_seconds_count{method="POST",route="/api/c/{community}/p/{plugin}/{*path}"} 2"#),
        "{metrics}"
    );
    assert!(
        !metrics.contains("demo-town/p/hello"),
        "no raw paths: {metrics}"
    );
    // The pool and its waits.
    assert!(metrics.contains("dvor_db_pool_connections 1"), "{metrics}");
    let waits = metric_value(&metrics, "dvor_db_pool_wait_seconds_count");
    assert!(
        waits >= 2.0,
        "each write waited for its connection: {metrics}"
    );
    // The fixture's jobs were due when 0.1 stopped, and this host runs none (the scheduler is
    // off): they are late, and the gauge says by how much.
    assert!(metric_value(&metrics, "dvor_jobs_due") >= 1.0, "{metrics}");
    assert!(
        metric_value(&metrics, "dvor_job_lag_seconds") > 60.0,
        "{metrics}"
    );
    // The event backlog is reported (its size depends on how fast the consumers were).
    assert!(
        metric_value(&metrics, "dvor_event_backlog") >= 0.0,
        "{metrics}"
    );
    assert!(
        metric_value(&metrics, "dvor_event_backlog_age_seconds") >= 0.0,
        "{metrics}"
    );

    // The log is one JSON object a line, without colour codes.
    drop(host);
    let text = std::fs::read_to_string(&log_file).unwrap();
    assert!(!text.contains('\u{1b}'), "no colour codes: {text}");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        text.contains("m20261201_000007_contract_0_2"),
        "the host logged its migrations: {text}"
    );
    for line in lines {
        let object: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a log line is JSON ({e}): {line}"));
        assert!(object["level"].is_string(), "{line}");
        assert!(object["timestamp"].is_string(), "{line}");
    }
}

/// The value of an unlabelled metric in the text format.
fn metric_value(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

//! The production shape, run: two `dvor serve` processes behind a real HAProxy (Debian's
//! package, checking `/readyz`), on a PostgreSQL server of the test's own (`initdb` and
//! `pg_ctl` as the unprivileged `postgres` user, on a free port — the machine's shared server is
//! never restarted). Under a load of residents — notes, meter readings, appeals, polls and
//! votes, exports run as jobs, pages — one host is killed: only requests in flight on it may
//! fail, every answered write is there afterwards, every requested job finishes exactly once and
//! every event reaches every consumer; then PostgreSQL restarts: the hosts say they are not
//! ready, and recover by themselves.
//!
//! Runs when HAProxy and PostgreSQL's server binaries are installed (`.ci/run` installs them);
//! otherwise it says why and passes without running.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::common;
use crate::common::server::{Client, SmsInbox, sms_gateway};

/// The newest PostgreSQL server binaries Debian's packages installed
/// (`/usr/lib/postgresql/<major>/bin`).
fn pg_bin() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

fn pg_tool(name: &str) -> String {
    pg_bin()
        .expect("PostgreSQL's server binaries")
        .join(name)
        .display()
        .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL server of the test's own, stopped and removed when dropped.
struct OwnPostgres {
    dir: PathBuf,
    port: u16,
}

/// Run a command as the `postgres` user (the server refuses to run as root).
fn as_postgres(program: &str, args: &[&str]) -> std::process::Output {
    let mut command = if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the PostgreSQL tool runs")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        // Under the system's temporary directory, which the `postgres` user can reach.
        let dir =
            std::env::temp_dir().join(format!("dvor-pg-{:012x}", rand::random::<u64>() >> 16));
        std::fs::create_dir_all(&dir).unwrap();
        if running_as_root() {
            let status = Command::new("chown")
                .args(["postgres:postgres", dir.to_str().unwrap()])
                .status()
                .unwrap();
            assert!(status.success());
        }
        let data = dir.join("data");
        let out = as_postgres(
            &pg_tool("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let server = OwnPostgres {
            dir,
            port: free_port(),
        };
        server.pg_ctl("start");
        server
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let out = as_postgres(
            &pg_tool("pg_ctl"),
            &[
                action,
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "-m",
                "fast",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl {action}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = as_postgres(
            &pg_tool("pg_ctl"),
            &[
                "stop",
                "-D",
                self.dir.join("data").to_str().unwrap(),
                "-m",
                "immediate",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `dvor serve` process, killed when dropped.
struct Host {
    child: Child,
    base: String,
    port: u16,
}

impl Host {
    fn start(database_url: &str, cache: &Path, sms_url: &str) -> Host {
        let port = free_port();
        let data = common::scratch_dir();
        let child = Command::new(env!("CARGO_BIN_EXE_dvor"))
            .arg("serve")
            .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
            .env("DVOR_STORAGE__DATA_DIR", data.display().to_string())
            .env("DVOR_STORAGE__DATABASE_URL", database_url)
            .env("DVOR_SERVER__BIND", format!("127.0.0.1:{port}"))
            .env(
                "DVOR_RUNTIME__PLUGIN_DIR",
                common::plugin_dir().display().to_string(),
            )
            .env("DVOR_RUNTIME__CACHE_DIR", cache.display().to_string())
            .env("DVOR_IDENTITY__SMS__GATEWAY", "http")
            .env("DVOR_IDENTITY__SMS__URL", sms_url)
            .env("DVOR_IDENTITY__OTP__RESEND_COOLDOWN_S", "0")
            // Readings are taken every day of the month, so the test passes on any date.
            .env(
                "DVOR_PLUGINS__HOUSING__SETTINGS__READING_WINDOW",
                "{ from_day = 1, to_day = 31 }",
            )
            // A job claimed by the host that dies is taken over after 5 s, not a minute.
            .env("DVOR_SCHEDULER__LEASE_MS", "5000")
            .env("DVOR_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("dvor serve starts");
        Host {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
        }
    }

    async fn readiness(&self) -> u16 {
        match reqwest::Client::new()
            .get(format!("{}/readyz", self.base))
            .timeout(Duration::from_secs(5))
            .send()
            .await
        {
            Ok(answer) => answer.status().as_u16(),
            Err(_) => 0,
        }
    }

    async fn wait_for(&self, status: u16, what: &str) {
        for _ in 0..600 {
            if self.readiness().await == status {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("{}: {what}", self.base);
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HAProxy in front of the hosts, with the health checks of `config/examples/lb/haproxy.cfg`.
struct Balancer {
    child: Child,
    base: String,
    _dir: PathBuf,
}

impl Balancer {
    fn start(hosts: &[&Host]) -> Balancer {
        let port = free_port();
        let dir = common::scratch_dir();
        let servers: String = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| format!("    server dvor{i} 127.0.0.1:{} check\n", h.port))
            .collect();
        let config = format!(
            "global\n    maxconn 2000\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n    \
             timeout server 60s\n    timeout tunnel 1h\n    retries 2\n    option redispatch\n\
             frontend web\n    bind 127.0.0.1:{port}\n    default_backend dvor_hosts\n\
             backend dvor_hosts\n    balance roundrobin\n    option httpchk GET /readyz\n    \
             http-check expect status 200\n    default-server inter 500ms fall 2 rise 2\n{servers}"
        );
        let file = dir.join("haproxy.cfg");
        std::fs::write(&file, config).unwrap();
        let child = Command::new("haproxy")
            .args(["-db", "-f", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy starts");
        Balancer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }
}

impl Balancer {
    /// Wait until the balancer passes requests on to a host that is ready (its health checks
    /// put a host back after two good answers).
    async fn wait_ready(&self) {
        let probe = reqwest::Client::new();
        for attempt in 0.. {
            match probe.get(format!("{}/readyz", self.base)).send().await {
                Ok(answer) if answer.status() == 200 => return,
                _ if attempt < 100 => tokio::time::sleep(Duration::from_millis(100)).await,
                other => panic!("the balancer does not pass requests on: {other:?}"),
            }
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn installed() -> Option<&'static str> {
    if Command::new("haproxy").arg("-v").output().is_err() {
        return Some("haproxy is not installed");
    }
    if pg_bin().is_none() {
        return Some("PostgreSQL's server binaries are not installed");
    }
    None
}

/// One request of the load: its status, or 0 when the connection broke (a request in flight
/// on a host that died).
async fn attempt(
    http: &reqwest::Client,
    resident: &Client,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> u16 {
    attempt_json(http, resident, method, path, body).await.0
}

/// [`attempt`], with the JSON answered (null when there is none).
async fn attempt_json(
    http: &reqwest::Client,
    resident: &Client,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = http.request(method, format!("{}{path}", resident.base));
    if let Some(token) = &resident.token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    match request.send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            match answer.bytes().await {
                Ok(bytes) => (
                    status,
                    serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
                ),
                Err(_) => (0, serde_json::Value::Null),
            }
        }
        Err(_) => (0, serde_json::Value::Null),
    }
}

/// The flats of the demo house the residents of the load own, one each.
const FLATS: [&str; 4] = ["1", "2", "12", "45"];

/// Wait until `check` holds, asking every half second for at most `seconds`.
async fn wait_until<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < until,
            "waited {seconds} s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A count the test reads from the shared database itself.
async fn db_count(db: &dvor::storage::Database, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .connection()
        .query_one(Statement::from_string(db.backend(), sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a count");
    row.try_get_by_index::<i64>(0).expect("a count")
}

/// Which plugin consumes each kind of event the load makes (the bundled config's grants).
const CONSUMERS: [(&str, &str); 4] = [
    ("hello.note_added", "hello"),
    ("reading.submitted", "gamification"),
    ("appeal.created", "gamification"),
    ("poll.voted", "gamification"),
];

/// Follow the hello plugin's live notes at `base` as `resident`'s open page does, from after
/// update `last_event_id` when given (what a browser's EventSource sends on reconnecting).
async fn follow_notes(
    base: &str,
    resident: &Client,
    last_event_id: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(format!("{base}/api/live/c/demo-town/p/hello?channel=notes"))
        .header("accept", "text/event-stream");
    if let Some(token) = &resident.token {
        request = request.bearer_auth(token);
    }
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let answer = request.send().await.expect("the live stream opens");
    assert_eq!(answer.status(), 200, "the live stream opens");
    answer
}

/// Read a live stream until an update mentions `text`; the id of the last update read. `None`
/// when the stream ends or 20 s pass first.
async fn read_until(stream: &mut reqwest::Response, text: &str) -> Option<String> {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .ok()?
            .ok()??;
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if seen.contains(text) {
            return seen
                .lines()
                .filter_map(|line| line.strip_prefix("id:"))
                .map(|id| id.trim().to_owned())
                .next_back();
        }
    }
}

async fn sign_in(base: &str, sms: &SmsInbox, phone: &str) -> Client {
    Client::sign_in_at(base, sms, phone, "Жилец", "Нагрузочный", "the balancer").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_behind_haproxy_survive_a_host_killed_and_a_database_restart() {
    if let Some(missing) = installed() {
        eprintln!("skipping the load-balanced test: {missing}");
        return;
    }
    let postgres = OwnPostgres::start();
    let cache = common::scratch_dir();
    let (sms_url, sms) = sms_gateway().await;
    // The first host migrates the empty database; the second starts on it then.
    let first = Host::start(&postgres.url(), &cache, &sms_url);
    first.wait_for(200, "the first host is ready").await;
    let second = Host::start(&postgres.url(), &cache, &sms_url);
    second.wait_for(200, "the second host is ready").await;
    let balancer = Balancer::start(&[&first, &second]);
    balancer.wait_ready().await;

    // Residents sign in through the balancer (each sign-in's code is asked on one host and
    // checked on whichever the balancer picks: the hosts share everything through the
    // database).
    let mut residents = Vec::new();
    for i in 0..4 {
        residents.push(sign_in(&balancer.base, &sms, &format!("+7900111000{i}")).await);
    }
    // Each owns a flat of the demo house (as its manager records it), so they submit its
    // readings and vote in the house's polls.
    let admin = Client::sign_in_at(
        &balancer.base,
        &sms,
        common::server::DEMO_ADMIN_PHONE,
        "Админ",
        "Демо",
        "the balancer",
    )
    .await;
    for (resident, flat) in residents.iter().zip(FLATS) {
        let person = resident.person.clone().unwrap();
        let role = admin
            .post(
                "/api/roles",
                json!({ "person": person, "role": "resident", "community": "demo-house-1" }),
            )
            .await;
        assert!(role.status < 300, "{role:?}");
        let owner = admin
            .put(
                &format!("/api/communities/demo-house-1/units/{flat}/owners/{person}"),
                json!({ "share": "1", "verified": true }),
            )
            .await;
        assert!(owner.status < 300, "{owner:?}");
    }
    // The demo's seed, made by the hosts' scheduled jobs: housing's billing the house's
    // accounts and meters, people-control's sync its categories.
    let mut meters = Vec::new();
    for (resident, flat) in residents.iter().zip(FLATS) {
        let path = format!("/api/c/demo-house-1/p/housing/accounts/{flat}");
        wait_until("the demo's accounts", 180, || async {
            resident.get(&path).await.json["account"]["meters"][0]["id"].is_string()
        })
        .await;
        let account = resident.get(&path).await;
        meters.push(
            account.json["account"]["meters"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    wait_until("the demo's appeal categories", 120, || async {
        residents[0]
            .get("/api/c/demo-town/p/people-control/categories")
            .await
            .json["categories"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    })
    .await;

    // The load: each resident, in a loop, writes a note, submits a reading, files an appeal,
    // starts a poll and votes in it, now and then asks for an export of the notes (a job), and
    // reads pages, counting what failed.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let failed = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let refusals = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for (n, resident) in residents.iter().cloned().enumerate() {
        let (stop, failed, answered) = (stop.clone(), failed.clone(), answered.clone());
        let refusals = refusals.clone();
        let (flat, meter) = (FLATS[n], meters[n].clone());
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut written = Vec::new();
            let mut exports = Vec::new();
            let mut i = 0u64;
            // A write the balancer did not answer as done: lost with the host if there was no
            // answer (0) or only the balancer's own 502/504 for a host that died under the
            // request (no JSON from dvor), else a refusal by dvor the test names.
            let refused = |what: &str, status: u16, body: &serde_json::Value| {
                failed.fetch_add(1, Ordering::SeqCst);
                let lost_with_the_host = status == 0 || (matches!(status, 502 | 504) && body.is_null());
                if !lost_with_the_host {
                    refusals
                        .lock()
                        .unwrap()
                        .push(format!("{what}: {status} {body}"));
                }
            };
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let text = format!("заметка {n}-{i}");
                let note = attempt(
                    &http,
                    &resident,
                    reqwest::Method::POST,
                    "/api/c/demo-town/p/hello/notes",
                    Some(json!({ "text": text })),
                )
                .await;
                if note == 201 {
                    written.push(text);
                } else {
                    failed.fetch_add(1, Ordering::SeqCst);
                }
                // Higher each time: the month's reading is replaced (200) after the first (201).
                let (status, body) = attempt_json(
                    &http,
                    &resident,
                    reqwest::Method::POST,
                    &format!("/api/c/demo-house-1/p/housing/accounts/{flat}/readings"),
                    Some(json!({ "meter": meter, "value": format!("{}", 20_000 + i) })),
                )
                .await;
                if status != 200 && status != 201 {
                    refused("reading", status, &body);
                }
                let (status, body) = attempt_json(
                    &http,
                    &resident,
                    reqwest::Method::POST,
                    "/api/c/demo-town/p/people-control/appeals",
                    Some(json!({ "category": "garbage", "address": format!("ул. Садовая, {n}"),
                                 "description": format!("Мусор у подъезда не вывозят ({n}-{i})") })),
                )
                .await;
                if status != 201 {
                    refused("appeal", status, &body);
                }
                let (status, poll) = attempt_json(
                    &http,
                    &resident,
                    reqwest::Method::POST,
                    "/api/c/demo-house-1/p/meetings/polls",
                    Some(json!({ "title": format!("Опрос {n}-{i}: красим подъезд?"), "kind": "single",
                                 "options": ["Да", "Нет"], "hours": 24 })),
                )
                .await;
                if let (201, Some(poll)) = (status, poll["id"].as_str()) {
                    let (status, body) = attempt_json(
                        &http,
                        &resident,
                        reqwest::Method::POST,
                        &format!("/api/c/demo-house-1/p/meetings/polls/{poll}/vote"),
                        Some(json!({ "choices": [i % 2] })),
                    )
                    .await;
                    if status != 201 {
                        refused("vote", status, &body);
                    }
                } else {
                    refused("poll", status, &poll);
                }
                if i % 4 == 1 {
                    let (status, body) = attempt_json(
                        &http,
                        &resident,
                        reqwest::Method::POST,
                        "/api/c/demo-town/p/hello/notes/export",
                        None,
                    )
                    .await;
                    match (status, body["run"].as_str()) {
                        (202, Some(run)) => exports.push(run.to_owned()),
                        _ => refused("export", status, &body),
                    }
                }
                for path in ["/c/demo-town/p/hello", "/api/me"] {
                    let status = attempt(&http, &resident, reqwest::Method::GET, path, None).await;
                    if status == 200 {
                        answered.fetch_add(1, Ordering::SeqCst);
                    } else {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            (written, exports)
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before_kill = answered.load(Ordering::SeqCst);
    assert!(before_kill > 0, "the load ran");
    // A resident's open page follows the notes live, and its stream is on the host that dies.
    let mut live = follow_notes(&second.base, &residents[0], None).await;
    let before = residents[0]
        .post(
            "/api/c/demo-town/p/hello/notes",
            json!({ "text": "перед отключением" }),
        )
        .await;
    assert_eq!(before.status, 201, "{before:?}");
    let last_seen = read_until(&mut live, "перед отключением")
        .await
        .expect("the live stream shows the new note");
    drop(second); // killed mid-load (SIGKILL: nothing finishes on it)
    assert_eq!(
        read_until(&mut live, "никогда").await,
        None,
        "the stream ends with its host"
    );
    // Written through the balancer while the page is away. Until the balancer's health check
    // marks the host down, the connection may close with no answer (the host died under it): the
    // person sends again, as a browser re-sends a request its connection dropped unanswered.
    let http = reqwest::Client::new();
    let mut meanwhile = (0, serde_json::Value::Null);
    for _ in 0..5 {
        meanwhile = attempt_json(
            &http,
            &residents[0],
            reqwest::Method::POST,
            "/api/c/demo-town/p/hello/notes",
            Some(json!({ "text": "пока страница без связи" })),
        )
        .await;
        if meanwhile.0 != 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(meanwhile.0, 201, "{meanwhile:?}");
    // The browser reconnects through the balancer, to the host that is left, with the id of
    // the last update it saw, and gets what it missed.
    let mut again = follow_notes(&balancer.base, &residents[0], Some(&last_seen)).await;
    assert!(
        read_until(&mut again, "пока страница без связи")
            .await
            .is_some(),
        "the reconnected stream brings the note written while it was away"
    );
    drop(again);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        answered.load(Ordering::SeqCst) > before_kill,
        "the surviving host kept answering"
    );
    stop.store(true, Ordering::SeqCst);
    let mut written = Vec::new();
    let mut exports = Vec::new();
    for worker in workers {
        let (notes, runs) = worker.await.unwrap();
        written.extend(notes);
        exports.extend(runs);
    }
    let failures = failed.load(Ordering::SeqCst);
    let refused = refusals.lock().unwrap().clone();
    assert!(
        refused.is_empty(),
        "writes refused under the load: {refused:#?}"
    );
    // Each resident has at most one request in flight: at most that many were lost with the
    // host.
    assert!(
        failures <= residents.len() as u64,
        "{failures} requests failed; only the {} in flight on the killed host may",
        residents.len()
    );
    // Every note the balancer answered as stored is stored.
    let notes = residents[0]
        .get("/api/c/demo-town/p/hello/notes/count")
        .await;
    assert_eq!(notes.status, 200, "{notes:?}");
    let count = notes.json["count"].as_u64().unwrap_or(0);
    assert!(
        count >= written.len() as u64,
        "{count} notes stored, {} answered as stored",
        written.len()
    );

    // Every export asked for finished exactly once: each run is done with its file, and no
    // run stored a second file (a run finished twice would).
    assert!(!exports.is_empty(), "the load asked for exports");
    let db = dvor::storage::Database::connect(&postgres.url())
        .await
        .expect("the test reads the shared database");
    let ids = exports
        .iter()
        .map(|id| format!("'{}'", id.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(",");
    wait_until("every requested export to finish", 120, || async {
        db_count(
            &db,
            &format!("SELECT count(*) FROM job_runs WHERE id IN ({ids}) AND status <> 'done'"),
        )
        .await
            == 0
    })
    .await;
    let done_with_file = db_count(
        &db,
        &format!(
            "SELECT count(DISTINCT r.id) FROM job_runs r JOIN files f ON f.id = r.output_file \
             WHERE r.id IN ({ids}) AND r.status = 'done'"
        ),
    )
    .await;
    assert_eq!(
        done_with_file,
        exports.len() as i64,
        "every export answered 202 is done with its file"
    );
    let runs = db_count(
        &db,
        "SELECT count(*) FROM job_runs WHERE plugin = 'hello' AND job = 'export'",
    )
    .await;
    let files = db_count(
        &db,
        "SELECT count(*) FROM files WHERE plugin = 'hello' AND name = 'notes.csv'",
    )
    .await;
    assert_eq!(
        files, runs,
        "one file per export run: no run finished twice"
    );

    // Every event reached every consumer: each delivery is done, each event of the load has
    // its consumer's delivery, and hello's handler stored one echo per note event.
    wait_until("every event delivered", 120, || async {
        db_count(
            &db,
            "SELECT count(*) FROM deliveries WHERE status <> 'done'",
        )
        .await
            == 0
    })
    .await;
    for (kind, consumer) in CONSUMERS {
        let events = db_count(
            &db,
            &format!("SELECT count(*) FROM events WHERE kind = '{kind}'"),
        )
        .await;
        assert!(events > 0, "the load made {kind} events");
        let missing = db_count(
            &db,
            &format!(
                "SELECT count(*) FROM events e WHERE e.kind = '{kind}' AND NOT EXISTS \
                 (SELECT 1 FROM deliveries d WHERE d.event_id = e.id \
                  AND d.subscriber = '{consumer}' AND d.status = 'done')"
            ),
        )
        .await;
        assert_eq!(
            missing, 0,
            "{missing} of {events} {kind} events never reached {consumer}"
        );
    }
    let note_events = db_count(
        &db,
        "SELECT count(*) FROM events WHERE kind = 'hello.note_added'",
    )
    .await;
    let echoes = db_count(
        &db,
        "SELECT count(*) FROM documents WHERE plugin = 'hello' AND collection = 'echoes'",
    )
    .await;
    assert_eq!(echoes, note_events, "hello handled each note event once");
    assert!(
        note_events >= written.len() as i64,
        "{note_events} note events for {} notes answered as stored",
        written.len()
    );
    drop(db);

    // PostgreSQL restarts: the host says it is not ready while the database is away, and
    // recovers without a restart.
    postgres.pg_ctl("stop");
    first.wait_for(503, "not ready without its database").await;
    postgres.pg_ctl("start");
    first
        .wait_for(200, "ready again once the database is back")
        .await;
    balancer.wait_ready().await;
    let after = residents[1]
        .post(
            "/api/c/demo-town/p/hello/notes",
            json!({ "text": "после перезапуска" }),
        )
        .await;
    assert_eq!(
        after.status, 201,
        "a write after the database restart: {after:?}"
    );
    drop(balancer);
}

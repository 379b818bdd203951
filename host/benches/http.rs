//! HTTP through a plugin against bare axum, side by side in one run (issue 22).
//!
//! Starts, in this one process run: a bare axum server answering the same JSON greeting as the
//! `hello` plugin's `GET greet`, and a release `dvor serve` of the bundled `config/dvor.toml`
//! (SQLite in a scratch directory). Both are loaded by the same client, `wrk` (`-t2 -c32`,
//! `DVOR_BENCH_SECONDS` long, 8 by default), in alternating rounds (`DVOR_BENCH_ROUNDS`, 2 by
//! default), and the best round of each is compared: the ratio dvor ÷ axum, then plugin pages
//! (people-control's list, meetings' home) in requests per second, anonymous and signed in. The
//! signed-in figures use a session of the demo's admin, made as a person makes one: a sign-in
//! code sent to +7 900 000-00-00 and read from the host's log (the demo's SMS gateway).
//!
//! Run with `cargo build --release -p dvor --bin dvor && cargo bench -p dvor --bench http`
//! after `cargo xtask plugins`; `DVOR_BIN` names another `dvor` binary. `wrk` must be on the
//! path. Engine levers can be switched off for a run with `DVOR_ENGINE_OFF` (see
//! `host/src/runtime/engine.rs`). Figures go to `docs/benchmarks.md`, with the machine's load.
//! A measurement, not a test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The greeting route, the same path on both servers.
const GREET: &str = "/api/c/demo-town/p/hello/greet?name=Anna";

/// What `wrk` measured, and what the server spent on it.
#[derive(Clone, Copy, Debug, Default)]
struct Load {
    requests_per_second: f64,
    /// Answers that were not 2xx/3xx.
    failed: u64,
    /// The server process's CPU time (user + system) over the run, per request `wrk` counted.
    cpu_us_per_request: f64,
}

/// A process's CPU time so far (user + system), from `/proc/<pid>/stat`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces);
    // utime and stime are the 14th and 15th fields of the line, in clock ticks.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    // USER_HZ is 100 on every Linux this runs on.
    ticks / 100.0
}

/// Load `url` for `seconds`, charging the CPU the process `server` spends meanwhile.
fn wrk(url: &str, seconds: u64, server: u32) -> Load {
    wrk_with(url, None, seconds, server)
}

/// [`wrk`] with one more request header (`name: value`), such as a session cookie.
fn wrk_with(url: &str, header: Option<&str>, seconds: u64, server: u32) -> Load {
    let cpu_before = cpu_seconds(server);
    let mut args = vec![
        "-t2".to_owned(),
        "-c32".to_owned(),
        format!("-d{seconds}s"),
        "--latency".to_owned(),
    ];
    if let Some(header) = header {
        args.extend(["-H".to_owned(), header.to_owned()]);
    }
    args.push(url.to_owned());
    let output = Command::new("wrk")
        .args(&args)
        .output()
        .expect("wrk runs (is it installed?)");
    let text = String::from_utf8_lossy(&output.stdout);
    let number_after = |label: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
    };
    let cpu = cpu_seconds(server) - cpu_before;
    let requests = text
        .lines()
        .find_map(|l| {
            let (count, rest) = l.trim().split_once(' ')?;
            rest.starts_with("requests in")
                .then(|| count.parse::<f64>().ok())?
        })
        .unwrap_or(0.0);
    Load {
        requests_per_second: number_after("Requests/sec:").unwrap_or(0.0),
        failed: number_after("Non-2xx or 3xx responses:").unwrap_or(0.0) as u64,
        cpu_us_per_request: cpu * 1e6 / requests.max(1.0),
    }
}

/// The bare server: the greeting as the plugin makes it, through axum and serde_json.
fn start_axum(greeting: String) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let greeting = std::sync::Arc::new(greeting);
            let app = axum::Router::new().route(
                "/api/c/{community}/p/{plugin}/greet",
                axum::routing::get(
                    move |axum::extract::Query(query): axum::extract::Query<
                        Vec<(String, String)>,
                    >| {
                        let greeting = greeting.clone();
                        async move {
                            let name = query
                                .iter()
                                .find(|(k, _)| k == "name")
                                .map_or("мир", |(_, v)| v.as_str());
                            axum::Json(serde_json::json!({
                                "greeting": format!("{greeting}, {name}!")
                            }))
                        }
                    },
                ),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, thread)
}

/// A `dvor serve` of the bundled config, killed when dropped.
struct Dvor {
    child: Child,
    base: String,
    scratch: PathBuf,
}

impl Dvor {
    /// What the host has logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.scratch.join("dvor.log")).unwrap_or_default()
    }
}

impl Drop for Dvor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_dvor(root: &Path, binary: &Path) -> Dvor {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let scratch = std::env::temp_dir().join(format!("dvor-bench-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let child = Command::new(binary)
        .args(["serve", "--config", "config/dvor.toml"])
        .current_dir(root)
        .env("DVOR_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("DVOR_INSTANCE__PUBLIC_URL", &base)
        .env("DVOR_STORAGE__DATA_DIR", &scratch)
        .env(
            "DVOR_RUNTIME__PLUGIN_DIR",
            root.join("target/wasm32-wasip2/plugin"),
        )
        // Compiled plugins are kept between runs: start-up is not what is measured.
        .env(
            "DVOR_RUNTIME__CACHE_DIR",
            root.join("target/bench-http-cache"),
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(scratch.join("dvor.log")).unwrap())
        .spawn()
        .expect("dvor starts");
    Dvor {
        child,
        base,
        scratch,
    }
}

async fn get_text(client: &reqwest::Client, url: &str) -> Option<(u16, String)> {
    let response = client.get(url).send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// The demo admin's phone (`config/dvor.toml`).
const ADMIN_PHONE: &str = "+79000000000";

/// Sign in as the demo's admin the way a person does: ask for a code, read it where the demo's
/// SMS gateway puts it (the host's log), send it back. Returns the session token.
async fn sign_in(client: &reqwest::Client, dvor: &Dvor) -> String {
    let sent = client
        .post(format!("{}/api/auth/code", dvor.base))
        .json(&serde_json::json!({ "phone": ADMIN_PHONE }))
        .send()
        .await
        .expect("the host takes a sign-in request");
    assert!(
        sent.status().is_success(),
        "a code is sent: {}",
        sent.status()
    );
    let started = Instant::now();
    let code = loop {
        // «Код для входа в Двор: 123456. …» in the log gateway's line.
        let log = dvor.log();
        let code: String = log
            .rsplit_once("Двор: ")
            .map(|(_, after)| after.chars().take_while(char::is_ascii_digit).collect())
            .unwrap_or_default();
        if !code.is_empty() {
            break code;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no sign-in code in the host's log"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let verified: serde_json::Value = client
        .post(format!("{}/api/auth/code/verify", dvor.base))
        .json(&serde_json::json!({
            "phone": ADMIN_PHONE,
            "code": code,
            "given_name": "Анна",
            "family_name": "Администратор",
            "consent": true,
        }))
        .send()
        .await
        .expect("the host checks the code")
        .json()
        .await
        .expect("a session as JSON");
    verified["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a session token: {verified}"))
        .to_owned()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().unwrap();
    let seconds: u64 = std::env::var("DVOR_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let rounds: usize = std::env::var("DVOR_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let binary = std::env::var_os("DVOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/dvor"));
    assert!(
        binary.exists(),
        "no dvor binary at {} (cargo build --release -p dvor --bin dvor, or set DVOR_BIN)",
        binary.display()
    );

    let dvor = start_dvor(&root, &binary);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let dvor_greet = rt.block_on(async {
        let started = Instant::now();
        loop {
            if let Some((200, _)) = get_text(&client, &format!("{}/healthz", dvor.base)).await {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "dvor did not come up"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (status, body) = get_text(&client, &format!("{}{GREET}", dvor.base))
            .await
            .expect("dvor answers the greeting");
        assert_eq!(status, 200, "{body}");
        body
    });
    let answer: serde_json::Value = serde_json::from_str(&dvor_greet).unwrap();
    let greeting = answer["greeting"]
        .as_str()
        .and_then(|g| g.strip_suffix(", Anna!"))
        .expect("the plugin greets Anna")
        .to_owned();
    let (axum_base, _axum) = start_axum(greeting);
    let axum_greet = rt
        .block_on(get_text(&client, &format!("{axum_base}{GREET}")))
        .expect("axum answers");
    assert_eq!(
        axum_greet.1, dvor_greet,
        "both servers give the same answer"
    );

    let pages = [
        ("people-control list", "/c/demo-town/p/people-control"),
        ("meetings home", "/c/demo-town/p/meetings"),
    ];
    for (what, path) in pages {
        let (status, _) = rt
            .block_on(get_text(&client, &format!("{}{path}", dvor.base)))
            .expect("the page answers");
        assert_eq!(status, 200, "{what} answers 200");
    }

    let off = std::env::var("DVOR_ENGINE_OFF").unwrap_or_default();
    println!(
        "dvor {} · levers off: {} · wrk -t2 -c32 -d{seconds}s · {rounds} rounds",
        binary.display(),
        if off.is_empty() { "none" } else { &off }
    );
    // A short warm-up of each: connections, the compile cache, the demo's first job runs.
    // axum serves from a thread of this process; dvor is the child.
    let (axum_pid, dvor_pid) = (std::process::id(), dvor.child.id());
    wrk(&format!("{axum_base}{GREET}"), 2, axum_pid);
    wrk(&format!("{}{GREET}", dvor.base), 2, dvor_pid);
    let mut best_axum = Load::default();
    let mut best_dvor = Load::default();
    for round in 1..=rounds {
        let a = wrk(&format!("{axum_base}{GREET}"), seconds, axum_pid);
        let d = wrk(&format!("{}{GREET}", dvor.base), seconds, dvor_pid);
        println!(
            "round {round}: axum {:>9.0} req/s ({:.1} µs CPU each) · dvor {:>9.0} req/s ({:.1} µs CPU each) · ratio {:.2} · failed {}/{} · load {}",
            a.requests_per_second,
            a.cpu_us_per_request,
            d.requests_per_second,
            d.cpu_us_per_request,
            d.requests_per_second / a.requests_per_second.max(1.0),
            a.failed,
            d.failed,
            load_average()
        );
        if a.requests_per_second > best_axum.requests_per_second {
            best_axum = a;
        }
        if d.requests_per_second > best_dvor.requests_per_second {
            best_dvor = d;
        }
    }
    println!(
        "greeting: bare axum {:.0} req/s, through the hello plugin {:.0} req/s: {:.2}× axum",
        best_axum.requests_per_second,
        best_dvor.requests_per_second,
        best_dvor.requests_per_second / best_axum.requests_per_second.max(1.0)
    );
    for (what, path) in pages {
        let load = wrk(&format!("{}{path}", dvor.base), seconds, dvor_pid);
        println!(
            "{what} (anonymous, {path}): {:.0} req/s ({:.0} µs CPU each) · failed {} · load {}",
            load.requests_per_second,
            load.cpu_us_per_request,
            load.failed,
            load_average()
        );
    }

    // The same, signed in: the session, the person and their roles are looked up per request.
    let token = rt.block_on(sign_in(&client, &dvor));
    let cookie = format!("Cookie: dvor_session={token}");
    let bearer = format!("Authorization: Bearer {token}");
    for (what, path) in pages {
        let answer = rt.block_on(async {
            client
                .get(format!("{}{path}", dvor.base))
                .header("cookie", format!("dvor_session={token}"))
                .send()
                .await
                .expect("the page answers")
                .text()
                .await
                .expect("the page's text")
        });
        assert!(
            answer.contains("Профиль") && !answer.contains(">Войти<"),
            "{what}: the page is drawn for the signed-in admin"
        );
    }
    let signed_in = pages
        .iter()
        .map(|&(what, path)| (what, path, cookie.as_str()))
        .chain([("the greeting", GREET, bearer.as_str())]);
    for (what, path, header) in signed_in {
        let load = wrk_with(
            &format!("{}{path}", dvor.base),
            Some(header),
            seconds,
            dvor_pid,
        );
        println!(
            "{what} (signed in, {path}): {:.0} req/s ({:.0} µs CPU each) · failed {} · load {}",
            load.requests_per_second,
            load.cpu_us_per_request,
            load.failed,
            load_average()
        );
    }
    drop(dvor);
}

/// The 1-minute load average, to print next to each figure.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

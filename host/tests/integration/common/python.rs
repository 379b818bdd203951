//! Real Open311 GeoReport v2 clients from PyPI, unchanged: `georeport` (in JSON and in XML) and
//! `civicbot`, driven through `tests/fixtures/open311/clients.py` in the virtual environment
//! `cargo xtask test` installs from `tests/fixtures/open311/requirements.txt`.
//!
//! Every call starts one Python process that makes the library's call(s) and prints one JSON
//! object: `{"ok": result}`, `{"http_status": n, "body": text}` when the library raised an HTTP
//! error, or `{"error": "Type: message"}` for anything else it raised. `clients.py`'s docstring
//! lists the commands and their arguments.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long one call may take on a loaded two-core machine, Python's start included; the child
/// is killed after it.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The variables a developer's shell may carry that would make the venv's Python load other
/// packages, send the clients' requests for the local server elsewhere (a proxy) or give
/// georeport a key the test did not pass.
const CLEARED_ENV: &[&str] = &[
    "PYTHONPATH",
    "PYTHONHOME",
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "GEOREPORT_API_KEY",
];

/// The fixture's folder and its virtual environment's Python, after checking it is installed.
fn fixture() -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/open311");
    let python = if cfg!(windows) {
        dir.join(".venv/Scripts/python.exe")
    } else {
        dir.join(".venv/bin/python")
    };
    assert!(
        python.exists(),
        "the Open311 clients' virtual environment {} is missing: run `cargo xtask test`, which \
         installs it (it needs Python 3.10 or later with venv; Debian: apt-get install python3 \
         python3-venv)",
        dir.join(".venv").display()
    );
    (dir, python)
}

/// Read all of `pipe` on a thread of its own, so a child that fills one pipe while the other
/// is not read cannot stall.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Run an Open311 client library against `base_url` and return what it printed (the JSON object above).
///
/// `library` is `georeport-json`, `georeport-xml` or `civicbot`; `command` is `services`,
/// `definition`, `requests`, `request`, `token` or `post`; `args` is a JSON object of keyword
/// arguments (`jurisdiction` and `api_key` go to the client, the rest to the method).
///
/// This blocks for as long as the Python process runs. In an async test whose server runs on
/// the same runtime call [`open311_async`] (or wrap this in `tokio::task::spawn_blocking`):
/// blocking the one thread of a current-thread runtime (`#[tokio::test]`'s default) would keep
/// the server from answering until the 120 s timeout.
///
/// Panics, with what the script wrote to stderr, if the virtual environment is missing, if the
/// script exits non-zero (a usage error: an unknown command or an argument the method does not
/// take) or prints something other than one JSON object, or after [`TIMEOUT`].
pub fn open311(library: &str, base_url: &str, command: &str, args: Value) -> Value {
    let (dir, python) = fixture();
    let call = format!("clients.py {library} {base_url} {command} {args}");
    let mut command_line = Command::new(&python);
    command_line
        .arg(dir.join("clients.py"))
        .args([library, base_url, command])
        .arg(args.to_string())
        .current_dir(&dir)
        .env("PYTHONIOENCODING", "utf-8");
    for name in CLEARED_ENV {
        command_line.env_remove(name);
    }
    let mut child = command_line
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {} for {call}: {e}", python.display()));
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for {call}: {e}"),
        }
    };
    let stdout = stdout.join().expect("the stdout reader does not panic");
    let stderr = stderr.join().expect("the stderr reader does not panic");
    let Some(status) = status else {
        panic!("{call} did not finish in {TIMEOUT:?}; stdout:\n{stdout}\nstderr:\n{stderr}");
    };
    assert!(
        status.success(),
        "{call} failed ({status}); stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    match serde_json::from_str::<Value>(&stdout) {
        Ok(printed @ Value::Object(_)) => printed,
        Ok(_) | Err(_) => {
            panic!("{call} printed no JSON object; stdout:\n{stdout}\nstderr:\n{stderr}")
        }
    }
}

/// [`open311`] on a blocking thread, for async tests: the server under test keeps running on
/// the test's runtime while the client waits for it. A panic in the call is the caller's.
pub async fn open311_async(library: &str, base_url: &str, command: &str, args: Value) -> Value {
    let (library, base_url, command) =
        (library.to_owned(), base_url.to_owned(), command.to_owned());
    match tokio::task::spawn_blocking(move || open311(&library, &base_url, &command, args)).await {
        Ok(printed) => printed,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the Open311 client call was cancelled: {e}"),
        },
    }
}

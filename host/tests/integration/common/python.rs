//! The Python tools the tests drive, from PyPI and unchanged, in the virtual environment
//! `cargo xtask test` installs from `tests/fixtures/python/requirements.txt`:
//!
//! - real Open311 GeoReport v2 clients, `georeport` (in JSON and in XML) and `civicbot`, driven
//!   through `tests/fixtures/open311/clients.py` ([`open311`]);
//! - schemathesis, which checks a served API against its OpenAPI document ([`schemathesis`]).
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

/// The folder of the Python fixtures (the requirements, the venv, schemathesis' config).
fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/python")
}

/// A program of the virtual environment (`python`, `schemathesis`), after checking the
/// environment is installed.
fn venv_program(name: &str) -> PathBuf {
    let venv = python_dir().join(".venv");
    let program = if cfg!(windows) {
        venv.join("Scripts").join(format!("{name}.exe"))
    } else {
        venv.join("bin").join(name)
    };
    assert!(
        program.exists(),
        "{} is missing from the tests' Python virtual environment {}: run `cargo xtask test`, \
         which installs it (it needs Python 3.11 or later with venv; Debian: apt-get install \
         python3 python3-venv)",
        program.display(),
        venv.display()
    );
    program
}

/// The Open311 fixture's folder and the venv's Python.
fn fixture() -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/open311");
    (dir, venv_program("python"))
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
        .current_dir(&dir);
    let (status, stdout, stderr) = run_bounded(&mut command_line, &call, TIMEOUT);
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

/// What a schemathesis run printed, and whether it found nothing wrong.
#[derive(Debug)]
pub struct Verdict {
    /// Exit status 0: no failures and no errors.
    pub passed: bool,
    /// Its report, stdout then stderr.
    pub report: String,
}

/// How long one schemathesis run may take on a loaded two-core machine.
const SCHEMATHESIS_TIMEOUT: Duration = Duration::from_secs(900);

/// Run `schemathesis run` with `args` (the schema's URL, the checks, the seed, …) and the
/// fixture's `schemathesis.toml` with `config` (more TOML: values for some operations'
/// parameters) appended, on a blocking thread: the server under test keeps running on the
/// test's runtime meanwhile.
pub async fn schemathesis(args: Vec<String>, config: String) -> Verdict {
    tokio::task::spawn_blocking(move || {
        let program = venv_program("schemathesis");
        let scratch = super::scratch_dir();
        let fixture = std::fs::read_to_string(python_dir().join("schemathesis.toml"))
            .expect("tests/fixtures/python/schemathesis.toml is readable");
        let config_file = scratch.join("schemathesis.toml");
        std::fs::write(&config_file, format!("{fixture}\n{config}"))
            .expect("the scratch folder is writable");
        let mut command_line = Command::new(&program);
        command_line
            .arg("--config-file")
            .arg(&config_file)
            .arg("--no-color")
            .arg("run")
            .args(&args)
            // Its reports and caches go to a scratch folder, not the checkout.
            .current_dir(&scratch)
            .env("COLUMNS", "120");
        let call = format!("schemathesis run {}", args.join(" "));
        let (status, stdout, stderr) = run_bounded(&mut command_line, &call, SCHEMATHESIS_TIMEOUT);
        Verdict {
            passed: status.success(),
            report: format!("{stdout}\n{stderr}"),
        }
    })
    .await
    .expect("the schemathesis run does not panic")
}

/// Run a venv program with the environment cleared of what would redirect it, killed after
/// `timeout`; its status, stdout and stderr.
fn run_bounded(
    command_line: &mut Command,
    call: &str,
    timeout: Duration,
) -> (std::process::ExitStatus, String, String) {
    command_line.env("PYTHONIOENCODING", "utf-8");
    for name in CLEARED_ENV {
        command_line.env_remove(name);
    }
    let mut child = command_line
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {call}: {e}"));
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));
    let deadline = Instant::now() + timeout;
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
        panic!("{call} did not finish in {timeout:?}; stdout:\n{stdout}\nstderr:\n{stderr}");
    };
    (status, stdout, stderr)
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

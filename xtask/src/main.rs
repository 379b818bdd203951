//! `cargo xtask`: the README's commands.
//!
//! - `cargo xtask run` builds the plugins and runs the embedded instance (`config/dvor.toml`).
//! - `cargo xtask test` builds the plugins, installs the test fixtures' npm packages and their
//!   Python tools (the Open311 client libraries and schemathesis, in a virtual environment) and
//!   runs every test.
//! - `cargo xtask plugins` only builds the plugins.
//! - `cargo xtask bench` runs the runtime benchmark.
//! - `cargo xtask contract [--check]` writes (or checks) the contract reference
//!   `docs/plugins/contract.md` from the WIT.
//!
//! Plugins are built for `wasm32-wasip2`; the target is installed through rustup if missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

mod contract_doc;
mod guests;

/// The crates compiled to WebAssembly components: every workspace member under `plugins/`
/// and `tests/plugins/`.
fn plugin_crates(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut crates = Vec::new();
    for dir in ["plugins", "tests/plugins"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            let manifest = entry?.path().join("Cargo.toml");
            if !manifest.exists() {
                continue;
            }
            let text = std::fs::read_to_string(&manifest)?;
            let name = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("name = \""))
                .and_then(|rest| rest.strip_suffix('"'))
                .with_context(|| format!("no package name in {}", manifest.display()))?;
            crates.push(name.to_owned());
        }
    }
    crates.sort();
    Ok(crates)
}

/// The workspace root: from `cargo run`'s CARGO_MANIFEST_DIR at run time (a binary shared
/// between two checkouts through one target dir must not build the other checkout), else the
/// one this binary was built in.
fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The workspace's target directory (`CARGO_TARGET_DIR`, else `target/`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: {command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn ensure_wasm_target(root: &Path) -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root)
        .output();
    match installed {
        Ok(output) if String::from_utf8_lossy(&output.stdout).contains("wasm32-wasip2") => Ok(()),
        Ok(_) => run(Command::new("rustup")
            .args(["target", "add", "wasm32-wasip2"])
            .current_dir(root)),
        // Without rustup the toolchain must already have the target.
        Err(_) => Ok(()),
    }
}

fn build_plugins(root: &Path) -> anyhow::Result<()> {
    ensure_wasm_target(root)?;
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["build", "--target", "wasm32-wasip2", "--profile", "plugin"])
        .current_dir(root);
    for name in plugin_crates(root)? {
        command.args(["-p", &name]);
    }
    run(&mut command)
}

/// Install the npm packages of the test fixtures (a real OpenID Connect provider and a real
/// SMTP server) from their lock file, unless they are installed already.
fn install_test_fixtures(root: &Path) -> anyhow::Result<()> {
    ensure_npm(&root.join("tests/fixtures"))
}

/// The npm packages of the project at `dir`, installed from its lock file unless they are
/// installed already from the current one.
fn ensure_npm(dir: &Path) -> anyhow::Result<()> {
    let installed = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (installed.metadata(), lock.metadata()) {
        (Ok(i), Ok(l)) => i.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir))
    .context("the tests need Node.js and npm (Debian: apt-get install nodejs npm)")
}

/// The Python of the virtual environment at `venv`.
fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts/python.exe")
    } else {
        venv.join("bin/python")
    }
}

/// Install the Python tools the tests drive (the Open311 client libraries of the
/// people-control tests and schemathesis, which checks the API against its OpenAPI document;
/// real packages from PyPI, pinned with hashes) into a virtual environment at
/// `tests/fixtures/python/.venv`, unless they are installed already from the current
/// requirements.
fn install_python_tools(root: &Path) -> anyhow::Result<()> {
    let fixture = root.join("tests/fixtures/python");
    ensure_venv(&fixture.join(".venv"), &fixture.join("requirements.txt"))
}

/// A virtual environment at `venv` with the packages of `requirements` (pinned with hashes),
/// made anew when the requirements changed since it was made.
fn ensure_venv(venv: &Path, requirements: &Path) -> anyhow::Result<()> {
    const NEEDS: &str = "the tests need Python 3.11 or later with venv and pip \
                         (Debian: apt-get install python3 python3-venv)";
    // Written last, after pip succeeded: a venv without it is half-installed.
    let installed = venv.join("installed-requirements.txt");
    let fresh = match (installed.metadata(), requirements.metadata()) {
        (Ok(i), Ok(r)) => i.modified()? >= r.modified()? && venv_python(venv).exists(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    // From scratch, so packages dropped from the requirements do not linger.
    run(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(venv))
    .context(NEEDS)?;
    run(Command::new(venv_python(venv))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--require-hashes",
            "--requirement",
        ])
        .arg(requirements))
    .context(NEEDS)?;
    // Written anew rather than copied, so its time is now whatever the platform's copy keeps.
    let text = std::fs::read(requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    std::fs::write(&installed, text)
        .with_context(|| format!("recording the install in {}", installed.display()))
}

fn main() -> anyhow::Result<()> {
    let root = root();
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "plugins" => build_plugins(&root),
        "run" => {
            build_plugins(&root)?;
            let mut command = Command::new(env!("CARGO"));
            command
                .args(["run", "--release", "--package", "dvor", "--", "serve"])
                .args(&rest)
                .current_dir(&root);
            run(&mut command)
        }
        "contract" => contract_doc::run(&root, rest.iter().any(|a| a == "--check")),
        "test" => {
            contract_doc::run(&root, true)?;
            build_plugins(&root)?;
            install_test_fixtures(&root)?;
            install_python_tools(&root)?;
            if std::env::var_os("DVOR_TEST_POSTGRES_URL").is_none() {
                eprintln!(
                    "xtask: DVOR_TEST_POSTGRES_URL is not set: storage and runtime tests run on SQLite only \
                     (.ci/run starts a PostgreSQL and sets it)"
                );
            }
            // The plugins' own tests run their components in the `dvor` binary's test host
            // (dvor-testkit): the binary, and the components just built.
            run(Command::new(env!("CARGO"))
                .args(["build", "--package", "dvor", "--bin", "dvor"])
                .current_dir(&root))?;
            let target = target_dir(&root);
            let mut command = Command::new(env!("CARGO"));
            command
                .args([
                    "test",
                    "--workspace",
                    "--exclude",
                    "xtask",
                    "--no-fail-fast",
                ])
                .args(&rest)
                .env("DVOR_BIN", target.join("debug/dvor"))
                .env("DVOR_PLUGIN_DIR", target.join("wasm32-wasip2/plugin"))
                .current_dir(&root);
            run(&mut command)?;
            // The JavaScript and Python example plugins, with their own toolchains and tests
            // (the whole suite only: a filter picks Rust tests).
            if rest.is_empty() {
                guests::test_examples(&root, &target.join("debug/dvor"))
            } else {
                eprintln!(
                    "xtask: a filter was given: the JavaScript and Python examples are not tested"
                );
                Ok(())
            }
        }
        "bench" => {
            build_plugins(&root)?;
            let mut command = Command::new(env!("CARGO"));
            command
                .args(["bench", "--package", "dvor"])
                .args(&rest)
                .current_dir(&root);
            run(&mut command)
        }
        // The demo town's map tiles, made from the town's streets and houses in
        // `tiles/src/demo.rs` and committed (the demo needs no map data from outside).
        "demo-tiles" => {
            let path = root.join("config/demo-town.pmtiles");
            let archive = dvor_tiles::demo::archive();
            std::fs::write(&path, &archive)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("xtask: wrote {} ({} bytes)", path.display(), archive.len());
            Ok(())
        }
        // The browser libraries pinned in host/web-vendor (MapLibre GL JS), installed with
        // npm and copied where the host embeds them; the copies are committed.
        "vendor" => {
            let vendor = root.join("host/web-vendor");
            run(Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&vendor))?;
            let dist = vendor.join("node_modules/maplibre-gl/dist");
            let assets = root.join("host/src/web/assets/maplibre");
            std::fs::create_dir_all(&assets)?;
            for file in [
                "maplibre-gl.mjs",
                "maplibre-gl-worker.mjs",
                "maplibre-gl.css",
            ] {
                std::fs::copy(dist.join(file), assets.join(file))
                    .with_context(|| format!("copying {file}"))?;
            }
            std::fs::copy(
                vendor.join("node_modules/maplibre-gl/LICENSE.txt"),
                assets.join("LICENSE.txt"),
            )?;
            eprintln!("xtask: MapLibre GL JS copied to {}", assets.display());
            Ok(())
        }
        _ => {
            bail!("usage: cargo xtask <run|test|plugins|bench|contract|demo-tiles|vendor> [args…]")
        }
    }
}

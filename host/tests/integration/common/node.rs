//! Real peers written in Node.js (`tests/fixtures/*.mjs`): the OpenID Connect provider and the
//! SMTP server. Each is started as an operator would start a service, waited for until it
//! prints `listening <address>`, and killed when the test drops it.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a fixture may take to start on a loaded two-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running fixture: killed when dropped.
pub struct NodeFixture {
    child: Child,
    /// What it printed (but the lines the caller took), for failure messages.
    log: Arc<Mutex<String>>,
    /// Held open: the fixtures exit when their standard input closes.
    _stdin: Option<ChildStdin>,
}

impl Drop for NodeFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fixtures' folder, after checking that `packages` are installed.
fn fixtures_with(packages: &[&str]) -> PathBuf {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    for package in packages {
        assert!(
            fixtures.join("node_modules").join(package).exists(),
            "the npm package {package} is missing: run `npm ci --prefix tests/fixtures` (cargo xtask test does)"
        );
    }
    fixtures
}

impl NodeFixture {
    /// Start `script` with `args` and `env`, needing the npm `packages`; return it and what
    /// followed `listening ` on its first such line. Every other stdout line goes to `take`
    /// first: when it returns true the line is the caller's and stays out of the log.
    ///
    /// A fixture that exits before listening is started once more (a cold module cache on a
    /// loaded machine is the usual cause); a second failure panics with everything it printed
    /// and its exit status.
    pub async fn start(
        script: &str,
        args: &[&str],
        env: &[(&str, &str)],
        packages: &[&str],
        take: impl Fn(&str) -> bool + Clone + Send + 'static,
    ) -> (NodeFixture, String) {
        let mut failures = Vec::new();
        for _ in 0..2 {
            match Self::try_start(script, args, env, packages, take.clone()).await {
                Ok(started) => {
                    if !failures.is_empty() {
                        eprintln!("{script} started on the second attempt; first: {failures:?}");
                    }
                    return started;
                }
                Err(failure) => failures.push(failure),
            }
        }
        panic!("{script} did not start:\n{}", failures.join("\n---\n"));
    }

    async fn try_start(
        script: &str,
        args: &[&str],
        env: &[(&str, &str)],
        packages: &[&str],
        take: impl Fn(&str) -> bool + Send + 'static,
    ) -> Result<(NodeFixture, String), String> {
        let fixtures = fixtures_with(packages);
        let mut child = Command::new("node")
            .arg(fixtures.join(script))
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node starts (install Node.js 20 or later)");
        let log = Arc::new(Mutex::new(String::new()));
        let (ready, listening) = tokio::sync::oneshot::channel::<String>();
        let stdout = child.stdout.take().expect("stdout is piped");
        let kept = log.clone();
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("listening ")
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(address.trim().to_owned());
                } else if take(&line) {
                    continue;
                }
                kept.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let kept = log.clone();
        let stderr_reader = std::thread::spawn(move || {
            // Line by line while it runs, so a hanging fixture's complaints are kept too.
            let mut reader = BufReader::new(&mut stderr);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                kept.lock().unwrap().push_str(&line);
                line.clear();
            }
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            kept.lock().unwrap().push_str(&rest);
        });
        let _stdin = child.stdin.take();
        match tokio::time::timeout(START_TIMEOUT, listening).await {
            Ok(Ok(address)) => Ok((NodeFixture { child, log, _stdin }, address)),
            Ok(Err(_)) => {
                // Its stdout closed: it exited. Wait for it and for all it said on stderr.
                let status = child.wait();
                let _ = stderr_reader.join();
                Err(format!(
                    "exited before listening ({status:?}):\n{}",
                    log.lock().unwrap()
                ))
            }
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                let _ = stderr_reader.join();
                Err(format!(
                    "not listening after {START_TIMEOUT:?} ({status:?}):\n{}",
                    log.lock().unwrap()
                ))
            }
        }
    }

    /// What it printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

//! Browser journeys: a script of `tests/fixtures/ui/` (Playwright with Debian's Chromium, see
//! `lib.mjs` for what every page is checked for) run against a served instance.

use std::path::PathBuf;

use super::server::Served;

/// Where screenshots go: `DVOR_SCREENSHOTS` (the docs' are made with
/// `DVOR_SCREENSHOTS=$PWD/docs/screenshots`), else a scratch directory.
pub fn screenshots() -> PathBuf {
    let dir = std::env::var("DVOR_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| super::scratch_dir().join("screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run journey `script` (a file of `tests/fixtures/ui/`) against `served`, with the SMS
/// gateway's code page `sms_codes`, the screenshots directory and `env`; panics with what the
/// browser printed if it fails, and answers it otherwise.
pub async fn run_journey(
    script: &str,
    served: &Served,
    sms_codes: &str,
    shots: &std::path::Path,
    env: &[(&str, &str)],
) -> String {
    let chromium = std::env::var("DVOR_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "the browser tests need Chromium at {chromium}: `apt-get install chromium` (Debian), or set DVOR_CHROMIUM"
    );
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut journey = std::process::Command::new("node");
    journey
        .arg(fixtures.join("ui").join(script))
        .env("DVOR_URL", &served.base)
        .env("DVOR_SMS_CODES", sms_codes)
        .env("DVOR_CHROMIUM", &chromium)
        .env("DVOR_SCREENSHOTS", shots);
    for (k, v) in env {
        journey.env(k, v);
    }
    // The server answers the browser on the runtime's threads meanwhile.
    let output = tokio::task::spawn_blocking(move || journey.output())
        .await
        .unwrap()
        .expect("node starts (install Node.js 20 or later)");
    let printed = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the browser journey {script} failed:\n{printed}"
    );
    eprintln!("{printed}");
    printed
}

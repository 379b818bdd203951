//! The `dvor` command as an operator runs it.

use crate::common;

use std::process::Command;

fn dvor(args: &[&str]) -> std::process::Output {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Command::new(env!("CARGO_BIN_EXE_dvor"))
        .args(args)
        .current_dir(&root)
        .env("DVOR_RUNTIME__CACHE_DIR", common::scratch_dir())
        .env("DVOR_LOG", "error")
        .output()
        .expect("dvor runs")
}

#[test]
fn config_check_accepts_the_embedded_default() {
    common::plugin_dir();
    let out = dvor(&["config", "check", "config/dvor.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ok"), "{stdout}");
    assert!(stdout.contains("hello"), "{stdout}");
}

#[test]
fn config_check_names_the_line_of_an_unknown_key() {
    let dir = common::scratch_dir();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[server]\nbind = \"127.0.0.1:0\"\nbindd = \"x\"\n").unwrap();
    let out = dvor(&["config", "check", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(":3"), "names line 3: {stderr}");
    assert!(stderr.contains("bindd"), "{stderr}");
}

//! The example plugins in JavaScript (`examples/js`, componentize-js from npm) and Python
//! (`examples/python`, componentize-py from PyPI): `cargo xtask test` installs each one's pinned
//! toolchain, builds its component and runs its tests, which drive the same test host as the
//! Rust kit (`dvor plugin test-host`, through `testkit/js` and `testkit/python`).

use std::path::Path;
use std::process::Command;

use crate::{ensure_npm, ensure_venv, run, venv_python};

/// Build and test both examples with the `dvor` binary at `dvor`.
pub fn test_examples(root: &Path, dvor: &Path) -> anyhow::Result<()> {
    let js = root.join("examples/js");
    ensure_npm(&js)?;
    run(Command::new("npm")
        .args(["test", "--prefix"])
        .arg(&js)
        .env("DVOR_BIN", dvor))?;

    let python = root.join("examples/python");
    let venv = python.join(".venv");
    ensure_venv(&venv, &python.join("requirements.txt"))?;
    run(Command::new(venv_python(&venv))
        .args(["-m", "unittest", "--verbose"])
        .current_dir(&python)
        .env("DVOR_BIN", dvor))
}

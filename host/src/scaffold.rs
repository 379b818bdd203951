//! `dvor plugin new`: writes a standalone plugin project — Rust, JavaScript or Python — with a
//! manifest, one API route, one page and its tests, which builds and passes its tests with one
//! documented command outside this repository.
//!
//! The templates live in `host/templates/<lang>/` and are compiled into the binary; the
//! JavaScript and Python projects also get the contract's WIT (their toolchains generate
//! bindings from it) and the test kit's client module for their language (`testkit/js`,
//! `testkit/python`). A Rust project depends on this checkout's `sdk/` and `testkit/` by path:
//! the binary knows where its sources were at build time, and `DVOR_SOURCE_DIR` overrides it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// A plugin's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// Rust with `dvor-sdk`, tested with `dvor-testkit` (`cargo test`).
    Rust,
    /// JavaScript with componentize-js, tested with `node --test`.
    Js,
    /// Python with componentize-py, tested with `unittest`.
    Python,
}

/// One file of a template: its path in the project and its text (with `{{…}}` placeholders).
type TemplateFile = (&'static str, &'static str);

const RUST: &[TemplateFile] = &[
    ("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
    (
        "rust-toolchain.toml",
        include_str!("../templates/rust/rust-toolchain.toml"),
    ),
    (
        ".cargo/config.toml",
        include_str!("../templates/rust/.cargo/config.toml"),
    ),
    (".gitignore", include_str!("../templates/rust/.gitignore")),
    ("README.md", include_str!("../templates/rust/README.md")),
    (
        "dvor-plugin.toml",
        include_str!("../templates/rust/dvor-plugin.toml"),
    ),
    ("src/lib.rs", include_str!("../templates/rust/src/lib.rs")),
    (
        "tests/plugin.rs",
        include_str!("../templates/rust/tests/plugin.rs"),
    ),
];

const JS: &[TemplateFile] = &[
    ("package.json", include_str!("../templates/js/package.json")),
    (
        "package-lock.json",
        include_str!("../templates/js/package-lock.json"),
    ),
    ("build.mjs", include_str!("../templates/js/build.mjs")),
    (".gitignore", include_str!("../templates/js/.gitignore")),
    ("README.md", include_str!("../templates/js/README.md")),
    (
        "dvor-plugin.toml",
        include_str!("../templates/js/dvor-plugin.toml"),
    ),
    (
        "src/plugin.js",
        include_str!("../templates/js/src/plugin.js"),
    ),
    ("src/dvor.js", include_str!("../templates/js/src/dvor.js")),
    (
        "test/plugin.test.mjs",
        include_str!("../templates/js/test/plugin.test.mjs"),
    ),
    (
        "lib/dvor-testkit.mjs",
        include_str!("../../testkit/js/dvor-testkit.mjs"),
    ),
];

const PYTHON: &[TemplateFile] = &[
    (
        "pyproject.toml",
        include_str!("../templates/python/pyproject.toml"),
    ),
    (
        "requirements.txt",
        include_str!("../templates/python/requirements.txt"),
    ),
    ("build.py", include_str!("../templates/python/build.py")),
    (".gitignore", include_str!("../templates/python/.gitignore")),
    ("README.md", include_str!("../templates/python/README.md")),
    (
        "dvor-plugin.toml",
        include_str!("../templates/python/dvor-plugin.toml"),
    ),
    ("app/app.py", include_str!("../templates/python/app/app.py")),
    (
        "app/dvor.py",
        include_str!("../templates/python/app/dvor.py"),
    ),
    ("tests/__init__.py", ""),
    (
        "tests/test_plugin.py",
        include_str!("../templates/python/tests/test_plugin.py"),
    ),
    (
        "tests/dvor_testkit.py",
        include_str!("../../testkit/python/dvor_testkit.py"),
    ),
];

/// The contract the JavaScript and Python toolchains build against.
const WIT: &[TemplateFile] = &[
    (
        "wit/context.wit",
        include_str!("../../wit/v0.2.0/context.wit"),
    ),
    (
        "wit/effects.wit",
        include_str!("../../wit/v0.2.0/effects.wit"),
    ),
    (
        "wit/plugin.wit",
        include_str!("../../wit/v0.2.0/plugin.wit"),
    ),
    (
        "wit/storage.wit",
        include_str!("../../wit/v0.2.0/storage.wit"),
    ),
    ("wit/types.wit", include_str!("../../wit/v0.2.0/types.wit")),
    ("wit/ui.wit", include_str!("../../wit/v0.2.0/ui.wit")),
];

/// The manifest's JSON schema, next to the manifest (its `#:schema` line points at it).
const SCHEMA: TemplateFile = (
    "dvor-plugin.schema.json",
    include_str!("../../docs/plugins/dvor-plugin.schema.json"),
);

/// The toolchain this dvor is built with (the Rust project pins the same).
const TOOLCHAIN: &str = include_str!("../../rust-toolchain.toml");

/// Where the dvor sources are: `DVOR_SOURCE_DIR`, else the checkout this binary was built from.
pub fn source_dir() -> PathBuf {
    std::env::var_os("DVOR_SOURCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// What `dvor plugin new` was asked for.
#[derive(Clone, Debug)]
pub struct NewPlugin {
    /// The plugin's id (`[a-z][a-z0-9-]*`).
    pub id: String,
    /// Its language.
    pub language: Language,
    /// The project's directory (default: `./ID`).
    pub dir: PathBuf,
}

/// Write the project; answers the directory written. Nothing is left behind on a failure: the
/// files go to a hidden sibling first, which becomes the project only when all are written.
pub fn write(new: &NewPlugin) -> anyhow::Result<PathBuf> {
    if !crate::manifest::is_plugin_id(&new.id) {
        bail!(
            "`{}` is not a plugin id: lower-case letters, digits and dashes, starting with a letter (e.g. `water-readings`)",
            new.id
        );
    }
    let dir = &new.dir;
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            bail!(
                "{} already exists and is not empty; choose another --dir",
                dir.display()
            );
        }
    }
    let values = placeholders(new)?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = parent.join(format!(
        ".{}.dvor-new-{:08x}",
        new.id,
        rand::random::<u32>()
    ));
    let result = write_files(&staging, files(new.language), &values);
    if let Err(error) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error);
    }
    if dir.exists() {
        std::fs::remove_dir(dir).with_context(|| format!("replacing {}", dir.display()))?;
    }
    std::fs::rename(&staging, dir).with_context(|| {
        let _ = std::fs::remove_dir_all(&staging);
        format!("moving the project to {}", dir.display())
    })?;
    Ok(dir.clone())
}

/// The files of a language's project.
fn files(language: Language) -> Vec<TemplateFile> {
    let mut files: Vec<TemplateFile> = match language {
        Language::Rust => RUST.to_vec(),
        Language::Js => [JS, WIT].concat(),
        Language::Python => [PYTHON, WIT].concat(),
    };
    files.push(SCHEMA);
    files
}

fn write_files(
    root: &Path,
    files: Vec<TemplateFile>,
    values: &[(&str, String)],
) -> anyhow::Result<()> {
    for (path, text) in files {
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, fill(text, values))
            .with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

/// The placeholders' values for a project.
fn placeholders(new: &NewPlugin) -> anyhow::Result<Vec<(&'static str, String)>> {
    let crate_name = new.id.replace('-', "_");
    let title = {
        let words = new.id.replace('-', " ");
        let mut chars = words.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    };
    let dvor_bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "dvor".into());
    let toolchain = TOOLCHAIN
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or("stable")
        .to_owned();
    let mut values = vec![
        ("{{id}}", new.id.clone()),
        ("{{crate}}", crate_name),
        ("{{title}}", title),
        ("{{toolchain}}", toolchain),
        // Inside TOML and JSON strings: escaped as both take it.
        ("{{dvor_bin}}", escaped(&dvor_bin)),
        ("'@DVOR_BIN@'", json_string(&dvor_bin)),
        ("\"@DVOR_BIN@\"", json_string(&dvor_bin)),
    ];
    if new.language == Language::Rust {
        let sources = source_dir();
        let sources = sources.canonicalize().unwrap_or(sources);
        for crate_dir in ["sdk", "testkit"] {
            if !sources.join(crate_dir).join("Cargo.toml").exists() {
                bail!(
                    "the dvor sources are not at {} (this dvor was built there): a Rust plugin depends on its `sdk/` and `testkit/` by path; set DVOR_SOURCE_DIR to a dvor checkout",
                    sources.display()
                );
            }
        }
        values.push((
            "{{sdk_path}}",
            escaped(&sources.join("sdk").display().to_string()),
        ));
        values.push((
            "{{testkit_path}}",
            escaped(&sources.join("testkit").display().to_string()),
        ));
    }
    Ok(values)
}

/// Text for inside a double-quoted TOML string.
fn escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A double-quoted string literal that JavaScript and Python both read.
fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn fill(text: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(text.to_owned(), |text, (key, value)| {
        text.replace(key, value)
    })
}

/// The commands that build and test a new project, for the message after writing it.
pub fn next_steps(language: Language, dir: &Path) -> String {
    let cd = format!("cd {}", dir.display());
    let steps = match language {
        Language::Rust => vec![cd, "cargo test".to_owned()],
        Language::Js => vec![cd, "npm ci".to_owned(), "npm test".to_owned()],
        Language::Python => vec![
            cd,
            "python3 -m venv .venv".to_owned(),
            ".venv/bin/pip install --require-hashes -r requirements.txt".to_owned(),
            ".venv/bin/python -m unittest".to_owned(),
        ],
    };
    steps
        .iter()
        .map(|s| format!("  {s}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dvor-scaffold-{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn every_placeholder_is_filled_and_the_manifest_parses() {
        let root = scratch();
        for language in [Language::Rust, Language::Js, Language::Python] {
            let dir = root.join(format!("{language:?}"));
            let written = write(&NewPlugin {
                id: "water-readings".into(),
                language,
                dir: dir.clone(),
            })
            .unwrap();
            for (path, _) in files(language) {
                let text = std::fs::read_to_string(written.join(path)).unwrap();
                assert!(
                    !text.contains("{{"),
                    "{language:?} {path} keeps a placeholder"
                );
                assert!(!text.contains("@DVOR_BIN@"), "{language:?} {path}");
            }
            let manifest = std::fs::read_to_string(dir.join("dvor-plugin.toml")).unwrap();
            let manifest = crate::manifest::Manifest::parse(&manifest).unwrap();
            assert_eq!(manifest.id, "water-readings");
            assert_eq!(manifest.name.ru, "Water readings");
        }
        let cargo = std::fs::read_to_string(root.join("Rust/Cargo.toml")).unwrap();
        let cargo: toml::Table = toml::from_str(&cargo).unwrap();
        let sdk = cargo["dependencies"]["dvor-sdk"]["path"].as_str().unwrap();
        assert!(Path::new(sdk).join("src/lib.rs").exists(), "{sdk}");
        assert!(cargo.contains_key("workspace"), "a workspace of its own");
        assert_eq!(cargo["profile"]["release"]["lto"].as_bool(), Some(true));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_bad_name_or_a_full_directory_is_refused_and_nothing_is_written() {
        let root = scratch();
        let refused = write(&NewPlugin {
            id: "Water_Readings".into(),
            language: Language::Rust,
            dir: root.join("x"),
        })
        .unwrap_err();
        assert!(
            refused.to_string().contains("is not a plugin id"),
            "{refused}"
        );
        assert!(!root.join("x").exists());

        std::fs::create_dir_all(root.join("full")).unwrap();
        std::fs::write(root.join("full/keep.txt"), "mine").unwrap();
        let refused = write(&NewPlugin {
            id: "notes".into(),
            language: Language::Js,
            dir: root.join("full"),
        })
        .unwrap_err();
        assert!(refused.to_string().contains("not empty"), "{refused}");
        let left: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec!["full".to_owned()], "no staging left behind");
        assert_eq!(
            std::fs::read_dir(root.join("full")).unwrap().count(),
            1,
            "the full directory is left as it was"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}

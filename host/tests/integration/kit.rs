//! The plugin author's kit as an author and an operator use it: `dvor plugin new` end to end
//! outside the repository (Rust, JavaScript, Python), `dvor plugin check` naming each gap, the
//! manifest's JSON schema against every bundled manifest, a pinned SHA-256, `serve --watch`
//! swapping a new build in, and what a caller sees: the locale of a plugin call, a page error
//! as a page, an unknown place.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn dvor() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dvor"));
    command
        .env("DVOR_RUNTIME__CACHE_DIR", common::scratch_dir())
        .env("DVOR_LOG", "error");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the command runs")
}

fn said(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A directory outside the repository, as a new author's would be.
fn outside() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dvor-kit-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(!dir.starts_with(repo().canonicalize().unwrap()));
    dir
}

/// `dvor plugin new ID --lang LANG` in a fresh directory outside the repository.
fn scaffold(id: &str, lang: &str) -> PathBuf {
    let parent = outside();
    let out = run(dvor()
        .args(["plugin", "new", id, "--lang", lang])
        .current_dir(&parent));
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("build and test it with"),
        "{}",
        said(&out)
    );
    parent.join(id)
}

/// A command of the author's, with the environment a shell outside the repo would have: no
/// test-suite variables, the test host being the dvor just built.
fn author(program: &str, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env_remove("DVOR_PLUGIN_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env("DVOR_BIN", env!("CARGO_BIN_EXE_dvor"));
    command
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_rust_plugin_from_dvor_plugin_new_passes_its_tests_outside_the_repo() {
    let project = scaffold("porch-notes", "rust");
    // Its own target directory would build the SDK from nothing on every run; one kept in
    // this checkout's target/ stays warm. Nothing else of the repository is used.
    let target = repo().join("target/scaffold-e2e");
    let tested = run(author("cargo", &project)
        .arg("test")
        .env("CARGO_TARGET_DIR", &target));
    assert!(tested.status.success(), "{}", said(&tested));
    let text = said(&tested);
    assert!(
        text.contains("test result: ok. 2 passed"),
        "the project's two tests ran and passed: {text}"
    );
    let wasm = target.join("wasm32-wasip2/release/porch_notes.wasm");
    let checked = run(dvor().arg("plugin").arg("check").arg(&wasm));
    assert!(checked.status.success(), "{}", said(&checked));
    assert!(
        said(&checked).contains("plugin `porch-notes` 0.1.0"),
        "{}",
        said(&checked)
    );
    let _ = std::fs::remove_dir_all(project.parent().unwrap());
}

#[test]
fn a_javascript_plugin_from_dvor_plugin_new_passes_its_tests_outside_the_repo() {
    assert!(have("npm"), "the JavaScript kit needs Node.js and npm");
    let project = scaffold("porch-notes-js", "js");
    let installed =
        run(author("npm", &project).args(["ci", "--no-audit", "--no-fund", "--prefer-offline"]));
    assert!(installed.status.success(), "{}", said(&installed));
    let tested = run(author("npm", &project).arg("test"));
    assert!(tested.status.success(), "{}", said(&tested));
    assert!(said(&tested).contains("# pass 2"), "{}", said(&tested));
    let wasm = project.join("dist/porch_notes_js.wasm");
    let checked = run(dvor().arg("plugin").arg("check").arg(&wasm));
    assert!(checked.status.success(), "{}", said(&checked));
    let _ = std::fs::remove_dir_all(project.parent().unwrap());
}

#[test]
fn a_python_plugin_from_dvor_plugin_new_passes_its_tests_outside_the_repo() {
    assert!(have("python3"), "the Python kit needs Python 3.11+");
    let project = scaffold("porch-notes-py", "python");
    let venv = run(author("python3", &project).args(["-m", "venv", ".venv"]));
    assert!(venv.status.success(), "{}", said(&venv));
    let installed = run(author(".venv/bin/pip", &project).args([
        "install",
        "--disable-pip-version-check",
        "--require-hashes",
        "-r",
        "requirements.txt",
    ]));
    assert!(installed.status.success(), "{}", said(&installed));
    let tested = run(author(".venv/bin/python", &project).args(["-m", "unittest", "-v"]));
    assert!(tested.status.success(), "{}", said(&tested));
    assert!(said(&tested).contains("Ran 2 tests"), "{}", said(&tested));
    let _ = std::fs::remove_dir_all(project.parent().unwrap());
}

fn hello_wasm() -> PathBuf {
    common::plugin_dir().join("hello.wasm")
}

/// The test config, with `edit` applied to its text.
fn config_file(edit: impl FnOnce(String) -> String) -> PathBuf {
    let path = common::scratch_dir().join("dvor.toml");
    std::fs::write(&path, edit(common::config_text(""))).unwrap();
    path
}

#[test]
fn plugin_check_names_what_is_asked_and_not_granted_and_what_is_granted_unasked() {
    let narrow = config_file(|text| {
        text.replace(
            "collections = [\"notes\", \"echoes\", \"stats\", \"exports\"]\nemits = [\"hello.note_added\"]",
            "collections = [\"notes\", \"echoes\", \"stats\", \"exports\", \"notez\"]",
        )
    });
    let out = run(dvor()
        .args(["plugin", "check"])
        .arg(hello_wasm())
        .arg("--config")
        .arg(&narrow));
    let text = said(&out);
    assert!(!out.status.success(), "a gap fails the check: {text}");
    assert!(text.contains("plugin `hello`"), "{text}");
    assert!(
        text.contains("not granted: ") && text.contains("hello.note_added"),
        "names the event kind not granted: {text}"
    );
    assert!(
        text.contains("never asked: ") && text.contains("notez"),
        "names the grant nothing asks for: {text}"
    );
    assert!(text.contains("calls using it will be denied"), "{text}");

    let full = config_file(|text| text);
    let out = run(dvor()
        .args(["plugin", "check"])
        .arg(hello_wasm())
        .arg("--config")
        .arg(&full));
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("ok against"), "{}", said(&out));
    assert!(
        said(&out).contains("sha256 pin:  none (pin it: sha256 = \""),
        "says how to pin it: {}",
        said(&out)
    );
}

/// An author checks a build in their own project, with no instance config: the check says
/// what the component is and leaves nothing behind there (no `data/` of an instance).
#[test]
fn plugin_check_without_a_config_leaves_nothing_in_the_authors_directory() {
    let project = common::scratch_dir();
    let out = run(Command::new(env!("CARGO_BIN_EXE_dvor"))
        .args(["plugin", "check"])
        .arg(hello_wasm())
        .current_dir(&project)
        .env("DVOR_LOG", "error"));
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("plugin `hello`"), "{}", said(&out));
    let left: Vec<_> = std::fs::read_dir(&project)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "the check left {left:?} in the project");
}

#[test]
fn a_component_whose_sha256_is_not_the_pinned_one_is_refused_by_name() {
    let digest = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(std::fs::read(hello_wasm()).unwrap()))
    };
    let pin = |sha: &str| {
        let sha = sha.to_owned();
        config_file(move |text| {
            text.replace(
                "[plugins.hello]\n",
                &format!("[plugins.hello]\nsha256 = \"{sha}\"\n"),
            )
        })
    };
    let wrong = "0".repeat(64);
    let out = run(dvor().args(["config", "check"]).arg(pin(&wrong)));
    let text = said(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("plugin `hello`")
            && text.contains(&digest)
            && text.contains(&format!("pins {wrong}")),
        "names the plugin and both digests: {text}"
    );
    let out = run(dvor().args(["config", "check"]).arg(pin(&digest)));
    assert!(out.status.success(), "{}", said(&out));
}

/// A component with a custom section appended: the same plugin, a different build (another
/// SHA-256), as a rebuild after an edit would be.
fn rebuilt(wasm: &[u8], marker: &str) -> Vec<u8> {
    let name = b"dvor-test-build";
    let mut payload = vec![name.len() as u8];
    payload.extend_from_slice(name);
    payload.extend_from_slice(marker.as_bytes());
    let mut out = wasm.to_vec();
    out.push(0); // a custom section
    let mut size = payload.len();
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(&payload);
    out
}

#[tokio::test]
async fn serve_watch_swaps_in_a_new_build_and_keeps_the_old_one_when_the_new_one_is_broken() {
    let dir = common::scratch_dir();
    let file = dir.join("hello.wasm");
    let original = std::fs::read(hello_wasm()).unwrap();
    std::fs::write(&file, &original).unwrap();
    let text = common::config_text("").replace(
        "[plugins.hello]\n",
        &format!("[plugins.hello]\npath = \"{}\"\n", file.display()),
    );
    for (engine, db) in common::databases().await {
        std::fs::write(&file, &original).unwrap();
        let config = common::config_from_text(text.clone(), "sqlite://unused.db");
        let instance = dvor::Instance::start_on(config.clone(), db).await.unwrap();
        let runtime = common::runtime(&instance);
        let watcher = tokio::spawn(dvor::watch::run_watcher(
            std::sync::Arc::new(config),
            runtime.clone(),
            std::time::Duration::from_millis(40),
        ));
        let first = runtime.plugins()["hello"].sha256.clone();
        let greet = || common::api(&runtime, "hello", "town", "GET", "greet?name=Аня", b"");

        // A broken build: logged, and the running one keeps answering.
        std::fs::write(&file, b"not a component").unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert_eq!(runtime.plugins()["hello"].sha256, first, "{engine}");
        assert_eq!(greet().await.map(|r| r.status).ok(), Some(200), "{engine}");

        // A good one takes its place, while calls go on.
        let next = rebuilt(&original, engine);
        std::fs::write(&file, &next).unwrap();
        let wanted = {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(&next))
        };
        let mut answered = 0;
        // Compiling the new build takes seconds (minutes on a loaded machine).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
        while runtime.plugins()["hello"].sha256 != wanted {
            assert!(
                std::time::Instant::now() < deadline,
                "{engine}: the new build was not loaded"
            );
            let answer = greet().await.expect("a call during the reload is answered");
            assert_eq!(answer.status, 200, "{engine}");
            answered += 1;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(answered > 0, "{engine}");
        let answer = greet().await.unwrap();
        assert!(common::text(&answer).contains("Аня"), "{engine}");
        watcher.abort();
    }
}

/// A minimal JSON-schema checker for what `dvor-plugin.schema.json` uses: type, properties,
/// required, additionalProperties, items, enum, pattern, minLength, maxLength, uniqueItems,
/// propertyNames, allOf, not and local `$ref`s. Answers the problems found.
fn check_schema(root: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/definitions/");
        return check_schema(root, &root["definitions"][name], value, at, out);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check_schema(root, part, value, at, out);
        }
    }
    if let Some(not) = schema.get("not") {
        let mut inner = Vec::new();
        check_schema(root, not, value, at, &mut inner);
        if inner.is_empty() {
            out.push(format!("{at}: matches what `not` forbids"));
        }
    }
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        let fits = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            _ => true,
        };
        if !fits {
            out.push(format!("{at}: not of type {kind}"));
            return;
        }
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array)
        && !choices.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {choices:?}"));
    }
    if let Some(text) = value.as_str() {
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && !regex::Regex::new(pattern).unwrap().is_match(text)
        {
            out.push(format!("{at}: `{text}` does not match {pattern}"));
        }
        let length = text.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| length < m)
            || schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| length > m)
        {
            out.push(format!("{at}: `{text}` has the wrong length"));
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                check_schema(root, item_schema, item, &format!("{at}[{i}]"), out);
            }
        }
        if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, item) in items.iter().enumerate() {
                if items[..i].contains(item) {
                    out.push(format!("{at}[{i}]: repeated"));
                }
            }
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(key) {
                out.push(format!("{at}: `{key}` is missing"));
            }
        }
        for (key, field) in object {
            let here = format!("{at}.{key}");
            if let Some(names) = schema.get("propertyNames") {
                check_schema(root, names, &Value::String(key.clone()), &here, out);
            }
            match properties.and_then(|p| p.get(key)) {
                Some(field_schema) => check_schema(root, field_schema, field, &here, out),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{here}: not a known key")),
                    Some(extra @ Value::Object(_)) => check_schema(root, extra, field, &here, out),
                    _ => {}
                },
            }
        }
    }
}

fn schema_problems(schema: &Value, manifest_text: &str) -> Vec<String> {
    let manifest: toml::Table = toml::from_str(manifest_text).expect("the manifest is TOML");
    let manifest = serde_json::to_value(manifest).unwrap();
    let mut problems = Vec::new();
    check_schema(schema, schema, &manifest, "manifest", &mut problems);
    problems
}

#[test]
fn the_manifest_schema_accepts_every_bundled_manifest_and_refuses_what_the_host_refuses() {
    let root = repo();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("docs/plugins/dvor-plugin.schema.json")).unwrap(),
    )
    .unwrap();
    let mut manifests = Vec::new();
    for dir in ["plugins", "tests/plugins", "examples", "host/templates"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path().join("dvor-plugin.toml");
            if path.exists() {
                manifests.push(path);
            }
        }
    }
    assert!(
        manifests.len() >= 10,
        "the bundled plugins, the examples and the templates: {manifests:?}"
    );
    for path in &manifests {
        // The templates' placeholders, as `dvor plugin new notes` fills them.
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("{{id}}", "notes")
            .replace("{{title}}", "Notes");
        let problems = schema_problems(&schema, &text);
        assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
        dvor::manifest::Manifest::parse(&text)
            .unwrap_or_else(|e| panic!("{}: the host refuses it too: {e}", path.display()));
        let own_project = path.starts_with(root.join("examples"))
            || path.starts_with(root.join("host/templates"));
        assert!(
            !own_project || text.starts_with("#:schema "),
            "{}: editors find the schema from its first line",
            path.display()
        );
    }
    // Inside the repository, editors find it from the taplo config.
    let taplo: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join(".taplo.toml")).unwrap()).unwrap();
    let rule = &taplo["rule"][0];
    assert_eq!(rule["include"][0].as_str(), Some("**/dvor-plugin.toml"));
    assert!(
        root.join(rule["schema"]["path"].as_str().unwrap()).exists(),
        "the taplo rule points at the schema"
    );

    // What the host refuses, the schema refuses too.
    let base =
        "id = \"notes\"\nname = { ru = \"Заметки\" }\nversion = \"0.1.0\"\ncontract = \"0.2.0\"\n";
    for (wrong, why) in [
        (
            "[capabilities]\nschedules = [\"tidy\"]\n",
            "schedules is not a capability",
        ),
        (
            "[[collections]]\nname = \"notes\"\nindexes = [{ field = \"n\", type = \"string\" }]\n",
            "an index type is text, integer or boolean",
        ),
        (
            "[[collections]]\nname = \"notes\"\nindexes = [{ field = \"community\", type = \"text\" }]\n",
            "community is the host's own",
        ),
        (
            "[capabilities]\noutbound_hosts = [\"https://api.example.org\"]\n",
            "a host, not a URL",
        ),
        (
            "[access]\nanonymous_api = [\"post notes\"]\n",
            "methods are in capitals",
        ),
    ] {
        let text = format!("{base}{wrong}");
        assert!(
            !schema_problems(&schema, &text).is_empty(),
            "the schema accepts what it should not ({why}):\n{text}"
        );
        assert!(
            dvor::manifest::Manifest::parse(&text).is_err(),
            "the host accepts it ({why}), so the schema should too:\n{text}"
        );
    }
    // The schema copied into new projects is this one.
    let project = scaffold("schema-copy", "rust");
    assert_eq!(
        std::fs::read_to_string(project.join("dvor-plugin.schema.json")).unwrap(),
        std::fs::read_to_string(root.join("docs/plugins/dvor-plugin.schema.json")).unwrap()
    );
    let _ = std::fs::remove_dir_all(project.parent().unwrap());
}

#[tokio::test]
async fn a_plugin_call_answers_in_the_language_the_contract_documents() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let client = served.client();
        let greet = |headers: Vec<(&'static str, &'static str)>, path: &'static str| {
            let client = client.clone();
            async move {
                client
                    .send_with(reqwest::Method::GET, path, None, &headers)
                    .await
                    .json["greeting"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        let path = "/api/c/town/p/hello/greet";
        assert!(
            greet(vec![], path).await.contains("мир"),
            "{e}: Russian by default"
        );
        assert!(
            greet(vec![("accept-language", "en-GB,en;q=0.9")], path)
                .await
                .contains("world"),
            "{e}: Accept-Language preferring English"
        );
        assert!(
            greet(vec![("accept-language", "ru-RU,ru;q=0.9,en;q=0.8")], path)
                .await
                .contains("мир"),
            "{e}: Russian preferred over English"
        );
        assert!(
            greet(
                vec![("accept-language", "en-GB")],
                "/api/c/town/p/hello/greet?lang=ru"
            )
            .await
            .contains("мир"),
            "{e}: ?lang wins over the header"
        );

        // A signed-in person's profile language.
        let anna = served.sign_in("+79991234567", "Анна", "Петрова").await;
        let saved = anna
            .patch("/api/me", serde_json::json!({ "locale": "en" }))
            .await;
        assert_eq!(saved.status, 200, "{e}: {saved:?}");
        let answer = anna.get(path).await;
        assert!(
            answer.json["greeting"]
                .as_str()
                .unwrap_or_default()
                .contains("world"),
            "{e}: the profile's English: {answer:?}"
        );
        let answer = anna
            .send_with(reqwest::Method::GET, &format!("{path}?lang=ru"), None, &[])
            .await;
        assert!(
            answer.json["greeting"]
                .as_str()
                .unwrap_or_default()
                .contains("мир"),
            "{e}: ?lang wins over the profile"
        );
    }
}

#[tokio::test]
async fn a_page_error_is_a_page_in_the_persons_language_and_an_unknown_place_is_no_such_place() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let client = served.client();

        let api = client.get("/api/c/nowhere/p/hello/greet").await;
        assert_eq!(api.status, 404, "{e}");
        assert!(
            api.text.contains("No such place: nowhere"),
            "{e}: {}",
            api.text
        );
        assert!(!api.text.contains("not enabled"), "{e}: {}", api.text);

        let page = client.get("/c/nowhere/p/hello").await;
        assert_eq!(page.status, 404, "{e}");
        assert!(
            page.text.contains("<html lang=\"ru\">") && page.text.contains("Страница не найдена"),
            "{e}: an HTML page: {}",
            page.text
        );
        assert!(
            page.text.contains("Нет такого места: nowhere"),
            "{e}: {}",
            page.text
        );
        assert!(!page.text.contains("\"error\""), "{e}: not JSON");

        let english = client.get("/c/nowhere/p/hello?lang=en").await;
        assert!(
            english.text.contains("Page not found")
                && english.text.contains("No such place: nowhere"),
            "{e}: {}",
            english.text
        );

        // A page the plugin does not have: the plugin's own words, in the person's language.
        let missing = client.get("/c/house-1/p/hello/no-such-page").await;
        assert_eq!(missing.status, 404, "{e}");
        assert!(
            missing.text.contains("<!doctype html>") && missing.text.contains("Нет такой страницы"),
            "{e}: {}",
            missing.text
        );
        let missing = client.get("/c/house-1/p/hello/no-such-page?lang=en").await;
        assert!(
            missing.text.contains("no such page"),
            "{e}: {}",
            missing.text
        );
    }
}

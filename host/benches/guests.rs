//! What each guest language costs: the same kind of small plugin in Rust (`hello`),
//! JavaScript (`examples/js`, componentize-js) and Python (`examples/python`, componentize-py).
//! For each: the component's size, loading it (compiling it with Cranelift into an empty cache,
//! then from the cache), the first call (a fresh instance + one API call), later calls (p50,
//! p99 of a fresh instance + the call), and the linear memory a call's instance grows to.
//!
//! Run with `cargo bench -p dvor --bench guests` after `cargo xtask plugins` and after the
//! examples' tests built their components (`npm test` in `examples/js`, `python -m unittest`
//! in `examples/python`); a component that is not built is skipped, saying so. Figures go to
//! `docs/benchmarks.md` and `docs/plugins/languages.md`. A measurement, not a test.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dvor::runtime::latest::dvor::plugin::context::CallTrigger;
use dvor::runtime::latest::exports::dvor::plugin::plugin::ApiRequest;
use dvor::runtime::{CallContext, Invocation};

/// One guest: its plugin id, language, component, what it is granted and the route called.
struct Guest {
    id: &'static str,
    language: &'static str,
    wasm: PathBuf,
    collections: &'static [&'static str],
    route: &'static str,
}

fn config(guest: &Guest, cache: &Path) -> dvor::config::Config {
    let collections = guest
        .collections
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"
[instance]
name = "Bench"
[runtime]
cache_dir = "{cache}"
max_instances = 8
[runtime.limits]
memory_mb = 256
deadline_ms = 30000
[scheduler]
enabled = false
[[communities]]
id = "bench"
name = "Bench"
kind = "house"
[plugins.{id}]
path = "{wasm}"
enabled_for = ["bench"]
[plugins.{id}.grants]
collections = [{collections}]
"#,
        cache = cache.display(),
        id = guest.id,
        wasm = guest.wasm.display(),
    );
    let db = format!("sqlite://{}/bench.db", cache.display());
    dvor::config::Config::from_str_with_env(
        &text,
        "bench.toml",
        vec![("DVOR_STORAGE__DATABASE_URL".to_owned(), db)],
    )
    .expect("bench config")
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// The largest linear memory a call of `plugin` grew to, from the host's metrics.
fn memory_peak(runtime: &dvor::runtime::Runtime, plugin: &str) -> Option<u64> {
    let text = runtime.shared().metrics.encode();
    let wanted = format!("plugin=\"{plugin}\"");
    text.lines()
        .find(|l| l.contains("memory_peak_bytes") && l.contains(&wanted) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

async fn call(runtime: &dvor::runtime::Runtime, guest: &Guest) -> Duration {
    let request = ApiRequest {
        method: "GET".into(),
        path: guest.route.into(),
        query: Vec::new(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let context = CallContext::anonymous("bench", CallTrigger::Api);
    let started = Instant::now();
    // Answered or refused (Python's route wants a signed-in caller): either way the whole
    // path ran — a fresh instance, the guest's code, the answer back.
    let _ = runtime
        .call(guest.id, context, Invocation::Request(request))
        .await;
    started.elapsed()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let iterations: usize = std::env::var("DVOR_BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let guests = [
        Guest {
            id: "hello",
            language: "Rust",
            wasm: root.join("target/wasm32-wasip2/plugin/hello.wasm"),
            collections: &["notes", "echoes", "stats", "exports"],
            route: "greet",
        },
        Guest {
            id: "lost-found",
            language: "JavaScript",
            wasm: root.join("examples/js/dist/lost_found.wasm"),
            collections: &["found"],
            route: "found",
        },
        Guest {
            id: "water-readings",
            language: "Python",
            wasm: root.join("examples/python/dist/water_readings.wasm"),
            collections: &["readings"],
            route: "readings",
        },
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{:<11} {:>9} {:>12} {:>12} {:>11} {:>10} {:>10} {:>11}",
        "language", "size", "compile", "from cache", "first call", "call p50", "call p99", "memory"
    );
    for guest in &guests {
        let Ok(meta) = std::fs::metadata(&guest.wasm) else {
            println!(
                "{:<11} not built: {} (see this file's header)",
                guest.language,
                guest.wasm.display()
            );
            continue;
        };
        let scratch = std::env::temp_dir().join(format!(
            "dvor-bench-guests-{}-{}",
            guest.id,
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch).unwrap();
        rt.block_on(async {
            // Into an empty cache: Cranelift compiles the component.
            let started = Instant::now();
            let instance = dvor::Instance::start(config(guest, &scratch))
                .await
                .expect("instance");
            let compile = started.elapsed();
            let runtime = instance.runtime.clone();
            let first = call(&runtime, guest).await;
            let mut samples: Vec<Duration> = Vec::with_capacity(iterations);
            for _ in 0..iterations {
                samples.push(call(&runtime, guest).await);
            }
            samples.sort();
            let p50 = samples[samples.len() / 2];
            let p99 = samples[((samples.len() as f64 - 1.0) * 0.99).round() as usize];
            let memory = memory_peak(&runtime, guest.id)
                .map(|b| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)))
                .unwrap_or_else(|| "?".into());
            drop(instance);
            // The same file again: the compiled code comes from the cache.
            let started = Instant::now();
            let again = dvor::Instance::start(config(guest, &scratch))
                .await
                .expect("instance");
            let cached = started.elapsed();
            drop(again);
            println!(
                "{:<11} {:>9} {:>12} {:>12} {:>11} {:>10} {:>10} {:>11}",
                guest.language,
                format!("{:.1} MB", meta.len() as f64 / 1_000_000.0),
                ms(compile),
                ms(cached),
                ms(first),
                ms(p50),
                ms(p99),
                memory
            );
        });
        let _ = std::fs::remove_dir_all(&scratch);
    }
}

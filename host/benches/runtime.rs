//! The runtime benchmark: a plugin call through the host against the same logic called
//! natively; a fresh instance plus one call (p50, p99); a warm call with a 1 KiB payload.
//!
//! Run with `cargo xtask bench` (it builds the plugins first). Figures go to
//! `docs/benchmarks.md`. This is a measurement, not a test: nothing here asserts a time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use dvor::runtime::latest::dvor::plugin::context::CallTrigger;
use dvor::runtime::latest::exports::dvor::plugin::plugin::ApiRequest;
use dvor::runtime::{CallContext, Invocation};

const CONFIG: &str = r#"
[instance]
name = "Bench"
[runtime]
plugin_dir = "PLUGIN_DIR"
cache_dir = "CACHE_DIR"
max_instances = 64
[scheduler]
enabled = false
[[communities]]
id = "bench"
name = "Bench"
kind = "house"
[plugins.chaos]
enabled_for = ["bench"]
[plugins.chaos.grants]
collections = ["scratch"]
"#;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<44} n={:<6} p50={:>9.2?} p99={:>9.2?} mean={:>9.2?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        mean
    );
}

fn request(path: &str, body: Vec<u8>) -> ApiRequest {
    ApiRequest {
        method: "POST".into(),
        path: path.into(),
        query: Vec::new(),
        headers: vec![("content-type".into(), "application/octet-stream".into())],
        body,
    }
}

/// What the plugin's `echo` does, compiled natively.
#[inline(never)]
fn native_echo(request: &ApiRequest) -> Vec<u8> {
    let mut answer = Vec::with_capacity(request.body.len());
    answer.extend_from_slice(&request.body);
    answer
}

fn main() {
    let iterations: usize = std::env::var("DVOR_BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let plugin_dir = root.join("target/wasm32-wasip2/plugin");
    let scratch = std::env::temp_dir().join(format!("dvor-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let text = CONFIG
        .replace("PLUGIN_DIR", &plugin_dir.display().to_string())
        .replace("CACHE_DIR", &scratch.join("cache").display().to_string());
    let db_url = format!("sqlite://{}/bench.db", scratch.display());
    let config = dvor::config::Config::from_str_with_env(
        &text,
        "bench.toml",
        vec![("DVOR_STORAGE__DATABASE_URL".to_owned(), db_url)],
    )
    .expect("bench config");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let instance = dvor::Instance::start(config).await.expect("instance");
        let runtime = instance.runtime.clone();
        println!(
            "pooling allocator: {}; iterations: {iterations}",
            runtime.pooling()
        );
        let payload = vec![b'x'; 1024];

        // Native baseline.
        let native_request = request("echo", payload.clone());
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let started = Instant::now();
            black_box(native_echo(black_box(&native_request)));
            samples.push(started.elapsed());
        }
        report("native echo, 1 KiB", samples);

        // A fresh instance per call, through the host's full call path.
        let ok = ApiRequest {
            method: "GET".into(),
            path: "ok".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        for _ in 0..200 {
            let context = CallContext::anonymous("bench", CallTrigger::Api);
            runtime
                .call("chaos", context, Invocation::Request(ok.clone()))
                .await
                .unwrap();
        }
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let context = CallContext::anonymous("bench", CallTrigger::Api);
            let started = Instant::now();
            let outcome = runtime
                .call("chaos", context, Invocation::Request(ok.clone()))
                .await;
            samples.push(started.elapsed());
            black_box(outcome.unwrap());
        }
        report("fresh instance + call (GET ok)", samples);

        let echo = request("echo", payload.clone());
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let context = CallContext::anonymous("bench", CallTrigger::Api);
            let started = Instant::now();
            let outcome = runtime
                .call("chaos", context, Invocation::Request(echo.clone()))
                .await;
            samples.push(started.elapsed());
            black_box(outcome.unwrap());
        }
        report("fresh instance + call (echo 1 KiB)", samples);

        // Where the fresh-instance time goes: a store and an instance, with no call.
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let context = CallContext::anonymous("bench", CallTrigger::Api);
            let started = Instant::now();
            let warm = runtime.warm_instance("chaos", context).await;
            samples.push(started.elapsed());
            drop(black_box(warm.unwrap()));
        }
        report("fresh instance only (store + instantiate)", samples);

        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let context = CallContext::anonymous("bench", CallTrigger::Api);
            let mut fresh = runtime.warm_instance("chaos", context).await.unwrap();
            let started = Instant::now();
            let answer = fresh.request(&echo).await;
            samples.push(started.elapsed());
            black_box(answer.unwrap().unwrap());
        }
        report("first call into a fresh instance (echo 1 KiB)", samples);

        // One live instance, many calls.
        let context = CallContext::anonymous("bench", CallTrigger::Api);
        let mut warm = runtime.warm_instance("chaos", context).await.unwrap();
        for _ in 0..200 {
            warm.request(&echo).await.unwrap().unwrap();
        }
        let mut samples = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let started = Instant::now();
            let answer = warm.request(&echo).await;
            samples.push(started.elapsed());
            black_box(answer.unwrap().unwrap());
        }
        report("warm call (echo 1 KiB)", samples);
    });
    let _ = std::fs::remove_dir_all(&scratch);
}

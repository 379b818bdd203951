//! A management company's files at scale, through a real host: a release `dvor serve` process
//! with the bundled config on SQLite, and an operator of the demo's management company who
//! posts, into the demo house, N accounts (`import/accounts`), a cold-water meter for each
//! (`import/meters`) and this month's reading of each (`import/readings`); has last month
//! billed (`billing/runs`, timed until the job's run is `done`); and downloads the month's
//! readings, the debtors and last month's charges as CSV. Each file is one request and one
//! plugin call, all or nothing; the housing plugin's deadline is raised to 10 minutes
//! for the run (the bundled 5 s is what the figures are compared with). A measurement, not a
//! test.
//!
//! `cargo build --release -p dvor --bin dvor && cargo bench --profile dev -p dvor --bench imports`
//! (`DVOR_BENCH_ROWS=100000`; `DVOR_BIN` to serve another build). With
//! `DVOR_BENCH_IMPORTS=background` each file goes through `imports/{what}` instead, checked whole
//! and written in chunks by the `import` job, timed until its import is done, under the bundled
//! limits (nothing raised). In both modes,
//! while the meters and readings files go in, another operator records a payment and opens an
//! account every 50 ms: their latency is what a long import costs everyone else.

mod support;

use std::time::{Duration, Instant};

use chrono::Datelike as _;

fn main() {
    let rows = support::env_number("DVOR_BENCH_ROWS", 100_000).max(1) as usize;
    // `background`: each file through `imports/{what}`, timed until its import is done, under
    // the bundled limits (5 s a call, 64 MiB); one request a file needs them raised.
    let background = std::env::var("DVOR_BENCH_IMPORTS").is_ok_and(|m| m == "background");
    let raised: &[(&str, &str)] = if background {
        &[]
    } else {
        &[
            ("DVOR_PLUGINS__HOUSING__LIMITS__DEADLINE_MS", "600000"),
            ("DVOR_PLUGINS__HOUSING__LIMITS__MEMORY_MB", "1024"),
        ]
    };
    let served = support::serve_process(
        "imports",
        &support::plugin_dir("housing.wasm"),
        None,
        raised,
    );
    let rt = support::runtime();
    rt.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(900))
            .build()
            .unwrap();
        support::wait_ready(&http, &served).await;
        let db = dvor::storage::Database::connect(&served.database_url())
            .await
            .expect("the host's database opens");
        let token = support::staff(&db, "operator", "demo-uk").await;
        drop(db);
        let base = format!("{}/api/c/demo-house-1/p/housing", served.base);

        let mut accounts = String::from("number,payer,area,residents,services\n");
        let mut meters = String::from("account,service,serial,initial,verified_until\n");
        let mut readings = String::from("account,serial,value\n");
        for n in 0..rows {
            let number = 100_000 + n;
            accounts.push_str(&format!("{number},Плательщик {n},45,2,cold_water\n"));
            meters.push_str(&format!("{number},cold_water,CW-{n},100,2031-01-01\n"));
            readings.push_str(&format!("{number},CW-{n},10{}\n", n % 10));
        }
        println!(
            "rows: {rows}, {}",
            if background {
                "imported in the background (`POST imports/{what}`)"
            } else {
                "one request each (`POST import/{what}`)"
            }
        );
        println!(
            "| step | status | seconds | rows/s | others' writes p50 / p99 / max ms (n) | others' reads p50 / p99 / max ms (n) |"
        );
        println!("|---|---|---|---|---|---|");
        for (what, file) in [
            ("accounts", accounts),
            ("meters", meters),
            ("readings", readings),
        ] {
            let bytes = file.len();
            let stop = std::sync::atomic::AtomicBool::new(false);
            // While the file goes in, another operator records payments and a resident opens
            // an account — once the accounts exist (during the meters and readings files).
            let probe = async {
                let mut writes = Vec::new();
                let mut reads = Vec::new();
                if what == "accounts" {
                    return (writes, reads);
                }
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    let started = Instant::now();
                    let paid = http
                        .post(format!("{base}/payments"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({ "account": "100001", "amount": "1.00",
                            "date": chrono::Utc::now().date_naive().to_string(),
                            "reference": format!("probe-{what}-{n}") }))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    writes.push((started.elapsed().as_micros() as u64, paid));
                    let started = Instant::now();
                    let read = http
                        .get(format!("{base}/accounts/100002"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    reads.push((started.elapsed().as_micros() as u64, read));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                (writes, reads)
            };
            let import = async {
                let started = Instant::now();
                let path = if background { "imports" } else { "import" };
                let response = http
                    .post(format!("{base}/{path}/{what}"))
                    .bearer_auth(&token)
                    .header("content-type", "text/csv")
                    .body(file)
                    .send()
                    .await
                    .expect("the import answers");
                let mut status = response.status().as_u16().to_string();
                let mut body: serde_json::Value = response.json().await.unwrap_or_default();
                if background && status == "202" {
                    let id = body["id"].as_str().unwrap_or_default().to_owned();
                    body = loop {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        let now = get_json(&http, &format!("{base}/imports/{id}"), &token).await;
                        let state = now["import"]["status"].as_str().unwrap_or_default();
                        if !matches!(state, "queued" | "checking" | "writing")
                            || started.elapsed() > Duration::from_secs(1800)
                        {
                            status = state.to_owned();
                            break now;
                        }
                    };
                }
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                (status, body, started.elapsed().as_secs_f64())
            };
            let ((status, body, seconds), (writes, reads)) = tokio::join!(import, probe);
            // Every request's time, answered or not: one that waited for the import and failed
            // at its own deadline counts at that time, and among the failed.
            let figure = |samples: &[(u64, bool)]| {
                if samples.is_empty() {
                    return "—".to_owned();
                }
                let mut times: Vec<u64> = samples.iter().map(|(us, _)| *us).collect();
                let failed = samples.iter().filter(|(_, ok)| !ok).count();
                format!(
                    "{:.0} / {:.0} / {:.0} ({}, failed {failed})",
                    support::quantile(&mut times, 0.5) as f64 / 1000.0,
                    support::quantile(&mut times, 0.99) as f64 / 1000.0,
                    support::quantile(&mut times, 1.0) as f64 / 1000.0,
                    samples.len()
                )
            };
            println!(
                "| {what} ({} KB) | {status} | {seconds:.1} | {:.0} | {} | {} |",
                bytes / 1024,
                rows as f64 / seconds,
                figure(&writes),
                figure(&reads)
            );
            if status != "200" && status != "done" {
                let text = body.to_string();
                println!("  {}", &text[..text.len().min(300)]);
            }
        }
        // The last month billed through the API, as the operator does it: the job bills the
        // accounts chunk by chunk; its time is from the request to the run's `done`.
        let today = chrono::Utc::now().date_naive();
        let period = today.format("%Y-%m").to_string();
        let last = (today.with_day(1).unwrap() - chrono::Days::new(1))
            .format("%Y-%m")
            .to_string();
        let started = Instant::now();
        let response = http
            .post(format!("{base}/billing/runs"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "period": last }))
            .send()
            .await
            .expect("the billing run is asked for");
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        if status == 202 {
            let id = body["id"].as_str().unwrap_or_default().to_owned();
            let run = loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let runs = get_json(&http, &format!("{base}/billing/runs"), &token).await;
                let run = runs["runs"]
                    .as_array()
                    .and_then(|r| r.iter().find(|r| r["id"] == id.as_str()))
                    .map(|r| r["run"].clone())
                    .unwrap_or_default();
                if run["status"] == "done" || started.elapsed() > Duration::from_secs(1800) {
                    break run;
                }
            };
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "| billing/runs {last} (billed {}, skipped {}) | {} | {seconds:.1} | {:.0} |",
                run["billed"],
                run["skipped"],
                run["status"],
                run["billed"].as_f64().unwrap_or(0.0) / seconds
            );
        } else {
            println!("| billing/runs {last} | {status} | | |\n  {body}");
        }
        for path in [
            format!("export/readings.csv?period={period}"),
            "export/debtors.csv".to_owned(),
            format!("export/charges.csv?period={last}"),
        ] {
            let started = Instant::now();
            let response = http
                .get(format!("{base}/{path}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("the export answers");
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap_or_default();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "| GET {path} ({} lines) | {status} | {seconds:.1} | |",
                body.iter().filter(|b| **b == b'\n').count()
            );
        }
    });
}

/// The JSON `url` answers the operator (null if it answers none).
async fn get_json(http: &reqwest::Client, url: &str, token: &str) -> serde_json::Value {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url} answers: {e}"))
        .json()
        .await
        .unwrap_or_default()
}

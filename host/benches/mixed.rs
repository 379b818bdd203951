//! The mixed load of issue 21 against one real host: a release `dvor serve` process with the
//! bundled `config/dvor.toml` (the demo town, every bundled plugin, the scheduler running its
//! jobs) on SQLite, and residents of the demo house who are signed in (their sessions made in
//! the database before the load: a sign-in by SMS code is limited to a few per phone an hour,
//! by design). The load is open-loop at a fixed rate: request `n` is due at `start + n / rate`
//! and is sent then whether or not earlier ones were answered, and its latency is counted from
//! when it was due — so a server that falls behind shows it in the figures instead of slowing
//! the generator down (no coordinated omission). Each 20 requests are 9 pages (as a browser
//! with the session cookie asks them), 7 API reads, 2 meter readings, 1 vote in a poll of the
//! house and 1 appeal to the town.
//!
//! `cargo build --release -p dvor --bin dvor && cargo bench -p dvor --bench mixed`
//! (`DVOR_BENCH_RATE=1000`, `DVOR_BENCH_SECONDS=30`, `DVOR_BENCH_RESIDENTS=200`; `DVOR_BIN` to
//! serve another build). A measurement, not a test.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The flats of the demo house whose owners submit readings.
const FLATS: [&str; 4] = ["1", "2", "12", "45"];

/// How many polls of the house the residents vote in (each resident votes once in each).
const POLLS: u64 = 40;

fn serve() -> support::Served {
    // Readings are taken every day of the month, so the bench runs on any date.
    support::serve_process(
        "mixed",
        &support::plugin_dir("housing.wasm"),
        None,
        &[(
            "DVOR_PLUGINS__HOUSING__SETTINGS__READING_WINDOW",
            "{ from_day = 1, to_day = 31 }",
        )],
    )
}

/// What one request of the mix is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Class {
    Page,
    Read,
    Reading,
    Vote,
    Appeal,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Page => "pages",
            Class::Read => "API reads",
            Class::Reading => "readings",
            Class::Vote => "votes",
            Class::Appeal => "appeals",
        }
    }
}

/// The 20 requests the mix repeats, in order.
const MIX: [Class; 20] = {
    use Class::*;
    [
        Page, Read, Page, Reading, Page, Read, Page, Vote, Read, Page, Read, Page, Reading, Page,
        Read, Page, Appeal, Read, Page, Read,
    ]
};

/// The demo's pages a resident opens, and the API reads a phone app makes; `{flat}` is the
/// resident's flat.
const PAGES: [&str; 6] = [
    "/c/demo-house-1",
    "/c/demo-town/p/hello",
    "/c/demo-house-1/p/housing",
    "/c/demo-house-1/p/meetings",
    "/c/demo-town/p/people-control",
    "/me",
];
const READS: [&str; 6] = [
    "/api/me",
    "/api/c/demo-town/p/hello/notes",
    "/api/c/demo-house-1/p/meetings/polls",
    "/api/c/demo-house-1/p/housing/accounts/{flat}",
    "/api/c/demo-house-1/p/housing/accounts/{flat}/readings",
    "/api/c/demo-town/p/gamification/me",
];

struct Resident {
    token: String,
    flat: &'static str,
}

/// Everything a request needs to be made.
struct Load {
    base: String,
    residents: Vec<Resident>,
    /// The first meter of each flat of [`FLATS`].
    meters: BTreeMap<&'static str, String>,
    polls: Vec<String>,
    votes: AtomicU64,
    appeals: AtomicU64,
}

impl Load {
    /// Request number `n`, as a resident would make it.
    fn request(&self, http: &reqwest::Client, n: u64) -> (Class, reqwest::RequestBuilder) {
        let class = MIX[(n % MIX.len() as u64) as usize];
        let round = n / MIX.len() as u64;
        let who = &self.residents[(n % self.residents.len() as u64) as usize];
        let url = |path: &str| format!("{}{}", self.base, path.replace("{flat}", who.flat));
        let request = match class {
            Class::Page => http
                .get(url(PAGES[(round % PAGES.len() as u64) as usize]))
                .header("cookie", format!("dvor_session={}", who.token)),
            Class::Read => http
                .get(url(READS[(n % READS.len() as u64) as usize]))
                .bearer_auth(&who.token),
            Class::Reading => http
                .post(url(
                    "/api/c/demo-house-1/p/housing/accounts/{flat}/readings",
                ))
                .bearer_auth(&who.token)
                // The same value each time: the month's reading is replaced, never lower.
                .json(&json!({ "meter": self.meters[who.flat], "value": "9000" })),
            Class::Vote => {
                // Each vote is a resident's first in its poll.
                let v = self.votes.fetch_add(1, Ordering::Relaxed);
                let voters = self.residents.len() as u64;
                let voter = &self.residents[(v % voters) as usize];
                let poll = &self.polls[((v / voters) % self.polls.len() as u64) as usize];
                http.post(url(&format!(
                    "/api/c/demo-house-1/p/meetings/polls/{poll}/vote"
                )))
                .bearer_auth(&voter.token)
                .json(&json!({ "choices": [v % 2] }))
            }
            Class::Appeal => {
                let a = self.appeals.fetch_add(1, Ordering::Relaxed);
                http.post(url("/api/c/demo-town/p/people-control/appeals"))
                    .bearer_auth(&who.token)
                    .json(&json!({
                        "category": "garbage",
                        "address": format!("ул. Садовая, {}", a % 90 + 1),
                        "description": format!("Мусор у подъезда не вывозят третий день ({a})"),
                    }))
            }
        };
        (class, request)
    }
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn main() {
    let rate = support::env_number("DVOR_BENCH_RATE", 1000).max(1);
    let seconds = support::env_number("DVOR_BENCH_SECONDS", 30);
    let count = support::env_number("DVOR_BENCH_RESIDENTS", 200).max(FLATS.len() as u64);
    let served = serve();
    let rt = support::runtime();
    rt.block_on(async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let base = served.base.clone();
        support::wait_ready(&http, &served).await;

        // The residents, in the host's own database: each owns a share of one of the flats.
        let started = Instant::now();
        let db = dvor::storage::Database::connect(&served.database_url())
            .await
            .expect("the host's database opens");
        let tokens = support::residents(
            &db,
            "demo-house-1",
            count,
            |i| FLATS[(i % FLATS.len() as u64) as usize].to_owned(),
            |_| (1, count as u32),
        )
        .await;
        drop(db);
        let residents: Vec<Resident> = tokens
            .into_iter()
            .enumerate()
            .map(|(i, token)| Resident {
                token,
                flat: FLATS[i % FLATS.len()],
            })
            .collect();

        // The demo's seed: housing's billing job makes the house's accounts and meters,
        // people-control's sync job its categories.
        let first = residents[0].token.clone();
        let mut meters = BTreeMap::new();
        for (i, flat) in FLATS.iter().enumerate() {
            let (token, path) = (
                residents[i].token.clone(),
                format!("{base}/api/c/demo-house-1/p/housing/accounts/{flat}"),
            );
            let meter = Arc::new(std::sync::Mutex::new(None::<String>));
            support::wait_for(&format!("the demo's account of flat {flat}"), 180, || {
                let (request, meter) = (http.get(&path).bearer_auth(&token).send(), meter.clone());
                async move {
                    let Ok(response) = request.await else {
                        return false;
                    };
                    let (_, body) = json_of(response).await;
                    let id = body["account"]["meters"][0]["id"].as_str().map(str::to_owned);
                    *meter.lock().unwrap() = id.clone();
                    id.is_some()
                }
            })
            .await;
            meters.insert(*flat, meter.lock().unwrap().clone().unwrap());
        }
        let categories = format!("{base}/api/c/demo-town/p/people-control/categories");
        support::wait_for("the demo's appeal categories", 180, || {
            let request = http.get(&categories).bearer_auth(&first).send();
            async move {
                match request.await {
                    Ok(response) => json_of(response).await.1["categories"]
                        .as_array()
                        .is_some_and(|c| !c.is_empty()),
                    Err(_) => false,
                }
            }
        })
        .await;
        let mut polls = Vec::new();
        for p in 0..POLLS {
            let (status, body) = json_of(
                http.post(format!("{base}/api/c/demo-house-1/p/meetings/polls"))
                    .bearer_auth(&first)
                    .json(&json!({
                        "title": format!("Красим подъезд в цвет №{p}?"),
                        "kind": "single",
                        "options": ["Да", "Нет"],
                        "hours": 72,
                    }))
                    .send()
                    .await
                    .expect("the host answers"),
            )
            .await;
            assert_eq!(status, 201, "a poll is created: {body}");
            polls.push(body["id"].as_str().unwrap().to_owned());
        }
        let load = Arc::new(Load {
            base: base.clone(),
            residents,
            meters,
            polls,
            votes: AtomicU64::new(0),
            appeals: AtomicU64::new(0),
        });
        // Every kind of request of the mix answers before it is measured.
        for n in 0..(MIX.len() * PAGES.len()) as u64 {
            let (class, request) = load.request(&http, n);
            let response = request.send().await.expect("the host answers");
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            assert!(
                status.is_success(),
                "{class:?} request {n} answers {status}: {}",
                text.chars().take(300).collect::<String>()
            );
        }
        println!(
            "set up {count} residents, {POLLS} polls and the demo's seed in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        // The load.
        let total = rate * seconds;
        let period = Duration::from_nanos(1_000_000_000 / rate);
        let start = tokio::time::Instant::now() + Duration::from_millis(200);
        let mut tasks = Vec::with_capacity(total as usize);
        let mut late_sends = 0u64;
        for n in 0..total {
            let due = start + period * n as u32;
            tokio::time::sleep_until(due).await;
            if due.elapsed() > Duration::from_millis(5) {
                late_sends += 1;
            }
            let (class, request) = load.request(&http, n + 1_000_000);
            tasks.push(tokio::spawn(async move {
                let outcome = match request.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        match response.bytes().await {
                            Ok(_) => status,
                            Err(_) => 0,
                        }
                    }
                    Err(_) => 0,
                };
                (class, due.elapsed().as_micros() as u64, outcome)
            }));
        }
        let sent_in = start.elapsed();
        let mut all = Vec::new();
        let mut by_class: BTreeMap<Class, Vec<u64>> = BTreeMap::new();
        let mut errors: BTreeMap<(Class, u16), u64> = BTreeMap::new();
        for task in tasks {
            let (class, micros, status) = task.await.unwrap();
            all.push(micros);
            by_class.entry(class).or_default().push(micros);
            if !(200..300).contains(&status) {
                *errors.entry((class, status)).or_default() += 1;
            }
        }
        let ms = |us: u64| us as f64 / 1000.0;
        println!(
            "{total} requests at {rate}/s for {seconds} s (sent in {:.1} s, {late_sends} sent more than 5 ms late): \
             latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} errors",
            sent_in.as_secs_f64(),
            ms(support::quantile(&mut all, 0.5)),
            ms(support::quantile(&mut all, 0.9)),
            ms(support::quantile(&mut all, 0.99)),
            ms(support::quantile(&mut all, 1.0)),
            errors.values().sum::<u64>(),
        );
        for (class, samples) in &mut by_class {
            println!(
                "  {:<10} {:>6}: p50 {:.1} ms, p99 {:.1} ms",
                class.name(),
                samples.len(),
                ms(support::quantile(samples, 0.5)),
                ms(support::quantile(samples, 0.99)),
            );
        }
        for ((class, status), n) in &errors {
            println!(
                "  {n} {} answered {}",
                class.name(),
                if *status == 0 {
                    "nothing (connection or 10 s timeout)".to_owned()
                } else {
                    status.to_string()
                }
            );
        }
    });
    drop(served);
}

//! Fan-out of a house chat: 1 000 residents follow their house's room over Server-Sent Events
//! (`GET /api/live/c/house-1/p/feed?channel=room:house`, each with their own session), and
//! residents write 10 messages a second through the real `feed` plugin over HTTP
//! (`POST /api/c/house-1/p/feed/chats/house/messages`: the gate, the rate limit, the insert, the
//! live update, one transaction). Measured: from just before each POST to when each follower has
//! read the message off its stream — fan-out latency p50/p99 over every delivery — and the POST
//! itself. In the bench's process on SQLite, and on PostgreSQL when `DVOR_TEST_POSTGRES_URL` is
//! set; or, with `DVOR_BIN` (a release build), against that `dvor serve` as a process of its own
//! on SQLite, as an operator runs it — the figure to publish, with no bench-profile build of the
//! host. A measurement, not a test: `cargo bench -p dvor --bench feed` (`DVOR_BENCH_FOLLOWERS=1000`,
//! `DVOR_BENCH_SECONDS=30`, `DVOR_BENCH_RATE=10`;
//! `DVOR_BIN=target/release/dvor cargo bench --profile dev -p dvor --bench feed`).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dvor::storage::testing::test_databases;

fn config(plugin_dir: &str, cache: &str, flats: u64) -> String {
    let mut text = support::town_with_house(plugin_dir, cache);
    text.push_str(
        r#"
[plugins.feed]
enabled_for = ["town"]
[plugins.feed.grants]
collections = ["posts", "comments", "messages", "decisions", "words", "people", "reads", "state"]
emits = ["feed.posted", "feed.helped"]
consumes = ["person.joined", "person.left"]
notifications = true
files = true
live = true
[plugins.feed.settings]
gate = { first_posts_held = 0 }
"#,
    );
    for n in 1..=flats {
        text.push_str(&format!(
            "\n[[units]]\ncommunity = \"house-1\"\nnumber = \"{n}\"\nkind = \"apartment\"\narea = \"50\"\nentrance = \"{}\"\n",
            (n - 1) / 100 + 1
        ));
    }
    text
}

/// Read one follower's stream until `expected` messages came or `until`; the latency of each,
/// µs after its POST started.
async fn follow(
    mut response: reqwest::Response,
    sent: Arc<Vec<AtomicU64>>,
    base: Instant,
    expected: usize,
    until: Instant,
) -> Vec<u64> {
    let mut latencies = Vec::with_capacity(expected);
    let mut buffer = String::new();
    const MARK: &str = "\"text\":\"bench ";
    while latencies.len() < expected {
        let chunk = match tokio::time::timeout_at(until.into(), response.chunk()).await {
            Ok(Ok(Some(chunk))) => chunk,
            _ => break,
        };
        let now = base.elapsed().as_micros() as u64;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find('\n') {
            let line: String = buffer.drain(..=end).collect();
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let Some(at) = data.find(MARK) else { continue };
            let digits: String = data[at + MARK.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(seq) = digits.parse::<usize>()
                && let Some(started) = sent.get(seq)
            {
                latencies.push(now.saturating_sub(started.load(Ordering::Relaxed)));
            }
        }
    }
    latencies
}

fn main() {
    let followers = support::env_number("DVOR_BENCH_FOLLOWERS", 1000);
    let seconds = support::env_number("DVOR_BENCH_SECONDS", 30);
    let rate = support::env_number("DVOR_BENCH_RATE", 10).max(1);
    let messages = (seconds * rate) as usize;
    let plugin_dir = support::plugin_dir("feed.wasm");
    let rt = support::runtime();
    rt.block_on(async {
        if std::env::var_os("DVOR_BIN").is_some() {
            // A release host of its own; the residents are made in its database once it is up.
            let served = support::serve_process(
                "feed",
                &plugin_dir,
                Some(&config(&plugin_dir.display().to_string(), "", followers)),
                &[],
            );
            support::wait_ready(&reqwest::Client::new(), &served).await;
            let db = dvor::storage::Database::connect(&served.database_url())
                .await
                .expect("the host's database opens");
            let tokens = residents(&db, "dvor serve process", followers).await;
            drop(db);
            fan_out(
                "dvor serve process, sqlite",
                &served.base,
                &tokens,
                followers,
                seconds,
                rate,
                messages,
            )
            .await;
            return;
        }
        for (engine, db) in test_databases().await {
            let instance =
                support::start_instance("feed", &plugin_dir, db.clone(), |dir, cache| {
                    config(dir, cache, followers)
                })
                .await;
            let tokens = residents(&db, engine, followers).await;

            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(dvor::serve_instance(instance, listener, async move {
                let _ = stopped.await;
            }));
            fan_out(engine, &url, &tokens, followers, seconds, rate, messages).await;
            let _ = stop.send(());
            let _ = server.await;
        }
    });
}

/// The house's `followers` residents in `db`: each owns a flat, lives in the house, and has a
/// session; their tokens. Prints how long it took, under `label`.
async fn residents(db: &dvor::storage::Database, label: &str, followers: u64) -> Vec<String> {
    let started = Instant::now();
    let tokens = support::residents(
        db,
        "house-1",
        followers,
        |i| format!("{}", i + 1),
        |_| (1, 1),
    )
    .await;
    println!(
        "{label}: set up {followers} residents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    tokens
}

/// Open `followers` streams of the house room on the host at `url`, post `messages` at `rate`
/// a second, and print the fan-out and POST latencies.
async fn fan_out(
    engine: &str,
    url: &str,
    tokens: &[String],
    followers: u64,
    seconds: u64,
    rate: u64,
    messages: usize,
) {
    let client = reqwest::Client::builder().build().unwrap();

    // Everyone opens the room's live channel, ten at a time (each is a `subscribe` call
    // into the plugin, which reads the house's register).
    let base = Instant::now();
    let sent: Arc<Vec<AtomicU64>> =
        Arc::new((0..messages).map(|_| AtomicU64::new(u64::MAX)).collect());
    let connected = Instant::now();
    let mut streams = Vec::new();
    let mut retries = 0;
    for batch in tokens.chunks(10) {
        let mut opening = Vec::new();
        for token in batch {
            let request = client
                .get(format!(
                    "{url}/api/live/c/house-1/p/feed?channel=room:house"
                ))
                .bearer_auth(token)
                .send();
            opening.push(request);
        }
        for (response, token) in futures_util::future::join_all(opening)
            .await
            .into_iter()
            .zip(batch)
        {
            let mut response = response.expect("a follower connects");
            // The `subscribe` call may miss the plugin's deadline on a loaded machine:
            // that follower tries again, as a browser's EventSource does.
            for _ in 0..5 {
                if response.status() != 504 {
                    break;
                }
                retries += 1;
                response = client
                    .get(format!(
                        "{url}/api/live/c/house-1/p/feed?channel=room:house"
                    ))
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("a follower connects");
            }
            assert_eq!(response.status(), 200, "a member follows the room");
            streams.push(response);
        }
    }
    println!(
        "{engine}: {} followers on the room's channel in {:.1} s ({retries} retried after a 504)",
        streams.len(),
        connected.elapsed().as_secs_f64()
    );
    let until = Instant::now() + Duration::from_secs(seconds + 20);
    let readers: Vec<_> = streams
        .into_iter()
        .map(|stream| tokio::spawn(follow(stream, sent.clone(), base, messages, until)))
        .collect();

    // Residents write, `rate` messages a second, each POST on its own.
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut posts = Vec::new();
    for seq in 0..messages {
        ticker.tick().await;
        let token = tokens[seq % tokens.len()].clone();
        let client = client.clone();
        let url = url.to_owned();
        let sent = sent.clone();
        posts.push(tokio::spawn(async move {
            let at = base.elapsed().as_micros() as u64;
            sent[seq].store(at, Ordering::Relaxed);
            let response = client
                .post(format!("{url}/api/c/house-1/p/feed/chats/house/messages"))
                .bearer_auth(token)
                .json(&serde_json::json!({ "text": format!("bench {seq}") }))
                .send()
                .await
                .expect("the server answers");
            let status = response.status();
            let took = base.elapsed().as_micros() as u64 - at;
            // A refused message (the plugin's deadline on an overloaded machine) is
            // counted and named, not a crash of the measurement.
            let failure = (status != 201).then(|| status.as_u16());
            (took, failure)
        }));
    }
    let mut post_us = Vec::new();
    let mut failed: Vec<u16> = Vec::new();
    for post in posts {
        let (took, failure) = post.await.unwrap();
        post_us.push(took);
        failed.extend(failure);
    }
    if !failed.is_empty() {
        println!(
            "{engine}: {} of {messages} messages refused (statuses {:?})",
            failed.len(),
            failed.iter().collect::<std::collections::BTreeSet<_>>()
        );
    }
    let mut delivered = Vec::new();
    for reader in readers {
        delivered.extend(reader.await.unwrap());
    }
    let expected = (messages - failed.len()) as u64 * followers;
    let count = delivered.len() as u64;
    println!(
        "{engine}: {messages} messages at {rate}/s to {followers} followers: {count} of {expected} deliveries; \
         fan-out latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; the POST p50 {:.1} ms, p99 {:.1} ms",
        support::quantile(&mut delivered, 0.5) as f64 / 1000.0,
        support::quantile(&mut delivered, 0.99) as f64 / 1000.0,
        support::quantile(&mut delivered, 1.0) as f64 / 1000.0,
        support::quantile(&mut post_us, 0.5) as f64 / 1000.0,
        support::quantile(&mut post_us, 0.99) as f64 / 1000.0,
    );
}

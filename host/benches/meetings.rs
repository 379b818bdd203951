//! Votes per second through the `meetings` plugin: N residents each vote once in a poll, every
//! vote one plugin call and one committed transaction (the ballot, its `poll.voted` event),
//! sequentially and from several concurrent callers. On SQLite (WAL, `synchronous = NORMAL`, as
//! an instance runs it) and on PostgreSQL when `DVOR_TEST_POSTGRES_URL` is set. A measurement,
//! not a test: `cargo bench -p dvor --bench meetings` (`DVOR_BENCH_VOTES=5000`).

mod support;

use std::sync::Arc;
use std::time::Instant;

use dvor::runtime::latest::dvor::plugin::context::CallTrigger;
use dvor::runtime::latest::exports::dvor::plugin::plugin::ApiRequest;
use dvor::runtime::{CallContext, Caller, Invocation, Outcome, Role, Runtime};
use dvor::storage::testing::test_databases;

fn config(plugin_dir: &str, cache: &str) -> String {
    let mut text = support::town_with_house(plugin_dir, cache);
    text.push_str(
        r#"
[plugins.meetings]
enabled_for = ["town"]
[plugins.meetings.grants]
collections = ["polls", "initiatives", "meetings", "ballots", "supports"]
emits = ["poll.voted", "initiative.created", "initiative.supported", "meeting.closed"]
"#,
    );
    text
}

fn resident(n: usize) -> Caller {
    Caller {
        person_id: format!("p{n:07}"),
        display_name: format!("Житель {n}"),
        roles: vec![Role {
            name: "resident".into(),
            community: Some("house-1".into()),
            organization: None,
        }],
        locale: "ru".into(),
    }
}

async fn call(runtime: &Runtime, caller: Caller, method: &str, path: &str, body: String) -> u16 {
    let mut context = CallContext::anonymous("house-1", CallTrigger::Api);
    context.caller = Some(caller);
    let request = ApiRequest {
        method: method.into(),
        path: path.into(),
        query: vec![],
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into_bytes(),
    };
    match runtime
        .call("meetings", context, Invocation::Request(request))
        .await
    {
        Ok(Outcome::Response(response)) => response.status,
        other => panic!("a vote failed: {other:?}"),
    }
}

async fn new_poll(runtime: &Runtime) -> String {
    let mut context = CallContext::anonymous("house-1", CallTrigger::Api);
    context.caller = Some(resident(0));
    let request = ApiRequest {
        method: "POST".into(),
        path: "polls".into(),
        query: vec![],
        headers: vec![],
        body:
            r#"{"title":"Ставим ёлку во дворе?","kind":"single","options":["Да","Нет"],"hours":24}"#
                .as_bytes()
                .to_vec(),
    };
    let Ok(Outcome::Response(response)) = runtime
        .call("meetings", context, Invocation::Request(request))
        .await
    else {
        panic!("the poll is created");
    };
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    body["id"].as_str().unwrap().to_owned()
}

fn main() {
    let votes: usize = std::env::var("DVOR_BENCH_VOTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let plugin_dir = support::plugin_dir("meetings.wasm");
    let rt = support::runtime();
    rt.block_on(async {
        for (engine, db) in test_databases().await {
            let instance = support::start_instance("meetings", &plugin_dir, db, config).await;
            let runtime: Arc<Runtime> = instance.runtime.clone();
            for concurrency in [1usize, 4] {
                let poll = new_poll(&runtime).await;
                let path = format!("polls/{poll}/vote");
                let started = Instant::now();
                let mut tasks = Vec::new();
                for worker in 0..concurrency {
                    let runtime = runtime.clone();
                    let path = path.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut n = worker;
                        while n < votes {
                            let status = call(
                                &runtime,
                                resident(concurrency * 1_000_000 + n),
                                "POST",
                                &path,
                                format!(r#"{{"choices":[{}]}}"#, n % 2),
                            )
                            .await;
                            assert_eq!(status, 201, "vote {n}");
                            n += concurrency;
                        }
                    }));
                }
                for task in tasks {
                    task.await.unwrap();
                }
                let elapsed = started.elapsed();
                println!(
                    "{engine}: {votes} votes, {concurrency} caller(s): {:.2} s, {:.0} votes/s, {:.0} µs per vote",
                    elapsed.as_secs_f64(),
                    votes as f64 / elapsed.as_secs_f64(),
                    elapsed.as_micros() as f64 / votes as f64
                );
            }
        }
    });
}

//! A misbehaving plugin fails only its own call, with an error naming it and the limit, and
//! the host keeps serving; and one call is one transaction.

use crate::common;

use common::{api, http_status, instances, text};
use dvor::runtime::{CallError, LimitKind};

async fn still_serving(runtime: &dvor::runtime::Runtime) {
    let ok = api(runtime, "chaos", "house-1", "GET", "ok", b"")
        .await
        .expect("ok answers");
    assert_eq!(ok.status, 200);
    let greet = api(runtime, "hello", "house-2", "GET", "greet?name=Анна", b"")
        .await
        .expect("another plugin answers");
    assert!(text(&greet).contains("Анна"), "{}", text(&greet));
}

fn limit_of(result: Result<impl std::fmt::Debug, CallError>) -> (LimitKind, String) {
    match result {
        Err(error @ CallError::Limit { kind, .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("chaos"),
                "the error names the plugin: {message}"
            );
            (kind, message)
        }
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_endless_loop_hits_the_deadline_and_nothing_else() {
    for (engine, instance) in instances("").await.into_iter().take(1) {
        let runtime = &instance.runtime;
        let started = std::time::Instant::now();
        let (kind, message) = limit_of(api(runtime, "chaos", "house-1", "GET", "loop", b"").await);
        assert_eq!(kind, LimitKind::Deadline, "{engine}");
        assert!(message.contains("500 ms"), "names the limit: {message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        still_serving(runtime).await;
    }
}

#[tokio::test]
async fn unbounded_allocation_hits_the_memory_cap() {
    for (_, instance) in instances("").await.into_iter().take(1) {
        let (kind, message) =
            limit_of(api(&instance.runtime, "chaos", "house-1", "GET", "alloc", b"").await);
        assert_eq!(kind, LimitKind::Memory);
        assert!(message.contains("32 MiB"), "names the cap: {message}");
        still_serving(&instance.runtime).await;
    }
}

#[tokio::test]
async fn deep_recursion_hits_the_stack_limit() {
    for (_, instance) in instances("").await.into_iter().take(1) {
        let (kind, _) =
            limit_of(api(&instance.runtime, "chaos", "house-1", "GET", "recurse", b"").await);
        assert_eq!(kind, LimitKind::Stack);
        still_serving(&instance.runtime).await;
    }
}

#[tokio::test]
async fn a_panic_is_reported_with_its_message() {
    for (_, instance) in instances("").await.into_iter().take(1) {
        match api(&instance.runtime, "chaos", "house-1", "GET", "panic", b"").await {
            Err(CallError::Trap { plugin, detail }) => {
                assert_eq!(plugin, "chaos");
                assert!(detail.contains("panicked"), "{detail}");
            }
            other => panic!("expected a trap, got {other:?}"),
        }
        still_serving(&instance.runtime).await;
    }
}

#[tokio::test]
async fn a_huge_answer_is_refused() {
    let text = common::config_text("")
        .replace(
            "[plugins.chaos.limits]\n",
            "[plugins.chaos.limits]\nmemory_mb = 256\n",
        )
        .replace("deadline_ms = 500\n", "deadline_ms = 20000\n");
    for (_, instance) in common::instances_from_text(text).await.into_iter().take(1) {
        let (kind, message) =
            limit_of(api(&instance.runtime, "chaos", "house-1", "GET", "huge", b"").await);
        assert!(
            matches!(kind, LimitKind::AnswerSize | LimitKind::Memory),
            "{message}"
        );
        still_serving(&instance.runtime).await;
    }
}

#[tokio::test]
async fn a_failed_call_writes_nothing_on_every_database() {
    for (engine, instance) in instances("").await {
        let runtime = &instance.runtime;
        let failed = api(
            runtime,
            "chaos",
            "house-1",
            "POST",
            "write-then-fail?id=a",
            b"",
        )
        .await;
        assert!(
            matches!(failed, Err(CallError::Plugin { .. })),
            "{engine}: {failed:?}"
        );
        let trapped = api(
            runtime,
            "chaos",
            "house-1",
            "POST",
            "write-then-trap?id=b",
            b"",
        )
        .await;
        assert!(
            matches!(trapped, Err(CallError::Trap { .. })),
            "{engine}: {trapped:?}"
        );
        for id in ["a", "b"] {
            let read = api(
                runtime,
                "chaos",
                "house-1",
                "GET",
                &format!("read?id={id}"),
                b"",
            )
            .await;
            assert_eq!(http_status(&read), 404, "{engine}: `{id}` was rolled back");
        }
        let written = api(runtime, "chaos", "house-1", "POST", "write?id=c", b"")
            .await
            .unwrap();
        assert_eq!(written.status, 201, "{engine}");
        let read = api(runtime, "chaos", "house-1", "GET", "read?id=c", b"")
            .await
            .unwrap();
        assert_eq!(read.status, 200, "{engine}: a successful call commits");
    }
}

#[tokio::test]
async fn a_call_that_times_out_after_writing_is_rolled_back() {
    for (engine, instance) in instances("").await {
        let runtime = &instance.runtime;
        let result = api(
            runtime,
            "chaos",
            "house-1",
            "POST",
            "write-then-loop?id=t",
            b"",
        )
        .await;
        assert!(
            matches!(
                result,
                Err(CallError::Limit {
                    kind: LimitKind::Deadline,
                    ..
                })
            ),
            "{engine}: {result:?}"
        );
        let read = api(runtime, "chaos", "house-1", "GET", "read?id=t", b"").await;
        assert_eq!(http_status(&read), 404, "{engine}");
    }
}

/// Plugin code that never returns must not take the host with it: with more looping calls
/// than the server has worker threads — anonymous ones, and a signed-in one that wrote first
/// and holds its transaction — `/healthz` and another plugin's call still answer while every
/// loop is still running, and each loop then ends at its deadline with 504.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_spinning_on_every_worker_delay_neither_health_nor_other_plugins() {
    use common::server::{Answer, identity_config, serve_config, sms_gateway};
    for (engine, db) in common::databases().await {
        let (sms_url, sms) = sms_gateway().await;
        // Long enough that "answered while the loops still ran" cannot be luck on a busy
        // machine; the loops' own 504 still comes within the test.
        let text = common::config_text(&identity_config(&sms_url, ""))
            .replace("deadline_ms = 500", "deadline_ms = 6000");
        let config = common::config_from_text(text, "sqlite://unused.db");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let served = serve_config(engine, db, config, listener, sms).await;
        let writer = served.sign_in("+79001112233", "Анна", "Петрова").await;
        let anonymous = served.client();

        let mut loops = Vec::new();
        for _ in 0..4 {
            let client = anonymous.clone();
            loops.push(tokio::spawn(async move {
                client.get("/api/c/house-1/p/chaos/loop").await
            }));
        }
        let client = writer.clone();
        loops.push(tokio::spawn(async move {
            client
                .send(
                    reqwest::Method::POST,
                    "/api/c/house-1/p/chaos/write-then-loop?id=held",
                    None,
                )
                .await
        }));
        // Let every loop reach its plugin's code.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

        let health = Answer::of(
            reqwest::get(format!("{}/healthz", served.base))
                .await
                .expect("/healthz answers"),
        )
        .await;
        assert_eq!(health.status, 200, "{engine}: {}", health.text);
        let greet = anonymous
            .get("/api/c/house-2/p/hello/greet?name=%D0%90%D0%BD%D0%BD%D0%B0")
            .await;
        assert_eq!(greet.status, 200, "{engine}: {}", greet.text);
        assert!(greet.text.contains("Анна"), "{engine}: {}", greet.text);
        // The writer, signed in, reads while their own long write still runs: their session is
        // looked up and the read answered without waiting for it.
        let unseen = writer.get("/api/c/house-1/p/chaos/read?id=held").await;
        assert_eq!(unseen.status, 404, "{engine}: {}", unseen.text);
        let still_running = loops.iter().filter(|l| !l.is_finished()).count();
        assert_eq!(
            still_running,
            loops.len(),
            "{engine}: the health check and the other plugin answered only after loops ended"
        );

        for looping in loops {
            let answer = looping.await.unwrap();
            assert_eq!(answer.status, 504, "{engine}: {}", answer.text);
            assert!(answer.text.contains("chaos"), "{engine}: {}", answer.text);
        }
        let read = anonymous.get("/api/c/house-1/p/chaos/read?id=held").await;
        assert_eq!(
            read.status, 404,
            "{engine}: the looping call's write was rolled back"
        );
    }
}

/// The chaos plugin with time to spin: its deadline is 6 s, so what happens while a call runs
/// cannot be luck on a busy machine.
async fn patient_instances() -> Vec<(&'static str, dvor::Instance)> {
    common::instances_from_text(
        common::config_text("").replace("deadline_ms = 500", "deadline_ms = 6000"),
    )
    .await
}

#[tokio::test]
async fn a_long_write_never_holds_other_calls_reads() {
    for (engine, instance) in patient_instances().await {
        let runtime = &instance.runtime;
        let written = api(runtime, "chaos", "house-1", "POST", "write?id=kept", b"").await;
        assert_eq!(http_status(&written), 201, "{engine}");
        // One call writes and then runs to its deadline, holding its write transaction; a
        // read of another document meanwhile answers while it still runs.
        let holding = async {
            let answer = api(
                runtime,
                "chaos",
                "house-1",
                "POST",
                "write-then-loop?id=held",
                b"",
            )
            .await;
            (answer, std::time::Instant::now())
        };
        let reading = async {
            tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
            let kept = api(runtime, "chaos", "house-1", "GET", "read?id=kept", b"").await;
            let held = api(runtime, "chaos", "house-1", "GET", "read?id=held", b"").await;
            (
                http_status(&kept),
                http_status(&held),
                std::time::Instant::now(),
            )
        };
        let ((looped, held_done), (kept, held, read_done)) = tokio::join!(holding, reading);
        assert_eq!(limit_of(looped).0, LimitKind::Deadline, "{engine}");
        assert_eq!(kept, 200, "{engine}: the committed document is read");
        assert_eq!(
            held, 404,
            "{engine}: the open transaction's write is not seen"
        );
        assert!(
            read_done < held_done,
            "{engine}: the reads answered only after the long write ended"
        );
    }
}

#[tokio::test]
async fn a_read_that_writes_late_never_loses_a_write_that_landed_meanwhile() {
    for (engine, instance) in patient_instances().await {
        let runtime = &instance.runtime;
        let first = api(runtime, "chaos", "house-1", "POST", "count?id=c", b"").await;
        assert_eq!(http_status(&first), 200, "{engine}");
        // The slow call reads the count (1), and writes 2 after 1.5 s; the quick one lands
        // its own count meanwhile. Both must count.
        let slow = api(
            runtime,
            "chaos",
            "house-1",
            "GET",
            "count-slowly?id=c&ms=1500",
            b"",
        );
        let quick = async {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            api(runtime, "chaos", "house-1", "POST", "count?id=c", b"").await
        };
        let (slow, quick) = tokio::join!(slow, quick);
        assert_eq!(http_status(&slow), 200, "{engine}: {slow:?}");
        assert_eq!(http_status(&quick), 200, "{engine}: {quick:?}");
        let read = api(runtime, "chaos", "house-1", "GET", "read?id=c", b"")
            .await
            .expect("the count reads back");
        let count: serde_json::Value = serde_json::from_slice(&read.body).unwrap();
        assert_eq!(
            count["data"]["count"], 3,
            "{engine}: a write that landed while the slow call ran was lost: {count}"
        );
    }
}

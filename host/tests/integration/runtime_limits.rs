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

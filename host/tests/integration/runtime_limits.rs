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

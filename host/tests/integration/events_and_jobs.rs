//! Events are stored with the call that emits them and delivered at least once; failures are
//! retried and end in the dead-letter list; jobs run in chunks, resume, and never run twice.

use crate::common;

use std::time::Duration;

use common::{api, instances, text};
use dvor::events::DeliverySettings;
use dvor::scheduler::SchedulerSettings;
use dvor::storage::{CollectionSpec, Query, Scope};

fn delivery() -> DeliverySettings {
    DeliverySettings {
        max_attempts: 3,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        poll_interval: Duration::from_millis(10),
    }
}

async fn echoes(instance: &dvor::Instance) -> usize {
    let db = instance.runtime.shared().db.connection();
    let spec = CollectionSpec {
        name: "echoes".into(),
        indexes: vec![],
    };
    let scope = Scope::subtree("hello", "/");
    let query = Query {
        conditions: vec![],
        order: None,
        limit: 1000,
        cursor: None,
    };
    dvor::storage::query(db, &scope, &spec, query)
        .await
        .unwrap()
        .documents
        .len()
}

/// Deliver until nothing is due (retries included).
async fn drain(instance: &dvor::Instance) {
    for _ in 0..50 {
        let n = dvor::events::deliver_due(&instance.runtime, &delivery())
            .await
            .unwrap();
        if n == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if dvor::events::deliver_due(&instance.runtime, &delivery())
                .await
                .unwrap()
                == 0
            {
                return;
            }
        }
    }
}

#[tokio::test]
async fn an_emitted_event_reaches_its_subscriber_once_committed() {
    for (engine, instance) in instances("").await {
        let runtime = &instance.runtime;
        api(
            runtime,
            "hello",
            "house-1",
            "POST",
            "notes",
            r#"{"text": "раз"}"#.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(echoes(&instance).await, 0, "{engine}: not delivered yet");
        drain(&instance).await;
        assert_eq!(echoes(&instance).await, 1, "{engine}");
        // Delivering again changes nothing: the delivery is done.
        drain(&instance).await;
        assert_eq!(echoes(&instance).await, 1, "{engine}");
    }
}

#[tokio::test]
async fn an_event_of_a_failed_call_is_never_delivered() {
    for (engine, instance) in instances("").await {
        let result = api(
            &instance.runtime,
            "hello",
            "house-1",
            "POST",
            "notes",
            br#"{"text": ""}"#,
        )
        .await;
        assert!(result.is_err(), "{engine}");
        drain(&instance).await;
        assert_eq!(echoes(&instance).await, 0, "{engine}");
    }
}

#[tokio::test]
async fn failing_deliveries_are_retried_then_dead_lettered_and_can_be_replayed() {
    for (engine, instance) in instances("").await {
        let runtime = &instance.runtime;
        let poked = api(runtime, "chaos", "house-1", "POST", "poke?fail=true", b"")
            .await
            .unwrap();
        assert_eq!(poked.status, 202, "{engine}: {}", text(&poked));
        drain(&instance).await;
        let db = runtime.shared().db.connection();
        let dead = dvor::events::dead_letters(db).await.unwrap();
        assert_eq!(dead.len(), 1, "{engine}");
        assert_eq!(dead[0].subscriber, "chaos");
        assert_eq!(dead[0].attempts, 3, "{engine}: every attempt was made");
        assert!(dead[0].last_error.as_deref().unwrap_or("").contains("poke"));

        let now = chrono::Utc::now().timestamp_millis();
        assert!(
            dvor::events::replay(db, &dead[0].event_id, "chaos", now)
                .await
                .unwrap()
        );
        assert!(dvor::events::dead_letters(db).await.unwrap().is_empty());
        drain(&instance).await;
        assert_eq!(
            dvor::events::dead_letters(db).await.unwrap().len(),
            1,
            "{engine}"
        );
    }
}

fn scheduler(owner: &str) -> SchedulerSettings {
    SchedulerSettings {
        lease: Duration::from_secs(30),
        tick: Duration::from_millis(10),
        owner: owner.into(),
    }
}

async fn add_notes(instance: &dvor::Instance, n: usize) {
    for i in 0..n {
        let body = format!(r#"{{"text": "заметка {i}"}}"#);
        api(
            &instance.runtime,
            "hello",
            "house-1",
            "POST",
            "notes",
            body.as_bytes(),
        )
        .await
        .unwrap();
    }
}

async fn tidy_job(instance: &dvor::Instance) -> dvor::scheduler::JobRow {
    dvor::scheduler::list(instance.runtime.shared().db.connection())
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.plugin == "hello" && j.job == "tidy")
        .expect("the tidy job is registered")
}

#[tokio::test]
async fn a_job_runs_in_chunks_to_the_end() {
    for (engine, instance) in instances("").await {
        add_notes(&instance, 5).await;
        let db = instance.runtime.shared().db.connection();
        let now = chrono::Utc::now().timestamp_millis();
        assert!(
            dvor::scheduler::request_run(db, "hello", "tidy", "town", now)
                .await
                .unwrap()
        );
        let chunks = dvor::scheduler::run_due(&instance.runtime, &scheduler("a"))
            .await
            .unwrap();
        assert!(
            chunks >= 3,
            "{engine}: 5 notes in chunks of 2 take 3 chunks, ran {chunks}"
        );
        let job = tidy_job(&instance).await;
        assert!(!job.in_progress, "{engine}");
        assert!(job.cursor.is_none());
        assert!(job.last_finished.is_some());
        assert!(job.next_run_at > now, "{engine}: scheduled again");
        // Not due now: nothing runs.
        let again = dvor::scheduler::run_due(&instance.runtime, &scheduler("a"))
            .await
            .unwrap();
        assert_eq!(again, 0, "{engine}");
    }
}

#[tokio::test]
async fn a_job_interrupted_by_a_crash_resumes_from_its_last_cursor() {
    for (engine, instance) in instances("").await {
        add_notes(&instance, 5).await;
        let db = instance.runtime.shared().db.connection();
        let now = chrono::Utc::now().timestamp_millis();
        dvor::scheduler::request_run(db, "hello", "tidy", "town", now)
            .await
            .unwrap();
        let full = dvor::scheduler::run_due(&instance.runtime, &scheduler("a"))
            .await
            .unwrap();

        // A process took the job, committed one chunk, and died holding an expired lease.
        let first_cursor =
            dvor::scheduler::testing::first_cursor(&instance.runtime, "hello", "tidy").await;
        dvor::scheduler::testing::simulate_crash(db, "hello", "tidy", "town", &first_cursor)
            .await
            .unwrap();
        let resumed = dvor::scheduler::run_due(&instance.runtime, &scheduler("b"))
            .await
            .unwrap();
        assert!(
            resumed < full,
            "{engine}: resuming runs only the remaining chunks ({resumed} of {full})"
        );
        assert!(!tidy_job(&instance).await.in_progress);
    }
}

#[tokio::test]
async fn two_hosts_on_one_database_never_run_a_job_twice_at_once() {
    for (engine, db) in common::databases().await {
        let first = common::instance_on(db.clone(), "").await;
        let second = common::instance_on(db.clone(), "").await;
        add_notes(&first, 5).await;
        let now = chrono::Utc::now().timestamp_millis();
        dvor::scheduler::request_run(db.connection(), "hello", "tidy", "town", now)
            .await
            .unwrap();
        let (host_a, host_b) = (scheduler("host-a"), scheduler("host-b"));
        let (a, b) = tokio::join!(
            dvor::scheduler::run_due(&first.runtime, &host_a),
            dvor::scheduler::run_due(&second.runtime, &host_b),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            (a == 0) != (b == 0),
            "{engine}: exactly one host ran the job (a ran {a} chunks, b ran {b})"
        );
    }
}

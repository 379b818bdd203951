//! Two-key capabilities: a call to anything not both requested and granted is refused,
//! logged and counted.

use crate::common;

use common::{api, instances, text};

#[tokio::test]
async fn an_undeclared_collection_is_refused_and_counted() {
    for (engine, instance) in instances("").await {
        let runtime = &instance.runtime;
        let before = runtime.shared().metrics.denial_count("chaos", "collection");
        let sneak = api(
            runtime,
            "chaos",
            "house-1",
            "GET",
            "sneak?collection=notes",
            b"",
        )
        .await
        .unwrap();
        assert_eq!(sneak.status, 403, "{engine}: {}", text(&sneak));
        assert!(text(&sneak).contains("notes"), "{}", text(&sneak));
        assert_eq!(
            runtime.shared().metrics.denial_count("chaos", "collection"),
            before + 1
        );
        let metrics = runtime.shared().metrics.encode();
        assert!(
            metrics.contains("dvor_plugin_capability_denials"),
            "{metrics}"
        );
    }
}

#[tokio::test]
async fn a_requested_but_ungranted_collection_is_refused() {
    // `hello` asks for `stats`; this operator grants only `notes` and `echoes`.
    let config = common::config_text("").replace(
        "collections = [\"notes\", \"echoes\", \"stats\", \"exports\"]",
        "collections = [\"notes\", \"echoes\", \"exports\"]",
    );
    let config = dvor::config::Config::from_str_with_env(
        &config,
        "test.toml",
        Vec::<(String, String)>::new(),
    )
    .unwrap();
    let (_, db) = common::databases().await.remove(0);
    let instance = dvor::Instance::start_on(config, db).await.unwrap();
    let plugin = instance.runtime.plugin("hello").unwrap();
    assert!(plugin.requested.collections.contains("stats"));
    assert!(!plugin.effective.collections.contains("stats"));
    assert!(plugin.effective.collections.contains("notes"));
}

#[tokio::test]
async fn undeclared_events_and_outbound_hosts_are_refused() {
    for (_, instance) in instances("").await.into_iter().take(1) {
        let runtime = &instance.runtime;
        let emit = api(runtime, "chaos", "house-1", "POST", "emit-undeclared", b"")
            .await
            .unwrap();
        assert_eq!(emit.status, 403, "{}", text(&emit));
        let fetch = api(
            runtime,
            "chaos",
            "house-1",
            "GET",
            "fetch?url=http://127.0.0.1:9/",
            b"",
        )
        .await
        .unwrap();
        assert_eq!(fetch.status, 403, "{}", text(&fetch));
        assert_eq!(runtime.shared().metrics.denial_count("chaos", "event"), 1);
        assert_eq!(
            runtime
                .shared()
                .metrics
                .denial_count("chaos", "outbound_host"),
            1
        );
    }
}

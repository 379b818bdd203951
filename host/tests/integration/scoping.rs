//! Storage is scoped to the plugin and to the call's community subtree, on every database.

use crate::common;

use common::{api, http_status, instances, text};
use dvor::runtime::CallError;

#[tokio::test]
async fn a_call_cannot_reach_documents_of_another_community() {
    for (engine, instance) in instances("").await {
        let runtime = &instance.runtime;
        let written = api(runtime, "chaos", "house-1", "POST", "write?id=secret", b"")
            .await
            .unwrap();
        assert_eq!(written.status, 201, "{engine}: {}", text(&written));

        // The SNT's calls do not see the house's document …
        let read = api(runtime, "chaos", "snt", "GET", "read?id=secret", b"").await;
        assert_eq!(http_status(&read), 404, "{engine}");
        let list = api(runtime, "chaos", "snt", "GET", "list", b"")
            .await
            .unwrap();
        assert_eq!(text(&list), "[]", "{engine}");
        // … and cannot write into the house either.
        let forged = api(
            runtime,
            "chaos",
            "snt",
            "POST",
            "write?id=forged&community=house-1",
            b"",
        )
        .await;
        assert_eq!(http_status(&forged), 403, "{engine}: {forged:?}");

        // The house itself sees it.
        let list = api(runtime, "chaos", "house-1", "GET", "list", b"")
            .await
            .unwrap();
        assert!(text(&list).contains("secret"), "{engine}: {}", text(&list));
    }
}

#[tokio::test]
async fn a_plugin_is_not_callable_where_it_is_not_enabled() {
    for (_, instance) in instances("").await.into_iter().take(1) {
        let result = api(&instance.runtime, "chaos", "house-2", "GET", "ok", b"").await;
        assert!(
            matches!(result, Err(CallError::NotEnabled { .. })),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn a_subtree_sees_its_children_and_a_house_only_itself() {
    for (engine, instance) in instances("").await {
        let runtime = &instance.runtime;
        for (house, note) in [("house-1", "первый"), ("house-2", "второй")] {
            let body = format!(r#"{{"text": "{note}"}}"#);
            let created = api(runtime, "hello", house, "POST", "notes", body.as_bytes())
                .await
                .unwrap();
            assert_eq!(created.status, 201, "{engine}: {}", text(&created));
        }
        let house = api(runtime, "hello", "house-1", "GET", "notes", b"")
            .await
            .unwrap();
        assert!(text(&house).contains("первый"), "{engine}");
        assert!(
            !text(&house).contains("второй"),
            "{engine}: {}",
            text(&house)
        );
        let town = api(runtime, "hello", "town", "GET", "notes", b"")
            .await
            .unwrap();
        assert!(
            text(&town).contains("первый") && text(&town).contains("второй"),
            "{engine}"
        );
        let count = api(runtime, "hello", "town", "GET", "notes/count", b"")
            .await
            .unwrap();
        assert!(text(&count).contains('2'), "{engine}: {}", text(&count));
    }
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    for (engine, instance) in instances("").await {
        let runtime = &instance.runtime;
        let result = api(
            runtime,
            "hello",
            "house-1",
            "POST",
            "notes",
            br#"{"text": ""}"#,
        )
        .await;
        match result {
            Err(CallError::Plugin { error, .. }) => {
                assert_eq!(error.field.as_deref(), Some("text"), "{engine}")
            }
            other => panic!("{engine}: expected an invalid error, got {other:?}"),
        }
        let count = api(runtime, "hello", "house-1", "GET", "notes/count", b"")
            .await
            .unwrap();
        assert!(text(&count).contains('0'), "{engine}: {}", text(&count));
    }
}

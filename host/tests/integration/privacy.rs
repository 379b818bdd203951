//! Who may read and write plugin data, as an outsider probing a live instance would check it, on
//! both engines: callers who are not signed in write only where a plugin's manifest opens it
//! (the host refuses the rest before any plugin code runs, and counts it); stored files are
//! served only through the signed links the pages gave; polls, initiatives and general meetings
//! show names and person ids only to the people of the place, and a running tally only to the
//! organizer and the counting commission; Open311 appeals carry no contact in their ids; service
//! requests come only from the house's residents and staff; tariffs are the operator's.

use crate::common;

use common::server::{Answer, Served};
use dvor::metrics::OutcomeLabels;
use serde_json::json;

use super::meetings_pages::{location, submit};

/// How many calls `plugin` has run, whatever their outcome.
fn calls(served: &Served, plugin: &str) -> u64 {
    let metrics = &served.runtime.shared().metrics;
    ["ok", "error", "trap", "timeout", "memory", "host"]
        .iter()
        .map(|outcome| {
            metrics
                .calls
                .get_or_create(&OutcomeLabels {
                    plugin: plugin.to_owned(),
                    outcome: (*outcome).to_owned(),
                })
                .get()
        })
        .sum()
}

/// The `/metrics` text.
async fn metrics_text(served: &Served) -> String {
    served.client().get("/metrics").await.text
}

fn assert_status(answer: &Answer, status: u16, what: &str) {
    assert_eq!(answer.status, status, "{what}: {answer:?}");
}

#[tokio::test]
async fn callers_not_signed_in_read_but_write_only_where_the_manifest_opens_it() {
    for served in common::server::serve_all(super::meetings::PLUGIN_CONFIG).await {
        let e = served.engine;
        let anonymous = served.client();

        // `chaos` checks no roles at all: before, anyone could write into the house.
        let before = calls(&served, "chaos");
        let forged = anonymous
            .post("/api/c/house-1/p/chaos/write?id=intruder", json!({}))
            .await;
        assert_status(&forged, 401, &format!("{e}: an anonymous write"));
        assert_eq!(
            calls(&served, "chaos"),
            before,
            "{e}: refused before the plugin ran"
        );
        let read = anonymous
            .get("/api/c/house-1/p/chaos/read?id=intruder")
            .await;
        assert_status(&read, 404, &format!("{e}: nothing was written"));
        assert_status(
            &anonymous.get("/api/c/house-1/p/chaos/ok").await,
            200,
            &format!("{e}: reading stays open"),
        );
        let resident = served.sign_in("+79990001122", "Ирина", "Жителева").await;
        assert_status(
            &resident
                .post("/api/c/house-1/p/chaos/write?id=signed", json!({}))
                .await,
            201,
            &format!("{e}: a signed-in call reaches the plugin, which decides"),
        );
        // A plugin not enabled here is 404 for everyone, as before.
        assert_status(
            &anonymous
                .post("/api/c/house-2/p/chaos/write?id=x", json!({}))
                .await,
            404,
            &format!("{e}: not enabled"),
        );

        // `hello` opens its notes to everyone in its manifest.
        assert_status(
            &anonymous
                .post(
                    "/api/c/house-1/p/hello/notes",
                    json!({ "text": "Кто-то оставил зонт" }),
                )
                .await,
            201,
            &format!("{e}: declared in [access]"),
        );

        // A page action: the browser is sent to sign in and back, the plugin never runs.
        let before = calls(&served, "meetings");
        let posted = submit(
            &anonymous,
            "",
            "create_poll",
            &[
                ("title", "Ставим ёлку?"),
                ("kind", "single"),
                ("hours", "24"),
            ],
        )
        .await;
        assert_eq!(
            location(&posted),
            "/signin?next=%2Fc%2Fhouse-1%2Fp%2Fmeetings",
            "{e}"
        );
        assert_eq!(
            calls(&served, "meetings"),
            before,
            "{e}: the plugin never ran"
        );

        let metrics = metrics_text(&served).await;
        for line in [
            "dvor_plugin_scope_denials_total{plugin=\"chaos\",kind=\"api\"} 1",
            "dvor_plugin_scope_denials_total{plugin=\"meetings\",kind=\"action\"} 1",
        ] {
            assert!(metrics.contains(line), "{e}: {line} in {metrics}");
        }
    }
}

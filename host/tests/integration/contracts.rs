//! Contract versions side by side: a plugin compiled on contract 0.1.0 (the committed
//! `tests/fixtures/contracts/v0.1.0/hello.wasm`) runs on this host as it ran on the 0.1.0 host,
//! next to plugins built on 0.2.0; and what 0.2.0 adds works end to end: tiles on host pages,
//! live updates over Server-Sent Events, runs a plugin asks for, checked bulk writes, events in
//! bulk, reads from the communities above.

use std::path::PathBuf;
use std::time::Duration;

use dvor::runtime::latest::dvor::plugin::context::CallTrigger;
use dvor::runtime::latest::dvor::plugin::types::ErrorCode;
use dvor::runtime::latest::dvor::plugin::ui::{
    ActionOutcome, Block, FieldKind, FieldValue, FormEntry, TilePlace,
};
use dvor::runtime::{CallContext, CallError, Invocation, Outcome};
use serde_json::{Value, json};

use crate::common::{self, api, text};

/// The 0.1.0 release of `hello`, as compiled then.
fn hello_0_1() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/contracts/v0.1.0/hello.wasm")
}

/// The test config with `hello` taken from the 0.1.0 fixture, granted what 0.1.0 asked for.
fn config_with_hello_0_1() -> String {
    let text = common::config_text("");
    let text = text.replacen(
        "[plugins.hello]\n",
        &format!("[plugins.hello]\npath = \"{}\"\n", hello_0_1().display()),
        1,
    );
    // 0.1.0's hello asks for no files, live updates or exports; granting them is only warned.
    text
}

fn context(community: &str, trigger: CallTrigger) -> CallContext {
    CallContext::anonymous(community, trigger)
}

async fn json_of(
    runtime: &dvor::runtime::Runtime,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let response = api(runtime, "hello", "house-1", method, path, body.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    (
        response.status,
        serde_json::from_slice(&response.body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_plugin_built_on_contract_0_1_0_runs_on_this_host_as_it_did() {
    for (engine, instance) in common::instances_from_text(config_with_hello_0_1()).await {
        let runtime = &instance.runtime;
        let hello = runtime.plugin("hello").unwrap();
        assert_eq!(hello.contract.to_string(), "0.1.0", "{engine}");
        assert_eq!(
            runtime.plugin("chaos").unwrap().contract.to_string(),
            "0.2.0",
            "{engine}: a 0.2.0 plugin beside it"
        );

        // Its API, with its settings.
        let (status, body) = json_of(runtime, "GET", "greet?name=Анна", "").await;
        assert_eq!(
            (status, body["greeting"].as_str()),
            (200, Some("Привет, Анна!")),
            "{engine}"
        );
        let (status, _) = json_of(runtime, "POST", "notes", r#"{"text": "первая"}"#).await;
        assert_eq!(status, 201, "{engine}");
        let (_, count) = json_of(runtime, "GET", "notes/count", "").await;
        assert_eq!(count["count"], 1, "{engine}");

        // Its page, converted from the 0.1.0 tree: the form and its typed field.
        let outcome = runtime
            .call(
                "hello",
                context("house-1", CallTrigger::Ui),
                Invocation::RenderPage {
                    route: String::new(),
                    query: vec![],
                },
            )
            .await
            .unwrap();
        let Outcome::Page(page) = outcome else {
            panic!("{engine}: not a page")
        };
        assert_eq!(page.title, "Привет", "{engine}");
        let form = page
            .sections
            .iter()
            .flat_map(|s| &s.blocks)
            .find_map(|b| match b {
                Block::Form(f) => Some(f),
                _ => None,
            })
            .expect("the page has its form");
        assert_eq!(form.action, "add-note", "{engine}");
        assert!(
            matches!(form.fields[0].kind, FieldKind::Multiline(500)),
            "{engine}"
        );
        let html = dvor::web::render_page_body(
            &page,
            &dvor::web::PageContext {
                locale: "ru",
                base: "/c/house-1/p/hello",
                ..Default::default()
            },
        );
        assert!(html.contains("первая"), "{engine}: the note is listed");

        // Its action, given the typed values 0.2.0 carries, answers as it did.
        let action = |text: &str| Invocation::Action {
            route: String::new(),
            action: "add-note".into(),
            form: vec![FormEntry {
                name: "text".into(),
                value: if text.is_empty() {
                    FieldValue::None
                } else {
                    FieldValue::Text(text.into())
                },
            }],
            uploads: vec![],
        };
        let added = runtime
            .call(
                "hello",
                context("house-1", CallTrigger::Ui),
                action("вторая"),
            )
            .await
            .unwrap();
        let Outcome::Action(ActionOutcome::Redirect(redirect)) = added else {
            panic!("{engine}: not a redirect: {added:?}")
        };
        assert_eq!(
            redirect.notice.as_deref(),
            Some("Заметка добавлена"),
            "{engine}"
        );
        let refused = runtime
            .call("hello", context("house-1", CallTrigger::Ui), action(""))
            .await
            .unwrap();
        let Outcome::Action(ActionOutcome::Invalid(invalid)) = refused else {
            panic!("{engine}: not invalid: {refused:?}")
        };
        assert_eq!(invalid.errors[0].field, "text", "{engine}");
        let (_, count) = json_of(runtime, "GET", "notes/count", "").await;
        assert_eq!(
            count["count"], 2,
            "{engine}: the refused note wrote nothing"
        );

        // Its events reach it (the echoes) and its job runs in chunks.
        for _ in 0..20 {
            dvor::events::deliver_due(runtime, &delivery())
                .await
                .unwrap();
        }
        assert_eq!(
            count_of(&instance, "echoes").await,
            2,
            "{engine}: both notes echoed"
        );
        common::run_job_now(runtime, "hello", "tidy", "town").await;
        assert!(
            count_of(&instance, "stats").await >= 1,
            "{engine}: the tidy job counted its chunks"
        );

        // What 0.1.0 has no export for: no tile, no live channel.
        let tile = runtime
            .call(
                "hello",
                context("house-1", CallTrigger::Summary),
                Invocation::Summary(TilePlace::Community),
            )
            .await
            .unwrap();
        assert!(matches!(tile, Outcome::Summary(None)), "{engine}");
        let follow = runtime
            .call(
                "hello",
                context("house-1", CallTrigger::Subscription),
                Invocation::Subscribe("notes".into()),
            )
            .await;
        assert!(
            matches!(&follow, Err(CallError::Plugin { error, .. }) if error.code == ErrorCode::NotFound),
            "{engine}: {follow:?}"
        );
    }
}

fn delivery() -> dvor::events::DeliverySettings {
    dvor::events::DeliverySettings {
        max_attempts: 3,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        poll_interval: Duration::from_millis(10),
    }
}

/// How many documents `hello` keeps in `collection`, anywhere.
async fn count_of(instance: &dvor::Instance, collection: &str) -> usize {
    let spec = dvor::storage::CollectionSpec {
        name: collection.into(),
        indexes: vec![],
    };
    dvor::storage::query(
        instance.runtime.shared().db.connection(),
        &dvor::storage::Scope::subtree("hello", "/"),
        &spec,
        dvor::storage::Query {
            conditions: vec![],
            order: None,
            limit: 1000,
            cursor: None,
        },
    )
    .await
    .unwrap()
    .documents
    .len()
}

#[tokio::test]
async fn contract_0_2_0_gives_tiles_checked_bulk_writes_bulk_events_and_reads_from_above() {
    for (engine, instance) in common::instances("").await {
        let runtime = &instance.runtime;
        assert_eq!(
            runtime.plugin("hello").unwrap().contract.to_string(),
            "0.2.0"
        );
        // A tile for the house's home page: the count and the newest note.
        json_of(runtime, "POST", "notes", r#"{"text": "Лифт починили"}"#).await;
        let tile = runtime
            .call(
                "hello",
                context("house-1", CallTrigger::Summary),
                Invocation::Summary(TilePlace::Community),
            )
            .await
            .unwrap();
        let Outcome::Summary(Some(tile)) = tile else {
            panic!("{engine}: no tile: {tile:?}")
        };
        assert_eq!(
            (tile.title.as_str(), tile.count, tile.lines[0].as_str()),
            ("Заметки", Some(1), "Лифт починили"),
            "{engine}"
        );

        // A write with the version it read; a second one with the same stale version is refused.
        let (_, list) = json_of(runtime, "GET", "notes", "").await;
        let id = list["notes"][0]["id"].as_str().unwrap().to_owned();
        let (status, saved) = json_of(
            runtime,
            "PUT",
            &format!("notes/{id}"),
            r#"{"text": "Лифт починили, спасибо", "version": 1}"#,
        )
        .await;
        assert_eq!(
            (status, saved["version"].as_u64()),
            (200, Some(2)),
            "{engine}"
        );
        let stale = api(
            runtime,
            "hello",
            "house-1",
            "PUT",
            &format!("notes/{id}"),
            r#"{"text": "перезапись", "version": 1}"#.as_bytes(),
        )
        .await;
        assert_eq!(common::http_status(&stale), 409, "{engine}: {stale:?}");

        // Events in bulk: all or none.
        let events_before = event_count(&instance).await;
        let (status, made) = json_of(
            runtime,
            "POST",
            "notes/batch",
            r#"{"texts": ["раз", "два"]}"#,
        )
        .await;
        assert_eq!(status, 201, "{engine}");
        assert_eq!(made["ids"].as_array().map(Vec::len), Some(2), "{engine}");
        assert_eq!(event_count(&instance).await, events_before + 2, "{engine}");
        let bad = api(
            runtime,
            "hello",
            "house-1",
            "POST",
            "notes/batch",
            r#"{"texts": ["три", "   "]}"#.as_bytes(),
        )
        .await;
        let Err(CallError::Plugin { error, .. }) = &bad else {
            panic!("{engine}: {bad:?}")
        };
        assert_eq!(error.field.as_deref(), Some("texts[1]"), "{engine}");
        let (_, count) = json_of(runtime, "GET", "notes/count", "").await;
        assert_eq!(
            count["count"], 3,
            "{engine}: the refused batch wrote nothing"
        );
        assert_eq!(event_count(&instance).await, events_before + 2, "{engine}");

        // Read what the town keeps, from a house, without being able to see it otherwise.
        api(
            runtime,
            "hello",
            "town",
            "POST",
            "notes",
            r#"{"text": "Городской субботник в субботу"}"#.as_bytes(),
        )
        .await
        .unwrap();
        let own = text(
            &api(runtime, "hello", "house-1", "GET", "notes?limit=50", b"")
                .await
                .unwrap(),
        );
        assert!(!own.contains("субботник"), "{engine}: {own}");
        let inherited = text(
            &api(
                runtime,
                "hello",
                "house-1",
                "GET",
                "notes?limit=50&inherited=true",
                b"",
            )
            .await
            .unwrap(),
        );
        assert!(inherited.contains("субботник"), "{engine}: {inherited}");
        let other_house = text(
            &api(
                runtime,
                "hello",
                "house-2",
                "GET",
                "notes?limit=50&inherited=true",
                b"",
            )
            .await
            .unwrap(),
        );
        assert!(
            other_house.contains("субботник") && !other_house.contains("Лифт"),
            "{engine}: a sibling's notes stay out of reach: {other_house}"
        );
    }
}

async fn event_count(instance: &dvor::Instance) -> usize {
    use sea_orm::sea_query::{Alias, Expr, Query};
    use sea_orm::{ConnectionTrait, FromQueryResult};
    #[derive(FromQueryResult)]
    struct Row {
        id: String,
    }
    let db = instance.runtime.shared().db.connection();
    let select = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("events"))
        .and_where(Expr::col(Alias::new("kind")).eq("hello.note_added"))
        .to_owned();
    Row::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| !r.id.is_empty())
        .count()
}

#[tokio::test]
async fn a_requested_export_runs_after_the_request_commits_and_reaches_the_person_who_asked() {
    for served in common::server::serve_all("").await {
        let engine = served.engine;
        let anna = served.sign_in("+79001112233", "Анна", "Петрова").await;
        for i in 0..3 {
            anna.post(
                "/api/c/house-1/p/hello/notes",
                json!({ "text": format!("заметка {i}") }),
            )
            .await;
        }
        let asked = anna
            .post("/api/c/house-1/p/hello/notes/export", json!({}))
            .await;
        assert_eq!(asked.status, 202, "{engine}: {asked:?}");
        let run = asked.json["run"].as_str().unwrap().to_owned();
        let settings = dvor::scheduler::SchedulerSettings {
            lease: Duration::from_secs(30),
            tick: Duration::from_millis(50),
            owner: "test".into(),
        };
        dvor::scheduler::run_requested(&served.runtime, &settings)
            .await
            .unwrap();
        let row = dvor::scheduler::run_by_id(served.runtime.shared().db.connection(), &run)
            .await
            .unwrap()
            .expect("the run is recorded");
        assert_eq!(row.status, "done", "{engine}: {row:?}");
        assert_eq!((row.progress_done, row.progress_total), (3, 3), "{engine}");
        assert!(row.output_file.is_some(), "{engine}");
        let inbox = anna.inbox_texts().await;
        assert!(
            inbox.iter().any(|t| t.contains("Готово: Выгрузка заметок")),
            "{engine}: {inbox:?}"
        );
        // A second pass finds nothing to do: the run ran once.
        assert_eq!(
            dvor::scheduler::run_requested(&served.runtime, &settings)
                .await
                .unwrap(),
            0,
            "{engine}"
        );
    }
}

#[tokio::test]
async fn a_live_update_reaches_the_followers_after_the_commit_and_a_follower_resumes_where_it_left()
{
    for served in common::server::serve_all("").await {
        let engine = served.engine;
        let anna = served.sign_in("+79001112244", "Анна", "Петрова").await;
        let stream_url = format!("{}/api/live/c/house-1/p/hello?channel=notes", served.base);
        let http = reqwest::Client::new();

        // A channel the plugin does not offer is refused before anything streams.
        let refused = http
            .get(format!(
                "{}/api/live/c/house-1/p/hello?channel=secret",
                served.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 404, "{engine}");

        let mut stream = http.get(&stream_url).send().await.unwrap();
        assert_eq!(stream.status(), 200, "{engine}");
        assert!(
            stream.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream"),
            "{engine}"
        );
        // A refused note publishes nothing; the next one arrives.
        let bad = anna
            .post("/api/c/house-1/p/hello/notes", json!({ "text": " " }))
            .await;
        assert_eq!(bad.status, 400, "{engine}");
        let posted = anna
            .post(
                "/api/c/house-1/p/hello/notes",
                json!({ "text": "Кто оставил самокат?" }),
            )
            .await;
        assert_eq!(posted.status, 201, "{engine}");
        let first = next_update(&mut stream).await;
        assert!(
            first.html.contains("Анна Петрова: Кто оставил самокат?"),
            "{engine}: {first:?}"
        );
        assert!(!first.html.contains("<script"), "{engine}");

        // Reconnecting with the last id seen gets only what came after it.
        drop(stream);
        anna.post(
            "/api/c/house-1/p/hello/notes",
            json!({ "text": "Мой, заберу вечером" }),
        )
        .await;
        let mut resumed = http
            .get(&stream_url)
            .header("last-event-id", first.id.to_string())
            .send()
            .await
            .unwrap();
        let second = next_update(&mut resumed).await;
        assert!(
            second.html.contains("заберу вечером"),
            "{engine}: {second:?}"
        );
        assert!(second.id > first.id, "{engine}");

        // Without EventSource a client polls the same address.
        let polled: Value = http
            .get(format!("{stream_url}&poll=1&after={}", first.id))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let updates = polled["updates"].as_array().unwrap();
        assert_eq!(updates.len(), 1, "{engine}: {polled}");
        assert_eq!(polled["last"], second.id, "{engine}");
    }
}

#[derive(Debug)]
struct Update {
    id: i64,
    html: String,
}

/// The next `update` event of a Server-Sent Events stream (within ten seconds).
async fn next_update(stream: &mut reqwest::Response) -> Update {
    let mut buffer = String::new();
    let read = async {
        loop {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                let mut kind = "";
                for line in event.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = if v.trim() == "update" { "update" } else { "" };
                    }
                }
                if kind == "update" {
                    let body: Value = serde_json::from_str(&data).unwrap();
                    return Update {
                        id: id.expect("an update has an id"),
                        html: body["html"].as_str().unwrap().to_owned(),
                    };
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an update arrives within ten seconds")
}

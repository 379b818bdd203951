//! Notifications reach people — the inbox API, email through a real SMTP server
//! (`tests/fixtures/smtp.mjs`, built on the `smtp-server` and `mailparser` packages) and SMS
//! through the recording gateway — over the real server, on both engines.
//!
//! People sign in and choose their channels through the API, as they would in the app. The
//! notifications themselves go through `dvor::inbox::deliver` inside a transaction: the path a
//! plugin's `notify` takes (no bundled plugin sends notifications).

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::node::NodeFixture;
use common::server::{Client, Served, identity_config, sms_gateway};
use dvor::inbox::NewNotification;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::{Value, json};

/// Where people reach the instance, as the operator configured it.
const PUBLIC_URL: &str = "https://dvor.example.org";

/// The SMTP server, killed when this is dropped.
struct Smtp {
    fixture: NodeFixture,
    /// The port it listens on (127.0.0.1).
    port: u16,
    /// The messages it received: `{"from", "to", "subject", "text"}`.
    received: Arc<Mutex<Vec<Value>>>,
}

impl Smtp {
    /// Start the server; wait until it listens.
    async fn start() -> Smtp {
        let received = Arc::new(Mutex::new(Vec::new()));
        let messages = received.clone();
        let (fixture, port) = NodeFixture::start(
            "smtp.mjs",
            &["0"],
            &[],
            &["smtp-server", "mailparser"],
            move |line| match serde_json::from_str::<Value>(line) {
                Ok(message) => {
                    messages.lock().unwrap().push(message);
                    true
                }
                Err(_) => false,
            },
        )
        .await;
        let port = port.parse().expect("the SMTP server prints its port");
        Smtp {
            fixture,
            port,
            received,
        }
    }

    /// The messages received for `address`.
    fn to(&self, address: &str) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|a| a == address))
            })
            .cloned()
            .collect()
    }

    /// Wait until `count` messages for `address` arrived; returns them.
    async fn wait_for(&self, address: &str, count: usize) -> Vec<Value> {
        for _ in 0..200 {
            let got = self.to(address);
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{count} message(s) for {address} did not arrive; got {:?}\n{}",
            self.to(address),
            self.fixture.log()
        );
    }
}

/// A served instance sending email through `smtp_port`, with a public URL.
async fn serve_with_email(
    engine: &'static str,
    db: dvor::storage::Database,
    smtp_port: u16,
) -> Served {
    let (sms_url, sms) = sms_gateway().await;
    let notifications = format!(
        r#"
[notifications]
poll_interval_ms = 20
max_attempts = 3
[notifications.email]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
security = "none"
from = "Двор <noreply@dvor.test>"
"#
    );
    let text = common::config_text(&identity_config(&sms_url, &notifications));
    let env = [
        ("DVOR_STORAGE__DATABASE_URL", "sqlite://unused.db"),
        ("DVOR_INSTANCE__PUBLIC_URL", PUBLIC_URL),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let config = dvor::config::Config::from_str_with_env(&text, "test.toml", env)
        .expect("the test config parses");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    common::server::serve_config(engine, db, config, listener, sms).await
}

/// A notification as a plugin would send it.
fn note(title: (&str, &str), urgency: &'static str, link: Option<&str>) -> NewNotification {
    NewNotification {
        source: "water".into(),
        title: (title.0.into(), title.1.into()),
        body: (
            "Завтра с 10 до 14 часов в доме не будет холодной воды.".into(),
            "Tomorrow from 10 to 14 there will be no cold water in the house.".into(),
        ),
        link: link.map(str::to_owned),
        urgency,
    }
}

/// Send a notification to `people` the way a plugin's call does: inside a transaction.
async fn send(served: &Served, people: &[&Client], note: &NewNotification) {
    let recipients: Vec<String> = people.iter().map(|c| person(c).to_owned()).collect();
    let db = &served.runtime.shared().db;
    let tx = db.begin().await.unwrap();
    let stored = dvor::inbox::deliver(&tx, &recipients, note, dvor::identity::now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stored as usize, recipients.len(), "{}", served.engine);
}

fn person(client: &Client) -> &str {
    client.person.as_deref().unwrap()
}

#[derive(Debug, FromQueryResult)]
struct Outbound {
    person_id: Option<String>,
    channel: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
}

/// The outbound messages queued for a person.
async fn outbound(served: &Served, person: &str) -> Vec<Outbound> {
    let db = served.runtime.shared().db.connection();
    let query = Query::select()
        .columns(["person_id", "channel", "status", "attempts", "last_error"].map(Alias::new))
        .from(Alias::new("outbound_messages"))
        .and_where(Expr::col(Alias::new("person_id")).eq(person))
        .to_owned();
    Outbound::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
        .unwrap()
}

/// Wait until none of a person's outbound messages is pending; returns them.
async fn settled(served: &Served, person: &str) -> Vec<Outbound> {
    for _ in 0..200 {
        let rows = outbound(served, person).await;
        if rows.iter().all(|r| r.status != "pending") {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{}: messages of {person} are still pending: {:?}",
        served.engine,
        outbound(served, person).await
    );
}

async fn unread(client: &Client) -> u64 {
    let answer = client.get("/api/me/notifications/unread-count").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.json["unread"].as_u64().unwrap()
}

/// The SMS a phone got that are not sign-in codes.
fn notifications_by_sms(served: &Served, phone: &str) -> Vec<String> {
    served
        .sms
        .to(phone)
        .into_iter()
        .filter(|text| text.contains("воды") || text.contains("water"))
        .collect()
}

const ANNA: &str = "+79991110001";
const BORIS: &str = "+79991110002";
const CLARA: &str = "+79991110003";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_reach_the_inbox_email_and_sms_as_people_chose() {
    let smtp = Smtp::start().await;
    for (engine, db) in common::databases().await {
        let e = engine;
        let served = serve_with_email(engine, db, smtp.port).await;

        // Anna speaks Russian and allows email and SMS; Boris gave an address but allowed
        // nothing; Clara reads English and allows email.
        let anna = served.sign_in(ANNA, "Анна", "Смирнова").await;
        let anna_email = format!("anna-{e}@example.org");
        let set = anna
            .patch(
                "/api/me",
                json!({ "email": anna_email, "email_enabled": true, "sms_enabled": true }),
            )
            .await;
        assert_eq!(set.status, 200, "{e}: {set:?}");
        assert_eq!(set.json["email_enabled"], true, "{e}");
        let boris = served.sign_in(BORIS, "Борис", "Петров").await;
        let boris_email = format!("boris-{e}@example.org");
        let set = boris
            .patch("/api/me", json!({ "email": boris_email }))
            .await;
        assert_eq!(set.status, 200, "{e}: {set:?}");
        assert_eq!(set.json["email_enabled"], false, "{e}");
        let clara = served.sign_in(CLARA, "Клара", "Новак").await;
        let clara_email = format!("clara-{e}@example.org");
        let set = clara
            .patch(
                "/api/me",
                json!({ "email": clara_email, "email_enabled": true, "locale": "en" }),
            )
            .await;
        assert_eq!(set.status, 200, "{e}: {set:?}");
        assert_eq!(unread(&anna).await, 0, "{e}");

        // A normal notification: in everyone's inbox, by email to those who allowed it, by SMS
        // to nobody.
        let water = note(
            ("Отключение воды", "Water cut-off"),
            "normal",
            Some("/c/house-1"),
        );
        send(&served, &[&anna, &boris, &clara], &water).await;

        let inbox = anna.get("/api/me/notifications").await;
        assert_eq!(inbox.status, 200, "{e}: {inbox:?}");
        let items = inbox.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{e}: {inbox:?}");
        let first = &items[0];
        assert_eq!(first["title"], "Отключение воды", "{e}");
        assert_eq!(first["title_en"], "Water cut-off", "{e}");
        assert_eq!(first["source"], "water", "{e}");
        assert_eq!(first["link"], "/c/house-1", "{e}");
        assert!(first["read_at"].is_null(), "{e}: {first}");
        assert_eq!(unread(&anna).await, 1, "{e}");
        let in_english = clara.get("/api/me/notifications").await;
        assert_eq!(in_english.json["items"][0]["title"], "Water cut-off", "{e}");
        assert_eq!(
            in_english.json["items"][0]["title_ru"], "Отключение воды",
            "{e}"
        );

        let mail = smtp.wait_for(&anna_email, 1).await;
        assert_eq!(mail[0]["subject"], "Отключение воды", "{e}: {mail:?}");
        assert_eq!(mail[0]["from"], "noreply@dvor.test", "{e}");
        let text = mail[0]["text"].as_str().unwrap();
        assert!(
            text.contains("Завтра с 10 до 14 часов")
                && text.contains(&format!("{PUBLIC_URL}/c/house-1")),
            "{e}: {text}"
        );
        assert!(!text.contains("{public_url}"), "{e}: {text}");
        let mail = smtp.wait_for(&clara_email, 1).await;
        assert_eq!(mail[0]["subject"], "Water cut-off", "{e}: {mail:?}");
        assert!(
            mail[0]["text"].as_str().unwrap().contains("Tomorrow"),
            "{e}: {mail:?}"
        );
        let sent = settled(&served, person(&anna)).await;
        assert_eq!(sent.len(), 1, "{e}: {sent:?}");
        assert_eq!(
            (
                sent[0].channel.as_str(),
                sent[0].status.as_str(),
                sent[0].attempts
            ),
            ("email", "sent", 1),
            "{e}: {sent:?}"
        );
        assert_eq!(sent[0].person_id.as_deref(), Some(person(&anna)), "{e}");
        assert!(outbound(&served, person(&boris)).await.is_empty(), "{e}");
        assert!(smtp.to(&boris_email).is_empty(), "{e}");
        assert!(notifications_by_sms(&served, ANNA).is_empty(), "{e}");

        // An urgent one also goes by SMS — to Anna, who allowed it, not to Boris.
        let urgent = note(("Авария: нет воды", "Emergency: no water"), "high", None);
        send(&served, &[&anna, &boris], &urgent).await;
        smtp.wait_for(&anna_email, 2).await;
        settled(&served, person(&anna)).await;
        let texts = notifications_by_sms(&served, ANNA);
        assert_eq!(texts.len(), 1, "{e}: {texts:?}");
        assert!(
            texts[0].starts_with("Авария: нет воды: Завтра с 10"),
            "{e}: {texts:?}"
        );
        assert!(notifications_by_sms(&served, BORIS).is_empty(), "{e}");
        assert!(outbound(&served, person(&boris)).await.is_empty(), "{e}");
        assert!(smtp.to(&boris_email).is_empty(), "{e}");
        assert_eq!(unread(&boris).await, 2, "{e}");

        // Newest first; the unread filter.
        let inbox = anna.get("/api/me/notifications?unread=true").await;
        let items = inbox.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{e}: {inbox:?}");
        assert_eq!(items[0]["title"], "Авария: нет воды", "{e}");
        assert_eq!(items[0]["urgency"], "high", "{e}");
        let urgent_id = items[0]["id"].as_str().unwrap().to_owned();
        let water_id = items[1]["id"].as_str().unwrap().to_owned();

        // Someone else cannot read (or even see) my notification.
        let theirs = boris
            .post(&format!("/api/me/notifications/{water_id}/read"), json!({}))
            .await;
        assert_eq!(theirs.status, 404, "{e}: {theirs:?}");
        assert_eq!(unread(&anna).await, 2, "{e}");
        let nobody = served
            .client()
            .post(&format!("/api/me/notifications/{water_id}/read"), json!({}))
            .await;
        assert_eq!(nobody.status, 401, "{e}: {nobody:?}");

        // Reading one.
        let read = anna
            .post(&format!("/api/me/notifications/{water_id}/read"), json!({}))
            .await;
        assert_eq!(read.status, 200, "{e}: {read:?}");
        assert_eq!(read.json["id"], water_id, "{e}");
        let read_at = read.json["read_at"].as_i64().expect("read_at is set");
        assert_eq!(unread(&anna).await, 1, "{e}");
        let again = anna
            .post(&format!("/api/me/notifications/{water_id}/read"), json!({}))
            .await;
        assert_eq!(again.json["read_at"].as_i64(), Some(read_at), "{e}");
        let inbox = anna.get("/api/me/notifications?unread=true").await;
        let items = inbox.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{e}: {inbox:?}");
        assert_eq!(items[0]["id"], urgent_id.as_str(), "{e}");
        let all = anna.get("/api/me/notifications").await;
        assert_eq!(all.json["items"].as_array().unwrap().len(), 2, "{e}");
        assert_eq!(
            all.json["items"][1]["read_at"].as_i64(),
            Some(read_at),
            "{e}"
        );

        // Reading all.
        let marked = anna.post("/api/me/notifications/read-all", json!({})).await;
        assert_eq!(marked.status, 200, "{e}: {marked:?}");
        assert_eq!(marked.json["marked"], 1, "{e}");
        assert_eq!(unread(&anna).await, 0, "{e}");
        assert_eq!(unread(&boris).await, 2, "{e}");
        let none = anna.get("/api/me/notifications?unread=true").await;
        assert_eq!(none.json["items"], json!([]), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_pages_and_a_refused_address_fails_without_retrying() {
    let smtp = Smtp::start().await;
    for (engine, db) in common::databases().await {
        let e = engine;
        let served = serve_with_email(engine, db, smtp.port).await;
        let anna = served.sign_in(ANNA, "Анна", "Смирнова").await;
        let set = anna
            .patch(
                "/api/me",
                json!({ "email": format!("reject-{e}@example.org"), "email_enabled": true }),
            )
            .await;
        assert_eq!(set.status, 200, "{e}: {set:?}");
        for n in 1..=5 {
            // Ids (and so the order) are by the millisecond.
            tokio::time::sleep(Duration::from_millis(3)).await;
            let title = format!("Объявление {n}");
            let english = format!("Notice {n}");
            send(&served, &[&anna], &note((&title, &english), "low", None)).await;
        }

        // Five notifications in pages of two, newest first.
        let mut titles = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/me/notifications?limit=2&cursor={c}"),
                None => "/api/me/notifications?limit=2".to_owned(),
            };
            let page = anna.get(&path).await;
            assert_eq!(page.status, 200, "{e}: {page:?}");
            pages += 1;
            for item in page.json["items"].as_array().unwrap() {
                titles.push(item["title"].as_str().unwrap().to_owned());
            }
            match page.json["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{e}");
        assert_eq!(
            titles,
            (1..=5)
                .rev()
                .map(|n| format!("Объявление {n}"))
                .collect::<Vec<_>>(),
            "{e}"
        );
        let openapi = served.client().get("/api/openapi.json").await;
        for path in [
            "/api/me/notifications",
            "/api/me/notifications/unread-count",
            "/api/me/notifications/{id}/read",
            "/api/me/notifications/read-all",
        ] {
            assert!(openapi.json["paths"][path].is_object(), "{e}: {path}");
        }
        let bad = anna.get("/api/me/notifications?limit=0").await;
        assert_eq!(bad.status, 400, "{e}: {bad:?}");
        let bad = anna.get("/api/me/notifications?cursor=%25").await;
        assert_eq!(bad.status, 400, "{e}: {bad:?}");

        // The server refuses the mailbox for good: each message fails at its first attempt.
        let rows = settled(&served, person(&anna)).await;
        assert_eq!(rows.len(), 5, "{e}: {rows:?}");
        for row in &rows {
            assert_eq!(
                (row.status.as_str(), row.attempts),
                ("failed", 1),
                "{e}: {row:?}"
            );
            assert!(
                row.last_error
                    .as_deref()
                    .unwrap_or_default()
                    .contains("550"),
                "{e}: {row:?}"
            );
        }
        assert!(
            smtp.to(&format!("reject-{e}@example.org")).is_empty(),
            "{e}"
        );
    }
}

//! The coop plugin over real HTTP, on SQLite and on PostgreSQL: many neighbours ordering the
//! last units of a box at the same moment never oversell it, and the SNT's produce
//! certificate (the `snt` plugin's `snt.certificate_issued`) shows on a grower's listing.

use serde_json::json;

use crate::common;
use common::server::{Client, Served, serve_all};

/// Plots 1–16 of the test SNT, and the coop plugin for the town.
fn coop_config() -> String {
    let mut text = String::new();
    for n in 1..=16 {
        text.push_str(&format!(
            "[[units]]\ncommunity = \"snt\"\nnumber = \"{n}\"\nkind = \"plot\"\narea = \"600\"\n\n"
        ));
    }
    text.push_str(
        r#"
[plugins.coop]
enabled_for = ["town"]
[plugins.coop.grants]
collections = ["purchases", "orders", "households", "payees", "items", "bookings", "listings", "produce_orders", "certificates"]
emits = ["coop.purchase_opened", "coop.order_placed", "coop.purchase_ended", "coop.purchase_settled", "coop.payment_received", "coop.item_booked", "coop.item_returned", "coop.produce_listed", "coop.produce_picked_up"]
consumes = ["snt.certificate_issued"]
schedules = ["tick"]
notifications = true
files = true
live = true
[plugins.coop.limits]
deadline_ms = 10000
"#,
    );
    text
}

/// A gardener of plot `n`, signed in.
async fn gardener(served: &Served, n: u32) -> Client {
    let phone = format!("+7916555{n:04}");
    let client = served.sign_in(&phone, "Садовод", "Участков").await;
    served
        .own(client.person.as_deref().unwrap(), &format!("snt/{n}"))
        .await;
    client
}

const API: &str = "/api/c/snt/p/coop";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_on_the_last_units_of_a_box_never_oversell() {
    for served in serve_all(&coop_config()).await {
        let e = served.engine;
        let mut people = Vec::new();
        for n in 1..=16 {
            people.push(gardener(&served, n).await);
        }
        let organizer = &people[0];
        let made = organizer
            .post(
                &format!("{API}/purchases"),
                json!({
                    "title": "Масло", "supplier": "Маслобойня", "ends_on": "2099-01-01",
                    "pickup_place": "Сторожка", "pickup_time": "суббота", "box_fill_hours": 0,
                }),
            )
            .await;
        assert_eq!(made.status, 201, "{e}: {}", made.text);
        let id = made.json["id"].as_str().unwrap().to_owned();
        // The supplier has 10 units, boxes of 6.
        let article = organizer
            .post(
                &format!("{API}/purchases/{id}/articles"),
                json!({ "code": "oil", "name": "Масло", "price": 12000, "box_size": 6, "available": 10 }),
            )
            .await;
        assert_eq!(article.status, 201, "{e}: {}", article.text);
        assert_eq!(
            organizer
                .post(&format!("{API}/purchases/{id}/start"), json!({}))
                .await
                .status,
            200
        );
        let first = organizer
            .post(
                &format!("{API}/purchases/{id}/orders"),
                json!({ "article": "oil", "quantity": 7 }),
            )
            .await;
        assert_eq!(first.status, 201, "{e}: {}", first.text);

        // Three units are left; fifteen neighbours order one each at the same moment.
        let path = format!("{API}/purchases/{id}/orders");
        let mut racing = Vec::new();
        for client in &people[1..] {
            let client = client.clone();
            let path = path.clone();
            racing.push(tokio::spawn(async move {
                client
                    .post(&path, json!({ "article": "oil", "quantity": 1 }))
                    .await
            }));
        }
        let mut accepted = 0;
        let mut refused = 0;
        for answer in racing {
            let answer = answer.await.unwrap();
            match answer.status {
                201 => accepted += 1,
                400 => {
                    assert_eq!(answer.field(), Some("quantity"), "{e}: {}", answer.text);
                    assert!(
                        answer.json["error"]["message"]
                            .as_str()
                            .unwrap()
                            .contains("осталось 0"),
                        "{e}: {}",
                        answer.text
                    );
                    refused += 1;
                }
                other => panic!("{e}: an order answered {other}: {}", answer.text),
            }
        }
        assert_eq!((accepted, refused), (3, 12), "{e}");
        let purchase = organizer.get(&format!("{API}/purchases/{id}")).await;
        assert_eq!(
            purchase.json["figures"][0]["figures"]["ordered"], 10,
            "{e}: the running sum"
        );
        let orders = organizer.get(&format!("{API}/purchases/{id}/orders")).await;
        let stored: u64 = orders.json["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["lines"][0]["quantity"].as_u64().unwrap())
            .sum();
        assert_eq!(stored, 10, "{e}: the orders themselves");
        assert_eq!(
            orders.json["orders"].as_array().unwrap().len(),
            4,
            "{e}: the first and three winners"
        );
        let placed = served.event_kinds("coop").await;
        assert_eq!(
            placed.iter().filter(|k| *k == "coop.order_placed").count(),
            4,
            "{e}: {placed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snt_s_produce_certificate_shows_on_the_grower_s_listing() {
    for served in serve_all(&coop_config()).await {
        let e = served.engine;
        let grower = gardener(&served, 1).await;
        let listed = grower
            .post(
                &format!("{API}/listings"),
                json!({ "title": "Клубника", "unit": "кг", "price": 35000, "quantity": "5",
                        "pickup_place": "Участок 1", "pickup_time": "вечером" }),
            )
            .await;
        assert_eq!(listed.status, 201, "{e}: {}", listed.text);
        let listings = grower.get(&format!("{API}/listings")).await;
        assert!(listings.json["listings"][0]["certificate"].is_null(), "{e}");

        // The snt plugin issues the grower's certificate: its event reaches coop.
        let db = served.runtime.shared().db.connection();
        let now = chrono::Utc::now().timestamp_millis();
        let event = dvor::events::NewEvent {
            kind: "snt.certificate_issued".into(),
            source: "snt".into(),
            community: "snt".into(),
            actor: None,
            occurred: now,
            payload: json!({
                "person_id": grower.person, "number": "17", "products": "клубника, малина",
                "valid_until": "2099-12-31",
            })
            .to_string(),
        };
        dvor::events::record(db, &event, &["coop".to_owned()], now)
            .await
            .unwrap();
        let mut certificate = serde_json::Value::Null;
        for _ in 0..200 {
            let _ = dvor::events::deliver_due(
                &served.runtime,
                &dvor::events::DeliverySettings {
                    max_attempts: 3,
                    backoff_base: std::time::Duration::from_millis(1),
                    backoff_max: std::time::Duration::from_millis(5),
                    poll_interval: std::time::Duration::from_millis(10),
                },
            )
            .await;
            let listings = grower.get(&format!("{API}/listings")).await;
            certificate = listings.json["listings"][0]["certificate"].clone();
            if !certificate.is_null() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(certificate["number"], "17", "{e}: {certificate}");
        assert_eq!(certificate["products"], "клубника, малина", "{e}");
        let page = grower
            .get(&format!(
                "/c/snt/p/coop/listing/{}",
                listed.json["id"].as_str().unwrap()
            ))
            .await;
        assert!(
            page.text
                .contains("Продукция с сертификатом СНТ №17: клубника, малина"),
            "{e}: {}",
            page.text
        );
    }
}

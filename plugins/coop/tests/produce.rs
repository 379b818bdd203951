//! Produce between neighbours through the compiled plugin: a grower lists, neighbours order
//! what is left (never more), the grower confirms and hands over, each side rates once. Without
//! the `snt` plugin's certificates nothing breaks and no badge is shown (the certificate
//! itself is tested with the event, in the host's integration tests).

mod common;

use common::snt;
use serde_json::json;

#[test]
fn a_grower_sells_to_neighbours_who_rate_once_after_the_pickup() {
    let mut s = snt();
    let (a, b, c) = (s.a.clone(), s.b.clone(), s.c.clone());
    let listed = s.host.at("snt").by(&a).submit(
        "produce",
        "list",
        &[
            ("title", "Клубника «Виктория»"),
            ("quantity", "5"),
            ("unit", "кг"),
            ("price", "350,00"),
            ("pickup_place", "Участок 1, у калитки"),
            ("pickup_time", "вечером после 18:00"),
        ],
    );
    let dvor_testkit::Outcome::Redirect { route, notice } = &listed else {
        panic!("{listed:?}")
    };
    assert_eq!(notice.as_deref(), Some("Объявление опубликовано"));
    let id = route.trim_start_matches("listing/").to_owned();
    let page = s.host.at("snt").page("produce");
    assert!(
        page.shows("Клубника «Виктория»") && page.shows("350,00 ₽") && page.shows("5 кг"),
        "{}",
        page.text
    );
    assert!(!page.shows("✓"), "no certificate without the snt plugin");

    let too_much = s
        .host
        .at("snt")
        .by(&b)
        .post(&format!("listings/{id}/orders"), json!({ "quantity": "6" }));
    assert_eq!((too_much.status, too_much.field()), (400, Some("quantity")));
    assert!(
        too_much.body.contains("Осталось только 5 кг"),
        "{}",
        too_much.body
    );
    let own = s
        .host
        .at("snt")
        .by(&a)
        .post(&format!("listings/{id}/orders"), json!({ "quantity": "1" }));
    assert_eq!(own.field(), Some("quantity"));
    let ordered =
        s.host
            .at("snt")
            .by(&b)
            .submit(&format!("listing/{id}"), "order", &[("quantity", "1,5")]);
    assert_eq!(
        ordered.notice(),
        Some("Заказ отправлен продавцу"),
        "{ordered:?}"
    );
    assert!(
        s.host.inbox(&a)[0]["body"]
            .as_str()
            .unwrap()
            .contains("1,5 кг на 525,00")
    );
    let rest = s.host.at("snt").by(&c).post(
        &format!("listings/{id}/orders"),
        json!({ "quantity": "3.5" }),
    );
    assert_eq!(rest.status, 201, "{}", rest.body);
    let none_left = s.host.at("snt").by(&c).post(
        &format!("listings/{id}/orders"),
        json!({ "quantity": "0.1" }),
    );
    assert_eq!(none_left.field(), Some("quantity"));
    // C changes their mind: it is back on sale.
    let c_order = rest.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.host
            .at("snt")
            .by(&c)
            .post(&format!("produce-orders/{c_order}/cancel"), json!({}))
            .status,
        200
    );
    assert!(s.host.at("snt").page("produce").shows("3,5 кг"));

    // The grower confirms B's order and hands it over; then each side rates once.
    let page = s.host.at("snt").by(&a).page(&format!("listing/{id}"));
    assert!(
        page.shows("Борис Второй") && page.shows("Ждёт подтверждения"),
        "{}",
        page.text
    );
    let orders = s.host.at("snt").by(&b).page("produce");
    assert!(orders.shows("525,00 ₽"), "{}", orders.text);
    let mine = s
        .host
        .at("snt")
        .by(&b)
        .get(&format!("listings/{id}/orders"));
    assert_eq!(
        mine.json["orders"].as_array().unwrap().len(),
        1,
        "B sees only B's order"
    );
    let b_order_id = mine.json["orders"][0]["id"].as_str().unwrap().to_owned();
    let all = s
        .host
        .at("snt")
        .by(&a)
        .get(&format!("listings/{id}/orders"));
    assert_eq!(
        all.json["orders"].as_array().unwrap().len(),
        2,
        "the grower sees every order"
    );
    assert_eq!(
        s.host
            .at("snt")
            .by(&b)
            .post(
                &format!("produce-orders/{b_order_id}/rate"),
                json!({ "stars": 5 })
            )
            .status,
        409,
        "not before pickup"
    );
    let confirmed = s.host.at("snt").by(&a).submit(
        &format!("listing/{id}"),
        "confirm",
        &[("order", b_order_id.as_str())],
    );
    assert_eq!(
        confirmed.notice(),
        Some("Заказ подтверждён"),
        "{confirmed:?}"
    );
    assert!(
        s.host.inbox(&b)[0]["body"]
            .as_str()
            .unwrap()
            .contains("Участок 1, у калитки")
    );
    assert_eq!(
        s.host
            .at("snt")
            .by(&b)
            .post(&format!("produce-orders/{b_order_id}/picked-up"), json!({}))
            .status,
        403,
        "the grower hands over"
    );
    assert_eq!(
        s.host
            .at("snt")
            .by(&a)
            .post(&format!("produce-orders/{b_order_id}/picked-up"), json!({}))
            .status,
        200
    );
    let bad = s.host.at("snt").by(&b).post(
        &format!("produce-orders/{b_order_id}/rate"),
        json!({ "stars": 6 }),
    );
    assert_eq!(bad.field(), Some("stars"));
    assert_eq!(
        s.host
            .at("snt")
            .by(&b)
            .post(
                &format!("produce-orders/{b_order_id}/rate"),
                json!({ "stars": 5, "comment": "Сладкая!" })
            )
            .status,
        200
    );
    assert_eq!(
        s.host
            .at("snt")
            .by(&b)
            .post(
                &format!("produce-orders/{b_order_id}/rate"),
                json!({ "stars": 4 })
            )
            .status,
        409,
        "once"
    );
    assert_eq!(
        s.host
            .at("snt")
            .by(&a)
            .post(
                &format!("produce-orders/{b_order_id}/rate"),
                json!({ "stars": 5 })
            )
            .status,
        200,
        "and the grower once"
    );
    let page = s.host.at("snt").page(&format!("listing/{id}"));
    assert!(page.shows("5 / 5 (1)"), "{}", page.text);
    let picked = s.host.events_of("coop.produce_picked_up");
    assert_eq!(picked[0]["person_id"], b.id.as_str());
}

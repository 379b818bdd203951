//! Joint purchases through the compiled plugin: the worked examples C1–C5 of RULES §8 as
//! gardeners and their chairman live them (orders, the end, receiving, charges), the box-fill
//! phase, shortages and weighed goods, bad input that names its field and writes nothing.

mod common;

use common::{allocation, snt};
use serde_json::json;

fn oil(box_size: u32) -> serde_json::Value {
    json!({ "code": "oil", "name": "Масло подсолнечное, 1 л", "price": 12000, "box_size": box_size })
}

fn units_of(purchase: &serde_json::Value, household: &str) -> u64 {
    allocation(purchase, 0)
        .into_iter()
        .find(|(h, _)| h == household)
        .map_or(0, |(_, u)| u)
}

/// RULES §8 C1: box 6; A orders 4 + tolerance 2 (first), B 1 + 0, C 0 + 3: one box; A 5, B 1,
/// C 0. Then C4: at 120.00 ₽ a unit, markup 15 %, transport 300.00 ₽: A 940.00 ₽, B 188.00 ₽,
/// C nothing.
#[test]
fn c1_and_c4_a_box_filled_by_tolerance_and_charged_with_markup_and_transport() {
    let mut s = snt();
    let id = s.open_purchase(
        json!({ "markup_percent": "15", "transport": 30000 }),
        oil(6),
    );
    let (a, b, c) = (s.a.clone(), s.b.clone(), s.c.clone());
    assert_eq!(s.order(&a, &id, "oil", 4, 2).status, 201);
    s.host.advance(std::time::Duration::from_secs(60));
    assert_eq!(s.order(&b, &id, "oil", 1, 0).status, 201);
    s.host.advance(std::time::Duration::from_secs(60));
    let placed = s.order(&c, &id, "oil", 0, 3);
    assert_eq!(placed.status, 201, "{}", placed.body);
    // While open, everyone sees what the box misses: 5 ordered of 6, tolerances cover it.
    assert_eq!(placed.json["figures"]["missing_to_next_box"], 1);
    assert_eq!(placed.json["figures"]["missing_with_tolerance"], 0);
    let page = s.host.at("snt").by(&a).page(&format!("purchase/{id}"));
    assert!(page.shows("1 шт (допуски закроют)"), "{}", page.text);
    let live = s.host.live("snt", &format!("purchase:{id}"));
    assert!(
        live.last().unwrap()["text"]
            .as_str()
            .unwrap()
            .contains("допуски закроют"),
        "{live:?}"
    );

    let ended = s.step(&id, "stop", json!({}));
    assert_eq!(ended.status, 200, "{}", ended.body);
    let p = s.purchase(&id);
    assert_eq!(p["purchase"]["state"], "sent");
    assert_eq!(p["purchase"]["end_lines"][0]["boxes"], 1);
    assert_eq!(p["purchase"]["end_lines"][0]["units"], 6);
    assert_eq!(units_of(&p, "snt/1"), 5);
    assert_eq!(units_of(&p, "snt/2"), 1);
    assert_eq!(units_of(&p, "snt/3"), 0);
    // The order to the supplier, as CSV and as a document.
    let csv = s
        .host
        .at("snt")
        .by(&a)
        .get(&format!("purchases/{id}/supplier.csv"));
    assert!(
        csv.body
            .contains("oil;Масло подсолнечное, 1 л;шт;1;6;120.00;720.00"),
        "{}",
        csv.body
    );
    let chair = s.chair.clone();
    let doc = s
        .host
        .at("snt")
        .by(&chair)
        .page(&format!("purchase/{id}/supplier"));
    assert!(
        doc.shows("ООО «Маслобойня»") && doc.shows("720,00 ₽"),
        "{}",
        doc.text
    );

    assert_eq!(
        s.step(&id, "receive", json!({ "arrived": { "oil": 6 } }))
            .status,
        200
    );
    let settled = s.step(&id, "settle", json!({}));
    assert_eq!(settled.status, 200, "{}", settled.body);
    assert_eq!(s.account("snt/1")["household"]["balance"], 94000);
    assert_eq!(s.account("snt/2")["household"]["balance"], 18800);
    assert!(
        s.account("snt/3").is_null(),
        "C received nothing and pays nothing"
    );
    let charges = &s.purchase(&id)["purchase"]["charges"];
    assert_eq!(charges[0]["transport"], 25000);
    assert_eq!(charges[1]["transport"], 5000);
    assert_eq!(s.purchase(&id)["purchase"]["remainder"], 0);

    // A sees the charge and when to pay it; C is told nothing is owed.
    let mine = s.host.at("snt").by(&a).page("account");
    assert!(
        mine.shows("940,00 ₽") && mine.shows("06.06.2026"),
        "{}",
        mine.text
    );
    let inbox = s.host.inbox(&a);
    assert!(
        inbox
            .iter()
            .any(|n| n["title"].as_str().unwrap().starts_with("К оплате 940,00")),
        "{inbox:?}"
    );
    let events = s.host.events_of("coop.purchase_settled");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["households"], 2);
}

/// RULES §8 C2: box 6; A 7 (first), B 6, no tolerance: two boxes; A 7, B 5.
#[test]
fn c2_the_earlier_order_is_served_first() {
    let mut s = snt();
    let id = s.open_purchase(json!({}), oil(6));
    let (a, b) = (s.a.clone(), s.b.clone());
    assert_eq!(s.order(&a, &id, "oil", 7, 0).status, 201);
    s.host.advance(std::time::Duration::from_secs(5));
    assert_eq!(s.order(&b, &id, "oil", 6, 0).status, 201);
    assert_eq!(s.step(&id, "stop", json!({})).status, 200);
    let p = s.purchase(&id);
    assert_eq!(p["purchase"]["end_lines"][0]["boxes"], 2);
    assert_eq!(units_of(&p, "snt/1"), 7);
    assert_eq!(units_of(&p, "snt/2"), 5);
}

/// RULES §8 C3: box 6; A 0 + 4, B 0 + 4: no box; nobody gets or pays anything.
#[test]
fn c3_tolerance_alone_never_fills_a_box() {
    let mut s = snt();
    let id = s.open_purchase(json!({}), oil(6));
    let (a, b) = (s.a.clone(), s.b.clone());
    assert_eq!(s.order(&a, &id, "oil", 0, 4).status, 201);
    assert_eq!(s.order(&b, &id, "oil", 0, 4).status, 201);
    assert_eq!(s.step(&id, "stop", json!({})).status, 200);
    let p = s.purchase(&id);
    assert_eq!(p["purchase"]["state"], "not_reached");
    assert_eq!(p["purchase"]["end_lines"], json!([]));
    assert_eq!(s.step(&id, "settle", json!({})).status, 409);
    assert!(s.account("snt/1").is_null() && s.account("snt/2").is_null());
}

/// RULES §8 C5: supplier minimum 5 000 ₽, orders total 4 200 ₽ at the end: not sent, nobody
/// charged; the organizer extends the end, one more jar is ordered, and it goes.
#[test]
fn c5_below_the_supplier_minimum_nothing_is_sent_until_the_end_is_extended() {
    let mut s = snt();
    let honey = json!({ "code": "honey", "name": "Мёд, 0,5 кг", "price": 70000, "box_size": 1 });
    let id = s.open_purchase(json!({ "supplier_minimum": 500000 }), honey);
    let (a, b, c) = (s.a.clone(), s.b.clone(), s.c.clone());
    assert_eq!(s.order(&a, &id, "honey", 4, 0).status, 201);
    assert_eq!(s.order(&b, &id, "honey", 2, 0).status, 201);
    assert_eq!(s.step(&id, "stop", json!({})).status, 200);
    let p = s.purchase(&id);
    assert_eq!(p["purchase"]["state"], "not_reached");
    assert_eq!(p["purchase"]["end_total"], 420000);
    let page = s.host.at("snt").by(&a).page(&format!("purchase/{id}"));
    assert!(page.shows("Набрано 4 200,00 ₽"), "{}", page.text);
    assert!(page.shows("никому ничего не начислено"), "{}", page.text);
    assert!(
        s.host
            .inbox(&a)
            .iter()
            .any(|n| n["title"] == "Закупка «Масло с маслобойни» не состоялась"),
        "A is told"
    );
    assert!(s.account("snt/1").is_null(), "nobody is charged");

    assert_eq!(
        s.order(&c, &id, "honey", 2, 0).status,
        409,
        "no orders after the end"
    );
    let extended = s.step(&id, "extend", json!({ "ends_on": "2026-06-10" }));
    assert_eq!(extended.status, 200, "{}", extended.body);
    assert_eq!(s.order(&c, &id, "honey", 2, 0).status, 201);
    assert_eq!(s.step(&id, "stop", json!({})).status, 200);
    let p = s.purchase(&id);
    assert_eq!(p["purchase"]["state"], "sent");
    assert_eq!(p["purchase"]["end_total"], 560000);
}

/// A shortage is shared by the rule — quantities first, earliest first, then tolerances — and
/// a household pays only for what it received; weighed goods by what was weighed.
#[test]
fn a_shortage_and_weighed_cheese_are_charged_by_what_arrived() {
    let mut s = snt();
    let id = s.open_purchase(json!({ "markup_percent": "10" }), oil(6));
    let chair = s.chair.clone();
    // A second article, added while orders are open: cheese by weight.
    let cheese = s.host.at("snt").by(&chair).post(
        &format!("purchases/{id}/articles"),
        json!({ "code": "cheese", "name": "Сыр", "price": 90000, "box_size": 1, "weighed": true }),
    );
    assert_eq!(cheese.status, 201, "{}", cheese.body);
    let (a, b, c) = (s.a.clone(), s.b.clone(), s.c.clone());
    s.order(&a, &id, "oil", 4, 2);
    s.host.advance(std::time::Duration::from_secs(1));
    s.order(&b, &id, "oil", 1, 0);
    s.host.advance(std::time::Duration::from_secs(1));
    s.order(&c, &id, "oil", 0, 3);
    assert_eq!(s.order(&b, &id, "cheese", 1, 0).status, 201);
    s.step(&id, "stop", json!({}));
    // 6 ordered, 4 arrived: A's quantity first.
    let received = s.step(
        &id,
        "receive",
        json!({ "arrived": { "oil": 4, "cheese": 1 } }),
    );
    assert_eq!(received.status, 200, "{}", received.body);
    let arrived = &received.json["purchase"]["arrived"][0];
    assert_eq!(arrived["shortage"], 2);
    let page = s.host.at("snt").by(&chair).page(&format!("purchase/{id}"));
    assert!(page.shows("Недостача"), "{}", page.text);
    // Without the cheese's weight it cannot be charged, and says whose it is.
    let refused = s.step(&id, "settle", json!({}));
    assert_eq!(refused.status, 400);
    assert_eq!(refused.field(), Some("weights"));
    assert!(refused.body.contains("участок 2"), "{}", refused.body);
    assert!(s.account("snt/2").is_null(), "nothing was written");
    let weighed = s.step(
        &id,
        "weights",
        json!({ "weights": [{ "household": "snt/2", "article": "cheese", "kg": "1.135" }] }),
    );
    assert_eq!(weighed.status, 200, "{}", weighed.body);
    assert_eq!(s.step(&id, "settle", json!({})).status, 200);
    // A: 4 × 120 × 1.1 = 528.00; B: 900 × 1.135 × 1.1 = 1 123.65; C: nothing arrived for C.
    assert_eq!(s.account("snt/1")["household"]["balance"], 52800);
    assert_eq!(s.account("snt/2")["household"]["balance"], 112365);
    assert!(s.account("snt/3").is_null());
}

/// After the end, in the box-fill phase, only changes that fill boxes are accepted.
#[test]
fn the_box_fill_phase_takes_only_what_fills_a_box() {
    let mut s = snt();
    let id = s.open_purchase(json!({ "box_fill_hours": 24 }), oil(6));
    let (a, b) = (s.a.clone(), s.b.clone());
    s.order(&a, &id, "oil", 4, 0);
    s.order(&b, &id, "oil", 3, 0);
    let stopped = s.step(&id, "stop", json!({}));
    assert_eq!(stopped.json["purchase"]["state"], "box_fill");
    let page = s.host.at("snt").by(&a).page(&format!("purchase/{id}"));
    assert!(page.shows("идёт добор коробов"), "{}", page.text);
    // 7 ordered: the second box misses 5. A adding 6 would start a third box.
    let refused = s.order(&a, &id, "oil", 10, 0);
    assert_eq!(refused.status, 400);
    assert_eq!(refused.field(), Some("quantity"));
    assert_eq!(
        s.order(&b, &id, "oil", 2, 0).status,
        400,
        "lowering is refused"
    );
    assert_eq!(
        s.order(&b, &id, "oil", 8, 0).status,
        200,
        "filling the box is welcome"
    );
    // A day later the job counts the boxes.
    s.host.set_clock("2026-06-02T10:00:01+03:00");
    s.host.run_job("tick", "town");
    let p = s.purchase(&id);
    assert_eq!(p["purchase"]["state"], "sent");
    assert_eq!(p["purchase"]["end_lines"][0]["boxes"], 2);
}

/// Bad input names the field, and nothing is written.
#[test]
fn bad_input_names_the_field_and_writes_nothing() {
    let mut s = snt();
    let chair = s.chair.clone();
    let refused = s.host.at("snt").by(&chair).post(
        "purchases",
        json!({ "title": "Мёд", "supplier": "Пасека", "ends_on": "2026-05-01", "pickup_place": "Сторожка", "pickup_time": "сб" }),
    );
    assert_eq!((refused.status, refused.field()), (400, Some("ends_on")));
    let refused = s.host.at("snt").by(&chair).post(
        "purchases",
        json!({ "title": "Мёд", "supplier": "Пасека", "ends_on": "2026-06-05", "markup_percent": "-1", "pickup_place": "С", "pickup_time": "сб" }),
    );
    assert_eq!(refused.field(), Some("markup_percent"));
    assert_eq!(
        s.host.at("snt").by(&chair).get("purchases").json["purchases"],
        json!([])
    );

    let id = s.open_purchase(
        json!({}),
        json!({ "code": "oil", "name": "Масло", "price": 12000, "box_size": 6, "available": 10 }),
    );
    let bad = s.host.at("snt").by(&chair).post(
        &format!("purchases/{id}/articles"),
        json!({ "code": "tea", "name": "Чай", "price": 0 }),
    );
    assert_eq!(bad.field(), Some("price"));
    let a = s.a.clone();
    for (quantity, tolerance, field) in [
        (-1, 0, "quantity"),
        (1, 6, "tolerance"),
        (11, 0, "quantity"),
    ] {
        let answer = s.order(&a, &id, "oil", quantity, tolerance);
        assert_eq!(
            (answer.status, answer.field()),
            (400, Some(field)),
            "{}",
            answer.body
        );
    }
    let unknown = s.order(&a, &id, "tea", 1, 0);
    assert_eq!(unknown.field(), Some("article"));
    // A neighbour of the town without a plot here cannot order for one.
    let stranger = s.host.person("Пётр Чужой").resident("town").create();
    let answer = s.order(&stranger, &id, "oil", 1, 0);
    assert_eq!(answer.field(), Some("household"));
    let p = s.purchase(&id);
    assert_eq!(p["purchase"]["tally"], json!([]), "nothing was ordered");
    assert!(s.host.events_of("coop.order_placed").is_empty());

    // On the page the error is next to the field, and the order is not saved.
    let out =
        s.host
            .at("snt")
            .by(&a)
            .submit(&format!("purchase/{id}"), "save-order", &[("q0", "11")]);
    assert!(
        out.error_of("q0")
            .is_some_and(|e| e.contains("осталось 10")),
        "{out:?}"
    );
    let out = s.host.at("snt").by(&a).submit(
        &format!("purchase/{id}"),
        "save-order",
        &[("q0", "3"), ("t0", "2")],
    );
    assert_eq!(out.notice(), Some("Заказ сохранён"), "{out:?}");
    assert_eq!(s.purchase(&id)["figures"][0]["figures"]["ordered"], 3);
}

/// The organizer builds a purchase in the browser's forms: a price list from CSV (every bad
/// cell named, nothing imported), then orders open and the home page and tile show it.
#[test]
fn a_purchase_is_prepared_on_its_pages_from_the_supplier_s_price_list() {
    let mut s = snt();
    let chair = s.chair.clone();
    let made = s.host.at("snt").by(&chair).submit(
        "",
        "new-purchase",
        &[
            ("title", "Мёд к осени"),
            ("supplier", "Пасека «Липовая»"),
            ("ends_on", "2026-06-05"),
            ("markup_percent", "5"),
            ("pickup_place", "Сторожка"),
            ("pickup_time", "суббота, 10:00"),
        ],
    );
    let dvor_testkit::Outcome::Redirect { route, .. } = &made else {
        panic!("{made:?}")
    };
    let id = route.trim_start_matches("purchase/").to_owned();
    let bad = "артикул;наименование;цена;в коробе\nH-1;Мёд;12O;6\n";
    let answer = s.raw(
        &chair,
        "POST",
        &format!("purchases/{id}/articles/import"),
        "text/csv",
        bad,
    );
    assert_eq!(answer["error"]["field"], "file", "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("строка 2, price"),
        "{answer}"
    );
    let good = "артикул;наименование;ед.;цена;в коробе;НДС;весовой\nH-1;Мёд липовый 0,5 кг;шт;450,00;6;10;нет\nS-1;Сыр;;900;1;10;да\n";
    let answer = s.raw(
        &chair,
        "POST",
        &format!("purchases/{id}/articles/import"),
        "text/csv",
        good,
    );
    assert_eq!(answer["json"]["imported"], 2, "{answer}");
    let page = s.host.at("snt").by(&chair).page(&format!("purchase/{id}"));
    assert!(
        page.shows("Мёд липовый 0,5 кг") && page.shows("450,00 ₽"),
        "{}",
        page.text
    );
    assert!(
        s.host
            .at("snt")
            .by(&s.a.clone())
            .page(&format!("purchase/{id}"))
            .shows("готовит список")
    );
    let started = s
        .host
        .at("snt")
        .by(&chair)
        .submit(&format!("purchase/{id}"), "start", &[]);
    assert_eq!(started.notice(), Some("Сбор заказов открыт"), "{started:?}");
    let home = s.host.at("snt").page("");
    assert!(
        home.shows("Мёд к осени") && home.shows("Идёт сбор заказов"),
        "{}",
        home.text
    );
    let tile = s.host.at("snt").tile(false).unwrap();
    assert_eq!(tile["count"], 1);
    assert_eq!(tile["lines"][0], "Мёд к осени — заказы до 05.06.2026");
    let a = s.a.clone();
    s.order(&a, &id, "H-1", 2, 0);
    let mine = s.host.at("snt").by(&a).tile(true).unwrap();
    assert_eq!(mine["lines"][0], "Заказ «Мёд к осени»: до 05.06.2026");
}

//! The demo of the bundled demo town (`demo = true`): the tick job's first run gives every SNT
//! under the town a payee, an open purchase and a shared trimmer; a second run adds nothing.

mod common;

use common::snt_with;
use serde_json::json;

#[test]
fn the_demo_town_s_snt_gets_a_living_co_op_once() {
    let mut s = snt_with(json!({ "demo": true }));
    s.host.run_job("tick", "town");
    s.host.run_job("tick", "town");
    let home = s.host.at("snt").page("");
    assert!(
        home.shows("Мёд и масло с пасеки «Медовый край»") && home.shows("Идёт сбор заказов"),
        "{}",
        home.text
    );
    let purchases = s.host.at("snt").get("purchases");
    assert_eq!(
        purchases.json["purchases"].as_array().unwrap().len(),
        1,
        "{}",
        purchases.body
    );
    let equipment = s.host.at("snt").page("equipment");
    assert!(equipment.shows("Триммер бензиновый"), "{}", equipment.text);
    // A gardener may order from it at once, and pays by a QR code: the payee is set.
    let a = s.a.clone();
    let id = purchases.json["purchases"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.order(&a, &id, "H-05", 6, 0).status, 201);
    // The house has no SNT: nothing is seeded there.
    assert!(s.host.at("house").page("").shows("Сейчас закупок нет"));
}

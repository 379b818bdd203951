//! Household accounts through the compiled plugin: the payment QR code of what is owed,
//! payments by hand and from the bank's registry (recognising QR payments, never twice),
//! corrections as reversing entries, a purchase that cannot close without its charges,
//! reminders, and dropping a household that did not pay by the deadline.

mod common;

use common::{Snt, snt};
use serde_json::json;

/// C1 charged as C4: A owes 940.00 ₽, B 188.00 ₽. Returns the purchase's id.
fn charged(s: &mut Snt) -> String {
    let id = s.open_purchase(
        json!({ "markup_percent": "15", "transport": 30000 }),
        json!({ "code": "oil", "name": "Масло", "price": 12000, "box_size": 6 }),
    );
    let (a, b, c) = (s.a.clone(), s.b.clone(), s.c.clone());
    s.order(&a, &id, "oil", 4, 2);
    s.host.advance(std::time::Duration::from_secs(1));
    s.order(&b, &id, "oil", 1, 0);
    s.host.advance(std::time::Duration::from_secs(1));
    s.order(&c, &id, "oil", 0, 3);
    s.step(&id, "stop", json!({}));
    s.step(&id, "receive", json!({ "arrived": { "oil": 6 } }));
    assert_eq!(s.step(&id, "settle", json!({})).status, 200);
    id
}

fn set_payee(s: &mut Snt) {
    let chair = s.chair.clone();
    let bad = s.host.at("snt").by(&chair).put(
        "payee",
        json!({ "name": "СНТ «Рябинка»", "bank_name": "ПАО Сбербанк", "bic": "04452522", "account": "40703810938000054321", "corr_account": "30101810400000000225" }),
    );
    assert_eq!((bad.status, bad.field()), (400, Some("bic")));
    let ok = s.host.at("snt").by(&chair).put(
        "payee",
        json!({ "name": "СНТ «Рябинка»", "bank_name": "ПАО Сбербанк", "bic": "044525225", "account": "40703810938000054321", "corr_account": "30101810400000000225", "inn": "5012345678" }),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[test]
fn a_household_pays_by_the_qr_code_and_the_bank_registry_records_it_once() {
    let mut s = snt();
    let _id = charged(&mut s);
    let a = s.a.clone();
    // Without a payee there is no QR code, and the page says whom to pay.
    let page = s.host.at("snt").by(&a).page("account");
    assert!(page.shows("оплатите организатору"), "{}", page.text);
    set_payee(&mut s);
    let account = s.host.at("snt").by(&a).get("account");
    let qr = account.json["accounts"][0]["qr_payload"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        qr.starts_with("ST00012|Name=СНТ «Рябинка»|PersonalAcc=40703810938000054321"),
        "{qr}"
    );
    assert!(
        qr.contains("|Sum=94000|") && qr.contains("|PersAcc=snt/1"),
        "{qr}"
    );
    assert!(qr.contains("ЗК:snt/1"), "{qr}");
    let page = s.host.at("snt").by(&a).page("account");
    assert!(
        page.shows("QR-код для оплаты в приложении банка: 940,00 ₽"),
        "{}",
        page.text
    );
    assert!(
        page.html.contains("<svg role=\"img\""),
        "the QR code is drawn"
    );
    // B may not read A's account.
    let b = s.b.clone();
    assert_eq!(s.host.at("snt").by(&b).get("account?h=snt/1").status, 403);

    // The bank's registry: a bad line names its cell and nothing is recorded.
    let chair = s.chair.clone();
    let bad = "дата;сумма;лицевой счёт;назначение;номер\n01.06.2026;940,00;snt/9;;15\n";
    let answer = s.raw(&chair, "POST", "registry", "text/csv", bad);
    assert_eq!(answer["status"], 422, "{answer}");
    assert_eq!(
        answer["json"]["error"]["problems"][0]["column"], "account",
        "{answer}"
    );
    assert_eq!(s.account("snt/1")["household"]["balance"], 94000);
    s.host.set_clock("2026-06-10T12:00:00+03:00");
    let registry = "дата;сумма;лицевой счёт;назначение;номер\n\
        10.06.2026;940,00;;Совместные закупки, участок 1, СНТ «Рябинка». ЗК:snt/1;15\n\
        10.06.2026;100,00;snt/2;Оплата;16\n";
    let answer = s.raw(&chair, "POST", "registry", "text/csv", registry);
    assert_eq!(
        answer["json"],
        json!({ "imported": 2, "by_qr": 1, "duplicates": 0 }),
        "{answer}"
    );
    let again = s.raw(&chair, "POST", "registry", "text/csv", registry);
    assert_eq!(again["json"]["duplicates"], 2, "{again}");
    assert_eq!(s.account("snt/1")["household"]["balance"], 0);
    assert_eq!(s.account("snt/2")["household"]["balance"], 8800);
    let page = s.host.at("snt").by(&a).page("account");
    assert!(
        page.shows("Оплата по QR-коду") && page.shows("Долга нет"),
        "{}",
        page.text
    );
    let paid = s.host.events_of("coop.payment_received");
    assert_eq!(paid.len(), 2);
    let by_qr = paid
        .iter()
        .find(|p| p["household"] == "snt/1")
        .expect("A's payment");
    assert_eq!(
        (
            by_qr["person_id"].as_str(),
            by_qr["amount"].as_i64(),
            by_qr["method"].as_str()
        ),
        (Some(a.id.as_str()), Some(94000), Some("qr")),
        "{paid:?}"
    );

    // A payment by hand for the rest of B's.
    let hand = s.host.at("snt").by(&chair).submit(
        "account/snt/2",
        "pay",
        &[("h", "snt/2"), ("amount", "88,00")],
    );
    assert_eq!(
        hand.notice(),
        Some("Оплата записана: 88,00\u{a0}₽"),
        "{hand:?}"
    );
    assert_eq!(s.account("snt/2")["household"]["balance"], 0);
    // Only those who keep the accounts record payments.
    let refused = s
        .host
        .at("snt")
        .by(&b)
        .post("payments", json!({ "household": "snt/2", "amount": 100 }));
    assert_eq!(refused.status, 403);
}

#[test]
fn corrections_are_reversing_entries_and_a_purchase_closes_only_when_charged() {
    let mut s = snt();
    let id = charged(&mut s);
    let chair = s.chair.clone();
    // Cancelling B's charge without the right one: the purchase cannot close.
    let reversed = s.host.at("snt").by(&chair).post(
        "corrections",
        json!({ "household": "snt/2", "entry": 1, "reason": "начислено не тому участку" }),
    );
    assert_eq!(reversed.status, 200, "{}", reversed.body);
    let entries = &reversed.json["household"]["ledger"]["entries"];
    assert_eq!(entries[1]["kind"], json!({ "kind": "reversal", "of": 1 }));
    assert_eq!(
        entries[0]["amount"], 18800,
        "the wrong entry stays, cancelled"
    );
    let refused = s.step(&id, "close", json!({}));
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("участок 2"), "{}", refused.body);
    // A reason is required; a reversal cannot be reversed.
    let no_reason = s.host.at("snt").by(&chair).post(
        "corrections",
        json!({ "household": "snt/2", "entry": 1, "reason": " " }),
    );
    assert_eq!(no_reason.field(), Some("reason"));
    assert_eq!(
        s.host
            .at("snt")
            .by(&chair)
            .post(
                "corrections",
                json!({ "household": "snt/2", "entry": 2, "reason": "x" })
            )
            .status,
        409
    );
    // Correcting A's charge records the right one under the same purchase.
    let a_entries = s.host.at("snt").by(&chair).post(
        "corrections",
        json!({ "household": "snt/1", "entry": 1, "reason": "скидка поставщика", "amount": 90000 }),
    );
    assert_eq!(
        a_entries.json["household"]["balance"], 90000,
        "{}",
        a_entries.body
    );
    assert_eq!(
        a_entries.json["household"]["ledger"]["entries"][2]["kind"]["kind"],
        "charge"
    );
    // B's charge is still missing: the purchase stays open.
    let still = s.step(&id, "close", json!({}));
    assert!(
        still.status == 409
            && still.body.contains("участок 2")
            && !still.body.contains("участок 1"),
        "{}",
        still.body
    );
}

#[test]
fn a_charged_purchase_closes() {
    let mut s = snt();
    let id = charged(&mut s);
    let before = s.step(&id, "close", json!({}));
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.json["purchase"]["state"], "closed");
    // Not before charging: a received purchase refuses to close.
    let mut s = snt();
    let id = s.open_purchase(
        json!({}),
        json!({ "code": "oil", "name": "Масло", "price": 12000, "box_size": 1 }),
    );
    let a = s.a.clone();
    s.order(&a, &id, "oil", 1, 0);
    s.step(&id, "stop", json!({}));
    s.step(&id, "receive", json!({ "arrived": { "oil": 1 } }));
    let refused = s.step(&id, "close", json!({}));
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("без начисления"), "{}", refused.body);
}

#[test]
fn a_household_is_reminded_and_past_the_deadline_dropped_from_the_next_purchase() {
    let mut s = snt();
    charged(&mut s);
    let (a, b) = (s.a.clone(), s.b.clone());
    // B pays; A does not. Pay by 06.06.2026 (five days).
    let chair = s.chair.clone();
    s.host
        .at("snt")
        .by(&chair)
        .post("payments", json!({ "household": "snt/2", "amount": 18800 }));
    let next = s.open_purchase(
        json!({ "title": "Гречка", "ends_on": "2026-06-20" }),
        json!({ "code": "g", "name": "Гречка", "price": 26000, "box_size": 10 }),
    );
    assert_eq!(
        s.order(&a, &next, "g", 3, 0).status,
        201,
        "before the deadline A may order"
    );
    s.host.set_clock("2026-06-05T09:00:00+03:00");
    s.host.run_job("tick", "town");
    let inbox = s.host.inbox(&a);
    assert_eq!(
        inbox[0]["title"], "Оплатите до 06.06.2026: 940,00\u{a0}₽",
        "{inbox:?}"
    );
    assert!(
        !s.host
            .inbox(&b)
            .iter()
            .any(|n| n["title"].as_str().unwrap().starts_with("Оплатите"))
    );
    s.host.run_job("tick", "town");
    assert_eq!(
        s.host
            .inbox(&a)
            .iter()
            .filter(|n| n["title"].as_str().unwrap().starts_with("Оплатите"))
            .count(),
        1,
        "reminded once"
    );
    s.host.set_clock("2026-06-07T09:00:00+03:00");
    s.host.run_job("tick", "town");
    assert_eq!(
        s.host.inbox(&a)[0]["title"],
        "Заказы сняты: закупка не оплачена"
    );
    let p = s.purchase(&next);
    assert_eq!(
        p["figures"][0]["figures"]["ordered"], 0,
        "A's order was withdrawn"
    );
    let refused = s.order(&a, &next, "g", 3, 0);
    assert_eq!(refused.field(), Some("household"));
    assert!(refused.body.contains("940,00"), "{}", refused.body);
    assert_eq!(
        s.order(&b, &next, "g", 3, 0).status,
        201,
        "B paid and orders"
    );
    // Once A pays, A orders again.
    s.host
        .at("snt")
        .by(&chair)
        .post("payments", json!({ "household": "snt/1", "amount": 94000 }));
    assert_eq!(s.order(&a, &next, "g", 3, 0).status, 201);
}

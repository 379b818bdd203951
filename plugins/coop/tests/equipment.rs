//! Shared equipment through the compiled plugin: RULES §8 E2 (bookings never overlap) and E1
//! (a late fine, the deposit refunded less it), holds that lapse, approval, photos at hand-out
//! and return, the damage ticket, and who may borrow.

mod common;

use common::{Snt, snt};
use serde_json::json;

/// The chairman lists the SNT's trimmer: deposit 2 000 ₽, fine 50 ₽ a day, at most 3 days.
fn trimmer(s: &mut Snt, extra: serde_json::Value) -> String {
    let mut body = json!({
        "name": "Триммер бензиновый", "community_owned": true, "deposit": 200000,
        "fine": 5000, "fine_period_days": 1, "longest_loan_days": 3,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let chair = s.chair.clone();
    let made = s.host.at("snt").by(&chair).post("items", body);
    assert_eq!(made.status, 201, "{}", made.body);
    made.json["id"].as_str().unwrap().to_owned()
}

fn photo(s: &mut Snt, who: &dvor_testkit::Person) -> String {
    let stored = s.raw(
        who,
        "POST",
        "photos?name=trimmer.png",
        "image/png",
        "PNG-bytes",
    );
    stored["json"]["id"].as_str().unwrap().to_owned()
}

/// RULES §8 E2: the trimmer booked 2026-06-10…06-12; requests 06-12…06-14 and 06-13…06-14:
/// the first refused (06-12 taken), the second accepted.
#[test]
fn e2_bookings_of_an_item_never_overlap() {
    let mut s = snt();
    let id = trimmer(&mut s, json!({ "deposit": 0 }));
    let (a, b) = (s.a.clone(), s.b.clone());
    let first = s.host.at("snt").by(&a).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-10", "to": "2026-06-12" }),
    );
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        first.json["booking"]["state"],
        json!({ "state": "confirmed" })
    );
    let refused = s.host.at("snt").by(&b).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-12", "to": "2026-06-14" }),
    );
    assert_eq!(refused.status, 409);
    assert_eq!(refused.field(), Some("from"));
    assert!(
        refused.body.contains("Уже занято: 12.06.2026"),
        "{}",
        refused.body
    );
    let accepted = s.host.at("snt").by(&b).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-13", "to": "2026-06-14" }),
    );
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    // The same in the form: the error is next to the date.
    let out = s.host.at("snt").by(&b).submit(
        &format!("item/{id}"),
        "book",
        &[("from", "2026-06-11"), ("to", "2026-06-11")],
    );
    assert_eq!(
        out.error_of("from"),
        Some("Уже занято: 11.06.2026"),
        "{out:?}"
    );
    // Longer than the owner allows, or ending before it starts: named.
    let long = s.host.at("snt").by(&b).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-20", "to": "2026-06-25" }),
    );
    assert_eq!(long.field(), Some("to"));
    let backwards = s.host.at("snt").by(&b).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-20", "to": "2026-06-19" }),
    );
    assert_eq!(backwards.field(), Some("to"));
    let page = s.host.at("snt").by(&b).page(&format!("item/{id}"));
    assert!(
        page.shows("10.06.2026") && page.shows("занято"),
        "{}",
        page.text
    );
    assert!(
        !page.shows("Анна Первая"),
        "others' names are not shown: {}",
        page.text
    );
}

/// RULES §8 E1: fine 50 ₽ a day, returned 3 days late, deposit 2 000 ₽, no damage: fine
/// 150.00 ₽; 1 850.00 ₽ refunded; the deposit's ledger ends at zero.
#[test]
fn e1_a_late_return_is_fined_and_the_deposit_refunded_less_the_fine() {
    let mut s = snt();
    let id = trimmer(&mut s, json!({}));
    let a = s.a.clone();
    let booked = s.host.at("snt").by(&a).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-10", "to": "2026-06-12" }),
    );
    let booking = booked.json["id"].as_str().unwrap().to_owned();
    // With a deposit the booking is held until it is taken.
    assert_eq!(booked.json["booking"]["status"], "held");
    assert!(
        s.host.inbox(&s.chair.clone())[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Бронь: Триммер")
    );
    let chair = s.chair.clone();
    let approved =
        s.host
            .at("snt")
            .by(&chair)
            .submit(&format!("booking/{booking}"), "approve", &[]);
    assert_eq!(
        approved.notice(),
        Some("Бронь подтверждена"),
        "{approved:?}"
    );
    s.host.set_clock("2026-06-10T09:00:00+03:00");
    let shot = photo(&mut s, &chair);
    let out = s.host.at("snt").by(&chair).submit(
        &format!("booking/{booking}"),
        "checkout",
        &[("note", "Заправлен, леска новая"), ("photo", shot.as_str())],
    );
    assert_eq!(out.notice(), Some("Выдано"), "{out:?}");
    s.host.set_clock("2026-06-15T18:00:00+03:00");
    let back = s.host.at("snt").by(&chair).post(
        &format!("bookings/{booking}/return"),
        json!({ "on": "2026-06-15", "note": "Цел" }),
    );
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.json["booking"]["fine"], 15000);
    let settled = s
        .host
        .at("snt")
        .by(&chair)
        .post(&format!("bookings/{booking}/settle"), json!({}));
    assert_eq!(settled.status, 200, "{}", settled.body);
    let entries = settled.json["booking"]["deposit"]["entries"]
        .as_array()
        .unwrap()
        .clone();
    let amounts: Vec<i64> = entries
        .iter()
        .map(|e| e["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [-200000, 15000, 185000], "paid in, fine, refund");
    assert_eq!(amounts.iter().sum::<i64>(), 0);
    let page = s.host.at("snt").by(&a).page(&format!("booking/{booking}"));
    assert!(
        page.shows("150,00 ₽") && page.shows("1 850,00 ₽"),
        "{}",
        page.text
    );
    assert!(page.shows("Заправлен, леска новая"), "{}", page.text);
    let returned = s.host.events_of("coop.item_returned");
    assert_eq!(returned[0]["person_id"], a.id.as_str());
    assert_eq!(returned[0]["days_late"], 3);
    let titles: Vec<String> = s
        .host
        .inbox(&a)
        .iter()
        .map(|n| {
            n["title"]
                .as_str()
                .unwrap_or_default()
                .replace('\u{a0}', " ")
        })
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t == "Залог за Триммер бензиновый: возврат 1 850,00 ₽"),
        "{titles:?}"
    );
}

#[test]
fn damage_beyond_the_deposit_is_still_owed() {
    let mut s = snt();
    let id = trimmer(&mut s, json!({ "deposit": 100000 }));
    let a = s.a.clone();
    let chair = s.chair.clone();
    let booked = s.host.at("snt").by(&a).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-01", "to": "2026-06-02" }),
    );
    let booking = booked.json["id"].as_str().unwrap().to_owned();
    s.host
        .at("snt")
        .by(&chair)
        .post(&format!("bookings/{booking}/checkout"), json!({}));
    s.host.at("snt").by(&chair).post(
        &format!("bookings/{booking}/return"),
        json!({ "on": "2026-06-01" }),
    );
    let no_note = s.host.at("snt").by(&chair).post(
        &format!("bookings/{booking}/damage"),
        json!({ "amount": 150000 }),
    );
    assert_eq!(no_note.field(), Some("note"));
    let ticket = s.host.at("snt").by(&chair).post(
        &format!("bookings/{booking}/damage"),
        json!({ "note": "Треснул кожух", "amount": 150000 }),
    );
    assert_eq!(ticket.status, 200, "{}", ticket.body);
    let settled = s
        .host
        .at("snt")
        .by(&chair)
        .post(&format!("bookings/{booking}/settle"), json!({}));
    assert_eq!(settled.json["booking"]["still_owed"], 50000);
    // The borrower cannot settle it themselves.
    assert_eq!(
        s.host
            .at("snt")
            .by(&a)
            .post(&format!("bookings/{booking}/settle"), json!({}))
            .status,
        403
    );
}

#[test]
fn a_hold_waiting_for_approval_lapses_and_frees_its_days() {
    let mut s = snt();
    let id = trimmer(
        &mut s,
        json!({ "deposit": 0, "approval_needed": true, "hold_hours": 2 }),
    );
    let (a, b) = (s.a.clone(), s.b.clone());
    let booked = s.host.at("snt").by(&a).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-10", "to": "2026-06-10" }),
    );
    let booking = booked.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        s.host
            .at("snt")
            .by(&b)
            .post(
                &format!("items/{id}/bookings"),
                json!({ "from": "2026-06-10", "to": "2026-06-10" })
            )
            .status,
        409
    );
    // The borrower cannot approve their own booking.
    assert_eq!(
        s.host
            .at("snt")
            .by(&a)
            .post(&format!("bookings/{booking}/approve"), json!({}))
            .status,
        403
    );
    s.host.advance(std::time::Duration::from_secs(2 * 3600));
    s.host.run_job("tick", "town");
    assert_eq!(
        s.host.inbox(&a)[0]["title"],
        "Бронь истекла: Триммер бензиновый"
    );
    assert_eq!(
        s.host
            .at("snt")
            .by(&b)
            .post(
                &format!("items/{id}/bookings"),
                json!({ "from": "2026-06-10", "to": "2026-06-10" })
            )
            .status,
        201
    );
    let chair = s.chair.clone();
    assert_eq!(
        s.host
            .at("snt")
            .by(&chair)
            .post(&format!("bookings/{booking}/approve"), json!({}))
            .status,
        409
    );
}

#[test]
fn only_members_borrow_what_is_lent_to_members_and_only_the_board_lists_the_snt_s_things() {
    let mut s = snt();
    let id = trimmer(&mut s, json!({ "deposit": 0 }));
    let guest = s.host.person("Гость Поселка").resident("house").create();
    let refused = s.host.at("snt").by(&guest).post(
        &format!("items/{id}/bookings"),
        json!({ "from": "2026-06-10", "to": "2026-06-10" }),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let a = s.a.clone();
    let not_board = s.host.at("snt").by(&a).post(
        "items",
        json!({ "name": "Бензопила", "community_owned": true }),
    );
    assert_eq!(not_board.status, 403);
    let own = s
        .host
        .at("snt")
        .by(&a)
        .post("items", json!({ "name": "Тачка садовая", "fee": 10000 }));
    assert_eq!(own.status, 201, "{}", own.body);
    let page = s.host.at("snt").page("equipment");
    assert!(
        page.shows("Тачка садовая") && page.shows("Анна Первая") && page.shows("СНТ «Рябинка»"),
        "{}",
        page.text
    );
}

//! The appeals export as an official downloads it for a report: every appeal of the period in
//! one CSV file, and, when a period holds more than one answer can carry, a refusal that says
//! to choose a shorter period instead of a file silently cut short.

use dvor_testkit::{Person, Setup, TestHost, this_plugin};
use serde_json::json;

/// The longest description a resident may write (4 000 characters, 8 000 bytes in Cyrillic),
/// about 7 000 bytes as written here, so that 2 400 appeals overfill the largest answer.
fn long_description(n: usize) -> String {
    let line =
        format!("Обращение {n}: глубокая яма у въезда во двор, машины объезжают по тротуару. ");
    line.chars().cycle().take(4000).collect()
}

/// Appeals filed in each of the two ten-day periods.
const PER_PERIOD: usize = 1200;

fn town() -> TestHost {
    Setup::new()
        .plugin_with(
            this_plugin!(),
            json!({ "settings": { "moderation": false } }),
        )
        .place("town", "Город", "settlement", None)
        .place("house-1", "Дом 1", "house", Some("town"))
        .now("2026-11-10T10:00:00+03:00")
        .start()
}

fn file_appeals(host: &mut TestHost, author: &Person, first: usize, count: usize) {
    for n in first..first + count {
        let filed = host.at("house-1").by(author).post(
            "appeals",
            json!({
                "category": "roads", "community": "house-1", "address": "ул. Ленина, 1",
                "description": long_description(n),
            }),
        );
        assert_eq!(filed.status, 201, "appeal {n}: {filed:?}");
    }
}

/// The data rows of a CSV answer (no description here spans lines).
fn rows(csv: &str) -> usize {
    csv.lines().count() - 1
}

#[test]
fn an_official_exports_a_period_that_fits_and_is_told_to_narrow_one_that_does_not() {
    let mut host = town();
    let admin = host.person("Админ Инстанса").admin().create();
    let roads = host.at("town").by(&admin).put(
        "categories/roads",
        json!({ "code": "roads", "name_ru": "Дороги и ямы", "deadline_days": 8 }),
    );
    assert_eq!(roads.status, 200, "{roads:?}");
    let anna = host.person("Анна Петрова").resident("house-1").create();
    let official = host
        .person("Ольга Должностная")
        .role("official", "town")
        .create();

    file_appeals(&mut host, &anna, 0, PER_PERIOD);
    host.set_clock("2026-11-20T10:00:00+03:00");
    file_appeals(&mut host, &anna, PER_PERIOD, PER_PERIOD);
    host.set_clock("2026-12-01T10:00:00+03:00");

    // Two thousand four hundred long appeals are about 17 MB: more than one answer carries. The official is
    // told so, on the period, and gets no half file.
    let everything = host.at("town").by(&official).get("appeals.csv");
    assert_eq!(everything.status, 400, "{:?}", everything.json);
    assert_eq!(everything.field(), Some("from"));
    let message = everything.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("выберите период короче"), "{message}");

    // Each ten days on their own fit, whole.
    let first = host
        .at("town")
        .by(&official)
        .get("appeals.csv?from=2026-11-01&to=2026-11-15");
    assert_eq!(first.status, 200, "{:?}", first.json);
    assert_eq!(rows(&first.body), PER_PERIOD);
    assert!(first.body.contains("Обращение 0:"));
    assert!(first.body.contains("Обращение 1199:"));
    assert!(!first.body.contains("Обращение 1200:"));
    let second = host
        .at("town")
        .by(&official)
        .get("appeals.csv?from=2026-11-16");
    assert_eq!(second.status, 200, "{:?}", second.json);
    assert_eq!(rows(&second.body), PER_PERIOD);
    assert!(second.body.contains("Обращение 2399:"));

    // The English refusal says the same.
    let english = host.at("town").by(&official).english().get("appeals.csv");
    assert_eq!(english.status, 400);
    let message = english.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("choose a shorter period"), "{message}");
}

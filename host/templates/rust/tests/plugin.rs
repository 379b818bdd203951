//! The plugin's tests: its compiled component in a real dvor runtime (the test kit), with a
//! town, a house, a resident and a fixed clock.

use dvor_testkit::{Setup, TestHost, this_plugin};

fn town() -> TestHost {
    Setup::new()
        .plugin(this_plugin!())
        .place("town", "Город", "settlement", None)
        .place("house-1", "Дом 1", "house", Some("town"))
        .now("2026-12-01T10:00:00+03:00")
        .start()
}

#[test]
fn a_resident_adds_a_note_that_neighbours_see() {
    let mut host = town();
    let anna = host.person("Анна Петрова").resident("house-1").create();
    let added = host
        .at("house-1")
        .by(&anna)
        .submit("", "add-note", &[("text", "Кто оставил самокат у лифта?")]);
    assert_eq!(added.notice(), Some("Заметка добавлена"), "{added:?}");

    let page = host.at("house-1").page("");
    assert!(page.shows("Анна Петрова"), "{}", page.text);
    assert!(page.shows("Кто оставил самокат у лифта?"), "{}", page.text);
    assert!(page.shows("01.12.2026"), "{}", page.text);

    let api = host.at("house-1").get("notes");
    assert_eq!(api.status, 200, "{}", api.body);
    assert_eq!(api.json["notes"][0]["author"], "Анна Петрова");
}

#[test]
fn an_empty_note_comes_back_with_the_error_next_to_its_field() {
    let mut host = town();
    let anna = host.person("Анна Петрова").resident("house-1").create();
    let refused = host
        .at("house-1")
        .by(&anna)
        .submit("", "add-note", &[("text", "   ")]);
    assert_eq!(refused.error_of("text"), Some("Напишите текст заметки"), "{refused:?}");
    assert_eq!(host.at("house-1").get("notes").json["notes"], serde_json::json!([]));
}

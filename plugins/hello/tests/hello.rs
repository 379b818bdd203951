//! `hello`'s own tests, written as a plugin author writes them: the compiled component in a real
//! dvor runtime (the test kit), with a town, a house, a resident and a fixed clock.

use dvor_testkit::{Outcome, Setup, TestHost, this_plugin};
use serde_json::json;

fn town() -> TestHost {
    Setup::new()
        .plugin_with(
            this_plugin!(),
            json!({ "settings": { "greeting_ru": "Здравствуйте" } }),
        )
        .place("town", "Город", "settlement", None)
        .place("house-1", "Дом 1", "house", Some("town"))
        .unit("house-1", "12", "apartment", "54.3")
        .now("2026-12-01T10:00:00+03:00")
        .start()
}

#[test]
fn greets_in_the_words_the_operator_chose() {
    let mut host = town();
    let greeting = host.at("house-1").get("greet?name=Анна");
    assert_eq!(greeting.status, 200);
    assert_eq!(greeting.json["greeting"], "Здравствуйте, Анна!");
    let english = host.at("house-1").english().get("greet");
    assert_eq!(english.json["greeting"], "Hello, world!");
}

#[test]
fn a_resident_leaves_a_note_that_neighbours_see_and_that_is_announced_once() {
    let mut host = town();
    let anna = host
        .person("Анна Петрова")
        .resident("house-1")
        .owns("house-1/12")
        .create();
    let added = host.at("house-1").by(&anna).submit(
        "",
        "add-note",
        &[("text", "Кто оставил самокат у лифта?")],
    );
    assert_eq!(added.notice(), Some("Заметка добавлена"), "{added:?}");

    let page = host.at("house-1").page("");
    assert!(page.shows("Анна Петрова"), "{}", page.text);
    assert!(page.shows("Кто оставил самокат у лифта?"));
    assert!(
        page.shows("01.12.2026"),
        "the clock the test set: {}",
        page.text
    );

    // Open pages get it live, and the event reaches its consumer once.
    let live = host.live("house-1", "notes");
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0]["text"],
        "Анна Петрова: Кто оставил самокат у лифта?"
    );
    assert_eq!(host.events_of("hello.note_added").len(), 1);
    assert_eq!(host.deliver_events(), 1);
    assert_eq!(host.deliver_events(), 0, "delivered once");

    // The house's home page tile counts it.
    let tile = host.at("house-1").tile(false).expect("a tile");
    assert_eq!(tile["count"], 1);
    assert_eq!(tile["lines"][0], "Кто оставил самокат у лифта?");
}

#[test]
fn an_empty_note_comes_back_with_the_error_next_to_its_field_and_writes_nothing() {
    let mut host = town();
    let anna = host.person("Анна Петрова").resident("house-1").create();
    let refused = host
        .at("house-1")
        .by(&anna)
        .submit("", "add-note", &[("text", "   ")]);
    assert_eq!(
        refused.error_of("text"),
        Some("Напишите текст заметки"),
        "{refused:?}"
    );
    assert_eq!(host.at("house-1").get("notes/count").json["count"], 0);
    assert!(host.events().is_empty());
    assert!(matches!(refused, Outcome::Invalid(_)));
}

#[test]
fn an_export_runs_when_asked_and_hands_its_file_to_the_person_who_asked() {
    let mut host = town();
    let anna = host.person("Анна Петрова").resident("house-1").create();
    for text in ["раз", "два", "три"] {
        let made = host
            .at("house-1")
            .by(&anna)
            .post("notes", json!({ "text": text }));
        assert_eq!(made.status, 201);
    }
    let asked = host.at("house-1").by(&anna).post("notes/export", json!({}));
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert!(host.run_requested() >= 1);
    let inbox = host.inbox(&anna);
    assert_eq!(inbox[0]["title"], "Готово: Выгрузка заметок", "{inbox:?}");
    assert!(
        inbox[0]["link"]
            .as_str()
            .is_some_and(|l| l.starts_with("/files/")),
        "{inbox:?}"
    );
}

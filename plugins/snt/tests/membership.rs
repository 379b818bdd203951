//! Membership through the plugin (217-ФЗ ст.12–13): a person applies from their phone, the board
//! reviews it, the decision is the meeting's or the board's as the charter says, a refusal only
//! on the law's grounds; the register is the board's and each member sees their own record; a
//! member leaves on the day. Each step notifies the person and emits its event.

mod common;

use common::{chairman, linked_id, partnership};
use dvor_testkit::{Outcome, Person, TestHost};
use serde_json::json;

fn snt(admission: &str) -> TestHost {
    partnership(
        &[("1", "600"), ("2", "612.5"), ("3", "1200")],
        json!({ "admission": admission }),
        "2026-05-20T10:00:00+03:00",
    )
}

fn apply(host: &mut TestHost, anna: &Person) -> Outcome {
    host.at("snt").by(anna).submit(
        "apply",
        "apply",
        &[
            ("full_name", "Петрова Анна Сергеевна"),
            ("plot", "2"),
            ("postal_address", "141000, Мытищи, ул. Лесная, д. 5"),
            ("phone", "8 (912) 345-67-89"),
            ("email", "Anna.Petrova@mail.ru"),
            ("consent", "true"),
        ],
    )
}

#[test]
fn an_applicant_is_admitted_by_the_meeting_sees_their_record_and_leaves_on_the_day() {
    let mut host = snt("general_meeting");
    let olga = chairman(&mut host);
    let anna = host.person("Анна Петрова").phone("+79123456789").create();
    let boris = host.person("Борис Соседов").create();

    let home = host.at("snt").by(&anna).page("");
    assert!(home.shows("Подать заявление о вступлении"), "{}", home.text);

    // A name without a surname, and no consent, come back next to their fields.
    let short = host.at("snt").by(&anna).submit(
        "apply",
        "apply",
        &[
            ("full_name", "Анна"),
            ("plot", "2"),
            ("postal_address", "Мытищи"),
            ("consent", "true"),
        ],
    );
    assert!(short.error_of("full_name").is_some(), "{short:?}");
    let no_consent = host.at("snt").by(&anna).submit(
        "apply",
        "apply",
        &[
            ("full_name", "Петрова Анна Сергеевна"),
            ("plot", "2"),
            ("postal_address", "Мытищи"),
        ],
    );
    assert!(
        no_consent
            .error_of("consent")
            .is_some_and(|m| m.contains("персональных данных")),
        "{no_consent:?}"
    );
    assert!(host.events_of("snt.application_submitted").is_empty());

    let sent = apply(&mut host, &anna);
    assert_eq!(
        sent.notice(),
        Some("Заявление отправлено в правление"),
        "{sent:?}"
    );
    let submitted = host.events_of("snt.application_submitted");
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0]["person_id"], anna.id.as_str());
    assert_eq!(host.inbox(&anna)[0]["title"], "Заявление принято");
    let id = linked_id(&mut host, &olga, "Заявление о вступлении");

    // While the first waits, the page shows it instead of a second form.
    let waiting = host.at("snt").by(&anna).page("apply");
    assert!(!waiting.has_form("apply"), "{}", waiting.text);
    assert!(waiting.shows("Заявление от 20.05.2026"), "{}", waiting.text);

    let list = host.at("snt").by(&olga).page("applications");
    assert!(list.shows("Петрова Анна Сергеевна"), "{}", list.text);
    assert!(list.shows("Подано"));
    // The applicant does not see the board's pages.
    assert_eq!(host.at("snt").by(&anna).page("applications").status(), 403);

    let route = format!("application/{id}");
    let page = host.at("snt").by(&olga).page(&route);
    assert!(page.shows("+79123456789"), "{}", page.text);
    assert!(page.shows("Документ о праве на участок не приложен"));

    // The charter leaves admission to the meeting: the board alone cannot admit.
    let by_board = host.at("snt").by(&olga).submit(
        &route,
        "admit",
        &[
            ("decided_on", "2026-05-20"),
            ("book_number", "45"),
            ("minutes", ""),
        ],
    );
    assert!(
        by_board
            .error_of("minutes")
            .is_some_and(|m| m.contains("общее собрание")),
        "{by_board:?}"
    );
    // A refusal only on the law's grounds.
    let unlawful = host.at("snt").by(&olga).submit(
        &route,
        "refuse",
        &[
            ("decided_on", "2026-05-20"),
            ("minutes", "Протокол № 2"),
            ("reason", "we_dislike_them"),
        ],
    );
    assert!(unlawful.error_of("reason").is_some(), "{unlawful:?}");

    let reviewed =
        host.at("snt")
            .by(&olga)
            .submit(&route, "review", &[("note", "Документы в порядке")]);
    assert_eq!(
        reviewed.notice(),
        Some("Заявление рассмотрено"),
        "{reviewed:?}"
    );
    assert_eq!(host.inbox(&anna)[0]["title"], "Заявление рассмотрено");
    assert!(
        host.inbox(&anna)[0]["body"]
            .as_str()
            .unwrap()
            .contains("общее собрание")
    );

    let admitted = host.at("snt").by(&olga).submit(
        &route,
        "admit",
        &[
            ("decided_on", "2026-05-20"),
            ("book_number", "45"),
            ("minutes", "Протокол № 2 от 20.05.2026"),
        ],
    );
    assert_eq!(
        admitted.notice(),
        Some("Принят в члены товарищества"),
        "{admitted:?}"
    );
    let Outcome::Redirect { route: record, .. } = admitted else {
        unreachable!()
    };

    let events = host.events_of("snt.member_admitted");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["person_id"], anna.id.as_str());
    assert_eq!(events[0]["book_number"], "45");
    assert_eq!(events[0]["plots"], json!(["2"]));
    let changed = host.events_of("snt.register_changed");
    // The newest change of the record: events of one instant come in no set order, `seq` is
    // the record's version.
    let newest = newest_change(&changed);
    assert_eq!(newest["member"], true);
    assert_eq!(newest["person_id"], anna.id.as_str());
    let told = &host.inbox(&anna)[0];
    assert_eq!(told["title"], "Вы приняты в товарищество");
    assert!(
        told["body"].as_str().unwrap().contains("20.05.2026"),
        "{told}"
    );

    // Her home shows her record; the record page its history; the register is the board's.
    let home = host.at("snt").by(&anna).page("");
    assert!(home.shows("Член товарищества"), "{}", home.text);
    assert!(home.shows("Членская книжка 45"), "{}", home.text);
    assert!(!home.shows("Подать заявление"));
    let mine = host.at("snt").by(&anna).page(&record);
    assert!(
        mine.shows(
            "Принят в члены товарищества решением общего собрания (Протокол № 2 от 20.05.2026)"
        ),
        "{}",
        mine.text
    );
    assert!(mine.shows("+79123456789"));
    assert_eq!(host.at("snt").by(&boris).page(&record).status(), 403);
    assert_eq!(host.at("snt").by(&anna).page("register").status(), 403);
    assert_eq!(host.at("snt").page("register").status(), 401);
    let register = host.at("snt").by(&olga).page("register");
    assert!(
        register.shows("Петрова Анна Сергеевна"),
        "{}",
        register.text
    );
    assert!(register.shows("Членов: 1"));

    // Exit takes effect that day; she remains the plot's owner.
    let left = host.at("snt").by(&anna).submit(&record, "leave", &[]);
    assert_eq!(
        left.notice(),
        Some("Членство прекращено с сегодняшнего дня"),
        "{left:?}"
    );
    let gone = host.events_of("snt.member_left");
    assert_eq!(gone[0]["person_id"], anna.id.as_str());
    assert_eq!(gone[0]["reason"], "voluntary");
    assert_eq!(gone[0]["on"], "2026-05-20");
    let changed = host.events_of("snt.register_changed");
    let newest = newest_change(&changed);
    assert_eq!(newest["member"], false);
    assert_eq!(newest["owner"], true);
    let mine = host.at("snt").by(&anna).page(&record);
    assert!(mine.shows("Собственник без членства"), "{}", mine.text);
    assert!(mine.shows("Прекращено членство: добровольный выход"));
}

#[test]
fn where_the_charter_says_so_the_board_admits_without_a_meeting() {
    let mut host = snt("board");
    let olga = chairman(&mut host);
    let anna = host.person("Анна Петрова").create();
    apply(&mut host, &anna);
    let id = linked_id(&mut host, &olga, "Заявление о вступлении");
    let admitted = host.at("snt").by(&olga).submit(
        &format!("application/{id}"),
        "admit",
        &[
            ("decided_on", "2026-05-20"),
            ("book_number", "7"),
            ("minutes", ""),
        ],
    );
    assert_eq!(
        admitted.notice(),
        Some("Принят в члены товарищества"),
        "{admitted:?}"
    );
    let Outcome::Redirect { route, .. } = admitted else {
        unreachable!()
    };
    let record = host.at("snt").by(&anna).page(&route);
    assert!(record.shows("решением правления"), "{}", record.text);

    // A refusal is told with its ground, and the person may apply again.
    let boris = host.person("Борис Соседов").create();
    host.at("snt").by(&boris).submit(
        "apply",
        "apply",
        &[
            ("full_name", "Соседов Борис Петрович"),
            ("plot", "3"),
            ("postal_address", "Москва"),
            ("consent", "true"),
        ],
    );
    let id = linked_id(&mut host, &olga, "Заявление о вступлении");
    let refused = host.at("snt").by(&olga).submit(
        &format!("application/{id}"),
        "refuse",
        &[
            ("decided_on", "2026-05-20"),
            ("minutes", ""),
            ("reason", "not_an_owner"),
        ],
    );
    assert_eq!(refused.notice(), Some("В приёме отказано"), "{refused:?}");
    let told = &host.inbox(&boris)[0];
    assert_eq!(told["title"], "В приёме отказано");
    assert!(
        told["body"]
            .as_str()
            .unwrap()
            .contains("не является правообладателем участка"),
        "{told}"
    );
    let home = host.at("snt").by(&boris).page("");
    assert!(home.shows("Подать заявление о вступлении"), "{}", home.text);
    assert!(home.shows("не является правообладателем"));
}

/// The `snt.register_changed` payload with the highest `seq` (the record's newest version).
fn newest_change(changed: &[serde_json::Value]) -> &serde_json::Value {
    changed
        .iter()
        .max_by_key(|c| c["seq"].as_u64().unwrap_or(0))
        .expect("the register changed")
}

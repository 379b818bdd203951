//! Expulsion through the plugin (217-ФЗ ст.13, RULES §7 S5): only for membership dues unpaid more
//! than two months, with the warning at least a month before the meeting, the person told of
//! the decision, and the record kept in the owners' section.

mod common;

use common::{admitted_on, chairman, partnership, payee};
use dvor_testkit::Outcome;
use serde_json::json;

#[test]
fn dues_due_on_31_march_allow_expulsion_from_june_with_the_warning_a_month_ahead() {
    let mut host = partnership(
        &[("1", "600"), ("2", "600")],
        json!({ "admission": "board", "payee": payee() }),
        "2026-01-10T10:00:00+03:00",
    );
    let olga = chairman(&mut host);
    let anna = host.person("Анна Петрова").create();
    let record = admitted_on(
        &mut host,
        &olga,
        &anna,
        ("Петрова Анна Сергеевна", "1", "1"),
        "2026-01-10",
    );

    // Membership dues due 31.03.2026.
    host.set_clock("2026-02-01T10:00:00+03:00");
    let Outcome::Redirect { route, .. } =
        host.at("snt")
            .by(&olga)
            .submit("estimates", "create", &[("title", "Смета на 2026 год")])
    else {
        panic!("no estimate")
    };
    let added = host.at("snt").by(&olga).submit(
        &route,
        "add-line",
        &[
            ("title", "Охрана"),
            ("kind", "membership"),
            ("key", "per_plot"),
            ("amount", "12000"),
            ("basis", "ФЭО п.1"),
        ],
    );
    assert!(added.notice().is_some(), "{added:?}");
    let published =
        host.at("snt")
            .by(&olga)
            .submit(&route, "publish", &[("meeting", "2026-02-15")]);
    assert!(published.notice().is_some(), "{published:?}");
    host.set_clock("2026-02-15T18:00:00+03:00");
    let approved = host.at("snt").by(&olga).submit(
        &route,
        "approve",
        &[
            ("minutes", "Протокол № 1 от 15.02.2026"),
            ("decided_on", "2026-02-15"),
        ],
    );
    assert!(approved.notice().is_some(), "{approved:?}");
    let charged = host
        .at("snt")
        .by(&olga)
        .submit(&route, "charge", &[("due", "2026-03-31")]);
    assert!(charged.notice().is_some(), "{charged:?}");

    host.set_clock("2026-05-20T10:00:00+03:00");
    // A meeting before 01.06.2026 may not expel: the debt is not two months old by then.
    let too_soon = host
        .at("snt")
        .by(&olga)
        .submit(&record, "warn", &[("meeting", "2026-05-31")]);
    assert!(too_soon.error_of("meeting").is_some(), "{too_soon:?}");
    // For the meeting on 15.07.2026 the warning goes by 15.06.2026.
    let warned = host
        .at("snt")
        .by(&olga)
        .submit(&record, "warn", &[("meeting", "2026-07-15")]);
    assert_eq!(
        warned.notice(),
        Some("Предупреждение направлено"),
        "{warned:?}"
    );
    let told = &host.inbox(&anna)[0];
    assert!(
        told["body"].as_str().unwrap().contains("15.07.2026"),
        "{told}"
    );

    host.set_clock("2026-07-15T19:00:00+03:00");
    let expelled = host.at("snt").by(&olga).submit(
        &record,
        "expel",
        &[
            ("meeting", "2026-07-15"),
            ("minutes", "Протокол № 2 от 15.07.2026"),
        ],
    );
    assert_eq!(
        expelled.notice(),
        Some("Решение об исключении внесено и направлено"),
        "{expelled:?}"
    );
    let left = host.events_of("snt.member_left");
    assert_eq!(left.last().unwrap()["person_id"], anna.id.as_str());
    assert_eq!(left.last().unwrap()["reason"], "expelled");
    let told = &host.inbox(&anna)[0];
    assert_eq!(told["title"], "Решение об исключении");
    let mine = host.at("snt").by(&anna).page(&record);
    assert!(mine.shows("Собственник без членства"), "{}", mine.text);
}

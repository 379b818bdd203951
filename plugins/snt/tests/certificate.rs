//! The produce certificate: a member asks for it for their plot, the board issues it numbered in
//! its year, the member is told, and other plugins hear of it (`snt.certificate_issued`), so a
//! neighbour's produce listing can show it.

mod common;

use common::{admitted, chairman, partnership, payee};
use dvor_testkit::Outcome;
use serde_json::json;

#[test]
fn an_issued_produce_certificate_is_numbered_told_and_announced() {
    let mut host = partnership(
        &[("1", "600"), ("2", "600")],
        json!({ "admission": "board", "payee": payee() }),
        "2026-05-20T10:00:00+03:00",
    );
    let olga = chairman(&mut host);
    let anna = host.person("Анна Петрова").create();
    admitted(&mut host, &olga, &anna, "Петрова Анна Сергеевна", "1", "1");

    // Not for a plot that is not hers.
    let other = host.at("snt").plugin("snt").by(&anna).submit(
        "certificates",
        "request",
        &[("plot", "2"), ("year", "2026")],
    );
    assert_eq!(
        other.error_of("plot"),
        Some("Справка выдаётся на ваш участок"),
        "another plot is refused next to its field: {other:?}"
    );

    let asked = host.at("snt").plugin("snt").by(&anna).submit(
        "certificates",
        "request",
        &[("plot", "1"), ("year", "2026")],
    );
    let route = match asked {
        Outcome::Redirect { route, .. } => route,
        other => panic!("not requested: {other:?}"),
    };
    assert!(
        host.events_of("snt.certificate_issued").is_empty(),
        "nothing announced before the board issues it"
    );

    let issued = host
        .at("snt")
        .plugin("snt")
        .by(&olga)
        .submit(&route, "issue", &[]);
    assert_eq!(issued.notice(), Some("Справка выдана"), "{issued:?}");
    let page = host.at("snt").plugin("snt").by(&anna).page(&route);
    assert!(page.shows("Справка № 1"), "{page:?}");

    let told = host.inbox(&anna);
    assert!(
        told.iter().any(|n| n["title"] == "Справка готова"),
        "{told:?}"
    );
    let announced = host.events_of("snt.certificate_issued");
    assert_eq!(announced.len(), 1, "{announced:?}");
    assert_eq!(announced[0]["person_id"], json!(anna.id), "{announced:?}");
    assert_eq!(announced[0]["number"], "1/2026");
    assert_eq!(announced[0]["valid_until"], "2026-12-31");
    assert_eq!(announced[0]["issuer"], "СНТ «Рябинка»");

    // Issued once: the board's page offers no second issue.
    let board_page = host.at("snt").plugin("snt").by(&olga).page(&route);
    assert!(!board_page.shows("Выдать справку"), "{board_page:?}");
    assert_eq!(host.events_of("snt.certificate_issued").len(), 1);
}

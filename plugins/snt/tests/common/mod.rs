//! The partnership the plugin's own tests run in: a town, an SNT with its plots, its board, a
//! chairman, and the plugin with the charter's settings the test names.

#![allow(dead_code)]

use dvor_testkit::{Outcome, Person, Setup, TestHost, this_plugin};
use serde_json::{Value, json};

/// An SNT «Рябинка» in a town, with `plots` (number, area in m²), the plugin's `settings` and the
/// clock at `now`.
pub fn partnership(plots: &[(&str, &str)], settings: Value, now: &str) -> TestHost {
    let mut setup = Setup::new()
        .plugin_with(this_plugin!(), json!({ "settings": settings }))
        .place("town", "Город", "settlement", None)
        .place("snt", "СНТ «Рябинка»", "snt", Some("town"));
    for (number, area) in plots {
        setup = setup.unit("snt", number, "plot", area);
    }
    setup
        .organization("board", "Правление СНТ «Рябинка»", "snt-board", &["snt"])
        .now(now)
        .start()
}

/// The chairman of the board.
pub fn chairman(host: &mut TestHost) -> Person {
    host.person("Ольга Председатель")
        .role("chairman", "snt")
        .create()
}

/// The bank details the partnership's payment QR code carries.
pub fn payee() -> Value {
    json!({
        "name": "СНТ «Рябинка»", "bank_name": "ПАО Сбербанк", "bic": "044525225",
        "account": "40703810938000001234", "corr_account": "30101810400000000225",
        "inn": "5012345678", "kpp": "501201001",
    })
}

/// `person` applies for membership with `plot` from their phone.
pub fn apply(host: &mut TestHost, person: &Person, full_name: &str, plot: &str) -> Outcome {
    host.at("snt").plugin("snt").by(person).submit(
        "apply",
        "apply",
        &[
            ("full_name", full_name),
            ("plot", plot),
            ("postal_address", "141000, Мытищи, ул. Лесная, д. 5"),
            ("consent", "true"),
        ],
    )
}

/// The id at the end of the link of the newest notification of `person` titled `title`.
pub fn linked_id(host: &mut TestHost, person: &Person, title: &str) -> String {
    let inbox = host.inbox(person);
    let found = inbox
        .iter()
        .find(|n| n["title"] == title)
        .unwrap_or_else(|| panic!("no «{title}» in {inbox:?}"));
    found["link"]
        .as_str()
        .and_then(|l| l.rsplit('/').next())
        .unwrap()
        .to_owned()
}

/// `person` applies with `plot` and the board (the charter lets it) admits them with book
/// `book` on 20.05.2026; the route of their record.
pub fn admitted(
    host: &mut TestHost,
    board: &Person,
    person: &Person,
    full_name: &str,
    plot: &str,
    book: &str,
) -> String {
    admitted_on(host, board, person, (full_name, plot, book), "2026-05-20")
}

/// [`admitted`] with the decision on `decided_on`.
pub fn admitted_on(
    host: &mut TestHost,
    board: &Person,
    person: &Person,
    (full_name, plot, book): (&str, &str, &str),
    decided_on: &str,
) -> String {
    let sent = apply(host, person, full_name, plot);
    assert_eq!(
        sent.notice(),
        Some("Заявление отправлено в правление"),
        "{sent:?}"
    );
    let id = linked_id(host, board, "Заявление о вступлении");
    let admitted = host.at("snt").plugin("snt").by(board).submit(
        &format!("application/{id}"),
        "admit",
        &[
            ("decided_on", decided_on),
            ("book_number", book),
            ("minutes", ""),
        ],
    );
    match admitted {
        Outcome::Redirect { route, .. } => route,
        other => panic!("not admitted: {other:?}"),
    }
}

/// Every QR code's text on a page's tree.
pub fn qr_texts(tree: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_qr(tree, &mut found);
    found
}

fn collect_qr(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("Qr", Value::String(text)) => found.push(text.clone()),
                    _ => collect_qr(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_qr(v, found)),
        _ => {}
    }
}

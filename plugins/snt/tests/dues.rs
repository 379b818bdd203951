//! The estimate and the dues through the plugin (217-ФЗ ст.14, RULES §7 S1–S3): the board drafts
//! the estimate with its allocation keys, publishes it for the meeting, records the meeting's
//! approval and charges every plot; a member and a non-member owner owe the same, each sees the
//! computation sheet traced to the kopeck and pays by the payment QR code, which the board reads
//! back to record the payment.

mod common;

use common::{admitted, chairman, partnership, payee, qr_texts};
use dvor_testkit::{Outcome, TestHost};
use serde_json::json;

/// S1 scaled to three plots: 600, 600 and 1 200 m² (2 400 m² in all).
fn snt() -> TestHost {
    partnership(
        &[("1", "600"), ("2", "600"), ("3", "1200")],
        json!({ "admission": "board", "payee": payee() }),
        "2026-05-20T10:00:00+03:00",
    )
}

fn line(host: &mut TestHost, board: &dvor_testkit::Person, route: &str, fields: &[(&str, &str)]) {
    let added = host.at("snt").by(board).submit(route, "add-line", fields);
    assert_eq!(added.notice(), Some("Строка добавлена"), "{added:?}");
}

#[test]
fn dues_from_the_approved_estimate_are_traced_to_the_kopeck_and_paid_by_the_qr_code() {
    let mut host = snt();
    let olga = chairman(&mut host);
    let anna = host.person("Анна Петрова").create();
    admitted(&mut host, &olga, &anna, "Петрова Анна Сергеевна", "1", "12");
    // A non-member owner of plot 2 (S3).
    let vera = host.person("Вера Соседова").owns("snt/2").create();

    let created =
        host.at("snt")
            .by(&olga)
            .submit("estimates", "create", &[("title", "Смета на 2026 год")]);
    let Outcome::Redirect { route, .. } = created else {
        panic!("{created:?}")
    };
    line(
        &mut host,
        &olga,
        &route,
        &[
            ("title", "Охрана"),
            ("kind", "membership"),
            ("key", "per_plot"),
            ("amount", "9000"),
            ("basis", "ФЭО п.1: договор с ЧОП, 750 ₽ в месяц"),
        ],
    );
    line(
        &mut host,
        &olga,
        &route,
        &[
            ("title", "Ремонт дороги"),
            ("kind", "membership"),
            ("key", "plot_area"),
            ("amount", "28800"),
            ("basis", "ФЭО п.2: смета подрядчика"),
        ],
    );
    // S2: 100 000 ₽ per plot over three plots leaves a kopeck.
    line(
        &mut host,
        &olga,
        &route,
        &[
            ("title", "Водопровод"),
            ("kind", "target"),
            ("purpose", "Водопровод"),
            ("key", "per_plot"),
            ("amount", "100000"),
            ("basis", "ФЭО п.3: проект водопровода"),
        ],
    );
    // A line without its basis is refused next to the field.
    let bare = host.at("snt").by(&olga).submit(
        &route,
        "add-line",
        &[
            ("title", "Прочее"),
            ("kind", "membership"),
            ("key", "per_plot"),
            ("amount", "100"),
            ("basis", ""),
        ],
    );
    assert!(bare.error_of("basis").is_some(), "{bare:?}");

    // Members do not see a draft; the draft is published at least 7 days before the meeting.
    assert!(
        !host
            .at("snt")
            .by(&anna)
            .page("estimates")
            .shows("Смета на 2026 год")
    );
    let early = host
        .at("snt")
        .by(&olga)
        .submit(&route, "publish", &[("meeting", "2026-05-25")]);
    assert!(early.error_of("meeting").is_some(), "{early:?}");
    let published =
        host.at("snt")
            .by(&olga)
            .submit(&route, "publish", &[("meeting", "2026-06-01")]);
    assert_eq!(
        published.notice(),
        Some("Проект сметы опубликован"),
        "{published:?}"
    );
    assert!(
        host.at("snt")
            .by(&anna)
            .page("estimates")
            .shows("Смета на 2026 год")
    );

    host.set_clock("2026-06-01T18:00:00+03:00");
    let approved = host.at("snt").by(&olga).submit(
        &route,
        "approve",
        &[
            ("minutes", "Протокол № 3 от 01.06.2026"),
            ("decided_on", "2026-06-01"),
        ],
    );
    assert_eq!(approved.notice(), Some("Смета утверждена"), "{approved:?}");
    let charged = host
        .at("snt")
        .by(&olga)
        .submit(&route, "charge", &[("due", "2026-07-01")]);
    assert_eq!(charged.notice(), Some("Взносы начислены"), "{charged:?}");
    let estimate = host.at("snt").by(&olga).page(&route);
    assert!(
        estimate.shows("0,01 ₽"),
        "the rounding remainder: {}",
        estimate.text
    );
    assert_eq!(host.events_of("snt.dues_charged").len(), 1);

    // S1: a 600 m² plot's membership dues are 3 000 + 600 × 12 = 10 200 ₽; the target dues
    // 33 333,33 ₽ (S2).
    let plot = host.at("snt").by(&anna).page("plot/1");
    assert!(plot.shows("10 200,00 ₽"), "{}", plot.text);
    assert!(plot.shows("33 333,33 ₽"), "{}", plot.text);
    assert!(plot.shows("01.07.2026"));
    // S3: the non-member owner of a 600 m² plot pays the same.
    let hers = host.at("snt").by(&vera).page("plot/2");
    assert!(hers.shows("10 200,00 ₽"), "{}", hers.text);
    // A 1 200 m² plot: 17 400 ₽; and nobody else's plot is open to a member.
    assert!(host.at("snt").by(&olga).page("plot/3").shows("17 400,00 ₽"));
    assert_eq!(host.at("snt").by(&anna).page("plot/3").status(), 403);

    // The computation sheet traces every kopeck to its line, key, basis and minutes.
    let estimate_id = route.rsplit('/').next().unwrap();
    let sheet = host
        .at("snt")
        .by(&anna)
        .page(&format!("sheet/{estimate_id}/1"));
    for shown in [
        "Охрана",
        "9 000,00 ₽ с участка 1 3 000 3 000",
        "Ремонт дороги ФЭО п.2: смета подрядчика 28 800,00 ₽ с м² участка 600 12 7 200",
        "Утверждена протоколом Протокол № 3 от 01.06.2026",
        "Итого к оплате 10 200,00 ₽",
        "33 333,3333",
        "Итого к оплате 33 333,33 ₽",
        "Остаток округления по товариществу: 0,01 ₽",
    ] {
        assert!(sheet.shows(shown), "«{shown}» on the sheet: {}", sheet.text);
    }

    // The member's home tile says what is owed in all, and by when.
    let tile = host.at("snt").by(&anna).tile(true).expect("a tile");
    assert_eq!(tile["title"], "Взносы в СНТ");
    assert_eq!(
        tile["lines"][0], "К оплате: 43\u{a0}533,33\u{a0}₽",
        "{tile}"
    );
    assert_eq!(tile["lines"][1], "Оплатить до 01.07.2026", "{tile}");

    // The QR code of the membership dues: ГОСТ Р 56042, the sum in kopecks, the plot's account.
    let qr = qr_texts(&plot.tree);
    let membership = qr
        .iter()
        .find(|t| t.contains("Sum=1020000"))
        .unwrap_or_else(|| panic!("no QR code of 10 200 ₽ in {qr:?}"));
    assert!(
        membership.starts_with("ST00012|Name=СНТ «Рябинка»|"),
        "{membership}"
    );
    assert!(membership.contains("|PersAcc=1-Ч"), "{membership}");
    assert!(membership.contains("|PersonalAcc=40703810938000001234|"));

    // The board reads the QR code from the bill the bank paid: the payment is recorded once.
    host.set_clock("2026-06-05T12:00:00+03:00");
    let scanned = host.at("snt").by(&olga).submit(
        "payments",
        "scan",
        &[
            ("qr", membership),
            ("date", "2026-06-05"),
            ("reference", "777"),
        ],
    );
    assert!(scanned.notice().is_some(), "{scanned:?}");
    let paid = host.events_of("snt.dues_paid");
    assert_eq!(paid.len(), 1, "{paid:?}");
    assert_eq!(paid[0]["person_id"], anna.id.as_str());
    assert_eq!(paid[0]["plot"], "1");
    let plot = host.at("snt").by(&anna).page("plot/1");
    assert!(plot.shows("Оплачено"), "{}", plot.text);
    assert!(
        plot.shows("Как посчитана сумма — до копейки"),
        "{}",
        plot.text
    );
    assert!(
        qr_texts(&plot.tree)
            .iter()
            .all(|t| !t.contains("Sum=1020000"))
    );
    let again = host.at("snt").by(&olga).submit(
        "payments",
        "scan",
        &[
            ("qr", membership),
            ("date", "2026-06-05"),
            ("reference", "777"),
        ],
    );
    assert!(
        again.notice().is_some_and(|n| n.contains("уже")),
        "{again:?}"
    );
    assert_eq!(host.events_of("snt.dues_paid").len(), 1);
}

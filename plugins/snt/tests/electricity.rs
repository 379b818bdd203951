//! Electricity through the plugin (RULES §7 S4, scaled to three plots): the board enters the
//! meters, the plots send their readings in the window, the monthly balance of the transformer
//! finds the losses, shares them by consumption as the meeting chose, and bills each plot at the
//! tariff with no markup.

mod common;

use common::{chairman, partnership, payee};
use dvor_testkit::{Person, TestHost};
use serde_json::json;

fn meter(host: &mut TestHost, board: &Person, fields: &[(&str, &str)]) {
    let added = host
        .at("snt")
        .by(board)
        .submit("electricity", "add-meter", fields);
    assert_eq!(added.notice(), Some("Счётчик добавлен"), "{added:?}");
}

fn reading(host: &mut TestHost, who: &Person, meter: &str, value: &str, period: Option<&str>) {
    let mut fields = vec![("meter", meter), ("value", value)];
    if let Some(period) = period {
        fields.push(("period", period));
    }
    let sent = host
        .at("snt")
        .by(who)
        .submit("electricity", "reading", &fields);
    assert_eq!(
        sent.notice(),
        Some("Показание принято"),
        "{meter} {value}: {sent:?}"
    );
}

#[test]
fn losses_are_shared_by_consumption_and_billed_at_the_tariff() {
    let mut host = partnership(
        &[("1", "600"), ("2", "600"), ("3", "600")],
        json!({
            "payee": payee(),
            "electricity": {
                "sharing": "by_consumption", "direct_contract_plots_share_losses": true,
                "tariffs": [{ "from": "2026-01-01", "tariff": 538 }],
                "reading_window": { "from_day": 20, "to_day": 26 }, "jump_factor": 5,
            },
        }),
        "2026-04-25T10:00:00+03:00",
    );
    let olga = chairman(&mut host);
    let anna = host.person("Анна Петрова").owns("snt/1").create();
    meter(
        &mut host,
        &olga,
        &[
            ("kind", "boundary"),
            ("transformer", "ТП-1"),
            ("serial", "Г-1"),
        ],
    );
    meter(
        &mut host,
        &olga,
        &[
            ("kind", "common"),
            ("transformer", "ТП-1"),
            ("name", "Освещение улиц"),
        ],
    );
    for plot in ["1", "2", "3"] {
        meter(
            &mut host,
            &olga,
            &[("kind", "plot"), ("transformer", "ТП-1"), ("plot", plot)],
        );
    }
    let boundary = "snt:meter:boundary:ТП-1";
    let lighting = "snt:meter:common:ТП-1:освещение улиц";
    let plot = |n: &str| format!("snt:meter:plot:{n}");

    // April's readings start the meters; May's give the month's use: the plots 350 + 400 +
    // 300 = 1 050 kWh, the lighting 30, the boundary meter 1 200 — 120 kWh lost.
    reading(&mut host, &anna, &plot("1"), "1000", None);
    for (meter, value) in [
        (plot("2"), "2000"),
        (plot("3"), "3000"),
        (boundary.into(), "5000"),
        (lighting.into(), "100"),
    ] {
        reading(&mut host, &olga, &meter, value, Some("2026-04"));
    }
    host.set_clock("2026-05-22T10:00:00+03:00");
    // A reading below the last is refused.
    let backwards = host.at("snt").by(&anna).submit(
        "electricity",
        "reading",
        &[("meter", &plot("1")), ("value", "900")],
    );
    assert!(backwards.error_of("value").is_some(), "{backwards:?}");
    reading(&mut host, &anna, &plot("1"), "1350", None);
    for (meter, value) in [
        (plot("2"), "2400"),
        (plot("3"), "3300"),
        (boundary.into(), "6200"),
        (lighting.into(), "130"),
    ] {
        reading(&mut host, &olga, &meter, value, Some("2026-05"));
    }
    // Outside the window (the 20th to the 26th) a plot's reading is refused.
    host.set_clock("2026-06-01T10:00:00+03:00");
    let early = host.at("snt").by(&anna).submit(
        "electricity",
        "reading",
        &[("meter", &plot("1")), ("value", "1400")],
    );
    assert!(
        early
            .error_of("value")
            .is_some_and(|m| m.contains("Показания принимаются с числа по число месяца: 20–26")),
        "outside the window: {early:?}"
    );
    assert!(!host.events_of("snt.reading_submitted").is_empty());

    let billed = host.at("snt").by(&olga).submit(
        "electricity",
        "balance",
        &[
            ("transformer", "ТП-1"),
            ("period", "2026-05"),
            ("due", "2026-06-20"),
        ],
    );
    assert_eq!(
        billed.notice(),
        Some("Счета выставлены участкам: 3"),
        "{billed:?}"
    );
    let dvor_testkit::Outcome::Redirect { route, .. } = billed else {
        unreachable!()
    };
    let balance = host.at("snt").by(&olga).page(&route);
    for shown in ["1 200", "1 050", "120"] {
        assert!(
            balance.shows(shown),
            "«{shown}» in the balance: {}",
            balance.text
        );
    }
    // S4: the plot that used 350 kWh pays for 350 + 40 = 390 kWh × 5,38 ₽ = 2 098,20 ₽.
    let page = host.at("snt").by(&anna).page("plot/1");
    assert!(page.shows("Электроэнергия"), "{}", page.text);
    assert!(page.shows("2 098,20 ₽"), "{}", page.text);
    // 400 kWh + 45,71… of the losses: 445,71… × 5,38 = 2 397,94 ₽.
    assert!(host.at("snt").by(&olga).page("plot/2").shows("2 397,94 ₽"));
}

//! The partnership as a whole through the plugin: the demo's first upkeep run seeds the register
//! and an estimate charged to every plot; an emergency alert reaches every plot's people with
//! high urgency (SMS) and shows on the SNT's home tile; the published debtor list names plots
//! and amounts, never people.

mod common;

use common::{chairman, partnership, payee};
use serde_json::json;

#[test]
fn the_demo_register_an_alert_to_every_plot_and_the_debtor_list() {
    let mut host = partnership(
        &[("1", "600"), ("2", "600"), ("3", "800"), ("4", "1200")],
        json!({ "demo": true, "payee": payee(), "debtor_list": { "min_amount": 100, "min_days_overdue": 0 } }),
        "2026-05-20T10:00:00+03:00",
    );
    let olga = chairman(&mut host);
    // The owner of plot 4 is not in the register: the host knows her as its owner.
    let zoya = host.person("Зоя Новосёлова").owns("snt/4").create();
    let stranger = host.person("Посторонний").create();

    host.run_job("upkeep", "snt");
    let register = host.at("snt").by(&olga).page("register");
    assert!(
        register.shows("Петрова Анна Сергеевна"),
        "{}",
        register.text
    );
    assert!(register.shows("Кузнецова Мария Викторовна"));
    assert!(register.shows("Членов: 2"), "{}", register.text);
    // A second run seeds nothing twice.
    host.run_job("upkeep", "snt");
    assert!(host.at("snt").by(&olga).page("register").shows("Членов: 2"));
    let plot = host.at("snt").by(&zoya).page("plot/4");
    assert!(plot.shows("Членские взносы"), "{}", plot.text);
    assert!(
        plot.shows("Как посчитана сумма — до копейки"),
        "{}",
        plot.text
    );

    // An emergency goes to every plot's people with high urgency, and waits on the home tile.
    let sent = host.at("snt").by(&olga).submit(
        "notices",
        "announce",
        &[
            ("title", "Отключение воды"),
            ("text", "Авария на водопроводе: воды не будет до 18:00"),
            ("emergency", "true"),
        ],
    );
    assert!(sent.notice().is_some(), "{sent:?}");
    let told = host.inbox(&zoya);
    let alert = told
        .iter()
        .find(|n| n["title"] == "Срочно")
        .unwrap_or_else(|| panic!("{told:?}"));
    assert!(
        alert["body"].as_str().unwrap().contains("Отключение воды"),
        "{alert}"
    );
    assert_eq!(alert["urgency"], "high", "{alert}");
    assert!(host.inbox(&stranger).is_empty(), "only the plots' people");
    let tile = host.at("snt").tile(false).expect("the SNT's tile");
    // (The demo's announcement was posted at the same stopped clock, so the order is either.)
    let lines = tile["lines"].as_array().unwrap();
    assert!(lines.iter().any(|l| l == "Отключение воды"), "{tile}");
    assert_eq!(tile["count"], 2, "{tile}");
    assert_eq!(tile["tone"], "Danger", "{tile}");

    // Past the due date the debtor list shows plots and amounts only.
    host.set_clock("2026-08-01T10:00:00+03:00");
    let debtors = host.at("snt").by(&zoya).page("debtors");
    assert_eq!(debtors.status(), 200, "{debtors:?}");
    assert!(debtors.shows("Участок Долг"), "{}", debtors.text);
    assert!(!debtors.shows("Должников нет"), "{}", debtors.text);
    assert!(!debtors.shows("Новосёлова"), "{}", debtors.text);
    assert!(!debtors.shows("Кузнецова"), "{}", debtors.text);
    assert!(!debtors.shows("Петрова"), "{}", debtors.text);
    assert_eq!(host.at("snt").by(&stranger).page("debtors").status(), 403);
}

//! The place every `feed` test starts from: a town with two houses and their management
//! company. House 1 has twelve flats in two entrances (1–6 and 7–12) and a shop; house 2 has
//! three flats. The clock stands at 1 June 2026, 10:00 in Moscow.

#![allow(dead_code)]

use dvor_testkit::{Person, Setup, TestHost, this_plugin};
use serde_json::{Value, json};

/// The town with `settings` for the plugin.
pub fn town(settings: Value) -> TestHost {
    let mut setup = Setup::new()
        .plugin_with(this_plugin!(), json!({ "settings": settings }))
        .place("town", "Город", "settlement", None)
        .place("house-1", "ул. Садовая, 1", "house", Some("town"))
        .place("house-2", "ул. Садовая, 3", "house", Some("town"))
        .organization(
            "uk",
            "УК «Садовая»",
            "management-company",
            &["house-1", "house-2"],
        )
        .now("2026-06-01T10:00:00+03:00");
    for n in 1..=12 {
        setup = setup.unit_with(json!({
            "community": "house-1",
            "number": n.to_string(),
            "kind": "apartment",
            "area": "50",
            "entrance": if n <= 6 { "1" } else { "2" },
            "floor": (n - 1) % 6 + 1,
        }));
    }
    setup = setup.unit("house-1", "Н1", "non-residential", "80");
    for n in 1..=3 {
        setup = setup.unit("house-2", &n.to_string(), "apartment", "40");
    }
    setup.start()
}

/// Settings under which a new member's posts go straight out (most tests are not about that).
pub fn trusting() -> Value {
    json!({ "gate": { "first_posts_held": 0 } })
}

/// A resident and verified owner of flat `flat` of `house`.
pub fn neighbour(host: &mut TestHost, name: &str, house: &str, flat: &str) -> Person {
    host.person(name)
        .resident(house)
        .owns(&format!("{house}/{flat}"))
        .create()
}

/// The house-1 neighbours of the stories: Анна (7) and Борис (8) in entrance 2, Вера (1) and
/// Глеб (2) in entrance 1.
pub struct House {
    pub anna: Person,
    pub boris: Person,
    pub vera: Person,
    pub gleb: Person,
}

/// Make the neighbours, have each open the feed once (the day their time in the house starts),
/// and let `days` pass.
pub fn house(host: &mut TestHost, days: u64) -> House {
    let house = House {
        anna: neighbour(host, "Анна Петрова", "house-1", "7"),
        boris: neighbour(host, "Борис Ёлкин", "house-1", "8"),
        vera: neighbour(host, "Вера Лаптева", "house-1", "1"),
        gleb: neighbour(host, "Глеб Сомов", "house-1", "2"),
    };
    for p in [&house.anna, &house.boris, &house.vera, &house.gleb] {
        let page = host.at("house-1").by(p).page("");
        assert_eq!(page.status(), 200, "{:?}", page.error);
    }
    host.advance(std::time::Duration::from_secs(days * 86_400));
    house
}

/// A moderator of house 1.
pub fn moderator(host: &mut TestHost) -> Person {
    host.person("Ольга Модерова")
        .role("moderator", "house-1")
        .create()
}

/// A moderator of the whole town.
pub fn town_moderator(host: &mut TestHost) -> Person {
    host.person("Сергей Городов")
        .role("moderator", "town")
        .create()
}

/// An operator of the management company.
pub fn operator(host: &mut TestHost) -> Person {
    host.person("Ирина Операторова")
        .staff("operator", "uk")
        .create()
}

/// `who` posts news titled `title` at `place` through the page's form; the post's id.
pub fn post(
    host: &mut TestHost,
    place: &str,
    who: &Person,
    kind: &str,
    title: &str,
    text: &str,
) -> String {
    let outcome = host.at(place).by(who).submit(
        "new",
        "create-post",
        &[("type", kind), ("title", title), ("text", text)],
    );
    match outcome {
        dvor_testkit::Outcome::Redirect { route, .. } => route
            .strip_prefix("posts/")
            .unwrap_or_else(|| panic!("a post's page: {route}"))
            .to_owned(),
        other => panic!("the post was not made: {other:?}"),
    }
}

/// The moderator's queue, as JSON.
pub fn queue(host: &mut TestHost, place: &str, moderator: &Person) -> Value {
    let answer = host.at(place).by(moderator).get("moderation");
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json
}

/// The titles and texts of a person's notifications, newest first.
pub fn inbox(host: &mut TestHost, who: &Person) -> Vec<String> {
    host.inbox(who)
        .into_iter()
        .map(|n| {
            format!(
                "{} — {}",
                n["title"].as_str().unwrap_or(""),
                n["body"].as_str().unwrap_or("")
            )
        })
        .collect()
}

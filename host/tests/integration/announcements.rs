//! Announcements on a place's home page, on both engines: the admin publishes for the town and
//! for a house through the admin page's form, bad input comes back next to its field, a resident
//! may not publish, a house shows its own and the town's (another house only the town's), the
//! people of the place are told in their inbox, and taking one down removes it; the same over
//! the JSON API.

use crate::common;

use common::server::{ADMIN_PHONE, Answer, Client, Served};
use serde_json::json;

const FORM: &str = "application/x-www-form-urlencoded";

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn announce(client: &Client, place: &str, pairs: &[(&str, &str)]) -> Answer {
    client
        .post_body(
            &format!("/admin/c/{place}?action=announce"),
            FORM,
            &form(pairs),
        )
        .await
}

/// A date `days` from today in the instance's time (Moscow), as the date field sends it.
fn day_from_today(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(3) + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn managers_publish_and_the_places_inside_show_them() {
    for served in common::server::serve_all("").await {
        check(&served).await;
    }
}

async fn check(served: &Served) {
    let engine = served.engine;
    let admin = served.sign_in(ADMIN_PHONE, "Ольга", "Админова").await;
    let anna = served.sign_in("+79161110001", "Анна", "Жильцова").await;
    let anna_id = anna.person.clone().unwrap();
    served
        .grant(&anna_id, "resident", Some("house-1"), None)
        .await;

    let town = announce(
        &admin,
        "town",
        &[
            ("title", "Отключение воды во вторник"),
            ("text", "С 9 до 17 часов на всех улицах"),
            ("until", ""),
        ],
    )
    .await;
    assert_eq!(town.status, 303, "{engine}: {town:?}");

    // Bad input: next to its field, and nothing published.
    let past = announce(
        &admin,
        "house-1",
        &[
            ("title", "Собрание"),
            ("text", "В субботу"),
            ("until", &day_from_today(-1)),
        ],
    )
    .await;
    assert_eq!(past.status, 422, "{engine}: {past:?}");
    assert!(past.text.contains("Дата окончания уже прошла"), "{engine}");
    let untitled = announce(&admin, "house-1", &[("title", " "), ("text", "В субботу")]).await;
    assert_eq!(untitled.status, 422, "{engine}");
    assert!(untitled.text.contains("Заполните это поле"), "{engine}");
    assert!(
        untitled.text.contains("В субботу"),
        "{engine}: the text typed is kept"
    );

    let house = announce(
        &admin,
        "house-1",
        &[
            ("title", "Собрание собственников в субботу"),
            ("text", "Во дворе, в 12:00. Повестка — на доске у подъезда."),
            ("until", &day_from_today(1)),
        ],
    )
    .await;
    assert_eq!(house.status, 303, "{engine}: {house:?}");

    // A resident is not a manager.
    let refused = announce(
        &anna,
        "house-1",
        &[("title", "Продам гараж"), ("text", "Недорого")],
    )
    .await;
    assert_eq!(refused.status, 403, "{engine}: {refused:?}");

    let page = served.client().get("/c/house-1").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("Собрание собственников в субботу"),
        "{engine}"
    );
    assert!(page.text.contains("Отключение воды во вторник"), "{engine}");
    assert!(
        page.text.contains(">Город · "),
        "{engine}: the town's says who published it: the town"
    );
    assert!(!page.text.contains("Продам гараж"), "{engine}");
    let other = served.client().get("/c/house-2").await;
    assert!(
        other.text.contains("Отключение воды во вторник"),
        "{engine}"
    );
    assert!(!other.text.contains("Собрание собственников"), "{engine}");

    let told = anna.inbox_texts().await;
    for title in [
        "Объявление: Собрание собственников в субботу",
        "Объявление: Отключение воды во вторник",
    ] {
        assert!(
            told.iter().any(|t| t.starts_with(title)),
            "{engine}: {told:?}"
        );
    }

    // The managers see theirs and take one down.
    let admin_page = admin.get("/admin/c/house-1").await;
    let id = admin_page
        .text
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a take-down button carries the announcement's id")
        .to_owned();
    let down = admin
        .post_body(
            "/admin/c/house-1?action=take_down",
            FORM,
            &form(&[("id", &id)]),
        )
        .await;
    assert_eq!(down.status, 303, "{engine}: {down:?}");
    let page = served.client().get("/c/house-1").await;
    assert!(!page.text.contains("Собрание собственников"), "{engine}");
    assert!(page.text.contains("Отключение воды во вторник"), "{engine}");

    // The JSON API: anyone reads; managers publish and take down; errors name the field.
    let api = "/api/communities/house-1/announcements";
    let listed = served.client().get(api).await;
    let titles: Vec<&str> = listed
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert_eq!(titles, ["Отключение воды во вторник"], "{engine}");
    let admin_id = admin.person.clone().unwrap();
    assert!(
        !listed.text.contains(&admin_id),
        "{engine}: who published is not everyone's to know: {}",
        listed.text
    );
    let described = served.client().get("/api/openapi.json").await;
    let properties = &described.json["components"]["schemas"]["Announcement"]["properties"];
    assert!(
        properties.get("title").is_some() && properties.get("author_id").is_none(),
        "{engine}: nor described: {}",
        described.json["components"]["schemas"]["Announcement"]
    );
    let bad = admin
        .post(
            api,
            json!({ "title": "Субботник", "text": "В субботу", "until": "завтра" }),
        )
        .await;
    assert_eq!(
        (bad.status, bad.field()),
        (400, Some("until")),
        "{engine}: {bad:?}"
    );
    let refused = anna
        .post(api, json!({ "title": "Продам гараж", "text": "Недорого" }))
        .await;
    assert_eq!(refused.status, 403, "{engine}: {refused:?}");
    let made = admin
        .post(
            api,
            json!({ "title": "Субботник", "text": "В субботу в 10:00", "until": day_from_today(3) }),
        )
        .await;
    assert_eq!(made.status, 201, "{engine}: {made:?}");
    let id = made.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        served.client().get(api).await.json[0]["title"],
        "Субботник",
        "{engine}"
    );
    let gone = admin.delete(&format!("{api}/{id}"), None).await;
    assert_eq!(gone.status, 204, "{engine}: {gone:?}");
    let again = admin.delete(&format!("{api}/{id}"), None).await;
    assert_eq!(again.status, 404, "{engine}: {again:?}");
    assert_eq!(
        served
            .client()
            .get("/api/communities/nowhere/announcements")
            .await
            .status,
        404,
        "{engine}"
    );
}

/// One list on the house's page: the management company's outage (published in housing) and
/// the administration's announcement (the host's), the outage first, each with who published
/// it and its dates; housing's tile no longer repeats them.
#[tokio::test]
async fn the_house_page_shows_one_list_of_announcements_urgent_first() {
    let config = crate::housing::housing_config((1, 31));
    for served in common::server::serve_all(&config).await {
        let engine = served.engine;
        let official = served.sign_in("+79161110031", "Игорь", "Чиновников").await;
        served
            .grant(
                official.person.as_deref().unwrap(),
                "official",
                None,
                Some("admin-town"),
            )
            .await;
        let operator = crate::housing::staff(&served, "+79161110032", "Нина", "operator").await;
        let town = announce(
            &official,
            "town",
            &[
                ("title", "Субботник в субботу"),
                ("text", "Сбор у школы в 10:00"),
            ],
        )
        .await;
        assert_eq!(town.status, 303, "{engine}: {town:?}");
        let (from, until) = (day_from_today(1), day_from_today(2));
        let outage = operator
            .post(
                "/api/c/house-1/p/housing/announcements",
                json!({
                    "kind": "outage",
                    "title": "Отключение горячей воды",
                    "text": "Ремонт теплотрассы",
                    "from": from,
                    "until": until,
                }),
            )
            .await;
        assert_eq!(outage.status, 201, "{engine}: {outage:?}");

        let page = served.client().get("/c/house-1").await;
        assert_eq!(page.status, 200, "{engine}");
        let list = page
            .text
            .split("aria-labelledby=\"news\"")
            .nth(1)
            .and_then(|rest| rest.split("</section>").next())
            .expect("the announcements' section");
        let outage_at = list
            .find("Отключение горячей воды")
            .expect("the outage is listed");
        let town_at = list
            .find("Субботник в субботу")
            .expect("the town's is listed");
        assert!(
            outage_at < town_at,
            "{engine}: the outage comes first: {list}"
        );
        assert!(
            list.contains("УК «Городская»"),
            "{engine}: who published the outage"
        );
        assert!(
            list.contains("Администрация города"),
            "{engine}: who published the town's: {list}"
        );
        let day = |iso: &str| {
            let d = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap();
            d.format("%d.%m.%Y").to_string()
        };
        assert!(
            list.contains(&format!("с {} по {}", day(&from), day(&until))),
            "{engine}: the outage's dates in Russian: {list}"
        );
        assert!(!list.contains("Нина"), "{engine}: not the operator's name");
        assert_eq!(
            page.text.matches("Отключение горячей воды").count(),
            1,
            "{engine}: no second list (housing's tile does not repeat it)"
        );
    }
}

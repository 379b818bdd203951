//! `promos` in the real dvor runtime (the test kit): a town with three houses, a bakery that
//! registers, is verified and publishes an offer for one house, residents who take coupons,
//! a cashier who redeems them, the business's view of its audience, reviews with their
//! moderation, and specialists in the marketplace — RULES §9's cases through the plugin.

use std::time::Duration;

use dvor_testkit::{Outcome, Person, Setup, TestHost, this_plugin};
use serde_json::{Value, json};

const NOW: &str = "2026-06-01T10:00:00+03:00";

/// A town with three houses; `house-1` and `house-2` with flats 1 to 12, `house-3` with 1 to 3.
fn town() -> TestHost {
    let mut setup = Setup::new()
        .plugin(this_plugin!())
        .place("town", "Лесной", "settlement", None)
        .place("house-1", "ул. Садовая, 1", "house", Some("town"))
        .place("house-2", "ул. Садовая, 3", "house", Some("town"))
        .place("house-3", "ул. Лесная, 7", "house", Some("town"))
        .place("street", "Торговая улица", "district", Some("town"))
        .organization("kolosok", "Пекарня «Колосок»", "business", &["street"]);
    for n in 1..=12 {
        setup = setup.unit("house-1", &n.to_string(), "apartment", "50");
        setup = setup.unit("house-2", &n.to_string(), "apartment", "50");
    }
    for n in 1..=3 {
        setup = setup.unit("house-3", &n.to_string(), "apartment", "50");
    }
    setup.now(NOW).start()
}

/// A resident owning flat `flat` of `house`.
fn resident(host: &mut TestHost, name: &str, house: &str, flat: u32) -> Person {
    host.person(name)
        .resident(house)
        .owns(&format!("{house}/{flat}"))
        .create()
}

fn ok(answer: &dvor_testkit::Answer, what: &str) -> Value {
    assert!(
        (200..300).contains(&answer.status),
        "{what}: {} {}",
        answer.status,
        answer.body
    );
    answer.json.clone()
}

/// The bakery registered at the town by `owner`, approved by `admin`, with one branch on the
/// shopping street; its id.
fn bakery(host: &mut TestHost, owner: &Person, admin: &Person) -> String {
    let made = host.at("town").by(owner).post(
        "businesses",
        json!({
            "kind": "shop", "name": "Пекарня «Колосок»", "legal_name": "ООО «Колосок»",
            "inn": "7707083893", "ogrn": "1027700132195", "categories": ["bakery"],
            "phone": "+7 900 555-01-01",
        }),
    );
    let id = ok(&made, "register")["id"].as_str().unwrap().to_owned();
    let approved = host.at("town").by(admin).post(
        &format!("businesses/{id}/decision"),
        json!({ "decision": "approve" }),
    );
    ok(&approved, "approve");
    let branch = host.at("town").by(owner).post(
        &format!("businesses/{id}/branches"),
        json!({
            "name": "Пекарня на Торговой", "address": "Торговая улица, 5",
            "point": "56.0112,37.4835", "hours": "Ежедневно 7:00–21:00",
        }),
    );
    ok(&branch, "branch");
    id
}

/// An offer of `business` for `house-1`, limited to `limit`; its id.
fn offer(host: &mut TestHost, owner: &Person, business: &str, limit: Option<u32>) -> String {
    let made = host.at("town").by(owner).post(
        &format!("businesses/{business}/offers"),
        json!({
            "title": "−20 % на выпечку после 19:00",
            "terms": "Скидка 20 % на всю выпечку с 19:00 по купону.",
            "starts": "2026-06-01", "ends": "2026-06-30",
            "audience": "houses", "houses": ["house-1"], "limit": limit,
        }),
    );
    ok(&made, "offer")["id"].as_str().unwrap().to_owned()
}

/// A cashier of the bakery: an executor of its organization, once it is linked.
fn cashier(host: &mut TestHost, owner: &Person, business: &str) -> Person {
    let cashier = host.person("Ирина Кассирова").create();
    let invite = host.at("town").by(owner).post(
        &format!("businesses/{business}/invites"),
        json!({ "redeem": true }),
    );
    let code = ok(&invite, "invite")["code"].as_str().unwrap().to_owned();
    let joined = host
        .at("town")
        .by(&cashier)
        .submit("join", "join", &[("code", &code)]);
    assert!(
        joined.notice().is_some_and(|n| n.contains("Колосок")),
        "{joined:?}"
    );
    cashier
}

/// The digits `person`'s coupon for `offer` shows now.
fn digits(host: &mut TestHost, person: &Person, offer: &str) -> (String, String) {
    let answer = host
        .at("house-1")
        .by(person)
        .post(&format!("offers/{offer}/coupon"), json!({}));
    let body = ok(&answer, "coupon");
    (
        body["coupon"].as_str().unwrap().to_owned(),
        body["digits"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn rules_s9_registration_checks_inn_and_ogrn_then_an_admin_approves() {
    let mut host = town();
    // The town's admin (an instance admin may decide too, but is not notified: the host
    // names no one for an instance-wide role).
    let admin = host
        .person("Администратор Города")
        .role("admin", "town")
        .create();
    let owner = host.person("Пётр Колосов").create();
    let anna = resident(&mut host, "Анна Петрова", "house-1", 12);
    let form = |inn: &'static str, ogrn: &'static str, kind: &'static str| {
        vec![
            ("kind", kind),
            ("name", "Пекарня «Колосок»"),
            ("legal_name", "ООО «Колосок»"),
            ("inn", inn),
            ("ogrn", ogrn),
            (
                "categories",
                if kind == "shop" { "bakery" } else { "plumbing" },
            ),
        ]
    };
    // 7707083894 and 500100732258 fail their check digits: the error is next to the ИНН.
    let bad = host.at("town").by(&owner).submit(
        "register",
        "register",
        &form("7707083894", "1027700132195", "shop"),
    );
    assert_eq!(
        bad.error_of("inn"),
        Some("Контрольная цифра не сходится: проверьте номер"),
        "{bad:?}"
    );
    let bad_person = host.at("town").by(&owner).submit(
        "register",
        "register",
        &form("500100732258", "", "specialist"),
    );
    assert!(bad_person.error_of("inn").is_some(), "{bad_person:?}");
    // Nothing was written.
    let admin_page = host.at("town").by(&admin).page("admin");
    assert!(admin_page.shows("Ждут проверки (0)"), "{}", admin_page.text);

    // 7707083893 with ОГРН 1027700132195 passes; the business waits for the admin.
    let good = host.at("town").by(&owner).submit(
        "register",
        "register",
        &form("7707083893", "1027700132195", "shop"),
    );
    assert_eq!(
        good.notice(),
        Some("Организация отправлена на проверку администратору"),
        "{good:?}"
    );
    let Outcome::Redirect { route, .. } = &good else {
        panic!("{good:?}")
    };
    let id = route
        .trim_start_matches("b/")
        .trim_end_matches("/manage")
        .to_owned();
    // 500100732259 passes too: a self-employed specialist without ОГРНИП.
    let plumber = host.person("Иван Кузнецов").create();
    let self_employed = host.at("town").by(&plumber).submit(
        "register",
        "register",
        &form("500100732259", "", "specialist"),
    );
    assert!(self_employed.notice().is_some(), "{self_employed:?}");

    // Until approved, residents do not see it; the admin is told and sees it waiting.
    assert_eq!(
        host.at("town").by(&anna).page(&format!("b/{id}")).status(),
        404
    );
    let inbox = host.inbox(&admin);
    assert!(
        inbox
            .iter()
            .any(|n| n["title"] == "Новая организация ждёт проверки: Пекарня «Колосок»"),
        "{inbox:?}"
    );
    let admin_page = host.at("town").by(&admin).page("admin");
    assert!(admin_page.shows("Ждут проверки (2)"), "{}", admin_page.text);
    assert!(admin_page.shows("7707083893"));
    // Offers wait for approval too.
    let early = host.at("town").by(&owner).post(
        &format!("businesses/{id}/offers"),
        json!({ "title": "Скидка", "terms": "Условия", "ends": "2026-06-30", "audience": "houses", "houses": ["house-1"] }),
    );
    assert_eq!(early.status, 403, "{}", early.body);

    // A resident may not approve; the admin may, and the owner hears of it.
    let refused = host
        .at("town")
        .by(&anna)
        .submit("admin", "approve", &[("business", &id)]);
    assert!(matches!(refused, Outcome::Refused(_)), "{refused:?}");
    let approved = host
        .at("town")
        .by(&admin)
        .submit("admin", "approve", &[("business", &id)]);
    assert_eq!(
        approved.notice(),
        Some("Одобрена: «Пекарня «Колосок»»"),
        "{approved:?}"
    );
    let inbox = host.inbox(&owner);
    assert!(
        inbox
            .iter()
            .any(|n| n["title"] == "«Пекарня «Колосок»» проверена и опубликована"),
        "{inbox:?}"
    );
    let page = host.at("town").by(&anna).page(&format!("b/{id}"));
    assert!(page.shows("Проверена"), "{}", page.text);
    assert!(page.shows("ООО «Колосок», ИНН 7707083893"));
    // A second registration with the same ИНН is refused, naming the field.
    let twice = host.at("town").by(&plumber).post(
        "businesses",
        json!({ "kind": "shop", "name": "Другая", "legal_name": "ООО «Другая»", "inn": "7707083893", "ogrn": "1027700132195", "categories": ["bakery"] }),
    );
    assert_eq!(twice.field(), Some("inn"), "{}", twice.body);
}

#[test]
fn residents_of_the_audience_see_the_offer_on_their_house_home_and_others_do_not() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let owner = host.person("Пётр Колосов").create();
    let business = bakery(&mut host, &owner, &admin);
    let offer = offer(&mut host, &owner, &business, Some(100));
    let anna = resident(&mut host, "Анна Петрова", "house-1", 12);
    let boris = resident(&mut host, "Борис Сидоров", "house-2", 3);

    // The house's home page tile, and Anna's own.
    let tile = host.at("house-1").tile(false).expect("a tile at house 1");
    assert_eq!(tile["title"], "Акции для вашего дома");
    assert_eq!(
        tile["lines"][0],
        "Пекарня «Колосок»: −20 % на выпечку после 19:00"
    );
    assert_eq!(tile["link"]["route"], format!("offer/{offer}"));
    let mine = host
        .at("house-1")
        .by(&anna)
        .tile(true)
        .expect("Anna's tile");
    assert_eq!(mine["count"], 1);
    assert!(host.at("house-2").tile(false).is_none());
    assert!(host.at("house-2").by(&boris).tile(true).is_none());

    // The list and the offer's page: terms, period, advertiser.
    let home = host.at("house-1").by(&anna).page("");
    assert!(home.shows("−20 % на выпечку после 19:00"), "{}", home.text);
    let page = host.at("house-1").by(&anna).page(&format!("offer/{offer}"));
    assert!(
        page.shows("Скидка 20 % на всю выпечку с 19:00 по купону."),
        "{}",
        page.text
    );
    assert!(page.shows("с 01.06.2026 по 30.06.2026"));
    assert!(page.shows("ООО «Колосок», ИНН 7707083893"));
    assert!(page.shows("100 из 100"));
    assert!(page.shows("Получить купон"), "{}", page.text);

    // Boris lives elsewhere: no coupon for him.
    let refused = host
        .at("house-2")
        .by(&boris)
        .post(&format!("offers/{offer}/coupon"), json!({}));
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("для жителей других домов"),
        "{}",
        refused.body
    );

    // Anna saves it and takes a coupon: its page has a QR code and six digits.
    let saved = host
        .at("house-1")
        .by(&anna)
        .submit(&format!("offer/{offer}"), "save", &[]);
    assert_eq!(saved.notice(), Some("Акция сохранена"), "{saved:?}");
    assert!(
        host.at("house-1")
            .by(&anna)
            .page("saved")
            .shows("−20 % на выпечку после 19:00")
    );
    let taken = host
        .at("house-1")
        .by(&anna)
        .submit(&format!("offer/{offer}"), "take", &[]);
    let Outcome::Redirect { route, notice } = &taken else {
        panic!("{taken:?}")
    };
    assert_eq!(notice.as_deref(), Some("Купон ваш: покажите код на кассе"));
    let coupon = host.at("house-1").by(&anna).page(route);
    assert!(coupon.shows("Код для кассы"), "{}", coupon.text);
    assert!(coupon.html.contains("<svg"), "the QR code is drawn");
    assert!(coupon.shows("Код сменится в 10:00:30"), "{}", coupon.text);
    // Somebody else's coupon is not theirs to see.
    assert_eq!(host.at("house-1").by(&boris).page(route).status(), 404);
}

#[test]
fn rules_s9_a_coupon_is_redeemed_once_and_a_second_use_names_when_and_where() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let owner = host.person("Пётр Колосов").create();
    let business = bakery(&mut host, &owner, &admin);
    let offer = offer(&mut host, &owner, &business, Some(100));
    let anna = resident(&mut host, "Анна Петрова", "house-1", 12);
    let cashier = cashier(&mut host, &owner, &business);
    let (coupon, code) = digits(&mut host, &anna, &offer);

    // A resident is not the cashier.
    assert_eq!(
        host.at("town")
            .by(&anna)
            .page(&format!("b/{business}/redeem"))
            .status(),
        403
    );
    // A mistyped code is refused next to the field.
    let wrong = host.at("town").by(&cashier).submit(
        &format!("b/{business}/redeem"),
        "redeem",
        &[("code", "000000")],
    );
    assert_eq!(
        wrong.error_of("code"),
        Some("Код не подходит или устарел: попросите показать код ещё раз"),
        "{wrong:?}"
    );
    host.advance(Duration::from_secs(5 * 60 + 5));
    // The code shown five minutes ago is stale; the phone shows a new one.
    let stale = host.at("town").by(&cashier).submit(
        &format!("b/{business}/redeem"),
        "redeem",
        &[("code", &code)],
    );
    assert!(
        stale
            .error_of("code")
            .is_some_and(|e| e.contains("устарел")),
        "{stale:?}"
    );
    let (_, code) = digits(&mut host, &anna, &offer);
    let typed = format!("{} {}", &code[..3], &code[3..]);
    let done = host.at("town").by(&cashier).submit(
        &format!("b/{business}/redeem"),
        "redeem",
        &[("code", &typed)],
    );
    assert_eq!(
        done.notice(),
        Some("Купон погашен: «−20 % на выпечку после 19:00». Осталось купонов: 99."),
        "{done:?}"
    );
    // The same code again, and a newer code of the same coupon: refused, naming when and where.
    let again = host.at("town").by(&cashier).submit(
        &format!("b/{business}/redeem"),
        "redeem",
        &[("code", &code)],
    );
    assert_eq!(
        again.error_of("code"),
        Some("Купон уже использован 01.06.2026 10:05, филиал «Пекарня на Торговой»"),
        "{again:?}"
    );
    // The resident's page says so too; the code is gone.
    let page = host
        .at("house-1")
        .by(&anna)
        .page(&format!("coupon/{coupon}"));
    assert!(
        page.shows("Купон использован 01.06.2026 10:05, филиал «Пекарня на Торговой»"),
        "{}",
        page.text
    );
    assert!(!page.shows("Код для кассы"));
    // The log has it, without the resident's name or flat.
    let log = host
        .at("town")
        .by(&owner)
        .page(&format!("b/{business}/log"));
    assert!(log.shows("−20 % на выпечку после 19:00"), "{}", log.text);
    assert!(log.shows("Пекарня на Торговой") && log.shows("Ирина Кассирова"));
    assert!(!log.shows("Анна") && !log.shows("Петрова"), "{}", log.text);
    // One event for gamification, with the resident's person_id, in her house.
    let events = host.events();
    let redeemed: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "promos.coupon_redeemed")
        .collect();
    assert_eq!(redeemed.len(), 1, "{events:?}");
    assert_eq!(redeemed[0]["payload"]["person_id"], anna.id.as_str());
    assert_eq!(redeemed[0]["community"], "house-1");
}

#[test]
fn the_code_changes_every_step_is_pushed_to_the_open_page_and_is_only_the_holders() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let owner = host.person("Пётр Колосов").create();
    let business = bakery(&mut host, &owner, &admin);
    let offer = offer(&mut host, &owner, &business, None);
    let anna = resident(&mut host, "Анна Петрова", "house-1", 12);
    let boris = resident(&mut host, "Борис Сидоров", "house-1", 3);
    let (coupon, first) = digits(&mut host, &anna, &offer);
    host.advance(Duration::from_secs(30));
    let (_, second) = digits(&mut host, &anna, &offer);
    assert_ne!(first, second, "a new code every 30 seconds");
    // While the page is open, the upkeep job pushes each new code to it.
    host.advance(Duration::from_secs(30));
    host.run_job("upkeep", "town");
    let pushed = host.live("house-1", &format!("coupon:{coupon}"));
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!(pushed[0]["mode"], "replace");
    let (_, third) = digits(&mut host, &anna, &offer);
    let spaced = format!("{} {}", &third[..3], &third[3..]);
    assert!(
        pushed[0]["text"].as_str().unwrap().contains(&spaced),
        "{pushed:?}"
    );
    // Only the holder may follow it.
    assert!(
        host.at("house-1")
            .by(&anna)
            .may_follow(&format!("coupon:{coupon}"))
    );
    assert!(
        !host
            .at("house-1")
            .by(&boris)
            .may_follow(&format!("coupon:{coupon}"))
    );
    assert!(!host.at("house-1").may_follow(&format!("coupon:{coupon}")));
}

#[test]
fn rules_s9_the_limit_is_never_exceeded() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let owner = host.person("Пётр Колосов").create();
    let business = bakery(&mut host, &owner, &admin);
    let offer = offer(&mut host, &owner, &business, Some(2));
    let mut people = Vec::new();
    for (i, name) in ["Анна Петрова", "Борис Сидоров", "Вера Иванова"]
        .iter()
        .enumerate()
    {
        people.push(resident(&mut host, name, "house-1", i as u32 + 1));
    }
    let mut codes = Vec::new();
    for p in &people {
        codes.push(digits(&mut host, p, &offer).1);
    }
    let redeem = |host: &mut TestHost, code: &str| {
        host.at("town").by(&owner).post(
            &format!("businesses/{business}/redeem"),
            json!({ "code": code }),
        )
    };
    assert_eq!(redeem(&mut host, &codes[0]).status, 200);
    let second = redeem(&mut host, &codes[1]);
    assert_eq!(second.json["remaining"], 0, "{}", second.body);
    let third = redeem(&mut host, &codes[2]);
    assert_eq!(third.status, 409, "{}", third.body);
    assert!(
        third.body.contains("Лимит погашений по акции исчерпан"),
        "{}",
        third.body
    );
    // Nothing of the refused redemption was written; a new coupon cannot be taken either.
    let log = host
        .at("town")
        .by(&owner)
        .get(&format!("businesses/{business}/redemptions"));
    assert_eq!(log.json["redemptions"].as_array().unwrap().len(), 2);
    assert_eq!(host.events_of("promos.coupon_redeemed").len(), 2);
    let late = resident(&mut host, "Глеб Поздний", "house-1", 4);
    let refused = host
        .at("house-1")
        .by(&late)
        .post(&format!("offers/{offer}/coupon"), json!({}));
    assert_eq!(refused.status, 409, "{}", refused.body);
}

#[test]
fn rules_s9_the_business_sees_households_per_house_only_from_ten_and_never_names() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let owner = host.person("Пётр Колосов").create();
    let business = bakery(&mut host, &owner, &admin);
    // An offer for all three houses.
    let made = host.at("town").by(&owner).post(
        &format!("businesses/{business}/offers"),
        json!({
            "title": "Кофе в подарок", "terms": "К любой выпечке.", "ends": "2026-06-30",
            "audience": "houses", "houses": ["house-1", "house-2", "house-3"],
        }),
    );
    let offer = ok(&made, "offer")["id"].as_str().unwrap().to_owned();
    // 11 households of house 1 open it (flat 1 twice: its two owners), 10 of house 2, 3 of
    // house 3.
    let open = |host: &mut TestHost, house: &str, who: &Person| {
        let page = host.at(house).by(who).page(&format!("offer/{offer}"));
        assert!(page.shows("Кофе в подарок"), "{}", page.text);
    };
    for (name, house, flat, share) in [
        ("Жилец Первый", "house-1", 1, (1, 2)),
        ("Соседка Первая", "house-1", 1, (1, 2)),
    ] {
        let p = host
            .person(name)
            .resident(house)
            .owns_share(&format!("{house}/{flat}"), share, true)
            .create();
        open(&mut host, house, &p);
    }
    for (house, flats) in [("house-1", 2..=11), ("house-2", 1..=10), ("house-3", 1..=3)] {
        for flat in flats {
            let p = resident(&mut host, &format!("Жилец {house} {flat}"), house, flat);
            open(&mut host, house, &p);
        }
    }
    let stats = host
        .at("town")
        .by(&owner)
        .get(&format!("businesses/{business}/stats"));
    let views = &ok(&stats, "stats")["offers"][0]["views"];
    assert_eq!(
        views["total"],
        json!({ "shown": "count", "value": 24 }),
        "{views}"
    );
    let areas: Vec<(String, Value)> = views["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a[0].as_str().unwrap().to_owned(), a[1].clone()))
        .collect();
    // House 3 is under the floor; house 2, the next smallest, is hidden with it, or its count
    // would be the total minus the others.
    assert_eq!(
        areas[0],
        ("house-1".into(), json!({ "shown": "count", "value": 11 }))
    );
    assert_eq!(
        areas[1],
        (
            "house-2".into(),
            json!({ "shown": "fewer_than", "value": 10 })
        )
    );
    assert_eq!(
        areas[2],
        (
            "house-3".into(),
            json!({ "shown": "fewer_than", "value": 10 })
        )
    );
    assert!(!stats.body.contains("\"value\":3"), "{}", stats.body);
    let page = host
        .at("town")
        .by(&owner)
        .page(&format!("b/{business}/stats"));
    assert!(page.shows("ул. Садовая, 1 11"), "{}", page.text);
    assert!(page.shows("ул. Лесная, 7 меньше 10"), "{}", page.text);
    assert!(page.shows("Всего 24"), "{}", page.text);
    assert!(
        !page.shows("Жилец") && !page.shows("Соседка"),
        "{}",
        page.text
    );
    // Only its manager sees it.
    let anna = resident(&mut host, "Анна Петрова", "house-1", 12);
    assert_eq!(
        host.at("town")
            .by(&anna)
            .page(&format!("b/{business}/stats"))
            .status(),
        403
    );
}

#[test]
fn rules_s9_reviews_come_only_from_redemptions_once_each_and_the_business_answers() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let owner = host.person("Пётр Колосов").create();
    let business = bakery(&mut host, &owner, &admin);
    let offer = offer(&mut host, &owner, &business, None);
    let anna = resident(&mut host, "Анна Петрова", "house-1", 12);
    let boris = resident(&mut host, "Борис Сидоров", "house-1", 3);
    let (coupon, code) = digits(&mut host, &anna, &offer);
    // Before any redemption, nobody may review.
    let early = host.at("town").by(&anna).post(
        &format!("businesses/{business}/reviews"),
        json!({ "basis": format!("coupon:{coupon}"), "stars": 5, "text": "Отлично" }),
    );
    assert_eq!(early.status, 403, "{}", early.body);
    let redeemed = host.at("town").by(&owner).post(
        &format!("businesses/{business}/redeem"),
        json!({ "code": code }),
    );
    ok(&redeemed, "redeem");
    // Boris cannot review on Anna's coupon.
    let borrowed = host.at("town").by(&boris).post(
        &format!("businesses/{business}/reviews"),
        json!({ "basis": format!("coupon:{coupon}"), "stars": 1, "text": "Плохо" }),
    );
    assert_eq!(borrowed.status, 403, "{}", borrowed.body);

    // Anna writes from her house's coupon page: the form errors name their fields...
    let coupon_page = host
        .at("house-1")
        .by(&anna)
        .page(&format!("coupon/{coupon}"));
    assert!(coupon_page.shows("Оставить отзыв"), "{}", coupon_page.text);
    let route = format!("b/{business}/review");
    let no_stars = host
        .at("house-1")
        .by(&anna)
        .submit(&route, "post", &[("text", "Вкусно")]);
    assert_eq!(
        no_stars.error_of("stars"),
        Some("Поставьте оценку от 1 до 5"),
        "{no_stars:?}"
    );
    // ...and the review reaches the business's page within the minute (the upkeep job).
    let posted = host.at("house-1").by(&anna).submit(
        &route,
        "post",
        &[("stars", "5"), ("text", "Очень вкусные круассаны!")],
    );
    assert_eq!(
        posted.notice(),
        Some("Спасибо! Отзыв появится в течение минуты"),
        "{posted:?}"
    );
    let hers = host.at("house-1").by(&anna).page(&format!("b/{business}"));
    assert!(hers.shows("Публикуется"), "{}", hers.text);
    let twice = host.at("house-1").by(&anna).submit(
        &route,
        "post",
        &[
            ("basis", &format!("coupon:{coupon}")),
            ("stars", "1"),
            ("text", "Ещё раз"),
        ],
    );
    assert!(
        matches!(twice, Outcome::Invalid(_) | Outcome::Page(_)),
        "{twice:?}"
    );
    host.run_job("upkeep", "town");
    let page = host.at("house-1").by(&boris).page(&format!("b/{business}"));
    assert!(page.shows("Отзывы · 5,0 · 1 отзыв"), "{}", page.text);
    assert!(page.shows("Анна П. · 5 ★"));
    assert!(page.shows("Очень вкусные круассаны!"));
    // One review per redemption, even from the town's page.
    let again = host.at("town").by(&anna).post(
        &format!("businesses/{business}/reviews"),
        json!({ "basis": format!("coupon:{coupon}"), "stars": 1, "text": "Передумала" }),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    let events = host.events_of("promos.review_posted");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["person_id"], anna.id.as_str());

    // The business answers; there is no way for it to delete.
    let list = host
        .at("town")
        .get(&format!("businesses/{business}/reviews"));
    let review = list.json["reviews"][0]["id"].as_str().unwrap().to_owned();
    let answered = host.at("town").by(&owner).submit(
        &format!("b/{business}"),
        "answer",
        &[
            ("review", &review),
            ("answer", "Спасибо, Анна! Ждём снова."),
        ],
    );
    assert_eq!(answered.notice(), Some("Ответ опубликован"), "{answered:?}");
    let page = host.at("house-1").by(&boris).page(&format!("b/{business}"));
    assert!(page.shows("Спасибо, Анна! Ждём снова."), "{}", page.text);
    let delete = host
        .at("town")
        .by(&owner)
        .delete(&format!("reviews/{review}"));
    assert_eq!(delete.status, 404);
    // Boris may not answer for the business.
    let not_staff = host.at("town").by(&boris).post(
        &format!("reviews/{review}/answer"),
        json!({ "text": "Я тоже" }),
    );
    assert_eq!(not_staff.status, 403, "{}", not_staff.body);
}

#[test]
fn reports_hide_a_review_until_a_moderator_decides_with_a_reason_the_author_sees() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let moderator = host
        .person("Модератор Города")
        .role("moderator", "town")
        .create();
    let owner = host.person("Пётр Колосов").create();
    let business = bakery(&mut host, &owner, &admin);
    let offer = offer(&mut host, &owner, &business, None);
    let anna = resident(&mut host, "Анна Петрова", "house-1", 12);
    let (coupon, code) = digits(&mut host, &anna, &offer);
    ok(
        &host.at("town").by(&owner).post(
            &format!("businesses/{business}/redeem"),
            json!({ "code": code }),
        ),
        "redeem",
    );
    let posted = host.at("town").by(&anna).post(
        &format!("businesses/{business}/reviews"),
        json!({ "basis": format!("coupon:{coupon}"), "stars": 1, "text": "Хлеб чёрствый" }),
    );
    assert_eq!(
        posted.status, 201,
        "published at once from the town's page: {}",
        posted.body
    );
    let review = posted.json["id"].as_str().unwrap().to_owned();
    // The business's own report weighs nothing.
    let own = host.at("town").by(&owner).post(
        &format!("reviews/{review}/report"),
        json!({ "reason": "Неправда" }),
    );
    assert_eq!(own.status, 202);
    assert!(host.at("town").get(&format!("businesses/{business}")).json["rating"]["count"] == 1);
    // Two verified owners' reports (2 each) hide it.
    for (i, name) in ["Сосед Первый", "Сосед Второй"].iter().enumerate() {
        let n = resident(&mut host, name, "house-2", i as u32 + 1);
        let r = host.at("house-2").by(&n).post(
            &format!("reviews/{review}/report"),
            json!({ "reason": "Оскорбительно" }),
        );
        assert_eq!(r.status, 202, "{}", r.body);
    }
    host.run_job("upkeep", "town");
    let public = host
        .at("town")
        .get(&format!("businesses/{business}/reviews"));
    assert_eq!(
        public.json["reviews"].as_array().unwrap().len(),
        0,
        "{}",
        public.body
    );
    assert_eq!(
        host.at("town").get(&format!("businesses/{business}")).json["rating"]["label"],
        "нет отзывов"
    );
    // The author sees why; the moderator sees the queue and keeps it, with a reason.
    let hers = host.at("town").by(&anna).page(&format!("b/{business}"));
    assert!(hers.shows("Скрыт по жалобам"), "{}", hers.text);
    let queue = host.at("town").by(&moderator).page("admin");
    assert!(queue.shows("Отзывы на модерации (1)"), "{}", queue.text);
    assert!(queue.shows("Оскорбительно"));
    let no_reason = host.at("town").by(&moderator).submit(
        "admin",
        "moderate",
        &[("review", &review), ("keep", "true")],
    );
    assert!(no_reason.error_of("reason").is_some(), "{no_reason:?}");
    let kept = host.at("town").by(&moderator).submit(
        "admin",
        "moderate",
        &[
            ("review", &review),
            ("keep", "true"),
            ("reason", "Отзыв о качестве, без оскорблений"),
        ],
    );
    assert_eq!(
        kept.notice(),
        Some("Решение записано, автор его увидит"),
        "{kept:?}"
    );
    assert!(
        host.inbox(&anna)
            .iter()
            .any(|n| n["title"] == "Ваш отзыв оставлен опубликованным"
                && n["body"] == "Отзыв о качестве, без оскорблений")
    );
    assert_eq!(
        host.at("town").get(&format!("businesses/{business}")).json["rating"]["label"],
        "1,0 · 1 отзыв"
    );
    // A resident is not a moderator.
    assert_eq!(host.at("town").by(&anna).page("admin").status(), 403);
}

#[test]
fn specialists_by_category_distance_and_rating_with_the_paid_listing_marked_and_hired() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let anna = resident(&mut host, "Анна Петрова", "house-1", 12);
    // The admin puts house 1 on the map.
    let placed = host.at("town").by(&admin).submit(
        "admin",
        "place",
        &[("house", "house-1"), ("point", "56.0105,37.4810")],
    );
    assert_eq!(placed.notice(), Some("Дом отмечен на карте"), "{placed:?}");
    let mut specialist = |name: &str, inn: &str, lat: &str| {
        let who = host.person(name).create();
        let made = host.at("town").by(&who).post(
            "businesses",
            json!({ "kind": "specialist", "name": name, "legal_name": name, "inn": inn, "categories": ["plumbing"] }),
        );
        let id = ok(&made, "register")["id"].as_str().unwrap().to_owned();
        ok(
            &host.at("town").by(&admin).post(
                &format!("businesses/{id}/decision"),
                json!({ "decision": "approve" }),
            ),
            "approve",
        );
        ok(
            &host.at("town").by(&who).post(
                &format!("businesses/{id}/branches"),
                json!({ "name": "Выезд", "address": "Лесной", "point": format!("{lat},37.4810"), "hours": "9–21" }),
            ),
            "base",
        );
        ok(
            &host.at("town").by(&who).post(
                &format!("businesses/{id}/services"),
                json!({ "name": "Замена смесителя", "category": "plumbing", "price_from": 150000, "radius_km": 10 }),
            ),
            "service",
        );
        (who, id)
    };
    let (_, near) = specialist("Сантехник Ближний", "500100732259", "56.0115");
    let (far_owner, far) = specialist("Сантехник Дальний", "503100123439", "56.0405");
    // The far one pays for a listing.
    let paid = host.at("town").by(&admin).submit(
        "admin",
        "paid",
        &[("business", &far), ("until", "2026-06-30")],
    );
    assert!(paid.notice().is_some(), "{paid:?}");
    let list = host
        .at("house-1")
        .by(&anna)
        .page("masters?category=plumbing");
    assert!(
        list.shows("Сантехник Дальний · Реклама · Сантехник Дальний, ИНН 503100123439"),
        "{} {:?}",
        list.text,
        list.error
    );
    // The list below the map: the paid listing first, then by distance.
    let table = &list.text[list.text.find("Мастер Услуга Отзывы Рядом").unwrap()..];
    let near_at = table.find("Сантехник Ближний").unwrap();
    let far_at = table.find("Сантехник Дальний · Реклама").unwrap();
    assert!(far_at < near_at, "the paid listing first: {}", list.text);
    assert!(list.shows("111 м"), "{}", list.text);
    assert!(list.shows("3,3 км"), "{}", list.text);
    assert!(
        list.shows("Замена смесителя от 1 500,00 ₽"),
        "{}",
        list.text
    );
    assert!(list.html.contains("map"), "markers are drawn on the map");
    // Electricians: nobody.
    assert!(
        host.at("house-1")
            .by(&anna)
            .page("masters?category=electrics")
            .shows("В этой категории рядом никого нет")
    );

    // Anna hires the far one; a job is not a review until it is done.
    let bad = host.at("house-1").by(&anna).submit(
        &format!("b/{far}/hire"),
        "hire",
        &[
            ("service", "s1"),
            ("description", "Течёт кран"),
            ("address", "Садовая, 1, кв. 12"),
        ],
    );
    assert!(bad.error_of("phone").is_some(), "{bad:?}");
    let hired = host.at("house-1").by(&anna).submit(
        &format!("b/{far}/hire"),
        "hire",
        &[
            ("service", "s1"),
            ("description", "Течёт кран"),
            ("phone", "+7 900 123-45-67"),
            ("address", "Садовая, 1, кв. 12"),
        ],
    );
    assert_eq!(
        hired.notice(),
        Some("Заявка отправлена мастеру"),
        "{hired:?}"
    );
    assert!(
        host.inbox(&far_owner)
            .iter()
            .any(|n| n["title"] == "Новая заявка: Замена смесителя")
    );
    let jobs = host
        .at("town")
        .by(&far_owner)
        .page(&format!("b/{far}/jobs"));
    assert!(
        jobs.shows("Анна Петрова, +7 900 123-45-67, Садовая, 1, кв. 12"),
        "{}",
        jobs.text
    );
    let job = host.at("house-1").by(&anna).page("jobs");
    assert!(job.shows("Заявка отправлена"), "{}", job.text);
    let job_id = {
        let list = host
            .at("town")
            .by(&far_owner)
            .page(&format!("b/{far}/jobs"));
        let tree = list.tree.to_string();
        let at = tree.find("\"job\",\"").expect("a job button") + 7;
        tree[at..at + 26].to_owned()
    };
    assert!(
        host.at("town")
            .by(&anna)
            .post(
                &format!("businesses/{far}/reviews"),
                json!({ "basis": format!("job:{job_id}"), "stars": 5, "text": "Рано" })
            )
            .status
            == 403
    );
    host.at("town")
        .by(&far_owner)
        .submit(&format!("b/{far}/jobs"), "accept", &[("job", &job_id)]);
    let done = host.at("town").by(&far_owner).submit(
        &format!("b/{far}/jobs"),
        "done",
        &[("job", &job_id)],
    );
    assert_eq!(
        done.notice(),
        Some("Замена смесителя: Выполнена"),
        "{done:?}"
    );
    let review = host.at("town").by(&anna).post(
        &format!("businesses/{far}/reviews"),
        json!({ "basis": format!("job:{job_id}"), "stars": 5, "text": "Быстро и аккуратно" }),
    );
    assert_eq!(review.status, 201, "{}", review.body);
    // By rating, the reviewed one comes first among the unpaid... and the paid one stays on top.
    let by_rating = host
        .at("house-1")
        .by(&anna)
        .page("masters?category=plumbing&sort=rating");
    assert!(by_rating.shows("★ 5,0 · 1 отзыв"), "{}", by_rating.text);
    let _ = near;
}

#[test]
fn bad_offer_input_names_the_field_and_writes_nothing() {
    let mut host = town();
    let admin = host.person("Администратор").admin().create();
    let owner = host.person("Пётр Колосов").create();
    let business = bakery(&mut host, &owner, &admin);
    let route = format!("b/{business}/offers");
    let base = [
        ("title", "Скидка"),
        ("terms", "Условия"),
        ("audience", "houses"),
        ("houses", "house-1"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v: Vec<(&str, &str)> = base.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let backwards = host.at("town").by(&owner).submit(
        &route,
        "create",
        &with(&[("starts", "2026-06-10"), ("ends", "2026-06-05")]),
    );
    assert_eq!(
        backwards.error_of("ends"),
        Some("Акция не может закончиться раньше, чем начнётся"),
        "{backwards:?}"
    );
    let no_end = host
        .at("town")
        .by(&owner)
        .submit(&route, "create", &with(&[]));
    assert_eq!(
        no_end.error_of("ends"),
        Some("Укажите последний день акции: закон требует срок"),
        "{no_end:?}"
    );
    let radius = host.at("town").by(&owner).submit(
        &route,
        "create",
        &[
            ("title", "Скидка"),
            ("terms", "Условия"),
            ("ends", "2026-06-30"),
            ("audience", "radius"),
            ("radius_m", "50"),
        ],
    );
    assert!(radius.error_of("radius_m").is_some(), "{radius:?}");
    let limit = host.at("town").by(&owner).submit(
        &route,
        "create",
        &with(&[("ends", "2026-06-30"), ("limit", "0")]),
    );
    assert!(limit.error_of("limit").is_some(), "{limit:?}");
    let page = host.at("town").by(&owner).page(&route);
    assert!(page.shows("Акций пока нет"), "{}", page.text);
    // A radius offer reaches the houses on the map within it.
    host.at("town").by(&admin).submit(
        "admin",
        "place",
        &[("house", "house-2"), ("point", "56.0120,37.4840")],
    );
    let made = host.at("town").by(&owner).submit(
        &route,
        "create",
        &[
            ("title", "Рядом"),
            ("terms", "Условия"),
            ("ends", "2026-06-30"),
            ("audience", "radius"),
            ("radius_m", "500"),
        ],
    );
    assert_eq!(
        made.notice(),
        Some("Акция опубликована: «Рядом»"),
        "{made:?}"
    );
    assert!(
        host.at("town")
            .by(&owner)
            .page(&route)
            .shows("500 м вокруг «Пекарня на Торговой»: ул. Садовая, 3")
    );
    assert!(host.at("house-2").tile(false).is_some());
    assert!(host.at("house-1").tile(false).is_none());
}

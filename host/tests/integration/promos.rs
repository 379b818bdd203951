//! `promos` over HTTP on both engines: 50 residents of a house hold coupons for an offer
//! limited to 20, the bakery's cashier desk redeems all 50 codes at once, and exactly 20
//! succeed — the rest are refused as over the limit, the log holds 20 redemptions and 20
//! `promos.coupon_redeemed` events; a code redeemed again is refused naming when and where.

use crate::common;

use common::server::{ADMIN_PHONE, Client, Served};
use serde_json::{Value, json};

const PROMOS: &str = r#"
[plugins.promos]
enabled_for = ["town"]
[plugins.promos.grants]
collections = ["businesses", "offers", "tallies", "coupons", "redemptions", "views", "saves", "reviews", "jobs", "places", "invites", "submissions"]
emits = ["promos.coupon_redeemed", "promos.review_posted"]
schedules = ["upkeep"]
notifications = true
files = true
live = true
[plugins.promos.limits]
deadline_ms = 30000
memory_mb = 64
"#;

/// Today and a day `days` later in Moscow time, as dates.
fn day(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(3) + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// A surname of letters only for resident `n` (a name may not hold digits).
fn family_name(n: usize) -> String {
    let letters: Vec<char> = "абвгдежзиклмнопрстуфхцчшэюя".chars().collect();
    format!("Ж{}{}ов", letters[n / 10], letters[n % 10])
}

fn api(path: &str) -> String {
    format!("/api/c/town/p/promos/{path}")
}

fn ok(answer: &common::server::Answer, what: &str, engine: &str) -> Value {
    assert!(
        (200..300).contains(&answer.status),
        "{engine}: {what}: {} {}",
        answer.status,
        answer.text
    );
    answer.json.clone()
}

#[tokio::test]
async fn fifty_concurrent_redemptions_of_an_offer_limited_to_twenty_exactly_twenty_succeed() {
    for served in common::server::serve_all(PROMOS).await {
        concurrent_redemptions(&served).await;
    }
}

async fn concurrent_redemptions(served: &Served) {
    let engine = served.engine;
    let admin = served.sign_in(ADMIN_PHONE, "Ольга", "Админова").await;
    let owner = served.sign_in("+79160000100", "Пётр", "Колосов").await;

    // The bakery registers, the admin approves, it opens a branch and an offer for house 1.
    let made = owner
        .post(
            &api("businesses"),
            json!({
                "kind": "shop", "name": "Пекарня «Колосок»", "legal_name": "ООО «Колосок»",
                "inn": "7707083893", "ogrn": "1027700132195", "categories": ["bakery"],
            }),
        )
        .await;
    let business = ok(&made, "register", engine)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let approved = admin
        .post(
            &api(&format!("businesses/{business}/decision")),
            json!({ "decision": "approve" }),
        )
        .await;
    ok(&approved, "approve", engine);
    let branch = owner
        .post(
            &api(&format!("businesses/{business}/branches")),
            json!({ "name": "Пекарня на Торговой", "address": "Торговая улица, 5", "point": "56.0112,37.4835", "hours": "Ежедневно 7:00–21:00" }),
        )
        .await;
    ok(&branch, "branch", engine);
    let offer = owner
        .post(
            &api(&format!("businesses/{business}/offers")),
            json!({
                "title": "Круассан в подарок", "terms": "К любому кофе",
                "starts": day(0), "ends": day(30),
                "audience": "houses", "houses": ["house-1"], "limit": 20,
            }),
        )
        .await;
    let offer = ok(&offer, "offer", engine)["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Fifty residents of house 1 take a coupon each.
    let mut codes = Vec::new();
    for n in 0..50 {
        let resident: Client = served
            .sign_in(&format!("+7916100{n:04}"), "Житель", &family_name(n))
            .await;
        served
            .grant(
                resident.person.as_deref().unwrap(),
                "resident",
                Some("house-1"),
                None,
            )
            .await;
        let coupon = resident
            .post(
                &format!("/api/c/house-1/p/promos/offers/{offer}/coupon"),
                json!({}),
            )
            .await;
        let coupon = ok(&coupon, "coupon", engine);
        codes.push(coupon["digits"].as_str().unwrap().to_owned());
    }

    // The counter redeems all fifty at once.
    let redeem = api(&format!("businesses/{business}/redeem"));
    let answers = futures_util::future::join_all(codes.iter().map(|code| {
        let owner = owner.clone();
        let redeem = redeem.clone();
        let code = code.clone();
        async move { owner.post(&redeem, json!({ "code": code })).await }
    }))
    .await;
    let succeeded = answers.iter().filter(|a| a.status == 200).count();
    let over_limit = answers
        .iter()
        .filter(|a| a.status == 409 && a.text.contains("Лимит погашений по акции исчерпан"))
        .count();
    let others: Vec<String> = answers
        .iter()
        .filter(|a| a.status != 200 && a.status != 409)
        .map(|a| format!("{} {}", a.status, a.text))
        .collect();
    assert_eq!(succeeded, 20, "{engine}: {others:?}");
    assert_eq!(over_limit, 30, "{engine}: {others:?}");

    // The business's log holds exactly the twenty, and twenty events went out.
    let log = owner
        .get(&api(&format!("businesses/{business}/redemptions")))
        .await;
    let log = ok(&log, "log", engine);
    assert_eq!(
        log["redemptions"].as_array().map(Vec::len),
        Some(20),
        "{engine}: {log}"
    );
    let redeemed = served
        .event_kinds("promos")
        .await
        .into_iter()
        .filter(|k| k == "promos.coupon_redeemed")
        .count();
    assert_eq!(redeemed, 20, "{engine}");

    // A code that went through, shown again, is refused naming when and where.
    let first = answers.iter().position(|a| a.status == 200).unwrap();
    let again = owner.post(&redeem, json!({ "code": codes[first] })).await;
    assert_eq!(again.status, 409, "{engine}: {}", again.text);
    assert!(
        again.text.contains("Купон уже использован") && again.text.contains("Пекарня на Торговой"),
        "{engine}: {}",
        again.text
    );
}

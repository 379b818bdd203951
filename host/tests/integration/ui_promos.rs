//! The promos journey in a real browser (`tests/fixtures/ui/promos.mjs`) on the bundled demo:
//! from a resident seeing the bakery's offer on the house's home, through the coupon redeemed by
//! the bakery's cashier at the counter, to the resident's review; then the review is applied
//! (it was sent from the house's page) and counted in the bakery's rating, and each step's
//! event went out for gamification.

use crate::common;

const RESIDENT: &str = "+79161230001";
const CASHIER: &str = "+79161230002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_sees_an_offer_the_cashier_redeems_the_coupon_and_the_resident_reviews() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, codes) = common::server::serve_demo(listener, "", &[]).await;
    // The demo's first upkeep run seeds the bakery and its offer for the demo house.
    common::run_job_now(&served.runtime, "promos", "upkeep", "demo-town").await;
    let resident = served.sign_in(RESIDENT, "Анна", "Петрова").await;
    served
        .grant(
            resident.person.as_deref().unwrap(),
            "resident",
            Some("demo-house-1"),
            None,
        )
        .await;
    let cashier = served.sign_in(CASHIER, "Ирина", "Кассирова").await;
    served
        .grant(
            cashier.person.as_deref().unwrap(),
            "executor",
            None,
            Some("demo-bakery"),
        )
        .await;

    let shots = common::browser::screenshots();
    let printed = common::browser::run_journey(
        "promos.mjs",
        &served,
        &codes,
        &shots,
        &[
            ("DVOR_RESIDENT_PHONE", RESIDENT),
            ("DVOR_CASHIER_PHONE", CASHIER),
        ],
    )
    .await;
    assert!(
        printed.contains("the resident reviewed the bakery"),
        "{printed}"
    );

    // The review was sent from the house's page; the upkeep job applies it at the bakery.
    common::run_job_now(&served.runtime, "promos", "upkeep", "demo-town").await;
    let reviews = resident
        .get("/api/c/demo-town/p/promos/businesses/demo-bakery/reviews")
        .await;
    assert_eq!(reviews.status, 200, "{}", reviews.text);
    assert!(
        reviews.text.contains("Свежие круассаны"),
        "{}",
        reviews.text
    );
    let kinds = served.event_kinds("promos").await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "promos.coupon_redeemed")
            .count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "promos.review_posted")
            .count(),
        1,
        "{kinds:?}"
    );
}

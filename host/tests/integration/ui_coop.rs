//! The coop plugin in a real browser (`tests/fixtures/ui/coop.mjs`) on the bundled demo: a
//! joint purchase from opening to the payment by QR code — the payee, a purchase with an
//! article by hand and one from a price list, an order on a phone seen live by the organizer,
//! the end with the box-fill phase, the order to the supplier, receiving with a shortage,
//! charging, the QR code and the bank's registry that records the payment once.

use crate::common;

const CHAIR_PHONE: &str = "+79165550102";
const GARDENER_PHONE: &str = "+79165550101";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joint_purchase_runs_from_opening_to_the_payment_by_qr_code() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, codes) = common::server::serve_demo(listener, "", &[]).await;
    // The people of the demo SNT: its chairman with plot 2, a gardener with plot 1.
    let chair = served.sign_in(CHAIR_PHONE, "Ольга", "Председателева").await;
    let chair = chair.person.unwrap();
    served.own(&chair, "demo-snt/2").await;
    served
        .grant(&chair, "chairman", Some("demo-snt"), None)
        .await;
    let gardener = served.sign_in(GARDENER_PHONE, "Анна", "Садовая").await;
    served
        .own(gardener.person.as_deref().unwrap(), "demo-snt/1")
        .await;

    let shots = common::browser::screenshots();
    let printed = common::browser::run_journey(
        "coop.mjs",
        &served,
        &codes,
        &shots,
        &[
            ("DVOR_COOP_CHAIR_PHONE", CHAIR_PHONE),
            ("DVOR_COOP_GARDENER_PHONE", GARDENER_PHONE),
        ],
    )
    .await;
    assert!(
        printed.contains("the purchase ran from opening to the QR payment"),
        "{printed}"
    );
    // What gamification hears: two orders, one purchase charged, one payment (never twice).
    let kinds = served.event_kinds("coop").await;
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!(count("coop.purchase_opened"), 1, "{kinds:?}");
    assert_eq!(count("coop.order_placed"), 2, "{kinds:?}");
    assert_eq!(count("coop.purchase_ended"), 1, "{kinds:?}");
    assert_eq!(count("coop.purchase_settled"), 1, "{kinds:?}");
    assert_eq!(count("coop.payment_received"), 1, "{kinds:?}");
}

//! The web UI in a real browser: the bundled demo config served as a newcomer runs it, and
//! Debian's Chromium driven by Playwright (`tests/fixtures/ui/journey.mjs`) through what people
//! do: a person signs in through an OpenID Connect provider; an admin signs in and makes an
//! invitation; a resident opens it on a phone, signs up,
//! asks to join the house and is approved; submits a meter reading; files an appeal; staff
//! publish and work it; the resident follows it to "resolved" and confirms; the operator imports
//! a file in the background from a phone. Every page the
//! browser visits is checked with the axe accessibility checker, weighed against the 200 KB
//! budget, and drawn at 360 px; the main pages are screenshotted at phone and desktop width.
//!
//! `DVOR_SCREENSHOTS=/abs/path` keeps the screenshots there (the docs' are made with
//! `DVOR_SCREENSHOTS=$PWD/docs/screenshots`); otherwise they go to a scratch directory.

use crate::common;

use common::node::NodeFixture;
use common::payments::FakeProvider;
use common::server::{DEMO_ADMIN_PHONE as ADMIN_PHONE, Served, serve_demo};

/// The staff member of the story: an operator of the management company and an official of
/// the town's administration.
const STAFF_PHONE: &str = "+79005550101";
/// The payment provider's API key and the secret its notifications are signed with.
const PROVIDER_KEY: &str = "sk-ui-test";
const PAYMENT_SECRET: &str = "whsec-ui-test";

/// The bundled demo with a real OpenID Connect provider, as a region connects its ЕСИА-style
/// one (the provider is the one part of the config the operator writes into the file), and a
/// payment provider for «Оплатить», connected as an operator connects one: settings, its
/// secrets through the environment, its host granted.
async fn demo_instance() -> (Served, String, NodeFixture, FakeProvider) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let provider = FakeProvider::start(PROVIDER_KEY, PAYMENT_SECRET).await;
    let payment_provider = format!(
        "{{ name = \"Тестовый банк\", api_url = \"{}\", api_key = \"{PROVIDER_KEY}\", site_url = \"{base}\" }}",
        provider.url
    );
    let outbound = format!("[\"{}\"]", provider.host);
    // A real OpenID Connect provider, as a region connects its ЕСИА-style one.
    let (idp, issuer) = NodeFixture::start(
        "idp.mjs",
        &["0", &format!("{base}/api/auth/oidc/esia/callback")],
        &[("IDP_CLIENT_SECRET", "ui-test-secret")],
        &["oidc-provider"],
        |_| false,
    )
    .await;
    let (served, codes) = serve_demo(
        listener,
        &common::server::oidc_provider_config(&issuer),
        &[
            ("DVOR_IDENTITY__OIDC__ESIA__CLIENT_SECRET", "ui-test-secret"),
            (
                "DVOR_PLUGINS__HOUSING__SETTINGS__PAYMENT_PROVIDER",
                &payment_provider,
            ),
            (
                "DVOR_PLUGINS__HOUSING__SETTINGS__PAYMENT_WEBHOOK_SECRET",
                PAYMENT_SECRET,
            ),
            ("DVOR_PLUGINS__HOUSING__GRANTS__OUTBOUND_HOSTS", &outbound),
            // Any file of more than two rows is imported in the background, so the journey
            // follows one on the billing page.
            ("DVOR_PLUGINS__HOUSING__SETTINGS__IMPORT_INLINE_ROWS", "2"),
        ],
    )
    .await;
    (served, codes, idp, provider)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_and_staff_in_a_real_browser() {
    let (served, sms_codes, _idp, provider) = demo_instance().await;
    // The demo's first job runs: the house's accounts and meters, the town's appeal categories.
    common::run_job_now(&served.runtime, "housing", "billing", "demo-house-1").await;
    common::run_job_now(&served.runtime, "people-control", "sync", "demo-town").await;
    // The staff member exists and holds their roles, as the admin API would have made them.
    let staff = served.sign_in(STAFF_PHONE, "Ирина", "Операторова").await;
    let staff_id = staff.person.clone().unwrap();
    served
        .grant(&staff_id, "operator", None, Some("demo-uk"))
        .await;
    served
        .grant(&staff_id, "official", None, Some("demo-administration"))
        .await;

    // Requested job runs (the operator's background import) run as the scheduler runs them;
    // the demo's own schedules stay off, as in every test.
    let runs = tokio::spawn({
        let runtime = served.runtime.clone();
        async move {
            let settings = common::scheduler_settings();
            loop {
                if let Err(error) = dvor::scheduler::run_requested(&runtime, &settings).await {
                    eprintln!("requested runs: {error}");
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    });

    let screenshots = common::browser::screenshots();
    common::browser::run_journey(
        "journey.mjs",
        &served,
        &sms_codes,
        &screenshots,
        &[
            ("DVOR_ADMIN_PHONE", ADMIN_PHONE),
            ("DVOR_STAFF_PHONE", STAFF_PHONE),
        ],
    )
    .await;
    runs.abort();

    // What the browser did landed where other parts of dvor see it.
    let housing = served.event_kinds("housing").await;
    assert!(
        housing.iter().any(|k| k == "reading.submitted"),
        "{housing:?}"
    );
    // The resident paid once through the provider, and the payment was recorded once.
    assert_eq!(provider.payments().len(), 1, "one payment started");
    assert_eq!(
        housing.iter().filter(|k| *k == "payment.received").count(),
        1,
        "{housing:?}"
    );
    let meetings = served.event_kinds("meetings").await;
    assert!(meetings.iter().any(|k| k == "poll.voted"), "{meetings:?}");
    let appeals = served.event_kinds("people-control").await;
    for kind in ["appeal.created", "appeal.status_changed", "appeal.resolved"] {
        assert!(appeals.iter().any(|k| k == kind), "{kind}: {appeals:?}");
    }
    for page in [
        "signin", "join", "me", "inbox", "admin", "housing", "pay", "bill", "appeal", "imports",
    ] {
        for width in ["phone", "desktop"] {
            let shot = screenshots.join(format!("{page}-{width}.png"));
            assert!(shot.exists(), "no screenshot {}", shot.display());
        }
    }
}

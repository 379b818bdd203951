//! What residents and staff see, in a real browser on a 390 px phone
//! (`tests/fixtures/ui/experience.mjs`): errors as pages in Russian, signing in with a code and
//! the 152-ФЗ consent, the header's menu, an appeal filed from the house to the town's
//! categories with its point picked on the instance's own map (MapLibre drawing the demo's
//! PMTiles), a similar appeal suggested, the town's map with pins numbered as the appeals are,
//! «Открыть на карте», names instead of codes, and the statistics over a period as CSV.

use crate::common;

use common::server::{DEMO_ADMIN_PHONE, serve_demo};

/// An official of the town's administration, who sees the statistics.
const STAFF_PHONE: &str = "+79005550102";

// The map needs WebGL: Chromium draws it in software (SwiftShader), see `launch` in lib.mjs.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_and_staff_see_names_maps_and_pages_on_a_phone() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // A new code waits a few seconds (the demo's 60 would hold the journey up), so the page's
    // countdown is seen.
    let (served, codes) = serve_demo(
        listener,
        "",
        &[("DVOR_IDENTITY__OTP__RESEND_COOLDOWN_S", "5")],
    )
    .await;
    // The demo's first job: the town's appeal categories and a few appeals with points.
    common::run_job_now(&served.runtime, "people-control", "sync", "demo-town").await;
    let staff = served.sign_in(STAFF_PHONE, "Игорь", "Чиновников").await;
    served
        .grant(
            staff.person.as_deref().unwrap(),
            "official",
            None,
            Some("demo-administration"),
        )
        .await;
    let shots = common::browser::screenshots();
    let printed = common::browser::run_journey(
        "experience.mjs",
        &served,
        &codes,
        &shots,
        &[
            ("DVOR_ADMIN_PHONE", DEMO_ADMIN_PHONE),
            ("DVOR_STAFF_PHONE", STAFF_PHONE),
        ],
    )
    .await;
    assert!(
        printed.contains("the experience journey passed"),
        "{printed}"
    );
    // The new person's consent is recorded with its time, once: the refused try left nothing.
    let admin = served.sign_in(DEMO_ADMIN_PHONE, "Ольга", "Админова").await;
    let audit = admin.get("/api/audit").await;
    let consents: Vec<&serde_json::Value> = audit.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "personal_data.consent")
        .collect();
    assert_eq!(consents.len(), 1, "{}", audit.text);
    assert!(consents[0].to_string().contains("152-ФЗ"), "{}", audit.text);
    for shot in [
        "error",
        "signin-code",
        "appeal-new",
        "appeals-map",
        "appeals-stats",
    ] {
        for width in ["phone", "desktop"] {
            let file = shots.join(format!("{shot}-{width}.png"));
            assert!(file.exists(), "no screenshot {}", file.display());
        }
    }
}

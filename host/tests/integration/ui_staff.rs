//! A community admin manages the house's staff in a real browser on a 390 px phone
//! (`tests/fixtures/ui/staff.mjs`): a role given by phone and removed after a confirmation, an
//! invitation listed and revoked after a confirmation, and its link then refused.

use crate::common;

use common::server::{DEMO_ADMIN_PHONE, serve_demo};

/// Someone of the management company, signed in once, who is given the operator's role.
const STAFF_PHONE: &str = "+79005550177";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_gives_and_removes_staff_roles_and_revokes_an_invitation_on_a_phone() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, codes) = serve_demo(listener, "", &[]).await;
    let nina = served.sign_in(STAFF_PHONE, "Нина", "Операторова").await;
    let shots = common::browser::screenshots();
    let printed = common::browser::run_journey(
        "staff.mjs",
        &served,
        &codes,
        &shots,
        &[
            ("DVOR_ADMIN_PHONE", DEMO_ADMIN_PHONE),
            ("DVOR_STAFF_PHONE", STAFF_PHONE),
        ],
    )
    .await;
    assert!(printed.contains("the staff journey passed"), "{printed}");
    // The role came and went: Nina holds no staff role now, and the log has both.
    let me = nina.get("/api/me").await;
    assert!(!me.text.contains("\"operator\""), "{}", me.text);
    let admin = served.sign_in(DEMO_ADMIN_PHONE, "Ольга", "Админова").await;
    let audit = admin.get("/api/audit").await;
    for action in ["role.granted", "role.revoked", "invitation.revoked"] {
        assert!(audit.text.contains(action), "no {action}: {}", audit.text);
    }
}

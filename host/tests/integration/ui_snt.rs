//! The garden partnership in a real browser (`tests/fixtures/ui/snt.mjs`), on the bundled demo:
//! a newcomer applies for plot 4 from their phone, the chairman enters the meeting's decision,
//! the new member sees their dues with the payment QR code, pays by it (the board records the
//! payment the QR code names), and reads their computation sheet; the chairman calls the next
//! general meeting from the meetings page. And the SNT example
//! (`config/examples/snt.toml`) starts as shipped and serves the chairman's pages.

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_applies_pays_the_dues_by_qr_and_reads_the_computation_sheet() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, codes) = common::server::serve_demo(listener, "", &[]).await;
    // The demo's first upkeep run: the register, the approved estimate charged to every plot.
    common::run_job_now(&served.runtime, "snt", "upkeep", "demo-snt").await;
    let shots = common::browser::screenshots();
    let printed = common::browser::run_journey("snt.mjs", &served, &codes, &shots, &[]).await;
    assert!(printed.contains("the dues are paid"), "{printed}");
    let kinds = served.event_kinds("snt").await;
    for kind in [
        "snt.application_submitted",
        "snt.member_admitted",
        "snt.dues_paid",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test]
async fn the_snt_example_starts_as_shipped_and_serves_the_chairmans_pages() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, _codes) =
        common::server::serve_file(listener, "config/examples/snt.toml", "", &[]).await;
    // The example's chairman is the instance's admin.
    let chairman = served
        .sign_in("+79160000001", "Ольга", "Председателева")
        .await;
    let home = chairman.get("/c/snt-yablonka/p/snt").await;
    assert_eq!(home.status, 200, "{}", home.text);
    assert!(
        home.text.contains("Реестр членов и собственников"),
        "{}",
        home.text
    );
    let register = chairman.get("/c/snt-yablonka/p/snt/register").await;
    assert_eq!(register.status, 200, "{}", register.text);
    // A resident who is not on the board sees no register, in Russian.
    let neighbour = served.sign_in("+79160000002", "Пётр", "Соседов").await;
    let refused = neighbour.get("/c/snt-yablonka/p/snt/register").await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.text.contains("правления товарищества"),
        "{}",
        refused.text
    );
    // The meetings plugin answers there too, with its Russian pages.
    let meetings = neighbour.get("/c/snt-yablonka/p/meetings").await;
    assert_eq!(meetings.status, 200, "{}", meetings.text);
}

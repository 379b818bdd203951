//! A live update in a real browser (`tests/fixtures/ui/live.mjs`): on the bundled demo, a note
//! one person adds appears on another person's open page without a reload.

use crate::common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_appears_on_a_neighbours_open_page_without_a_reload() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, codes) = common::server::serve_demo(listener, "", &[]).await;
    let shots = common::browser::screenshots();
    let printed = common::browser::run_journey("live.mjs", &served, &codes, &shots, &[]).await;
    assert!(printed.contains("the live update arrived"), "{printed}");
    // The note is stored, and announced to the event's consumers, once.
    let notes = served.event_kinds("hello").await;
    assert_eq!(
        notes.iter().filter(|k| *k == "hello.note_added").count(),
        1,
        "{notes:?}"
    );
}

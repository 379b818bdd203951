//! The house chat live in a real browser (`tests/fixtures/ui/feed.mjs`): on the bundled demo,
//! two residents of the same entrance at 390 px, a message from one on the other's open page
//! within two seconds without a reload, and a resident of another house refused with 403 and
//! shown nothing of it.

use crate::common;

const WRITER: &str = "+79005550201";
const READER: &str = "+79005550202";
const STRANGER: &str = "+79005550203";

/// A second house for the stranger, added to the demo as an operator adds one.
const ANOTHER_HOUSE: &str = r#"
[[communities]]
id = "demo-house-2"
name = "ул. Садовая, 3"
kind = "house"
parent = "demo-town"

[[units]]
community = "demo-house-2"
number = "1"
kind = "apartment"
area = "41.5"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_message_reaches_a_neighbours_open_page_and_nobody_elses() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, codes) = common::server::serve_demo(listener, ANOTHER_HOUSE, &[]).await;
    // The demo's posts and chat, seeded on the first run of the feed's job.
    common::run_job_now(&served.runtime, "feed", "digest", "demo-town").await;
    let mut people = Vec::new();
    for (phone, given, family, house, flat) in [
        (WRITER, "Анна", "Петрова", "demo-house-1", "12"),
        (READER, "Борис", "Ёлкин", "demo-house-1", "45"),
        (STRANGER, "Пётр", "Другов", "demo-house-2", "1"),
    ] {
        let client = served.sign_in(phone, given, family).await;
        let id = client.person.clone().unwrap();
        served.grant(&id, "resident", Some(house), None).await;
        served.own(&id, &format!("{house}/{flat}")).await;
        people.push(client);
    }

    let shots = common::browser::screenshots();
    let printed = common::browser::run_journey(
        "feed.mjs",
        &served,
        &codes,
        &shots,
        &[
            ("DVOR_WRITER_PHONE", WRITER),
            ("DVOR_READER_PHONE", READER),
            ("DVOR_STRANGER_PHONE", STRANGER),
        ],
    )
    .await;
    assert!(
        printed.contains("arrived on the neighbour's page"),
        "{printed}"
    );

    // The message is the room's history now, for its members only.
    let path = "/api/c/demo-house-1/p/feed/chats/entrance-2/messages";
    let history = people[1].get(path).await;
    assert_eq!(history.status, 200, "{history:?}");
    let texts: Vec<&str> = history.json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["Соседи, кто оставил санки у лифта на первом этаже?"],
        "{history:?}"
    );
    assert_eq!(people[2].get(path).await.status, 403);
    for page in ["feed", "feed-chat"] {
        for width in ["phone", "desktop"] {
            let shot = shots.join(format!("{page}-{width}.png"));
            assert!(shot.exists(), "no screenshot {}", shot.display());
        }
    }
}

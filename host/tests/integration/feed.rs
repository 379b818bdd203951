//! The `feed` plugin with the host's own events, which the test kit does not raise: a
//! resident granted by an admin (`person.joined`) is announced in the house chat with their
//! address, a revoked one (`person.left`) too, and a deleted account's name leaves what it
//! wrote (ФЗ-152) — on the bundled demo, over HTTP.

use serde_json::json;

use crate::common;
use crate::common::server::{Client, DEMO_ADMIN_PHONE};

const HOUSE_CHAT: &str = "/api/c/demo-house-1/p/feed/chats/house/messages";

fn delivery() -> dvor::events::DeliverySettings {
    dvor::events::DeliverySettings {
        max_attempts: 3,
        backoff_base: std::time::Duration::from_millis(1),
        backoff_max: std::time::Duration::from_millis(5),
        poll_interval: std::time::Duration::from_millis(10),
    }
}

/// The house chat's messages as `author: text`, after the due events were delivered.
async fn house_chat(served: &common::server::Served, reader: &Client) -> Vec<String> {
    for _ in 0..10 {
        dvor::events::deliver_due(&served.runtime, &delivery())
            .await
            .unwrap();
    }
    let answer = reader.get(HOUSE_CHAT).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m["author_name"].as_str().unwrap_or(""),
                m["text"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neighbours_joining_and_leaving_are_told_in_the_house_chat() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, _codes) = common::server::serve_demo(listener, "", &[]).await;
    let admin = served.sign_in(DEMO_ADMIN_PHONE, "Ольга", "Админова").await;
    let boris = served.sign_in("+79005550301", "Борис", "Ёлкин").await;
    let boris_id = boris.person.clone().unwrap();
    served
        .grant(&boris_id, "resident", Some("demo-house-1"), None)
        .await;
    served.own(&boris_id, "demo-house-1/45").await;

    // Дина owns flat 2; the admin makes her a resident of the house.
    let dina = served.sign_in("+79005550302", "Дина", "Орлова").await;
    let dina_id = dina.person.clone().unwrap();
    served.own(&dina_id, "demo-house-1/2").await;
    let granted = admin
        .post(
            "/api/roles",
            json!({ "person": dina_id, "role": "resident", "community": "demo-house-1" }),
        )
        .await;
    assert_eq!(granted.status, 201, "{granted:?}");
    let chat = house_chat(&served, &boris).await;
    assert!(
        chat.iter()
            .any(|m| m.ends_with("Новый сосед в чатах дома: Дина Орлова, кв. 2")),
        "{chat:?}"
    );

    // She writes, then deletes her account: her name leaves her message.
    let said = dina
        .post(
            HOUSE_CHAT,
            json!({ "text": "Всем привет из второй квартиры!" }),
        )
        .await;
    assert_eq!(said.status, 201, "{said:?}");
    assert!(
        house_chat(&served, &boris)
            .await
            .contains(&"Дина Орлова: Всем привет из второй квартиры!".to_owned())
    );
    let deleted = dina
        .delete("/api/me", Some(json!({ "confirm": true })))
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let chat = house_chat(&served, &boris).await;
    assert!(
        chat.contains(&"Удалённый пользователь: Всем привет из второй квартиры!".to_owned()),
        "{chat:?}"
    );
    // Nor is she named in the note of her joining any more.
    assert!(!chat.iter().any(|m| m.contains("Дина Орлова")), "{chat:?}");

    // A resident whose role is taken away leaves the house chat, and the chat says so.
    let gleb = served.sign_in("+79005550303", "Глеб", "Сомов").await;
    let gleb_id = gleb.person.clone().unwrap();
    let granted = admin
        .post(
            "/api/roles",
            json!({ "person": gleb_id, "role": "resident", "community": "demo-house-1" }),
        )
        .await;
    assert_eq!(granted.status, 201, "{granted:?}");
    assert_eq!(gleb.get(HOUSE_CHAT).await.status, 200);
    let grant = granted.json["id"].as_i64().unwrap();
    let revoked = admin.delete(&format!("/api/roles/{grant}"), None).await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    let chat = house_chat(&served, &boris).await;
    assert!(
        chat.iter()
            .any(|m| m.ends_with("Больше не в чатах дома: Глеб Сомов")),
        "{chat:?}"
    );
    assert_eq!(gleb.get(HOUSE_CHAT).await.status, 403);
}

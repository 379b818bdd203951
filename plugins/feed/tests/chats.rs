//! The house chats through the plugin: rooms from the register, only their members follow
//! them, messages go out live, a hidden message leaves the open pages, unread counts on the
//! house's home, and the digest for those who have not looked in a day.

mod common;

use common::{house, inbox, operator, town, trusting};
use serde_json::json;

#[test]
fn rooms_come_from_the_register_and_only_their_members_get_in() {
    let mut host = town(trusting());
    let h = house(&mut host, 1);
    let petr = common::neighbour(&mut host, "Пётр Другов", "house-2", "1");
    let irina = operator(&mut host);

    // Анна lives in flat 7, entrance 2: the house, her entrance, the pool of flats and the
    // room with the management company.
    let rooms = host.at("house-1").by(&h.anna).get("chats");
    let titles: Vec<&str> = rooms.json["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Чат дома",
            "Подъезд 2",
            "Квартиры 1–12",
            "Чат с управляющей компанией"
        ]
    );
    let page = host.at("house-1").by(&h.anna).page("chats");
    assert!(
        page.shows("Подъезд 2") && !page.shows("Подъезд 1"),
        "{}",
        page.text
    );
    // Вера lives in entrance 1: entrance 2's room is not hers.
    assert_eq!(
        host.at("house-1")
            .by(&h.vera)
            .page("chats/entrance-2")
            .status(),
        403
    );
    assert!(!host.at("house-1").by(&h.vera).may_follow("room:entrance-2"));
    assert!(host.at("house-1").by(&h.vera).may_follow("room:entrance-1"));
    // A resident of another house gets nothing of it.
    assert_eq!(
        host.at("house-1").by(&petr).page("chats/house").status(),
        403
    );
    assert_eq!(host.at("house-1").by(&petr).page("chats").status(), 403);
    assert!(!host.at("house-1").by(&petr).may_follow("room:house"));
    assert!(!host.at("house-1").by(&petr).may_follow("room:staff"));
    assert!(host.at("house-1").by(&h.vera).may_follow("room:house"));
    assert!(host.at("house-1").by(&h.vera).may_follow("room:staff"));
    // The company's operator follows the staff room, not the neighbours' own.
    assert!(host.at("house-1").by(&irina).may_follow("room:staff"));
    assert!(!host.at("house-1").by(&irina).may_follow("room:house"));
    assert_eq!(
        host.at("house-2").by(&petr).get("chats").json["rooms"][0]["title"],
        "Чат дома"
    );
    // The company's operator is in the staff room only.
    let staff_rooms = host.at("house-1").by(&irina).get("chats");
    let titles: Vec<&str> = staff_rooms.json["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Чат с управляющей компанией"]);
    let said = host.at("house-1").by(&irina).submit(
        "chats/staff",
        "send",
        &[("text", "Завтра промываем стояки")],
    );
    assert!(
        matches!(said, dvor_testkit::Outcome::Redirect { .. }),
        "{said:?}"
    );
    let staff_room = host.at("house-1").by(&h.vera).page("chats/staff");
    assert!(
        staff_room.shows("Ирина Операторова · УК «Садовая»")
            && staff_room.shows("Завтра промываем стояки"),
        "{}",
        staff_room.text
    );
    // The members list names each with their address.
    let members = host
        .at("house-1")
        .by(&h.anna)
        .page("chats/entrance-2/members");
    assert!(
        members.shows("Анна Петрова") && members.shows("кв. 7") && members.shows("Борис Ёлкин"),
        "{}",
        members.text
    );
    assert!(!members.shows("Вера Лаптева"), "{}", members.text);
}

#[test]
fn a_message_goes_out_live_and_a_hidden_one_leaves_the_open_pages() {
    let mut host = town(trusting());
    // Established neighbours of entrance 2: Анна, Борис, and Дина of flat 9.
    let h = house(&mut host, 0);
    let dina = common::neighbour(&mut host, "Дина Орлова", "house-1", "9");
    assert_eq!(host.at("house-1").by(&dina).page("").status(), 200);
    host.advance(std::time::Duration::from_secs(400 * 86_400));
    assert!(
        host.at("house-1")
            .by(&h.boris)
            .may_follow("room:entrance-2")
    );

    let sent = host.at("house-1").by(&h.anna).submit(
        "chats/entrance-2",
        "send",
        &[("text", "Кто взял ключ от колясочной?")],
    );
    assert!(
        matches!(sent, dvor_testkit::Outcome::Redirect { .. }),
        "{sent:?}"
    );
    let live = host.live("house-1", "room:entrance-2");
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0]["mode"], "append");
    let text = live[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Анна Петрова · кв. 7") && text.contains("Кто взял ключ от колясочной?"),
        "{text}"
    );
    assert_eq!(live[0]["data"]["text"], "Кто взял ключ от колясочной?");
    // Nothing reached the other rooms' channels.
    assert!(host.live("house-1", "room:entrance-1").is_empty());

    // Борис has one unread message, on the house's home page tile, until he opens the room.
    let tile = host.at("house-1").by(&h.boris).tile(false).expect("a tile");
    assert_eq!(tile["count"], 1, "{tile}");
    assert_eq!(tile["lines"][0], "Подъезд 2: 1 новых");
    let room = host.at("house-1").by(&h.boris).page("chats/entrance-2");
    assert!(room.shows("Кто взял ключ от колясочной?"), "{}", room.text);
    assert!(host.at("house-1").by(&h.boris).tile(false).expect("a tile")["count"].is_null());
    assert!(
        host.at("house-1").by(&h.boris).tile(true).is_none(),
        "nothing new for his own home"
    );

    // Reported by two established neighbours, it is hidden: the open pages get the history
    // without it, and a fresh look does not show it.
    let id = host
        .at("house-1")
        .by(&h.boris)
        .get("chats/entrance-2/messages")
        .json["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = host
        .at("house-1")
        .by(&h.boris)
        .page("chats/entrance-2/report");
    assert!(
        report.shows("Кто взял ключ от колясочной?"),
        "{}",
        report.text
    );
    for who in [&h.boris, &dina] {
        let r = host.at("house-1").by(who).submit(
            &format!("messages/{id}/report"),
            "report",
            &[("reason", "insult")],
        );
        assert!(r.notice().is_some(), "{r:?}");
    }
    let live = host.live("house-1", "room:entrance-2");
    assert_eq!(live.len(), 2, "{live:?}");
    assert_eq!(live[1]["mode"], "replace");
    assert!(
        !live[1]["text"].as_str().unwrap().contains("колясочной"),
        "{}",
        live[1]["text"]
    );
    assert!(
        !host
            .at("house-1")
            .by(&h.boris)
            .page("chats/entrance-2")
            .shows("колясочной")
    );

    // A moderator restores it: back on the open pages.
    let olga = common::moderator(&mut host);
    let restored = host.at("house-1").by(&olga).post(
        &format!("moderation/messages/{id}"),
        json!({ "action": "restore", "reason": "Обычный вопрос соседям" }),
    );
    assert_eq!(restored.status, 201, "{}", restored.body);
    let live = host.live("house-1", "room:entrance-2");
    assert_eq!(live[2]["mode"], "replace");
    assert!(live[2]["text"].as_str().unwrap().contains("колясочной"));
    assert!(inbox(&mut host, &h.anna)[0].starts_with("Решение модератора: восстановлено"));
}

#[test]
fn the_digest_goes_to_those_who_chose_it_and_have_not_looked_in_a_day() {
    let mut host = town(trusting());
    let h = house(&mut host, 1);
    for (who, choice) in [(&h.boris, "sms"), (&h.vera, "email")] {
        let saved = host
            .at("house-1")
            .by(who)
            .submit("chats", "digest", &[("digest", choice)]);
        assert_eq!(saved.notice(), Some("Сохранено"), "{saved:?}");
    }
    // Вера looks at the house chat after the message; Борис does not; Глеб chose no digest.
    host.at("house-1").by(&h.anna).post(
        "chats/house/messages",
        json!({ "text": "Завтра субботник во дворе!" }),
    );
    host.advance(std::time::Duration::from_secs(3600));
    assert!(
        host.at("house-1")
            .by(&h.vera)
            .page("chats/house")
            .shows("субботник")
    );
    host.advance(std::time::Duration::from_secs(25 * 3600));
    host.run_job("digest", "town");
    let boris = host.inbox(&h.boris);
    assert_eq!(boris.len(), 1, "{boris:?}");
    assert_eq!(boris[0]["title"], "Новое в чатах дома");
    assert_eq!(boris[0]["body"], "1 новое сообщение: Чат дома — 1");
    assert_eq!(
        boris[0]["urgency"], "high",
        "SMS is for urgent notifications"
    );
    assert_eq!(boris[0]["link"], "/c/house-1/p/feed/chats");
    // Вера has read it; Глеб did not ask. Nobody is told twice.
    assert!(host.inbox(&h.vera).is_empty());
    assert!(host.inbox(&h.gleb).is_empty());
    host.advance(std::time::Duration::from_secs(3 * 3600));
    host.run_job("digest", "town");
    assert_eq!(host.inbox(&h.boris).len(), 1);
}

//! The feed through the plugin: typed posts with their lifecycles and expiry, «пойду»,
//! reactions, comments in threads with mentions and who is told, entrances, the places above,
//! the management company's pinned notices, and the events gamification counts.

mod common;

use common::{house, inbox, operator, post, town, trusting};
use serde_json::json;

#[test]
fn a_lost_thing_found_with_a_neighbours_help_is_the_helped_moment() {
    let mut host = town(trusting());
    let h = house(&mut host, 3);
    let id = post(
        &mut host,
        "house-1",
        &h.vera,
        "lost",
        "Потерялся кот Барсик",
        "Рыжий, откликается на «кис-кис».",
    );
    assert_eq!(
        host.events_of("feed.posted")[0]["person_id"],
        h.vera.id.as_str()
    );
    let card = host.at("house-1").by(&h.boris).page("");
    assert!(
        card.shows("Потеряно")
            && card.shows("Потерялся кот Барсик")
            && card.shows("Вера Лаптева · кв. 1"),
        "{}",
        card.text
    );

    let said = host.at("house-1").by(&h.boris).submit(
        &format!("posts/{id}"),
        "comment",
        &[("text", "Сидит у меня на балконе, кв. 8!")],
    );
    assert_eq!(said.notice(), Some("Комментарий добавлен"), "{said:?}");
    assert!(inbox(&mut host, &h.vera)[0].starts_with(
        "Борис Ёлкин ответил(а) на вашу запись «Потерялся кот Барсик» — Сидит у меня на балконе"
    ));

    // Only the author moves the post along; the helper is one of those who answered.
    let not_hers = host.at("house-1").by(&h.gleb).post(
        &format!("posts/{id}/lifecycle"),
        json!({ "action": "resolve" }),
    );
    assert_eq!(not_hers.status, 403, "{}", not_hers.body);
    let stranger = host.at("house-1").by(&h.vera).post(
        &format!("posts/{id}/lifecycle"),
        json!({ "action": "resolve", "helper": h.gleb.id }),
    );
    assert_eq!(stranger.field(), Some("helper"), "{}", stranger.body);
    let found = host.at("house-1").by(&h.vera).submit(
        &format!("posts/{id}"),
        "resolve",
        &[("helper", &h.boris.id)],
    );
    assert_eq!(found.notice(), Some("Готово"), "{found:?}");
    let helped = host.events_of("feed.helped");
    assert_eq!(helped.len(), 1);
    assert_eq!(helped[0]["person_id"], h.boris.id.as_str());
    assert!(
        inbox(&mut host, &h.boris)[0]
            .starts_with("Спасибо, что помогли! — Вера Лаптева отметил(а), что вы помогли")
    );
    // Found things leave the feed, and the post says so.
    assert!(!host.at("house-1").by(&h.gleb).page("").shows("Барсик"));
    assert!(
        host.at("house-1")
            .by(&h.gleb)
            .page(&format!("posts/{id}"))
            .shows("Нашлось")
    );
}

#[test]
fn comments_thread_and_mentions_reach_the_people_named() {
    let mut host = town(trusting());
    let h = house(&mut host, 3);
    let id = post(
        &mut host,
        "house-1",
        &h.anna,
        "question",
        "Где сдать батарейки?",
        "Ищу пункт приёма рядом.",
    );
    let first = host.at("house-1").by(&h.boris).post(
        &format!("posts/{id}/comments"),
        json!({ "text": "В магазине у остановки" }),
    );
    let root = first.json["id"].as_str().unwrap().to_owned();
    // Вера answers Борис, and calls Глеб in.
    let answered = host.at("house-1").by(&h.vera).post(
        &format!("posts/{id}/comments"),
        json!({ "text": "Там уже не берут. @Глеб Сомов, ты же знаешь, где ещё?", "parent": root }),
    );
    assert_eq!(answered.status, 201, "{}", answered.body);
    assert!(
        inbox(&mut host, &h.boris)[0].starts_with("Вера Лаптева ответил(а) на ваш комментарий")
    );
    assert!(
        inbox(&mut host, &h.gleb)[0]
            .starts_with("Вера Лаптева упомянул(а) вас: «Где сдать батарейки?»")
    );
    // Анна, the author, hears of both comments.
    assert_eq!(inbox(&mut host, &h.anna).len(), 2);
    let thread = host.at("house-1").by(&h.anna).get(&format!("posts/{id}"));
    assert_eq!(
        thread.json["threads"][0]["answers"][0]["data"]["parent"],
        root.as_str()
    );
    let shown = host.at("house-1").by(&h.anna).page(&format!("posts/{id}"));
    assert!(shown.shows("Вера Лаптева → Борис Ёлкин"), "{}", shown.text);
    // The author closes her question.
    let closed = host
        .at("house-1")
        .by(&h.anna)
        .submit(&format!("posts/{id}"), "resolve", &[]);
    assert_eq!(closed.notice(), Some("Готово"));
    assert!(
        host.at("house-1")
            .by(&h.anna)
            .page(&format!("posts/{id}"))
            .shows("Вопрос решён")
    );
}

#[test]
fn reactions_and_going_to_an_event_count_each_neighbour_once() {
    let mut host = town(trusting());
    let h = house(&mut host, 3);
    let made = host.at("house-1").by(&h.anna).post(
        "posts",
        json!({ "type": "event", "title": "Чаепитие во дворе", "text": "Несите пироги", "day": "2026-06-06", "start": "17:00" }),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.json["id"].as_str().unwrap().to_owned();
    let route = format!("posts/{id}");
    for who in [&h.boris, &h.vera, &h.boris] {
        host.at("house-1").by(who).submit(&route, "react-like", &[]);
    }
    host.at("house-1").by(&h.gleb).submit(&route, "going", &[]);
    host.at("house-1").by(&h.vera).submit(&route, "going", &[]);
    let page = host.at("house-1").by(&h.vera).page(&route);
    // Борис took his back: one like, Вера's.
    assert!(page.shows("👍 1"), "{}", page.text);
    assert!(
        page.shows("Не пойду (2)") && page.shows("06.06.2026"),
        "{}",
        page.text
    );
    assert!(
        page.shows("19:00"),
        "two hours after the start: {}",
        page.text
    );
    // Once it is over, it leaves the feed and nobody signs up.
    host.set_clock("2026-06-06T20:00:00+03:00");
    assert!(
        !host
            .at("house-1")
            .by(&h.vera)
            .page("")
            .shows("Чаепитие во дворе")
    );
    let late = host
        .at("house-1")
        .by(&h.anna)
        .post(&format!("posts/{id}/going"), json!({ "going": true }));
    assert_eq!(late.status, 409, "{}", late.body);
    // An event in the past is refused with the error on its field.
    let past = host.at("house-1").by(&h.anna).post(
        "posts",
        json!({ "type": "event", "text": "Вчера", "day": "2026-06-05", "start": "10:00" }),
    );
    assert_eq!(past.field(), Some("day"), "{}", past.body);
}

#[test]
fn entrances_places_above_and_the_companys_pinned_notices() {
    let mut host = town(trusting());
    let h = house(&mut host, 3);
    let irina = operator(&mut host);
    let petr = common::neighbour(&mut host, "Пётр Другов", "house-2", "1");
    // A post for entrance 2 reaches entrance 2 only; Анна may not write to entrance 1.
    let mine = host.at("house-1").by(&h.anna).post("posts", json!({ "type": "news", "title": "Лифт шумит", "text": "Кто ещё слышит?", "entrance": "2" }));
    assert_eq!(mine.status, 201, "{}", mine.body);
    assert!(host.at("house-1").by(&h.boris).page("").shows("Лифт шумит"));
    assert!(!host.at("house-1").by(&h.vera).page("").shows("Лифт шумит"));
    let other = host.at("house-1").by(&h.anna).post(
        "posts",
        json!({ "type": "news", "text": "Привет", "entrance": "1" }),
    );
    assert_eq!(other.field(), Some("entrance"), "{}", other.body);

    // The company's notice, pinned, first in the feed, and in the company's name.
    let notice = host.at("house-1").by(&irina).submit(
        "new",
        "create-post",
        &[
            ("type", "news"),
            ("title", "Отключение горячей воды"),
            ("text", "Во вторник с 10 до 18"),
            ("pinned", "true"),
        ],
    );
    assert_eq!(notice.notice(), Some("Запись опубликована"), "{notice:?}");
    let feed = host.at("house-1").by(&h.vera).page("");
    assert!(
        feed.shows("Закреплено") && feed.shows("УК «Садовая» · Ирина Операторова"),
        "{}",
        feed.text
    );
    let both = host.at("house-1").by(&h.boris).page("");
    let (pinned, newer) = (
        both.text.find("Отключение горячей воды"),
        both.text.find("Лифт шумит"),
    );
    assert!(
        pinned.is_some() && newer.is_some() && pinned < newer,
        "{}",
        both.text
    );
    let pin = host.at("house-1").by(&h.anna).post(
        "posts",
        json!({ "type": "news", "text": "Важное", "pinned": true }),
    );
    assert_eq!(pin.field(), Some("pinned"), "{}", pin.body);

    // A town post shows in every house's feed; it is answered on the town's page.
    let town_post = post(
        &mut host,
        "town",
        &h.gleb,
        "recommendation",
        "Хорошая пекарня",
        "На Торговой улице",
    );
    assert!(
        host.at("house-1")
            .by(&h.vera)
            .page("")
            .shows("Хорошая пекарня")
    );
    assert!(
        host.at("house-2")
            .by(&petr)
            .page("")
            .shows("Хорошая пекарня")
    );
    let from_house = host
        .at("house-1")
        .by(&h.vera)
        .page(&format!("posts/{town_post}"));
    assert!(
        from_house.shows("Комментировать, отмечаться и жаловаться можно на странице этого места"),
        "{}",
        from_house.text
    );
    let on_town = host.at("town").by(&petr).post(
        &format!("posts/{town_post}/comments"),
        json!({ "text": "Подтверждаю!" }),
    );
    assert_eq!(on_town.status, 201, "{}", on_town.body);
    // But a house's posts stay in the house: not on the town's feed, not for other houses.
    assert!(!host.at("town").by(&petr).page("").shows("Лифт шумит"));
    assert!(
        !host
            .at("house-2")
            .by(&petr)
            .page("")
            .shows("Отключение горячей воды")
    );
    assert_eq!(host.at("house-1").by(&petr).page("").status(), 403);
}

#[test]
fn posts_leave_the_feed_when_their_time_is_up_and_the_feed_speaks_english() {
    let mut host = town(trusting());
    let h = house(&mut host, 3);
    post(
        &mut host,
        "house-1",
        &h.anna,
        "give_away",
        "Отдам шкаф",
        "Разборный, забирайте",
    );
    post(
        &mut host,
        "house-1",
        &h.anna,
        "recommendation",
        "Сантехник Иван",
        "Быстро и аккуратно",
    );
    host.advance(std::time::Duration::from_secs(15 * 86_400));
    let feed = host.at("house-1").by(&h.boris).page("");
    assert!(
        !feed.shows("Отдам шкаф") && feed.shows("Сантехник Иван"),
        "{}",
        feed.text
    );
    let english = host.at("house-1").by(&h.boris).english().page("");
    assert!(english.title.starts_with("Neighbours"), "{}", english.title);
    assert!(english.shows("Recommendation"), "{}", english.text);
    // The type filter keeps to its type.
    let filtered = host
        .at("house-1")
        .by(&h.boris)
        .get("posts?type=recommendation");
    assert_eq!(
        filtered.json["posts"].as_array().map(Vec::len),
        Some(1),
        "{}",
        filtered.body
    );
    let none = host.at("house-1").by(&h.boris).get("posts?type=question");
    assert_eq!(none.json["posts"], json!([]), "{}", none.body);
}

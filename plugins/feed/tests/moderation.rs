//! The moderation rules of RULES §9 through the plugin: reports weigh by the reporter's
//! standing and hide a post once they weigh enough; watched words block or hold; a new
//! member's first posts wait; rate limits; every decision has a reason the author reads and
//! may appeal once, to another moderator.

mod common;

use common::{house, inbox, moderator, post, queue, town, town_moderator, trusting};
use dvor_testkit::Outcome;
use serde_json::json;

#[test]
fn reports_weigh_by_standing_and_hide_a_post_once_they_weigh_enough() {
    let mut host = town(trusting());
    // A year in the house: each established neighbour's report weighs 10 + 12 months + 10 for
    // verified ownership = 32; two of them pass the threshold of 50.
    let h = house(&mut host, 366);
    let olga = moderator(&mut host);
    let id = post(
        &mut host,
        "house-1",
        &h.anna,
        "news",
        "Скидки в салоне",
        "Приходите в наш салон на Лесной, скидка 50 %!",
    );

    // Five neighbours who signed up today weigh the minimum each: the post stays.
    for (i, flat) in ["3", "4", "5", "6", "9"].into_iter().enumerate() {
        let fresh = common::neighbour(&mut host, &format!("Новичок {i}"), "house-1", flat);
        let sent = host
            .at("house-1")
            .by(&fresh)
            .post(&format!("posts/{id}/reports"), json!({ "reason": "spam" }));
        assert_eq!(sent.status, 201, "{}", sent.body);
        assert_eq!(sent.json["weight"], 1);
    }
    assert!(
        host.at("house-1")
            .by(&h.gleb)
            .page("")
            .shows("Скидки в салоне")
    );

    let first = host.at("house-1").by(&h.vera).submit(
        &format!("posts/{id}/report"),
        "report",
        &[("reason", "spam")],
    );
    assert_eq!(
        first.notice(),
        Some("Спасибо, жалоба отправлена модераторам"),
        "{first:?}"
    );
    assert!(
        host.at("house-1")
            .by(&h.gleb)
            .page("")
            .shows("Скидки в салоне")
    );
    // The same neighbour twice counts once.
    let again = host
        .at("house-1")
        .by(&h.vera)
        .post(&format!("posts/{id}/reports"), json!({ "reason": "spam" }));
    assert_eq!(again.status, 409, "{}", again.body);

    let second = host.at("house-1").by(&h.boris).submit(
        &format!("posts/{id}/report"),
        "report",
        &[("reason", "fraud"), ("note", "Это не соседка, это реклама")],
    );
    assert_eq!(
        second.notice(),
        Some("Спасибо. Запись скрыта до решения модератора"),
        "{second:?}"
    );

    // Hidden from the feed and from its page, for everyone but its author and the moderators.
    assert!(
        !host
            .at("house-1")
            .by(&h.gleb)
            .page("")
            .shows("Скидки в салоне")
    );
    assert_eq!(
        host.at("house-1")
            .by(&h.gleb)
            .page(&format!("posts/{id}"))
            .status(),
        404
    );
    let own = host.at("house-1").by(&h.anna).page(&format!("posts/{id}"));
    assert!(
        own.shows("Скрыто по жалобам до решения модератора"),
        "{}",
        own.text
    );
    assert!(inbox(&mut host, &h.anna)[0].starts_with("Ваша запись скрыта по жалобам соседей"));

    // The moderators' queue says why, with the weights and the reporters' words.
    let q = queue(&mut host, "house-1", &olga);
    let waiting = &q["waiting"][0];
    assert_eq!(waiting["id"], id.as_str());
    assert_eq!(waiting["moderation"], "reported");
    let why = waiting["reasons"][0].as_str().unwrap();
    assert!(why.starts_with("Жалобы: 7 (вес 69 из 50)"), "{why}");
    assert!(
        why.contains("Реклама или спам — 6") && why.contains("Мошенничество — 1"),
        "{why}"
    );
    assert_eq!(waiting["reasons"][1], "«Это не соседка, это реклама»");
    let page = host.at("house-1").by(&olga).page("moderation");
    assert!(
        page.shows("Скидки в салоне") && page.shows("Анна Петрова"),
        "{}",
        page.text
    );
}

#[test]
fn a_decision_needs_a_reason_the_author_reads_and_may_appeal_once_to_another_moderator() {
    let mut host = town(trusting());
    let h = house(&mut host, 400);
    let olga = moderator(&mut host);
    let sergey = town_moderator(&mut host);
    let id = post(
        &mut host,
        "house-1",
        &h.anna,
        "news",
        "Про соседа сверху",
        "Цитата из его письма в УК.",
    );
    for who in [&h.boris, &h.vera] {
        let sent = host.at("house-1").by(who).post(
            &format!("posts/{id}/reports"),
            json!({ "reason": "insult" }),
        );
        assert_eq!(sent.status, 201, "{}", sent.body);
    }
    let route = format!("moderation/posts/{id}");
    let item = host.at("house-1").by(&olga).page(&route);
    assert!(item.shows("Оскорбления — 2"), "{}", item.text);

    // No reason, no decision: the error stands next to the field, and nothing changes.
    let bare = host.at("house-1").by(&olga).submit(
        &route,
        "decide",
        &[("action", "remove"), ("reason", " ")],
    );
    assert_eq!(
        bare.error_of("reason"),
        Some("Объясните решение: автор увидит эту причину"),
        "{bare:?}"
    );
    let decided = host.at("house-1").by(&olga).submit(
        &route,
        "decide",
        &[("action", "remove"), ("reason", "Оскорбление соседа")],
    );
    assert_eq!(
        decided.notice(),
        Some("Решение записано, автор его увидит"),
        "{decided:?}"
    );

    // The author reads the decision and its reason, and may appeal within 14 days.
    let told = inbox(&mut host, &h.anna);
    assert!(told[0].starts_with("Решение модератора: удалено — «Про соседа сверху Цитата из его письма в УК.». Причина: Оскорбление соседа."), "{told:?}");
    assert!(
        told[0].contains("обжаловать решение в течение 14 дн."),
        "{told:?}"
    );
    let mine = host.at("house-1").by(&h.anna).get("decisions");
    let decision = mine.json["decisions"][0]["id"].as_str().unwrap().to_owned();
    let page = host
        .at("house-1")
        .by(&h.anna)
        .page(&format!("decisions/{decision}"));
    assert!(
        page.shows("Оскорбление соседа")
            && page.shows("Ольга Модерова")
            && page.shows("20.07.2027"),
        "{}",
        page.text
    );
    // Nobody else reads it.
    assert_eq!(
        host.at("house-1")
            .by(&h.gleb)
            .page(&format!("decisions/{decision}"))
            .status(),
        404
    );

    let appealed = host.at("house-1").by(&h.anna).submit(
        &format!("decisions/{decision}"),
        "appeal",
        &[("text", "Это дословная цитата, без оценок")],
    );
    assert_eq!(
        appealed.notice(),
        Some("Обжалование подано"),
        "{appealed:?}"
    );
    let twice = host.at("house-1").by(&h.anna).post(
        &format!("decisions/{decision}/appeal"),
        json!({ "text": "Ещё раз" }),
    );
    assert_eq!(twice.status, 409, "{}", twice.body);

    // The moderator who decided does not resolve the appeal on her own decision.
    let own = host.at("house-1").by(&olga).post(
        &format!("decisions/{decision}/resolve"),
        json!({ "upheld": true, "reason": "Решение верное" }),
    );
    assert_eq!(own.status, 403, "{}", own.body);
    // Another moderator finds it does not stand: the post is back, and the author is told why.
    assert_eq!(
        queue(&mut host, "town", &sergey)["appeals"][0]["id"],
        decision.as_str()
    );
    let resolved = host.at("town").by(&sergey).submit(
        &format!("decisions/{decision}"),
        "resolve-appeal",
        &[("upheld", "no"), ("reason", "Цитата без оскорблений")],
    );
    assert_eq!(
        resolved.notice(),
        Some("Обжалование рассмотрено"),
        "{resolved:?}"
    );
    assert!(
        host.at("house-1")
            .by(&h.gleb)
            .page("")
            .shows("Про соседа сверху")
    );
    assert!(
        inbox(&mut host, &h.anna)[0]
            .starts_with("Жалоба рассмотрена: решение отменено — «Про соседа сверху")
    );

    // Too late to appeal a later decision after 14 days.
    let hide = host.at("house-1").by(&olga).post(
        &format!("moderation/posts/{id}"),
        json!({ "action": "hide", "reason": "Снова жалобы" }),
    );
    assert_eq!(hide.status, 201, "{}", hide.body);
    let later = hide.json["id"].as_str().unwrap().to_owned();
    host.advance(std::time::Duration::from_secs(15 * 86_400));
    let late = host.at("house-1").by(&h.anna).post(
        &format!("decisions/{later}/appeal"),
        json!({ "text": "Не согласна" }),
    );
    assert_eq!(
        (late.status, late.json["error"]["message"].as_str()),
        (409, Some("Срок обжалования прошёл")),
        "{}",
        late.body
    );
}

#[test]
fn watched_words_block_or_hold_and_a_moderator_lets_a_held_post_through() {
    let mut host = town(json!({
        "gate": { "first_posts_held": 0 },
        "watched_words": [{ "pattern": "казино", "action": "block" }],
    }));
    let h = house(&mut host, 30);
    let olga = moderator(&mut host);
    // The house's moderator adds a word of her own.
    let added = host.at("house-1").by(&olga).submit(
        "moderation/words",
        "add-word",
        &[("pattern", "продам"), ("action", "hold"), ("mode", "word")],
    );
    assert_eq!(added.notice(), Some("Слово добавлено"), "{added:?}");

    // Blocked: the error next to the text names the word, and nothing is stored.
    let refused = host.at("house-1").by(&h.anna).submit(
        "new",
        "create-post",
        &[("type", "news"), ("text", "Лучшие КАЗИНО онлайн")],
    );
    assert_eq!(
        refused.error_of("text"),
        Some("Так написать нельзя: правила запрещают слова «казино»"),
        "{refused:?}"
    );
    // Latin look-alike letters do not get it through either.
    let sneaky = host
        .at("house-1")
        .by(&h.anna)
        .post("posts", json!({ "type": "news", "text": "Лучшие кaзинo" }));
    assert!(matches!(sneaky.status, 400 | 422), "{}", sneaky.body);
    assert_eq!(sneaky.field(), Some("text"));
    assert!(host.events_of("feed.posted").is_empty());

    // Held: not in the feed until a moderator approves it.
    let held = host.at("house-1").by(&h.anna).submit(
        "new",
        "create-post",
        &[
            ("type", "give_away"),
            ("title", "Продам велосипед"),
            ("text", "Почти новый"),
        ],
    );
    assert_eq!(
        held.notice(),
        Some("Запись появится в ленте после проверки модератором"),
        "{held:?}"
    );
    assert!(
        !host
            .at("house-1")
            .by(&h.boris)
            .page("")
            .shows("Продам велосипед")
    );
    let q = queue(&mut host, "house-1", &olga);
    assert_eq!(q["waiting"][0]["reasons"][0], "Стоп-слова: «продам»");
    let id = q["waiting"][0]["id"].as_str().unwrap().to_owned();
    let ok = host.at("house-1").by(&olga).submit(
        &format!("moderation/posts/{id}"),
        "decide",
        &[("action", "approve"), ("reason", "Продаёт своё, не бизнес")],
    );
    assert_eq!(
        ok.notice(),
        Some("Решение записано, автор его увидит"),
        "{ok:?}"
    );
    assert!(
        host.at("house-1")
            .by(&h.boris)
            .page("")
            .shows("Продам велосипед")
    );
    assert_eq!(host.events_of("feed.posted").len(), 1);

    // Chat messages pass the same words.
    let blocked = host.at("house-1").by(&h.boris).submit(
        "chats/entrance-2",
        "send",
        &[("text", "Заходите в казино!")],
    );
    assert!(
        blocked
            .error_of("text")
            .is_some_and(|e| e.contains("«казино»")),
        "{blocked:?}"
    );
}

#[test]
fn a_new_members_first_posts_wait_for_a_moderator() {
    let mut host = town(json!({}));
    let h = house(&mut host, 1);
    let olga = moderator(&mut host);
    for n in 1..=3 {
        let title = format!("Запись номер {n}");
        let made = host.at("house-1").by(&h.anna).post(
            "posts",
            json!({ "type": "news", "title": title, "text": "Привет, соседи" }),
        );
        assert_eq!(
            (made.status, made.json["moderation"].as_str()),
            (201, Some("held")),
            "{}",
            made.body
        );
        let q = queue(&mut host, "house-1", &olga);
        assert_eq!(
            q["waiting"][0]["reasons"][0],
            format!("Новый участник: одобрено {} из первых 3", n - 1)
        );
        assert!(!host.at("house-1").by(&h.boris).page("").shows(&title));
        let id = made.json["id"].as_str().unwrap();
        let ok = host.at("house-1").by(&olga).post(
            &format!("moderation/posts/{id}"),
            json!({ "action": "approve", "reason": "Знакомимся" }),
        );
        assert_eq!(ok.status, 201, "{}", ok.body);
        assert!(host.at("house-1").by(&h.boris).page("").shows(&title));
    }
    // Three approved: the fourth goes straight out.
    let fourth = host.at("house-1").by(&h.anna).post(
        "posts",
        json!({ "type": "news", "title": "Четвёртая", "text": "Уже своя" }),
    );
    assert_eq!(fourth.json["moderation"], "published", "{}", fourth.body);
    // Staff of the management company are not held.
    let irina = common::operator(&mut host);
    let notice = host.at("house-1").by(&irina).post(
        "posts",
        json!({ "type": "news", "title": "Отключение воды", "text": "Во вторник с 10 до 18" }),
    );
    assert_eq!(notice.json["moderation"], "published", "{}", notice.body);
}

#[test]
fn too_many_posts_in_an_hour_are_refused_saying_how_long_to_wait() {
    let mut host = town(json!({
        "gate": { "first_posts_held": 0, "posts": [{ "max": 2, "window_seconds": 3600 }] },
    }));
    let h = house(&mut host, 10);
    for title in ["Первая", "Вторая"] {
        post(&mut host, "house-1", &h.vera, "news", title, "Текст");
    }
    host.advance(std::time::Duration::from_secs(600));
    let third = host.at("house-1").by(&h.vera).submit(
        "new",
        "create-post",
        &[("type", "news"), ("text", "Третья")],
    );
    assert_eq!(
        third.error_of("text"),
        Some("Слишком часто: попробуйте через 3000 с"),
        "{third:?}"
    );
    assert!(matches!(third, Outcome::Invalid(_)));
    host.advance(std::time::Duration::from_secs(3000));
    post(&mut host, "house-1", &h.vera, "news", "Третья", "Текст");
}

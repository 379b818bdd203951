//! The demo's seed (`settings.demo = true`), on the digest job's first run: a few posts of the
//! town and of each house — a pinned notice of the management company, a question with
//! answers, a found thing, a give-away, an event — and a conversation in each house chat, so a
//! newcomer sees a living place. The demo's neighbours are not people of the instance: they
//! cannot be written to, only read.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::model::{
    COMMENTS, CommentDoc, MESSAGES, MessageDoc, ModerationState, POSTS, PostDoc, STATE, Settings,
};
use crate::posts::{PostKind, PostState};
use crate::rooms::RoomKind;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

struct Seed<'a> {
    place: &'a str,
    depth: i64,
    settings: &'a Settings,
    now: i64,
}

impl Seed<'_> {
    #[allow(clippy::too_many_arguments)]
    fn post(
        &self,
        kind: PostKind,
        title: &str,
        text: &str,
        author: (&str, &str),
        organization: Option<String>,
        pinned: bool,
        hours_ago: i64,
    ) -> Result<String> {
        let at = self.now - hours_ago * HOUR;
        let mut post = PostDoc {
            place: self.place.to_owned(),
            depth: self.depth,
            entrance: None,
            kind,
            title: title.to_owned(),
            text: text.to_owned(),
            photos: Vec::new(),
            author: author.0.to_owned(),
            author_name: author.1.to_owned(),
            author_address: None,
            organization,
            state: PostState::Open,
            pinned,
            created_at: at,
            published_at: at,
            leaves_at: 0,
            open: false,
            mod_state: ModerationState::default(),
            helper: None,
            going: Default::default(),
            reactions: Default::default(),
        };
        post.refresh_index(&self.settings.expiry);
        Ok(POSTS.insert(self.place, None, &post)?.id)
    }

    fn comment(&self, post: &str, author: (&str, &str), text: &str, hours_ago: i64) -> Result<()> {
        COMMENTS.insert(
            self.place,
            None,
            &CommentDoc {
                post: post.to_owned(),
                parent: None,
                text: text.to_owned(),
                author: author.0.to_owned(),
                author_name: author.1.to_owned(),
                at: self.now - hours_ago * HOUR,
                mentions: Vec::new(),
                mod_state: ModerationState::default(),
            },
        )?;
        Ok(())
    }
}

const MARIA: (&str, &str) = ("demo-maria", "Мария Соседова");
const OLEG: (&str, &str) = ("demo-oleg", "Олег Лавочкин");
const NINA: (&str, &str) = ("demo-nina", "Нина Петровна");

/// Seed the demo under the call's community once, when the settings ask for it.
pub fn seed_once(settings: &Settings) -> Result<bool> {
    if !settings.demo || STATE.get("demo")?.is_some() {
        return Ok(false);
    }
    let root = ctx::community();
    let now = ctx::now();
    let town = Seed {
        place: &root,
        depth: crate::feed::depth_here(),
        settings,
        now,
    };
    let administration = directory::organizations(&root, Some("government"))
        .into_iter()
        .next()
        .map(|o| o.name);
    let offset = ctx::utc_offset_minutes()?;
    let today = ctx::today()?;
    let saturday = (1..=7)
        .filter_map(|d| today.add_days(d))
        .find(|d| d.days_since_epoch().rem_euclid(7) == 2)
        .unwrap_or(today);
    let starts = saturday.start_timestamp(offset) + 10 * HOUR;
    town.post(
        PostKind::Event {
            starts_at: starts,
            ends_at: starts + 3 * HOUR,
        },
        "Субботник в сквере у школы",
        "Приглашаем всех на субботник: грабли и мешки выдадим, чай — тоже. Сбор у входа в сквер.",
        (
            "demo-administration",
            administration.as_deref().unwrap_or("Администрация"),
        ),
        administration.clone(),
        false,
        20,
    )?;
    town.post(
        PostKind::Recommendation,
        "Хорошая мастерская по ремонту обуви",
        "На Торговой улице, рядом с пекарней. Поставили набойки за полчаса и недорого.",
        OLEG,
        None,
        false,
        50,
    )?;
    for house in directory::descendants(&root, Some("house")) {
        let seed = Seed {
            place: &house.id,
            depth: town.depth + directory::ancestry(&house.id).len() as i64 - 1,
            settings,
            now,
        };
        if let Some(company) = directory::organizations(&house.id, Some("management-company"))
            .into_iter()
            .next()
        {
            seed.post(
                PostKind::News,
                "Плановое отключение горячей воды",
                "С 10:00 до 18:00 в ближайший вторник — замена задвижек в подвале. Просим заранее набрать воду.",
                ("demo-company", &company.name),
                Some(company.name.clone()),
                true,
                6,
            )?;
        }
        let question = seed.post(
            PostKind::Question,
            "Кто знает хорошего электрика?",
            "Искрит розетка на кухне. Посоветуйте мастера, которому доверяете.",
            MARIA,
            None,
            false,
            30,
        )?;
        seed.comment(
            &question,
            OLEG,
            "Звоните Сергею из 3-го подъезда, он и мне чинил.",
            28,
        )?;
        seed.comment(
            &question,
            NINA,
            "Только не откладывайте — искрит это опасно.",
            27,
        )?;
        seed.post(
            PostKind::LostFound { lost: false },
            "Найдены ключи у скамейки",
            "Связка из трёх ключей с брелоком-мишкой. Лежат у меня, кв. 2 — заходите.",
            NINA,
            None,
            false,
            4,
        )?;
        seed.post(
            PostKind::GiveAway,
            "Отдам детскую коляску",
            "Прогулочная, в хорошем состоянии. Заберите сами, пожалуйста.",
            OLEG,
            None,
            false,
            2 * 24,
        )?;
        if let Some(room) = crate::chat::rooms_of_house(&house.id, &settings.rooms)
            .into_iter()
            .find(|r| r.kind == RoomKind::House)
        {
            for (i, (author, text)) in [
                (MARIA, "Соседи, кто-нибудь знает, когда починят домофон?"),
                (OLEG, "Заявку в УК подали вчера, обещали до пятницы."),
                (
                    NINA,
                    "Спасибо! А кто оставил велосипед на площадке третьего этажа?",
                ),
                (MARIA, "Это наш, сегодня уберём 🙂"),
            ]
            .into_iter()
            .enumerate()
            {
                MESSAGES.insert(
                    &house.id,
                    None,
                    &MessageDoc {
                        room: room.id.clone(),
                        text: text.into(),
                        author: author.0.into(),
                        author_name: author.1.into(),
                        author_label: None,
                        staff: false,
                        at: now - DAY + i as i64 * 10 * 60_000,
                        mod_state: ModerationState::default(),
                        about: None,
                    },
                )?;
            }
        }
    }
    STATE.put(
        &root,
        "demo",
        &serde_json::json!({ "seeded": now }),
        Some(0),
    )?;
    Ok(true)
}

//! Demo data for the bundled demo town (`settings.demo = true`): on the sync job's first run,
//! categories routed to the town's administration and the house's management company, and a few
//! appeals in different states, so that a newcomer sees a living place.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::model::{
    APPEALS, Appeal, CATEGORIES, Category, Choice, Entry, ExtraField, ForwardState, Kind,
    Moderation, Point, Route, Settings, Status,
};

const DAY_MS: i64 = 86_400_000;

fn category(code: &str, ru: &str, en: &str, group: &str, days: u32, public: bool) -> Category {
    Category {
        code: code.into(),
        name_ru: ru.into(),
        name_en: en.into(),
        group: group.into(),
        deadline_days: days,
        public,
        organization: Some("demo-administration".into()),
        routes: Vec::new(),
        fields: Vec::new(),
        active: true,
    }
}

/// The demo's categories: what a town's people-control starts with.
pub fn categories() -> Vec<Category> {
    let mut roads = category(
        "roads",
        "Дороги и ямы",
        "Roads and potholes",
        "Дороги",
        8,
        true,
    );
    roads.fields = vec![ExtraField {
        code: "size".into(),
        label_ru: "Размер ямы".into(),
        label_en: "Pothole size".into(),
        datatype: "singlevaluelist".into(),
        required: true,
        values: vec![
            Choice {
                key: "small".into(),
                name_ru: "Меньше 50 см".into(),
                name_en: "Under 50 cm".into(),
            },
            Choice {
                key: "large".into(),
                name_ru: "Больше 50 см".into(),
                name_en: "Over 50 cm".into(),
            },
        ],
    }];
    let mut lift = category(
        "elevator",
        "Лифт не работает",
        "Elevator out of order",
        "ЖКХ",
        1,
        true,
    );
    lift.routes = vec![Route {
        community: "demo-house-1".into(),
        organization: "demo-uk".into(),
    }];
    let mut yard = category(
        "yard",
        "Благоустройство двора",
        "Yard upkeep",
        "ЖКХ",
        8,
        true,
    );
    yard.routes = vec![Route {
        community: "demo-house-1".into(),
        organization: "demo-uk".into(),
    }];
    vec![
        roads,
        lift,
        yard,
        category(
            "garbage",
            "Мусор не вывезен",
            "Rubbish not collected",
            "Чистота",
            3,
            true,
        ),
        category(
            "lighting",
            "Уличное освещение",
            "Street lighting",
            "Дороги",
            8,
            true,
        ),
        category("corruption", "Коррупция", "Corruption", "Власть", 30, false),
        category("thanks", "Благодарность", "Thanks", "Разное", 30, true),
    ]
}

/// Seed the demo under the call's community, once (when the settings ask for it).
pub fn seed_once() -> Result<bool> {
    if !Settings::load()?.demo || !CATEGORIES.query().limit(1).fetch()?.docs.is_empty() {
        return Ok(false);
    }
    let root = ctx::community();
    for category in categories() {
        let valid_routes = category
            .routes
            .iter()
            .all(|r| directory::community(&r.community).is_some());
        if valid_routes {
            CATEGORIES.put(&root, &category.code.clone(), &category, Some(0))?;
        }
    }
    let now = ctx::now();
    let house = directory::community("demo-house-1").map(|c| c.id);
    let appeals = [
        (
            "roads",
            "Глубокая яма на выезде со двора на Садовую, машины объезжают по тротуару.",
            Point {
                lat: 55.7512,
                lon: 37.6184,
            },
            Status::Accepted,
            Some("demo-administration"),
            root.clone(),
        ),
        (
            "lighting",
            "Третий вечер не горят фонари вдоль аллеи у школы, идти с детьми страшно.",
            Point {
                lat: 55.7524,
                lon: 37.6211,
            },
            Status::Resolved,
            Some("demo-administration"),
            root.clone(),
        ),
        (
            "yard",
            "Во дворе сломана скамейка у детской площадки, торчат гвозди.",
            Point {
                lat: 55.7518,
                lon: 37.6197,
            },
            Status::New,
            Some("demo-uk"),
            house.clone().unwrap_or_else(|| root.clone()),
        ),
    ];
    for (i, (category, text, point, status, organization, community)) in
        appeals.into_iter().enumerate()
    {
        let number = i as u64 + 1;
        let created = now - (10 - i as i64 * 3) * DAY_MS;
        let mut timeline = vec![Entry {
            at: created,
            by: Some("demo:resident".into()),
            by_name: "Ирина Соколова".into(),
            kind: "status".into(),
            status: Some(Status::New),
            note: "Обращение подано".into(),
            update_id: None,
        }];
        if status != Status::New {
            timeline.push(Entry {
                at: created + DAY_MS,
                by: None,
                by_name: "Администрация Демо-города".into(),
                kind: "status".into(),
                status: Some(Status::Accepted),
                note: String::new(),
                update_id: None,
            });
        }
        if status == Status::Resolved {
            timeline.push(Entry {
                at: created + 3 * DAY_MS,
                by: None,
                by_name: "Администрация Демо-города".into(),
                kind: "status".into(),
                status: Some(Status::Resolved),
                note: "Заменены лампы в четырёх фонарях".into(),
                update_id: None,
            });
        }
        let appeal = Appeal {
            number,
            kind: Kind::Problem,
            category: category.into(),
            description: text.into(),
            point: Some(point),
            address: None,
            photos: Vec::new(),
            media_url: None,
            attributes: if category == "roads" {
                [("size".to_owned(), vec!["large".to_owned()])].into()
            } else {
                Default::default()
            },
            author: "demo:resident".into(),
            author_name: "Ирина Соколова".into(),
            contact: None,
            client: None,
            status,
            status_before_question: None,
            moderation: Moderation::Approved,
            organization: organization.map(str::to_owned),
            public: true,
            duplicate_of: None,
            created,
            updated: timeline.last().map_or(created, |e| e.at),
            deadline: created + 8 * DAY_MS,
            overdue: false,
            escalated: false,
            resolve_ms: (status == Status::Resolved).then_some(3 * DAY_MS),
            confirmed: false,
            reopened: 0,
            supporters: 0,
            forward: ForwardState::None,
            external_id: None,
            forward_attempts: 0,
            forward_next: 0,
            forward_error: None,
            update_count: 0,
            timeline,
        };
        APPEALS.put(&community, &number.to_string(), &appeal, Some(0))?;
    }
    crate::model::STATE.put(&root, "counter", &serde_json::json!({ "next": 4 }), None)?;
    Ok(true)
}

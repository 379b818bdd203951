//! The `gamification` plugin over the real server, on both engines, fed by the events of the
//! real `housing` and `people-control` plugins (and, where time must have passed, by events
//! delivered the way the host delivers them, dated in the past): points with daily caps, an
//! event delivered twice counted once, badges, statuses, leaderboards with the opt-out, and the
//! "Мэр двора" title passing on when its holder goes quiet.

use crate::common;

use std::time::Duration;

use common::server::{Client, Served};
use dvor::runtime::latest::dvor::plugin::context::CallTrigger;
use dvor::runtime::latest::dvor::plugin::events::Event;
use dvor::runtime::{CallContext, Invocation, Runtime};
use serde_json::{Value, json};

const G: &str = "/api/c/town/p/gamification";
const OPERATOR: &str = "+79990000010";
const ANNA: &str = "+79991112233";
const BORIS: &str = "+79994445566";
const DAY_MS: i64 = 86_400_000;

/// housing for house-1, people-control for the town (no moderation), gamification for the town.
fn config(gamification_settings: &str) -> String {
    config_consuming(
        r#"["person.active", "reading.submitted", "appeal.created", "appeal.resolved", "appeal.supported", "comment.posted"]"#,
        gamification_settings,
    )
}

/// The same places and plugins, gamification granted the event kinds in `consumes`.
fn config_consuming(consumes: &str, gamification_settings: &str) -> String {
    format!(
        r#"
[[units]]
community = "house-1"
number = "45"
kind = "apartment"
area = "72.05"

[plugins.housing]
enabled_for = ["house-1"]
[plugins.housing.grants]
collections = ["accounts", "tariffs", "readings", "bills", "payments", "runs", "providers", "requests", "announcements", "checkouts", "counters", "imports"]
emits = ["reading.submitted", "payment.received", "request.created", "request.done", "bill.issued"]
notifications = true
files = true
[plugins.housing.settings]
reading_window = {{ from_day = 1, to_day = 31 }}

[plugins.people-control]
enabled_for = ["town"]
[plugins.people-control.grants]
collections = ["categories", "appeals", "supports", "updates", "outbox", "state"]
emits = ["appeal.created", "appeal.status_changed", "appeal.resolved", "appeal.supported"]
notifications = true
files = true
[plugins.people-control.settings]
moderation = false

[plugins.gamification]
enabled_for = ["town"]
[plugins.gamification.grants]
collections = ["ledger", "profiles", "badges", "titles"]
consumes = {consumes}
schedules = ["mayor"]
notifications = true
[plugins.gamification.settings]
{gamification_settings}
"#
    )
}

/// Points for the plugins' events (not for `person.active`, which signing in and browsing
/// here emit as well, so that totals are exact).
const RULES: &str = r#"rules = [
  { kind = "reading.submitted", points = 5, daily_cap = 15 },
  { kind = "appeal.created", points = 5, daily_cap = 10 },
  { kind = "appeal.resolved", points = 10, daily_cap = 20 },
  { kind = "appeal.supported", points = 1, daily_cap = 5 },
]"#;

/// A management company's operator sets up flat 12 with an electricity meter; Anna owns it.
async fn flat_with_meter(served: &Served, anna: &Client) -> String {
    let operator = served.sign_in(OPERATOR, "Ольга", "Операторова").await;
    served
        .grant(
            operator.person.as_deref().unwrap(),
            "operator",
            None,
            Some("uk-town"),
        )
        .await;
    let tariffs = "code,name_ru,name_en,unit,basis,from,tariff,norm\n\
        electricity,Электроэнергия,Electricity,кВт·ч,metered,2024-07-01,1.936,\n";
    let imported = operator
        .post_raw(
            "/api/c/house-1/p/housing/import/tariffs",
            "text/csv",
            tariffs,
            &[],
        )
        .await;
    assert_eq!(imported.status, 200, "{imported:?}");
    let accounts = "number,unit,payer,area,residents\n12,12,Смирнова Анна,,3\n";
    let imported = operator
        .post_raw(
            "/api/c/house-1/p/housing/import/accounts",
            "text/csv",
            accounts,
            &[],
        )
        .await;
    assert_eq!(imported.status, 200, "{imported:?}");
    let meter = operator
        .post(
            "/api/c/house-1/p/housing/accounts/12/meters",
            json!({ "service": "electricity", "serial": "E-1", "initial": "1000", "verified_until": "2031-01-01" }),
        )
        .await;
    assert_eq!(meter.status, 201, "{meter:?}");
    served
        .own(anna.person.as_deref().unwrap(), "house-1/12")
        .await;
    meter.json["id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| meter.json["meter"]["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("the meter's id: {meter:?}"))
}

/// Wait until the caller's points reach `points` (events are delivered after their call
/// commits), and return their view of themselves.
async fn points_reach(client: &Client, points: i64) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        let me = client.get(&format!("{G}/me")).await;
        if me.json["points"].as_i64().is_some_and(|p| p >= points) {
            // Let any later delivery that would (wrongly) add more arrive, then read again.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return client.get(&format!("{G}/me")).await.json;
        }
        last = me.json;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("points never reached {points}: {last}");
}

/// The ids of the events a plugin emitted of `kind`, oldest first.
async fn event_ids(
    served: &Served,
    kind: &str,
) -> Vec<(String, String, Option<String>, i64, String)> {
    use sea_orm::sea_query::{Alias, Expr, Order, Query};
    use sea_orm::{ConnectionTrait, FromQueryResult};
    #[derive(FromQueryResult)]
    struct Row {
        id: String,
        community: String,
        actor: Option<String>,
        occurred: i64,
        payload: String,
    }
    let db = served.runtime.shared().db.connection();
    let select = Query::select()
        .expr_as(Expr::col(Alias::new("id")), Alias::new("id"))
        .expr_as(
            Expr::col(Alias::new("community_id")),
            Alias::new("community"),
        )
        .columns(["actor", "occurred", "payload"].map(Alias::new))
        .from(Alias::new("events"))
        .and_where(Expr::col(Alias::new("kind")).eq(kind))
        .order_by(Alias::new("occurred"), Order::Asc)
        .to_owned();
    Row::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.community, r.actor, r.occurred, r.payload))
        .collect()
}

/// Deliver an event to the plugin as the host's dispatcher does.
async fn deliver(
    runtime: &Runtime,
    id: &str,
    kind: &str,
    community: &str,
    person: &str,
    occurred: i64,
    payload: Value,
) {
    let event = Event {
        id: id.to_owned(),
        kind: kind.to_owned(),
        source: "host".to_owned(),
        community: community.to_owned(),
        actor: Some(person.to_owned()),
        occurred,
        payload: payload.to_string(),
    };
    let context = CallContext::anonymous(community, CallTrigger::Event);
    runtime
        .call("gamification", context, Invocation::Event(event))
        .await
        .expect("the plugin takes the event");
}

#[tokio::test]
async fn points_from_real_plugins_are_capped_counted_once_and_ranked_with_the_opt_out() {
    for served in common::server::serve_all(&config(RULES)).await {
        let e = served.engine;
        let anna = served.sign_in(ANNA, "Анна", "Смирнова").await;
        let boris = served.sign_in(BORIS, "Борис", "Сидоров").await;
        let meter = flat_with_meter(&served, &anna).await;
        served
            .own(boris.person.as_deref().unwrap(), "house-1/45")
            .await;
        let admin = served
            .sign_in(common::server::ADMIN_PHONE, "Админ", "Инстанса")
            .await;
        let category = admin
            .put(
                "/api/c/town/p/people-control/categories/roads",
                json!({ "code": "roads", "name_ru": "Дороги", "deadline_days": 8, "organization": "admin-town" }),
            )
            .await;
        assert_eq!(category.status, 200, "{e}: {category:?}");

        // A reading (housing) and three appeals (people-control): the third is over the cap.
        let reading = anna
            .post(
                "/api/c/house-1/p/housing/accounts/12/readings",
                json!({ "meter": meter, "value": "1140" }),
            )
            .await;
        assert_eq!(reading.status, 201, "{e}: {reading:?}");
        let mut appeal = String::new();
        for n in 1..=3 {
            let filed = anna
                .post(
                    "/api/c/town/p/people-control/appeals",
                    json!({ "category": "roads", "address": format!("ул. Лесная, {n}"),
                            "description": "Яма на дороге у дома, объезжают по газону" }),
                )
                .await;
            assert_eq!(filed.status, 201, "{e}: {filed:?}");
            appeal = filed.json["id"].as_str().unwrap().to_owned();
        }
        let me = points_reach(&anna, 15).await;
        assert_eq!(
            me["points"], 15,
            "{e}: 5 for the reading, 5 + 5 + 0 for the appeals: {me}"
        );
        let kinds: Vec<(&str, i64)> = me["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["kind"].as_str().unwrap(), h["points"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|(k, _)| *k == "appeal.created")
                .map(|(_, p)| p)
                .sum::<i64>(),
            10,
            "{e}: {kinds:?}"
        );
        assert!(
            kinds.contains(&("appeal.created", 0)),
            "{e}: the capped one is in the history with 0: {kinds:?}"
        );
        let badges: Vec<&str> = me["badges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["code"].as_str().unwrap())
            .collect();
        assert!(
            badges.contains(&"first_reading") && badges.contains(&"first_appeal"),
            "{e}: {badges:?}"
        );
        assert_eq!(me["status"], "Новосёл", "{e}");
        assert_eq!(
            (me["next"].as_str(), me["needed"].as_i64()),
            (Some("Добрый сосед"), Some(15)),
            "{e}: {me}"
        );
        assert!(
            anna.inbox_texts()
                .await
                .iter()
                .any(|n| n.contains("Первые показания")),
            "{e}: Anna hears of her badge"
        );

        // An event delivered again (at-least-once delivery) counts once.
        let (id, community, actor, occurred, payload) =
            event_ids(&served, "reading.submitted").await.remove(0);
        deliver(
            &served.runtime,
            &id,
            "reading.submitted",
            &community,
            actor.as_deref().unwrap(),
            occurred,
            serde_json::from_str(&payload).unwrap(),
        )
        .await;
        assert_eq!(
            anna.get(&format!("{G}/me")).await.json["points"],
            15,
            "{e}: a duplicate adds nothing"
        );

        // Boris supports one of Anna's appeals; resolving it credits its author.
        let supported = boris
            .post(
                &format!("/api/c/town/p/people-control/appeals/{appeal}/support"),
                json!({}),
            )
            .await;
        assert_eq!(supported.status, 201, "{e}: {supported:?}");
        let resolved = admin
            .post(
                &format!("/api/c/town/p/people-control/appeals/{appeal}/status"),
                json!({ "status": "resolved", "note": "Яму заделали" }),
            )
            .await;
        assert_eq!(resolved.status, 200, "{e}: {resolved:?}");
        points_reach(&boris, 1).await;
        let me = points_reach(&anna, 25).await;
        assert_eq!(me["points"], 25, "{e}: {me}");

        // Leaderboards: Anna first, Boris second; Anna hides her name from others.
        let board = boris.get(&format!("{G}/leaderboard?period=week")).await;
        let rows: Vec<(Option<&str>, i64)> = board.json["leaders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["name"].as_str(), l["points"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            rows,
            [(Some("Анна Смирнова"), 25), (Some("Борис Сидоров"), 1)],
            "{e}: {board:?}"
        );
        let hidden = anna
            .put(&format!("{G}/me/privacy"), json!({ "hidden": true }))
            .await;
        assert_eq!(hidden.status, 200, "{e}: {hidden:?}");
        for period in ["week", "month", "all"] {
            let board = boris.get(&format!("{G}/leaderboard?period={period}")).await;
            assert_eq!(
                board.json["leaders"][0]["name"],
                Value::Null,
                "{e}: {period}: her name is hidden: {board:?}"
            );
            assert_eq!(
                board.json["leaders"][0]["points"], 25,
                "{e}: {period}: her place stays"
            );
        }
        let own = anna.get(&format!("{G}/leaderboard?period=week")).await;
        assert_eq!(
            (
                own.json["leaders"][0]["name"].as_str(),
                own.json["leaders"][0]["you"].as_bool()
            ),
            (Some("Анна Смирнова"), Some(true)),
            "{e}"
        );
        let bad = anna.get(&format!("{G}/leaderboard?period=year")).await;
        assert_eq!(bad.field(), Some("period"), "{e}: {bad:?}");
        let page = boris.get("/c/town/p/gamification").await;
        assert!(
            page.status == 200
                && page.text.contains("Скрыл имя")
                && !page.text.contains("Анна Смирнова"),
            "{e}: {}",
            page.text
        );
    }
}

#[tokio::test]
async fn the_default_rules_count_the_feed_the_snt_and_joint_purchases_and_credit_whom_they_name() {
    let consumes = r#"["feed.posted", "feed.helped", "snt.reading_submitted", "snt.dues_paid", "coop.order_placed"]"#;
    for served in common::server::serve_all(&config_consuming(consumes, "")).await {
        let e = served.engine;
        let anna = served.sign_in(ANNA, "Анна", "Смирнова").await;
        let boris = served.sign_in(BORIS, "Борис", "Сидоров").await;
        let (anna_id, boris_id) = (anna.person.clone().unwrap(), boris.person.clone().unwrap());
        let now = chrono::Utc::now().timestamp_millis();
        // Anna posts twice, helps find a lost cat, submits her plot's reading, pays her dues and
        // orders in a joint purchase — each as the plugin that emits it words its event.
        let happenings = [
            (
                "feed.posted",
                json!({ "person_id": anna_id, "post_id": "p1" }),
            ),
            (
                "feed.posted",
                json!({ "person_id": anna_id, "post_id": "p2" }),
            ),
            (
                "feed.helped",
                json!({ "person_id": anna_id, "post_id": "p3", "author_id": boris_id }),
            ),
            (
                "snt.reading_submitted",
                json!({ "person_id": anna_id, "plot": "7" }),
            ),
            (
                "snt.dues_paid",
                json!({ "person_id": anna_id, "plot": "7", "amount": 150_000 }),
            ),
            (
                "coop.order_placed",
                json!({ "person_id": anna_id, "purchase": "honey" }),
            ),
        ];
        for (n, (kind, payload)) in happenings.into_iter().enumerate() {
            deliver(
                &served.runtime,
                &format!("a{n}"),
                kind,
                "house-1",
                &anna_id,
                now - 10 + n as i64,
                payload,
            )
            .await;
        }
        // Boris, on the board, enters a payment for a plot whose owner has no account: the
        // event names no person, and the board member who typed it earns nothing for it.
        deliver(
            &served.runtime,
            "b0",
            "snt.dues_paid",
            "house-1",
            &boris_id,
            now,
            json!({ "person_id": null, "plot": "9", "amount": 90_000 }),
        )
        .await;
        let me = points_reach(&anna, 23).await;
        assert_eq!(
            me["points"], 23,
            "{e}: 2 + 2 posts, 10 for the help, 5 for the reading, 2 for the dues, 2 for the order: {me}"
        );
        assert_eq!(
            boris.get(&format!("{G}/me")).await.json["points"],
            0,
            "{e}: a payment entered for someone else is not Boris's"
        );
    }
}

#[tokio::test]
async fn the_mayor_title_goes_to_the_most_active_resident_and_passes_on_when_they_go_quiet() {
    let settings = |inactive_days: u32| {
        format!(
            r#"rules = [{{ kind = "comment.posted", points = 20, daily_cap = 100 }}]
mayor = {{ window_days = 30, inactive_days = {inactive_days} }}
statuses = [
  {{ name_ru = "Новосёл", name_en = "Newcomer", points = 0 }},
  {{ name_ru = "Активист", name_en = "Activist", points = 50 }},
  {{ name_ru = "Мэр двора", name_en = "Mayor of the yard", points = 30 }},
]"#
        )
    };
    for served in common::server::serve_all(&config(&settings(14))).await {
        let e = served.engine;
        let anna = served.sign_in(ANNA, "Анна", "Смирнова").await;
        let boris = served.sign_in(BORIS, "Борис", "Сидоров").await;
        let (anna_id, boris_id) = (anna.person.clone().unwrap(), boris.person.clone().unwrap());
        served.own(&anna_id, "house-1/12").await;
        served.own(&boris_id, "house-1/45").await;
        let now = chrono::Utc::now().timestamp_millis();
        // Anna commented a lot ten to twelve days ago; Boris a little, today (comments are the
        // kind a future plugin emits; here they come as the host would deliver them).
        for day in 10..13 {
            let at = now - day * DAY_MS;
            deliver(
                &served.runtime,
                &format!("a{day}"),
                "comment.posted",
                "house-1",
                &anna_id,
                at,
                json!({ "person_id": anna_id }),
            )
            .await;
        }
        for n in 0..2 {
            deliver(
                &served.runtime,
                &format!("b{n}"),
                "comment.posted",
                "house-1",
                &boris_id,
                now - n,
                json!({ "person_id": boris_id }),
            )
            .await;
        }
        common::run_job_now(&served.runtime, "gamification", "mayor", "town").await;
        let mayor = boris.get(&format!("{G}/mayor?community=house-1")).await;
        assert_eq!(
            mayor.json["holder_id"],
            anna_id.as_str(),
            "{e}: the most active, quiet for only 10 of 14 days: {mayor:?}"
        );
        assert_eq!(mayor.json["holder"], "Анна Смирнова", "{e}");
        assert!(
            anna.inbox_texts()
                .await
                .iter()
                .any(|n| n.contains("Мэр двора")),
            "{e}: Anna is told"
        );
        assert_eq!(
            anna.get(&format!("{G}/me")).await.json["status"],
            "Мэр двора",
            "{e}"
        );
        // Running again changes nothing while she is not quiet.
        common::run_job_now(&served.runtime, "gamification", "mayor", "town").await;
        assert_eq!(
            boris
                .get(&format!("{G}/mayor?community=house-1"))
                .await
                .json["history"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "{e}"
        );

        // The operator shortens the rule to 7 days (as time passing would): Anna is quiet now.
        // Boris hid his name, so he may not hold the title: it stays with Anna.
        boris
            .put(&format!("{G}/me/privacy"), json!({ "hidden": true }))
            .await;
        let later = dvor::Instance::start_on(
            common::config_from_text(
                common::config_text(&common::server::identity_config(
                    "http://127.0.0.1:9/",
                    &config(&settings(7)),
                )),
                "sqlite://unused.db",
            ),
            served.runtime.shared().db.clone(),
        )
        .await
        .expect("a second instance on the same database starts");
        common::run_job_now(&later.runtime, "gamification", "mayor", "town").await;
        assert_eq!(
            boris
                .get(&format!("{G}/mayor?community=house-1"))
                .await
                .json["holder_id"],
            anna_id.as_str(),
            "{e}: nobody eligible to take it"
        );
        boris
            .put(&format!("{G}/me/privacy"), json!({ "hidden": false }))
            .await;
        common::run_job_now(&later.runtime, "gamification", "mayor", "town").await;
        let mayor = boris.get(&format!("{G}/mayor?community=house-1")).await;
        assert_eq!(mayor.json["holder_id"], boris_id.as_str(), "{e}: {mayor:?}");
        let history: Vec<(&str, Option<&str>)> = mayor.json["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["person"].as_str().unwrap(), t["ended"].as_str()))
            .collect();
        assert_eq!(
            history,
            [(anna_id.as_str(), Some("quiet")), (boris_id.as_str(), None)],
            "{e}"
        );
        assert!(
            anna.inbox_texts()
                .await
                .iter()
                .any(|n| n.contains("передано")),
            "{e}: Anna hears it passed on"
        );
        assert!(
            boris
                .inbox_texts()
                .await
                .iter()
                .any(|n| n.contains("Вы — Мэр двора")),
            "{e}: Boris hears he holds it"
        );
        assert_ne!(
            anna.get(&format!("{G}/me")).await.json["status"],
            "Мэр двора",
            "{e}"
        );
    }
}

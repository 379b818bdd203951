//! The `people-control` plugin over the real server, on both engines: an admin defines
//! categories with routes, residents file appeals, a moderator publishes, fixes, rejects and
//! marks duplicates, the responsible organization works them through their statuses, the author
//! answers questions, reopens and confirms, neighbours support, officials count; real Open311
//! client libraries from PyPI read and file over GeoReport v2; and two dvor instances, one the
//! other's external people's-control system, forward appeals and sync their statuses back.

use crate::common;

use common::python::open311_async as open311;
use common::server::{ADMIN_PHONE, Answer, Client, Served};
use serde_json::{Value, json};

pub(crate) const PC: &str = "/api/c/town/p/people-control";
const ANNA: &str = "+79991112233";
const BORIS: &str = "+79994445566";
const MODERATOR: &str = "+79990000030";
const HOUSE2_MODERATOR: &str = "+79990000031";
const EXECUTOR: &str = "+79990000020";
const OFFICIAL: &str = "+79990000040";
pub(crate) const CLIENT_KEY: &str = "city-app-key";

/// The plugin for the whole town, with an Open311 client, and `extra` settings / grants.
pub(crate) fn plugin_config(settings: &str, grants: &str) -> String {
    format!(
        r#"
[plugins.people-control]
enabled_for = ["town"]
[plugins.people-control.grants]
collections = ["categories", "appeals", "supports", "updates", "outbox", "state"]
emits = ["appeal.created", "appeal.status_changed", "appeal.resolved", "appeal.supported"]
schedules = ["sync"]
notifications = true
files = true
{grants}
[plugins.people-control.settings]
{settings}
"#
    )
}

/// Roads (routed to the management company in house-1, to the administration elsewhere, with
/// a required "size" field) and corruption (private), defined by the instance admin.
pub(crate) async fn define_categories(admin: &Client) {
    let roads = admin
        .put(
            &format!("{PC}/categories/roads"),
            json!({
                "code": "roads", "name_ru": "Дороги и ямы", "name_en": "Roads", "group": "Дороги",
                "deadline_days": 8, "organization": "admin-town",
                "routes": [{ "community": "house-1", "organization": "uk-town" }],
                "fields": [{ "code": "size", "label_ru": "Размер ямы", "datatype": "singlevaluelist",
                             "required": true, "values": [
                                 { "key": "small", "name_ru": "Меньше 50 см" },
                                 { "key": "large", "name_ru": "Больше 50 см" }] }]
            }),
        )
        .await;
    assert_eq!(roads.status, 200, "{roads:?}");
    let corruption = admin
        .put(
            &format!("{PC}/categories/corruption"),
            json!({ "code": "corruption", "name_ru": "Коррупция", "deadline_days": 30,
                    "public": false, "organization": "admin-town" }),
        )
        .await;
    assert_eq!(corruption.status, 200, "{corruption:?}");
}

pub(crate) async fn staff(served: &Served, phone: &str, role: &str, organization: &str) -> Client {
    let client = served.sign_in(phone, "Сотрудник", "Организации").await;
    served
        .grant(
            client.person.as_deref().unwrap(),
            role,
            None,
            Some(organization),
        )
        .await;
    client
}

pub(crate) async fn moderator_of(served: &Served, phone: &str, community: &str) -> Client {
    let client = served.sign_in(phone, "Мария", "Модератова").await;
    served
        .grant(
            client.person.as_deref().unwrap(),
            "moderator",
            Some(community),
            None,
        )
        .await;
    client
}

pub(crate) fn pothole(lat: f64, lon: f64) -> Value {
    json!({
        "category": "roads", "community": "house-1",
        "description": "Глубокая яма у въезда во двор, машины объезжают по тротуару",
        "lat": lat, "lon": lon, "attributes": { "size": "large" }
    })
}

fn statuses(answer: &Answer) -> Vec<String> {
    answer.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["status"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_appeal_goes_from_filing_through_moderation_and_work_to_the_authors_confirmation() {
    for served in common::server::serve_all(&plugin_config("", "")).await {
        let engine = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Инстанса").await;
        define_categories(&admin).await;
        let anna = served.sign_in(ANNA, "Анна", "Петрова").await;
        let boris = served.sign_in(BORIS, "Борис", "Сидоров").await;
        let moderator = moderator_of(&served, MODERATOR, "town").await;
        let executor = staff(&served, EXECUTOR, "executor", "uk-town").await;
        let official = staff(&served, OFFICIAL, "official", "admin-town").await;
        let anonymous = served.client();

        // Bad input names the field, and nothing is filed.
        let mut no_place = pothole(0.0, 0.0);
        no_place.as_object_mut().unwrap().remove("lat");
        no_place.as_object_mut().unwrap().remove("lon");
        let refused = anna.post(&format!("{PC}/appeals"), no_place).await;
        assert_eq!(
            (refused.status, refused.field()),
            (400, Some("address")),
            "{engine}: {refused:?}"
        );
        let mut no_size = pothole(55.75, 37.61);
        no_size["attributes"] = json!({});
        let refused = anna.post(&format!("{PC}/appeals"), no_size).await;
        assert_eq!(
            refused.field(),
            Some("attributes.size"),
            "{engine}: {refused:?}"
        );
        let mut bad_choice = pothole(55.75, 37.61);
        bad_choice["attributes"] = json!({ "size": "huge" });
        let refused = anna.post(&format!("{PC}/appeals"), bad_choice).await;
        assert_eq!(
            refused.field(),
            Some("attributes.size"),
            "{engine}: {refused:?}"
        );
        let mut unknown = pothole(55.75, 37.61);
        unknown["category"] = json!("weather");
        let refused = anna.post(&format!("{PC}/appeals"), unknown).await;
        assert_eq!(refused.field(), Some("category"), "{engine}: {refused:?}");
        let refused = anonymous
            .post(&format!("{PC}/appeals"), pothole(55.75, 37.61))
            .await;
        assert_eq!(
            refused.status, 401,
            "{engine}: appeals come from signed-in people"
        );

        // Filed in house-1: routed to the management company serving it; waiting for moderation.
        let filed = anna
            .post(&format!("{PC}/appeals"), pothole(55.7512, 37.6184))
            .await;
        assert_eq!(filed.status, 201, "{engine}: {filed:?}");
        let id = filed.json["id"].as_str().unwrap().to_owned();
        assert_eq!(id, "1", "{engine}: the first appeal is No. 1");
        assert_eq!(filed.json["organization"], "uk-town", "{engine}");
        assert_eq!(filed.json["moderation"], "pending", "{engine}");
        assert_eq!(filed.json["status"], "new", "{engine}");
        let appeal = format!("{PC}/appeals/{id}");
        // Before moderation only the author and moderators see it.
        for (who, client) in [
            ("anonymous", &anonymous),
            ("boris", &boris),
            ("executor", &executor),
        ] {
            let seen = client.get(&appeal).await;
            assert_eq!(
                seen.status, 404,
                "{engine}: {who} sees an unmoderated appeal"
            );
        }
        // Boris files the same pothole 40 m away: the moderator is shown the near duplicate.
        let second = boris
            .post(&format!("{PC}/appeals"), pothole(55.75155, 37.6184))
            .await;
        assert_eq!(second.status, 201, "{engine}: {second:?}");
        let second_id = second.json["id"].as_str().unwrap().to_owned();
        let similar = boris
            .get(&format!(
                "{PC}/similar?category=roads&lat=55.7512&lon=37.6184"
            ))
            .await;
        assert_eq!(
            similar.json["similar"].as_array().unwrap().len(),
            1,
            "{engine}: only his own is visible to him: {similar:?}"
        );
        assert!(
            moderator
                .inbox_texts()
                .await
                .iter()
                .any(|t| t.contains("ждёт модерации")),
            "{engine}: the town's moderator hears of a new appeal in a house"
        );
        let queue = moderator.get(&format!("{PC}/appeals?queue=true")).await;
        assert_eq!(
            queue.json["appeals"].as_array().unwrap().len(),
            2,
            "{engine}: {queue:?}"
        );
        let seen = moderator.get(&format!("{PC}/appeals/{second_id}")).await;
        assert_eq!(seen.json["similar"][0]["id"], id, "{engine}: {seen:?}");
        assert!(
            seen.json["similar"][0]["distance_m"].as_u64().unwrap() < 60,
            "{engine}"
        );

        // A resident cannot moderate; the moderator publishes Anna's with better wording and
        // closes Boris's as its duplicate.
        let denied = anna
            .post(
                &format!("{appeal}/moderation"),
                json!({ "decision": "approve" }),
            )
            .await;
        assert_eq!(denied.status, 403, "{engine}: {denied:?}");
        let refused = moderator
            .post(
                &format!("{appeal}/moderation"),
                json!({ "decision": "reject", "reason": "" }),
            )
            .await;
        assert_eq!(
            refused.field(),
            Some("reason"),
            "{engine}: a refusal needs a reason"
        );
        let approved = moderator
            .post(
                &format!("{appeal}/moderation"),
                json!({ "decision": "approve",
                        "description": "Глубокая яма у въезда во двор дома 1, машины объезжают по тротуару" }),
            )
            .await;
        assert_eq!(approved.status, 200, "{engine}: {approved:?}");
        assert_eq!(approved.json["moderation"], "approved", "{engine}");
        let duplicate = moderator
            .post(
                &format!("{PC}/appeals/{second_id}/moderation"),
                json!({ "decision": "duplicate", "duplicate_of": 1 }),
            )
            .await;
        assert_eq!(
            duplicate.json["status"], "duplicate",
            "{engine}: {duplicate:?}"
        );
        assert!(
            boris
                .inbox_texts()
                .await
                .iter()
                .any(|t| t.contains("дубликат")),
            "{engine}: Boris hears his appeal is a duplicate"
        );

        // Published: everyone sees it (roads are public), phones and contacts are not shown.
        let public = anonymous.get(&appeal).await;
        assert_eq!(public.status, 200, "{engine}: {public:?}");
        assert!(
            public.json["description"]
                .as_str()
                .unwrap()
                .contains("дома 1"),
            "{engine}"
        );
        let listed = anonymous.get(&format!("{PC}/appeals")).await;
        let ids: Vec<&str> = listed.json["appeals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [id.as_str()],
            "{engine}: the public list has the published appeal only"
        );

        // The management company works it: takes it, asks for details; Anna answers.
        let wrong = official
            .post(&format!("{appeal}/status"), json!({ "status": "accepted" }))
            .await;
        assert_eq!(
            wrong.status, 403,
            "{engine}: another organization cannot work it: {wrong:?}"
        );
        let taken = executor
            .post(&format!("{appeal}/status"), json!({ "status": "accepted" }))
            .await;
        assert_eq!(taken.json["status"], "accepted", "{engine}: {taken:?}");
        let no_note = executor
            .post(
                &format!("{appeal}/status"),
                json!({ "status": "needs_info" }),
            )
            .await;
        assert_eq!(no_note.field(), Some("note"), "{engine}: {no_note:?}");
        let asked = executor
            .post(
                &format!("{appeal}/status"),
                json!({ "status": "needs_info", "note": "Уточните номер подъезда" }),
            )
            .await;
        assert_eq!(asked.json["status"], "needs_info", "{engine}: {asked:?}");
        assert!(
            anna.inbox_texts()
                .await
                .iter()
                .any(|t| t.contains("Уточните номер подъезда")),
            "{engine}: Anna is asked"
        );
        let stranger = boris
            .post(&format!("{appeal}/comments"), json!({ "text": "И у нас" }))
            .await;
        assert_eq!(
            stranger.status, 403,
            "{engine}: the conversation is between the parties"
        );
        let answered = anna
            .post(
                &format!("{appeal}/comments"),
                json!({ "text": "Второй подъезд" }),
            )
            .await;
        assert_eq!(
            answered.json["status"], "accepted",
            "{engine}: an answer puts it back in work"
        );
        let jump = executor
            .post(&format!("{appeal}/status"), json!({ "status": "new" }))
            .await;
        assert_eq!(jump.field(), Some("status"), "{engine}: {jump:?}");

        // Resolved; Anna says it is not fixed, then confirms the second time.
        let resolved = executor
            .post(
                &format!("{appeal}/status"),
                json!({ "status": "resolved", "note": "Яма заделана асфальтом" }),
            )
            .await;
        assert_eq!(
            resolved.json["status"], "resolved",
            "{engine}: {resolved:?}"
        );
        let not_author = boris
            .post(
                &format!("{appeal}/verdict"),
                json!({ "decision": "confirm" }),
            )
            .await;
        assert_eq!(not_author.status, 403, "{engine}");
        let reopened = anna
            .post(
                &format!("{appeal}/verdict"),
                json!({ "decision": "reopen", "note": "Заделали только половину" }),
            )
            .await;
        assert_eq!(
            reopened.json["status"], "accepted",
            "{engine}: {reopened:?}"
        );
        assert_eq!(reopened.json["reopened"], 1, "{engine}");
        executor
            .post(
                &format!("{appeal}/status"),
                json!({ "status": "resolved", "note": "Заделана вся яма" }),
            )
            .await;
        let confirmed = anna
            .post(
                &format!("{appeal}/verdict"),
                json!({ "decision": "confirm" }),
            )
            .await;
        assert_eq!(confirmed.json["confirmed"], true, "{engine}: {confirmed:?}");
        let timeline = anna.get(&appeal).await;
        assert_eq!(
            statuses(&timeline),
            [
                "new",
                "accepted",
                "needs_info",
                "accepted",
                "resolved",
                "accepted",
                "resolved"
            ],
            "{engine}: every status change is on the timeline"
        );
        let resolution = timeline.json["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["status"] == "resolved")
            .unwrap();
        assert_eq!(
            resolution["by_name"], "Сотрудник Организации",
            "{engine}: who"
        );
        assert_eq!(
            resolution["note"], "Яма заделана асфальтом",
            "{engine}: the note"
        );
        assert!(resolution["at"].as_i64().unwrap() > 0, "{engine}: when");

        // Neighbours support it, once each; not the author.
        let supported = boris.post(&format!("{appeal}/support"), json!({})).await;
        assert_eq!(
            (supported.status, supported.json["supporters"].as_u64()),
            (201, Some(1)),
            "{engine}"
        );
        let again = boris.post(&format!("{appeal}/support"), json!({})).await;
        assert_eq!(
            (again.status, again.json["supporters"].as_u64()),
            (200, Some(1)),
            "{engine}"
        );
        let own = anna.post(&format!("{appeal}/support"), json!({})).await;
        assert_eq!(own.status, 409, "{engine}");

        // Statistics for the officials, and the CSV; not for residents.
        let figures = official.get(&format!("{PC}/stats")).await;
        assert_eq!(figures.status, 200, "{engine}: {figures:?}");
        assert_eq!(figures.json["total"], 2, "{engine}: {figures:?}");
        assert_eq!(figures.json["resolved"], 1, "{engine}");
        assert!(
            figures.json["average_hours_to_resolve"].as_f64().is_some(),
            "{engine}"
        );
        let by_status: Vec<(&str, u64)> = figures.json["by_status"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["key"].as_str().unwrap(), r["count"].as_u64().unwrap()))
            .collect();
        assert_eq!(by_status, [("duplicate", 1), ("resolved", 1)], "{engine}");
        let csv = official.get(&format!("{PC}/stats.csv")).await;
        assert!(
            csv.text.contains("category,roads,2"),
            "{engine}: {}",
            csv.text
        );
        let export = official.get(&format!("{PC}/appeals.csv")).await;
        assert!(
            export.text.lines().count() >= 2 && export.text.contains("resolved"),
            "{engine}: {}",
            export.text
        );
        let long_ago = official
            .get(&format!("{PC}/appeals.csv?from=2001-01-01&to=2001-12-31"))
            .await;
        assert_eq!(long_ago.status, 200, "{engine}: {}", long_ago.text);
        assert_eq!(
            long_ago.text.lines().count(),
            1,
            "{engine}: a period with no appeals gives only the header: {}",
            long_ago.text
        );
        let up_to_now = official
            .get(&format!("{PC}/appeals.csv?to=2999-12-31"))
            .await;
        assert_eq!(
            up_to_now.text.lines().count(),
            export.text.lines().count(),
            "{engine}: only `to` exports everything filed before it: {}",
            up_to_now.text
        );
        let before_last_year = official
            .get(&format!("{PC}/appeals.csv?to=2001-12-31"))
            .await;
        assert_eq!(
            (
                before_last_year.status,
                before_last_year.text.lines().count()
            ),
            (200, 1),
            "{engine}: an old `to` alone is a period, not an error: {}",
            before_last_year.text
        );
        let backwards = official
            .get(&format!("{PC}/appeals.csv?from=2001-12-31&to=2001-01-01"))
            .await;
        assert_eq!(backwards.status, 400, "{engine}: {}", backwards.text);
        assert!(
            backwards.text.contains("\"to\""),
            "{engine}: {}",
            backwards.text
        );
        assert_eq!(
            boris.get(&format!("{PC}/stats")).await.status,
            403,
            "{engine}"
        );

        let events = served.event_kinds("people-control").await;
        for kind in [
            "appeal.created",
            "appeal.status_changed",
            "appeal.resolved",
            "appeal.supported",
        ] {
            assert!(
                events.iter().any(|k| k == kind),
                "{engine}: {kind} in {events:?}"
            );
        }
        assert_eq!(
            events.iter().filter(|k| *k == "appeal.created").count(),
            2,
            "{engine}"
        );
        assert_eq!(
            events.iter().filter(|k| *k == "appeal.resolved").count(),
            2,
            "{engine}"
        );

        // The pages render for the author.
        let page = anna
            .get(&format!("/c/town/p/people-control/appeal/{id}"))
            .await;
        assert_eq!(page.status, 200, "{engine}: {}", page.text);
        assert!(
            page.text.contains("Заделана вся яма"),
            "{engine}: the page shows the timeline"
        );
    }
}

#[tokio::test]
async fn private_appeals_are_seen_by_their_author_the_organization_and_the_moderators_of_their_place()
 {
    for served in common::server::serve_all(&plugin_config("", "")).await {
        let engine = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Инстанса").await;
        define_categories(&admin).await;
        let anna = served.sign_in(ANNA, "Анна", "Петрова").await;
        let boris = served.sign_in(BORIS, "Борис", "Сидоров").await;
        let moderator = moderator_of(&served, MODERATOR, "house-1").await;
        let other_moderator = moderator_of(&served, HOUSE2_MODERATOR, "house-2").await;
        let executor = staff(&served, EXECUTOR, "executor", "uk-town").await;
        let official = staff(&served, OFFICIAL, "official", "admin-town").await;

        let filed = anna
            .post(
                &format!("{PC}/appeals"),
                json!({ "category": "corruption", "community": "house-1", "address": "ул. Садовая, 1",
                        "description": "Председатель требует деньги за справку о составе семьи" }),
            )
            .await;
        assert_eq!(filed.status, 201, "{engine}: {filed:?}");
        let appeal = format!("{PC}/appeals/{}", filed.json["id"].as_str().unwrap());
        // The moderator of house-1 (from the town's page) publishes it to the administration.
        let approved = moderator
            .post(
                &format!("{appeal}/moderation"),
                json!({ "decision": "approve" }),
            )
            .await;
        assert_eq!(
            approved.status, 200,
            "{engine}: a house moderator moderates there: {approved:?}"
        );
        let denied = other_moderator
            .post(
                &format!("{appeal}/moderation"),
                json!({ "decision": "approve" }),
            )
            .await;
        assert_eq!(
            denied.status, 404,
            "{engine}: another house's moderator does not see it"
        );

        for (who, client, sees) in [
            ("the author", &anna, true),
            ("the administration's official", &official, true),
            ("the moderator of house-1", &moderator, true),
            ("the moderator of house-2", &other_moderator, false),
            ("the management company's executor", &executor, false),
            ("a neighbour", &boris, false),
            ("an anonymous reader", &served.client(), false),
        ] {
            let seen = client.get(&appeal).await;
            assert_eq!(seen.status == 200, sees, "{engine}: {who}: {seen:?}");
            let listed = client.get(&format!("{PC}/appeals")).await;
            let count = listed.json["appeals"].as_array().map_or(0, Vec::len);
            assert_eq!(count == 1, sees, "{engine}: {who} in the list: {listed:?}");
        }
        let official_view = official.get(&appeal).await;
        assert_eq!(official_view.json["you"]["handler"], true, "{engine}");
        let neighbour = boris.post(&format!("{appeal}/support"), json!({})).await;
        assert_eq!(neighbour.status, 404, "{engine}");
    }
}

pub(crate) fn open311_settings() -> String {
    format!(r#"open311_clients = [{{ name = "city-app", api_key = "{CLIENT_KEY}" }}]"#)
}

#[tokio::test]
async fn existing_open311_clients_discover_read_and_file_appeals() {
    for served in common::server::serve_all(&plugin_config(&open311_settings(), "")).await {
        let engine = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Инстанса").await;
        define_categories(&admin).await;
        let moderator = moderator_of(&served, MODERATOR, "town").await;
        let base = format!("{}{PC}/open311/v2", served.base);

        // Services and their definitions, in JSON and XML, through georeport.
        let services = open311("georeport-json", &base, "services", json!({})).await;
        let list = services["ok"]
            .as_array()
            .unwrap_or_else(|| panic!("{engine}: {services}"));
        let roads = list.iter().find(|s| s["service_code"] == "roads").unwrap();
        assert_eq!(roads["service_name"], "Дороги и ямы", "{engine}");
        assert_eq!(roads["metadata"], true, "{engine}");
        assert_eq!(roads["type"], "realtime", "{engine}");
        let xml = open311("georeport-xml", &base, "services", json!({})).await;
        let codes: Vec<&str> = xml["ok"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["service_code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["corruption", "roads"], "{engine}: {xml}");
        let definition = open311(
            "georeport-json",
            &base,
            "definition",
            json!({ "code": "roads" }),
        )
        .await;
        let attribute = &definition["ok"]["attributes"][0];
        assert_eq!(
            (
                attribute["code"].as_str(),
                attribute["datatype"].as_str(),
                attribute["required"].as_bool()
            ),
            (Some("size"), Some("singlevaluelist"), Some(true)),
            "{engine}: {definition}"
        );
        assert_eq!(attribute["values"][1]["key"], "large", "{engine}");
        let definition_xml = open311(
            "georeport-xml",
            &base,
            "definition",
            json!({ "code": "roads" }),
        )
        .await;
        assert_eq!(
            definition_xml["ok"]["attributes"]["attribute"]["code"], "size",
            "{engine}: {definition_xml}"
        );
        let unknown = open311(
            "georeport-json",
            &base,
            "definition",
            json!({ "code": "weather" }),
        )
        .await;
        assert_eq!(unknown["http_status"], 404, "{engine}: {unknown}");
        let foreign = open311(
            "georeport-json",
            &base,
            "services",
            json!({ "jurisdiction": "elsewhere" }),
        )
        .await;
        assert_eq!(foreign["http_status"], 404, "{engine}: {foreign}");
        let singular = served
            .client()
            .get(&format!("{PC}/open311/v2/service/roads.json"))
            .await;
        assert_eq!(
            singular.json["service_code"], "roads",
            "{engine}: the singular alias"
        );

        // Filing through civicbot, which checks the definition first and posts a form.
        let post = |args: Value| open311("civicbot", &base, "post", args);
        let filed = post(json!({
            "service_code": "roads", "api_key": CLIENT_KEY, "lat": 55.7512, "lng": 37.6184,
            "description": "Яма на перекрёстке Садовой и Лесной, глубиной по колено",
            "attributes": { "size": "large" }, "first_name": "Ольга", "last_name": "Иванова",
            "email": "olga@example.org"
        }))
        .await;
        let ack = &filed["ok"]["response"][0];
        let id = ack["service_request_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{engine}: {filed}"))
            .to_owned();
        assert!(
            ack["service_notice"]
                .as_str()
                .unwrap()
                .contains("модерации"),
            "{engine}: {ack}"
        );
        let wrong_key = post(json!({
            "service_code": "roads", "api_key": "stolen", "address_string": "Садовая, 1",
            "description": "Яма на перекрёстке Садовой и Лесной", "attributes": { "size": "large" },
            "first_name": "Ольга", "last_name": "Иванова"
        }))
        .await;
        assert_eq!(wrong_key["http_status"], 403, "{engine}: {wrong_key}");
        let missing = post(json!({
            "service_code": "roads", "api_key": CLIENT_KEY, "address_string": "Садовая, 1",
            "description": "Яма на перекрёстке Садовой и Лесной", "first_name": "Ольга",
            "last_name": "Иванова", "validate_remote": false
        }))
        .await;
        assert_eq!(missing["http_status"], 400, "{engine}: {missing}");
        assert!(
            missing["body"]
                .as_str()
                .unwrap()
                .contains("attribute[size]"),
            "{engine}: {missing}"
        );
        let anonymous_author = post(json!({
            "service_code": "roads", "api_key": CLIENT_KEY, "address_string": "Садовая, 1",
            "description": "Яма на перекрёстке Садовой и Лесной", "attributes": { "size": "small" }
        }))
        .await;
        assert_eq!(
            anonymous_author["http_status"], 400,
            "{engine}: appeals come from named people: {anonymous_author}"
        );
        assert!(
            anonymous_author["body"]
                .as_str()
                .unwrap()
                .contains("first_name"),
            "{engine}"
        );

        // Waiting for moderation: not public, but the client that filed it reads it by key.
        let hidden = open311("georeport-json", &base, "request", json!({ "id": id })).await;
        assert_eq!(hidden["http_status"], 404, "{engine}: {hidden}");
        let by_key = served
            .client()
            .get(&format!(
                "{PC}/open311/v2/requests/{id}.json?api_key={CLIENT_KEY}"
            ))
            .await;
        assert_eq!(by_key.json[0]["status"], "open", "{engine}: {by_key:?}");
        assert_eq!(
            by_key.json[0]["agency_responsible"], "admin-town",
            "{engine}"
        );
        let token = open311("civicbot", &base, "token", json!({ "token": id })).await;
        assert_eq!(
            token["ok"][0]["service_request_id"],
            id.as_str(),
            "{engine}: {token}"
        );

        // Published, then resolved: the clients see it move from open to closed.
        let approved = moderator
            .post(
                &format!("{PC}/appeals/{id}/moderation"),
                json!({ "decision": "approve" }),
            )
            .await;
        assert_eq!(approved.status, 200, "{engine}: {approved:?}");
        let one = open311("georeport-json", &base, "request", json!({ "id": id })).await;
        assert_eq!(one["ok"]["status"], "open", "{engine}: {one}");
        assert_eq!(one["ok"]["lat"], 55.7512, "{engine}");
        assert!(
            one["ok"]["requested_datetime"]
                .as_str()
                .unwrap()
                .ends_with("+03:00"),
            "{engine}: {one}"
        );
        assert_eq!(one["ok"]["service_name"], "Дороги и ямы", "{engine}");
        let one_xml = open311("georeport-xml", &base, "request", json!({ "id": id })).await;
        assert_eq!(
            one_xml["ok"]["service_request_id"],
            id.as_str(),
            "{engine}: {one_xml}"
        );
        moderator
            .post(
                &format!("{PC}/appeals/{id}/status"),
                json!({ "status": "resolved", "note": "Заделано" }),
            )
            .await;
        let open = open311(
            "georeport-json",
            &base,
            "requests",
            json!({ "status": "open" }),
        )
        .await;
        assert_eq!(
            open["ok"].as_array().map(Vec::len),
            Some(0),
            "{engine}: {open}"
        );
        let closed = open311(
            "civicbot",
            &base,
            "requests",
            json!({ "status": "closed", "service_code": "roads" }),
        )
        .await;
        assert_eq!(
            closed["ok"][0]["service_request_id"],
            id.as_str(),
            "{engine}: {closed}"
        );
        assert!(
            closed["ok"][0]["status_notes"]
                .as_str()
                .unwrap()
                .contains("Заделано"),
            "{engine}"
        );
        let too_long = open311(
            "georeport-json",
            &base,
            "requests",
            json!({ "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z" }),
        )
        .await;
        assert_eq!(too_long["http_status"], 400, "{engine}: {too_long}");
        let updates = served
            .client()
            .get(&format!("{PC}/open311/v2/servicerequestupdates.json"))
            .await;
        let last = updates.json.as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["service_request_id"].as_str(), last["status"].as_str()),
            (Some(id.as_str()), Some("closed")),
            "{engine}: {updates:?}"
        );

        // A multipart POST with a photo; the request's media_url serves it.
        let boundary = "dvor-test-boundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n{CLIENT_KEY}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\ncorruption\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"address_string\"\r\n\r\nСадовая, 1\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nВымогают деньги за справку в управе\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nОльга\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"last_name\"\r\n\r\nИванова\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"spravka.png\"\r\nContent-Type: image/png\r\n\r\nPNG-BYTES\r\n\
             --{boundary}--\r\n"
        );
        let multipart = served
            .client()
            .post_body(
                &format!("{PC}/open311/v2/requests.xml"),
                &format!("multipart/form-data; boundary={boundary}"),
                &body,
            )
            .await;
        assert_eq!(multipart.status, 201, "{engine}: {multipart:?}");
        assert!(
            multipart
                .text
                .contains("<service_requests><request><service_request_id>"),
            "{engine}: {}",
            multipart.text
        );
        let private_id = multipart
            .text
            .split("<service_request_id>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        let record = served
            .client()
            .get(&format!(
                "{PC}/open311/v2/requests/{private_id}.json?api_key={CLIENT_KEY}"
            ))
            .await;
        let media = record.json[0]["media_url"]
            .as_str()
            .unwrap_or_else(|| panic!("{engine}: {record:?}"))
            .to_owned();
        assert!(media.starts_with(&served.base), "{engine}: {media}");
        let moderator_view = moderator.get(&media.replace(&served.base, "")).await;
        assert_eq!(
            moderator_view.text, "PNG-BYTES",
            "{engine}: the photo is stored"
        );
        let errors = served
            .client()
            .post_body(
                &format!("{PC}/open311/v2/requests.xml"),
                "application/x-www-form-urlencoded",
                "service_code=roads",
            )
            .await;
        assert_eq!(errors.status, 403, "{engine}");
        assert!(
            errors
                .text
                .contains("<errors><error><code>403</code><description>api_key"),
            "{engine}: {}",
            errors.text
        );
    }
}

/// Two instances: `b` is the external people's-control system for `a`. `a` forwards roads
/// appeals to `b` over Open311; `b` posts status updates back to `a`'s webhook, signed, and `a`
/// also polls `b`'s updates; each update lands once.
#[tokio::test]
async fn appeals_are_forwarded_to_an_external_system_and_its_statuses_come_back() {
    let a_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // b's port is known now, but nothing listens on it until b starts: connections are refused.
    let b_address = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let a_url = format!("http://{}", a_listener.local_addr().unwrap());
    let b_url = format!("http://{b_address}");
    let secret = "hook-secret";
    let b_config = plugin_config(
        &format!(
            r#"moderation = false
open311_clients = [{{ name = "dvor-a", api_key = "a-key", webhook_url = "{a_url}{PC}/external/webhook", webhook_secret = "{secret}" }}]"#
        ),
        r#"outbound_hosts = ["127.0.0.1"]"#,
    );
    let a_config = plugin_config(
        &format!(
            r#"external = {{ name = "Народный контроль", base_url = "{b_url}{PC}/open311/v2", api_key = "a-key", categories = ["roads"], webhook_secret = "{secret}", retry_base_ms = 0 }}"#
        ),
        r#"outbound_hosts = ["127.0.0.1"]"#,
    );
    let mut databases = common::databases().await.into_iter();
    let (engine, a_db) = databases.next().unwrap();
    let (a_sms_url, a_sms) = common::server::sms_gateway().await;
    let a = common::server::serve_config(
        engine,
        a_db,
        common::config_from_text(
            common::config_text(&common::server::identity_config(&a_sms_url, &a_config)),
            "sqlite://unused.db",
        ),
        a_listener,
        a_sms,
    )
    .await;
    let a_admin = a.sign_in(ADMIN_PHONE, "Админ", "Инстанса").await;
    define_categories(&a_admin).await;
    let anna = a.sign_in(ANNA, "Анна", "Петрова").await;
    let filed = anna
        .post(
            &format!("{PC}/appeals"),
            json!({ "category": "roads", "description": "Провал асфальта на мосту через Лесную речку",
                    "lat": 55.76, "lon": 37.63, "attributes": { "size": "large" } }),
        )
        .await;
    assert_eq!(filed.status, 201, "{filed:?}");
    let appeal = format!("{PC}/appeals/{}", filed.json["id"].as_str().unwrap());
    a_admin
        .post(
            &format!("{appeal}/moderation"),
            json!({ "decision": "approve" }),
        )
        .await;
    assert_eq!(a_admin.get(&appeal).await.json["forward"], "pending");

    // The external system is down: the attempt fails, is recorded, and waits to be retried.
    common::run_job_now(&a.runtime, "people-control", "sync", "town").await;
    let waiting = a_admin.get(&appeal).await;
    assert_eq!(waiting.json["forward"], "pending", "{waiting:?}");
    assert_eq!(waiting.json["forward_attempts"], 1, "{waiting:?}");
    assert!(
        waiting.json["forward_error"].as_str().is_some(),
        "{waiting:?}"
    );

    // It comes up (a fresh SQLite database of its own); the retry is acknowledged.
    let b_listener = tokio::net::TcpListener::bind(b_address).await.unwrap();
    let b_db = dvor::storage::testing::test_databases()
        .await
        .into_iter()
        .next()
        .unwrap()
        .1;
    let (b_sms_url, b_sms) = common::server::sms_gateway().await;
    let b = common::server::serve_config(
        "sqlite",
        b_db,
        common::config_from_text(
            common::config_text(&common::server::identity_config(&b_sms_url, &b_config)),
            "sqlite://unused.db",
        ),
        b_listener,
        b_sms,
    )
    .await;
    let b_admin = b.sign_in(ADMIN_PHONE, "Админ", "Системы").await;
    define_categories(&b_admin).await;
    common::run_job_now(&a.runtime, "people-control", "sync", "town").await;
    let sent = a_admin.get(&appeal).await;
    assert_eq!(
        sent.json["forward"], "sent",
        "{engine}: {}",
        sent.json["forward_error"]
    );
    let external_id = sent.json["external_id"].as_str().unwrap().to_owned();
    let on_b = b_admin.get(&format!("{PC}/appeals/{external_id}")).await;
    assert_eq!(on_b.json["author_name"], "Анна Петрова", "{on_b:?}");
    assert_eq!(on_b.json["client"], "dvor-a");
    assert_eq!(on_b.json["attributes"]["size"], json!(["large"]));

    // The administration on b works it; b's sync posts the updates to a's webhook.
    let official = staff(&b, OFFICIAL, "official", "admin-town").await;
    let b_appeal = format!("{PC}/appeals/{external_id}");
    let taken = official
        .post(
            &format!("{b_appeal}/status"),
            json!({ "status": "accepted" }),
        )
        .await;
    assert_eq!(taken.status, 200, "{taken:?}");
    official
        .post(
            &format!("{b_appeal}/status"),
            json!({ "status": "resolved", "note": "Мост отремонтирован" }),
        )
        .await;
    common::run_job_now(&b.runtime, "people-control", "sync", "town").await;
    let back = anna.get(&appeal).await;
    assert_eq!(back.json["status"], "resolved", "{back:?}");
    let external: Vec<&Value> = back.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "external")
        .collect();
    assert!(
        external
            .iter()
            .any(|e| e["note"].as_str().unwrap().contains("Мост отремонтирован")),
        "the external system's note is on the timeline: {external:?}"
    );
    let count = external.len();
    assert!(
        anna.inbox_texts()
            .await
            .iter()
            .any(|t| t.contains("решено")),
        "Anna hears it is resolved"
    );

    // Polling the same updates adds nothing: each update counts once.
    common::run_job_now(&a.runtime, "people-control", "sync", "town").await;
    let after_poll = anna.get(&appeal).await;
    let again = after_poll.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "external")
        .count();
    assert_eq!(again, count, "{after_poll:?}");

    // A forged webhook is refused.
    let forged = a
        .client()
        .post_raw(
            &format!("{PC}/external/webhook"),
            "application/json",
            r#"[{"update_id":"x","service_request_id":"1","status":"open","updated_datetime":"2026-11-23T10:00:00+03:00"}]"#,
            &[("x-dvor-signature", "sha256=00")],
        )
        .await;
    assert_eq!(forged.status, 401, "{forged:?}");
    assert_eq!(anna.get(&appeal).await.json["status"], "resolved");
}

/// Move appeal `id`'s deadline to `days` ago, directly in the plugin's storage: set-up standing
/// in for the days passing (the plugin takes its time from the host, and a test cannot wait).
async fn deadline_passed(served: &Served, id: &str, days: i64) {
    use dvor::storage::{NewDocument, Scope};
    let runtime = &served.runtime;
    let spec = runtime.plugins()["people-control"].collections["appeals"].clone();
    let scope = Scope::subtree("people-control", "/");
    let db = runtime.shared().db.connection();
    let stored = dvor::storage::get(db, &scope, &spec, id)
        .await
        .unwrap()
        .expect("the appeal is stored");
    let mut data: Value = serde_json::from_str(&stored.data).unwrap();
    let now = dvor::identity::now_ms();
    data["deadline"] = json!(now - days * 86_400_000 - 60_000);
    let path = runtime
        .shared()
        .communities()
        .get(&stored.community_id)
        .expect("the appeal's place exists")
        .path
        .clone();
    dvor::storage::put(
        db,
        &scope,
        &spec,
        NewDocument {
            id: Some(id.to_owned()),
            community_id: stored.community_id,
            community_path: path,
            data: data.to_string(),
        },
        Some(stored.version),
        now,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_appeal_past_its_deadline_is_flagged_then_escalated_once() {
    for served in common::server::serve_all(&plugin_config("", "")).await {
        let engine = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Инстанса").await;
        define_categories(&admin).await;
        let anna = served.sign_in(ANNA, "Анна", "Петрова").await;
        let moderator = moderator_of(&served, MODERATOR, "town").await;
        let official = staff(&served, OFFICIAL, "official", "admin-town").await;
        let filed = anna
            .post(&format!("{PC}/appeals"), pothole(55.7512, 37.6184))
            .await;
        let id = filed.json["id"].as_str().unwrap().to_owned();
        let appeal = format!("{PC}/appeals/{id}");
        let published = moderator
            .post(
                &format!("{appeal}/moderation"),
                json!({ "decision": "approve" }),
            )
            .await;
        assert_eq!(published.status, 200, "{engine}: {published:?}");

        // Within the deadline the sync job leaves it alone.
        common::run_job_now(&served.runtime, "people-control", "sync", "town").await;
        assert_eq!(anna.get(&appeal).await.json["overdue"], false, "{engine}");

        // A day past the deadline: flagged, on the timeline, in the overdue filter and share.
        deadline_passed(&served, &id, 1).await;
        common::run_job_now(&served.runtime, "people-control", "sync", "town").await;
        let seen = anna.get(&appeal).await;
        assert_eq!(seen.json["overdue"], true, "{engine}: {seen:?}");
        let kinds = |answer: &Answer| -> Vec<String> {
            answer.json["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["kind"].as_str().map(str::to_owned))
                .collect()
        };
        assert!(kinds(&seen).contains(&"overdue".to_owned()), "{engine}");
        assert!(!kinds(&seen).contains(&"escalation".to_owned()), "{engine}");
        let overdue = official.get(&format!("{PC}/appeals?overdue=true")).await;
        let listed: Vec<&str> = overdue.json["appeals"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        assert_eq!(listed, [id.as_str()], "{engine}: {overdue:?}");
        let stats = official.get(&format!("{PC}/stats")).await;
        assert_eq!(stats.status, 200, "{engine}: {stats:?}");
        assert_eq!(stats.json["overdue"], 1, "{engine}: {stats:?}");
        assert!(
            stats.json["overdue_percent"].as_f64().unwrap() > 0.0,
            "{engine}: the overdue share is reported: {stats:?}"
        );

        // Overdue longer than `escalate_after_days` (3): the moderators and officials above it
        // are told, urgently, once.
        deadline_passed(&served, &id, 4).await;
        common::run_job_now(&served.runtime, "people-control", "sync", "town").await;
        common::run_job_now(&served.runtime, "people-control", "sync", "town").await;
        let seen = anna.get(&appeal).await;
        assert_eq!(seen.json["escalated"], true, "{engine}: {seen:?}");
        assert_eq!(
            kinds(&seen).iter().filter(|k| *k == "escalation").count(),
            1,
            "{engine}: escalated once"
        );
        for (who, client) in [("moderator", &moderator), ("official", &official)] {
            let told = client
                .inbox_texts()
                .await
                .into_iter()
                .filter(|t| t.contains("Просрочено обращение"))
                .count();
            assert_eq!(told, 1, "{engine}: the {who} is told once");
        }
    }
}

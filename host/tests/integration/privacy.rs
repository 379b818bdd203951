//! Who may read and write plugin data, as an outsider probing a live instance would check it, on
//! both engines: callers who are not signed in write only where a plugin's manifest opens it
//! (the host refuses the rest before any plugin code runs, and counts it); stored files are
//! served only through the signed links the pages gave; polls, initiatives and general meetings
//! show names and person ids only to the people of the place, and a running tally only to the
//! organizer and the counting commission; Open311 appeals carry no contact in their ids; service
//! requests come only from the house's residents and staff; tariffs are the operator's.

use crate::common;

use common::server::{Answer, Client, Served};
use dvor::metrics::OutcomeLabels;
use serde_json::json;

use super::meetings_pages::location;

/// How many calls `plugin` has run, whatever their outcome.
fn calls(served: &Served, plugin: &str) -> u64 {
    let metrics = &served.runtime.shared().metrics;
    ["ok", "error", "trap", "timeout", "memory", "host"]
        .iter()
        .map(|outcome| {
            metrics
                .calls
                .get_or_create(&OutcomeLabels {
                    plugin: plugin.to_owned(),
                    outcome: (*outcome).to_owned(),
                })
                .get()
        })
        .sum()
}

/// The `/metrics` text.
async fn metrics_text(served: &Served) -> String {
    served.client().get("/metrics").await.text
}

fn assert_status(answer: &Answer, status: u16, what: &str) {
    assert_eq!(answer.status, status, "{what}: {answer:?}");
}

#[tokio::test]
async fn callers_not_signed_in_read_but_write_only_where_the_manifest_opens_it() {
    for served in common::server::serve_all(super::meetings::PLUGIN_CONFIG).await {
        let e = served.engine;
        let anonymous = served.client();

        // `chaos` checks no roles at all: before, anyone could write into the house.
        let before = calls(&served, "chaos");
        let forged = anonymous
            .post("/api/c/house-1/p/chaos/write?id=intruder", json!({}))
            .await;
        assert_status(&forged, 401, &format!("{e}: an anonymous write"));
        assert_eq!(
            calls(&served, "chaos"),
            before,
            "{e}: refused before the plugin ran"
        );
        let read = anonymous
            .get("/api/c/house-1/p/chaos/read?id=intruder")
            .await;
        assert_status(&read, 404, &format!("{e}: nothing was written"));
        assert_status(
            &anonymous.get("/api/c/house-1/p/chaos/ok").await,
            200,
            &format!("{e}: reading stays open"),
        );
        let resident = served.sign_in("+79990001122", "Ирина", "Жителева").await;
        assert_status(
            &resident
                .post("/api/c/house-1/p/chaos/write?id=signed", json!({}))
                .await,
            201,
            &format!("{e}: a signed-in call reaches the plugin, which decides"),
        );
        // A plugin not enabled here is 404 for everyone, as before.
        assert_status(
            &anonymous
                .post("/api/c/house-2/p/chaos/write?id=x", json!({}))
                .await,
            404,
            &format!("{e}: not enabled"),
        );

        // `hello` opens its notes to everyone in its manifest.
        assert_status(
            &anonymous
                .post(
                    "/api/c/house-1/p/hello/notes",
                    json!({ "text": "Кто-то оставил зонт" }),
                )
                .await,
            201,
            &format!("{e}: declared in [access]"),
        );

        // A page action: the browser is sent to sign in and back, the plugin never runs. The
        // browser carries its pre-session's form token (from any page with a form), so what
        // refuses it is the manifest, not the token.
        let before = calls(&served, "meetings");
        let (cookie, token) = pre_session(&anonymous, "/c/house-1/p/hello").await;
        let posted = anonymous
            .post_raw(
                "/c/house-1/p/meetings?action=create_poll",
                "application/x-www-form-urlencoded",
                &form_body(&[
                    ("title", "Ставим ёлку?"),
                    ("kind", "single"),
                    ("hours", "24"),
                    ("dvor_csrf", &token),
                ]),
                &[("cookie", &cookie)],
            )
            .await;
        assert_eq!(
            location(&posted),
            "/signin?next=%2Fc%2Fhouse-1%2Fp%2Fmeetings",
            "{e}"
        );
        assert_eq!(
            calls(&served, "meetings"),
            before,
            "{e}: the plugin never ran"
        );

        let metrics = metrics_text(&served).await;
        for line in [
            "dvor_plugin_scope_denials_total{plugin=\"chaos\",kind=\"api\"} 1",
            "dvor_plugin_scope_denials_total{plugin=\"meetings\",kind=\"action\"} 1",
        ] {
            assert!(metrics.contains(line), "{e}: {line} in {metrics}");
        }
    }
}

/// The first file link on a page, as the browser follows it.
fn file_link(html: &str) -> Option<String> {
    // A photo is drawn as an image (`src`), other files are links (`href`).
    let start = html.find("=\"/files/")? + 2;
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

#[tokio::test]
async fn a_stored_photo_opens_through_the_link_its_page_gave_and_only_for_whom_it_was_drawn() {
    use super::people_control::{PC, define_categories, moderator_of, plugin_config, pothole};
    for served in common::server::serve_all(&plugin_config("", "")).await {
        let e = served.engine;
        let admin = served
            .sign_in(common::server::ADMIN_PHONE, "Админ", "Инстанса")
            .await;
        define_categories(&admin).await;
        let anna = served.sign_in("+79991112233", "Анна", "Петрова").await;
        let boris = served.sign_in("+79994445566", "Борис", "Сидоров").await;
        let moderator = moderator_of(&served, "+79990000030", "town").await;
        let anonymous = served.client();

        let filed = anna
            .post(&format!("{PC}/appeals"), pothole(55.7512, 37.6184))
            .await;
        let id = filed.json["id"].as_str().unwrap().to_owned();
        let photo = anna
            .post_raw(
                &format!("{PC}/appeals/{id}/photos?name=yama.png"),
                "image/png",
                "not really a png, but bytes all the same",
                &[],
            )
            .await;
        assert_status(&photo, 201, &format!("{e}: the photo is stored"));
        let file_id = photo.json["id"].as_str().unwrap().to_owned();

        // The author's page links the photo, and the link opens it for her.
        let page = anna
            .get(&format!("/c/town/p/people-control/appeal/{id}"))
            .await;
        let link = file_link(&page.text).unwrap_or_else(|| panic!("{e}: a link: {}", page.text));
        let opened = anna.get(&link).await;
        assert_status(&opened, 200, &format!("{e}: the author opens her photo"));
        assert_eq!(
            opened.text, "not really a png, but bytes all the same",
            "{e}"
        );
        assert_eq!(opened.headers["content-type"], "image/png", "{e}");
        assert_eq!(opened.headers["x-content-type-options"], "nosniff", "{e}");

        // Nobody else opens her link, nor the file without a signature, nor a forged one.
        for (who, client) in [("anonymous", &anonymous), ("a neighbour", &boris)] {
            assert_status(&client.get(&link).await, 404, &format!("{e}: {who}"));
        }
        assert_status(
            &anna.get(&format!("/files/{file_id}")).await,
            404,
            &format!("{e}: unsigned"),
        );
        let flipped = if link.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{flipped}", &link[..link.len() - 1]);
        assert_status(&anna.get(&forged).await, 404, &format!("{e}: forged"));
        let elsewhere = link.replace("c=town", "c=house-2");
        assert_status(
            &anna.get(&elsewhere).await,
            404,
            &format!("{e}: signed for another place"),
        );
        // Before publishing, nobody but the author and moderators even gets a page.
        assert_status(
            &boris
                .get(&format!("/c/town/p/people-control/appeal/{id}"))
                .await,
            404,
            &format!("{e}: not published"),
        );
        let moderated = moderator
            .get(&format!("/c/town/p/people-control/appeal/{id}"))
            .await;
        let theirs = file_link(&moderated.text).expect("the moderator's link");
        assert_ne!(theirs, link, "{e}: a link of their own");
        assert_status(
            &moderator.get(&theirs).await,
            200,
            &format!("{e}: moderator"),
        );

        // Another host on the same database signs with the same key (a load balancer may
        // send the download to any of them): the link the page gave is what it signs too.
        let db = served.runtime.shared().db.connection();
        let other_host = dvor::file_links::FileLinks::load(db, 0).await.unwrap();
        let expires: i64 = link
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("e="))
            .and_then(|e| e.parse().ok())
            .expect("the link's expiry");
        let drawn_at = (expires / 3600 - 25) * 3_600_000;
        let query = other_host
            .signer("people-control", "town", anna.person.as_deref(), drawn_at)
            .query(&file_id);
        let signed = format!(
            "/files/{file_id}?{}",
            query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        );
        assert_eq!(signed, link, "{e}");

        // Published (roads are public): a page drawn for anyone links it for anyone.
        let approved = moderator
            .post(
                &format!("{PC}/appeals/{id}/moderation"),
                json!({ "decision": "approve" }),
            )
            .await;
        assert_status(&approved, 200, &format!("{e}: published"));
        let public = anonymous
            .get(&format!("/c/town/p/people-control/appeal/{id}"))
            .await;
        let public_link = file_link(&public.text).expect("a public link");
        for (who, client) in [("anonymous", &anonymous), ("a neighbour", &boris)] {
            assert_status(
                &client.get(&public_link).await,
                200,
                &format!("{e}: {who} opens a public page's photo"),
            );
        }
    }
}

#[tokio::test]
async fn names_and_running_tallies_are_for_the_people_of_the_place_and_those_who_count() {
    const M: &str = "/api/c/house-1/p/meetings";
    for served in common::server::serve_all(super::meetings::PLUGIN_CONFIG).await {
        let e = served.engine;
        let anna = served.sign_in("+79991112233", "Анна", "Жителева").await;
        let anna_id = anna.person.clone().unwrap();
        served.own(&anna_id, "house-1/12").await;
        let boris = served.sign_in("+79994445566", "Борис", "Соседов").await;
        let boris_id = boris.person.clone().unwrap();
        served
            .grant(&boris_id, "resident", Some("house-1"), None)
            .await;
        let counter = served.sign_in("+79995556677", "Вера", "Счётная").await;
        let counter_id = counter.person.clone().unwrap();
        served
            .grant(&counter_id, "resident", Some("house-1"), None)
            .await;
        let outsider = served
            .sign_in("+79997778899", "Посторонний", "Человек")
            .await;
        let anonymous = served.client();

        // A named poll whose results are the place's: neighbours see who voted how, nobody
        // else sees names or person ids, or the results at all.
        let poll = anna
            .post(
                &format!("{M}/polls"),
                json!({ "title": "Ставим ёлку во дворе?", "kind": "single", "options": ["Да", "Нет"], "hours": 24 }),
            )
            .await;
        assert_status(&poll, 201, e);
        let poll_id = poll.json["id"].as_str().unwrap().to_owned();
        let vote = |client: &Client| {
            let client = client.clone();
            let path = format!("{M}/polls/{poll_id}/vote");
            async move { client.post(&path, json!({ "choices": [0] })).await }
        };
        assert_status(&vote(&boris).await, 201, e);
        let listed = anonymous.get(&format!("{M}/polls")).await;
        assert_eq!(
            listed.json["polls"][0]["data"]["title"], "Ставим ёлку во дворе?",
            "{e}"
        );
        for leak in [anna_id.as_str(), "Анна", "Жителева"] {
            assert!(
                !listed.text.contains(leak),
                "{e}: {leak} in {}",
                listed.text
            );
        }
        assert_status(
            &anonymous.get(&format!("{M}/polls/{poll_id}/results")).await,
            401,
            &format!("{e}: anonymous"),
        );
        assert_status(
            &outsider.get(&format!("{M}/polls/{poll_id}/results")).await,
            403,
            &format!("{e}: an outsider"),
        );
        let seen = anna.get(&format!("{M}/polls/{poll_id}/results")).await;
        assert_eq!(
            seen.json["options"][0]["voters"],
            json!(["Борис Соседов"]),
            "{e}: {seen:?}"
        );
        let page = |client: &Client, route: String| {
            let client = client.clone();
            async move {
                client
                    .get(&format!("/c/house-1/p/meetings/{route}"))
                    .await
                    .text
            }
        };
        let public_page = page(&anonymous, format!("poll/{poll_id}")).await;
        assert!(!public_page.contains("Соседов"), "{e}: {public_page}");
        assert!(
            !public_page.contains("Жителева"),
            "{e}: the author: {public_page}"
        );
        assert!(
            page(&anna, format!("poll/{poll_id}"))
                .await
                .contains("Борис Соседов"),
            "{e}"
        );
        let ballot = page(&counter, format!("poll/{poll_id}")).await;
        assert!(
            ballot.contains("Голосование открытое: жители этого места увидят ваше имя"),
            "{e}: the warning before a named vote: {ballot}"
        );

        // Public results: counts for anyone, never names.
        let open = anna
            .post(
                &format!("{M}/polls"),
                json!({ "title": "Красим скамейки?", "kind": "single", "options": ["Да", "Нет"],
                        "hours": 24, "public": true }),
            )
            .await;
        let open_id = open.json["id"].as_str().unwrap().to_owned();
        assert_status(
            &boris
                .post(
                    &format!("{M}/polls/{open_id}/vote"),
                    json!({ "choices": [1] }),
                )
                .await,
            201,
            e,
        );
        let counted = anonymous.get(&format!("{M}/polls/{open_id}/results")).await;
        assert_status(&counted, 200, &format!("{e}: public results"));
        assert_eq!(counted.json["options"][1]["count"], 1, "{e}");
        assert!(!counted.text.contains("Борис"), "{e}: {}", counted.text);
        assert_eq!(counted.json["named"], false, "{e}");

        // An initiative: anyone reads it, its author and commenters are named to neighbours.
        let proposed = boris
            .post(
                &format!("{M}/initiatives"),
                json!({ "title": "Поставить велопарковку", "description": "Велосипеды стоят в подъезде и мешают коляскам, нужна парковка у входа" }),
            )
            .await;
        assert_status(&proposed, 201, e);
        let initiative = proposed.json["id"].as_str().unwrap().to_owned();
        assert_status(
            &anna
                .post(
                    &format!("{M}/initiatives/{initiative}/comments"),
                    json!({ "text": "Поддерживаю, место есть у второго подъезда" }),
                )
                .await,
            200,
            e,
        );
        let read = anonymous
            .get(&format!("{M}/initiatives/{initiative}"))
            .await;
        assert_status(&read, 200, e);
        for leak in [boris_id.as_str(), anna_id.as_str(), "Борис", "Анна"] {
            assert!(!read.text.contains(leak), "{e}: {leak} in {}", read.text);
        }
        let neighbour = anna.get(&format!("{M}/initiatives/{initiative}")).await;
        assert_eq!(
            neighbour.json["data"]["author_name"], "Борис Соседов",
            "{e}"
        );
        let initiative_page = page(&anonymous, format!("initiative/{initiative}")).await;
        assert!(
            !initiative_page.contains("Соседов"),
            "{e}: {initiative_page}"
        );

        // An open general meeting: its running tally is the organizer's and the commission's.
        let operator = served.sign_in("+79990000010", "Ольга", "Операторова").await;
        let operator_id = operator.person.clone().unwrap();
        served
            .grant(&operator_id, "operator", None, Some("uk-town"))
            .await;
        let (notice, from, to) = super::meetings::period(3600);
        let meeting = |commission: Vec<String>| {
            json!({
                "form": "absentee", "number": "3", "initiator": "УК «Городская»",
                "place": "ул. Садовая, 1", "storage_place": "Офис УК", "notice_date": notice,
                "voting_from": from, "voting_to": to, "chair": "Анна Жителева",
                "secretary": "Ольга Операторова", "commission": commission,
                "questions": [{ "title": "Выбрать совет дома", "kind": "ordinary" }]
            })
        };
        let nobody = operator
            .post(&format!("{M}/meetings"), meeting(vec!["p-nobody".into()]))
            .await;
        assert_eq!(nobody.field(), Some("commission[0]"), "{e}: {nobody:?}");
        let created = operator
            .post(&format!("{M}/meetings"), meeting(vec![counter_id.clone()]))
            .await;
        assert_status(&created, 201, e);
        let id = created.json["id"].as_str().unwrap().to_owned();
        assert_status(
            &anna
                .post(
                    &format!("{M}/meetings/{id}/ballot"),
                    json!({ "answers": ["against"] }),
                )
                .await,
            201,
            &format!("{e}: the only ballot"),
        );
        let tally = format!("{M}/meetings/{id}/tally");
        assert_status(
            &anonymous.get(&tally).await,
            401,
            &format!("{e}: anonymous"),
        );
        assert_status(&boris.get(&tally).await, 403, &format!("{e}: a neighbour"));
        assert_status(&anna.get(&tally).await, 403, &format!("{e}: a voter"));
        for (who, client) in [("the commission", &counter), ("the organizer", &operator)] {
            let running = client.get(&tally).await;
            assert_status(&running, 200, &format!("{e}: {who}"));
            assert!(
                running.json["recounted"]["questions"][0]["against"] != json!(null),
                "{e}: {running:?}"
            );
        }
        assert_status(
            &counter.get(&format!("{M}/meetings/{id}/ballots.csv")).await,
            200,
            &format!("{e}: the commission checks the ballots"),
        );
        let document = anonymous.get(&format!("{M}/meetings/{id}")).await;
        assert_status(&document, 200, e);
        for leak in [
            operator_id.as_str(),
            counter_id.as_str(),
            "Жителева",
            "Операторова",
        ] {
            assert!(
                !document.text.contains(leak),
                "{e}: {leak} in {}",
                document.text
            );
        }
        assert_eq!(document.json["data"]["number"], "3", "{e}");
    }
}

#[tokio::test]
async fn an_appeal_filed_over_open311_shows_its_contact_only_to_those_handling_it() {
    use super::people_control::{
        CLIENT_KEY, PC, define_categories, moderator_of, open311_settings, plugin_config,
    };
    const PHONE: &str = "+79001234567";
    const EMAIL: &str = "olga@example.org";
    for served in common::server::serve_all(&plugin_config(&open311_settings(), "")).await {
        let e = served.engine;
        let admin = served
            .sign_in(common::server::ADMIN_PHONE, "Админ", "Инстанса")
            .await;
        define_categories(&admin).await;
        let moderator = moderator_of(&served, "+79990000030", "town").await;
        let neighbour = served.sign_in("+79994445566", "Борис", "Сидоров").await;
        let anonymous = served.client();

        // An application files for a named person who left a phone and an e-mail.
        let form = super::meetings_pages::encoded(&[
            ("api_key", CLIENT_KEY),
            ("service_code", "roads"),
            ("lat", "55.7512"),
            ("long", "37.6184"),
            (
                "description",
                "Яма на перекрёстке Садовой и Лесной, глубиной по колено",
            ),
            ("attribute[size]", "large"),
            ("first_name", "Ольга"),
            ("last_name", "Иванова"),
            ("phone", PHONE),
            ("email", EMAIL),
        ]);
        let filed = anonymous
            .post_body(
                &format!("{PC}/open311/v2/requests.json"),
                "application/x-www-form-urlencoded",
                &form,
            )
            .await;
        assert_status(
            &filed,
            201,
            &format!("{e}: an Open311 client files without signing in"),
        );
        let id = filed.json[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let approved = moderator
            .post(
                &format!("{PC}/appeals/{id}/moderation"),
                json!({ "decision": "approve" }),
            )
            .await;
        assert_status(&approved, 200, e);

        // Published: anyone reads it, and nothing in it says how to reach her.
        for (who, client) in [("anonymous", &anonymous), ("a neighbour", &neighbour)] {
            for path in [
                format!("{PC}/appeals"),
                format!("{PC}/appeals/{id}"),
                format!("{PC}/open311/v2/requests/{id}.json"),
                format!("/c/town/p/people-control/appeal/{id}"),
            ] {
                let read = client.get(&path).await;
                assert_status(&read, 200, &format!("{e}: {who} reads {path}"));
                for contact in ["79001234567", "900 123", EMAIL] {
                    assert!(
                        !read.text.contains(contact),
                        "{e}: {who} sees {contact} at {path}: {}",
                        read.text
                    );
                }
            }
        }
        let one = anonymous.get(&format!("{PC}/appeals/{id}")).await;
        assert_eq!(one.json["author"], format!("open311:city-app:{id}"), "{e}");
        assert_eq!(one.json["timeline"][0]["by"], one.json["author"], "{e}");

        // Those handling it reach her.
        let handled = moderator.get(&format!("{PC}/appeals/{id}")).await;
        let contact = handled.json["contact"].as_str().unwrap_or_default();
        assert!(
            contact.contains(PHONE) && contact.contains(EMAIL),
            "{e}: {handled:?}"
        );
        assert!(
            !handled.json["author"].as_str().unwrap().contains(PHONE),
            "{e}: not even their ids carry it"
        );
    }
}

#[tokio::test]
async fn service_requests_come_from_the_house_and_tariffs_and_names_stay_with_its_staff() {
    use super::housing::{H1, housing_config, staff};
    for served in common::server::serve_all(&housing_config((1, 31))).await {
        let e = served.engine;
        let operator = staff(&served, "+79990000010", "Ольга", "operator").await;
        let resident = served.sign_in("+79991112233", "Анна", "Смирнова").await;
        served
            .own(resident.person.as_deref().unwrap(), "house-1/12")
            .await;
        // A resident of the other house, the other house's company, and a person of nowhere.
        let next_door = served.sign_in("+79992223344", "Пётр", "Соседнев").await;
        served
            .own(next_door.person.as_deref().unwrap(), "house-2/7")
            .await;
        let other_company = served.sign_in("+79990000050", "Игорь", "Чужой").await;
        served
            .grant(
                other_company.person.as_deref().unwrap(),
                "operator",
                None,
                Some("uk-other"),
            )
            .await;
        let stranger = served
            .sign_in("+79997778899", "Посторонний", "Человек")
            .await;

        let request = json!({ "category": "plumbing", "description": "Течёт кран на кухне" });
        for (who, client) in [
            ("a resident of house 2", &next_door),
            ("an operator of house 2's company", &other_company),
            ("a person with no tie to the house", &stranger),
        ] {
            let refused = client
                .post(&format!("{H1}/requests"), request.clone())
                .await;
            assert_status(&refused, 403, &format!("{e}: {who}"));
        }
        let queue = operator.get(&format!("{H1}/requests")).await;
        assert_eq!(
            queue.json["requests"].as_array().map(Vec::len),
            Some(0),
            "{e}: nothing landed in the company's queue: {queue:?}"
        );
        let stats = operator.get(&format!("{H1}/requests/stats")).await;
        assert_eq!(
            stats.json["all"]["total"], 0,
            "{e}: nor in its statistics: {stats:?}"
        );
        for (who, client) in [("its resident", &resident), ("its operator", &operator)] {
            let filed = client
                .post(&format!("{H1}/requests"), request.clone())
                .await;
            assert_status(&filed, 201, &format!("{e}: {who}"));
        }
        let form = next_door.get("/c/house-1/p/housing/requests").await;
        assert!(
            !form.text.contains("action=new-request"),
            "{e}: no form for those who may not file: {}",
            form.text
        );
        assert!(
            resident
                .get("/c/house-1/p/housing/requests")
                .await
                .text
                .contains("action=new-request"),
            "{e}"
        );

        // Tariffs are the operator's.
        let tariffs = format!("{H1}/tariffs");
        assert_status(
            &served.client().get(&tariffs).await,
            401,
            &format!("{e}: anonymous"),
        );
        assert_status(
            &resident.get(&tariffs).await,
            403,
            &format!("{e}: a resident"),
        );
        assert_status(
            &operator.get(&tariffs).await,
            200,
            &format!("{e}: the operator"),
        );

        // An announcement is from the company; who typed it is the staff's to know.
        let posted = operator
            .post(
                &format!("{H1}/announcements"),
                json!({ "kind": "outage", "title": "Отключение воды", "text": "Во вторник с 10 до 14",
                        "from": "2026-01-01" }),
            )
            .await;
        assert_status(&posted, 201, e);
        let public = served.client().get(&format!("{H1}/announcements")).await;
        let first = &public.json["announcements"][0];
        assert_eq!(first["title"], "Отключение воды", "{e}: {public:?}");
        assert_eq!(first["organization"], "uk-town", "{e}: {public:?}");
        assert!(!public.text.contains("Ольга"), "{e}: {}", public.text);
        let internal = operator.get(&format!("{H1}/announcements")).await;
        assert_eq!(
            internal.json["announcements"][0]["by"], "Ольга Сотрудникова",
            "{e}: {internal:?}"
        );
    }
}

/// What a browser not signed in holds after opening `path`: its pre-session cookie and the
/// token the page's forms carry.
async fn pre_session(client: &common::server::Client, path: &str) -> (String, String) {
    let page = client.get(path).await;
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .next()
        .expect("the page sets a pre-session cookie");
    let marker = "name=\"dvor_csrf\" value=\"";
    let start = page.text.find(marker).expect("the page has a form") + marker.len();
    let token = page.text[start..start + page.text[start..].find('"').unwrap()].to_owned();
    (cookie, token)
}

/// `pairs` as a browser encodes a form.
fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_owned()
}

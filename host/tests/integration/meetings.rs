//! The `meetings` plugin over the real server, on both engines: polls (one vote per person or
//! per unit, results live or after closing, anonymous or named), initiatives reaching their
//! community's threshold and going to the officials, and general meetings of a house's owners
//! (votes = area × share, paper ballots, quorum and thresholds by question kind) and of an SNT's
//! members (non-members only on the questions the law lets them), closed, counted, recounted
//! from the ballots and written up as a protocol. The law's worked examples are unit tests of
//! `plugins/meetings/src/tally.rs`.

use crate::common;

use std::time::Duration;

use common::server::{Client, Served};
use serde_json::{Value, json};

const M: &str = "/api/c/house-1/p/meetings";
const S: &str = "/api/c/snt/p/meetings";
const DAY_MS: i64 = 86_400_000;

fn config() -> String {
    r#"
[[units]]
community = "house-1"
number = "1"
kind = "apartment"
area = "60"

[[units]]
community = "house-1"
number = "2"
kind = "apartment"
area = "85.7"

[[units]]
community = "snt"
number = "1"
kind = "plot"
area = "600"

[[units]]
community = "snt"
number = "2"
kind = "plot"
area = "600"

[[units]]
community = "snt"
number = "3"
kind = "plot"
area = "600"

"#
    .to_owned()
        + PLUGIN_CONFIG
}

/// The meetings plugin for the whole town, with house-1's own initiative threshold of 2 (the
/// page tests use it too).
pub const PLUGIN_CONFIG: &str = r#"
[plugins.meetings]
enabled_for = ["town"]
[plugins.meetings.grants]
collections = ["polls", "initiatives", "meetings", "ballots", "supports"]
emits = ["poll.voted", "initiative.created", "initiative.supported", "meeting.closed"]
schedules = ["close"]
notifications = true
files = true
[plugins.meetings.settings]
initiative_threshold = { default = 10, communities = { "house-1" = 2 } }
"#;

/// Make `person` an owner of `unit` with a share, verified or not (set-up).
async fn owns(served: &Served, person: &str, unit_id: &str, share: (u32, u32), verified: bool) {
    use dvor::identity::membership::{OwnershipChange, set_ownership, unit};
    let db = served.runtime.shared().db.connection();
    let unit = unit(db, unit_id).await.unwrap().expect("the unit exists");
    set_ownership(
        db,
        None,
        OwnershipChange {
            person,
            unit: &unit,
            share,
            verified,
            source: "manager",
        },
        dvor::identity::now_ms(),
    )
    .await
    .unwrap();
}

async fn person(served: &Served, phone: &str, given: &str) -> (Client, String) {
    let client = served.sign_in(phone, given, "Жителева").await;
    let id = client.person.clone().unwrap();
    (client, id)
}

#[tokio::test]
async fn polls_count_one_vote_per_person_or_unit_and_show_results_when_the_author_says() {
    for served in common::server::serve_all(&config()).await {
        let e = served.engine;
        let (anna, anna_id) = person(&served, "+79991112233", "Анна").await;
        let (boris, boris_id) = person(&served, "+79994445566", "Борис").await;
        let outsider = served
            .sign_in("+79997778899", "Посторонний", "Человек")
            .await;
        owns(&served, &anna_id, "house-1/1", (1, 3), true).await;
        owns(&served, &boris_id, "house-1/1", (2, 3), true).await;

        let bad = anna
            .post(&format!("{M}/polls"), json!({ "title": "Ёлка во дворе?", "kind": "single", "options": ["Да"], "hours": 24 }))
            .await;
        assert_eq!(bad.field(), Some("options"), "{e}: {bad:?}");
        let tree = anna
            .post(
                &format!("{M}/polls"),
                json!({ "title": "Ставим ёлку во дворе?", "kind": "single", "options": ["Да", "Нет"], "hours": 24 }),
            )
            .await;
        assert_eq!(tree.status, 201, "{e}: {tree:?}");
        let tree_id = tree.json["id"].as_str().unwrap().to_owned();
        let denied = outsider
            .post(
                &format!("{M}/polls/{tree_id}/vote"),
                json!({ "choices": [0] }),
            )
            .await;
        assert_eq!(
            denied.status, 403,
            "{e}: only the people of the place vote: {denied:?}"
        );
        let two = anna
            .post(
                &format!("{M}/polls/{tree_id}/vote"),
                json!({ "choices": [0, 1] }),
            )
            .await;
        assert_eq!(
            two.field(),
            Some("choices"),
            "{e}: a single-choice poll takes one"
        );
        assert_eq!(
            anna.post(
                &format!("{M}/polls/{tree_id}/vote"),
                json!({ "choices": [0] })
            )
            .await
            .status,
            201,
            "{e}"
        );
        assert_eq!(
            boris
                .post(
                    &format!("{M}/polls/{tree_id}/vote"),
                    json!({ "choices": [1] })
                )
                .await
                .status,
            201,
            "{e}"
        );
        let again = anna
            .post(
                &format!("{M}/polls/{tree_id}/vote"),
                json!({ "choices": [1] }),
            )
            .await;
        assert_eq!(again.status, 409, "{e}: one vote per person: {again:?}");
        let results = boris.get(&format!("{M}/polls/{tree_id}/results")).await;
        let counts: Vec<u64> = results.json["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["count"].as_u64().unwrap())
            .collect();
        assert_eq!(counts, [1, 1], "{e}: live results: {results:?}");
        assert_eq!(
            results.json["options"][0]["voters"],
            json!(["Анна Жителева"]),
            "{e}: named"
        );

        // Per unit, anonymous, results after closing.
        let flat = anna
            .post(
                &format!("{M}/polls"),
                json!({ "title": "Менять домофон?", "kind": "multiple", "options": ["Да", "Нет", "С камерой"],
                        "per": "unit", "anonymous": true, "show": "after_close", "hours": 24 }),
            )
            .await;
        let flat_id = flat.json["id"].as_str().unwrap().to_owned();
        let voted = boris
            .post(
                &format!("{M}/polls/{flat_id}/vote"),
                json!({ "choices": [0, 2] }),
            )
            .await;
        assert_eq!(voted.status, 201, "{e}: {voted:?}");
        let same_flat = anna
            .post(
                &format!("{M}/polls/{flat_id}/vote"),
                json!({ "choices": [1] }),
            )
            .await;
        assert_eq!(
            same_flat.status, 409,
            "{e}: flat 1 has voted: {same_flat:?}"
        );
        let hidden = boris.get(&format!("{M}/polls/{flat_id}/results")).await;
        assert_eq!(hidden.status, 403, "{e}: results after closing: {hidden:?}");
        assert_eq!(
            boris
                .post(&format!("{M}/polls/{flat_id}/close"), json!({}))
                .await
                .status,
            403,
            "{e}: only the author closes"
        );
        assert_eq!(
            anna.post(&format!("{M}/polls/{flat_id}/close"), json!({}))
                .await
                .status,
            200,
            "{e}"
        );
        let shown = boris.get(&format!("{M}/polls/{flat_id}/results")).await;
        assert_eq!(shown.json["options"][2]["count"], 1, "{e}: {shown:?}");
        assert!(
            shown.json["options"][0].get("voters").is_none(),
            "{e}: anonymous: {shown:?}"
        );
        let late = anna
            .post(
                &format!("{M}/polls/{flat_id}/vote"),
                json!({ "choices": [1] }),
            )
            .await;
        assert_eq!(late.status, 409, "{e}: closed");
        assert_eq!(
            served
                .event_kinds("meetings")
                .await
                .iter()
                .filter(|k| *k == "poll.voted")
                .count(),
            3,
            "{e}"
        );
    }
}

#[tokio::test]
async fn an_initiative_reaching_its_threshold_goes_to_the_officials_who_decide() {
    for served in common::server::serve_all(&config()).await {
        let e = served.engine;
        let (anna, anna_id) = person(&served, "+79991112233", "Анна").await;
        let (boris, boris_id) = person(&served, "+79994445566", "Борис").await;
        let (vera, vera_id) = person(&served, "+79995556677", "Вера").await;
        for (id, unit) in [
            (&anna_id, "house-1/1"),
            (&boris_id, "house-1/2"),
            (&vera_id, "house-1/12"),
        ] {
            owns(&served, id, unit, (1, 1), true).await;
        }
        let official = served.sign_in("+79990000040", "Олег", "Чиновников").await;
        served
            .grant(
                official.person.as_deref().unwrap(),
                "official",
                None,
                Some("admin-town"),
            )
            .await;

        let short = anna
            .post(
                &format!("{M}/initiatives"),
                json!({ "title": "Лавочки", "description": "коротко" }),
            )
            .await;
        assert_eq!(short.field(), Some("description"), "{e}: {short:?}");
        let made = anna
            .post(
                &format!("{M}/initiatives"),
                json!({ "title": "Поставить лавочки у подъездов", "description": "Пожилым соседям негде присесть у входа, предлагаем поставить по лавочке у каждого подъезда." }),
            )
            .await;
        assert_eq!(made.status, 201, "{e}: {made:?}");
        assert_eq!(made.json["data"]["status"], "collecting", "{e}");
        assert_eq!(
            made.json["data"]["threshold"], 2,
            "{e}: house-1's threshold"
        );
        let id = made.json["id"].as_str().unwrap().to_owned();
        let early = official
            .post(
                &format!("{M}/initiatives/{id}/review"),
                json!({ "decision": "accept" }),
            )
            .await;
        assert_eq!(early.status, 409, "{e}: not under review yet");
        assert_eq!(
            boris
                .post(&format!("{M}/initiatives/{id}/support"), json!({}))
                .await
                .status,
            201,
            "{e}"
        );
        assert_eq!(
            boris
                .post(&format!("{M}/initiatives/{id}/support"), json!({}))
                .await
                .status,
            200,
            "{e}: once"
        );
        let reached = vera
            .post(&format!("{M}/initiatives/{id}/support"), json!({}))
            .await;
        assert_eq!(
            reached.json["data"]["status"], "under_review",
            "{e}: {reached:?}"
        );
        let texts = official.get("/api/me/notifications").await.json["items"].to_string();
        assert!(
            texts.contains("на рассмотрение"),
            "{e}: the official is told: {texts}"
        );
        let resident = anna
            .post(
                &format!("{M}/initiatives/{id}/review"),
                json!({ "decision": "accept" }),
            )
            .await;
        assert_eq!(resident.status, 403, "{e}");
        let reasonless = official
            .post(
                &format!("{M}/initiatives/{id}/review"),
                json!({ "decision": "reject" }),
            )
            .await;
        assert_eq!(reasonless.field(), Some("note"), "{e}");
        let accepted = official
            .post(
                &format!("{M}/initiatives/{id}/review"),
                json!({ "decision": "accept", "note": "Включено в план благоустройства" }),
            )
            .await;
        assert_eq!(
            accepted.json["data"]["status"], "accepted",
            "{e}: {accepted:?}"
        );
        let done = official
            .post(
                &format!("{M}/initiatives/{id}/review"),
                json!({ "decision": "implemented", "note": "Лавочки установлены" }),
            )
            .await;
        assert_eq!(done.json["data"]["status"], "implemented", "{e}");
        anna.post(
            &format!("{M}/initiatives/{id}/comments"),
            json!({ "text": "Спасибо!" }),
        )
        .await;
        let statuses: Vec<Value> =
            anna.get(&format!("{M}/initiatives/{id}")).await.json["data"]["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["status"].clone())
                .collect();
        assert_eq!(
            statuses,
            [
                json!("proposed"),
                json!("collecting"),
                json!("under_review"),
                json!("accepted"),
                json!("implemented"),
                Value::Null
            ],
            "{e}"
        );
        let events = served.event_kinds("meetings").await;
        assert_eq!(
            events.iter().filter(|k| *k == "initiative.created").count(),
            1,
            "{e}"
        );
        assert_eq!(
            events
                .iter()
                .filter(|k| *k == "initiative.supported")
                .count(),
            2,
            "{e}"
        );
    }
}

/// Voting that began 7 days ago and ends `seconds` from now: the shortest the law allows,
/// noticed 22 days ago.
pub(crate) fn period(seconds: i64) -> (String, i64, i64) {
    let now = chrono::Utc::now().timestamp_millis();
    let to = now + seconds * 1000;
    // Noticed three weeks before: the two weeks an SNT meeting needs before its 7 days of voting.
    let notice = (chrono::Utc::now() - chrono::Duration::days(22))
        .format("%Y-%m-%d")
        .to_string();
    (notice, to - 7 * DAY_MS, to)
}

async fn wait_until(ms: i64) {
    let now = chrono::Utc::now().timestamp_millis();
    if ms > now {
        tokio::time::sleep(Duration::from_millis((ms - now) as u64 + 200)).await;
    }
}

#[tokio::test]
async fn general_meetings_of_owners_and_of_an_snt_count_by_law_and_write_the_protocol() {
    for served in common::server::serve_all(&config()).await {
        let e = served.engine;
        let (anna, anna_id) = person(&served, "+79991112233", "Анна").await;
        let (boris, boris_id) = person(&served, "+79994445566", "Борис").await;
        let (_vera, vera_id) = person(&served, "+79995556677", "Вера").await;
        let (gleb, gleb_id) = person(&served, "+79996667788", "Глеб").await;
        // Flat 1 (60 m²) is Anna's third and Boris's two thirds: 20 and 40 votes. Vera owns
        // flat 12 (54.3 m²) and votes on paper. Gleb's ownership of flat 2 is not verified.
        owns(&served, &anna_id, "house-1/1", (1, 3), true).await;
        owns(&served, &boris_id, "house-1/1", (2, 3), true).await;
        owns(&served, &vera_id, "house-1/12", (1, 1), true).await;
        owns(&served, &gleb_id, "house-1/2", (1, 1), false).await;
        let operator = served.sign_in("+79990000010", "Ольга", "Операторова").await;
        served
            .grant(
                operator.person.as_deref().unwrap(),
                "operator",
                None,
                Some("uk-town"),
            )
            .await;

        let (notice, from, to) = period(20);
        let meeting = |notice: &str, from: i64, to: i64, kinds: &[&str]| {
            json!({
                "form": "absentee", "number": "7", "initiator": "УК «Городская»",
                "place": "ул. Садовая, 1, почтовый ящик УК", "storage_place": "Офис УК, ул. Садовая, 1",
                "notice_date": notice, "voting_from": from, "voting_to": to,
                "chair": "Анна Жителева", "secretary": "Ольга Операторова",
                "questions": kinds.iter().enumerate().map(|(i, k)| json!({
                    "title": format!("Вопрос {}", i + 1), "kind": k, "proposal": "Утвердить"
                })).collect::<Vec<_>>()
            })
        };
        // The law's dates: notice 10 days before, voting 7–60 days.
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let late_notice = operator
            .post(
                &format!("{M}/meetings"),
                meeting(&today, from, to, &["ordinary"]),
            )
            .await;
        assert_eq!(
            late_notice.field(),
            Some("voting_from"),
            "{e}: {late_notice:?}"
        );
        let short = operator
            .post(
                &format!("{M}/meetings"),
                meeting(&notice, to - 5 * DAY_MS, to, &["ordinary"]),
            )
            .await;
        assert_eq!(short.field(), Some("voting_to"), "{e}: {short:?}");
        let wrong_kind = operator
            .post(
                &format!("{M}/meetings"),
                meeting(&notice, from, to, &["snt_qualified"]),
            )
            .await;
        assert_eq!(
            wrong_kind.field(),
            Some("questions[0].kind"),
            "{e}: {wrong_kind:?}"
        );
        let stranger = served
            .sign_in("+79997778899", "Посторонний", "Человек")
            .await;
        assert_eq!(
            stranger
                .post(
                    &format!("{M}/meetings"),
                    meeting(&notice, from, to, &["ordinary"])
                )
                .await
                .status,
            403,
            "{e}"
        );
        let created = operator
            .post(
                &format!("{M}/meetings"),
                meeting(
                    &notice,
                    from,
                    to,
                    &["ordinary", "management_method", "common_property_use"],
                ),
            )
            .await;
        assert_eq!(created.status, 201, "{e}: {created:?}");
        let id = created.json["id"].as_str().unwrap().to_owned();
        let notified = anna.get("/api/me/notifications").await.json["items"].to_string();
        assert!(
            notified.contains("Собрание №7"),
            "{e}: owners get the notice: {notified}"
        );

        // The SNT meets the same days: three members, and a non-member owner of plot 3.
        let members: Vec<(Client, String)> = vec![
            person(&served, "+79991000001", "Мария").await,
            person(&served, "+79991000002", "Николай").await,
            person(&served, "+79991000003", "Павел").await,
        ];
        for (i, (_, member)) in members.iter().enumerate() {
            served.grant(member, "snt-member", Some("snt"), None).await;
            if i < 2 {
                owns(&served, member, &format!("snt/{}", i + 1), (1, 1), true).await;
            }
        }
        let (outsider_owner, outsider_id) = person(&served, "+79991000009", "Собственник").await;
        owns(&served, &outsider_id, "snt/3", (1, 1), true).await;
        let chairman = served.sign_in("+79991000010", "Председатель", "СНТ").await;
        served
            .grant(
                chairman.person.as_deref().unwrap(),
                "chairman",
                Some("snt"),
                None,
            )
            .await;
        let snt_meeting = chairman
            .post(
                &format!("{S}/meetings"),
                meeting(&notice, from, to, &["snt_qualified", "snt_payments"]),
            )
            .await;
        assert_eq!(snt_meeting.status, 201, "{e}: {snt_meeting:?}");
        let snt_id = snt_meeting.json["id"].as_str().unwrap().to_owned();

        // МКД votes: online, a change of mind, paper; an unverified owner refused.
        let ballot = |answers: Value| json!({ "answers": answers });
        let cast = anna
            .post(
                &format!("{M}/meetings/{id}/ballot"),
                ballot(json!(["against", "for", "for"])),
            )
            .await;
        assert_eq!(cast.status, 201, "{e}: {cast:?}");
        let changed = anna
            .post(
                &format!("{M}/meetings/{id}/ballot"),
                ballot(json!(["for", "for", "for"])),
            )
            .await;
        assert_eq!(
            changed.status, 200,
            "{e}: changed before closing: {changed:?}"
        );
        assert_eq!(
            boris
                .post(
                    &format!("{M}/meetings/{id}/ballot"),
                    ballot(json!(["for", "for", "for"]))
                )
                .await
                .status,
            201,
            "{e}"
        );
        let unverified = gleb
            .post(
                &format!("{M}/meetings/{id}/ballot"),
                ballot(json!(["for", "for", "for"])),
            )
            .await;
        assert_eq!(unverified.status, 403, "{e}: {unverified:?}");
        let wrong = boris
            .post(&format!("{M}/meetings/{id}/ballot"), ballot(json!(["for"])))
            .await;
        assert_eq!(wrong.field(), Some("answers"), "{e}");
        let not_organizer = anna
            .post(
                &format!("{M}/meetings/{id}/ballot"),
                json!({ "answers": ["for", "for", "for"], "person": vera_id }),
            )
            .await;
        assert_eq!(
            not_organizer.status, 403,
            "{e}: residents do not enter paper ballots"
        );
        let paper = operator
            .post(
                &format!("{M}/meetings/{id}/ballot"),
                json!({ "answers": ["against", "for", "for"], "person": vera_id }),
            )
            .await;
        assert_eq!(paper.json["data"]["how"], "paper", "{e}: {paper:?}");

        // SNT votes: two of three members (absentee: they are the quorum), the non-member on
        // payments only.
        let (m1, m2) = (&members[0].0, &members[1].0);
        assert_eq!(
            m1.post(
                &format!("{S}/meetings/{snt_id}/ballot"),
                ballot(json!(["for", "for"]))
            )
            .await
            .status,
            201,
            "{e}"
        );
        assert_eq!(
            m2.post(
                &format!("{S}/meetings/{snt_id}/ballot"),
                ballot(json!(["against", "for"]))
            )
            .await
            .status,
            201,
            "{e}"
        );
        let overreach = outsider_owner
            .post(
                &format!("{S}/meetings/{snt_id}/ballot"),
                ballot(json!(["for", "against"])),
            )
            .await;
        assert_eq!(
            overreach.field(),
            Some("answers[0]"),
            "{e}: ст.17 ч.3: {overreach:?}"
        );
        assert_eq!(
            outsider_owner
                .post(
                    &format!("{S}/meetings/{snt_id}/ballot"),
                    ballot(json!([null, "against"]))
                )
                .await
                .status,
            201,
            "{e}"
        );

        let early = operator
            .post(&format!("{M}/meetings/{id}/close"), json!({}))
            .await;
        assert_eq!(early.status, 409, "{e}: voting is still on");
        wait_until(to).await;
        let late = boris
            .post(
                &format!("{M}/meetings/{id}/ballot"),
                ballot(json!(["against", "against", "against"])),
            )
            .await;
        assert_eq!(
            late.status, 409,
            "{e}: a vote cannot change once voting is over"
        );
        let closed = operator
            .post(&format!("{M}/meetings/{id}/close"), json!({}))
            .await;
        assert_eq!(closed.status, 200, "{e}: {closed:?}");
        let result = &closed.json["data"]["result"];
        assert_eq!(result["quorum"], true, "{e}: 114.3 of 200 m²: {result}");
        let adopted: Vec<bool> = result["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["adopted"].as_bool().unwrap())
            .collect();
        // Ordinary: 60 of 114.3 for (> 57.15); management method: 114.3 > 100 of all;
        // common property: 114.3 < 133.34 (2/3 of all).
        assert_eq!(adopted, [true, true, false], "{e}: {result}");
        let verify = anna.get(&format!("{M}/meetings/{id}/tally")).await;
        assert_eq!(
            verify.json["matches"], true,
            "{e}: the tally recomputed from the ballots matches: {verify:?}"
        );
        let protocol = anna.get(&format!("{M}/meetings/{id}/protocol")).await;
        let text = protocol.json["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{e}: {protocol:?}"));
        for expected in [
            "ПРОТОКОЛ № 7",
            "ул. Садовая, 1",
            "Повестка дня",
            "Офис УК, ул. Садовая, 1",
            "52.49",
        ] {
            assert!(
                text.contains(expected),
                "{e}: the protocol has {expected}: {text}"
            );
        }
        let csv = operator
            .get(&format!("{M}/meetings/{id}/ballots.csv"))
            .await;
        assert!(
            csv.text.contains("paper") && csv.text.contains("20.00") && csv.text.contains("40.00"),
            "{e}: {}",
            csv.text
        );
        assert_eq!(
            anna.get(&format!("{M}/meetings/{id}/ballots.csv"))
                .await
                .status,
            403,
            "{e}"
        );

        let snt_closed = chairman
            .post(&format!("{S}/meetings/{snt_id}/close"), json!({}))
            .await;
        let snt_result = &snt_closed.json["data"]["result"];
        assert_eq!(
            snt_result["quorum"], true,
            "{e}: 2 of 3 members voted: {snt_result}"
        );
        let adopted: Vec<bool> = snt_result["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["adopted"].as_bool().unwrap())
            .collect();
        // Qualified: 1 of 2 members for (< 2/3); payments: 2 of 3 voters for (= 2/3).
        assert_eq!(adopted, [false, true], "{e}: {snt_result}");
        let events = served.event_kinds("meetings").await;
        assert_eq!(
            events.iter().filter(|k| *k == "meeting.closed").count(),
            2,
            "{e}"
        );
        let page = anna
            .get(&format!("/c/house-1/p/meetings/meeting/{id}"))
            .await;
        assert!(
            page.status == 200 && page.text.contains("Кворум есть"),
            "{e}: {}",
            page.text
        );
    }
}

//! Joining a community over the real server on both engines: an invitation and its printable
//! leaflet, a join request approved by the management company's operator, the owners' register
//! that verifies owners before and after they sign up, and switching between a flat and a dacha.

use crate::common;

use common::server::{ADMIN_PHONE, Answer, Client, Served};
use serde_json::{Value, json};

const IVAN: &str = "+79991234567";
const MARIA: &str = "+79995554433";
const PETR: &str = "+79995554435";
const OPERATOR: &str = "+79990000010";

/// The operator of `uk-town` (the management company serving house-1 and house-2).
async fn operator(served: &Served) -> Client {
    let operator = served.sign_in(OPERATOR, "Ольга", "Операторова").await;
    served
        .grant(
            operator.person.as_deref().unwrap(),
            "operator",
            None,
            Some("uk-town"),
        )
        .await;
    operator
}

/// An invitation to `community` made by `manager`; returns its id.
async fn invite(served: &Served, manager: &Client, community: &str) -> String {
    let made = manager
        .post(
            &format!("/api/communities/{community}/invitations"),
            json!({}),
        )
        .await;
    assert_eq!(made.status, 201, "{}: {made:?}", served.engine);
    made.json["id"].as_str().unwrap().to_owned()
}

/// `name@community` of every role in a `/api/me` answer.
fn roles(me: &Answer) -> Vec<String> {
    me.json["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}@{}",
                r["name"].as_str().unwrap(),
                r["community"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// The audit log of a place, newest first, as the instance admin reads it.
async fn audit(admin: &Client, community: &str) -> Vec<Value> {
    let log = admin
        .get(&format!("/api/audit?community={community}&limit=200"))
        .await;
    assert_eq!(log.status, 200, "{log:?}");
    log.json["items"].as_array().unwrap().clone()
}

/// The titles of a person's notifications (Russian).
async fn inbox(served: &Served, person: &str) -> Vec<(String, String)> {
    dvor::inbox::list(served.runtime.shared().db.connection(), person, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.title_ru, n.body_ru))
        .collect()
}

#[tokio::test]
async fn a_resident_joins_by_the_leaflet_and_the_operator_verifies_the_flat() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Админов").await;
        let operator = operator(&served).await;
        let operator_id = operator.person.clone().unwrap();

        // The operator makes an invitation for the house.
        let made = operator
            .post("/api/communities/house-1/invitations", json!({}))
            .await;
        assert_eq!(made.status, 201, "{e}: {made:?}");
        let id = made.json["id"].as_str().unwrap().to_owned();
        assert!(id.len() >= 40, "{e}: a long token: {id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{e}: URL-safe: {id}"
        );
        let url = made.json["url"].as_str().unwrap().to_owned();
        assert!(url.ends_with(&format!("/join/{id}")), "{e}: {url}");
        assert_eq!(made.json["leaflet_url"], url.as_str(), "{e}");
        assert!(
            made.json["qr_svg_url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/invitations/{id}/qr.svg")),
            "{e}"
        );
        let other = operator
            .post(
                "/api/communities/house-1/invitations",
                json!({ "expires_in_days": 0 }),
            )
            .await;
        assert_eq!(other.field(), Some("expires_in_days"), "{e}: {other:?}");

        // Anyone may see where it leads; the QR code and the leaflet are public.
        let anonymous = served.client();
        let public = anonymous.get(&format!("/api/invitations/{id}")).await;
        assert_eq!(public.status, 200, "{e}: {public:?}");
        assert_eq!(public.json["community"]["name"], "Дом 1", "{e}");
        assert_eq!(public.json["community"]["kind"], "house", "{e}");
        assert_eq!(public.json["community"]["address"], "ул. Садовая, 1", "{e}");
        assert_eq!(public.json["valid"], true, "{e}");
        let qr = anonymous
            .get(&format!("/api/invitations/{id}/qr.svg"))
            .await;
        assert_eq!(qr.status, 200, "{e}");
        assert_eq!(qr.headers["content-type"], "image/svg+xml", "{e}");
        assert!(qr.text.contains("<svg") && qr.text.contains("<path"), "{e}");
        let leaflet = anonymous.get(&format!("/join/{id}")).await;
        assert_eq!(leaflet.status, 200, "{e}: {leaflet:?}");
        let page = &leaflet.text;
        assert!(page.contains("<html lang=\"ru\">"), "{e}");
        assert!(
            page.contains("<svg role=\"img\""),
            "{e}: the QR code is inline"
        );
        assert!(!page.contains("<?xml"), "{e}");
        assert!(
            page.contains(&format!(">{url}</a>")),
            "{e}: the link is written out"
        );
        assert!(
            page.contains("Дом 1") && page.contains("ул. Садовая, 1"),
            "{e}"
        );
        assert_eq!(page.matches("<li>").count(), 3, "{e}: three steps");
        assert!(page.contains("номер квартиры"), "{e}");
        assert!(!page.contains("<script"), "{e}: no JavaScript");
        assert!(page.contains("/assets/leaflet.css"), "{e}");
        let css = anonymous.get("/assets/leaflet.css").await;
        assert!(
            css.text.contains("@media print") && css.text.contains("A4"),
            "{e}"
        );
        let english = anonymous.get(&format!("/join/{id}?lang=en")).await;
        assert!(english.text.contains("<html lang=\"en\">"), "{e}");
        assert!(english.text.contains("Sign in with your phone"), "{e}");
        assert_eq!(
            anonymous
                .get("/join/no-such-invitation-at-all")
                .await
                .status,
            404,
            "{e}"
        );

        // A resident signs up with their phone and asks to join, claiming flat 12.
        let ivan = served.sign_in(IVAN, "Иван", "Петров").await;
        let ivan_id = ivan.person.clone().unwrap();
        let accept = format!("/api/invitations/{id}/accept");
        let wrong = ivan
            .post(
                &accept,
                json!({ "unit_number": "99", "claims_ownership": true }),
            )
            .await;
        // Well-formed, but no such flat there: a rule the document cannot state.
        assert_eq!(wrong.status, 422, "{e}: {wrong:?}");
        assert_eq!(wrong.field(), Some("unit_number"), "{e}");
        assert!(
            wrong.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains(" / ")
        );
        let no_unit = ivan
            .post(&accept, json!({ "claims_ownership": true }))
            .await;
        assert_eq!(no_unit.field(), Some("unit_number"), "{e}");
        let asked = ivan
            .post(
                &accept,
                json!({ "unit_number": "12", "claims_ownership": true, "note": "Собственник с 2019 года" }),
            )
            .await;
        assert_eq!(asked.status, 201, "{e}: {asked:?}");
        assert_eq!(asked.json["status"], "pending", "{e}");
        let request = asked.json["id"].as_str().unwrap().to_owned();
        let again = ivan.post(&accept, json!({ "unit_number": "12" })).await;
        assert_eq!(again.status, 409, "{e}: {again:?}");
        let before = ivan.get("/api/me").await;
        assert!(
            !roles(&before).iter().any(|r| r.ends_with("@house-1")),
            "{e}: nothing until approved: {:?}",
            roles(&before)
        );

        // The operator is told, sees the request with the phone, and verifies the flat.
        assert!(
            inbox(&served, &operator_id)
                .await
                .iter()
                .any(|(title, body)| title == "Новая заявка на вступление"
                    && body.contains("Иван Петров")),
            "{e}"
        );
        let pending = operator
            .get("/api/communities/house-1/join-requests?status=pending")
            .await;
        assert_eq!(pending.status, 200, "{e}: {pending:?}");
        let items = pending.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{e}");
        assert_eq!(items[0]["id"], request.as_str(), "{e}");
        assert_eq!(items[0]["person"]["phone"], IVAN, "{e}");
        assert_eq!(items[0]["unit_number"], "12", "{e}");
        assert_eq!(items[0]["claims_ownership"], true, "{e}");
        assert_eq!(items[0]["note"], "Собственник с 2019 года", "{e}");
        let bad_status = operator
            .get("/api/communities/house-1/join-requests?status=maybe")
            .await;
        assert_eq!(bad_status.field(), Some("status"), "{e}");
        let approved = operator
            .post(
                &format!("/api/join-requests/{request}/approve"),
                json!({ "verify_ownership": true }),
            )
            .await;
        assert_eq!(approved.status, 200, "{e}: {approved:?}");
        assert_eq!(approved.json["status"], "approved", "{e}");
        assert_eq!(approved.json["decided_by"], operator_id.as_str(), "{e}");
        let twice = operator
            .post(&format!("/api/join-requests/{request}/approve"), json!({}))
            .await;
        assert_eq!(twice.status, 409, "{e}: {twice:?}");
        let late_rejection = operator
            .post(
                &format!("/api/join-requests/{request}/reject"),
                json!({ "reason": "передумал" }),
            )
            .await;
        assert_eq!(late_rejection.status, 409, "{e}");

        // Ivan is a resident and a verified owner in house-1, which is now his address.
        let me = ivan.get("/api/me").await;
        let held = roles(&me);
        assert!(
            held.contains(&"resident@house-1".to_owned()),
            "{e}: {held:?}"
        );
        assert!(held.contains(&"owner@house-1".to_owned()), "{e}: {held:?}");
        assert_eq!(me.json["person"]["current_community"], "house-1", "{e}");
        let mine = ivan.get("/api/me/join-requests").await;
        assert_eq!(mine.json[0]["status"], "approved", "{e}: {mine:?}");
        assert!(
            inbox(&served, &ivan_id)
                .await
                .iter()
                .any(|(title, body)| title == "Заявка одобрена"
                    && body.contains("Дом 1")
                    && body.contains("подтверждена")),
            "{e}"
        );
        let units = ivan.get("/api/communities/house-1/units").await;
        assert_eq!(units.json[0]["area_centi_m2"], 5430, "{e}: {units:?}");

        // The audit log says who did what, when.
        let log = audit(&admin, "house-1").await;
        let entry = |action: &str| {
            log.iter()
                .find(|x| x["action"] == action)
                .unwrap_or_else(|| panic!("{e}: no {action} in {log:?}"))
                .clone()
        };
        let joined = entry("join.approved");
        assert_eq!(joined["actor_id"], operator_id.as_str(), "{e}");
        assert_eq!(joined["person_id"], ivan_id.as_str(), "{e}");
        assert!(joined["at"].as_i64().unwrap() > 0, "{e}");
        assert_eq!(joined["details"]["unit"], "12", "{e}");
        assert_eq!(joined["details"]["verified"], true, "{e}");
        let verified = entry("ownership.verified");
        assert_eq!(verified["actor_id"], operator_id.as_str(), "{e}");
        assert_eq!(verified["details"]["number"], "12", "{e}");
        assert_eq!(verified["details"]["area_m2"], "54.30", "{e}");
        assert_eq!(verified["details"]["share"], "1/1", "{e}");
        let granted = entry("role.granted");
        assert_eq!(granted["details"]["role"], "resident", "{e}");
        assert_eq!(granted["actor_id"], operator_id.as_str(), "{e}");
        assert_eq!(entry("join.requested")["actor_id"], ivan_id.as_str(), "{e}");
        assert_eq!(
            entry("invitation.created")["actor_id"],
            operator_id.as_str(),
            "{e}"
        );

        // The invitation counted its use; once revoked, it no longer works.
        let listed = operator.get("/api/communities/house-1/invitations").await;
        let listed = listed.json.as_array().unwrap();
        let this = listed.iter().find(|i| i["id"] == id.as_str()).unwrap();
        assert_eq!(this["uses"], 1, "{e}");
        assert_eq!(this["valid"], true, "{e}");
        assert_eq!(
            ivan.delete(&format!("/api/invitations/{id}"), None)
                .await
                .status,
            403,
            "{e}: a resident cannot revoke"
        );
        let revoked = operator
            .delete(&format!("/api/invitations/{id}"), None)
            .await;
        assert_eq!(revoked.status, 204, "{e}: {revoked:?}");
        assert_eq!(
            anonymous
                .get(&format!("/api/invitations/{id}"))
                .await
                .status,
            410,
            "{e}: a revoked invitation is gone"
        );
        assert_eq!(
            anonymous
                .get(&format!("/api/invitations/{id}/qr.svg"))
                .await
                .status,
            410,
            "{e}"
        );
        assert_eq!(
            anonymous.get(&format!("/join/{id}")).await.status,
            410,
            "{e}"
        );
        let late = served.sign_in("+79997776655", "Поздний", "Гость").await;
        let refused = late.post(&accept, json!({})).await;
        assert_eq!(refused.status, 410, "{e}: {refused:?}");
    }
}

#[tokio::test]
async fn the_owners_register_verifies_owners_already_signed_up_and_those_who_sign_up_later() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Админов").await;
        let operator = operator(&served).await;
        // Petr signed up before the register came.
        let petr = served.sign_in(PETR, "Пётр", "Сидоров").await;
        let petr_id = petr.person.clone().unwrap();

        // Russian headers, semicolons, a BOM and a decimal comma, as a spreadsheet saves them.
        let register = "\u{feff}Помещение;ФИО;Телефон;Доля;Площадь\r\n\
                        12;Мария Иванова;+7 999 555-44-33;1/2;54,3\r\n\
                        12;Сергей Иванов;8 999 555-44-34;1/2;\r\n\
                        7;Пётр Сидоров;+79995554435;;61.2\r\n";
        let imported = operator
            .post_body(
                "/api/communities/house-1/owner-register",
                "text/csv; charset=utf-8",
                register,
            )
            .await;
        assert_eq!(imported.status, 200, "{e}: {imported:?}");
        assert_eq!(
            imported.json,
            json!({ "rows": 3, "units_created": 1, "owners_verified_now": 1 }),
            "{e}"
        );

        // Petr was verified at once, and unit 7 was made with its area.
        let me = petr.get("/api/me").await;
        assert!(roles(&me).contains(&"owner@house-1".to_owned()), "{e}");
        assert!(roles(&me).contains(&"resident@house-1".to_owned()), "{e}");
        let units = petr.get("/api/communities/house-1/units").await;
        let seven = units
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["number"] == "7")
            .cloned()
            .unwrap_or_else(|| panic!("{e}: {units:?}"));
        assert_eq!(seven["kind"], "apartment", "{e}");
        assert_eq!(seven["area_centi_m2"], 6120, "{e}");

        // Maria signs up later with that phone and is a verified owner of half of flat 12.
        let maria = served.sign_in(MARIA, "Мария", "Иванова").await;
        let maria_id = maria.person.clone().unwrap();
        let me = maria.get("/api/me").await;
        assert!(
            roles(&me).contains(&"owner@house-1".to_owned()),
            "{e}: {:?}",
            roles(&me)
        );
        assert!(roles(&me).contains(&"resident@house-1".to_owned()), "{e}");
        assert_eq!(me.json["person"]["current_community"], "house-1", "{e}");
        let log = audit(&admin, "house-1").await;
        let verified = log
            .iter()
            .find(|x| x["action"] == "ownership.verified" && x["person_id"] == maria_id.as_str())
            .unwrap_or_else(|| panic!("{e}: {log:?}"));
        assert_eq!(verified["details"]["share"], "1/2", "{e}");
        assert_eq!(verified["details"]["area_m2"], "54.30", "{e}");
        assert_eq!(verified["details"]["source"], "register", "{e}");
        let summary = log
            .iter()
            .find(|x| x["action"] == "register.imported")
            .unwrap();
        assert_eq!(
            summary["actor_id"],
            operator.person.as_deref().unwrap(),
            "{e}"
        );
        assert_eq!(summary["details"]["rows"], 3, "{e}");

        // Following an invitation, a verified owner is approved at once.
        let id = invite(&served, &operator, "house-1").await;
        let asked = maria
            .post(
                &format!("/api/invitations/{id}/accept"),
                json!({ "unit_number": "12", "claims_ownership": true }),
            )
            .await;
        assert_eq!(asked.status, 201, "{e}: {asked:?}");
        assert_eq!(asked.json["status"], "approved", "{e}");
        assert_eq!(asked.json["decided_by"], Value::Null, "{e}");
        let me = maria.get("/api/me").await;
        assert!(
            roles(&me).contains(&"owner@house-1".to_owned()),
            "{e}: the approval keeps the verification"
        );
        assert!(!roles(&me).contains(&"owner-unverified@house-1".to_owned()));

        // A re-import of the same unit and phone updates the row and the share.
        let again = operator
            .post_body(
                "/api/communities/house-1/owner-register",
                "text/csv",
                "unit,name,phone,share\n12,Мария Иванова,+79995554433,1/3\n",
            )
            .await;
        assert_eq!(
            again.json,
            json!({ "rows": 1, "units_created": 0, "owners_verified_now": 0 }),
            "{e}: {again:?}"
        );
        let log = audit(&admin, "house-1").await;
        let newest = log
            .iter()
            .find(|x| x["action"] == "ownership.verified" && x["person_id"] == maria_id.as_str())
            .unwrap();
        assert_eq!(newest["details"]["share"], "1/3", "{e}");

        // In the SNT the register makes plots.
        let snt = admin
            .post_body(
                "/api/communities/snt/owner-register",
                "text/csv",
                "name,unit,phone,area\nПётр Сидоров,45,+79995554435,600\n",
            )
            .await;
        assert_eq!(
            snt.json,
            json!({ "rows": 1, "units_created": 1, "owners_verified_now": 1 }),
            "{e}: {snt:?}"
        );
        let plots = petr.get("/api/communities/snt/units").await;
        assert_eq!(plots.json[0]["kind"], "plot", "{e}: {plots:?}");
        assert_eq!(plots.json[0]["area_centi_m2"], 60000, "{e}");
        let me = petr.get("/api/me").await;
        assert!(roles(&me).contains(&"owner@snt".to_owned()), "{e}");
        assert!(roles(&me).contains(&"snt-non-member@snt".to_owned()), "{e}");
        let _ = petr_id;
    }
}

#[tokio::test]
async fn a_bad_register_writes_nothing_and_names_each_line_and_column() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Админов").await;
        let path = "/api/communities/house-1/owner-register";
        let bad = "unit,name,phone,share,area\n\
                   99,Анна Смирнова,+79991110001,1,40\n\
                   12,Борис Смирнов,не помню,1/2,\n\
                   12,Вера Смирнова,+79991110003,3/2,\n";
        let refused = admin.post_body(path, "text/csv", bad).await;
        assert_eq!(refused.status, 422, "{e}: {refused:?}");
        assert_eq!(refused.field(), Some("line 3: phone"), "{e}");
        assert_eq!(refused.json["error"]["code"], "unprocessable", "{e}");
        let message = refused.json["error"]["message"].as_str().unwrap();
        assert!(message.contains(" / "), "{e}: {message}");
        let problems: Vec<(u64, String)> = refused.json["error"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["line"].as_u64().unwrap(),
                    p["field"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            problems,
            vec![(3, "phone".to_owned()), (4, "share".to_owned())],
            "{e}"
        );
        // Nothing was written: not even the good row's new unit.
        let units = admin.get("/api/communities/house-1/units").await;
        assert!(
            !units
                .json
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["number"] == "99"),
            "{e}: {units:?}"
        );
        assert!(
            !audit(&admin, "house-1")
                .await
                .iter()
                .any(|x| x["action"] == "register.imported" || x["action"] == "unit.saved"),
            "{e}"
        );

        // A new unit needs its area; a missing column is named on the header line.
        let no_area = admin
            .post_body(
                path,
                "text/csv",
                "unit,name,phone\n12,Анна Смирнова,+79991110001\n98,Олег Смирнов,+79991110002\n",
            )
            .await;
        assert_eq!(no_area.field(), Some("line 3: area"), "{e}: {no_area:?}");
        let no_phone = admin
            .post_body(path, "text/csv", "unit;name\n12;Анна\n")
            .await;
        assert_eq!(no_phone.field(), Some("line 1: phone"), "{e}: {no_phone:?}");
        let json_body = admin.post_body(path, "application/json", "{}").await;
        assert_eq!(json_body.status, 415, "{e}: {json_body:?}");
        let no_rows = admin.get("/api/communities/house-1/units").await;
        assert_eq!(no_rows.json.as_array().unwrap().len(), 1, "{e}");

        // Only the place's managers import.
        let neighbour = served.sign_in(IVAN, "Иван", "Петров").await;
        let forbidden = neighbour
            .post_body(
                path,
                "text/csv",
                "unit,name,phone\n12,Иван Петров,+79991234567\n",
            )
            .await;
        assert_eq!(forbidden.status, 403, "{e}");
    }
}

#[tokio::test]
async fn a_resident_cannot_decide_join_requests() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Админов").await;
        let id = invite(&served, &admin, "house-1").await;
        let accept = format!("/api/invitations/{id}/accept");
        let ivan = served.sign_in(IVAN, "Иван", "Петров").await;
        let asked = ivan.post(&accept, json!({ "unit_number": "12" })).await;
        let ivan_request = asked.json["id"].as_str().unwrap().to_owned();
        let approved = admin
            .post(
                &format!("/api/join-requests/{ivan_request}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(approved.status, 200, "{e}: {approved:?}");
        assert!(
            roles(&ivan.get("/api/me").await).contains(&"resident@house-1".to_owned()),
            "{e}"
        );

        let maria = served.sign_in(MARIA, "Мария", "Иванова").await;
        let asked = maria.post(&accept, json!({})).await;
        assert_eq!(asked.status, 201, "{e}: {asked:?}");
        let request = asked.json["id"].as_str().unwrap().to_owned();

        // Ivan, a resident, may neither decide, nor list, nor invite.
        for (path, body) in [
            (format!("/api/join-requests/{request}/approve"), json!({})),
            (
                format!("/api/join-requests/{request}/reject"),
                json!({ "reason": "не знаю её" }),
            ),
            (
                format!("/api/join-requests/{request}/approve"),
                json!({ "verify_ownership": true }),
            ),
        ] {
            let refused = ivan.post(&path, body).await;
            assert_eq!(refused.status, 403, "{e}: {path}: {refused:?}");
        }
        let own = maria
            .post(&format!("/api/join-requests/{request}/approve"), json!({}))
            .await;
        assert_eq!(own.status, 403, "{e}: nobody approves themselves");
        assert_eq!(
            ivan.get("/api/communities/house-1/join-requests")
                .await
                .status,
            403,
            "{e}"
        );
        assert_eq!(
            ivan.post("/api/communities/house-1/invitations", json!({}))
                .await
                .status,
            403,
            "{e}"
        );
        assert_eq!(
            ivan.post("/api/join-requests/nosuchrequest/approve", json!({}))
                .await
                .status,
            404,
            "{e}"
        );
        // Signed out, nobody asks to join.
        assert_eq!(
            served.client().post(&accept, json!({})).await.status,
            401,
            "{e}"
        );
        // The request still waits.
        let pending = admin
            .get("/api/communities/house-1/join-requests?status=pending")
            .await;
        assert_eq!(pending.json["items"][0]["id"], request.as_str(), "{e}");
        assert_eq!(pending.json["items"].as_array().unwrap().len(), 1, "{e}");
    }
}

#[tokio::test]
async fn a_person_with_a_flat_and_a_dacha_switches_between_them() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Админов").await;
        let house = invite(&served, &admin, "house-1").await;
        let snt = invite(&served, &admin, "snt").await;
        let snt_leaflet = served.client().get(&format!("/join/{snt}")).await;
        assert!(snt_leaflet.text.contains("номер участка"), "{e}");

        let ivan = served.sign_in(IVAN, "Иван", "Петров").await;
        let to_house = ivan
            .post(
                &format!("/api/invitations/{house}/accept"),
                json!({ "unit_number": "12", "claims_ownership": true }),
            )
            .await;
        let to_snt = ivan
            .post(
                &format!("/api/invitations/{snt}/accept"),
                json!({ "note": "Участок 45, документы в правлении" }),
            )
            .await;
        assert_eq!(to_snt.status, 201, "{e}: {to_snt:?}");
        for request in [&to_house, &to_snt] {
            let id = request.json["id"].as_str().unwrap();
            let approved = admin
                .post(&format!("/api/join-requests/{id}/approve"), json!({}))
                .await;
            assert_eq!(approved.status, 200, "{e}: {approved:?}");
        }
        let me = ivan.get("/api/me").await;
        let held = roles(&me);
        assert!(
            held.contains(&"resident@house-1".to_owned()),
            "{e}: {held:?}"
        );
        assert!(
            held.contains(&"owner-unverified@house-1".to_owned()),
            "{e}: not verified unless asked: {held:?}"
        );
        assert!(held.contains(&"resident@snt".to_owned()), "{e}: {held:?}");
        let addresses: Vec<&str> = me.json["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["community"].as_str().unwrap())
            .collect();
        assert_eq!(addresses.len(), 2, "{e}: {addresses:?}");
        assert!(
            addresses.contains(&"house-1") && addresses.contains(&"snt"),
            "{e}"
        );
        assert_eq!(me.json["person"]["current_community"], "house-1", "{e}");

        let to_dacha = ivan
            .put("/api/me/address", json!({ "community": "snt" }))
            .await;
        assert_eq!(to_dacha.status, 200, "{e}: {to_dacha:?}");
        assert_eq!(to_dacha.json["current_community"], "snt", "{e}");
        let back = ivan
            .put("/api/me/address", json!({ "community": "house-1" }))
            .await;
        assert_eq!(back.json["current_community"], "house-1", "{e}");
        let elsewhere = ivan
            .put("/api/me/address", json!({ "community": "house-2" }))
            .await;
        assert_eq!(elsewhere.status, 422, "{e}");
        assert_eq!(elsewhere.field(), Some("community"), "{e}");

        // A resident already there is told so rather than asking again.
        let twice = ivan
            .post(&format!("/api/invitations/{snt}/accept"), json!({}))
            .await;
        assert_eq!(twice.status, 409, "{e}: {twice:?}");
    }
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_the_person_is_told() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Админ", "Админов").await;
        let chairman = served
            .sign_in("+79990000020", "Нина", "Председателева")
            .await;
        served
            .grant(
                chairman.person.as_deref().unwrap(),
                "chairman",
                Some("house-2"),
                None,
            )
            .await;
        let id = invite(&served, &chairman, "house-2").await;
        let ivan = served.sign_in(IVAN, "Иван", "Петров").await;
        let ivan_id = ivan.person.clone().unwrap();
        let asked = ivan
            .post(&format!("/api/invitations/{id}/accept"), json!({}))
            .await;
        assert_eq!(asked.status, 201, "{e}: {asked:?}");
        let request = asked.json["id"].as_str().unwrap().to_owned();
        let reject = format!("/api/join-requests/{request}/reject");

        let nothing = chairman.post(&reject, json!({})).await;
        assert_eq!(nothing.status, 400, "{e}: {nothing:?}");
        assert_eq!(nothing.field(), Some("reason"), "{e}");
        let blank = chairman.post(&reject, json!({ "reason": "   " })).await;
        assert_eq!(blank.field(), Some("reason"), "{e}");
        let nothing_to_verify = chairman
            .post(
                &format!("/api/join-requests/{request}/approve"),
                json!({ "verify_ownership": true }),
            )
            .await;
        assert_eq!(
            nothing_to_verify.field(),
            Some("verify_ownership"),
            "{e}: {nothing_to_verify:?}"
        );
        let bad_share = chairman
            .post(
                &format!("/api/join-requests/{request}/approve"),
                json!({ "share": "3/2" }),
            )
            .await;
        assert_eq!(bad_share.field(), Some("share"), "{e}");

        let rejected = chairman
            .post(&reject, json!({ "reason": "В доме 2 такой квартиры нет" }))
            .await;
        assert_eq!(rejected.status, 200, "{e}: {rejected:?}");
        assert_eq!(rejected.json["status"], "rejected", "{e}");
        assert_eq!(
            rejected.json["reason"], "В доме 2 такой квартиры нет",
            "{e}"
        );
        assert_eq!(
            chairman
                .post(&reject, json!({ "reason": "ещё раз" }))
                .await
                .status,
            409,
            "{e}"
        );
        assert_eq!(
            chairman
                .post(&format!("/api/join-requests/{request}/approve"), json!({}))
                .await
                .status,
            409,
            "{e}"
        );
        let told = inbox(&served, &ivan_id).await;
        assert!(
            told.iter().any(|(title, body)| title == "Заявка отклонена"
                && body.contains("В доме 2 такой квартиры нет")),
            "{e}: {told:?}"
        );
        let mine = ivan.get("/api/me/join-requests").await;
        assert_eq!(mine.json[0]["status"], "rejected", "{e}");
        assert_eq!(mine.json[0]["reason"], "В доме 2 такой квартиры нет", "{e}");
        assert!(
            !roles(&ivan.get("/api/me").await)
                .iter()
                .any(|r| r.ends_with("@house-2")),
            "{e}"
        );
        let log = audit(&admin, "house-2").await;
        let entry = log
            .iter()
            .find(|x| x["action"] == "join.rejected")
            .unwrap_or_else(|| panic!("{e}: {log:?}"));
        assert_eq!(
            entry["actor_id"],
            chairman.person.as_deref().unwrap(),
            "{e}"
        );

        // After a rejection the person may ask again.
        let again = ivan
            .post(&format!("/api/invitations/{id}/accept"), json!({}))
            .await;
        assert_eq!(again.status, 201, "{e}: {again:?}");
    }
}

#[tokio::test]
async fn the_joining_routes_are_described_in_the_openapi_document() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let doc = served.client().get("/api/openapi.json").await;
        let paths = &doc.json["paths"];
        for (path, method) in [
            ("/api/communities/{community}/invitations", "post"),
            ("/api/communities/{community}/invitations", "get"),
            ("/api/invitations/{id}", "get"),
            ("/api/invitations/{id}", "delete"),
            ("/api/invitations/{id}/qr.svg", "get"),
            ("/api/invitations/{id}/accept", "post"),
            ("/api/communities/{community}/join-requests", "get"),
            ("/api/me/join-requests", "get"),
            ("/api/join-requests/{id}/approve", "post"),
            ("/api/join-requests/{id}/reject", "post"),
            ("/api/communities/{community}/owner-register", "post"),
        ] {
            let operation = &paths[path][method];
            assert!(
                operation.is_object(),
                "{e}: {method} {path} is not described"
            );
            assert_eq!(operation["tags"][0], "joining", "{e}: {method} {path}");
        }
        assert!(
            paths["/api/communities/{community}/owner-register"]["post"]["requestBody"]["content"]
                ["text/csv"]
                .is_object(),
            "{e}"
        );
    }
}

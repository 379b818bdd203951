//! The admin pages in HTTP, on both engines: an admin adds and changes a flat through the
//! place's form (a bad area comes back next to its field), a chairman manages the members but
//! not the units, and a resident sees no admin page at all.

use crate::common;

use common::server::{ADMIN_PHONE, Client};

const FORM: &str = "application/x-www-form-urlencoded";

async fn save_unit(client: &Client, pairs: &[(&str, &str)]) -> common::server::Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    client
        .post_body("/admin/c/house-1?action=save_unit", FORM, &body)
        .await
}

#[tokio::test]
async fn an_admin_keeps_the_units_and_others_see_what_they_manage() {
    for served in common::server::serve_all("").await {
        let engine = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Ольга", "Админова").await;
        let chairman = served
            .sign_in("+79161110002", "Пётр", "Председателев")
            .await;
        served
            .grant(
                chairman.person.as_deref().unwrap(),
                "chairman",
                Some("house-1"),
                None,
            )
            .await;
        let resident = served.sign_in("+79161110003", "Анна", "Жильцова").await;
        served
            .grant(
                resident.person.as_deref().unwrap(),
                "resident",
                Some("house-1"),
                None,
            )
            .await;

        let bad = save_unit(
            &admin,
            &[("number", "7"), ("kind", "apartment"), ("area", "много")],
        )
        .await;
        assert_eq!(bad.status, 422, "{engine}: {bad:?}");
        assert!(bad.text.contains("aria-invalid=\"true\""), "{engine}");
        assert!(
            bad.text.contains("value=\"много\""),
            "{engine}: kept as typed"
        );

        let saved = save_unit(
            &admin,
            &[("number", "7"), ("kind", "apartment"), ("area", "41,5")],
        )
        .await;
        assert_eq!(saved.status, 303, "{engine}: {saved:?}");
        let page = admin.get("/admin/c/house-1").await;
        assert!(
            page.text.contains(">7</td>"),
            "{engine}: the unit is listed"
        );
        assert!(
            page.text.contains("41,50"),
            "{engine}: the area, in Russian"
        );
        let units = admin.get("/api/communities/house-1/units").await;
        let seven = units
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["number"] == "7")
            .cloned()
            .expect("the unit is saved");
        assert_eq!(seven["area_centi_m2"], 4150, "{engine}: {seven}");

        // The chairman manages the members, not the units.
        let page = chairman.get("/admin/c/house-1").await;
        assert_eq!(page.status, 200, "{engine}");
        assert!(page.text.contains("Заявки на вступление"), "{engine}");
        assert!(!page.text.contains("action=save_unit"), "{engine}");
        let refused = save_unit(
            &chairman,
            &[("number", "8"), ("kind", "apartment"), ("area", "30")],
        )
        .await;
        assert_eq!(refused.status, 403, "{engine}: {refused:?}");

        // A resident manages nothing.
        assert_eq!(resident.get("/admin").await.status, 403, "{engine}");
        assert_eq!(
            resident.get("/admin/c/house-1").await.status,
            403,
            "{engine}"
        );
        // Signed out, the admin pages ask to sign in and come back.
        let anonymous = served.client().get("/admin/c/house-1").await;
        assert_eq!(anonymous.status, 303, "{engine}");
        assert_eq!(
            anonymous.headers["location"], "/signin?next=%2Fadmin%2Fc%2Fhouse-1",
            "{engine}"
        );
    }
}

async fn act(client: &Client, action: &str, pairs: &[(&str, &str)]) -> common::server::Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    client
        .post_body(&format!("/admin/c/house-1?action={action}"), FORM, &body)
        .await
}

/// The grant id that the page's «Снять роль» button for `who` carries.
fn remove_button_id(page: &str, who: &str) -> String {
    let row = page
        .split("<tr")
        .find(|row| row.contains(who) && row.contains("action=remove_role"))
        .unwrap_or_else(|| panic!("no «Снять роль» for {who}"));
    let at = row.find("name=\"id\" value=\"").expect("the button's id") + 17;
    row[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_admin_grants_and_removes_staff_roles_and_revokes_invitations() {
    for served in common::server::serve_all("").await {
        let engine = served.engine;
        let admin = served.sign_in(ADMIN_PHONE, "Ольга", "Админова").await;
        let nina = served.sign_in("+79161110021", "Нина", "Операторова").await;
        let anna = served.sign_in("+79161110022", "Анна", "Жильцова").await;
        let anya = served.sign_in("+79161110023", "Анна", "Соседова").await;
        for person in [&anna, &anya] {
            served
                .grant(
                    person.person.as_deref().unwrap(),
                    "resident",
                    Some("house-1"),
                    None,
                )
                .await;
        }

        let page = admin.get("/admin/c/house-1").await;
        assert!(page.text.contains("Сотрудники и роли"), "{engine}");
        assert!(
            page.text.contains("Оператор — УК «Городская»"),
            "{engine}: the roles are offered by name, with their organization"
        );
        assert!(!page.text.contains(">operator<"), "{engine}: no codes");

        // Somebody nobody knows, and a name two people share: the error is next to `who`.
        let unknown = act(
            &admin,
            "grant_role",
            &[("who", "+7 916 999-99-99"), ("role", "operator@uk-town")],
        )
        .await;
        assert_eq!(unknown.status, 422, "{engine}: {unknown:?}");
        assert!(
            unknown.text.contains("Такого человека не нашлось"),
            "{engine}"
        );
        assert!(
            unknown.text.contains("value=\"+7 916 999-99-99\""),
            "{engine}: kept"
        );
        let two = act(
            &admin,
            "grant_role",
            &[("who", "Анна"), ("role", "moderator")],
        )
        .await;
        assert_eq!(two.status, 422, "{engine}: {two:?}");
        assert!(
            two.text.contains("Анна Жильцова") && two.text.contains("Анна Соседова"),
            "{engine}: the page names both"
        );

        // By phone (a person of the management company) and by name (a neighbour).
        let granted = act(
            &admin,
            "grant_role",
            &[("who", "8 916 111-00-21"), ("role", "operator@uk-town")],
        )
        .await;
        assert_eq!(granted.status, 303, "{engine}: {granted:?}");
        let granted = act(
            &admin,
            "grant_role",
            &[("who", "Жильцова Анна"), ("role", "moderator")],
        )
        .await;
        assert_eq!(granted.status, 303, "{engine}: {granted:?}");
        let page = admin.get("/admin/c/house-1").await;
        assert!(page.text.contains("Нина Операторова"), "{engine}");
        assert!(page.text.contains("Модератор"), "{engine}");
        let roles = nina.get("/api/me").await;
        assert!(
            roles.text.contains("\"operator\""),
            "{engine}: {}",
            roles.text
        );

        // Removing needs the confirmation, then the role is gone.
        let id = remove_button_id(&page.text, "Анна Жильцова");
        let unconfirmed = act(&admin, "remove_role", &[("id", &id)]).await;
        assert_eq!(unconfirmed.status, 422, "{engine}: {unconfirmed:?}");
        assert!(
            unconfirmed.text.contains("Подтвердите действие галочкой"),
            "{engine}"
        );
        let removed = act(&admin, "remove_role", &[("id", &id), ("confirm", "1")]).await;
        assert_eq!(removed.status, 303, "{engine}: {removed:?}");
        let grants = admin.get("/api/communities/house-1/roles").await;
        assert!(
            !grants
                .json
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["role"] == "moderator"),
            "{engine}: {}",
            grants.text
        );

        // An invitation: listed with who made it and what it is for; revoked after the
        // confirmation, it lets nobody in any more.
        let made = act(&admin, "invite", &[("expires_in_days", "14")]).await;
        assert_eq!(made.status, 303, "{engine}: {made:?}");
        let invitation = made.headers["location"]
            .to_str()
            .unwrap()
            .trim_start_matches("/join/")
            .to_owned();
        let page = admin.get("/admin/c/house-1").await;
        assert!(page.text.contains("Отправленные приглашения"), "{engine}");
        assert!(
            page.text.contains("всем по ссылке и QR-коду — житель"),
            "{engine}"
        );
        assert!(page.text.contains("заявок 0, принято 0"), "{engine}");
        assert!(page.text.contains("действует"), "{engine}");
        let unconfirmed = act(&admin, "revoke_invitation", &[("id", &invitation)]).await;
        assert_eq!(unconfirmed.status, 422, "{engine}: {unconfirmed:?}");
        assert!(
            unconfirmed.text.contains("Подтвердите действие галочкой"),
            "{engine}"
        );
        assert_eq!(
            anya.get(&format!("/api/invitations/{invitation}"))
                .await
                .status,
            200,
            "{engine}: still valid"
        );
        let revoked = act(
            &admin,
            "revoke_invitation",
            &[("id", &invitation), ("confirm", "1")],
        )
        .await;
        assert_eq!(revoked.status, 303, "{engine}: {revoked:?}");
        assert_eq!(
            served
                .client()
                .get(&format!("/api/invitations/{invitation}"))
                .await
                .status,
            410,
            "{engine}"
        );
        let late = served.sign_in("+79161110024", "Иван", "Опоздавший").await;
        let refused = late
            .post(
                &format!("/api/invitations/{invitation}/accept"),
                serde_json::json!({ "unit_number": "12" }),
            )
            .await;
        assert_eq!(refused.status, 410, "{engine}: {refused:?}");
        let page = admin.get("/admin/c/house-1").await;
        assert!(page.text.contains("отозвано"), "{engine}");

        // Each change is in the audit log.
        let audit = admin.get("/api/audit?community=house-1").await;
        let actions: Vec<&str> = audit.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["action"].as_str())
            .collect();
        for action in [
            "role.granted",
            "role.revoked",
            "invitation.created",
            "invitation.revoked",
        ] {
            assert!(
                actions.contains(&action),
                "{engine}: no {action} in {actions:?}"
            );
        }
        // The operator's grant is the organization's: the whole log has it.
        let whole = admin.get("/api/audit").await;
        assert!(whole.text.contains("\"operator\""), "{engine}");
    }
}

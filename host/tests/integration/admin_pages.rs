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

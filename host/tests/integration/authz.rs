//! The authorization matrix: every role against every host endpoint, on both engines.
//!
//! Each row is an endpoint and the roles allowed to use it; every other role must be refused
//! (403, or 401 when signed out) before anything is read or written.

use crate::common;

use common::server::{Client, Served};
use serde_json::{Value, json};

/// The people of the matrix: a role name and how to set them up.
const ROLES: [&str; 13] = [
    "anonymous",
    "resident",
    "owner",
    "neighbour",
    "snt-member",
    "chairman",
    "board",
    "operator",
    "executor",
    "moderator",
    "official",
    "region-admin",
    "instance-admin",
];

struct Cast {
    clients: Vec<(&'static str, Client)>,
    target: String,
}

async fn cast(served: &Served) -> Cast {
    let mut clients = Vec::new();
    for (i, role) in ROLES.iter().enumerate() {
        if *role == "anonymous" {
            clients.push((*role, served.client()));
            continue;
        }
        let phone = if *role == "instance-admin" {
            common::server::ADMIN_PHONE.to_owned()
        } else {
            format!("+7999100{i:04}")
        };
        let surname: String = [
            "Роль",
            &char::from_u32(0x410 + i as u32).unwrap().to_string(),
        ]
        .concat();
        let client = served.sign_in(&phone, "Житель", &surname).await;
        let id = client.person.clone().unwrap();
        match *role {
            "resident" => served.grant(&id, "resident", Some("house-1"), None).await,
            "owner" => {
                served.grant(&id, "resident", Some("house-1"), None).await;
                served.own(&id, "house-1/12").await;
            }
            "neighbour" => served.grant(&id, "resident", Some("house-2"), None).await,
            "snt-member" => served.grant(&id, "snt-member", Some("snt"), None).await,
            "chairman" => served.grant(&id, "chairman", Some("house-1"), None).await,
            "board" => served.grant(&id, "board", Some("house-1"), None).await,
            "operator" => served.grant(&id, "operator", None, Some("uk-town")).await,
            "executor" => served.grant(&id, "executor", None, Some("uk-town")).await,
            "moderator" => served.grant(&id, "moderator", Some("town"), None).await,
            "official" => {
                served
                    .grant(&id, "official", None, Some("admin-town"))
                    .await
            }
            "region-admin" => served.grant(&id, "admin", Some("town"), None).await,
            _ => {}
        }
        clients.push((*role, client));
    }
    let target = served.sign_in("+79992223344", "Сосед", "Соседов").await;
    let target_id = target.person.clone().unwrap();
    served
        .grant(&target_id, "resident", Some("house-1"), None)
        .await;
    Cast {
        clients,
        target: target_id,
    }
}

struct Endpoint {
    method: &'static str,
    path: String,
    body: Option<Value>,
    allowed: &'static [&'static str],
}

const EVERYONE: &[&str] = &ROLES;
const SIGNED_IN: &[&str] = &[
    "resident",
    "owner",
    "neighbour",
    "snt-member",
    "chairman",
    "board",
    "operator",
    "executor",
    "moderator",
    "official",
    "region-admin",
    "instance-admin",
];
const BELONG_TO_HOUSE_1: &[&str] = &[
    "resident",
    "owner",
    "chairman",
    "board",
    "operator",
    "executor",
    "moderator",
    "official",
    "region-admin",
    "instance-admin",
];
const HANDLE_CASES_IN_HOUSE_1: &[&str] = &[
    "chairman",
    "board",
    "operator",
    "executor",
    "moderator",
    "official",
    "region-admin",
    "instance-admin",
];
const MANAGE_HOUSE_1: &[&str] = &[
    "chairman",
    "board",
    "operator",
    "region-admin",
    "instance-admin",
];
const PUBLISH_IN_HOUSE_1: &[&str] = &[
    "chairman",
    "board",
    "operator",
    "official",
    "region-admin",
    "instance-admin",
];
const ADMINS_OF_HOUSE_1: &[&str] = &["region-admin", "instance-admin"];
const GRANT_BOARD_IN_HOUSE_1: &[&str] = &["chairman", "region-admin", "instance-admin"];

fn endpoints(target: &str) -> Vec<Endpoint> {
    let e = |method, path: &str, body: Option<Value>, allowed| Endpoint {
        method,
        path: path.to_owned(),
        body,
        allowed,
    };
    vec![
        e("GET", "/api/communities", None, EVERYONE),
        e("GET", "/api/communities/house-1", None, EVERYONE),
        e("GET", "/api/organizations", None, EVERYONE),
        e("GET", "/api/openapi.json", None, EVERYONE),
        e(
            "GET",
            "/api/communities/house-1/announcements",
            None,
            EVERYONE,
        ),
        e(
            "POST",
            "/api/communities/house-1/announcements",
            Some(json!({ "title": "Субботник", "text": "В субботу в 10:00" })),
            PUBLISH_IN_HOUSE_1,
        ),
        e("GET", "/api/me", None, SIGNED_IN),
        e("GET", "/api/me/sessions", None, SIGNED_IN),
        e("GET", "/api/me/export", None, SIGNED_IN),
        e(
            "GET",
            "/api/communities/house-1/units",
            None,
            BELONG_TO_HOUSE_1,
        ),
        e(
            "GET",
            "/api/communities/house-1/members",
            None,
            HANDLE_CASES_IN_HOUSE_1,
        ),
        e(
            "GET",
            "/api/communities/house-1/roles",
            None,
            MANAGE_HOUSE_1,
        ),
        e(
            "PUT",
            &format!("/api/communities/house-1/units/12/owners/{target}"),
            Some(json!({ "share": "1/2" })),
            MANAGE_HOUSE_1,
        ),
        e(
            "PUT",
            "/api/communities/house-1/units/77",
            Some(json!({ "kind": "apartment", "area": "40.5" })),
            ADMINS_OF_HOUSE_1,
        ),
        e(
            "POST",
            "/api/roles",
            Some(json!({ "person": target, "role": "board", "community": "house-1" })),
            GRANT_BOARD_IN_HOUSE_1,
        ),
        e(
            "POST",
            "/api/roles",
            Some(json!({ "person": target, "role": "executor", "organization": "uk-town" })),
            &["operator", "region-admin", "instance-admin"],
        ),
        e(
            "POST",
            "/api/roles",
            Some(json!({ "person": target, "role": "admin", "community": "town" })),
            &["region-admin", "instance-admin"],
        ),
        e(
            "POST",
            "/api/roles",
            Some(json!({ "person": target, "role": "admin" })),
            &["instance-admin"],
        ),
        e(
            "GET",
            "/api/audit?community=house-1",
            None,
            ADMINS_OF_HOUSE_1,
        ),
        e("GET", "/api/audit", None, &["instance-admin"]),
        e("GET", "/api/admin/events/dead", None, &["instance-admin"]),
        e(
            "GET",
            "/api/organizations/uk-town/staff",
            None,
            &["operator", "executor", "region-admin", "instance-admin"],
        ),
    ]
}

#[tokio::test]
async fn every_role_against_every_host_endpoint() {
    for served in common::server::serve_all("").await {
        let engine = served.engine;
        let cast = cast(&served).await;
        let mut failures = Vec::new();
        for endpoint in endpoints(&cast.target) {
            for (role, client) in &cast.clients {
                let method = reqwest::Method::from_bytes(endpoint.method.as_bytes()).unwrap();
                let answer = client
                    .send(method, &endpoint.path, endpoint.body.clone())
                    .await;
                let allowed = endpoint.allowed.contains(role);
                let ok = if allowed {
                    (200..300).contains(&answer.status)
                } else if *role == "anonymous" {
                    answer.status == 401
                } else {
                    answer.status == 403
                };
                if !ok {
                    failures.push(format!(
                        "{engine}: {role} {} {} → {} (expected {}): {}",
                        endpoint.method,
                        endpoint.path,
                        answer.status,
                        if allowed {
                            "2xx"
                        } else if *role == "anonymous" {
                            "401"
                        } else {
                            "403"
                        },
                        answer.text.chars().take(200).collect::<String>()
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} cells of the matrix are wrong:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

#[tokio::test]
async fn a_phone_number_is_seen_only_by_those_handling_the_persons_case() {
    for served in common::server::serve_all("").await {
        let engine = served.engine;
        let cast = cast(&served).await;
        for (role, client) in &cast.clients {
            let answer = client.get(&format!("/api/people/{}", cast.target)).await;
            match *role {
                "anonymous" => assert_eq!(answer.status, 401, "{engine}: {role}"),
                // Not a neighbour and not staff there: the person is not even named.
                "neighbour" | "snt-member" => assert_eq!(answer.status, 404, "{engine}: {role}"),
                "resident" | "owner" => {
                    assert_eq!(answer.status, 200, "{engine}: {role}");
                    assert_eq!(answer.json["display_name"], "Сосед Соседов");
                    assert!(
                        answer.json["phone"].is_null(),
                        "{engine}: a neighbour sees no phone"
                    );
                }
                _ => {
                    assert_eq!(answer.status, 200, "{engine}: {role}");
                    assert_eq!(
                        answer.json["phone"], "+79992223344",
                        "{engine}: {role} handles cases there"
                    );
                }
            }
        }
        // The members list shows phones to the staff who may read it.
        let operator = &cast
            .clients
            .iter()
            .find(|(r, _)| *r == "operator")
            .unwrap()
            .1;
        let members = operator.get("/api/communities/house-1/members").await;
        assert!(
            members.text.contains("+79992223344"),
            "{engine}: {members:?}"
        );
    }
}

#[tokio::test]
async fn plugins_read_the_callers_roles_for_their_community() {
    for served in common::server::serve_all("").await {
        let engine = served.engine;
        let cast = cast(&served).await;
        let operator = &cast
            .clients
            .iter()
            .find(|(r, _)| *r == "operator")
            .unwrap()
            .1;
        let operator_id = operator.person.clone().unwrap();
        let tree = served.runtime.shared().communities();
        let db = served.runtime.shared().db.connection();
        let roles = dvor::identity::roles::effective_roles(db, &operator_id, &tree)
            .await
            .unwrap();
        // The management company serves the houses, not the SNT.
        let in_house = dvor::identity::roles::bearing_on(&roles, "house-1", &tree);
        assert!(
            in_house
                .iter()
                .any(|r| r.name == "operator" && r.organization.as_deref() == Some("uk-town")),
            "{engine}: {in_house:?}"
        );
        assert!(
            dvor::identity::roles::bearing_on(&roles, "snt", &tree).is_empty(),
            "{engine}"
        );
        // A verified owner of a plot in the SNT who is not a member is a non-member owner.
        let owner = &cast.clients.iter().find(|(r, _)| *r == "owner").unwrap().1;
        let owner_id = owner.person.clone().unwrap();
        use dvor::identity::membership::{UnitChange, save_unit};
        save_unit(
            db,
            None,
            UnitChange {
                community: "snt",
                number: "45",
                kind: "plot",
                area_centi_m2: 60_000,
                cadastral_number: None,
            },
            0,
        )
        .await
        .unwrap();
        served.own(&owner_id, "snt/45").await;
        let roles = dvor::identity::roles::effective_roles(db, &owner_id, &tree)
            .await
            .unwrap();
        let names: Vec<(&str, Option<&str>)> = roles
            .iter()
            .map(|r| (r.name.as_str(), r.community.as_deref()))
            .collect();
        assert!(
            names.contains(&("owner", Some("house-1"))),
            "{engine}: {names:?}"
        );
        assert!(
            names.contains(&("owner", Some("snt"))),
            "{engine}: {names:?}"
        );
        assert!(
            names.contains(&("snt-non-member", Some("snt"))),
            "{engine}: {names:?}"
        );
    }
}

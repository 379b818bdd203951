//! The host API keeps the promises of its OpenAPI document: schemathesis (from PyPI, pinned in
//! `tests/fixtures/python/requirements.txt`) fuzzes `/api/openapi.json` of the bundled demo,
//! anonymous and signed in, and finds nothing; and the refusals that never reach a handler (a
//! bad query or path parameter, a method the route lacks, a body over the limit or of the wrong
//! type, an array where an object is due) answer in the document's error shape, naming the
//! field, and change nothing.

use serde_json::json;

use crate::common;

use common::server::{DEMO_ADMIN_PHONE, Served, serve_demo};

/// How many examples schemathesis draws per operation and phase: enough to reach every
/// operation's edges, few enough for CI (the run takes a few minutes on two cores).
const EXAMPLES: &str = "25";
/// The seed, so a run is the same run every time and a failure can be replayed.
const SEED: &str = "20261201";

/// The demo, its first jobs run (the house's accounts and meters, the town's appeals), with
/// the demo admin signed in, and the parameters that reach past "not found": a resident of
/// flat 12 waiting for the admin's decision, an invitation, a grant.
async fn demo() -> (Served, common::server::Client, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (served, _codes) = serve_demo(listener, "", &[]).await;
    common::run_job_now(&served.runtime, "housing", "billing", "demo-house-1").await;
    common::run_job_now(&served.runtime, "people-control", "sync", "demo-town").await;
    let admin = served.sign_in(DEMO_ADMIN_PHONE, "Ольга", "Админова").await;
    let invite = || async {
        let made = admin
            .post("/api/communities/demo-house-1/invitations", json!({}))
            .await;
        assert_eq!(made.status, 201, "{made:?}");
        made.json["id"].as_str().unwrap().to_owned()
    };
    let invitation = invite().await;
    let revocable = invite().await;
    let resident = served.sign_in("+79161234567", "Анна", "Жильцова").await;
    let asked = resident
        .post(
            &format!("/api/invitations/{invitation}/accept"),
            json!({ "unit_number": "12", "claims_ownership": true }),
        )
        .await;
    assert_eq!(asked.status, 201, "{asked:?}");
    let request = asked.json["id"].as_str().unwrap();
    let person = resident.person.clone().unwrap();
    let granted = admin
        .post(
            "/api/roles",
            json!({ "person": person, "role": "board", "community": "demo-house-1" }),
        )
        .await;
    assert_eq!(granted.status, 201, "{granted:?}");
    let grant = granted.json["id"].as_i64().unwrap();
    let fixed = |operation: &str, parameters: &str| {
        format!(
            "[[operations]]\ninclude-operation-id = \"{operation}\"\nparameters = {{ {parameters} }}\n"
        )
    };
    let config = [
        fixed("get_invitation", &format!("\"path.id\" = \"{invitation}\"")),
        fixed("invitation_qr", &format!("\"path.id\" = \"{invitation}\"")),
        fixed("accept_invitation", &format!("\"path.id\" = \"{invitation}\"")),
        fixed("revoke_invitation", &format!("\"path.id\" = \"{revocable}\"")),
        fixed("approve_request", &format!("\"path.id\" = \"{request}\"")),
        fixed("reject_request", &format!("\"path.id\" = \"{request}\"")),
        fixed("get_person", &format!("\"path.person\" = \"{person}\"")),
        fixed(
            "set_owner",
            &format!("\"path.community\" = \"demo-house-1\", \"path.number\" = \"12\", \"path.person\" = \"{person}\""),
        ),
        fixed(
            "remove_owner",
            &format!("\"path.community\" = \"demo-house-1\", \"path.number\" = \"12\", \"path.person\" = \"{person}\""),
        ),
        fixed("revoke_role", &format!("\"path.id\" = {grant}")),
    ]
    .concat();
    (served, admin, config)
}

/// What schemathesis is told besides who is asking.
fn run_args(served: &Served) -> Vec<String> {
    [
        &format!("{}/api/openapi.json", served.base),
        "--checks",
        "all",
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        // Deterministic: the same cases every run, and no example database kept between runs.
        "--generation-deterministic",
        "--workers",
        "1",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_the_server_as_its_document_says() {
    let (served, admin, parameters) = demo().await;
    let token = admin.token.clone().unwrap();

    // Anonymous, every parameter drawn: what anyone may reach, and what they may not.
    let anonymous = common::python::schemathesis(run_args(&served), String::new()).await;
    assert!(
        anonymous.passed,
        "schemathesis, anonymous:\n{}",
        anonymous.report
    );

    // Signed in as the demo's admin, who may reach the most; with a session, so the routes only
    // a person at a device may use are reached too. Three operations would end the session the
    // run signs in with (signing out, ending this device's session, deleting the account):
    // the identity tests cover them.
    let mut signed_in = run_args(&served);
    signed_in.extend(
        [
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--exclude-operation-id",
            "sign_out",
            "--exclude-operation-id",
            "end_session",
            "--exclude-operation-id",
            "delete_me",
        ]
        .map(str::to_owned),
    );
    let signed_in = common::python::schemathesis(signed_in, parameters).await;
    assert!(
        signed_in.passed,
        "schemathesis, signed in:\n{}",
        signed_in.report
    );
    eprintln!("{}\n{}", anonymous.report, signed_in.report);
}

/// The instance admin of the test config, signed in.
async fn admin_of(served: &Served) -> common::server::Client {
    served
        .sign_in(common::server::ADMIN_PHONE, "Ольга", "Админова")
        .await
}

#[tokio::test]
async fn refusals_before_any_handler_answer_in_the_error_shape() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let admin = admin_of(&served).await;

        let limit = admin.get("/api/me/notifications?limit=-1").await;
        assert_eq!(
            (
                limit.status,
                limit.field(),
                limit.json["error"]["code"].as_str()
            ),
            (400, Some("limit"), Some("invalid")),
            "{e}: {limit:?}"
        );
        let zero = admin.get("/api/me/notifications?limit=0").await;
        assert_eq!((zero.status, zero.field()), (400, Some("limit")), "{e}");
        let path = admin.delete("/api/roles/not-a-number", None).await;
        assert_eq!(
            (path.status, path.field()),
            (400, Some("id")),
            "{e}: {path:?}"
        );
        let huge = admin.delete("/api/roles/9223372036854775808", None).await;
        assert_eq!((huge.status, huge.field()), (400, Some("id")), "{e}");

        let method = admin
            .send(reqwest::Method::PUT, "/api/openapi.json", None)
            .await;
        assert_eq!(
            (method.status, method.json["error"]["code"].as_str()),
            (405, Some("method-not-allowed")),
            "{e}: {method:?}"
        );
        assert!(
            method.headers["allow"].to_str().unwrap().contains("GET"),
            "{e}: the Allow header is kept"
        );
        let nowhere = admin.get("/api/no-such-route").await;
        assert_eq!(
            (nowhere.status, nowhere.json["error"]["code"].as_str()),
            (404, Some("not-found")),
            "{e}: {nowhere:?}"
        );
    }
}

#[tokio::test]
async fn a_json_array_where_an_object_is_due_is_refused_and_never_acted_on() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let anonymous = served.client();
        // Read positionally, this array once sent a code to the number in it.
        let array = anonymous
            .post("/api/auth/code", json!(["+79991234567"]))
            .await;
        assert_eq!(
            (array.status, array.field()),
            (400, Some("body")),
            "{e}: {array:?}"
        );
        assert!(
            served.sms.to("+79991234567").is_empty(),
            "{e}: no code was sent"
        );

        // A pending join request; `[null, null]` once approved it.
        let admin = admin_of(&served).await;
        let invitation = admin
            .post("/api/communities/house-1/invitations", json!({}))
            .await;
        assert_eq!(invitation.status, 201, "{e}: {invitation:?}");
        let id = invitation.json["id"].as_str().unwrap();
        let anna = served.sign_in("+79991234567", "Анна", "Петрова").await;
        let asked = anna
            .post(&format!("/api/invitations/{id}/accept"), json!({}))
            .await;
        assert_eq!(asked.status, 201, "{e}: {asked:?}");
        let request = asked.json["id"].as_str().unwrap();
        let approve = format!("/api/join-requests/{request}/approve");
        let nulls = admin.post(&approve, json!([null, null])).await;
        assert_eq!(
            (nulls.status, nulls.field()),
            (400, Some("body")),
            "{e}: {nulls:?}"
        );
        let mine = anna.get("/api/me/join-requests").await;
        assert_eq!(mine.json[0]["status"], "pending", "{e}: not approved");
        // The same request as an object is approved.
        let approved = admin.post(&approve, json!({})).await;
        assert_eq!(approved.status, 200, "{e}: {approved:?}");
    }
}

#[tokio::test]
async fn a_type_error_names_the_field_not_the_value() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let client = served.client();
        let number = client
            .post("/api/auth/code", json!({ "phone": 79991234567u64 }))
            .await;
        assert_eq!(
            (number.status, number.field()),
            (400, Some("phone")),
            "{e}: {number:?}"
        );
        let admin = admin_of(&served).await;
        let scope = admin
            .post(
                "/api/me/tokens",
                json!({ "name": "Касса", "scopes": ["profile", 5] }),
            )
            .await;
        assert_eq!(
            (scope.status, scope.field()),
            (400, Some("scopes[1]")),
            "{e}: {scope:?}"
        );
        let days = admin
            .post(
                "/api/communities/house-1/invitations",
                json!({ "expires_in_days": "soon" }),
            )
            .await;
        assert_eq!(
            (days.status, days.field()),
            (400, Some("expires_in_days")),
            "{e}: {days:?}"
        );
        // A whole number written with a fraction is the integer JSON Schema says it is.
        let whole = admin
            .post(
                "/api/communities/house-1/invitations",
                json!({ "expires_in_days": 30.0 }),
            )
            .await;
        assert_eq!(whole.status, 201, "{e}: {whole:?}");
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_and_of_another_type_415() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let client = served.client();
        // Anyone may sign in, so the sign-in routes read little.
        let padding = "x".repeat(5 * 1024);
        let large = client
            .post_body(
                "/api/auth/code",
                "application/json",
                &json!({ "phone": "+79991234567", "padding": padding }).to_string(),
            )
            .await;
        assert_eq!(
            (large.status, large.json["error"]["code"].as_str()),
            (413, Some("too-large")),
            "{e}: {large:?}"
        );
        assert!(served.sms.to("+79991234567").is_empty(), "{e}");
        let page = client
            .post_body(
                "/signin?action=send_code",
                "application/x-www-form-urlencoded",
                &format!("phone=%2B79991234567&padding={padding}"),
            )
            .await;
        assert_eq!(page.status, 413, "{e}: {page:?}");
        let plain = client
            .post_body(
                "/api/auth/code",
                "text/plain",
                r#"{"phone":"+79991234567"}"#,
            )
            .await;
        assert_eq!(
            (plain.status, plain.json["error"]["code"].as_str()),
            (415, Some("unsupported-media-type")),
            "{e}: {plain:?}"
        );
        assert!(served.sms.to("+79991234567").is_empty(), "{e}");

        // A signed-in route takes what its fields allow: 4000 characters of Cyrillic text.
        let admin = admin_of(&served).await;
        let long = admin
            .post(
                "/api/communities/house-1/announcements",
                json!({ "title": "Отключение воды", "text": "в".repeat(4000) }),
            )
            .await;
        assert_eq!(long.status, 201, "{e}: {long:?}");
    }
}

#[tokio::test]
async fn the_document_names_every_status_the_shared_layers_answer() {
    let served = common::server::serve_all("").await.remove(0);
    let doc = served.client().get("/api/openapi.json").await;
    let operation = |path: &str, method: &str| doc.json["paths"][path][method].clone();
    let statuses = |path: &str, method: &str| -> Vec<String> {
        operation(path, method)["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let send = statuses("/api/auth/code", "post");
    for status in ["200", "400", "403", "413", "415", "422", "429"] {
        assert!(send.contains(&status.to_owned()), "{status}: {send:?}");
    }
    let members = statuses("/api/communities/{community}/members", "get");
    for status in ["200", "400", "401", "403", "404"] {
        assert!(
            members.contains(&status.to_owned()),
            "{status}: {members:?}"
        );
    }
    let limit = operation("/api/me/notifications", "get")["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .cloned()
        .unwrap();
    assert_eq!(
        (&limit["schema"]["minimum"], &limit["schema"]["maximum"]),
        (&json!(1), &json!(200))
    );
    let phone = &doc.json["components"]["schemas"]["CodeRequest"]["properties"]["phone"];
    assert_eq!(phone["minLength"], 1, "an empty phone is not one: {phone}");
}

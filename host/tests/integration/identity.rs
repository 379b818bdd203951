//! Signing in by phone, its limits, sessions and API tokens, and a person's own data — over
//! the real server on both engines.

use crate::common;

use common::server::{Client, Served, sms_gateway};
use serde_json::json;

/// A served instance whose `[identity.otp]` is `otp` (TOML lines).
async fn serve_with_otp(engine: &'static str, db: dvor::storage::Database, otp: &str) -> Served {
    serve_with(engine, db, "", otp).await
}

/// A served instance with `identity` more keys of `[identity]` and `otp` as `[identity.otp]`.
async fn serve_with(
    engine: &'static str,
    db: dvor::storage::Database,
    identity: &str,
    otp: &str,
) -> Served {
    let (sms_url, sms) = sms_gateway().await;
    let text = common::config_text(&format!(
        "[identity]\nadmins = [\"{}\"]\n{identity}\n[identity.sms]\ngateway = \"http\"\nurl = \"{sms_url}\"\n[identity.otp]\n{otp}\n",
        common::server::ADMIN_PHONE
    ));
    let config = common::config_from_text(text, "sqlite://unused.db");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    common::server::serve_config(engine, db, config, listener, sms).await
}

async fn each_engine(otp: &str) -> Vec<Served> {
    let mut out = Vec::new();
    for (engine, db) in common::databases().await {
        out.push(serve_with_otp(engine, db, otp).await);
    }
    out
}

const ANNA: &str = "+79991234567";

#[tokio::test]
async fn a_new_phone_signs_up_with_a_name_and_signs_in_again_as_the_same_person() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let client = served.client();
        let sent = client
            .post("/api/auth/code", json!({ "phone": "8 (999) 123-45-67" }))
            .await;
        assert_eq!(sent.status, 200, "{e}: {sent:?}");
        assert_eq!(sent.json["registered"], false, "{e}");
        assert_eq!(sent.json["phone"], "+7 999 ***-**-67", "{e}");
        let code = served
            .sms
            .last_code(ANNA)
            .expect("the gateway got the code");
        assert_eq!(code.len(), 6);

        // Without a name a new person is refused, and the code stays usable.
        let nameless = verify(&client, ANNA, &code).await;
        assert_eq!(nameless.status, 422, "{e}");
        assert_eq!(nameless.field(), Some("given_name"), "{e}");
        let no_surname = client
            .post(
                "/api/auth/code/verify",
                json!({ "phone": ANNA, "code": code, "given_name": "Анна" }),
            )
            .await;
        assert_eq!(no_surname.field(), Some("family_name"), "{e}");

        let signed = client
            .post(
                "/api/auth/code/verify",
                json!({ "phone": ANNA, "code": code, "given_name": " Анна ", "family_name": "Петрова" }),
            )
            .await;
        assert_eq!(signed.status, 200, "{e}: {signed:?}");
        assert_eq!(signed.json["created"], true);
        assert_eq!(signed.json["person"]["display_name"], "Анна Петрова");
        let cookie = signed.headers.get("set-cookie").unwrap().to_str().unwrap();
        assert!(
            cookie.starts_with("dvor_session=dvs_") && cookie.contains("HttpOnly"),
            "{cookie}"
        );
        let id = signed.json["person"]["id"].as_str().unwrap().to_owned();

        // The code is spent.
        let again = verify(&client, ANNA, &code).await;
        assert_eq!(again.status, 422, "{e}");
        assert_eq!(again.field(), Some("code"));

        let me = client
            .with_token(signed.json["token"].as_str().unwrap())
            .get("/api/me")
            .await;
        assert_eq!(me.status, 200, "{e}");
        assert_eq!(me.json["person"]["phone"], ANNA);
        assert_eq!(me.json["person"]["given_name"], "Анна");

        let second = served.sign_in(ANNA, "Другое", "Имя").await;
        assert_eq!(
            second.person.as_deref(),
            Some(id.as_str()),
            "{e}: the same person"
        );
        let me = second.get("/api/me").await;
        assert_eq!(
            me.json["person"]["display_name"], "Анна Петрова",
            "{e}: names are not overwritten"
        );
    }
}

#[tokio::test]
async fn codes_are_stored_hashed_and_bad_input_names_the_field() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let client = served.client();
        let bad = client
            .post("/api/auth/code", json!({ "phone": "12345" }))
            .await;
        assert_eq!(
            (bad.status, bad.field()),
            (422, Some("phone")),
            "{e}: digits, but no number"
        );
        let letters = client
            .post("/api/auth/code", json!({ "phone": "my phone" }))
            .await;
        assert_eq!(
            (letters.status, letters.field()),
            (400, Some("phone")),
            "{e}: not written as the document says"
        );
        let missing = client.post("/api/auth/code", json!({})).await;
        assert_eq!(
            (missing.status, missing.field()),
            (400, Some("phone")),
            "{e}"
        );
        let empty = client.post("/api/auth/code", json!({ "phone": "" })).await;
        assert_eq!((empty.status, empty.field()), (400, Some("phone")), "{e}");
        let unknown = client
            .post("/api/auth/code", json!({ "phone": ANNA, "extra": 1 }))
            .await;
        assert_eq!(
            (unknown.status, unknown.field()),
            (400, Some("extra")),
            "{e}"
        );
        client
            .post("/api/auth/code", json!({ "phone": ANNA }))
            .await;
        let code = served.sms.last_code(ANNA).unwrap();
        let short = client
            .post(
                "/api/auth/code/verify",
                json!({ "phone": ANNA, "code": "12" }),
            )
            .await;
        assert_eq!(short.field(), Some("code"), "{e}");

        use sea_orm::{ConnectionTrait, Statement};
        let db = served.runtime.shared().db.connection();
        let rows = db
            .query_all(Statement::from_string(
                db.get_database_backend(),
                "SELECT code_hash FROM otp_challenges",
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let hash: String = rows[0].try_get("", "code_hash").unwrap();
        assert_eq!(hash.len(), 64, "{e}: a SHA-256");
        assert!(!hash.contains(&code), "{e}: the code itself is not stored");
    }
}

/// A code check with no name, as for a person who has signed up before.
async fn verify(client: &Client, phone: &str, code: &str) -> common::server::Answer {
    client
        .post(
            "/api/auth/code/verify",
            json!({ "phone": phone, "code": code }),
        )
        .await
}

/// A wrong guess of a code, on the phone it was sent to.
async fn guess_wrong(client: &Client, served: &Served, phone: &str) -> common::server::Answer {
    let code = served.sms.last_code(phone).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    verify(client, phone, wrong).await
}

/// The "wrong guesses one code survives" row of `docs/identity.md`.
fn documented_wrong_guesses() -> u32 {
    let docs = include_str!("../../../docs/identity.md");
    docs.lines()
        .find(|l| l.starts_with("| wrong guesses one code survives |"))
        .and_then(|l| l.split('|').nth(2))
        .and_then(|n| n.trim().parse().ok())
        .expect("docs/identity.md states how many wrong guesses a code survives")
}

#[tokio::test]
async fn a_code_survives_as_many_wrong_guesses_as_the_docs_say() {
    let survives = documented_wrong_guesses();
    assert_eq!(
        survives,
        dvor::identity::config::OtpConfig::default().max_attempts,
        "the docs state the default"
    );
    for served in each_engine("resend_cooldown_s = 0").await {
        let e = served.engine;
        let client = served.client();
        served.sign_in(ANNA, "Анна", "Петрова").await;
        client
            .post("/api/auth/code", json!({ "phone": ANNA }))
            .await;
        for guess in 1..=survives {
            let answer = guess_wrong(&client, &served, ANNA).await;
            let left = survives - guess + 1;
            assert_eq!((answer.status, answer.field()), (422, Some("code")), "{e}");
            assert!(
                answer.json["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("Осталось попыток: {left}")),
                "{e}: guess {guess}: {answer:?}"
            );
        }
        // After that many wrong guesses the right code still signs in.
        let code = served.sms.last_code(ANNA).unwrap();
        let signed = verify(&client, ANNA, &code).await;
        assert_eq!(signed.status, 200, "{e}: {signed:?}");

        // One more wrong guess kills the code: the right one no longer works.
        let boris = "+79991112233";
        served.sign_in(boris, "Борис", "Петров").await;
        client
            .post("/api/auth/code", json!({ "phone": boris }))
            .await;
        for _ in 0..survives {
            guess_wrong(&client, &served, boris).await;
        }
        let last = guess_wrong(&client, &served, boris).await;
        assert_eq!(last.status, 422, "{e}");
        assert!(
            last.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Слишком много неверных попыток"),
            "{e}: {last:?}"
        );
        let code = served.sms.last_code(boris).unwrap();
        let dead = verify(&client, boris, &code).await;
        assert_eq!(
            (dead.status, dead.field()),
            (422, Some("code")),
            "{e}: {dead:?}"
        );
    }
}

#[tokio::test]
async fn wrong_codes_within_an_hour_lock_the_phone() {
    let otp =
        "max_attempts = 3\nlockout_after_failures = 4\nlockout_minutes = 30\nresend_cooldown_s = 0";
    for served in each_engine(otp).await {
        let e = served.engine;
        let client = served.client();
        client
            .post("/api/auth/code", json!({ "phone": ANNA }))
            .await;
        for left in [3, 2, 1] {
            let answer = guess_wrong(&client, &served, ANNA).await;
            assert_eq!(answer.status, 422, "{e}");
            assert!(
                answer.json["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("Осталось попыток: {left}")),
                "{e}: {answer:?}"
            );
        }
        // The fourth wrong code within the hour locks the phone.
        let locked = guess_wrong(&client, &served, ANNA).await;
        assert_eq!(locked.status, 429, "{e}: {locked:?}");
        let retry: u64 = locked
            .headers
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((29 * 60..=30 * 60).contains(&retry), "{e}: {retry}");
        // Locked: the right code does not open it, and no new code is sent.
        let code = served.sms.last_code(ANNA).unwrap();
        let right = verify(&client, ANNA, &code).await;
        assert_eq!(right.status, 429, "{e}");
        let sends_before = served.sms.to(ANNA).len();
        let resend = client
            .post("/api/auth/code", json!({ "phone": ANNA }))
            .await;
        assert_eq!(resend.status, 429, "{e}");
        assert_eq!(served.sms.to(ANNA).len(), sends_before, "{e}");
        // Another phone is not affected.
        served.sign_in("+79990000777", "Пётр", "Иванов").await;
    }
}

/// The `Retry-After` of an answer, in seconds.
fn retry_after(answer: &common::server::Answer) -> u64 {
    answer
        .headers
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn an_hourly_limit_says_when_its_window_frees() {
    let otp = "resend_cooldown_s = 0\nsends_per_phone_per_hour = 2\nsends_per_ip_per_hour = 3";
    for served in each_engine(otp).await {
        let e = served.engine;
        let client = served.client();
        for _ in 0..2 {
            let sent = client
                .post("/api/auth/code", json!({ "phone": ANNA }))
                .await;
            assert_eq!(sent.status, 200, "{e}");
        }
        // The first of the two was sent 50 minutes ago: the hour frees in 10 minutes.
        use sea_orm::{ConnectionTrait, Statement};
        let db = served.runtime.shared().db.connection();
        db.execute(Statement::from_string(
            db.get_database_backend(),
            format!(
                "UPDATE otp_challenges SET created = created - 3000000 WHERE phone = '{ANNA}' \
                 AND created = (SELECT MIN(created) FROM otp_challenges WHERE phone = '{ANNA}')"
            ),
        ))
        .await
        .unwrap();
        let third = client
            .post("/api/auth/code", json!({ "phone": ANNA }))
            .await;
        assert_eq!((third.status, third.field()), (429, Some("phone")), "{e}");
        let wait = retry_after(&third);
        assert!((595..=600).contains(&wait), "{e}: {wait}, not an hour");
        assert!(
            third.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("через 10 мин"),
            "{e}: {third:?}"
        );
        // The address sent three codes in the hour, the first 50 minutes ago: the same.
        let other = client
            .post("/api/auth/code", json!({ "phone": "+79990000002" }))
            .await;
        assert_eq!(other.status, 200, "{e}");
        let fourth = client
            .post("/api/auth/code", json!({ "phone": "+79990000003" }))
            .await;
        assert_eq!(fourth.status, 429, "{e}");
        assert!(
            fourth.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("С этого адреса"),
            "{e}"
        );
        let wait = retry_after(&fourth);
        assert!((595..=600).contains(&wait), "{e}: {wait}");
    }
}

#[tokio::test]
async fn only_numbers_that_receive_sms_get_a_code() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let client = served.client();
        for (number, normal) in [
            ("+1 555 555-01-23", "+15555550123"),
            ("+999 123 456 789", "+999123456789"),
            ("+7 495 123-45-67", "+74951234567"),
            ("8 (812) 123-45-67", "+78121234567"),
        ] {
            let refused = client
                .post("/api/auth/code", json!({ "phone": number }))
                .await;
            assert_eq!(
                (refused.status, refused.field()),
                (422, Some("phone")),
                "{e}: {number}: {refused:?}"
            );
            let message = refused.json["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("мобильного телефона") && message.contains("+7 9XX XXX-XX-XX"),
                "{e}: {number}: {message}"
            );
            assert!(served.sms.to(normal).is_empty(), "{e}: {number}: no SMS");
        }
        let mobile = client
            .post("/api/auth/code", json!({ "phone": "+7 916 123-45-67" }))
            .await;
        assert_eq!(mobile.status, 200, "{e}: {mobile:?}");
    }
    // The operator widens the plan: Belarusian mobile numbers sign in too.
    for (engine, db) in common::databases().await {
        let served = serve_with(
            engine,
            db,
            "phone_plan = [\"+7 9XX XXX-XX-XX\", \"+375 29 XXX-XX-XX\"]",
            "",
        )
        .await;
        let belarus = served
            .client()
            .post("/api/auth/code", json!({ "phone": "+375 29 123-45-67" }))
            .await;
        assert_eq!(belarus.status, 200, "{engine}: {belarus:?}");
        assert_eq!(served.sms.to("+375291234567").len(), 1, "{engine}");
    }
}

#[tokio::test]
async fn sending_is_limited_by_cooldown_per_phone_and_per_address() {
    let otp = "resend_cooldown_s = 60\nsends_per_phone_per_hour = 2\nsends_per_ip_per_hour = 3";
    for served in each_engine(otp).await {
        let e = served.engine;
        let client = served.client();
        assert_eq!(
            client
                .post("/api/auth/code", json!({ "phone": ANNA }))
                .await
                .status,
            200
        );
        let soon = client
            .post("/api/auth/code", json!({ "phone": ANNA }))
            .await;
        assert_eq!((soon.status, soon.field()), (429, Some("phone")), "{e}");
        let wait: u64 = soon
            .headers
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((59..=60).contains(&wait), "{e}: {wait}");
        assert_eq!(served.sms.to(ANNA).len(), 1, "{e}");
        // Two more phones from the same address: the third code from here is refused.
        assert_eq!(
            client
                .post("/api/auth/code", json!({ "phone": "+79990000002" }))
                .await
                .status,
            200
        );
        assert_eq!(
            client
                .post("/api/auth/code", json!({ "phone": "+79990000003" }))
                .await
                .status,
            200
        );
        let fourth = client
            .post("/api/auth/code", json!({ "phone": "+79990000004" }))
            .await;
        assert_eq!(fourth.status, 429, "{e}");
        assert!(
            fourth.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("С этого адреса"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn the_per_phone_hourly_limit_holds_without_a_cooldown() {
    for served in each_engine("resend_cooldown_s = 0\nsends_per_phone_per_hour = 2").await {
        let client = served.client();
        for _ in 0..2 {
            assert_eq!(
                client
                    .post("/api/auth/code", json!({ "phone": ANNA }))
                    .await
                    .status,
                200
            );
        }
        let third = client
            .post("/api/auth/code", json!({ "phone": ANNA }))
            .await;
        assert_eq!(
            (third.status, third.field()),
            (429, Some("phone")),
            "{}",
            served.engine
        );
    }
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    for served in each_engine("ttl_s = 1").await {
        let client = served.client();
        client
            .post("/api/auth/code", json!({ "phone": ANNA }))
            .await;
        let code = served.sms.last_code(ANNA).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
        let late = client
            .post("/api/auth/code/verify", json!({ "phone": ANNA, "code": code, "given_name": "Анна", "family_name": "Петрова" }))
            .await;
        assert_eq!(
            (late.status, late.field()),
            (422, Some("code")),
            "{}",
            served.engine
        );
        assert!(
            late.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("истёк")
        );
    }
}

#[tokio::test]
async fn sessions_are_listed_and_end_one_by_one_or_everywhere() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let phone = served.sign_in(ANNA, "Анна", "Петрова").await;
        let laptop = served.sign_in(ANNA, "Анна", "Петрова").await;
        let tablet = served.sign_in(ANNA, "Анна", "Петрова").await;
        let sessions = phone.get("/api/me/sessions").await;
        let list = sessions.json.as_array().unwrap();
        assert_eq!(list.len(), 3, "{e}");
        assert_eq!(
            list.iter().filter(|s| s["current"] == true).count(),
            1,
            "{e}"
        );

        // End the laptop's session from the phone.
        let laptop_id = {
            let mine = laptop.get("/api/me/sessions").await;
            mine.json
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["current"] == true)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            phone
                .delete(&format!("/api/me/sessions/{laptop_id}"), None)
                .await
                .status,
            204,
            "{e}"
        );
        assert_eq!(laptop.get("/api/me").await.status, 401, "{e}");
        assert_eq!(
            phone
                .delete(&format!("/api/me/sessions/{laptop_id}"), None)
                .await
                .status,
            404,
            "{e}"
        );

        // Sign out of this device only, then everywhere.
        assert_eq!(
            tablet.post("/api/auth/signout", json!({})).await.status,
            204,
            "{e}"
        );
        assert_eq!(tablet.get("/api/me").await.status, 401, "{e}");
        let again = served.sign_in(ANNA, "Анна", "Петрова").await;
        assert_eq!(
            again
                .post("/api/auth/signout", json!({ "everywhere": true }))
                .await
                .status,
            204
        );
        assert_eq!(again.get("/api/me").await.status, 401, "{e}");
        assert_eq!(phone.get("/api/me").await.status, 401, "{e}");
        // A made-up token is refused the same way.
        assert_eq!(
            phone.with_token("dvs_made-up").get("/api/me").await.status,
            401,
            "{e}"
        );
    }
}

#[tokio::test]
async fn api_tokens_carry_only_their_scopes_and_can_be_revoked() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let anna = served.sign_in(ANNA, "Анна", "Петрова").await;
        served
            .grant(
                anna.person.as_deref().unwrap(),
                "chairman",
                Some("house-1"),
                None,
            )
            .await;

        let unknown = anna
            .post(
                "/api/me/tokens",
                json!({ "name": "Касса", "scopes": ["everything"] }),
            )
            .await;
        assert_eq!(
            (unknown.status, unknown.field()),
            (400, Some("scopes[0]")),
            "{e}: the scope at fault"
        );
        let unnamed = anna
            .post("/api/me/tokens", json!({ "scopes": ["profile"] }))
            .await;
        assert_eq!(unnamed.field(), Some("name"), "{e}");

        let created = anna.post("/api/me/tokens", json!({ "name": "Платёжный агент", "scopes": ["profile", "plugin:hello"], "expires_in_days": 30 })).await;
        assert_eq!(created.status, 201, "{e}: {created:?}");
        let token = created.json["token"].as_str().unwrap();
        assert!(token.starts_with("dvt_"));
        let integration = anna.with_token(token);
        assert_eq!(
            integration.get("/api/me").await.json["credential"],
            "api",
            "{e}"
        );
        // The chairman may read the members, but this token may not.
        assert_eq!(
            anna.get("/api/communities/house-1/members").await.status,
            200,
            "{e}"
        );
        assert_eq!(
            integration
                .get("/api/communities/house-1/members")
                .await
                .status,
            403,
            "{e}"
        );
        // The plugin it was made for, yes; tokens cannot mint tokens or list sessions.
        assert_eq!(
            integration.get("/api/c/house-1/p/hello/greet").await.status,
            200,
            "{e}"
        );
        assert_eq!(
            integration
                .post(
                    "/api/me/tokens",
                    json!({ "name": "x", "scopes": ["profile"] })
                )
                .await
                .status,
            403,
            "{e}"
        );
        assert_eq!(integration.get("/api/me/sessions").await.status, 403, "{e}");

        let listed = anna.get("/api/me/tokens").await;
        assert_eq!(listed.json[0]["name"], "Платёжный агент");
        assert!(
            !listed.text.contains(token),
            "{e}: the token is shown only once"
        );
        let id = created.json["info"]["id"].as_str().unwrap();
        assert_eq!(
            anna.delete(&format!("/api/me/tokens/{id}"), None)
                .await
                .status,
            204
        );
        assert_eq!(integration.get("/api/me").await.status, 401, "{e}");
    }
}

#[tokio::test]
async fn plugins_see_the_signed_in_caller_and_a_dead_token_never_reaches_them() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let anna = served.sign_in(ANNA, "Анна", "Петрова").await;
        let note = anna
            .post(
                "/api/c/house-1/p/hello/notes",
                json!({ "text": "Лифт починили" }),
            )
            .await;
        assert_eq!(note.status, 201, "{e}: {note:?}");
        assert_eq!(note.json["data"]["author_name"], "Анна Петрова", "{e}");
        assert_eq!(
            note.json["data"]["author"],
            anna.person.clone().unwrap().as_str()
        );
        let anonymous = served
            .client()
            .post("/api/c/house-1/p/hello/notes", json!({ "text": "Кто-то" }))
            .await;
        assert_eq!(
            anonymous.json["data"]["author"],
            serde_json::Value::Null,
            "{e}"
        );
        let dead = served
            .client()
            .with_token("dvs_nothing")
            .post("/api/c/house-1/p/hello/notes", json!({ "text": "x" }))
            .await;
        assert_eq!(dead.status, 401, "{e}");
        let count = served
            .client()
            .get("/api/c/house-1/p/hello/notes/count")
            .await;
        assert_eq!(
            count.json["count"], 2,
            "{e}: the refused call wrote nothing"
        );
    }
}

#[tokio::test]
async fn a_person_downloads_their_data_and_deletes_their_account() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let anna = served.sign_in(ANNA, "Анна", "Петрова").await;
        let id = anna.person.clone().unwrap();
        served.grant(&id, "resident", Some("house-1"), None).await;
        anna.post(
            "/api/c/house-1/p/hello/notes",
            json!({ "text": "Моя заметка" }),
        )
        .await;
        anna.patch("/api/me", json!({ "email": "anna@example.org" }))
            .await;

        let export = anna.get("/api/me/export").await;
        assert_eq!(export.status, 200, "{e}");
        assert!(
            export
                .headers
                .get("content-disposition")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("attachment")
        );
        let data = &export.json;
        assert_eq!(data["person"]["phone"], ANNA, "{e}");
        assert_eq!(data["person"]["email"], "anna@example.org", "{e}");
        assert_eq!(data["roles"][0]["role"], "resident", "{e}");
        assert!(!data["sign_ins"].as_array().unwrap().is_empty());
        let records = data["plugin_records"].as_array().unwrap();
        assert!(
            records
                .iter()
                .any(|r| r["plugin"] == "hello" && r["data"]["text"] == "Моя заметка"),
            "{e}: {records:?}"
        );
        assert!(
            data["audit_log"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["action"] == "role.granted"),
            "{e}"
        );

        let unconfirmed = anna.delete("/api/me", Some(json!({}))).await;
        assert_eq!(
            (unconfirmed.status, unconfirmed.field()),
            (400, Some("confirm")),
            "{e}"
        );
        assert_eq!(
            anna.delete("/api/me", Some(json!({ "confirm": true })))
                .await
                .status,
            204,
            "{e}"
        );
        assert_eq!(anna.get("/api/me").await.status, 401, "{e}");

        let admin = served
            .sign_in(common::server::ADMIN_PHONE, "Админ", "Админов")
            .await;
        assert_eq!(
            admin.get(&format!("/api/people/{id}")).await.status,
            404,
            "{e}"
        );
        let members = admin.get("/api/communities/house-1/members").await;
        assert!(!members.text.contains("Петрова"), "{e}: {members:?}");
        // The phone is free again: signing up makes a new person.
        let again: Client = served.sign_in(ANNA, "Анна", "Петрова").await;
        assert_ne!(again.person.as_deref(), Some(id.as_str()), "{e}");
        // What the law keeps (the audit log) keeps only the id.
        let audit = admin.get(&format!("/api/audit?person={id}")).await;
        assert!(
            audit.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["action"] == "person.deleted"),
            "{e}"
        );
        assert!(!audit.text.contains(ANNA), "{e}");
    }
}

#[tokio::test]
async fn profile_changes_are_checked_field_by_field() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let anna = served.sign_in(ANNA, "Анна", "Петрова").await;
        let bad_email = anna
            .patch("/api/me", json!({ "email": "not-an-email" }))
            .await;
        assert_eq!(
            (bad_email.status, bad_email.field()),
            (422, Some("email")),
            "{e}"
        );
        let no_email = anna
            .patch("/api/me", json!({ "email_enabled": true }))
            .await;
        assert_eq!(no_email.field(), Some("email_enabled"), "{e}");
        let bad_name = anna.patch("/api/me", json!({ "family_name": "" })).await;
        assert_eq!(bad_name.field(), Some("family_name"), "{e}");
        let locale = anna.patch("/api/me", json!({ "locale": "de" })).await;
        assert_eq!(locale.field(), Some("locale"), "{e}");
        let ok = anna.patch("/api/me", json!({ "family_name": "Сидорова", "email": "a@example.org", "email_enabled": true, "sms_enabled": true })).await;
        assert_eq!(ok.status, 200, "{e}: {ok:?}");
        assert_eq!(ok.json["display_name"], "Анна Сидорова");
        assert_eq!(ok.json["email_enabled"], true);
        let not_mine = anna
            .put("/api/me/address", json!({ "community": "house-2" }))
            .await;
        assert_eq!(
            (not_mine.status, not_mine.field()),
            (422, Some("community")),
            "{e}"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_host_route() {
    let served = common::server::serve_all("").await.remove(0);
    let doc = served.client().get("/api/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc.json["paths"].as_object().unwrap();
    for path in [
        "/api/auth/code",
        "/api/auth/code/verify",
        "/api/auth/signout",
        "/api/me",
        "/api/me/tokens",
        "/api/me/export",
        "/api/communities/{community}/members",
        "/api/roles",
        "/api/audit",
        "/api/openapi.json",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} is missing from the OpenAPI document"
        );
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    assert!(doc.json["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc.json["components"]["securitySchemes"]["bearer"].is_object());
}

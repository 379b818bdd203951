//! Forms against cross-site request forgery, on both engines, as a browser posts them: every
//! form the host draws carries the session's token (or, before signing in, a pre-session's),
//! a post without it changes nothing, a write from another site is refused whatever it
//! carries, and an API write signed in by the session cookie must show it comes from here.

use crate::common;

use common::server::{Answer, Client, Served};

const FORM: &str = "application/x-www-form-urlencoded";

/// The form token in a page.
fn token_in(page: &Answer) -> String {
    let marker = "name=\"dvor_csrf\" value=\"";
    let start = page
        .text
        .find(marker)
        .unwrap_or_else(|| panic!("no form token in the page: {}", page.text))
        + marker.len();
    let end = page.text[start..].find('"').unwrap() + start;
    page.text[start..end].to_owned()
}

/// The `name=value` of a cookie the answer set.
fn cookie_set(answer: &Answer, name: &str) -> Option<String> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .find(|pair| pair.starts_with(&format!("{name}=")))
}

/// A browser's GET with a cookie.
async fn get_with(client: &Client, path: &str, cookie: &str) -> Answer {
    client_without_token(client)
        .send_with(reqwest::Method::GET, path, None, &[("cookie", cookie)])
        .await
}

/// A browser's form post with a cookie and other headers.
async fn post_form(
    client: &Client,
    path: &str,
    pairs: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    client_without_token(client)
        .post_raw(path, FORM, &body, headers)
        .await
}

/// The same client, signed in by cookie only (as a browser is), not by a bearer token.
fn client_without_token(client: &Client) -> Client {
    let mut browser = client.clone();
    browser.token = None;
    browser
}

/// A person signed in, and their session cookie.
async fn signed_in(served: &Served, phone: &str) -> (Client, String) {
    let client = served.sign_in(phone, "Анна", "Петрова").await;
    let cookie = format!("dvor_session={}", client.token.as_deref().unwrap());
    (client, cookie)
}

#[tokio::test]
async fn the_sign_in_form_carries_a_token_and_a_post_without_it_sends_nothing() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let browser = served.client();
        let page = browser.get("/signin").await;
        assert_eq!(page.status, 200, "{e}");
        let presession = cookie_set(&page, "dvor_presession").expect("a pre-session cookie");
        let token = token_in(&page);
        let phone = [("phone", "+79991234567"), ("next", "/me")];

        let without = post_form(
            &browser,
            "/signin?action=send_code",
            &phone,
            &[("cookie", &presession)],
        )
        .await;
        assert_eq!(without.status, 403, "{e}: {without:?}");
        assert!(
            without.text.contains("Форма устарела"),
            "{e}: {}",
            without.text
        );
        let with_token = [phone[0], phone[1], ("dvor_csrf", &token)];
        let no_cookie = post_form(&browser, "/signin?action=send_code", &with_token, &[]).await;
        assert_eq!(no_cookie.status, 403, "{e}: a token without its cookie");
        let other = browser.get("/signin").await;
        let other_cookie = cookie_set(&other, "dvor_presession").unwrap();
        let crossed = post_form(
            &browser,
            "/signin?action=send_code",
            &with_token,
            &[("cookie", &other_cookie)],
        )
        .await;
        assert_eq!(crossed.status, 403, "{e}: another visitor's token");
        assert!(
            served.sms.to("+79991234567").is_empty(),
            "{e}: no code was sent"
        );

        let sent = post_form(
            &browser,
            "/signin?action=send_code",
            &with_token,
            &[("cookie", &presession)],
        )
        .await;
        assert_eq!(sent.status, 200, "{e}: {}", sent.text);
        assert_eq!(served.sms.to("+79991234567").len(), 1, "{e}");
        // The code step's form carries the same visitor's token.
        assert_eq!(token_in(&sent), token, "{e}");
    }
}

#[tokio::test]
async fn a_signed_in_form_needs_the_token_of_its_own_session() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let (anna, cookie) = signed_in(&served, "+79991234567").await;
        let page = get_with(&anna, "/me", &cookie).await;
        assert_eq!(page.status, 200, "{e}");
        let token = token_in(&page);
        let rename = |token: &'static str| {
            vec![
                ("given_name", "Анна"),
                ("family_name", token),
                ("email", ""),
                ("locale", "ru"),
            ]
        };

        let mut forged: Vec<(&str, &str)> = rename("Подделкина");
        let forged_post = post_form(
            &anna,
            "/me?action=save_profile",
            &forged,
            &[("cookie", &cookie)],
        )
        .await;
        assert_eq!(forged_post.status, 403, "{e}: {forged_post:?}");
        // A token of another session of hers does not do either.
        let (_, other_cookie) = signed_in(&served, "+79991234567").await;
        let other_page = get_with(&anna, "/me", &other_cookie).await;
        let other_token = token_in(&other_page);
        assert_ne!(other_token, token, "{e}: a token per session");
        forged.push(("dvor_csrf", &other_token));
        let crossed = post_form(
            &anna,
            "/me?action=save_profile",
            &forged,
            &[("cookie", &cookie)],
        )
        .await;
        assert_eq!(crossed.status, 403, "{e}");
        assert_eq!(
            anna.get("/api/me").await.json["person"]["family_name"],
            "Петрова",
            "{e}: nothing changed"
        );

        let mut honest: Vec<(&str, &str)> = rename("Сидорова");
        honest.push(("dvor_csrf", &token));
        let saved = post_form(
            &anna,
            "/me?action=save_profile",
            &honest,
            &[("cookie", &cookie)],
        )
        .await;
        assert_eq!(saved.status, 303, "{e}: {}", saved.text);
        assert_eq!(
            anna.get("/api/me").await.json["person"]["family_name"],
            "Сидорова",
            "{e}"
        );
    }
}

#[tokio::test]
async fn a_write_from_another_site_is_refused_whatever_it_carries() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let (anna, cookie) = signed_in(&served, "+79991234567").await;
        let token = token_in(&get_with(&anna, "/me", &cookie).await);
        let pairs = [
            ("given_name", "Анна"),
            ("family_name", "Взломанная"),
            ("email", ""),
            ("locale", "ru"),
            ("dvor_csrf", token.as_str()),
        ];
        for (header, value) in [
            ("origin", "https://evil.example"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
        ] {
            let refused = post_form(
                &anna,
                "/me?action=save_profile",
                &pairs,
                &[("cookie", &cookie), (header, value)],
            )
            .await;
            assert_eq!(
                (refused.status, refused.json["error"]["code"].as_str()),
                (403, Some("cross-site")),
                "{e}: {header}: {value}"
            );
        }
        // Even with a bearer token, which a browser would not add by itself.
        let api = anna
            .post_raw(
                "/api/me/tokens",
                "application/json",
                r#"{"name": "Касса", "scopes": ["profile"]}"#,
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(api.status, 403, "{e}: {api:?}");
        assert_eq!(
            anna.get("/api/me").await.json["person"]["family_name"],
            "Петрова",
            "{e}: nothing changed"
        );
        // The instance's own page, as Chromium posts it.
        let ours = post_form(
            &anna,
            "/me?action=save_profile",
            &pairs,
            &[
                ("cookie", &cookie),
                ("origin", &served.base),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
        assert_eq!(ours.status, 303, "{e}: {}", ours.text);
    }
}

#[tokio::test]
async fn an_api_write_signed_in_by_the_cookie_must_show_it_comes_from_here() {
    for served in common::server::serve_all("").await {
        let e = served.engine;
        let (anna, cookie) = signed_in(&served, "+79991234567").await;
        let browser = client_without_token(&anna);
        let body = r#"{"name": "Касса", "scopes": ["profile"]}"#;
        let make = |headers: Vec<(&'static str, String)>| {
            let browser = browser.clone();
            let cookie = cookie.clone();
            async move {
                let mut all: Vec<(&str, &str)> = vec![("cookie", cookie.as_str())];
                all.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
                browser
                    .post_raw("/api/me/tokens", "application/json", body, &all)
                    .await
            }
        };
        let bare = make(vec![]).await;
        assert_eq!(
            (bare.status, bare.json["error"]["code"].as_str()),
            (403, Some("cross-site")),
            "{e}: {bare:?}"
        );
        assert_eq!(
            browser
                .send_with(
                    reqwest::Method::GET,
                    "/api/me",
                    None,
                    &[("cookie", &cookie)]
                )
                .await
                .status,
            200,
            "{e}: reading by cookie is not a write"
        );
        let with_origin = make(vec![("origin", served.base.clone())]).await;
        assert_eq!(with_origin.status, 201, "{e}: {with_origin:?}");
        let fetched = make(vec![("sec-fetch-site", "same-origin".to_owned())]).await;
        assert_eq!(fetched.status, 201, "{e}: {fetched:?}");
        // A bearer token is not something another site can make a browser send.
        let bearer = anna
            .post(
                "/api/me/tokens",
                serde_json::json!({ "name": "Касса", "scopes": ["profile"] }),
            )
            .await;
        assert_eq!(bearer.status, 201, "{e}: {bearer:?}");
    }
}

//! Signing in through OpenID Connect against a real provider — `tests/fixtures/idp.mjs`, built
//! on the `oidc-provider` package — over the real server, on both engines. A reqwest client
//! that follows no redirects by itself plays the browser: it carries each site's cookies by
//! hand across the provider's hops and back to our callback.

use crate::common;

use common::node::NodeFixture;
use common::server::{Served, identity_config, sms_gateway};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, Query};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The client secret registered with the provider (given to dvor through the environment, as
/// an operator would).
const SECRET: &str = "s3cret-for-tests";

/// The provider, killed when this is dropped.
struct Idp {
    fixture: NodeFixture,
    /// `http://127.0.0.1:port`.
    issuer: String,
}

impl Idp {
    /// Start the provider for a client redirecting to `redirect_uri`; wait until it listens.
    async fn start(redirect_uri: &str) -> Idp {
        let (fixture, issuer) = NodeFixture::start(
            "idp.mjs",
            &["0", redirect_uri],
            &[("IDP_CLIENT_SECRET", SECRET)],
            &["oidc-provider"],
            |_| false,
        )
        .await;
        Idp { fixture, issuer }
    }

    /// What the provider printed.
    fn log(&self) -> String {
        self.fixture.log()
    }
}

/// A served instance signing in through the provider.
struct Setup {
    served: Served,
    idp: Idp,
}

impl Setup {
    /// Bind our listener (to know the redirect URI), start the provider, then dvor on it.
    async fn new(engine: &'static str, db: dvor::storage::Database) -> Setup {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let idp = Idp::start(&format!("{base}/api/auth/oidc/esia/callback")).await;
        let (sms_url, sms) = sms_gateway().await;
        let oidc = common::server::oidc_provider_config(&idp.issuer);
        let text = common::config_text(&identity_config(&sms_url, &oidc));
        let env = [
            ("DVOR_STORAGE__DATABASE_URL", "sqlite://unused.db"),
            ("DVOR_INSTANCE__PUBLIC_URL", base.as_str()),
            ("DVOR_IDENTITY__OIDC__ESIA__CLIENT_SECRET", SECRET),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let config = dvor::config::Config::from_str_with_env(&text, "test.toml", env)
            .expect("the test config parses");
        Setup {
            served: common::server::serve_config(engine, db, config, listener, sms).await,
            idp,
        }
    }

    fn callback_prefix(&self) -> String {
        format!("{}/api/auth/oidc/esia/callback?", self.served.base)
    }

    /// Start a sign-in in `browser` and follow the provider until it sends the browser back to
    /// our callback (not followed); `hint` picks the provider's account.
    async fn to_callback(
        &self,
        browser: &mut Browser,
        return_to: &str,
        hint: Option<&str>,
    ) -> String {
        let e = self.served.engine;
        let start = browser
            .get(&format!(
                "{}/api/auth/oidc/esia/start?return_to={}",
                self.served.base,
                url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
            ))
            .await;
        assert_eq!(start.status, 302, "{e}: {}", start.text);
        let mut url = start.location.expect("a Location");
        assert!(
            url.starts_with(&format!("{}/auth?", self.idp.issuer)),
            "{e}: {url}"
        );
        for part in [
            "code_challenge_method=S256",
            "client_id=dvor",
            "response_type=code",
        ] {
            assert!(url.contains(part), "{e}: {url} lacks {part}");
        }
        if let Some(hint) = hint {
            url.push_str(&format!("&login_hint={hint}"));
        }
        for _ in 0..20 {
            if url.starts_with(&self.callback_prefix()) {
                return url;
            }
            let page = browser.get(&url).await;
            assert!(
                matches!(page.status, 302 | 303),
                "{e}: {url} answered {}: {}\nprovider log:\n{}",
                page.status,
                page.text,
                self.idp.log()
            );
            url = page.location.expect("a Location");
        }
        panic!("{e}: the provider never sent the browser back");
    }

    /// How many rows of `table` have `column` = `value`.
    async fn count(&self, table: &str, column: &str, value: &str) -> i64 {
        let db = self.served.runtime.shared().db.connection();
        let query = Query::select()
            .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("n"))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new(column)).eq(value))
            .to_owned();
        let row = db
            .query_one(db.get_database_backend().build(&query))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// What a browser sees of one response.
#[derive(Debug)]
struct Page {
    status: u16,
    /// The `Location`, made absolute.
    location: Option<String>,
    set_cookies: Vec<String>,
    json: Value,
    text: String,
}

impl Page {
    /// The value of a cookie this response set.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_owned())
        })
    }
}

/// A browser: no automatic redirects, a cookie jar per host and port.
struct Browser {
    http: reqwest::Client,
    jars: HashMap<String, BTreeMap<String, String>>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jars: HashMap::new(),
        }
    }

    fn site(url: &url::Url) -> String {
        format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        )
    }

    async fn get(&mut self, url: &str) -> Page {
        let parsed = url::Url::parse(url).unwrap();
        let site = Browser::site(&parsed);
        let mut request = self.http.get(url);
        if let Some(jar) = self.jars.get(&site).filter(|jar| !jar.is_empty()) {
            let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(reqwest::header::COOKIE, cookies.join("; "));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| parsed.join(v.to_str().unwrap()).unwrap().to_string());
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let jar = self.jars.entry(site).or_default();
        for cookie in &set_cookies {
            let mut parts = cookie.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let expired = parts
                .map(|a| a.trim().to_ascii_lowercase())
                .any(|a| a == "max-age=0" || (a.starts_with("expires=") && a.contains("1970")));
            if value.trim().is_empty() || expired {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        let text = response.text().await.unwrap();
        Page {
            status,
            location,
            set_cookies,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }
}

/// The callback URL with another state.
fn with_state(callback: &str, state: &str) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                state.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.into()
}

fn state_of(callback: &str) -> String {
    url::Url::parse(callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state")
}

/// `GET /api/me` with the session cookie.
async fn me(served: &Served, session: &str) -> Value {
    let answer = reqwest::Client::new()
        .get(format!("{}/api/me", served.base))
        .header(reqwest::header::COOKIE, format!("dvor_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", served.engine);
    answer.json().await.unwrap()
}

#[tokio::test]
async fn a_person_signs_in_through_the_provider_once_per_state_and_again_as_the_same_person() {
    for (engine, db) in common::databases().await {
        let setup = Setup::new(engine, db).await;
        let served = &setup.served;
        let e = engine;
        let mut browser = Browser::new();

        let callback = setup.to_callback(&mut browser, "/c/house-1", None).await;

        // A state we never made is refused, and does not spend the real one.
        let real = state_of(&callback);
        let tampered = browser
            .get(&with_state(&callback, &format!("{real}x")))
            .await;
        assert_eq!(tampered.status, 400, "{e}: {tampered:?}");
        assert_eq!(tampered.json["error"]["field"], "state", "{e}");
        assert!(tampered.cookie("dvor_session").is_none(), "{e}");

        // The real callback signs in and goes back where the sign-in began.
        let signed = browser.get(&callback).await;
        assert_eq!(signed.status, 302, "{e}: {signed:?}\n{}", setup.idp.log());
        assert_eq!(
            signed.location.as_deref(),
            Some(format!("{}/c/house-1", served.base).as_str()),
            "{e}"
        );
        let session = signed.cookie("dvor_session").expect("a session cookie");
        let header = signed
            .set_cookies
            .iter()
            .find(|c| c.starts_with("dvor_session="))
            .unwrap();
        assert!(
            header.contains("HttpOnly") && header.contains("SameSite=Lax"),
            "{e}: {header}"
        );

        // The same callback again is refused: a state is spent once.
        let replayed = browser.get(&callback).await;
        assert_eq!(replayed.status, 400, "{e}: {replayed:?}");
        assert_eq!(replayed.json["error"]["field"], "state", "{e}");
        let message = replayed.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(" / ") && message.starts_with("Вход"),
            "{e}: {message}"
        );

        let first = me(served, &session).await;
        let person = &first["person"];
        assert_eq!(person["given_name"], "Анна", "{e}: {first}");
        assert_eq!(person["family_name"], "Смирнова", "{e}");
        assert_eq!(person["display_name"], "Анна Смирнова", "{e}");
        assert_eq!(person["phone"], "+79990001122", "{e}");
        assert_eq!(person["email"], "anna@example.org", "{e}");
        assert_eq!(first["credential"], "session", "{e}");
        let id = person["id"].as_str().unwrap().to_owned();

        // Again (the provider remembers the browser): the same person, and a return_to that
        // would leave the site is not followed.
        let callback = setup
            .to_callback(&mut browser, "//evil.example", None)
            .await;
        let again = browser.get(&callback).await;
        assert_eq!(again.status, 302, "{e}: {again:?}");
        assert_eq!(
            again.location.as_deref(),
            Some(format!("{}/", served.base).as_str()),
            "{e}"
        );
        let second = me(served, &again.cookie("dvor_session").unwrap()).await;
        assert_eq!(second["person"]["id"], id.as_str(), "{e}");
        assert_eq!(
            setup.count("people", "phone", "+79990001122").await,
            1,
            "{e}"
        );
        assert_eq!(
            setup.count("oidc_links", "subject", "esia-1001").await,
            1,
            "{e}"
        );
        assert_eq!(
            setup.count("oidc_logins", "provider", "esia").await,
            0,
            "{e}"
        );
        let audit_db = served.runtime.shared().db.connection();
        let query = Query::select()
            .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("n"))
            .from(Alias::new("audit_log"))
            .and_where(Expr::col(Alias::new("action")).eq("oidc.linked"))
            .and_where(Expr::col(Alias::new("person_id")).eq(id.as_str()))
            .to_owned();
        let linked = audit_db
            .query_one(audit_db.get_database_backend().build(&query))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(linked, 1, "{e}: one link, one audit entry");

        // Other dangerous return_to values end at home too.
        for bad in ["https://evil.example/", "/\\evil.example"] {
            let callback = setup.to_callback(&mut browser, bad, None).await;
            let page = browser.get(&callback).await;
            assert_eq!(page.status, 302, "{e}: {page:?}");
            assert_eq!(
                page.location.as_deref(),
                Some(format!("{}/", served.base).as_str()),
                "{e}: {bad}"
            );
        }
    }
}

#[tokio::test]
async fn a_verified_phone_links_a_known_person_and_a_nameless_account_is_refused() {
    for (engine, db) in common::databases().await {
        let setup = Setup::new(engine, db).await;
        let served = &setup.served;
        let e = engine;
        let client = served.client();

        // The providers are listed; an unknown one is 404 naming `provider`.
        let listed = client.get("/api/auth/oidc").await;
        assert_eq!(listed.status, 200, "{e}: {listed:?}");
        assert_eq!(
            listed.json,
            serde_json::json!([{ "id": "esia", "name_ru": "Госуслуги", "name_en": "Gosuslugi" }]),
            "{e}"
        );
        for path in [
            "/api/auth/oidc/vk/start",
            "/api/auth/oidc/vk/callback?code=1&state=2",
        ] {
            let unknown = client.get(path).await;
            assert_eq!(unknown.status, 404, "{e}: {unknown:?}");
            assert_eq!(unknown.field(), Some("provider"), "{e}");
        }
        let openapi = client.get("/api/openapi.json").await;
        for path in [
            "/api/auth/oidc",
            "/api/auth/oidc/{provider}/start",
            "/api/auth/oidc/{provider}/callback",
        ] {
            assert!(
                openapi.json["paths"][path]["get"].is_object(),
                "{e}: {path} is not documented"
            );
        }

        // Пётр signed up by phone; his provider account with that (verified) phone is linked
        // to him.
        let petr = served.sign_in("+79990003344", "Пётр", "Иванов").await;
        let mut browser = Browser::new();
        let callback = setup
            .to_callback(&mut browser, "/", Some("esia-3003"))
            .await;
        let signed = browser.get(&callback).await;
        assert_eq!(signed.status, 302, "{e}: {signed:?}");
        let mine = me(served, &signed.cookie("dvor_session").unwrap()).await;
        assert_eq!(
            mine["person"]["id"].as_str(),
            petr.person.as_deref(),
            "{e}: {mine}"
        );
        assert_eq!(
            setup.count("people", "phone", "+79990003344").await,
            1,
            "{e}"
        );
        assert_eq!(
            setup
                .count("oidc_links", "person_id", petr.person.as_deref().unwrap())
                .await,
            1,
            "{e}"
        );

        // An account without names cannot make a person: the error names `given_name`.
        let mut browser = Browser::new();
        let callback = setup
            .to_callback(&mut browser, "/", Some("esia-2002"))
            .await;
        let refused = browser.get(&callback).await;
        assert_eq!(refused.status, 400, "{e}: {refused:?}");
        assert_eq!(refused.json["error"]["field"], "given_name", "{e}");
        let message = refused.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("given_name") && message.contains(" / "),
            "{e}: {message}"
        );
        assert!(refused.cookie("dvor_session").is_none(), "{e}");
        assert_eq!(
            setup.count("oidc_links", "subject", "esia-2002").await,
            0,
            "{e}"
        );
        assert_eq!(
            setup.count("people", "phone", "+79990002233").await,
            0,
            "{e}"
        );
        // Its state is spent all the same.
        let replayed = browser.get(&callback).await;
        assert_eq!(
            replayed.json["error"]["field"], "state",
            "{e}: {replayed:?}"
        );

        // A provider's refusal is answered in the API's error shape.
        let mut browser = Browser::new();
        let start = browser
            .get(&format!("{}/api/auth/oidc/esia/start", served.base))
            .await;
        let state = url::Url::parse(start.location.as_deref().unwrap())
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let denied = browser
            .get(&format!(
                "{}state={state}&error=access_denied&error_description=cancelled",
                setup.callback_prefix()
            ))
            .await;
        assert_eq!(denied.status, 403, "{e}: {denied:?}");
        assert!(
            denied.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("access_denied"),
            "{e}: {denied:?}"
        );
    }
}

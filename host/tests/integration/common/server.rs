//! A served instance for identity tests: the real server on 127.0.0.1:0 with an SMS gateway
//! (a small HTTP server that keeps what it was sent, as an operator's gateway would receive
//! it), and people signed in through the real code flow.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// What the SMS gateway received: `(to, text)`.
#[derive(Clone, Default)]
pub struct SmsInbox(pub Arc<Mutex<Vec<(String, String)>>>);

impl SmsInbox {
    /// The last code sent to `phone` (normalised, `+7…`).
    pub fn last_code(&self, phone: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(to, _)| to == phone)
            .and_then(|(_, text)| {
                text.split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_owned)
            })
    }

    /// Every message sent to `phone`.
    pub fn to(&self, phone: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(to, _)| to == phone)
            .map(|(_, text)| text.clone())
            .collect()
    }
}

/// Start the SMS gateway; returns its URL and what it receives.
pub async fn sms_gateway() -> (String, SmsInbox) {
    let inbox = SmsInbox::default();
    let kept = inbox.clone();
    let read = inbox.clone();
    let app = axum::Router::new()
        .route(
            "/send",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                let kept = kept.clone();
                async move {
                    kept.0.lock().unwrap().push((
                        body["to"].as_str().unwrap_or_default().to_owned(),
                        body["text"].as_str().unwrap_or_default().to_owned(),
                    ));
                    axum::Json(json!({ "status": "queued" }))
                }
            }),
        )
        // The phone's screen, for a browser test: the last code a phone received.
        .route(
            "/last-code/{phone}",
            axum::routing::get(
                move |axum::extract::Path(phone): axum::extract::Path<String>| {
                    let read = read.clone();
                    async move {
                        match read.last_code(&phone) {
                            Some(code) => (axum::http::StatusCode::OK, code),
                            None => (axum::http::StatusCode::NOT_FOUND, String::new()),
                        }
                    }
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, inbox)
}

/// A running instance.
pub struct Served {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// What the SMS gateway received.
    pub sms: SmsInbox,
    /// The runtime (for direct database set-up).
    pub runtime: Arc<dvor::runtime::Runtime>,
    /// Which engine.
    pub engine: &'static str,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Config for identity tests: the SMS gateway, short cooldowns, an admin phone, and an
/// organization (a management company serving the town).
pub fn identity_config(sms_url: &str, extra: &str) -> String {
    format!(
        r#"
[identity]
admins = ["{ADMIN_PHONE}"]
[identity.sms]
gateway = "http"
url = "{sms_url}"
[identity.otp]
resend_cooldown_s = 0
sends_per_phone_per_hour = 100
sends_per_ip_per_hour = 1000

[[organizations]]
id = "uk-town"
name = "УК «Городская»"
kind = "management-company"
serves = ["house-1", "house-2"]

[[organizations]]
id = "admin-town"
name = "Администрация города"
kind = "government"
serves = ["town"]
{extra}
"#
    )
}

/// The config of the test OpenID Connect provider (`tests/fixtures/idp.mjs`) at `issuer`, as
/// `esia` with the "Госуслуги" button; its secret comes through the environment.
pub fn oidc_provider_config(issuer: &str) -> String {
    format!(
        r#"
[identity.oidc.esia]
issuer = "{issuer}"
client_id = "dvor"
name_ru = "Госуслуги"
name_en = "Gosuslugi"
scopes = ["openid", "profile", "phone", "email"]
"#
    )
}

/// The phone of the instance admin in [`identity_config`].
pub const ADMIN_PHONE: &str = "+79000000001";

/// One served instance per test database, with `extra` config (TOML appended after the
/// identity sections, so it may add keys to `[identity.otp]` only through the environment
/// or by not repeating tables).
pub async fn serve_all(extra: &str) -> Vec<Served> {
    let mut out = Vec::new();
    for (engine, db) in super::databases().await {
        out.push(serve_on(engine, db, extra).await);
    }
    out
}

/// A served instance on one database.
pub async fn serve_on(engine: &'static str, db: dvor::storage::Database, extra: &str) -> Served {
    let (sms_url, sms) = sms_gateway().await;
    let text = super::config_text(&identity_config(&sms_url, extra));
    let config = super::config_from_text(text, "sqlite://unused.db");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_config(engine, db, config, listener, sms).await
}

/// Start an instance of `config` on `db` and serve it on `listener` until the result drops.
pub async fn serve_config(
    engine: &'static str,
    db: dvor::storage::Database,
    config: dvor::config::Config,
    listener: tokio::net::TcpListener,
    sms: SmsInbox,
) -> Served {
    let instance = dvor::Instance::start_on(config, db)
        .await
        .expect("the test instance starts");
    let runtime = instance.runtime.clone();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(dvor::serve_instance(instance, listener, async move {
        let _ = stopped.await;
    }));
    Served {
        base,
        sms,
        runtime,
        engine,
        _stop: stop,
    }
}

/// The instance admin of the bundled `config/dvor.toml`.
pub const DEMO_ADMIN_PHONE: &str = "+79000000000";

/// The bundled `config/dvor.toml` served on `listener` as a newcomer runs it, with `appended`
/// written at its end and what an operator changes for this machine through the environment
/// (and `env` besides): the database, the address it is reached at, where plugins are, and an
/// SMS gateway that delivers codes. Returns the instance and the URL of the gateway's "phone
/// screen" (`GET {it}/{phone}` answers the last code the phone received).
pub async fn serve_demo(
    listener: tokio::net::TcpListener,
    appended: &str,
    env: &[(&str, &str)],
) -> (Served, String) {
    // Readings are taken every day of the month, so the test passes on any date.
    let mut env = env.to_vec();
    env.insert(
        0,
        (
            "DVOR_PLUGINS__HOUSING__SETTINGS__READING_WINDOW",
            "{ from_day = 1, to_day = 31 }",
        ),
    );
    serve_file(listener, "config/dvor.toml", appended, &env).await
}

/// The instance config `file` of the repository (`config/examples/snt.toml`) served on
/// `listener` as [`serve_demo`] serves the bundled one.
pub async fn serve_file(
    listener: tokio::net::TcpListener,
    file: &str,
    appended: &str,
    env: &[(&str, &str)],
) -> (Served, String) {
    let (sms_url, sms) = sms_gateway().await;
    let base = format!("http://{}", listener.local_addr().unwrap());
    let scratch = super::scratch_dir();
    let mut overrides: Vec<(String, String)> = [
        ("DVOR_INSTANCE__PUBLIC_URL", base.as_str()),
        ("DVOR_STORAGE__DATA_DIR", &scratch.display().to_string()),
        (
            "DVOR_RUNTIME__PLUGIN_DIR",
            &super::plugin_dir().display().to_string(),
        ),
        (
            "DVOR_RUNTIME__CACHE_DIR",
            &scratch.join("cache").display().to_string(),
        ),
        // The jobs are run by the test when it needs them, not by the clock.
        ("DVOR_SCHEDULER__ENABLED", "false"),
        ("DVOR_IDENTITY__SMS__GATEWAY", "http"),
        ("DVOR_IDENTITY__SMS__URL", &sms_url),
        ("DVOR_IDENTITY__OTP__RESEND_COOLDOWN_S", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    // The demo's map tiles, by a path that does not depend on where the test runs.
    overrides.push((
        "DVOR_MAPS__TILES".to_owned(),
        root.join("config/demo-town.pmtiles").display().to_string(),
    ));
    overrides.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let mut text = std::fs::read_to_string(root.join(file)).unwrap();
    text.push_str(appended);
    let config = dvor::config::Config::from_str_with_env(&text, file, overrides)
        .expect("the config parses with the test's overrides");
    let (engine, db) = super::databases().await.remove(0);
    let codes = format!("{}/last-code", sms_url.trim_end_matches("/send"));
    (serve_config(engine, db, config, listener, sms).await, codes)
}

/// An HTTP client, signed in or not.
#[derive(Clone)]
pub struct Client {
    /// The instance's base URL.
    pub base: String,
    /// The bearer token, if signed in.
    pub token: Option<String>,
    /// The person's id, if signed in.
    pub person: Option<String>,
    http: reqwest::Client,
}

/// A response: status and JSON (null if the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The body as JSON.
    pub json: Value,
    /// The body as text.
    pub text: String,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// Read a response whole.
    pub async fn of(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        Answer {
            status,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            headers,
        }
    }

    /// The error's field, if the body is an error.
    pub fn field(&self) -> Option<&str> {
        self.json["error"]["field"].as_str()
    }
}

impl Served {
    /// The kinds of the events plugin `source` emitted, oldest first.
    pub async fn event_kinds(&self, source: &str) -> Vec<String> {
        use sea_orm::sea_query::{Alias, Expr, Order, Query};
        use sea_orm::{ConnectionTrait, FromQueryResult};
        #[derive(FromQueryResult)]
        struct Row {
            kind: String,
        }
        let db = self.runtime.shared().db.connection();
        let select = Query::select()
            .column(Alias::new("kind"))
            .from(Alias::new("events"))
            .and_where(Expr::col(Alias::new("source")).eq(source))
            .order_by(Alias::new("occurred"), Order::Asc)
            .to_owned();
        Row::find_by_statement(db.get_database_backend().build(&select))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.kind)
            .collect()
    }

    /// A signed-out client.
    pub fn client(&self) -> Client {
        Client::signed_out(&self.base)
    }

    /// Sign up (or in) through the code flow.
    pub async fn sign_in(&self, phone: &str, given: &str, family: &str) -> Client {
        Client::sign_in_at(&self.base, &self.sms, phone, given, family, self.engine).await
    }

    /// Make `person` the verified sole owner of unit `unit_id` (`house-1/12`) directly in the
    /// database (set-up, not a test of ownership).
    pub async fn own(&self, person: &str, unit_id: &str) {
        use dvor::identity::membership::{OwnershipChange, set_ownership, unit};
        let db = self.runtime.shared().db.connection();
        let unit = unit(db, unit_id).await.unwrap().expect("the unit exists");
        set_ownership(
            db,
            None,
            OwnershipChange {
                person,
                unit: &unit,
                share: (1, 1),
                verified: true,
                source: "manager",
            },
            dvor::identity::now_ms(),
        )
        .await
        .unwrap();
    }

    /// Grant a role directly in the database, as the instance itself (set-up, not a test of
    /// granting).
    pub async fn grant(
        &self,
        person: &str,
        role: &str,
        community: Option<&str>,
        organization: Option<&str>,
    ) {
        use dvor::identity::membership::{Place, grant};
        let place = match organization {
            Some(org) => Place::Organization(org),
            None => Place::Community(community),
        };
        grant(
            self.runtime.shared().db.connection(),
            None,
            person,
            role,
            place,
            dvor::identity::now_ms(),
        )
        .await
        .unwrap();
    }
}

impl Client {
    /// A signed-out client of the instance at `base` (a host, or the balancer in front of
    /// several).
    pub fn signed_out(base: &str) -> Client {
        Client {
            base: base.to_owned(),
            token: None,
            person: None,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// Sign up (or in) at `base` through the code flow, the code read from `sms`; `what`
    /// names the instance in failures.
    pub async fn sign_in_at(
        base: &str,
        sms: &SmsInbox,
        phone: &str,
        given: &str,
        family: &str,
        what: &str,
    ) -> Client {
        let mut client = Client::signed_out(base);
        let sent = client
            .post("/api/auth/code", json!({ "phone": phone }))
            .await;
        assert_eq!(sent.status, 200, "{what}: {sent:?}");
        let code = sms.last_code(phone).expect("a code was sent");
        let signed = client
            .post(
                "/api/auth/code/verify",
                json!({ "phone": phone, "code": code, "given_name": given, "family_name": family }),
            )
            .await;
        assert_eq!(signed.status, 200, "{what}: {signed:?}");
        client.token = Some(signed.json["token"].as_str().unwrap().to_owned());
        client.person = Some(signed.json["person"]["id"].as_str().unwrap().to_owned());
        client
    }

    /// A request with this client's token.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        self.send_with(method, path, body, &[]).await
    }

    /// A request with this client's token and extra headers (a cookie, an `Origin`).
    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Answer::of(request.send().await.unwrap()).await
    }

    /// The person's notifications, newest first, each as its Russian title and text.
    pub async fn inbox_texts(&self) -> Vec<String> {
        let inbox = self.get("/api/me/notifications").await;
        inbox.json["items"]
            .as_array()
            .expect("the inbox is a list")
            .iter()
            .map(|n| {
                format!(
                    "{} {}",
                    n["title_ru"].as_str().unwrap_or(""),
                    n["body_ru"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// POST JSON.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// PUT JSON.
    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// PATCH JSON.
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// DELETE, with an optional JSON body.
    pub async fn delete(&self, path: &str, body: Option<Value>) -> Answer {
        self.send(reqwest::Method::DELETE, path, body).await
    }

    /// POST a body of any content type (a CSV file, a signed webhook), with extra headers.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        Answer::of(request.send().await.unwrap()).await
    }

    /// POST a body of any content type.
    pub async fn post_body(&self, path: &str, content_type: &str, body: &str) -> Answer {
        self.post_raw(path, content_type, body, &[]).await
    }

    /// The same client with another token.
    pub fn with_token(&self, token: &str) -> Client {
        let mut other = self.clone();
        other.token = Some(token.to_owned());
        other
    }
}

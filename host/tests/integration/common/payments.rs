//! A fake payment provider on 127.0.0.1:0, as an operator connects a real one to `housing`:
//! its API creates a payment (`POST /payments`, bearer key) and answers the page to send the
//! payer to; that page has a «Оплатить» button; paying there sends the signed notification to
//! the instance (`notify_url`) and the payer back (`return_url`). A test can deliver a
//! notification again, as providers retry.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// A payment the provider was asked to create.
#[derive(Clone, Debug)]
pub struct Created {
    /// The provider's id.
    pub id: String,
    /// What the instance sent.
    pub request: Value,
    /// The notification body sent when it was paid, if it was.
    pub notified: Option<String>,
}

#[derive(Clone)]
struct Shared {
    api_key: String,
    webhook_secret: String,
    base: String,
    payments: Arc<Mutex<Vec<Created>>>,
    http: reqwest::Client,
}

/// The running provider.
pub struct FakeProvider {
    /// `http://127.0.0.1:port`, its API and pages.
    pub url: String,
    /// `127.0.0.1:port`, to grant in `outbound_hosts`.
    pub host: String,
    shared: Shared,
}

impl FakeProvider {
    /// Start it: it takes `api_key` on its API and signs notifications with `webhook_secret`.
    pub async fn start(api_key: &str, webhook_secret: &str) -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let shared = Shared {
            api_key: api_key.to_owned(),
            webhook_secret: webhook_secret.to_owned(),
            base: format!("http://{host}"),
            payments: Arc::default(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let app = axum::Router::new()
            .route("/payments", post(create))
            .route("/checkout/{id}", get(page).post(pay))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeProvider {
            url: shared.base.clone(),
            host,
            shared,
        }
    }

    /// The payments it was asked to create, oldest first.
    pub fn payments(&self) -> Vec<Created> {
        self.shared.payments.lock().unwrap().clone()
    }

    /// Deliver the notification of payment `id` again, as a provider retrying does; the
    /// instance's answer.
    pub async fn deliver_again(&self, id: &str) -> (u16, Value) {
        let created = self
            .payments()
            .into_iter()
            .find(|p| p.id == id)
            .expect("a payment with that id");
        let body = created.notified.expect("it was paid");
        notify(&self.shared, &created.request, body).await
    }
}

/// `POST /payments`: `{order, amount, description, return_url, notify_url, …}` → `{id, url}`.
async fn create(State(shared): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let expected = format!("Bearer {}", shared.api_key);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, "bad key").into_response();
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let mut payments = shared.payments.lock().unwrap();
    let id = format!("pay-{}", payments.len() + 1);
    payments.push(Created {
        id: id.clone(),
        request,
        notified: None,
    });
    (
        StatusCode::CREATED,
        axum::Json(json!({ "id": id, "url": format!("{}/checkout/{id}", shared.base) })),
    )
        .into_response()
}

fn find(shared: &Shared, id: &str) -> Option<Created> {
    shared
        .payments
        .lock()
        .unwrap()
        .iter()
        .find(|p| p.id == id)
        .cloned()
}

/// The payer's page: what is paid and a button.
async fn page(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(created) = find(&shared, &id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let kopecks = created.request["amount"].as_i64().unwrap_or(0);
    let description = created.request["description"].as_str().unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>Тестовый банк</title></head>\
         <body><main><h1>Тестовый банк</h1><p>{description}</p>\
         <p>К оплате: <strong>{},{:02} ₽</strong></p>\
         <form method=\"post\"><button type=\"submit\">Оплатить картой</button></form></main></body></html>",
        kopecks / 100,
        kopecks % 100
    ))
    .into_response()
}

/// The payer pays: the instance is notified (signed), the payer goes back.
async fn pay(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(created) = find(&shared, &id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let today = (chrono::Utc::now() + chrono::Duration::hours(3))
        .date_naive()
        .to_string();
    let body = json!({
        "id": created.id,
        "order": created.request["order"],
        "status": "succeeded",
        "account": created.request["account"],
        "amount": created.request["amount"],
        "date": today,
    })
    .to_string();
    if let Some(p) = shared
        .payments
        .lock()
        .unwrap()
        .iter_mut()
        .find(|p| p.id == id)
    {
        p.notified = Some(body.clone());
    }
    let (status, answer) = notify(&shared, &created.request, body).await;
    assert_eq!(status, 200, "the instance took the notification: {answer}");
    Redirect::to(created.request["return_url"].as_str().unwrap_or("/")).into_response()
}

/// The hex HMAC-SHA256 of `body` with `secret`, as payment providers sign notifications.
pub fn sign(secret: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Send a signed notification to the instance's `notify_url`.
async fn notify(shared: &Shared, request: &Value, body: String) -> (u16, Value) {
    let signature = sign(&shared.webhook_secret, &body);
    let answer = shared
        .http
        .post(request["notify_url"].as_str().expect("a notify_url"))
        .header("content-type", "application/json")
        .header("x-signature", format!("sha256={signature}"))
        .body(body)
        .send()
        .await
        .expect("the instance answers");
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

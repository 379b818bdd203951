//! The real server on 127.0.0.1:0: health, readiness, metrics, the plugin API and pages.

use crate::common;

async fn start() -> (String, tokio::sync::oneshot::Sender<()>) {
    let (_, db) = common::databases().await.remove(0);
    let instance = common::instance_on(db, "").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(dvor::serve_instance(instance, listener, async move {
        let _ = stopped.await;
    }));
    (base, stop)
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let (base, _stop) = start().await;
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    client
        .get(format!(
            "{base}/api/c/house-1/p/hello/greet?name=Ivan&lang=en"
        ))
        .send()
        .await
        .unwrap();
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("dvor_plugin_calls_total{plugin=\"hello\",outcome=\"ok\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("dvor_plugin_call_duration_seconds"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_plugin_api_answers_json_and_errors_name_the_field() {
    let (base, _stop) = start().await;
    let client = reqwest::Client::new();
    let greet = client
        .get(format!(
            "{base}/api/c/house-1/p/hello/greet?name=Ivan&lang=en"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(greet.status(), 200);
    let body: serde_json::Value = greet.json().await.unwrap();
    assert_eq!(body["greeting"], "Hello, Ivan!");

    let bad = client
        .post(format!("{base}/api/c/house-1/p/hello/notes"))
        .header("content-type", "application/json")
        .body(r#"{"text": ""}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["field"], "text");

    let missing = client
        .get(format!("{base}/api/c/house-2/p/chaos/ok"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404, "chaos is not enabled for house-2");

    let looping = client
        .get(format!("{base}/api/c/house-1/p/chaos/loop"))
        .send()
        .await
        .unwrap();
    assert_eq!(looping.status(), 504);
    let body: serde_json::Value = looping.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("chaos"));
    let ok = client
        .get(format!("{base}/api/c/house-1/p/chaos/ok"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "the host keeps serving");
}

#[tokio::test]
async fn plugin_pages_are_drawn_by_the_host_with_text_escaped() {
    let (base, _stop) = start().await;
    let client = reqwest::Client::new();
    client
        .post(format!("{base}/api/c/house-1/p/hello/notes"))
        .header("content-type", "application/json")
        .body(r#"{"text": "<script>alert(1)</script>"}"#)
        .send()
        .await
        .unwrap();
    let page = client
        .get(format!("{base}/c/house-1/p/hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        !html.contains("<script>alert(1)"),
        "no plugin script reaches the page"
    );

    let home = client
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Дом 1"), "{home}");
}

#[tokio::test]
async fn a_form_posts_to_the_plugin_and_shows_its_errors_next_to_the_field() {
    let (base, _stop) = start().await;
    // A browser: it keeps the pre-session cookie the page sets, and posts the form's token.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{base}/c/house-1/p/hello"))
        .send()
        .await
        .unwrap();
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("the page sets a pre-session cookie")
        .to_owned();
    let html = page.text().await.unwrap();
    let marker = "name=\"dvor_csrf\" value=\"";
    let start = html.find(marker).expect("the form carries its token") + marker.len();
    let token = html[start..start + html[start..].find('"').unwrap()].to_owned();
    let invalid = client
        .post(format!("{base}/c/house-1/p/hello?action=add-note"))
        .header("cookie", &cookie)
        .form(&[("text", ""), ("dvor_csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let html = invalid.text().await.unwrap();
    assert!(html.contains("aria-invalid=\"true\""), "{html}");

    let added = client
        .post(format!("{base}/c/house-1/p/hello?action=add-note"))
        .header("cookie", &cookie)
        .form(&[("text", "Полить клумбу"), ("dvor_csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 303);
    let page = client
        .get(format!("{base}/c/house-1/p/hello"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Полить клумбу"), "{page}");
}

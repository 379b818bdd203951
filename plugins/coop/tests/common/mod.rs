//! What the coop plugin's kit tests share: an SNT with four plots and a house in a town, the
//! gardeners who own the plots, the chairman who organizes, and small helpers for the API.

#![allow(dead_code)]

use dvor_testkit::{Answer, Person, Setup, TestHost, this_plugin};
use serde_json::{Value, json};

/// The people of the SNT.
pub struct Snt {
    pub host: TestHost,
    /// The chairman: runs the purchases and keeps the accounts; owns plot 4.
    pub chair: Person,
    /// Gardeners of plots 1, 2 and 3.
    pub a: Person,
    pub b: Person,
    pub c: Person,
}

/// The town, its SNT with plots 1–4, a house with flat 12, the people, the clock at
/// 2026-06-01 10:00 Moscow.
pub fn snt() -> Snt {
    snt_with(json!({}))
}

/// The same with the plugin's `settings`.
pub fn snt_with(settings: Value) -> Snt {
    let mut host = Setup::new()
        .plugin_with(this_plugin!(), json!({ "settings": settings }))
        .place("town", "Город", "settlement", None)
        .place("snt", "СНТ «Рябинка»", "snt", Some("town"))
        .place("house", "ул. Садовая, 1", "house", Some("town"))
        .unit("snt", "1", "plot", "600")
        .unit("snt", "2", "plot", "600")
        .unit("snt", "3", "plot", "600")
        .unit("snt", "4", "plot", "600")
        .unit("house", "12", "apartment", "54.3")
        .now("2026-06-01T10:00:00+03:00")
        .start();
    let chair = host
        .person("Ольга Председателева")
        .role("chairman", "snt")
        .role("snt-member", "snt")
        .owns("snt/4")
        .create();
    let a = host
        .person("Анна Первая")
        .role("snt-member", "snt")
        .owns("snt/1")
        .create();
    let b = host
        .person("Борис Второй")
        .role("snt-member", "snt")
        .owns("snt/2")
        .create();
    let c = host
        .person("Вера Третья")
        .role("snt-member", "snt")
        .owns("snt/3")
        .create();
    Snt {
        host,
        chair,
        a,
        b,
        c,
    }
}

impl Snt {
    /// The chairman opens a purchase of one article and starts taking orders; its id.
    pub fn open_purchase(&mut self, terms: Value, article: Value) -> String {
        let mut body = json!({
            "title": "Масло с маслобойни",
            "supplier": "ООО «Маслобойня»",
            "ends_on": "2026-06-05",
            "pickup_place": "Сторожка",
            "pickup_time": "суббота, 10:00",
            "box_fill_hours": 0,
        });
        for (k, v) in terms.as_object().unwrap() {
            body[k] = v.clone();
        }
        let chair = self.chair.clone();
        let made = self.host.at("snt").by(&chair).post("purchases", body);
        assert_eq!(made.status, 201, "{}", made.body);
        let id = made.json["id"].as_str().unwrap().to_owned();
        let added = self
            .host
            .at("snt")
            .by(&chair)
            .post(&format!("purchases/{id}/articles"), article);
        assert_eq!(added.status, 201, "{}", added.body);
        let started = self
            .host
            .at("snt")
            .by(&chair)
            .post(&format!("purchases/{id}/start"), json!({}));
        assert_eq!(started.status, 200, "{}", started.body);
        id
    }

    /// `who` orders `quantity` + `tolerance` of `article`; the answer.
    pub fn order(
        &mut self,
        who: &Person,
        id: &str,
        article: &str,
        quantity: i64,
        tolerance: i64,
    ) -> Answer {
        self.host.at("snt").by(who).post(
            &format!("purchases/{id}/orders"),
            json!({ "article": article, "quantity": quantity, "tolerance": tolerance }),
        )
    }

    /// The chairman takes a step of the purchase (`stop`, `settle`, …); the answer.
    pub fn step(&mut self, id: &str, step: &str, body: Value) -> Answer {
        let chair = self.chair.clone();
        self.host
            .at("snt")
            .by(&chair)
            .post(&format!("purchases/{id}/{step}"), body)
    }

    /// The purchase as the chairman reads it.
    pub fn purchase(&mut self, id: &str) -> Value {
        let chair = self.chair.clone();
        let got = self
            .host
            .at("snt")
            .by(&chair)
            .get(&format!("purchases/{id}"));
        assert_eq!(got.status, 200, "{}", got.body);
        got.json
    }

    /// Household `unit`'s account as the chairman reads it (null when it has none).
    pub fn account(&mut self, unit: &str) -> Value {
        let chair = self.chair.clone();
        let got = self
            .host
            .at("snt")
            .by(&chair)
            .get(&format!("account?h={unit}"));
        assert_eq!(got.status, 200, "{}", got.body);
        got.json["accounts"][0].clone()
    }

    /// A raw body to the API, as `person`.
    pub fn raw(
        &mut self,
        person: &Person,
        method: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> Value {
        let plugin = "coop";
        match self.host.try_request(json!({
            "op": "call", "plugin": plugin, "community": "snt", "as": person.id, "locale": "ru",
            "api": { "method": method, "path": path, "body": body, "headers": [["content-type", content_type]] }
        })) {
            Ok(v) => v,
            Err(e) => e,
        }
    }
}

/// Units each household got of the first line of the order to the supplier, by household.
pub fn allocation(purchase: &Value, line: usize) -> Vec<(String, u64)> {
    purchase["purchase"]["end_lines"][line]["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["household"].as_str().unwrap().to_owned(),
                a["from_quantity"].as_u64().unwrap() + a["from_tolerance"].as_u64().unwrap(),
            )
        })
        .collect()
}

//! The billing month of the `housing` plugin: N accounts over 100 houses, each with three
//! metered services (cold water, hot water, electricity), a meter per service with six months
//! of history and this month's reading waiting on it; one open bill per tenth account
//! (penalties to compute). The readings and bills collections hold their documents too, as on
//! a live instance. The run goes through the real path — the scheduler claims the `billing` job and
//! calls the plugin chunk by chunk, each chunk one transaction that reads a page of accounts
//! and the tariffs, writes accounts, bills and `bill.issued` events — and is timed
//! from the first chunk to the last. On SQLite, and on PostgreSQL when
//! `DVOR_TEST_POSTGRES_URL` is set. A measurement, not a test:
//! `cargo xtask bench housing` (sizes: `DVOR_BENCH_ACCOUNTS=10000,100000`).

mod support;

use std::time::{Duration, Instant};

use dvor::storage::testing::test_databases;
use dvor::storage::{NewDocument, Scope, put_many};

const PERIOD: &str = "2026-10";
const HOUSES: usize = 100;

fn config(plugin_dir: &str, cache: &str) -> String {
    let mut text = format!(
        r#"
[instance]
name = "Бенчмарк"
[server]
bind = "127.0.0.1:0"
[runtime]
plugin_dir = "{plugin_dir}"
cache_dir = "{cache}"
[runtime.limits]
deadline_ms = 60000
memory_mb = 256
[scheduler]
enabled = false

[[communities]]
id = "town"
name = "Город"
kind = "settlement"
"#
    );
    for h in 0..HOUSES {
        text.push_str(&format!(
            "\n[[communities]]\nid = \"house-{h}\"\nname = \"Дом {h}\"\nkind = \"house\"\nparent = \"town\"\naddress = \"ул. Длинная, {h}\"\n"
        ));
    }
    text.push_str(
        r#"
[plugins.housing]
enabled_for = ["town"]
[plugins.housing.grants]
collections = ["accounts", "tariffs", "readings", "bills", "payments", "runs", "providers", "requests", "announcements", "checkouts", "counters", "imports"]
emits = ["reading.submitted", "payment.received", "request.created", "request.done", "bill.issued"]
schedules = ["billing", "import"]
notifications = true
files = true
[plugins.housing.settings]
chunk_size = 1000
billing_day = 31
"#,
    );
    text
}

fn doc(community: &str, path: &str, id: String, data: serde_json::Value) -> NewDocument {
    NewDocument {
        id: Some(id),
        community_id: community.to_owned(),
        community_path: path.to_owned(),
        data: data.to_string(),
    }
}

const SERVICES: [(&str, &str, &str); 3] = [
    ("cold_water", "45.00", "4.9"),
    ("hot_water", "210.50", "3.6"),
    ("electricity", "1.936", "90"),
];

/// Write the test data straight into the plugin's collections, in batches of 1 000.
async fn seed(instance: &dvor::Instance, accounts: usize) {
    let runtime = &instance.runtime;
    let plugin = &runtime.plugins()["housing"];
    let db = &runtime.shared().db;
    let scope = Scope::subtree("housing", "/town/");
    let coll = |name: &str| plugin.collections[name].clone();
    let tx = db.begin().await.unwrap();
    let tariffs = SERVICES
        .iter()
        .map(|(code, tariff, norm)| {
            doc(
                "town",
                "/town/",
                format!("town:{code}"),
                serde_json::json!({
                    "code": code, "name_ru": code, "name_en": code, "unit": "ед.",
                    "basis": "metered",
                    "rates": [{ "from": "2024-07-01", "tariff": tariff, "norm": norm }]
                }),
            )
        })
        .collect();
    put_many(&tx, &scope, &coll("tariffs"), tariffs, 0)
        .await
        .unwrap();
    let run = doc(
        "town",
        "/town/",
        format!("town@{PERIOD}"),
        serde_json::json!({
            "scope": "town", "period": PERIOD, "status": "pending", "cursor": null,
            "billed": 0, "skipped": 0, "total": 0, "anomalies": 0, "anomaly_samples": [],
            "requested_by": null, "requested": 1, "finished": null
        }),
    );
    put_many(&tx, &scope, &coll("runs"), vec![run], 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let batch = 1000;
    for start in (0..accounts).step_by(batch) {
        let tx = db.begin().await.unwrap();
        let (mut account_docs, mut reading_docs, mut bill_docs) = (vec![], vec![], vec![]);
        for n in start..(start + batch).min(accounts) {
            let house = format!("house-{}", n % HOUSES);
            let path = format!("/town/{house}/");
            let id = format!("{house}:{n:07}");
            let meters: Vec<serde_json::Value> = SERVICES
                .iter()
                .enumerate()
                .map(|(i, (code, _, _))| {
                    serde_json::json!({
                        "id": format!("{id}#{}", i + 1), "service": code, "serial": format!("S{n}-{i}"),
                        "digits": 6, "installed": null, "verified_until": null,
                        "last_value": 100_000, "last_period": "2026-09",
                        "history": { "recent_volumes": [5000, 6000, 4000, 5000, 7000, 3000],
                                     "months_without_readings": 0, "volume_without_readings": 0 },
                        "pending": { "period": PERIOD, "value": 105_500, "kind": "normal", "old_final": null }
                    })
                })
                .collect();
            for (i, (code, _, _)) in SERVICES.iter().enumerate() {
                reading_docs.push(doc(
                    &house,
                    &path,
                    format!("{id}#{}@{PERIOD}", i + 1),
                    serde_json::json!({
                        "account": id, "meter": format!("{id}#{}", i + 1), "service": code,
                        "period": PERIOD, "value": 105_500, "kind": "normal", "old_final": null,
                        "volume": 5_500, "flagged": false, "by": null, "at": 0
                    }),
                ));
            }
            let in_debt = n % 10 == 0;
            account_docs.push(doc(
                &house,
                &path,
                id.clone(),
                serde_json::json!({
                    "number": format!("{n:07}"), "unit": null, "payer": "Иванова Мария",
                    "address": format!("ул. Длинная, {}, кв. {n}", n % HOUSES), "area": 5430,
                    "residents": 2, "owners": 1, "services": [], "raised": [], "meters": meters,
                    "balance": if in_debt { 500_000 } else { 0 }, "advance": 0,
                    "penalty_charged": 0, "penalty_paid": 0, "penalty_settled": 0,
                    "last_billed": "2026-09",
                    "open": if in_debt {
                        serde_json::json!([{ "period": "2026-06", "due": "2026-07-15",
                            "principal": 500_000, "paid": 0, "payments": [] }])
                    } else {
                        serde_json::json!([])
                    }
                }),
            ));
            if in_debt {
                bill_docs.push(doc(
                    &house,
                    &path,
                    format!("{id}@2026-06"),
                    serde_json::json!({
                        "account": id, "number": format!("{n:07}"), "period": "2026-06",
                        "issued": "2026-07-01", "due": "2026-07-15", "lines": [],
                        "recalculations": [], "principal": 500_000, "penalty": 0,
                        "balance_before": 0, "to_pay": 500_000, "paid": 0, "payments": [],
                        "open": true, "anomalies": []
                    }),
                ));
            }
        }
        put_many(&tx, &scope, &coll("accounts"), account_docs, 0)
            .await
            .unwrap();
        put_many(&tx, &scope, &coll("readings"), reading_docs, 0)
            .await
            .unwrap();
        put_many(&tx, &scope, &coll("bills"), bill_docs, 0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::var("DVOR_BENCH_ACCOUNTS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let plugin_dir = support::plugin_dir("housing.wasm");
    let rt = support::runtime();
    rt.block_on(async {
        for &accounts in &sizes {
            for (engine, db) in test_databases().await {
                let instance = support::start_instance("housing", &plugin_dir, db, config).await;
                let seeded = Instant::now();
                seed(&instance, accounts).await;
                let seed_time = seeded.elapsed();
                let now = chrono::Utc::now().timestamp_millis();
                let conn = instance.runtime.shared().db.connection();
                dvor::scheduler::request_run(conn, "housing", "billing", "town", now)
                    .await
                    .unwrap();
                let settings = dvor::scheduler::SchedulerSettings {
                    lease: Duration::from_secs(600),
                    tick: Duration::from_millis(10),
                    owner: "bench".into(),
                };
                let started = Instant::now();
                let chunks = dvor::scheduler::run_due(&instance.runtime, &settings)
                    .await
                    .unwrap();
                let elapsed = started.elapsed();
                let bills = dvor::storage::aggregate(
                    conn,
                    &Scope::subtree("housing", "/town/"),
                    &instance.runtime.plugins()["housing"].collections["bills"],
                    dvor::storage::Aggregate {
                        conditions: vec![dvor::storage::Condition {
                            field: "period".into(),
                            op: dvor::storage::Compare::Eq,
                            value: dvor::storage::Value::Text(PERIOD.into()),
                        }],
                        group_by: None,
                        sum_of: None,
                    },
                )
                .await
                .unwrap();
                let billed = bills.first().map_or(0, |g| g.count);
                assert_eq!(billed as usize, accounts, "every account billed");
                println!(
                    "{engine:<10} {accounts:>7} accounts × 3 metered services: billing {elapsed:.2?} in {chunks} chunks \
                     ({:.1} µs/account); seeding {seed_time:.2?}",
                    elapsed.as_secs_f64() * 1e6 / accounts as f64,
                );
            }
        }
    });
}

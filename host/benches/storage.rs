//! Storage throughput: `put_many` of 300 000 billing-like documents with three indexed
//! fields in batches of 1 000 (one transaction each), then an exact sum over all of them and
//! an indexed prefix query with ordering. On SQLite, and on PostgreSQL when
//! `DVOR_TEST_POSTGRES_URL` is set. A measurement, not a test: `cargo bench -p dvor --bench storage`.

use std::time::Instant;

use dvor::storage::testing::{insert_community, test_databases};
use dvor::storage::{
    Aggregate, CollectionSpec, Compare, Condition, IndexKind, IndexSpec, NewDocument, Order, Query,
    Scope, Value, aggregate, put_many, query, sync_collection,
};

fn index(field: &str, kind: IndexKind) -> IndexSpec {
    IndexSpec {
        field: field.into(),
        kind,
    }
}

fn main() {
    let total: usize = std::env::var("DVOR_BENCH_DOCUMENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300_000);
    let batch = 1000;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for (engine, db) in test_databases().await {
            let town = insert_community(&db, "town", None, "settlement").await;
            let house = insert_community(&db, "house-1", Some("town"), "house").await;
            let coll = CollectionSpec {
                name: "charges".into(),
                indexes: vec![
                    index("account", IndexKind::Text),
                    index("period", IndexKind::Integer),
                    index("amount", IndexKind::Integer),
                ],
            };
            sync_collection(db.connection(), "bench", &coll)
                .await
                .unwrap();
            let scope = Scope::subtree("bench", &town);
            let started = Instant::now();
            for chunk in 0..total / batch {
                let docs = (0..batch)
                    .map(|i| {
                        let n = chunk * batch + i;
                        NewDocument {
                            id: None,
                            community_id: "house-1".into(),
                            community_path: house.clone(),
                            data: serde_json::json!({
                                "account": format!("acc-{n:07}"),
                                "period": 202611,
                                "amount": n * 7,
                                "service": "heating",
                                "tariff": 2345,
                            })
                            .to_string(),
                        }
                    })
                    .collect();
                let tx = db.begin().await.unwrap();
                put_many(&tx, &scope, &coll, docs, 1_700_000_000_000 + chunk as i64)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
            let elapsed = started.elapsed();
            println!(
                "{engine:<10} put_many {total} documents: {elapsed:.2?} ({:.0} documents/s)",
                total as f64 / elapsed.as_secs_f64()
            );

            let started = Instant::now();
            let sum = aggregate(
                db.connection(),
                &scope,
                &coll,
                Aggregate {
                    conditions: Vec::new(),
                    group_by: None,
                    sum_of: Some("amount".into()),
                },
            )
            .await
            .unwrap();
            println!(
                "{engine:<10} exact sum over {} documents: {:.2?}",
                sum[0].count,
                started.elapsed()
            );

            let started = Instant::now();
            let page = query(
                db.connection(),
                &scope,
                &coll,
                Query {
                    conditions: vec![Condition {
                        field: "account".into(),
                        op: Compare::Prefix,
                        value: Value::Text("acc-01234".into()),
                    }],
                    order: Some(Order {
                        field: "amount".into(),
                        descending: true,
                    }),
                    limit: 5,
                    cursor: None,
                },
            )
            .await
            .unwrap();
            println!(
                "{engine:<10} prefix query ordered by an index, {} documents: {:.2?}",
                page.documents.len(),
                started.elapsed()
            );
        }
    });
}

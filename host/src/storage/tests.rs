//! Storage tests, run on every engine [`test_databases`] provides.

use std::collections::HashSet;

use sea_orm::ConnectionTrait as _;

use super::testing::{insert_community, test_databases};
use super::*;

const PLUGIN: &str = "housing";

thread_local! {
    /// Overrides the query planner's probe cap (see `search`), to exercise the plans chosen for
    /// large collections on small test data.
    pub(super) static PROBE_CAP_OVERRIDE: std::cell::Cell<Option<u64>> =
        const { std::cell::Cell::new(None) };
}

fn readings() -> CollectionSpec {
    CollectionSpec {
        name: "readings".into(),
        indexes: vec![
            IndexSpec {
                field: "period".into(),
                kind: IndexKind::Integer,
            },
            IndexSpec {
                field: "meter".into(),
                kind: IndexKind::Text,
            },
            IndexSpec {
                field: "paid".into(),
                kind: IndexKind::Boolean,
            },
        ],
    }
}

fn scope(path: &str) -> Scope<'_> {
    Scope::subtree(PLUGIN, path)
}

fn doc(id: Option<&str>, community: &str, path: &str, data: serde_json::Value) -> NewDocument {
    NewDocument {
        id: id.map(str::to_owned),
        community_id: community.into(),
        community_path: path.into(),
        data: data.to_string(),
    }
}

/// Databases with the communities `town` > `house-1`, `house-2`, and `village`.
async fn databases() -> Vec<(&'static str, Database)> {
    let mut all = Vec::new();
    for (engine, db) in test_databases().await {
        insert_community(&db, "town", None, "city").await;
        insert_community(&db, "house-1", Some("town"), "building").await;
        insert_community(&db, "house-2", Some("town"), "building").await;
        insert_community(&db, "village", None, "snt").await;
        sync_collection(db.connection(), PLUGIN, &readings())
            .await
            .unwrap();
        all.push((engine, db));
    }
    all
}

/// [`databases`] once per probe cap the planner may use: the default (small data: plans for
/// small collections), and caps that make the same data count as large.
async fn databases_with_probe_caps() -> Vec<(String, Database, Option<u64>)> {
    let mut all = Vec::new();
    for cap in [None, Some(1), Some(3)] {
        for (engine, db) in databases().await {
            all.push((format!("{engine} (probe cap {cap:?})"), db, cap));
        }
    }
    all
}

const H1: &str = "/town/house-1/";
const H2: &str = "/town/house-2/";
const TOWN: &str = "/town/";

fn invalid_field(result: Result<impl std::fmt::Debug, StorageError>) -> String {
    match result {
        Err(StorageError::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn ids(page: &Page) -> Vec<String> {
    page.documents.iter().map(|d| d.id.clone()).collect()
}

fn cond(field: &str, op: Compare, value: Value) -> Condition {
    Condition {
        field: field.into(),
        op,
        value,
    }
}

async fn all_ids<C: sea_orm::ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    conditions: Vec<Condition>,
) -> Vec<String> {
    let page = query(
        db,
        scope,
        &readings(),
        Query {
            conditions,
            limit: 1000,
            ..Query::default()
        },
    )
    .await
    .unwrap();
    assert!(page.next_cursor.is_none());
    ids(&page)
}

#[tokio::test]
async fn insert_get_put_with_versions_and_conflicts() {
    for (engine, db) in databases().await {
        let c = db.connection();
        let coll = readings();
        let s = scope(TOWN);
        let first = insert(
            c,
            &s,
            &coll,
            doc(Some("a"), "house-1", H1, serde_json::json!({"period": 1})),
            1000,
        )
        .await
        .unwrap();
        assert_eq!(
            (first.version, first.created, first.updated),
            (1, 1000, 1000)
        );
        assert_eq!(
            get(c, &s, &coll, "a").await.unwrap(),
            Some(first.clone()),
            "{engine}"
        );
        assert_eq!(get(c, &s, &coll, "missing").await.unwrap(), None);

        let taken = insert(
            c,
            &s,
            &coll,
            doc(Some("a"), "house-1", H1, serde_json::json!({})),
            2000,
        )
        .await;
        assert!(
            matches!(taken, Err(StorageError::Conflict(_))),
            "{engine}: {taken:?}"
        );
        assert_eq!(
            get(c, &s, &coll, "a").await.unwrap().unwrap().data,
            first.data
        );

        let second = put(
            c,
            &s,
            &coll,
            doc(Some("a"), "house-2", H2, serde_json::json!({"period": 2})),
            None,
            2000,
        )
        .await
        .unwrap();
        assert_eq!(
            (second.version, second.created, second.updated),
            (2, 1000, 2000),
            "{engine}"
        );
        assert_eq!(second.community_id, "house-2");
        let third = put(
            c,
            &s,
            &coll,
            doc(Some("a"), "house-2", H2, serde_json::json!({"period": 3})),
            Some(2),
            3000,
        )
        .await
        .unwrap();
        assert_eq!(third.version, 3);
        let stale = put(
            c,
            &s,
            &coll,
            doc(Some("a"), "house-2", H2, serde_json::json!({"period": 9})),
            Some(2),
            4000,
        )
        .await;
        assert!(
            matches!(stale, Err(StorageError::Conflict(_))),
            "{engine}: {stale:?}"
        );
        let exists = put(
            c,
            &s,
            &coll,
            doc(Some("a"), "house-2", H2, serde_json::json!({})),
            Some(0),
            4000,
        )
        .await;
        assert!(
            matches!(exists, Err(StorageError::Conflict(_))),
            "{engine}: {exists:?}"
        );
        let missing = put(
            c,
            &s,
            &coll,
            doc(Some("b"), "house-2", H2, serde_json::json!({})),
            Some(4),
            4000,
        )
        .await;
        assert!(
            matches!(missing, Err(StorageError::Conflict(_))),
            "{engine}: {missing:?}"
        );
        let fresh = put(
            c,
            &s,
            &coll,
            doc(Some("b"), "house-2", H2, serde_json::json!({})),
            Some(0),
            4000,
        )
        .await
        .unwrap();
        assert_eq!(fresh.version, 1);
        let stored = get(c, &s, &coll, "a").await.unwrap().unwrap();
        assert_eq!(stored, third, "{engine}: failed writes changed nothing");
        // The index follows the latest write.
        assert_eq!(
            all_ids(c, &s, vec![cond("period", Compare::Eq, Value::Integer(3))]).await,
            ["a"]
        );
        assert!(
            all_ids(c, &s, vec![cond("period", Compare::Eq, Value::Integer(9))])
                .await
                .is_empty()
        );

        // Generated ids: 26 characters, sorted by time, unique.
        let early = insert(
            c,
            &s,
            &coll,
            doc(None, "house-1", H1, serde_json::json!({})),
            1_700_000_000_000,
        )
        .await
        .unwrap();
        let late = insert(
            c,
            &s,
            &coll,
            doc(None, "house-1", H1, serde_json::json!({})),
            1_700_000_000_001,
        )
        .await
        .unwrap();
        assert_eq!(early.id.len(), 26);
        assert!(early.id < late.id, "{} < {}", early.id, late.id);

        assert!(delete(c, &s, &coll, "a").await.unwrap());
        assert!(!delete(c, &s, &coll, "a").await.unwrap());
        assert_eq!(get(c, &s, &coll, "a").await.unwrap(), None);
        assert!(
            all_ids(c, &s, vec![cond("period", Compare::Eq, Value::Integer(3))])
                .await
                .is_empty()
        );
    }
}

/// A write the store refuses (the id taken, a stale version, a document outside the scope)
/// changes neither the document nor what queries find it by; one it accepts changes both.
#[tokio::test]
async fn a_refused_write_leaves_the_index_as_it_was() {
    for (engine, db) in databases().await {
        let c = db.connection();
        let coll = readings();
        let town = scope(TOWN);
        let period = |p: i64| vec![cond("period", Compare::Eq, Value::Integer(p))];
        let stored = |p: i64, meter: &str| {
            doc(
                Some("a"),
                "house-2",
                H2,
                serde_json::json!({"period": p, "meter": meter}),
            )
        };
        insert(c, &town, &coll, stored(1, "m1"), 1).await.unwrap();

        let taken = insert(c, &town, &coll, stored(5, "m5"), 2).await;
        assert!(matches!(taken, Err(StorageError::Conflict(_))), "{engine}");
        let exists = put(c, &town, &coll, stored(6, "m6"), Some(0), 3).await;
        assert!(matches!(exists, Err(StorageError::Conflict(_))), "{engine}");
        let stale = put(c, &town, &coll, stored(7, "m7"), Some(9), 4).await;
        assert!(matches!(stale, Err(StorageError::Conflict(_))), "{engine}");
        let outside = put(c, &scope(H1), &coll, stored(8, "m8"), None, 5).await;
        assert!(
            matches!(outside, Err(StorageError::OutOfScope(_))),
            "{engine}: {outside:?}"
        );
        for refused in [5, 6, 7, 8] {
            assert!(
                all_ids(c, &town, period(refused)).await.is_empty(),
                "{engine}: period {refused}"
            );
        }
        assert_eq!(all_ids(c, &town, period(1)).await, ["a"], "{engine}");
        let by_meter = vec![cond("meter", Compare::Eq, Value::Text("m1".into()))];
        assert_eq!(all_ids(c, &town, by_meter).await, ["a"], "{engine}");

        put(c, &town, &coll, stored(3, "m3"), Some(1), 6)
            .await
            .unwrap();
        assert!(all_ids(c, &town, period(1)).await.is_empty(), "{engine}");
        assert_eq!(all_ids(c, &town, period(3)).await, ["a"], "{engine}");
        // A document without the field is found by its null.
        put(
            c,
            &town,
            &coll,
            doc(Some("a"), "house-2", H2, serde_json::json!({})),
            None,
            7,
        )
        .await
        .unwrap();
        assert!(all_ids(c, &town, period(3)).await.is_empty(), "{engine}");
        let null = vec![cond("period", Compare::Eq, Value::Null)];
        assert_eq!(all_ids(c, &town, null).await, ["a"], "{engine}");
    }
}

#[tokio::test]
async fn writes_go_through_the_callers_transaction() {
    for (engine, db) in databases().await {
        let coll = readings();
        let s = scope(TOWN);
        let tx = db.begin().await.unwrap();
        insert(
            &tx,
            &s,
            &coll,
            doc(Some("a"), "house-1", H1, serde_json::json!({})),
            1,
        )
        .await
        .unwrap();
        put_many(
            &tx,
            &s,
            &coll,
            vec![doc(Some("b"), "house-1", H1, serde_json::json!({}))],
            1,
        )
        .await
        .unwrap();
        assert!(get(&tx, &s, &coll, "a").await.unwrap().is_some());
        tx.rollback().await.unwrap();
        assert_eq!(
            get(db.connection(), &s, &coll, "a").await.unwrap(),
            None,
            "{engine}"
        );
        assert_eq!(
            get(db.connection(), &s, &coll, "b").await.unwrap(),
            None,
            "{engine}"
        );
    }
}

#[tokio::test]
async fn put_many_upserts_and_bumps_versions() {
    for (engine, db) in databases().await {
        let c = db.connection();
        let coll = readings();
        let s = scope(TOWN);
        let batch = |round: i64| -> Vec<NewDocument> {
            (0..1200)
                .map(|i| {
                    let (community, path) = if i % 2 == 0 { ("house-1", H1) } else { ("house-2", H2) };
                    doc(
                        Some(&format!("acc-{i:04}")),
                        community,
                        path,
                        serde_json::json!({"period": round, "meter": format!("m{}", i % 7), "paid": i % 3 == 0}),
                    )
                })
                .collect()
        };
        assert_eq!(
            put_many(c, &s, &coll, batch(1), 10).await.unwrap(),
            1200,
            "{engine}"
        );
        assert_eq!(put_many(c, &s, &coll, batch(2), 20).await.unwrap(), 1200);
        let one = get(c, &s, &coll, "acc-0007").await.unwrap().unwrap();
        assert_eq!(
            (one.version, one.created, one.updated),
            (2, 10, 20),
            "{engine}"
        );
        let totals = aggregate(
            c,
            &s,
            &coll,
            Aggregate {
                sum_of: Some("period".into()),
                ..Aggregate::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            totals,
            [Group {
                key: Value::Null,
                count: 1200,
                sum: 2400
            }],
            "{engine}"
        );

        // One invalid document: nothing is written.
        let mut bad = batch(3);
        bad[5].data = r#"{"period": "three"}"#.into();
        assert_eq!(
            invalid_field(put_many(c, &s, &coll, bad, 30).await),
            "docs[5].data.period"
        );
        let mut twice = batch(3);
        twice[9].id = Some("acc-0001".into());
        assert_eq!(
            invalid_field(put_many(c, &s, &coll, twice, 30).await),
            "docs[9].id"
        );
        let one = get(c, &s, &coll, "acc-0007").await.unwrap().unwrap();
        assert_eq!(one.version, 2, "{engine}");
        assert_eq!(put_many(c, &s, &coll, Vec::new(), 30).await.unwrap(), 0);
    }
}

/// Ten documents in house-1: period 1..=10 (null for 4 and 8), meter `m-01`…, paid when even.
async fn ten(c: &sea_orm::DatabaseConnection) {
    let docs = (1..=10)
        .map(|i: i64| {
            let period = if i % 4 == 0 { serde_json::Value::Null } else { i.into() };
            let meter = if i == 10 { "x-10".to_string() } else { format!("m-{i:02}") };
            doc(
                Some(&format!("d{i:02}")),
                "house-1",
                H1,
                serde_json::json!({"period": period, "meter": meter, "paid": i % 2 == 0, "note": "free text"}),
            )
        })
        .collect();
    put_many(c, &scope(TOWN), &readings(), docs, 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn query_filters_text_integer_boolean_and_null() {
    for (engine, db, cap) in databases_with_probe_caps().await {
        PROBE_CAP_OVERRIDE.set(cap);
        let c = db.connection();
        ten(c).await;
        let s = scope(TOWN);
        let int = |op, n| vec![cond("period", op, Value::Integer(n))];
        let q = |conditions| all_ids(c, &s, conditions);
        assert_eq!(q(int(Compare::Eq, 3)).await, ["d03"], "{engine}");
        assert_eq!(q(int(Compare::Lt, 3)).await, ["d01", "d02"]);
        assert_eq!(q(int(Compare::Le, 3)).await, ["d01", "d02", "d03"]);
        assert_eq!(q(int(Compare::Gt, 7)).await, ["d09", "d10"]);
        assert_eq!(q(int(Compare::Ge, 9)).await, ["d09", "d10"]);
        // Ne includes documents without the field.
        assert_eq!(q(int(Compare::Ne, 3)).await.len(), 9);
        assert_eq!(
            q(vec![cond("period", Compare::Eq, Value::Null)]).await,
            ["d04", "d08"]
        );
        assert_eq!(
            q(vec![cond("period", Compare::Ne, Value::Null)])
                .await
                .len(),
            8
        );
        let text = |op, t: &str| vec![cond("meter", op, Value::Text(t.into()))];
        assert_eq!(q(text(Compare::Eq, "m-05")).await, ["d05"]);
        assert_eq!(q(text(Compare::Prefix, "m-0")).await.len(), 9);
        assert_eq!(q(text(Compare::Prefix, "x")).await, ["d10"]);
        assert_eq!(
            q(text(Compare::Prefix, "M")).await,
            Vec::<String>::new(),
            "prefix is case-sensitive"
        );
        assert_eq!(q(text(Compare::Prefix, "")).await.len(), 10);
        assert_eq!(q(text(Compare::Gt, "m-08")).await, ["d09", "d10"]);
        assert_eq!(q(text(Compare::Le, "m-02")).await, ["d01", "d02"]);
        assert_eq!(q(text(Compare::Ne, "m-02")).await.len(), 9);
        assert_eq!(
            q(vec![cond("paid", Compare::Eq, Value::Boolean(true))]).await,
            ["d02", "d04", "d06", "d08", "d10"]
        );
        // All conditions must hold, several on one field too.
        assert_eq!(
            q(vec![
                cond("paid", Compare::Eq, Value::Boolean(false)),
                cond("period", Compare::Gt, Value::Integer(2)),
                cond("period", Compare::Lt, Value::Integer(9)),
                cond("meter", Compare::Prefix, Value::Text("m".into())),
            ])
            .await,
            ["d03", "d05", "d07"]
        );
    }
}

/// A page asked for again within moments drives from what its first run's probes chose (on
/// SQLite; PostgreSQL plans by itself), and still finds documents written since that those
/// counts did not know of.
#[tokio::test]
async fn a_query_asked_again_plans_from_remembered_counts_and_still_sees_new_documents() {
    for (engine, db) in databases().await {
        let c = db.connection();
        ten(c).await;
        let estimates = ProbeEstimates::default();
        let s = Scope {
            estimates: Some(&estimates),
            ..scope(TOWN)
        };
        let unpaid_new = || {
            vec![
                cond("meter", Compare::Eq, Value::Text("m-new".into())),
                cond("paid", Compare::Eq, Value::Boolean(false)),
            ]
        };
        assert!(all_ids(c, &s, unpaid_new()).await.is_empty(), "{engine}");
        let sqlite = db.backend() == sea_orm::DbBackend::Sqlite;
        let remembered = estimates.len();
        assert_eq!(
            remembered > 0,
            sqlite,
            "{engine}: {remembered} choices kept"
        );

        // Two documents arrive with the meter the probes found on no document.
        let docs = ["d11", "d12"]
            .map(|id| {
                doc(
                    Some(id),
                    "house-1",
                    H1,
                    serde_json::json!({"period": 11, "meter": "m-new", "paid": false}),
                )
            })
            .into();
        put_many(c, &scope(TOWN), &readings(), docs, 2)
            .await
            .unwrap();
        assert_eq!(
            all_ids(c, &s, unpaid_new()).await,
            ["d11", "d12"],
            "{engine}"
        );
        assert_eq!(
            estimates.hits() > 0,
            sqlite,
            "{engine}: planned from memory"
        );
        assert_eq!(estimates.len(), remembered, "{engine}: the same shape");
    }
}

#[tokio::test]
async fn ordering_and_keyset_pagination_return_every_document_once() {
    for (engine, db, cap) in databases_with_probe_caps().await {
        PROBE_CAP_OVERRIDE.set(cap);
        let c = db.connection();
        let coll = readings();
        let s = scope(TOWN);
        // Duplicate and null order values, ids out of insertion order.
        let docs: Vec<NewDocument> = (0..57)
            .map(|i: i64| {
                let period = if i % 9 == 0 {
                    serde_json::Value::Null
                } else {
                    (i % 5).into()
                };
                doc(
                    Some(&format!("k{:03}", (i * 37) % 101)),
                    "house-1",
                    H1,
                    serde_json::json!({"period": period, "meter": format!("m{}", i % 4)}),
                )
            })
            .collect();
        put_many(c, &s, &coll, docs.clone(), 1).await.unwrap();

        for (field, descending) in [
            ("period", false),
            ("period", true),
            ("meter", false),
            ("meter", true),
            ("community", true),
        ] {
            let mut expected: Vec<(Value, String)> = docs
                .iter()
                .map(|d| {
                    let data: serde_json::Value = serde_json::from_str(&d.data).unwrap();
                    let key = match (field, &data[field]) {
                        ("community", _) => Value::Text(d.community_id.clone()),
                        (_, serde_json::Value::Number(n)) => Value::Integer(n.as_i64().unwrap()),
                        (_, serde_json::Value::String(t)) => Value::Text(t.clone()),
                        _ => Value::Null,
                    };
                    (key, d.id.clone().unwrap())
                })
                .collect();
            // Null first ascending (Value::Null is the smallest), ties by id.
            expected.sort();
            if descending {
                expected.reverse();
            }
            let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

            let (seen, pages) = every_page(
                c,
                &s,
                &coll,
                Query {
                    conditions: vec![],
                    order: Some(Order {
                        field: field.into(),
                        descending,
                    }),
                    limit: 10,
                    cursor: None,
                },
            )
            .await;
            assert_eq!(
                seen, expected,
                "{engine}: order by {field} desc={descending}"
            );
            assert_eq!(pages, 6);
        }

        // Default order is by id; stable when documents are inserted between pages.
        let page = query(
            c,
            &s,
            &coll,
            Query {
                limit: 20,
                ..Query::default()
            },
        )
        .await
        .unwrap();
        let mut seen = ids(&page);
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        let mut cursor = page.next_cursor;
        put_many(
            c,
            &s,
            &coll,
            vec![
                doc(Some("a-before"), "house-1", H1, serde_json::json!({})),
                doc(Some("z-after"), "house-1", H1, serde_json::json!({})),
            ],
            2,
        )
        .await
        .unwrap();
        while let Some(next) = cursor {
            let page = query(
                c,
                &s,
                &coll,
                Query {
                    limit: 20,
                    cursor: Some(next),
                    ..Query::default()
                },
            )
            .await
            .unwrap();
            seen.extend(ids(&page));
            cursor = page.next_cursor;
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{engine}: no document twice");
        assert_eq!(
            seen.len(),
            58,
            "{engine}: every original document plus the later one"
        );
        assert_eq!(seen.last().map(String::as_str), Some("z-after"));

        // An exact page size ends without a cursor.
        let page = query(
            c,
            &s,
            &coll,
            Query {
                limit: 1000,
                ..Query::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((page.documents.len(), page.next_cursor), (59, None));
    }
}

/// Every page of `query` from the start, as the ids it returned, and how many pages it took.
async fn every_page(
    c: &impl sea_orm::ConnectionTrait,
    s: &Scope<'_>,
    coll: &CollectionSpec,
    mut q: Query,
) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = query(c, s, coll, q.clone()).await.unwrap();
        pages += 1;
        seen.extend(ids(&page));
        match page.next_cursor {
            Some(next) => q.cursor = Some(next),
            None => return (seen, pages),
        }
    }
}

/// Thousands of documents with the same ordered value (accounts that owe the same amount),
/// paged with a filter, ascending and descending, and with booleans: each exactly once, ties by
/// id, the filter kept inside the run of equal values as after it.
#[tokio::test]
async fn long_runs_of_equal_order_values_page_by_id_and_keep_the_filter() {
    for (engine, db, cap) in databases_with_probe_caps().await {
        PROBE_CAP_OVERRIDE.set(cap);
        let c = db.connection();
        let coll = readings();
        let s = scope(TOWN);
        let docs: Vec<NewDocument> = (0..3_000)
            .map(|i: i64| {
                // 2 800 at period 7, then 100 at 3 and 100 at 9; meters m0..m2; paid every
                // other one.
                let period = match i % 30 {
                    0 => 3,
                    1 => 9,
                    _ => 7,
                };
                doc(
                    Some(&format!("a{:05}", (i * 7_919) % 3_000)),
                    "house-1",
                    H1,
                    serde_json::json!({"period": period, "meter": format!("m{}", i % 3), "paid": i % 2 == 0}),
                )
            })
            .collect();
        put_many(c, &s, &coll, docs.clone(), 1).await.unwrap();
        let data = |d: &NewDocument| serde_json::from_str::<serde_json::Value>(&d.data).unwrap();

        for (field, descending) in [("period", false), ("period", true), ("paid", true)] {
            let mut expected: Vec<(i64, String)> = docs
                .iter()
                .filter(|d| data(d)["meter"] != "m1")
                .map(|d| {
                    let value = &data(d)[field];
                    let key = value.as_i64().unwrap_or_else(|| i64::from(value == true));
                    (key, d.id.clone().unwrap())
                })
                .collect();
            expected.sort();
            if descending {
                expected.reverse();
            }
            let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
            let started = std::time::Instant::now();
            let (seen, pages) = every_page(
                c,
                &s,
                &coll,
                Query {
                    conditions: vec![Condition {
                        field: "meter".into(),
                        op: Compare::Ne,
                        value: Value::Text("m1".into()),
                    }],
                    order: Some(Order {
                        field: field.into(),
                        descending,
                    }),
                    limit: 100,
                    cursor: None,
                },
            )
            .await;
            eprintln!(
                "{engine}: {} documents by {field} desc={descending} in {pages} pages, {:?}",
                seen.len(),
                started.elapsed()
            );
            assert_eq!(seen.len(), 2_000, "{engine}: by {field} desc={descending}");
            assert_eq!(seen, expected, "{engine}: by {field} desc={descending}");
            assert_eq!(pages, 20, "{engine}");
        }
    }
}

#[tokio::test]
async fn aggregate_counts_and_sums_with_groups() {
    for (engine, db, cap) in databases_with_probe_caps().await {
        PROBE_CAP_OVERRIDE.set(cap);
        let c = db.connection();
        let coll = readings();
        let s = scope(TOWN);
        let empty = aggregate(
            c,
            &s,
            &coll,
            Aggregate {
                sum_of: Some("period".into()),
                ..Aggregate::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            empty,
            [Group {
                key: Value::Null,
                count: 0,
                sum: 0
            }],
            "{engine}"
        );
        ten(c).await;
        put_many(
            c,
            &s,
            &coll,
            vec![doc(
                Some("h2"),
                "house-2",
                H2,
                serde_json::json!({"period": 100, "paid": true}),
            )],
            1,
        )
        .await
        .unwrap();

        let by_paid = aggregate(
            c,
            &s,
            &coll,
            Aggregate {
                conditions: vec![],
                group_by: Some("paid".into()),
                sum_of: Some("period".into()),
            },
        )
        .await
        .unwrap();
        // paid false: 1,3,5,7,9 → 25; paid true: 2,(4),6,(8),10 + 100 → 118
        assert_eq!(
            by_paid,
            [
                Group {
                    key: Value::Boolean(false),
                    count: 5,
                    sum: 25
                },
                Group {
                    key: Value::Boolean(true),
                    count: 6,
                    sum: 118
                },
            ],
            "{engine}"
        );
        let by_meter = aggregate(
            c,
            &s,
            &coll,
            Aggregate {
                conditions: vec![cond("period", Compare::Le, Value::Integer(2))],
                group_by: Some("meter".into()),
                sum_of: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            by_meter,
            [
                Group {
                    key: Value::Text("m-01".into()),
                    count: 1,
                    sum: 0
                },
                Group {
                    key: Value::Text("m-02".into()),
                    count: 1,
                    sum: 0
                },
            ]
        );
        let by_period = aggregate(
            c,
            &s,
            &coll,
            Aggregate {
                conditions: vec![cond("period", Compare::Ne, Value::Integer(1))],
                group_by: Some("period".into()),
                sum_of: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            by_period.first(),
            Some(&Group {
                key: Value::Null,
                count: 2,
                sum: 0
            }),
            "{engine}: null group first"
        );
        assert_eq!(
            by_period.last(),
            Some(&Group {
                key: Value::Integer(100),
                count: 1,
                sum: 0
            })
        );
        let by_community = aggregate(
            c,
            &s,
            &coll,
            Aggregate {
                conditions: vec![],
                group_by: Some("community".into()),
                sum_of: Some("period".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            by_community,
            [
                Group {
                    key: Value::Text("house-1".into()),
                    count: 10,
                    sum: 43
                },
                Group {
                    key: Value::Text("house-2".into()),
                    count: 1,
                    sum: 100
                },
            ]
        );

        // Exact at the edge of i64, refused beyond it.
        put_many(
            c,
            &s,
            &coll,
            vec![
                doc(
                    Some("big-1"),
                    "house-1",
                    H1,
                    serde_json::json!({"period": i64::MAX - 1, "meter": "big"}),
                ),
                doc(
                    Some("big-2"),
                    "house-1",
                    H1,
                    serde_json::json!({"period": 1, "meter": "big"}),
                ),
                doc(
                    Some("big-3"),
                    "house-1",
                    H1,
                    serde_json::json!({"period": 1, "meter": "bigger"}),
                ),
            ],
            1,
        )
        .await
        .unwrap();
        let big = |prefix: &str| Aggregate {
            conditions: vec![cond("meter", Compare::Prefix, Value::Text(prefix.into()))],
            group_by: None,
            sum_of: Some("period".into()),
        };
        assert_eq!(
            aggregate(c, &s, &coll, big("bigg")).await.unwrap()[0].sum,
            1
        );
        let edge = aggregate(
            c,
            &s,
            &coll,
            Aggregate {
                conditions: vec![cond("meter", Compare::Eq, Value::Text("big".into()))],
                ..big("")
            },
        )
        .await
        .unwrap();
        assert_eq!(edge[0].sum, i64::MAX, "{engine}");
        assert_eq!(
            invalid_field(aggregate(c, &s, &coll, big("big")).await),
            "sum_of",
            "{engine}"
        );
        // The failed aggregate did not break the connection / transaction.
        assert_eq!(
            aggregate(c, &s, &coll, big("bigg")).await.unwrap()[0].count,
            1
        );
    }
}

#[tokio::test]
async fn another_plugin_sees_nothing() {
    for (engine, db, cap) in databases_with_probe_caps().await {
        PROBE_CAP_OVERRIDE.set(cap);
        let c = db.connection();
        let coll = readings();
        ten(c).await;
        let other = Scope::subtree("promos", TOWN);
        sync_collection(c, "promos", &coll).await.unwrap();
        assert_eq!(
            get(c, &other, &coll, "d01").await.unwrap(),
            None,
            "{engine}"
        );
        assert!(all_ids(c, &other, vec![]).await.is_empty());
        let count = aggregate(c, &other, &coll, Aggregate::default())
            .await
            .unwrap();
        assert_eq!(count[0].count, 0);
        assert!(!delete(c, &other, &coll, "d01").await.unwrap());
        // The same id is a different document.
        let mine = insert(
            c,
            &other,
            &coll,
            doc(
                Some("d01"),
                "house-1",
                H1,
                serde_json::json!({"period": 77}),
            ),
            5,
        )
        .await
        .unwrap();
        assert_eq!(mine.version, 1);
        assert_eq!(
            all_ids(
                c,
                &other,
                vec![cond("period", Compare::Ge, Value::Integer(0))]
            )
            .await,
            ["d01"]
        );
        let theirs = get(c, &scope(TOWN), &coll, "d01").await.unwrap().unwrap();
        assert!(!theirs.data.contains("77"), "{engine}");
        assert_eq!(all_ids(c, &scope(TOWN), vec![]).await.len(), 10);
    }
}

#[tokio::test]
async fn scope_confines_reads_and_writes_to_the_subtree() {
    for (engine, db, cap) in databases_with_probe_caps().await {
        PROBE_CAP_OVERRIDE.set(cap);
        let c = db.connection();
        let coll = readings();
        let town = scope(TOWN);
        let house1 = scope(H1);
        let house2 = scope(H2);
        insert(
            c,
            &town,
            &coll,
            doc(Some("one"), "house-1", H1, serde_json::json!({"period": 1})),
            1,
        )
        .await
        .unwrap();
        insert(
            c,
            &town,
            &coll,
            doc(Some("two"), "house-2", H2, serde_json::json!({"period": 2})),
            1,
        )
        .await
        .unwrap();

        assert!(
            get(c, &house1, &coll, "one").await.unwrap().is_some(),
            "{engine}"
        );
        assert_eq!(
            get(c, &house1, &coll, "two").await.unwrap(),
            None,
            "{engine}"
        );
        assert_eq!(all_ids(c, &house1, vec![]).await, ["one"]);
        assert_eq!(all_ids(c, &house2, vec![]).await, ["two"]);
        assert_eq!(all_ids(c, &town, vec![]).await, ["one", "two"]);
        let count = |s: Scope<'static>| {
            let coll = coll.clone();
            async move {
                aggregate(
                    c,
                    &s,
                    &coll,
                    Aggregate {
                        sum_of: Some("period".into()),
                        ..Aggregate::default()
                    },
                )
                .await
                .unwrap()[0]
                    .clone()
            }
        };
        assert_eq!(
            count(scope(H1)).await,
            Group {
                key: Value::Null,
                count: 1,
                sum: 1
            }
        );
        assert_eq!(
            count(scope(TOWN)).await,
            Group {
                key: Value::Null,
                count: 2,
                sum: 3
            }
        );
        // A sibling whose path extends the scope's text is not inside it.
        insert(
            c,
            &town,
            &coll,
            doc(
                Some("ten"),
                "house-10",
                "/town/house-10/",
                serde_json::json!({}),
            ),
            1,
        )
        .await
        .unwrap();
        assert_eq!(all_ids(c, &house1, vec![]).await, ["one"]);
        assert_eq!(all_ids(c, &town, vec![]).await, ["one", "ten", "two"]);
        assert!(delete(c, &town, &coll, "ten").await.unwrap());

        let out =
            |r: Result<StoredDocument, StorageError>| matches!(r, Err(StorageError::OutOfScope(_)));
        assert!(out(insert(
            c,
            &house1,
            &coll,
            doc(Some("new"), "house-2", H2, serde_json::json!({})),
            2
        )
        .await));
        assert!(out(put(
            c,
            &house1,
            &coll,
            doc(Some("new"), "house-2", H2, serde_json::json!({})),
            None,
            2
        )
        .await));
        // Overwriting a document stored outside the scope, even into the scope.
        assert!(out(put(
            c,
            &house1,
            &coll,
            doc(Some("two"), "house-1", H1, serde_json::json!({})),
            None,
            2
        )
        .await));
        assert!(out(put(
            c,
            &house1,
            &coll,
            doc(Some("two"), "house-1", H1, serde_json::json!({})),
            Some(1),
            2
        )
        .await));
        assert!(out(put(
            c,
            &house1,
            &coll,
            doc(Some("two"), "house-1", H1, serde_json::json!({})),
            Some(0),
            2
        )
        .await));
        let many = put_many(
            c,
            &house1,
            &coll,
            vec![
                doc(Some("fine"), "house-1", H1, serde_json::json!({})),
                doc(Some("two"), "house-1", H1, serde_json::json!({})),
            ],
            2,
        )
        .await;
        assert!(
            matches!(many, Err(StorageError::OutOfScope(_))),
            "{engine}: {many:?}"
        );
        assert_eq!(
            get(c, &town, &coll, "fine").await.unwrap(),
            None,
            "nothing written"
        );
        assert!(!delete(c, &house1, &coll, "two").await.unwrap());
        let two = get(c, &town, &coll, "two").await.unwrap().unwrap();
        assert_eq!(
            (two.version, two.community_id.as_str()),
            (1, "house-2"),
            "{engine}"
        );

        // The wider scope may move a document between its communities.
        let moved = put(
            c,
            &town,
            &coll,
            doc(Some("two"), "house-1", H1, serde_json::json!({})),
            None,
            3,
        )
        .await
        .unwrap();
        assert_eq!(moved.version, 2);
        assert_eq!(all_ids(c, &house1, vec![]).await, ["one", "two"]);
    }
}

/// Community paths a host would hold in memory, counting how often it was asked.
#[derive(Debug)]
struct KnownPaths {
    paths: std::collections::HashMap<String, String>,
    asked: std::sync::atomic::AtomicUsize,
}

impl KnownPaths {
    fn of(paths: &[(&str, &str)]) -> Self {
        KnownPaths {
            paths: paths
                .iter()
                .map(|(id, path)| ((*id).to_owned(), (*path).to_owned()))
                .collect(),
            asked: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn asked(&self) -> usize {
        self.asked.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl documents::CommunityPaths for KnownPaths {
    fn path_of(&self, id: &str) -> Option<&str> {
        let path = self.paths.get(id).map(String::as_str);
        if path.is_some() {
            self.asked
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        path
    }
}

#[tokio::test]
async fn community_condition_restricts_to_a_subtree() {
    for (engine, db, cap) in databases_with_probe_caps().await {
        PROBE_CAP_OVERRIDE.set(cap);
        let c = db.connection();
        let coll = readings();
        let town = scope(TOWN);
        ten(c).await;
        insert(
            c,
            &town,
            &coll,
            doc(Some("h2"), "house-2", H2, serde_json::json!({})),
            1,
        )
        .await
        .unwrap();
        insert(
            c,
            &town,
            &coll,
            doc(Some("t"), "town", TOWN, serde_json::json!({})),
            1,
        )
        .await
        .unwrap();
        let community = |op, id: &str| vec![cond("community", op, Value::Text(id.into()))];
        assert_eq!(
            all_ids(c, &town, community(Compare::Eq, "house-2")).await,
            ["h2"],
            "{engine}"
        );
        assert_eq!(
            all_ids(c, &town, community(Compare::Eq, "house-1"))
                .await
                .len(),
            10
        );
        assert_eq!(
            all_ids(c, &town, community(Compare::Eq, "town"))
                .await
                .len(),
            12
        );
        assert_eq!(
            all_ids(c, &town, community(Compare::Ne, "house-1")).await,
            ["h2", "t"]
        );
        assert!(
            all_ids(c, &town, community(Compare::Eq, "nowhere"))
                .await
                .is_empty()
        );
        // The same from the paths a host keeps in memory; one it does not know is asked of
        // the database.
        let known = KnownPaths::of(&[("house-2", H2), ("house-1", H1), ("town", TOWN)]);
        let remembered = Scope {
            paths: Some(&known),
            ..scope(TOWN)
        };
        assert_eq!(
            all_ids(c, &remembered, community(Compare::Eq, "house-2")).await,
            ["h2"],
            "{engine}"
        );
        assert_eq!(
            all_ids(c, &remembered, community(Compare::Ne, "house-1")).await,
            ["h2", "t"]
        );
        assert_eq!(known.asked(), 2, "{engine}: both paths came from memory");
        insert_community(&db, "house-3", Some("town"), "building").await;
        insert(
            c,
            &town,
            &coll,
            doc(
                Some("h3"),
                "house-3",
                "/town/house-3/",
                serde_json::json!({}),
            ),
            1,
        )
        .await
        .unwrap();
        assert_eq!(
            all_ids(c, &remembered, community(Compare::Eq, "house-3")).await,
            ["h3"],
            "{engine}: a community not in memory"
        );
        // Never wider than the scope.
        assert!(
            all_ids(c, &scope(H1), community(Compare::Eq, "house-2"))
                .await
                .is_empty()
        );
        assert_eq!(
            all_ids(c, &scope(H1), community(Compare::Eq, "town"))
                .await
                .len(),
            10
        );
        let counted = aggregate(
            c,
            &town,
            &coll,
            Aggregate {
                conditions: community(Compare::Eq, "house-1"),
                ..Aggregate::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(counted[0].count, 10);
        let wrong = query(
            c,
            &town,
            &coll,
            Query {
                conditions: vec![cond("community", Compare::Eq, Value::Integer(1))],
                ..Query::default()
            },
        )
        .await;
        assert_eq!(invalid_field(wrong), "conditions[0].value");
        let wrong = query(
            c,
            &town,
            &coll,
            Query {
                conditions: community(Compare::Lt, "town"),
                ..Query::default()
            },
        )
        .await;
        assert_eq!(invalid_field(wrong), "conditions[0].op");
    }
}

#[tokio::test]
async fn invalid_input_names_the_field() {
    for (engine, db) in databases().await {
        let c = db.connection();
        let coll = readings();
        let s = scope(TOWN);
        let write =
            |data: &str| doc(Some("x"), "house-1", H1, serde_json::Value::Null).with_data(data);
        assert_eq!(
            invalid_field(insert(c, &s, &coll, write("not json"), 1).await),
            "data",
            "{engine}"
        );
        assert_eq!(
            invalid_field(insert(c, &s, &coll, write("[1, 2]"), 1).await),
            "data"
        );
        let huge = format!(r#"{{"blob": "{}"}}"#, "x".repeat(1024 * 1024));
        assert_eq!(
            invalid_field(insert(c, &s, &coll, write(&huge), 1).await),
            "data"
        );
        let wrong = insert(c, &s, &coll, write(r#"{"period": "May"}"#), 1).await;
        match wrong {
            Err(StorageError::Invalid { field, message }) => {
                assert_eq!(field, "data.period");
                assert_eq!(message, "data.period: expected an integer");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            invalid_field(insert(c, &s, &coll, write(r#"{"period": 1.5}"#), 1).await),
            "data.period"
        );
        assert_eq!(
            invalid_field(insert(c, &s, &coll, write(r#"{"paid": 1}"#), 1).await),
            "data.paid"
        );
        assert_eq!(
            invalid_field(insert(c, &s, &coll, write(r#"{"meter": 5}"#), 1).await),
            "data.meter"
        );
        let long = format!(r#"{{"meter": "{}"}}"#, "m".repeat(2000));
        assert_eq!(
            invalid_field(insert(c, &s, &coll, write(&long), 1).await),
            "data.meter"
        );
        assert_eq!(
            invalid_field(put(c, &s, &coll, write(r#"{"meter": "a\u0000b"}"#), None, 1).await),
            "data.meter"
        );
        let mut unnamed = write("{}");
        unnamed.id = Some(String::new());
        assert_eq!(invalid_field(insert(c, &s, &coll, unnamed, 1).await), "id");
        assert_eq!(invalid_field(get(c, &s, &coll, "").await), "id");
        // Unindexed fields may hold anything; large documents up to 1 MiB are fine.
        insert(
            c,
            &s,
            &coll,
            write(&format!(
                r#"{{"note": [1, {{"a": null}}], "blob": "{}"}}"#,
                "y".repeat(1000 * 1000)
            )),
            1,
        )
        .await
        .unwrap();

        let q = |query_: Query| super::query(c, &s, &coll, query_);
        let with = |conditions| Query {
            conditions,
            ..Query::default()
        };
        assert_eq!(
            invalid_field(q(with(vec![cond("note", Compare::Eq, Value::Null)])).await),
            "conditions[0].field"
        );
        assert_eq!(
            invalid_field(
                q(with(vec![
                    cond("meter", Compare::Eq, Value::Null),
                    cond("period", Compare::Eq, Value::Text("1".into()))
                ]))
                .await
            ),
            "conditions[1].value"
        );
        assert_eq!(
            invalid_field(q(with(vec![cond("paid", Compare::Lt, Value::Boolean(true))])).await),
            "conditions[0].op"
        );
        assert_eq!(
            invalid_field(
                q(with(vec![cond(
                    "period",
                    Compare::Prefix,
                    Value::Text("1".into())
                )]))
                .await
            ),
            "conditions[0].op"
        );
        assert_eq!(
            invalid_field(q(with(vec![cond("period", Compare::Gt, Value::Null)])).await),
            "conditions[0].value"
        );
        assert_eq!(
            invalid_field(
                q(Query {
                    limit: 1001,
                    ..Query::default()
                })
                .await
            ),
            "limit"
        );
        assert_eq!(
            q(Query {
                limit: 1000,
                ..Query::default()
            })
            .await
            .unwrap()
            .documents
            .len(),
            1
        );
        assert_eq!(
            invalid_field(
                q(Query {
                    cursor: Some("zz".into()),
                    ..Query::default()
                })
                .await
            ),
            "cursor"
        );
        assert_eq!(
            invalid_field(
                q(Query {
                    cursor: Some(hex::encode("{}")),
                    ..Query::default()
                })
                .await
            ),
            "cursor"
        );
        let order = |field: &str| {
            Some(Order {
                field: field.into(),
                descending: false,
            })
        };
        assert_eq!(
            invalid_field(
                q(Query {
                    order: order("note"),
                    ..Query::default()
                })
                .await
            ),
            "order.field"
        );
        // A cursor only continues the order it came from.
        put_many(
            c,
            &s,
            &coll,
            (0..3)
                .map(|i| {
                    doc(
                        Some(&format!("p{i}")),
                        "house-1",
                        H1,
                        serde_json::json!({"period": i}),
                    )
                })
                .collect(),
            1,
        )
        .await
        .unwrap();
        let page = q(Query {
            order: order("period"),
            limit: 1,
            ..Query::default()
        })
        .await
        .unwrap();
        let cursor = page.next_cursor.unwrap();
        assert_eq!(
            invalid_field(
                q(Query {
                    order: order("meter"),
                    cursor: Some(cursor.clone()),
                    ..Query::default()
                })
                .await
            ),
            "cursor"
        );
        assert_eq!(
            invalid_field(
                q(Query {
                    cursor: Some(cursor),
                    ..Query::default()
                })
                .await
            ),
            "cursor"
        );

        let a = |group_by: Option<&str>, sum_of: Option<&str>| {
            aggregate(
                c,
                &s,
                &coll,
                Aggregate {
                    conditions: vec![],
                    group_by: group_by.map(Into::into),
                    sum_of: sum_of.map(Into::into),
                },
            )
        };
        assert_eq!(
            invalid_field(a(Some("note"), None).await),
            "group_by",
            "{engine}"
        );
        assert_eq!(invalid_field(a(None, Some("meter")).await), "sum_of");
        assert_eq!(invalid_field(a(None, Some("nothing")).await), "sum_of");

        let bad_spec = CollectionSpec {
            name: "bad".into(),
            indexes: vec![IndexSpec {
                field: "community".into(),
                kind: IndexKind::Text,
            }],
        };
        assert_eq!(
            invalid_field(sync_collection(c, PLUGIN, &bad_spec).await),
            "indexes[0].field"
        );
    }
}

#[tokio::test]
async fn sync_collection_backfills_new_indexes_and_drops_old_ones() {
    for (engine, db, cap) in databases_with_probe_caps().await {
        PROBE_CAP_OVERRIDE.set(cap);
        let c = db.connection();
        let v1 = CollectionSpec {
            name: "accounts".into(),
            indexes: vec![IndexSpec {
                field: "number".into(),
                kind: IndexKind::Text,
            }],
        };
        sync_collection(c, PLUGIN, &v1).await.unwrap();
        let s = scope(TOWN);
        let docs = (0..1234)
            .map(|i: i64| {
                let area = if i == 3 {
                    serde_json::json!("big")
                } else {
                    serde_json::json!(i)
                };
                doc(
                    Some(&format!("acc{i:05}")),
                    "house-1",
                    H1,
                    serde_json::json!({"number": format!("n{i}"), "area": area}),
                )
            })
            .collect();
        put_many(c, &s, &v1, docs, 1).await.unwrap();

        let v2 = CollectionSpec {
            name: "accounts".into(),
            indexes: vec![
                IndexSpec {
                    field: "number".into(),
                    kind: IndexKind::Text,
                },
                IndexSpec {
                    field: "area".into(),
                    kind: IndexKind::Integer,
                },
            ],
        };
        let tx = db.begin().await.unwrap();
        sync_collection(&tx, PLUGIN, &v2).await.unwrap();
        tx.commit().await.unwrap();
        let large = query(
            c,
            &s,
            &v2,
            Query {
                conditions: vec![cond("area", Compare::Ge, Value::Integer(1230))],
                ..Query::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            ids(&large),
            ["acc01230", "acc01231", "acc01232", "acc01233"],
            "{engine}"
        );
        // The stored value of the wrong type is indexed as null.
        let nulls = query(
            c,
            &s,
            &v2,
            Query {
                conditions: vec![cond("area", Compare::Eq, Value::Null)],
                ..Query::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(ids(&nulls), ["acc00003"]);
        let total = aggregate(
            c,
            &s,
            &v2,
            Aggregate {
                sum_of: Some("area".into()),
                ..Aggregate::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(total[0].sum, (0..1234).sum::<i64>() - 3);
        // Loading the same declaration again changes nothing.
        sync_collection(c, PLUGIN, &v2).await.unwrap();

        let index_rows = |field: &'static str| async move {
            let row = c
                .query_one(sea_orm::Statement::from_sql_and_values(
                    c.get_database_backend(),
                    match c.get_database_backend() {
                        sea_orm::DbBackend::Postgres => {
                            "SELECT COUNT(*) FROM document_index WHERE field = $1"
                        }
                        _ => "SELECT COUNT(*) FROM document_index WHERE field = ?",
                    },
                    [super::documents::field_key(PLUGIN, "accounts", field).into()],
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        };
        assert_eq!(index_rows("area").await, 1234);
        let v3 = CollectionSpec {
            name: "accounts".into(),
            indexes: vec![IndexSpec {
                field: "area".into(),
                kind: IndexKind::Integer,
            }],
        };
        sync_collection(c, PLUGIN, &v3).await.unwrap();
        assert_eq!(index_rows("number").await, 0, "{engine}");
        assert_eq!(index_rows("area").await, 1234);
        // The upgraded plugin keeps its data.
        let kept = get(c, &s, &v3, "acc00042").await.unwrap().unwrap();
        assert!(kept.data.contains("n42"));
        let by_number = query(
            c,
            &s,
            &v3,
            Query {
                conditions: vec![cond("number", Compare::Eq, Value::Text("n1".into()))],
                ..Query::default()
            },
        )
        .await;
        assert_eq!(invalid_field(by_number), "conditions[0].field");
    }
}

impl NewDocument {
    fn with_data(mut self, data: &str) -> Self {
        self.data = data.to_owned();
        self
    }
}

#[tokio::test]
async fn connects_to_a_new_sqlite_file_in_a_new_directory() {
    let dir = std::env::temp_dir().join(format!(
        "dvor-connect-{}",
        hex::encode(rand::random::<[u8; 6]>())
    ));
    let url = format!("sqlite://{}", dir.join("nested/dvor.db").display());
    let db = Database::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    assert_eq!(db.backend(), sea_orm::DbBackend::Sqlite);
    let mode = db
        .connection()
        .query_one(sea_orm::Statement::from_string(
            db.backend(),
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    assert_eq!(mode, "wal");
    drop(db);
    std::fs::remove_dir_all(dir).unwrap();
    assert!(Database::connect("mysql://nope").await.is_err());
}

/// Statements are joined while their parameters fit one statement: by `;` on SQLite, in a
/// `WITH` on PostgreSQL.
#[test]
fn statements_are_joined_into_as_few_as_their_parameters_allow() {
    let half = sql::max_params(DbBackend::Sqlite) / 2;
    let statement = |n: usize| {
        sea_orm::Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("SELECT {n}"),
            vec![sea_orm::Value::from(n as i64); half],
        )
    };
    let joined = in_few_round_trips(DbBackend::Sqlite, (1..=3).map(statement).collect());
    let shapes: Vec<(String, usize)> = joined
        .iter()
        .map(|s| (s.sql.clone(), s.values.as_ref().map_or(0, |v| v.0.len())))
        .collect();
    assert_eq!(
        shapes,
        [
            ("SELECT 1; SELECT 2".to_owned(), 2 * half),
            ("SELECT 3".to_owned(), half)
        ]
    );

    // On PostgreSQL: one statement, the earlier ones in a WITH, their parameters renumbered
    // (a `$` inside a quoted name or a string is not a parameter).
    let insert = |n: usize| {
        sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("INSERT INTO \"t{n}\" (\"a$1\", \"b\") VALUES ($1, $2, 'x$1')"),
            vec![sea_orm::Value::from(n as i64); 2],
        )
    };
    let joined = in_few_round_trips(DbBackend::Postgres, (1..=3).map(insert).collect());
    assert_eq!(joined.len(), 1);
    assert_eq!(
        joined[0].sql,
        "WITH \"part0\" AS (INSERT INTO \"t1\" (\"a$1\", \"b\") VALUES ($1, $2, 'x$1')), \
         \"part1\" AS (INSERT INTO \"t2\" (\"a$1\", \"b\") VALUES ($3, $4, 'x$1')) \
         INSERT INTO \"t3\" (\"a$1\", \"b\") VALUES ($5, $6, 'x$1')"
    );
    assert_eq!(joined[0].values.as_ref().map_or(0, |v| v.0.len()), 6);
}

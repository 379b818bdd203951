//! What signing in costs every request: resolving a session token to a person with their
//! roles (the token with its person, then the grants with their organizations' areas and the
//! ownerships), with 20 000 people, 40 000 grants and 20 000 ownerships in the tables. On
//! SQLite, and on PostgreSQL when `DVOR_TEST_POSTGRES_URL` is set. A measurement, not a test:
//! `cargo bench -p dvor --bench identity`.

use std::time::Instant;

use dvor::communities::Communities;
use dvor::identity::membership::{self, OwnershipChange, Place, UnitChange};
use dvor::identity::people::{self, NewPerson};
use dvor::identity::{roles, tokens};
use dvor::storage::testing::{insert_community, test_databases};

fn main() {
    let people_count: usize = std::env::var("DVOR_BENCH_PEOPLE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for (engine, db) in test_databases().await {
            insert_community(&db, "town", None, "settlement").await;
            let houses = 100;
            for h in 0..houses {
                insert_community(&db, &format!("house-{h}"), Some("town"), "house").await;
            }
            let started = Instant::now();
            let mut last = None;
            let tx = db.begin().await.unwrap();
            for h in 0..houses {
                for u in 0..people_count / houses {
                    membership::save_unit(
                        &tx,
                        None,
                        UnitChange {
                            community: &format!("house-{h}"),
                            number: &u.to_string(),
                            kind: "apartment",
                            area_centi_m2: 5430,
                            cadastral_number: None,
                        },
                        0,
                    )
                    .await
                    .unwrap();
                }
            }
            for i in 0..people_count {
                let person = people::create(
                    &tx,
                    NewPerson {
                        given_name: "Анна".into(),
                        family_name: "Петрова".into(),
                        phone: Some(format!("+7999{i:07}")),
                        email: None,
                        locale: "ru".into(),
                    },
                    i as i64,
                )
                .await
                .unwrap();
                let house = format!("house-{}", i % houses);
                membership::grant(
                    &tx,
                    None,
                    &person.id,
                    "resident",
                    Place::Community(Some(&house)),
                    0,
                )
                .await
                .unwrap();
                if i % 50 == 0 {
                    membership::grant(
                        &tx,
                        None,
                        &person.id,
                        "chairman",
                        Place::Community(Some(&house)),
                        0,
                    )
                    .await
                    .unwrap();
                }
                let unit = membership::unit(&tx, &format!("{house}/{}", i / houses))
                    .await
                    .unwrap()
                    .unwrap();
                membership::set_ownership(
                    &tx,
                    None,
                    OwnershipChange {
                        person: &person.id,
                        unit: &unit,
                        share: (1, 1),
                        verified: true,
                        source: "bench",
                    },
                    0,
                )
                .await
                .unwrap();
                last = Some(person);
            }
            tx.commit().await.unwrap();
            let person = last.unwrap();
            println!(
                "{engine}: set up {people_count} people in {:.1} s",
                started.elapsed().as_secs_f64()
            );

            let (token, _) = tokens::issue(
                db.connection(),
                tokens::NewCredential {
                    person_id: &person.id,
                    kind: tokens::Kind::Session,
                    name: None,
                    scopes: &[],
                    user_agent: None,
                    expires: None,
                },
                0,
            )
            .await
            .unwrap();
            let tree = Communities::load(db.connection()).await.unwrap();
            let rounds = 2000;
            let mut totals = Vec::with_capacity(rounds);
            let mut by_step = [Vec::new(), Vec::new()];
            for _ in 0..rounds {
                let started = Instant::now();
                let conn = db.connection();
                // `now` inside the last minute of use: no sliding write, as on most requests.
                let (_, person) = tokens::authenticate(conn, conn, &token, 86_400_000, 1)
                    .await
                    .unwrap()
                    .unwrap();
                let person_done = started.elapsed();
                let held = roles::effective_roles(conn, &person.id, &tree).await.unwrap();
                let roles_done = started.elapsed();
                assert!(!held.is_empty());
                totals.push(roles_done.as_micros() as u64);
                by_step[0].push(person_done.as_micros() as u64);
                by_step[1].push((roles_done - person_done).as_micros() as u64);
            }
            let quantile = |samples: &mut Vec<u64>, q: f64| {
                samples.sort_unstable();
                samples[((samples.len() as f64 - 1.0) * q) as usize]
            };
            let [person_step, roles_step] = &mut by_step;
            println!(
                "{engine}: token → person with roles: p50 {} µs, p99 {} µs ({rounds} rounds); p50 by step: token and person {} µs, roles {} µs",
                quantile(&mut totals, 0.5),
                quantile(&mut totals, 0.99),
                quantile(person_step, 0.5),
                quantile(roles_step, 0.5),
            );
        }
    });
}

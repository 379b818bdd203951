//! Test support: fresh, migrated databases on every engine available, so that storage tests
//! run on SQLite always and on PostgreSQL when `DVOR_TEST_POSTGRES_URL` is set.
//!
//! ```no_run
//! # async fn example() {
//! for (engine, db) in dvor::storage::testing::test_databases().await {
//!     let path = dvor::storage::testing::insert_community(&db, "town", None, "city").await;
//!     assert_eq!(path, "/town/", "{engine}");
//! }
//! # }
//! ```
//!
//! Each database is removed when the last clone of its [`Database`] is dropped (the SQLite
//! temporary directory, or the PostgreSQL database).

use std::path::PathBuf;

use sea_orm::ConnectionTrait as _;
use sea_orm::sea_query::{Expr, Query};

use super::Database;
use super::sql::{Communities, fetch_one};

/// The environment variable with the URL of a PostgreSQL server for tests, e.g.
/// `postgres://postgres:postgres@127.0.0.1:5432/postgres`. The user must be allowed to create
/// databases.
pub const POSTGRES_URL_VAR: &str = "DVOR_TEST_POSTGRES_URL";

/// Fresh migrated databases, each named by its engine: `("sqlite", …)` in a new temporary
/// directory, and `("postgres", …)`, a new database `dvor_test_<random>` on the server of
/// [`POSTGRES_URL_VAR`], when that is set.
///
/// # Panics
/// When a database cannot be created, connected to or migrated (it is for tests).
pub async fn test_databases() -> Vec<(&'static str, Database)> {
    let mut databases = vec![("sqlite", sqlite().await)];
    if let Ok(url) = std::env::var(POSTGRES_URL_VAR)
        && !url.trim().is_empty()
    {
        databases.push(("postgres", postgres(url.trim()).await));
    }
    databases
}

/// Insert a community (named after its id) under `parent` and return its materialised path,
/// e.g. `/town/house-1/`.
///
/// # Panics
/// When the parent does not exist or the insert fails (it is for tests).
pub async fn insert_community(db: &Database, id: &str, parent: Option<&str>, kind: &str) -> String {
    let conn = db.connection();
    let path = match parent {
        None => format!("/{id}/"),
        Some(parent) => {
            let mut select = Query::select();
            select
                .column(Communities::Path)
                .from(Communities::Table)
                .and_where(Expr::col(Communities::Id).eq(parent));
            let row = fetch_one(conn, &select)
                .await
                .expect("reading the parent community")
                .unwrap_or_else(|| panic!("no parent community `{parent}`"));
            let parent_path: String = row.try_get_by_index(0).expect("the parent's path");
            format!("{parent_path}{id}/")
        }
    };
    let mut insert = Query::insert();
    insert
        .into_table(Communities::Table)
        .columns([
            Communities::Id,
            Communities::ParentId,
            Communities::Name,
            Communities::Kind,
            Communities::Path,
            Communities::Created,
        ])
        .values_panic([
            id.into(),
            parent.into(),
            id.into(),
            kind.into(),
            path.as_str().into(),
            0i64.into(),
        ]);
    conn.execute(conn.get_database_backend().build(&insert))
        .await
        .expect("inserting a community");
    path
}

/// What to remove when a test database is dropped.
pub(super) enum Cleanup {
    /// A temporary directory holding a SQLite file.
    Directory(PathBuf),
    /// A PostgreSQL database, dropped through the admin URL.
    Postgres { admin_url: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                let admin_url = admin_url.clone();
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                // Drop runs inside the test's runtime: do the async work on a thread of its own.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let admin = sea_orm::Database::connect(admin_url.as_str()).await.ok()?;
                        admin.execute_unprepared(&sql).await.ok()?;
                        admin.close().await.ok()
                    })
                })
                .join();
                let _ = dropped;
            }
        }
    }
}

fn random_suffix() -> String {
    hex::encode(rand::random::<[u8; 8]>())
}

async fn sqlite() -> Database {
    let dir = std::env::temp_dir().join(format!("dvor-testdb-{}", random_suffix()));
    std::fs::create_dir_all(&dir).expect("creating a temporary directory");
    let url = format!("sqlite://{}", dir.join("dvor.db").display());
    let mut db = Database::connect(&url)
        .await
        .expect("creating a SQLite database");
    db._cleanup = Some(std::sync::Arc::new(Cleanup::Directory(dir)));
    db.migrate()
        .await
        .expect("migrating the SQLite test database");
    db
}

async fn postgres(admin_url: &str) -> Database {
    let name = format!("dvor_test_{}", random_suffix());
    let admin = sea_orm::Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {POSTGRES_URL_VAR}: {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("creating a PostgreSQL test database");
    let _ = admin.close().await;
    let cleanup = Cleanup::Postgres {
        admin_url: admin_url.to_owned(),
        name: name.clone(),
    };
    let mut db = Database::connect(&with_database(admin_url, &name))
        .await
        .expect("connecting to the PostgreSQL test database");
    db._cleanup = Some(std::sync::Arc::new(cleanup));
    db.migrate()
        .await
        .expect("migrating the PostgreSQL test database");
    db
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (url, params) = match url.split_once('?') {
        Some((url, params)) => (url, Some(params)),
        None => (url, None),
    };
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let base = match url[authority_start..].find('/') {
        Some(slash) => &url[..authority_start + slash],
        None => url,
    };
    match params {
        Some(params) => format!("{base}/{name}?{params}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}

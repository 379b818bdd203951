//! Storage: the host database and the plugins' typed document collections.
//!
//! [`Database`] connects to SQLite (the embedded default: one file) or PostgreSQL and runs the
//! migrations of `dvor-migration`. The [`documents`] functions implement the contract's
//! `storage` interface on top of it: JSON documents per plugin and collection, with declared
//! index fields that can be filtered, ordered and aggregated — always confined to one plugin and
//! to the community subtree of the call ([`Scope`]).
//!
//! All document functions take any [`sea_orm::ConnectionTrait`], so they run inside the
//! transaction of the plugin call; they write nothing outside it.
//!
//! On SQLite the connection pool holds a single connection: SQLite has one writer at a time
//! anyway, and a single connection means two plugin calls' transactions queue for the pool
//! instead of failing with `SQLITE_BUSY` when a deferred transaction that has read tries to
//! write. The consequence: while a transaction is open, do every database access of that task
//! through the transaction, never through [`Database::connection`].
//!
//! Beside it, a SQLite file has a pool of read connections ([`Database::reader`]): in WAL mode
//! they read a committed snapshot while the writer's transaction is open, so a page or an API
//! read never waits for a long write (an import running to its deadline). They refuse writes
//! (`query_only`). A plugin call that starts as a read runs on one of them until its first
//! write; see `runtime::state`.

pub mod documents;
mod search;
mod sql;
pub(crate) use sql::in_few_round_trips;
pub mod testing;
#[cfg(test)]
mod tests;
mod values;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use dvor_migration::MigratorTrait as _;
use sea_orm::TransactionTrait as _;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr};

pub use documents::{
    Aggregate, CollectionSpec, CommunityPaths, Compare, Condition, Group, IndexKind, IndexSpec,
    NewDocument, Order, Page, Query, Scope, StorageError, StoredDocument, Value, aggregate, delete,
    get, insert, put, put_many, query, sync_collection, versions,
};
pub use search::ProbeEstimates;
pub use sql::StatementText;

/// Whether `error` is the database refusing a transaction that lost a race with a concurrent
/// one: PostgreSQL's serialization failure (SQLSTATE 40001, a row this REPEATABLE READ
/// transaction read was changed and committed by another) or a deadlock (40P01). Nothing of
/// the transaction was written; run again, it reads the winner's writes.
pub fn lost_race(error: &DbErr) -> bool {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(sqlx))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(sqlx))
    | DbErr::Conn(sea_orm::RuntimeErr::SqlxError(sqlx))) = error
    else {
        return false;
    };
    sqlx.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "40001" || code == "40P01")
}

/// The host database: a connection pool and which engine it talks to.
///
/// Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct Database {
    connection: DatabaseConnection,
    /// Read-only connections beside the writer (a SQLite file only).
    reader: Option<DatabaseConnection>,
    backend: DbBackend,
    /// What the SQLite query planner's probes chose recently, shared by the clones.
    estimates: Arc<ProbeEstimates>,
    /// Removes a test database when the last clone is dropped (see [`testing`]).
    _cleanup: Option<Arc<testing::Cleanup>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Connect to `sqlite://path/to/file.db` (the file and its directory are created if
    /// missing; WAL journal, `busy_timeout` 10 s, `synchronous = NORMAL`, a 64 MiB page
    /// cache) or to
    /// `postgres://user:password@host/database`.
    pub async fn connect(url: &str) -> anyhow::Result<Database> {
        let mut options = ConnectOptions::new(url.to_owned());
        options.sqlx_logging(false);
        let backend = if url.starts_with("sqlite:") {
            if let Some(parent) = sqlite_file(url).and_then(Path::parent)
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).with_context(|| {
                    format!("creating the database directory {}", parent.display())
                })?;
            }
            // One in-process connection: nothing to test before each use (a test costs a
            // round trip per query, which was most of a request's authentication time).
            options.test_before_acquire(false);
            options.max_connections(1).map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(10))
                    .synchronous(SqliteSynchronous::Normal)
                    // A 64 MiB page cache (the default is 2 MiB): a billing run over 100 000
                    // accounts walks indexes far larger than the default holds.
                    .pragma("cache_size", "-65536")
            });
            DbBackend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            DbBackend::Postgres
        } else {
            anyhow::bail!("unsupported database URL (expected sqlite:// or postgres://): {url}");
        };
        let connection = sea_orm::Database::connect(options)
            .await
            .with_context(|| format!("connecting to the {backend:?} database"))?;
        let reader = match backend {
            DbBackend::Sqlite if sqlite_file(url).is_some() => Some(
                sea_orm::Database::connect(sqlite_readers(url))
                    .await
                    .context("opening the SQLite read connections")?,
            ),
            _ => None,
        };
        Ok(Database {
            connection,
            reader,
            backend,
            estimates: Arc::default(),
            _cleanup: None,
        })
    }

    /// Bring the schema up to date (runs every pending migration).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        dvor_migration::Migrator::up(&self.connection, None)
            .await
            .context("migrating the database")
    }

    /// The connection pool.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// Connections for reads that need not see the open write transaction's changes: the
    /// read pool of a SQLite file (each statement or transaction reads the last committed
    /// snapshot, never waiting for the writer), otherwise the pool itself.
    pub fn reader(&self) -> &DatabaseConnection {
        self.reader.as_ref().unwrap_or(&self.connection)
    }

    /// Whether [`Database::reader`] is a pool of its own, apart from the writer.
    pub fn has_reader(&self) -> bool {
        self.reader.is_some()
    }

    /// Begin a read transaction on [`Database::reader`]: one snapshot for all its reads.
    pub async fn begin_read(&self) -> Result<DatabaseTransaction, DbErr> {
        let started = std::time::Instant::now();
        let tx = self.reader().begin().await;
        crate::metrics::POOL_WAIT.observe(started.elapsed().as_secs_f64());
        tx
    }

    /// What the SQLite planner's probes chose recently (see [`Scope::estimates`]).
    pub fn estimates(&self) -> &ProbeEstimates {
        &self.estimates
    }

    /// Which engine this is.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Begin a transaction (the wait for a connection is recorded in
    /// [`crate::metrics::POOL_WAIT`]).
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        let started = std::time::Instant::now();
        let tx = self.connection.begin().await;
        crate::metrics::POOL_WAIT.observe(started.elapsed().as_secs_f64());
        tx
    }
}

/// The options of the read pool of a SQLite file: as many connections as the machine has cores
/// (at least two), each refusing writes.
fn sqlite_readers(url: &str) -> ConnectOptions {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    options.test_before_acquire(false);
    options
        .max_connections(cores.max(2) as u32)
        .min_connections(1)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-16384")
                .pragma("query_only", "1")
        });
    options
}

/// The file of a `sqlite://path?options` URL, unless it is in memory.
fn sqlite_file(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(Path::new(path))
    }
}

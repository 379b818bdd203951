//! `dvor backup` and `dvor restore`: a consistent copy of a running instance's database, and
//! putting one back into a new data directory or an empty PostgreSQL database.
//!
//! Everything an instance keeps is in its database (plugin documents, files, identity, events,
//! jobs, the instance's secrets), so the database is the backup. SQLite copies a snapshot with
//! `VACUUM INTO` — one transaction's view, taken while the server keeps writing, compacted into a
//! single file with no WAL beside it. PostgreSQL is backed up by its own tools: `pg_dump` in its
//! custom format (one snapshot too), restored with `pg_restore` in one transaction. A backup file
//! appears under its name only once it is complete (written beside it, then renamed).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};

use crate::config::Config;
use crate::storage::Database;

/// Which engine a database URL names.
fn engine(url: &str) -> anyhow::Result<DbBackend> {
    if url.starts_with("sqlite:") {
        Ok(DbBackend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(DbBackend::Postgres)
    } else {
        anyhow::bail!("unsupported database URL (expected sqlite:// or postgres://)")
    }
}

/// The file of a `sqlite://` URL; an in-memory database has none.
pub fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    anyhow::ensure!(
        !path.is_empty() && path != ":memory:",
        "an in-memory SQLite database has nothing to back up or restore into"
    );
    Ok(PathBuf::from(path))
}

/// `dvor backup [FILE]`: write the backup and print where it is.
pub async fn backup_command(config_path: &Path, file: Option<PathBuf>) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    let url = config.database_url();
    let file = match file {
        Some(file) => file,
        None => {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let extension = match engine(&url)? {
                DbBackend::Sqlite => "db",
                _ => "pgdump",
            };
            config
                .storage
                .data_dir
                .join("backups")
                .join(format!("dvor-{stamp}.{extension}"))
        }
    };
    let bytes = backup(&url, &file).await?;
    println!("backed up to {} ({bytes} bytes)", file.display());
    Ok(())
}

/// `dvor restore FILE`: restore into the config's database, which must be new.
pub async fn restore_command(config_path: &Path, file: &Path) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    let url = config.database_url();
    restore(&url, file).await?;
    println!(
        "restored {} into {}",
        file.display(),
        crate::cli::redact(&url)
    );
    Ok(())
}

/// Back up the database at `url` into `file`; the size of the file written.
pub async fn backup(url: &str, file: &Path) -> anyhow::Result<u64> {
    anyhow::ensure!(
        !file.exists(),
        "{} exists already: a backup never overwrites a file",
        file.display()
    );
    if let Some(parent) = file.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let partial = partial_name(file);
    let _ = std::fs::remove_file(&partial);
    let result = match engine(url)? {
        DbBackend::Sqlite => backup_sqlite(url, &partial).await,
        _ => run_tool(
            "pg_dump",
            &[
                "--format=custom".as_ref(),
                "--no-owner".as_ref(),
                "--no-privileges".as_ref(),
                "--file".as_ref(),
                partial.as_os_str(),
                url.as_ref(),
            ],
        ),
    };
    if let Err(error) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, file)
        .with_context(|| format!("moving the backup to {}", file.display()))?;
    Ok(std::fs::metadata(file)?.len())
}

/// Where a backup is written until it is complete.
fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    file.with_file_name(name)
}

async fn backup_sqlite(url: &str, into: &Path) -> anyhow::Result<()> {
    let source = sqlite_path(url)?;
    anyhow::ensure!(
        source.exists(),
        "there is no database at {} to back up",
        source.display()
    );
    let db = Database::connect(url).await?;
    let target = into
        .to_str()
        .context("the backup's path is not valid UTF-8")?
        .replace('\'', "''");
    db.connection()
        .execute(Statement::from_string(
            DbBackend::Sqlite,
            format!("VACUUM INTO '{target}'"),
        ))
        .await
        .context("copying the database (VACUUM INTO)")?;
    Ok(())
}

/// Restore `file` into the database at `url`, which must be new: a SQLite file that does not
/// exist yet, or a PostgreSQL database without tables.
pub async fn restore(url: &str, file: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(file.is_file(), "there is no backup at {}", file.display());
    match engine(url)? {
        DbBackend::Sqlite => restore_sqlite(url, file).await,
        _ => {
            let db = Database::connect(url).await?;
            let tables = db
                .connection()
                .query_one(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT count(*) AS n FROM information_schema.tables \
                     WHERE table_schema = 'public'",
                ))
                .await?
                .map(|row| row.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0);
            drop(db);
            anyhow::ensure!(
                tables == 0,
                "the database has {tables} tables already: restore only into an empty \
                 database (createdb a new one and point storage.database_url at it)"
            );
            run_tool(
                "pg_restore",
                &[
                    "--no-owner".as_ref(),
                    "--no-privileges".as_ref(),
                    "--exit-on-error".as_ref(),
                    "--single-transaction".as_ref(),
                    "--dbname".as_ref(),
                    url.as_ref(),
                    file.as_os_str(),
                ],
            )
        }
    }
}

async fn restore_sqlite(url: &str, file: &Path) -> anyhow::Result<()> {
    let target = sqlite_path(url)?;
    for existing in [
        target.clone(),
        PathBuf::from(format!("{}-wal", target.display())),
    ] {
        anyhow::ensure!(
            !existing.exists(),
            "{} exists already: restore only into a new data directory (or move the old \
             database away first)",
            existing.display()
        );
    }
    if let Some(parent) = target.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let partial = partial_name(&target);
    std::fs::copy(file, &partial).with_context(|| format!("copying {}", file.display()))?;
    // Check that it is a whole SQLite database before it takes the database's name.
    let check = async {
        let db = Database::connect(&format!("sqlite://{}", partial.display())).await?;
        let row = db
            .connection()
            .query_one(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA integrity_check",
            ))
            .await
            .context("the backup is not a SQLite database")?
            .context("the backup is not a SQLite database")?;
        let verdict: String = row.try_get_by_index(0)?;
        anyhow::ensure!(verdict == "ok", "the backup is damaged: {verdict}");
        db.connection()
            .execute(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ))
            .await?;
        db.connection().close_by_ref().await?;
        Ok(())
    };
    if let Err(error) = check.await {
        for leftover in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{leftover}", partial.display()));
        }
        return Err(error);
    }
    for leftover in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{leftover}", partial.display()));
    }
    std::fs::rename(&partial, &target)
        .with_context(|| format!("moving the restored database to {}", target.display()))?;
    Ok(())
}

/// Run one of PostgreSQL's own tools, naming it if it is not installed and passing on what it
/// said if it failed.
fn run_tool(tool: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
    let output = std::process::Command::new(tool)
        .args(args)
        .output()
        .with_context(|| {
            format!(
                "running {tool} (PostgreSQL's client tools must be installed: postgresql-client)"
            )
        })?;
    anyhow::ensure!(
        output.status.success(),
        "{tool} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

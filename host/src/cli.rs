//! The command line's work, kept here so that `main.rs` stays thin.

use std::path::Path;

use anyhow::Context as _;

use crate::config::Config;
use crate::instance::{load_runtime, plugin_path};
use crate::storage::Database;

/// `dvor config check`: parse the config, load every plugin it names (compiling them into the
/// cache) and validate their settings, against a throwaway database.
pub async fn check_config(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let scratch = std::env::temp_dir().join(format!("dvor-check-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let db = Database::connect(&format!("sqlite://{}/check.db", scratch.display())).await?;
    db.migrate().await?;
    crate::communities::Communities::seed(db.connection(), &config, 0).await?;
    let result = load_runtime(&config, db).await;
    let _ = std::fs::remove_dir_all(&scratch);
    let runtime = result?;
    println!(
        "{}: ok — {} communities, {} plugins ({})",
        path.display(),
        config.communities.len(),
        runtime.plugins().len(),
        runtime
            .plugins()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// `dvor plugins`: what the config loads.
pub async fn list_plugins(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let db = Database::connect(&config.database_url()).await?;
    db.migrate().await?;
    crate::communities::Communities::seed(
        db.connection(),
        &config,
        chrono::Utc::now().timestamp_millis(),
    )
    .await?;
    let runtime = load_runtime(&config, db).await?;
    for plugin in runtime.plugins().values() {
        let m = &plugin.manifest;
        let list = |set: &std::collections::BTreeSet<String>| {
            if set.is_empty() {
                "—".to_owned()
            } else {
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        };
        println!("{} {} — {}", m.id, m.version, m.name.ru);
        println!(
            "  file:        {} (sha256 {}, {:?})",
            plugin_path(&config, &m.id).display(),
            &plugin.sha256[..12],
            plugin.cache
        );
        println!("  contract:    dvor:plugin@{}", plugin.contract);
        println!("  enabled for: {}", plugin.enabled_for.join(", "));
        println!("  collections: {}", list(&plugin.effective.collections));
        println!("  emits:       {}", list(&plugin.effective.emits));
        println!("  consumes:    {}", list(&plugin.effective.consumes));
        println!("  schedules:   {}", list(&plugin.effective.schedules));
        println!("  outbound:    {}", list(&plugin.effective.outbound_hosts));
        println!(
            "  notifications: {}, files: {}",
            plugin.effective.notifications, plugin.effective.files
        );
        // What callers who are not signed in may do besides reading, for the operator's audit.
        let opened: Vec<String> = m
            .access
            .anonymous_api
            .iter()
            .cloned()
            .chain(
                m.access
                    .anonymous_actions
                    .iter()
                    .map(|a| format!("action {a}")),
            )
            .collect();
        println!(
            "  anonymous:   reads{}",
            if opened.is_empty() {
                String::new()
            } else {
                format!("; {}", opened.join(", "))
            }
        );
        println!(
            "  limits:      {} MiB, {} ms{}",
            plugin.limits.memory_bytes >> 20,
            plugin.limits.deadline.as_millis(),
            plugin
                .limits
                .fuel
                .map(|f| format!(", fuel {f}"))
                .unwrap_or_default()
        );
        let denied = plugin
            .requested
            .collections
            .difference(&plugin.granted.collections)
            .cloned()
            .collect::<Vec<_>>();
        if !denied.is_empty() {
            println!(
                "  requested but not granted collections: {}",
                denied.join(", ")
            );
        }
    }
    Ok(())
}

/// `dvor migrate`.
pub async fn migrate(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    std::fs::create_dir_all(&config.storage.data_dir).ok();
    let db = Database::connect(&config.database_url()).await?;
    db.migrate().await?;
    println!("migrated {}", redact(&config.database_url()));
    Ok(())
}

/// `dvor migrate --dry-run`: which migrations `dvor migrate` (or `dvor serve`) would run on the
/// config's database, changing nothing — the look-up runs in a transaction that is rolled back,
/// and a SQLite file that does not exist yet is not created.
pub async fn migrate_dry_run(path: &Path) -> anyhow::Result<()> {
    use dvor_migration::MigratorTrait as _;
    use sea_orm::TransactionTrait as _;
    let config = Config::load(path)?;
    let url = config.database_url();
    let all: Vec<String> = dvor_migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let new_file = url.starts_with("sqlite:")
        && crate::backup::sqlite_path(&url).is_ok_and(|file| !file.exists());
    let pending: Vec<String> = if new_file {
        all.clone()
    } else {
        let db = Database::connect(&url).await?;
        let transaction = db.connection().begin().await?;
        let pending = dvor_migration::Migrator::get_pending_migrations(&transaction)
            .await
            .context("reading which migrations this database has")?;
        transaction.rollback().await?;
        pending.iter().map(|m| m.name().to_owned()).collect()
    };
    println!(
        "{}: {} of {} migrations applied{}",
        redact(&url),
        all.len() - pending.len(),
        all.len(),
        if new_file { " (a new database)" } else { "" }
    );
    if pending.is_empty() {
        println!("nothing to run: the schema is up to date");
    } else {
        println!("would run, in this order:");
        for name in &pending {
            println!("  {name}");
        }
    }
    Ok(())
}

/// `dvor events dead`.
pub async fn dead_letters(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let db = Database::connect(&config.database_url()).await?;
    let rows = crate::events::dead_letters(db.connection()).await?;
    if rows.is_empty() {
        println!("no dead letters");
    }
    for row in rows {
        println!(
            "{} {} -> {} after {} attempts: {}",
            row.event_id,
            row.kind,
            row.subscriber,
            row.attempts,
            row.last_error.unwrap_or_default()
        );
    }
    Ok(())
}

/// `dvor events replay EVENT PLUGIN`.
pub async fn replay(path: &Path, event: &str, plugin: &str) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let db = Database::connect(&config.database_url()).await?;
    let now = chrono::Utc::now().timestamp_millis();
    if crate::events::replay(db.connection(), event, plugin, now).await? {
        println!("queued {event} for {plugin} again");
        Ok(())
    } else {
        anyhow::bail!("no dead delivery of event {event} to {plugin}")
    }
}

pub(crate) fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((before, after)) => match before.rsplit_once(':') {
            Some((user, _)) if user.contains("//") => format!("{user}:***@{after}"),
            _ => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

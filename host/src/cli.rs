//! The command line's work, kept here so that `main.rs` stays thin.

use std::path::Path;

use anyhow::Context as _;

use crate::config::Config;
use crate::instance::{load_runtime, plugin_path};
use crate::storage::Database;

/// `dvor config check`: parse the config, load every plugin it names (compiling them into the
/// cache) and validate their settings, against a throwaway database: the instance's own is
/// never touched. Capabilities a plugin asks for and is not granted are named (calls using
/// them will be denied), and so are grants nothing asks for.
pub async fn check_config(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let (runtime, scratch) = scratch_runtime(&config).await?;
    let runtime = runtime?;
    let _ = std::fs::remove_dir_all(&scratch);
    let plugins = runtime.plugins();
    let mut notes = Vec::new();
    for plugin in plugins.values() {
        notes.extend(crate::manifest::ungranted(
            &plugin.manifest,
            &plugin.granted,
        ));
        notes.extend(crate::manifest::check_grants(
            &plugin.manifest,
            &plugin.granted,
        ));
    }
    println!(
        "{}: ok — {} communities, {} plugins ({})",
        path.display(),
        config.communities.len(),
        plugins.len(),
        plugins.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    for note in notes {
        println!("  note: {note}");
    }
    Ok(())
}

/// A runtime with the config's plugins loaded, on a throwaway SQLite database in a scratch
/// directory (returned, for the caller to remove).
async fn scratch_runtime(
    config: &Config,
) -> anyhow::Result<(anyhow::Result<crate::runtime::Runtime>, std::path::PathBuf)> {
    let scratch = std::env::temp_dir().join(format!(
        "dvor-check-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&scratch)?;
    let db = Database::connect(&format!("sqlite://{}/check.db", scratch.display())).await?;
    db.migrate().await?;
    crate::communities::Communities::seed(db.connection(), config, 0).await?;
    Ok((load_runtime(config, db).await, scratch))
}

/// `dvor plugin check FILE.wasm [--config FILE]`: what a component is (its manifest and the
/// contract it was built against, refused when this host cannot run it) and, with a config,
/// what it asks for against what the config grants it, naming each gap, its settings against
/// its schema and its pinned SHA-256. Fails when the component is refused, when the config
/// does not run it, refuses it, or does not grant everything it asks for.
pub async fn check_plugin(file: &Path, config_path: Option<&Path>) -> anyhow::Result<()> {
    let config = match config_path {
        Some(path) => Config::load(path)?,
        None => {
            let mut config = Config::from_str_with_env(
                "[instance]\nname = \"plugin check\"\n",
                "plugin check",
                Vec::<(String, String)>::new(),
            )?;
            // No instance, so nothing of one in the author's directory: the compiled component
            // is kept in the system's temporary directory, for the next check of the same build.
            config.runtime.cache_dir = Some(std::env::temp_dir().join("dvor-plugin-check-cache"));
            config
        }
    };
    // The engine as the config sets it up, without loading the config's plugins.
    let mut bare = config.clone();
    bare.plugins.clear();
    let (runtime, scratch) = scratch_runtime(&bare).await?;
    let inspected = match runtime {
        Ok(runtime) => runtime.inspect(file).await.map_err(anyhow::Error::from),
        Err(error) => Err(error),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    let inspected = inspected?;
    let m = &inspected.manifest;
    let asked = m.requested_capabilities();
    let list = |set: &std::collections::BTreeSet<String>| {
        if set.is_empty() {
            "—".to_owned()
        } else {
            set.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    };
    println!(
        "{}: plugin `{}` {} — {}",
        file.display(),
        m.id,
        m.version,
        m.name.ru
    );
    println!("  sha256:      {}", inspected.sha256);
    println!(
        "  contract:    dvor:plugin@{} (this host runs {})",
        inspected.contract,
        crate::runtime::SUPPORTED_CONTRACTS.join(", ")
    );
    println!("  manifest:    ok");
    println!("  asks for:");
    println!("    collections:   {}", list(&asked.collections));
    println!("    emits:         {}", list(&asked.emits));
    println!("    consumes:      {}", list(&asked.consumes));
    println!("    schedules:     {}", list(&asked.schedules));
    println!("    outbound:      {}", list(&asked.outbound_hosts));
    println!(
        "    notifications: {}, files: {}, live: {}",
        asked.notifications, asked.files, asked.live
    );
    let Some(config_path) = config_path else {
        println!("ok (add --config FILE to check it against an instance's grants)");
        return Ok(());
    };
    let Some(entry) = config.plugins.get(&m.id) else {
        anyhow::bail!(
            "{}: the config does not run plugin `{}`: add [plugins.{}] with its `path`, `enabled_for` and `grants`",
            config_path.display(),
            m.id,
            m.id
        );
    };
    let mut problems = Vec::new();
    let configured = plugin_path(&config, &m.id);
    if configured.canonicalize().ok() != file.canonicalize().ok() {
        println!(
            "  note: the config loads {} for `{}`, not this file",
            configured.display(),
            m.id
        );
    }
    match &entry.sha256 {
        Some(pinned) if !pinned.eq_ignore_ascii_case(&inspected.sha256) => problems.push(format!(
            "the config pins sha256 {pinned}, but this file's is {}: it would be refused",
            inspected.sha256
        )),
        Some(_) => println!("  sha256 pin:  matches"),
        None => println!(
            "  sha256 pin:  none (pin it: sha256 = \"{}\" under [plugins.{}])",
            inspected.sha256, m.id
        ),
    }
    if let Err(error) = crate::manifest::validate_settings(
        &m.id,
        &m.settings,
        entry.settings.as_ref(),
        |key| config.line_of(&["plugins", &m.id, "settings", key]),
        &config.source,
    ) {
        problems.extend(error.problems);
    }
    let granted = crate::runtime::capabilities::CapabilitySet::from(&entry.grants);
    let gaps = crate::manifest::ungranted(m, &granted);
    let unasked = crate::manifest::check_grants(m, &granted);
    let effective = asked.intersect(&granted);
    println!("  granted (both keys):");
    println!("    collections:   {}", list(&effective.collections));
    println!("    emits:         {}", list(&effective.emits));
    println!("    consumes:      {}", list(&effective.consumes));
    println!("    schedules:     {}", list(&effective.schedules));
    println!("    outbound:      {}", list(&effective.outbound_hosts));
    println!(
        "    notifications: {}, files: {}, live: {}",
        effective.notifications, effective.files, effective.live
    );
    for gap in &gaps {
        println!("  not granted: {gap}");
    }
    for grant in &unasked {
        println!("  never asked: {grant}");
    }
    problems.extend(
        gaps.iter()
            .map(|gap| format!("{gap}: calls using it will be denied")),
    );
    if problems.is_empty() {
        println!("ok against {}", config_path.display());
        Ok(())
    } else {
        anyhow::bail!(
            "plugin `{}` against {}:\n{}",
            m.id,
            config_path.display(),
            problems.join("\n")
        )
    }
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
            "  file:        {} (sha256 {}, {:?}{})",
            plugin_path(&config, &m.id).display(),
            &plugin.sha256[..12],
            plugin.cache,
            if config.plugins[&m.id].sha256.is_some() {
                ", pinned"
            } else {
                ""
            }
        );
        println!("  contract:    dvor:plugin@{}", plugin.contract);
        println!("  enabled for: {}", plugin.enabled_for.join(", "));
        println!("  collections: {}", list(&plugin.effective.collections));
        println!("  emits:       {}", list(&plugin.effective.emits));
        println!("  consumes:    {}", list(&plugin.effective.consumes));
        println!("  schedules:   {}", list(&plugin.effective.schedules));
        println!("  outbound:    {}", list(&plugin.effective.outbound_hosts));
        println!(
            "  notifications: {}, files: {}, live: {}",
            plugin.effective.notifications, plugin.effective.files, plugin.effective.live
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
        for gap in crate::manifest::ungranted(m, &plugin.granted) {
            println!("  not granted: {gap}");
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

//! The `dvor` command: serve an instance, check a config, list plugins, migrate, back up and
//! restore.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "dvor",
    version,
    about = "dvor: a self-hostable platform for the life of a place"
)]
struct Cli {
    /// The instance config (default: config/dvor.toml; `plugin check` uses one only when given).
    #[arg(long, short, global = true, env = "DVOR_CONFIG")]
    config: Option<PathBuf>,
    /// How logs are written to standard error: `text` (coloured only on a terminal, and never
    /// with NO_COLOR set) or `json` (one object a line, for a log collector).
    #[arg(long, global = true, env = "DVOR_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the instance.
    Serve {
        /// Reload a plugin when its `.wasm` file changes, keeping the instance up (for plugin
        /// authors: rebuild, and the next request runs the new build).
        #[arg(long)]
        watch: bool,
    },
    /// Validate a config (and the plugins it names) without starting.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// What plugins are loaded: versions, contract, where enabled, what is granted.
    Plugins,
    /// Apply database migrations and exit.
    Migrate {
        /// Say which migrations would run, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a consistent backup of the database, also while the instance runs: SQLite's own
    /// copy of a snapshot (`VACUUM INTO`), or PostgreSQL's `pg_dump`.
    Backup {
        /// The file to write; default `{data_dir}/backups/dvor-<UTC time>.db` (SQLite) or
        /// `….pgdump` (PostgreSQL). It appears only once it is complete.
        file: Option<PathBuf>,
    },
    /// Restore a backup into the config's database, which must be new: a SQLite file that does
    /// not exist yet, or an empty PostgreSQL database (restored with `pg_restore`).
    Restore {
        /// The backup file `dvor backup` wrote.
        file: PathBuf,
    },
    /// Event deliveries that failed for good, and replaying them.
    Events {
        #[command(subcommand)]
        action: EventsAction,
    },
    /// For plugin authors: test, check and scaffold plugins.
    Plugin {
        #[command(subcommand)]
        action: PluginAction,
    },
}

#[derive(Subcommand)]
enum PluginAction {
    /// Run plugins for a test kit: JSON requests on standard input, one per line, answered
    /// one per line on standard output (see the plugin author's guide).
    TestHost,
    /// Write a new plugin project: manifest, one route, one page, one test.
    New {
        /// The plugin's id: lower-case letters, digits and dashes (`water-readings`).
        name: String,
        /// Its language.
        #[arg(long, value_enum, default_value = "rust")]
        lang: dvor::scaffold::Language,
        /// The project's directory (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Check a component: its manifest, its contract, and (with --config, an instance config)
    /// what it asks for against what the config grants it, its settings and pinned SHA-256.
    Check {
        /// The component (`.wasm`).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Check FILE (default: --config).
    Check {
        /// The config file to check.
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EventsAction {
    /// List dead letters.
    Dead,
    /// Put a dead delivery back in the queue.
    Replay {
        /// The event id.
        event: String,
        /// The subscribing plugin.
        plugin: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The test host says only what goes wrong: a plugin's tests print its warnings, not the
    // migrations of every in-memory database.
    let quiet = matches!(
        cli.command,
        Command::Plugin {
            action: PluginAction::TestHost
        }
    );
    init_logs(cli.log_format, quiet);
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dvor: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error: standard output is the commands' answer (the test host speaks
/// its protocol there). `DVOR_LOG` filters them (`info`, `dvor=debug,info`); `quiet` logs only
/// warnings by default.
fn init_logs(format: LogFormat, quiet: bool) {
    use std::io::IsTerminal as _;
    let default_filter = if quiet {
        "warn,sqlx=warn,wasmtime=warn,cranelift=warn"
    } else {
        "info,sqlx=warn,wasmtime=warn,cranelift=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DVOR_LOG")
        .unwrap_or_else(|_| default_filter.into());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => {
            // Colour codes only for a person at a terminal: a file, journald or a pipe gets
            // plain text (https://no-color.org is honoured too).
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).init()
        }
    }
}

/// Resolves when the process is asked to stop: Ctrl-C at a terminal, or SIGTERM from a
/// service manager (systemd, a container runtime) before it kills the process.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("asked to stop: finishing the requests under way");
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let given_config = cli.config.clone();
    let config_path = cli
        .config
        .unwrap_or_else(|| PathBuf::from("config/dvor.toml"));
    match cli.command {
        Command::Serve { watch } => {
            let config = dvor::config::Config::load(&config_path)?;
            let listener = tokio::net::TcpListener::bind(&config.server.bind).await?;
            if watch {
                dvor::serve_watching(config, listener, stop_requested()).await
            } else {
                dvor::serve(config, listener, stop_requested()).await
            }
        }
        Command::Config {
            action: ConfigAction::Check { file },
        } => dvor::cli::check_config(&file.unwrap_or(config_path)).await,
        Command::Plugins => dvor::cli::list_plugins(&config_path).await,
        Command::Migrate { dry_run: false } => dvor::cli::migrate(&config_path).await,
        Command::Migrate { dry_run: true } => dvor::cli::migrate_dry_run(&config_path).await,
        Command::Backup { file } => dvor::backup::backup_command(&config_path, file).await,
        Command::Restore { file } => dvor::backup::restore_command(&config_path, &file).await,
        Command::Plugin { action } => match action {
            PluginAction::TestHost => dvor::harness::run_stdio().await,
            PluginAction::New { name, lang, dir } => {
                let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
                let written = dvor::scaffold::write(&dvor::scaffold::NewPlugin {
                    id: name.clone(),
                    language: lang,
                    dir,
                })?;
                println!(
                    "wrote plugin `{name}` in {}; build and test it with:\n{}",
                    written.display(),
                    dvor::scaffold::next_steps(lang, &written)
                );
                Ok(())
            }
            PluginAction::Check { file } => {
                dvor::cli::check_plugin(&file, given_config.as_deref()).await
            }
        },
        Command::Events { action } => match action {
            EventsAction::Dead => dvor::cli::dead_letters(&config_path).await,
            EventsAction::Replay { event, plugin } => {
                dvor::cli::replay(&config_path, &event, &plugin).await
            }
        },
    }
}

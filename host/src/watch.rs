//! `dvor serve --watch`: a plugin is loaded again when its `.wasm` file changes, while the
//! instance keeps serving. The new build takes the old one's place for the calls that start
//! after it; calls already running finish on the build they started with. A build that does
//! not load (a bad manifest, a broken component) is logged and the old one stays.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config::Config;
use crate::instance::{load_plugin, plugin_path};
use crate::runtime::{LoadError, LoadedPlugin, Runtime};

/// How often the watcher looks at the files.
pub const INTERVAL: Duration = Duration::from_millis(300);

/// What a file looked like: its size and modification time.
type Stamp = Option<(u64, SystemTime)>;

fn stamp(path: &std::path::Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// Load plugin `id` again from its file and put it in place of the running one; the event
/// subscriptions and schedules follow its new manifest.
pub async fn reload(
    config: &Config,
    runtime: &Runtime,
    id: &str,
) -> Result<Arc<LoadedPlugin>, LoadError> {
    let loaded = load_plugin(config, runtime, id).await?;
    runtime.refresh_subscriptions();
    if let Err(error) =
        crate::scheduler::register(runtime, chrono::Utc::now().timestamp_millis()).await
    {
        tracing::warn!(plugin = %id, %error, "the reloaded plugin's schedules were not registered");
    }
    Ok(loaded)
}

/// Watch every configured plugin's file until the task is dropped, reloading a plugin once its
/// file changed and then stayed the same for one look (a build writing it has finished).
pub async fn run_watcher(config: Arc<Config>, runtime: Arc<Runtime>, interval: Duration) {
    let paths: BTreeMap<String, PathBuf> = config
        .plugins
        .keys()
        .map(|id| (id.clone(), plugin_path(&config, id)))
        .collect();
    let mut loaded: BTreeMap<&str, Stamp> = paths
        .iter()
        .map(|(id, p)| (id.as_str(), stamp(p)))
        .collect();
    let mut seen = loaded.clone();
    tracing::info!(
        plugins = paths.len(),
        "watching the plugins' files for new builds"
    );
    loop {
        tokio::time::sleep(interval).await;
        for (id, path) in &paths {
            let now = stamp(path);
            let settled = now == seen[id.as_str()];
            seen.insert(id, now);
            if now.is_none() || now == loaded[id.as_str()] || !settled {
                continue;
            }
            loaded.insert(id, now);
            match reload(&config, &runtime, id).await {
                Ok(plugin) => tracing::info!(
                    plugin = %id,
                    version = %plugin.manifest.version,
                    sha256 = %&plugin.sha256[..12],
                    "plugin reloaded from a new build"
                ),
                Err(error) => {
                    tracing::error!(plugin = %id, %error, "the new build does not load; the previous one keeps running")
                }
            }
        }
    }
}

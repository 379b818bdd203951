//! Loading a plugin: compile (or take from the cache), check the contract version, link,
//! read the manifest, validate the settings, work out the capabilities.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use sea_orm::TransactionTrait as _;
use wasmtime::Store;

use super::capabilities::CapabilitySet;
use super::state::{CallContext, CallState};
use super::{
    Limits, LoadedPlugin, PluginPre, Runtime, SUPPORTED_CONTRACTS, bindings, cache, exports, latest,
};
use crate::manifest::Manifest;
use crate::storage::{CollectionSpec, IndexKind, IndexSpec};

/// Where a plugin comes from and what the operator decided about it.
#[derive(Clone, Debug)]
pub struct PluginSource {
    /// The id the config knows it by (must equal the manifest's).
    pub id: String,
    /// The component file.
    pub wasm_path: PathBuf,
    /// The community subtrees it is enabled for.
    pub enabled_for: Vec<String>,
    /// The operator's grants.
    pub granted: CapabilitySet,
    /// Its limits.
    pub limits: Limits,
    /// The SHA-256 the operator pinned (hex), if any.
    pub sha256: Option<String>,
}

/// Why a plugin was refused at start-up.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error(
        "plugin `{plugin}`: cannot read {path}: {reason} (build the plugins with `cargo xtask plugins`)"
    )]
    Read {
        /// The plugin.
        plugin: String,
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file is not a valid component.
    #[error("plugin `{plugin}`: {path} is not a valid WebAssembly component: {reason}")]
    Compile {
        /// The plugin.
        plugin: String,
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The plugin was built against a contract this host does not implement.
    #[error(
        "plugin `{plugin}` was built against contract dvor:plugin@{has}; this host implements {supported} — rebuild the plugin with a compatible dvor-sdk or upgrade the host"
    )]
    IncompatibleContract {
        /// The plugin.
        plugin: String,
        /// The version it was built against.
        has: String,
        /// What the host implements.
        supported: String,
    },
    /// Linking failed: the plugin imports something the host does not provide.
    #[error("plugin `{plugin}`: cannot be linked: {reason}")]
    Link {
        /// The plugin.
        plugin: String,
        /// Why.
        reason: String,
    },
    /// The manifest is missing or wrong.
    #[error("plugin `{plugin}`: manifest: {reason}")]
    Manifest {
        /// The plugin.
        plugin: String,
        /// Why.
        reason: String,
    },
    /// The file is not the one the operator pinned.
    #[error(
        "plugin `{plugin}`: {path} has SHA-256 {actual}, but the config pins {pinned} — it is not the component the operator vetted; refused"
    )]
    Checksum {
        /// The plugin.
        plugin: String,
        /// The file.
        path: String,
        /// The digest in the config.
        pinned: String,
        /// The file's digest.
        actual: String,
    },
    /// The settings in the config do not fit the plugin's schema.
    #[error("{0}")]
    Settings(String),
    /// The database refused the plugin's collections.
    #[error("plugin `{plugin}`: storage: {reason}")]
    Storage {
        /// The plugin.
        plugin: String,
        /// Why.
        reason: String,
    },
}

/// The contract version a component was built against, from the names of its imports and
/// exports (`dvor:plugin/storage@0.1.0`).
fn contract_version(
    engine: &wasmtime::Engine,
    component: &wasmtime::component::Component,
) -> Option<String> {
    let ty = component.component_type();
    let names: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .chain(ty.exports(engine).map(|(name, _)| name.to_owned()))
        .collect();
    names.iter().find_map(|name| {
        name.strip_prefix("dvor:plugin/")
            .and_then(|rest| rest.split_once('@'))
            .map(|(_, version)| version.to_owned())
    })
}

/// Whether the host can run a plugin built against `has`: the same compatibility line
/// (major, or minor for 0.x) and not newer than what the host implements.
pub fn contract_supported(has: &semver::Version) -> bool {
    let Ok(requirement) = semver::VersionReq::parse(&format!("^{has}")) else {
        return false;
    };
    SUPPORTED_CONTRACTS.iter().any(|supported| {
        semver::Version::parse(supported).is_ok_and(|host| requirement.matches(&host))
    })
}

/// What [`Runtime::inspect`] learns of a component.
pub struct Inspected {
    /// Its manifest.
    pub manifest: Manifest,
    /// The contract it was built against.
    pub contract: semver::Version,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Whether it came from the compile cache.
    pub cache: super::CacheOutcome,
    pre: PluginPre,
}

/// A stand-in manifest for the one call that reads the real one.
const BOOTSTRAP_MANIFEST: &str = "id = \"loading\"\nname = { ru = \"-\", en = \"-\" }\nversion = \"0.0.0\"\ncontract = \"0.2.0\"\n";

impl Runtime {
    /// Load a plugin and make it callable. `settings` validates the config's settings against
    /// the manifest's schema and returns them as a JSON object.
    pub async fn load(
        &self,
        source: PluginSource,
        settings: impl FnOnce(&Manifest) -> Result<serde_json::Value, String>,
    ) -> Result<Arc<LoadedPlugin>, LoadError> {
        let id = source.id.clone();
        let path = source.wasm_path.display().to_string();
        // The pin is checked before anything of the file runs (reading its manifest does).
        if let Some(pinned) = &source.sha256 {
            let bytes = std::fs::read(&source.wasm_path).map_err(|e| LoadError::Read {
                plugin: id.clone(),
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let actual = cache::sha256_hex(&bytes);
            if !actual.eq_ignore_ascii_case(pinned) {
                return Err(LoadError::Checksum {
                    plugin: id,
                    path,
                    pinned: pinned.to_ascii_lowercase(),
                    actual,
                });
            }
        }
        let Inspected {
            manifest,
            contract,
            sha256,
            cache: cache_outcome,
            pre,
        } = self
            .inspect_as(&id, &source.wasm_path, &source.limits)
            .await?;
        if let Some(pinned) = &source.sha256
            && !sha256.eq_ignore_ascii_case(pinned)
        {
            // The file changed between the check above and compiling it.
            return Err(LoadError::Checksum {
                plugin: id,
                path,
                pinned: pinned.to_ascii_lowercase(),
                actual: sha256,
            });
        }
        let manifest_error = |reason: String| LoadError::Manifest {
            plugin: id.clone(),
            reason,
        };
        if manifest.id != id {
            return Err(manifest_error(format!(
                "the file {path} holds plugin `{}`, not `{id}`",
                manifest.id
            )));
        }
        let settings_json = settings(&manifest).map_err(LoadError::Settings)?;
        let requested = manifest.requested_capabilities();
        for unrequested in crate::manifest::check_grants(&manifest, &source.granted) {
            tracing::warn!(plugin = %id, "{unrequested}");
        }
        let effective = requested.intersect(&source.granted);
        let collections: BTreeMap<String, CollectionSpec> = manifest
            .collections
            .iter()
            .map(|c| {
                let spec = CollectionSpec {
                    name: c.name.clone(),
                    indexes: c
                        .indexes
                        .iter()
                        .map(|i| IndexSpec {
                            field: i.field.clone(),
                            kind: match i.kind {
                                crate::manifest::IndexType::Text => IndexKind::Text,
                                crate::manifest::IndexType::Integer => IndexKind::Integer,
                                crate::manifest::IndexType::Boolean => IndexKind::Boolean,
                            },
                        })
                        .collect(),
                };
                (c.name.clone(), spec)
            })
            .collect();

        let storage_error = |reason: String| LoadError::Storage {
            plugin: id.clone(),
            reason,
        };
        let tx = self
            .shared
            .db
            .connection()
            .begin()
            .await
            .map_err(|e| storage_error(e.to_string()))?;
        for spec in collections.values() {
            crate::storage::sync_collection(&tx, &id, spec)
                .await
                .map_err(|e| storage_error(e.to_string()))?;
        }
        tx.commit()
            .await
            .map_err(|e| storage_error(e.to_string()))?;

        tracing::info!(
            plugin = %id,
            version = %manifest.version,
            contract = %contract,
            cache = ?cache_outcome,
            "plugin loaded"
        );
        let plugin = Arc::new(LoadedPlugin {
            manifest,
            contract,
            enabled_for: source.enabled_for,
            requested,
            granted: source.granted,
            effective,
            limits: source.limits,
            settings_json: settings_json.to_string(),
            collections,
            sha256,
            cache: cache_outcome,
            pre,
        });
        self.install(plugin.clone());
        Ok(plugin)
    }

    /// What a component is, without loading it for calls: its manifest, the contract it was
    /// built against (refused when this host cannot run it), its SHA-256. Compiles it into the
    /// cache. For `dvor plugin check` and the test host.
    pub async fn inspect(&self, wasm_path: &std::path::Path) -> Result<Inspected, LoadError> {
        let name = wasm_path
            .file_stem()
            .map(|s| s.to_string_lossy().replace('_', "-"))
            .unwrap_or_default();
        let limits = Limits {
            memory_bytes: self.settings.max_memory_bytes,
            deadline: std::time::Duration::from_secs(10),
            fuel: None,
        };
        self.inspect_as(&name, wasm_path, &limits).await
    }

    async fn inspect_as(
        &self,
        id: &str,
        wasm_path: &std::path::Path,
        limits: &Limits,
    ) -> Result<Inspected, LoadError> {
        let id = id.to_owned();
        let path = wasm_path.display().to_string();
        let wasm = std::fs::read(wasm_path).map_err(|e| LoadError::Read {
            plugin: id.clone(),
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let sha256 = cache::sha256_hex(&wasm);
        let (component, cache_outcome) =
            cache::load_or_compile(&self.engine, &self.settings.cache_dir, &wasm).map_err(|e| {
                LoadError::Compile {
                    plugin: id.clone(),
                    path: path.clone(),
                    reason: format!("{e:#}"),
                }
            })?;

        let has =
            contract_version(&self.engine, &component).ok_or_else(|| LoadError::Manifest {
                plugin: id.clone(),
                reason: "the component neither imports nor exports the dvor:plugin contract".into(),
            })?;
        let incompatible = || LoadError::IncompatibleContract {
            plugin: id.clone(),
            has: has.clone(),
            supported: SUPPORTED_CONTRACTS
                .iter()
                .map(|v| format!("dvor:plugin@{v}"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let contract = semver::Version::parse(&has).map_err(|_| incompatible())?;
        if !contract_supported(&contract) {
            return Err(incompatible());
        }

        let instance_pre = self.linker.instantiate_pre(&component);
        let pre = if (contract.major, contract.minor) == (0, 1) {
            instance_pre
                .and_then(bindings::v0_1_0::DvorPluginPre::new)
                .map(PluginPre::V0_1)
        } else {
            instance_pre
                .and_then(exports::Exports::new)
                .map(|exports| PluginPre::V0_2(Arc::new(exports)))
        }
        .map_err(|e| LoadError::Link {
            plugin: id.clone(),
            reason: format!("{e:#}"),
        })?;

        let manifest_error = |reason: String| LoadError::Manifest {
            plugin: id.clone(),
            reason,
        };
        let bootstrap = Arc::new(LoadedPlugin {
            manifest: Manifest::parse(BOOTSTRAP_MANIFEST)
                .map_err(|e| manifest_error(e.to_string()))?,
            contract: contract.clone(),
            enabled_for: Vec::new(),
            requested: CapabilitySet::default(),
            granted: CapabilitySet::default(),
            effective: CapabilitySet::default(),
            limits: limits.clone(),
            settings_json: "{}".into(),
            collections: BTreeMap::new(),
            sha256: sha256.clone(),
            cache: cache_outcome,
            pre: pre.clone(),
        });
        let manifest_text = self
            .read_manifest(bootstrap)
            .await
            .map_err(|e| manifest_error(format!("reading it failed: {e:#}")))?;
        let manifest =
            Manifest::parse(&manifest_text).map_err(|e| manifest_error(e.to_string()))?;
        if manifest.contract != contract {
            return Err(manifest_error(format!(
                "it says contract {} but the component was built against {contract}",
                manifest.contract
            )));
        }
        Ok(Inspected {
            manifest,
            contract,
            sha256,
            cache: cache_outcome,
            pre,
        })
    }

    async fn read_manifest(&self, plugin: Arc<LoadedPlugin>) -> wasmtime::Result<String> {
        let context = CallContext::anonymous(
            String::new(),
            latest::dvor::plugin::context::CallTrigger::Api,
        );
        let deadline = plugin.limits.deadline;
        let state = CallState::new(plugin.clone(), self.shared.clone(), context, "/".into());
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        super::engine::arm_deadline(&mut store, deadline);
        if self.settings.fuel {
            store.set_fuel(plugin.limits.fuel.unwrap_or(u64::MAX))?;
        }
        match &plugin.pre {
            PluginPre::V0_2(exports) => {
                let instance = exports.instantiate(&mut store).await?;
                // The first instance of the plugin: its exports are type-checked here once,
                // not again on every call's instance.
                exports.check(&mut store, &instance)?;
                exports.manifest(&mut store, &instance).await
            }
            PluginPre::V0_1(pre) => {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .dvor_plugin_plugin()
                    .call_manifest(&mut store)
                    .await
            }
        }
    }
}

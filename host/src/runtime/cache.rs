//! The on-disk cache of compiled plugins.
//!
//! A compiled component is stored under a key made of the component's SHA-256, the wasmtime
//! version and a hash of the engine settings that affect compiled code, so a restart loads it
//! without compiling, and any change of plugin, wasmtime or settings compiles afresh.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where a component came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from the cache without compiling.
    Hit,
    /// Compiled and written to the cache.
    Compiled,
}

/// The hex SHA-256 of a component's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn cache_path(engine: &Engine, cache_dir: &Path, digest: &str) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let engine_hash = hasher.finish();
    cache_dir.join(format!(
        "{digest}-wasmtime{}-{engine_hash:016x}.cwasm",
        env!("DVOR_WASMTIME_VERSION")
    ))
}

/// Load a compiled component from the cache, or compile it and store it there.
pub fn load_or_compile(
    engine: &Engine,
    cache_dir: &Path,
    wasm: &[u8],
) -> anyhow::Result<(Component, CacheOutcome)> {
    let digest = sha256_hex(wasm);
    let path = cache_path(engine, cache_dir, &digest);
    if path.exists() {
        // SAFETY: the file is in the host's own cache directory, was written by
        // `Component::serialize` of this same engine configuration (the name carries the
        // compatibility hash), and wasmtime re-checks version and settings on load.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        match loaded {
            Ok(component) => return Ok((component, CacheOutcome::Hit)),
            Err(error) => tracing::warn!(
                path = %path.display(),
                %error,
                "cached plugin could not be loaded; compiling again"
            ),
        }
    }
    let component = Component::new(engine, wasm)
        .map_err(|e| anyhow::anyhow!("compiling the component: {e:#}"))?;
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let compiled = component.serialize().map_err(super::wasm_error)?;
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, compiled)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok((component, CacheOutcome::Compiled))
}

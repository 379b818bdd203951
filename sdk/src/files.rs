//! Files (photos, documents) the host keeps for the plugin. Needs `files = true` in the
//! manifest.

use crate::bindings::dvor::plugin::files as wit;
use crate::error::Result;

pub use wit::FileInfo;

/// Store a file (at most 16 MiB) in `community`.
pub fn store(community: &str, name: &str, content_type: &str, bytes: &[u8]) -> Result<FileInfo> {
    Ok(wit::store(community, name, content_type, bytes)?)
}

/// A file's description, if it exists and is in scope.
pub fn info(id: &str) -> Result<Option<FileInfo>> {
    Ok(wit::info(id)?)
}

/// A file's bytes.
pub fn read(id: &str) -> Result<Vec<u8>> {
    Ok(wit::read(id)?)
}

/// Delete a file; true if it existed.
pub fn delete(id: &str) -> Result<bool> {
    Ok(wit::delete(id)?)
}

/// A download link for a stored file, valid for `ttl_seconds` (at most a week), for an API
/// answer or a notification; pages show files with attachment and image blocks instead.
pub fn link(id: &str, ttl_seconds: u32) -> Result<String> {
    Ok(wit::link(id, ttl_seconds)?)
}

//! The plugin's settings: the manifest's defaults overlaid with the instance config.

use serde::de::DeserializeOwned;

use crate::bindings::dvor::plugin::settings as wit;
use crate::error::Result;

/// The settings for the call's community, decoded into `T` (a struct mirroring the manifest's
/// `[settings.*]`); `internal` if they do not fit `T`.
pub fn settings<T: DeserializeOwned>() -> Result<T> {
    Ok(serde_json::from_str(&wit::get())?)
}

//! Lines in the host's log, tagged with the plugin and the call.

use crate::bindings::dvor::plugin::log as wit;

pub use wit::Level;

/// Write `message` at `level`.
pub fn write(level: Level, message: impl AsRef<str>) {
    wit::write(level, message.as_ref());
}

/// Detail for debugging.
pub fn debug(message: impl AsRef<str>) {
    write(Level::Debug, message);
}

/// Normal operation.
pub fn info(message: impl AsRef<str>) {
    write(Level::Info, message);
}

/// Something unexpected that the plugin handled.
pub fn warn(message: impl AsRef<str>) {
    write(Level::Warn, message);
}

/// Something failed.
pub fn error(message: impl AsRef<str>) {
    write(Level::Error, message);
}

//! Domain events: emit them, and read the payload of one delivered to [`Plugin::on_event`].
//!
//! Delivery is at least once: use [`Event::id`] to make handlers idempotent.
//!
//! [`Plugin::on_event`]: crate::Plugin::on_event

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::dvor::plugin::events as wit;
use crate::error::Result;

pub use wit::Event;

/// Emit an event of `kind` (declared in the manifest's `emits`) in `community`, with `payload`
/// as its JSON object. It is stored with the call's writes and delivered after they commit.
/// Returns the event's id.
pub fn emit<P: Serialize + ?Sized>(kind: &str, community: &str, payload: &P) -> Result<String> {
    let payload = serde_json::to_string(payload)?;
    Ok(wit::emit(kind, community, &payload)?)
}

impl Event {
    /// The payload decoded from JSON; `internal` if it does not have the expected shape.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_str(&self.payload)?)
    }
}

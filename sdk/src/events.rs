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

/// Emit many events in one go (a billing run's one per account): `(kind, community, payload)`
/// each. All or none: if one is refused, none is emitted and the error names `events[i]`.
/// Returns their ids in order.
pub fn emit_many<'a, P: Serialize + 'a>(
    events: impl IntoIterator<Item = (&'a str, &'a str, &'a P)>,
) -> Result<Vec<String>> {
    let events = events
        .into_iter()
        .map(|(kind, community, payload)| {
            Ok(wit::NewEvent {
                kind: kind.to_owned(),
                community: community.to_owned(),
                payload: serde_json::to_string(payload)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(wit::emit_many(&events)?)
}

impl Event {
    /// The payload decoded from JSON; `internal` if it does not have the expected shape.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_str(&self.payload)?)
    }
}

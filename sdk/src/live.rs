//! Live updates: what a plugin publishes to a channel of a community reaches the open pages
//! following it ([`crate::ui::Section::live`]) and API clients on the host's event stream,
//! without a reload.
//!
//! ```no_run
//! use dvor_sdk::{live, ui::Section};
//! # fn f() -> dvor_sdk::Result<()> {
//! // A chat message: appended to every open page of room 12.
//! live::append("demo-house-1", "room:12", Section::untitled().paragraph("Анна: Кто взял ключ?"))?;
//! # Ok(()) }
//! ```
//!
//! An update is pushed only after the call that publishes it commits: a call that fails
//! publishes nothing. Who may follow a channel is the plugin's say, in
//! [`Plugin::subscribe`](crate::Plugin::subscribe). Needs `live = true` in the manifest's
//! `[capabilities]` and in the operator's grants.

use serde::Serialize;

use crate::bindings::dvor::plugin::live as wit;
use crate::error::Result;
use crate::ui::Section;

pub use wit::UpdateMode;

/// Publish `section`'s blocks on `channel` of `community`, added after what the followers'
/// live section shows (a chat message, a new row).
pub fn append(community: &str, channel: &str, section: Section) -> Result<()> {
    publish(
        community,
        channel,
        section,
        UpdateMode::Append,
        &serde_json::json!({}),
    )
}

/// Publish `section`'s blocks on `channel` of `community`, instead of what the followers'
/// live section shows (a running tally, a progress bar).
pub fn replace(community: &str, channel: &str, section: Section) -> Result<()> {
    publish(
        community,
        channel,
        section,
        UpdateMode::Replace,
        &serde_json::json!({}),
    )
}

/// Publish an update with `data` for API clients (a JSON object) beside the blocks for pages.
pub fn publish<D: Serialize + ?Sized>(
    community: &str,
    channel: &str,
    section: Section,
    mode: UpdateMode,
    data: &D,
) -> Result<()> {
    Ok(wit::publish(
        community,
        &wit::Update {
            channel: channel.to_owned(),
            blocks: section.blocks,
            mode,
            data: serde_json::to_string(data)?,
        },
    )?)
}

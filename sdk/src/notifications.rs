//! Notifications to people: the in-app inbox, e-mail and SMS where they allowed them.

use crate::bindings::dvor::plugin::notifications as wit;
use crate::error::Result;

pub use wit::{Localized, Message, Urgency};

/// Notify people by id; delivered when the call's writes commit.
pub fn notify(recipients: &[String], message: &Message) -> Result<()> {
    Ok(wit::notify(recipients, message)?)
}

/// Notify everyone holding `role` in `community` and below it; returns how many it reaches.
pub fn notify_community(community: &str, role: &str, message: &Message) -> Result<u32> {
    Ok(wit::notify_community(community, role, message)?)
}

impl Localized {
    /// A text in Russian and English (empty English: use the Russian).
    pub fn new(ru: impl Into<String>, en: impl Into<String>) -> Self {
        Localized {
            ru: ru.into(),
            en: en.into(),
        }
    }
}

impl Message {
    /// A message of normal urgency without a link.
    pub fn new(title: Localized, body: Localized) -> Self {
        Message {
            title,
            body,
            link: None,
            urgency: Urgency::Normal,
        }
    }

    /// A web UI path to open, e.g. `/c/demo-town/house-1/p/housing/bills`.
    pub fn link(mut self, path: impl Into<String>) -> Self {
        self.link = Some(path.into());
        self
    }

    /// How urgent it is.
    pub fn urgency(mut self, urgency: Urgency) -> Self {
        self.urgency = urgency;
        self
    }
}

//! The events the plugin emits, each with `person_id` where a person did or got something, so
//! gamification credits them; and `snt.register_changed`, which carries a register record's
//! whole standing so other plugins keep their own copy of who is a member (the meetings
//! plugin's SNT electorate).
//!
//! | kind | when | payload |
//! |---|---|---|
//! | `snt.application_submitted` | a person applies | `person_id`, `plot` |
//! | `snt.member_admitted` | the decision admits them | `person_id`, `record`, `plots`, `since`, `book_number` |
//! | `snt.member_left` | exit, the plot sold, death, expulsion | `person_id`, `record`, `on`, `reason` |
//! | `snt.register_changed` | any change of a record | `record`, `person_id`, `name`, `member`, `owner`, `plots`, `seq` |
//! | `snt.dues_charged` | an estimate's dues are charged | `estimate`, `plots`, `total` |
//! | `snt.dues_paid` | a payment is recorded | `person_id`, `plot`, `ledger`, `amount`, `date` |
//! | `snt.reading_submitted` | a plot's meter reading | `person_id`, `plot`, `period` |
//!
//! `seq` is the record's version: it grows with every change, so a consumer that gets the
//! events twice or out of order keeps the newest.

use dvor_sdk::prelude::*;
use serde::Serialize;

use crate::model::{Record, Standing};

/// A person applied for membership.
pub const APPLICATION_SUBMITTED: &str = "snt.application_submitted";
/// A person was admitted.
pub const MEMBER_ADMITTED: &str = "snt.member_admitted";
/// A member left or was expelled.
pub const MEMBER_LEFT: &str = "snt.member_left";
/// A register record changed.
pub const REGISTER_CHANGED: &str = "snt.register_changed";
/// Dues were charged from an estimate.
pub const DUES_CHARGED: &str = "snt.dues_charged";
/// A payment was recorded.
pub const DUES_PAID: &str = "snt.dues_paid";
/// A plot's reading was submitted.
pub const READING_SUBMITTED: &str = "snt.reading_submitted";
/// The board issued a member's produce certificate: `person_id`, `number` (`7/2026`), `plot`,
/// `year`, `valid_until` (the year's last day), `issuer` (the partnership's name).
pub const CERTIFICATE_ISSUED: &str = "snt.certificate_issued";

/// What `snt.register_changed` carries.
#[derive(Clone, Debug, Serialize)]
pub struct RegisterChanged {
    /// The record's id.
    pub record: String,
    /// Their dvor account, if linked.
    pub person_id: Option<String>,
    /// Their name, for ballots entered from paper.
    pub name: String,
    /// A member now.
    pub member: bool,
    /// A non-member owner now.
    pub owner: bool,
    /// Their plots.
    pub plots: Vec<String>,
    /// The record's version.
    pub seq: u64,
}

impl RegisterChanged {
    /// The event of a stored record.
    pub fn of(doc: &Doc<Record>) -> RegisterChanged {
        RegisterChanged {
            record: doc.id.clone(),
            person_id: doc.data.person_id.clone(),
            name: doc.data.full_name.clone(),
            member: doc.data.standing == Standing::Member,
            owner: doc.data.standing == Standing::Owner,
            plots: doc.data.holdings.iter().map(|h| h.plot.clone()).collect(),
            seq: doc.version,
        }
    }
}

/// Tell the consumers of the register about these stored records.
pub fn register_changed<'a>(docs: impl IntoIterator<Item = &'a Doc<Record>>) -> Result<()> {
    let payloads: Vec<(String, RegisterChanged)> = docs
        .into_iter()
        .map(|d| (d.community.clone(), RegisterChanged::of(d)))
        .collect();
    if payloads.is_empty() {
        return Ok(());
    }
    events::emit_many(
        payloads
            .iter()
            .map(|(community, payload)| (REGISTER_CHANGED, community.as_str(), payload)),
    )?;
    Ok(())
}

/// Emit one event of `kind` in the call's community.
pub fn emit<P: Serialize + ?Sized>(kind: &str, payload: &P) -> Result<()> {
    events::emit(kind, &ctx::community(), payload)?;
    Ok(())
}

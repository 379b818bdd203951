//! The `feed` plugin: the neighbours' feed of a place (entrance, house, yard, district) with
//! typed posts, and the house chats generated from the register of units — moderated on the
//! server and accountably (RULES §9): no end-to-end encryption, so the house's rules can be
//! enforced and every decision has a reason the author sees and may appeal.
//!
//! This crate holds the plugin's domain logic only: pure functions and types with no host
//! calls, tested natively with `cargo test -p feed`. The plugin's shell — routes, pages,
//! storage, live channels and events on contract 0.2 — is still to come and will only call
//! these modules.
//!
//! - [`reports`]: reports weighted by the reporter's standing; a post hidden once they weigh
//!   enough.
//! - [`words`]: watched words (block, or hold for approval), matched on normalized Russian text.
//! - [`gate`]: what happens to a new post or message: published, held (a new member's first
//!   posts, watched words) or blocked; rate limits per person.
//! - [`decisions`]: moderators' decisions with reasons, and the author's appeal.
//! - [`posts`]: post types with their lifecycles and expiry, and «пойду» counts of events.
//! - [`rooms`]: chat rooms from the register: the house, each entrance, pools of 10–15 flats,
//!   and a room with the management company's staff.

pub mod decisions;
pub mod gate;
pub mod posts;
pub mod reports;
pub mod rooms;
pub mod words;

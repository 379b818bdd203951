//! The `coop` plugin: joint purchases between neighbours (совместные закупки) by boxes with
//! tolerances, their settlement, receiving and household ledgers, and shared equipment with
//! bookings, late fines and deposits — the model of RULES §8 (Foodsoft's, in the words of
//! Russian joint purchases: ряд = box, стоп = the order's end, оргсбор = markup).
//!
//! This crate holds the plugin's domain logic only: pure functions and types with no host
//! calls, tested natively with `cargo test -p coop` against the worked examples C1–C5, E1 and
//! E2. The plugin's shell — routes, pages, storage, events on contract 0.2 — is still to come
//! and will only call these modules.
//!
//! - [`ordering`]: boxes at the end, allocation by order time, the figures shown while a
//!   purchase is open, and the box-fill phase rule.
//! - [`purchase`]: articles, the purchase's terms, the end (sent, or below the supplier's
//!   minimum and nobody charged) and the order to the supplier.
//! - [`settlement`]: receiving with shortages, weighed goods, and each household's charge.
//! - [`ledger`]: a household's (or a deposit's) ledger with reversing corrections only.
//! - [`pricelist`]: the supplier's price list from CSV.
//! - [`equipment`]: bookings without overlap, holds that expire, late fines and the deposit.

pub mod equipment;
pub mod ledger;
pub mod ordering;
pub mod pricelist;
pub mod purchase;
pub mod settlement;

//! The `snt` plugin: the garden non-profit partnership (СНТ, 217-ФЗ) — its register of members
//! and plots, dues computed from the estimate, the electricity balance, the law's timers for
//! admission and expulsion, documents and the debtor list.
//!
//! This crate holds the plugin's domain logic only: pure functions and types with no host
//! calls, tested natively with `cargo test -p snt` against the worked examples S1–S5 of
//! `shared/domain/RULES.md` §5 and §7. The plugin's shell — routes, pages, storage, events on
//! contract 0.2 — is still to come and will only call these modules.
//!
//! - [`law`]: the periods the law sets (expulsion, warnings, notices, drafts, copies) as dated,
//!   configurable data, and the deadlines they give.
//! - [`dues`]: the estimate's lines with their allocation keys, exact rates, each plot's dues
//!   rounded once, the rounding remainder, and the member's computation sheet.
//! - [`electricity`]: the monthly loss balance of a transformer and the plots' bills at the
//!   tariff.
//! - [`membership`]: admission, refusal on the grounds the law allows, exit and expulsion.
//! - [`register`]: the register's CSV import (all or nothing, every bad cell named) and export.
//! - [`documents`]: certified copies of documents, their deadline and fee.
//! - [`debtors`]: the debtor list for publication — plot numbers and amounts only.
//!
//! The payment QR code (ГОСТ Р 56042) is [`dvor_sdk::payment_qr`], shared with the housing
//! plugin.

pub mod debtors;
pub mod documents;
pub mod dues;
pub mod electricity;
pub mod law;
pub mod membership;
pub mod register;

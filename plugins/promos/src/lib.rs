//! The `promos` plugin: local businesses and specialists, their offers and coupons, what a
//! business may see of its audience, and reviews — the rule set of RULES §9.
//!
//! This crate holds the plugin's domain logic only: pure functions and types with no host
//! calls, tested natively with `cargo test -p promos` against RULES §9's cases. The plugin's
//! shell — routes, pages, storage, events on contract 0.2 — is still to come and will only call
//! these modules.
//!
//! - [`registry_ids`]: ИНН (10 and 12 digits), ОГРН (13) and ОГРНИП (15) check digits.
//! - [`coupon_code`]: the redemption code a resident's phone shows, changing every step (a
//!   time-based code from a per-coupon secret), as short digits and a QR payload, verified with
//!   a small clock-skew window and never accepted twice.
//! - [`audience`]: counts of households per house or area, shown only from the floor of 10.
//! - [`geo`]: distances on the map (haversine) for "by distance" and audience radii.
//! - [`rating`]: a rating that says how many reviews it stands on, and the order of a list
//!   "by rating" that a single review cannot top.

pub mod audience;
pub mod coupon_code;
pub mod geo;
pub mod rating;
pub mod registry_ids;

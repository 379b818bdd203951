//! The `promos` plugin: local businesses and specialists, their offers and coupons, what a
//! business may see of its audience, and reviews — the rule set of RULES §9.
//!
//! The domain logic is pure and tested natively (`cargo test -p promos --lib`):
//!
//! - [`registry_ids`]: ИНН (10 and 12 digits), ОГРН (13) and ОГРНИП (15) check digits.
//! - [`coupon_code`]: the redemption code a resident's phone shows, changing every step (a
//!   time-based code from a per-coupon secret), as short digits and a QR payload, verified with
//!   a small clock-skew window and never accepted twice.
//! - [`audience`]: counts of households per house or area, shown only from the floor of 10.
//! - [`geo`]: distances on the map (haversine) for "by distance" and audience radii.
//! - [`rating`]: a rating that says how many reviews it stands on, and the order of a list
//!   "by rating" that a single review cannot top.
//!
//! The shell around it, on contract 0.2 (its own tests run the component in the test kit,
//! `plugins/promos/tests`):
//!
//! - [`businesses`]: registration, the admin's approval, profile, branches, photos, services,
//!   staff, paid listings; [`people`]: residents' homes and who may do what.
//! - [`offers`]: offers, their audience, views and saves; houses' map points.
//! - [`coupons`]: coupons and the redemption at the counter, one transaction.
//! - [`reviews`]: reviews, answers, reports, moderation, ratings.
//! - [`hires`]: the marketplace of specialists and the jobs residents hire them for.
//! - [`stats`]: what a business sees, under the floor.
//! - [`api`] and `pages`: the JSON API and the pages; `demo`: the demo seed.
//!
//! Events: `promos.coupon_redeemed` and `promos.review_posted`, each with the resident's
//! `person_id`, in the resident's house (gamification counts them).

pub mod api;
pub mod audience;
pub mod businesses;
pub mod coupon_code;
pub mod coupons;
mod demo;
pub mod geo;
pub mod hires;
pub mod input;
pub mod model;
pub mod offers;
mod pages;
pub mod people;
pub mod rating;
pub mod registry_ids;
pub mod reviews;
pub mod settings;
pub mod stats;

use dvor_sdk::prelude::*;

use crate::model::COUPONS;

#[derive(Default)]
struct Promos;

impl Plugin for Promos {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        api::handle(&req)
    }

    fn render_page(&self, route: &str, query: &Params) -> Result<Page> {
        pages::render(route, query)
    }

    fn handle_action(&self, route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
        pages::act(route, action, form)
    }

    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        pages::tile(place)
    }

    fn subscribe(&self, channel: &str) -> Result<()> {
        // A coupon's codes are for its holder's eyes only.
        if let Some(id) = channel.strip_prefix("coupon:") {
            let caller = ctx::require_caller()?;
            if COUPONS
                .get(id)?
                .is_some_and(|c| c.data.person == caller.person_id)
            {
                return Ok(());
            }
            return Err(Error::forbidden(tr(
                "Это не ваш купон",
                "this is not your coupon",
            )));
        }
        Err(Error::not_found(tr("Нет такого канала", "no such channel")))
    }

    fn run_job(&self, name: &str, _cursor: Option<String>) -> Result<Option<String>> {
        if name != "upkeep" {
            return Err(Error::not_found(format!("no job `{name}`")));
        }
        if demo::seed_once()? {
            log::info("promos: the demo is seeded");
        }
        let applied = reviews::apply_submissions()?;
        let pushed = coupons::push_codes()?;
        if applied > 0 {
            log::info(format!("promos: {applied} review submissions applied"));
        }
        if pushed > 0 {
            log::info(format!("promos: codes pushed to {pushed} open coupons"));
        }
        Ok(None)
    }
}

dvor_sdk::plugin!(Promos, manifest = "dvor-plugin.toml");

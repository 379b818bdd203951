//! The pages, phone first: residents' (offers for their house, an offer, their coupon with its
//! changing code, saved offers, businesses, reviews, the marketplace of specialists, hired
//! jobs), the business's staff's (profile, branches, photos, services, staff, offers, the
//! counter's redeem page, the log, what they see of their audience, jobs) and the admins'
//! (verification, paid listings, houses on the map, reviews to moderate). Forms post to
//! actions; errors come back next to their fields.

mod admin;
mod business;
mod resident;

use dvor_sdk::prelude::*;

use crate::input;
use crate::model::{Business, Offer};
use crate::offers;
use crate::people;

/// The page at `route`.
pub fn render(route: &str, query: &Params) -> Result<Page> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => resident::home(),
        ["offer", id] => resident::offer(id),
        ["coupon", id] => resident::coupon(id),
        ["saved"] => resident::saved(),
        ["coupons"] => resident::my_coupons(),
        ["masters"] => resident::masters(query),
        ["jobs"] => resident::my_jobs(),
        ["register"] => resident::register(),
        ["join"] => business::join(query),
        ["b", id] => resident::business(id),
        ["b", id, "review"] => resident::review(id, query),
        ["b", id, "hire"] => resident::hire(id),
        ["b", id, "manage"] => business::manage(id),
        ["b", id, "offers"] => business::offers(id),
        ["b", id, "redeem"] => business::redeem(id),
        ["b", id, "log"] => business::log(id, query),
        ["b", id, "stats"] => business::stats(id),
        ["b", id, "jobs"] => business::jobs(id),
        ["admin"] => admin::page(),
        _ => Err(Error::not_found(tr("Нет такой страницы", "no such page"))),
    }
}

/// The form or button `action` on the page at `route`.
pub fn act(route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    let outcome = match parts.as_slice() {
        ["offer", id] => resident::offer_act(id, action),
        ["coupon", id] => resident::coupon_act(id, action, form),
        ["saved"] => resident::saved_act(action, form),
        ["jobs"] => resident::jobs_act(action, form),
        ["register"] => resident::register_act(action, form),
        ["join"] => business::join_act(action, form),
        ["b", id] => resident::business_act(id, action, form),
        ["b", id, "review"] => resident::review_act(id, action, form),
        ["b", id, "hire"] => resident::hire_act(id, action, form),
        ["b", id, "manage"] => business::manage_act(id, action, form),
        ["b", id, "offers"] => business::offers_act(id, action, form),
        ["b", id, "redeem"] => business::redeem_act(id, action, form),
        ["b", id, "jobs"] => business::jobs_act(id, action, form),
        ["admin"] => admin::act(action, form),
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    };
    ActionOutcome::errors_next_to_fields(outcome)
}

/// An error that names no field, shown above the form that was posted instead of on an error
/// page (a coupon already used, a review already written).
pub(crate) fn above_the_form(result: Result<ActionOutcome>) -> Result<ActionOutcome> {
    match result {
        Err(e)
            if e.field.is_none()
                && matches!(
                    e.code,
                    ErrorCode::Conflict | ErrorCode::Forbidden | ErrorCode::NotFound
                ) =>
        {
            Ok(ActionOutcome::invalid([("", e.message)]))
        }
        other => other,
    }
}

/// The tile on the place's home page (its offers) and on the person's own (their offers and
/// coupons).
pub fn tile(place: TilePlace) -> Result<Option<Tile>> {
    let house = match place {
        TilePlace::Community => ctx::community(),
        TilePlace::Person => {
            let Some(home) = ctx::caller().and_then(|c| people::home_of(&c)) else {
                return Ok(None);
            };
            home.house
        }
    };
    let running = offers::for_house(&house)?;
    if running.is_empty() {
        return Ok(None);
    }
    let mut tile = Tile::new(tr("Акции для вашего дома", "Offers for your house"))
        .count(running.len() as i64)
        .tone(Tone::Info);
    for (offer, business) in running.iter().take(3) {
        tile = tile.line(format!("{}: {}", business.data.name, offer.data.title));
    }
    if let [(offer, _)] = running.as_slice() {
        tile = tile.link(Link::to(
            format!("offer/{}", offer.id),
            offer.data.title.clone(),
        ));
    }
    Ok(Some(tile))
}

/// The home page link.
pub(crate) fn home_link() -> Link {
    Link::to("", tr("Акции и мастера", "Offers and specialists"))
}

/// A link to business `id`'s page.
pub(crate) fn business_link(id: &str, name: &str) -> Link {
    Link::to(format!("b/{id}"), name)
}

/// A link to its management page.
pub(crate) fn manage_link(id: &str) -> Link {
    Link::to(format!("b/{id}/manage"), tr("Управление", "Manage"))
}

/// Back to `route` with a notice.
pub(crate) fn back(route: impl Into<String>, notice: impl Into<String>) -> Result<ActionOutcome> {
    Ok(ActionOutcome::redirect(Link::to(route, ""), notice))
}

/// «с 01.06.2026 по 30.06.2026».
pub(crate) fn period(offer: &Offer) -> String {
    crate::coupons::period_text(offer.starts, offer.ends)
}

/// The badge of a paid listing running today, with its advertiser (38-ФЗ).
pub(crate) fn ad_badge(business: &Business) -> Result<Option<Badge>> {
    Ok(business
        .promoted(ctx::today()?)
        .map(|p| Badge::new(p.label(), Tone::Warning)))
}

/// «12 отзывов»-style rating line.
pub(crate) fn rating_text(business: &Business) -> String {
    format!("★ {}", business.rating.label())
}

/// A time in a sentence.
pub(crate) fn when(at: i64) -> String {
    input::datetime_text(at)
}

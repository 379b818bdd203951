//! Offers: published with their terms and period (38-ФЗ), for the residents of chosen houses or
//! of the houses within a radius of a branch, up to a limit of redemptions; shown to their
//! audience, viewed and saved (counted per household); and the houses' map points that radii
//! and distances need.

use std::collections::HashMap;

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::businesses;
use crate::geo::GeoPoint;
use crate::input;
use crate::model::{
    Audience, BUSINESSES, Business, BusinessStatus, OFFERS, Offer, OfferStatus, PLACES, Place,
    SAVES, Sighting, TALLIES, Tally, VIEWS,
};
use crate::people::{self, Duty, HOME_KINDS, Home};

/// The largest radius of an offer, metres.
pub const MAX_RADIUS_M: u32 = 20_000;

/// What an offer form or `POST businesses/{id}/offers` carries.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct OfferInput {
    /// The headline.
    pub title: Option<String>,
    /// The terms in full.
    pub terms: Option<String>,
    /// The first day, `YYYY-MM-DD`.
    pub starts: Option<String>,
    /// The last day.
    pub ends: Option<String>,
    /// `houses` or `radius`.
    pub audience: Option<String>,
    /// For `houses`: community ids.
    pub houses: Vec<String>,
    /// For `radius`: the branch.
    pub branch: Option<String>,
    /// For `radius`: metres.
    pub radius_m: Option<u32>,
    /// The most redemptions; none for no limit.
    pub limit: Option<u32>,
}

impl OfferInput {
    /// From a submitted form.
    pub fn from_form(form: &Params) -> Result<Self> {
        let get = |name: &str| form.get(name).map(str::to_owned);
        Ok(OfferInput {
            title: get("title"),
            terms: get("terms"),
            starts: get("starts"),
            ends: get("ends"),
            audience: get("audience"),
            houses: form.all("houses").map(str::to_owned).collect(),
            branch: get("branch"),
            radius_m: input::number("radius_m", form.get("radius_m"), 100..=MAX_RADIUS_M)?,
            limit: input::number("limit", form.get("limit"), 1..=1_000_000)?,
        })
    }
}

/// The places an offer may be for: the houses, SNTs and villages in the call's scope.
pub fn home_places() -> Vec<directory::CommunityInfo> {
    let here = ctx::community();
    let mut places: Vec<_> = directory::community(&here)
        .into_iter()
        .chain(directory::descendants(&here, None))
        .filter(|c| HOME_KINDS.contains(&c.kind.as_str()))
        .collect();
    places.sort_by(|a, b| a.name.cmp(&b.name));
    places
}

fn check_offer(business: &Business, input: &OfferInput, today: Date) -> Result<Offer> {
    let title = input::required("title", input.title.as_deref(), 120)?;
    let terms = input::required("terms", input.terms.as_deref(), 2000)?;
    let starts = match input.starts.as_deref().map(str::trim) {
        None | Some("") => today,
        Some(day) => Date::parse_field("starts", day)?,
    };
    let ends = match input.ends.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(Error::invalid(
                "ends",
                tr(
                    "Укажите последний день акции: закон требует срок",
                    "give the offer's last day: the law requires a period",
                ),
            ));
        }
        Some(day) => Date::parse_field("ends", day)?,
    };
    if ends < starts {
        return Err(Error::invalid(
            "ends",
            tr(
                "Акция не может закончиться раньше, чем начнётся",
                "an offer cannot end before it starts",
            ),
        ));
    }
    if ends < today {
        return Err(Error::invalid(
            "ends",
            tr("Этот день уже прошёл", "that day is past"),
        ));
    }
    let audience = match input.audience.as_deref().map(str::trim) {
        Some("houses") => {
            let known = home_places();
            let mut houses: Vec<String> = Vec::new();
            for house in &input.houses {
                if !known.iter().any(|k| &k.id == house) {
                    return Err(Error::invalid(
                        "houses",
                        format!("{} «{house}»", tr("Нет такого дома:", "no such house:")),
                    ));
                }
                if !houses.contains(house) {
                    houses.push(house.clone());
                }
            }
            if houses.is_empty() {
                return Err(Error::invalid(
                    "houses",
                    tr("Выберите дома", "choose the houses"),
                ));
            }
            Audience::Houses { houses }
        }
        Some("radius") => {
            let branch = match input.branch.as_deref().map(str::trim) {
                Some(b) if business.branch(b).is_some() => b.to_owned(),
                _ if business.branches.len() == 1 => business.branches[0].id.clone(),
                _ => {
                    return Err(Error::invalid(
                        "branch",
                        tr(
                            "Выберите филиал, вокруг которого акция",
                            "choose the branch the offer is around",
                        ),
                    ));
                }
            };
            let metres = match input.radius_m {
                Some(m) if (100..=MAX_RADIUS_M).contains(&m) => m,
                _ => {
                    return Err(Error::invalid(
                        "radius_m",
                        format!(
                            "{} {MAX_RADIUS_M} {}",
                            tr("Радиус от 100 до", "a radius from 100 to"),
                            tr("метров", "metres")
                        ),
                    ));
                }
            };
            Audience::Radius { branch, metres }
        }
        _ => {
            return Err(Error::invalid(
                "audience",
                tr(
                    "Выберите, для кого акция: для домов или для радиуса вокруг филиала",
                    "choose who the offer is for: houses, or a radius around a branch",
                ),
            ));
        }
    };
    if let Some(limit) = input.limit
        && !(1..=1_000_000).contains(&limit)
    {
        return Err(Error::invalid(
            "limit",
            tr("Лимит от 1 до 1 000 000", "a limit from 1 to 1,000,000"),
        ));
    }
    Ok(Offer {
        business: String::new(),
        business_name: business.name.clone(),
        title,
        terms,
        starts,
        ends,
        audience,
        limit: input.limit,
        status: OfferStatus::Published,
        by_name: String::new(),
        created: ctx::now(),
    })
}

/// Publish an offer of business `id`.
pub fn create(id: &str, input: &OfferInput) -> Result<Doc<Offer>> {
    let (business, caller) = businesses::for_duty(id, Duty::Publish)?;
    if business.data.status != BusinessStatus::Approved {
        return Err(Error::forbidden(tr(
            "Публиковать акции можно после проверки организации администратором",
            "offers can be published once an admin has verified the business",
        )));
    }
    let mut offer = check_offer(&business.data, input, ctx::today()?)?;
    offer.business = business.id.clone();
    offer.by_name = caller.display_name;
    let doc = OFFERS.insert(&business.community, None, &offer)?;
    TALLIES.put(&business.community, &doc.id, &Tally::default(), Some(0))?;
    Ok(doc)
}

/// The offer `id`, wherever it is above or in the call's scope.
pub fn find(id: &str) -> Result<Doc<Offer>> {
    OFFERS
        .get_inherited(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой акции", "no such offer")))
}

/// Stop offer `id` before its end.
pub fn stop(id: &str) -> Result<Doc<Offer>> {
    let mut offer = OFFERS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой акции", "no such offer")))?;
    businesses::for_duty(&offer.data.business, Duty::Publish)?;
    offer.data.status = OfferStatus::Stopped;
    OFFERS.put(
        &offer.community,
        &offer.id,
        &offer.data,
        Some(offer.version),
    )
}

/// How many times offer `id` was redeemed.
pub fn redeemed(id: &str) -> Result<u32> {
    Ok(TALLIES.get_inherited(id)?.map_or(0, |t| t.data.redeemed))
}

/// The map point of house `house`, if its admin put it on the map.
pub fn point_of(house: &str) -> Result<Option<GeoPoint>> {
    Ok(PLACES.get_inherited(house)?.map(|p| p.data.point))
}

/// An admin puts house `house` on the map (or off it, with none).
pub fn set_point(house: &str, point: Option<GeoPoint>) -> Result<()> {
    let caller = people::require_admin()?;
    if !home_places().iter().any(|p| p.id == house) {
        return Err(Error::invalid(
            "house",
            tr("Нет такого дома", "no such house"),
        ));
    }
    match point {
        Some(point) => {
            PLACES.put(
                house,
                house,
                &Place {
                    point,
                    by_name: caller.display_name,
                },
                None,
            )?;
        }
        None => {
            PLACES.delete(house)?;
        }
    }
    Ok(())
}

/// The ids of `house` and of every place above it.
fn house_and_above(house: &str) -> Vec<String> {
    let mut chain = directory::ancestry(house);
    for above in directory::ancestors() {
        if !chain.contains(&above.id) {
            chain.push(above.id);
        }
    }
    chain
}

/// Whether `house` is in the audience of `offer` of `business`.
pub fn reaches(offer: &Offer, business: &Business, house: &str) -> Result<bool> {
    Ok(match &offer.audience {
        Audience::Houses { houses } => house_and_above(house).iter().any(|h| houses.contains(h)),
        Audience::Radius { branch, metres } => match (business.branch(branch), point_of(house)?) {
            (Some(branch), Some(home)) => branch.point.within(home, f64::from(*metres)),
            _ => false,
        },
    })
}

/// The houses in the audience of `offer`, by name, as far as the call's scope sees.
pub fn audience_names(offer: &Offer, business: &Business) -> Result<Vec<String>> {
    let mut names: Vec<String> = match &offer.audience {
        Audience::Houses { houses } => houses
            .iter()
            .map(|h| directory::community(h).map_or_else(|| h.clone(), |c| c.name))
            .collect(),
        Audience::Radius { .. } => {
            let mut names = Vec::new();
            for place in home_places() {
                if reaches(offer, business, &place.id)? {
                    names.push(place.name);
                }
            }
            names
        }
    };
    names.sort();
    Ok(names)
}

/// The offers running today for the residents of `house`, with their businesses, nearest
/// branch first when the house is on the map.
pub fn for_house(house: &str) -> Result<Vec<(Doc<Offer>, Doc<Business>)>> {
    let today = ctx::today()?;
    let offers = OFFERS
        .query()
        .with_ancestors()
        .filter("status", Compare::Eq, OfferStatus::Published.as_str())
        .filter("ends", Compare::Ge, today)
        .limit(1000)
        .fetch_all()?;
    let mut businesses: HashMap<String, Option<Doc<Business>>> = HashMap::new();
    let mut out = Vec::new();
    for offer in offers {
        if !offer.data.runs_on(today) {
            continue;
        }
        let business = match businesses.get(&offer.data.business) {
            Some(b) => b.clone(),
            None => {
                let b = BUSINESSES
                    .get_inherited(&offer.data.business)?
                    .filter(|b| b.data.status == BusinessStatus::Approved);
                businesses.insert(offer.data.business.clone(), b.clone());
                b
            }
        };
        if let Some(business) = business
            && reaches(&offer.data, &business.data, house)?
        {
            out.push((offer, business));
        }
    }
    if let Some(home) = point_of(house)? {
        out.sort_by_key(|(_, b)| nearest_branch(&b.data, home).map_or(u64::MAX, |(_, m)| m));
    }
    Ok(out)
}

/// The branch of `business` nearest to `from`, with its distance in metres.
pub fn nearest_branch(business: &Business, from: GeoPoint) -> Option<(&crate::model::Branch, u64)> {
    business
        .branches
        .iter()
        .map(|b| (b, from.distance_m(b.point).round() as u64))
        .min_by_key(|(_, m)| *m)
}

/// Whether the caller's household may see and use `offer`: it runs today, its business is
/// approved, and their house is in its audience.
pub fn check_for_home(offer: &Doc<Offer>, business: &Doc<Business>, home: &Home) -> Result<()> {
    let today = ctx::today()?;
    if business.data.status != BusinessStatus::Approved {
        return Err(Error::not_found(tr("Нет такой акции", "no such offer")));
    }
    if offer.data.status != OfferStatus::Published || today > offer.data.ends {
        return Err(Error::conflict(format!(
            "{} {}",
            tr("Акция закончилась", "the offer ended on"),
            input::date_text(offer.data.ends)
        )));
    }
    if today < offer.data.starts {
        return Err(Error::conflict(format!(
            "{} {}",
            tr("Акция начнётся", "the offer starts on"),
            input::date_text(offer.data.starts)
        )));
    }
    if !reaches(&offer.data, &business.data, &home.house)? {
        return Err(Error::forbidden(tr(
            "Эта акция — для жителей других домов",
            "this offer is for the residents of other houses",
        )));
    }
    Ok(())
}

/// A short stable id of `parts` (no person's id shows in it).
pub fn key(parts: &[&str]) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..12])
}

/// Count a household's first view of `offer`.
pub fn record_view(offer: &Doc<Offer>, home: &Home) -> Result<()> {
    let sighting = Sighting {
        offer: offer.id.clone(),
        business: offer.data.business.clone(),
        person: None,
        house: home.house.clone(),
        household: home.household.clone(),
        at: ctx::now(),
    };
    let id = key(&["view", &offer.id, &home.household]);
    if VIEWS.get(&id)?.is_some() {
        return Ok(());
    }
    match VIEWS.insert(&home.house, Some(&id), &sighting) {
        Err(e) if !e.is(ErrorCode::Conflict) => Err(e),
        _ => Ok(()),
    }
}

/// Whether `person` saved `offer`.
pub fn is_saved(offer: &str, person: &str) -> Result<bool> {
    Ok(SAVES.get(&key(&["save", offer, person]))?.is_some())
}

/// Save `offer` for the caller, or forget it.
pub fn set_saved(offer_id: &str, saved: bool) -> Result<bool> {
    let caller = ctx::require_caller()?;
    let id = key(&["save", offer_id, &caller.person_id]);
    if !saved {
        return SAVES.delete(&id);
    }
    let home = people::require_home(&caller)?;
    let offer = find(offer_id)?;
    let business = businesses::find(&offer.data.business)?;
    check_for_home(&offer, &business, &home)?;
    if SAVES.get(&id)?.is_some() {
        return Ok(false);
    }
    let sighting = Sighting {
        offer: offer.id.clone(),
        business: offer.data.business.clone(),
        person: Some(caller.person_id),
        house: home.house,
        household: home.household,
        at: ctx::now(),
    };
    match SAVES.insert(&sighting.house.clone(), Some(&id), &sighting) {
        Ok(_) => Ok(true),
        Err(e) if e.is(ErrorCode::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The offers the caller saved that still run, with their businesses.
pub fn saved_by(person: &str) -> Result<Vec<(Doc<Offer>, Doc<Business>)>> {
    let today = ctx::today()?;
    let mut out = Vec::new();
    for save in SAVES
        .query()
        .filter("person", Compare::Eq, person)
        .limit(1000)
        .fetch_all()?
    {
        let Some(offer) = OFFERS.get_inherited(&save.data.offer)? else {
            continue;
        };
        if !offer.data.runs_on(today) {
            continue;
        }
        if let Some(business) = BUSINESSES
            .get_inherited(&offer.data.business)?
            .filter(|b| b.data.status == BusinessStatus::Approved)
        {
            out.push((offer, business));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_stable_and_hide_their_parts() {
        let a = key(&["save", "offer-1", "person-1"]);
        assert_eq!(a.len(), 24);
        assert_eq!(a, key(&["save", "offer-1", "person-1"]));
        assert_ne!(a, key(&["save", "offer-1", "person-2"]));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
        assert!(!a.contains("person"));
    }
}

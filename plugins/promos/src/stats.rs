//! What a business sees of its offers: views, saves and redemptions, as counts of distinct
//! households per house and in all, each shown only from the floor up (RULES §9). Names,
//! flats and phones never enter these figures; the redemptions log says when, where and by
//! whom at the counter, never who the resident was or where they live.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::audience::{self, AudienceCount, AudienceReport};
use crate::model::{Offer, REDEMPTIONS, SAVES, VIEWS};
use crate::settings::Settings;

/// An offer's figures.
#[derive(Clone, Debug)]
pub struct OfferStats {
    /// Households that opened it.
    pub views: AudienceReport,
    /// Households that saved it.
    pub saves: AudienceReport,
    /// Households that redeemed it.
    pub redemptions: AudienceReport,
    /// Redemptions at the counter in all (the business's own log counts them anyway).
    pub redeemed: u32,
}

/// The figures of offer `offer`.
pub fn of_offer(offer: &Doc<Offer>) -> Result<OfferStats> {
    let settings = Settings::load()?;
    let views = VIEWS
        .query()
        .filter("offer", Compare::Eq, offer.id.as_str())
        .limit(1000)
        .fetch_all()?;
    let saves = SAVES
        .query()
        .filter("offer", Compare::Eq, offer.id.as_str())
        .limit(1000)
        .fetch_all()?;
    let redemptions = REDEMPTIONS
        .query()
        .filter("offer", Compare::Eq, offer.id.as_str())
        .limit(1000)
        .fetch_all()?;
    let floor = &settings.audience;
    Ok(OfferStats {
        views: audience::report(
            views
                .iter()
                .map(|d| (d.data.house.as_str(), d.data.household.as_str())),
            floor,
        ),
        saves: audience::report(
            saves
                .iter()
                .map(|d| (d.data.house.as_str(), d.data.household.as_str())),
            floor,
        ),
        redemptions: audience::report(
            redemptions
                .iter()
                .map(|d| (d.data.house.as_str(), d.data.household.as_str())),
            floor,
        ),
        redeemed: u32::try_from(redemptions.len()).unwrap_or(u32::MAX),
    })
}

/// The houses any of `stats`' reports mention, by name.
pub fn areas(stats: &OfferStats) -> Vec<(String, String)> {
    let mut ids: Vec<&str> = Vec::new();
    for report in [&stats.views, &stats.saves, &stats.redemptions] {
        for (area, _) in &report.areas {
            if !ids.contains(&area.as_str()) {
                ids.push(area);
            }
        }
    }
    let mut named: Vec<(String, String)> = ids
        .into_iter()
        .map(|id| {
            let name = directory::community(id).map_or_else(|| id.to_owned(), |c| c.name);
            (id.to_owned(), name)
        })
        .collect();
    named.sort_by(|a, b| a.1.cmp(&b.1));
    named
}

/// The count of `area` in `report` as the business reads it; an area with no one is below
/// the floor too.
pub fn label_of(report: &AudienceReport, area: &str, floor: u32) -> String {
    report
        .areas
        .iter()
        .find(|(a, _)| a == area)
        .map_or(AudienceCount::FewerThan(floor), |(_, c)| *c)
        .label()
}

/// `report` as JSON for the API: counts only, by house.
pub fn json(report: &AudienceReport) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or(serde_json::Value::Null)
}

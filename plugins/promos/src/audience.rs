//! What a business sees of its audience: counts of households, never people (RULES §9).
//!
//! Views, saves and redemptions are counted per house or area as **distinct households**, and
//! a count is shown only when it reaches the floor (10 by default); below it the business
//! reads "fewer than 10". A total is shown under the same floor, and when exactly one area is
//! hidden while the total is shown, the next smallest area is hidden too — otherwise the
//! hidden count would be the total minus the others. Names, flats and phones never enter
//! these types.

use std::collections::{BTreeMap, BTreeSet};

use dvor_sdk::ctx::tr;
use serde::{Deserialize, Serialize};

/// The privacy floor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudienceSettings {
    /// Counts below this are not shown.
    pub floor: u32,
}

impl Default for AudienceSettings {
    fn default() -> Self {
        Self { floor: 10 }
    }
}

/// A count as the business sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "shown", content = "value", rename_all = "snake_case")]
pub enum AudienceCount {
    /// The count, at or above the floor.
    Count(u32),
    /// Below the floor (the floor is given, not the count).
    FewerThan(u32),
}

impl AudienceCount {
    /// The count as the business reads it: `12`, or `fewer than 10`.
    pub fn label(self) -> String {
        match self {
            Self::Count(n) => n.to_string(),
            Self::FewerThan(floor) => format!("{} {floor}", tr("меньше", "fewer than")),
        }
    }
}

/// Counts per area and the total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AudienceReport {
    /// Per house or area, by its id.
    pub areas: Vec<(String, AudienceCount)>,
    /// All areas together.
    pub total: AudienceCount,
}

/// The report of `events`: (area, household) pairs, a household counted once per area.
pub fn report<'a>(
    events: impl IntoIterator<Item = (&'a str, &'a str)>,
    settings: &AudienceSettings,
) -> AudienceReport {
    let mut per_area: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut everyone: BTreeSet<&str> = BTreeSet::new();
    for (area, household) in events {
        per_area.entry(area).or_default().insert(household);
        everyone.insert(household);
    }
    let floor = settings.floor;
    let shown = |n: usize| {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if n >= floor {
            AudienceCount::Count(n)
        } else {
            AudienceCount::FewerThan(floor)
        }
    };
    let mut areas: Vec<(String, AudienceCount, usize)> = per_area
        .iter()
        .map(|(area, households)| (area.to_string(), shown(households.len()), households.len()))
        .collect();
    let total = shown(everyone.len());
    let hidden = areas
        .iter()
        .filter(|(_, c, _)| matches!(c, AudienceCount::FewerThan(_)))
        .count();
    if hidden == 1
        && matches!(total, AudienceCount::Count(_))
        && let Some(next) = areas
            .iter_mut()
            .filter(|(_, c, _)| matches!(c, AudienceCount::Count(_)))
            .min_by_key(|(_, _, n)| *n)
    {
        next.1 = AudienceCount::FewerThan(floor);
    }
    AudienceReport {
        areas: areas
            .into_iter()
            .map(|(area, count, _)| (area, count))
            .collect(),
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(area: &'static str, households: std::ops::Range<u32>) -> Vec<(&'static str, String)> {
        households.map(|h| (area, format!("h{h}"))).collect()
    }

    fn run(list: &[(&'static str, String)]) -> AudienceReport {
        report(
            list.iter().map(|(a, h)| (*a, h.as_str())),
            &AudienceSettings::default(),
        )
    }

    #[test]
    fn counts_below_ten_are_not_shown() {
        let mut list = events("house-1", 0..12);
        list.extend(events("house-2", 100..109));
        list.extend(events("house-3", 200..230));
        // The same household twice in one house counts once.
        list.push(("house-1", "h0".into()));
        let r = run(&list);
        assert_eq!(r.areas[1], ("house-2".into(), AudienceCount::FewerThan(10)));
        assert_eq!(r.areas[1].1.label(), "меньше 10");
        assert_eq!(r.total, AudienceCount::Count(51));
        // One hidden area and a shown total would give it away: house-1 (the next smallest)
        // is hidden too.
        assert_eq!(r.areas[0], ("house-1".into(), AudienceCount::FewerThan(10)));
        assert_eq!(r.areas[2], ("house-3".into(), AudienceCount::Count(30)));
    }

    #[test]
    fn exactly_ten_is_shown() {
        let mut list = events("house-1", 0..10);
        list.extend(events("house-2", 100..110));
        let r = run(&list);
        assert_eq!(r.areas[0].1, AudienceCount::Count(10));
        assert_eq!(r.total, AudienceCount::Count(20));
        let small = run(&events("house-1", 0..3));
        assert_eq!(small.total, AudienceCount::FewerThan(10));
        let json = serde_json::to_string(&small).unwrap();
        assert!(!json.contains('3'), "{json}");
    }
}

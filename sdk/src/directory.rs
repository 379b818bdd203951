//! Read-only access to the host's tree of places, units, owners and people, limited to the
//! call's community subtree.

use crate::bindings::dvor::plugin::directory as wit;

pub use wit::{CommunityInfo, OrganizationInfo, Ownership, PersonInfo, Unit};

/// A community by id, if it is in scope.
pub fn community(id: &str) -> Option<CommunityInfo> {
    wit::get_community(id)
}

/// The communities directly under `id`, optionally only those of `kind` (`house`, `snt`, …).
pub fn children(id: &str, kind: Option<&str>) -> Vec<CommunityInfo> {
    wit::children(id, kind)
}

/// The communities anywhere under `id` (not `id` itself), optionally only those of `kind`.
pub fn descendants(id: &str, kind: Option<&str>) -> Vec<CommunityInfo> {
    wit::descendants(id, kind)
}

/// The units (apartments, plots) of a community.
pub fn units(community: &str) -> Vec<Unit> {
    wit::units(community)
}

/// The owners of a unit, with their shares.
pub fn owners(unit_id: &str) -> Vec<Ownership> {
    wit::owners(unit_id)
}

/// The units a person owns or lives in, in scope.
pub fn units_of(person_id: &str) -> Vec<Unit> {
    wit::units_of(person_id)
}

/// A person by id, if they hold any role in scope.
pub fn person(id: &str) -> Option<PersonInfo> {
    wit::get_person(id)
}

/// The ids of people holding `role` in `community` or above it.
pub fn people_with_role(community: &str, role: &str) -> Vec<String> {
    wit::people_with_role(community, role, None)
}

/// The ids of people holding `role` in `organization`, which serves `community` (the
/// operators of the one management company of a house, not of every company around).
pub fn staff_of(organization: &str, community: &str, role: &str) -> Vec<String> {
    wit::people_with_role(community, role, Some(organization))
}

/// The organizations serving `community`, of `kind` (`management-company`, `government`, …)
/// if given.
pub fn organizations(community: &str, kind: Option<&str>) -> Vec<OrganizationInfo> {
    wit::organizations(community, kind)
}

/// The communities above the call's, nearest first, up to the root.
pub fn ancestors() -> Vec<CommunityInfo> {
    wit::ancestors()
}

/// `community` and its ancestors up to the call's community, nearest first (the directory does
/// not show what lies above the call's scope).
pub fn ancestry(community: &str) -> Vec<String> {
    let mut chain = vec![community.to_owned()];
    let mut next = self::community(community).and_then(|c| c.parent);
    while let Some(id) = next {
        next = self::community(&id).and_then(|c| c.parent);
        chain.push(id);
        if chain.len() > 32 {
            break;
        }
    }
    chain
}

/// The number at the start of a unit's number: `12` for `12А`, `45` for `участок 45`, none for
/// `офис`. Pools of flats and lists of plots go by it.
pub fn unit_number_value(number: &str) -> Option<u64> {
    let start = number.find(|c: char| c.is_ascii_digit())?;
    let digits: String = number[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The order people expect of unit numbers: `2` before `10`, `12` before `12А` before `12Б`,
/// numbers before names; ties broken by the text itself.
pub fn cmp_unit_numbers(a: &str, b: &str) -> core::cmp::Ordering {
    let key = |n: &str| {
        (
            unit_number_value(n).is_none(),
            unit_number_value(n),
            n.to_lowercase(),
        )
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_numbers_sort_as_people_expect() {
        let mut numbers = vec!["10", "офис", "2", "12Б", "участок 3", "12А", "12", "1"];
        numbers.sort_by(|a, b| cmp_unit_numbers(a, b));
        assert_eq!(
            numbers,
            ["1", "2", "участок 3", "10", "12", "12А", "12Б", "офис"]
        );
        assert_eq!(unit_number_value("участок 45"), Some(45));
        assert_eq!(unit_number_value("12/1"), Some(12));
        assert_eq!(unit_number_value("офис"), None);
    }
}

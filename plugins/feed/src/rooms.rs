//! Chat rooms generated from the register of units (issue 19).
//!
//! For each house: a room of the whole house; a room per entrance where the register knows
//! the units' entrances; pools of flats by number, 10–15 flats each (as Дом.Контроль groups
//! them), balanced so no pool is left tiny; and a room with the management company's staff.
//! Non-residential units join the house and staff rooms only. Room ids are stable, derived
//! from the house and what the room covers, so regenerating after a change of the register
//! keeps the rooms people already use.
//!
//! Pools: `n` flats in number order make ⌈n ÷ max⌉ pools of near-equal size; when that gives
//! pools under `min`, fewer pools are made (a house of 16–19 flats has one pool of all of them);
//! a house of fewer than `min` flats has no pool — its house room is small already.

use dvor_sdk::ctx::tr;
use dvor_sdk::directory::{cmp_unit_numbers, unit_number_value};
use serde::{Deserialize, Serialize};

/// A unit of the register as rooms need it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitEntry {
    /// The unit's id.
    pub id: String,
    /// The number people use: `12`, `12А`.
    pub number: String,
    /// The entrance (подъезд), where known.
    pub entrance: Option<String>,
    /// Whether it is a flat (not an office or a shop).
    pub residential: bool,
}

/// Pool sizes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomSettings {
    /// The fewest flats in a pool.
    pub pool_min: u32,
    /// The most flats in a pool.
    pub pool_max: u32,
    /// Whether to make the room with the management company's staff.
    pub staff_room: bool,
}

impl Default for RoomSettings {
    fn default() -> Self {
        Self {
            pool_min: 10,
            pool_max: 15,
            staff_room: true,
        }
    }
}

/// What a room covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoomKind {
    /// The whole house.
    House,
    /// One entrance.
    Entrance {
        /// Its name.
        entrance: String,
    },
    /// A pool of flats.
    Pool {
        /// The first flat's number.
        first: String,
        /// The last flat's number.
        last: String,
    },
    /// Residents and the management company's staff.
    Staff,
}

/// A generated room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Room {
    /// Stable id: `<house>:house`, `<house>:entrance:<e>`, `<house>:pool:<first>-<last>`,
    /// `<house>:staff`.
    pub id: String,
    /// What it covers.
    pub kind: RoomKind,
    /// Its title, in the call's locale.
    pub title: String,
    /// The units whose residents are members.
    pub units: Vec<String>,
    /// Whether the management company's staff are members.
    pub with_staff: bool,
}

/// Sizes of pools for `n` flats.
pub fn pool_sizes(n: usize, settings: &RoomSettings) -> Vec<usize> {
    let (min, max) = (
        settings.pool_min.max(1) as usize,
        settings.pool_max.max(settings.pool_min).max(1) as usize,
    );
    if n < min {
        return Vec::new();
    }
    let mut pools = n.div_ceil(max);
    if n / pools < min {
        pools = (n / min).max(1);
    }
    (0..pools)
        .map(|i| n / pools + usize::from(i < n % pools))
        .collect()
}

/// The rooms of house `house` from its `units`.
pub fn rooms_for_house(house: &str, units: &[UnitEntry], settings: &RoomSettings) -> Vec<Room> {
    let mut sorted: Vec<&UnitEntry> = units.iter().collect();
    sorted.sort_by(|a, b| cmp_unit_numbers(&a.number, &b.number));
    let ids = |list: &[&UnitEntry]| list.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
    let mut rooms = vec![Room {
        id: format!("{house}:house"),
        kind: RoomKind::House,
        title: tr("Чат дома", "House chat").to_owned(),
        units: ids(&sorted),
        with_staff: false,
    }];
    let flats: Vec<&UnitEntry> = sorted.iter().copied().filter(|u| u.residential).collect();

    let mut entrances: Vec<&str> = flats.iter().filter_map(|u| u.entrance.as_deref()).collect();
    entrances.sort_by(|a, b| cmp_unit_numbers(a, b));
    entrances.dedup();
    for entrance in entrances {
        let members: Vec<&UnitEntry> = flats
            .iter()
            .copied()
            .filter(|u| u.entrance.as_deref() == Some(entrance))
            .collect();
        rooms.push(Room {
            id: format!("{house}:entrance:{entrance}"),
            kind: RoomKind::Entrance {
                entrance: entrance.to_owned(),
            },
            title: format!("{} {entrance}", tr("Подъезд", "Entrance")),
            units: ids(&members),
            with_staff: false,
        });
    }

    // Pools go by the flat's number; flats without a number are left to the house room.
    let numbered: Vec<&UnitEntry> = flats
        .iter()
        .copied()
        .filter(|u| unit_number_value(&u.number).is_some())
        .collect();
    let mut start = 0;
    for size in pool_sizes(numbered.len(), settings) {
        let pool = &numbered[start..start + size];
        start += size;
        let (first, last) = (pool[0].number.clone(), pool[size - 1].number.clone());
        rooms.push(Room {
            id: format!("{house}:pool:{first}-{last}"),
            title: format!("{} {first}–{last}", tr("Квартиры", "Flats")),
            kind: RoomKind::Pool { first, last },
            units: ids(pool),
            with_staff: false,
        });
    }

    if settings.staff_room {
        rooms.push(Room {
            id: format!("{house}:staff"),
            kind: RoomKind::Staff,
            title: tr(
                "Чат с управляющей компанией",
                "Chat with the management company",
            )
            .to_owned(),
            units: ids(&sorted),
            with_staff: true,
        });
    }
    rooms
}

/// The rooms a unit's residents belong to.
pub fn rooms_of_unit<'r>(rooms: &'r [Room], unit: &str) -> Vec<&'r Room> {
    rooms
        .iter()
        .filter(|r| r.units.iter().any(|u| u == unit))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flats(n: usize, per_entrance: Option<usize>) -> Vec<UnitEntry> {
        (1..=n)
            .map(|i| UnitEntry {
                id: format!("u{i}"),
                number: i.to_string(),
                entrance: per_entrance.map(|p| ((i - 1) / p + 1).to_string()),
                residential: true,
            })
            .collect()
    }

    #[test]
    fn pool_sizes_stay_within_ten_to_fifteen() {
        let s = RoomSettings::default();
        assert_eq!(pool_sizes(9, &s), Vec::<usize>::new());
        assert_eq!(pool_sizes(10, &s), [10]);
        assert_eq!(pool_sizes(15, &s), [15]);
        assert_eq!(pool_sizes(17, &s), [17]);
        assert_eq!(pool_sizes(20, &s), [10, 10]);
        assert_eq!(pool_sizes(31, &s), [11, 10, 10]);
        for n in 20..2_000 {
            let sizes = pool_sizes(n, &s);
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(
                sizes.iter().all(|&k| (10..=15).contains(&k)),
                "{n}: {sizes:?}"
            );
        }
    }

    #[test]
    fn a_house_gets_its_rooms() {
        // 60 flats in 4 entrances of 15, and a shop.
        let mut units = flats(60, Some(15));
        units.push(UnitEntry {
            id: "shop".into(),
            number: "н1".into(),
            entrance: None,
            residential: false,
        });
        let rooms = rooms_for_house("h1", &units, &RoomSettings::default());
        let ids: Vec<&str> = rooms.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "h1:house",
                "h1:entrance:1",
                "h1:entrance:2",
                "h1:entrance:3",
                "h1:entrance:4",
                "h1:pool:1-15",
                "h1:pool:16-30",
                "h1:pool:31-45",
                "h1:pool:46-60",
                "h1:staff",
            ]
        );
        assert_eq!(rooms[0].units.len(), 61);
        assert_eq!(rooms[1].units.len(), 15);
        assert_eq!(rooms[5].title, "Квартиры 1–15");
        assert!(rooms[9].with_staff);
        let of_shop: Vec<&str> = rooms_of_unit(&rooms, "shop")
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(of_shop, ["h1:house", "h1:staff"]);
        let of_flat_17: Vec<&str> = rooms_of_unit(&rooms, "u17")
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(
            of_flat_17,
            ["h1:house", "h1:entrance:2", "h1:pool:16-30", "h1:staff"]
        );
    }

    #[test]
    fn flats_go_by_number_and_unknown_entrances_make_no_room() {
        let mut units = flats(12, None);
        units.reverse();
        units[0].number = "12А".into();
        let rooms = rooms_for_house(
            "h2",
            &units,
            &RoomSettings {
                staff_room: false,
                ..RoomSettings::default()
            },
        );
        let ids: Vec<&str> = rooms.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["h2:house", "h2:pool:1-12А"]);
        assert_eq!(rooms[1].units.first().map(String::as_str), Some("u1"));
        // A small house has only its house room and the staff room.
        let small = rooms_for_house("h3", &flats(6, Some(3)), &RoomSettings::default());
        assert_eq!(small.len(), 4);
        assert!(
            small
                .iter()
                .all(|r| !matches!(r.kind, RoomKind::Pool { .. }))
        );
    }
}

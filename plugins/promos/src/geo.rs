//! Distances on the map, for "by distance" lists and offers for a radius around a branch.
//!
//! The haversine formula on a sphere of the Earth's mean radius (6 371 008.8 m): within a town
//! it is off by well under a percent, far below what anyone walking to a bakery notices.

use dvor_sdk::Error;
use dvor_sdk::ctx::tr;
use serde::{Deserialize, Serialize};

/// The Earth's mean radius, metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point: latitude and longitude in degrees (WGS 84, as the web map uses).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Degrees north, −90 to 90.
    pub lat: f64,
    /// Degrees east, −180 to 180.
    pub lon: f64,
}

impl GeoPoint {
    /// A point; errors name `lat` or `lon` when out of range or not a number.
    pub fn new(lat: f64, lon: f64) -> Result<GeoPoint, Error> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(Error::invalid(
                "lat",
                tr("Широта от −90 до 90", "latitude from −90 to 90"),
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(Error::invalid(
                "lon",
                tr("Долгота от −180 до 180", "longitude from −180 to 180"),
            ));
        }
        Ok(GeoPoint { lat, lon })
    }

    /// The great-circle distance to `other`, metres.
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let dphi = phi2 - phi1;
        let dlambda = (other.lon - self.lon).to_radians();
        let a =
            (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }

    /// Whether `other` is within `radius_m` metres.
    pub fn within(self, other: GeoPoint, radius_m: f64) -> bool {
        self.distance_m(other) <= radius_m
    }
}

/// `items` sorted nearest first from `from`, each with its distance in whole metres.
pub fn by_distance<T>(from: GeoPoint, items: Vec<(T, GeoPoint)>) -> Vec<(T, u64)> {
    let mut out: Vec<(T, u64)> = items
        .into_iter()
        .map(|(item, at)| (item, from.distance_m(at).round() as u64))
        .collect();
    out.sort_by_key(|(_, metres)| *metres);
    out
}

/// A distance as people read it: `350 м`, `1,2 км`, `12 км`.
pub fn distance_label(metres: u64) -> String {
    if metres < 1_000 {
        format!("{metres} {}", tr("м", "m"))
    } else if metres < 10_000 {
        let tenths = (metres + 50) / 100;
        let sep = tr(",", ".");
        format!("{}{sep}{} {}", tenths / 10, tenths % 10, tr("км", "km"))
    } else {
        format!("{} {}", (metres + 500) / 1_000, tr("км", "km"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        let red_square = GeoPoint::new(55.753_93, 37.620_795).unwrap();
        let palace_square = GeoPoint::new(59.939_095, 30.315_868).unwrap();
        let d = red_square.distance_m(palace_square);
        assert!((d - 634_400.0).abs() < 1_500.0, "{d}");
        // One minute of latitude is about a nautical mile.
        let a = GeoPoint::new(55.0, 37.0).unwrap();
        let b = GeoPoint::new(55.0 + 1.0 / 60.0, 37.0).unwrap();
        assert!(
            (a.distance_m(b) - 1_853.0).abs() < 3.0,
            "{}",
            a.distance_m(b)
        );
        assert_eq!(a.distance_m(a), 0.0);
        // Across the antimeridian.
        let east = GeoPoint::new(0.0, 179.999).unwrap();
        let west = GeoPoint::new(0.0, -179.999).unwrap();
        assert!(east.distance_m(west) < 300.0);
    }

    #[test]
    fn nearest_first() {
        let home = GeoPoint::new(55.75, 37.62).unwrap();
        let items = vec![
            ("far", GeoPoint::new(55.80, 37.62).unwrap()),
            ("near", GeoPoint::new(55.751, 37.62).unwrap()),
        ];
        let sorted = by_distance(home, items);
        assert_eq!(sorted[0].0, "near");
        assert!((110..=112).contains(&sorted[0].1), "{}", sorted[0].1);
        assert!(home.within(GeoPoint::new(55.751, 37.62).unwrap(), 200.0));
        assert!(!home.within(GeoPoint::new(55.80, 37.62).unwrap(), 5_000.0));
        assert_eq!(distance_label(350), "350 м");
        assert_eq!(distance_label(1_249), "1,2 км");
        assert_eq!(distance_label(12_400), "12 км");
    }

    #[test]
    fn bad_coordinates_name_the_field() {
        assert_eq!(
            GeoPoint::new(91.0, 0.0).unwrap_err().field.as_deref(),
            Some("lat")
        );
        assert_eq!(
            GeoPoint::new(0.0, f64::NAN).unwrap_err().field.as_deref(),
            Some("lon")
        );
    }
}

//! Vector map tiles for dvor's maps: the PMTiles archive an instance serves its tiles from
//! ([`pmtiles`]), the Mapbox Vector Tile encoding ([`mvt`]), and the demo town's own small
//! extract ([`demo`]), made by `cargo xtask demo-tiles` (there is no network here to fetch
//! OpenStreetMap data, and a demo should not need one).

pub mod demo;
pub mod mvt;
pub mod pmtiles;

/// Web Mercator: where `lon, lat` falls at zoom `z`, in tiles (the integer part is the tile).
pub fn project(lon: f64, lat: f64, z: u8) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

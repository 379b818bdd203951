//! The demo town's map: a few streets, houses, a school, a park and a pond around the points
//! the demo's appeals are filed at (the house at ул. Садовая, 1 among them), drawn as vector
//! tiles in the layers of the OpenMapTiles schema (`transportation` with a `class`, `building`,
//! `park`, `water`) that a region's real extract has too, so one style draws both.
//! `cargo xtask demo-tiles` writes it to `config/demo-town.pmtiles`.

use crate::mvt::{self, Feature, Geometry, Layer};
use crate::pmtiles::{self, Description};

/// The zoom levels of the demo extract.
pub const ZOOMS: std::ops::RangeInclusive<u8> = 12..=16;

/// West, south, east, north of the demo town.
pub const BOUNDS: [f64; 4] = [37.6100, 55.7465, 37.6290, 55.7570];

/// A thing on the map: its layer, its class, and its points (`lon, lat`).
struct Thing {
    layer: &'static str,
    class: &'static str,
    name: &'static str,
    area: bool,
    points: Vec<(f64, f64)>,
}

fn street(class: &'static str, name: &'static str, points: &[(f64, f64)]) -> Thing {
    Thing {
        layer: "transportation",
        class,
        name,
        area: false,
        points: points.to_vec(),
    }
}

/// A rectangle from its south-west to its north-east corner.
fn block(
    layer: &'static str,
    class: &'static str,
    name: &'static str,
    sw: (f64, f64),
    ne: (f64, f64),
) -> Thing {
    Thing {
        layer,
        class,
        name,
        area: true,
        points: vec![sw, (ne.0, sw.1), ne, (sw.0, ne.1)],
    }
}

fn town() -> Vec<Thing> {
    let mut things = vec![
        block(
            "park",
            "park",
            "Сквер у школы",
            (37.6135, 55.7530),
            (37.6178, 55.7548),
        ),
        Thing {
            layer: "water",
            class: "lake",
            name: "Пруд",
            area: true,
            points: vec![
                (37.6218, 55.7494),
                (37.6236, 55.7491),
                (37.6250, 55.7497),
                (37.6246, 55.7505),
                (37.6226, 55.7506),
            ],
        },
        street(
            "primary",
            "ул. Садовая",
            &[(37.6105, 55.7510), (37.6185, 55.7511), (37.6285, 55.7509)],
        ),
        street(
            "secondary",
            "Лесное шоссе",
            &[(37.6120, 55.7470), (37.6160, 55.7490), (37.6190, 55.7510)],
        ),
        street(
            "minor",
            "ул. Почтовая",
            &[(37.6190, 55.7470), (37.6190, 55.7565)],
        ),
        street(
            "minor",
            "Речной пер.",
            &[(37.6230, 55.7510), (37.6232, 55.7565)],
        ),
        street(
            "path",
            "Школьная аллея",
            &[(37.6165, 55.7526), (37.6215, 55.7525), (37.6262, 55.7527)],
        ),
        street(
            "service",
            "двор",
            &[(37.6190, 55.7514), (37.6206, 55.7514), (37.6206, 55.7522)],
        ),
        block(
            "building",
            "school",
            "Школа",
            (37.6198, 55.7529),
            (37.6224, 55.7537),
        ),
        block(
            "building",
            "residential",
            "ул. Садовая, 1",
            (37.6193, 55.7516),
            (37.6203, 55.7521),
        ),
    ];
    // The houses along ул. Садовая, both sides.
    for i in 0..8 {
        let west = 37.6112 + f64::from(i) * 0.0021;
        if (37.6186..37.6212).contains(&west) {
            continue;
        }
        things.push(block(
            "building",
            "residential",
            "",
            (west, 55.7500),
            (west + 0.0012, 55.7505),
        ));
        things.push(block(
            "building",
            "residential",
            "",
            (west, 55.7515),
            (west + 0.0011, 55.7520),
        ));
    }
    things
}

/// The tiles of zoom `z` that `BOUNDS` touches.
fn tiles_at(z: u8) -> impl Iterator<Item = (u32, u32)> {
    let (x0, y0) = crate::project(BOUNDS[0], BOUNDS[3], z);
    let (x1, y1) = crate::project(BOUNDS[2], BOUNDS[1], z);
    let (x0, x1, y0, y1) = (x0 as u32, x1 as u32, y0 as u32, y1 as u32);
    (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
}

/// One tile of the town: every thing that reaches into it, in its coordinates (the renderer
/// clips what lies outside).
fn tile(things: &[Thing], z: u8, x: u32, y: u32) -> Vec<u8> {
    let scale = f64::from(mvt::EXTENT);
    let mut layers: Vec<Layer> = Vec::new();
    for thing in things {
        let points: Vec<(i32, i32)> = thing
            .points
            .iter()
            .map(|(lon, lat)| {
                let (px, py) = crate::project(*lon, *lat, z);
                (
                    ((px - f64::from(x)) * scale).round() as i32,
                    ((py - f64::from(y)) * scale).round() as i32,
                )
            })
            .collect();
        let margin = mvt::EXTENT / 8;
        let inside = |(px, py): &(i32, i32)| {
            (-margin..mvt::EXTENT + margin).contains(px)
                && (-margin..mvt::EXTENT + margin).contains(py)
        };
        let (min_x, max_x) = points
            .iter()
            .fold((i32::MAX, i32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let (min_y, max_y) = points
            .iter()
            .fold((i32::MAX, i32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let overlaps = max_x >= -margin
            && min_x <= mvt::EXTENT + margin
            && max_y >= -margin
            && min_y <= mvt::EXTENT + margin;
        if !overlaps && !points.iter().any(inside) {
            continue;
        }
        let mut properties = vec![("class".to_owned(), thing.class.to_owned())];
        if !thing.name.is_empty() {
            properties.push(("name".to_owned(), thing.name.to_owned()));
        }
        let feature = Feature {
            geometry: if thing.area {
                Geometry::Polygon(points)
            } else {
                Geometry::Line(points)
            },
            properties,
        };
        match layers.iter_mut().find(|l| l.name == thing.layer) {
            Some(layer) => layer.features.push(feature),
            None => layers.push(Layer {
                name: thing.layer.to_owned(),
                features: vec![feature],
            }),
        }
    }
    // Drawn bottom to top: water and parks under streets under buildings.
    let order = ["water", "park", "transportation", "building"];
    layers.sort_by_key(|l| order.iter().position(|n| *n == l.name));
    mvt::encode(&layers)
}

/// The demo town as a PMTiles archive.
pub fn archive() -> Vec<u8> {
    let things = town();
    let mut tiles = Vec::new();
    for z in ZOOMS {
        for (x, y) in tiles_at(z) {
            tiles.push((z, x, y, tile(&things, z, x, y)));
        }
    }
    pmtiles::write(
        &tiles,
        &Description {
            bounds: BOUNDS,
            center: (37.6195, 55.7516, 15),
            metadata: concat!(
                "{\"name\":\"Демо-город\",\"description\":\"The dvor demo town, drawn by cargo xtask demo-tiles\",",
                "\"vector_layers\":[{\"id\":\"water\"},{\"id\":\"park\"},{\"id\":\"transportation\"},{\"id\":\"building\"}]}"
            )
            .into(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The extract committed for the demo is what the tool makes today.
    #[test]
    fn the_committed_extract_is_the_tools() {
        let committed = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../config/demo-town.pmtiles"
        ))
        .expect("config/demo-town.pmtiles: run `cargo xtask demo-tiles`");
        assert!(
            committed == archive(),
            "config/demo-town.pmtiles is stale: run `cargo xtask demo-tiles`"
        );
    }

    #[test]
    fn the_house_is_in_its_tile_at_every_zoom() {
        let archive = pmtiles::Archive::open(archive()).unwrap();
        for z in ZOOMS {
            let (x, y) = crate::project(37.6198, 55.7518, z);
            let bytes = archive
                .tile(z, x as u32, y as u32)
                .unwrap()
                .expect("a tile");
            assert!(
                bytes.windows(b"building".len()).any(|w| w == b"building"),
                "z{z}"
            );
        }
    }
}

//! Mapbox Vector Tile (2.1) encoding: layers of points, lines and polygons with string
//! properties, in tile coordinates, as protocol buffers. Just what the demo's tool needs.

/// A tile's coordinates span `0..EXTENT` on each axis.
pub const EXTENT: i32 = 4096;

/// A geometry in tile coordinates (y grows downwards).
#[derive(Clone, Debug, PartialEq)]
pub enum Geometry {
    /// One point.
    Point(i32, i32),
    /// A line through the points.
    Line(Vec<(i32, i32)>),
    /// A polygon's outer ring (closed implicitly).
    Polygon(Vec<(i32, i32)>),
}

/// A feature: its geometry and `key = value` properties.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// Where it is.
    pub geometry: Geometry,
    /// Its properties.
    pub properties: Vec<(String, String)>,
}

/// A named layer of features.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layer {
    /// The name styles refer to (`transportation`, `building`, …).
    pub name: String,
    /// Its features.
    pub features: Vec<Feature>,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from(field << 3 | wire));
}

fn bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    key(out, field, 2);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn packed(out: &mut Vec<u8>, field: u32, values: &[u32]) {
    let mut body = Vec::new();
    for v in values {
        varint(&mut body, u64::from(*v));
    }
    bytes(out, field, &body);
}

fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

/// The command stream of a geometry, and its MVT type.
fn encode_geometry(g: &Geometry) -> (u32, Vec<u32>) {
    let mut out = Vec::new();
    let (mut cx, mut cy) = (0, 0);
    let mut to = |out: &mut Vec<u32>, (x, y): (i32, i32)| {
        out.push(zigzag(x - cx));
        out.push(zigzag(y - cy));
        cx = x;
        cy = y;
    };
    match g {
        Geometry::Point(x, y) => {
            out.push(command(1, 1));
            to(&mut out, (*x, *y));
            (1, out)
        }
        Geometry::Line(points) | Geometry::Polygon(points) => {
            let polygon = matches!(g, Geometry::Polygon(_));
            let mut points = points.clone();
            if polygon {
                if points.len() > 1 && points.first() == points.last() {
                    points.pop();
                }
                // The outer ring has a positive area in tile coordinates (clockwise on screen).
                if ring_area(&points) < 0 {
                    points.reverse();
                }
            }
            if points.len() < 2 {
                return (if polygon { 3 } else { 2 }, Vec::new());
            }
            out.push(command(1, 1));
            to(&mut out, points[0]);
            out.push(command(2, points.len() as u32 - 1));
            for p in &points[1..] {
                to(&mut out, *p);
            }
            if polygon {
                out.push(command(7, 1));
            }
            (if polygon { 3 } else { 2 }, out)
        }
    }
}

/// Twice the signed area of a ring (the surveyor's formula).
fn ring_area(points: &[(i32, i32)]) -> i64 {
    let mut sum = 0i64;
    for (i, a) in points.iter().enumerate() {
        let b = points[(i + 1) % points.len()];
        sum += i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1);
    }
    sum
}

/// One tile of `layers`.
pub fn encode(layers: &[Layer]) -> Vec<u8> {
    let mut tile = Vec::new();
    for layer in layers.iter().filter(|l| !l.features.is_empty()) {
        let mut keys: Vec<&str> = Vec::new();
        let mut values: Vec<&str> = Vec::new();
        let mut body = Vec::new();
        key(&mut body, 15, 0);
        varint(&mut body, 2);
        bytes(&mut body, 1, layer.name.as_bytes());
        for (i, f) in layer.features.iter().enumerate() {
            let mut tags = Vec::new();
            for (k, v) in &f.properties {
                let ki = keys.iter().position(|x| x == k).unwrap_or_else(|| {
                    keys.push(k);
                    keys.len() - 1
                });
                let vi = values.iter().position(|x| x == v).unwrap_or_else(|| {
                    values.push(v);
                    values.len() - 1
                });
                tags.push(ki as u32);
                tags.push(vi as u32);
            }
            let (kind, geometry) = encode_geometry(&f.geometry);
            let mut feature = Vec::new();
            key(&mut feature, 1, 0);
            varint(&mut feature, i as u64 + 1);
            if !tags.is_empty() {
                packed(&mut feature, 2, &tags);
            }
            key(&mut feature, 3, 0);
            varint(&mut feature, u64::from(kind));
            packed(&mut feature, 4, &geometry);
            bytes(&mut body, 2, &feature);
        }
        for k in &keys {
            bytes(&mut body, 3, k.as_bytes());
        }
        for v in &values {
            let mut value = Vec::new();
            bytes(&mut value, 1, v.as_bytes());
            bytes(&mut body, 4, &value);
        }
        key(&mut body, 5, 0);
        varint(&mut body, EXTENT as u64);
        bytes(&mut tile, 3, &body);
    }
    tile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_the_specs_command_stream() {
        // The MVT spec's example: a line from (2,2) to (2,10) to (10,10).
        let (kind, stream) = encode_geometry(&Geometry::Line(vec![(2, 2), (2, 10), (10, 10)]));
        assert_eq!(kind, 2);
        assert_eq!(stream, vec![9, 4, 4, 18, 0, 16, 16, 0]);
    }

    #[test]
    fn a_polygons_outer_ring_is_turned_clockwise() {
        let (_, a) = encode_geometry(&Geometry::Polygon(vec![(3, 6), (8, 12), (20, 34)]));
        let (_, b) = encode_geometry(&Geometry::Polygon(vec![(20, 34), (8, 12), (3, 6)]));
        // The spec's example ring, whichever way it was given.
        assert_eq!(a, vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
        assert_eq!(a, b);
    }
}

//! PMTiles v3: one file holding a pyramid of tiles, found by a Hilbert-curve tile id through a
//! root directory and, for big archives, leaf directories. [`Archive`] reads one from any
//! [`Source`] of bytes (a file, by offset); [`write`] makes one from tiles in memory.

use std::io::Read as _;

/// The fixed header's length.
pub const HEADER_LEN: usize = 127;

/// How the directories or the tiles of an archive are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Stored as they are.
    None,
    /// gzip (what planetiler and tippecanoe write).
    Gzip,
}

impl Compression {
    fn of(byte: u8) -> Result<Compression, String> {
        match byte {
            1 => Ok(Compression::None),
            2 => Ok(Compression::Gzip),
            0 => Err("an unknown compression".into()),
            3 => Err("brotli compression, which dvor does not read: convert it to gzip".into()),
            4 => Err("zstd compression, which dvor does not read: convert it to gzip".into()),
            other => Err(format!("compression {other}")),
        }
    }

    fn byte(self) -> u8 {
        match self {
            Compression::None => 1,
            Compression::Gzip => 2,
        }
    }
}

/// What the header says of an archive.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// Where the root directory is, and its length.
    pub root: (u64, u64),
    /// Where the metadata JSON is, and its length.
    pub metadata: (u64, u64),
    /// Where the leaf directories start, and their length.
    pub leaves: (u64, u64),
    /// Where the tile data starts, and its length.
    pub data: (u64, u64),
    /// How the directories are compressed.
    pub internal_compression: Compression,
    /// How the tiles are compressed (sent to browsers as `Content-Encoding`).
    pub tile_compression: Compression,
    /// The zoom levels held.
    pub min_zoom: u8,
    /// The zoom levels held.
    pub max_zoom: u8,
    /// West, south, east, north, in degrees.
    pub bounds: [f64; 4],
    /// Longitude, latitude and zoom to open the map at.
    pub center: (f64, f64, u8),
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn e7_at(b: &[u8], at: usize) -> f64 {
    f64::from(i32::from_le_bytes(
        b[at..at + 4].try_into().expect("4 bytes"),
    )) / 1e7
}

impl Header {
    /// Read the first [`HEADER_LEN`] bytes of an archive.
    pub fn parse(b: &[u8]) -> Result<Header, String> {
        if b.len() < HEADER_LEN || &b[..7] != b"PMTiles" {
            return Err("not a PMTiles archive".into());
        }
        if b[7] != 3 {
            return Err(format!("PMTiles version {}, not 3", b[7]));
        }
        if b[99] != 1 {
            return Err("its tiles are not vector tiles (MVT)".into());
        }
        Ok(Header {
            root: (u64_at(b, 8), u64_at(b, 16)),
            metadata: (u64_at(b, 24), u64_at(b, 32)),
            leaves: (u64_at(b, 40), u64_at(b, 48)),
            data: (u64_at(b, 56), u64_at(b, 64)),
            internal_compression: Compression::of(b[97])
                .map_err(|e| format!("its directories use {e}"))?,
            tile_compression: Compression::of(b[98]).map_err(|e| format!("its tiles use {e}"))?,
            min_zoom: b[100],
            max_zoom: b[101],
            bounds: [e7_at(b, 102), e7_at(b, 106), e7_at(b, 110), e7_at(b, 114)],
            center: (e7_at(b, 119), e7_at(b, 123), b[118]),
        })
    }
}

/// The id of tile `z/x/y`: the tiles of the zoom levels below, then the tile's place on the
/// Hilbert curve of its level.
pub fn tile_id(z: u8, x: u32, y: u32) -> u64 {
    let base: u64 = (0..z).map(|i| 1u64 << (2 * u32::from(i))).sum();
    let n = 1u64 << z;
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    base + d
}

/// One directory entry: `run_length` tiles from `tile_id` on share the bytes at `offset`
/// (from the start of the tile data); a run length of 0 points to a leaf directory instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The first tile id.
    pub tile_id: u64,
    /// Where, from the start of the tile data (or of the leaf directories).
    pub offset: u64,
    /// How many bytes.
    pub length: u32,
    /// How many consecutive tile ids it covers; 0 for a leaf directory.
    pub run_length: u32,
}

fn varint(b: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at).ok_or("a directory ends too early")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a number in a directory is too long".into())
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A directory's entries from its (decompressed) bytes.
pub fn parse_directory(b: &[u8]) -> Result<Vec<Entry>, String> {
    let mut at = 0;
    let n = varint(b, &mut at)? as usize;
    if n > b.len() {
        return Err("a directory counts more entries than it has bytes".into());
    }
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0
        };
        n
    ];
    let mut last = 0u64;
    for e in &mut entries {
        last += varint(b, &mut at)?;
        e.tile_id = last;
    }
    for e in &mut entries {
        e.run_length = varint(b, &mut at)? as u32;
    }
    for e in &mut entries {
        e.length = varint(b, &mut at)? as u32;
    }
    for i in 0..n {
        let v = varint(b, &mut at)?;
        entries[i].offset = if v == 0 && i > 0 {
            entries[i - 1].offset + u64::from(entries[i - 1].length)
        } else {
            v.saturating_sub(1)
        };
    }
    Ok(entries)
}

fn encode_directory(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    push_varint(&mut out, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        push_varint(&mut out, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        push_varint(&mut out, u64::from(e.run_length));
    }
    for e in entries {
        push_varint(&mut out, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length);
        push_varint(&mut out, if follows { 0 } else { e.offset + 1 });
    }
    out
}

/// The entry covering `id`, if any.
fn find(entries: &[Entry], id: u64) -> Option<Entry> {
    let i = match entries.binary_search_by_key(&id, |e| e.tile_id) {
        Ok(i) => i,
        Err(0) => return None,
        Err(i) => i - 1,
    };
    let e = entries[i];
    let covers = e.run_length == 0 || id < e.tile_id + u64::from(e.run_length);
    covers.then_some(e)
}

/// Where an archive's bytes come from.
pub trait Source {
    /// `length` bytes from `offset`.
    fn read_at(&self, offset: u64, length: u64) -> std::io::Result<Vec<u8>>;
}

impl Source for Vec<u8> {
    fn read_at(&self, offset: u64, length: u64) -> std::io::Result<Vec<u8>> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(length).unwrap_or(usize::MAX));
        self.get(start..end)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "past the end"))
    }
}

/// A file, read by offset.
#[derive(Debug)]
pub struct FileSource(pub std::fs::File);

impl Source for FileSource {
    fn read_at(&self, offset: u64, length: u64) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0; usize::try_from(length).unwrap_or(0)];
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_exact_at(&self.0, &mut buf, offset)?;
        }
        #[cfg(not(unix))]
        {
            use std::io::{Seek as _, SeekFrom};
            let mut file = &self.0;
            file.seek(SeekFrom::Start(offset))?;
            std::io::Read::read_exact(&mut file, &mut buf)?;
        }
        Ok(buf)
    }
}

/// An open archive: its header and root directory; tiles and leaves are read when asked for.
#[derive(Debug)]
pub struct Archive<S> {
    source: S,
    /// What the header says.
    pub header: Header,
    root: Vec<Entry>,
}

impl<S: Source> Archive<S> {
    /// Open an archive: read and check its header and root directory.
    pub fn open(source: S) -> Result<Archive<S>, String> {
        let head = source
            .read_at(0, HEADER_LEN as u64)
            .map_err(|e| format!("cannot read its header: {e}"))?;
        let header = Header::parse(&head)?;
        let mut archive = Archive {
            source,
            header,
            root: Vec::new(),
        };
        archive.root = archive.directory(archive.header.root)?;
        Ok(archive)
    }

    fn directory(&self, (offset, length): (u64, u64)) -> Result<Vec<Entry>, String> {
        if length > 64 << 20 {
            return Err("a directory is larger than 64 MB".into());
        }
        let bytes = self
            .source
            .read_at(offset, length)
            .map_err(|e| format!("cannot read a directory: {e}"))?;
        parse_directory(&self.decompress(bytes)?)
    }

    fn decompress(&self, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
        match self.header.internal_compression {
            Compression::None => Ok(bytes),
            Compression::Gzip => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(bytes.as_slice())
                    .read_to_end(&mut out)
                    .map_err(|e| format!("a directory does not unzip: {e}"))?;
                Ok(out)
            }
        }
    }

    /// The bytes of tile `z/x/y` as stored (compressed as [`Header::tile_compression`] says),
    /// or none when the archive has no such tile.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>, String> {
        if z < self.header.min_zoom || z > self.header.max_zoom || z > 31 {
            return Ok(None);
        }
        if u64::from(x) >= 1u64 << z || u64::from(y) >= 1u64 << z {
            return Ok(None);
        }
        let id = tile_id(z, x, y);
        let mut entries = std::borrow::Cow::Borrowed(&self.root);
        // The spec allows three levels below the root.
        for _ in 0..4 {
            let Some(entry) = find(&entries, id) else {
                return Ok(None);
            };
            if entry.run_length > 0 {
                let at = self.header.data.0 + entry.offset;
                return self
                    .source
                    .read_at(at, u64::from(entry.length))
                    .map(Some)
                    .map_err(|e| format!("cannot read tile {z}/{x}/{y}: {e}"));
            }
            let leaf =
                self.directory((self.header.leaves.0 + entry.offset, u64::from(entry.length)))?;
            entries = std::borrow::Cow::Owned(leaf);
        }
        Err("the directories nest deeper than the format allows".into())
    }
}

/// What an archive written by [`write`] says of itself.
#[derive(Clone, Debug)]
pub struct Description {
    /// West, south, east, north.
    pub bounds: [f64; 4],
    /// Longitude, latitude, zoom.
    pub center: (f64, f64, u8),
    /// The metadata JSON (layer names, attribution).
    pub metadata: String,
}

fn e7(v: f64) -> [u8; 4] {
    ((v * 1e7).round() as i32).to_le_bytes()
}

/// An archive of `tiles` (`(z, x, y, bytes)`, uncompressed MVT), with one root directory and
/// nothing compressed: fit for a small extract such as the demo's.
pub fn write(tiles: &[(u8, u32, u32, Vec<u8>)], about: &Description) -> Vec<u8> {
    let mut sorted: Vec<(u64, &Vec<u8>, u8)> = tiles
        .iter()
        .map(|(z, x, y, bytes)| (tile_id(*z, *x, *y), bytes, *z))
        .collect();
    sorted.sort_by_key(|(id, _, _)| *id);
    let mut data = Vec::new();
    let mut entries = Vec::new();
    for (id, bytes, _) in &sorted {
        entries.push(Entry {
            tile_id: *id,
            offset: data.len() as u64,
            length: bytes.len() as u32,
            run_length: 1,
        });
        data.extend_from_slice(bytes);
    }
    let root = encode_directory(&entries);
    let metadata = about.metadata.as_bytes();
    let root_at = HEADER_LEN as u64;
    let meta_at = root_at + root.len() as u64;
    let leaves_at = meta_at + metadata.len() as u64;
    let data_at = leaves_at;
    let (min_zoom, max_zoom) = sorted
        .iter()
        .fold((u8::MAX, 0), |(lo, hi), (_, _, z)| (lo.min(*z), hi.max(*z)));
    let mut out = Vec::with_capacity(data_at as usize + data.len());
    out.extend_from_slice(b"PMTiles");
    out.push(3);
    for v in [
        root_at,
        root.len() as u64,
        meta_at,
        metadata.len() as u64,
        leaves_at,
        0,
        data_at,
        data.len() as u64,
        entries.len() as u64,
        entries.len() as u64,
        entries.len() as u64,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(1); // clustered: tiles in id order
    out.push(Compression::None.byte());
    out.push(Compression::None.byte());
    out.push(1); // MVT
    out.push(if sorted.is_empty() { 0 } else { min_zoom });
    out.push(max_zoom);
    for v in about.bounds {
        out.extend_from_slice(&e7(v));
    }
    out.push(about.center.2);
    out.extend_from_slice(&e7(about.center.0));
    out.extend_from_slice(&e7(about.center.1));
    debug_assert_eq!(out.len(), HEADER_LEN);
    out.extend_from_slice(&root);
    out.extend_from_slice(metadata);
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_ids_follow_the_hilbert_curve_of_the_spec() {
        assert_eq!(tile_id(0, 0, 0), 0);
        assert_eq!(tile_id(1, 0, 0), 1);
        assert_eq!(tile_id(1, 0, 1), 2);
        assert_eq!(tile_id(1, 1, 1), 3);
        assert_eq!(tile_id(1, 1, 0), 4);
        assert_eq!(tile_id(2, 0, 0), 5);
        // The spec's examples of large ids.
        assert_eq!(tile_id(12, 3423, 1763), 19_078_479);
    }

    #[test]
    fn an_archive_reads_back_what_was_written() {
        let tiles = vec![
            (14, 9903, 5121, b"one".to_vec()),
            (15, 19807, 10242, b"two".to_vec()),
            (15, 19806, 10242, b"three".to_vec()),
        ];
        let about = Description {
            bounds: [37.6, 55.74, 37.63, 55.76],
            center: (37.618, 55.751, 15),
            metadata: "{}".into(),
        };
        let archive = Archive::open(write(&tiles, &about)).unwrap();
        assert_eq!((archive.header.min_zoom, archive.header.max_zoom), (14, 15));
        assert!((archive.header.center.1 - 55.751).abs() < 1e-6);
        assert_eq!(archive.tile(15, 19806, 10242).unwrap().unwrap(), b"three");
        assert_eq!(archive.tile(14, 9903, 5121).unwrap().unwrap(), b"one");
        assert_eq!(archive.tile(14, 9904, 5121).unwrap(), None);
        assert_eq!(archive.tile(3, 1, 1).unwrap(), None);
    }
}

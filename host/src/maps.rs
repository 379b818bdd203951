//! Maps the instance draws itself: vector tiles served from the PMTiles extract of its region
//! (`[maps] tiles`), MapLibre GL JS to draw them (committed in `web/assets/maplibre`, loaded
//! only by pages that have a map), and `/map`, the instance's own map page at a point, which
//! «Открыть на карте» leads to on any device. No third-party tile server is asked anything.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use dvor_tiles::pmtiles::{Archive, Compression, FileSource};

use crate::error::{AppError, Shaped};
use crate::http::AppState;

/// `[maps]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapsConfig {
    /// The PMTiles file of the region's vector tiles (OpenMapTiles layers: `water`, `park`,
    /// `transportation`, `building`); none: pages show their points as a list, without a map.
    #[serde(default)]
    pub tiles: Option<PathBuf>,
}

/// The instance's tiles: an open PMTiles archive.
#[derive(Debug)]
pub struct Tiles {
    archive: Archive<FileSource>,
}

/// What a page's map needs to know of the tiles: where they are and what they cover.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TilesInfo {
    /// The zoom levels the tiles have.
    pub min_zoom: u8,
    /// The zoom levels the tiles have.
    pub max_zoom: u8,
    /// West, south, east, north.
    pub bounds: [f64; 4],
    /// Longitude, latitude and zoom to open a map at when it has no points.
    pub center: (f64, f64, u8),
}

impl Tiles {
    /// Open the configured archive; a file that is missing or not a vector PMTiles archive
    /// stops the start with what is wrong.
    pub fn open(path: &std::path::Path) -> anyhow::Result<Tiles> {
        let file = std::fs::File::open(path)
            .map_err(|e| anyhow::anyhow!("[maps] tiles = {}: {e}", path.display()))?;
        let archive = Archive::open(FileSource(file))
            .map_err(|e| anyhow::anyhow!("[maps] tiles = {}: {e}", path.display()))?;
        Ok(Tiles { archive })
    }

    /// The archive's extent and zooms.
    pub fn info(&self) -> TilesInfo {
        let h = &self.archive.header;
        TilesInfo {
            min_zoom: h.min_zoom,
            max_zoom: h.max_zoom,
            bounds: h.bounds,
            center: h.center,
        }
    }
}

/// Open the tiles of `config`, if it names any.
pub fn open(config: &MapsConfig) -> anyhow::Result<Option<Arc<Tiles>>> {
    config
        .tiles
        .as_deref()
        .map(|p| Tiles::open(p).map(Arc::new))
        .transpose()
}

/// MapLibre GL JS, as `cargo xtask vendor` copied it from npm (BSD-3-Clause, its licence
/// beside it), and the script that sets up dvor's maps with it.
const MAPLIBRE_JS: &str = include_str!("web/assets/maplibre/maplibre-gl.mjs");
const MAPLIBRE_WORKER: &str = include_str!("web/assets/maplibre/maplibre-gl-worker.mjs");
const MAPLIBRE_CSS: &str = include_str!("web/assets/maplibre/maplibre-gl.css");
const MAP_JS: &str = include_str!("web/assets/map.js");

/// The routes: the tiles, the map page and the map's assets.
pub fn routes() -> Router<AppState> {
    let asset = |content_type: &'static str, body: &'static str| {
        get(move || async move {
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                body,
            )
                .into_response()
        })
    };
    Router::new()
        .route("/tiles/{z}/{x}/{y}", get(tile))
        .route("/map", get(map_page))
        .route(
            "/assets/maplibre/maplibre-gl.mjs",
            asset("text/javascript; charset=utf-8", MAPLIBRE_JS),
        )
        .route(
            "/assets/maplibre/maplibre-gl-worker.mjs",
            asset("text/javascript; charset=utf-8", MAPLIBRE_WORKER),
        )
        .route(
            "/assets/maplibre/maplibre-gl.css",
            asset("text/css; charset=utf-8", MAPLIBRE_CSS),
        )
        .route(
            crate::web::MAP_SCRIPT_PATH,
            asset("text/javascript; charset=utf-8", MAP_JS),
        )
}

/// `GET /tiles/{z}/{x}/{y}.mvt`: a vector tile, as stored (gzip-compressed tiles say so in
/// `Content-Encoding`); 204 where the extract has none, which a map draws as empty.
async fn tile(
    State(state): State<AppState>,
    Path((z, x, y)): Path<(u8, u32, String)>,
) -> Result<Response, AppError> {
    let tiles = state
        .tiles
        .clone()
        .ok_or_else(|| AppError::not_found("Карта не настроена / No map is configured"))?;
    let y: u32 = y
        .strip_suffix(".mvt")
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| AppError::invalid("y", "Нужно {y}.mvt / {y}.mvt is expected"))?;
    let compression = tiles.archive.header.tile_compression;
    let found = tokio::task::spawn_blocking(move || tiles.archive.tile(z, x, y))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let mut response = match found {
        Some(bytes) => (StatusCode::OK, bytes).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    if compression == Compression::Gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response.extensions_mut().insert(Shaped);
    Ok(response)
}

#[derive(Deserialize)]
struct At {
    lat: Option<f64>,
    lon: Option<f64>,
    #[serde(default)]
    label: Option<String>,
}

/// `GET /map?lat&lon&label`: the instance's own map at a point, with a marker; what
/// «Открыть на карте» opens.
async fn map_page(
    State(state): State<AppState>,
    Query(at): Query<At>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let query: Vec<(String, String)> = Vec::new();
    let visitor = crate::pages::Visitor::of(&state, &headers, &query).await;
    let tr = |ru: &'static str, en: &'static str| visitor.tr(ru, en);
    let (Some(lat), Some(lon)) = (at.lat, at.lon) else {
        return Err(AppError::invalid(
            "lat",
            "Нужны lat и lon / lat and lon are needed",
        ));
    };
    if !(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return Err(AppError::invalid(
            "lat",
            "Точка вне карты / The point is off the map",
        ));
    }
    let label = at
        .label
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.chars().take(120).collect::<String>())
        .unwrap_or_else(|| tr("Точка", "Point").to_owned());
    let title = tr("Карта", "Map");
    let mut body = format!("<h1>{}</h1>", crate::web::escape(&label));
    match state.tiles.as_ref().map(|t| t.info()) {
        Some(info) => {
            body.push_str(&crate::web::map_element(
                &info,
                &[crate::web::MapPoint {
                    lat,
                    lon,
                    text: String::new(),
                    label: label.clone(),
                    href: None,
                    tone: "tone-info",
                }],
                title,
            ));
        }
        None => body.push_str(&format!(
            "<p>{}</p>",
            crate::web::escape(tr(
                "Карта на этом сайте не настроена.",
                "This site has no map configured."
            ))
        )),
    }
    body.push_str(&format!(
        "<p class=\"coords\">{lat:.5}, {lon:.5}</p><p><a class=\"geo-app\" href=\"geo:{lat:.6},{lon:.6}\">{}</a></p>",
        tr("Открыть в приложении карт", "Open in a maps app")
    ));
    let nav = visitor.navigation(&state, "/map").await;
    Ok(crate::http::html(crate::web::render_shell(
        title,
        &body,
        &crate::web::ShellContext {
            locale: &visitor.locale,
            instance_name: &state.instance_name,
            nav: &nav,
            current_path: Some("/map"),
            ..Default::default()
        },
    )))
}

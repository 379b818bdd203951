// dvor's maps, on the pages that have one (the host links this script only there): MapLibre GL
// JS draws the instance's own vector tiles (/tiles/{z}/{x}/{y}.mvt, from its PMTiles extract)
// into each [data-map-tiles] element, with the page's points as numbered pins that lead where
// the list below the map does. A location field's map sets its latitude and longitude when
// tapped, and «Моё местоположение» takes the device's position. Each map element gets its
// MapLibre map as `element.dvorMap` (the browser tests read what it drew).
import * as maplibregl from "/assets/maplibre/maplibre-gl.mjs";

const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
const colours = dark
  ? { land: "#1c2128", water: "#1f3a5f", park: "#1f3b2a", road: "#59636e", minor: "#444c56", building: "#30363d", line: "#6e7781" }
  : { land: "#f2efe9", water: "#a8cdf0", park: "#c8e6c0", road: "#ffffff", minor: "#ffffff", building: "#d9d0c7", line: "#b9b2a8" };

/** The style: the OpenMapTiles layers an extract has (the demo's and a region's alike). */
function style(tiles) {
  const origin = window.location.origin;
  return {
    version: 8,
    sources: {
      town: {
        type: "vector",
        tiles: [origin + tiles.url],
        minzoom: tiles.minzoom,
        maxzoom: tiles.maxzoom,
        bounds: tiles.bounds,
      },
    },
    layers: [
      { id: "land", type: "background", paint: { "background-color": colours.land } },
      { id: "water", type: "fill", source: "town", "source-layer": "water", paint: { "fill-color": colours.water } },
      { id: "park", type: "fill", source: "town", "source-layer": "park", paint: { "fill-color": colours.park } },
      {
        id: "road-casing",
        type: "line",
        source: "town",
        "source-layer": "transportation",
        filter: ["!=", ["get", "class"], "path"],
        paint: { "line-color": colours.line, "line-width": ["interpolate", ["linear"], ["zoom"], 12, 2, 17, 14] },
      },
      {
        id: "road",
        type: "line",
        source: "town",
        "source-layer": "transportation",
        paint: {
          "line-color": ["match", ["get", "class"], ["primary", "secondary"], colours.road, colours.minor],
          "line-width": ["interpolate", ["linear"], ["zoom"], 12, 1, 17, 11],
          "line-dasharray": ["match", ["get", "class"], "path", ["literal", [2, 1]], ["literal", [1, 0]]],
        },
      },
      {
        id: "building",
        type: "fill",
        source: "town",
        "source-layer": "building",
        minzoom: 14,
        paint: { "fill-color": colours.building, "fill-outline-color": colours.line },
      },
    ],
  };
}

function readJson(el, name, fallback) {
  try {
    return JSON.parse(el.getAttribute(name) || "");
  } catch (_) {
    return fallback;
  }
}

/** A pin: a small link (or a mark) with the point's number, named for screen readers. */
function pin(point) {
  const el = document.createElement(point.href ? "a" : "span");
  el.className = "map-pin " + (point.tone || "");
  if (point.href) el.href = point.href;
  else el.setAttribute("role", "img");
  el.textContent = point.text || "";
  el.title = point.label || "";
  el.setAttribute("aria-label", point.label || point.text || "");
  return el;
}

function drawMap(el) {
  const tiles = readJson(el, "data-map-tiles", null);
  if (!tiles) return null;
  const points = readJson(el, "data-map-points", []);
  const map = new maplibregl.Map({
    container: el,
    style: style(tiles),
    center: [tiles.center[0], tiles.center[1]],
    zoom: tiles.center[2],
    minZoom: Math.max(0, tiles.minzoom - 1),
    maxZoom: tiles.maxzoom + 3,
    attributionControl: false,
    cooperativeGestures: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  const markers = points.map((p) => new maplibregl.Marker({ element: pin(p) }).setLngLat([p.lon, p.lat]).addTo(map));
  if (points.length === 1) {
    map.setCenter([points[0].lon, points[0].lat]);
    map.setZoom(Math.min(16, tiles.maxzoom + 1));
  } else if (points.length > 1) {
    const bounds = new maplibregl.LngLatBounds();
    for (const p of points) bounds.extend([p.lon, p.lat]);
    const fit = () => map.fitBounds(bounds, { padding: 40, maxZoom: 16, duration: 0 });
    fit();
    // A phone turned, a window narrowed: the pins are fitted again to the new size, unless the
    // person has moved the map themselves.
    let moved = false;
    map.on("movestart", (e) => {
      if (e.originalEvent) moved = true;
    });
    map.on("resize", () => {
      if (!moved) fit();
    });
  }
  el.dvorMap = map;
  el.dvorMarkers = markers;
  map.on("load", () => el.setAttribute("data-map-ready", "1"));
  return map;
}

/** A location field: the map sets its two numbers, and the device's position does too. */
function pickOn(box) {
  const id = box.getAttribute("data-pick");
  const lat = document.getElementById(id + "-lat");
  const lon = document.getElementById(id + "-lon");
  const el = box.querySelector("[data-map-tiles]");
  if (!lat || !lon || !el) return;
  box.hidden = false;
  const map = drawMap(el);
  if (!map) return;
  let marker = el.dvorMarkers[0] || null;
  const set = (lngLat, fly) => {
    lat.value = lngLat.lat.toFixed(6);
    lon.value = lngLat.lng.toFixed(6);
    if (!marker) {
      marker = new maplibregl.Marker({ element: pin({ text: "", label: box.closest("fieldset")?.querySelector("legend")?.textContent?.replace("*", "").trim() || "", tone: "tone-info" }) })
        .setLngLat(lngLat)
        .addTo(map);
    }
    marker.setLngLat(lngLat);
    if (fly) map.easeTo({ center: lngLat, zoom: Math.max(map.getZoom(), 16), duration: 0 });
    lat.dispatchEvent(new Event("change", { bubbles: true }));
  };
  map.on("click", (e) => set(e.lngLat, false));
  const locate = box.querySelector(".locate");
  if (!("geolocation" in navigator)) {
    locate.hidden = true;
    return;
  }
  locate.addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition(
      (pos) => set({ lat: pos.coords.latitude, lng: pos.coords.longitude }, true),
      () => {
        locate.disabled = true;
      },
      { enableHighAccuracy: true, timeout: 10000 },
    );
  });
}

for (const box of document.querySelectorAll("[data-pick]")) pickOn(box);
for (const el of document.querySelectorAll("[data-map-tiles]")) {
  if (!el.dvorMap && !el.closest("[data-pick]")) drawMap(el);
}

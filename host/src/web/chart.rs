//! Charts and maps as inline SVG (presentation attributes and classes, never `style`), each with
//! a text alternative: a visually hidden data table for charts, a list for map markers.

use std::fmt::Write as _;

use crate::runtime::latest::dvor::plugin::ui::{Chart, ChartKind, Marker};

use super::blocks::{Renderer, tone_class};
use super::format::format_float;
use super::url;

/// The chart's drawing area, in SVG user units.
const W: f64 = 400.0;
const H: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;
/// Series colours (`c0`…`c7` in the stylesheet).
const PALETTE: usize = 8;

/// A number for an SVG attribute: two decimals at most, no exponent.
fn n(x: f64) -> String {
    let x = if x.is_finite() { x } else { 0.0 };
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// A step of 1, 2 or 5 × 10^k near `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Shortens a label to at most `max` characters, with an ellipsis.
fn shorten(label: &str, max: usize) -> String {
    let max = max.max(2);
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// The y-axis range (with 0 in it) and its tick step.
fn axis(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if (hi - lo).abs() < f64::EPSILON {
        hi = lo + 1.0;
    }
    let step = nice_step((hi - lo) / 4.0);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

impl Renderer<'_, '_> {
    pub(super) fn chart(&mut self, c: &Chart) {
        let id = self.id("g");
        self.raw("<figure class=\"chart\">");
        if !c.title.is_empty() {
            self.raw("<figcaption>");
            self.text(&c.title);
            self.raw("</figcaption>");
        }
        let count = c
            .labels
            .len()
            .max(c.series.iter().map(|s| s.values.len()).max().unwrap_or(0));
        let has_data = count > 0
            && c.series
                .iter()
                .any(|s| s.values.iter().any(|v| v.is_finite()));
        let pie_total: f64 = c
            .series
            .first()
            .map(|s| s.values.iter().filter(|v| v.is_finite() && **v > 0.0).sum())
            .unwrap_or(0.0);
        if !has_data || (matches!(c.kind, ChartKind::Pie) && pie_total <= 0.0) {
            self.raw("<p class=\"empty\">");
            self.raw(self.t.no_data);
            self.raw("</p></figure>");
            return;
        }
        let label = |i: usize| {
            c.labels
                .get(i)
                .cloned()
                .unwrap_or_else(|| (i + 1).to_string())
        };
        let title = if c.title.is_empty() {
            self.t.chart_data
        } else {
            c.title.as_str()
        };

        // The picture, named by its title; the table below carries the numbers.
        match c.kind {
            ChartKind::Pie => self.raw(
                "<svg class=\"chart-svg pie\" viewBox=\"0 0 240 240\" width=\"240\" height=\"240\"",
            ),
            _ => {
                let _ = write!(
                    self.out,
                    "<svg class=\"chart-svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\""
                );
            }
        }
        let _ = write!(
            self.out,
            " role=\"img\" aria-labelledby=\"{id}-t\" focusable=\"false\"><title id=\"{id}-t\">"
        );
        self.text(title);
        self.raw("</title>");
        match c.kind {
            ChartKind::Pie => self.pie_svg(c, count, pie_total, &label),
            ChartKind::Bar | ChartKind::Line => self.xy_svg(c, count, &label),
        }
        self.raw("</svg>");

        // The legend.
        let loc = self.ctx.locale;
        self.raw("<ul class=\"legend\">");
        if matches!(c.kind, ChartKind::Pie) {
            let values = &c.series[0].values;
            for i in 0..count {
                let v = values
                    .get(i)
                    .copied()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .unwrap_or(0.0);
                let _ = write!(
                    self.out,
                    "<li><span class=\"swatch c{}\" aria-hidden=\"true\"></span>",
                    i % PALETTE
                );
                self.text(&label(i));
                let text = format!(
                    ": {} ({}\u{A0}%)",
                    format_float(v, loc),
                    format_float(v * 100.0 / pie_total, loc)
                );
                self.text(&text);
                self.raw("</li>");
            }
        } else {
            for (k, s) in c.series.iter().enumerate() {
                let line = if matches!(c.kind, ChartKind::Line) {
                    " line"
                } else {
                    ""
                };
                let _ = write!(
                    self.out,
                    "<li><span class=\"swatch c{}{line}\" aria-hidden=\"true\"></span>",
                    k % PALETTE
                );
                self.text(&s.name);
                self.raw("</li>");
            }
        }
        self.raw("</ul>");

        // The same data as a table, for screen readers.
        self.raw("<table class=\"vh\"><caption>");
        self.text(title);
        self.raw("</caption><thead><tr><td></td>");
        if matches!(c.kind, ChartKind::Pie) {
            self.raw("<th scope=\"col\">");
            self.text(c.series[0].name.as_str());
            self.raw("</th><th scope=\"col\">%</th>");
        } else {
            for s in &c.series {
                self.raw("<th scope=\"col\">");
                self.text(&s.name);
                self.raw("</th>");
            }
        }
        self.raw("</tr></thead><tbody>");
        for i in 0..count {
            self.raw("<tr><th scope=\"row\">");
            self.text(&label(i));
            self.raw("</th>");
            if matches!(c.kind, ChartKind::Pie) {
                let v = c.series[0].values.get(i).copied().unwrap_or(f64::NAN);
                let share = if v.is_finite() && v > 0.0 {
                    v * 100.0 / pie_total
                } else {
                    0.0
                };
                let cells = format!(
                    "<td>{}</td><td>{}</td>",
                    format_float(v, loc),
                    format_float(share, loc)
                );
                self.raw(&cells);
            } else {
                for s in &c.series {
                    let v = s.values.get(i).copied().unwrap_or(f64::NAN);
                    self.raw("<td>");
                    self.text(&format_float(v, loc));
                    self.raw("</td>");
                }
            }
            self.raw("</tr>");
        }
        self.raw("</tbody></table></figure>");
    }

    /// Bars or lines over the labels, with a y axis.
    fn xy_svg(&mut self, c: &Chart, count: usize, label: &dyn Fn(usize) -> String) {
        let loc = self.ctx.locale;
        let (lo, hi, step) = axis(c.series.iter().flat_map(|s| s.values.iter().copied()));
        let plot_w = W - LEFT - RIGHT;
        let plot_h = H - TOP - BOTTOM;
        let y = |v: f64| TOP + (hi - v) / (hi - lo) * plot_h;
        let group = plot_w / count as f64;

        // Grid lines and their values.
        let mut tick = lo;
        let mut guard = 0;
        while tick <= hi + step / 2.0 && guard < 20 {
            let ty = y(tick);
            let class = if tick.abs() < step / 1000.0 {
                "grid zero"
            } else {
                "grid"
            };
            let _ = write!(
                self.out,
                "<line class=\"{class}\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"></line><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">",
                n(LEFT),
                n(W - RIGHT),
                n(ty),
                n(ty),
                n(LEFT - 4.0),
                n(ty + 4.0)
            );
            self.text(&format_float(tick, loc));
            self.raw("</text>");
            tick += step;
            guard += 1;
        }

        // Labels along the bottom: as many as fit.
        let every = ((count as f64 * 40.0 / plot_w).ceil() as usize).max(1);
        let max_chars = ((group * every as f64) / 7.0).floor() as usize;
        for i in (0..count).step_by(every) {
            let x = LEFT + group * (i as f64 + 0.5);
            let _ = write!(
                self.out,
                "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">",
                n(x),
                n(H - BOTTOM + 16.0)
            );
            self.text(&shorten(&label(i), max_chars));
            self.raw("</text>");
        }

        let series_n = c.series.len().max(1);
        for (k, s) in c.series.iter().enumerate() {
            let colour = k % PALETTE;
            let tip = |i: usize, v: f64| {
                let mut t = label(i);
                if !s.name.is_empty() {
                    t.push_str(" — ");
                    t.push_str(&s.name);
                }
                t.push_str(": ");
                t.push_str(&format_float(v, loc));
                t
            };
            match c.kind {
                ChartKind::Bar => {
                    let bar_w = group * 0.8 / series_n as f64;
                    for (i, v) in s.values.iter().copied().enumerate().take(count) {
                        if !v.is_finite() {
                            continue;
                        }
                        let x = LEFT + group * i as f64 + group * 0.1 + bar_w * k as f64;
                        let (top, bottom) = if v >= 0.0 {
                            (y(v), y(0.0))
                        } else {
                            (y(0.0), y(v))
                        };
                        let _ = write!(
                            self.out,
                            "<rect class=\"bar c{colour}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>",
                            n(x),
                            n(top),
                            n(bar_w.max(1.0)),
                            n((bottom - top).max(0.5))
                        );
                        self.text(&tip(i, v));
                        self.raw("</title></rect>");
                    }
                }
                _ => {
                    // A polyline per run of finite values; gaps stay gaps.
                    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                    for (i, v) in s.values.iter().copied().enumerate().take(count) {
                        if v.is_finite() {
                            if let Some(run) = runs.last_mut() {
                                run.push((LEFT + group * (i as f64 + 0.5), y(v)));
                            }
                        } else if runs.last().is_some_and(|r| !r.is_empty()) {
                            runs.push(Vec::new());
                        }
                    }
                    for run in runs.iter().filter(|r| r.len() > 1) {
                        let points: Vec<String> = run
                            .iter()
                            .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
                            .collect();
                        let _ = write!(
                            self.out,
                            "<polyline class=\"line c{colour}\" points=\"{}\"></polyline>",
                            points.join(" ")
                        );
                    }
                    for (i, v) in s.values.iter().copied().enumerate().take(count) {
                        if !v.is_finite() {
                            continue;
                        }
                        let _ = write!(
                            self.out,
                            "<circle class=\"dot c{colour}\" cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>",
                            n(LEFT + group * (i as f64 + 0.5)),
                            n(y(v))
                        );
                        self.text(&tip(i, v));
                        self.raw("</title></circle>");
                    }
                }
            }
        }
    }

    /// Slices of the first series.
    fn pie_svg(&mut self, c: &Chart, count: usize, total: f64, label: &dyn Fn(usize) -> String) {
        let loc = self.ctx.locale;
        let (cx, cy, r) = (120.0, 120.0, 110.0);
        let values = &c.series[0].values;
        let mut angle = -std::f64::consts::FRAC_PI_2;
        for i in 0..count {
            let v = values
                .get(i)
                .copied()
                .filter(|v| v.is_finite() && *v > 0.0)
                .unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let share = v / total;
            let mut tip = label(i);
            tip.push_str(&format!(
                ": {} ({}\u{A0}%)",
                format_float(v, loc),
                format_float(share * 100.0, loc)
            ));
            if share >= 0.9999 {
                let _ = write!(
                    self.out,
                    "<circle class=\"slice c{}\" cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\"><title>",
                    i % PALETTE
                );
            } else {
                let end = angle + share * std::f64::consts::TAU;
                let large = u8::from(share > 0.5);
                let _ = write!(
                    self.out,
                    "<path class=\"slice c{}\" d=\"M{cx} {cy}L{} {}A{r} {r} 0 {large} 1 {} {}Z\"><title>",
                    i % PALETTE,
                    n(cx + r * angle.cos()),
                    n(cy + r * angle.sin()),
                    n(cx + r * end.cos()),
                    n(cy + r * end.sin())
                );
                angle = end;
            }
            self.text(&tip);
            self.raw(if share >= 0.9999 {
                "</title></circle>"
            } else {
                "</title></path>"
            });
        }
    }

    /// Markers: no map tiles are available, so a scatter in their bounding box (north up), and a
    /// numbered list with coordinates, links and a `geo:` link for the phone's maps app.
    pub(super) fn markers(&mut self, ms: &[Marker]) {
        let valid = |m: &Marker| {
            m.point.lat.is_finite()
                && m.point.lon.is_finite()
                && m.point.lat.abs() <= 90.0
                && m.point.lon.abs() <= 180.0
        };
        self.raw("<div class=\"map\">");
        let points: Vec<(usize, &Marker)> =
            ms.iter().enumerate().filter(|(_, m)| valid(m)).collect();
        // A pin shows its marker's own number when the label starts with one («№12 …»), so
        // the map and the list name things as the plugin does; else its place in the list.
        let own_numbers = ms.iter().all(|m| pin_text(m).is_some());
        let pin = |i: usize, m: &Marker| pin_text(m).unwrap_or_else(|| (i + 1).to_string());
        if let (Some(tiles), false) = (self.ctx.tiles, points.is_empty()) {
            let on_map: Vec<super::MapPoint> = points
                .iter()
                .map(|(i, m)| super::MapPoint {
                    lat: m.point.lat,
                    lon: m.point.lon,
                    text: pin(*i, m),
                    label: m.label.clone(),
                    href: m.link.as_ref().and_then(|l| url::href_of(self.ctx.base, l)),
                    tone: tone_class(m.tone),
                })
                .collect();
            let label = format!("{}, {}: {}", self.t.map, self.t.points, points.len());
            self.raw(&super::map_element(&tiles, &on_map, &label));
        } else if !points.is_empty() {
            let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
            for (_, m) in &points {
                lat0 = lat0.min(m.point.lat);
                lat1 = lat1.max(m.point.lat);
                lon0 = lon0.min(m.point.lon);
                lon1 = lon1.max(m.point.lon);
            }
            let k = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.05);
            // Ground extent in "latitude degrees", padded so pins are not on the edge.
            let span_x = ((lon1 - lon0) * k).max(0.002);
            let span_y = (lat1 - lat0).max(0.002);
            let (w, h) = (400.0f64, (400.0 * span_y / span_x).clamp(160.0, 400.0));
            let pad = 24.0;
            let scale = ((w - 2.0 * pad) / span_x).min((h - 2.0 * pad) / span_y);
            let mid_x = (lon0 + lon1) / 2.0 * k;
            let mid_y = (lat0 + lat1) / 2.0;
            let px = |lon: f64| w / 2.0 + (lon * k - mid_x) * scale;
            let py = |lat: f64| h / 2.0 - (lat - mid_y) * scale;
            let _ = write!(
                self.out,
                "<svg class=\"map-svg\" viewBox=\"0 0 {w} {}\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"",
                n(h),
                n(h)
            );
            let aria = format!("{}, {}: {}", self.t.map, self.t.points, points.len());
            self.text(&aria);
            let _ = write!(
                self.out,
                "\" focusable=\"false\"><rect class=\"map-bg\" x=\"0\" y=\"0\" width=\"{w}\" height=\"{}\"></rect>",
                n(h)
            );
            let _ = write!(
                self.out,
                "<text class=\"axis\" x=\"{}\" y=\"16\" text-anchor=\"end\">↑ {}</text>",
                n(w - 6.0),
                if self.t.is_en() { "N" } else { "С" }
            );
            for (i, m) in &points {
                let (x, y) = (px(m.point.lon), py(m.point.lat));
                let _ = write!(
                    self.out,
                    "<circle class=\"pin {}\" cx=\"{}\" cy=\"{}\" r=\"9\"><title>",
                    tone_class(m.tone),
                    n(x),
                    n(y)
                );
                self.text(&m.label);
                let _ = write!(
                    self.out,
                    "</title></circle><text class=\"pin-num\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">",
                    n(x),
                    n(y + 4.0),
                );
                self.text(&pin(*i, m).replace('№', ""));
                self.raw("</text>");
            }
            self.raw("</svg>");
        }
        self.raw(if own_numbers {
            "<ul class=\"markers own\">"
        } else {
            "<ol class=\"markers\">"
        });
        for m in ms {
            self.raw("<li class=\"");
            self.raw(tone_class(m.tone));
            self.raw("\">");
            let word = self.tone_word(m.tone);
            if !word.is_empty() {
                self.raw("<span class=\"vh\">");
                self.raw(word);
                self.raw("</span>");
            }
            match &m.link {
                Some(l) => {
                    let mut l = l.clone();
                    if l.label.trim().is_empty() {
                        l.label = m.label.clone();
                    }
                    self.link(&l, None);
                    // The rest of the label, without the number the link already reads.
                    let rest = m
                        .label
                        .strip_prefix(l.label.as_str())
                        .map_or(m.label.as_str(), str::trim_start);
                    if l.label != m.label && !rest.is_empty() {
                        self.raw(" ");
                        self.text(rest);
                    }
                }
                None => self.text(&m.label),
            }
            if valid(m) {
                let coords = format!("{:.5}, {:.5}", m.point.lat, m.point.lon);
                self.raw(" <span class=\"coords\">");
                self.text(&coords);
                self.raw("</span> ");
                self.open_in_maps(m.point.lat, m.point.lon, &m.label);
            }
            self.raw("</li>");
        }
        self.raw(if own_numbers {
            "</ul></div>"
        } else {
            "</ol></div>"
        });
    }

    /// «Открыть на карте»: the instance's own map page at the point (a desktop has no `geo:`
    /// handler); with no map configured, OpenStreetMap's. A phone also gets its maps app.
    pub(super) fn open_in_maps(&mut self, lat: f64, lon: f64, label: &str) {
        let href = if self.ctx.tiles.is_some() {
            format!(
                "/map?lat={lat:.6}&lon={lon:.6}&label={}",
                url::percent_encode(label)
            )
        } else {
            format!(
                "https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=17/{lat:.6}/{lon:.6}"
            )
        };
        self.raw("<a class=\"geo\" href=\"");
        self.text(&href);
        self.raw("\">");
        self.raw(self.t.open_in_maps);
        let _ = write!(
            self.out,
            "</a> <a class=\"geo geo-app\" href=\"geo:{lat:.6},{lon:.6}\">"
        );
        self.raw(self.t.open_in_app);
        self.raw("</a>");
    }
}

/// A marker's own number: the first word of its label when it is short and has a digit.
fn pin_text(m: &Marker) -> Option<String> {
    let first = m.label.split_whitespace().next()?;
    (first.chars().count() <= 7 && first.chars().any(|c| c.is_ascii_digit()))
        .then(|| first.to_owned())
}

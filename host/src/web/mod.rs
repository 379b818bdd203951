//! The server-side HTML renderer: draws plugins' typed UI trees (`ui.wit`) and the page shell.
//!
//! Plugins never send HTML. Everything that comes from a tree is text, escaped here; links are
//! built only from [`PageContext::base`] and a percent-encoded, checked route. The output needs no
//! script and no inline style, so it passes
//! `default-src 'self'; img-src 'self' data:; style-src 'self'`: the look lives in [`CSS`], which
//! the host serves at `/assets/dvor.css`.
//!
//! Forms post `application/x-www-form-urlencoded` (or `multipart/form-data` when a form has a
//! file field) to `{base}/{route}?action={name}`. A few field kinds need the host to turn what
//! the person typed into what the contract promises (money as kopecks, a location as `lat,lon`,
//! decimals with a point): [`normalize_form`] does that from hidden markers the forms carry.
//! Every form, a button's small one included, carries the request's form token
//! ([`PageContext::csrf_token`]), which the host checks before it acts on the post.

mod blocks;
mod chart;
mod form;
mod format;
mod url;

#[cfg(test)]
mod tests;

use crate::runtime::latest::dvor::plugin::ui::Page;

pub use blocks::tone_class;
pub use form::{
    Pairs, field_mark, parse_day, parse_decimal, shown_value, typed_form, value_of_text,
};
pub use format::{
    format_date, format_datetime, format_day, format_decimal, format_integer, format_money,
};
pub use url::{file_path, link_href, percent_encode, route_is_safe};

/// The stylesheet, served by the host at `/assets/dvor.css`.
pub const CSS: &str = include_str!("assets/dvor.css");

/// Where the shell links the stylesheet.
pub const CSS_PATH: &str = "/assets/dvor.css";

/// On the host's own pages (a page context without a plugin `base`), the text field of this
/// name is the sign-in code: a numeric keyboard and the phone's SMS autofill
/// (`autocomplete="one-time-code"`).
pub const ONE_TIME_CODE_FIELD: &str = "code";

/// The map script, loaded only by pages with a map (see [`map_element`]).
pub const MAP_SCRIPT_PATH: &str = "/assets/map.js";

/// MapLibre's stylesheet, linked only by pages with a map.
pub const MAP_CSS_PATH: &str = "/assets/maplibre/maplibre-gl.css";

/// What marks a page's map element; the shell adds the map's assets to pages that have one.
const MAP_MARK: &str = "data-map-tiles=";

/// A point on a page's map.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MapPoint {
    /// Where.
    pub lat: f64,
    /// Where.
    pub lon: f64,
    /// The pin's text (an appeal's «№12»); empty for a plain pin.
    pub text: String,
    /// What it is, for its popup and screen readers.
    pub label: String,
    /// Where it leads, a local path.
    pub href: Option<String>,
    /// Its tone's class.
    pub tone: &'static str,
}

/// The element a map is drawn into: the tiles' extent and the points as data, which the map
/// script reads (no inline script). Without the script it stays an empty box, hidden.
pub fn map_element(tiles: &crate::maps::TilesInfo, points: &[MapPoint], label: &str) -> String {
    let info = serde_json::json!({
        "url": "/tiles/{z}/{x}/{y}.mvt",
        "minzoom": tiles.min_zoom,
        "maxzoom": tiles.max_zoom,
        "bounds": tiles.bounds,
        "center": [tiles.center.0, tiles.center.1, tiles.center.2],
    });
    let mut out = String::from("<div class=\"map-canvas\" role=\"region\" aria-label=\"");
    escape_into(&mut out, label);
    out.push_str("\" ");
    out.push_str(MAP_MARK);
    out.push('"');
    escape_into(&mut out, &info.to_string());
    out.push_str("\" data-map-points=\"");
    escape_into(
        &mut out,
        &serde_json::to_string(points).unwrap_or_else(|_| "[]".into()),
    );
    out.push_str("\"></div>");
    out
}

/// Where the shell loads its one script (it registers the offline service worker).
pub const SCRIPT_PATH: &str = "/assets/dvor.js";

/// What [`render_page`] needs besides the tree.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageContext<'a> {
    /// `ru` (the default) or `en`.
    pub locale: &'a str,
    /// The instance's name, e.g. "Демо-город".
    pub instance_name: &'a str,
    /// The community the page belongs to.
    pub community_name: &'a str,
    /// The URL prefix of the plugin's pages, e.g. `/c/demo-house-1/p/housing`. Links go to
    /// `{base}/{route}?{query}`; actions post to `{base}/{route}?action={name}`.
    pub base: &'a str,
    /// The route of the page being drawn.
    pub route: &'a str,
    /// A flash message after a redirect.
    pub notice: Option<&'a str>,
    /// The values the person submitted, to refill forms after `invalid` (raw, as posted).
    pub form_values: &'a [(String, String)],
    /// `(field, message)` errors shown next to the fields.
    pub field_errors: &'a [(String, String)],
    /// The action whose form was posted: the values and errors refill that form only, so a
    /// page with two forms sharing a field name (`title`) does not show one's in the other.
    /// None: every form.
    pub refilled_action: Option<&'a str>,
    /// The offset of local time from UTC, for dates (Moscow: 180).
    pub utc_offset_minutes: i32,
    /// `(label, href)` of the top navigation.
    pub nav: &'a [(String, String)],
    /// Signs the links to the files the page shows; none: files are not linked.
    pub files: Option<crate::file_links::LinkSigner<'a>>,
    /// The token every form carries back ([`crate::csrf`]); none in a page drawn for no one.
    pub csrf_token: &'a str,
    /// The instance's map tiles: markers and location fields are drawn on a map; none: as
    /// lists and coordinates.
    pub tiles: Option<crate::maps::TilesInfo>,
}

/// What [`render_shell`] needs besides the title and the body.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShellContext<'a> {
    /// `ru` (the default) or `en`.
    pub locale: &'a str,
    /// The instance's name, shown as the home link.
    pub instance_name: &'a str,
    /// The community, if the page is inside one.
    pub community_name: Option<&'a str>,
    /// `(label, href)` of the top navigation; hrefs must be local paths (`/…`).
    pub nav: &'a [(String, String)],
    /// The path of this page, to mark the current navigation item.
    pub current_path: Option<&'a str>,
    /// A flash message shown above the body.
    pub notice: Option<&'a str>,
}

/// Escapes text for HTML content and double- or single-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut out, text);
    out
}

/// Appends `text`, escaped, to `out`.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newlines are not allowed in HTML text.
            c if c.is_control() && c != '\n' && c != '\t' && c != '\r' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Draws a plugin page as a whole document (the shell around [`render_page_body`]).
pub fn render_page(page: &Page, ctx: &PageContext) -> String {
    let body = render_page_body(page, ctx);
    let community = (!ctx.community_name.is_empty()).then_some(ctx.community_name);
    let current = url::join(ctx.base, ctx.route);
    let shell = ShellContext {
        locale: ctx.locale,
        instance_name: ctx.instance_name,
        community_name: community,
        nav: ctx.nav,
        current_path: Some(&current),
        notice: ctx.notice,
    };
    render_shell(&page.title, &body, &shell)
}

/// Draws a plugin page's content only: breadcrumbs, the title and the sections.
pub fn render_page_body(page: &Page, ctx: &PageContext) -> String {
    blocks::Renderer::new(ctx).page(page)
}

/// Draws blocks alone, as a live update puts them into a page's live section.
pub fn render_blocks(
    blocks: &[crate::runtime::latest::dvor::plugin::ui::Block],
    ctx: &PageContext,
) -> String {
    let mut renderer = blocks::Renderer::new(ctx);
    renderer.blocks(blocks, Some("live"));
    renderer.out
}

/// Wraps `body_html` (already safe HTML) into a whole document with the header and navigation.
pub fn render_shell(title: &str, body_html: &str, ctx: &ShellContext) -> String {
    let t = Strings::of(ctx.locale);
    let mut o = String::with_capacity(body_html.len() + 2048);
    o.push_str("<!doctype html>\n<html lang=\"");
    o.push_str(t.lang);
    o.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
    o.push_str("<meta name=\"theme-color\" content=\"#1d4e89\">\n");
    o.push_str("<meta name=\"referrer\" content=\"same-origin\">\n<title>");
    let mut parts: Vec<&str> = Vec::new();
    for p in [Some(title), ctx.community_name, Some(ctx.instance_name)]
        .into_iter()
        .flatten()
    {
        if !p.trim().is_empty() && !parts.contains(&p) {
            parts.push(p);
        }
    }
    if parts.is_empty() {
        parts.push("dvor");
    }
    escape_into(&mut o, &parts.join(" · "));
    o.push_str("</title>\n<link rel=\"stylesheet\" href=\"");
    o.push_str(CSS_PATH);
    o.push_str("\">\n");
    // The map's library is big: only pages with a map load it.
    if body_html.contains(MAP_MARK) {
        o.push_str("<link rel=\"stylesheet\" href=\"");
        o.push_str(MAP_CSS_PATH);
        o.push_str("\">\n<script type=\"module\" src=\"");
        o.push_str(MAP_SCRIPT_PATH);
        o.push_str("\"></script>\n");
    }
    o.push_str("<link rel=\"manifest\" href=\"/manifest.webmanifest\">\n");
    o.push_str("<link rel=\"icon\" href=\"/assets/icon-192.png\">\n");
    o.push_str("<link rel=\"apple-touch-icon\" href=\"/assets/icon-192.png\">\n<script src=\"");
    o.push_str(SCRIPT_PATH);
    o.push_str("\" defer></script>\n</head>\n<body>\n");
    o.push_str("<a class=\"skip\" href=\"#main\">");
    o.push_str(t.skip);
    o.push_str("</a>\n<header class=\"top\"><div class=\"wrap\">");
    o.push_str("<a class=\"brand\" href=\"/\">");
    escape_into(
        &mut o,
        if ctx.instance_name.is_empty() {
            "dvor"
        } else {
            ctx.instance_name
        },
    );
    o.push_str("</a>");
    if let Some(c) = ctx.community_name.filter(|c| !c.is_empty()) {
        o.push_str("<span class=\"community\">");
        escape_into(&mut o, c);
        o.push_str("</span>");
    }
    if !ctx.nav.is_empty() {
        let current = ctx
            .current_path
            .and_then(|p| current_nav(ctx.nav.iter().map(|(_, h)| h.as_str()), p));
        o.push_str("<nav class=\"nav\" aria-label=\"");
        o.push_str(t.main_nav);
        o.push_str("\"><ul>");
        for (i, (label, href)) in ctx.nav.iter().enumerate() {
            o.push_str("<li>");
            if url::local_href_is_safe(href) {
                o.push_str("<a href=\"");
                escape_into(&mut o, href);
                o.push('"');
                if current == Some(i) {
                    o.push_str(" aria-current=\"page\"");
                }
                o.push('>');
                escape_into(&mut o, label);
                o.push_str("</a>");
            } else {
                o.push_str("<span>");
                escape_into(&mut o, label);
                o.push_str("</span>");
            }
            o.push_str("</li>");
        }
        o.push_str("</ul></nav>");
    }
    o.push_str("</div></header>\n<main id=\"main\" class=\"wrap\" tabindex=\"-1\">\n");
    if let Some(n) = ctx.notice.filter(|n| !n.trim().is_empty()) {
        o.push_str("<div class=\"notice tone-success flash\" role=\"status\"><p>");
        escape_into(&mut o, n);
        o.push_str("</p></div>\n");
    }
    o.push_str(body_html);
    o.push_str("\n</main>\n<footer class=\"foot wrap\"><p>");
    escape_into(
        &mut o,
        if ctx.instance_name.is_empty() {
            "dvor"
        } else {
            ctx.instance_name
        },
    );
    o.push_str(" · dvor</p></footer>\n</body>\n</html>\n");
    o
}

/// The navigation item whose href is the longest prefix (by path segments) of `path`.
fn current_nav<'h>(hrefs: impl Iterator<Item = &'h str>, path: &str) -> Option<usize> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut best: Option<(usize, usize)> = None;
    for (i, href) in hrefs.enumerate() {
        let h = href.split(['?', '#']).next().unwrap_or(href);
        let h = if h.len() > 1 {
            h.trim_end_matches('/')
        } else {
            h
        };
        let matches = path == h
            || (h == "/" && path == "/")
            || (h != "/" && path.starts_with(h) && path[h.len()..].starts_with('/'));
        if matches && best.is_none_or(|(_, len)| h.len() > len) {
            best = Some((i, h.len()));
        }
    }
    best.map(|(i, _)| i)
}

/// The interface strings, in Russian or English.
#[derive(Debug)]
pub(crate) struct Strings {
    pub lang: &'static str,
    pub skip: &'static str,
    pub main_nav: &'static str,
    pub breadcrumbs: &'static str,
    pub confirm: &'static str,
    pub next: &'static str,
    pub error: &'static str,
    pub no_data: &'static str,
    pub pages: &'static str,
    pub actions: &'static str,
    pub open: &'static str,
    pub table: &'static str,
    pub required_note: &'static str,
    pub fix_errors: &'static str,
    pub choose: &'static str,
    pub latitude: &'static str,
    pub longitude: &'static str,
    pub location_help: &'static str,
    pub current_file: &'static str,
    pub accepted_types: &'static str,
    pub in_roubles: &'static str,
    pub decimal_help_0: &'static str,
    pub decimal_help: &'static str,
    pub chart_data: &'static str,
    pub map: &'static str,
    pub points: &'static str,
    pub open_in_maps: &'static str,
    pub open_in_app: &'static str,
    pub my_position: &'static str,
    pub pick_on_map: &'static str,
    pub download: &'static str,
    pub by: &'static str,
    pub tone_info: &'static str,
    pub tone_success: &'static str,
    pub tone_warning: &'static str,
    pub tone_danger: &'static str,
    pub bad_money: &'static str,
    pub bad_number: &'static str,
    pub bad_location: &'static str,
    pub bad_date: &'static str,
    pub text_too_long: &'static str,
}

impl Strings {
    pub(crate) fn of(locale: &str) -> &'static Strings {
        if locale
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("en"))
        {
            &EN
        } else {
            &RU
        }
    }

    pub(crate) fn is_en(&self) -> bool {
        self.lang == "en"
    }
}

static RU: Strings = Strings {
    lang: "ru",
    skip: "Перейти к содержанию",
    main_nav: "Основное меню",
    breadcrumbs: "Вы здесь",
    confirm: "Подтверждаю",
    next: "Далее",
    error: "Ошибка",
    no_data: "Нет данных",
    pages: "Страницы",
    actions: "Действия",
    open: "Открыть",
    table: "Таблица",
    required_note: "Поля со звёздочкой (*) обязательны.",
    fix_errors: "Исправьте ошибки в форме:",
    choose: "— выберите —",
    latitude: "Широта",
    longitude: "Долгота",
    location_help: "Координаты в градусах, например 55.75580 и 37.61730.",
    current_file: "Текущий файл",
    accepted_types: "Подходят файлы",
    in_roubles: "в рублях",
    decimal_help_0: "Целое число.",
    decimal_help: "Число, знаков после запятой: не больше",
    chart_data: "Данные графика",
    map: "Карта",
    points: "точек на ней",
    open_in_maps: "Открыть на карте",
    open_in_app: "В приложении карт",
    my_position: "Моё местоположение",
    pick_on_map: "Нажмите на карту там, где это, или «Моё местоположение»: широта и долгота заполнятся сами.",
    download: "Файл",
    by: "—",
    tone_info: "Информация: ",
    tone_success: "Готово: ",
    tone_warning: "Внимание: ",
    tone_danger: "Ошибка: ",
    bad_money: "Введите сумму в рублях, например 1234,56",
    bad_number: "Введите число",
    bad_location: "Введите широту (от −90 до 90) и долготу (от −180 до 180)",
    bad_date: "Введите дату, например 15.12.2026",
    text_too_long: "Текст длиннее 100 000 знаков: сократите его",
};

static EN: Strings = Strings {
    lang: "en",
    skip: "Skip to content",
    main_nav: "Main menu",
    breadcrumbs: "You are here",
    confirm: "I confirm",
    next: "Next",
    error: "Error",
    no_data: "No data",
    pages: "Pages",
    actions: "Actions",
    open: "Open",
    table: "Table",
    required_note: "Fields marked with an asterisk (*) are required.",
    fix_errors: "Please fix the errors in the form:",
    choose: "— choose —",
    latitude: "Latitude",
    longitude: "Longitude",
    location_help: "Coordinates in degrees, e.g. 55.75580 and 37.61730.",
    current_file: "Current file",
    accepted_types: "Accepted files",
    in_roubles: "in roubles",
    decimal_help_0: "A whole number.",
    decimal_help: "A number, digits after the point: at most",
    chart_data: "Chart data",
    map: "Map",
    points: "points on it",
    open_in_maps: "Open on the map",
    open_in_app: "In a maps app",
    my_position: "My position",
    pick_on_map: "Tap the map where it is, or “My position”: the latitude and longitude fill in by themselves.",
    download: "File",
    by: "—",
    tone_info: "Information: ",
    tone_success: "Done: ",
    tone_warning: "Warning: ",
    tone_danger: "Error: ",
    bad_money: "Enter an amount in roubles, e.g. 1234.56",
    bad_number: "Enter a number",
    bad_location: "Enter a latitude (−90 to 90) and a longitude (−180 to 180)",
    bad_date: "Enter a date, e.g. 2026-12-15",
    text_too_long: "The text is longer than 100,000 characters: shorten it",
};

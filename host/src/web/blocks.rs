//! The page, its sections and the simple blocks.

use std::collections::HashSet;

use crate::runtime::latest::dvor::plugin::ui::{
    Attachment, Badge, Block, Button, Cell, EmptyState, Image, ImageSource, KeyValue, Link, Page,
    Progress, Section, Stat, Table, TimelineEntry, Tone,
};

use super::format::{
    format_date, format_datetime, format_day, format_decimal, format_integer, format_money, iso,
};
use super::{PageContext, Strings, escape_into, url};

/// Tables with this many columns or more are drawn as cards on narrow screens.
const CARD_COLUMNS: usize = 3;

/// Draws one page into a string.
pub(crate) struct Renderer<'c, 'a> {
    pub(super) ctx: &'c PageContext<'a>,
    pub(super) t: &'static Strings,
    pub(super) out: String,
    next_id: u32,
}

/// The CSS class of a tone.
pub fn tone_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Neutral => "tone-neutral",
        Tone::Info => "tone-info",
        Tone::Success => "tone-success",
        Tone::Warning => "tone-warning",
        Tone::Danger => "tone-danger",
    }
}

impl<'c, 'a> Renderer<'c, 'a> {
    pub(crate) fn new(ctx: &'c PageContext<'a>) -> Self {
        Renderer {
            ctx,
            t: Strings::of(ctx.locale),
            out: String::with_capacity(8192),
            next_id: 0,
        }
    }

    /// A fresh element id, unique on the page.
    pub(super) fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    pub(super) fn raw(&mut self, html: &str) {
        self.out.push_str(html);
    }

    pub(super) fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text);
    }

    /// The whole content of a page.
    pub(crate) fn page(mut self, page: &Page) -> String {
        self.unmatched_errors(page);
        if !page.breadcrumbs.is_empty() {
            self.raw("<nav class=\"crumbs\" aria-label=\"");
            self.raw(self.t.breadcrumbs);
            self.raw("\"><ol>");
            for l in &page.breadcrumbs {
                self.raw("<li>");
                self.link(l, None);
                self.raw("</li>");
            }
            self.raw("</ol></nav>\n");
        }
        self.raw("<h1>");
        self.text(&page.title);
        self.raw("</h1>\n");
        for s in &page.sections {
            self.section(s);
        }
        self.out
    }

    /// Errors for fields that no form on the page has: shown at the top, not lost.
    fn unmatched_errors(&mut self, page: &Page) {
        if self.ctx.field_errors.is_empty() {
            return;
        }
        let mut names = HashSet::new();
        for s in &page.sections {
            for b in &s.blocks {
                // Only the posted form shows errors next to its fields (see `form`).
                let posted = |f: &crate::runtime::latest::dvor::plugin::ui::Form| {
                    self.ctx.refilled_action.is_none_or(|a| a == f.action)
                };
                if let Block::Form(f) = b
                    && posted(f)
                {
                    for field in &f.fields {
                        names.insert(field.name.as_str());
                    }
                }
            }
        }
        let lost: Vec<&(String, String)> = self
            .ctx
            .field_errors
            .iter()
            .filter(|(f, _)| {
                let base = f
                    .strip_suffix(".lat")
                    .or(f.strip_suffix(".lon"))
                    .unwrap_or(f);
                !names.contains(f.as_str()) && !names.contains(base)
            })
            .collect();
        if lost.is_empty() {
            return;
        }
        self.raw("<div class=\"notice tone-danger\" role=\"alert\" tabindex=\"-1\" autofocus><p><strong>");
        self.raw(self.t.error);
        self.raw("</strong></p><ul>");
        for (_, msg) in lost {
            self.raw("<li>");
            self.text(msg);
            self.raw("</li>");
        }
        self.raw("</ul></div>\n");
    }

    fn section(&mut self, s: &Section) {
        match s.title.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(title) => {
                let id = self.id("s");
                self.raw("<section class=\"section\" aria-labelledby=\"");
                self.raw(&id);
                self.raw("\"><h2 id=\"");
                self.raw(&id);
                self.raw("\">");
                self.text(title);
                self.raw("</h2>\n");
            }
            None => self.raw("<section class=\"section\">\n"),
        }
        let live = s
            .live
            .as_deref()
            .filter(|c| crate::live::channel_is_valid(c));
        if let Some(channel) = live {
            // The script follows the channel and puts its updates here (see `dvor.js`).
            self.raw("<div class=\"live\" aria-live=\"polite\" data-live=\"");
            self.text(channel);
            self.raw("\" data-live-src=\"/api/live");
            self.text(self.ctx.base);
            self.raw("\">\n");
        }
        self.blocks(&s.blocks, s.title.as_deref());
        if live.is_some() {
            self.raw("</div>\n");
        }
        self.raw("</section>\n");
    }

    /// Blocks one after another.
    pub(crate) fn blocks(&mut self, blocks: &[Block], section_title: Option<&str>) {
        for b in blocks {
            self.block(b, section_title);
            self.raw("\n");
        }
    }

    pub(crate) fn block(&mut self, b: &Block, section_title: Option<&str>) {
        match b {
            // Under a titled section (h2) a heading is h3; otherwise h2, so no level is skipped.
            Block::Heading(h) => {
                let titled = section_title.is_some_and(|t| !t.trim().is_empty());
                self.raw(if titled { "<h3>" } else { "<h2>" });
                self.text(h);
                self.raw(if titled { "</h3>" } else { "</h2>" });
            }
            Block::Paragraph(p) => self.paragraph(p),
            Block::Notice(n) => self.notice(n.tone, &n.text),
            Block::Fields(kvs) => self.key_values(kvs),
            Block::Table(t) => self.table(t, section_title),
            Block::Form(f) => self.form(f),
            Block::Buttons(bs) => {
                self.raw("<div class=\"buttons\">");
                for b in bs {
                    self.button(b, false);
                }
                self.raw("</div>");
            }
            Block::Links(ls) => {
                self.raw("<ul class=\"links\">");
                for l in ls {
                    self.raw("<li>");
                    self.link(l, None);
                    self.raw("</li>");
                }
                self.raw("</ul>");
            }
            Block::Stats(stats) => self.stats(stats),
            Block::Chart(c) => self.chart(c),
            Block::Markers(ms) => self.markers(ms),
            Block::Progress(p) => self.progress(p),
            Block::Timeline(es) => self.timeline(es),
            Block::Badges(bs) => {
                self.raw("<ul class=\"badges\">");
                for b in bs {
                    self.raw("<li>");
                    self.badge(b);
                    self.raw("</li>");
                }
                self.raw("</ul>");
            }
            Block::Empty(e) => self.empty_state(e),
            Block::Attachment(a) => self.attachment(a),
            Block::Image(image) => self.image(image),
        }
    }

    /// A paragraph; blank lines split it into several, single newlines become `<br>`.
    fn paragraph(&mut self, p: &str) {
        let mut any = false;
        for para in p.split("\n\n").filter(|s| !s.trim().is_empty()) {
            any = true;
            self.raw("<p>");
            for (i, line) in para.trim_matches('\n').split('\n').enumerate() {
                if i > 0 {
                    self.raw("<br>");
                }
                self.text(line);
            }
            self.raw("</p>");
        }
        if !any {
            self.raw("<p></p>");
        }
    }

    /// A visually hidden word saying what a tone means, so colour is not the only cue.
    pub(super) fn tone_word(&self, tone: Tone) -> &'static str {
        match tone {
            Tone::Neutral => "",
            Tone::Info => self.t.tone_info,
            Tone::Success => self.t.tone_success,
            Tone::Warning => self.t.tone_warning,
            Tone::Danger => self.t.tone_danger,
        }
    }

    pub(super) fn notice(&mut self, tone: Tone, text: &str) {
        self.raw("<div class=\"notice ");
        self.raw(tone_class(tone));
        self.raw("\"><p>");
        let word = self.tone_word(tone);
        if !word.is_empty() {
            self.raw("<span class=\"vh\">");
            self.raw(word);
            self.raw("</span>");
        }
        self.text(text);
        self.raw("</p></div>");
    }

    fn key_values(&mut self, kvs: &[KeyValue]) {
        self.raw("<dl class=\"kv\">");
        for kv in kvs {
            self.raw("<div><dt>");
            self.text(&kv.label);
            self.raw("</dt><dd>");
            self.cell(&kv.value);
            self.raw("</dd></div>");
        }
        self.raw("</dl>");
    }

    /// A cell's value, formatted for the locale.
    pub(super) fn cell(&mut self, c: &Cell) {
        let (loc, off) = (self.ctx.locale, self.ctx.utc_offset_minutes);
        match c {
            Cell::Text(s) => self.text(s),
            Cell::Integer(i) => {
                let s = format_integer(*i, loc);
                self.text(&s);
            }
            Cell::Decimal(d) => {
                let s = format_decimal(d.value, d.scale, loc);
                self.text(&s);
            }
            Cell::Money(k) => {
                let s = format_money(*k, loc);
                self.raw(if *k < 0 {
                    "<span class=\"money neg\">"
                } else {
                    "<span class=\"money\">"
                });
                self.text(&s);
                self.raw("</span>");
            }
            Cell::Date(ms) => self.time(*ms, false, &format_date(*ms, off, loc)),
            Cell::Day(d) => {
                let shown = format_day(*d, loc);
                self.raw("<time datetime=\"");
                let machine = format!("{:04}-{:02}-{:02}", d.year, d.month, d.day);
                self.text(&machine);
                self.raw("\">");
                self.text(&shown);
                self.raw("</time>");
            }
            Cell::Datetime(ms) => self.time(*ms, true, &format_datetime(*ms, off, loc)),
            Cell::Badge(b) => self.badge(b),
            Cell::Link(l) => self.link(l, None),
            Cell::Empty => self.raw("<span class=\"muted\">—</span>"),
        }
    }

    pub(super) fn time(&mut self, ms: i64, with_time: bool, shown: &str) {
        match iso(ms, self.ctx.utc_offset_minutes, with_time) {
            Some(machine) => {
                self.raw("<time datetime=\"");
                self.text(&machine);
                self.raw("\">");
                self.text(shown);
                self.raw("</time>");
            }
            None => self.text(shown),
        }
    }

    pub(super) fn badge(&mut self, b: &Badge) {
        self.raw("<span class=\"badge ");
        self.raw(tone_class(b.tone));
        self.raw("\">");
        self.text(&b.label);
        self.raw("</span>");
    }

    /// A link to a plugin page, or its label as plain text when the route is refused.
    pub(super) fn link(&mut self, l: &Link, class: Option<&str>) {
        let label = if l.label.trim().is_empty() {
            self.t.open
        } else {
            l.label.as_str()
        };
        match url::href_of(self.ctx.base, l) {
            Some(href) => {
                self.raw("<a href=\"");
                self.text(&href);
                self.raw("\"");
                if let Some(c) = class {
                    self.raw(" class=\"");
                    self.raw(c);
                    self.raw("\"");
                }
                self.raw(">");
                self.text(label);
                self.raw("</a>");
            }
            None => {
                self.raw("<span class=\"refused\">");
                self.text(label);
                self.raw("</span>");
            }
        }
    }

    /// The form token, first thing inside every `<form>` (see [`crate::csrf`]).
    pub(super) fn form_token(&mut self) {
        if self.ctx.csrf_token.is_empty() {
            return;
        }
        self.raw("<input type=\"hidden\" name=\"");
        self.raw(crate::csrf::FORM_FIELD);
        self.raw("\" value=\"");
        self.text(self.ctx.csrf_token);
        self.raw("\">");
    }

    /// Hidden inputs carrying action arguments.
    pub(super) fn hidden_args(&mut self, args: &[(String, String)]) {
        for (k, v) in args {
            self.raw("<input type=\"hidden\" name=\"");
            self.text(k);
            self.raw("\" value=\"");
            self.text(v);
            self.raw("\">");
        }
    }

    /// A button: a small POST form. With a confirmation question, the form sits in a
    /// `<details>` and needs a ticked "I confirm" checkbox (`confirm=1`) before it submits.
    pub(super) fn button(&mut self, b: &Button, small: bool) {
        let action = url::action_url(self.ctx.base, self.ctx.route, &b.action);
        let class = format!(
            "btn {}{}{}",
            tone_class(b.tone),
            if b.primary { " primary" } else { "" },
            if small { " small" } else { "" }
        );
        let label = if b.label.trim().is_empty() {
            b.action.as_str()
        } else {
            b.label.as_str()
        };
        match b.confirm.as_deref().filter(|q| !q.trim().is_empty()) {
            None => {
                self.raw("<form class=\"inline\" method=\"post\" action=\"");
                self.text(&action);
                self.raw("\">");
                self.form_token();
                self.hidden_args(&b.args);
                self.raw("<button type=\"submit\" class=\"");
                self.raw(&class);
                self.raw("\">");
                self.text(label);
                self.raw("</button></form>");
            }
            Some(question) => {
                let qid = self.id("q");
                let cid = self.id("c");
                self.raw("<details class=\"confirm\"><summary class=\"");
                self.raw(&class);
                self.raw("\">");
                self.text(label);
                self.raw("</summary><form method=\"post\" action=\"");
                self.text(&action);
                self.raw("\" aria-describedby=\"");
                self.raw(&qid);
                self.raw("\">");
                self.form_token();
                self.hidden_args(&b.args);
                self.raw("<p id=\"");
                self.raw(&qid);
                self.raw("\">");
                self.text(question);
                self.raw("</p>");
                self.confirm_checkbox(&cid);
                self.raw("<button type=\"submit\" class=\"");
                self.raw(&class);
                self.raw("\">");
                self.text(label);
                self.raw("</button></form></details>");
            }
        }
    }

    /// The required "I confirm" checkbox, submitted as `confirm=1`.
    pub(super) fn confirm_checkbox(&mut self, id: &str) {
        self.raw("<div class=\"check\"><input type=\"checkbox\" id=\"");
        self.raw(id);
        self.raw("\" name=\"confirm\" value=\"1\" required><label for=\"");
        self.raw(id);
        self.raw("\">");
        self.raw(self.t.confirm);
        self.raw("</label></div>");
    }

    fn table(&mut self, t: &Table, section_title: Option<&str>) {
        if t.rows.is_empty() {
            let text = if t.empty_text.trim().is_empty() {
                self.t.no_data
            } else {
                t.empty_text.as_str()
            };
            self.raw("<p class=\"empty\">");
            self.text(text);
            self.raw("</p>");
        } else {
            let has_actions = t.rows.iter().any(|r| !r.actions.is_empty());
            let width = t
                .columns
                .len()
                .max(t.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0));
            // Three columns and more do not fit a phone: there each row becomes a card whose
            // cells carry their column's name (`data-label`, drawn by the stylesheet). The
            // explicit roles keep the table a table for screen readers when CSS makes its
            // parts blocks.
            let cards = t.columns.len() >= CARD_COLUMNS;
            let role = |r: &'static str| if cards { r } else { "" };
            self.raw(if cards {
                "<div class=\"table-wrap cards\" role=\"region\" tabindex=\"0\" aria-label=\""
            } else {
                "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-label=\""
            });
            let label = section_title
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(self.t.table);
            self.text(label);
            self.raw("\"><table");
            self.raw(role(" role=\"table\""));
            self.raw(">");
            if !t.columns.is_empty() {
                self.raw("<thead");
                self.raw(role(" role=\"rowgroup\""));
                self.raw("><tr");
                self.raw(role(" role=\"row\""));
                self.raw(">");
                for c in &t.columns {
                    self.raw(match (c.numeric, cards) {
                        (true, false) => "<th scope=\"col\" class=\"num\">",
                        (false, false) => "<th scope=\"col\">",
                        (true, true) => "<th scope=\"col\" role=\"columnheader\" class=\"num\">",
                        (false, true) => "<th scope=\"col\" role=\"columnheader\">",
                    });
                    self.text(&c.label);
                    self.raw("</th>");
                }
                for _ in t.columns.len()..width {
                    self.raw("<td></td>");
                }
                if has_actions {
                    self.raw(role(
                        "<th scope=\"col\" role=\"columnheader\"><span class=\"vh\">",
                    ));
                    if !cards {
                        self.raw("<th scope=\"col\"><span class=\"vh\">");
                    }
                    self.raw(self.t.actions);
                    self.raw("</span></th>");
                }
                self.raw("</tr></thead>");
            }
            self.raw("<tbody");
            self.raw(role(" role=\"rowgroup\""));
            self.raw(">");
            for row in &t.rows {
                let href = row
                    .link
                    .as_ref()
                    .and_then(|l| url::href_of(self.ctx.base, l));
                self.raw("<tr");
                self.raw(role(" role=\"row\""));
                self.raw(" class=\"");
                self.raw(tone_class(row.tone));
                if href.is_some() {
                    self.raw(" linked");
                }
                self.raw("\">");
                // The row's link goes on its first cell that is not a link itself; CSS stretches
                // it over the whole row.
                let link_col = (0..width)
                    .find(|i| !matches!(row.cells.get(*i), Some(Cell::Link(_))))
                    .filter(|_| href.is_some());
                for i in 0..width {
                    let numeric = t.columns.get(i).is_some_and(|c| c.numeric);
                    self.raw(if numeric { "<td class=\"num\"" } else { "<td" });
                    if cards {
                        self.raw(" role=\"cell\" data-label=\"");
                        let label = t.columns.get(i).map_or("", |c| c.label.as_str());
                        self.text(label);
                        self.raw("\"");
                    }
                    self.raw(">");
                    let cell = row.cells.get(i).unwrap_or(&Cell::Empty);
                    match &href {
                        Some(h) if link_col == Some(i) => {
                            self.raw("<a class=\"row-link\" href=\"");
                            self.text(h);
                            self.raw("\">");
                            match cell {
                                Cell::Empty => self.raw(self.t.open),
                                c => self.cell(c),
                            }
                            self.raw("</a>");
                        }
                        _ => self.cell(cell),
                    }
                    self.raw("</td>");
                }
                if has_actions {
                    self.raw(if cards {
                        "<td role=\"cell\" class=\"row-actions\">"
                    } else {
                        "<td class=\"row-actions\">"
                    });
                    for b in &row.actions {
                        self.button(b, true);
                    }
                    self.raw("</td>");
                }
                self.raw("</tr>");
            }
            self.raw("</tbody></table></div>");
        }
        if let Some(next) = &t.next_page {
            self.raw("<nav class=\"pager\" aria-label=\"");
            self.raw(self.t.pages);
            self.raw("\">");
            let mut l = next.clone();
            if l.label.trim().is_empty() {
                l.label = self.t.next.to_owned();
            }
            match url::href_of(self.ctx.base, &l) {
                Some(h) => {
                    self.raw("<a class=\"btn\" rel=\"next\" href=\"");
                    self.text(&h);
                    self.raw("\">");
                    self.text(&l.label);
                    self.raw(" →</a>");
                }
                None => self.link(&l, None),
            }
            self.raw("</nav>");
        }
    }

    fn stats(&mut self, stats: &[Stat]) {
        self.raw("<ul class=\"stats\">");
        for s in stats {
            self.raw("<li class=\"stat ");
            self.raw(tone_class(s.tone));
            self.raw("\"><span class=\"stat-label\">");
            self.text(&s.label);
            self.raw("</span> <span class=\"stat-value\">");
            self.cell(&s.value);
            self.raw("</span>");
            if let Some(h) = s.hint.as_deref().filter(|h| !h.is_empty()) {
                self.raw(" <span class=\"stat-hint\">");
                self.text(h);
                self.raw("</span>");
            }
            self.raw("</li>");
        }
        self.raw("</ul>");
    }

    fn progress(&mut self, p: &Progress) {
        let id = self.id("p");
        let loc = self.ctx.locale;
        self.raw("<div class=\"progress\"><p class=\"progress-label\" id=\"");
        self.raw(&id);
        self.raw("\">");
        self.text(&p.label);
        self.raw("</p>");
        let unit = if p.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", p.unit)
        };
        if p.target > 0 {
            let value = p.current.clamp(0, p.target);
            let percent = i128::from(p.current.max(0)) * 100 / i128::from(p.target);
            self.raw("<progress max=\"");
            self.raw(&p.target.to_string());
            self.raw("\" value=\"");
            self.raw(&value.to_string());
            self.raw("\" aria-labelledby=\"");
            self.raw(&id);
            self.raw("\">");
            self.raw(&percent.to_string());
            self.raw("%</progress><p class=\"progress-text\">");
            let text = format!(
                "{} / {}{} ({}\u{A0}%)",
                format_integer(p.current, loc),
                format_integer(p.target, loc),
                unit,
                percent
            );
            self.text(&text);
        } else {
            self.raw("<p class=\"progress-text\">");
            let text = format!("{}{}", format_integer(p.current, loc), unit);
            self.text(&text);
        }
        self.raw("</p></div>");
    }

    fn timeline(&mut self, entries: &[TimelineEntry]) {
        let (loc, off) = (self.ctx.locale, self.ctx.utc_offset_minutes);
        self.raw("<ol class=\"timeline\">");
        for e in entries {
            self.raw("<li class=\"");
            self.raw(tone_class(e.tone));
            self.raw("\">");
            self.time(e.at, true, &format_datetime(e.at, off, loc));
            self.raw(" <strong class=\"tl-title\">");
            let word = self.tone_word(e.tone);
            if !word.is_empty() {
                self.raw("<span class=\"vh\">");
                self.raw(word);
                self.raw("</span>");
            }
            self.text(&e.title);
            self.raw("</strong>");
            if let Some(a) = e.actor.as_deref().filter(|a| !a.is_empty()) {
                self.raw(" <span class=\"tl-actor\">");
                self.raw(self.t.by);
                self.raw(" ");
                self.text(a);
                self.raw("</span>");
            }
            if let Some(n) = e.note.as_deref().filter(|n| !n.is_empty()) {
                self.raw("<p class=\"tl-note\">");
                self.text(n);
                self.raw("</p>");
            }
            self.raw("</li>");
        }
        self.raw("</ol>");
    }

    fn empty_state(&mut self, e: &EmptyState) {
        self.raw("<div class=\"empty-state\">");
        if !e.title.is_empty() {
            self.raw("<p class=\"empty-title\">");
            self.text(&e.title);
            self.raw("</p>");
        }
        if !e.text.is_empty() || e.title.is_empty() {
            self.raw("<p>");
            self.text(if e.text.is_empty() {
                self.t.no_data
            } else {
                &e.text
            });
            self.raw("</p>");
        }
        if let Some(l) = &e.link {
            self.link(l, Some("btn"));
        }
        self.raw("</div>");
    }

    fn attachment(&mut self, a: &Attachment) {
        let label = if a.name.trim().is_empty() {
            self.t.download
        } else {
            a.name.as_str()
        };
        self.raw("<p class=\"attachment\">");
        match url::file_href(&a.file_id, self.ctx.files) {
            Some(h) => {
                self.raw("<a href=\"");
                self.text(&h);
                self.raw("\">");
                self.text(label);
                self.raw("</a>");
                let about = file_about(&a.mime, a.size, self.ctx.locale);
                if !about.is_empty() {
                    self.raw(" <span class=\"muted small\">");
                    self.text(&about);
                    self.raw("</span>");
                }
            }
            None => {
                self.raw("<span class=\"refused\">");
                self.text(label);
                self.raw("</span>");
            }
        }
        self.raw("</p>");
    }

    /// An image: a stored file, one of the plugin's API routes, or a QR code drawn here.
    fn image(&mut self, image: &Image) {
        match &image.source {
            ImageSource::Qr(text) => {
                // Never smaller than a phone's camera reads from arm's length.
                let width = image.width.unwrap_or(0).max(QR_MIN_PX);
                match qr_svg(text, width, &image.alt) {
                    Some(svg) => {
                        self.raw("<figure class=\"qr\">");
                        self.raw(&svg);
                        if !image.alt.trim().is_empty() {
                            self.raw("<figcaption class=\"small muted\">");
                            self.text(&image.alt);
                            self.raw("</figcaption>");
                        }
                        self.raw("</figure>");
                    }
                    None => {
                        self.raw("<p class=\"refused\">");
                        self.text(&image.alt);
                        self.raw("</p>");
                    }
                }
            }
            ImageSource::File(id) => {
                let href = url::file_href(id, self.ctx.files);
                self.img(href, image);
            }
            ImageSource::Route(route) => {
                let href = url::route_is_safe(route)
                    .then(|| format!("/api{}/{}", self.ctx.base, route.trim_start_matches('/')));
                self.img(href, image);
            }
        }
    }

    fn img(&mut self, href: Option<String>, image: &Image) {
        match href {
            Some(src) => {
                self.raw("<img class=\"image\" loading=\"lazy\" src=\"");
                self.text(&src);
                self.raw("\" alt=\"");
                self.text(&image.alt);
                self.raw("\"");
                if let Some(w) = image.width {
                    self.raw(&format!(" width=\"{}\"", w.min(2000)));
                }
                self.raw(">");
            }
            None => {
                self.raw("<p class=\"refused\">");
                self.text(&image.alt);
                self.raw("</p>");
            }
        }
    }
}

/// The smallest a QR code is drawn on screen, in CSS pixels.
pub(super) const QR_MIN_PX: u32 = 240;

/// A QR code of `text` as an inline SVG element `width` CSS pixels wide (error correction M,
/// with its quiet zone), or none if the text is too long for a QR code.
pub(super) fn qr_svg(text: &str, width: u32, alt: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .quiet_zone(true)
        .min_dimensions(width, width)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // Drop the XML prolog: the element goes inside the page; label it for screen readers.
    let start = svg.find("<svg")?;
    let mut label = String::new();
    super::escape_into(&mut label, alt);
    Some(svg[start..].replacen(
        "<svg",
        &format!("<svg role=\"img\" aria-label=\"{label}\" class=\"qr-code\""),
        1,
    ))
}

/// "PDF, 120 КБ": what a file is, for its link.
fn file_about(mime: &str, size: u64, locale: &str) -> String {
    let en = locale == "en";
    let kind = match mime.split(';').next().unwrap_or("").trim() {
        "" => String::new(),
        "application/pdf" => "PDF".into(),
        "text/csv" => "CSV".into(),
        "image/jpeg" | "image/png" | "image/webp" | "image/gif" | "image/heic" => {
            (if en { "photo" } else { "фото" }).into()
        }
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-excel" => "Excel".into(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/msword" => "Word".into(),
        "application/zip" => "ZIP".into(),
        other => other
            .rsplit('/')
            .next()
            .unwrap_or(other)
            .to_ascii_uppercase(),
    };
    let size = if size == 0 {
        String::new()
    } else if size < 1024 * 1024 {
        format!("{} {}", size.div_ceil(1024), if en { "KB" } else { "КБ" })
    } else {
        let tenths = (size * 10).div_ceil(1024 * 1024);
        let mark = if en { "." } else { "," };
        format!(
            "{}{mark}{} {}",
            tenths / 10,
            tenths % 10,
            if en { "MB" } else { "МБ" }
        )
    };
    [kind, size]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

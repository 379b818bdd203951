//! The page, its sections and the simple blocks.

use std::collections::HashSet;

use crate::runtime::latest::dvor::plugin::ui::{
    Badge, Block, Button, Cell, EmptyState, KeyValue, Link, Page, Progress, Section, Stat, Table,
    TimelineEntry, Tone,
};

use super::format::{
    format_date, format_datetime, format_decimal, format_integer, format_money, iso,
};
use super::{PageContext, Strings, escape_into, url};

/// Draws one page into a string.
pub(crate) struct Renderer<'c, 'a> {
    pub(super) ctx: &'c PageContext<'a>,
    pub(super) t: &'static Strings,
    pub(super) out: String,
    next_id: u32,
}

/// The CSS class of a tone.
pub(super) fn tone_class(tone: Tone) -> &'static str {
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
        self.raw("<div class=\"notice tone-danger\" role=\"alert\"><p><strong>");
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
        for b in &s.blocks {
            self.block(b, s.title.as_deref());
            self.raw("\n");
        }
        self.raw("</section>\n");
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
            Block::Notice((tone, text)) => self.notice(*tone, text),
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
            Block::Attachment((id, label)) => self.attachment(id, label),
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
            Cell::Decimal((v, scale)) => {
                let s = format_decimal(*v, *scale, loc);
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
            "btn {}{}",
            tone_class(b.tone),
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
            self.raw("<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-label=\"");
            let label = section_title
                .filter(|s| !s.trim().is_empty())
                .unwrap_or(self.t.table);
            self.text(label);
            self.raw("\"><table>");
            if !t.columns.is_empty() {
                self.raw("<thead><tr>");
                for c in &t.columns {
                    self.raw(if c.numeric {
                        "<th scope=\"col\" class=\"num\">"
                    } else {
                        "<th scope=\"col\">"
                    });
                    self.text(&c.label);
                    self.raw("</th>");
                }
                for _ in t.columns.len()..width {
                    self.raw("<td></td>");
                }
                if has_actions {
                    self.raw("<th scope=\"col\"><span class=\"vh\">");
                    self.raw(self.t.actions);
                    self.raw("</span></th>");
                }
                self.raw("</tr></thead>");
            }
            self.raw("<tbody>");
            for row in &t.rows {
                let href = row
                    .link
                    .as_ref()
                    .and_then(|l| url::href_of(self.ctx.base, l));
                self.raw("<tr class=\"");
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
                    self.raw(if numeric {
                        "<td class=\"num\">"
                    } else {
                        "<td>"
                    });
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
                    self.raw("<td class=\"row-actions\">");
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

    fn attachment(&mut self, id: &str, label: &str) {
        let label = if label.trim().is_empty() {
            self.t.download
        } else {
            label
        };
        self.raw("<p class=\"attachment\">");
        match url::file_href(id) {
            Some(h) => {
                self.raw("<a href=\"");
                self.text(&h);
                self.raw("\">");
                self.text(label);
                self.raw("</a>");
            }
            None => {
                self.raw("<span class=\"refused\">");
                self.text(label);
                self.raw("</span>");
            }
        }
        self.raw("</p>");
    }
}

//! Forms: typed fields, errors next to them, and turning a submission into the contract's values.

use std::collections::HashSet;

use crate::runtime::latest::dvor::plugin::types::{Date, Decimal, GeoPoint};
use crate::runtime::latest::dvor::plugin::ui::{
    Choice, Field, FieldKind, FieldValue, Form, FormEntry,
};

use super::blocks::Renderer;
use super::format::{money_input_value, parse_money};
use super::{Strings, url};

/// Hidden marker, one per field of a rendered form: `{kind}:{name}`, what the field submits
/// (see [`Submits`]). A forged marker only changes how a value is parsed; the plugin checks
/// the values anyway.
const FIELD_MARK: &str = "_dvor.field";

/// The longest text any field takes (the contract's host-wide cap on `text` and `multiline`).
pub const MAX_TEXT_CHARS: u32 = 100_000;

/// What a field kind submits, as its marker says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Submits {
    Text,
    Money,
    Number(u8),
    Day,
    Choice,
    Choices,
    Flag,
    File,
    Point,
}

impl Submits {
    fn of(kind: &FieldKind) -> Submits {
        match kind {
            FieldKind::Text(_)
            | FieldKind::Multiline(_)
            | FieldKind::Phone
            | FieldKind::Email
            | FieldKind::Scan
            | FieldKind::Hidden => Submits::Text,
            FieldKind::Number(scale) => Submits::Number(*scale),
            FieldKind::Money => Submits::Money,
            FieldKind::Date => Submits::Day,
            FieldKind::Select(_) | FieldKind::Radio(_) => Submits::Choice,
            FieldKind::MultiSelect(_) => Submits::Choices,
            FieldKind::Checkbox => Submits::Flag,
            FieldKind::File(_) => Submits::File,
            FieldKind::Location => Submits::Point,
        }
    }

    fn mark(self) -> String {
        match self {
            Submits::Text => "text".into(),
            Submits::Money => "money".into(),
            Submits::Number(scale) => format!("number{scale}"),
            Submits::Day => "day".into(),
            Submits::Choice => "choice".into(),
            Submits::Choices => "choices".into(),
            Submits::Flag => "flag".into(),
            Submits::File => "file".into(),
            Submits::Point => "point".into(),
        }
    }

    fn parse_mark(mark: &str) -> Option<Submits> {
        Some(match mark {
            "text" => Submits::Text,
            "money" => Submits::Money,
            "day" => Submits::Day,
            "choice" => Submits::Choice,
            "choices" => Submits::Choices,
            "flag" => Submits::Flag,
            "file" => Submits::File,
            "point" => Submits::Point,
            other => Submits::Number(other.strip_prefix("number")?.parse().ok()?),
        })
    }
}

/// A calendar day typed as `YYYY-MM-DD` (what a date input submits), if it exists.
pub fn parse_day(text: &str) -> Option<Date> {
    let day = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    use chrono::Datelike as _;
    Some(Date {
        year: day.year(),
        month: day.month() as u8,
        day: day.day() as u8,
    })
}

/// A decimal typed by a person (`12,5`, `-3`) with at most `scale` digits after the mark.
pub fn parse_decimal(text: &str, scale: u8) -> Option<Decimal> {
    let canonical = super::format::parse_decimal(text, scale)?;
    let (int, frac) = canonical.split_once('.').unwrap_or((&canonical, ""));
    let digits = format!("{int}{frac}");
    Some(Decimal {
        value: digits.parse().ok()?,
        scale: frac.len() as u8,
    })
}

/// A field's value given as text in the format of its kind (kopecks for money, `YYYY-MM-DD`
/// for a date, `true` for a ticked box, comma-separated choices, `lat,lon`), as a typed value.
/// Text that does not parse is kept as text, so the person still sees it.
pub fn value_of_text(kind: &FieldKind, text: Option<String>) -> FieldValue {
    let Some(text) = text.filter(|v| !v.is_empty()) else {
        return FieldValue::None;
    };
    let parsed = match kind {
        FieldKind::Money => text.trim().parse().ok().map(FieldValue::Money),
        FieldKind::Date => parse_day(text.get(..10).unwrap_or(&text)).map(FieldValue::Day),
        FieldKind::Checkbox => Some(FieldValue::Flag(text == "true")),
        FieldKind::Number(scale) => parse_decimal(&text, *scale).map(FieldValue::Number),
        FieldKind::Select(_) | FieldKind::Radio(_) => Some(FieldValue::Choice(text.clone())),
        FieldKind::MultiSelect(_) => Some(FieldValue::Choices(
            text.split(',').map(|v| v.trim().to_owned()).collect(),
        )),
        FieldKind::File(_) => Some(FieldValue::File(text.clone())),
        FieldKind::Location => text.split_once(',').and_then(|(lat, lon)| {
            Some(FieldValue::Point(GeoPoint {
                lat: lat.trim().parse().ok()?,
                lon: lon.trim().parse().ok()?,
            }))
        }),
        _ => None,
    };
    parsed.unwrap_or(FieldValue::Text(text))
}

/// A decimal for an input's value: `54,3` (`54.3` in English), no grouping, so it can be edited.
fn decimal_input_value(d: Decimal, locale: &str) -> String {
    let digits = d.value.unsigned_abs().to_string();
    let scale = usize::from(d.scale);
    let sign = if d.value < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let mark = if Strings::of(locale).is_en() {
        '.'
    } else {
        ','
    };
    format!("{sign}{int}{mark}{frac}")
}

/// The marker kind a rendered field carries (`money`, `number2`, `day`, …): what it submits.
pub fn field_mark(kind: &FieldKind) -> String {
    Submits::of(kind).mark()
}

/// How a field's own value is shown in its input.
pub fn shown_value(value: &FieldValue, locale: &str) -> Option<String> {
    Some(match value {
        FieldValue::None => return None,
        FieldValue::Text(text) | FieldValue::Choice(text) | FieldValue::File(text) => text.clone(),
        FieldValue::Number(d) => decimal_input_value(*d, locale),
        FieldValue::Money(kopecks) => money_input_value(*kopecks, locale),
        FieldValue::Day(d) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        FieldValue::Choices(values) => values.join("\n"),
        FieldValue::Flag(true) => "true".into(),
        FieldValue::Flag(false) => String::new(),
        FieldValue::Point(p) => format!("{},{}", p.lat, p.lon),
    })
}

/// A field with what the page knows about it.
struct View<'f> {
    field: &'f Field,
    id: String,
    /// The value to show (the submitted one after `invalid`, else the field's own).
    value: Option<String>,
    errors: Vec<String>,
}

impl View<'_> {
    fn help_id(&self) -> String {
        format!("{}-h", self.id)
    }

    fn error_id(&self) -> String {
        format!("{}-e", self.id)
    }
}

/// Extra guidance a field kind needs, shown with the field's help.
fn kind_hint(kind: &FieldKind, t: &Strings) -> Option<String> {
    match kind {
        FieldKind::Number(0) => Some(t.decimal_help_0.to_owned()),
        FieldKind::Number(d) => Some(format!("{} {d}.", t.decimal_help)),
        FieldKind::File(types) if !types.is_empty() => {
            let mut names: Vec<&str> = types.iter().map(|m| file_kind_name(m)).collect();
            names.dedup();
            Some(format!("{}: {}.", t.accepted_types, names.join(", ")))
        }
        FieldKind::Location => Some(t.location_help.to_owned()),
        _ => None,
    }
}

/// What people call a file of MIME type `mime`: `JPEG` for `image/jpeg`, `CSV` for `text/csv`
/// (the `accept` attribute keeps the MIME type for the browser).
fn file_kind_name(mime: &str) -> &str {
    match mime.trim().to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "JPEG",
        "image/png" => "PNG",
        "image/webp" => "WebP",
        "image/heic" | "image/heif" => "HEIC",
        "image/gif" => "GIF",
        "image/*" => "JPEG, PNG, WebP",
        "application/pdf" => "PDF",
        "text/csv" | "application/csv" => "CSV",
        "text/plain" => "TXT",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "XLSX",
        "application/vnd.ms-excel" => "XLS",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "DOCX",
        "application/msword" => "DOC",
        "application/zip" => "ZIP",
        // Anything else by its subtype, `image/x-foo` as `x-foo`: still no `type/` prefix.
        _ => mime.rsplit('/').next().unwrap_or(mime),
    }
}

/// The `pattern` of a decimal input with `scale` digits after the mark.
fn decimal_pattern(scale: u8) -> String {
    if scale == 0 {
        "\\s*-?[0-9]+\\s*".to_owned()
    } else {
        format!("\\s*-?[0-9]+([.,][0-9]{{1,{scale}}})?\\s*")
    }
}

impl Renderer<'_, '_> {
    /// `refill`: whether this is the form that was posted (its values and errors are shown).
    fn view<'f>(
        &mut self,
        field: &'f Field,
        form_id: &str,
        index: usize,
        refill: bool,
    ) -> View<'f> {
        let id = format!("{form_id}-{index}");
        let no_pairs: &[(String, String)] = &[];
        let (form_values, field_errors) = if refill {
            (self.ctx.form_values, self.ctx.field_errors)
        } else {
            (no_pairs, no_pairs)
        };
        let submitted = |name: &str| {
            form_values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let value = match &field.kind {
            FieldKind::Location => {
                let lat = submitted(&format!("{}.lat", field.name));
                let lon = submitted(&format!("{}.lon", field.name));
                match (lat, lon) {
                    (None, None) => submitted(&field.name).map(str::to_owned),
                    (lat, lon) => Some(format!("{},{}", lat.unwrap_or(""), lon.unwrap_or(""))),
                }
            }
            FieldKind::MultiSelect(_) => {
                let all: Vec<&str> = form_values
                    .iter()
                    .filter(|(k, _)| *k == field.name)
                    .map(|(_, v)| v.as_str())
                    .collect();
                if all.is_empty() {
                    None
                } else {
                    Some(all.join("\n"))
                }
            }
            _ => submitted(&field.name).map(str::to_owned),
        };
        // After a submission, an unticked box is absent: it must not fall back to the default.
        let resubmitted = !form_values.is_empty();
        let ticks = matches!(field.kind, FieldKind::Checkbox | FieldKind::MultiSelect(_));
        let value = if resubmitted && ticks && value.is_none() {
            Some(String::new())
        } else {
            value
        };
        let value = value.or_else(|| shown_value(&field.value, self.ctx.locale));
        let mut errors = Vec::new();
        if let Some(e) = field.error.as_deref().filter(|e| !e.trim().is_empty()) {
            errors.push(e.to_owned());
        }
        let lat = format!("{}.lat", field.name);
        let lon = format!("{}.lon", field.name);
        for (f, msg) in field_errors {
            let ours = *f == field.name
                || (matches!(field.kind, FieldKind::Location) && (*f == lat || *f == lon));
            if ours && !errors.contains(msg) {
                errors.push(msg.clone());
            }
        }
        View {
            field,
            id,
            value,
            errors,
        }
    }

    pub(super) fn form(&mut self, f: &Form) {
        let form_id = self.id("f");
        let refill = self
            .ctx
            .refilled_action
            .is_none_or(|posted| posted == f.action);
        let views: Vec<View> = f
            .fields
            .iter()
            .enumerate()
            .map(|(i, field)| self.view(field, &form_id, i, refill))
            .collect();
        let multipart = f
            .fields
            .iter()
            .any(|x| matches!(x.kind, FieldKind::File(_)));
        let action = url::action_url(self.ctx.base, self.ctx.route, &f.action);

        self.raw("<form class=\"form\" method=\"post\" accept-charset=\"utf-8\" action=\"");
        self.text(&action);
        self.raw("\"");
        if multipart {
            self.raw(" enctype=\"multipart/form-data\"");
        }
        self.raw(">");
        self.form_token();

        let with_errors: Vec<&View> = views.iter().filter(|v| !v.errors.is_empty()).collect();
        if !with_errors.is_empty() {
            // The summary takes the focus when the page loads, so a phone scrolls to it: the
            // person sees what went wrong without looking for it (the first one on the page).
            self.raw("<div class=\"notice tone-danger\" role=\"alert\" tabindex=\"-1\" autofocus><p><strong>");
            self.raw(self.t.fix_errors);
            self.raw("</strong></p><ul>");
            for v in with_errors {
                self.raw("<li>");
                let hidden = matches!(v.field.kind, FieldKind::Hidden);
                if !hidden {
                    self.raw("<a href=\"#");
                    self.raw(&first_input_id(v));
                    self.raw("\">");
                }
                if !v.field.label.is_empty() {
                    self.text(&v.field.label);
                    self.raw(": ");
                }
                self.text(&v.errors.join("; "));
                if !hidden {
                    self.raw("</a>");
                }
                self.raw("</li>");
            }
            self.raw("</ul></div>");
        }
        if f.fields
            .iter()
            .any(|x| x.required && !matches!(x.kind, FieldKind::Hidden))
        {
            self.raw("<p class=\"muted small\">");
            self.raw(self.t.required_note);
            self.raw("</p>");
        }

        for v in &views {
            self.field(v);
            self.marker(
                FIELD_MARK,
                &format!("{}:{}", Submits::of(&v.field.kind).mark(), v.field.name),
            );
        }

        if let Some(q) = f.confirm.as_deref().filter(|q| !q.trim().is_empty()) {
            let cid = self.id("c");
            self.raw("<fieldset class=\"confirm-box\"><legend>");
            self.text(q);
            self.raw("</legend>");
            self.confirm_checkbox(&cid);
            self.raw("</fieldset>");
        }
        self.raw("<div class=\"form-actions\"><button type=\"submit\" class=\"btn primary\">");
        let submit = if f.submit.trim().is_empty() {
            self.t.next
        } else {
            f.submit.as_str()
        };
        self.text(submit);
        self.raw("</button></div></form>");
    }

    /// ` id name [required] [aria-describedby] [aria-invalid]` of an input.
    fn attrs(&mut self, v: &View, id: &str, name: &str, help: bool) {
        self.raw(" id=\"");
        self.raw(id);
        self.raw("\" name=\"");
        self.text(name);
        self.raw("\"");
        if v.field.required {
            self.raw(" required");
        }
        self.described_by(v, help);
    }

    fn described_by(&mut self, v: &View, help: bool) {
        let mut ids = Vec::new();
        if help {
            ids.push(v.help_id());
        }
        if !v.errors.is_empty() {
            ids.push(v.error_id());
        }
        if !ids.is_empty() {
            self.raw(" aria-describedby=\"");
            self.raw(&ids.join(" "));
            self.raw("\"");
        }
        if !v.errors.is_empty() {
            self.raw(" aria-invalid=\"true\"");
        }
    }

    fn value_attr(&mut self, value: Option<&str>) {
        if let Some(val) = value {
            self.raw(" value=\"");
            self.text(val);
            self.raw("\"");
        }
    }

    fn label(&mut self, v: &View, for_id: &str) {
        self.raw("<label for=\"");
        self.raw(for_id);
        self.raw("\">");
        self.text(&v.field.label);
        self.required_mark(v);
        self.raw("</label>");
    }

    fn required_mark(&mut self, v: &View) {
        if v.field.required {
            self.raw(" <span class=\"req\" aria-hidden=\"true\">*</span>");
        }
    }

    /// The help paragraph and the error paragraph; returns whether there was help.
    fn help_and_error(&mut self, v: &View) -> bool {
        let mut help: Vec<String> = Vec::new();
        if let Some(h) = v.field.help.as_deref().filter(|h| !h.trim().is_empty()) {
            help.push(h.to_owned());
        }
        if let Some(h) = kind_hint(&v.field.kind, self.t) {
            help.push(h);
        }
        let has_help = !help.is_empty();
        if has_help {
            self.raw("<p class=\"help\" id=\"");
            self.raw(&v.help_id());
            self.raw("\">");
            self.text(&help.join(" "));
            self.raw("</p>");
        }
        if !v.errors.is_empty() {
            self.raw("<p class=\"error\" id=\"");
            self.raw(&v.error_id());
            self.raw("\"><span class=\"vh\">");
            self.raw(self.t.error);
            self.raw(": </span>");
            for (i, e) in v.errors.iter().enumerate() {
                if i > 0 {
                    self.raw("<br>");
                }
                self.text(e);
            }
            self.raw("</p>");
        }
        has_help
    }

    fn open_field(&mut self, v: &View, extra: &str) {
        self.raw("<div class=\"field");
        self.raw(extra);
        if !v.errors.is_empty() {
            self.raw(" has-error");
        }
        self.raw("\">");
    }

    fn field(&mut self, v: &View) {
        let name = v.field.name.as_str();
        let id = v.id.clone();
        let value = v.value.as_deref();
        match &v.field.kind {
            FieldKind::Hidden => {
                self.raw("<input type=\"hidden\" name=\"");
                self.text(name);
                self.raw("\" value=\"");
                self.text(value.unwrap_or(""));
                self.raw("\">");
            }
            FieldKind::Checkbox => {
                self.open_field(v, " check");
                let checked =
                    value.is_some_and(|x| matches!(x.trim(), "true" | "on" | "1" | "yes"));
                self.raw("<input type=\"checkbox\" value=\"true\"");
                self.attrs(v, &id, name, has_help(v, self.t));
                if checked {
                    self.raw(" checked");
                }
                self.raw(">");
                self.label(v, &id);
                self.help_and_error(v);
                self.raw("</div>");
            }
            FieldKind::MultiSelect(choices) => self.multi_select(v, choices),
            FieldKind::Radio(choices) => self.radio(v, choices),
            FieldKind::Location => self.location(v),
            kind => {
                self.open_field(v, "");
                self.label(v, &id);
                let help = self.help_and_error(v);
                match kind {
                    FieldKind::Text(max) | FieldKind::Multiline(max) => {
                        let multiline = matches!(kind, FieldKind::Multiline(_));
                        let one_time_code = !multiline
                            && self.ctx.base.is_empty()
                            && name == super::ONE_TIME_CODE_FIELD;
                        self.raw(if multiline {
                            "<textarea rows=\"5\""
                        } else if one_time_code {
                            "<input type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"\\s*([0-9]\\s*){6}\""
                        } else {
                            "<input type=\"text\""
                        });
                        self.attrs(v, &id, name, help);
                        let max = if *max == 0 {
                            MAX_TEXT_CHARS
                        } else {
                            (*max).min(MAX_TEXT_CHARS)
                        };
                        self.raw(" maxlength=\"");
                        self.raw(&max.to_string());
                        self.raw("\"");
                        if multiline {
                            self.raw(">");
                            // A leading newline in a textarea is eaten by the parser.
                            if value.is_some_and(|x| x.starts_with('\n')) {
                                self.raw("\n");
                            }
                            self.text(value.unwrap_or(""));
                            self.raw("</textarea>");
                        } else {
                            self.value_attr(value);
                            self.raw(">");
                        }
                    }
                    FieldKind::Phone | FieldKind::Email | FieldKind::Date | FieldKind::Scan => {
                        self.raw(match kind {
                            FieldKind::Phone => "<input type=\"tel\" autocomplete=\"tel\"",
                            FieldKind::Email => "<input type=\"email\" autocomplete=\"email\"",
                            // The script adds a camera button where the browser can read codes.
                            FieldKind::Scan => {
                                "<input type=\"text\" autocomplete=\"off\" autocapitalize=\"characters\" data-scan"
                            }
                            _ => "<input type=\"date\"",
                        });
                        self.attrs(v, &id, name, help);
                        self.value_attr(value);
                        self.raw(">");
                    }
                    FieldKind::Number(scale) => {
                        self.raw("<input type=\"text\" inputmode=\"decimal\" autocomplete=\"off\" pattern=\"");
                        self.text(&decimal_pattern(*scale));
                        self.raw("\"");
                        self.attrs(v, &id, name, help);
                        self.value_attr(value);
                        self.raw(">");
                    }
                    FieldKind::Money => {
                        self.raw("<div class=\"suffixed\"><input type=\"text\" inputmode=\"decimal\" autocomplete=\"off\" pattern=\"");
                        self.text("\\s*[\\-\u{2212}]?[0-9][0-9\\s]*([.,][0-9]{1,2})?\\s*(₽)?\\s*");
                        self.raw("\"");
                        self.attrs(v, &id, name, help);
                        self.value_attr(value);
                        self.raw("><span class=\"suffix\" aria-hidden=\"true\">₽</span><span class=\"vh\">");
                        self.raw(self.t.in_roubles);
                        self.raw("</span></div>");
                    }
                    FieldKind::Select(choices) => {
                        self.raw("<select");
                        self.attrs(v, &id, name, help);
                        self.raw(">");
                        let selected = value.unwrap_or("");
                        if v.field.required || !choices.iter().any(|c| c.value == selected) {
                            self.raw("<option value=\"\">");
                            self.raw(self.t.choose);
                            self.raw("</option>");
                        }
                        for c in choices {
                            self.raw("<option value=\"");
                            self.text(&c.value);
                            self.raw("\"");
                            if c.value == selected {
                                self.raw(" selected");
                            }
                            self.raw(">");
                            self.text(if c.label.is_empty() {
                                &c.value
                            } else {
                                &c.label
                            });
                            self.raw("</option>");
                        }
                        self.raw("</select>");
                    }
                    FieldKind::File(types) => {
                        self.raw("<input type=\"file\"");
                        self.attrs(v, &id, name, help);
                        if !types.is_empty() {
                            self.raw(" accept=\"");
                            self.text(&types.join(","));
                            self.raw("\"");
                        }
                        self.raw(">");
                        if let Some(h) = value.and_then(|id| url::file_href(id, self.ctx.files)) {
                            self.raw("<p class=\"small\">");
                            self.raw(self.t.current_file);
                            self.raw(": <a href=\"");
                            self.text(&h);
                            self.raw("\">");
                            self.text(value.unwrap_or(""));
                            self.raw("</a></p>");
                        }
                    }
                    // Drawn above.
                    FieldKind::Hidden
                    | FieldKind::Checkbox
                    | FieldKind::MultiSelect(_)
                    | FieldKind::Radio(_)
                    | FieldKind::Location => {}
                }
                self.raw("</div>");
            }
        }
    }

    fn marker(&mut self, mark: &str, value: &str) {
        self.raw("<input type=\"hidden\" name=\"");
        self.raw(mark);
        self.raw("\" value=\"");
        self.text(value);
        self.raw("\">");
    }

    fn multi_select(&mut self, v: &View, choices: &[Choice]) {
        let chosen: HashSet<&str> = v
            .value
            .as_deref()
            .map(|x| x.split('\n').collect())
            .unwrap_or_default();
        self.raw("<fieldset class=\"field group");
        if !v.errors.is_empty() {
            self.raw(" has-error");
        }
        self.raw("\"");
        let help = has_help(v, self.t);
        self.described_by(v, help);
        self.raw("><legend>");
        self.text(&v.field.label);
        self.required_mark(v);
        self.raw("</legend>");
        self.help_and_error(v);
        for (i, c) in choices.iter().enumerate() {
            let cid = format!("{}-{i}", v.id);
            self.raw("<div class=\"check\"><input type=\"checkbox\" id=\"");
            self.raw(&cid);
            self.raw("\" name=\"");
            self.text(&v.field.name);
            self.raw("\" value=\"");
            self.text(&c.value);
            self.raw("\"");
            if chosen.contains(c.value.as_str()) {
                self.raw(" checked");
            }
            self.raw("><label for=\"");
            self.raw(&cid);
            self.raw("\">");
            self.text(if c.label.is_empty() {
                &c.value
            } else {
                &c.label
            });
            self.raw("</label></div>");
        }
        self.raw("</fieldset>");
    }

    fn radio(&mut self, v: &View, choices: &[Choice]) {
        let chosen = v.value.as_deref().unwrap_or("");
        self.raw("<fieldset class=\"field group");
        if !v.errors.is_empty() {
            self.raw(" has-error");
        }
        self.raw("\"");
        let help = has_help(v, self.t);
        self.described_by(v, help);
        self.raw("><legend>");
        self.text(&v.field.label);
        self.required_mark(v);
        self.raw("</legend>");
        self.help_and_error(v);
        for (i, c) in choices.iter().enumerate() {
            let cid = format!("{}-{i}", v.id);
            self.raw("<div class=\"check\"><input type=\"radio\" id=\"");
            self.raw(&cid);
            self.raw("\" name=\"");
            self.text(&v.field.name);
            self.raw("\" value=\"");
            self.text(&c.value);
            self.raw("\"");
            if v.field.required {
                self.raw(" required");
            }
            if c.value == chosen {
                self.raw(" checked");
            }
            self.raw("><label for=\"");
            self.raw(&cid);
            self.raw("\">");
            self.text(if c.label.is_empty() {
                &c.value
            } else {
                &c.label
            });
            self.raw("</label></div>");
        }
        self.raw("</fieldset>");
    }

    fn location(&mut self, v: &View) {
        let (lat, lon) = match v.value.as_deref().and_then(|x| x.split_once(',')) {
            Some((a, b)) => (Some(a.trim()), Some(b.trim())),
            None => (None, None),
        };
        self.raw("<fieldset class=\"field group");
        if !v.errors.is_empty() {
            self.raw(" has-error");
        }
        self.raw("\"><legend>");
        self.text(&v.field.label);
        self.required_mark(v);
        self.raw("</legend>");
        let help = self.help_and_error(v);
        self.raw("<div class=\"pair\">");
        for (suffix, label, value, limit) in [
            ("lat", self.t.latitude, lat, 90),
            ("lon", self.t.longitude, lon, 180),
        ] {
            let id = format!("{}-{suffix}", v.id);
            self.raw("<div><label for=\"");
            self.raw(&id);
            self.raw("\">");
            self.raw(label);
            self.raw("</label><input type=\"number\" inputmode=\"decimal\" step=\"any\" min=\"-");
            self.raw(&limit.to_string());
            self.raw("\" max=\"");
            self.raw(&limit.to_string());
            self.raw("\"");
            self.attrs(v, &id, &format!("{}.{suffix}", v.field.name), help);
            self.value_attr(value.filter(|x| !x.is_empty()));
            self.raw("></div>");
        }
        self.raw("</div>");
        // With the instance's map: tap it to set the point, or take the device's position.
        // The script shows these; without it the two numbers are typed.
        if let Some(tiles) = self.ctx.tiles {
            let points: Vec<super::MapPoint> = match (lat, lon) {
                (Some(a), Some(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(lat), Ok(lon)) => vec![super::MapPoint {
                        lat,
                        lon,
                        text: String::new(),
                        label: v.field.label.clone(),
                        href: None,
                        tone: "tone-info",
                    }],
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            self.raw("<div class=\"map-pick\" hidden data-pick=\"");
            self.raw(&v.id);
            self.raw("\"><p class=\"help\">");
            self.raw(self.t.pick_on_map);
            self.raw("</p>");
            let map = super::map_element(&tiles, &points, &v.field.label);
            self.raw(&map);
            self.raw("<button type=\"button\" class=\"btn locate\">");
            self.raw(self.t.my_position);
            self.raw("</button></div>");
        }
        self.raw("</fieldset>");
    }
}

/// Whether a field shows a help paragraph.
fn has_help(v: &View, t: &Strings) -> bool {
    v.field
        .help
        .as_deref()
        .is_some_and(|h| !h.trim().is_empty())
        || kind_hint(&v.field.kind, t).is_some()
}

/// The id the error summary links to: the field's (first) input.
fn first_input_id(v: &View) -> String {
    match &v.field.kind {
        FieldKind::MultiSelect(_) | FieldKind::Radio(_) => format!("{}-0", v.id),
        FieldKind::Location => format!("{}-lat", v.id),
        _ => v.id.clone(),
    }
}

/// Name–value pairs of a form, in order.
pub type Pairs = Vec<(String, String)>;

/// Turns a posted form into the typed values the contract promises, using the marker each
/// rendered field carries: money typed in roubles (`1 234,56`) becomes kopecks, decimals typed
/// with a comma or a point become decimals, a date input's `YYYY-MM-DD` a day, a location's
/// `{name}.lat` / `{name}.lon` one point, repeated names of a multi-select a list, and an
/// unticked checkbox (which browsers do not send) `false`. Values without a marker (a button's
/// arguments) are text. Empty fields are `none` (whether a field is required is the plugin's
/// business). The markers themselves are dropped.
///
/// On failure returns `(field, message)` errors in the locale, ready for
/// [`super::PageContext::field_errors`] (with the raw pairs as `form_values`).
pub fn typed_form(pairs: &[(String, String)], locale: &str) -> Result<Vec<FormEntry>, Pairs> {
    let t = Strings::of(locale);
    let mut kinds: Vec<(&str, Submits)> = Vec::new();
    for (k, v) in pairs {
        if k == FIELD_MARK
            && let Some((mark, name)) = v.split_once(':')
            && let Some(kind) = Submits::parse_mark(mark)
            && !kinds.iter().any(|(n, _)| *n == name)
        {
            kinds.push((name, kind));
        }
    }
    let kind_of = |name: &str| kinds.iter().find(|(n, _)| *n == name).map(|(_, k)| *k);
    let values_of = |name: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect()
    };
    let mut out: Vec<FormEntry> = Vec::with_capacity(pairs.len());
    let mut errors = Vec::new();
    let mut done: HashSet<&str> = HashSet::new();
    let names = pairs
        .iter()
        .map(|(k, _)| {
            let k = k.as_str();
            let base = k.strip_suffix(".lat").or(k.strip_suffix(".lon"));
            match base {
                Some(b) if kind_of(b) == Some(Submits::Point) => b,
                _ => k,
            }
        })
        .chain(kinds.iter().map(|(n, _)| *n));
    for name in names {
        if name == FIELD_MARK || !done.insert(name) {
            continue;
        }
        let first = values_of(name).first().copied().unwrap_or("");
        let kind = kind_of(name).unwrap_or(Submits::Text);
        let value = match kind {
            Submits::Text | Submits::File => {
                if first.is_empty() {
                    FieldValue::None
                } else if kind == Submits::File {
                    FieldValue::File(first.to_owned())
                } else {
                    // Text keeps its inner whitespace (a multi-line note), only the ends go.
                    let raw = pairs
                        .iter()
                        .find(|(k, _)| k == name)
                        .map_or("", |(_, v)| v.trim());
                    if raw.chars().count() > MAX_TEXT_CHARS as usize {
                        errors.push((name.to_owned(), t.text_too_long.to_owned()));
                        continue;
                    }
                    FieldValue::Text(raw.to_owned())
                }
            }
            Submits::Choice if first.is_empty() => FieldValue::None,
            Submits::Choice => FieldValue::Choice(first.to_owned()),
            Submits::Choices => FieldValue::Choices(
                values_of(name)
                    .into_iter()
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            Submits::Flag => FieldValue::Flag(matches!(first, "true" | "on" | "1" | "yes")),
            Submits::Money if first.is_empty() => FieldValue::None,
            Submits::Money => match parse_money(first) {
                Some(k) => FieldValue::Money(k),
                None => {
                    errors.push((name.to_owned(), t.bad_money.to_owned()));
                    continue;
                }
            },
            Submits::Number(_) if first.is_empty() => FieldValue::None,
            Submits::Number(scale) => match parse_decimal(first, scale) {
                Some(d) => FieldValue::Number(d),
                None => {
                    errors.push((name.to_owned(), t.bad_number.to_owned()));
                    continue;
                }
            },
            Submits::Day if first.is_empty() => FieldValue::None,
            Submits::Day => match parse_day(first) {
                Some(d) => FieldValue::Day(d),
                None => {
                    errors.push((name.to_owned(), t.bad_date.to_owned()));
                    continue;
                }
            },
            Submits::Point => {
                let part = |suffix: &str| {
                    values_of(&format!("{name}.{suffix}"))
                        .first()
                        .copied()
                        .unwrap_or("")
                        .to_owned()
                };
                let (lat, lon) = match (part("lat"), part("lon")) {
                    (lat, lon) if lat.is_empty() && lon.is_empty() => {
                        // A point sent whole (`lat,lon`, as the map widget posts it).
                        match first.split_once(',') {
                            Some((a, b)) => (a.to_owned(), b.to_owned()),
                            None if first.is_empty() => {
                                out.push(FormEntry {
                                    name: name.to_owned(),
                                    value: FieldValue::None,
                                });
                                continue;
                            }
                            None => (first.to_owned(), String::new()),
                        }
                    }
                    pair => pair,
                };
                let parse = |s: &str, limit: f64| {
                    s.trim()
                        .replace(',', ".")
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && x.abs() <= limit)
                };
                match (parse(&lat, 90.0), parse(&lon, 180.0)) {
                    (Some(lat), Some(lon)) => FieldValue::Point(GeoPoint { lat, lon }),
                    _ => {
                        errors.push((name.to_owned(), t.bad_location.to_owned()));
                        continue;
                    }
                }
            }
        };
        out.push(FormEntry {
            name: name.to_owned(),
            value,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

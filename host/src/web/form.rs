//! Forms: typed fields, errors next to them, and turning a submission into the contract's values.

use std::collections::{HashMap, HashSet};

use crate::runtime::latest::dvor::plugin::ui::{Choice, Field, FieldKind, Form};

use super::blocks::Renderer;
use super::format::{iso, money_input_value, parse_decimal, parse_money};
use super::{Strings, url};

/// Hidden marker: the named field is money typed in roubles, to submit as kopecks.
const MONEY_MARK: &str = "_dvor.money";
/// Hidden marker: `{scale}:{name}`, a decimal typed with a comma or a point.
const DECIMAL_MARK: &str = "_dvor.decimal";
/// Hidden marker: the named field is a location typed as `{name}.lat` and `{name}.lon`.
const LOCATION_MARK: &str = "_dvor.location";

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
            Some(format!("{}: {}.", t.accepted_types, types.join(", ")))
        }
        FieldKind::Location => Some(t.location_help.to_owned()),
        _ => None,
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
        let value = value.or_else(|| {
            let own = field.value.clone()?;
            Some(match &field.kind {
                // The plugin's own values are kopecks / timestamps; show them editable.
                FieldKind::Money => match own.trim().parse::<i64>() {
                    Ok(k) => money_input_value(k, self.ctx.locale),
                    Err(_) => own,
                },
                FieldKind::Date => match own.trim().parse::<i64>() {
                    Ok(ms) => iso(ms, self.ctx.utc_offset_minutes, false).unwrap_or(own),
                    Err(_) => own.get(..10).map_or(own.clone(), str::to_owned),
                },
                FieldKind::MultiSelect(_) => {
                    own.split(',').map(str::trim).collect::<Vec<_>>().join("\n")
                }
                _ => own,
            })
        });
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
            self.raw("<div class=\"notice tone-danger\" role=\"alert\"><p><strong>");
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
            FieldKind::Location => self.location(v),
            kind => {
                self.open_field(v, "");
                self.label(v, &id);
                let help = self.help_and_error(v);
                match kind {
                    FieldKind::Text(max) | FieldKind::Multiline(max) => {
                        let multiline = matches!(kind, FieldKind::Multiline(_));
                        self.raw(if multiline {
                            "<textarea rows=\"5\""
                        } else {
                            "<input type=\"text\""
                        });
                        self.attrs(v, &id, name, help);
                        if *max > 0 {
                            self.raw(" maxlength=\"");
                            self.raw(&max.to_string());
                            self.raw("\"");
                        }
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
                    FieldKind::Phone | FieldKind::Email | FieldKind::Date => {
                        self.raw(match kind {
                            FieldKind::Phone => "<input type=\"tel\" autocomplete=\"tel\"",
                            FieldKind::Email => "<input type=\"email\" autocomplete=\"email\"",
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
                        self.marker(DECIMAL_MARK, &format!("{scale}:{name}"));
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
                        self.marker(MONEY_MARK, name);
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
                        if let Some(h) = value.and_then(url::file_href) {
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
        self.marker(LOCATION_MARK, &v.field.name);
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
        FieldKind::MultiSelect(_) => format!("{}-0", v.id),
        FieldKind::Location => format!("{}-lat", v.id),
        _ => v.id.clone(),
    }
}

/// Name–value pairs of a form, in order.
pub type Pairs = Vec<(String, String)>;

/// Turns a posted form into what the plugin's contract promises, using the hidden markers the
/// rendered form carries: money typed in roubles (`1 234,56`) becomes kopecks (`123456`),
/// decimals typed with a comma get a point, and a location's `{name}.lat` / `{name}.lon` become
/// one `{name}` = `lat,lon`. The markers are removed; everything else passes through in order.
/// Empty values stay empty (whether a field is required is the plugin's business).
///
/// On failure returns `(field, message)` errors in the locale, ready for
/// [`super::PageContext::field_errors`] (with the raw pairs as `form_values`).
pub fn normalize_form(pairs: &[(String, String)], locale: &str) -> Result<Pairs, Pairs> {
    let t = Strings::of(locale);
    let mut money = HashSet::new();
    let mut decimal: HashMap<&str, u8> = HashMap::new();
    let mut location = HashSet::new();
    for (k, v) in pairs {
        match k.as_str() {
            MONEY_MARK => {
                money.insert(v.as_str());
            }
            DECIMAL_MARK => {
                if let Some((scale, name)) = v.split_once(':')
                    && let Ok(scale) = scale.parse::<u8>()
                {
                    decimal.insert(name, scale);
                }
            }
            LOCATION_MARK => {
                location.insert(v.as_str());
            }
            _ => {}
        }
    }
    let find = |name: String| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim())
    };
    let mut out = Vec::with_capacity(pairs.len());
    let mut errors = Vec::new();
    let mut done_locations = HashSet::new();
    for (k, v) in pairs {
        let key = k.as_str();
        if matches!(key, MONEY_MARK | DECIMAL_MARK | LOCATION_MARK) {
            continue;
        }
        let loc_name = key
            .strip_suffix(".lat")
            .or(key.strip_suffix(".lon"))
            .filter(|n| location.contains(n));
        if let Some(name) = loc_name {
            if !done_locations.insert(name) {
                continue;
            }
            let lat = find(format!("{name}.lat")).unwrap_or("");
            let lon = find(format!("{name}.lon")).unwrap_or("");
            if lat.is_empty() && lon.is_empty() {
                out.push((name.to_owned(), String::new()));
                continue;
            }
            let parse = |s: &str, limit: f64| {
                s.replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && x.abs() <= limit)
            };
            match (parse(lat, 90.0), parse(lon, 180.0)) {
                (Some(a), Some(b)) => out.push((name.to_owned(), format!("{a},{b}"))),
                _ => errors.push((name.to_owned(), t.bad_location.to_owned())),
            }
            continue;
        }
        if money.contains(key) && !v.trim().is_empty() {
            match parse_money(v) {
                Some(k) => out.push((key.to_owned(), k.to_string())),
                None => errors.push((key.to_owned(), t.bad_money.to_owned())),
            }
            continue;
        }
        if let Some(scale) = decimal.get(key).copied()
            && !v.trim().is_empty()
        {
            match parse_decimal(v, scale) {
                Some(d) => out.push((key.to_owned(), d)),
                None => errors.push((key.to_owned(), t.bad_number.to_owned())),
            }
            continue;
        }
        out.push((k.clone(), v.clone()));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

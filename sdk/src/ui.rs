//! Builders for the typed pages the host draws.
//!
//! ```
//! use dvor_sdk::ui::*;
//! let page = Page::new("Показания")
//!     .breadcrumb(Link::to("", "Счётчики"))
//!     .section(
//!         Section::titled("Новое показание")
//!             .paragraph("Передайте показания до 25 числа.")
//!             .form(
//!                 Form::new("submit-reading", "Отправить")
//!                     .field(Field::money("amount", "Сумма").required())
//!                     .field(Field::date("day", "Дата")),
//!             ),
//!     )
//!     .section(Section::untitled().buttons([
//!         Button::action("close", "Закрыть").confirm("Точно?").tone(Tone::Danger),
//!     ]));
//! assert_eq!(page.sections.len(), 2);
//! ```
//!
//! Identifiers come first and the text people see second: `Link::to(route, label)`,
//! `Button::action(action, label)`, `Form::new(action, submit)`, `Field::text(name, label)`.

use crate::bindings::dvor::plugin::{types, ui};
use crate::date::Date;
use crate::money::{Decimal, Kopecks};

pub use types::GeoPoint;
pub use ui::{
    ActionOutcome, Attachment, Badge, Block, Button, Cell, Chart, ChartKind, Choice, Column,
    EmptyState, Field, FieldError, FieldKind, FieldValue, Form, FormEntry, Image, ImageSource,
    InvalidForm, KeyValue, Link, Marker, Notice, Page, Progress, Redirect, Row, Section, Series,
    Stat, Table, Tile, TilePlace, TimelineEntry, Tone, ValueFormat,
};

impl Page {
    /// An empty page titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        Page {
            title: title.into(),
            breadcrumbs: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// Add a link up, outermost first.
    pub fn breadcrumb(mut self, link: Link) -> Self {
        self.breadcrumbs.push(link);
        self
    }

    /// Add a section below the others.
    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }
}

impl Section {
    /// An empty section with a title.
    pub fn titled(title: impl Into<String>) -> Self {
        Section {
            title: Some(title.into()),
            blocks: Vec::new(),
            live: None,
        }
    }

    /// An empty section without a title.
    pub fn untitled() -> Self {
        Section {
            title: None,
            blocks: Vec::new(),
            live: None,
        }
    }

    /// Follow live `channel` (of this plugin, in the page's community) while the page is open:
    /// each update's blocks go into this section without a reload
    /// ([`crate::live::append`], [`crate::live::replace`]). The host first asks the plugin's
    /// [`Plugin::subscribe`](crate::Plugin::subscribe) whether the viewer may follow it.
    pub fn live(mut self, channel: impl Into<String>) -> Self {
        self.live = Some(channel.into());
        self
    }

    /// Add any block below the others.
    pub fn block(mut self, block: Block) -> Self {
        self.blocks.push(block);
        self
    }

    /// Add a heading.
    pub fn heading(self, text: impl Into<String>) -> Self {
        self.block(Block::Heading(text.into()))
    }

    /// Add a paragraph.
    pub fn paragraph(self, text: impl Into<String>) -> Self {
        self.block(Block::Paragraph(text.into()))
    }

    /// Add a coloured notice.
    pub fn notice(self, tone: Tone, text: impl Into<String>) -> Self {
        self.block(Block::Notice(Notice {
            tone,
            text: text.into(),
        }))
    }

    /// Add an image from a stored file (a photo), described by `alt`.
    pub fn photo(self, file_id: impl Into<String>, alt: impl Into<String>) -> Self {
        self.block(Block::Image(Image {
            source: ImageSource::File(file_id.into()),
            alt: alt.into(),
            width: None,
        }))
    }

    /// Add a QR code of `text` that the host draws, big enough for a phone's camera, with
    /// `caption` under it (also what it says to people who cannot see it).
    pub fn qr(self, text: impl Into<String>, caption: impl Into<String>) -> Self {
        self.block(Block::Image(Image {
            source: ImageSource::Qr(text.into()),
            alt: caption.into(),
            width: None,
        }))
    }

    /// Add a downloadable file: its id, the name shown, its MIME type and size.
    pub fn attachment(
        self,
        file_id: impl Into<String>,
        name: impl Into<String>,
        mime: impl Into<String>,
        size: u64,
    ) -> Self {
        self.block(Block::Attachment(Attachment {
            file_id: file_id.into(),
            name: name.into(),
            mime: mime.into(),
            size,
        }))
    }

    /// Add label–value pairs.
    pub fn fields<L: Into<String>>(self, pairs: impl IntoIterator<Item = (L, Cell)>) -> Self {
        let pairs = pairs
            .into_iter()
            .map(|(label, value)| KeyValue {
                label: label.into(),
                value,
            })
            .collect();
        self.block(Block::Fields(pairs))
    }

    /// Add a table.
    pub fn table(self, table: Table) -> Self {
        self.block(Block::Table(table))
    }

    /// Add a form.
    pub fn form(self, form: Form) -> Self {
        self.block(Block::Form(form))
    }

    /// Add a row of buttons.
    pub fn buttons(self, buttons: impl IntoIterator<Item = Button>) -> Self {
        self.block(Block::Buttons(buttons.into_iter().collect()))
    }

    /// Add links to pages.
    pub fn links(self, links: impl IntoIterator<Item = Link>) -> Self {
        self.block(Block::Links(links.into_iter().collect()))
    }

    /// Add stat cards.
    pub fn stats(self, stats: impl IntoIterator<Item = Stat>) -> Self {
        self.block(Block::Stats(stats.into_iter().collect()))
    }

    /// Add badges.
    pub fn badges(self, badges: impl IntoIterator<Item = Badge>) -> Self {
        self.block(Block::Badges(badges.into_iter().collect()))
    }

    /// Add an empty state.
    pub fn empty(self, title: impl Into<String>, text: impl Into<String>) -> Self {
        self.block(Block::Empty(EmptyState {
            title: title.into(),
            text: text.into(),
            link: None,
        }))
    }
}

impl Link {
    /// A link labelled `label` to plugin page `route` (`""` is the home page).
    pub fn to(route: impl Into<String>, label: impl Into<String>) -> Self {
        Link {
            label: label.into(),
            route: route.into(),
            query: Vec::new(),
        }
    }

    /// Add a query parameter.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }
}

impl Button {
    /// A button labelled `label` that runs action `action`.
    pub fn action(action: impl Into<String>, label: impl Into<String>) -> Self {
        Button {
            label: label.into(),
            action: action.into(),
            args: Vec::new(),
            confirm: None,
            tone: Tone::Neutral,
            primary: false,
        }
    }

    /// The main action of its row or page (drawn filled).
    pub fn primary(mut self) -> Self {
        self.primary = true;
        self
    }

    /// Send an argument with the action.
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.args.push((name.into(), value.into()));
        self
    }

    /// Ask this question before running the action.
    pub fn confirm(mut self, question: impl Into<String>) -> Self {
        self.confirm = Some(question.into());
        self
    }

    /// Its colour.
    pub fn tone(mut self, tone: Tone) -> Self {
        self.tone = tone;
        self
    }
}

impl Badge {
    /// A coloured label.
    pub fn new(label: impl Into<String>, tone: Tone) -> Self {
        Badge {
            label: label.into(),
            tone,
        }
    }
}

impl Stat {
    /// A stat card: what it counts and its value.
    pub fn new(label: impl Into<String>, value: impl Into<Cell>) -> Self {
        Stat {
            label: label.into(),
            value: value.into(),
            hint: None,
            tone: Tone::Neutral,
        }
    }

    /// A note under the value.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Its colour.
    pub fn tone(mut self, tone: Tone) -> Self {
        self.tone = tone;
        self
    }
}

impl Cell {
    /// A date (the time of day is not shown), from a timestamp.
    pub fn date(timestamp: i64) -> Self {
        Cell::Date(timestamp)
    }

    /// A date and time, from a timestamp.
    pub fn datetime(timestamp: i64) -> Self {
        Cell::Datetime(timestamp)
    }

    /// A calendar day.
    pub fn day(day: Date) -> Self {
        Cell::Day(types::Date {
            year: day.year(),
            month: day.month(),
            day: day.day(),
        })
    }
}

impl From<Date> for Cell {
    fn from(v: Date) -> Self {
        Cell::day(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_owned())
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Integer(v)
    }
}

impl From<Kopecks> for Cell {
    fn from(v: Kopecks) -> Self {
        Cell::Money(v.0)
    }
}

impl From<Decimal> for Cell {
    fn from(v: Decimal) -> Self {
        Cell::Decimal(types::Decimal {
            value: v.value(),
            scale: v.scale(),
        })
    }
}

impl From<Link> for Cell {
    fn from(v: Link) -> Self {
        Cell::Link(v)
    }
}

impl From<Badge> for Cell {
    fn from(v: Badge) -> Self {
        Cell::Badge(v)
    }
}

/// None is an empty cell.
impl<C: Into<Cell>> From<Option<C>> for Cell {
    fn from(v: Option<C>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

impl Column {
    /// A left-aligned column.
    pub fn text(label: impl Into<String>) -> Self {
        Column {
            label: label.into(),
            numeric: false,
        }
    }

    /// A right-aligned column, for numbers and money.
    pub fn numeric(label: impl Into<String>) -> Self {
        Column {
            label: label.into(),
            numeric: true,
        }
    }
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: impl IntoIterator<Item = Column>) -> Self {
        Table {
            columns: columns.into_iter().collect(),
            rows: Vec::new(),
            empty_text: String::new(),
            next_page: None,
        }
    }

    /// Add a row.
    pub fn row(mut self, row: Row) -> Self {
        self.rows.push(row);
        self
    }

    /// Add rows.
    pub fn rows(mut self, rows: impl IntoIterator<Item = Row>) -> Self {
        self.rows.extend(rows);
        self
    }

    /// What to show when there are no rows.
    pub fn empty_text(mut self, text: impl Into<String>) -> Self {
        self.empty_text = text.into();
        self
    }

    /// A link to the next page, if there is one.
    pub fn next_page(mut self, link: Option<Link>) -> Self {
        self.next_page = link;
        self
    }
}

impl Row {
    /// A row of cells, one per column.
    pub fn new(cells: impl IntoIterator<Item = Cell>) -> Self {
        Row {
            cells: cells.into_iter().collect(),
            actions: Vec::new(),
            link: None,
            tone: Tone::Neutral,
        }
    }

    /// Add a button at the end of the row.
    pub fn action(mut self, button: Button) -> Self {
        self.actions.push(button);
        self
    }

    /// Opening the row follows `link`.
    pub fn link(mut self, link: Link) -> Self {
        self.link = Some(link);
        self
    }

    /// Highlight the row.
    pub fn tone(mut self, tone: Tone) -> Self {
        self.tone = tone;
        self
    }
}

impl Form {
    /// An empty form posting to action `action`, with `submit` on its button.
    pub fn new(action: impl Into<String>, submit: impl Into<String>) -> Self {
        Form {
            action: action.into(),
            fields: Vec::new(),
            submit: submit.into(),
            confirm: None,
        }
    }

    /// Add a field below the others.
    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    /// Ask this question before submitting.
    pub fn confirm(mut self, question: impl Into<String>) -> Self {
        self.confirm = Some(question.into());
        self
    }
}

impl Field {
    /// A field of any kind.
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> Self {
        Field {
            name: name.into(),
            label: label.into(),
            kind,
            required: false,
            value: FieldValue::None,
            help: None,
            error: None,
        }
    }

    /// One of a few `choices`, all shown at once (radio buttons), given as `(value, label)`.
    pub fn radio<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, FieldKind::Radio(to_choices(choices)))
    }

    /// A code read by the phone's camera from a QR code or a barcode, or typed by hand.
    pub fn scan(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Scan)
    }

    /// One line of text.
    pub fn text(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Text(0))
    }

    /// Several lines of text.
    pub fn multiline(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Multiline(0))
    }

    /// A phone number.
    pub fn phone(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Phone)
    }

    /// An e-mail address.
    pub fn email(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Email)
    }

    /// A decimal number with `decimals` digits after the point.
    pub fn number(name: impl Into<String>, label: impl Into<String>, decimals: u8) -> Self {
        Self::new(name, label, FieldKind::Number(decimals))
    }

    /// Money; submitted as integer kopecks (read it with
    /// [`Params::kopecks`](crate::Params::kopecks)).
    pub fn money(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Money)
    }

    /// A date, submitted as `YYYY-MM-DD`.
    pub fn date(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Date)
    }

    /// One of `choices`, given as `(value, label)`.
    pub fn select<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, FieldKind::Select(to_choices(choices)))
    }

    /// Any of `choices`, given as `(value, label)`; submitted as repeated values.
    pub fn multi_select<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, FieldKind::MultiSelect(to_choices(choices)))
    }

    /// A checkbox, submitted as `true` when ticked.
    pub fn checkbox(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Checkbox)
    }

    /// A file or photo of these MIME types (none: any); submitted as a stored file's id.
    pub fn file<M: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        mime_types: impl IntoIterator<Item = M>,
    ) -> Self {
        let types = mime_types.into_iter().map(Into::into).collect();
        Self::new(name, label, FieldKind::File(types))
    }

    /// A point on a map, submitted as `lat,lon`.
    pub fn location(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Location)
    }

    /// A value carried along, not shown.
    pub fn hidden(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(name, "", FieldKind::Hidden).value(value)
    }

    /// It must be filled in.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// At most `chars` characters, for text and multiline fields (others ignore it).
    pub fn max_length(mut self, chars: u32) -> Self {
        if let FieldKind::Text(max) | FieldKind::Multiline(max) = &mut self.kind {
            *max = chars;
        }
        self
    }

    /// The current value, as text in the format of the field's kind, as [`Params`] gives it
    /// back: kopecks for money, `YYYY-MM-DD` for a date, `true` for a ticked box, `lat,lon`,
    /// comma-separated choices. Set the kind first (`Field::money(…).value(…)`); text that does
    /// not fit the kind is shown as it is.
    ///
    /// [`Params`]: crate::Params
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value_of_text(&self.kind, value.into());
        self
    }

    /// The current value, typed.
    pub fn typed_value(mut self, value: FieldValue) -> Self {
        self.value = value;
        self
    }

    /// The current amount of a money field.
    pub fn money_value(self, value: Kopecks) -> Self {
        self.typed_value(FieldValue::Money(value.0))
    }

    /// The current day of a date field.
    pub fn day_value(self, day: Date) -> Self {
        self.typed_value(FieldValue::Day(types::Date {
            year: day.year(),
            month: day.month(),
            day: day.day(),
        }))
    }

    /// Whether a checkbox is ticked.
    pub fn checked(self, ticked: bool) -> Self {
        self.typed_value(FieldValue::Flag(ticked))
    }

    /// A hint under the field.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// An error next to the field.
    pub fn error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }
}

/// A field's value given as text in the format of its kind, typed.
fn value_of_text(kind: &FieldKind, text: String) -> FieldValue {
    if text.is_empty() {
        return FieldValue::None;
    }
    let parsed = match kind {
        FieldKind::Money => text.trim().parse().ok().map(FieldValue::Money),
        FieldKind::Date => text
            .get(..10)
            .and_then(|d| d.parse::<Date>().ok())
            .map(|d| {
                FieldValue::Day(types::Date {
                    year: d.year(),
                    month: d.month(),
                    day: d.day(),
                })
            }),
        FieldKind::Checkbox => Some(FieldValue::Flag(text == "true")),
        FieldKind::Number(scale) => text.parse::<Decimal>().ok().and_then(|d| {
            (d.scale() <= *scale).then_some(FieldValue::Number(types::Decimal {
                value: d.value(),
                scale: d.scale(),
            }))
        }),
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

/// Typed form values as text in the format of their kinds (what [`Field::value`] takes): the
/// pairs [`crate::Params`] reads.
pub(crate) fn entries_as_pairs(entries: &[FormEntry]) -> Vec<(String, String)> {
    let mut pairs = Vec::with_capacity(entries.len());
    for entry in entries {
        let value = match &entry.value {
            FieldValue::None => String::new(),
            FieldValue::Text(t) | FieldValue::Choice(t) | FieldValue::File(t) => t.clone(),
            FieldValue::Number(d) => Decimal::new(d.value, d.scale).to_string(),
            FieldValue::Money(k) => k.to_string(),
            FieldValue::Day(d) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
            FieldValue::Choices(values) => {
                pairs.extend(values.iter().map(|v| (entry.name.clone(), v.clone())));
                continue;
            }
            FieldValue::Flag(true) => "true".into(),
            FieldValue::Flag(false) => continue,
            FieldValue::Point(p) => format!("{},{}", p.lat, p.lon),
        };
        pairs.push((entry.name.clone(), value));
    }
    pairs
}

fn to_choices<V: Into<String>, L: Into<String>>(
    choices: impl IntoIterator<Item = (V, L)>,
) -> Vec<Choice> {
    choices
        .into_iter()
        .map(|(value, label)| Choice {
            value: value.into(),
            label: label.into(),
        })
        .collect()
}

impl ActionOutcome {
    /// Go to `link`, showing a short notice.
    pub fn redirect(link: Link, notice: impl Into<String>) -> Self {
        ActionOutcome::Redirect(Redirect {
            to: link,
            notice: Some(notice.into()),
        })
    }

    /// Go to `link` without a notice.
    pub fn redirect_silently(link: Link) -> Self {
        ActionOutcome::Redirect(Redirect {
            to: link,
            notice: None,
        })
    }

    /// Show the posted form again with these `(field, message)` errors.
    pub fn invalid<F: Into<String>, M: Into<String>>(
        errors: impl IntoIterator<Item = (F, M)>,
    ) -> Self {
        ActionOutcome::Invalid(InvalidForm {
            errors: errors
                .into_iter()
                .map(|(field, message)| FieldError {
                    field: field.into(),
                    message: message.into(),
                })
                .collect(),
            form: None,
        })
    }

    /// Show form `action` of the page (not the posted one) with these `(field, message)` errors.
    pub fn invalid_in<F: Into<String>, M: Into<String>>(
        action: impl Into<String>,
        errors: impl IntoIterator<Item = (F, M)>,
    ) -> Self {
        match Self::invalid(errors) {
            ActionOutcome::Invalid(mut invalid) => {
                invalid.form = Some(action.into());
                ActionOutcome::Invalid(invalid)
            }
            other => other,
        }
    }

    /// Show `page`.
    pub fn show(page: Page) -> Self {
        ActionOutcome::Show(page)
    }

    /// An action's result with an error that names a field turned into that field's form
    /// error (shown next to it); other errors and successes pass through.
    pub fn errors_next_to_fields(
        result: crate::error::Result<ActionOutcome>,
    ) -> crate::error::Result<ActionOutcome> {
        match result {
            Err(crate::error::Error {
                field: Some(field),
                message,
                ..
            }) => Ok(ActionOutcome::invalid([(field, message)])),
            other => other,
        }
    }
}

impl Chart {
    /// A chart of `kind` titled `title` over `labels`, with plain numbers.
    pub fn new<L: Into<String>>(
        kind: ChartKind,
        title: impl Into<String>,
        labels: impl IntoIterator<Item = L>,
    ) -> Self {
        Chart {
            kind,
            title: title.into(),
            labels: labels.into_iter().map(Into::into).collect(),
            series: Vec::new(),
            format: ValueFormat::Number,
            unit: String::new(),
        }
    }

    /// Add a series: its legend and one value per label.
    pub fn series(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = f64>,
    ) -> Self {
        self.series.push(Series {
            name: name.into(),
            values: values.into_iter().collect(),
        });
        self
    }

    /// How the values are written, and the unit after them (`"м³"`, `""` for none).
    pub fn format(mut self, format: ValueFormat, unit: impl Into<String>) -> Self {
        self.format = format;
        self.unit = unit.into();
        self
    }
}

impl Marker {
    /// A point at `lat`, `lon` labelled `label`.
    pub fn at(lat: f64, lon: f64, label: impl Into<String>) -> Self {
        Marker {
            point: GeoPoint { lat, lon },
            label: label.into(),
            link: None,
            tone: Tone::Neutral,
        }
    }

    /// The plugin page it opens.
    pub fn link(mut self, link: Link) -> Self {
        self.link = Some(link);
        self
    }

    /// Its colour.
    pub fn tone(mut self, tone: Tone) -> Self {
        self.tone = tone;
        self
    }
}

impl Tile {
    /// A tile for a host page titled `title` (see [`Plugin::summary`](crate::Plugin::summary)).
    pub fn new(title: impl Into<String>) -> Self {
        Tile {
            title: title.into(),
            lines: Vec::new(),
            count: None,
            tone: Tone::Neutral,
            link: None,
        }
    }

    /// A line of text (the host shows at most four).
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.lines.push(line.into());
        self
    }

    /// A number worth a badge.
    pub fn count(mut self, count: i64) -> Self {
        self.count = Some(count);
        self
    }

    /// Its colour.
    pub fn tone(mut self, tone: Tone) -> Self {
        self.tone = tone;
        self
    }

    /// The plugin page it opens (the home page if none).
    pub fn link(mut self, link: Link) -> Self {
        self.link = Some(link);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_page() {
        let page = Page::new("Заявки")
            .breadcrumb(Link::to("", "Главная"))
            .section(
                Section::titled("Заявка №42")
                    .paragraph("Течёт кран")
                    .fields([
                        ("Сумма", Cell::from(Kopecks(12_345))),
                        ("Площадь", Decimal::new(543, 1).into()),
                        ("Исполнитель", Cell::from(None::<String>)),
                    ])
                    .table(
                        Table::new([Column::text("Дата"), Column::numeric("Сумма")])
                            .row(
                                Row::new([Cell::date(0), Kopecks(100).into()])
                                    .link(Link::to("requests/42", "Заявка №42").param("tab", "log"))
                                    .tone(Tone::Warning),
                            )
                            .empty_text("Пусто"),
                    )
                    .buttons([Button::action("close", "Закрыть")
                        .arg("id", "42")
                        .confirm("Точно?")
                        .tone(Tone::Danger)]),
            );
        assert_eq!(page.title, "Заявки");
        assert_eq!(page.breadcrumbs[0].route, "");
        let blocks = &page.sections[0].blocks;
        assert_eq!(blocks.len(), 4);
        assert_eq!(blocks[0], Block::Paragraph("Течёт кран".into()));
        let Block::Fields(fields) = &blocks[1] else {
            panic!("not fields: {:?}", blocks[1])
        };
        assert_eq!(fields[0].value, Cell::Money(12_345));
        assert_eq!(
            fields[1].value,
            Cell::Decimal(types::Decimal {
                value: 543,
                scale: 1
            })
        );
        assert_eq!(fields[2].value, Cell::Empty);
        let Block::Table(table) = &blocks[2] else {
            panic!("not a table")
        };
        assert!(table.columns[1].numeric);
        let link = table.rows[0].link.as_ref().unwrap();
        assert_eq!(link.query, [("tab".to_owned(), "log".to_owned())]);
        let Block::Buttons(buttons) = &blocks[3] else {
            panic!("not buttons")
        };
        assert_eq!(buttons[0].confirm.as_deref(), Some("Точно?"));
        assert_eq!(buttons[0].tone, Tone::Danger);
        assert_eq!(buttons[0].args, [("id".to_owned(), "42".to_owned())]);
    }

    #[test]
    fn builds_forms() {
        let form = Form::new("submit-reading", "Отправить")
            .field(Field::money("amount", "Сумма").required())
            .field(
                Field::text("note", "Комментарий")
                    .max_length(200)
                    .help("Необязательно"),
            )
            .field(Field::select(
                "kind",
                "Вид",
                [("cold", "Холодная"), ("hot", "Горячая")],
            ))
            .field(Field::hidden("account", "12-345"))
            .field(Field::checkbox("agree", "Согласен").max_length(5));
        assert_eq!(form.action, "submit-reading");
        assert!(form.fields[0].required);
        assert_eq!(form.fields[0].kind, FieldKind::Money);
        assert_eq!(form.fields[1].kind, FieldKind::Text(200));
        let FieldKind::Select(choices) = &form.fields[2].kind else {
            panic!("not a select")
        };
        assert_eq!(choices[1].label, "Горячая");
        assert_eq!(form.fields[3].value, FieldValue::Text("12-345".into()));
        assert_eq!(form.fields[4].kind, FieldKind::Checkbox);
    }

    #[test]
    fn builds_outcomes() {
        let ActionOutcome::Redirect(redirect) =
            ActionOutcome::redirect(Link::to("requests/42", "Заявка №42"), "Сохранено")
        else {
            panic!("not a redirect")
        };
        assert_eq!(redirect.to.route, "requests/42");
        assert_eq!(redirect.notice.as_deref(), Some("Сохранено"));
        assert_eq!(
            ActionOutcome::invalid([("amount", "Слишком много")]),
            ActionOutcome::Invalid(InvalidForm {
                errors: vec![FieldError {
                    field: "amount".into(),
                    message: "Слишком много".into()
                }],
                form: None,
            })
        );
    }

    #[test]
    fn field_values_are_typed_by_their_kind() {
        assert_eq!(
            Field::money("sum", "Сумма").value("123450").value,
            FieldValue::Money(123_450)
        );
        let FieldValue::Day(day) = Field::date("on", "Дата").value("2026-12-15").value else {
            panic!("not a day")
        };
        assert_eq!((day.year, day.month, day.day), (2026, 12, 15));
        assert_eq!(
            Field::checkbox("ok", "Да").value("true").value,
            FieldValue::Flag(true)
        );
        assert_eq!(
            Field::money("sum", "Сумма").value("много").value,
            FieldValue::Text("много".into())
        );
    }

    #[test]
    fn typed_entries_read_back_as_the_text_params_expect() {
        let entries = vec![
            FormEntry {
                name: "sum".into(),
                value: FieldValue::Money(150_000),
            },
            FormEntry {
                name: "area".into(),
                value: FieldValue::Number(types::Decimal {
                    value: 543,
                    scale: 1,
                }),
            },
            FormEntry {
                name: "tags".into(),
                value: FieldValue::Choices(vec!["a".into(), "b".into()]),
            },
            FormEntry {
                name: "agree".into(),
                value: FieldValue::Flag(false),
            },
        ];
        let params = crate::Params::from_form(entries);
        assert_eq!(params.kopecks("sum").unwrap(), Some(Kopecks(150_000)));
        assert_eq!(params.get("area"), Some("54.3"));
        assert_eq!(params.all("tags").collect::<Vec<_>>(), ["a", "b"]);
        assert!(!params.flag("agree"));
        assert_eq!(params.value("sum"), Some(&FieldValue::Money(150_000)));
    }
}

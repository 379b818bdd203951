//! The host's own pages are UI trees too, drawn by the same renderer as plugins' pages: one
//! look, one place that escapes text and labels inputs. These are the few constructors the
//! host's pages need (plugins have the SDK's builders; these build the host's side of the same
//! records).

use crate::runtime::latest::dvor::plugin::ui::{
    Block, Button, Cell, Choice, Column, EmptyState, Field, FieldKind, FieldValue, Form, KeyValue,
    Link, Page, Row, Section, Table, Tone,
};

/// A page with a title and sections.
pub fn page(title: impl Into<String>, sections: Vec<Section>) -> Page {
    Page {
        title: title.into(),
        breadcrumbs: Vec::new(),
        sections,
    }
}

/// A section with a heading.
pub fn section(title: impl Into<String>, blocks: Vec<Block>) -> Section {
    Section {
        title: Some(title.into()),
        blocks,
        live: None,
    }
}

/// A section without a heading.
pub fn plain(blocks: Vec<Block>) -> Section {
    Section {
        title: None,
        blocks,
        live: None,
    }
}

/// A link to the local path `/{route}`: `route` has no leading slash.
pub fn link(route: impl Into<String>, label: impl Into<String>) -> Link {
    Link {
        label: label.into(),
        route: route.into(),
        query: Vec::new(),
    }
}

/// A link to a local path as stored (`/c/x/p/y?z=1`), split into route and query.
pub fn link_to_path(path: &str, label: impl Into<String>) -> Link {
    let path = path.trim_start_matches('/');
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    Link {
        label: label.into(),
        route: route.to_owned(),
        query: url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    }
}

/// A button posting `action` with `args`.
pub fn button(action: &str, label: impl Into<String>, args: &[(&str, &str)]) -> Button {
    Button {
        label: label.into(),
        action: action.to_owned(),
        args: args
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        confirm: None,
        tone: Tone::Neutral,
        primary: false,
    }
}

/// A form posting `action`.
pub fn form(action: &str, submit: impl Into<String>, fields: Vec<Field>) -> Block {
    Block::Form(Form {
        action: action.to_owned(),
        fields,
        submit: submit.into(),
        confirm: None,
    })
}

/// A form that asks "are you sure" with `question` before it posts.
pub fn confirmed_form(
    action: &str,
    submit: impl Into<String>,
    question: impl Into<String>,
    fields: Vec<Field>,
) -> Block {
    Block::Form(Form {
        action: action.to_owned(),
        fields,
        submit: submit.into(),
        confirm: Some(question.into()),
    })
}

/// A field of `kind`.
pub fn field(name: &str, label: impl Into<String>, kind: FieldKind) -> Field {
    Field {
        name: name.to_owned(),
        label: label.into(),
        kind,
        required: false,
        value: FieldValue::None,
        help: None,
        error: None,
    }
}

/// A one-line text field of at most `max` characters.
pub fn text(name: &str, label: impl Into<String>, max: u32) -> Field {
    field(name, label, FieldKind::Text(max))
}

/// A hidden field carrying `value`.
pub fn hidden(name: &str, value: impl Into<String>) -> Field {
    let mut field = field(name, "", FieldKind::Hidden);
    field.value = FieldValue::Text(value.into());
    field
}

/// A select of `(value, label)` choices.
pub fn select(name: &str, label: impl Into<String>, choices: &[(&str, &str)]) -> Field {
    field(
        name,
        label,
        FieldKind::Select(
            choices
                .iter()
                .map(|(value, label)| Choice {
                    value: (*value).to_owned(),
                    label: (*label).to_owned(),
                })
                .collect(),
        ),
    )
}

/// Builder steps on a field.
pub trait FieldExt {
    /// Mark it required.
    fn required(self) -> Self;
    /// Give it a value.
    fn value(self, value: impl Into<String>) -> Self;
    /// Give it help text.
    fn help(self, help: impl Into<String>) -> Self;
}

impl FieldExt for Field {
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn value(mut self, value: impl Into<String>) -> Self {
        self.value = crate::web::value_of_text(&self.kind, Some(value.into()));
        self
    }
    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Key–value pairs.
pub fn fields(pairs: Vec<(String, Cell)>) -> Block {
    Block::Fields(
        pairs
            .into_iter()
            .map(|(label, value)| KeyValue { label, value })
            .collect(),
    )
}

/// A table with `columns` (`(label, numeric)`) and `rows`.
pub fn table(columns: &[(&str, bool)], rows: Vec<Row>, empty: impl Into<String>) -> Block {
    Block::Table(Table {
        columns: columns
            .iter()
            .map(|(label, numeric)| Column {
                label: (*label).to_owned(),
                numeric: *numeric,
            })
            .collect(),
        rows,
        empty_text: empty.into(),
        next_page: None,
    })
}

/// A table row.
pub fn row(cells: Vec<Cell>, actions: Vec<Button>) -> Row {
    Row {
        cells,
        actions,
        link: None,
        tone: Tone::Neutral,
    }
}

/// A text cell.
pub fn cell(text: impl Into<String>) -> Cell {
    Cell::Text(text.into())
}

/// An empty state with an optional way on.
pub fn empty(title: impl Into<String>, text: impl Into<String>, link: Option<Link>) -> Block {
    Block::Empty(EmptyState {
        title: title.into(),
        text: text.into(),
        link,
    })
}

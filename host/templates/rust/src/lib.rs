//! `{{id}}`: a dvor plugin. One API route (`GET notes`), one page (the notes and a form to add
//! one, action `add-note`).

use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A note a resident left.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Note {
    author: String,
    text: String,
    /// When it was written (ms since the epoch); indexed, to list the newest first.
    created: i64,
}

const NOTES: Collection<Note> = Collection::new("notes");

#[derive(Default)]
struct ThisPlugin;

impl Plugin for ThisPlugin {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        match req.route() {
            ("GET", "notes") => {
                let notes: Vec<Note> = newest()?.into_iter().map(|d| d.data).collect();
                ApiResponse::ok(&json!({ "notes": notes }))
            }
            _ => Err(Error::not_found(tr("Нет такого адреса", "no such route"))),
        }
    }

    fn render_page(&self, route: &str, _query: &Params) -> Result<Page> {
        if !route.is_empty() {
            return Err(Error::not_found(tr("Нет такой страницы", "no such page")));
        }
        let rows = newest()?.into_iter().map(|doc| {
            Row::new([
                Cell::datetime(doc.data.created),
                Cell::from(doc.data.author),
                Cell::from(doc.data.text),
            ])
        });
        Ok(Page::new(tr("{{title}}", "{{title}}"))
            .section(
                Section::titled(tr("Новая заметка", "New note")).form(
                    Form::new("add-note", tr("Добавить", "Add"))
                        .field(Field::multiline("text", tr("Текст", "Text")).required()),
                ),
            )
            .section(
                Section::titled(tr("Заметки", "Notes")).table(
                    Table::new([
                        Column::text(tr("Когда", "When")),
                        Column::text(tr("Автор", "Author")),
                        Column::text(tr("Текст", "Text")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Заметок пока нет", "No notes yet")),
                ),
            ))
    }

    fn handle_action(&self, _route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
        if action != "add-note" {
            return Err(Error::not_found(tr("Нет такого действия", "no such action")));
        }
        let caller = ctx::require_caller()?;
        let text = form.get("text").unwrap_or_default().trim();
        if text.is_empty() {
            return Ok(ActionOutcome::invalid([(
                "text",
                tr("Напишите текст заметки", "write the note's text"),
            )]));
        }
        let note = Note {
            author: caller.display_name,
            text: text.to_owned(),
            created: ctx::now(),
        };
        NOTES.insert(&ctx::community(), None, &note)?;
        Ok(ActionOutcome::redirect(
            Link::to("", tr("{{title}}", "{{title}}")),
            tr("Заметка добавлена", "Note added"),
        ))
    }
}

dvor_sdk::plugin!(ThisPlugin, manifest = "dvor-plugin.toml");

/// The newest notes of the call's community.
fn newest() -> Result<Vec<Doc<Note>>> {
    Ok(NOTES
        .query()
        .in_community(&ctx::community())
        .order_by("created", Direction::Desc)
        .limit(50)
        .fetch()?
        .docs)
}

//! `hello`: the dvor quick-start plugin, and a fixture for the host's tests.
//!
//! - API: `GET greet?name=X`, `POST notes`, `GET notes?limit=N&cursor=C`, `GET notes/count`.
//! - UI: the home page lists notes and has a form to add one (action `add-note`).
//! - Events: every note emits `hello.note_added`; the plugin consumes it into `echoes`.
//! - Job `tidy`: walks the notes two at a time, counting chunks in `stats/tidy`.

use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A note someone left.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Note {
    /// The author's person id; none for anonymous calls. Indexed.
    author: Option<String>,
    /// The author's name as shown.
    author_name: Option<String>,
    text: String,
    /// When it was written (ms since the epoch). Indexed.
    created: i64,
}

/// What the `hello.note_added` event carries.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct NoteAdded {
    note_id: String,
    text: String,
}

/// The consumer's record of one `hello.note_added` event; its id is the event's id.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Echo {
    note_id: String,
    text: String,
    occurred: i64,
}

/// Progress of the `tidy` job.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct TidyStats {
    chunks: u64,
    notes_seen: u64,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Settings {
    greeting_ru: String,
    greeting_en: String,
    max_note_length: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            greeting_ru: "Привет".into(),
            greeting_en: "Hello".into(),
            max_note_length: 500,
        }
    }
}

const NOTES: Collection<Note> = Collection::new("notes");
const ECHOES: Collection<Echo> = Collection::new("echoes");
const STATS: Collection<TidyStats> = Collection::new("stats");

const NOTE_ADDED: &str = "hello.note_added";
const TIDY_CHUNK: u32 = 2;
const PAGE_SIZE: u32 = 20;

#[derive(Default)]
struct Hello;

impl Plugin for Hello {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        match req.route() {
            ("GET", "greet") => {
                let settings: Settings = dvor_sdk::settings()?;
                let name = req.param("name").unwrap_or(tr("мир", "world"));
                let greeting = tr(&settings.greeting_ru, &settings.greeting_en);
                ApiResponse::ok(&json!({ "greeting": format!("{greeting}, {name}!") }))
            }
            ("POST", "notes") => {
                #[derive(Deserialize)]
                struct NewNote {
                    text: String,
                }
                let body: NewNote = req.json()?;
                ApiResponse::created(&add_note(&body.text)?)
            }
            ("GET", "notes") => {
                let limit = req.params().int("limit")?.unwrap_or(PAGE_SIZE.into());
                let limit = u32::try_from(limit.clamp(1, 100)).unwrap_or(PAGE_SIZE);
                let page = newest_notes(limit, req.param("cursor"))?;
                ApiResponse::ok(&json!({ "notes": page.docs, "next_cursor": page.next_cursor }))
            }
            ("GET", "notes/count") => {
                let count = NOTES.query().in_community(&ctx::community()).count()?;
                ApiResponse::ok(&json!({ "count": count }))
            }
            _ => Err(Error::not_found(tr("Нет такого адреса", "no such route"))),
        }
    }

    fn render_page(&self, route: &str, query: &Params) -> Result<Page> {
        if !route.is_empty() {
            return Err(Error::not_found(tr("Нет такой страницы", "no such page")));
        }
        let settings: Settings = dvor_sdk::settings()?;
        let page = newest_notes(PAGE_SIZE, query.get("cursor"))?;
        let rows = page.docs.into_iter().map(|doc| {
            Row::new([
                Cell::datetime(doc.data.created),
                Cell::from(doc.data.author_name),
                Cell::from(doc.data.text),
            ])
        });
        let next_page = page
            .next_cursor
            .map(|cursor| Link::to("", tr("Дальше", "More")).param("cursor", cursor));
        Ok(Page::new(tr("Привет", "Hello"))
            .section(
                Section::titled(tr("Новая заметка", "New note")).form(
                    Form::new("add-note", tr("Добавить", "Add")).field(
                        Field::multiline("text", tr("Текст", "Text"))
                            .required()
                            .max_length(u32::try_from(settings.max_note_length).unwrap_or(0)),
                    ),
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
                    .empty_text(tr("Заметок пока нет", "No notes yet"))
                    .next_page(next_page),
                ),
            ))
    }

    fn handle_action(&self, _route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
        match action {
            "add-note" => {
                let text = form.get("text").unwrap_or_default();
                let settings: Settings = dvor_sdk::settings()?;
                if let Err(e) = validate_text(text, settings.max_note_length) {
                    return Ok(ActionOutcome::invalid([("text", e.message)]));
                }
                add_note(text)?;
                Ok(ActionOutcome::redirect(
                    Link::to("", tr("Привет", "Hello")),
                    tr("Заметка добавлена", "Note added"),
                ))
            }
            _ => Err(Error::not_found(tr(
                "Нет такого действия",
                "no such action",
            ))),
        }
    }

    fn on_event(&self, event: Event) -> Result<()> {
        if event.kind != NOTE_ADDED {
            log::warn(format!("ignoring an event of kind `{}`", event.kind));
            return Ok(());
        }
        let added: NoteAdded = event.payload()?;
        let echo = Echo {
            note_id: added.note_id,
            text: added.text,
            occurred: event.occurred,
        };
        // The event id is stable across redeliveries: a second delivery finds it taken.
        match ECHOES.insert(&event.community, Some(&event.id), &echo) {
            Ok(_) => Ok(()),
            Err(e) if e.is(ErrorCode::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn run_job(&self, name: &str, cursor: Option<String>) -> Result<Option<String>> {
        if name != "tidy" {
            return Err(Error::not_found(format!("no job `{name}`")));
        }
        let page = NOTES
            .query()
            .limit(TIDY_CHUNK)
            .cursor(cursor.as_deref())
            .fetch()?;
        let community = ctx::community();
        let (mut stats, version) = match STATS.get("tidy")? {
            Some(doc) => (doc.data, doc.version),
            None => (TidyStats::default(), 0),
        };
        stats.chunks += 1;
        stats.notes_seen += page.docs.len() as u64;
        STATS.put(&community, "tidy", &stats, Some(version))?;
        Ok(page.next_cursor)
    }
}

dvor_sdk::plugin!(Hello, manifest = "dvor-plugin.toml");

/// The call's community's notes, newest first.
fn newest_notes(limit: u32, cursor: Option<&str>) -> Result<PageOf<Note>> {
    NOTES
        .query()
        .in_community(&ctx::community())
        .order_by("created", Direction::Desc)
        .limit(limit)
        .cursor(cursor)
        .fetch()
}

/// Store a note by the caller in the call's community and announce it.
fn add_note(text: &str) -> Result<Doc<Note>> {
    let settings: Settings = dvor_sdk::settings()?;
    let text = validate_text(text, settings.max_note_length)?;
    let community = ctx::community();
    let caller = ctx::caller();
    let note = Note {
        author: caller.as_ref().map(|c| c.person_id.clone()),
        author_name: caller.map(|c| c.display_name),
        text: text.to_owned(),
        created: ctx::now(),
    };
    let doc = NOTES.insert(&community, None, &note)?;
    let added = NoteAdded {
        note_id: doc.id.clone(),
        text: doc.data.text.clone(),
    };
    events::emit(NOTE_ADDED, &community, &added)?;
    log::info(format!("note {} added", doc.id));
    Ok(doc)
}

/// The trimmed text, or `invalid` on field `text` if it is empty or longer than `max` chars.
fn validate_text(text: &str, max: usize) -> Result<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(
            "text",
            tr("Напишите текст заметки", "write the note's text"),
        ));
    }
    if text.chars().count() > max {
        return Err(Error::invalid(
            "text",
            format!(
                "{} {max}",
                tr("Заметка длиннее, чем можно:", "the note is longer than")
            ),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_note_text() {
        assert_eq!(validate_text("  hi ", 500), Ok("hi"));
        let empty = validate_text("   ", 500).unwrap_err();
        assert_eq!(
            (empty.code, empty.field.as_deref()),
            (ErrorCode::Invalid, Some("text"))
        );
        let long = "я".repeat(501);
        assert!(validate_text(&long, 500).is_err_and(|e| e.field.as_deref() == Some("text")));
        assert!(validate_text(&"я".repeat(500), 500).is_ok());
    }
}

//! `hello`: the dvor quick-start plugin, and a fixture for the host's tests.
//!
//! - API: `GET greet?name=X`, `POST notes`, `GET notes?limit=N&cursor=C[&inherited=true]`,
//!   `GET notes/count`, `PUT notes/{id}` (with the `version` it read), `POST notes/batch`
//!   (several notes, their events emitted in one go), `POST notes/export` (a CSV of the notes,
//!   made by a requested job and handed to whoever asked).
//! - UI: the home page lists notes and has a form to add one (action `add-note`); new notes
//!   appear on open pages without a reload (live channel `notes`).
//! - A tile on the community's home page: how many notes, and the newest.
//! - Events: every note emits `hello.note_added`; the plugin consumes it into `echoes`.
//! - Job `tidy`: walks the notes two at a time, counting chunks in `stats/tidy`. Job `export`
//!   (no schedule, run on request): the notes as CSV, 500 a chunk.

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
/// A CSV export being written, chunk by chunk; its id is the run's.
const EXPORTS: Collection<Export> = Collection::new("exports");

/// The rows of a running export so far.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Export {
    csv: String,
    rows: u64,
}

/// The live channel of new notes.
const NOTES_CHANNEL: &str = "notes";
const EXPORT_CHUNK: u32 = 500;

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
                let page = if req.params().flag("inherited") {
                    // The notes left at the places above this one too (read only).
                    NOTES
                        .query()
                        .with_ancestors()
                        .order_by("created", Direction::Desc)
                        .limit(limit)
                        .cursor(req.param("cursor"))
                        .fetch()?
                } else {
                    newest_notes(limit, req.param("cursor"))?
                };
                ApiResponse::ok(&json!({ "notes": page.docs, "next_cursor": page.next_cursor }))
            }
            ("POST", "notes/batch") => {
                #[derive(Deserialize)]
                struct Batch {
                    texts: Vec<String>,
                }
                let body: Batch = req.json()?;
                ApiResponse::created(&json!({ "ids": add_notes(&body.texts)? }))
            }
            ("POST", "notes/export") => {
                ctx::require_caller()?;
                let run = dvor_sdk::jobs::request("export", &json!({}))?;
                ApiResponse::json(202, &json!({ "run": run }))
            }
            ("PUT", path) if path.starts_with("notes/") => {
                #[derive(Deserialize)]
                struct Edit {
                    text: String,
                    /// The version the editor read: a note changed since is not overwritten.
                    version: u64,
                }
                let id = &path["notes/".len()..];
                let body: Edit = req.json()?;
                let settings: Settings = dvor_sdk::settings()?;
                let text = validate_text(&body.text, settings.max_note_length)?;
                let Some(mut doc) = NOTES.get(id)? else {
                    return Err(Error::not_found(tr("Нет такой заметки", "no such note")));
                };
                doc.data.text = text.to_owned();
                let saved = NOTES.put(&doc.community, id, &doc.data, Some(body.version))?;
                ApiResponse::ok(&saved)
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
                Section::titled(tr("Только что", "Just now"))
                    .live(NOTES_CHANNEL)
                    .paragraph(tr(
                        "Новые заметки появятся здесь без перезагрузки страницы.",
                        "New notes appear here without reloading the page.",
                    )),
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

    fn job(&self, job: Job) -> Result<JobStep> {
        match job.name.as_str() {
            "export" => export_chunk(&job),
            _ => Ok(JobStep::continue_from(self.run_job(&job.name, job.cursor)?)),
        }
    }

    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        if place != TilePlace::Community {
            return Ok(None);
        }
        let newest = newest_notes(1, None)?;
        let count = NOTES.query().in_community(&ctx::community()).count()?;
        let mut tile = Tile::new(tr("Заметки", "Notes")).count(count as i64);
        if let Some(doc) = newest.docs.first() {
            tile = tile.line(shorten(&doc.data.text, 60));
        }
        Ok(Some(tile))
    }

    fn subscribe(&self, channel: &str) -> Result<()> {
        // Notes are public: anyone may follow new ones.
        if channel == NOTES_CHANNEL {
            Ok(())
        } else {
            Err(Error::not_found(tr("Нет такого канала", "no such channel")))
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

/// Store a note by the caller in the call's community and announce it: an event for
/// subscribers, and a live update for open pages.
fn add_note(text: &str) -> Result<Doc<Note>> {
    let doc = store_note(text, "text")?;
    let community = ctx::community();
    let added = NoteAdded {
        note_id: doc.id.clone(),
        text: doc.data.text.clone(),
    };
    events::emit(NOTE_ADDED, &community, &added)?;
    announce(&community, &doc.data)?;
    log::info(format!("note {} added", doc.id));
    Ok(doc)
}

/// Store several notes and emit their events in one go; all or none.
fn add_notes(texts: &[String]) -> Result<Vec<String>> {
    let community = ctx::community();
    let mut added = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let doc = store_note(text, &format!("texts[{i}]"))?;
        announce(&community, &doc.data)?;
        added.push(NoteAdded {
            note_id: doc.id,
            text: doc.data.text,
        });
    }
    events::emit_many(added.iter().map(|a| (NOTE_ADDED, community.as_str(), a)))?;
    Ok(added.into_iter().map(|a| a.note_id).collect())
}

fn store_note(text: &str, field: &str) -> Result<Doc<Note>> {
    let settings: Settings = dvor_sdk::settings()?;
    let text = validate_text(text, settings.max_note_length).map_err(|mut e| {
        e.field = Some(field.to_owned());
        e
    })?;
    let caller = ctx::caller();
    let note = Note {
        author: caller.as_ref().map(|c| c.person_id.clone()),
        author_name: caller.map(|c| c.display_name),
        text: text.to_owned(),
        created: ctx::now(),
    };
    NOTES.insert(&ctx::community(), None, &note)
}

/// Show a new note on the pages following the community's notes.
fn announce(community: &str, note: &Note) -> Result<()> {
    let who = note
        .author_name
        .clone()
        .unwrap_or_else(|| tr("Гость", "Guest").to_owned());
    dvor_sdk::live::append(
        community,
        NOTES_CHANNEL,
        Section::untitled().paragraph(format!("{who}: {}", note.text)),
    )
}

/// One chunk of the CSV export: the next 500 notes appended to the run's draft; the last chunk
/// stores the file and hands it to whoever asked.
fn export_chunk(job: &Job) -> Result<JobStep> {
    let run = job
        .request
        .as_ref()
        .map_or("scheduled", |r| r.id.as_str())
        .to_owned();
    let community = ctx::community();
    let mut draft = match EXPORTS.get(&run)? {
        Some(doc) => doc.data,
        None => Export {
            csv: "created;author;text\n".into(),
            rows: 0,
        },
    };
    let page = NOTES
        .query()
        .in_community(&community)
        .order_by("created", Direction::Asc)
        .limit(EXPORT_CHUNK)
        .cursor(job.cursor.as_deref())
        .fetch()?;
    for doc in &page.docs {
        let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        draft.csv.push_str(&format!(
            "{};{};{}\n",
            doc.data.created,
            field(doc.data.author_name.as_deref().unwrap_or("")),
            field(&doc.data.text)
        ));
        draft.rows += 1;
    }
    let total = NOTES.query().in_community(&community).count()?;
    if page.next_cursor.is_some() {
        EXPORTS.put(&community, &run, &draft, None)?;
        return Ok(JobStep::continue_from(page.next_cursor).progress(draft.rows, total));
    }
    EXPORTS.delete(&run)?;
    let file = dvor_sdk::files::store(&community, "notes.csv", "text/csv", draft.csv.as_bytes())?;
    Ok(JobStep::done().progress(draft.rows, total).output(file.id))
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
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
    fn shortens_long_lines() {
        assert_eq!(shorten("коротко", 60), "коротко");
        assert_eq!(shorten(&"я".repeat(70), 10), format!("{}…", "я".repeat(9)));
    }

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

//! Large files imported in the background: a bank registry or a controller's round of a
//! hundred thousand rows does not fit one request's deadline, and writing it in one transaction
//! would hold every other writer of the instance for as long.
//!
//! The file is stored, then the `import` job reads it a part at a time, each part one
//! transaction that also saves how far the import got:
//!
//! 1. **Checking.** The whole file is checked as a one-request import checks it — a meter
//!    repeated anywhere in the file, an unknown account, a reading below the last one — and
//!    nothing is written. Any problem refuses the file whole, every bad cell named by line and
//!    column (the first [`PROBLEMS_KEPT`] of them).
//! 2. **Writing.** Only a file with no problem is written, a part per chunk. A chunk reads the
//!    accounts it changes in its own transaction, so a payment or a resident's reading that
//!    landed meanwhile is kept, not overwritten. A row that such a change made wrong since the
//!    check (the same meter added by hand meanwhile) is not written and is named with its line.
//!
//! After a crash the job goes on from the last part that committed, so no row is written twice.

use dvor_sdk::files;
use dvor_sdk::jobs::{self, Job, JobStep};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::{self, Apply, CsvFile, CsvProblem, Imported};
use crate::model::Settings;

/// The background imports of the community, id generated.
pub const IMPORTS: Collection<Import> = Collection::new("imports");

/// The job that runs them (declared in the manifest without a cron).
pub const IMPORT_JOB: &str = "import";

/// How many problems an import keeps to show; beyond them it only counts.
pub const PROBLEMS_KEPT: usize = 500;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// Personal accounts.
    Accounts,
    /// Meters of accounts.
    Meters,
    /// This month's meter readings.
    Readings,
    /// A bank's payment registry.
    Payments,
}

impl ImportKind {
    const ALL: [ImportKind; 4] = [
        ImportKind::Accounts,
        ImportKind::Meters,
        ImportKind::Readings,
        ImportKind::Payments,
    ];

    /// Its name in routes and forms: `accounts`, `meters`, `readings`, `payments`.
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Accounts => "accounts",
            ImportKind::Meters => "meters",
            ImportKind::Readings => "readings",
            ImportKind::Payments => "payments",
        }
    }

    /// The kind of that [`name`](ImportKind::name).
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Refuse a file whose header lacks a column this kind needs, or that is not UTF-8: said
    /// when it is sent, not later by the job.
    pub fn check_header(self, bytes: &[u8]) -> Result<()> {
        CsvFile::open(bytes, self.columns()).map(|_| ())
    }

    /// What the file is, as the operator reads it.
    pub fn title(self) -> &'static str {
        match self {
            ImportKind::Accounts => tr("Лицевые счета", "Accounts"),
            ImportKind::Meters => tr("Счётчики", "Meters"),
            ImportKind::Readings => tr("Показания счётчиков", "Meter readings"),
            ImportKind::Payments => tr("Реестр платежей банка", "Bank payment registry"),
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Accounts => accounts::ACCOUNT_COLUMNS,
            ImportKind::Meters => accounts::METER_COLUMNS,
            ImportKind::Readings => accounts::READING_COLUMNS,
            ImportKind::Payments => crate::PAYMENT_COLUMNS,
        }
    }

    fn import(self, rows: Vec<accounts::CsvRow>, apply: Apply) -> Result<Imported> {
        match self {
            ImportKind::Accounts => accounts::import_account_rows(rows, apply),
            ImportKind::Meters => accounts::import_meter_rows(rows, apply),
            ImportKind::Readings => accounts::import_reading_rows(rows, apply),
            ImportKind::Payments => crate::import_payment_rows(rows, apply),
        }
    }

    /// What finds rows that repeat an earlier row of the file where that is a mistake: run
    /// over the whole file at once, since the check reads it in parts. None where a repeat is
    /// no mistake: a repeated account number updates the account again, as in one request; a
    /// repeated payment reference is a duplicate, counted and not recorded twice.
    fn repeats(self) -> Option<accounts::RepeatedMeters> {
        match self {
            ImportKind::Readings => Some(accounts::RepeatedMeters::new(&["account", "serial"])),
            ImportKind::Meters => Some(accounts::RepeatedMeters::new(&[
                "account", "service", "serial",
            ])),
            ImportKind::Accounts | ImportKind::Payments => None,
        }
    }
}

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Stored, waiting for the job.
    Queued,
    /// Being checked; nothing is written yet.
    Checking,
    /// Checked whole and being written.
    Writing,
    /// Written.
    Done,
    /// Refused: the file has problems, nothing of it was written.
    Refused,
}

/// A file imported in the background, and how far it got.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Import {
    /// What the file holds.
    pub kind: ImportKind,
    /// The stored file.
    pub file: String,
    /// The file's name as it was uploaded.
    pub file_name: String,
    /// Where it is.
    pub status: ImportStatus,
    /// Rows in the file (known once checking has begun).
    pub rows: u64,
    /// Rows checked.
    pub checked: u64,
    /// Rows written.
    pub written: u64,
    /// Payments already recorded before (a registry sent twice).
    pub duplicates: u64,
    /// The sum of the payments recorded.
    pub total: Option<Kopecks>,
    /// Rows a change since the check made wrong, not written.
    pub not_written: u64,
    /// The first [`PROBLEMS_KEPT`] problems, by line.
    pub problems: Vec<CsvProblem>,
    /// Every problem found, kept or not.
    pub problem_count: u64,
    /// The byte of the file where the next chunk begins.
    pub offset: u64,
    /// Who asked.
    pub requested_by: Option<String>,
    /// When (ms). Indexed.
    pub requested: i64,
    /// When it ended (ms).
    pub finished: Option<i64>,
}

impl Import {
    /// Whether the job is still on it.
    pub fn running(&self) -> bool {
        matches!(
            self.status,
            ImportStatus::Queued | ImportStatus::Checking | ImportStatus::Writing
        )
    }

    /// Rows the writing has got through: written, already recorded, or not written.
    pub fn rows_through_writing(&self) -> u64 {
        self.written + self.duplicates + self.not_written
    }

    /// Its state in words: «Проверено 1 000 строк из 100 000», «Загружено строк: 100 000».
    pub fn status_text(&self) -> String {
        let n = crate::show::count_text;
        match self.status {
            ImportStatus::Queued => tr("Ждёт очереди", "Waiting in the queue").to_owned(),
            ImportStatus::Checking => format!(
                "{} {} {} {}",
                tr("Проверка: строк", "Checking: rows"),
                n(self.checked),
                tr("из", "of"),
                n(self.rows)
            ),
            ImportStatus::Writing => format!(
                "{} {} {} {}",
                tr("Запись: строк", "Writing: rows"),
                n(self.rows_through_writing()),
                tr("из", "of"),
                n(self.rows)
            ),
            ImportStatus::Done => {
                let mut text = format!(
                    "{} {}",
                    tr("Загружено строк:", "Rows imported:"),
                    n(self.written)
                );
                if self.duplicates > 0 {
                    text.push_str(&format!(
                        "; {} {}",
                        tr("повторов:", "duplicates:"),
                        n(self.duplicates)
                    ));
                }
                if self.not_written > 0 {
                    text.push_str(&format!(
                        "; {} {}",
                        tr(
                            "не записано из-за изменений после проверки:",
                            "not written after changes since the check:"
                        ),
                        n(self.not_written)
                    ));
                }
                text
            }
            ImportStatus::Refused => format!(
                "{}: {} {}",
                tr("Файл не загружен", "Nothing was imported"),
                tr("ошибок", "errors"),
                n(self.problem_count)
            ),
        }
    }

    /// Keep `found` among the problems (once per line and column), counting them all.
    fn note_problems(&mut self, found: Vec<CsvProblem>) {
        for problem in found {
            if self
                .problems
                .iter()
                .any(|p| p.line == problem.line && p.column == problem.column)
            {
                continue;
            }
            self.problem_count += 1;
            if self.problems.len() < PROBLEMS_KEPT {
                self.problems.push(problem);
            }
        }
        self.problems.sort_by_key(|p| p.line);
    }

    fn end(&mut self, status: ImportStatus) {
        self.status = status;
        self.finished = Some(ctx::now());
    }
}

/// Queue the stored file `file` (named `file_name`) of `kind` for a background import into the
/// call's community.
pub fn start(kind: ImportKind, file: &str, file_name: &str) -> Result<Doc<Import>> {
    let import = Import {
        kind,
        file: file.to_owned(),
        file_name: file_name.to_owned(),
        status: ImportStatus::Queued,
        rows: 0,
        checked: 0,
        written: 0,
        duplicates: 0,
        total: None,
        not_written: 0,
        problems: Vec::new(),
        problem_count: 0,
        offset: 0,
        requested_by: ctx::caller().map(|c| c.person_id),
        requested: ctx::now(),
        finished: None,
    };
    let doc = IMPORTS.insert(&ctx::community(), None, &import)?;
    jobs::request(IMPORT_JOB, &serde_json::json!({ "import": doc.id }))?;
    Ok(doc)
}

/// Store `body` as a file and queue it (the API's `POST imports/{kind}`).
pub fn start_from_body(kind: ImportKind, body: &[u8]) -> Result<Doc<Import>> {
    if body.is_empty() {
        return Err(Error::invalid("body", tr("Файл пуст", "the file is empty")));
    }
    kind.check_header(body)?;
    let name = format!("{}.csv", kind.name());
    let stored = files::store(&ctx::community(), &name, "text/csv", body)?;
    start(kind, &stored.id, &name)
}

/// The most recent imports of the call's community, newest first.
pub fn recent(limit: u32) -> Result<Vec<Doc<Import>>> {
    Ok(IMPORTS
        .query()
        .in_community(&ctx::community())
        .order_by("requested", Direction::Desc)
        .limit(limit)
        .fetch()?
        .docs)
}

#[derive(Default, Deserialize)]
struct Args {
    import: String,
}

/// One chunk of the `import` job: the next part of the file checked or written.
pub fn run_chunk(job: &Job) -> Result<JobStep> {
    let args: Args = job.args()?;
    let Some(doc) = IMPORTS.get(&args.import)? else {
        log::warn(format!("import `{}` is gone", args.import));
        return Ok(JobStep::done());
    };
    let mut import = doc.data.clone();
    if !import.running() {
        return Ok(JobStep::done());
    }
    let chunk_rows = Settings::load()?.import_chunk_rows.clamp(10, 20_000) as usize;
    let bytes = files::read(&import.file)?;
    let writing = import.status == ImportStatus::Writing;
    if let Err(refusal) = advance(&mut import, &bytes, chunk_rows) {
        // Before anything is written, a file that is itself wrong (a broken quote, say) is
        // the operator's to fix, not a failure to try again. Once writing has begun, a failure
        // fails the chunk, whose writes roll back, and the job tries it again: the import is
        // never called refused after a part of it went in.
        if refusal.code != ErrorCode::Invalid || writing {
            return Err(refusal);
        }
        import.note_problems(vec![accounts::problem(1, refusal)]);
        import.end(ImportStatus::Refused);
    }
    IMPORTS.put(&doc.community, &doc.id, &import, Some(doc.version))?;
    let step = if import.running() {
        JobStep::continue_from(Some(import.offset.to_string()))
    } else {
        JobStep::done()
    };
    Ok(step.progress(
        import.checked + import.rows_through_writing(),
        import.rows * 2,
    ))
}

/// Move `import` one chunk on over the file's `bytes`.
fn advance(import: &mut Import, bytes: &[u8], chunk_rows: usize) -> Result<()> {
    let file = CsvFile::open(bytes, import.kind.columns())?;
    match import.status {
        ImportStatus::Queued => {
            // The whole file, a part at a time so that a large one fits the plugin's memory:
            // its rows counted, its repeated meters found.
            let mut repeats = import.kind.repeats();
            let mut offset = Some(file.rows_start());
            while let Some(at) = offset {
                let (rows, next) = file.rows_from(at, 10_000)?;
                import.rows += rows.len() as u64;
                if let Some(repeats) = &mut repeats {
                    import.note_problems(repeats.check(&rows));
                }
                offset = next;
            }
            import.status = ImportStatus::Checking;
            import.offset = file.rows_start() as u64;
        }
        ImportStatus::Checking => {
            let (rows, next) = file.rows_from(offset(import)?, chunk_rows)?;
            import.checked += rows.len() as u64;
            let checked = import.kind.import(rows, Apply::Never)?;
            import.note_problems(checked.problems);
            match next {
                Some(next) => import.offset = next as u64,
                None if import.problem_count > 0 => import.end(ImportStatus::Refused),
                None => {
                    import.status = ImportStatus::Writing;
                    import.offset = file.rows_start() as u64;
                }
            }
        }
        ImportStatus::Writing => {
            let (rows, next) = file.rows_from(offset(import)?, chunk_rows)?;
            let written = import.kind.import(rows, Apply::GoodRows)?;
            import.written += written.imported as u64;
            import.duplicates += written.duplicates as u64;
            import.not_written += written.problems.len() as u64;
            if let Some(total) = written.total {
                import.total = Some(Kopecks(import.total.unwrap_or(Kopecks::ZERO).0 + total.0));
            }
            import.note_problems(written.problems);
            match next {
                Some(next) => import.offset = next as u64,
                None => import.end(ImportStatus::Done),
            }
        }
        ImportStatus::Done | ImportStatus::Refused => {}
    }
    Ok(())
}

fn offset(import: &Import) -> Result<usize> {
    usize::try_from(import.offset).map_err(|_| Error::invalid("offset", "out of range"))
}

/// How an import reads in the API.
pub fn import_json(doc: &Doc<Import>) -> serde_json::Value {
    serde_json::json!({
        "id": doc.id,
        "import": doc.data,
        "status_text": doc.data.status_text(),
    })
}

//! Spreadsheets in and out as CSV, for all-or-nothing imports that name every bad cell.
//!
//! A chairman or an organizer keeps their list in a spreadsheet and saves it as CSV; what comes
//! in is whatever Excel, LibreOffice or Google Sheets wrote:
//!
//! - UTF-8, with or without a byte-order mark; the delimiter is `;` (Excel in a Russian locale),
//!   `,` or a tab, whichever the header line uses.
//! - Headers are matched after trimming, lower-casing and reading `ё` as `е`, against each
//!   [`Column`]'s name and aliases (`plot`, `участок`, `№ участка`), so the Russian and the
//!   English header both work. Columns the import does not know are listed in
//!   [`Sheet::ignored_columns`], never silently used.
//! - [`read_sheet`] gives rows of trimmed cells with their line number (the header is line 1);
//!   a missing required column or an unreadable file is a [`CellProblem`] on line 1.
//! - The import collects every [`CellProblem`] — line, column, reason — in [`Problems`] and
//!   writes nothing while there is one.
//!
//! [`write_sheet`] writes the export in the same shape (`;`, UTF-8 with a byte-order mark so
//! Excel opens Cyrillic correctly). A text cell that a spreadsheet would run as a formula
//! (`=`, `+`, `@`, or `-` not followed by a digit) is written with a leading `'`; reading strips
//! it again, so an export imports back unchanged.

use serde::Serialize;

/// A column an import understands.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The canonical name, used in problems and in the export's header.
    pub name: &'static str,
    /// Other headers accepted for it (e.g. the Russian ones), compared as described above.
    pub aliases: &'static [&'static str],
    /// Whether the header must have it.
    pub required: bool,
}

/// One bad cell: where and why. Line 1 is the header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CellProblem {
    /// The line in the file, 1-based; rows start at line 2.
    pub line: u64,
    /// The column's canonical name; empty when the whole line is at fault.
    pub column: String,
    /// Why, for a person.
    pub message: String,
}

impl CellProblem {
    /// The problem as a person reads it, in the call's language: `строка 3, area: …`, or
    /// `строка 3: …` when the whole line is at fault.
    pub fn text(&self) -> String {
        let line = crate::ctx::tr("строка", "line");
        if self.column.is_empty() {
            format!("{line} {}: {}", self.line, self.message)
        } else {
            format!("{line} {}, {}: {}", self.line, self.column, self.message)
        }
    }
}

/// The first `shown` problems as one text for a form field, joined by `; `, and how many more
/// there are: `строка 3, area: …; строка 7, payer: …; и ещё ошибок: 12`.
pub fn problems_text(problems: &[CellProblem], shown: usize) -> String {
    let mut parts: Vec<String> = problems.iter().take(shown).map(CellProblem::text).collect();
    if problems.len() > shown {
        parts.push(format!(
            "{} {}",
            crate::ctx::tr("и ещё ошибок:", "and more errors:"),
            problems.len() - shown
        ));
    }
    parts.join("; ")
}

/// Every problem found so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Problems(pub Vec<CellProblem>);

impl Problems {
    /// Records a problem.
    pub fn push(&mut self, line: u64, column: &str, message: impl Into<String>) {
        self.0.push(CellProblem {
            line,
            column: column.to_owned(),
            message: message.into(),
        });
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing is wrong, otherwise every problem.
    pub fn into_result<T>(self, value: T) -> Result<T, Vec<CellProblem>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

/// One row of a sheet: its line and its cells by canonical column name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRow {
    /// The line in the file (the header is line 1).
    pub line: u64,
    cells: Vec<(&'static str, String)>,
}

impl SheetRow {
    /// The trimmed cell of `column`; empty if the column is absent or the cell blank.
    pub fn get(&self, column: &str) -> &str {
        self.cells
            .iter()
            .find(|(name, _)| *name == column)
            .map_or("", |(_, value)| value.as_str())
    }

    /// The cell of `column`, or a problem "required" when it is blank.
    pub fn required(&self, column: &str, problems: &mut Problems, message: &str) -> Option<&str> {
        let value = self.get(column);
        if value.is_empty() {
            problems.push(self.line, column, message);
            None
        } else {
            Some(value)
        }
    }

    /// The cell of `column` read by `parse`; a blank cell is `Ok(None)`; a parse error becomes
    /// a problem at this line and column.
    pub fn parse<T>(
        &self,
        column: &str,
        problems: &mut Problems,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        let value = self.get(column);
        if value.is_empty() {
            return Some(None);
        }
        match parse(value) {
            Ok(v) => Some(Some(v)),
            Err(message) => {
                problems.push(self.line, column, message);
                None
            }
        }
    }
}

/// A sheet read by [`read_sheet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    /// The rows with at least one non-blank cell, in file order.
    pub rows: Vec<SheetRow>,
    /// Headers that matched no column, as written in the file.
    pub ignored_columns: Vec<String>,
}

/// A header as compared: trimmed, lower-case, `ё` as `е`, inner whitespace collapsed.
pub fn normalize_header(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .replace('ё', "е")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn problem(line: u64, column: &str, message: impl Into<String>) -> Vec<CellProblem> {
    vec![CellProblem {
        line,
        column: column.to_owned(),
        message: message.into(),
    }]
}

/// Reads `body` against `columns`. Errors (all on line 1, or at the line that cannot be read)
/// name the column; `messages` gives the words in the caller's language.
pub fn read_sheet(
    body: &[u8],
    columns: &[Column],
    messages: &SheetMessages,
) -> Result<Sheet, Vec<CellProblem>> {
    let Ok(text) = core::str::from_utf8(body) else {
        return Err(problem(1, "", messages.not_utf8));
    };
    let text = text.trim_start_matches('\u{feff}');
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| header_line.bytes().filter(|b| b == d).count())
        .filter(|d| header_line.as_bytes().contains(d))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| problem(1, "", format!("{}: {e}", messages.unreadable)))?
        .clone();
    let mut mapping: Vec<Option<&'static str>> = Vec::with_capacity(headers.len());
    let mut ignored_columns = Vec::new();
    for header in headers.iter() {
        let normalized = normalize_header(header);
        let column = columns.iter().find(|c| {
            normalize_header(c.name) == normalized
                || c.aliases.iter().any(|a| normalize_header(a) == normalized)
        });
        match column {
            Some(c) if mapping.contains(&Some(c.name)) => {
                return Err(problem(1, c.name, messages.repeated_column));
            }
            Some(c) => mapping.push(Some(c.name)),
            None => {
                if !header.trim().is_empty() {
                    ignored_columns.push(header.trim().to_owned());
                }
                mapping.push(None);
            }
        }
    }
    let mut problems = Problems::default();
    for column in columns.iter().filter(|c| c.required) {
        if !mapping.contains(&Some(column.name)) {
            problems.push(1, column.name, messages.missing_column);
        }
    }
    if !problems.is_empty() {
        return Err(problems.0);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(problem(line, "", format!("{}: {e}", messages.unreadable)));
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let cells: Vec<(&'static str, String)> = mapping
            .iter()
            .zip(record.iter())
            .filter_map(|(column, value)| column.map(|c| (c, unescape_cell(value.trim()))))
            .collect();
        if cells.iter().all(|(_, v)| v.is_empty()) {
            continue;
        }
        rows.push(SheetRow { line, cells });
    }
    Ok(Sheet {
        rows,
        ignored_columns,
    })
}

/// The sentences [`read_sheet`] uses, so that a plugin passes them in its call's language.
#[derive(Clone, Copy, Debug)]
pub struct SheetMessages {
    /// The file is not UTF-8.
    pub not_utf8: &'static str,
    /// The CSV cannot be parsed (followed by the parser's detail).
    pub unreadable: &'static str,
    /// A required column is missing from the header.
    pub missing_column: &'static str,
    /// Two headers name the same column.
    pub repeated_column: &'static str,
}

impl SheetMessages {
    /// The messages in the call's locale.
    pub fn localized() -> SheetMessages {
        if crate::ctx::is_english() {
            SheetMessages::ENGLISH
        } else {
            SheetMessages::RUSSIAN
        }
    }

    /// Russian.
    pub const RUSSIAN: SheetMessages = SheetMessages {
        not_utf8: "Файл должен быть в кодировке UTF-8",
        unreadable: "Файл не читается как CSV",
        missing_column: "В заголовке нет этого столбца",
        repeated_column: "Этот столбец в заголовке повторяется",
    };

    /// English.
    pub const ENGLISH: SheetMessages = SheetMessages {
        not_utf8: "the file must be UTF-8",
        unreadable: "the file is not readable as CSV",
        missing_column: "the header lacks this column",
        repeated_column: "the header names this column twice",
    };
}

fn needs_escape(cell: &str) -> bool {
    let mut chars = cell.chars();
    match chars.next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        Some('\'') => chars
            .next()
            .is_some_and(|c| matches!(c, '=' | '+' | '@' | '\t' | '\r' | '-' | '\'')),
        _ => false,
    }
}

fn unescape_cell(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_escape(rest) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

/// The CSV of `header` and `rows`: `;`-separated, UTF-8 with a byte-order mark, formula-like
/// text cells escaped with a leading `'`.
pub fn write_sheet<R, C>(header: &[&str], rows: R) -> String
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = String>,
{
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(header);
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| if needs_escape(&c) { format!("'{c}") } else { c })
            .collect();
        let _ = writer.write_record(&cells);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    let mut out = String::from("\u{feff}");
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_read_as_one_text_with_how_many_more() {
        let mut problems = Problems::default();
        problems.push(3, "area", "Площадь — число");
        problems.push(5, "", "Лишний столбец");
        problems.push(9, "payer", "Нужен плательщик");
        assert_eq!(
            problems_text(&problems.0, 2),
            "строка 3, area: Площадь — число; строка 5: Лишний столбец; и ещё ошибок: 1"
        );
        assert_eq!(
            problems_text(&problems.0[..1], 2),
            "строка 3, area: Площадь — число"
        );
    }

    const COLUMNS: &[Column] = &[
        Column {
            name: "plot",
            aliases: &["участок", "№ участка"],
            required: true,
        },
        Column {
            name: "full_name",
            aliases: &["ФИО"],
            required: true,
        },
        Column {
            name: "note",
            aliases: &["примечание"],
            required: false,
        },
    ];

    fn read(text: &str) -> Result<Sheet, Vec<CellProblem>> {
        read_sheet(text.as_bytes(), COLUMNS, &SheetMessages::ENGLISH)
    }

    #[test]
    fn reads_russian_headers_with_semicolons_and_a_bom() {
        let sheet =
            read("\u{feff}№ Участка;ФИО;Цвет\n12; Иванов И. И. ;синий\n\n;;\n13а;Петрова;\n")
                .unwrap();
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].line, 2);
        assert_eq!(sheet.rows[0].get("plot"), "12");
        assert_eq!(sheet.rows[0].get("full_name"), "Иванов И. И.");
        assert_eq!(sheet.rows[0].get("note"), "");
        assert_eq!(sheet.rows[1].line, 5);
        assert_eq!(sheet.ignored_columns, ["Цвет"]);
    }

    #[test]
    fn commas_and_tabs_work_too() {
        let sheet = read("plot,full_name\n1,\"Сидоров, Пётр\"\n").unwrap();
        assert_eq!(sheet.rows[0].get("full_name"), "Сидоров, Пётр");
        let sheet = read("plot\tfull_name\n1\tА\n").unwrap();
        assert_eq!(sheet.rows[0].get("full_name"), "А");
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = read("участок;примечание\n1;x\n").unwrap_err();
        assert_eq!(
            err,
            [CellProblem {
                line: 1,
                column: "full_name".into(),
                message: "the header lacks this column".into()
            }]
        );
        let err = read("участок;plot;фио\n").unwrap_err();
        assert_eq!(err[0].column, "plot");
        let err = read_sheet(&[0xff, 0xfe], COLUMNS, &SheetMessages::RUSSIAN).unwrap_err();
        assert_eq!(err[0].message, "Файл должен быть в кодировке UTF-8");
    }

    #[test]
    fn cells_are_checked_into_problems() {
        let sheet = read("plot;full_name\n;Иванов\n7;Петров\n").unwrap();
        let mut problems = Problems::default();
        assert_eq!(
            sheet.rows[0].required("plot", &mut problems, "required"),
            None
        );
        assert_eq!(
            sheet.rows[1].parse("plot", &mut problems, |s| s
                .parse::<u32>()
                .map_err(|e| e.to_string())),
            Some(Some(7))
        );
        assert_eq!(
            sheet.rows[1].parse("full_name", &mut problems, |s| s
                .parse::<u32>()
                .map_err(|_| "not a number".into())),
            None
        );
        assert_eq!(
            problems.clone().into_result(()).unwrap_err(),
            [
                CellProblem {
                    line: 2,
                    column: "plot".into(),
                    message: "required".into()
                },
                CellProblem {
                    line: 3,
                    column: "full_name".into(),
                    message: "not a number".into()
                },
            ]
        );
    }

    #[test]
    fn export_escapes_formulas_and_reads_back_unchanged() {
        let rows = vec![
            vec![
                "1".to_string(),
                "=HYPERLINK(\"x\")".to_string(),
                "-15,00".to_string(),
            ],
            vec!["2".to_string(), "Иванов; Пётр".to_string(), "-".to_string()],
            vec!["3".to_string(), "'=quoted".to_string(), "@home".to_string()],
        ];
        let csv = write_sheet(&["plot", "full_name", "note"], rows.clone());
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("'=HYPERLINK"));
        assert!(csv.contains(";-15,00"));
        let sheet = read(&csv).unwrap();
        for (row, expected) in sheet.rows.iter().zip(&rows) {
            assert_eq!(row.get("plot"), expected[0]);
            assert_eq!(row.get("full_name"), expected[1]);
            assert_eq!(row.get("note"), expected[2]);
        }
    }
}

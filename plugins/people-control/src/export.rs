//! The appeals as one CSV file for officials' reports: with codes for the systems that read the
//! API, or with names and local dates for the people who open it in a spreadsheet. A file that
//! would not fit one answer is refused with how far it got, never cut short.

use std::collections::HashMap;

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::appeals::{self, Filter};
use crate::open311;

/// The largest file: the host refuses an answer (and a stored file) over 16 MiB, so the file
/// stops a little short of it, leaving room for the headers.
pub const BUDGET_BYTES: usize = 15 * 1024 * 1024;

/// Who reads the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Columns {
    /// A program: codes, identifiers and RFC 3339 times, the header in English.
    Codes,
    /// A person: names, local dates and decimals as the locale writes them, the header in
    /// the locale's words.
    Names,
}

const CODE_HEADER: [&str; 15] = [
    "number",
    "created",
    "category",
    "kind",
    "status",
    "organization",
    "community",
    "address",
    "lat",
    "lon",
    "deadline",
    "overdue",
    "resolved_hours",
    "supporters",
    "description",
];

fn people_header() -> [&'static str; 15] {
    [
        tr("Номер", "Number"),
        tr("Подано", "Filed"),
        tr("Категория", "Category"),
        tr("Вид", "Kind"),
        tr("Статус", "Status"),
        tr("Организация", "Organization"),
        tr("Место", "Place"),
        tr("Адрес", "Address"),
        tr("Широта", "Latitude"),
        tr("Долгота", "Longitude"),
        tr("Срок", "Deadline"),
        tr("Просрочено", "Overdue"),
        tr("Решено за, ч", "Hours to resolve"),
        tr("Поддержали", "Supporters"),
        tr("Описание", "Description"),
    ]
}

/// Names looked up once per file, not once per row.
#[derive(Default)]
struct Names {
    categories: HashMap<String, String>,
    organizations: HashMap<String, String>,
    places: HashMap<String, String>,
}

impl Names {
    fn load() -> Result<Names> {
        Ok(Names {
            categories: appeals::categories()?
                .into_iter()
                .map(|c| (c.code.clone(), c.name().to_owned()))
                .collect(),
            ..Names::default()
        })
    }

    fn category(&self, code: &str) -> String {
        self.categories
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    fn organization(&mut self, id: &str) -> String {
        let here = ctx::community();
        self.organizations
            .entry(id.to_owned())
            .or_insert_with(|| appeals::organization_name(id, &here))
            .clone()
    }

    fn place(&mut self, id: &str) -> String {
        self.places
            .entry(id.to_owned())
            .or_insert_with(|| directory::community(id).map_or_else(|| id.to_owned(), |c| c.name))
            .clone()
    }
}

/// A moment as people write it here: `05.11.2026 10:00` (`2026-11-05 10:00` in English).
fn local_datetime(ms: i64, offset_minutes: i32) -> String {
    let local = ms.div_euclid(60_000) + i64::from(offset_minutes);
    let (year, month, day) = open311::civil_from_days(local.div_euclid(1440));
    let (hour, minute) = (local.rem_euclid(1440) / 60, local.rem_euclid(60));
    if ctx::is_english() {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
    } else {
        format!("{day:02}.{month:02}.{year:04} {hour:02}:{minute:02}")
    }
}

/// The appeals of the filter that the caller may see, newest first, as CSV.
pub fn appeals_csv(filter: &Filter, columns: Columns) -> Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::internal(e.to_string());
    match columns {
        Columns::Codes => out.write_record(CODE_HEADER),
        Columns::Names => out.write_record(people_header()),
    }
    .map_err(failed)?;
    let mut names = match columns {
        Columns::Codes => Names::default(),
        Columns::Names => Names::load()?,
    };
    let offset = ctx::utc_offset_minutes()?;
    let yes_no = |flag: bool| match (columns, flag) {
        (Columns::Codes, flag) => flag.to_string(),
        (Columns::Names, true) => tr("да", "yes").to_owned(),
        (Columns::Names, false) => tr("нет", "no").to_owned(),
    };
    let decimal_point = if columns == Columns::Names {
        tr(",", ".")
    } else {
        "."
    };
    let mut cursor: Option<String> = None;
    let mut rows = 0;
    loop {
        let page = appeals::list(filter, cursor.as_deref(), 200)?;
        for doc in &page.docs {
            let a = &doc.data;
            let moment = |ms: i64| match columns {
                Columns::Codes => open311::format_datetime(ms, offset),
                Columns::Names => local_datetime(ms, offset),
            };
            let organization = a.organization.as_deref().unwrap_or_default();
            let (category, kind, status, organization, community) = match columns {
                Columns::Codes => (
                    a.category.clone(),
                    format!("{:?}", a.kind).to_lowercase(),
                    a.status.as_str().to_owned(),
                    organization.to_owned(),
                    doc.community.clone(),
                ),
                Columns::Names => (
                    names.category(&a.category),
                    a.kind.label().to_owned(),
                    a.status.label().to_owned(),
                    if organization.is_empty() {
                        tr("Не назначено", "Not assigned").to_owned()
                    } else {
                        names.organization(organization)
                    },
                    names.place(&doc.community),
                ),
            };
            out.write_record([
                a.number.to_string(),
                moment(a.created),
                category,
                kind,
                status,
                organization,
                community,
                a.address.clone().unwrap_or_default(),
                a.point.map(|p| p.lat.to_string()).unwrap_or_default(),
                a.point.map(|p| p.lon.to_string()).unwrap_or_default(),
                moment(a.deadline),
                yes_no(a.overdue),
                a.resolve_ms
                    .map(|ms| format!("{:.1}", ms as f64 / 3_600_000.0).replace('.', decimal_point))
                    .unwrap_or_default(),
                a.supporters.to_string(),
                a.description.clone(),
            ])
            .map_err(failed)?;
            rows += 1;
        }
        if out.get_ref().len() > BUDGET_BYTES {
            return Err(Error::invalid(
                "from",
                tr(
                    &format!(
                        "Обращения не помещаются в один файл (15 МБ превышены на {rows}-м): \
                         выберите период короче или уточните фильтр"
                    ),
                    &format!(
                        "the appeals do not fit one file (15 MiB passed after {rows} appeals): \
                         choose a shorter period or a narrower filter"
                    ),
                ),
            ));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    out.into_inner().map_err(|e| Error::internal(e.to_string()))
}

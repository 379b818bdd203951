//! The register kept in storage (ст.15): the chairman's spreadsheet imported all or nothing
//! and exported in the same columns, a person's record linked to their dvor account, contact
//! changes with their history.
//!
//! The file has a row per person and plot ([`crate::register`]); the register keeps a record
//! per person with their plots: a member's rows share a book number, an owner's rows their name
//! and address. A re-import updates the records it finds (by book number, else by name and a
//! plot or the address) and adds the new ones; records not in the file stay as they are.

use std::collections::BTreeMap;

use dvor_sdk::csv_sheet::CellProblem;
use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use serde::Serialize;

use crate::access::{self, all_records};
use crate::model::{Holding, PLOTS, PlotExtra, RECORDS, Record, Standing, name_key};
use crate::register::{self, RegisterEntry, Section as RowSection};
use crate::signals;

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    /// Records added.
    pub created: u32,
    /// Records changed.
    pub updated: u32,
    /// Records in the file that were already so.
    pub unchanged: u32,
    /// Records linked to a dvor account on the way.
    pub linked: u32,
}

/// One person of the file: their rows merged.
struct FilePerson {
    line: u64,
    section: RowSection,
    full_name: String,
    postal_address: String,
    email: Option<String>,
    phone: Option<String>,
    member_since: Option<Date>,
    book_number: Option<String>,
    holdings: Vec<Holding>,
}

fn address_key(address: &str) -> String {
    name_key(address).replace([',', '.'], "")
}

/// Whether a dvor person of `display_name` is the register's `full_name`: every word of the
/// display name is a word of the full name (`Анна Петрова` is `Петрова Анна Сергеевна`).
pub fn same_person(display_name: &str, full_name: &str) -> bool {
    let full: Vec<String> = name_key(full_name).split(' ').map(str::to_owned).collect();
    let shown = name_key(display_name);
    let words: Vec<&str> = shown.split(' ').filter(|w| !w.is_empty()).collect();
    words.len() >= 2 && words.iter().all(|w| full.iter().any(|f| f == w))
}

/// The dvor account of the owner of one of `plots` who is this person, by phone or by name.
fn find_account(plots: &[String], full_name: &str, phone: Option<&str>) -> Option<String> {
    let here = ctx::community();
    let mut candidates: Vec<String> = plots
        .iter()
        .flat_map(|p| directory::owners(&format!("{here}/{p}")))
        .map(|o| o.person_id)
        .collect();
    candidates.sort();
    candidates.dedup();
    let people: Vec<directory::PersonInfo> = candidates
        .iter()
        .filter_map(|id| directory::person(id))
        .collect();
    if let Some(phone) = phone
        && let Some(found) = people.iter().find(|p| p.phone.as_deref() == Some(phone))
    {
        return Some(found.id.clone());
    }
    let named: Vec<&directory::PersonInfo> = people
        .iter()
        .filter(|p| same_person(&p.display_name, full_name))
        .collect();
    match named.as_slice() {
        [one] => Some(one.id.clone()),
        _ => None,
    }
}

/// Checks of the file against the partnership's plots: every plot is one of its units, with the
/// unit's cadastral number where the host knows it.
fn check_plots(entries: &[(u64, RegisterEntry)]) -> Vec<CellProblem> {
    let plots = access::plots();
    let mut problems = Vec::new();
    for (line, entry) in entries {
        match plots.iter().find(|u| u.number == entry.plot) {
            None => problems.push(CellProblem {
                line: *line,
                column: "plot".into(),
                message: format!(
                    "{} {}",
                    tr("В товариществе нет участка", "the partnership has no plot"),
                    entry.plot
                ),
            }),
            Some(unit) => {
                if let Some(known) = &unit.cadastral_number
                    && known != &entry.cadastral_number
                {
                    problems.push(CellProblem {
                        line: *line,
                        column: "cadastral_number".into(),
                        message: format!(
                            "{} {known}",
                            tr(
                                "У этого участка другой кадастровый номер:",
                                "this plot has another cadastral number:"
                            )
                        ),
                    });
                }
            }
        }
    }
    problems
}

/// Merge the file's rows into people.
fn people_of(entries: Vec<(u64, RegisterEntry)>) -> Vec<FilePerson> {
    let mut people: Vec<FilePerson> = Vec::new();
    for (line, e) in entries {
        let found = people.iter_mut().find(|p| match (e.section, p.section) {
            (RowSection::Member, RowSection::Member) => p.book_number == e.book_number,
            (RowSection::NonMemberOwner, RowSection::NonMemberOwner) => {
                name_key(&p.full_name) == name_key(&e.full_name)
                    && address_key(&p.postal_address) == address_key(&e.postal_address)
            }
            _ => false,
        });
        let holding = Holding {
            plot: e.plot.clone(),
            share: e.share,
        };
        match found {
            Some(person) => {
                person.holdings.push(holding);
                person.email = person.email.take().or(e.email);
                person.phone = person.phone.take().or(e.phone);
            }
            None => people.push(FilePerson {
                line,
                section: e.section,
                full_name: e.full_name,
                postal_address: e.postal_address,
                email: e.email,
                phone: e.phone,
                member_since: e.member_since,
                book_number: e.book_number,
                holdings: vec![holding],
            }),
        }
    }
    people
}

/// The existing record that is this person of the file.
fn matching<'a>(person: &FilePerson, records: &'a [Doc<Record>]) -> Option<&'a Doc<Record>> {
    if let Some(book) = &person.book_number
        && let Some(found) = records
            .iter()
            .find(|r| r.data.book_number.as_ref() == Some(book))
    {
        return Some(found);
    }
    let key = name_key(&person.full_name);
    records.iter().filter(|r| r.data.name_key == key).find(|r| {
        person.holdings.iter().any(|h| r.data.holds(&h.plot))
            || address_key(&r.data.postal_address) == address_key(&person.postal_address)
    })
}

/// Import the register from `body` (CSV): every record, or every bad cell and nothing.
pub fn import(body: &[u8]) -> Result<core::result::Result<ImportReport, Vec<CellProblem>>> {
    crate::access::require_board()?;
    let entries = match register::import_register_lines(body) {
        Ok(entries) => entries,
        Err(problems) => return Ok(Err(problems)),
    };
    let problems = check_plots(&entries);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    // Cadastral numbers the host does not know are kept with the plot.
    let units = access::plots();
    let community = ctx::community();
    for (_, entry) in &entries {
        if units
            .iter()
            .any(|u| u.number == entry.plot && u.cadastral_number.is_none())
        {
            let id = access::unit_id(&entry.plot);
            let mut extra = PLOTS.get(&id)?.map(|d| d.data).unwrap_or_default();
            if extra.cadastral_number.as_deref() != Some(entry.cadastral_number.as_str()) {
                extra.cadastral_number = Some(entry.cadastral_number.clone());
                PLOTS.put(&community, &id, &extra, None)?;
            }
        }
    }
    let today = ctx::today()?;
    let existing = all_records()?;
    let mut report = ImportReport::default();
    let mut changed = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    for person in people_of(entries) {
        let standing = match person.section {
            RowSection::Member => Standing::Member,
            RowSection::NonMemberOwner => Standing::Owner,
        };
        let found = matching(&person, &existing).filter(|r| !taken.contains(&r.id));
        let mut record = match found {
            Some(doc) => doc.data.clone(),
            None => Record {
                standing,
                full_name: person.full_name.clone(),
                name_key: name_key(&person.full_name),
                postal_address: person.postal_address.clone(),
                email: None,
                phone: None,
                person_id: None,
                holdings: Vec::new(),
                member_since: None,
                book_number: None,
                warning: None,
                expulsion: None,
                departure: None,
                history: Vec::new(),
            },
        };
        let before = record.clone();
        if found.is_none() {
            record.note(
                person.member_since.unwrap_or(today),
                format!(
                    "Внесён в реестр: {} (строка {} файла)",
                    standing.label_ru(),
                    person.line
                ),
                format!(
                    "Entered in the register: {} (line {} of the file)",
                    standing.label_en(),
                    person.line
                ),
            );
        } else if record.standing != standing {
            record.note(
                person.member_since.unwrap_or(today),
                format!("Раздел реестра: {}", standing.label_ru()),
                format!("Register section: {}", standing.label_en()),
            );
        }
        record.standing = standing;
        record.full_name = person.full_name.clone();
        record.name_key = name_key(&person.full_name);
        record.postal_address = person.postal_address.clone();
        record.email = person.email.clone();
        record.phone = person.phone.clone();
        record.member_since = person.member_since;
        record.book_number = person.book_number.clone();
        if record.holdings != person.holdings {
            if found.is_some() {
                record.note(
                    today,
                    format!(
                        "Участки: {}",
                        person
                            .holdings
                            .iter()
                            .map(|h| h.plot.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    format!(
                        "Plots: {}",
                        person
                            .holdings
                            .iter()
                            .map(|h| h.plot.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            record.holdings = person.holdings.clone();
        }
        if found.is_some() && contacts_changed(&before, &record) {
            record.note(
                today,
                "Изменены данные по файлу реестра",
                "Details changed from the register file",
            );
        }
        if record.person_id.is_none() {
            let plots: Vec<String> = record.holdings.iter().map(|h| h.plot.clone()).collect();
            record.person_id = find_account(&plots, &record.full_name, record.phone.as_deref());
            if record.person_id.is_some() {
                report.linked += 1;
            }
        }
        match found {
            Some(doc) if doc.data == record => {
                report.unchanged += 1;
                taken.push(doc.id.clone());
            }
            Some(doc) => {
                taken.push(doc.id.clone());
                changed.push(RECORDS.put(&doc.community, &doc.id, &record, Some(doc.version))?);
                report.updated += 1;
            }
            None => {
                changed.push(RECORDS.insert(&community, None, &record)?);
                report.created += 1;
            }
        }
    }
    signals::register_changed(&changed)?;
    Ok(Ok(report))
}

fn contacts_changed(before: &Record, after: &Record) -> bool {
    before.full_name != after.full_name
        || before.postal_address != after.postal_address
        || before.email != after.email
        || before.phone != after.phone
        || before.book_number != after.book_number
        || before.member_since != after.member_since
}

impl Standing {
    /// The section's name in Russian, for the history.
    pub fn label_ru(self) -> &'static str {
        match self {
            Standing::Member => "член товарищества",
            Standing::Owner => "собственник без членства",
            Standing::Former => "выбыл",
        }
    }

    /// The section's name in English, for the history.
    pub fn label_en(self) -> &'static str {
        match self {
            Standing::Member => "member",
            Standing::Owner => "non-member owner",
            Standing::Former => "former",
        }
    }
}

/// The cadastral number of `plot`: the host's, else the register's.
pub fn cadastral_number(plot: &directory::Unit) -> Result<Option<String>> {
    if plot.cadastral_number.is_some() {
        return Ok(plot.cadastral_number.clone());
    }
    Ok(PLOTS.get(&plot.id)?.and_then(|d| d.data.cadastral_number))
}

/// The extras of every plot, by number.
pub fn extras() -> Result<BTreeMap<String, PlotExtra>> {
    let prefix = format!("{}/", ctx::community());
    Ok(PLOTS
        .query()
        .in_community(&ctx::community())
        .fetch_all()?
        .into_iter()
        .filter_map(|d| Some((d.id.strip_prefix(&prefix)?.to_owned(), d.data)))
        .collect())
}

/// The register as CSV, in the import's columns: a row per person and plot, members first.
pub fn export() -> Result<String> {
    crate::access::require_board()?;
    let units = access::plots();
    let extras = extras()?;
    let mut rows = Vec::new();
    let mut records = all_records()?;
    records.retain(|r| r.data.standing != Standing::Former);
    records.sort_by_key(|r| (r.data.standing != Standing::Member, r.data.name_key.clone()));
    for doc in records {
        let r = &doc.data;
        for holding in &r.holdings {
            let cadastral = units
                .iter()
                .find(|u| u.number == holding.plot)
                .and_then(|u| u.cadastral_number.clone())
                .or_else(|| {
                    extras
                        .get(&holding.plot)
                        .and_then(|e| e.cadastral_number.clone())
                })
                .unwrap_or_default();
            rows.push(RegisterEntry {
                section: if r.standing == Standing::Member {
                    RowSection::Member
                } else {
                    RowSection::NonMemberOwner
                },
                plot: holding.plot.clone(),
                cadastral_number: cadastral,
                full_name: r.full_name.clone(),
                postal_address: r.postal_address.clone(),
                email: r.email.clone(),
                phone: r.phone.clone(),
                share: holding.share,
                member_since: r.member_since.filter(|_| r.standing == Standing::Member),
                book_number: r
                    .book_number
                    .clone()
                    .filter(|_| r.standing == Standing::Member),
            });
        }
    }
    Ok(register::export_register(&rows))
}

/// Link record `id` to dvor person `person` (the board, when the import could not tell).
pub fn link(id: &str, person: &str) -> Result<Doc<Record>> {
    access::require_board()?;
    let doc = access::record(id)?;
    let Some(info) = directory::person(person.trim()) else {
        return Err(Error::invalid(
            "person",
            tr(
                "Нет такого человека в этом товариществе",
                "no such person in this partnership",
            ),
        ));
    };
    if let Some(other) = access::records_of(&info.id)?
        .into_iter()
        .find(|r| r.id != doc.id && r.data.standing != Standing::Former)
    {
        return Err(Error::invalid(
            "person",
            format!(
                "{} {}",
                tr(
                    "Этот человек уже связан с записью:",
                    "this person is already linked to the record of"
                ),
                other.data.full_name
            ),
        ));
    }
    let mut record = doc.data.clone();
    record.person_id = Some(info.id.clone());
    record.note(
        ctx::today()?,
        format!("Связан с пользователем {}", info.display_name),
        format!("Linked to the user {}", info.display_name),
    );
    let saved = RECORDS.put(&doc.community, &doc.id, &record, Some(doc.version))?;
    signals::register_changed([&saved])?;
    Ok(saved)
}

/// New contact details of a record, from the board or the person themselves.
#[derive(Clone, Debug, Default)]
pub struct Contacts {
    /// The postal address.
    pub postal_address: String,
    /// E-mail (blank: none).
    pub email: String,
    /// Phone (blank: none).
    pub phone: String,
}

/// Change record `id`'s contact details: its person tells the board, or the board records it.
pub fn update_contacts(id: &str, contacts: &Contacts) -> Result<Doc<Record>> {
    let caller = ctx::require_caller()?;
    let doc = access::record(id)?;
    let own = doc.data.person_id.as_deref() == Some(caller.person_id.as_str());
    if !own && !access::is_board() {
        return Err(Error::forbidden(tr(
            "Данные записи меняет её владелец или правление",
            "the record's person or the board changes its details",
        )));
    }
    let address = contacts.postal_address.trim();
    if address.is_empty() {
        return Err(Error::invalid(
            "postal_address",
            tr("Укажите почтовый адрес", "enter the postal address"),
        ));
    }
    let email = contacts.email.trim();
    if !email.is_empty() && !register::is_email(email) {
        return Err(Error::invalid(
            "email",
            tr("Неверный адрес электронной почты", "not an e-mail address"),
        ));
    }
    let phone = match contacts.phone.trim() {
        "" => None,
        text => Some(register::normalize_phone(text).map_err(|m| Error::invalid("phone", m))?),
    };
    let mut record = doc.data.clone();
    record.postal_address = address.to_owned();
    record.email = Some(email.to_lowercase()).filter(|e| !e.is_empty());
    record.phone = phone;
    if record == doc.data {
        return Ok(doc);
    }
    record.note(
        ctx::today()?,
        if own {
            "Член сообщил новые контактные данные"
        } else {
            "Правление изменило контактные данные"
        },
        if own {
            "The person gave new contact details"
        } else {
            "The board changed the contact details"
        },
    );
    RECORDS.put(&doc.community, &doc.id, &record, Some(doc.version))
}

/// Set what the register keeps about plot `number`: its building area (m²), transformer and
/// direct contract.
pub fn save_plot(
    number: &str,
    building_area: Option<dvor_sdk::Decimal>,
    transformer: &str,
    direct_contract: bool,
) -> Result<Doc<PlotExtra>> {
    access::require_board()?;
    let unit = access::plot("plot", number)?;
    let mut extra = PLOTS.get(&unit.id)?.map(|d| d.data).unwrap_or_default();
    if let Some(area) = building_area {
        let centi = dvor_sdk::Ratio::from_decimal(area)
            .checked_mul(dvor_sdk::Ratio::from_integer(100))
            .filter(|r| r.is_integer() && !r.is_negative())
            .map(|r| r.numer())
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| {
                Error::invalid(
                    "building_area",
                    tr(
                        "Площадь строений: неотрицательное число с двумя знаками после запятой",
                        "building area: a number from 0 with at most two decimals",
                    ),
                )
            })?;
        extra.building_area_centi_m2 = centi;
    }
    let transformer = transformer.trim();
    extra.transformer = Some(transformer.to_owned()).filter(|t| !t.is_empty());
    extra.direct_contract = direct_contract;
    PLOTS.put(&ctx::community(), &unit.id, &extra, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_display_name_is_matched_to_the_register_s_full_name() {
        assert!(same_person("Анна Петрова", "Петрова Анна Сергеевна"));
        assert!(same_person("Пётр Иванов", "Иванов Петр Ильич"));
        assert!(!same_person("Анна Петрова", "Петрова Мария Сергеевна"));
        assert!(!same_person("Анна", "Петрова Анна Сергеевна"));
    }
}

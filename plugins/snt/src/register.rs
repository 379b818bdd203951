//! The register of members and owners (217-ФЗ ст.15, RULES §7): its CSV import and export.
//!
//! A record has the fields of ст.15 and nothing more — no ИНН, no passport: the section
//! (member, or non-member owner — a separate section, ст.5), the plot's number and cadastral
//! number, full name, postal address, e-mail, phone, the share where a plot has co-owners, and
//! for members the membership start date and book number.
//!
//! The import is all or nothing: [`import_register`] returns every entry or every bad cell,
//! named by line and column — a bad e-mail, a cadastral number not of the form
//! `50:20:0010336:123`, a member without a book number, two members with one book number, a
//! non-member with a membership date, shares of one plot above 1, one plot with two cadastral
//! numbers. Headers may be Russian or English; dates `ДД.ММ.ГГГГ` or `ГГГГ-ММ-ДД`; phones are
//! stored as `+7XXXXXXXXXX`. [`export_register`] writes the same columns back, so an export
//! imports unchanged.

use dvor_sdk::csv_sheet::{self, CellProblem, Column, Problems, SheetMessages, SheetRow};
use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Ratio};
use serde::{Deserialize, Serialize};

/// The register's two sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Members of the partnership.
    Member,
    /// Owners of plots who are not members (ст.5).
    NonMemberOwner,
}

impl Section {
    fn parse(text: &str) -> Result<Section, String> {
        match text.trim().to_lowercase().replace('ё', "е").as_str() {
            "член" | "член снт" | "член товарищества" | "member" => {
                Ok(Section::Member)
            }
            "собственник"
            | "не член"
            | "без членства"
            | "индивидуал"
            | "non-member owner"
            | "owner"
            | "non_member_owner" => Ok(Section::NonMemberOwner),
            _ => Err(tr(
                "Раздел должен быть «член» или «собственник»",
                "the section must be `member` or `owner`",
            )
            .to_owned()),
        }
    }

    fn text(self) -> &'static str {
        match self {
            Section::Member => tr("член", "member"),
            Section::NonMemberOwner => tr("собственник", "owner"),
        }
    }
}

/// One record of the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterEntry {
    /// Member or non-member owner.
    pub section: Section,
    /// The plot's number in the SNT.
    pub plot: String,
    /// The plot's cadastral number, `NN:NN:NNNNNNN:N…`.
    pub cadastral_number: String,
    /// Фамилия, имя, отчество.
    pub full_name: String,
    /// The postal address for notices.
    pub postal_address: String,
    /// E-mail, if given.
    pub email: Option<String>,
    /// Phone as `+7XXXXXXXXXX`, if given.
    pub phone: Option<String>,
    /// The share of the plot, where it has several owners with shares.
    pub share: Option<Ratio>,
    /// Members: the day membership started.
    pub member_since: Option<Date>,
    /// Members: the membership book's number.
    pub book_number: Option<String>,
}

/// The columns, canonical name first, then the headers accepted for them.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "section",
        aliases: &["раздел", "статус"],
        required: true,
    },
    Column {
        name: "plot",
        aliases: &["участок", "№ участка", "номер участка"],
        required: true,
    },
    Column {
        name: "cadastral_number",
        aliases: &["кадастровый номер", "кад. номер"],
        required: true,
    },
    Column {
        name: "full_name",
        aliases: &["фио", "ф.и.о.", "фамилия имя отчество"],
        required: true,
    },
    Column {
        name: "postal_address",
        aliases: &["почтовый адрес", "адрес"],
        required: true,
    },
    Column {
        name: "email",
        aliases: &["e-mail", "эл. почта", "электронная почта"],
        required: false,
    },
    Column {
        name: "phone",
        aliases: &["телефон"],
        required: false,
    },
    Column {
        name: "share",
        aliases: &["доля"],
        required: false,
    },
    Column {
        name: "member_since",
        aliases: &["дата вступления", "член с"],
        required: false,
    },
    Column {
        name: "book_number",
        aliases: &["номер членской книжки", "№ книжки", "членская книжка"],
        required: false,
    },
];

/// Whether `text` is a cadastral number: four groups of digits joined by `:` — district (2),
/// area (2), quarter (6–7), number (1 or more).
pub fn is_cadastral_number(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    let [district, area, quarter, number] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, lengths: core::ops::RangeInclusive<usize>| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    digits(district, 2..=2)
        && digits(area, 2..=2)
        && digits(quarter, 6..=7)
        && digits(number, 1..=10)
}

/// A Russian phone number as `+7XXXXXXXXXX`, from `8 (912) 345-67-89`, `+7 912 345 67 89`,
/// `9123456789`.
pub fn normalize_phone(text: &str) -> Result<String, String> {
    let bad = || {
        tr(
            "Телефон: ожидается номер вида +7 912 345-67-89",
            "phone: expected a number such as +7 912 345-67-89",
        )
        .to_owned()
    };
    if text
        .chars()
        .any(|c| !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '\u{a0}')))
        || text
            .trim_start()
            .get(1..)
            .is_some_and(|rest| rest.contains('+'))
    {
        return Err(bad());
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let national = match (digits.len(), digits.as_bytes().first()) {
        (11, Some(b'7' | b'8')) => &digits[1..],
        (10, Some(_)) => &digits[..],
        _ => return Err(bad()),
    };
    Ok(format!("+7{national}"))
}

/// Whether `text` looks like an e-mail address: one `@`, something before it, a dotted domain
/// after it, no spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// A date as `ДД.ММ.ГГГГ` or `ГГГГ-ММ-ДД`.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let iso = match text.split('.').collect::<Vec<_>>().as_slice() {
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => {
            format!("{y}-{m:0>2}-{d:0>2}")
        }
        _ => text.to_owned(),
    };
    iso.parse()
        .map_err(|_| tr("Дата: ожидается ДД.ММ.ГГГГ", "date: expected DD.MM.YYYY").to_owned())
}

fn parse_share(text: &str) -> Result<Ratio, String> {
    let bad = || {
        tr(
            "Доля: ожидается дробь от 0 до 1, например 1/2",
            "share: expected a fraction from 0 to 1, such as 1/2",
        )
        .to_owned()
    };
    let share = match text.parse::<Ratio>() {
        Ok(r) => r,
        Err(_) => Ratio::from_decimal(text.parse::<dvor_sdk::Decimal>().map_err(|_| bad())?),
    };
    if share <= Ratio::ZERO || share > Ratio::ONE {
        return Err(bad());
    }
    Ok(share)
}

fn read_entry(row: &SheetRow, problems: &mut Problems) -> Option<RegisterEntry> {
    let required = tr("Обязательное поле", "required");
    let before = problems.0.len();
    let section = row.parse("section", problems, Section::parse).flatten();
    if section.is_none() && row.get("section").is_empty() {
        problems.push(row.line, "section", required);
    }
    let plot = row.required("plot", problems, required).map(str::to_owned);
    let cadastral = row
        .required("cadastral_number", problems, required)
        .map(str::to_owned);
    if let Some(c) = &cadastral
        && !is_cadastral_number(c)
    {
        problems.push(
            row.line,
            "cadastral_number",
            tr(
                "Кадастровый номер: ожидается вид 50:20:0010336:123",
                "cadastral number: expected the form 50:20:0010336:123",
            ),
        );
    }
    let full_name = row
        .required("full_name", problems, required)
        .map(str::to_owned);
    let postal_address = row
        .required("postal_address", problems, required)
        .map(str::to_owned);
    let email = row
        .parse("email", problems, |s| {
            if is_email(s) {
                Ok(s.to_lowercase())
            } else {
                Err(tr("Неверный адрес электронной почты", "not an e-mail address").to_owned())
            }
        })
        .flatten();
    let phone = row.parse("phone", problems, normalize_phone).flatten();
    let share = row.parse("share", problems, parse_share).flatten();
    let member_since = row.parse("member_since", problems, parse_date).flatten();
    let book_number = Some(row.get("book_number"))
        .filter(|b| !b.is_empty())
        .map(str::to_owned);
    match section {
        Some(Section::Member) => {
            if row.get("member_since").is_empty() {
                problems.push(
                    row.line,
                    "member_since",
                    tr(
                        "У члена должна быть дата вступления",
                        "a member needs a membership start date",
                    ),
                );
            }
            if book_number.is_none() {
                problems.push(
                    row.line,
                    "book_number",
                    tr(
                        "У члена должен быть номер членской книжки",
                        "a member needs a membership book number",
                    ),
                );
            }
        }
        Some(Section::NonMemberOwner) => {
            if !row.get("member_since").is_empty() {
                problems.push(
                    row.line,
                    "member_since",
                    tr(
                        "У собственника без членства нет даты вступления",
                        "a non-member owner has no membership start date",
                    ),
                );
            }
            if book_number.is_some() {
                problems.push(
                    row.line,
                    "book_number",
                    tr(
                        "У собственника без членства нет членской книжки",
                        "a non-member owner has no membership book",
                    ),
                );
            }
        }
        None => {}
    }
    if problems.0.len() > before {
        return None;
    }
    Some(RegisterEntry {
        section: section?,
        plot: plot?,
        cadastral_number: cadastral?,
        full_name: full_name?,
        postal_address: postal_address?,
        email,
        phone,
        share,
        member_since,
        book_number,
    })
}

/// Checks across rows: one cadastral number per plot and one plot per cadastral number, no
/// person twice on a plot, a book number for one member only (a member with several plots is on
/// a row for each, with the same book), shares of a plot at most 1 and given for all its owners
/// or none.
fn check_rows(entries: &[(u64, RegisterEntry)], problems: &mut Problems) {
    for (i, (line, entry)) in entries.iter().enumerate() {
        let earlier = &entries[..i];
        if let Some((first, _)) = earlier
            .iter()
            .find(|(_, e)| e.plot == entry.plot && e.cadastral_number != entry.cadastral_number)
        {
            problems.push(
                *line,
                "cadastral_number",
                format!(
                    "{} {first}",
                    tr(
                        "У участка другой кадастровый номер в строке",
                        "the plot has another cadastral number on line"
                    )
                ),
            );
        }
        if let Some((first, _)) = earlier
            .iter()
            .find(|(_, e)| e.plot != entry.plot && e.cadastral_number == entry.cadastral_number)
        {
            problems.push(
                *line,
                "cadastral_number",
                format!(
                    "{} {first}",
                    tr(
                        "Этот кадастровый номер у другого участка в строке",
                        "another plot has this cadastral number on line"
                    )
                ),
            );
        }
        if let Some((first, _)) = earlier.iter().find(|(_, e)| {
            e.plot == entry.plot && e.full_name.to_lowercase() == entry.full_name.to_lowercase()
        }) {
            problems.push(
                *line,
                "full_name",
                format!(
                    "{} {first}",
                    tr(
                        "Этот человек уже записан на участок в строке",
                        "this person is already on the plot on line"
                    )
                ),
            );
        }
        // One member with several plots keeps one book: the same number is another member's
        // only when the name differs.
        if let Some(book) = &entry.book_number
            && let Some((first, _)) = earlier.iter().find(|(_, e)| {
                e.book_number.as_ref() == Some(book)
                    && e.full_name.to_lowercase() != entry.full_name.to_lowercase()
            })
        {
            problems.push(
                *line,
                "book_number",
                format!(
                    "{} {first}",
                    tr(
                        "Этот номер книжки уже в строке",
                        "this book number is already on line"
                    )
                ),
            );
        }
        let co_owners: Vec<&RegisterEntry> = earlier
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.plot == entry.plot)
            .collect();
        if !co_owners.is_empty()
            && co_owners.iter().any(|e| e.share.is_some()) != entry.share.is_some()
        {
            problems.push(
                *line,
                "share",
                tr(
                    "Доли указываются для всех собственников участка или ни для кого",
                    "give shares for all owners of the plot or for none",
                ),
            );
        } else if let Some(share) = entry.share {
            let sum = Ratio::checked_sum(co_owners.iter().filter_map(|e| e.share).chain([share]));
            if sum.is_none_or(|s| s > Ratio::ONE) {
                problems.push(
                    *line,
                    "share",
                    tr(
                        "Доли собственников участка в сумме больше 1",
                        "the owners' shares of the plot add up to more than 1",
                    ),
                );
            }
        }
    }
}

/// Reads the register from a CSV file: every entry, or every bad cell and nothing.
pub fn import_register(body: &[u8]) -> Result<Vec<RegisterEntry>, Vec<CellProblem>> {
    Ok(import_register_lines(body)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// [`import_register`] with each entry's line in the file, for the checks that need the
/// partnership's plots.
pub fn import_register_lines(body: &[u8]) -> Result<Vec<(u64, RegisterEntry)>, Vec<CellProblem>> {
    let sheet = csv_sheet::read_sheet(body, COLUMNS, &SheetMessages::localized())?;
    let mut problems = Problems::default();
    let mut entries = Vec::new();
    for row in &sheet.rows {
        if let Some(entry) = read_entry(row, &mut problems) {
            entries.push((row.line, entry));
        }
    }
    check_rows(&entries, &mut problems);
    problems.into_result(entries)
}

fn date_text(date: Date) -> String {
    format!("{:02}.{:02}.{:04}", date.day(), date.month(), date.year())
}

/// The register as CSV, in the columns [`import_register`] reads, headers in the call's
/// locale.
pub fn export_register(entries: &[RegisterEntry]) -> String {
    let header: Vec<&str> = COLUMNS
        .iter()
        .map(|c| {
            if dvor_sdk::ctx::is_english() {
                c.name
            } else {
                c.aliases[0]
            }
        })
        .collect();
    let rows = entries.iter().map(|e| {
        vec![
            e.section.text().to_owned(),
            e.plot.clone(),
            e.cadastral_number.clone(),
            e.full_name.clone(),
            e.postal_address.clone(),
            e.email.clone().unwrap_or_default(),
            e.phone.clone().unwrap_or_default(),
            e.share.map(|s| s.to_string()).unwrap_or_default(),
            e.member_since.map(date_text).unwrap_or_default(),
            e.book_number.clone().unwrap_or_default(),
        ]
    });
    csv_sheet::write_sheet(&header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\u{feff}Раздел;Участок;Кадастровый номер;ФИО;Почтовый адрес;E-mail;Телефон;Доля;Дата вступления;Номер членской книжки\n\
        член;12;50:20:0010336:123;Иванова Мария Петровна;141000, г. Мытищи, ул. Лесная, 5;Ivanova@Mail.ru;8 (912) 345-67-89;1/2;15.05.2019;17\n\
        собственник;12;50:20:0010336:123;Иванов Пётр Ильич;141000, г. Мытищи, ул. Лесная, 5;;+7 912 000 11 22;1/2;;\n\
        член;13а;50:20:0010336:124;Сидоров Олег;Москва, ул. Тверская, 1;;;;2020-06-01;18\n";

    #[test]
    fn a_good_file_imports_with_both_sections() {
        let entries = import_register(GOOD.as_bytes()).unwrap();
        assert_eq!(entries.len(), 3);
        let maria = &entries[0];
        assert_eq!(maria.section, Section::Member);
        assert_eq!(maria.email.as_deref(), Some("ivanova@mail.ru"));
        assert_eq!(maria.phone.as_deref(), Some("+79123456789"));
        assert_eq!(maria.share, Ratio::new(1, 2));
        assert_eq!(maria.member_since, Some("2019-05-15".parse().unwrap()));
        assert_eq!(maria.book_number.as_deref(), Some("17"));
        assert_eq!(entries[1].section, Section::NonMemberOwner);
        assert_eq!(entries[1].member_since, None);
        assert_eq!(entries[2].plot, "13а");
    }

    #[test]
    fn export_imports_back_unchanged() {
        let entries = import_register(GOOD.as_bytes()).unwrap();
        let csv = export_register(&entries);
        assert!(csv.starts_with("\u{feff}раздел;участок;кадастровый номер;фио;"));
        assert!(csv.contains(";15.05.2019;17"));
        assert!(!csv.to_lowercase().contains("инн"));
        assert_eq!(import_register(csv.as_bytes()).unwrap(), entries);
    }

    #[test]
    fn every_bad_cell_is_named_and_nothing_imports() {
        let bad = "section;plot;cadastral_number;full_name;postal_address;email;phone;share;member_since;book_number\n\
            member;1;50:20:0010336;Петров;Адрес;petrov@;12345;;31.02.2020;\n\
            owner;2;50:20:0010336:200;Кузнецова;Адрес;;;;01.01.2020;9\n\
            member;3;50:20:0010336:300;Орлов;Адрес;;;;01.01.2021;7\n\
            member;4;50:20:0010336:400;Орлова;Адрес;;;;01.01.2021;7\n\
            owner;5;50:20:0010336:500;А;Адрес;;;2/3;;\n\
            owner;5;50:20:0010336:500;Б;Адрес;;;1/2;;\n\
            owner;6;50:20:0010336:600;;;;;;;\n\
            гость;7;50:20:0010336:700;В;Адрес;;;;;\n";
        let problems = import_register(bad.as_bytes()).unwrap_err();
        let got: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "cadastral_number"),
                (2, "email"),
                (2, "phone"),
                (2, "member_since"),
                (2, "book_number"),
                (3, "member_since"),
                (3, "book_number"),
                (8, "full_name"),
                (8, "postal_address"),
                (9, "section"),
                (5, "book_number"),
                (7, "share"),
            ]
        );
        assert!(
            problems[10].message.contains('4'),
            "{}",
            problems[10].message
        );
    }

    #[test]
    fn a_member_with_two_plots_keeps_one_book() {
        let csv = "section;plot;cadastral_number;full_name;postal_address;member_since;book_number\n\
            член;1;50:20:0010336:100;Иванова Мария;Адрес;15.05.2019;17\n\
            член;2;50:20:0010336:101;иванова мария;Адрес;15.05.2019;17\n\
            член;3;50:20:0010336:102;Петров Олег;Адрес;15.05.2019;17\n";
        let problems = import_register(csv.as_bytes()).unwrap_err();
        let got: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_str()))
            .collect();
        assert_eq!(got, [(4, "book_number")]);
    }

    #[test]
    fn plots_keep_one_cadastral_number() {
        let csv = "section;plot;cadastral_number;full_name;postal_address\n\
            owner;1;50:20:0010336:100;А;Адрес\n\
            owner;1;50:20:0010336:101;Б;Адрес\n\
            owner;2;50:20:0010336:100;В;Адрес\n\
            owner;3;50:20:0010336:300;Г;Адрес\n\
            owner;3;50:20:0010336:300;г;Адрес\n";
        let problems = import_register(csv.as_bytes()).unwrap_err();
        let got: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "cadastral_number"),
                (4, "cadastral_number"),
                (6, "full_name")
            ]
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let problems = import_register("участок;фио\n1;А\n".as_bytes()).unwrap_err();
        let columns: Vec<&str> = problems.iter().map(|p| p.column.as_str()).collect();
        assert_eq!(columns, ["section", "cadastral_number", "postal_address"]);
        assert!(problems.iter().all(|p| p.line == 1));
    }

    #[test]
    fn field_formats() {
        assert!(is_cadastral_number("50:20:0010336:123"));
        assert!(is_cadastral_number("77:01:001001:1"));
        assert!(!is_cadastral_number("50:20:0010336"));
        assert!(!is_cadastral_number("5O:20:0010336:1"));
        assert_eq!(
            normalize_phone("8 (912) 345-67-89").unwrap(),
            "+79123456789"
        );
        assert_eq!(normalize_phone("9123456789").unwrap(), "+79123456789");
        assert!(normalize_phone("+1 912 345 67 89").is_err());
        assert!(normalize_phone("891234567").is_err());
        assert_eq!(normalize_phone("8123456789").unwrap(), "+78123456789");
        assert!(normalize_phone("+7 912 +345").is_err());
        assert!(is_email("a.b@snt-rassvet.ru"));
        assert!(!is_email("a b@x.ru"));
        assert!(!is_email("a@x"));
        assert_eq!(
            parse_date("5.6.2020").unwrap(),
            "2020-06-05".parse().unwrap()
        );
        assert!(parse_date("2020.06.05").is_err());
        assert_eq!(parse_share("0.25").unwrap(), Ratio::new(1, 4).unwrap());
        assert!(parse_share("3/2").is_err());
        assert!(parse_share("0").is_err());
    }
}

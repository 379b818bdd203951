//! The operator's billing page — runs and the form to start one (a month not over needs an
//! explicit confirmation), the readings a run holds back until they are accepted or
//! corrected, what to look at, imports — and the request statistics.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use dvor_sdk::ui::{Block, Progress};

use super::{home_link, service_name, service_names};
use crate::imports::{self, ImportStatus};
use crate::model::{ACCOUNTS, Period, READINGS, RUNS, RunStatus, Settings};
use crate::show::{volume_cell, volume_text};
use crate::{accounts, billing, requests};

/// The name of community `id` (a house, the town), or its id when it is out of sight.
fn place_name(id: &str) -> String {
    directory::community(id).map_or_else(|| id.to_owned(), |c| c.name)
}

pub fn billing_page() -> Result<Page> {
    let today = ctx::today()?;
    let community = ctx::community();
    let runs = RUNS
        .query()
        .in_community(&community)
        .order_by("requested", Direction::Desc)
        .limit(12)
        .fetch()?;
    let rows = runs.docs.iter().map(|d| {
        let r = &d.data;
        let status = match r.status {
            RunStatus::Pending => Badge::new(tr("В очереди", "Queued"), Tone::Info),
            RunStatus::Running => Badge::new(tr("Идёт", "Running"), Tone::Warning),
            RunStatus::Done => Badge::new(tr("Готово", "Done"), Tone::Success),
        };
        Row::new([
            Cell::from(r.period.name()),
            Cell::from(place_name(&r.scope)),
            Cell::from(status),
            Cell::from(i64::try_from(r.billed).unwrap_or(i64::MAX)),
            Cell::from(i64::try_from(r.held).unwrap_or(i64::MAX)),
            Cell::from(r.total),
            Cell::from(i64::try_from(r.anomalies).unwrap_or(i64::MAX)),
        ])
        .tone(if r.held > 0 {
            Tone::Warning
        } else {
            Tone::Neutral
        })
    });
    let mut anomalies = Section::titled(tr("Что проверить", "To look at"));
    if let Some(latest) = runs.docs.first() {
        anomalies = anomalies.table(
            Table::new([Column::text(tr("Счёт: что", "Account: what"))])
                .rows(
                    latest
                        .data
                        .anomaly_samples
                        .iter()
                        .map(|s| Row::new([Cell::from(s.text().to_owned())])),
                )
                .empty_text(tr("Ничего", "Nothing")),
        );
    }
    let last_month = Period::of(today).previous();
    Ok(Page::new(tr("Начисления", "Billing"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("Расчёт месяца", "Billing month"))
                .form(
                    Form::new("run-billing", tr("Начислить", "Run billing"))
                        .field(
                            Field::select(
                                "period",
                                tr("Месяц", "Month"),
                                (0..12).map(|back| {
                                    let month = Period::of(
                                        last_month
                                            .first_day()
                                            .add_months(1 - back)
                                            .unwrap_or(last_month.first_day()),
                                    );
                                    (month.to_string(), month.name())
                                }),
                            )
                            .required()
                            .value(last_month.to_string()),
                        )
                        .field(
                            Field::checkbox(
                                "unfinished",
                                tr("Начислить незаконченный месяц", "Bill the unfinished month"),
                            )
                            .help(tr(
                                "Только для текущего месяца: показания, переданные до его конца, в счёт не попадут",
                                "The current month only: readings still to come this month miss the bill",
                            )),
                        ),
                )
                .paragraph(tr(
                    "Расчёт идёт частями в фоне; повторный запуск ничего не меняет для уже начисленных счетов. Счета с показаниями, которые ждут проверки, откладываются до неё.",
                    "The run goes in chunks in the background; running it again changes nothing for accounts already billed. Accounts whose readings wait for a review are held until it.",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Месяц", "Month")),
                        Column::text(tr("Где", "Where")),
                        Column::text(tr("Статус", "Status")),
                        Column::numeric(tr("Счетов", "Accounts")),
                        Column::numeric(tr("Отложено", "Held")),
                        Column::numeric(tr("Сумма", "Total")),
                        Column::numeric(tr("Замечаний", "Anomalies")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Расчётов ещё не было", "No runs yet")),
                ),
        )
        .section(held_readings(&community)?)
        .section(anomalies)
        .section(
            Section::titled(tr("Загрузка из файла", "Import from a file")).form(
                Form::new("import", tr("Загрузить", "Import"))
                    .field(
                        Field::select(
                            "what",
                            tr("Что", "What"),
                            [
                                ("accounts", tr("Лицевые счета", "Accounts")),
                                ("meters", tr("Счётчики", "Meters")),
                                ("readings", tr("Показания счётчиков за этот месяц", "This month's meter readings")),
                                ("tariffs", tr("Тарифы", "Tariffs")),
                                ("payments", tr("Реестр платежей банка", "Bank payment registry")),
                            ],
                        )
                        .required(),
                    )
                    .field(
                        Field::file("file", tr("Файл таблицы (UTF-8)", "Spreadsheet file (UTF-8)"), ["text/csv", "text/plain"])
                            .required()
                            .help(tr(
                                "Таблица, сохранённая как CSV; столбцы описаны в документации. Файл загружается целиком или не загружается вовсе; большой файл проверяется и загружается в фоне, ход виден ниже",
                                "A spreadsheet saved as CSV; the columns are in the docs. A file is imported whole or not at all; a large one is checked and imported in the background, its progress below",
                            )),
                    ),
            ),
        )
        .section(background_imports()?))
}

/// The files being imported in the background and the last ones imported: how far each got,
/// and a refused file's errors by line.
fn background_imports() -> Result<Section> {
    let recent = imports::recent(5)?;
    let mut section = Section::titled(tr("Загрузки в фоне", "Background imports"));
    if recent.is_empty() {
        return Ok(section.paragraph(tr(
            "В фоне ещё ничего не загружали",
            "Nothing has been imported in the background yet",
        )));
    }
    for doc in &recent {
        let import = &doc.data;
        let heading = format!(
            "{} — «{}», {}",
            import.kind.title(),
            import.file_name,
            crate::show::date_time_text(import.requested)
        );
        section = match import.status {
            ImportStatus::Checking | ImportStatus::Writing => {
                let (done, unit) = if import.status == ImportStatus::Checking {
                    (import.checked, tr("строк проверено", "rows checked"))
                } else {
                    (
                        import.rows_through_writing(),
                        tr("строк записано", "rows written"),
                    )
                };
                section.block(Block::Progress(Progress {
                    label: heading,
                    current: i64::try_from(done).unwrap_or(i64::MAX),
                    target: i64::try_from(import.rows).unwrap_or(i64::MAX),
                    unit: unit.to_owned(),
                }))
            }
            ImportStatus::Queued | ImportStatus::Done => section.notice(
                if import.status == ImportStatus::Done {
                    Tone::Success
                } else {
                    Tone::Info
                },
                format!("{heading}. {}", import.status_text()),
            ),
            ImportStatus::Refused => section.notice(
                Tone::Danger,
                format!(
                    "{heading}. {}. {}",
                    import.status_text(),
                    accounts::problems_text(&import.problems)
                ),
            ),
        };
    }
    Ok(section)
}

/// The readings flagged as jumps that no operator has accepted or corrected: each holds its
/// account's bill back. «Принять» takes it as it is; the form corrects it.
fn held_readings(community: &str) -> Result<Section> {
    let flagged = READINGS
        .query()
        .in_community(community)
        .filter("flagged", Compare::Eq, true)
        .order_by("period", Direction::Desc)
        .limit(200)
        .fetch()?;
    let mut waiting = Vec::new();
    for doc in flagged.docs.into_iter().filter(|d| d.data.review.is_none()) {
        let Some(account) = ACCOUNTS.get(&doc.data.account)? else {
            continue;
        };
        let still_held = account.data.meters.iter().any(|m| {
            m.id == doc.data.meter
                && m.pending
                    .as_ref()
                    .is_some_and(|p| p.held && p.period == doc.data.period)
        });
        if still_held {
            waiting.push((account, doc));
        }
    }
    let mut section = Section::titled(tr(
        "Показания с резким ростом расхода — ждут проверки",
        "Readings far above the average — waiting for a review",
    ));
    if waiting.is_empty() {
        return Ok(section.paragraph(tr("Таких нет", "None")));
    }
    let mut names = std::collections::HashMap::new();
    let mut choices = Vec::new();
    let mut rows = Vec::new();
    for (account, reading) in &waiting {
        if !names.contains_key(&account.community) {
            names.insert(
                account.community.clone(),
                service_names(&account.community)?,
            );
        }
        let service = service_name(&names[&account.community], &reading.data.service);
        let serial = account
            .data
            .meters
            .iter()
            .find(|m| m.id == reading.data.meter)
            .map_or("", |m| m.serial.as_str());
        let number = account.data.number.clone();
        choices.push((
            format!("{number}|{}", reading.data.meter),
            format!(
                "{} {number} · {service} № {serial} · {}",
                tr("л/с", "acc."),
                volume_text(reading.data.value)
            ),
        ));
        rows.push(
            Row::new([
                Cell::from(Link::to(format!("account/{number}"), number.clone())),
                Cell::from(format!("{service} № {serial}")),
                Cell::from(reading.data.period.name()),
                volume_cell(reading.data.value),
                volume_cell(reading.data.volume),
            ])
            .tone(Tone::Warning)
            .action(
                Button::action("accept-reading", tr("Принять", "Accept"))
                    .arg("account", number)
                    .arg("meter", reading.data.meter.clone())
                    .confirm(tr(
                        "Принять показание как есть? Счёт будет выставлен по нему.",
                        "Accept the reading as it is? The bill is issued by it.",
                    )),
            ),
        );
    }
    section = section
        .table(
            Table::new([
                Column::text(tr("Счёт", "Account")),
                Column::text(tr("Счётчик", "Meter")),
                Column::text(tr("Месяц", "Month")),
                Column::numeric(tr("Показание", "Reading")),
                Column::numeric(tr("Расход", "Volume")),
            ])
            .rows(rows),
        )
        .form(
            Form::new("correct-reading", tr("Исправить", "Correct"))
                .field(Field::select("reading", tr("Показание", "Reading"), choices).required())
                .field(
                    Field::number("value", tr("Верное показание", "The right value"), 3).required(),
                ),
        );
    Ok(section)
}

pub fn stats_page() -> Result<Page> {
    let stats = requests::stats()?;
    let settings = Settings::load()?;
    let hours = |h: Option<f64>| {
        h.map_or(Cell::Empty, |h| {
            // Tenths of an hour, shown with the locale's decimal mark.
            Cell::from(crate::model::Decimal::new((h * 10.0).round() as i64, 1))
        })
    };
    let row = |name: String, t: &requests::Times| {
        Row::new([
            Cell::from(name),
            Cell::from(i64::try_from(t.total).unwrap_or(0)),
            Cell::from(i64::try_from(t.open).unwrap_or(0)),
            Cell::from(i64::try_from(t.overdue).unwrap_or(0)),
            hours(t.mean_response_hours),
            hours(t.mean_completion_hours),
        ])
        .tone(if t.overdue > 0 {
            Tone::Danger
        } else {
            Tone::Neutral
        })
    };
    let columns = || {
        [
            Column::text(tr("Кто / что", "Who / what")),
            Column::numeric(tr("Всего", "Total")),
            Column::numeric(tr("Открыто", "Open")),
            Column::numeric(tr("Просрочено", "Overdue")),
            Column::numeric(tr("Реакция, ч", "Response, h")),
            Column::numeric(tr("Выполнение, ч", "Completion, h")),
        ]
    };
    Ok(Page::new(tr("Статистика заявок", "Request statistics"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("По категориям", "By category")).table(
                Table::new(columns()).rows(
                    stats
                        .by_category
                        .iter()
                        .map(|(c, t)| row(super::requests::category_name(&settings, c), t)),
                ),
            ),
        )
        .section(Section::titled(tr("По исполнителям", "By executor")).table(
            Table::new(columns()).rows(stats.by_executor.iter().map(|(n, t)| row(n.clone(), t))),
        ))
        .section(
            Section::untitled()
                .table(Table::new(columns()).row(row(tr("Всего", "All").to_owned(), &stats.all))),
        ))
}

/// The billing page's actions.
pub fn act(action: &str, form: &Params) -> Result<ActionOutcome> {
    ActionOutcome::errors_next_to_fields(match action {
        "run-billing" => {
            let caller = crate::access::require_operator()?;
            let period = Period::parse_field("period", form.require("period")?)?;
            billing::check_period(period, ctx::today()?, form.flag("unfinished"))?;
            billing::request_run(&ctx::community(), period, Some(caller.person_id))?;
            Ok(ActionOutcome::redirect(
                Link::to("billing", ""),
                format!(
                    "{} {} {}",
                    tr("Расчёт за", "The run for"),
                    period.name(),
                    tr("поставлен в очередь", "is queued")
                ),
            ))
        }
        "accept-reading" => {
            let number = form.require("account")?;
            accounts::review_reading(
                number,
                accounts::ReviewInput {
                    meter: form.require("meter")?.to_owned(),
                    value: None,
                },
            )?;
            Ok(ActionOutcome::redirect(
                Link::to("billing", ""),
                format!(
                    "{} {number} {}",
                    tr(
                        "Показание принято; счёт л/с",
                        "Reading accepted; the bill of account"
                    ),
                    tr(
                        "выставлен, если месяц уже начислен",
                        "is issued if the month is billed"
                    )
                ),
            ))
        }
        "correct-reading" => {
            let choice = form.require("reading")?;
            let (number, meter) = choice.split_once('|').ok_or_else(|| {
                Error::invalid("reading", tr("Выберите показание", "choose a reading"))
            })?;
            accounts::review_reading(
                number,
                accounts::ReviewInput {
                    meter: meter.to_owned(),
                    value: Some(form.require("value")?.to_owned()),
                },
            )?;
            Ok(ActionOutcome::redirect(
                Link::to("billing", ""),
                format!(
                    "{} {number} {}",
                    tr(
                        "Показание исправлено; счёт л/с",
                        "Reading corrected; the bill of account"
                    ),
                    tr(
                        "выставлен, если месяц уже начислен",
                        "is issued if the month is billed"
                    )
                ),
            ))
        }
        "import" => {
            crate::access::require_operator()?;
            let file = form.require("file")?;
            let bytes = dvor_sdk::files::read(file)?;
            let what = form.require("what")?;
            let rows = bytes.iter().filter(|&&b| b == b'\n').count();
            if let Some(kind) = imports::ImportKind::named(what)
                && rows > Settings::load()?.import_inline_rows as usize
            {
                if let Err(refused) = kind.check_header(&bytes) {
                    return Ok(ActionOutcome::invalid([("file", refused.message)]));
                }
                let name =
                    dvor_sdk::files::info(file)?.map_or_else(|| format!("{what}.csv"), |f| f.name);
                imports::start(kind, file, &name)?;
                return Ok(ActionOutcome::redirect(
                    Link::to("billing", ""),
                    tr(
                        "Файл принят: он проверяется и загружается в фоне, ход виден в разделе «Загрузки в фоне»",
                        "The file is taken: it is checked and imported in the background, its progress under «Background imports»",
                    ),
                ));
            }
            let imported = match what {
                "accounts" => accounts::import_accounts(&bytes)?,
                "meters" => accounts::import_meters(&bytes)?,
                "readings" => accounts::import_readings(&bytes)?,
                "tariffs" => accounts::import_tariffs(&bytes)?,
                "payments" => crate::import_payments(&bytes)?,
                _ => {
                    return Ok(ActionOutcome::invalid([(
                        "what",
                        tr("Выберите, что загружать", "choose what to import"),
                    )]));
                }
            };
            if !imported.problems.is_empty() {
                return Ok(ActionOutcome::invalid([(
                    "file",
                    format!(
                        "{}: {}",
                        tr("Файл не загружен", "Nothing was imported"),
                        imported.problems_text()
                    ),
                )]));
            }
            Ok(ActionOutcome::redirect(
                Link::to("billing", ""),
                format!(
                    "{} {}{}",
                    tr("Загружено строк:", "Rows imported:"),
                    imported.imported,
                    if imported.duplicates > 0 {
                        format!(
                            " ({} {})",
                            tr("повторов:", "duplicates:"),
                            imported.duplicates
                        )
                    } else {
                        String::new()
                    }
                ),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}

//! Electricity pages: a plot's holder sends their meter's reading in the window; the board keeps
//! the meters, enters and confirms readings, makes a transformer's monthly balance — losses and
//! their sharing, the bills at the tariff — and reads it back.

use dvor_sdk::Decimal;
use dvor_sdk::prelude::*;

use super::{board_only, date_field, home_link, text};
use crate::access::{self, Viewer};
use crate::electricity::LossSharing;
use crate::model::{BALANCES, READINGS, Settings};
use crate::power::{self, MeterForm};
use crate::readings::Period;
use crate::show::{date_text, decimal_cell};

fn sharing_label(sharing: LossSharing) -> &'static str {
    match sharing {
        LossSharing::ByConsumption => tr("пропорционально расходу", "by consumption"),
        LossSharing::PerPlot => tr("поровну на участок", "equally per plot"),
        LossSharing::PerArea => tr("по площади участков", "by plot area"),
        LossSharing::InsideDues => tr("в составе членских взносов", "inside the membership dues"),
    }
}

pub(super) fn page() -> Result<Page> {
    let viewer = Viewer::of_call()?;
    if !(viewer.board || viewer.is_owner()) {
        return Err(viewer.refusal());
    }
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let window = settings.electricity.reading_window;
    let meters = power::meters()?;
    let mine: Vec<_> = meters
        .iter()
        .filter(|m| {
            viewer.board
                || m.data
                    .plot
                    .as_deref()
                    .is_some_and(|p| viewer.plots().iter().any(|x| x == p))
        })
        .collect();
    let mut page = Page::new(tr("Электроэнергия", "Electricity")).breadcrumb(home_link());
    let mut rows = Vec::new();
    for m in &mine {
        let last = power::readings_of(&m.id)?.into_iter().next();
        rows.push(
            Row::new([
                Cell::from(m.data.name.clone()),
                Cell::from(m.data.transformer.clone()),
                Cell::from(last.as_ref().map(|r| r.data.period.name())),
                last.as_ref()
                    .map_or(Cell::Empty, |r| decimal_cell(&r.data.value.to_string())),
                last.as_ref()
                    .and_then(|r| r.data.consumption)
                    .map_or(Cell::Empty, |c| decimal_cell(&c.to_string())),
            ])
            .tone(if last.as_ref().is_some_and(|r| r.data.flagged) {
                Tone::Warning
            } else {
                Tone::Neutral
            }),
        );
    }
    page = page.section(
        Section::titled(if viewer.board {
            tr("Счётчики", "Meters")
        } else {
            tr("Мой счётчик", "My meter")
        })
        .table(
            Table::new([
                Column::text(tr("Счётчик", "Meter")),
                Column::text(tr("ТП", "Transformer")),
                Column::text(tr("Месяц", "Month")),
                Column::numeric(tr("Показание, кВт·ч", "Reading, kWh")),
                Column::numeric(tr("Расход, кВт·ч", "Used, kWh")),
            ])
            .rows(rows)
            .empty_text(tr(
                "Счётчиков пока нет: их вносит правление",
                "no meters yet: the board enters them",
            )),
        ),
    );
    if !mine.is_empty() {
        let mut form = Form::new("reading", tr("Передать", "Send"))
            .field(
                Field::select(
                    "meter",
                    tr("Счётчик", "Meter"),
                    mine.iter().map(|m| (m.id.clone(), m.data.name.clone())),
                )
                .required(),
            )
            .field(Field::number("value", tr("Показание, кВт·ч", "Reading, kWh"), 3).required());
        if viewer.board {
            form = form.field(
                Field::text("period", tr("Месяц (ГГГГ-ММ)", "Month (YYYY-MM)"))
                    .value(Period::of(today).to_string()),
            );
        }
        page = page.section(
            Section::titled(tr("Передать показания", "Send a reading"))
                .paragraph(format!(
                    "{} {}–{} {}",
                    tr("Показания принимаются с", "Readings are taken from the"),
                    window.from_day,
                    window.to_day,
                    tr("числа каждого месяца.", "of each month.")
                ))
                .form(form),
        );
    }
    if viewer.board {
        page = board_sections(page, &settings, today)?;
    }
    Ok(page)
}

fn board_sections(mut page: Page, settings: &Settings, today: Date) -> Result<Page> {
    let names: Vec<(String, String)> = power::meters()?
        .into_iter()
        .map(|m| (m.id, m.data.name))
        .collect();
    let name_of = |id: &str| {
        names
            .iter()
            .find(|(m, _)| m == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let held = READINGS
        .query()
        .in_community(&ctx::community())
        .filter("flagged", Compare::Eq, true)
        .fetch_all()?;
    if !held.is_empty() {
        page = page.section(
            Section::titled(tr("Показания на проверке", "Readings to check")).table(
                Table::new([
                    Column::text(tr("Счётчик", "Meter")),
                    Column::text(tr("Месяц", "Month")),
                    Column::numeric(tr("Показание", "Reading")),
                    Column::text(tr("Почему", "Why")),
                ])
                .rows(held.iter().map(|r| {
                    Row::new([
                        Cell::from(name_of(&r.data.meter)),
                        Cell::from(r.data.period.name()),
                        decimal_cell(&r.data.value.to_string()),
                        Cell::from(r.data.held.clone()),
                    ])
                    .action(
                        Button::action("confirm", tr("Подтвердить", "Confirm"))
                            .arg("reading", r.id.clone()),
                    )
                })),
            ),
        );
    }
    let transformers = power::transformers()?;
    let tariff = settings.electricity.tariff_on(today).ok();
    let mut balance =
        Section::titled(tr("Баланс за месяц", "The month's balance")).paragraph(format!(
            "{} {}. {}: {}.",
            tr(
                "Потери = граничный счётчик − счётчики участков − общие счётчики; делятся",
                "Losses = the boundary meter − the plots' meters − the common meters; shared"
            ),
            sharing_label(settings.electricity.sharing),
            tr(
                "Тариф для населения, без наценки",
                "The population tariff, no markup"
            ),
            tariff
                .map(|t| t.to_string())
                .unwrap_or_else(|| tr("не задан", "not set").to_owned())
        ));
    if !transformers.is_empty() {
        balance = balance.form(
            Form::new(
                "balance",
                tr(
                    "Подвести баланс и выставить счета",
                    "Make the balance and bill",
                ),
            )
            .field(
                Field::select(
                    "transformer",
                    tr("Трансформатор", "Transformer"),
                    transformers.iter().map(|t| (t.clone(), t.clone())),
                )
                .required(),
            )
            .field(
                Field::text("period", tr("Месяц (ГГГГ-ММ)", "Month (YYYY-MM)"))
                    .required()
                    .value(Period::of(today).previous().to_string()),
            )
            .field(Field::date("due", tr("Оплатить до", "Due by")).required())
            .confirm(tr("Выставить счета за электроэнергию?", "Bill the plots?")),
        );
    }
    let balances = power::balances()?;
    balance = balance.table(
        Table::new([
            Column::text(tr("Месяц", "Month")),
            Column::text(tr("ТП", "Transformer")),
            Column::numeric(tr("Потери, кВт·ч", "Losses, kWh")),
            Column::numeric(tr("Потери, %", "Losses, %")),
        ])
        .rows(balances.iter().map(|b| {
            Row::new([
                Cell::from(Link::to(format!("balance/{}", b.id), b.data.period.name())),
                Cell::from(b.data.transformer.clone()),
                decimal_cell(&b.data.losses),
                decimal_cell(&b.data.losses_percent),
            ])
        }))
        .empty_text(tr("Балансов ещё нет", "No balances yet")),
    );
    page = page.section(balance);
    let plots = access::plots();
    page = page.section(
        Section::titled(tr("Добавить счётчик", "Add a meter")).form(
            Form::new("add-meter", tr("Добавить", "Add"))
                .field(
                    Field::radio(
                        "kind",
                        tr("Вид", "Kind"),
                        [
                            ("plot", tr("Участка", "A plot's")),
                            ("boundary", tr("Граничный (ТП)", "Boundary")),
                            (
                                "common",
                                tr("Общий: освещение, насос", "Common: lighting, pump"),
                            ),
                        ],
                    )
                    .required()
                    .value("plot"),
                )
                .field(
                    Field::text("transformer", tr("Трансформатор (ТП)", "Transformer"))
                        .required()
                        .value(
                            transformers
                                .first()
                                .cloned()
                                .unwrap_or_else(|| "ТП-1".into()),
                        ),
                )
                .field(Field::select(
                    "plot",
                    tr(
                        "Участок (для счётчика участка)",
                        "Plot (for a plot's meter)",
                    ),
                    plots.iter().map(|u| (u.number.clone(), u.number.clone())),
                ))
                .field(
                    Field::text(
                        "name",
                        tr("Что считает (для общего)", "What it counts (common)"),
                    )
                    .max_length(100),
                )
                .field(Field::text("serial", tr("Заводской номер", "Serial number")).max_length(50))
                .field(Field::checkbox(
                    "direct_contract",
                    tr(
                        "Прямой договор с поставщиком",
                        "A direct contract with the supplier",
                    ),
                )),
        ),
    );
    Ok(page)
}

pub(super) fn balance_page(id: &str) -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let doc = BALANCES
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого баланса", "no such balance")))?;
    let b = &doc.data;
    Ok(Page::new(format!(
        "{} {} — {}",
        tr("Баланс", "Balance"),
        b.transformer,
        b.period.name()
    ))
    .breadcrumb(home_link())
    .breadcrumb(Link::to("electricity", tr("Электроэнергия", "Electricity")))
    .section(
        Section::untitled()
            .fields([
                (
                    tr("Граничный счётчик, кВт·ч", "Boundary meter, kWh"),
                    decimal_cell(&b.boundary),
                ),
                (tr("Участки, кВт·ч", "Plots, kWh"), decimal_cell(&b.plots)),
                (
                    tr("Общие счётчики, кВт·ч", "Common meters, kWh"),
                    decimal_cell(&b.common),
                ),
                (tr("Потери, кВт·ч", "Losses, kWh"), decimal_cell(&b.losses)),
                (
                    tr("Потери, %", "Losses, %"),
                    decimal_cell(&b.losses_percent),
                ),
                (
                    tr("Потери делятся", "Losses are shared"),
                    Cell::from(sharing_label(b.sharing)),
                ),
                (tr("Тариф за кВт·ч", "Tariff per kWh"), Cell::from(b.tariff)),
                (
                    tr(
                        "Общие счётчики — в смету",
                        "Common meters — to the estimate",
                    ),
                    Cell::from(b.common_cost),
                ),
                (tr("Оплатить до", "Due by"), Cell::from(b.due)),
            ])
            .notice(
                Tone::Info,
                format!(
                    "{} {}",
                    tr(
                        "Счета — по тарифу без наценки (ст.5 217-ФЗ). Баланс подведён",
                        "Bills are at the tariff with no markup (217-FZ art.5). Made on"
                    ),
                    date_text(b.on)
                ),
            ),
    )
    .section(
        Section::titled(tr("Счета участков", "The plots' bills")).table(
            Table::new([
                Column::text(tr("Участок", "Plot")),
                Column::numeric(tr("Расход, кВт·ч", "Used, kWh")),
                Column::numeric(tr("Потери, кВт·ч", "Losses, kWh")),
                Column::numeric(tr("К оплате, кВт·ч", "Billed, kWh")),
                Column::numeric(tr("Сумма", "Amount")),
            ])
            .rows(b.bills.iter().map(|r| {
                Row::new([
                    Cell::from(Link::to(format!("plot/{}", r.plot), r.plot.clone())),
                    decimal_cell(&r.consumption),
                    decimal_cell(&r.losses),
                    decimal_cell(&r.billed_kwh),
                    Cell::from(r.amount),
                ])
            })),
        ),
    ))
}

pub(super) fn act(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    let back = || Link::to("electricity", "");
    match (route, action) {
        (["electricity"], "reading") => {
            let value: Decimal = form.parse("value")?.ok_or_else(|| {
                Error::invalid("value", tr("Введите показание", "enter the reading"))
            })?;
            let period = match text(form, "period").trim() {
                "" => None,
                p => Some(Period::parse_field("period", p)?),
            };
            let saved = power::submit(text(form, "meter"), value, period)?;
            Ok(ActionOutcome::redirect(
                back(),
                if saved.data.flagged {
                    tr(
                        "Показание принято и передано правлению на проверку: расход намного больше обычного",
                        "Reading taken and held for the board: far more than usual",
                    )
                } else {
                    tr("Показание принято", "Reading taken")
                },
            ))
        }
        (["electricity"], "confirm") => {
            power::confirm(text(form, "reading"))?;
            Ok(ActionOutcome::redirect(
                back(),
                tr("Показание подтверждено", "Reading confirmed"),
            ))
        }
        (["electricity"], "add-meter") => {
            if !access::is_board() {
                return Err(board_only());
            }
            let kind = text(form, "kind");
            power::add_meter(&MeterForm {
                kind: kind.to_owned(),
                transformer: text(form, "transformer").to_owned(),
                plot: text(form, "plot").to_owned(),
                name: text(form, "name").to_owned(),
                serial: text(form, "serial").to_owned(),
                direct_contract: form.flag("direct_contract") && kind == "plot",
            })?;
            Ok(ActionOutcome::redirect(
                back(),
                tr("Счётчик добавлен", "Meter added"),
            ))
        }
        (["electricity"], "balance") => {
            let period = Period::parse_field("period", text(form, "period"))?;
            let doc = power::balance(text(form, "transformer"), period, date_field(form, "due")?)?;
            let billed = doc
                .data
                .bills
                .iter()
                .filter(|b| b.amount > Kopecks::ZERO)
                .count();
            Ok(ActionOutcome::redirect(
                Link::to(format!("balance/{}", doc.id), ""),
                format!(
                    "{}: {billed}",
                    tr("Счета выставлены участкам", "Plots billed")
                ),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}

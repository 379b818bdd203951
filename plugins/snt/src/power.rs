//! Electricity in storage: the plots' meters, the transformers' boundary meters and the common
//! ones; readings sent by the plots in their window or entered by the board, with their checks;
//! and the month's balance of a transformer, whose bills at the tariff — no markup — go to the
//! plots' electricity ledgers.

use dvor_sdk::notifications::Urgency;
use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, Ratio};

use crate::access::{self, require_board, scoped};
use crate::electricity::{self, BalanceInput, ElectricitySettings, PlotConsumption};
use crate::ledgers::Ledger;
use crate::model::{
    BALANCES, BalanceRun, Entry, EntryKind, LEDGER, METERS, Meter, MeterKind, PlotBillRow,
    READINGS, Reading, Settings,
};
use crate::readings::{self, Period};
use crate::signals;
use crate::tell::tell;

/// Every meter of the partnership.
pub fn meters() -> Result<Vec<Doc<Meter>>> {
    let mut all = METERS.query().in_community(&ctx::community()).fetch_all()?;
    all.sort_by(|a, b| {
        (a.data.transformer.as_str(), kind_order(a.data.kind))
            .cmp(&(b.data.transformer.as_str(), kind_order(b.data.kind)))
            .then_with(|| {
                dvor_sdk::directory::cmp_unit_numbers(
                    a.data.plot.as_deref().unwrap_or(&a.data.name),
                    b.data.plot.as_deref().unwrap_or(&b.data.name),
                )
            })
    });
    Ok(all)
}

fn kind_order(kind: MeterKind) -> u8 {
    match kind {
        MeterKind::Boundary => 0,
        MeterKind::Common => 1,
        MeterKind::Plot => 2,
    }
}

/// The id of `plot`'s meter.
pub fn plot_meter_id(plot: &str) -> String {
    scoped(&format!("meter:plot:{plot}"))
}

/// `plot`'s meter, if it has one.
pub fn plot_meter(plot: &str) -> Result<Option<Doc<Meter>>> {
    METERS.get(&plot_meter_id(plot))
}

/// The meter `id`.
pub fn meter(id: &str) -> Result<Doc<Meter>> {
    METERS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого счётчика", "no such meter")))
}

/// A meter as the board enters it.
#[derive(Clone, Debug, Default)]
pub struct MeterForm {
    /// `plot`, `boundary` or `common`.
    pub kind: String,
    /// The transformer.
    pub transformer: String,
    /// Plot meters: the plot.
    pub plot: String,
    /// Common meters: what it measures.
    pub name: String,
    /// The serial number.
    pub serial: String,
    /// Plot meters: a direct contract with the supplier.
    pub direct_contract: bool,
}

/// Add (or replace) a meter.
pub fn add_meter(form: &MeterForm) -> Result<Doc<Meter>> {
    require_board()?;
    let transformer = form.transformer.trim();
    if transformer.is_empty() {
        return Err(Error::invalid(
            "transformer",
            tr("Укажите трансформатор (ТП)", "name the transformer"),
        ));
    }
    let (id, meter) = match form.kind.as_str() {
        "plot" => {
            let unit = access::plot("plot", &form.plot)?;
            (
                plot_meter_id(&unit.number),
                Meter {
                    kind: MeterKind::Plot,
                    transformer: transformer.to_owned(),
                    name: format!("{} {}", tr("Участок", "Plot"), unit.number),
                    plot: Some(unit.number),
                    serial: form.serial.trim().to_owned(),
                    direct_contract: form.direct_contract,
                },
            )
        }
        "boundary" => (
            scoped(&format!("meter:boundary:{transformer}")),
            Meter {
                kind: MeterKind::Boundary,
                transformer: transformer.to_owned(),
                name: format!(
                    "{} {transformer}",
                    tr("Граничный счётчик", "Boundary meter")
                ),
                plot: None,
                serial: form.serial.trim().to_owned(),
                direct_contract: false,
            },
        ),
        "common" => {
            let name = form.name.trim();
            if name.is_empty() {
                return Err(Error::invalid(
                    "name",
                    tr(
                        "Укажите, что считает счётчик: освещение, насос",
                        "say what the meter counts: lighting, the pump",
                    ),
                ));
            }
            (
                scoped(&format!(
                    "meter:common:{transformer}:{}",
                    crate::model::name_key(name)
                )),
                Meter {
                    kind: MeterKind::Common,
                    transformer: transformer.to_owned(),
                    name: name.to_owned(),
                    plot: None,
                    serial: form.serial.trim().to_owned(),
                    direct_contract: false,
                },
            )
        }
        _ => {
            return Err(Error::invalid(
                "kind",
                tr("Выберите вид счётчика", "choose the kind of meter"),
            ));
        }
    };
    METERS.put(&ctx::community(), &id, &meter, None)
}

/// The readings of meter `id`, newest first.
pub fn readings_of(id: &str) -> Result<Vec<Doc<Reading>>> {
    READINGS
        .query()
        .filter("meter", Compare::Eq, id)
        .order_by("period", Direction::Desc)
        .fetch_all()
}

/// Send the reading `value` of meter `id`: a plot's holder sends their plot's meter in the
/// window for this month; the board enters any meter for any month (`period`).
pub fn submit(id: &str, value: Decimal, period: Option<Period>) -> Result<Doc<Reading>> {
    let caller = ctx::require_caller()?;
    let viewer = access::Viewer::of_call()?;
    let meter = meter(id)?;
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let period = if viewer.board {
        period.unwrap_or(Period::of(today))
    } else {
        let mine = meter
            .data
            .plot
            .as_deref()
            .is_some_and(|p| viewer.sees_plot(p));
        if !mine {
            return Err(Error::forbidden(tr(
                "Показания этого счётчика передаёт правление",
                "the board enters this meter's readings",
            )));
        }
        settings.electricity.reading_window.check(today)?;
        Period::of(today)
    };
    let history = readings_of(id)?;
    let previous = history.iter().find(|r| r.data.period < period);
    let recent: Vec<Ratio> = history
        .iter()
        .filter(|r| r.data.period < period)
        .take(3)
        .filter_map(|r| r.data.consumption.map(Ratio::from_decimal))
        .collect();
    let usual = Ratio::checked_sum(recent.iter().copied()).and_then(|sum| {
        Ratio::new(i128::try_from(recent.len()).ok()?, 1).and_then(|n| sum.checked_div(n))
    });
    let checked = readings::check_reading(
        value,
        previous.map(|p| p.data.value),
        usual.filter(|_| !recent.is_empty()),
        settings.electricity.jump_factor,
    )?;
    if let Some(next) = history.iter().find(|r| r.data.period > period)
        && Ratio::from_decimal(value) > Ratio::from_decimal(next.data.value)
    {
        return Err(Error::invalid(
            "value",
            format!(
                "{} {} ({})",
                tr(
                    "Показание больше следующего:",
                    "the reading is above the next one:"
                ),
                next.data.value,
                next.data.period.name()
            ),
        ));
    }
    if BALANCES
        .get(&balance_id(&meter.data.transformer, period))?
        .is_some()
    {
        return Err(Error::conflict(tr(
            "Баланс за этот месяц уже подведён: показания не меняются",
            "this month's balance is made: readings no longer change",
        )));
    }
    let reading_id = format!("{id}@{period}");
    let existing = READINGS.get(&reading_id)?;
    let reading = Reading {
        meter: id.to_owned(),
        period,
        value,
        consumption: checked.consumption,
        flagged: checked.held.is_some() && !viewer.board,
        held: checked.held.filter(|_| !viewer.board),
        date: today,
        by: caller.display_name.clone(),
    };
    let saved = READINGS.put(
        &ctx::community(),
        &reading_id,
        &reading,
        Some(existing.map_or(0, |d| d.version)),
    )?;
    if let Some(plot) = &meter.data.plot {
        signals::emit(
            signals::READING_SUBMITTED,
            &serde_json::json!({ "person_id": caller.person_id, "plot": plot, "period": period }),
        )?;
    }
    Ok(saved)
}

/// The board confirms a held reading.
pub fn confirm(reading_id: &str) -> Result<Doc<Reading>> {
    require_board()?;
    let doc = READINGS
        .get(reading_id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого показания", "no such reading")))?;
    let mut reading = doc.data.clone();
    reading.flagged = false;
    reading.held = None;
    READINGS.put(&doc.community, &doc.id, &reading, Some(doc.version))
}

/// The balance's id, unique across partnerships and fit for a page route (`balance/{id}`): no
/// `:` or `/`, which a route may not hold.
fn balance_id(transformer: &str, period: Period) -> String {
    let transformer: String = transformer
        .chars()
        .map(|c| {
            if matches!(c, ':' | '/' | '\\' | '.') {
                '-'
            } else {
                c
            }
        })
        .collect();
    format!("{}-balance-{transformer}-{period}", ctx::community())
}

/// The transformers with meters.
pub fn transformers() -> Result<Vec<String>> {
    let mut all: Vec<String> = meters()?.into_iter().map(|m| m.data.transformer).collect();
    all.sort();
    all.dedup();
    Ok(all)
}

/// The balances made, newest first.
pub fn balances() -> Result<Vec<Doc<BalanceRun>>> {
    BALANCES
        .query()
        .in_community(&ctx::community())
        .order_by("period", Direction::Desc)
        .fetch_all()
}

fn kwh_text(value: Ratio) -> String {
    value.to_decimal_string(3)
}

/// Make the month's balance of `transformer` and bill its plots, due by `due`.
pub fn balance(transformer: &str, period: Period, due: Date) -> Result<Doc<BalanceRun>> {
    require_board()?;
    let transformer = transformer.trim();
    let id = balance_id(transformer, period);
    if BALANCES.get(&id)?.is_some() {
        return Err(Error::conflict(tr(
            "Баланс за этот месяц уже подведён",
            "this month's balance is made already",
        )));
    }
    let today = ctx::today()?;
    if period >= Period::of(today) && today < period.last_day() {
        return Err(Error::invalid(
            "period",
            tr(
                "Баланс подводят за закончившийся месяц",
                "the balance is made for a month that has ended",
            ),
        ));
    }
    if due < today {
        return Err(Error::invalid(
            "due",
            tr(
                "Срок оплаты не может быть в прошлом",
                "the due date cannot be in the past",
            ),
        ));
    }
    let meters: Vec<Doc<Meter>> = meters()?
        .into_iter()
        .filter(|m| m.data.transformer == transformer)
        .collect();
    if !meters.iter().any(|m| m.data.kind == MeterKind::Boundary) {
        return Err(Error::invalid(
            "transformer",
            tr(
                "У трансформатора нет граничного счётчика",
                "the transformer has no boundary meter",
            ),
        ));
    }
    let mut missing = Vec::new();
    let mut held = Vec::new();
    let mut used: Vec<(&Doc<Meter>, Decimal)> = Vec::new();
    for m in &meters {
        match READINGS.get(&format!("{}@{period}", m.id))? {
            Some(r) if r.data.flagged => held.push(m.data.name.clone()),
            Some(r) => match r.data.consumption {
                Some(c) => used.push((m, c)),
                None => missing.push(format!(
                    "{} ({})",
                    m.data.name,
                    tr(
                        "нет показания за прошлый месяц",
                        "no reading of the month before"
                    )
                )),
            },
            None => missing.push(m.data.name.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(Error::invalid(
            "period",
            format!(
                "{} {}: {}",
                tr("Нет показаний за", "no readings for"),
                period.name(),
                missing.join(", ")
            ),
        ));
    }
    if !held.is_empty() {
        return Err(Error::invalid(
            "period",
            format!(
                "{}: {}",
                tr(
                    "Показания ждут проверки правления",
                    "readings wait for the board's check"
                ),
                held.join(", ")
            ),
        ));
    }
    let settings = Settings::load()?;
    let tariff = settings.electricity.tariff_on(period.last_day())?;
    let units = access::plots();
    let input = BalanceInput {
        boundary: used
            .iter()
            .find(|(m, _)| m.data.kind == MeterKind::Boundary)
            .map(|(_, c)| *c)
            .unwrap_or(Decimal::new(0, 0)),
        common: used
            .iter()
            .filter(|(m, _)| m.data.kind == MeterKind::Common)
            .map(|(_, c)| *c)
            .collect(),
        plots: used
            .iter()
            .filter(|(m, _)| m.data.kind == MeterKind::Plot)
            .filter_map(|(m, c)| {
                let plot = m.data.plot.clone()?;
                Some(PlotConsumption {
                    area_centi_m2: units
                        .iter()
                        .find(|u| u.number == plot)
                        .map_or(0, |u| u.area_centi_m2),
                    plot,
                    consumption: *c,
                    direct_contract: m.data.direct_contract,
                })
            })
            .collect(),
    };
    let computed = electricity::balance(
        &input,
        &ElectricitySettings {
            sharing: settings.electricity.sharing,
            tariff,
            direct_contract_plots_share_losses: settings
                .electricity
                .direct_contract_plots_share_losses,
        },
    )
    .map_err(|e| {
        if e.field.as_deref() == Some("boundary") {
            e.with_field("period")
        } else {
            e
        }
    })?;
    let run = BalanceRun {
        transformer: transformer.to_owned(),
        period,
        boundary: kwh_text(computed.boundary),
        plots: kwh_text(computed.plots),
        common: kwh_text(computed.common),
        losses: kwh_text(computed.losses),
        losses_percent: computed.losses_percent.clone(),
        sharing: settings.electricity.sharing,
        tariff,
        bills: computed
            .bills
            .iter()
            .map(|b| PlotBillRow {
                plot: b.plot.clone(),
                consumption: kwh_text(b.consumption),
                losses: kwh_text(b.losses),
                billed_kwh: kwh_text(b.billed_kwh),
                amount: b.amount,
            })
            .collect(),
        common_cost: computed.common_cost,
        losses_in_dues: computed.losses_in_dues,
        due,
        on: today,
    };
    let community = ctx::community();
    let records = access::all_records()?;
    for bill in computed.bills.iter().filter(|b| b.amount > Kopecks::ZERO) {
        let account = Ledger::Electricity.account(&bill.plot);
        LEDGER.put(
            &community,
            &scoped(&format!("power:{transformer}:{period}:{account}")),
            &Entry {
                account,
                plot: bill.plot.clone(),
                ledger: Ledger::Electricity.code(),
                entry: EntryKind::Charge,
                amount: bill.amount,
                date: today,
                due: Some(due),
                text_ru: format!(
                    "Электроэнергия за {}: {} кВт·ч по {}",
                    period.name_ru(),
                    kwh_text(bill.billed_kwh),
                    tariff
                ),
                text_en: format!(
                    "Electricity for {period}: {} kWh at {tariff}",
                    kwh_text(bill.billed_kwh)
                ),
                source: Some(id.clone()),
                way: None,
                reference: None,
                payer: None,
                by: ctx::caller().map(|c| c.display_name),
            },
            Some(0),
        )?;
        tell(
            &access::people_of_plot(&bill.plot, &records),
            ("Счёт за электроэнергию", "Electricity bill"),
            (
                format!(
                    "Участок {}: {} за {} — оплатить до {}",
                    bill.plot,
                    bill.amount,
                    period.name_ru(),
                    crate::show::date_text_ru(due)
                ),
                format!(
                    "Plot {}: {} for {period} — due by {due}",
                    bill.plot, bill.amount
                ),
            ),
            &format!("plot/{}", bill.plot),
            Urgency::Normal,
        )?;
    }
    BALANCES.put(&community, &id, &run, Some(0))
}

//! The billing month: one account's bill from its tariffs, meters, readings and open bills
//! (a pure function, tested natively), and the run that bills every account of a community
//! subtree in chunks, resuming after a crash and skipping accounts already billed.

use std::collections::HashMap;

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;

use crate::charges::{
    self, AveragingRule, CoefficientRule, Method, VOLUME_SCALE, consumed, in_force,
    volume_without_reading,
};
use crate::model::{
    ACCOUNTS, Account, BILLS, Bill, COUNTERS, ChargeBasis, Counter, Decimal, Line, Meter, Note,
    OpenBill, PenaltyOfBill, Period, RUNS, Recalculation, Run, RunStatus, Settings, TARIFFS,
    Tariff,
};
use crate::penalty::PenaltyRules;

/// The event a bill emits.
pub const BILL_ISSUED: &str = "bill.issued";
/// Anomaly samples kept on a run.
const MAX_SAMPLES: usize = 50;

/// The rules a bill is computed with.
pub struct Rules<'a> {
    /// Months without readings.
    pub averaging: &'a [AveragingRule],
    /// The increasing coefficient.
    pub coefficient: &'a [CoefficientRule],
    /// Penalties.
    pub penalty: &'a PenaltyRules,
}

fn decimal(text: &str) -> Option<Decimal> {
    text.parse().ok()
}

/// Bill `account` for `period`, issued on `issued`, with the services of its house: returns
/// the bill and updates the account (meter history and pending readings, balance, advance,
/// penalties, open bills). The account is all it reads: the month's readings wait on its
/// meters and its unpaid bills on the account.
pub fn bill_account(
    account_id: &str,
    account: &mut Account,
    tariffs: &[&Tariff],
    period: Period,
    issued: Date,
    rules: &Rules,
) -> Bill {
    let month_start = period.first_day();
    let mut lines = Vec::new();
    let mut recalculations = Vec::new();
    let mut anomalies = Vec::new();
    let averaging = in_force(rules.averaging, month_start, |r| r.from);
    let coefficient =
        in_force(rules.coefficient, month_start, |r| r.from).and_then(|r| decimal(&r.value));
    for tariff in tariffs {
        if !account.services.is_empty() && !account.services.contains(&tariff.code) {
            continue;
        }
        let Some(rate) = in_force(&tariff.rates, month_start, |r| r.from) else {
            anomalies.push(Note::new(
                format!("{}: нет тарифа на {}", tariff.name_ru, period.dotted()),
                format!("{}: no tariff for {}", tariff.name_en, period.dotted()),
            ));
            continue;
        };
        let Some(price) = decimal(&rate.tariff) else {
            anomalies.push(Note::new(
                format!("{}: тариф «{}» не число", tariff.name_ru, rate.tariff),
                format!(
                    "{}: the tariff “{}” is not a number",
                    tariff.name_en, rate.tariff
                ),
            ));
            continue;
        };
        let norm = rate
            .norm
            .as_deref()
            .and_then(decimal)
            .and_then(charges::thousandths);
        let line = |method, volume, coefficient: Option<Decimal>| {
            let amount =
                charges::amount(price, volume, VOLUME_SCALE, coefficient).unwrap_or(Kopecks::ZERO);
            let plain = charges::amount(price, volume, VOLUME_SCALE, None).unwrap_or(Kopecks::ZERO);
            Line {
                service: tariff.code.clone(),
                name_ru: tariff.name_ru.clone(),
                name_en: tariff.name_en.clone(),
                unit: tariff.unit.clone(),
                method,
                volume,
                tariff: rate.tariff.clone(),
                coefficient: coefficient.map(|c| c.to_string()),
                above_norm: amount.checked_sub(plain).unwrap_or(Kopecks::ZERO),
                amount,
            }
        };
        match tariff.basis {
            ChargeBasis::Area => {
                // Hundredths of a m² to thousandths.
                lines.push(line(Method::Area, account.area * 10, None));
            }
            ChargeBasis::Metered => {
                let meters: Vec<&mut Meter> = account
                    .meters
                    .iter_mut()
                    .filter(|m| m.service == tariff.code)
                    .collect();
                if meters.is_empty() {
                    let Some(norm) = norm else {
                        anomalies.push(Note::new(
                            format!("{}: нет ни счётчика, ни норматива", tariff.name_ru),
                            format!("{}: neither a meter nor a norm", tariff.name_en),
                        ));
                        continue;
                    };
                    let raised = account.raised.contains(&tariff.code);
                    lines.push(line(
                        Method::Norm,
                        norm * account.residents,
                        if raised { coefficient } else { None },
                    ));
                    continue;
                }
                for meter in meters {
                    let reading = meter.pending.clone().filter(|r| r.period == period);
                    let total = reading.as_ref().and_then(|r| {
                        consumed(
                            meter.last_value,
                            r.value,
                            r.kind,
                            r.old_final,
                            0,
                            meter.digits,
                        )
                        .ok()
                        .map(|volume| (volume, r.value))
                    });
                    let verified = meter.is_verified_on(period.last_day());
                    if !verified {
                        anomalies.push(Note::new(
                            format!(
                                "{}: истёк срок поверки счётчика № {}",
                                tariff.name_ru, meter.serial
                            ),
                            format!(
                                "{}: the verification of meter No. {} has expired",
                                tariff.name_en, meter.serial
                            ),
                        ));
                    }
                    match total.filter(|_| verified) {
                        Some((total, value)) => {
                            let history = &mut meter.history;
                            let months = i64::from(history.months_without_readings) + 1;
                            let this_month = if months > 1 {
                                i64::try_from(dvor_sdk::money::round_half_away_from_zero(
                                    i128::from(total),
                                    i128::from(months),
                                ))
                                .unwrap_or(total)
                            } else {
                                total
                            };
                            lines.push(line(Method::Meter, this_month, None));
                            if months > 1 {
                                let earlier = total - this_month;
                                let difference = earlier - history.volume_without_readings;
                                let amount = charges::amount(price, difference, VOLUME_SCALE, None)
                                    .unwrap_or(Kopecks::ZERO);
                                recalculations.push(Recalculation {
                                    service: tariff.code.clone(),
                                    reason_ru: format!(
                                        "Перерасчёт по показаниям за {} мес.: начислено {} {}, по счётчику {} {}",
                                        months - 1,
                                        show_volume(history.volume_without_readings).replace('.', ","),
                                        tariff.unit,
                                        show_volume(earlier).replace('.', ","),
                                        tariff.unit
                                    ),
                                    reason_en: format!(
                                        "Recalculated by readings for {} month(s): charged {} {}, metered {} {}",
                                        months - 1,
                                        show_volume(history.volume_without_readings),
                                        tariff.unit,
                                        show_volume(earlier),
                                        tariff.unit
                                    ),
                                    amount,
                                });
                            }
                            for _ in 0..months {
                                history.recent_volumes.push(this_month);
                            }
                            let keep = history.recent_volumes.len().saturating_sub(12);
                            history.recent_volumes.drain(..keep);
                            history.months_without_readings = 0;
                            history.volume_without_readings = 0;
                            meter.last_value = value;
                            meter.last_period = Some(period);
                            meter.pending = None;
                        }
                        None => {
                            let (volume, method) = match averaging {
                                Some(rule) => volume_without_reading(
                                    &meter.history,
                                    rule,
                                    norm.unwrap_or(0),
                                    account.residents,
                                ),
                                None => (norm.unwrap_or(0) * account.residents, Method::Norm),
                            };
                            anomalies.push(Note::new(
                                format!(
                                    "{}: нет показаний счётчика № {} — {}",
                                    tariff.name_ru,
                                    meter.serial,
                                    method.label(false)
                                ),
                                format!(
                                    "{}: no reading of meter No. {} — {}",
                                    tariff.name_en,
                                    meter.serial,
                                    method.label(true)
                                ),
                            ));
                            meter.history.months_without_readings =
                                meter.history.months_without_readings.saturating_add(1);
                            meter.history.volume_without_readings += volume;
                            lines.push(line(method, volume, None));
                        }
                    }
                }
            }
        }
    }
    let principal = Kopecks::checked_sum(
        lines
            .iter()
            .map(|l| l.amount)
            .chain(recalculations.iter().map(|r| r.amount)),
    )
    .unwrap_or(Kopecks::ZERO);

    // Penalties accrued through the end of the month on every bill not paid in full, plus
    // the final penalties of bills already paid; the bill carries what is new, and keeps how
    // each unpaid bill's penalty was calculated.
    let as_of = period.last_day();
    let penalty_details: Vec<PenaltyOfBill> = account
        .open
        .iter()
        .filter(|b| b.principal > Kopecks::ZERO && b.period < period)
        .map(|b| {
            let accrued = rules
                .penalty
                .penalty(b.principal, b.due, &b.payments, as_of);
            PenaltyOfBill {
                period: b.period,
                due: b.due,
                principal: b.principal,
                total: accrued.total,
                periods: accrued.periods,
            }
        })
        .filter(|p| p.total > Kopecks::ZERO)
        .collect();
    let accrued = Kopecks::checked_sum(
        core::iter::once(account.penalty_settled).chain(penalty_details.iter().map(|p| p.total)),
    )
    .unwrap_or(account.penalty_settled);
    let penalty_before = account.penalty_charged;
    let penalty = accrued.checked_sub(penalty_before).unwrap_or(Kopecks::ZERO);
    account.penalty_charged = accrued;
    // A late-recorded payment can make the penalties smaller than what was already paid of
    // them: the difference is the payer's, an advance.
    if account.penalty_paid > account.penalty_charged {
        let excess = account.penalty_paid.0 - account.penalty_charged.0;
        account.penalty_paid = account.penalty_charged;
        account.advance = Kopecks(account.advance.0 + excess);
    }

    let balance_before = account.balance;
    account.balance = Kopecks(balance_before.0 + principal.0 + penalty.0);
    let mut bill = Bill {
        account: account_id.to_owned(),
        number: account.number.clone(),
        period,
        issued,
        due: rules.penalty.due_date(period.year, period.month),
        lines,
        recalculations,
        principal,
        penalty,
        balance_before,
        to_pay: Kopecks(account.balance.0.max(0)),
        paid: Kopecks::ZERO,
        payments: Vec::new(),
        open: principal > Kopecks::ZERO,
        anomalies,
        penalty_details,
        penalty_settled: account.penalty_settled,
        penalty_before,
    };
    // An advance pays the new bill at once, then the penalties.
    if account.advance > Kopecks::ZERO && principal > Kopecks::ZERO {
        let applied = account.advance.min(principal);
        account.advance = Kopecks(account.advance.0 - applied.0);
        bill.paid = applied;
        bill.payments.push((issued, applied));
        bill.open = bill.paid < bill.principal;
    }
    let penalties_owed = crate::due::penalties_owed(account);
    if account.advance > Kopecks::ZERO && penalties_owed > Kopecks::ZERO {
        let applied = account.advance.min(penalties_owed);
        account.advance = Kopecks(account.advance.0 - applied.0);
        account.penalty_paid = Kopecks(account.penalty_paid.0 + applied.0);
    }
    if bill.open {
        account.open.push(OpenBill {
            period,
            due: bill.due,
            principal: bill.principal,
            paid: bill.paid,
            payments: bill.payments.clone(),
        });
    }
    account.last_billed = Some(period);
    bill
}

/// A bill to write: the house, the bill's id, the bill.
type NewBill = (String, String, Bill);

/// Bill account `doc` for every month it has not been billed for, through `period`, counting
/// it in `run`: the account as it is after, and the bills; none when a flagged reading holds
/// the account back (counted as held, with the reason among the run's anomalies).
fn bill_through(
    doc: &Doc<Account>,
    tariffs: &[&Tariff],
    period: Period,
    today: Date,
    rules: &Rules,
    run: &mut Run,
) -> Option<(Account, Vec<NewBill>)> {
    let mut account = doc.data.clone();
    if let Some(note) = held_reading(&account, tariffs, period) {
        run.held += 1;
        run.anomalies += 1;
        if run.anomaly_samples.len() < MAX_SAMPLES {
            run.anomaly_samples.push(note);
        }
        return None;
    }
    let mut notes: Vec<Note> = Vec::new();
    let mut bills = Vec::new();
    for month in months_to_bill(account.last_billed, period) {
        let bill = bill_account(&doc.id, &mut account, tariffs, month, today, rules);
        run.total = Kopecks(run.total.0 + bill.principal.0 + bill.penalty.0);
        notes.extend(bill.anomalies.iter().cloned());
        bills.push((doc.community.clone(), format!("{}@{month}", doc.id), bill));
    }
    run.billed += 1;
    if !notes.is_empty() {
        run.anomalies += 1;
        if run.anomaly_samples.len() < MAX_SAMPLES {
            let ru: Vec<&str> = notes.iter().map(|n| n.both().0).collect();
            let en: Vec<&str> = notes.iter().map(|n| n.both().1).collect();
            run.anomaly_samples.push(Note::new(
                format!("{}: {}", account.number, ru.join("; ")),
                format!("{}: {}", account.number, en.join("; ")),
            ));
        }
    }
    account.index();
    Some((account, bills))
}

/// Tell other plugins of the bills issued.
fn announce_bills(bills: &[NewBill]) -> Result<()> {
    let payloads: Vec<serde_json::Value> = bills
        .iter()
        .map(|(_, _, bill)| {
            serde_json::json!({
                "account": bill.account,
                "number": bill.number,
                "period": bill.period,
                "principal": bill.principal,
                "penalty": bill.penalty,
                "to_pay": bill.to_pay,
                "due": bill.due,
            })
        })
        .collect();
    // One host call for the chunk's events, not one per bill.
    events::emit_many(
        bills
            .iter()
            .zip(&payloads)
            .map(|((community, _, _), payload)| (BILL_ISSUED, community.as_str(), payload)),
    )?;
    Ok(())
}

/// After an operator accepted or corrected the flagged reading of `period` that held account
/// `doc` back: if a run has already billed the houses here for that month or later, bill the
/// account now, through that run's month, and count it in the run (no longer held). Otherwise
/// the account is billed with everyone else when its month is run.
pub fn bill_after_review(doc: &Doc<Account>, period: Period) -> Result<Vec<Bill>> {
    let latest = RUNS
        .query()
        .in_community(&ctx::community())
        .order_by("requested", Direction::Desc)
        .limit(1)
        .fetch()?
        .docs
        .into_iter()
        .next()
        .filter(|r| r.data.status == RunStatus::Done && r.data.period >= period);
    let Some(run_doc) = latest else {
        return Ok(Vec::new());
    };
    if doc
        .data
        .last_billed
        .is_some_and(|p| p >= run_doc.data.period)
    {
        return Ok(Vec::new());
    }
    let settings = Settings::load()?;
    let penalty = settings.penalty_rules()?;
    let rules = Rules {
        averaging: &settings.averaging,
        coefficient: &settings.increasing_coefficient,
        penalty: &penalty,
    };
    let tariffs = TARIFFS.query().fetch_all()?;
    let house_tariffs = tariffs_for(&doc.community, &tariffs, &mut HashMap::new());
    let mut run = run_doc.data.clone();
    let Some((account, bills)) = bill_through(
        doc,
        &house_tariffs,
        run.period,
        ctx::today()?,
        &rules,
        &mut run,
    ) else {
        // Another meter's reading still waits: it was held and stays held.
        return Ok(Vec::new());
    };
    run.held = run.held.saturating_sub(1);
    ACCOUNTS.put(&doc.community, &doc.id, &account, Some(doc.version))?;
    BILLS.put_many(
        bills
            .iter()
            .map(|(c, id, b)| (c.as_str(), Some(id.as_str()), b)),
    )?;
    announce_bills(&bills)?;
    RUNS.put(&run_doc.community, &run_doc.id, &run, Some(run_doc.version))?;
    Ok(bills.into_iter().map(|(_, _, b)| b).collect())
}

/// Whether a run for `period` may start on `today`: never for a month to come; for the
/// current month, which is not over, only when the operator confirms it, knowing that readings
/// still to come this month miss the bill. The error names the `period` field and says so.
pub fn check_period(period: Period, today: Date, confirmed: bool) -> Result<()> {
    let this_month = Period::of(today);
    if period > this_month {
        return Err(Error::invalid(
            "period",
            tr(
                "Нельзя начислить будущий месяц",
                "cannot bill a month to come",
            ),
        ));
    }
    if period == this_month && !confirmed {
        return Err(Error::invalid(
            "period",
            format!(
                "{} {} {}",
                tr("Месяц", "The month"),
                period.name(),
                tr(
                    "ещё не закончился. Если начислить его сейчас, показания, переданные до конца месяца, в счёт не попадут: счётчики без показаний начислятся по среднему или по нормативу, а пересчёт будет только в следующем месяце. Чтобы всё же начислить, отметьте «Начислить незаконченный месяц».",
                    "is not over yet. Billed now, readings still to come this month miss the bill: meters without a reading are charged by the average or the norm, and recalculated only next month. To bill it anyway, tick “Bill the unfinished month”.",
                )
            ),
        ));
    }
    Ok(())
}

/// Once per reading window, on its first day the job runs: remind the residents under the
/// job's community (people who joined their house) that readings are accepted, and until when.
pub fn remind_readings(settings: &Settings, today: Date) -> Result<bool> {
    let (from, to, open) = crate::accounts::window_dates(settings, today);
    if !open {
        return Ok(false);
    }
    let root = ctx::community();
    let key = format!("reminder:{root}@{}", Period::of(from));
    if COUNTERS.get(&key)?.is_some() {
        return Ok(false);
    }
    COUNTERS.put(&root, &key, &Counter { value: 1 }, Some(0))?;
    let ru_date = |d: Date| format!("{:02}.{:02}.{}", d.day(), d.month(), d.year());
    let message = Message::new(
        Localized::new("Пора передать показания счётчиков", "Time to submit meter readings"),
        Localized::new(
            format!(
                "Приём показаний открыт до {} включительно. Передайте их на странице лицевого счёта — все счётчики в одной форме.",
                ru_date(to)
            ),
            format!(
                "Readings are accepted until {to} inclusive. Submit them on your account's page — every meter on one form."
            ),
        ),
    )
    .link(format!("/c/{root}/p/housing"));
    notifications::notify_community(&root, "resident", &message)?;
    Ok(true)
}

/// The months a run for `period` bills an account last billed for `last_billed`: the month
/// after that through `period` (a month held back for a flagged reading is billed when the
/// reading is reviewed, before the months after it); a new account starts at `period`.
pub fn months_to_bill(last_billed: Option<Period>, period: Period) -> Vec<Period> {
    let Some(last) = last_billed else {
        return vec![period];
    };
    let mut months = Vec::new();
    let mut month = last.next();
    while month <= period {
        months.push(month);
        month = month.next();
    }
    months
}

/// Why the account's bill for `period` waits: a reading flagged as a jump that no operator
/// has accepted or corrected yet.
pub fn held_reading(account: &Account, tariffs: &[&Tariff], period: Period) -> Option<Note> {
    let (meter, reading) = account.meters.iter().find_map(|m| {
        m.pending
            .as_ref()
            .filter(|r| r.held && r.period <= period)
            .map(|r| (m, r))
    })?;
    let (ru, en) = tariffs
        .iter()
        .find(|t| t.code == meter.service)
        .map_or((meter.service.as_str(), meter.service.as_str()), |t| {
            (t.name_ru.as_str(), t.name_en.as_str())
        });
    let value = Decimal::new(reading.value, 3).to_string();
    Some(Note::new(
        format!(
            "{}: показание «{ru}» № {} ({}) намного выше обычного — счёт ждёт проверки",
            account.number,
            meter.serial,
            value.replace('.', ",")
        ),
        format!(
            "{}: the reading of “{en}” No. {} ({value}) is far above usual — the bill waits for a review",
            account.number, meter.serial
        ),
    ))
}

/// A volume in thousandths as people read it: `5`, `5.5`, `4.123`.
pub fn show_volume(thousandths: i64) -> String {
    Decimal::new(thousandths, 3)
        .to_string()
        .trim_end_matches('0')
        .trim_end_matches(['.', ','])
        .to_owned()
}

/// The services that apply to accounts of `house`: for each code, the tariff defined nearest
/// above (or at) the house.
pub fn tariffs_for<'a>(
    house: &str,
    tariffs: &'a [Doc<Tariff>],
    ancestors: &mut HashMap<String, Vec<String>>,
) -> Vec<&'a Tariff> {
    let chain = ancestors
        .entry(house.to_owned())
        .or_insert_with(|| directory::ancestry(house));
    let mut chosen: Vec<(usize, &Tariff)> = Vec::new();
    for doc in tariffs {
        let Some(depth) = chain.iter().position(|c| *c == doc.community) else {
            continue;
        };
        match chosen.iter_mut().find(|(_, t)| t.code == doc.data.code) {
            Some(slot) if depth < slot.0 => *slot = (depth, &doc.data),
            Some(_) => {}
            None => chosen.push((depth, &doc.data)),
        }
    }
    chosen.sort_by(|a, b| a.1.code.cmp(&b.1.code));
    chosen.into_iter().map(|(_, t)| t).collect()
}

/// The id of the run over `scope` for `period`.
pub fn run_id(scope: &str, period: Period) -> String {
    format!("{scope}@{period}")
}

/// Ask for a run over `scope` for `period` (the operator's button, or the schedule). A run
/// already done is started again: accounts already billed are skipped, so nothing changes
/// twice.
pub fn request_run(scope: &str, period: Period, by: Option<String>) -> Result<Doc<Run>> {
    let id = run_id(scope, period);
    let existing = RUNS.get(&id)?;
    if let Some(doc) = &existing
        && doc.data.status != RunStatus::Done
    {
        return Ok(doc.clone());
    }
    let run = Run {
        scope: scope.to_owned(),
        period,
        status: RunStatus::Pending,
        cursor: None,
        billed: 0,
        skipped: 0,
        held: 0,
        total: Kopecks::ZERO,
        anomalies: 0,
        anomaly_samples: Vec::new(),
        requested_by: by,
        requested: ctx::now(),
        finished: None,
    };
    RUNS.put(scope, &id, &run, existing.map(|d| d.version))
}

/// One chunk of the `billing` job: on the first chunk, on or after the billing day, ask for
/// last month's run over the job's community; then bill the next chunk of the oldest
/// unfinished run. Continues while any run is unfinished.
pub fn run_job_chunk(cursor: Option<String>) -> Result<Option<String>> {
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let root = ctx::community();
    if cursor.is_none() && settings.demo && crate::demo::seed(today)? {
        log::info("demo data seeded");
    }
    if cursor.is_none() {
        // A reminder that cannot be sent (say, the counters are not granted) must not stop
        // the bills.
        match remind_readings(&settings, today) {
            Ok(true) => log::info("residents reminded of the reading window"),
            Ok(false) => {}
            Err(e) => log::warn(format!("no reading reminder: {}", e.message)),
        }
    }
    if cursor.is_none() && today.day() >= settings.billing_day {
        let last_month = Period::of(today).previous();
        if RUNS.get(&run_id(&root, last_month))?.is_none() {
            request_run(&root, last_month, None)?;
        }
    }
    let Some(run) = next_unfinished_run()? else {
        return Ok(None);
    };
    let finished = bill_chunk(run, &settings, today)?;
    if finished && next_unfinished_run()?.is_none() {
        return Ok(None);
    }
    Ok(Some("continue".to_owned()))
}

fn next_unfinished_run() -> Result<Option<Doc<Run>>> {
    for status in ["running", "pending"] {
        let page = RUNS
            .query()
            .filter("status", Compare::Eq, status)
            .order_by("requested", Direction::Asc)
            .limit(1)
            .fetch()?;
        if let Some(doc) = page.docs.into_iter().next() {
            return Ok(Some(doc));
        }
    }
    Ok(None)
}

/// Bill the next chunk of `run`; true when the run is done.
pub fn bill_chunk(run_doc: Doc<Run>, settings: &Settings, today: Date) -> Result<bool> {
    let mut run = run_doc.data;
    let period = run.period;
    let penalty = settings.penalty_rules()?;
    let rules = Rules {
        averaging: &settings.averaging,
        coefficient: &settings.increasing_coefficient,
        penalty: &penalty,
    };
    let page = ACCOUNTS
        .query()
        .in_community(&run.scope)
        .limit(settings.chunk_size.clamp(1, 1000))
        .cursor(run.cursor.as_deref())
        .fetch()?;
    if page.docs.is_empty() {
        run.status = RunStatus::Done;
        run.finished = Some(ctx::now());
        RUNS.put(&run_doc.community, &run_doc.id, &run, Some(run_doc.version))?;
        return Ok(true);
    }
    let tariffs = TARIFFS.query().fetch_all()?;
    let mut ancestors = HashMap::new();

    let mut updated_accounts = Vec::new();
    let mut new_bills = Vec::new();
    for doc in &page.docs {
        if doc.data.last_billed.is_some_and(|p| p >= period) {
            run.skipped += 1;
            continue;
        }
        let house_tariffs = tariffs_for(&doc.community, &tariffs, &mut ancestors);
        if let Some((account, bills)) =
            bill_through(doc, &house_tariffs, period, today, &rules, &mut run)
        {
            updated_accounts.push((doc.community.clone(), doc.id.clone(), account));
            new_bills.extend(bills);
        }
    }
    // No other transaction can have changed these accounts since this chunk read them and
    // still commit after it: SQLite refuses the later writer, and the host runs plugin calls
    // on PostgreSQL at REPEATABLE READ, so a payment meanwhile fails this chunk (retried).
    ACCOUNTS.put_many(
        updated_accounts
            .iter()
            .map(|(c, id, a)| (c.as_str(), Some(id.as_str()), a)),
    )?;
    BILLS.put_many(
        new_bills
            .iter()
            .map(|(c, id, b)| (c.as_str(), Some(id.as_str()), b)),
    )?;
    announce_bills(&new_bills)?;
    let done = page.next_cursor.is_none();
    run.cursor = page.next_cursor;
    run.status = if done {
        RunStatus::Done
    } else {
        RunStatus::Running
    };
    if done {
        run.finished = Some(ctx::now());
    }
    RUNS.put(&run_doc.community, &run_doc.id, &run, Some(run_doc.version))?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charges::MeterHistory;
    use crate::model::{PendingReading, Rate};

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn tariff(code: &str, basis: ChargeBasis, price: &str, norm: Option<&str>) -> Tariff {
        Tariff {
            code: code.into(),
            name_ru: code.into(),
            name_en: code.into(),
            unit: "м³".into(),
            basis,
            rates: vec![Rate {
                from: day("2020-01-01"),
                tariff: price.into(),
                norm: norm.map(Into::into),
            }],
        }
    }

    fn account(meters: Vec<Meter>) -> Account {
        Account {
            number: "12".into(),
            unit: None,
            payer: "Смирнова Анна".into(),
            address: "ул. Садовая, 1, кв. 12".into(),
            area: 5430,
            residents: 3,
            owners: 1,
            services: vec![],
            raised: vec![],
            meters,
            balance: Kopecks::ZERO,
            advance: Kopecks::ZERO,
            penalty_charged: Kopecks::ZERO,
            penalty_paid: Kopecks::ZERO,
            penalty_settled: Kopecks::ZERO,
            last_billed: None,
            open: vec![],
            sort_key: String::new(),
            payer_key: String::new(),
        }
    }

    fn meter(history: Vec<i64>, last_value: i64) -> Meter {
        Meter {
            id: "h:12#1".into(),
            service: "cold_water".into(),
            serial: "A1".into(),
            digits: 5,
            installed: None,
            verified_until: None,
            last_value,
            last_period: None,
            history: MeterHistory {
                recent_volumes: history,
                ..MeterHistory::default()
            },
            pending: None,
        }
    }

    fn reading(period: Period, value: i64) -> PendingReading {
        PendingReading {
            period,
            value,
            kind: Default::default(),
            old_final: None,
            held: false,
        }
    }

    struct Setup {
        averaging: Vec<AveragingRule>,
        coefficient: Vec<CoefficientRule>,
        penalty: PenaltyRules,
    }

    impl Setup {
        fn new() -> Setup {
            Setup {
                averaging: vec![AveragingRule {
                    from: day("2012-09-01"),
                    months: 6,
                    min_months: 3,
                    max_months_in_a_row: 3,
                }],
                coefficient: vec![CoefficientRule {
                    from: day("2017-01-01"),
                    value: "1.5".into(),
                }],
                penalty: PenaltyRules::default(),
            }
        }

        fn rules(&self) -> Rules<'_> {
            Rules {
                averaging: &self.averaging,
                coefficient: &self.coefficient,
                penalty: &self.penalty,
            }
        }
    }

    /// Bill `account` with `readings` waiting on its meters (in order).
    fn bill(
        account: &mut Account,
        tariffs: &[Tariff],
        readings: &[PendingReading],
        period: Period,
        setup: &Setup,
    ) -> Bill {
        for (meter, reading) in account.meters.iter_mut().zip(readings) {
            meter.pending = Some(reading.clone());
        }
        let tariffs: Vec<&Tariff> = tariffs.iter().collect();
        bill_account(
            "h:12",
            account,
            &tariffs,
            period,
            period.next().first_day(),
            &setup.rules(),
        )
    }

    /// RULES.md §2 through a whole bill: 6 months of 5, 6, 4, 5, 7, 3 m³, then four months
    /// without readings (5.0 m³ three times, then the norm 3 × 4.9), then a reading: the
    /// months charged by estimate are recalculated.
    #[test]
    fn months_without_readings_then_a_late_reading() {
        let setup = Setup::new();
        let tariffs = [tariff(
            "cold_water",
            ChargeBasis::Metered,
            "45.00",
            Some("4.9"),
        )];
        let mut account = account(vec![meter(
            [5, 6, 4, 5, 7, 3].map(|v| v * 1000).to_vec(),
            100_000,
        )]);
        let mut period: Period = "2026-01".parse().unwrap();
        let mut volumes = Vec::new();
        for _ in 0..4 {
            let b = bill(&mut account, &tariffs, &[], period, &setup);
            volumes.push((b.lines[0].volume, b.lines[0].method, b.lines[0].amount));
            assert!(!b.anomalies.is_empty(), "a missing reading is an anomaly");
            period = period.next();
        }
        assert_eq!(
            volumes,
            vec![
                (5_000, Method::Average, Kopecks(22_500)),
                (5_000, Method::Average, Kopecks(22_500)),
                (5_000, Method::Average, Kopecks(22_500)),
                (14_700, Method::Norm, Kopecks(66_150)),
            ]
        );
        // Month 5: the meter shows 125 m³: 25 m³ over 5 months, 5 m³ a month; 29.7 m³ were
        // charged for the 4 months instead of 20: a refund of 9.7 m³ × 45 = 436.50 ₽.
        let b = bill(
            &mut account,
            &tariffs,
            &[reading(period, 125_000)],
            period,
            &setup,
        );
        assert_eq!(b.lines[0].method, Method::Meter);
        assert_eq!(b.lines[0].volume, 5_000);
        assert_eq!(b.recalculations.len(), 1);
        assert_eq!(b.recalculations[0].amount, Kopecks(-43_650));
        assert_eq!(b.principal, Kopecks(22_500 - 43_650));
        assert_eq!(account.meters[0].last_value, 125_000);
        assert_eq!(account.meters[0].history.months_without_readings, 0);
    }

    /// RULES.md §2: no meter, 3 residents × 4.9 m³ × 45.00 = 661.50 ₽; with the increasing
    /// coefficient 992.25 ₽, 330.75 ₽ shown above the plain charge; area × rate; metered
    /// electricity 150 kWh × 1.936 = 290.40 ₽.
    #[test]
    fn a_bill_with_every_kind_of_line() {
        let setup = Setup::new();
        let tariffs = [
            tariff("cold_water", ChargeBasis::Metered, "45.00", Some("4.9")),
            tariff("electricity", ChargeBasis::Metered, "1.936", None),
            tariff("maintenance", ChargeBasis::Area, "25.40", None),
        ];
        let mut electricity = meter(vec![], 1_000_000);
        electricity.service = "electricity".into();
        let mut plain = account(vec![electricity]);
        let period: Period = "2026-10".parse().unwrap();
        let b = bill(
            &mut plain,
            &tariffs,
            &[reading(period, 1_150_000)],
            period,
            &setup,
        );
        let amounts: Vec<(&str, Kopecks, Kopecks)> = b
            .lines
            .iter()
            .map(|l| (l.service.as_str(), l.amount, l.above_norm))
            .collect();
        assert_eq!(
            amounts,
            vec![
                ("cold_water", Kopecks(66_150), Kopecks::ZERO),
                ("electricity", Kopecks(29_040), Kopecks::ZERO),
                ("maintenance", Kopecks(137_922), Kopecks::ZERO),
            ]
        );
        assert_eq!(b.principal, Kopecks(66_150 + 29_040 + 137_922));
        assert_eq!(plain.balance, b.principal);
        assert_eq!(b.due, day("2026-11-15"));

        let mut raised = account(vec![]);
        raised.raised = vec!["cold_water".into()];
        raised.services = vec!["cold_water".into()];
        let b = bill(&mut raised, &tariffs, &[], period, &setup);
        assert_eq!(b.lines.len(), 1);
        assert_eq!(b.lines[0].amount, Kopecks(99_225));
        assert_eq!(b.lines[0].above_norm, Kopecks(33_075));
        assert_eq!(b.lines[0].coefficient.as_deref(), Some("1.5"));
    }

    /// An account whose only debt is January 2025's 10 000 ₽, due 2025-02-10 (RULES.md P2),
    /// and no services of its own.
    fn january_unpaid() -> Account {
        let mut account = account(vec![]);
        account.services = vec!["none".into()];
        account.balance = Kopecks(1_000_000);
        account.open = vec![OpenBill {
            period: "2025-01".parse().unwrap(),
            due: day("2025-02-10"),
            principal: Kopecks(1_000_000),
            paid: Kopecks::ZERO,
            payments: vec![],
        }];
        account
    }

    /// Penalties reach the next bill: a 10 000 ₽ bill due 2025-02-10 left unpaid accrues
    /// through the end of April: 49 days at 1/300 (day 31 = 2025-03-13) to 2025-04-30 =
    /// 155.17 ₽ (RULES.md P2), charged once; the May bill adds only May's accrual.
    #[test]
    fn unpaid_bills_bring_penalties_once() {
        let setup = Setup::new();
        let mut account = january_unpaid();
        let april: Period = "2025-04".parse().unwrap();
        let b = bill_account(
            "h:12",
            &mut account,
            &[],
            april,
            day("2025-05-01"),
            &setup.rules(),
        );
        assert_eq!(b.penalty, Kopecks(15_517));
        assert_eq!(b.to_pay, Kopecks(1_015_517));
        let b = bill_account(
            "h:12",
            &mut account,
            &[],
            april.next(),
            day("2025-06-01"),
            &setup.rules(),
        );
        // Through 2025-05-31: 60 days at 1/300 (190.00) + 20 days at 1/130 (146.15) = 336.15.
        assert_eq!(account.penalty_charged, Kopecks(33_615));
        assert_eq!(b.penalty, Kopecks(33_615 - 15_517));
    }

    /// The bill keeps how its penalty was found, as public calculators show it: RULES.md P2's
    /// 10 000 ₽ due 2025-02-10, unpaid through 2025-04-30, is 49 days from 2025-03-13 at 9.5 %
    /// and 1/300 = 155.17 ₽.
    #[test]
    fn a_bill_shows_its_penalty_calculation() {
        let setup = Setup::new();
        let mut account = january_unpaid();
        let b = bill_account(
            "h:12",
            &mut account,
            &[],
            "2025-04".parse().unwrap(),
            day("2025-05-01"),
            &setup.rules(),
        );
        assert_eq!(b.penalty_details.len(), 1);
        let detail = &b.penalty_details[0];
        assert_eq!(detail.total, Kopecks(15_517));
        assert_eq!(detail.periods.len(), 1);
        let period = &detail.periods[0];
        assert_eq!(
            (period.from, period.to, period.days),
            (day("2025-03-13"), day("2025-04-30"), 49)
        );
        assert_eq!((period.debt, period.rate_bp), (Kopecks(1_000_000), 950));
        assert_eq!((period.numerator, period.denominator), (1, 300));
        assert_eq!(b.penalty_before, Kopecks::ZERO);
        assert_eq!(b.penalty, detail.total);
    }

    /// An advance pays the new bill and then the penalties: the account never shows a debt
    /// and an advance at once, and what the card asks is the balance.
    #[test]
    fn an_advance_pays_the_bill_then_the_penalties() {
        let setup = Setup::new();
        let tariffs = [tariff("maintenance", ChargeBasis::Area, "10.00", None)];
        let mut account = account(vec![]);
        account.area = 1_000; // 10 m² × 10 ₽ = 100 ₽
        account.advance = Kopecks(50_000);
        account.balance = Kopecks(-50_000 + 2_000);
        // The final penalty of a bill paid in full, charged and not paid yet.
        account.penalty_settled = Kopecks(2_000);
        account.penalty_charged = Kopecks(2_000);
        let b = bill(
            &mut account,
            &tariffs,
            &[],
            "2026-10".parse().unwrap(),
            &setup,
        );
        assert_eq!(b.principal, Kopecks(10_000));
        assert!(!b.open, "the advance paid it");
        assert_eq!(account.penalty_paid, Kopecks(2_000));
        assert_eq!(account.advance, Kopecks(38_000));
        assert_eq!(account.balance, Kopecks(-38_000));
        let due = crate::due::AmountDue::of(&account, day("2026-11-01"));
        assert!(due.is_settled());
        assert_eq!(Kopecks(due.total.0 - due.advance.0), account.balance);
    }

    /// A flagged reading holds the account back; once reviewed, the months it missed are
    /// billed in order, before the month the run is for.
    #[test]
    fn a_flagged_reading_holds_the_bill_and_the_missed_months_follow() {
        let mut held = account(vec![meter(vec![5_000; 6], 100_000)]);
        let october: Period = "2026-10".parse().unwrap();
        held.meters[0].pending = Some(PendingReading {
            held: true,
            ..reading(october, 160_000)
        });
        let tariffs = [tariff(
            "cold_water",
            ChargeBasis::Metered,
            "45.00",
            Some("4.9"),
        )];
        let names: Vec<&Tariff> = tariffs.iter().collect();
        let note = held_reading(&held, &names, october.next()).expect("held");
        assert!(note.text().contains("ждёт проверки"), "{}", note.text());
        assert!(note.text().contains("cold_water") || note.text().contains("160"));
        held.meters[0].pending.as_mut().unwrap().held = false;
        assert!(held_reading(&held, &names, october.next()).is_none());

        assert_eq!(
            months_to_bill(Some("2026-09".parse().unwrap()), october.next()),
            vec![october, october.next()]
        );
        assert_eq!(months_to_bill(None, october), vec![october]);
        assert!(months_to_bill(Some(october), october).is_empty());
    }

    /// The current month is billed only on purpose; a month to come never.
    #[test]
    fn an_unfinished_month_needs_a_confirmation() {
        let today = day("2026-11-01");
        let november: Period = "2026-11".parse().unwrap();
        assert!(check_period(november.previous(), today, false).is_ok());
        let refused = check_period(november, today, false).unwrap_err();
        assert_eq!(refused.field.as_deref(), Some("period"));
        assert!(
            refused.message.contains("ноябрь 2026 ещё не закончился"),
            "{}",
            refused.message
        );
        assert!(check_period(november, today, true).is_ok());
        let future = check_period(november.next(), today, true).unwrap_err();
        assert_eq!(future.field.as_deref(), Some("period"));
    }
}

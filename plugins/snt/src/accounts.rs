//! The plots' ledgers in storage: charges and payments (by hand, from the bank's registry, from
//! the bill's payment QR code), each plot's position per ledger, the payment QR code itself,
//! debts, reminders, the debtor list for publication and — where the charter sets them —
//! penalties.

use dvor_sdk::notifications::Urgency;
use dvor_sdk::payment_qr::{self, PaymentQr};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::{self, require_board, scoped};
use crate::bank;
use crate::debtors::{self, PlotDebt, PublishedDebt};
use crate::ledgers::{self, Ledger, Movement, Position};
use crate::model::{Entry, EntryKind, LEDGER, PaymentWay, Record, STATE, Settings};
use crate::signals;
use crate::tell::tell;

/// The list of target purposes, in the order they first appeared: purpose `n` is `Ц{n}`.
fn purposes_id() -> String {
    scoped("purposes")
}

/// The stored list of target purposes: `{ "purposes": [...] }` (a document is an object).
fn stored_purposes(doc: Option<&Doc<serde_json::Value>>) -> Vec<String> {
    doc.and_then(|d| serde_json::from_value(d.data["purposes"].clone()).ok())
        .unwrap_or_default()
}

/// The partnership's target purposes.
pub fn purposes() -> Result<Vec<String>> {
    Ok(stored_purposes(STATE.get(&purposes_id())?.as_ref()))
}

/// The ledger of target purpose `purpose`, numbered on first use.
pub fn target_ledger(purpose: &str) -> Result<Ledger> {
    let doc = STATE.get(&purposes_id())?;
    let mut list = stored_purposes(doc.as_ref());
    let key = crate::model::name_key(purpose);
    if let Some(i) = list.iter().position(|p| crate::model::name_key(p) == key) {
        return Ok(Ledger::Target(u32::try_from(i + 1).unwrap_or(u32::MAX)));
    }
    list.push(purpose.trim().to_owned());
    STATE.put(
        &ctx::community(),
        &purposes_id(),
        &serde_json::json!({ "purposes": list }),
        Some(doc.map_or(0, |d| d.version)),
    )?;
    Ok(Ledger::Target(
        u32::try_from(list.len()).unwrap_or(u32::MAX),
    ))
}

/// The ledger's name: «Членские взносы», «Целевые взносы: водопровод», «Электроэнергия».
pub fn ledger_name(ledger: &Ledger, purposes: &[String]) -> String {
    match ledger {
        Ledger::Membership => tr("Членские взносы", "Membership dues").to_owned(),
        Ledger::Target(n) => {
            let purpose = usize::try_from(*n)
                .ok()
                .and_then(|n| purposes.get(n.wrapping_sub(1)))
                .cloned()
                .unwrap_or_else(|| n.to_string());
            format!("{}: {purpose}", tr("Целевые взносы", "Target dues"))
        }
        Ledger::Electricity => tr("Электроэнергия", "Electricity").to_owned(),
        Ledger::Penalties => tr("Пени", "Penalties").to_owned(),
    }
}

/// The ledger's name in Russian, for the payment's purpose in the bank.
fn ledger_name_ru(ledger: &Ledger, purposes: &[String]) -> String {
    match ledger {
        Ledger::Membership => "Членские взносы".to_owned(),
        Ledger::Target(n) => format!(
            "Целевые взносы: {}",
            usize::try_from(*n)
                .ok()
                .and_then(|n| purposes.get(n.wrapping_sub(1)))
                .cloned()
                .unwrap_or_else(|| n.to_string())
        ),
        Ledger::Electricity => "Электроэнергия".to_owned(),
        Ledger::Penalties => "Пени".to_owned(),
    }
}

fn movement(entry: &Entry) -> Movement {
    Movement {
        date: entry.date,
        amount: entry.amount,
        due: entry.due,
        text: tr(&entry.text_ru, &entry.text_en).to_owned(),
    }
}

/// The movements of `account` (`45-Ч`).
pub fn movements(account: &str) -> Result<Vec<Movement>> {
    Ok(LEDGER
        .query()
        .in_community(&ctx::community())
        .filter("account", Compare::Eq, account)
        .fetch_all()?
        .iter()
        .map(|d| movement(&d.data))
        .collect())
}

/// One ledger of a plot and where it stands.
#[derive(Clone, Debug, Serialize)]
pub struct PlotLedger {
    /// The ledger.
    pub ledger: Ledger,
    /// Its account, `45-Ч`.
    pub account: String,
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub position: Position,
}

/// Every ledger `plot` has entries in, membership first.
pub fn plot_ledgers(plot: &str, today: Date) -> Result<Vec<PlotLedger>> {
    let entries = LEDGER
        .query()
        .in_community(&ctx::community())
        .filter("plot", Compare::Eq, plot)
        .fetch_all()?;
    let purposes = purposes()?;
    let mut ledgers: Vec<Ledger> = entries
        .iter()
        .filter_map(|d| Ledger::from_code(&d.data.ledger))
        .collect();
    ledgers.sort();
    ledgers.dedup();
    Ok(ledgers
        .into_iter()
        .map(|ledger| {
            let code = ledger.code();
            let movements: Vec<Movement> = entries
                .iter()
                .filter(|d| d.data.ledger == code)
                .map(|d| movement(&d.data))
                .collect();
            PlotLedger {
                account: ledger.account(plot),
                name: ledger_name(&ledger, &purposes),
                position: ledgers::position(&movements, today),
                ledger,
            }
        })
        .collect())
}

/// A payment to record.
#[derive(Clone, Debug)]
pub struct NewPayment {
    /// The plot.
    pub plot: String,
    /// The ledger.
    pub ledger: Ledger,
    /// How much.
    pub amount: Kopecks,
    /// The day paid.
    pub date: Date,
    /// The bank's or the receipt's reference: a second payment with it is the same payment.
    pub reference: Option<String>,
    /// Who paid, as written.
    pub payer: Option<String>,
    /// How it arrived.
    pub way: PaymentWay,
}

/// Record a payment: refused when the plot is not the partnership's, the amount is not above
/// zero or the day is in the future; a reference already recorded is the same payment and
/// changes nothing (the second answer says so).
pub fn record_payment(payment: &NewPayment, records: &[Doc<Record>]) -> Result<(Doc<Entry>, bool)> {
    access::plot("plot", &payment.plot)?;
    if payment.amount <= Kopecks::ZERO {
        return Err(Error::invalid(
            "amount",
            tr(
                "Сумма должна быть больше нуля",
                "the amount must be above zero",
            ),
        ));
    }
    let today = ctx::today()?;
    if payment.date > today {
        return Err(Error::invalid(
            "date",
            tr(
                "Дата платежа в будущем",
                "the payment date is in the future",
            ),
        ));
    }
    let reference = payment
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reference.is_some_and(|r| r.chars().count() > 80) {
        return Err(Error::invalid(
            "reference",
            tr(
                "Номер платежа — не длиннее 80 знаков",
                "the reference is at most 80 characters",
            ),
        ));
    }
    let id = reference.map(|r| scoped(&format!("pay:{r}")));
    if let Some(id) = &id
        && let Some(existing) = LEDGER.get(id)?
    {
        return Ok((existing, false));
    }
    let purposes = purposes()?;
    let name_ru = ledger_name_ru(&payment.ledger, &purposes);
    let account = payment.ledger.account(&payment.plot);
    let entry = Entry {
        account: account.clone(),
        plot: payment.plot.clone(),
        ledger: payment.ledger.code(),
        entry: EntryKind::Payment,
        amount: Kopecks(-payment.amount.0),
        date: payment.date,
        due: None,
        text_ru: match payment.way {
            PaymentWay::Manual => "Оплата (внесена правлением)".to_owned(),
            PaymentWay::Registry => "Оплата через банк".to_owned(),
            PaymentWay::Qr => "Оплата по QR-коду квитанции".to_owned(),
        },
        text_en: match payment.way {
            PaymentWay::Manual => "Payment (entered by the board)".to_owned(),
            PaymentWay::Registry => "Payment through the bank".to_owned(),
            PaymentWay::Qr => "Payment by the bill's QR code".to_owned(),
        },
        source: None,
        way: Some(payment.way),
        reference: reference.map(str::to_owned),
        payer: payment.payer.clone(),
        by: ctx::caller().map(|c| c.display_name),
    };
    let saved = LEDGER.insert(&ctx::community(), id.as_deref(), &entry)?;
    let people = access::people_of_plot(&payment.plot, records);
    // The person credited: the plot's member or owner with an account, if there is one.
    let payer_person = records
        .iter()
        .filter(|r| r.data.holds(&payment.plot))
        .filter(|r| r.data.standing != crate::model::Standing::Former)
        .find_map(|r| r.data.person_id.clone());
    signals::emit(
        signals::DUES_PAID,
        &serde_json::json!({
            "person_id": payer_person,
            "plot": payment.plot,
            "ledger": payment.ledger.code(),
            "account": account,
            "amount": payment.amount,
            "date": payment.date,
        }),
    )?;
    tell(
        &people,
        ("Платёж получен", "Payment received"),
        (
            format!(
                "{name_ru}, участок {}: получено {}",
                payment.plot, payment.amount
            ),
            format!(
                "{}, plot {}: {} received",
                ledger_name(&payment.ledger, &purposes),
                payment.plot,
                payment.amount
            ),
        ),
        &format!("plot/{}", payment.plot),
        Urgency::Normal,
    )?;
    Ok((saved, true))
}

/// What a registry import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegistryReport {
    /// Payments recorded.
    pub recorded: u32,
    /// Payments already recorded before (the same reference).
    pub duplicates: u32,
    /// Σ of the recorded payments.
    pub total: Kopecks,
}

/// Import the bank's registry: every payment, or every bad cell and nothing.
pub fn import_registry(
    body: &[u8],
) -> Result<core::result::Result<RegistryReport, Vec<dvor_sdk::csv_sheet::CellProblem>>> {
    require_board()?;
    let today = ctx::today()?;
    let payments = match bank::read_registry(body, today) {
        Ok(p) => p,
        Err(problems) => return Ok(Err(problems)),
    };
    let plots = access::plots();
    let problems: Vec<dvor_sdk::csv_sheet::CellProblem> = payments
        .iter()
        .filter(|p| !plots.iter().any(|u| u.number == p.plot))
        .map(|p| dvor_sdk::csv_sheet::CellProblem {
            line: p.line,
            column: "account".into(),
            message: format!(
                "{} {}",
                tr("В товариществе нет участка", "the partnership has no plot"),
                p.plot
            ),
        })
        .collect();
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let records = access::all_records()?;
    let mut report = RegistryReport::default();
    for p in payments {
        let (_, new) = record_payment(
            &NewPayment {
                plot: p.plot,
                ledger: p.ledger,
                amount: p.amount,
                date: p.date,
                reference: Some(p.reference),
                payer: p.payer,
                way: PaymentWay::Registry,
            },
            &records,
        )?;
        if new {
            report.recorded += 1;
            report.total = report.total.checked_add(p.amount).unwrap_or(report.total);
        } else {
            report.duplicates += 1;
        }
    }
    Ok(Ok(report))
}

/// The ГОСТ Р 56042 text of the QR code paying `amount` into `ledger` of `plot`, or why there
/// is none (no bank details, nothing to pay).
pub fn qr_payload(
    plot: &str,
    ledger: &Ledger,
    amount: Kopecks,
    settings: &Settings,
) -> Result<core::result::Result<String, String>> {
    let Some(payee) = settings.payee()? else {
        return Ok(Err(tr(
            "правление ещё не указало банковские реквизиты товарищества",
            "the board has not given the partnership's bank details yet",
        )
        .to_owned()));
    };
    if amount <= Kopecks::ZERO {
        return Ok(Err(tr("платить нечего", "nothing to pay").to_owned()));
    }
    let purposes = purposes()?;
    let qr = PaymentQr {
        payee: &payee,
        sum: amount,
        purpose: format!("{}, участок {plot}", ledger_name_ru(ledger, &purposes)),
        personal_account: ledger.account(plot),
        period_month: 0,
        period_year: 0,
        last_name: String::new(),
        payer_address: String::new(),
    };
    Ok(payment_qr::payload(&qr))
}

/// The plot, ledger and amount of a payment QR code's text (what the board scans from a bill
/// the member brings); the error names field `qr`.
pub fn read_qr(text: &str) -> Result<(String, Ledger, Kopecks)> {
    let bad = |why: String| {
        Error::invalid(
            "qr",
            format!(
                "{}: {why}",
                tr(
                    "Это не QR-код квитанции товарищества",
                    "this is not the partnership's bill QR code"
                )
            ),
        )
    };
    let pairs = payment_qr::parse_payload(text).map_err(bad)?;
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };
    let account = get("PersAcc").ok_or_else(|| bad("PersAcc".into()))?;
    let (plot, ledger) = ledgers::parse_account("qr", account)?;
    let sum: i64 = get("Sum")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("Sum".into()))?;
    Ok((plot, ledger, Kopecks(sum)))
}

/// One ledger of one plot that is in debt.
#[derive(Clone, Debug, Serialize)]
pub struct Debt {
    /// The plot.
    pub plot: String,
    /// The ledger.
    pub ledger: Ledger,
    /// Its name.
    pub name: String,
    /// The balance.
    pub balance: Kopecks,
    /// What is overdue.
    pub overdue: Kopecks,
    /// Overdue since.
    pub since: Option<Date>,
}

/// Every plot's ledgers with something owed, in plot order.
pub fn debts(today: Date) -> Result<Vec<Debt>> {
    let mut out = Vec::new();
    for unit in access::plots() {
        for l in plot_ledgers(&unit.number, today)? {
            if l.position.balance > Kopecks::ZERO {
                out.push(Debt {
                    plot: unit.number.clone(),
                    ledger: l.ledger,
                    name: l.name,
                    balance: l.position.balance,
                    overdue: l.position.overdue,
                    since: l.position.overdue_since,
                });
            }
        }
    }
    Ok(out)
}

/// The debtor list for publication on `today`: plot numbers and amounts only.
pub fn debtor_list(today: Date, settings: &Settings) -> Result<Vec<PublishedDebt>> {
    let debts: Vec<PlotDebt> = debts(today)?
        .into_iter()
        .filter_map(|d| {
            Some(PlotDebt {
                plot: d.plot,
                amount: d.overdue,
                oldest_due: d.since?,
            })
        })
        .collect();
    Ok(debtors::debtor_list(&debts, today, &settings.debtor_list))
}

/// Remind the holders of every plot with an overdue debt; how many plots were reminded.
pub fn remind(today: Date) -> Result<u32> {
    require_board()?;
    let records = access::all_records()?;
    let mut reminded = 0;
    let debts = debts(today)?;
    let mut plots: Vec<&str> = debts
        .iter()
        .filter(|d| d.overdue > Kopecks::ZERO)
        .map(|d| d.plot.as_str())
        .collect();
    plots.dedup();
    for plot in plots {
        let owed: Vec<&Debt> = debts
            .iter()
            .filter(|d| d.plot == plot && d.overdue > Kopecks::ZERO)
            .collect();
        let lines_ru: Vec<String> = owed
            .iter()
            .map(|d| format!("{} — {}", d.name, d.overdue))
            .collect();
        let people = access::people_of_plot(plot, &records);
        if people.is_empty() {
            continue;
        }
        tell(
            &people,
            ("Напоминание об оплате", "Payment reminder"),
            (
                format!(
                    "Участок {plot}: просрочено {}. Оплатить можно по QR-коду на странице участка.",
                    lines_ru.join("; ")
                ),
                format!(
                    "Plot {plot}: overdue {}. Pay by the QR code on the plot's page.",
                    lines_ru.join("; ")
                ),
            ),
            &format!("plot/{plot}"),
            Urgency::Normal,
        )?;
        reminded += 1;
    }
    Ok(reminded)
}

/// What penalties were charged through.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct PenaltiesState {
    through: Option<Date>,
}

/// The day penalties were last charged through, if they were.
pub fn penalties_through() -> Result<Option<Date>> {
    Ok(STATE
        .get(&scoped("penalties"))?
        .and_then(|d| serde_json::from_value::<PenaltiesState>(d.data).ok())
        .and_then(|s| s.through))
}

/// Charge penalties on every plot's overdue dues (membership and target) up to `through`,
/// where the charter sets them; how many plots and how much.
pub fn charge_penalties(through: Date) -> Result<(u32, Kopecks)> {
    require_board()?;
    let settings = Settings::load()?;
    if !settings.penalties.is_set() {
        return Err(Error::conflict(tr(
            "Устав не устанавливает пени: долги взыскиваются через суд",
            "the charter sets no penalties: debts are recovered through the courts",
        )));
    }
    if through > ctx::today()? {
        return Err(Error::invalid(
            "through",
            tr("Дата в будущем", "the date is in the future"),
        ));
    }
    let state_id = scoped("penalties");
    let state = STATE.get(&state_id)?;
    let after = state
        .as_ref()
        .and_then(|d| serde_json::from_value::<PenaltiesState>(d.data.clone()).ok())
        .and_then(|s| s.through)
        .unwrap_or(Date::MIN);
    if through <= after {
        return Err(Error::invalid(
            "through",
            format!(
                "{} {}",
                tr(
                    "Пени уже начислены по",
                    "penalties are already charged through"
                ),
                crate::show::date_text(after)
            ),
        ));
    }
    let community = ctx::community();
    let (mut plots, mut total) = (0u32, Kopecks::ZERO);
    for unit in access::plots() {
        let entries = LEDGER
            .query()
            .in_community(&community)
            .filter("plot", Compare::Eq, unit.number.as_str())
            .fetch_all()?;
        let mut sum = Kopecks::ZERO;
        for ledger in entries
            .iter()
            .filter_map(|d| Ledger::from_code(&d.data.ledger))
            .filter(|l| matches!(l, Ledger::Membership | Ledger::Target(_)))
            .collect::<std::collections::BTreeSet<_>>()
        {
            let code = ledger.code();
            let movements: Vec<Movement> = entries
                .iter()
                .filter(|d| d.data.ledger == code)
                .map(|d| movement(&d.data))
                .collect();
            let start = if after == Date::MIN {
                movements.iter().map(|m| m.date).min().unwrap_or(through)
            } else {
                after
            };
            let owed = crate::penalties::penalty(&movements, start, through, &settings.penalties)?;
            sum = sum.checked_add(owed).unwrap_or(sum);
        }
        if sum > Kopecks::ZERO {
            let account = Ledger::Penalties.account(&unit.number);
            LEDGER.put(
                &community,
                &scoped(&format!("pen:{through}:{account}")),
                &Entry {
                    account,
                    plot: unit.number.clone(),
                    ledger: Ledger::Penalties.code(),
                    entry: EntryKind::Charge,
                    amount: sum,
                    date: through,
                    due: Some(through),
                    text_ru: format!("Пени по {}", crate::show::date_text_ru(through)),
                    text_en: format!("Penalties through {through}"),
                    source: Some("penalties".into()),
                    way: None,
                    reference: None,
                    payer: None,
                    by: ctx::caller().map(|c| c.display_name),
                },
                Some(0),
            )?;
            plots += 1;
            total = total.checked_add(sum).unwrap_or(total);
        }
    }
    STATE.put(
        &community,
        &state_id,
        &serde_json::to_value(PenaltiesState {
            through: Some(through),
        })?,
        Some(state.map_or(0, |d| d.version)),
    )?;
    Ok((plots, total))
}

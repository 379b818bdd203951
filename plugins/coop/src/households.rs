//! One account per household (a flat or a plot) across every purchase, with its append-only
//! ledger ([`crate::ledger`]): charges from settlements, payments by hand, from the bank's
//! registry and through the payment QR code, corrections as reversing entries; the payment
//! QR code of what it owes; reminders before the deadline, and past it the household is
//! dropped from open purchases until it pays.

use dvor_sdk::csv_sheet::{self, CellProblem, Column, Problems, SheetMessages};
use dvor_sdk::directory::{self, Unit};
use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::payment_qr::{self, Payee, PaymentQr};
use dvor_sdk::prelude::*;
use serde::Serialize;

use crate::ledger::{Entry, EntryKind, Ledger, PaymentMethod};
use crate::model::{
    HOUSEHOLDS, Household, ORDERS, PAYEES, PURCHASES, PurchaseState, Settings, invalid, not_found,
};
use crate::show::{day_text, money_text, page_path};

/// The event of a payment recorded.
pub const PAYMENT_RECEIVED: &str = "coop.payment_received";

/// The marker of a household in a payment's purpose: the bank's registry carries it back.
pub const PURPOSE_MARK: &str = "ЗК:";

/// How people read a payment method.
pub fn method_label(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Hand => tr("наличными или переводом", "cash or transfer"),
        PaymentMethod::BankRegistry => tr("по выписке банка", "bank registry"),
        PaymentMethod::Qr => tr("по QR-коду", "by the QR code"),
    }
}

/// How people read an entry.
pub fn entry_label(entry: &Entry) -> String {
    match &entry.kind {
        EntryKind::Charge => tr("Начисление", "Charge").to_owned(),
        EntryKind::Payment { method } => {
            format!("{} {}", tr("Оплата", "Payment"), method_label(*method))
        }
        EntryKind::Refund => tr("Возврат", "Refund").to_owned(),
        EntryKind::Reversal { of } => format!("{} №{of}", tr("Сторно записи", "Reversal of entry")),
    }
}

/// The household account `id` (a unit id), if it is in scope.
pub fn get(id: &str) -> Result<Option<Doc<Household>>> {
    HOUSEHOLDS.get(id)
}

/// Its balance and deadline after its ledger changed.
fn refresh(household: &mut Household, pay_by: Option<Date>) {
    household.balance = household.ledger.balance();
    if household.balance > Kopecks::ZERO {
        household.pay_by = match (household.pay_by, pay_by) {
            (Some(old), Some(new)) => Some(old.min(new)),
            (old, new) => old.or(new),
        };
    } else {
        household.pay_by = None;
        household.reminded_for = None;
        household.dropped_for = None;
    }
}

/// Charge household `id` (`unit` if known, else found here) `amount` for `reference`.
#[allow(clippy::too_many_arguments)]
pub fn charge(
    id: &str,
    unit: Option<&Unit>,
    label: &str,
    amount: Kopecks,
    reference: &str,
    note: &str,
    pay_by: Date,
    people: &[String],
) -> Result<()> {
    let now = ctx::now();
    let (community, version, mut household) = match HOUSEHOLDS.get(id)? {
        Some(doc) => (doc.community, doc.version, doc.data),
        None => {
            let community = unit
                .map(|u| u.community.clone())
                .unwrap_or_else(ctx::community);
            (
                community,
                0,
                Household {
                    unit: id.to_owned(),
                    label: label.to_owned(),
                    ledger: Ledger::new(),
                    balance: Kopecks::ZERO,
                    pay_by: None,
                    reminded_for: None,
                    dropped_for: None,
                    people: Vec::new(),
                },
            )
        }
    };
    household.ledger.charge(amount, now, reference, note)?;
    for person in people {
        if !household.people.contains(person) {
            household.people.push(person.clone());
        }
    }
    refresh(&mut household, Some(pay_by));
    HOUSEHOLDS.put(&community, id, &household, Some(version))?;
    Ok(())
}

/// Record a payment of `amount` into household `id`.
pub fn pay(
    id: &str,
    amount: Kopecks,
    method: PaymentMethod,
    reference: &str,
) -> Result<Doc<Household>> {
    let mut doc = HOUSEHOLDS.get(id)?.ok_or_else(|| {
        invalid(
            "household",
            "У этого участка или квартиры нет счёта совместных закупок",
            "this plot or flat has no joint purchase account",
        )
    })?;
    doc.data.ledger.pay(amount, method, ctx::now(), reference)?;
    refresh(&mut doc.data, None);
    let saved = HOUSEHOLDS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    events::emit(
        PAYMENT_RECEIVED,
        &saved.community,
        &serde_json::json!({
            "person_id": saved.data.people.first(),
            "household": saved.id,
            "amount": amount,
            "method": method,
        }),
    )?;
    Ok(saved)
}

/// Correct entry `number` of household `id`: a reversing entry with `reason`, and, when given,
/// the right charge under the same reference. Nothing is ever edited.
pub fn correct(
    id: &str,
    number: u64,
    reason: &str,
    right_amount: Option<Kopecks>,
) -> Result<Doc<Household>> {
    let mut doc = HOUSEHOLDS
        .get(id)?
        .ok_or_else(|| not_found("Нет такого счёта", "no such account"))?;
    let reversed = doc.data.ledger.reverse(number, ctx::now(), reason)?.clone();
    if let Some(amount) = right_amount {
        let original = doc
            .data
            .ledger
            .entries()
            .iter()
            .find(|e| e.number == number)
            .cloned();
        if !original.is_some_and(|e| e.kind == EntryKind::Charge) {
            return Err(invalid(
                "amount",
                "Верную сумму указывают при исправлении начисления",
                "a right amount goes with correcting a charge",
            ));
        }
        doc.data.ledger.charge(
            amount,
            ctx::now(),
            &reversed.reference,
            &format!("{}: {}", tr("Исправлено", "Corrected"), reason.trim()),
        )?;
    }
    let due = doc.data.pay_by.or(Some(ctx::today()?));
    refresh(&mut doc.data, due);
    HOUSEHOLDS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))
}

/// The columns of a bank's registry of payments.
pub const REGISTRY_COLUMNS: &[Column] = &[
    Column {
        name: "date",
        aliases: &["дата", "дата платежа"],
        required: true,
    },
    Column {
        name: "amount",
        aliases: &["сумма", "сумма платежа"],
        required: true,
    },
    Column {
        name: "account",
        aliases: &[
            "лицевой счёт",
            "лицевой счет",
            "persacc",
            "счёт плательщика",
        ],
        required: false,
    },
    Column {
        name: "purpose",
        aliases: &["назначение", "назначение платежа"],
        required: false,
    },
    Column {
        name: "number",
        aliases: &["номер", "номер документа", "№"],
        required: true,
    },
];

/// What a registry import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Imported {
    /// Payments recorded.
    pub imported: u64,
    /// Of them, paid through the QR code.
    pub by_qr: u64,
    /// Lines recorded before (skipped).
    pub duplicates: u64,
}

/// The household a registry line names: its account column, or the mark in its purpose.
fn household_of_line(account: &str, purpose: &str) -> (Option<String>, bool) {
    let marked = purpose.find(PURPOSE_MARK).map(|at| {
        purpose[at + PURPOSE_MARK.len()..]
            .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
            .next()
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_owned()
    });
    let account = account.trim();
    if !account.is_empty() {
        return (Some(account.to_owned()), marked.is_some());
    }
    (marked.clone(), marked.is_some())
}

/// Import a bank's registry of payments (CSV): every line, or every bad cell named and nothing
/// written. A line whose purpose carries a household's mark came through the payment QR code;
/// a line already recorded is skipped.
pub fn import_registry(body: &[u8]) -> Result<std::result::Result<Imported, Vec<CellProblem>>> {
    let sheet = match csv_sheet::read_sheet(body, REGISTRY_COLUMNS, &SheetMessages::localized()) {
        Ok(sheet) => sheet,
        Err(problems) => return Ok(Err(problems)),
    };
    let mut problems = Problems::default();
    let mut lines = Vec::new();
    let today = ctx::today()?;
    let required = tr("Обязательное поле", "required");
    for row in &sheet.rows {
        let date =
            row.required("date", &mut problems, required)
                .and_then(|d| match registry_day(d) {
                    Ok(day) if day > today => {
                        problems.push(
                            row.line,
                            "date",
                            tr(
                                "Дата платежа в будущем",
                                "the payment date is in the future",
                            ),
                        );
                        None
                    }
                    Ok(day) => Some(day),
                    Err(e) => {
                        problems.push(row.line, "date", e.message);
                        None
                    }
                });
        let amount = row
            .required("amount", &mut problems, required)
            .and_then(|a| match Kopecks::parse_field("amount", a) {
                Ok(k) if k > Kopecks::ZERO => Some(k),
                Ok(_) => {
                    problems.push(
                        row.line,
                        "amount",
                        tr(
                            "Сумма должна быть больше нуля",
                            "the amount must be above zero",
                        ),
                    );
                    None
                }
                Err(e) => {
                    problems.push(row.line, "amount", e.message);
                    None
                }
            });
        let number = row
            .required("number", &mut problems, required)
            .map(str::to_owned);
        let (household, by_qr) = household_of_line(row.get("account"), row.get("purpose"));
        let found = match household {
            Some(h) => match HOUSEHOLDS.get(&h)? {
                Some(doc) => Some(doc.id),
                None => {
                    problems.push(
                        row.line,
                        "account",
                        format!(
                            "{} {h}",
                            tr(
                                "Нет счёта совместных закупок:",
                                "no joint purchase account:"
                            )
                        ),
                    );
                    None
                }
            },
            None => {
                problems.push(
                    row.line,
                    "account",
                    tr(
                        "Не указан лицевой счёт, и в назначении нет отметки ЗК:",
                        "no account, and no ЗК: mark in the purpose",
                    ),
                );
                None
            }
        };
        if let (Some(date), Some(amount), Some(number), Some(household)) =
            (date, amount, number, found)
        {
            lines.push((household, amount, by_qr, format!("bank:{date}:{number}")));
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems.0));
    }
    let mut imported = Imported::default();
    for (household, amount, by_qr, reference) in lines {
        let doc = HOUSEHOLDS
            .get(&household)?
            .ok_or_else(|| not_found("Нет такого счёта", "no such account"))?;
        if doc
            .data
            .ledger
            .entries()
            .iter()
            .any(|e| e.reference == reference)
        {
            imported.duplicates += 1;
            continue;
        }
        let method = if by_qr {
            imported.by_qr += 1;
            PaymentMethod::Qr
        } else {
            PaymentMethod::BankRegistry
        };
        pay(&household, amount, method, &reference)?;
        imported.imported += 1;
    }
    Ok(Ok(imported))
}

/// Who a household in `community` pays: the payee set for it or for a place above, else the
/// settings' payee.
pub fn payee_for(community: &str) -> Result<Option<Payee>> {
    let mut chain = directory::ancestry(community);
    chain.extend(directory::ancestors().into_iter().map(|c| c.id));
    for place in chain {
        if let Some(doc) = PAYEES.get_inherited(&place)? {
            return Ok(Some(doc.data));
        }
    }
    Ok(Settings::load()?.payee)
}

/// Set who the call's community is paid to, checked as the payment QR code needs it.
pub fn set_payee(payee: &Payee) -> Result<Doc<Payee>> {
    let digits = |field: &str, value: &str, lengths: &[usize], required: bool| -> Result<()> {
        let value = value.trim();
        if value.is_empty() && !required {
            return Ok(());
        }
        if !value.chars().all(|c| c.is_ascii_digit()) || !lengths.contains(&value.len()) {
            let wanted: Vec<String> = lengths.iter().map(ToString::to_string).collect();
            return Err(Error::invalid(
                field,
                format!(
                    "{} {} {}",
                    tr("Ожидается", "expected"),
                    wanted.join(tr(" или ", " or ")),
                    tr("цифр", "digits")
                ),
            ));
        }
        Ok(())
    };
    if payee.name.trim().is_empty() {
        return Err(invalid("name", "Укажите получателя", "enter the payee"));
    }
    if payee.bank_name.trim().is_empty() {
        return Err(invalid("bank_name", "Укажите банк", "enter the bank"));
    }
    digits("bic", &payee.bic, &[9], true)?;
    digits("account", &payee.account, &[20], true)?;
    digits("corr_account", &payee.corr_account, &[20], true)?;
    digits("inn", &payee.inn, &[10, 12], false)?;
    digits("kpp", &payee.kpp, &[9], false)?;
    let clean = Payee {
        name: payee.name.trim().to_owned(),
        bank_name: payee.bank_name.trim().to_owned(),
        bic: payee.bic.trim().to_owned(),
        account: payee.account.trim().to_owned(),
        corr_account: payee.corr_account.trim().to_owned(),
        inn: payee.inn.trim().to_owned(),
        kpp: payee.kpp.trim().to_owned(),
    };
    // The QR code must be buildable with it.
    payment_qr::payload(&PaymentQr {
        payee: &clean,
        sum: Kopecks(100),
        purpose: String::new(),
        personal_account: String::new(),
        period_month: 0,
        period_year: 0,
        last_name: String::new(),
        payer_address: String::new(),
    })
    .map_err(|e| Error::invalid("name", e))?;
    let community = ctx::community();
    PAYEES.put(&community, &community, &clean, None)
}

/// The purpose written into a household's payment.
pub fn purpose(household: &Household) -> String {
    let text = format!(
        "Совместные закупки, {}. {PURPOSE_MARK}{}",
        household.label, household.unit
    );
    text.chars().take(210).collect()
}

/// The payment QR code of what household `doc` owes now: the text it carries and who is paid;
/// none when it owes nothing or nobody set a payee.
pub fn payment_qr(doc: &Doc<Household>) -> Result<Option<(String, Payee)>> {
    if doc.data.balance <= Kopecks::ZERO {
        return Ok(None);
    }
    let Some(payee) = payee_for(&doc.community)? else {
        return Ok(None);
    };
    let text = payment_qr::payload(&PaymentQr {
        payee: &payee,
        sum: doc.data.balance,
        purpose: purpose(&doc.data),
        personal_account: doc.data.unit.clone(),
        period_month: 0,
        period_year: 0,
        last_name: String::new(),
        payer_address: String::new(),
    })
    .map_err(Error::internal)?;
    Ok(Some((text, payee)))
}

/// Remind households whose deadline is near, and drop from open purchases those past it:
/// their orders are withdrawn and they are told why. Returns how many were reminded and
/// dropped.
pub fn remind_and_drop() -> Result<(u64, u64)> {
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let soon = today
        .add_days(i64::from(settings.remind_days_before))
        .unwrap_or(today);
    let owing = HOUSEHOLDS
        .query()
        .filter("balance", Compare::Gt, 0i64)
        .filter("pay_by", Compare::Le, soon)
        .fetch_all()?;
    let (mut reminded, mut dropped) = (0, 0);
    for mut doc in owing {
        let Some(due) = doc.data.pay_by else { continue };
        let account = format!(
            "{}?h={}",
            page_path(&doc.community, "account"),
            doc.data.unit
        );
        if due < today && doc.data.dropped_for != Some(due) {
            withdraw_orders(&doc.data.unit)?;
            doc.data.dropped_for = Some(due);
            notifications::notify(
                &doc.data.people,
                &Message::new(
                    Localized::new(
                        "Заказы сняты: закупка не оплачена",
                        "Orders withdrawn: a purchase is unpaid",
                    ),
                    Localized::new(
                        format!(
                            "{}: долг {} не оплачен к сроку {}. Заказы в открытых закупках сняты; новые — после оплаты.",
                            doc.data.label,
                            money_text(doc.data.balance),
                            day_ru(due)
                        ),
                        format!(
                            "{}: {} was not paid by {due}. Orders in open purchases are withdrawn; new ones after paying.",
                            doc.data.label,
                            money_text(doc.data.balance)
                        ),
                    ),
                )
                .link(account),
            )?;
            HOUSEHOLDS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
            dropped += 1;
        } else if due >= today && doc.data.reminded_for != Some(due) {
            doc.data.reminded_for = Some(due);
            notifications::notify(
                &doc.data.people,
                &Message::new(
                    Localized::new(
                        format!("Оплатите до {}: {}", day_ru(due), money_text(doc.data.balance)),
                        format!("Pay by {due}: {}", money_text(doc.data.balance)),
                    ),
                    Localized::new(
                        format!(
                            "{}: не оплачено {} за совместные закупки. Без оплаты к сроку заказы в следующих закупках снимаются.",
                            doc.data.label,
                            money_text(doc.data.balance)
                        ),
                        format!(
                            "{}: {} for joint purchases is unpaid. Unpaid by the deadline, orders in the next purchases are withdrawn.",
                            doc.data.label,
                            money_text(doc.data.balance)
                        ),
                    ),
                )
                .link(account),
            )?;
            HOUSEHOLDS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
            reminded += 1;
        }
    }
    Ok((reminded, dropped))
}

/// A registry's date: `2026-06-15` or `15.06.2026`.
fn registry_day(text: &str) -> Result<Date> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('.').collect();
    if let [d, m, y] = parts.as_slice() {
        let day = format!("{y}-{m:0>2}-{d:0>2}");
        return Date::parse_field("date", &day);
    }
    Date::parse_field("date", text)
}

fn day_ru(day: Date) -> String {
    format!("{:02}.{:02}.{}", day.day(), day.month(), day.year())
}

/// Withdraw household `unit`'s orders from purchases still taking them.
fn withdraw_orders(unit: &str) -> Result<()> {
    let orders = ORDERS
        .query()
        .filter("household", Compare::Eq, unit)
        .fetch_all()?;
    for order in orders {
        let Some(mut purchase) = PURCHASES.get(&order.data.purchase)? else {
            continue;
        };
        if purchase.data.state != PurchaseState::Open {
            continue;
        }
        for line in &order.data.lines {
            purchase
                .data
                .retally(&line.article, (line.quantity, line.tolerance), (0, 0));
        }
        let saved = PURCHASES.put(
            &purchase.community,
            &purchase.id,
            &purchase.data,
            Some(purchase.version),
        )?;
        ORDERS.delete(&order.id)?;
        crate::orders::publish_figures(&saved)?;
    }
    Ok(())
}

/// What a household owes in a sentence: `1 234,50 ₽ до 15.06.2026`.
pub fn owes_text(household: &Household) -> String {
    match household.pay_by {
        Some(due) if household.balance > Kopecks::ZERO => format!(
            "{} {} {}",
            money_text(household.balance),
            tr("до", "by"),
            day_text(due)
        ),
        _ => money_text(household.balance),
    }
}

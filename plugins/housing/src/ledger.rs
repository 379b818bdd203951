//! Payments and the account's ledger: a payment goes to the oldest unpaid bill first (or to
//! the month the payer names), then to penalties, and the rest is an advance for the next
//! bill. A bill paid in full fixes its final penalty. Statements for any period.

use dvor_sdk::prelude::*;
use serde::Serialize;

use crate::model::{
    ACCOUNTS, Account, BILLS, Bill, OpenBill, PAYMENTS, Payment, PaymentSource, Period, Settings,
};
use crate::penalty::PenaltyRules;

/// The event a payment emits.
pub const PAYMENT_RECEIVED: &str = "payment.received";

/// Where one payment went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// To bills: (month, amount).
    pub applied: Vec<(Period, Kopecks)>,
    /// To penalties.
    pub to_penalties: Kopecks,
    /// Left as an advance.
    pub to_advance: Kopecks,
}

/// Apply `amount` paid on `date` to `account`'s open bills: the named month first, then the
/// oldest; then penalties; the rest is an advance. Bills paid in full leave the open list and
/// their final penalty (through `date`) is settled on the account. Returns where the money
/// went and the open bills it touched, as they are now.
pub fn allocate(
    account: &mut Account,
    amount: Kopecks,
    date: Date,
    named: Option<Period>,
    rules: &PenaltyRules,
) -> (Allocation, Vec<OpenBill>) {
    account
        .open
        .sort_by_key(|b| (Some(b.period) != named, b.period));
    let mut rest = amount;
    let mut allocation = Allocation::default();
    let mut touched = Vec::new();
    for bill in account.open.iter_mut() {
        if rest <= Kopecks::ZERO {
            break;
        }
        let paid = rest.min(bill.owed());
        if paid <= Kopecks::ZERO {
            continue;
        }
        bill.paid = Kopecks(bill.paid.0 + paid.0);
        bill.payments.push((date, paid));
        rest = Kopecks(rest.0 - paid.0);
        allocation.applied.push((bill.period, paid));
        if bill.owed() <= Kopecks::ZERO {
            let final_penalty = rules
                .penalty(bill.principal, bill.due, &bill.payments, date)
                .total;
            account.penalty_settled = Kopecks(account.penalty_settled.0 + final_penalty.0);
        }
        touched.push(bill.clone());
    }
    account.open.retain(|b| b.owed() > Kopecks::ZERO);
    account.open.sort_by_key(|b| b.period);
    let penalties_owed = Kopecks((account.penalty_charged.0 - account.penalty_paid.0).max(0));
    let to_penalties = rest.min(penalties_owed).max(Kopecks::ZERO);
    account.penalty_paid = Kopecks(account.penalty_paid.0 + to_penalties.0);
    rest = Kopecks(rest.0 - to_penalties.0);
    allocation.to_penalties = to_penalties;
    allocation.to_advance = rest;
    account.advance = Kopecks(account.advance.0 + rest.0);
    account.balance = Kopecks(account.balance.0 - amount.0);
    (allocation, touched)
}

/// A payment to record.
#[derive(Clone, Debug)]
pub struct NewPayment {
    /// Manual, registry or webhook.
    pub source: PaymentSource,
    /// The bank's or provider's reference; with `source` it makes the payment's id, so the
    /// same registry line or webhook counts once.
    pub reference: String,
    /// The account id.
    pub account_id: String,
    /// The day paid.
    pub date: Date,
    /// How much.
    pub amount: Kopecks,
    /// The month the payer named.
    pub period: Option<Period>,
    /// Who entered it.
    pub by: Option<String>,
}

/// What recording a payment did.
#[derive(Debug, Serialize)]
pub struct Recorded {
    /// The payment.
    pub payment: Payment,
    /// False when it had been recorded before (the same source and reference).
    pub new: bool,
}

/// The id of a payment from `source` with `reference`.
pub fn payment_id(source: PaymentSource, reference: &str) -> String {
    format!("{}:{reference}", source.code())
}

/// Record a payment, apply it, and announce it; an already recorded one is returned as is.
pub fn record(payment: NewPayment, settings: &Settings) -> Result<Recorded> {
    if payment.amount <= Kopecks::ZERO {
        return Err(Error::invalid(
            "amount",
            tr(
                "Сумма должна быть больше нуля",
                "the amount must be above zero",
            ),
        ));
    }
    if payment.reference.trim().is_empty() {
        return Err(Error::invalid(
            "reference",
            tr("Укажите номер платежа", "give the payment's reference"),
        ));
    }
    let id = payment_id(payment.source, payment.reference.trim());
    if let Some(existing) = PAYMENTS.get(&id)? {
        if existing.data.account != payment.account_id || existing.data.amount != payment.amount {
            return Err(Error::conflict(tr(
                "Платёж с этим номером уже записан с другим счётом или суммой",
                "a payment with this reference was recorded with another account or amount",
            )));
        }
        return Ok(Recorded {
            payment: existing.data,
            new: false,
        });
    }
    let account_doc = ACCOUNTS.get(&payment.account_id)?.ok_or_else(|| {
        Error::invalid(
            "account",
            tr("Нет такого лицевого счёта", "no such personal account"),
        )
    })?;
    let mut account = account_doc.data;
    let rules = settings.penalty_rules()?;
    let (allocation, touched) = allocate(
        &mut account,
        payment.amount,
        payment.date,
        payment.period,
        &rules,
    );
    // The bills keep what was paid on them, for their pages.
    for open in touched {
        let id = format!("{}@{}", account_doc.id, open.period);
        if let Some(doc) = BILLS.get(&id)? {
            let mut bill = doc.data;
            bill.open = open.owed() > Kopecks::ZERO;
            bill.paid = open.paid;
            bill.payments = open.payments;
            BILLS.put(&doc.community, &doc.id, &bill, Some(doc.version))?;
        }
    }
    ACCOUNTS.put(
        &account_doc.community,
        &account_doc.id,
        &account,
        Some(account_doc.version),
    )?;
    let record = Payment {
        account: payment.account_id.clone(),
        number: account.number.clone(),
        date: payment.date,
        amount: payment.amount,
        source: payment.source,
        reference: payment.reference.trim().to_owned(),
        period: payment.period,
        applied: allocation.applied,
        to_penalties: allocation.to_penalties,
        to_advance: allocation.to_advance,
        by: payment.by,
        at: ctx::now(),
    };
    PAYMENTS.insert(&account_doc.community, Some(&id), &record)?;
    events::emit(
        PAYMENT_RECEIVED,
        &account_doc.community,
        &serde_json::json!({
            "account": record.account,
            "number": record.number,
            "amount": record.amount,
            "date": record.date,
            "source": record.source,
        }),
    )?;
    Ok(Recorded {
        payment: record,
        new: true,
    })
}

/// One line of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// The day.
    pub date: Date,
    /// What happened.
    pub text: String,
    /// Charged (a bill).
    pub charged: Kopecks,
    /// Paid.
    pub paid: Kopecks,
    /// The balance after it.
    pub balance: Kopecks,
}

/// A statement of an account from `from` to `to` (inclusive). Its closing debt is the
/// account's balance on `to`: through today, what the account card asks (or, below zero, the
/// advance it shows).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// From.
    pub from: Date,
    /// To.
    pub to: Date,
    /// Owed at the start (negative: an advance).
    pub opening: Kopecks,
    /// Charged in the period.
    pub charged: Kopecks,
    /// Paid in the period.
    pub paid: Kopecks,
    /// Owed at the end.
    pub closing: Kopecks,
    /// The lines, in date order.
    pub lines: Vec<StatementLine>,
}

/// The statement from `bills` (dated by issue day) and `payments`.
pub fn statement(bills: &[Bill], payments: &[Payment], from: Date, to: Date) -> Statement {
    let mut events: Vec<(Date, u8, String, Kopecks, Kopecks)> = Vec::new();
    for bill in bills {
        let text = format!("{} {}", tr("Счёт за", "Bill for"), bill.period.name());
        events.push((
            bill.issued,
            0,
            text,
            Kopecks(bill.principal.0 + bill.penalty.0),
            Kopecks::ZERO,
        ));
    }
    for payment in payments {
        let text = format!(
            "{} — {}, № {}",
            tr("Оплата", "Payment"),
            payment.source.label().to_lowercase(),
            payment.reference
        );
        events.push((payment.date, 1, text, Kopecks::ZERO, payment.amount));
    }
    events.sort_by_key(|e| (e.0, e.1));
    let mut balance = Kopecks::ZERO;
    let mut opening = Kopecks::ZERO;
    let mut lines = Vec::new();
    let (mut charged, mut paid) = (Kopecks::ZERO, Kopecks::ZERO);
    for (date, _, text, charge, payment) in events {
        balance = Kopecks(balance.0 + charge.0 - payment.0);
        if date < from {
            opening = balance;
            continue;
        }
        if date > to {
            break;
        }
        charged = Kopecks(charged.0 + charge.0);
        paid = Kopecks(paid.0 + payment.0);
        lines.push(StatementLine {
            date,
            text,
            charged: charge,
            paid: payment,
            balance,
        });
    }
    Statement {
        from,
        to,
        opening,
        charged,
        paid,
        closing: Kopecks(opening.0 + charged.0 - paid.0),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn account() -> Account {
        crate::model::tests::account_no_12()
    }

    fn open(period: &str, principal: i64, due: &str) -> OpenBill {
        OpenBill {
            period: period.parse().unwrap(),
            due: day(due),
            principal: Kopecks(principal),
            paid: Kopecks::ZERO,
            payments: vec![],
        }
    }

    fn bill(period: &str, principal: i64, due: &str) -> Bill {
        Bill {
            account: "h:12".into(),
            number: "12".into(),
            period: period.parse().unwrap(),
            issued: day(due).add_days(-9).unwrap(),
            due: day(due),
            lines: vec![],
            recalculations: vec![],
            principal: Kopecks(principal),
            penalty: Kopecks::ZERO,
            balance_before: Kopecks::ZERO,
            to_pay: Kopecks(principal),
            paid: Kopecks::ZERO,
            payments: vec![],
            open: true,
            anomalies: vec![],
            penalty_details: vec![],
            penalty_settled: Kopecks::ZERO,
            penalty_before: Kopecks::ZERO,
        }
    }

    #[test]
    fn payments_go_to_the_oldest_debt_then_penalties_then_advance() {
        let mut account = account();
        account.balance = Kopecks(300_000 + 500);
        account.penalty_charged = Kopecks(500);
        account.open = vec![
            open("2025-02", 200_000, "2025-03-10"),
            open("2025-01", 100_000, "2025-02-10"),
        ];
        let rules = PenaltyRules::default();
        let (got, touched) = allocate(
            &mut account,
            Kopecks(150_000),
            day("2025-03-05"),
            None,
            &rules,
        );
        assert_eq!(
            got.applied,
            vec![
                ("2025-01".parse().unwrap(), Kopecks(100_000)),
                ("2025-02".parse().unwrap(), Kopecks(50_000))
            ]
        );
        assert_eq!(touched.len(), 2);
        assert_eq!(account.open.len(), 1, "January is paid and closed");
        let (got, _) = allocate(
            &mut account,
            Kopecks(160_000),
            day("2025-03-06"),
            None,
            &rules,
        );
        assert_eq!(got.to_penalties, Kopecks(500));
        assert_eq!(got.to_advance, Kopecks(9_500));
        assert_eq!(account.advance, Kopecks(9_500));
        assert_eq!(account.balance, Kopecks(-9_500));
        assert!(account.open.is_empty());
    }

    #[test]
    fn a_named_month_is_paid_first() {
        let mut account = account();
        account.open = vec![
            open("2025-01", 100_000, "2025-02-10"),
            open("2025-02", 200_000, "2025-03-10"),
        ];
        let (got, _) = allocate(
            &mut account,
            Kopecks(200_000),
            day("2025-03-05"),
            Some("2025-02".parse().unwrap()),
            &PenaltyRules::default(),
        );
        assert_eq!(
            got.applied,
            vec![("2025-02".parse().unwrap(), Kopecks(200_000))]
        );
    }

    #[test]
    fn a_bill_paid_late_settles_its_penalty() {
        // RULES.md P2: 10 000 ₽ due 2025-02-10 paid 2025-04-30 carries 155.17 ₽.
        let mut account = account();
        account.open = vec![open("2025-01", 1_000_000, "2025-02-10")];
        allocate(
            &mut account,
            Kopecks(1_000_000),
            day("2025-04-30"),
            None,
            &PenaltyRules::default(),
        );
        assert_eq!(account.penalty_settled, Kopecks(15_517));
    }

    #[test]
    fn statements_carry_the_opening_balance() {
        let bills = vec![
            bill("2025-01", 100_000, "2025-02-10"),
            bill("2025-02", 200_000, "2025-03-10"),
        ];
        let payment = Payment {
            account: "h:12".into(),
            number: "12".into(),
            date: day("2025-02-05"),
            amount: Kopecks(100_000),
            source: PaymentSource::Manual,
            reference: "1".into(),
            period: None,
            applied: vec![],
            to_penalties: Kopecks::ZERO,
            to_advance: Kopecks::ZERO,
            by: None,
            at: 0,
        };
        let s = statement(&bills, &[payment], day("2025-02-02"), day("2025-03-31"));
        assert_eq!(s.opening, Kopecks(100_000));
        assert_eq!(s.paid, Kopecks(100_000));
        assert_eq!(s.charged, Kopecks(200_000));
        assert_eq!(s.closing, Kopecks(200_000));
        assert_eq!(s.lines.len(), 2);
    }
}

//! A plot's ledgers (217-ФЗ ст.14, RULES §7): membership dues, each target purpose, electricity
//! and — only where the charter sets them — penalties, each its own account, never mixed.
//!
//! - An account is written `{plot}-{code}`: `45-Ч` for membership dues, `45-Ц1` for the first
//!   target purpose, `45-Э` for electricity, `45-П` for penalties. It is the `PersAcc` of the
//!   payment QR code and the `account` column of a bank registry, so a payment finds its
//!   ledger by itself.
//! - [`position`] reads an account's charges and payments: the balance, what is overdue on a
//!   day and since when (payments pay the oldest charge first), and the statement with the
//!   running balance.

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Error, Kopecks};
use serde::{Deserialize, Serialize};

/// Which ledger of a plot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "ledger", content = "purpose", rename_all = "snake_case")]
pub enum Ledger {
    /// Членские взносы.
    Membership,
    /// Целевые взносы of the purpose numbered `n` (from 1) in the partnership's list.
    Target(u32),
    /// Электроэнергия.
    Electricity,
    /// Пени, where the charter sets them.
    Penalties,
}

impl Ledger {
    /// The ledger's code in an account: `Ч`, `Ц1`, `Э`, `П`.
    pub fn code(&self) -> String {
        match self {
            Ledger::Membership => "Ч".into(),
            Ledger::Target(n) => format!("Ц{n}"),
            Ledger::Electricity => "Э".into(),
            Ledger::Penalties => "П".into(),
        }
    }

    /// The ledger of a code, if it is one.
    pub fn from_code(code: &str) -> Option<Ledger> {
        let code = code.trim().to_uppercase();
        match code.as_str() {
            "Ч" => Some(Ledger::Membership),
            "Э" => Some(Ledger::Electricity),
            "П" => Some(Ledger::Penalties),
            _ => code
                .strip_prefix('Ц')
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| *n > 0)
                .map(Ledger::Target),
        }
    }

    /// The account of this ledger of `plot`: `45-Ч`.
    pub fn account(&self, plot: &str) -> String {
        format!("{plot}-{}", self.code())
    }
}

/// An account's plot and ledger: `45-Ч` → (`45`, membership). The plot may itself contain `-`.
pub fn parse_account(field: &str, account: &str) -> Result<(String, Ledger), Error> {
    let bad = || {
        Error::invalid(
            field,
            tr(
                "Лицевой счёт пишется как «участок-вид»: 45-Ч (членские), 45-Ц1 (целевые), 45-Э (электроэнергия), 45-П (пени)",
                "an account is written plot-ledger: 45-Ч (membership), 45-Ц1 (target), 45-Э (electricity), 45-П (penalties)",
            ),
        )
    };
    let (plot, code) = account.trim().rsplit_once('-').ok_or_else(bad)?;
    let ledger = Ledger::from_code(code).ok_or_else(bad)?;
    if plot.trim().is_empty() {
        return Err(bad());
    }
    Ok((plot.trim().to_owned(), ledger))
}

/// One line of an account, as [`position`] reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// The day it happened: a charge's day, a payment's day.
    pub date: Date,
    /// Positive: a charge; negative: a payment or a reversal.
    pub amount: Kopecks,
    /// For charges: the day it must be paid by.
    pub due: Option<Date>,
    /// What it is, for the statement.
    pub text: String,
}

/// A statement line with the balance after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// The day.
    pub date: Date,
    /// What it is.
    pub text: String,
    /// Charged (zero for payments).
    pub charged: Kopecks,
    /// Paid (zero for charges).
    pub paid: Kopecks,
    /// The balance after it: positive is owed.
    pub balance: Kopecks,
}

/// Where an account stands on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Σ of every movement: positive is owed, negative paid ahead.
    pub balance: Kopecks,
    /// What of it is past its due date.
    pub overdue: Kopecks,
    /// The due date of the oldest charge not yet paid in full, none when nothing is owed.
    pub oldest_unpaid_due: Option<Date>,
    /// The due date of the oldest overdue charge not yet paid in full.
    pub overdue_since: Option<Date>,
    /// The nearest due date still to come of what is owed.
    pub next_due: Option<Date>,
    /// The statement, oldest first.
    pub statement: Vec<StatementLine>,
}

/// The position of an account made of `movements` on `today`. Payments (and negative
/// corrections) pay the charges in the order of their due dates; a charge counts as overdue
/// from the day after its due date.
pub fn position(movements: &[Movement], today: Date) -> Position {
    let mut sorted: Vec<&Movement> = movements.iter().collect();
    sorted.sort_by_key(|m| (m.date, m.amount.is_negative()));
    let mut balance = Kopecks::ZERO;
    let mut statement = Vec::with_capacity(sorted.len());
    for m in &sorted {
        balance = balance.checked_add(m.amount).unwrap_or(balance);
        statement.push(StatementLine {
            date: m.date,
            text: m.text.clone(),
            charged: if m.amount.is_negative() {
                Kopecks::ZERO
            } else {
                m.amount
            },
            paid: if m.amount.is_negative() {
                Kopecks(-m.amount.0)
            } else {
                Kopecks::ZERO
            },
            balance,
        });
    }
    // Everything paid, applied to the charges oldest due first.
    let mut credit: i64 = sorted
        .iter()
        .filter(|m| m.amount.is_negative())
        .map(|m| -m.amount.0)
        .sum();
    let mut charges: Vec<(Date, i64)> = sorted
        .iter()
        .filter(|m| !m.amount.is_negative() && m.amount != Kopecks::ZERO)
        .map(|m| (m.due.unwrap_or(m.date), m.amount.0))
        .collect();
    charges.sort_by_key(|(due, _)| *due);
    let (mut overdue, mut oldest, mut overdue_since, mut next_due) = (0i64, None, None, None);
    for (due, amount) in charges {
        let paid = credit.min(amount);
        credit -= paid;
        let open = amount - paid;
        if open <= 0 {
            continue;
        }
        oldest.get_or_insert(due);
        if due < today {
            overdue += open;
            overdue_since.get_or_insert(due);
        } else {
            next_due.get_or_insert(due);
        }
    }
    Position {
        balance,
        overdue: Kopecks(overdue),
        oldest_unpaid_due: oldest,
        overdue_since,
        next_due,
        statement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn charge(date: &str, amount: i64, due: &str) -> Movement {
        Movement {
            date: d(date),
            amount: Kopecks(amount),
            due: Some(d(due)),
            text: "Начислено".into(),
        }
    }

    fn payment(date: &str, amount: i64) -> Movement {
        Movement {
            date: d(date),
            amount: Kopecks(-amount),
            due: None,
            text: "Оплата".into(),
        }
    }

    #[test]
    fn accounts_name_their_plot_and_ledger() {
        assert_eq!(Ledger::Membership.account("45"), "45-Ч");
        assert_eq!(Ledger::Target(2).account("13а"), "13а-Ц2");
        assert_eq!(
            parse_account("account", "13-а-Э").unwrap(),
            ("13-а".to_owned(), Ledger::Electricity)
        );
        assert_eq!(
            parse_account("account", " 7-ц1 ").unwrap(),
            ("7".to_owned(), Ledger::Target(1))
        );
        for bad in ["45", "45-", "-Ч", "45-Ц0", "45-X"] {
            let err = parse_account("account", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("account"), "{bad}");
        }
    }

    #[test]
    fn payments_pay_the_oldest_charge_first() {
        let movements = [
            charge("2026-01-10", 1_000_000, "2026-03-31"),
            charge("2026-05-01", 500_000, "2026-06-30"),
            payment("2026-04-15", 400_000),
        ];
        let p = position(&movements, d("2026-05-10"));
        assert_eq!(p.balance, Kopecks(1_100_000));
        assert_eq!(p.overdue, Kopecks(600_000));
        assert_eq!(p.oldest_unpaid_due, Some(d("2026-03-31")));
        assert_eq!(p.overdue_since, Some(d("2026-03-31")));
        assert_eq!(p.next_due, Some(d("2026-06-30")));
        assert_eq!(p.statement.len(), 3);
        assert_eq!(p.statement[1].paid, Kopecks(400_000));
        assert_eq!(p.statement[1].balance, Kopecks(600_000));
        assert_eq!(p.statement[2].balance, Kopecks(1_100_000));

        // Paying the first in full leaves only the second, not yet due.
        let mut paid = movements.to_vec();
        paid.push(payment("2026-05-05", 600_000));
        let p = position(&paid, d("2026-05-10"));
        assert_eq!(p.overdue, Kopecks::ZERO);
        assert_eq!(p.oldest_unpaid_due, Some(d("2026-06-30")));
        assert_eq!(p.overdue_since, None);
    }

    #[test]
    fn a_charge_is_overdue_from_the_day_after_its_due_date() {
        let movements = [charge("2026-01-10", 100, "2026-03-31")];
        assert_eq!(position(&movements, d("2026-03-31")).overdue, Kopecks::ZERO);
        assert_eq!(position(&movements, d("2026-04-01")).overdue, Kopecks(100));
        let ahead = [
            payment("2026-01-01", 300),
            charge("2026-01-10", 100, "2026-03-31"),
        ];
        let p = position(&ahead, d("2026-04-01"));
        assert_eq!(p.balance, Kopecks(-200));
        assert_eq!(p.oldest_unpaid_due, None);
    }
}

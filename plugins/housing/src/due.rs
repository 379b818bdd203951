//! What an account owes now, in one place: the amount the card asks («К оплате»), how much of
//! it is overdue, by when the rest is due, and the months it is made of. The card, the account's
//! JSON, the payment QR code and «Оплатить» all read it, so they never disagree with each other
//! or with the statement (whose closing debt is the account's balance).
//!
//! The account keeps its balance (charged minus paid) and, separately, the parts of it: the
//! unpaid principal of each open bill, the penalties charged and not paid, and an advance. They
//! add up: `balance = Σ open bills + penalties owed − advance`, and only one side is ever
//! non-zero, because a payment fills the bills and penalties before anything becomes an advance
//! and a new bill takes the advance first.

use dvor_sdk::prelude::*;
use serde::Serialize;

use crate::model::{Account, Period};

/// One unpaid month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthDue {
    /// The month.
    pub period: Period,
    /// Its due date.
    pub due: Date,
    /// What is left to pay of it.
    pub owed: Kopecks,
    /// Whether its due date has passed.
    pub overdue: bool,
}

/// What an account owes on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AmountDue {
    /// What to pay now: every unpaid month and the penalties charged.
    pub total: Kopecks,
    /// Of `total`, what is past its due date (and the penalties).
    pub overdue: Kopecks,
    /// Of `total`, penalties charged on bills and not paid.
    pub penalties: Kopecks,
    /// Paid ahead: taken by the next bill.
    pub advance: Kopecks,
    /// The due date of the part not yet overdue; none when everything owed is overdue (pay
    /// now) or nothing is owed.
    pub pay_by: Option<Date>,
    /// The earliest due date passed unpaid.
    pub overdue_since: Option<Date>,
    /// The unpaid months, oldest first.
    pub months: Vec<MonthDue>,
    /// The latest month billed: the period a payment of `total` names.
    pub last_billed: Option<Period>,
}

impl AmountDue {
    /// What `account` owes on `today`.
    pub fn of(account: &Account, today: Date) -> AmountDue {
        let months: Vec<MonthDue> = account
            .open
            .iter()
            .filter(|b| b.owed() > Kopecks::ZERO)
            .map(|b| MonthDue {
                period: b.period,
                due: b.due,
                owed: b.owed(),
                overdue: b.due < today,
            })
            .collect();
        let penalties = penalties_owed(account);
        let sum = |overdue_only: bool| {
            months
                .iter()
                .filter(|m| m.overdue || !overdue_only)
                .map(|m| m.owed.0)
                .sum::<i64>()
        };
        let total = Kopecks(sum(false) + penalties.0);
        let overdue = Kopecks(sum(true) + penalties.0);
        AmountDue {
            total,
            overdue,
            penalties,
            advance: account.advance.max(Kopecks::ZERO),
            pay_by: months.iter().filter(|m| !m.overdue).map(|m| m.due).max(),
            overdue_since: months.iter().filter(|m| m.overdue).map(|m| m.due).min(),
            months,
            last_billed: account.last_billed,
        }
    }

    /// Whether nothing is owed.
    pub fn is_settled(&self) -> bool {
        self.total <= Kopecks::ZERO
    }
}

/// Penalties charged on bills and not yet paid.
pub fn penalties_owed(account: &Account) -> Kopecks {
    Kopecks((account.penalty_charged.0 - account.penalty_paid.0).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OpenBill;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn account() -> Account {
        crate::model::tests::account_no_12()
    }

    fn open(period: &str, principal: i64, paid: i64, due: &str) -> OpenBill {
        OpenBill {
            period: period.parse().unwrap(),
            due: day(due),
            principal: Kopecks(principal),
            paid: Kopecks(paid),
            payments: vec![],
        }
    }

    /// November is overdue, December is not yet due: the card asks for both and the
    /// penalties, says what is overdue, and gives December's due date for the rest.
    #[test]
    fn overdue_and_not_yet_due_months() {
        let mut a = account();
        a.open = vec![
            open("2026-11", 500_000, 0, "2026-12-15"),
            open("2026-12", 1_000_000, 0, "2027-01-15"),
        ];
        a.penalty_charged = Kopecks(5_000);
        a.balance = Kopecks(1_505_000);
        let due = AmountDue::of(&a, day("2027-01-05"));
        assert_eq!(due.total, Kopecks(1_505_000));
        assert_eq!(due.total, a.balance, "the card agrees with the balance");
        assert_eq!(due.overdue, Kopecks(505_000));
        assert_eq!(due.pay_by, Some(day("2027-01-15")));
        assert_eq!(due.overdue_since, Some(day("2026-12-15")));
        assert_eq!(due.months.len(), 2);
        // After 16 January everything is overdue: pay now.
        let late = AmountDue::of(&a, day("2027-01-16"));
        assert_eq!(late.overdue, late.total);
        assert_eq!(late.pay_by, None);
    }

    /// Paying November lowers what the card asks by November's amount, and November is no
    /// longer listed.
    #[test]
    fn paying_a_month_lowers_the_card() {
        let mut a = account();
        a.open = vec![
            open("2026-11", 500_000, 500_000, "2026-12-15"),
            open("2026-12", 1_000_000, 0, "2027-01-15"),
        ];
        let due = AmountDue::of(&a, day("2027-01-05"));
        assert_eq!(due.total, Kopecks(1_000_000));
        assert_eq!(due.overdue, Kopecks::ZERO);
        assert_eq!(due.months.len(), 1);
        assert_eq!(due.months[0].period, "2026-12".parse().unwrap());
    }

    #[test]
    fn an_advance_is_not_a_debt() {
        let mut a = account();
        a.advance = Kopecks(10_000);
        a.balance = Kopecks(-10_000);
        let due = AmountDue::of(&a, day("2027-01-05"));
        assert!(due.is_settled());
        assert_eq!(due.total, Kopecks::ZERO);
        assert_eq!(due.advance, Kopecks(10_000));
        assert_eq!(Kopecks(due.total.0 - due.advance.0), a.balance);
        assert_eq!(due.pay_by, None);
    }
}

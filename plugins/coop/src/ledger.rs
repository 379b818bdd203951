//! A household's ledger — or an equipment deposit's — where nothing is ever edited (RULES §8).
//!
//! Entries are appended: charges, payments (by hand, from a bank registry, by the payment QR)
//! and refunds. A mistake is corrected by a reversing entry that names the entry it cancels
//! and why; an entry can be reversed once, and a reversal cannot itself be reversed (record
//! the right entry instead). The balance is Σ charges + refunds − payments: positive means the
//! household owes, negative that money is held for it (a deposit).

use dvor_sdk::ctx::tr;
use dvor_sdk::{Error, Kopecks};
use serde::{Deserialize, Serialize};

/// How a payment came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash or a transfer recorded by hand.
    Hand,
    /// A line of the bank's registry.
    BankRegistry,
    /// Paid through the payment QR code.
    Qr,
}

/// What an entry is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    /// The household owes this (a purchase, a fine, damage).
    Charge,
    /// The household paid this.
    Payment {
        /// How.
        method: PaymentMethod,
    },
    /// Money paid back to the household (a deposit refunded).
    Refund,
    /// Cancels entry `of`.
    Reversal {
        /// The reversed entry's number.
        of: u64,
    },
}

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its number in the ledger, from 1.
    pub number: u64,
    /// What it is.
    pub kind: EntryKind,
    /// Its effect on the balance: positive for charges and refunds, negative for payments; a
    /// reversal has the opposite of the entry it cancels.
    pub amount: Kopecks,
    /// When, ms since the epoch.
    pub at: i64,
    /// What it refers to: the purchase, the booking, the registry line.
    pub reference: String,
    /// A note; for a reversal, the reason.
    pub note: String,
}

/// An append-only ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    entries: Vec<Entry>,
}

fn positive(amount: Kopecks) -> Result<(), Error> {
    if amount.0 <= 0 {
        return Err(Error::invalid(
            "amount",
            tr(
                "Сумма должна быть больше нуля",
                "the amount must be above zero",
            ),
        ));
    }
    Ok(())
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn append(
        &mut self,
        kind: EntryKind,
        amount: Kopecks,
        at: i64,
        reference: &str,
        note: &str,
    ) -> &Entry {
        let number = self.entries.len() as u64 + 1;
        self.entries.push(Entry {
            number,
            kind,
            amount,
            at,
            reference: reference.to_owned(),
            note: note.to_owned(),
        });
        &self.entries[self.entries.len() - 1]
    }

    /// Records a charge.
    pub fn charge(
        &mut self,
        amount: Kopecks,
        at: i64,
        reference: &str,
        note: &str,
    ) -> Result<&Entry, Error> {
        positive(amount)?;
        Ok(self.append(EntryKind::Charge, amount, at, reference, note))
    }

    /// Records a payment.
    pub fn pay(
        &mut self,
        amount: Kopecks,
        method: PaymentMethod,
        at: i64,
        reference: &str,
    ) -> Result<&Entry, Error> {
        positive(amount)?;
        let amount = Kopecks(-amount.0);
        Ok(self.append(EntryKind::Payment { method }, amount, at, reference, ""))
    }

    /// Records money paid back.
    pub fn refund(
        &mut self,
        amount: Kopecks,
        at: i64,
        reference: &str,
        note: &str,
    ) -> Result<&Entry, Error> {
        positive(amount)?;
        Ok(self.append(EntryKind::Refund, amount, at, reference, note))
    }

    /// Cancels entry `number` with a reversing entry, giving `reason`.
    pub fn reverse(&mut self, number: u64, at: i64, reason: &str) -> Result<&Entry, Error> {
        if reason.trim().is_empty() {
            return Err(Error::invalid(
                "reason",
                tr(
                    "Укажите причину исправления",
                    "give the reason for the correction",
                ),
            ));
        }
        let entry = self
            .entries
            .iter()
            .find(|e| e.number == number)
            .ok_or_else(|| Error::not_found(tr("Нет такой записи", "no such entry")))?;
        if matches!(entry.kind, EntryKind::Reversal { .. }) {
            return Err(Error::conflict(tr(
                "Сторно не отменяется: внесите правильную запись",
                "a reversal cannot be reversed: record the right entry instead",
            )));
        }
        if self
            .entries
            .iter()
            .any(|e| e.kind == EntryKind::Reversal { of: number })
        {
            return Err(Error::conflict(tr(
                "Эта запись уже сторнирована",
                "this entry is already reversed",
            )));
        }
        let (amount, reference) = (Kopecks(-entry.amount.0), entry.reference.clone());
        Ok(self.append(
            EntryKind::Reversal { of: number },
            amount,
            at,
            &reference,
            reason.trim(),
        ))
    }

    /// Σ of the entries: positive when the household owes.
    pub fn balance(&self) -> Kopecks {
        Kopecks(self.entries.iter().map(|e| e.amount.0).sum())
    }

    /// Whether `reference` has a charge standing (charged and not reversed).
    pub fn is_charged(&self, reference: &str) -> bool {
        self.entries.iter().any(|e| {
            e.kind == EntryKind::Charge
                && e.reference == reference
                && !self
                    .entries
                    .iter()
                    .any(|r| r.kind == EntryKind::Reversal { of: e.number })
        })
    }
}

/// A purchase may be closed only when every household with a charge has it in its ledger.
/// `charges` are (household, amount); `ledger_of` finds a household's ledger.
pub fn check_can_close<'l>(
    purchase: &str,
    charges: &[(String, Kopecks)],
    ledger_of: impl Fn(&str) -> Option<&'l Ledger>,
) -> Result<(), Error> {
    let missing: Vec<&str> = charges
        .iter()
        .filter(|(_, amount)| *amount > Kopecks::ZERO)
        .filter(|(household, _)| !ledger_of(household).is_some_and(|l| l.is_charged(purchase)))
        .map(|(household, _)| household.as_str())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::conflict(format!(
            "{} {}",
            tr(
                "Закупку нельзя закрыть: не начислено",
                "the purchase cannot close: not charged:"
            ),
            missing.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_payments_and_the_balance() {
        let mut ledger = Ledger::new();
        ledger
            .charge(Kopecks(94_000), 1, "purchase-7", "Закупка масла")
            .unwrap();
        ledger
            .pay(Kopecks(50_000), PaymentMethod::Qr, 2, "qr-1")
            .unwrap();
        assert_eq!(ledger.balance(), Kopecks(44_000));
        ledger
            .pay(Kopecks(44_000), PaymentMethod::BankRegistry, 3, "reg-5")
            .unwrap();
        assert_eq!(ledger.balance(), Kopecks::ZERO);
        assert_eq!(ledger.entries().len(), 3);
        assert_eq!(ledger.entries()[1].amount, Kopecks(-50_000));
        assert_eq!(
            ledger
                .charge(Kopecks(0), 4, "x", "")
                .unwrap_err()
                .field
                .as_deref(),
            Some("amount")
        );
    }

    #[test]
    fn corrections_are_reversing_entries_only() {
        let mut ledger = Ledger::new();
        ledger.charge(Kopecks(94_000), 1, "purchase-7", "").unwrap();
        ledger
            .pay(Kopecks(9_400), PaymentMethod::Hand, 2, "cash")
            .unwrap();
        let reversal = ledger
            .reverse(2, 3, "ошибка ввода: 940 ₽, не 94 ₽")
            .unwrap()
            .clone();
        assert_eq!(reversal.kind, EntryKind::Reversal { of: 2 });
        assert_eq!(reversal.amount, Kopecks(9_400));
        assert_eq!(reversal.number, 3);
        // The wrong entry is still there, cancelled.
        assert_eq!(ledger.entries()[1].amount, Kopecks(-9_400));
        assert_eq!(ledger.balance(), Kopecks(94_000));
        assert_eq!(
            ledger.reverse(2, 4, "again").unwrap_err().code,
            dvor_sdk::ErrorCode::Conflict
        );
        assert_eq!(
            ledger.reverse(3, 4, "undo").unwrap_err().code,
            dvor_sdk::ErrorCode::Conflict
        );
        assert_eq!(
            ledger.reverse(9, 4, "x").unwrap_err().code,
            dvor_sdk::ErrorCode::NotFound
        );
        assert_eq!(
            ledger.reverse(1, 4, " ").unwrap_err().field.as_deref(),
            Some("reason")
        );
    }

    #[test]
    fn a_purchase_closes_only_when_charged() {
        let mut a = Ledger::new();
        a.charge(Kopecks(94_000), 1, "p1", "").unwrap();
        let b = Ledger::new();
        let charges = [
            ("A".to_string(), Kopecks(94_000)),
            ("B".to_string(), Kopecks(18_800)),
        ];
        let ledgers = |h: &str| match h {
            "A" => Some(&a),
            "B" => Some(&b),
            _ => None,
        };
        let err = check_can_close("p1", &charges, ledgers).unwrap_err();
        assert!(err.message.contains('B') && !err.message.contains("A,"));
        let mut b = Ledger::new();
        b.charge(Kopecks(18_800), 1, "p1", "").unwrap();
        let ledgers = |h: &str| match h {
            "A" => Some(&a),
            "B" => Some(&b),
            _ => None,
        };
        assert!(check_can_close("p1", &charges, ledgers).is_ok());
        a.reverse(1, 2, "wrong purchase").unwrap();
        assert!(!a.is_charged("p1"));
    }

    #[test]
    fn the_ledger_round_trips_through_storage() {
        let mut ledger = Ledger::new();
        ledger.charge(Kopecks(100), 1, "p", "").unwrap();
        ledger.reverse(1, 2, "r").unwrap();
        let json = serde_json::to_string(&ledger).unwrap();
        assert_eq!(serde_json::from_str::<Ledger>(&json).unwrap(), ledger);
    }
}

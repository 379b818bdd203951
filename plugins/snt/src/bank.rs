//! The bank's registry of payments (реестр платежей) as CSV: what members paid by the payment
//! QR code, at a bank's counter or by transfer, one line a payment.
//!
//! Columns (Russian or English headers): `reference` (номер платежа — the bank's id of the
//! payment, which makes a second import of the same registry harmless), `date` (ДД.ММ.ГГГГ or
//! ГГГГ-ММ-ДД), `amount` (roubles: `10 200,00`), `account` (лицевой счёт — `45-Ч`, the
//! `PersAcc` of the QR code), and optionally `payer` and `purpose`. The import is all or
//! nothing: [`read_registry`] gives every payment or every bad cell, named by line and column.

use dvor_sdk::csv_sheet::{self, CellProblem, Column, Problems, SheetMessages};
use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Kopecks};
use serde::Serialize;

use crate::ledgers::{self, Ledger};
use crate::register::parse_date;

/// The registry's columns.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "reference",
        aliases: &["номер платежа", "№ платежа", "идентификатор", "номер"],
        required: true,
    },
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
        aliases: &["лицевой счёт", "лицевой счет", "лс", "persacc"],
        required: true,
    },
    Column {
        name: "payer",
        aliases: &["плательщик", "фио"],
        required: false,
    },
    Column {
        name: "purpose",
        aliases: &["назначение", "назначение платежа"],
        required: false,
    },
];

/// One payment of the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegistryPayment {
    /// The line in the file.
    pub line: u64,
    /// The bank's id of the payment.
    pub reference: String,
    /// The day it was paid.
    pub date: Date,
    /// How much.
    pub amount: Kopecks,
    /// The plot.
    pub plot: String,
    /// The ledger.
    pub ledger: Ledger,
    /// Who paid, as the bank wrote it.
    pub payer: Option<String>,
    /// The purpose, as the bank wrote it.
    pub purpose: Option<String>,
}

/// Every payment of the registry, or every bad cell. `today` refuses payments from the
/// future; a reference may appear only once.
pub fn read_registry(body: &[u8], today: Date) -> Result<Vec<RegistryPayment>, Vec<CellProblem>> {
    let sheet = csv_sheet::read_sheet(body, COLUMNS, &SheetMessages::localized())?;
    let mut problems = Problems::default();
    let mut payments: Vec<RegistryPayment> = Vec::new();
    let required = tr("Обязательное поле", "required");
    for row in &sheet.rows {
        let before = problems.0.len();
        let reference = row
            .required("reference", &mut problems, required)
            .map(str::to_owned);
        let date = row.parse("date", &mut problems, parse_date).flatten();
        if row.get("date").is_empty() {
            problems.push(row.line, "date", required);
        }
        if let Some(day) = date
            && day > today
        {
            problems.push(
                row.line,
                "date",
                tr(
                    "Дата платежа в будущем",
                    "the payment date is in the future",
                ),
            );
        }
        let amount = row
            .parse("amount", &mut problems, |s| {
                let amount: Kopecks = s
                    .parse()
                    .map_err(|e: dvor_sdk::money::MoneyParseError| e.localized())?;
                if amount <= Kopecks::ZERO {
                    return Err(tr(
                        "Сумма должна быть больше нуля",
                        "the amount must be above zero",
                    )
                    .to_owned());
                }
                Ok(amount)
            })
            .flatten();
        if row.get("amount").is_empty() {
            problems.push(row.line, "amount", required);
        }
        let account = row
            .parse("account", &mut problems, |s| {
                ledgers::parse_account("account", s).map_err(|e| e.message)
            })
            .flatten();
        if row.get("account").is_empty() {
            problems.push(row.line, "account", required);
        }
        if let Some(reference) = &reference
            && let Some(first) = payments.iter().find(|p| &p.reference == reference)
        {
            problems.push(
                row.line,
                "reference",
                format!(
                    "{} {}",
                    tr(
                        "Этот номер платежа уже в строке",
                        "this reference is already on line"
                    ),
                    first.line
                ),
            );
        }
        if problems.0.len() > before {
            continue;
        }
        let (Some(reference), Some(date), Some(amount), Some((plot, ledger))) =
            (reference, date, amount, account)
        else {
            continue;
        };
        let optional = |column: &str| Some(row.get(column).to_owned()).filter(|v| !v.is_empty());
        payments.push(RegistryPayment {
            line: row.line,
            reference,
            date,
            amount,
            plot,
            ledger,
            payer: optional("payer"),
            purpose: optional("purpose"),
        });
    }
    problems.into_result(payments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        "2026-06-10".parse().unwrap()
    }

    #[test]
    fn a_registry_reads_with_russian_headers() {
        let csv = "\u{feff}Номер платежа;Дата;Сумма;Лицевой счёт;Плательщик;Назначение\n\
            A-1;05.06.2026;10 200,00;45-Ч;Петрова А. С.;Членские взносы 2026, уч. 45\n\
            A-2;2026-06-06;2 098,20;45-Э;;\n";
        let payments = read_registry(csv.as_bytes(), today()).unwrap();
        assert_eq!(payments.len(), 2);
        assert_eq!(payments[0].amount, Kopecks(1_020_000));
        assert_eq!(payments[0].plot, "45");
        assert_eq!(payments[0].ledger, Ledger::Membership);
        assert_eq!(payments[0].payer.as_deref(), Some("Петрова А. С."));
        assert_eq!(payments[1].ledger, Ledger::Electricity);
        assert_eq!(payments[1].purpose, None);
    }

    #[test]
    fn every_bad_cell_is_named_and_nothing_is_read() {
        let csv = "reference;date;amount;account\n\
            A-1;05.06.2026;10200;45-Ч\n\
            A-1;31.02.2026;-5;45\n\
            ;01.07.2026;abc;46-Ц1\n";
        let problems = read_registry(csv.as_bytes(), today()).unwrap_err();
        let got: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "date"),
                (3, "amount"),
                (3, "account"),
                (3, "reference"),
                (4, "reference"),
                (4, "date"),
                (4, "amount"),
            ]
        );
        let missing = read_registry("date;amount\n".as_bytes(), today()).unwrap_err();
        let columns: Vec<&str> = missing.iter().map(|p| p.column.as_str()).collect();
        assert_eq!(columns, ["reference", "account"]);
    }
}

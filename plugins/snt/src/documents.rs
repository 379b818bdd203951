//! The partnership's documents and certified copies of them (217-ФЗ ст.11 ч.3, RULES §7).
//!
//! - [`DocumentKind`]: the documents members and non-member owners may read and get copies of
//!   (the charter, accounts, estimates and reports on them, audit reports, property titles,
//!   minutes, the ФЭО, other internal documents). The register of members is not one of them:
//!   the board sees it, each member their own record.
//! - A request for a certified copy ([`CopyRequest`]) is due by the charter's deadline
//!   ([`crate::law::certified_copy_deadline`]); its fee may not exceed the cost of making the
//!   copy ([`check_copy_fee`]).

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Error, Kopecks};
use serde::{Deserialize, Serialize};

use crate::law::{self, LawHistory};

/// The kinds of documents the board keeps for members and owners.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Устав.
    Charter,
    /// Бухгалтерская (финансовая) отчётность.
    Accounts,
    /// Приходно-расходные сметы и отчёты об их исполнении.
    Estimate,
    /// Заключения ревизионной комиссии.
    AuditReport,
    /// Документы о правах на имущество.
    PropertyTitle,
    /// Протоколы общих собраний, правления, ревизионной комиссии.
    Minutes,
    /// Финансово-экономическое обоснование взносов.
    Feo,
    /// Иные внутренние документы.
    Internal,
}

impl DocumentKind {
    /// The kind's name, in the call's locale.
    pub fn label(self) -> &'static str {
        match self {
            Self::Charter => tr("Устав", "Charter"),
            Self::Accounts => tr("Бухгалтерская отчётность", "Accounts"),
            Self::Estimate => tr("Смета и отчёт о её исполнении", "Estimate and its report"),
            Self::AuditReport => tr(
                "Заключение ревизионной комиссии",
                "Audit commission's report",
            ),
            Self::PropertyTitle => tr("Документы о правах на имущество", "Property titles"),
            Self::Minutes => tr("Протокол", "Minutes"),
            Self::Feo => tr(
                "Финансово-экономическое обоснование",
                "Financial-economic justification",
            ),
            Self::Internal => tr("Внутренний документ", "Internal document"),
        }
    }
}

/// A request for a certified copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyRequest {
    /// The document's id.
    pub document: String,
    /// The day the request was received.
    pub requested_on: Date,
    /// The last day to provide the copy, fixed when the request arrives.
    pub due_by: Date,
    /// The day the copy was handed over; none while pending.
    pub provided_on: Option<Date>,
    /// The fee charged.
    pub fee: Kopecks,
}

/// The state of a copy request on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyStatus {
    /// Pending, within the deadline.
    Pending,
    /// Pending past the deadline.
    Overdue,
    /// Provided by the deadline.
    Provided,
    /// Provided after the deadline.
    ProvidedLate,
}

/// The fee may not exceed the cost of making the copy.
pub fn check_copy_fee(fee: Kopecks, cost: Kopecks) -> Result<(), Error> {
    if fee.is_negative() {
        return Err(Error::invalid(
            "fee",
            tr(
                "Плата не может быть отрицательной",
                "the fee cannot be negative",
            ),
        ));
    }
    if fee > cost {
        return Err(Error::invalid(
            "fee",
            format!(
                "{} {cost}",
                tr(
                    "Плата за копию не может превышать затраты на её изготовление:",
                    "the fee may not exceed the cost of making the copy:"
                )
            ),
        ));
    }
    Ok(())
}

impl CopyRequest {
    /// A request received on `requested_on`, with its deadline from the periods in force then.
    pub fn new(
        document: &str,
        requested_on: Date,
        fee: Kopecks,
        cost: Kopecks,
        history: &LawHistory,
    ) -> Result<CopyRequest, Error> {
        check_copy_fee(fee, cost)?;
        Ok(CopyRequest {
            document: document.to_owned(),
            requested_on,
            due_by: law::certified_copy_deadline(requested_on, history.in_force_on(requested_on))?,
            provided_on: None,
            fee,
        })
    }

    /// Where the request stands on `today`.
    pub fn status(&self, today: Date) -> CopyStatus {
        match self.provided_on {
            Some(on) if on <= self.due_by => CopyStatus::Provided,
            Some(_) => CopyStatus::ProvidedLate,
            None if today > self.due_by => CopyStatus::Overdue,
            None => CopyStatus::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_copy_is_due_by_the_charter_deadline() {
        let law = LawHistory::default();
        let mut request = CopyRequest::new(
            "charter-2024",
            d("2026-05-04"),
            Kopecks(300),
            Kopecks(340),
            &law,
        )
        .unwrap();
        assert_eq!(request.due_by, d("2026-06-03"));
        assert_eq!(request.status(d("2026-06-03")), CopyStatus::Pending);
        assert_eq!(request.status(d("2026-06-04")), CopyStatus::Overdue);
        request.provided_on = Some(d("2026-06-05"));
        assert_eq!(request.status(d("2026-06-10")), CopyStatus::ProvidedLate);
        request.provided_on = Some(d("2026-05-10"));
        assert_eq!(request.status(d("2026-06-10")), CopyStatus::Provided);
    }

    #[test]
    fn the_fee_is_no_higher_than_the_cost() {
        assert!(check_copy_fee(Kopecks(340), Kopecks(340)).is_ok());
        let err = check_copy_fee(Kopecks(341), Kopecks(340)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("fee"));
        assert!(err.message.contains("3,40"));
        assert!(check_copy_fee(Kopecks(-1), Kopecks(340)).is_err());
        let law = LawHistory::default();
        assert!(CopyRequest::new("x", d("2026-05-04"), Kopecks(500), Kopecks(340), &law).is_err());
        assert_eq!(
            DocumentKind::Feo.label(),
            "Финансово-экономическое обоснование"
        );
    }
}

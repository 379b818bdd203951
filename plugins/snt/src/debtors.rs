//! The debtor list for publication (RULES §7): plot numbers and amounts, never names or
//! addresses.
//!
//! The input is already name-free — a plot, an amount, the day the oldest part fell due — and
//! the output carries only the plot and the total, so no name can leak into a notice board
//! however the list is printed. Debts of one plot across ledgers (membership, target,
//! electricity) are added up; the settings leave out small or recent debts.

use dvor_sdk::directory::cmp_unit_numbers;
use dvor_sdk::{Date, Kopecks};
use serde::{Deserialize, Serialize};

/// What makes a debt worth publishing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DebtorListSettings {
    /// Debts below this total are left out.
    pub min_amount: Kopecks,
    /// Debts whose oldest part is overdue fewer days than this are left out.
    pub min_days_overdue: u32,
}

impl Default for DebtorListSettings {
    fn default() -> Self {
        Self {
            min_amount: Kopecks(100),
            min_days_overdue: 30,
        }
    }
}

/// One overdue debt of a plot in one ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlotDebt {
    /// The plot's number.
    pub plot: String,
    /// What is owed.
    pub amount: Kopecks,
    /// The due date of the oldest unpaid part.
    pub oldest_due: Date,
}

/// One line of the published list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublishedDebt {
    /// The plot's number.
    pub plot: String,
    /// The total owed.
    pub amount: Kopecks,
}

/// The list to publish on `as_of`, in plot-number order.
pub fn debtor_list(
    debts: &[PlotDebt],
    as_of: Date,
    settings: &DebtorListSettings,
) -> Vec<PublishedDebt> {
    let mut by_plot: Vec<(String, Kopecks, Date)> = Vec::new();
    for debt in debts.iter().filter(|d| d.amount > Kopecks::ZERO) {
        match by_plot.iter_mut().find(|(plot, ..)| *plot == debt.plot) {
            Some((_, amount, oldest)) => {
                *amount = amount.checked_add(debt.amount).unwrap_or(Kopecks(i64::MAX));
                *oldest = (*oldest).min(debt.oldest_due);
            }
            None => by_plot.push((debt.plot.clone(), debt.amount, debt.oldest_due)),
        }
    }
    let mut list: Vec<PublishedDebt> = by_plot
        .into_iter()
        .filter(|(_, amount, oldest)| {
            *amount >= settings.min_amount
                && oldest.days_until(as_of) >= i64::from(settings.min_days_overdue)
        })
        .map(|(plot, amount, _)| PublishedDebt { plot, amount })
        .collect();
    list.sort_by(|a, b| cmp_unit_numbers(&a.plot, &b.plot));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debt(plot: &str, amount: i64, due: &str) -> PlotDebt {
        PlotDebt {
            plot: plot.into(),
            amount: Kopecks(amount),
            oldest_due: due.parse().unwrap(),
        }
    }

    #[test]
    fn plots_and_amounts_only_in_plot_order() {
        let debts = [
            debt("12", 1_020_000, "2026-03-31"),
            debt("3", 500_000, "2026-03-31"),
            debt("12", 21_520, "2026-05-10"),
            debt("40", 50, "2026-01-31"),
            debt("7", 300_000, "2026-06-20"),
            debt("9", 0, "2026-01-31"),
        ];
        let list = debtor_list(
            &debts,
            "2026-07-01".parse().unwrap(),
            &DebtorListSettings::default(),
        );
        assert_eq!(
            list,
            [
                PublishedDebt {
                    plot: "3".into(),
                    amount: Kopecks(500_000)
                },
                PublishedDebt {
                    plot: "12".into(),
                    amount: Kopecks(1_041_520)
                },
            ]
        );
        let json = serde_json::to_value(&list).unwrap();
        let keys: Vec<&String> = json[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["amount", "plot"]);
    }

    #[test]
    fn thresholds_are_settings() {
        let debts = [
            debt("40", 50, "2026-01-31"),
            debt("7", 300_000, "2026-06-20"),
        ];
        let everyone = DebtorListSettings {
            min_amount: Kopecks(1),
            min_days_overdue: 0,
        };
        let list = debtor_list(&debts, "2026-07-01".parse().unwrap(), &everyone);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].plot, "7");
    }
}

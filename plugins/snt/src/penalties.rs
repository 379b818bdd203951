//! Penalties on overdue dues — only where the charter sets them (217-ФЗ ст.14 ч.10, RULES §7);
//! without a rate in the charter there are none, and debts go to court.
//!
//! - The charter's rate is data with effective dates ([`PenaltyRates`]): a percentage of the
//!   overdue amount per day.
//! - For each day of the period, the overdue amount is what was charged with a due date before
//!   that day less everything paid before it (payments pay the oldest charge first); the day's
//!   penalty is that amount × the rate in force that day. The period's penalty is the exact sum
//!   of the days, rounded once to the kopeck.
//! - Penalties are never charged on penalties: the input is one dues ledger.

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Decimal, Error, Kopecks, Ratio};
use serde::{Deserialize, Serialize};

use crate::ledgers::Movement;

/// One rate of the charter and the day it took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltyRate {
    /// The first day it applies.
    pub from: Date,
    /// Percent of the overdue amount per day, e.g. `0.1`.
    pub percent_per_day: Decimal,
}

/// The charter's rates through time; empty when the charter sets no penalties.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<PenaltyRate>", into = "Vec<PenaltyRate>")]
pub struct PenaltyRates(Vec<PenaltyRate>);

impl TryFrom<Vec<PenaltyRate>> for PenaltyRates {
    type Error = String;
    fn try_from(mut rates: Vec<PenaltyRate>) -> Result<Self, String> {
        rates.sort_by_key(|r| r.from);
        if rates.windows(2).any(|w| w[0].from == w[1].from) {
            return Err("penalties: two rates share a date".into());
        }
        if rates
            .iter()
            .any(|r| Ratio::from_decimal(r.percent_per_day).is_negative())
        {
            return Err("penalties: a rate cannot be negative".into());
        }
        Ok(Self(rates))
    }
}

impl From<PenaltyRates> for Vec<PenaltyRate> {
    fn from(rates: PenaltyRates) -> Self {
        rates.0
    }
}

impl PenaltyRates {
    /// Whether the charter sets penalties at all.
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }

    /// The daily rate as a fraction (0.1 % is 1/1000) on `day`; none before the first rate.
    pub fn on(&self, day: Date) -> Option<Ratio> {
        let index = self.0.partition_point(|r| r.from <= day);
        let rate = self.0.get(index.checked_sub(1)?)?;
        Ratio::from_decimal(rate.percent_per_day).checked_div(Ratio::from_integer(100))
    }
}

/// The penalty of one dues ledger for the days after `after` up to and including `through`.
pub fn penalty(
    movements: &[Movement],
    after: Date,
    through: Date,
    rates: &PenaltyRates,
) -> Result<Kopecks, Error> {
    if through < after {
        return Err(Error::invalid(
            "through",
            tr(
                "Пени уже начислены по этот день",
                "penalties are already charged up to this day",
            ),
        ));
    }
    if !rates.is_set() {
        return Err(Error::invalid(
            "penalties",
            tr(
                "Устав не устанавливает пени",
                "the charter sets no penalties",
            ),
        ));
    }
    let mut total = Ratio::ZERO;
    let mut day = after.add_days(1).ok_or_else(overflow)?;
    while day <= through {
        let charged: i64 = movements
            .iter()
            .filter(|m| !m.amount.is_negative())
            .filter(|m| m.due.unwrap_or(m.date) < day)
            .map(|m| m.amount.0)
            .sum();
        let paid: i64 = movements
            .iter()
            .filter(|m| m.amount.is_negative() && m.date < day)
            .map(|m| -m.amount.0)
            .sum();
        let overdue = charged - paid;
        if overdue > 0
            && let Some(rate) = rates.on(day)
        {
            let today = Ratio::from_kopecks(Kopecks(overdue))
                .checked_mul(rate)
                .ok_or_else(overflow)?;
            total = total.checked_add(today).ok_or_else(overflow)?;
        }
        day = day.add_days(1).ok_or_else(overflow)?;
    }
    total.round_to_kopecks().ok_or_else(overflow)
}

fn overflow() -> Error {
    Error::invalid(
        "through",
        tr("Слишком большой период", "the period is too long"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn rates(list: &[(&str, i64, u8)]) -> PenaltyRates {
        PenaltyRates::try_from(
            list.iter()
                .map(|(from, v, s)| PenaltyRate {
                    from: d(from),
                    percent_per_day: Decimal::new(*v, *s),
                })
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn a_day_s_penalty_is_the_overdue_amount_times_the_rate() {
        // 10 200 ₽ due 31 March; 0.1 % a day; April has 30 days: 30 × 10.20 ₽ = 306 ₽.
        let movements = [Movement {
            date: d("2026-01-15"),
            amount: Kopecks(1_020_000),
            due: Some(d("2026-03-31")),
            text: String::new(),
        }];
        let r = rates(&[("2026-01-01", 1, 1)]);
        assert_eq!(
            penalty(&movements, d("2026-03-31"), d("2026-04-30"), &r).unwrap(),
            Kopecks(30_600)
        );
        // Nothing is overdue on the due date itself.
        assert_eq!(
            penalty(&movements, d("2026-03-30"), d("2026-03-31"), &r).unwrap(),
            Kopecks::ZERO
        );
    }

    #[test]
    fn payments_lower_the_base_from_the_next_day_and_rates_follow_their_dates() {
        let movements = [
            Movement {
                date: d("2026-01-15"),
                amount: Kopecks(1_000_000),
                due: Some(d("2026-03-31")),
                text: String::new(),
            },
            Movement {
                date: d("2026-04-10"),
                amount: Kopecks(-600_000),
                due: None,
                text: String::new(),
            },
        ];
        // 1–10 April: 10 000 ₽ × 0.1 % × 10 = 100 ₽; from 11 April 4 000 ₽: to the 15th at
        // 0.1 % (5 days, 20 ₽), from the 16th at 0.05 % (15 days, 30 ₽).
        let r = rates(&[("2026-01-01", 1, 1), ("2026-04-16", 5, 2)]);
        assert_eq!(
            penalty(&movements, d("2026-03-31"), d("2026-04-30"), &r).unwrap(),
            Kopecks(15_000)
        );
    }

    #[test]
    fn no_rate_no_penalty() {
        let none = PenaltyRates::default();
        let err = penalty(&[], d("2026-03-31"), d("2026-04-30"), &none).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("penalties"));
        let r = rates(&[("2026-01-01", 1, 1)]);
        assert!(penalty(&[], d("2026-04-30"), d("2026-04-01"), &r).is_err());
        assert!(
            PenaltyRates::try_from(vec![PenaltyRate {
                from: d("2026-01-01"),
                percent_per_day: Decimal::new(-1, 1)
            }])
            .is_err()
        );
    }
}

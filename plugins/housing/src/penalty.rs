//! Late-payment penalties (пени) for housing bills, ЖК РФ ст. 155 ч. 14.
//!
//! Every legal parameter is effective-dated **data** in [`PenaltyRules`], not a literal in the
//! algorithm: the due day of the month, the rate regimes, the Bank of Russia key rate history,
//! the moratoria and the tier fractions. [`PenaltyRules::default`] holds the law as known; an
//! operator overrides any of it in the plugin's configuration (see [`PenaltyRules::from_json`]).
//!
//! The calculation ([`PenaltyRules::penalty`]):
//!
//! - Day 1 is the day after the due date. Each day's penalty is `debt × rate × fraction`, where
//!   the fraction comes from the tier set in force on that day (by default nothing for days
//!   1–30, 1/300 for days 31–90, 1/130 from day 91).
//! - The debt on a day is the principal minus the payments made strictly before that day: a
//!   payment on date D lowers the debt from D+1, and the day the debt is paid in full still
//!   accrues at the old debt. Accrual stops after that day, or after `as_of`.
//! - Moratorium days accrue nothing but still count as days late for the tier thresholds.
//! - The rate regime is chosen per day; `key` and `min_key` regimes use the key rate on the
//!   *payment day*: the day the debt is paid in full, or `as_of` when it is not.
//! - The daily amounts are summed exactly (rationals in `i128`) and rounded to kopecks once,
//!   half away from zero.
//!
//! The work is done per segment between change points (tier boundaries, moratorium edges,
//! regime edges, payment dates), not per day, and allocates nothing but the breakdown.

use core::fmt;
use core::str::FromStr;

use dvor_sdk::money::round_half_away_from_zero;
use dvor_sdk::{Date, Kopecks};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Basis points (hundredths of a percent) in a whole: 100 % is 10 000 bp.
const BP_PER_WHOLE: i128 = 10_000;

/// A percentage stored as basis points, hundredths of a percent: `"9.5"` is 950, `"4.25"` is
/// 425. Serializes as a string (`"9.5"`); parsing accepts at most two decimals and `.` or `,`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(i64);

impl Percent {
    /// `bp` hundredths of a percent.
    pub const fn from_basis_points(bp: i64) -> Percent {
        Percent(bp)
    }

    /// The value in hundredths of a percent.
    pub const fn basis_points(self) -> i64 {
        self.0
    }
}

impl FromStr for Percent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "invalid percent {s:?}: expected a number like \"9.5\" or \"4.25\" (at most two decimals)"
            )
        };
        let t = s.trim();
        let (int, frac) = match t.find(['.', ',']) {
            Some(i) => {
                if i + 1 == t.len() {
                    return Err(bad());
                }
                (&t[..i], &t[i + 1..])
            }
            None => (t, ""),
        };
        let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || int.len() > 9 || frac.len() > 2 || !digits(int) || !digits(frac) {
            return Err(bad());
        }
        let whole: i64 = int.parse().map_err(|_| bad())?;
        let mut hundredths: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        if frac.len() == 1 {
            hundredths *= 10;
        }
        Ok(Percent(whole * 100 + hundredths))
    }
}

/// `9.5`, `4.25`, `20`.
impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, hundredths) = (abs / 100, abs % 100);
        if hundredths == 0 {
            write!(f, "{sign}{whole}")
        } else if hundredths % 10 == 0 {
            write!(f, "{sign}{whole}.{}", hundredths / 10)
        } else {
            write!(f, "{sign}{whole}.{hundredths:02}")
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// From the due date `from` on, bills are due on day `day` of the month after the billing
/// month (clamped to the month's last day).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DueDayRule {
    pub from: Date,
    pub day: u8,
}

/// How a [`RateRegime`] sets the rate.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    /// The key rate on the payment day.
    Key,
    /// The regime's `percent`.
    Fixed,
    /// The lesser of `percent` and the key rate on the payment day.
    MinKey,
}

/// The rate for accrual days `from..=to` (`to` absent: until the next regime starts).
/// `percent` is required for `fixed` and `min_key`, ignored for `key`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RateRegime {
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    pub kind: RateKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Percent>,
}

impl RateRegime {
    /// The rate in basis points given the key rate on the payment day; None if it is unknown.
    fn rate_bp(&self, key: Option<Percent>) -> Option<i64> {
        let key = key.map(Percent::basis_points);
        let own = self.percent.map(Percent::basis_points);
        match self.kind {
            RateKind::Key => key,
            RateKind::Fixed => own,
            RateKind::MinKey => match (own, key) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// The Bank of Russia key rate from `from` until the next row.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeyRate {
    pub from: Date,
    pub percent: Percent,
}

/// Days `from..=to` accrue no penalty (they still count as days late).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Moratorium {
    pub from: Date,
    pub to: Date,
    /// The legal act, e.g. "ПП РФ №424 от 02.04.2020".
    pub basis: String,
}

/// From day `after_day + 1` after the due date (until the next tier), each day costs
/// `debt × rate × numerator / denominator`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub after_day: u32,
    pub numerator: i64,
    pub denominator: i64,
}

/// The tiers in force for accrual days from `from` (until the next set).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TierSet {
    pub from: Date,
    pub tiers: Vec<Tier>,
}

/// The legal parameters of the penalty calculation, each list sorted by `from`.
///
/// `key_rates` is the Bank of Russia key rate history as shipped; when the Bank changes the
/// rate, operators add a row (`{"from": "YYYY-MM-DD", "percent": "16.5"}`) in the plugin's
/// configuration rather than waiting for a release. Likewise a new moratorium or a changed due
/// day is a new row of data.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PenaltyRules {
    pub due_day: Vec<DueDayRule>,
    pub rates: Vec<RateRegime>,
    pub key_rates: Vec<KeyRate>,
    pub moratoria: Vec<Moratorium>,
    pub tiers: Vec<TierSet>,
}

/// One contiguous run of accruing days with the same debt, fraction and rate.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PenaltyPeriod {
    pub from: Date,
    pub to: Date,
    pub days: u32,
    pub debt: Kopecks,
    /// The annual rate in hundredths of a percent (950 is 9.5 %).
    pub rate_bp: i64,
    pub numerator: i64,
    pub denominator: i64,
    /// This period's penalty rounded to kopecks, for display only: the periods' amounts need
    /// not add up to [`Penalty::total`], which is rounded once.
    pub amount: Kopecks,
}

/// The penalty on one bill.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Penalty {
    pub total: Kopecks,
    pub periods: Vec<PenaltyPeriod>,
}

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap_or(Date::MIN)
}

fn pct(text: &str) -> Percent {
    text.parse().unwrap_or(Percent(0))
}

/// The shipped key rate history (Bank of Russia), from 2016 when the refinancing rate was made
/// equal to it.
const KEY_RATES: &[(i32, u8, u8, &str)] = &[
    (2016, 1, 1, "11"),
    (2016, 6, 14, "10.5"),
    (2016, 9, 19, "10"),
    (2017, 3, 27, "9.75"),
    (2017, 5, 2, "9.25"),
    (2017, 6, 19, "9"),
    (2017, 9, 18, "8.5"),
    (2017, 10, 30, "8.25"),
    (2017, 12, 18, "7.75"),
    (2018, 2, 12, "7.5"),
    (2018, 3, 26, "7.25"),
    (2018, 9, 17, "7.5"),
    (2018, 12, 17, "7.75"),
    (2019, 6, 17, "7.5"),
    (2019, 7, 29, "7.25"),
    (2019, 9, 9, "7"),
    (2019, 10, 28, "6.5"),
    (2019, 12, 16, "6.25"),
    (2020, 2, 10, "6"),
    (2020, 4, 27, "5.5"),
    (2020, 6, 22, "4.5"),
    (2020, 7, 27, "4.25"),
    (2021, 3, 22, "4.5"),
    (2021, 4, 26, "5"),
    (2021, 6, 15, "5.5"),
    (2021, 7, 26, "6.5"),
    (2021, 9, 13, "6.75"),
    (2021, 10, 25, "7.5"),
    (2021, 12, 20, "8.5"),
    (2022, 2, 14, "9.5"),
    (2022, 2, 28, "20"),
    (2022, 4, 11, "17"),
    (2022, 5, 4, "14"),
    (2022, 5, 27, "11"),
    (2022, 6, 14, "9.5"),
    (2022, 7, 25, "8"),
    (2022, 9, 19, "7.5"),
    (2023, 7, 24, "8.5"),
    (2023, 8, 15, "12"),
    (2023, 9, 18, "13"),
    (2023, 10, 30, "15"),
    (2023, 12, 18, "16"),
    (2024, 7, 29, "18"),
    (2024, 9, 16, "19"),
    (2024, 10, 28, "21"),
    (2025, 6, 9, "20"),
    (2025, 7, 28, "18"),
    (2025, 9, 15, "17"),
    (2025, 10, 27, "16.5"),
];

impl Default for PenaltyRules {
    fn default() -> Self {
        let fixed = |from, to, kind, percent: &str| RateRegime {
            from,
            to,
            kind,
            percent: Some(pct(percent)),
        };
        PenaltyRules {
            due_day: vec![
                DueDayRule {
                    from: date(2000, 1, 1),
                    day: 10,
                },
                // 177-ФЗ: the 15th for due dates from 2026-03-01.
                DueDayRule {
                    from: date(2026, 3, 1),
                    day: 15,
                },
            ],
            rates: vec![
                RateRegime {
                    from: date(2000, 1, 1),
                    to: Some(date(2022, 2, 27)),
                    kind: RateKind::Key,
                    percent: None,
                },
                // ПП РФ №474 and successors: 9.5 %, or the key rate if lower, by period.
                fixed(
                    date(2022, 2, 28),
                    Some(date(2022, 12, 31)),
                    RateKind::Fixed,
                    "9.5",
                ),
                fixed(
                    date(2023, 1, 1),
                    Some(date(2024, 12, 31)),
                    RateKind::MinKey,
                    "9.5",
                ),
                fixed(
                    date(2025, 1, 1),
                    Some(date(2026, 12, 31)),
                    RateKind::Fixed,
                    "9.5",
                ),
                RateRegime {
                    from: date(2027, 1, 1),
                    to: None,
                    kind: RateKind::Key,
                    percent: None,
                },
            ],
            key_rates: KEY_RATES
                .iter()
                .map(|&(y, m, d, p)| KeyRate {
                    from: date(y, m, d),
                    percent: pct(p),
                })
                .collect(),
            moratoria: vec![
                Moratorium {
                    from: date(2020, 4, 6),
                    to: date(2020, 12, 31),
                    basis: "ПП РФ №424 от 02.04.2020".into(),
                },
                // The exact dates of this one are unconfirmed; operators may correct them.
                Moratorium {
                    from: date(2022, 3, 31),
                    to: date(2022, 9, 30),
                    basis: "ПП РФ №497 от 28.03.2022".into(),
                },
            ],
            tiers: vec![TierSet {
                // 307-ФЗ: the 30-day grace and the 1/130 tier, from 2016-01-01.
                from: date(2016, 1, 1),
                tiers: vec![
                    Tier {
                        after_day: 30,
                        numerator: 1,
                        denominator: 300,
                    },
                    Tier {
                        after_day: 90,
                        numerator: 1,
                        denominator: 130,
                    },
                ],
            }],
        }
    }
}

/// `Err("penalty.<list>[i].from: …")` unless the `from`s strictly increase.
fn check_sorted<T>(list: &[T], name: &str, from: impl Fn(&T) -> Date) -> Result<(), String> {
    if list.is_empty() {
        return Err(format!("penalty.{name}: must not be empty"));
    }
    for (i, pair) in list.windows(2).enumerate() {
        if from(&pair[1]) <= from(&pair[0]) {
            return Err(format!(
                "penalty.{name}[{}].from: {} must be after the previous row's {}",
                i + 1,
                from(&pair[1]),
                from(&pair[0])
            ));
        }
    }
    Ok(())
}

fn check_percent(p: Percent, field: &str) -> Result<(), String> {
    if !(0..=10_000).contains(&p.basis_points()) {
        return Err(format!("{field}: {p} must be between 0 and 100"));
    }
    Ok(())
}

/// The first element of the array `value` that fails to deserialize as `T`, as an error naming
/// it.
fn first_bad<T: DeserializeOwned>(key: &str, value: &serde_json::Value) -> Option<String> {
    let array = value.as_array()?;
    array.iter().enumerate().find_map(|(i, item)| {
        T::deserialize(item)
            .err()
            .map(|e| format!("penalty.{key}[{i}]: {e}"))
    })
}

/// A running exact sum of fractions.
struct Sum {
    num: i128,
    den: i128,
}

const fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Sum {
    fn add(&mut self, num: i128, den: i128) {
        let g = gcd(self.den, den);
        let (left, right) = (self.den / g, den / g);
        self.num = self.num * right + num * left;
        self.den *= right;
        let g = gcd(self.num, self.den);
        if g > 1 {
            self.num /= g;
            self.den /= g;
        }
    }
}

fn kopecks(amount: i128) -> Kopecks {
    Kopecks(i64::try_from(amount).unwrap_or(if amount < 0 { i64::MIN } else { i64::MAX }))
}

impl PenaltyRules {
    /// Parse rules from JSON and [`validate`](Self::validate) them. A malformed row is named:
    /// `penalty.key_rates[3]: invalid percent "9,5x": …`.
    pub fn from_json(text: &str) -> Result<PenaltyRules, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("penalty: {e}"))?;
        let rules = match PenaltyRules::deserialize(&value) {
            Ok(rules) => rules,
            Err(e) => {
                let located = value.as_object().and_then(|object| {
                    object.iter().find_map(|(key, v)| match key.as_str() {
                        "due_day" => first_bad::<DueDayRule>(key, v),
                        "rates" => first_bad::<RateRegime>(key, v),
                        "key_rates" => first_bad::<KeyRate>(key, v),
                        "moratoria" => first_bad::<Moratorium>(key, v),
                        "tiers" => first_bad::<TierSet>(key, v),
                        _ => None,
                    })
                });
                return Err(located.unwrap_or_else(|| format!("penalty: {e}")));
            }
        };
        rules.validate()?;
        Ok(rules)
    }

    /// Check the rules: every list but `moratoria` non-empty and sorted by `from`, periods
    /// not overlapping, percents within 0–100 and present where needed, days of the month
    /// 1–31, tiers ascending with positive denominators. The message names the bad field.
    pub fn validate(&self) -> Result<(), String> {
        check_sorted(&self.due_day, "due_day", |r| r.from)?;
        for (i, rule) in self.due_day.iter().enumerate() {
            if !(1..=31).contains(&rule.day) {
                return Err(format!(
                    "penalty.due_day[{i}].day: {} must be 1–31",
                    rule.day
                ));
            }
        }

        check_sorted(&self.rates, "rates", |r| r.from)?;
        for (i, regime) in self.rates.iter().enumerate() {
            if let Some(to) = regime.to {
                if to < regime.from {
                    return Err(format!(
                        "penalty.rates[{i}].to: {to} is before from {}",
                        regime.from
                    ));
                }
                if let Some(next) = self.rates.get(i + 1)
                    && next.from <= to
                {
                    return Err(format!(
                        "penalty.rates[{i}].to: {to} overlaps the next regime from {}",
                        next.from
                    ));
                }
            }
            match (regime.kind, regime.percent) {
                (RateKind::Fixed | RateKind::MinKey, None) => {
                    return Err(format!(
                        "penalty.rates[{i}].percent: required for kind fixed and min_key"
                    ));
                }
                (_, Some(p)) => check_percent(p, &format!("penalty.rates[{i}].percent"))?,
                (RateKind::Key, None) => {}
            }
        }

        check_sorted(&self.key_rates, "key_rates", |r| r.from)?;
        for (i, rate) in self.key_rates.iter().enumerate() {
            check_percent(rate.percent, &format!("penalty.key_rates[{i}].percent"))?;
        }

        if !self.moratoria.is_empty() {
            check_sorted(&self.moratoria, "moratoria", |m| m.from)?;
        }
        for (i, m) in self.moratoria.iter().enumerate() {
            if m.to < m.from {
                return Err(format!(
                    "penalty.moratoria[{i}].to: {} is before from {}",
                    m.to, m.from
                ));
            }
            if let Some(next) = self.moratoria.get(i + 1)
                && next.from <= m.to
            {
                return Err(format!(
                    "penalty.moratoria[{i}].to: {} overlaps the next moratorium from {}",
                    m.to, next.from
                ));
            }
        }

        check_sorted(&self.tiers, "tiers", |t| t.from)?;
        for (i, set) in self.tiers.iter().enumerate() {
            if set.tiers.is_empty() {
                return Err(format!("penalty.tiers[{i}].tiers: must not be empty"));
            }
            for (j, tier) in set.tiers.iter().enumerate() {
                let field = format!("penalty.tiers[{i}].tiers[{j}]");
                if tier.denominator <= 0 {
                    return Err(format!(
                        "{field}.denominator: {} must be positive",
                        tier.denominator
                    ));
                }
                if tier.numerator < 0 {
                    return Err(format!(
                        "{field}.numerator: {} must not be negative",
                        tier.numerator
                    ));
                }
                if j > 0 && tier.after_day <= set.tiers[j - 1].after_day {
                    return Err(format!(
                        "{field}.after_day: {} must be greater than the previous tier's {}",
                        tier.after_day,
                        set.tiers[j - 1].after_day
                    ));
                }
            }
        }
        Ok(())
    }

    /// The due date of the bill for `billing_month` (1–12) of `billing_year`: day `day` of the
    /// following month (clamped to its end) by the latest [`DueDayRule`] whose `from` is on or
    /// before the date it gives; the first rule if none is. With no rules (invalid), or a year
    /// out of range, the following month's last day / [`Date::MAX`].
    pub fn due_date(&self, billing_year: i32, billing_month: u8) -> Date {
        let Some(next_month) =
            Date::new(billing_year, 1, 1).and_then(|jan| jan.add_months(i32::from(billing_month)))
        else {
            return Date::MAX;
        };
        let last = next_month.last_day_of_month();
        let on = |day: u8| next_month.with_day(day).unwrap_or(last);
        let mut chosen = self.due_day.first().map(|r| on(r.day)).unwrap_or(last);
        for rule in &self.due_day {
            let candidate = on(rule.day);
            if rule.from <= candidate {
                chosen = candidate;
            }
        }
        chosen
    }

    /// The key rate in force on `day`; None before the first row.
    pub fn key_rate_on(&self, day: Date) -> Option<Percent> {
        let n = self.key_rates.partition_point(|r| r.from <= day);
        n.checked_sub(1).map(|i| self.key_rates[i].percent)
    }

    /// The penalty on one bill's principal: `payments` are (date, amount) in any order; the
    /// debt on each day is principal minus payments made strictly before that day. Accrues
    /// from the due date +1 up to and including `as_of` (or until the debt reaches zero: the
    /// day it is paid in full still accrues at the old debt). Returns the total rounded once,
    /// plus a per-period breakdown for the bill (contiguous runs of accruing days with the same
    /// debt, fraction and rate; grace and moratorium days are not listed).
    ///
    /// Payments after `as_of` are ignored. Days with no tier, no rate regime or no known key
    /// rate (before the data's first row) accrue nothing.
    pub fn penalty(
        &self,
        principal: Kopecks,
        due: Date,
        payments: &[(Date, Kopecks)],
        as_of: Date,
    ) -> Penalty {
        let principal = i128::from(principal.0);
        let counted = || payments.iter().filter(move |p| p.0 <= as_of);
        // The day the debt is paid in full, if it is by `as_of`.
        let paid_in_full = counted()
            .map(|p| p.0)
            .filter(|&day| {
                let paid: i128 = counted()
                    .filter(|q| q.0 <= day)
                    .map(|q| i128::from(q.1.0))
                    .sum();
                principal - paid <= 0
            })
            .min();
        let payment_day = paid_in_full.unwrap_or(as_of);
        let key = self.key_rate_on(payment_day);

        let due_e = due.days_since_epoch();
        let end = payment_day.days_since_epoch();
        let mut cur = due_e + 1;
        let mut sum = Sum { num: 0, den: 1 };
        let mut periods: Vec<PenaltyPeriod> = Vec::new();

        while cur <= end {
            let mut next = end + 1;
            let mut debt = principal;
            for &(day, amount) in counted() {
                let e = day.days_since_epoch();
                if e < cur {
                    debt -= i128::from(amount.0);
                } else {
                    next = next.min(e + 1);
                }
            }

            let n = self
                .tiers
                .partition_point(|s| s.from.days_since_epoch() <= cur);
            if let Some(s) = self.tiers.get(n) {
                next = next.min(s.from.days_since_epoch());
            }
            let tier = n.checked_sub(1).and_then(|i| {
                let set = &self.tiers[i].tiers;
                let day_no = cur - due_e;
                let k = set.partition_point(|t| i64::from(t.after_day) < day_no);
                if let Some(t) = set.get(k) {
                    next = next.min(due_e + i64::from(t.after_day) + 1);
                }
                k.checked_sub(1).map(|k| &set[k])
            });

            let n = self
                .moratoria
                .partition_point(|m| m.from.days_since_epoch() <= cur);
            if let Some(m) = self.moratoria.get(n) {
                next = next.min(m.from.days_since_epoch());
            }
            let mut in_moratorium = false;
            if let Some(m) = n.checked_sub(1).map(|i| &self.moratoria[i]) {
                let to = m.to.days_since_epoch();
                if cur <= to {
                    in_moratorium = true;
                    next = next.min(to + 1);
                }
            }

            let n = self
                .rates
                .partition_point(|r| r.from.days_since_epoch() <= cur);
            if let Some(r) = self.rates.get(n) {
                next = next.min(r.from.days_since_epoch());
            }
            let regime = n
                .checked_sub(1)
                .map(|i| &self.rates[i])
                .filter(|r| match r.to {
                    Some(to) => {
                        let to = to.days_since_epoch();
                        if cur <= to {
                            next = next.min(to + 1);
                        }
                        cur <= to
                    }
                    None => true,
                });
            let rate = regime.and_then(|r| r.rate_bp(key));

            let days = next - cur;
            if let (false, Some(tier), Some(rate)) = (in_moratorium, tier, rate)
                && debt > 0
                && rate > 0
                && tier.numerator > 0
            {
                let den = BP_PER_WHOLE * i128::from(tier.denominator);
                let per_day = debt * i128::from(rate) * i128::from(tier.numerator);
                sum.add(per_day * i128::from(days), den);

                let debt = kopecks(debt);
                let to = Date::from_days_since_epoch(next - 1).unwrap_or(Date::MAX);
                match periods.last_mut() {
                    Some(p)
                        if p.to.days_since_epoch() + 1 == cur
                            && p.debt == debt
                            && p.rate_bp == rate
                            && p.numerator == tier.numerator
                            && p.denominator == tier.denominator =>
                    {
                        p.to = to;
                        p.days += days as u32;
                        let total = per_day * i128::from(p.days);
                        p.amount = kopecks(round_half_away_from_zero(total, den));
                    }
                    _ => periods.push(PenaltyPeriod {
                        from: Date::from_days_since_epoch(cur).unwrap_or(Date::MAX),
                        to,
                        days: days as u32,
                        debt,
                        rate_bp: rate,
                        numerator: tier.numerator,
                        denominator: tier.denominator,
                        amount: kopecks(round_half_away_from_zero(per_day * i128::from(days), den)),
                    }),
                }
            }
            cur = next;
        }

        Penalty {
            total: kopecks(round_half_away_from_zero(sum.num, sum.den)),
            periods,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn rub(r: i64) -> Kopecks {
        Kopecks(r * 100)
    }

    /// The penalty on `debt` roubles due `due`, paid in full on `paid` (as of that day).
    fn paid_on(rules: &PenaltyRules, debt: i64, due: &str, paid: &str) -> Penalty {
        let p = rules.penalty(rub(debt), d(due), &[(d(paid), rub(debt))], d(paid));
        // Computing later changes nothing once paid.
        let later = rules.penalty(
            rub(debt),
            d(due),
            &[(d(paid), rub(debt))],
            d(paid).add_days(400).unwrap(),
        );
        assert_eq!(p, later);
        p
    }

    #[test]
    fn defaults_are_valid() {
        PenaltyRules::default().validate().unwrap();
    }

    #[test]
    fn p2_49_days_at_1_300() {
        let p = paid_on(&PenaltyRules::default(), 10_000, "2025-02-10", "2025-04-30");
        assert_eq!(p.total, Kopecks(15_517));
        assert_eq!(p.periods.len(), 1);
        let period = &p.periods[0];
        assert_eq!(period.from, d("2025-03-13"));
        assert_eq!(period.to, d("2025-04-30"));
        assert_eq!(period.days, 49);
        assert_eq!(period.debt, rub(10_000));
        assert_eq!(period.rate_bp, 950);
        assert_eq!((period.numerator, period.denominator), (1, 300));
        assert_eq!(period.amount, Kopecks(15_517));
    }

    #[test]
    fn p3_both_tiers() {
        let p = paid_on(&PenaltyRules::default(), 10_000, "2025-02-10", "2025-06-30");
        assert_eq!(p.total, Kopecks(55_538));
        assert_eq!(p.periods.len(), 2);
        assert_eq!(p.periods[0].days, 60);
        assert_eq!(p.periods[0].amount, Kopecks(19_000));
        assert_eq!(p.periods[1].from, d("2025-05-12"));
        assert_eq!(p.periods[1].days, 50);
        assert_eq!((p.periods[1].numerator, p.periods[1].denominator), (1, 130));
        assert_eq!(p.periods[1].amount, Kopecks(36_538));
    }

    #[test]
    fn p4_march_2026_bill_due_on_the_15th() {
        let rules = PenaltyRules::default();
        assert_eq!(rules.due_date(2026, 3), d("2026-04-15"));
        let p = paid_on(&rules, 10_000, "2026-04-15", "2026-06-30");
        assert_eq!(p.total, Kopecks(14_567));
        assert_eq!(p.periods[0].from, d("2026-05-16"));
        assert_eq!(p.periods[0].days, 46);
    }

    #[test]
    fn p5_min_of_fixed_and_key() {
        let p = paid_on(&PenaltyRules::default(), 5_000, "2023-02-10", "2023-04-30");
        assert_eq!(p.total, Kopecks(6_125));
        assert_eq!(p.periods[0].rate_bp, 750);
    }

    #[test]
    fn p6_p7_the_30_day_threshold() {
        let rules = PenaltyRules::default();
        let p6 = paid_on(&rules, 10_000, "2025-02-10", "2025-03-12");
        assert_eq!(p6.total, Kopecks(0));
        assert!(p6.periods.is_empty());
        let p7 = paid_on(&rules, 10_000, "2025-02-10", "2025-03-13");
        assert_eq!(p7.total, Kopecks(317));
    }

    #[test]
    fn unpaid_accrues_to_as_of() {
        let rules = PenaltyRules::default();
        let p = rules.penalty(rub(10_000), d("2025-02-10"), &[], d("2025-04-30"));
        assert_eq!(p.total, Kopecks(15_517));
        // A payment after as_of is ignored.
        let p = rules.penalty(
            rub(10_000),
            d("2025-02-10"),
            &[(d("2025-05-05"), rub(10_000))],
            d("2025-04-30"),
        );
        assert_eq!(p.total, Kopecks(15_517));
    }

    #[test]
    fn partial_payment_lowers_the_debt_from_the_next_day() {
        let rules = PenaltyRules::default();
        let p = rules.penalty(
            rub(10_000),
            d("2025-02-10"),
            &[(d("2025-03-20"), rub(4_000))],
            d("2025-04-30"),
        );
        // 8 days (13–20 March) at 10 000, 41 days at 6 000: 326 000 × 0.095 / 300.
        assert_eq!(p.total, Kopecks(10_323));
        assert_eq!(p.periods.len(), 2);
        assert_eq!(p.periods[0].to, d("2025-03-20"));
        assert_eq!(p.periods[0].days, 8);
        assert_eq!(p.periods[1].from, d("2025-03-21"));
        assert_eq!(p.periods[1].debt, rub(6_000));
        assert_eq!(p.periods[1].days, 41);

        // Payments in any order; the rest paid on 2025-04-30 ends accrual that day.
        let p = rules.penalty(
            rub(10_000),
            d("2025-02-10"),
            &[(d("2025-04-30"), rub(6_000)), (d("2025-03-20"), rub(4_000))],
            d("2025-12-31"),
        );
        assert_eq!(p.total, Kopecks(10_323));
    }

    #[test]
    fn unrounded_sum_rounds_once() {
        let rules = PenaltyRules::default();
        // Two periods of 0.x kopecks each would lose them if rounded separately.
        let p = rules.penalty(
            Kopecks(100),
            d("2025-02-10"),
            &[(d("2025-03-13"), Kopecks(50))],
            d("2025-03-14"),
        );
        // 100 × 0.095/300 + 50 × 0.095/300 = 0.0475 kopecks → 0.
        assert_eq!(p.total, Kopecks(0));
        let p = rules.penalty(rub(100), d("2025-02-10"), &[], d("2025-03-18"));
        // 6 days × 10 000 × 0.095 / 300 = 19 kopecks exactly.
        assert_eq!(p.total, Kopecks(19));
    }

    #[test]
    fn moratorium_days_accrue_nothing_but_count() {
        let mut rules = PenaltyRules::default();
        rules.moratoria.push(Moratorium {
            from: d("2025-03-20"),
            to: d("2025-03-29"),
            basis: "test".into(),
        });
        rules.validate().unwrap();
        let p = paid_on(&rules, 10_000, "2025-02-10", "2025-04-30");
        // 49 − 10 days.
        assert_eq!(p.total, Kopecks(12_350));
        assert_eq!(p.periods.len(), 2);
        assert_eq!(p.periods[0].to, d("2025-03-19"));
        assert_eq!(p.periods[1].from, d("2025-03-30"));

        // A moratorium during the grace days does not move day 31.
        let mut rules = PenaltyRules::default();
        rules.moratoria.push(Moratorium {
            from: d("2025-02-11"),
            to: d("2025-02-20"),
            basis: "test".into(),
        });
        assert_eq!(
            paid_on(&rules, 10_000, "2025-02-10", "2025-03-13").total,
            Kopecks(317)
        );
    }

    #[test]
    fn the_2020_moratorium_and_the_key_rate() {
        // Due 2020-06-10: nothing through 2020, then 1/130 at once (day > 90), at the key rate
        // on the payment day, 4.25 %: 10 days × 10 000 × 0.0425 / 130 = 32.69.
        let p = paid_on(&PenaltyRules::default(), 10_000, "2020-06-10", "2021-01-10");
        assert_eq!(p.total, Kopecks(3_269));
        assert_eq!(p.periods.len(), 1);
        assert_eq!(p.periods[0].from, d("2021-01-01"));
        assert_eq!(p.periods[0].rate_bp, 425);
    }

    #[test]
    fn rules_are_data() {
        let mut rules = PenaltyRules::default();
        rules.tiers[0].tiers[1].denominator = 150;
        // 190.00 + 50 days × 10 000 × 0.095 / 150 = 506.67.
        let p = paid_on(&rules, 10_000, "2025-02-10", "2025-06-30");
        assert_eq!(p.total, Kopecks(50_667));

        // A new tier set from 2025-04-01 with 1/200 after day 30 applies per day.
        let mut rules = PenaltyRules::default();
        rules.tiers.push(TierSet {
            from: d("2025-04-01"),
            tiers: vec![Tier {
                after_day: 30,
                numerator: 1,
                denominator: 200,
            }],
        });
        rules.validate().unwrap();
        // 19 days (13–31 March) at 1/300: 60.1667; 30 April days at 1/200: 142.50.
        let p = paid_on(&rules, 10_000, "2025-02-10", "2025-04-30");
        assert_eq!(p.total, Kopecks(20_267));
        assert_eq!(p.periods.len(), 2);

        // A fixed rate changed in the data.
        let mut rules = PenaltyRules::default();
        rules.rates[3].percent = Some(pct("8"));
        let p = paid_on(&rules, 10_000, "2025-02-10", "2025-04-30");
        // 49 × 10 000 × 0.08 / 300 = 130.67.
        assert_eq!(p.total, Kopecks(13_067));
    }

    #[test]
    fn due_dates_across_the_2026_boundary() {
        let rules = PenaltyRules::default();
        assert_eq!(rules.due_date(2025, 2), d("2025-03-10"));
        assert_eq!(rules.due_date(2025, 12), d("2026-01-10"));
        assert_eq!(rules.due_date(2026, 1), d("2026-02-10"));
        assert_eq!(rules.due_date(2026, 2), d("2026-03-15"));
        assert_eq!(rules.due_date(2026, 3), d("2026-04-15"));
        assert_eq!(rules.due_date(2026, 12), d("2027-01-15"));
        // A day past the month's end clamps.
        let mut rules = PenaltyRules::default();
        rules.due_day[1].day = 31;
        assert_eq!(rules.due_date(2026, 3), d("2026-04-30"));
    }

    #[test]
    fn validate_names_the_field() {
        let mut rules = PenaltyRules::default();
        rules.key_rates.swap(3, 4);
        let e = rules.validate().unwrap_err();
        assert!(e.starts_with("penalty.key_rates[4].from:"), "{e}");

        let mut rules = PenaltyRules::default();
        rules.key_rates[3].percent = Percent::from_basis_points(-50);
        let e = rules.validate().unwrap_err();
        assert!(e.starts_with("penalty.key_rates[3].percent:"), "{e}");

        let mut rules = PenaltyRules::default();
        rules.tiers[0].tiers[0].denominator = 0;
        let e = rules.validate().unwrap_err();
        assert!(
            e.starts_with("penalty.tiers[0].tiers[0].denominator:"),
            "{e}"
        );

        let mut rules = PenaltyRules::default();
        rules.rates[1].percent = None;
        let e = rules.validate().unwrap_err();
        assert!(e.starts_with("penalty.rates[1].percent:"), "{e}");

        let mut rules = PenaltyRules::default();
        rules.rates.clear();
        assert_eq!(
            rules.validate().unwrap_err(),
            "penalty.rates: must not be empty"
        );

        let mut rules = PenaltyRules::default();
        rules.rates[1].to = Some(d("2023-01-05"));
        let e = rules.validate().unwrap_err();
        assert!(e.starts_with("penalty.rates[1].to:"), "{e}");
    }

    #[test]
    fn bad_percent_in_json_names_the_row() {
        let mut json = serde_json::to_value(PenaltyRules::default()).unwrap();
        json["key_rates"][3]["percent"] = "9,5x".into();
        let e = PenaltyRules::from_json(&json.to_string()).unwrap_err();
        assert!(
            e.starts_with("penalty.key_rates[3]: invalid percent \"9,5x\""),
            "{e}"
        );

        let mut json = serde_json::to_value(PenaltyRules::default()).unwrap();
        json["rates"][0]["rate"] = "1".into();
        let e = PenaltyRules::from_json(&json.to_string()).unwrap_err();
        assert!(
            e.starts_with("penalty.rates[0]: unknown field `rate`"),
            "{e}"
        );
    }

    #[test]
    fn percents_parse_and_print() {
        for (text, bp, shown) in [
            ("9.5", 950, "9.5"),
            ("4.25", 425, "4.25"),
            ("20", 2000, "20"),
            ("7,5", 750, "7.5"),
            ("0.05", 5, "0.05"),
            ("16.50", 1650, "16.5"),
        ] {
            let p: Percent = text.parse().unwrap();
            assert_eq!(p.basis_points(), bp, "{text}");
            assert_eq!(p.to_string(), shown);
        }
        for bad in ["", "9.", ".5", "9.555", "-1", "9.5%", "abc", "1e2"] {
            assert!(bad.parse::<Percent>().is_err(), "{bad}");
        }
    }

    #[test]
    fn json_round_trip() {
        let rules = PenaltyRules::default();
        let text = serde_json::to_string(&rules).unwrap();
        assert_eq!(PenaltyRules::from_json(&text).unwrap(), rules);
        assert_eq!(serde_json::from_str::<PenaltyRules>(&text).unwrap(), rules);

        let text = r#"{
            "due_day": [{"from": "2000-01-01", "day": 10}],
            "rates": [
                {"from": "2022-02-28", "to": "2022-12-31", "kind": "fixed", "percent": "9.5"},
                {"from": "2023-01-01", "kind": "key"}
            ],
            "key_rates": [{"from": "2022-09-19", "percent": "7.5"}],
            "moratoria": [],
            "tiers": [{"from": "2016-01-01", "tiers": [
                {"after_day": 30, "numerator": 1, "denominator": 300},
                {"after_day": 90, "numerator": 1, "denominator": 130}
            ]}]
        }"#;
        let rules = PenaltyRules::from_json(text).unwrap();
        assert_eq!(
            rules.rates[0].percent,
            Some(Percent::from_basis_points(950))
        );
        assert_eq!(rules.rates[1].kind, RateKind::Key);
        // P5 under these rules: key 7.5 % on 2023-04-30.
        assert_eq!(
            paid_on(&rules, 5_000, "2023-02-10", "2023-04-30").total,
            Kopecks(6_125)
        );
        let penalty = paid_on(&rules, 10_000, "2025-02-10", "2025-06-30");
        let back: Penalty =
            serde_json::from_str(&serde_json::to_string(&penalty).unwrap()).unwrap();
        assert_eq!(back, penalty);
    }
    /// The definition, day by day, as a reference for the segment walk.
    fn day_by_day(
        rules: &PenaltyRules,
        principal: Kopecks,
        due: Date,
        payments: &[(Date, Kopecks)],
        as_of: Date,
    ) -> Kopecks {
        let mut sum = Sum { num: 0, den: 1 };
        let mut day = due.add_days(1).unwrap();
        while day <= as_of {
            let paid_before: i64 = payments
                .iter()
                .filter(|p| p.0 < day && p.0 <= as_of)
                .map(|p| p.1.0)
                .sum();
            let debt = principal.0 - paid_before;
            if debt <= 0 {
                break;
            }
            let paid_through = paid_before
                + payments
                    .iter()
                    .filter(|p| p.0 == day)
                    .map(|p| p.1.0)
                    .sum::<i64>();
            let full = principal.0 - paid_through <= 0;
            let payment_day = payments
                .iter()
                .filter(|p| p.0 <= as_of)
                .map(|p| p.0)
                .filter(|&x| {
                    let paid: i64 = payments.iter().filter(|q| q.0 <= x).map(|q| q.1.0).sum();
                    principal.0 - paid <= 0
                })
                .min()
                .unwrap_or(as_of);
            let n = due.days_until(day);
            let set = rules.tiers.iter().rev().find(|s| s.from <= day);
            let tier = set.and_then(|s| s.tiers.iter().rev().find(|t| i64::from(t.after_day) < n));
            let regime = rules
                .rates
                .iter()
                .rev()
                .find(|r| r.from <= day)
                .filter(|r| r.to.is_none_or(|to| day <= to));
            let rate = regime.and_then(|r| r.rate_bp(rules.key_rate_on(payment_day)));
            let moratorium = rules.moratoria.iter().any(|m| m.from <= day && day <= m.to);
            if let (false, Some(t), Some(rate)) = (moratorium, tier, rate) {
                sum.add(
                    i128::from(debt) * i128::from(rate) * i128::from(t.numerator),
                    BP_PER_WHOLE * i128::from(t.denominator),
                );
            }
            if full {
                break;
            }
            day = day.add_days(1).unwrap();
        }
        kopecks(round_half_away_from_zero(sum.num, sum.den))
    }

    #[test]
    fn segments_match_the_day_by_day_definition() {
        let rules = PenaltyRules::default();
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..400 {
            let due = d("2019-06-10").add_days(next(2800) as i64).unwrap();
            let principal = Kopecks(next(2_000_000) as i64 + 1);
            let payments: Vec<(Date, Kopecks)> = (0..next(4))
                .map(|_| {
                    (
                        due.add_days(next(400) as i64).unwrap(),
                        Kopecks(next(principal.0 as u64) as i64 + 1),
                    )
                })
                .collect();
            let as_of = due.add_days(next(500) as i64).unwrap();
            let fast = rules.penalty(principal, due, &payments, as_of);
            let slow = day_by_day(&rules, principal, due, &payments, as_of);
            assert_eq!(fast.total, slow, "{principal:?} {due} {payments:?} {as_of}");
            let days: u32 = fast.periods.iter().map(|p| p.days).sum();
            assert!(days as i64 <= due.days_until(as_of));
        }
    }
}

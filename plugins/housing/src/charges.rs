//! Utility charges by the formulas of ПП РФ №354: metered volume × tariff, residents × norm ×
//! tariff (with the increasing coefficient), the average volume for months without readings,
//! and area × rate. Pure functions over integers: volumes in thousandths of a unit, areas in
//! hundredths of a square metre, money in kopecks, rounded once per amount.

use dvor_sdk::money::{Decimal, round_half_away_from_zero};
use dvor_sdk::{Date, Kopecks};
use serde::{Deserialize, Serialize};

/// Volumes are kept in thousandths of their unit (4.9 m³ is 4 900).
pub const VOLUME_SCALE: i64 = 1000;
/// Areas are kept in hundredths of a square metre (54.3 m² is 5 430), as the host gives them.
pub const AREA_SCALE: i64 = 100;

/// `tariff` (roubles per unit) × `quantity` / `quantity_scale` × `coefficient`, in kopecks,
/// rounded once (half away from zero). None on overflow.
pub fn amount(
    tariff: Decimal,
    quantity: i64,
    quantity_scale: i64,
    coefficient: Option<Decimal>,
) -> Option<Kopecks> {
    let (coef_value, coef_scale) = coefficient.map_or((1, 0), |c| (c.value(), c.scale()));
    let numerator = i128::from(tariff.value())
        .checked_mul(i128::from(quantity))?
        .checked_mul(100)?
        .checked_mul(i128::from(coef_value))?;
    let denominator = 10i128
        .checked_pow(u32::from(tariff.scale()) + u32::from(coef_scale))?
        .checked_mul(i128::from(quantity_scale))?;
    i64::try_from(round_half_away_from_zero(numerator, denominator))
        .ok()
        .map(Kopecks)
}

/// A decimal quantity (`"4.9"`) in thousandths, exactly; None if it has more than three
/// decimals or does not fit.
pub fn thousandths(value: Decimal) -> Option<i64> {
    scaled(value, 3)
}

/// A decimal value at `scale` digits after the point, exactly; None when it has more digits.
pub fn scaled(value: Decimal, scale: u8) -> Option<i64> {
    if value.scale() > scale {
        return None;
    }
    value
        .value()
        .checked_mul(10i64.checked_pow(u32::from(scale - value.scale()))?)
}

/// How the volume of a metered service was found for a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// By the meter's readings (formula 1).
    Meter,
    /// By the average monthly volume, readings not submitted (п.59).
    Average,
    /// By the norm × residents (formula 4).
    Norm,
    /// By area × rate per m².
    Area,
}

impl Method {
    /// How people read it on the bill.
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Method::Meter, false) => "по счётчику",
            (Method::Meter, true) => "by meter",
            (Method::Average, false) => "по среднему",
            (Method::Average, true) => "by average",
            (Method::Norm, false) => "по нормативу",
            (Method::Norm, true) => "by norm",
            (Method::Area, false) => "по площади",
            (Method::Area, true) => "by area",
        }
    }
}

/// The rules for months without readings, as effective-dated data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AveragingRule {
    /// From this billing month's first day on.
    pub from: Date,
    /// The average is over the last this many months of readings (ПП 354: 6).
    pub months: u8,
    /// Fewer months of history than this: no average, the norm applies.
    pub min_months: u8,
    /// The average is charged for at most this many months in a row, then the norm (3).
    pub max_months_in_a_row: u8,
}

/// The increasing coefficient for homes without a required meter, as effective-dated data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoefficientRule {
    /// From this billing month's first day on.
    pub from: Date,
    /// The coefficient, e.g. `"1.5"`.
    pub value: String,
}

/// The entry of an effective-dated list in force on `on`: the last with `from <= on`.
pub fn in_force<T>(rules: &[T], on: Date, from: impl Fn(&T) -> Date) -> Option<&T> {
    rules.iter().rev().find(|r| from(r) <= on)
}

/// What a meter's state says about the months before this one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterHistory {
    /// Monthly volumes of the last months billed by readings, oldest first (thousandths).
    pub recent_volumes: Vec<i64>,
    /// Months in a row billed without readings since the last reading.
    pub months_without_readings: u8,
    /// The volume charged in those months (thousandths), to recalculate when readings come.
    pub volume_without_readings: i64,
}

/// The volume to charge for a month without a reading, and how it was found: the average of
/// the recent months while the rule allows it, then the norm for `residents`.
pub fn volume_without_reading(
    history: &MeterHistory,
    rule: &AveragingRule,
    norm_per_person: i64,
    residents: i64,
) -> (i64, Method) {
    let months = usize::from(rule.months);
    let recent = &history.recent_volumes[history.recent_volumes.len().saturating_sub(months)..];
    if history.months_without_readings < rule.max_months_in_a_row
        && recent.len() >= usize::from(rule.min_months.max(1))
    {
        let total: i64 = recent.iter().sum();
        let count = i64::try_from(recent.len()).unwrap_or(i64::MAX);
        let average = i64::try_from(round_half_away_from_zero(
            i128::from(total),
            i128::from(count),
        ))
        .unwrap_or(0);
        (average, Method::Average)
    } else {
        (norm_per_person * residents, Method::Norm)
    }
}

/// How a reading relates to the previous one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadingKind {
    /// The usual case: the value is not lower than the previous one.
    #[default]
    Normal,
    /// The meter was replaced: the old meter's last value and the new meter's value.
    Replacement,
    /// The counter passed its largest value and began again from zero.
    Rollover,
}

/// Why a reading cannot be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadingRefusal {
    /// Lower than the previous reading without a replacement or rollover.
    Lower {
        /// The previous reading (thousandths).
        previous: i64,
    },
    /// A replacement without the old meter's final value, or a final value below the previous.
    BadReplacement,
    /// Not a rollover: the value is not below the previous one.
    NotRollover,
}

/// The volume consumed between `previous` and `value` (thousandths).
///
/// - `Normal`: `value − previous`; a lower value is refused.
/// - `Replacement`: `(old_final − previous) + (value − new_initial)`.
/// - `Rollover`: the counter wrapped at `10^digits`: `(10^digits − previous) + value`.
pub fn consumed(
    previous: i64,
    value: i64,
    kind: ReadingKind,
    old_final: Option<i64>,
    new_initial: i64,
    digits: u8,
) -> Result<i64, ReadingRefusal> {
    match kind {
        ReadingKind::Normal if value < previous => Err(ReadingRefusal::Lower { previous }),
        ReadingKind::Normal => Ok(value - previous),
        ReadingKind::Replacement => match old_final {
            Some(old) if old >= previous && value >= new_initial => {
                Ok(old - previous + value - new_initial)
            }
            _ => Err(ReadingRefusal::BadReplacement),
        },
        ReadingKind::Rollover if value >= previous => Err(ReadingRefusal::NotRollover),
        ReadingKind::Rollover => {
            let wrap = 10i64.saturating_pow(u32::from(digits)) * VOLUME_SCALE;
            Ok(wrap - previous + value)
        }
    }
}

/// Whether `volume` is an implausible jump: above `factor` × the recent average (only when
/// there is a history to compare with).
pub fn is_jump(volume: i64, recent_volumes: &[i64], factor: Decimal) -> bool {
    if recent_volumes.is_empty() {
        return false;
    }
    let total: i128 = recent_volumes.iter().map(|v| i128::from(*v)).sum();
    let count = i128::try_from(recent_volumes.len()).unwrap_or(i128::MAX);
    // volume > factor × total / count, without rounding.
    let scale = 10i128.pow(u32::from(factor.scale()));
    i128::from(volume) * count * scale > i128::from(factor.value()) * total && total > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn rule() -> AveragingRule {
        AveragingRule {
            from: Date::new(2017, 1, 1).unwrap(),
            months: 6,
            min_months: 3,
            max_months_in_a_row: 3,
        }
    }

    /// RULES.md §2: metered electricity, 150 kWh × 1.936 = 290.40 ₽.
    #[test]
    fn metered_volume_times_tariff() {
        let volume = thousandths(d("150")).unwrap();
        assert_eq!(
            amount(d("1.936"), volume, VOLUME_SCALE, None),
            Some(Kopecks(29_040))
        );
    }

    /// RULES.md §2: by norm, 3 residents × 4.9 m³ × 45.00 = 661.50 ₽; with the coefficient
    /// 992.25 ₽, 330.75 ₽ above the plain charge.
    #[test]
    fn norm_times_residents_and_the_increasing_coefficient() {
        let volume = 3 * thousandths(d("4.9")).unwrap();
        let plain = amount(d("45.00"), volume, VOLUME_SCALE, None).unwrap();
        assert_eq!(plain, Kopecks(66_150));
        let raised = amount(d("45.00"), volume, VOLUME_SCALE, Some(d("1.5"))).unwrap();
        assert_eq!(raised, Kopecks(99_225));
        assert_eq!(raised.checked_sub(plain), Some(Kopecks(33_075)));
    }

    /// RULES.md §2: last 6 months 5, 6, 4, 5, 7, 3 m³; no readings for 4 months: months 1–3
    /// are charged 5.0 m³ each, month 4 by the norm.
    #[test]
    fn average_for_three_months_then_the_norm() {
        let mut history = MeterHistory {
            recent_volumes: [5, 6, 4, 5, 7, 3].map(|v| v * VOLUME_SCALE).to_vec(),
            ..MeterHistory::default()
        };
        let norm = thousandths(d("4.9")).unwrap();
        let mut charged = Vec::new();
        for _ in 0..4 {
            let (volume, method) = volume_without_reading(&history, &rule(), norm, 2);
            history.months_without_readings += 1;
            history.volume_without_readings += volume;
            charged.push((volume, method));
        }
        assert_eq!(
            charged,
            vec![
                (5_000, Method::Average),
                (5_000, Method::Average),
                (5_000, Method::Average),
                (9_800, Method::Norm),
            ]
        );
    }

    #[test]
    fn too_short_a_history_goes_to_the_norm() {
        let history = MeterHistory {
            recent_volumes: vec![5_000, 6_000],
            ..MeterHistory::default()
        };
        assert_eq!(
            volume_without_reading(&history, &rule(), 4_900, 1),
            (4_900, Method::Norm)
        );
    }

    #[test]
    fn the_average_uses_only_the_last_months() {
        let history = MeterHistory {
            recent_volumes: [100, 5, 6, 4, 5, 7, 3].map(|v| v * VOLUME_SCALE).to_vec(),
            ..MeterHistory::default()
        };
        assert_eq!(volume_without_reading(&history, &rule(), 4_900, 1).0, 5_000);
    }

    #[test]
    fn area_services_are_area_times_rate() {
        // 54.3 m² × 25.40 ₽/m² = 1 379.22 ₽.
        assert_eq!(
            amount(d("25.40"), 5_430, AREA_SCALE, None),
            Some(Kopecks(137_922))
        );
    }

    #[test]
    fn lower_readings_are_refused_unless_replaced_or_rolled_over() {
        assert_eq!(
            consumed(120_000, 118_000, ReadingKind::Normal, None, 0, 5),
            Err(ReadingRefusal::Lower { previous: 120_000 })
        );
        assert_eq!(
            consumed(120_000, 125_500, ReadingKind::Normal, None, 0, 5),
            Ok(5_500)
        );
        // Old meter ended at 123.000, the new one started at 0 and shows 2.000.
        assert_eq!(
            consumed(
                120_000,
                2_000,
                ReadingKind::Replacement,
                Some(123_000),
                0,
                5
            ),
            Ok(5_000)
        );
        assert_eq!(
            consumed(120_000, 2_000, ReadingKind::Replacement, None, 0, 5),
            Err(ReadingRefusal::BadReplacement)
        );
        // A 5-digit counter: 99 998 → 00 003 is 5 units.
        assert_eq!(
            consumed(99_998_000, 3_000, ReadingKind::Rollover, None, 0, 5),
            Ok(5_000)
        );
        assert_eq!(
            consumed(1_000, 3_000, ReadingKind::Rollover, None, 0, 5),
            Err(ReadingRefusal::NotRollover)
        );
    }

    #[test]
    fn jumps_far_above_the_average_are_flagged() {
        let recent = [5_000, 6_000, 4_000];
        assert!(!is_jump(14_000, &recent, d("3")));
        assert!(is_jump(15_001, &recent, d("3")));
        assert!(!is_jump(50_000, &[], d("3")));
    }

    #[test]
    fn the_rule_in_force_is_the_latest_started() {
        let rules = [
            CoefficientRule {
                from: Date::new(2017, 1, 1).unwrap(),
                value: "1.5".into(),
            },
            CoefficientRule {
                from: Date::new(2030, 1, 1).unwrap(),
                value: "2".into(),
            },
        ];
        let on = |y| in_force(&rules, Date::new(y, 6, 1).unwrap(), |r| r.from);
        assert_eq!(on(2026).map(|r| r.value.as_str()), Some("1.5"));
        assert_eq!(on(2031).map(|r| r.value.as_str()), Some("2"));
        assert!(on(2016).is_none());
    }
}

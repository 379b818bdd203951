//! Meter readings of the plots, the boundary and the common meters: the month they belong to,
//! the days a plot may send them, and the checks a reading passes before it counts.
//!
//! - A reading is the meter's value at the end of a month ([`Period`]); consumption is the
//!   difference from the previous month's value.
//! - Plots send readings on the days of the [`ReadingWindow`] (a setting); the board enters
//!   any reading on any day.
//! - [`check_reading`]: a value is a number of kWh with at most 3 decimals, not below the
//!   previous one (a meter does not run backwards; a replaced meter starts a new meter), and a
//!   consumption far above the plot's usual one is accepted but held for the board to confirm.

use core::fmt;

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Decimal, Error, Ratio};
use serde::{Deserialize, Serialize};

/// A calendar month, `2026-05`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// The year.
    pub year: i32,
    /// The month, 1–12.
    pub month: u8,
}

impl Period {
    /// The month of `day`.
    pub fn of(day: Date) -> Period {
        Period {
            year: day.year(),
            month: day.month(),
        }
    }

    /// `2026-05` from form field `field`.
    pub fn parse_field(field: &str, text: &str) -> Result<Period, Error> {
        let bad = || {
            Error::invalid(
                field,
                tr("Месяц: ожидается ГГГГ-ММ", "month: expected YYYY-MM"),
            )
        };
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u8 = month.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(2000..=9999).contains(&year) {
            return Err(bad());
        }
        Ok(Period { year, month })
    }

    /// The month before.
    pub fn previous(self) -> Period {
        if self.month == 1 {
            Period {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        Date::new(self.year, self.month, 1)
            .map(Date::last_day_of_month)
            .unwrap_or(Date::MIN)
    }

    /// «май 2026», in Russian whatever the caller's language (for texts sent in both).
    pub fn name_ru(self) -> String {
        format!(
            "{} {}",
            MONTHS_RU[usize::from(self.month.clamp(1, 12) - 1)],
            self.year
        )
    }

    /// «май 2026» / «May 2026».
    pub fn name(self) -> String {
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let index = usize::from(self.month.clamp(1, 12) - 1);
        format!("{} {}", tr(MONTHS_RU[index], EN[index]), self.year)
    }
}

/// The months' names in Russian.
const MONTHS_RU: [&str; 12] = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
];

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Period::parse_field("period", &text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// The days of the month plots send readings on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingWindow {
    /// The first day.
    pub from_day: u8,
    /// The last day (the month's last day if it is shorter).
    pub to_day: u8,
}

impl ReadingWindow {
    /// Whether `day` is in the window; the error names field `value` and says when.
    pub fn check(self, day: Date) -> Result<(), Error> {
        let last = day.last_day_of_month().day();
        let to = self.to_day.min(last);
        if day.day() >= self.from_day && day.day() <= to {
            return Ok(());
        }
        Err(Error::invalid(
            "value",
            format!(
                "{} {}–{}",
                tr(
                    "Показания принимаются с числа по число месяца:",
                    "readings are taken on these days of the month:"
                ),
                self.from_day,
                to
            ),
        ))
    }
}

/// What a reading check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// The consumption since the previous reading, kWh; none for a meter's first reading.
    pub consumption: Option<Decimal>,
    /// Why the board should confirm it, if it should.
    pub held: Option<String>,
}

/// Check `value` against the meter's `previous` value and its `usual` monthly consumption
/// (none when not known yet): a consumption more than `jump_factor` times the usual one is
/// held for the board.
pub fn check_reading(
    value: Decimal,
    previous: Option<Decimal>,
    usual: Option<Ratio>,
    jump_factor: u32,
) -> Result<Checked, Error> {
    if value.scale() > 3 {
        return Err(Error::invalid(
            "value",
            tr(
                "Не больше трёх знаков после запятой",
                "at most three decimals",
            ),
        ));
    }
    let exact = Ratio::from_decimal(value);
    if exact.is_negative() {
        return Err(Error::invalid(
            "value",
            tr(
                "Показание не может быть отрицательным",
                "a reading cannot be negative",
            ),
        ));
    }
    let Some(previous) = previous else {
        return Ok(Checked {
            consumption: None,
            held: None,
        });
    };
    let before = Ratio::from_decimal(previous);
    if exact < before {
        return Err(Error::invalid(
            "value",
            format!(
                "{} {previous}",
                tr(
                    "Показание меньше предыдущего:",
                    "the reading is below the previous one:"
                )
            ),
        ));
    }
    let used = exact.checked_sub(before).unwrap_or(Ratio::ZERO);
    let consumption = used.to_decimal_string(3).parse::<Decimal>().ok();
    let held = usual
        .filter(|u| !u.is_zero())
        .and_then(|u| u.checked_mul(Ratio::from_integer(i64::from(jump_factor))))
        .filter(|limit| used > *limit)
        .map(|_| {
            tr(
                "Расход намного больше обычного: проверит правление",
                "far more than usual: the board will check it",
            )
            .to_owned()
        });
    Ok(Checked { consumption, held })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kwh(v: i64) -> Decimal {
        Decimal::new(v, 0)
    }

    #[test]
    fn periods() {
        let p = Period::parse_field("period", "2026-01").unwrap();
        assert_eq!(p.previous().to_string(), "2025-12");
        assert_eq!(p.last_day(), "2026-01-31".parse().unwrap());
        assert_eq!(p.name(), "январь 2026");
        assert!(Period::parse_field("period", "2026-13").is_err());
        assert_eq!(
            Period::of("2026-05-20".parse().unwrap()).to_string(),
            "2026-05"
        );
    }

    #[test]
    fn the_window_is_the_settings_days() {
        let window = ReadingWindow {
            from_day: 20,
            to_day: 31,
        };
        assert!(window.check("2026-02-28".parse().unwrap()).is_ok());
        let early = window.check("2026-02-19".parse().unwrap()).unwrap_err();
        assert_eq!(early.field.as_deref(), Some("value"));
        assert!(early.message.contains("20–28"), "{}", early.message);
    }

    #[test]
    fn readings_do_not_run_backwards_and_jumps_are_held() {
        let first = check_reading(kwh(1200), None, None, 5).unwrap();
        assert_eq!(first.consumption, None);
        let ok = check_reading(
            kwh(1550),
            Some(kwh(1200)),
            Some(Ratio::from_integer(300)),
            5,
        )
        .unwrap();
        assert_eq!(ok.consumption, Some(Decimal::new(350_000, 3)));
        assert_eq!(ok.held, None);
        let jump = check_reading(
            kwh(9200),
            Some(kwh(1200)),
            Some(Ratio::from_integer(300)),
            5,
        )
        .unwrap();
        assert!(jump.held.is_some());
        let back = check_reading(kwh(1100), Some(kwh(1200)), None, 5).unwrap_err();
        assert_eq!(back.field.as_deref(), Some("value"));
        assert!(check_reading(Decimal::new(-1, 0), None, None, 5).is_err());
        assert!(check_reading(Decimal::new(12345, 4), None, None, 5).is_err());
    }
}

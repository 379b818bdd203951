//! Calendar dates for due dates and reading windows, without a date library.
//!
//! A [`Date`] is a day of the proleptic Gregorian calendar between 0001-01-01 and 9999-12-31.
//! The contract's timestamps are milliseconds since 1970-01-01T00:00:00Z; turning one into a
//! date needs the instance's UTC offset ([`zone_offset_minutes`], [`crate::ctx::today`]).
//!
//! Month arithmetic clamps to the month's end: 31 January plus one month is 28 (or 29)
//! February, and 29 February 2024 plus a year (12 months) is 28 February 2025.

use core::fmt;
use core::str::FromStr;

use crate::error::Error;

/// Milliseconds in a day.
const MS_PER_DAY: i64 = 86_400_000;

/// A calendar day. Orders chronologically; serializes as `"YYYY-MM-DD"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Whether `year` has a 29 February.
pub const fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// How many days `month` (1–12) of `year` has; 0 for a month outside 1–12.
pub const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The first representable day, 0001-01-01.
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };
    /// The last representable day, 9999-12-31.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// The day `day` of `month` of `year`, if it exists (no 30 February, no year 0).
    pub const fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if year < 1 || year > 9999 || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The year (1–9999).
    pub const fn year(self) -> i32 {
        self.year
    }

    /// The month (1–12).
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month (1–31).
    pub const fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub const fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil; years here are positive.
        let y = self.year as i64 - if self.month <= 2 { 1 } else { 0 };
        let m = self.month as i64;
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01, if it is in range.
    pub const fn from_days_since_epoch(days: i64) -> Option<Date> {
        if days < Date::MIN.days_since_epoch() || days > Date::MAX.days_since_epoch() {
            return None;
        }
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (year_of_era + era * 400 + if month <= 2 { 1 } else { 0 }) as i32;
        Some(Date { year, month, day })
    }

    /// The local date at instant `timestamp` (ms since the epoch, UTC) in a zone that is
    /// `offset_minutes` ahead of UTC (180 for Moscow). None if out of range.
    pub const fn from_timestamp(timestamp: i64, offset_minutes: i32) -> Option<Date> {
        let Some(local) = timestamp.checked_add(offset_minutes as i64 * 60_000) else {
            return None;
        };
        Date::from_days_since_epoch(local.div_euclid(MS_PER_DAY))
    }

    /// The instant (ms since the epoch, UTC) at which this day starts, local midnight, in a zone
    /// `offset_minutes` ahead of UTC. "Due by the end of the 10th" is `before
    /// date(10th).add_days(1).start_timestamp(offset)`.
    pub const fn start_timestamp(self, offset_minutes: i32) -> i64 {
        self.days_since_epoch() * MS_PER_DAY - offset_minutes as i64 * 60_000
    }

    /// How many days from `self` to `later` (negative if `later` is earlier).
    /// 2024-02-28 to 2024-03-01 is 2.
    pub const fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }

    /// The date `days` days later (earlier if negative); None if out of range.
    pub const fn add_days(self, days: i64) -> Option<Date> {
        match self.days_since_epoch().checked_add(days) {
            Some(d) => Date::from_days_since_epoch(d),
            None => None,
        }
    }

    /// The same day `months` months later (earlier if negative), clamped to the end of a
    /// shorter month: 2024-01-31 + 1 month is 2024-02-29. None if out of range.
    pub const fn add_months(self, months: i32) -> Option<Date> {
        let index = self.year as i64 * 12 + (self.month as i64 - 1) + months as i64;
        let year = index.div_euclid(12);
        if year < 1 || year > 9999 {
            return None;
        }
        let year = year as i32;
        let month = (index.rem_euclid(12) + 1) as u8;
        let last = days_in_month(year, month);
        let day = if self.day > last { last } else { self.day };
        Some(Date { year, month, day })
    }

    /// The same day `years` years later, 29 February becoming 28 February in common years.
    pub const fn add_years(self, years: i32) -> Option<Date> {
        match years.checked_mul(12) {
            Some(months) => self.add_months(months),
            None => None,
        }
    }

    /// Day `day` of the same month, if it exists.
    pub const fn with_day(self, day: u8) -> Option<Date> {
        Date::new(self.year, self.month, day)
    }

    /// The first day of the month.
    pub const fn first_day_of_month(self) -> Date {
        Date { day: 1, ..self }
    }

    /// The last day of the month: the 28th, 29th, 30th or 31st.
    pub const fn last_day_of_month(self) -> Date {
        Date {
            day: days_in_month(self.year, self.month),
            ..self
        }
    }

    /// Parse `YYYY-MM-DD` from form field or JSON field `field`; a bad input becomes an
    /// [`Error::invalid`] naming that field, with a message in the call's locale.
    pub fn parse_field(field: &str, input: &str) -> Result<Date, Error> {
        input.trim().parse().map_err(|e: DateParseError| {
            let message = match e {
                DateParseError::Format => crate::ctx::tr(
                    "Введите дату в виде ГГГГ-ММ-ДД",
                    "enter the date as YYYY-MM-DD",
                ),
                DateParseError::NoSuchDay => {
                    crate::ctx::tr("Такой даты не существует", "there is no such date")
                }
            };
            Error::invalid(field, message)
        })
    }
}

/// Why a date could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateParseError {
    /// Not `YYYY-MM-DD`.
    Format,
    /// Well-formed but no such day, e.g. `2023-02-29` or `2024-13-01`.
    NoSuchDay,
}

impl fmt::Display for DateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Format => "expected a date as YYYY-MM-DD",
            Self::NoSuchDay => "there is no such date",
        })
    }
}

impl std::error::Error for DateParseError {}

/// Parses exactly `YYYY-MM-DD` (ISO 8601 calendar date, four-digit year).
impl FromStr for Date {
    type Err = DateParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let digits_at = |range: core::ops::Range<usize>| {
            b[range.clone()].iter().all(u8::is_ascii_digit).then(|| {
                b[range]
                    .iter()
                    .fold(0i32, |n, d| n * 10 + i32::from(d - b'0'))
            })
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateParseError::Format);
        }
        let (Some(year), Some(month), Some(day)) =
            (digits_at(0..4), digits_at(5..7), digits_at(8..10))
        else {
            return Err(DateParseError::Format);
        };
        Date::new(year, month as u8, day as u8).ok_or(DateParseError::NoSuchDay)
    }
}

/// `YYYY-MM-DD`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The UTC offset in minutes of an IANA time zone of Russia (and `UTC`), as the zone has been
/// since 2020-12-27 (the last change, Volgograd's). None for other zones.
///
/// Russia has no daylight saving time, so one offset per zone is exact for current dates; do
/// not use it for instants before 2021.
pub fn zone_offset_minutes(zone: &str) -> Option<i32> {
    let hours = match zone {
        "UTC" | "Etc/UTC" | "Etc/GMT" | "GMT" | "Etc/Universal" | "Universal" | "Zulu" => 0,
        "Europe/Kaliningrad" => 2,
        "Europe/Moscow" | "Europe/Simferopol" | "Europe/Kirov" | "Europe/Volgograd" | "W-SU" => 3,
        "Europe/Samara" | "Europe/Astrakhan" | "Europe/Saratov" | "Europe/Ulyanovsk" => 4,
        "Asia/Yekaterinburg" => 5,
        "Asia/Omsk" => 6,
        "Asia/Novosibirsk" | "Asia/Barnaul" | "Asia/Tomsk" | "Asia/Novokuznetsk"
        | "Asia/Krasnoyarsk" => 7,
        "Asia/Irkutsk" => 8,
        "Asia/Chita" | "Asia/Yakutsk" | "Asia/Khandyga" => 9,
        "Asia/Vladivostok" | "Asia/Ust-Nera" => 10,
        "Asia/Magadan" | "Asia/Sakhalin" | "Asia/Srednekolymsk" => 11,
        "Asia/Kamchatka" | "Asia/Anadyr" => 12,
        _ => return None,
    };
    Some(hours * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024));
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2100));
        assert!(!is_leap_year(2023));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2023, 4), 30);
        assert_eq!(days_in_month(2023, 12), 31);
        assert_eq!(days_in_month(2023, 13), 0);
    }

    #[test]
    fn parses_strictly() {
        assert_eq!(d("2024-02-29"), Date::new(2024, 2, 29).unwrap());
        assert_eq!("2023-02-29".parse::<Date>(), Err(DateParseError::NoSuchDay));
        assert_eq!("2024-13-01".parse::<Date>(), Err(DateParseError::NoSuchDay));
        assert_eq!("2024-04-31".parse::<Date>(), Err(DateParseError::NoSuchDay));
        assert_eq!("0000-01-01".parse::<Date>(), Err(DateParseError::NoSuchDay));
        assert_eq!("2024-00-10".parse::<Date>(), Err(DateParseError::NoSuchDay));
        for bad in [
            "2024-2-29",
            "24-02-29",
            "2024/02/29",
            "2024-02-29T00",
            "",
            "２０２４-02-29",
        ] {
            assert_eq!(bad.parse::<Date>(), Err(DateParseError::Format), "{bad}");
        }
        assert_eq!(d("0001-01-01"), Date::MIN);
        assert_eq!(d("9999-12-31"), Date::MAX);
        assert_eq!(d("2024-03-05").to_string(), "2024-03-05");
    }

    #[test]
    fn parse_field_blames_the_field() {
        let e = Date::parse_field("due", "31.12.2024").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("due"));
        assert_eq!(e.code, crate::ErrorCode::Invalid);
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("1969-12-31").days_since_epoch(), -1);
        assert_eq!(d("2000-03-01").days_since_epoch(), 11_017);
        assert_eq!(d("2024-01-01").days_since_epoch(), 19_723);
        assert_eq!(Date::MIN.days_since_epoch(), -719_162);
        let mut day = Date::MIN;
        let mut n = Date::MIN.days_since_epoch();
        // Every day of four centuries and a bit, both ways, and around the epoch.
        while day < d("1601-03-01") {
            assert_eq!(day.days_since_epoch(), n);
            assert_eq!(Date::from_days_since_epoch(n), Some(day));
            day = day.add_days(1).unwrap();
            n += 1;
        }
        for n in -200_000..200_000 {
            let day = Date::from_days_since_epoch(n).unwrap();
            assert_eq!(day.days_since_epoch(), n);
            assert_eq!(day.to_string().parse::<Date>(), Ok(day));
        }
        assert_eq!(
            Date::from_days_since_epoch(Date::MIN.days_since_epoch() - 1),
            None
        );
        assert_eq!(
            Date::from_days_since_epoch(Date::MAX.days_since_epoch() + 1),
            None
        );
    }

    #[test]
    fn days_between() {
        assert_eq!(d("2024-02-28").days_until(d("2024-03-01")), 2);
        assert_eq!(d("2023-02-28").days_until(d("2023-03-01")), 1);
        assert_eq!(d("2024-03-01").days_until(d("2024-02-28")), -2);
        assert_eq!(d("2024-01-01").days_until(d("2025-01-01")), 366);
        assert_eq!(d("2023-01-01").days_until(d("2024-01-01")), 365);
        assert_eq!(d("1900-01-01").days_until(d("2000-01-01")), 36_524);
    }

    #[test]
    fn adds_days_across_month_and_year_ends() {
        assert_eq!(d("2024-02-28").add_days(1), Some(d("2024-02-29")));
        assert_eq!(d("2024-02-29").add_days(1), Some(d("2024-03-01")));
        assert_eq!(d("2023-02-28").add_days(1), Some(d("2023-03-01")));
        assert_eq!(d("2024-12-31").add_days(1), Some(d("2025-01-01")));
        assert_eq!(d("2025-01-01").add_days(-1), Some(d("2024-12-31")));
        assert_eq!(d("2024-01-31").add_days(30), Some(d("2024-03-01")));
        assert_eq!(Date::MAX.add_days(1), None);
        assert_eq!(Date::MIN.add_days(-1), None);
        assert_eq!(d("2024-01-01").add_days(i64::MAX), None);
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        assert_eq!(d("2024-01-31").add_months(1), Some(d("2024-02-29")));
        assert_eq!(d("2023-01-31").add_months(1), Some(d("2023-02-28")));
        assert_eq!(d("2024-03-31").add_months(1), Some(d("2024-04-30")));
        assert_eq!(d("2024-03-31").add_months(-1), Some(d("2024-02-29")));
        assert_eq!(d("2024-12-15").add_months(1), Some(d("2025-01-15")));
        assert_eq!(d("2025-01-15").add_months(-1), Some(d("2024-12-15")));
        assert_eq!(d("2024-05-10").add_months(-17), Some(d("2022-12-10")));
        assert_eq!(d("2024-05-10").add_months(0), Some(d("2024-05-10")));
        assert_eq!(d("2024-02-29").add_years(1), Some(d("2025-02-28")));
        assert_eq!(d("2024-02-29").add_years(4), Some(d("2028-02-29")));
        assert_eq!(d("9999-12-01").add_months(1), None);
        assert_eq!(d("0001-01-01").add_months(-1), None);
        assert_eq!(d("2024-01-01").add_years(i32::MAX), None);
    }

    #[test]
    fn month_ends() {
        assert_eq!(d("2024-02-10").last_day_of_month(), d("2024-02-29"));
        assert_eq!(d("2023-02-10").last_day_of_month(), d("2023-02-28"));
        assert_eq!(d("2100-02-10").last_day_of_month(), d("2100-02-28"));
        assert_eq!(d("2024-04-30").last_day_of_month(), d("2024-04-30"));
        assert_eq!(d("2024-12-01").last_day_of_month(), d("2024-12-31"));
        assert_eq!(d("2024-12-31").first_day_of_month(), d("2024-12-01"));
        assert_eq!(d("2024-02-10").with_day(30), None);
        assert_eq!(d("2024-02-10").with_day(29), Some(d("2024-02-29")));
        // "By the 10th of the following month".
        assert_eq!(
            d("2024-01-31").add_months(1).and_then(|m| m.with_day(10)),
            Some(d("2024-02-10"))
        );
    }

    #[test]
    fn timestamps_with_offsets() {
        let moscow = 180;
        // 2024-03-31T21:00:00Z is midnight of 1 April in Moscow.
        let ts = 1_711_918_800_000;
        assert_eq!(Date::from_timestamp(ts, 0), Some(d("2024-03-31")));
        assert_eq!(Date::from_timestamp(ts, moscow), Some(d("2024-04-01")));
        assert_eq!(Date::from_timestamp(ts - 1, moscow), Some(d("2024-03-31")));
        assert_eq!(d("2024-04-01").start_timestamp(moscow), ts);
        assert_eq!(d("1970-01-01").start_timestamp(0), 0);
        // Before the epoch, days floor rather than truncate.
        assert_eq!(Date::from_timestamp(-1, 0), Some(d("1969-12-31")));
        // A negative offset: 2024-01-01T02:00Z is still 31 December in UTC−05:00.
        assert_eq!(
            Date::from_timestamp(1_704_074_400_000, -300),
            Some(d("2023-12-31"))
        );
        assert_eq!(Date::from_timestamp(i64::MAX, 60), None);
        for day in [Date::MIN, d("2024-02-29"), Date::MAX] {
            for offset in [-720, 0, 180, 720] {
                let start = day.start_timestamp(offset);
                assert_eq!(Date::from_timestamp(start, offset), Some(day));
                assert_eq!(Date::from_timestamp(start - 1, offset), day.add_days(-1));
            }
        }
    }

    #[test]
    fn zone_offsets() {
        assert_eq!(zone_offset_minutes("Europe/Moscow"), Some(180));
        assert_eq!(zone_offset_minutes("Europe/Kaliningrad"), Some(120));
        assert_eq!(zone_offset_minutes("Europe/Volgograd"), Some(180));
        assert_eq!(zone_offset_minutes("Asia/Kamchatka"), Some(720));
        assert_eq!(zone_offset_minutes("UTC"), Some(0));
        assert_eq!(zone_offset_minutes("America/New_York"), None);
    }

    #[test]
    fn serializes_as_iso_text() {
        assert_eq!(
            serde_json::to_string(&d("2024-02-29")).unwrap(),
            r#""2024-02-29""#
        );
        assert_eq!(
            serde_json::from_str::<Date>(r#""2024-02-29""#).unwrap(),
            d("2024-02-29")
        );
        assert!(serde_json::from_str::<Date>(r#""2023-02-29""#).is_err());
    }
}

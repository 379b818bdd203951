//! Money as whole kopecks, never floats.
//!
//! - [`Kopecks`] is an `i64` count of kopecks (1/100 of a rouble); it serializes as a plain JSON
//!   integer, like the contract's `kopecks`.
//! - Parsing accepts what people type: `1234`, `1234.5`, `1 234,56`, `-15,00`, `1 234,56 ₽`.
//! - Display is `1 234,56 ₽`: digit groups and the space before `₽` are U+00A0 NO-BREAK SPACE,
//!   so an amount never wraps across lines; negative amounts start with `-`.
//! - Multiplying by a [`Decimal`] rate or by a ratio rounds **once**, at the end, with
//!   [`round_half_away_from_zero`]: 0.5 kopeck becomes 1 kopeck, −0.5 becomes −1.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The no-break space used between digit groups and before `₽` in [`Kopecks`]' display.
pub const GROUP_SEPARATOR: char = '\u{00A0}';

/// An amount of money in kopecks. `Kopecks(123_456)` is 1 234,56 ₽.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Kopecks(pub i64);

impl Kopecks {
    /// No money.
    pub const ZERO: Kopecks = Kopecks(0);

    /// `rubles` roubles and `kopecks` kopecks; the sign of `rubles` applies to the whole amount
    /// (`(-5, 50)` is −5,50 ₽). None if `kopecks > 99` or the amount does not fit.
    pub const fn from_rubles_kopecks(rubles: i64, kopecks: u8) -> Option<Kopecks> {
        if kopecks > 99 {
            return None;
        }
        let Some(whole) = rubles.checked_mul(100) else {
            return None;
        };
        let part = if rubles < 0 {
            -(kopecks as i64)
        } else {
            kopecks as i64
        };
        match whole.checked_add(part) {
            Some(total) => Some(Kopecks(total)),
            None => None,
        }
    }

    /// The whole roubles, truncated toward zero (−5,50 ₽ gives −5).
    pub const fn rubles(self) -> i64 {
        self.0 / 100
    }

    /// The kopecks after the whole roubles, without sign (−5,50 ₽ gives 50).
    pub const fn kopecks_part(self) -> u8 {
        (self.0 % 100).unsigned_abs() as u8
    }

    /// Whether the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, or None on overflow.
    pub const fn checked_add(self, other: Kopecks) -> Option<Kopecks> {
        match self.0.checked_add(other.0) {
            Some(v) => Some(Kopecks(v)),
            None => None,
        }
    }

    /// `self - other`, or None on overflow.
    pub const fn checked_sub(self, other: Kopecks) -> Option<Kopecks> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(Kopecks(v)),
            None => None,
        }
    }

    /// The sum of `amounts`, or None on overflow.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Kopecks>) -> Option<Kopecks> {
        amounts
            .into_iter()
            .try_fold(Kopecks::ZERO, |sum, k| sum.checked_add(k))
    }

    /// `self × rate`, rounded once with [`round_half_away_from_zero`]; None on overflow.
    ///
    /// A tariff of 45,67 ₽ per m³ for 12.345 m³ is `Kopecks(4567).mul_rate(Decimal::new(12345, 3))`
    /// = 563,80 ₽ (56 379.615 kopecks rounded to 56 380).
    pub fn mul_rate(self, rate: Decimal) -> Option<Kopecks> {
        let numerator = i128::from(self.0) * i128::from(rate.value);
        let denominator = 10i128.pow(u32::from(rate.scale));
        i64::try_from(round_half_away_from_zero(numerator, denominator))
            .ok()
            .map(Kopecks)
    }

    /// `self × numerator / denominator`, rounded once with [`round_half_away_from_zero`]: a share
    /// of a cost by area or by ownership share. None if `denominator` is 0 or on overflow.
    pub fn mul_ratio(self, numerator: i64, denominator: i64) -> Option<Kopecks> {
        if denominator == 0 {
            return None;
        }
        let numerator = i128::from(self.0) * i128::from(numerator);
        i64::try_from(round_half_away_from_zero(
            numerator,
            i128::from(denominator),
        ))
        .ok()
        .map(Kopecks)
    }

    /// Parse what a person typed into form field or JSON field `field`; a bad input becomes an
    /// [`Error::invalid`] naming that field, with a message in the call's locale.
    pub fn parse_field(field: &str, input: &str) -> Result<Kopecks, Error> {
        input
            .parse()
            .map_err(|e: MoneyParseError| Error::invalid(field, e.localized()))
    }
}

/// The only rounding in the SDK: `numerator / denominator` rounded to the nearest integer, with
/// exact halves going away from zero (2.5 → 3, −2.5 → −3, 2.4999 → 2).
///
/// # Panics
///
/// If `denominator` is zero.
pub const fn round_half_away_from_zero(numerator: i128, denominator: i128) -> i128 {
    let (n, d) = if denominator < 0 {
        (-numerator, -denominator)
    } else {
        (numerator, denominator)
    };
    let quotient = n / d;
    let remainder = (n % d).abs();
    // remainder >= d / 2, written without overflow or loss of the half.
    if remainder >= d - remainder {
        if n < 0 { quotient - 1 } else { quotient + 1 }
    } else {
        quotient
    }
}

/// A decimal number `value × 10^-scale`, e.g. a tariff (`45.67`), a volume (`12.345`), or a
/// rate (`0.0095`). It has the same shape as the UI's `cell::decimal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    value: i64,
    scale: u8,
}

impl Decimal {
    /// The largest scale: 10^18 still fits in an `i64`.
    pub const MAX_SCALE: u8 = 18;

    /// `value × 10^-scale`; `Decimal::new(543, 1)` is 54.3.
    ///
    /// # Panics
    ///
    /// If `scale` is above [`Decimal::MAX_SCALE`].
    pub const fn new(value: i64, scale: u8) -> Decimal {
        assert!(scale <= Self::MAX_SCALE, "Decimal scale above 18");
        Decimal { value, scale }
    }

    /// The unscaled integer (543 for 54.3).
    pub const fn value(self) -> i64 {
        self.value
    }

    /// How many digits are after the point (1 for 54.3).
    pub const fn scale(self) -> u8 {
        self.scale
    }
}

/// Parses `54.3`, `54,3`, `-0.0095`, `12`; no digit grouping, at most 18 decimals.
impl FromStr for Decimal {
    type Err = MoneyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (negative, digits) = split_sign(s);
        let (int, frac) = split_decimal(digits)?;
        if int.is_empty() {
            return Err(if digits.is_empty() {
                MoneyParseError::Empty
            } else {
                MoneyParseError::MissingWholePart
            });
        }
        let frac = frac.unwrap_or("");
        if frac.len() > usize::from(Self::MAX_SCALE) {
            return Err(MoneyParseError::TooManyDecimals);
        }
        let mut value: i64 = 0;
        for c in int.chars().chain(frac.chars()) {
            let digit = c
                .to_digit(10)
                .ok_or(MoneyParseError::UnexpectedCharacter(c))?;
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(digit)))
                .ok_or(MoneyParseError::TooLarge)?;
        }
        let value = if negative { -value } else { value };
        Ok(Decimal::new(value, frac.len() as u8))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.value < 0 { "-" } else { "" };
        let abs = self.value.unsigned_abs();
        if self.scale == 0 {
            return write!(f, "{sign}{abs}");
        }
        let unit = 10u64.pow(u32::from(self.scale));
        let width = usize::from(self.scale);
        write!(f, "{sign}{}.{:0width$}", abs / unit, abs % unit)
    }
}

/// Serializes as its text, `"54.3"`, so no digit is lost in JSON.
impl Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Reads the text `"54.3"` (or `"54,3"`) or a JSON integer.
impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DecimalVisitor;
        impl serde::de::Visitor<'_> for DecimalVisitor {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number as text, such as \"54.3\", or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal::new(v, 0))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
                i64::try_from(v)
                    .map(|v| Decimal::new(v, 0))
                    .map_err(|_| E::custom("the number is too large"))
            }
        }
        deserializer.deserialize_any(DecimalVisitor)
    }
}

/// Why typed money could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyParseError {
    /// Nothing was typed.
    Empty,
    /// A character that is not a digit, a space, `,`, `.`, `-` or `₽`.
    UnexpectedCharacter(char),
    /// Both `,` and `.` or more than one of them, e.g. `1.234,56`.
    SeveralDecimalSeparators,
    /// `,50`: no digit before the decimal separator.
    MissingWholePart,
    /// `12,`: no digit after the decimal separator.
    MissingDecimals,
    /// More than two digits after the separator, e.g. `1,234` (kopecks have two).
    TooManyDecimals,
    /// Digit groups that are not `1 234 567`: the first of 1–3 digits, then groups of three.
    BadGrouping,
    /// Beyond ±92 233 720 368 547 758,07 ₽.
    TooLarge,
}

impl MoneyParseError {
    /// The explanation for a person, in the call's locale.
    pub fn localized(self) -> String {
        let ru = match self {
            Self::Empty => "Введите сумму".to_owned(),
            Self::UnexpectedCharacter(c) => {
                format!("Сумма может содержать только цифры, пробелы и запятую, а не «{c}»")
            }
            Self::SeveralDecimalSeparators => "В сумме больше одной запятой или точки".to_owned(),
            Self::MissingWholePart => "Перед запятой нужны рубли, например 0,50".to_owned(),
            Self::MissingDecimals => "После запятой нужны копейки, например 12,50".to_owned(),
            Self::TooManyDecimals => "Копеек может быть не больше двух цифр".to_owned(),
            Self::BadGrouping => "Разряды разделяются по три цифры: 1 234 567,89".to_owned(),
            Self::TooLarge => "Слишком большая сумма".to_owned(),
        };
        if crate::ctx::is_english() {
            self.to_string()
        } else {
            ru
        }
    }
}

impl fmt::Display for MoneyParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("enter an amount"),
            Self::UnexpectedCharacter(c) => write!(
                f,
                "an amount may contain only digits, spaces and one decimal separator, not `{c}`"
            ),
            Self::SeveralDecimalSeparators => {
                f.write_str("the amount has more than one decimal separator")
            }
            Self::MissingWholePart => f.write_str("put roubles before the separator, e.g. 0.50"),
            Self::MissingDecimals => f.write_str("put kopecks after the separator, e.g. 12.50"),
            Self::TooManyDecimals => f.write_str("kopecks have at most two digits"),
            Self::BadGrouping => f.write_str("group digits by three: 1 234 567.89"),
            Self::TooLarge => f.write_str("the amount is too large"),
        }
    }
}

impl std::error::Error for MoneyParseError {}

fn is_group_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{00A0}' | '\u{202F}' | '\u{2009}')
}

fn split_sign(s: &str) -> (bool, &str) {
    if let Some(rest) = s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
        (true, rest.trim_start())
    } else {
        (false, s)
    }
}

/// Splits at the one `,` or `.`; `(whole, Some(decimals))` or `(whole, None)`.
fn split_decimal(s: &str) -> Result<(&str, Option<&str>), MoneyParseError> {
    let mut separators = s.match_indices([',', '.']);
    match (separators.next(), separators.next()) {
        (None, _) => Ok((s, None)),
        (Some(_), Some(_)) => Err(MoneyParseError::SeveralDecimalSeparators),
        (Some((at, _)), None) => {
            let decimals = &s[at + 1..];
            if decimals.is_empty() {
                return Err(MoneyParseError::MissingDecimals);
            }
            Ok((&s[..at], Some(decimals)))
        }
    }
}

/// The whole roubles with optional grouping: `1234`, `1 234`, `12 345 678`.
fn parse_whole(s: &str) -> Result<i64, MoneyParseError> {
    if s.is_empty() {
        return Err(MoneyParseError::MissingWholePart);
    }
    let groups: Vec<&str> = s.split(is_group_separator).collect();
    let mut rubles: i64 = 0;
    for (i, group) in groups.iter().enumerate() {
        if let Some(c) = group.chars().find(|c| !c.is_ascii_digit()) {
            return Err(MoneyParseError::UnexpectedCharacter(c));
        }
        let well_grouped = match (groups.len(), i) {
            (1, _) => !group.is_empty(),
            (_, 0) => (1..=3).contains(&group.len()),
            _ => group.len() == 3,
        };
        if !well_grouped {
            return Err(MoneyParseError::BadGrouping);
        }
        for digit in group.bytes() {
            rubles = rubles
                .checked_mul(10)
                .and_then(|r| r.checked_add(i64::from(digit - b'0')))
                .ok_or(MoneyParseError::TooLarge)?;
        }
    }
    Ok(rubles)
}

/// Parses an amount in roubles as people type it; see the [module docs](self).
impl FromStr for Kopecks {
    type Err = MoneyParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        let s = s.strip_suffix('₽').map_or(s, str::trim_end);
        if s.is_empty() {
            return Err(MoneyParseError::Empty);
        }
        let (negative, s) = split_sign(s);
        if s.is_empty() {
            return Err(MoneyParseError::Empty);
        }
        let (whole, decimals) = split_decimal(s)?;
        let rubles = parse_whole(whole)?;
        let kopecks = match decimals {
            None => 0,
            Some(d) if d.len() > 2 => return Err(MoneyParseError::TooManyDecimals),
            Some(d) => {
                if let Some(c) = d.chars().find(|c| !c.is_ascii_digit()) {
                    return Err(MoneyParseError::UnexpectedCharacter(c));
                }
                let value: i64 = d.parse().map_err(|_| MoneyParseError::TooLarge)?;
                if d.len() == 1 { value * 10 } else { value }
            }
        };
        let total = rubles
            .checked_mul(100)
            .and_then(|r| r.checked_add(kopecks))
            .ok_or(MoneyParseError::TooLarge)?;
        Ok(Kopecks(if negative { -total } else { total }))
    }
}

/// `1 234,56 ₽` with no-break spaces ([`GROUP_SEPARATOR`]).
impl fmt::Display for Kopecks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let digits = (abs / 100).to_string();
        let mut grouped = String::with_capacity(digits.len() * 2);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(GROUP_SEPARATOR);
            }
            grouped.push(digit);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{grouped},{:02}{GROUP_SEPARATOR}₽", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Kopecks, MoneyParseError> {
        s.parse()
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(parse("1234"), Ok(Kopecks(123_400)));
        assert_eq!(parse("1234.5"), Ok(Kopecks(123_450)));
        assert_eq!(parse("1234,56"), Ok(Kopecks(123_456)));
        assert_eq!(parse("1 234,56"), Ok(Kopecks(123_456)));
        assert_eq!(parse("1\u{00A0}234,56"), Ok(Kopecks(123_456)));
        assert_eq!(parse("1\u{202F}234\u{202F}567,8"), Ok(Kopecks(123_456_780)));
        assert_eq!(parse("  12,05 ₽ "), Ok(Kopecks(1205)));
        assert_eq!(parse("0,5"), Ok(Kopecks(50)));
        assert_eq!(parse("-15,00"), Ok(Kopecks(-1500)));
        assert_eq!(parse("− 7"), Ok(Kopecks(-700)));
        assert_eq!(parse("007"), Ok(Kopecks(700)));
    }

    #[test]
    fn rejects_ambiguous_or_broken_input_clearly() {
        assert_eq!(parse(""), Err(MoneyParseError::Empty));
        assert_eq!(parse("  ₽"), Err(MoneyParseError::Empty));
        assert_eq!(parse("1,234"), Err(MoneyParseError::TooManyDecimals));
        assert_eq!(
            parse("1.234,56"),
            Err(MoneyParseError::SeveralDecimalSeparators)
        );
        assert_eq!(parse(",50"), Err(MoneyParseError::MissingWholePart));
        assert_eq!(parse("12,"), Err(MoneyParseError::MissingDecimals));
        assert_eq!(parse("12 34"), Err(MoneyParseError::BadGrouping));
        assert_eq!(parse("1  234"), Err(MoneyParseError::BadGrouping));
        assert_eq!(parse("1234 567"), Err(MoneyParseError::BadGrouping));
        assert_eq!(parse("12a"), Err(MoneyParseError::UnexpectedCharacter('a')));
        assert_eq!(parse("1e5"), Err(MoneyParseError::UnexpectedCharacter('e')));
        assert_eq!(parse("+5"), Err(MoneyParseError::UnexpectedCharacter('+')));
        assert_eq!(
            parse("1,5x"),
            Err(MoneyParseError::UnexpectedCharacter('x'))
        );
        assert_eq!(
            parse("92233720368547758,08"),
            Err(MoneyParseError::TooLarge)
        );
        assert_eq!(parse("92 233 720 368 547 758,07"), Ok(Kopecks(i64::MAX)));
    }

    #[test]
    fn parse_field_blames_the_field() {
        let e = Kopecks::parse_field("amount", "abc").unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::Invalid);
        assert_eq!(e.field.as_deref(), Some("amount"));
        assert!(!e.message.is_empty());
    }

    #[test]
    fn displays_with_groups_and_the_rouble_sign() {
        let nb = GROUP_SEPARATOR;
        assert_eq!(Kopecks(123_456).to_string(), format!("1{nb}234,56{nb}₽"));
        assert_eq!(Kopecks(5).to_string(), format!("0,05{nb}₽"));
        assert_eq!(Kopecks(-100_000).to_string(), format!("-1{nb}000,00{nb}₽"));
        assert_eq!(Kopecks(99_900).to_string(), format!("999,00{nb}₽"));
        assert_eq!(
            Kopecks(i64::MIN).to_string(),
            format!("-92{nb}233{nb}720{nb}368{nb}547{nb}758,08{nb}₽")
        );
        // What is displayed parses back.
        for k in [0, 1, -1, 99, 123_456_789, -98_765] {
            assert_eq!(parse(&Kopecks(k).to_string()), Ok(Kopecks(k)));
        }
    }

    #[test]
    fn rubles_and_kopecks() {
        assert_eq!(Kopecks::from_rubles_kopecks(12, 5), Some(Kopecks(1205)));
        assert_eq!(Kopecks::from_rubles_kopecks(-5, 50), Some(Kopecks(-550)));
        assert_eq!(Kopecks::from_rubles_kopecks(1, 100), None);
        assert_eq!(Kopecks::from_rubles_kopecks(i64::MAX, 0), None);
        assert_eq!(Kopecks(-550).rubles(), -5);
        assert_eq!(Kopecks(-550).kopecks_part(), 50);
    }

    #[test]
    fn checked_arithmetic() {
        assert_eq!(Kopecks(5).checked_add(Kopecks(7)), Some(Kopecks(12)));
        assert_eq!(Kopecks(5).checked_sub(Kopecks(7)), Some(Kopecks(-2)));
        assert_eq!(Kopecks(i64::MAX).checked_add(Kopecks(1)), None);
        assert_eq!(Kopecks(i64::MIN).checked_sub(Kopecks(1)), None);
        assert_eq!(
            Kopecks::checked_sum([Kopecks(1), Kopecks(2), Kopecks(3)]),
            Some(Kopecks(6))
        );
        assert_eq!(Kopecks::checked_sum([Kopecks(i64::MAX), Kopecks(1)]), None);
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_half_away_from_zero(5, 2), 3);
        assert_eq!(round_half_away_from_zero(-5, 2), -3);
        assert_eq!(round_half_away_from_zero(7, 2), 4);
        assert_eq!(round_half_away_from_zero(24_999, 10_000), 2);
        assert_eq!(round_half_away_from_zero(-24_999, 10_000), -2);
        assert_eq!(round_half_away_from_zero(1, 3), 0);
        assert_eq!(round_half_away_from_zero(2, 3), 1);
        assert_eq!(round_half_away_from_zero(-2, 3), -1);
        assert_eq!(round_half_away_from_zero(5, -2), -3);
        assert_eq!(round_half_away_from_zero(6, 3), 2);
    }

    #[test]
    fn multiplies_by_a_rate_rounding_once() {
        // 45,67 ₽ × 12.345 = 563.79615 ₽ → 563,80 ₽
        assert_eq!(
            Kopecks(4567).mul_rate(Decimal::new(12_345, 3)),
            Some(Kopecks(56_380))
        );
        // 1,00 ₽ × 0.005 = 0.5 kopeck → 1 kopeck; negative goes to −1.
        assert_eq!(Kopecks(100).mul_rate(Decimal::new(5, 3)), Some(Kopecks(1)));
        assert_eq!(
            Kopecks(-100).mul_rate(Decimal::new(5, 3)),
            Some(Kopecks(-1))
        );
        assert_eq!(Kopecks(100).mul_rate(Decimal::new(4, 3)), Some(Kopecks(0)));
        assert_eq!(Kopecks(i64::MAX).mul_rate(Decimal::new(2, 0)), None);
        assert_eq!(
            Kopecks(i64::MAX).mul_rate(Decimal::new(1, 0)),
            Some(Kopecks(i64::MAX))
        );
    }

    #[test]
    fn multiplies_by_a_ratio() {
        // 100,00 ₽ split 1/3 → 33,33 ₽; 2/3 → 66,67 ₽.
        assert_eq!(Kopecks(10_000).mul_ratio(1, 3), Some(Kopecks(3333)));
        assert_eq!(Kopecks(10_000).mul_ratio(2, 3), Some(Kopecks(6667)));
        assert_eq!(Kopecks(10_000).mul_ratio(1, 0), None);
        // 1 kopeck by area 54.3 of 108.6 m² is exactly half → 1 kopeck.
        assert_eq!(Kopecks(1).mul_ratio(5430, 10_860), Some(Kopecks(1)));
    }

    #[test]
    fn decimals_serialize_as_text() {
        let d = Decimal::new(-95, 4);
        assert_eq!(serde_json::to_string(&d).unwrap(), r#""-0.0095""#);
        assert_eq!(serde_json::from_str::<Decimal>(r#""-0.0095""#).unwrap(), d);
        assert_eq!(
            serde_json::from_str::<Decimal>(r#""54,3""#).unwrap(),
            Decimal::new(543, 1)
        );
        assert_eq!(
            serde_json::from_str::<Decimal>("12").unwrap(),
            Decimal::new(12, 0)
        );
        assert!(serde_json::from_str::<Decimal>(r#""12 m""#).is_err());
    }

    #[test]
    fn decimals_parse_and_display() {
        assert_eq!("54.3".parse(), Ok(Decimal::new(543, 1)));
        assert_eq!("54,30".parse(), Ok(Decimal::new(5430, 2)));
        assert_eq!("-0.0095".parse(), Ok(Decimal::new(-95, 4)));
        assert_eq!("12".parse(), Ok(Decimal::new(12, 0)));
        assert_eq!("".parse::<Decimal>(), Err(MoneyParseError::Empty));
        assert_eq!(
            ".5".parse::<Decimal>(),
            Err(MoneyParseError::MissingWholePart)
        );
        assert_eq!(Decimal::new(-95, 4).to_string(), "-0.0095");
        assert_eq!(Decimal::new(543, 1).to_string(), "54.3");
        assert_eq!(Decimal::new(7, 0).to_string(), "7");
    }

    #[test]
    fn serializes_as_a_plain_integer() {
        assert_eq!(serde_json::to_string(&Kopecks(1205)).unwrap(), "1205");
        assert_eq!(serde_json::from_str::<Kopecks>("-3").unwrap(), Kopecks(-3));
    }
}

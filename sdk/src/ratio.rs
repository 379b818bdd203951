//! Exact fractions, for rates and shares that must not be rounded before the end.
//!
//! A rate such as "1 200 000 ₽ over 70 000 m²" or a share such as "350 of 10 500 kWh" is a
//! [`Ratio`] of two `i128`s, kept reduced with a positive denominator. Arithmetic is checked
//! (`None` on overflow), comparison is exact, and the one rounding is
//! [`Ratio::round_half_away_from_zero`] — the same rule as [`Kopecks::mul_rate`] — so a
//! computation that sums exact shares and rounds once matches what a person would get on paper.
//!
//! A ratio serializes as the text `"num/den"` (`"12"` for a whole number), so no precision is
//! lost in JSON.

use core::cmp::Ordering;
use core::fmt;
use core::str::FromStr;

use crate::money::{Decimal, Kopecks, round_half_away_from_zero};

/// An exact fraction `numer / denom`, reduced, with `denom > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ratio {
    numer: i128,
    denom: i128,
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

impl Ratio {
    /// Zero.
    pub const ZERO: Ratio = Ratio { numer: 0, denom: 1 };
    /// One.
    pub const ONE: Ratio = Ratio { numer: 1, denom: 1 };

    /// `numer / denom`, reduced; None if `denom` is zero (or is `i128::MIN`).
    pub const fn new(numer: i128, denom: i128) -> Option<Ratio> {
        if denom == 0 || denom == i128::MIN || numer == i128::MIN {
            return None;
        }
        let g = gcd(numer, denom);
        let (numer, denom) = (numer / g, denom / g);
        if denom < 0 {
            Some(Ratio {
                numer: -numer,
                denom: -denom,
            })
        } else {
            Some(Ratio { numer, denom })
        }
    }

    /// A whole number.
    pub const fn from_integer(n: i64) -> Ratio {
        Ratio {
            numer: n as i128,
            denom: 1,
        }
    }

    /// An amount of money as a number of kopecks.
    pub const fn from_kopecks(amount: Kopecks) -> Ratio {
        Ratio::from_integer(amount.0)
    }

    /// A decimal number exactly: `12.345` is 2469/200.
    pub fn from_decimal(value: Decimal) -> Ratio {
        let denom = 10i128.pow(u32::from(value.scale()));
        // A decimal's denominator is a power of ten up to 10^18: never zero.
        Ratio::new(i128::from(value.value()), denom).unwrap_or(Ratio::ZERO)
    }

    /// The numerator, after reduction (its sign is the ratio's).
    pub const fn numer(self) -> i128 {
        self.numer
    }

    /// The denominator, after reduction; always positive.
    pub const fn denom(self) -> i128 {
        self.denom
    }

    /// Whether the ratio is zero.
    pub const fn is_zero(self) -> bool {
        self.numer == 0
    }

    /// Whether the ratio is below zero.
    pub const fn is_negative(self) -> bool {
        self.numer < 0
    }

    /// Whether the ratio is a whole number.
    pub const fn is_integer(self) -> bool {
        self.denom == 1
    }

    /// `self + other`, or None on overflow.
    pub fn checked_add(self, other: Ratio) -> Option<Ratio> {
        let g = gcd(self.denom, other.denom);
        let left = self.numer.checked_mul(other.denom / g)?;
        let right = other.numer.checked_mul(self.denom / g)?;
        Ratio::new(
            left.checked_add(right)?,
            self.denom.checked_mul(other.denom / g)?,
        )
    }

    /// `self - other`, or None on overflow.
    pub fn checked_sub(self, other: Ratio) -> Option<Ratio> {
        self.checked_add(other.checked_neg()?)
    }

    /// `-self`, or None on overflow.
    pub fn checked_neg(self) -> Option<Ratio> {
        Some(Ratio {
            numer: self.numer.checked_neg()?,
            denom: self.denom,
        })
    }

    /// `self × other`, or None on overflow.
    pub fn checked_mul(self, other: Ratio) -> Option<Ratio> {
        // Cross-reduce first so that products stay small.
        let g1 = gcd(self.numer, other.denom).max(1);
        let g2 = gcd(other.numer, self.denom).max(1);
        Ratio::new(
            (self.numer / g1).checked_mul(other.numer / g2)?,
            (self.denom / g2).checked_mul(other.denom / g1)?,
        )
    }

    /// `self ÷ other`; None if `other` is zero or on overflow.
    pub fn checked_div(self, other: Ratio) -> Option<Ratio> {
        if other.is_zero() {
            return None;
        }
        self.checked_mul(Ratio {
            numer: other.denom,
            denom: other.numer,
        })
        .and_then(|r| Ratio::new(r.numer, r.denom))
    }

    /// The sum of `values`, or None on overflow.
    pub fn checked_sum(values: impl IntoIterator<Item = Ratio>) -> Option<Ratio> {
        values
            .into_iter()
            .try_fold(Ratio::ZERO, |sum, r| sum.checked_add(r))
    }

    /// The nearest whole number, exact halves away from zero (5/2 → 3, −5/2 → −3).
    pub const fn round_half_away_from_zero(self) -> i128 {
        round_half_away_from_zero(self.numer, self.denom)
    }

    /// The ratio read as a number of kopecks, rounded once with
    /// [`round_half_away_from_zero`](Ratio::round_half_away_from_zero); None if it does not fit.
    pub fn round_to_kopecks(self) -> Option<Kopecks> {
        i64::try_from(self.round_half_away_from_zero())
            .ok()
            .map(Kopecks)
    }

    /// The largest whole number not above the ratio.
    pub const fn floor(self) -> i128 {
        self.numer.div_euclid(self.denom)
    }

    /// The smallest whole number not below the ratio.
    pub const fn ceil(self) -> i128 {
        let floor = self.floor();
        if floor * self.denom == self.numer {
            floor
        } else {
            floor + 1
        }
    }

    /// The ratio as a decimal text with `places` digits after the point, rounded half away
    /// from zero: 1200/1 kopecks per m² shown in roubles is `Ratio::new(12, 1)` → `"12.00"`.
    pub fn to_decimal_string(self, places: u8) -> String {
        let scale = 10i128.pow(u32::from(places.min(30)));
        let scaled = match self.numer.checked_mul(scale) {
            Some(n) => round_half_away_from_zero(n, self.denom),
            // Too large to scale: show the whole part only.
            None => return format!("{}", self.round_half_away_from_zero()),
        };
        let sign = if scaled < 0 { "-" } else { "" };
        let abs = scaled.unsigned_abs();
        if places == 0 {
            return format!("{sign}{abs}");
        }
        let scale = scale as u128;
        let width = usize::from(places);
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        match (
            self.numer.checked_mul(other.denom),
            other.numer.checked_mul(self.denom),
        ) {
            (Some(left), Some(right)) => left.cmp(&right),
            // Compare whole parts, then the fractional parts' reciprocals in reverse.
            _ => {
                let (a, b) = (self.floor(), other.floor());
                if a != b {
                    return a.cmp(&b);
                }
                let fa = self.numer - a * self.denom;
                let fb = other.numer - b * other.denom;
                match (fa == 0, fb == 0) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => {
                        let ra = Ratio::new(self.denom, fa).unwrap_or(Ratio::ZERO);
                        let rb = Ratio::new(other.denom, fb).unwrap_or(Ratio::ZERO);
                        rb.cmp(&ra)
                    }
                }
            }
        }
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `num/den`, or just `num` for a whole number.
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.denom == 1 {
            write!(f, "{}", self.numer)
        } else {
            write!(f, "{}/{}", self.numer, self.denom)
        }
    }
}

/// Why a ratio's text could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatioParseError;

impl fmt::Display for RatioParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "expected a fraction such as 3/4 or a whole number, with a non-zero denominator",
        )
    }
}

impl std::error::Error for RatioParseError {}

/// Reads `3/4`, `-7`, `12/1`.
impl FromStr for Ratio {
    type Err = RatioParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (numer, denom) = match s.trim().split_once('/') {
            Some((n, d)) => (n.trim(), d.trim()),
            None => (s.trim(), "1"),
        };
        let numer: i128 = numer.parse().map_err(|_| RatioParseError)?;
        let denom: i128 = denom.parse().map_err(|_| RatioParseError)?;
        Ratio::new(numer, denom).ok_or(RatioParseError)
    }
}

impl serde::Serialize for Ratio {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Ratio {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn reduces_and_keeps_the_denominator_positive() {
        assert_eq!(r(6, 8), r(3, 4));
        assert_eq!(r(3, -4).numer(), -3);
        assert_eq!(r(3, -4).denom(), 4);
        assert_eq!(r(0, -5), Ratio::ZERO);
        assert_eq!(Ratio::new(1, 0), None);
        assert_eq!(Ratio::from_decimal(Decimal::new(12_345, 3)), r(2469, 200));
    }

    #[test]
    fn arithmetic_is_exact() {
        // A third three times is one, not 0.99.
        let third = r(1, 3);
        let sum = Ratio::checked_sum([third, third, third]).unwrap();
        assert_eq!(sum, Ratio::ONE);
        assert_eq!(r(1, 2).checked_sub(r(1, 3)), Some(r(1, 6)));
        assert_eq!(r(2, 3).checked_mul(r(9, 4)), Some(r(3, 2)));
        assert_eq!(r(2, 3).checked_div(r(4, 9)), Some(r(3, 2)));
        assert_eq!(r(2, 3).checked_div(Ratio::ZERO), None);
        assert_eq!(r(-2, 3).checked_div(r(-4, 9)), Some(r(3, 2)));
        assert_eq!(
            Ratio::from_integer(i64::MAX).checked_mul(r(i128::MAX, 1)),
            None
        );
    }

    #[test]
    fn rounds_once_half_away_from_zero() {
        assert_eq!(r(5, 2).round_half_away_from_zero(), 3);
        assert_eq!(r(-5, 2).round_half_away_from_zero(), -3);
        assert_eq!(
            r(10_000_000, 3).round_to_kopecks(),
            Some(Kopecks(3_333_333))
        );
        assert_eq!(r(7, 2).floor(), 3);
        assert_eq!(r(-7, 2).floor(), -4);
        assert_eq!(r(7, 2).ceil(), 4);
        assert_eq!(r(6, 2).ceil(), 3);
        assert_eq!(r(-7, 2).ceil(), -3);
    }

    #[test]
    fn compares_exactly_even_when_cross_products_overflow() {
        assert!(r(1, 3) < r(334, 1000));
        assert!(r(-1, 2) < r(-1, 3));
        let big = i128::MAX / 3;
        assert!(r(big, big - 1) < r(big - 1, big - 2));
        assert!(r(big - 1, big) < r(big, big + 1));
        assert_eq!(r(big, big).cmp(&Ratio::ONE), Ordering::Equal);
    }

    #[test]
    fn shows_and_reads_as_text() {
        assert_eq!(r(12, 1).to_decimal_string(2), "12.00");
        assert_eq!(r(2, 3).to_decimal_string(4), "0.6667");
        assert_eq!(r(-1, 8).to_decimal_string(2), "-0.13");
        assert_eq!(r(7, 2).to_decimal_string(0), "4");
        assert_eq!(r(3, 4).to_string(), "3/4");
        assert_eq!("3/4".parse(), Ok(r(3, 4)));
        assert_eq!(" -7 ".parse(), Ok(Ratio::from_integer(-7)));
        assert_eq!("1/0".parse::<Ratio>(), Err(RatioParseError));
        assert_eq!("a/2".parse::<Ratio>(), Err(RatioParseError));
        let json = serde_json::to_string(&r(2, 3)).unwrap();
        assert_eq!(json, r#""2/3""#);
        assert_eq!(serde_json::from_str::<Ratio>(&json).unwrap(), r(2, 3));
    }
}

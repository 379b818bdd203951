//! The redemption code a resident's phone shows at the counter (RULES §9).
//!
//! The code changes every step (30 s by default, never more than a minute), so a screenshot is
//! useless a minute later. It is a time-based one-time code in the manner of RFC 6238: for the
//! step number `counter = ⌊now ÷ step⌋`, HMAC-SHA-256 of the coupon's id and the counter under a
//! per-coupon secret, dynamically truncated to `digits` decimal digits.
//!
//! - [`show`] gives what the phone displays: the short digits for typing, a QR payload for the
//!   staff's camera (`DVOR-COUPON:1:<coupon>:<digits>`), and when it stops being valid.
//! - [`verify`] accepts a code from the current step or `skew_steps` either side (a phone's or
//!   the till's clock a little off), compares in constant time, and refuses a step at or
//!   before the last one accepted for that coupon, so one code never redeems twice.
//! - [`check_limit`] and [`already_redeemed`] state the offer's limit and the second-use
//!   refusal naming when and where the code was used; the shell runs them inside the
//!   redemption's transaction.

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Error};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The code's shape and tolerance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CodeSettings {
    /// Seconds a code is shown; at most 60.
    pub step_seconds: u32,
    /// Digits of the typed code, 6 to 8.
    pub digits: u8,
    /// Steps either side of now that are still accepted.
    pub skew_steps: u8,
}

impl Default for CodeSettings {
    fn default() -> Self {
        Self {
            step_seconds: 30,
            digits: 6,
            skew_steps: 1,
        }
    }
}

/// The least length of a coupon's secret, bytes.
pub const MIN_SECRET_BYTES: usize = 16;

/// The start of a coupon QR payload.
pub const QR_PREFIX: &str = "DVOR-COUPON:1:";

impl CodeSettings {
    /// Checks the settings; errors name the field.
    pub fn validate(&self) -> Result<(), Error> {
        if !(1..=60).contains(&self.step_seconds) {
            return Err(Error::invalid(
                "step_seconds",
                tr(
                    "Код должен меняться не реже раза в минуту",
                    "the code must change at least every minute",
                ),
            ));
        }
        if !(6..=8).contains(&self.digits) {
            return Err(Error::invalid(
                "digits",
                tr("От 6 до 8 цифр", "6 to 8 digits"),
            ));
        }
        if self.skew_steps > 2 {
            return Err(Error::invalid(
                "skew_steps",
                tr(
                    "Не больше двух шагов расхождения часов",
                    "at most two steps of clock skew",
                ),
            ));
        }
        Ok(())
    }

    fn step_ms(&self) -> i64 {
        i64::from(self.step_seconds) * 1000
    }
}

fn check_secret(secret: &[u8]) -> Result<(), Error> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(Error::internal("a coupon secret is shorter than 16 bytes"));
    }
    Ok(())
}

/// The code of step `counter` for `coupon` under `secret`, `digits` long.
pub fn code_at(secret: &[u8], coupon: &str, counter: u64, digits: u8) -> String {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key");
    mac.update(coupon.as_bytes());
    mac.update(b"\0");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]) & 0x7fff_ffff;
    let modulus = 10u32.pow(u32::from(digits));
    format!("{:0width$}", value % modulus, width = usize::from(digits))
}

/// What the phone shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShownCode {
    /// The digits to type.
    pub digits: String,
    /// The text of the QR code.
    pub qr_payload: String,
    /// The step it belongs to.
    pub counter: u64,
    /// When the next code replaces it, ms since the epoch.
    pub changes_at: i64,
}

/// The code for `coupon` at `now` (ms since the epoch).
pub fn show(
    secret: &[u8],
    coupon: &str,
    now: i64,
    settings: &CodeSettings,
) -> Result<ShownCode, Error> {
    settings.validate()?;
    check_secret(secret)?;
    if now < 0 {
        return Err(Error::internal("time before the epoch"));
    }
    let counter = (now / settings.step_ms()) as u64;
    let digits = code_at(secret, coupon, counter, settings.digits);
    Ok(ShownCode {
        qr_payload: format!("{QR_PREFIX}{coupon}:{digits}"),
        digits,
        counter,
        changes_at: (counter as i64 + 1) * settings.step_ms(),
    })
}

/// Reads a scanned QR payload into the coupon and the digits.
pub fn parse_qr(payload: &str) -> Result<(String, String), Error> {
    let bad = || {
        Error::invalid(
            "code",
            tr("Это не QR-код купона", "this is not a coupon QR code"),
        )
    };
    let rest = payload.trim().strip_prefix(QR_PREFIX).ok_or_else(bad)?;
    let (coupon, digits) = rest.rsplit_once(':').ok_or_else(bad)?;
    if coupon.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    Ok((coupon.to_owned(), digits.to_owned()))
}

/// Why a code was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum CodeRejection {
    /// Not digits of the right length.
    Malformed,
    /// No step in the window gives this code: mistyped, or an old screenshot.
    WrongOrExpired,
    /// The code's step was already used.
    AlreadyUsed,
}

impl CodeRejection {
    /// The refusal as an error for the staff's redeem page.
    pub fn to_error(&self) -> Error {
        match self {
            Self::Malformed => Error::invalid(
                "code",
                tr(
                    "Введите цифры кода с телефона покупателя",
                    "enter the digits shown on the customer's phone",
                ),
            ),
            Self::WrongOrExpired => Error::invalid(
                "code",
                tr(
                    "Код не подходит или устарел: попросите показать код ещё раз",
                    "the code is wrong or expired: ask to see the code again",
                ),
            ),
            Self::AlreadyUsed => {
                Error::conflict(tr("Этот код уже использован", "this code was already used"))
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks `code` for `coupon` at `now`; returns the accepted step, which the shell stores as
/// the coupon's last used step in the same transaction.
pub fn verify(
    secret: &[u8],
    coupon: &str,
    code: &str,
    now: i64,
    last_used: Option<u64>,
    settings: &CodeSettings,
) -> Result<u64, CodeRejection> {
    if settings.validate().is_err() || check_secret(secret).is_err() || now < 0 {
        return Err(CodeRejection::WrongOrExpired);
    }
    let code = code.trim();
    if code.len() != usize::from(settings.digits) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeRejection::Malformed);
    }
    let current = (now / settings.step_ms()) as u64;
    let skew = u64::from(settings.skew_steps);
    let matched = (current.saturating_sub(skew)..=current + skew).find(|&counter| {
        constant_time_eq(
            code_at(secret, coupon, counter, settings.digits).as_bytes(),
            code.as_bytes(),
        )
    });
    match matched {
        None => Err(CodeRejection::WrongOrExpired),
        Some(counter) if last_used.is_some_and(|used| counter <= used) => {
            Err(CodeRejection::AlreadyUsed)
        }
        Some(counter) => Ok(counter),
    }
}

/// A redemption already recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// When, ms since the epoch.
    pub at: i64,
    /// The branch's name.
    pub branch: String,
}

/// The refusal of a second redemption, naming when (in the instance's zone, `offset_minutes`
/// ahead of UTC) and at which branch the coupon was used.
pub fn already_redeemed(first: &Redemption, offset_minutes: i32) -> Error {
    let local = first.at + i64::from(offset_minutes) * 60_000;
    // The day as the reader writes it: 01.06.2026 in Russian, 2026-06-01 in English.
    let day = Date::from_timestamp(first.at, offset_minutes)
        .map(|d| {
            if dvor_sdk::ctx::is_english() {
                d.to_string()
            } else {
                format!("{:02}.{:02}.{}", d.day(), d.month(), d.year())
            }
        })
        .unwrap_or_default();
    let minutes = local.rem_euclid(86_400_000) / 60_000;
    Error::conflict(format!(
        "{} {day} {:02}:{:02}, {} «{}»",
        tr("Купон уже использован", "the coupon was already used on"),
        minutes / 60,
        minutes % 60,
        tr("филиал", "branch"),
        first.branch
    ))
}

/// Whether one more redemption fits the offer's `limit` (none: no limit).
pub fn check_limit(redeemed: u32, limit: Option<u32>) -> Result<(), Error> {
    match limit {
        Some(limit) if redeemed >= limit => Err(Error::conflict(tr(
            "Лимит погашений по акции исчерпан",
            "the offer's redemptions are used up",
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef-coupon-secret";
    const T: i64 = 1_780_000_000_000;

    #[test]
    fn the_code_changes_every_step_and_verifies() {
        let s = CodeSettings::default();
        let shown = show(SECRET, "cpn-1", T, &s).unwrap();
        assert_eq!(shown.digits.len(), 6);
        assert!(shown.changes_at > T && shown.changes_at - T <= 30_000);
        assert_eq!(
            shown.qr_payload,
            format!("DVOR-COUPON:1:cpn-1:{}", shown.digits)
        );
        let next = show(SECRET, "cpn-1", shown.changes_at, &s).unwrap();
        assert_eq!(next.counter, shown.counter + 1);
        // Codes of a day's steps are not one repeated value.
        let distinct: std::collections::HashSet<String> = (0..2880)
            .map(|i| code_at(SECRET, "cpn-1", shown.counter + i, 6))
            .collect();
        assert!(distinct.len() > 2800, "{}", distinct.len());
        // Another coupon under the same secret has other codes.
        assert_ne!(show(SECRET, "cpn-2", T, &s).unwrap().digits, shown.digits);
        assert_eq!(
            verify(SECRET, "cpn-1", &shown.digits, T, None, &s),
            Ok(shown.counter)
        );
    }

    #[test]
    fn a_little_clock_skew_is_accepted_a_screenshot_is_not() {
        let s = CodeSettings::default();
        let shown = show(SECRET, "cpn-1", T, &s).unwrap();
        // The till's clock is one step ahead, or one behind.
        assert!(verify(SECRET, "cpn-1", &shown.digits, T + 30_000, None, &s).is_ok());
        assert!(verify(SECRET, "cpn-1", &shown.digits, T - 30_000, None, &s).is_ok());
        // A screenshot two minutes later.
        assert_eq!(
            verify(SECRET, "cpn-1", &shown.digits, T + 120_000, None, &s),
            Err(CodeRejection::WrongOrExpired)
        );
        assert_eq!(
            verify(SECRET, "cpn-2", &shown.digits, T, None, &s),
            Err(CodeRejection::WrongOrExpired)
        );
        assert_eq!(
            verify(SECRET, "cpn-1", "12345", T, None, &s),
            Err(CodeRejection::Malformed)
        );
        assert_eq!(
            verify(SECRET, "cpn-1", "12a456", T, None, &s),
            Err(CodeRejection::Malformed)
        );
    }

    #[test]
    fn a_code_is_never_accepted_twice() {
        let s = CodeSettings::default();
        let shown = show(SECRET, "cpn-1", T, &s).unwrap();
        let used = verify(SECRET, "cpn-1", &shown.digits, T, None, &s).unwrap();
        assert_eq!(
            verify(SECRET, "cpn-1", &shown.digits, T + 1_000, Some(used), &s),
            Err(CodeRejection::AlreadyUsed)
        );
        // An older step after a newer one was used is refused too.
        let older = show(SECRET, "cpn-1", T - 30_000, &s).unwrap();
        assert_eq!(
            verify(SECRET, "cpn-1", &older.digits, T, Some(used), &s),
            Err(CodeRejection::AlreadyUsed)
        );
        let err = CodeRejection::AlreadyUsed.to_error();
        assert_eq!(err.code, dvor_sdk::ErrorCode::Conflict);
    }

    #[test]
    fn the_qr_payload_reads_back() {
        let shown = show(SECRET, "cpn:42", T, &CodeSettings::default()).unwrap();
        assert_eq!(
            parse_qr(&shown.qr_payload).unwrap(),
            ("cpn:42".to_string(), shown.digits)
        );
        assert_eq!(
            parse_qr("https://example.org")
                .unwrap_err()
                .field
                .as_deref(),
            Some("code")
        );
        assert!(parse_qr("DVOR-COUPON:1::123456").is_err());
    }

    #[test]
    fn settings_keep_the_code_short_lived() {
        let slow = CodeSettings {
            step_seconds: 61,
            ..CodeSettings::default()
        };
        assert_eq!(
            slow.validate().unwrap_err().field.as_deref(),
            Some("step_seconds")
        );
        let long = CodeSettings {
            digits: 9,
            ..CodeSettings::default()
        };
        assert_eq!(
            long.validate().unwrap_err().field.as_deref(),
            Some("digits")
        );
        assert!(show(b"short", "c", T, &CodeSettings::default()).is_err());
        let eight = CodeSettings {
            digits: 8,
            step_seconds: 60,
            skew_steps: 0,
        };
        let shown = show(SECRET, "c", T, &eight).unwrap();
        assert_eq!(shown.digits.len(), 8);
        assert!(verify(SECRET, "c", &shown.digits, T + 60_000, None, &eight).is_err());
    }

    #[test]
    fn a_second_redemption_names_when_and_where() {
        // 2026-06-01 14:05 Moscow time is 11:05 UTC.
        let at = "2026-06-01".parse::<Date>().unwrap().start_timestamp(0) + (11 * 60 + 5) * 60_000;
        let err = already_redeemed(
            &Redemption {
                at,
                branch: "Пекарня на Садовой".into(),
            },
            180,
        );
        assert_eq!(err.code, dvor_sdk::ErrorCode::Conflict);
        assert_eq!(
            err.message,
            "Купон уже использован 01.06.2026 14:05, филиал «Пекарня на Садовой»"
        );
    }

    #[test]
    fn the_limit_is_never_exceeded() {
        assert!(check_limit(19, Some(20)).is_ok());
        assert!(check_limit(20, Some(20)).is_err());
        assert!(check_limit(1_000, None).is_ok());
    }
}

//! Numbers, money and dates for the locale.

use chrono::{DateTime, FixedOffset, Utc};

use super::Strings;

/// The Russian thousands separator: a no-break space, the one the plugin SDK's `Kopecks` writes
/// (`dvor_sdk::money::GROUP_SEPARATOR`), so the host's pages and a plugin's tiles and pages
/// write the same amount the same way.
const RU_GROUP: char = '\u{A0}';

/// Groups the digits of a non-negative integer written in ASCII digits.
fn group(digits: &str, en: bool) -> String {
    let sep = if en { ',' } else { RU_GROUP };
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// An integer with thousands separators: `1 234 567` (ru, no-break spaces) or `1,234,567`.
pub fn format_integer(value: i64, locale: &str) -> String {
    format_decimal(value, 0, locale)
}

/// `value × 10^-scale` with thousands separators and the locale's decimal mark, all the digits
/// after the mark kept: `format_decimal(543, 1, "ru")` is `54,3`.
pub fn format_decimal(value: i64, scale: u8, locale: &str) -> String {
    let en = Strings::of(locale).is_en();
    let digits = value.unsigned_abs().to_string();
    let scale = usize::from(scale);
    let padded = if digits.len() <= scale {
        format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    let mut out = String::new();
    if value < 0 {
        out.push('-');
    }
    out.push_str(&group(int, en));
    if !frac.is_empty() {
        out.push(if en { '.' } else { ',' });
        out.push_str(frac);
    }
    out
}

/// Money from kopecks: `1 234,56 ₽` (ru) or `1,234.56 ₽` (en); a no-break space before the sign.
pub fn format_money(kopecks: i64, locale: &str) -> String {
    let mut s = format_decimal(kopecks, 2, locale);
    s.push_str("\u{A0}₽");
    s
}

/// A float for chart axes and tooltips: up to two digits after the mark, trailing zeros dropped.
pub(crate) fn format_float(value: f64, locale: &str) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    let hundredths = (value * 100.0).round();
    if hundredths.abs() >= 9.0e18 {
        return format!("{value:e}");
    }
    // The cast is exact: the value is an integer within i64's range.
    #[allow(clippy::cast_possible_truncation)]
    let h = hundredths as i64;
    if h % 100 == 0 {
        format_integer(h / 100, locale)
    } else if h % 10 == 0 {
        format_decimal(h / 10, 1, locale)
    } else {
        format_decimal(h, 2, locale)
    }
}

/// The moment in local time, or none when out of range.
fn local(ms: i64, utc_offset_minutes: i32) -> Option<DateTime<FixedOffset>> {
    let offset = FixedOffset::east_opt(utc_offset_minutes.clamp(-1439, 1439) * 60)?;
    let utc: DateTime<Utc> = DateTime::from_timestamp_millis(ms)?;
    Some(utc.with_timezone(&offset))
}

/// A date: `23.11.2026` (ru) or `2026-11-23` (en).
pub fn format_date(ms: i64, utc_offset_minutes: i32, locale: &str) -> String {
    match local(ms, utc_offset_minutes) {
        Some(t) if Strings::of(locale).is_en() => t.format("%Y-%m-%d").to_string(),
        Some(t) => t.format("%d.%m.%Y").to_string(),
        None => "—".to_owned(),
    }
}

/// A calendar day, as [`format_date`] writes one.
pub fn format_day(day: crate::runtime::latest::dvor::plugin::types::Date, locale: &str) -> String {
    if Strings::of(locale).is_en() {
        format!("{:04}-{:02}-{:02}", day.year, day.month, day.day)
    } else {
        format!("{:02}.{:02}.{:04}", day.day, day.month, day.year)
    }
}

/// A date and time: `23.11.2026 14:05` (ru) or `2026-11-23 14:05` (en).
pub fn format_datetime(ms: i64, utc_offset_minutes: i32, locale: &str) -> String {
    match local(ms, utc_offset_minutes) {
        Some(t) if Strings::of(locale).is_en() => t.format("%Y-%m-%d %H:%M").to_string(),
        Some(t) => t.format("%d.%m.%Y %H:%M").to_string(),
        None => "—".to_owned(),
    }
}

/// The machine-readable value of a `<time datetime>`: `2026-11-23` or `2026-11-23T14:05+03:00`.
pub(crate) fn iso(ms: i64, utc_offset_minutes: i32, with_time: bool) -> Option<String> {
    let t = local(ms, utc_offset_minutes)?;
    Some(if with_time {
        t.format("%Y-%m-%dT%H:%M%:z").to_string()
    } else {
        t.format("%Y-%m-%d").to_string()
    })
}

/// Kopecks for a money input's value: `1234.56` / `1234,56`, no grouping, so it can be edited.
pub(crate) fn money_input_value(kopecks: i64, locale: &str) -> String {
    let en = Strings::of(locale).is_en();
    let s = format!(
        "{}.{:02}",
        kopecks.unsigned_abs() / 100,
        kopecks.unsigned_abs() % 100
    );
    let s = if en { s } else { s.replace('.', ",") };
    if kopecks < 0 { format!("-{s}") } else { s }
}

/// Parses money typed by a person (`1 234,56`, `-5`, `1234.5 ₽`) into kopecks.
pub(crate) fn parse_money(text: &str) -> Option<i64> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{202F}' | '\u{A0}' | '₽' | '\''))
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
    let cleaned = cleaned
        .strip_suffix("руб.")
        .or(cleaned.strip_suffix("р."))
        .unwrap_or(&cleaned);
    let (negative, rest) = match cleaned.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, cleaned.strip_prefix('+').unwrap_or(cleaned)),
    };
    let (int, frac) = match rest.find(['.', ',']) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 2 || (rest.contains(['.', ',']) && frac.is_empty()) {
        return None;
    }
    let roubles: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let kop: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let total = roubles.checked_mul(100)?.checked_add(kop)?;
    Some(if negative { -total } else { total })
}

/// Parses a decimal typed by a person (`12,5`, `-3`) with at most `scale` digits after the mark,
/// into the canonical `12.5` form.
pub(crate) fn parse_decimal(text: &str, scale: u8) -> Option<String> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{202F}' | '\u{A0}'))
        .map(|c| match c {
            '\u{2212}' => '-',
            ',' => '.',
            c => c,
        })
        .collect();
    let (negative, rest) = match cleaned.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, cleaned.as_str()),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= usize::from(scale)
        && !(rest.contains('.') && frac.is_empty());
    if !ok {
        return None;
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = String::new();
    if negative && (int != "0" || frac.bytes().any(|b| b != b'0')) {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

//! How the plugin shows its values: as cells the host formats for the person's locale (dates,
//! decimals with a comma in Russian), and — where a value sits inside a sentence — as text in
//! the same formats the host uses (`15.12.2026` / `2026-12-15`, `5,5` / `5.5`).

use dvor_sdk::prelude::*;

use crate::model::Decimal;

/// A calendar day as a cell: the host writes it `15.12.2026` in Russian, `2026-12-15` in
/// English.
pub fn date_cell(day: Date) -> Cell {
    match ctx::utc_offset_minutes() {
        Ok(offset) => Cell::date(day.start_timestamp(offset)),
        Err(_) => Cell::from(date_text(day)),
    }
}

/// A calendar day inside a sentence, as the host writes date cells.
pub fn date_text(day: Date) -> String {
    if ctx::is_english() {
        day.to_string()
    } else {
        format!("{:02}.{:02}.{}", day.day(), day.month(), day.year())
    }
}

/// An instant (ms) inside a sentence, in the instance's time zone: `03.12.2026 14:05`
/// (ru) or `2026-12-03 14:05` (en).
pub fn date_time_text(timestamp: i64) -> String {
    let offset = ctx::utc_offset_minutes().unwrap_or(0);
    let Some(day) = Date::from_timestamp(timestamp, offset) else {
        return String::new();
    };
    let minutes = (timestamp + i64::from(offset) * 60_000).rem_euclid(86_400_000) / 60_000;
    format!("{} {:02}:{:02}", date_text(day), minutes / 60, minutes % 60)
}

/// A decimal without its trailing zeros: `5.500` is `5.5`, `112.000` is `112`.
pub fn trimmed(value: Decimal) -> Decimal {
    let (mut v, mut scale) = (value.value(), value.scale());
    while scale > 0 && v % 10 == 0 {
        v /= 10;
        scale -= 1;
    }
    Decimal::new(v, scale)
}

/// A volume or reading in thousandths as a cell: `5,5`, `112`, `8 450,25`.
pub fn volume_cell(thousandths: i64) -> Cell {
    Cell::from(trimmed(Decimal::new(thousandths, 3)))
}

/// A volume or reading in thousandths inside a sentence: `5,5` (ru), `5.5` (en), no grouping.
pub fn volume_text(thousandths: i64) -> String {
    decimal_text(trimmed(Decimal::new(thousandths, 3)))
}

/// A decimal inside a sentence with the locale's mark.
pub fn decimal_text(value: Decimal) -> String {
    let text = value.to_string();
    if ctx::is_english() {
        text
    } else {
        text.replace('.', ",")
    }
}

/// A decimal given as text (`"45.00"`, a tariff) as a cell; text that is not a decimal stays
/// as it is.
pub fn decimal_cell(text: &str) -> Cell {
    match text.parse::<Decimal>() {
        Ok(d) => Cell::from(d),
        Err(_) => Cell::from(text.to_owned()),
    }
}

/// Money inside a sentence: `1 234,56 ₽` (ru, no-break spaces) or `1,234.56 ₽` (en).
pub fn money_text(amount: Kopecks) -> String {
    if !ctx::is_english() {
        return amount.to_string();
    }
    let abs = amount.0.unsigned_abs();
    let digits = (abs / 100).to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if amount.0 < 0 { "-" } else { "" };
    format!("{sign}{grouped}.{:02}\u{a0}₽", abs % 100)
}

/// A count inside a sentence: `100 000` (ru, a no-break space between thousands) or `100,000`
/// (en).
pub fn count_text(count: u64) -> String {
    let digits = count.to_string();
    let mark = if ctx::is_english() { ',' } else { '\u{a0}' };
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(mark);
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_volumes_in_russian() {
        // Native tests answer in Russian.
        assert_eq!(date_text("2026-12-05".parse().unwrap()), "05.12.2026");
        assert_eq!(volume_text(5_500), "5,5");
        assert_eq!(volume_text(112_000), "112");
        assert_eq!(volume_text(1_250), "1,25");
        assert_eq!(trimmed(Decimal::new(4_500, 3)), Decimal::new(45, 1));
        assert_eq!(money_text(Kopecks(123_456)), "1\u{a0}234,56\u{a0}₽");
        assert_eq!(decimal_text("9.5".parse().unwrap()), "9,5");
        assert_eq!(count_text(100_000), "100\u{a0}000");
        assert_eq!(count_text(999), "999");
        assert_eq!(count_text(1_000), "1\u{a0}000");
    }
}

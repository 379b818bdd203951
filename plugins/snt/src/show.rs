//! How values read inside sentences, in the formats the host uses for cells: `15.12.2026` in
//! Russian and `2026-12-15` in English; areas in m² with a comma.

use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, Ratio};

/// A day inside a sentence, in the call's locale.
pub fn date_text(day: Date) -> String {
    if ctx::is_english() {
        day.to_string()
    } else {
        date_text_ru(day)
    }
}

/// A day as Russian text, `15.12.2026`, whatever the call's locale (notices to a person).
pub fn date_text_ru(day: Date) -> String {
    format!("{:02}.{:02}.{}", day.day(), day.month(), day.year())
}

/// Hundredths of m² as a cell: `600`, `612,5`.
pub fn area_cell(centi_m2: u64) -> Cell {
    Cell::from(trimmed(Decimal::new(
        i64::try_from(centi_m2).unwrap_or(i64::MAX),
        2,
    )))
}

/// Hundredths of m² inside a sentence: `612,5 м²`.
pub fn area_text(centi_m2: u64) -> String {
    format!(
        "{} {}",
        decimal_text(trimmed(Decimal::new(
            i64::try_from(centi_m2).unwrap_or(i64::MAX),
            2
        ))),
        tr("м²", "m²")
    )
}

/// A decimal without its trailing zeros.
pub fn trimmed(value: Decimal) -> Decimal {
    let (mut v, mut scale) = (value.value(), value.scale());
    while scale > 0 && v % 10 == 0 {
        v /= 10;
        scale -= 1;
    }
    Decimal::new(v, scale)
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

/// An exact value as a cell with `places` decimals, trailing zeros dropped.
pub fn ratio_cell(value: Ratio, places: u8) -> Cell {
    match value.to_decimal_string(places).parse::<Decimal>() {
        Ok(d) => Cell::from(trimmed(d)),
        Err(_) => Cell::from(value.to_decimal_string(places)),
    }
}

/// A decimal given as text (`"390.000"`) as a cell, trailing zeros dropped.
pub fn decimal_cell(text: &str) -> Cell {
    match text.parse::<Decimal>() {
        Ok(d) => Cell::from(trimmed(d)),
        Err(_) => Cell::from(text.to_owned()),
    }
}

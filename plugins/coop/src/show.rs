//! How values read inside sentences (the host formats cells itself): days as the host writes
//! date cells, decimals with the locale's mark, quantities with their unit, and the web path of
//! a page for notifications.

use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, Ratio};

/// A calendar day as a cell.
pub fn day_cell(day: Date) -> Cell {
    Cell::day(day)
}

/// A calendar day inside a sentence: `15.12.2026` (ru), `2026-12-15` (en).
pub fn day_text(day: Date) -> String {
    if ctx::is_english() {
        day.to_string()
    } else {
        format!("{:02}.{:02}.{}", day.day(), day.month(), day.year())
    }
}

/// A decimal inside a sentence, without trailing zeros and with the locale's mark.
pub fn decimal_text(value: Decimal) -> String {
    let (mut v, mut scale) = (value.value(), value.scale());
    while scale > 0 && v % 10 == 0 {
        v /= 10;
        scale -= 1;
    }
    let text = Decimal::new(v, scale).to_string();
    if ctx::is_english() {
        text
    } else {
        text.replace('.', ",")
    }
}

/// Money inside a sentence: `1 234,50 ₽`.
pub fn money_text(amount: Kopecks) -> String {
    amount.to_string()
}

/// `count unit`: `6 шт`.
pub fn units_text(count: u64, unit: &str) -> String {
    format!("{count} {unit}")
}

/// The web path of plugin page `route` in `community`, for a notification's link.
pub fn page_path(community: &str, route: &str) -> String {
    if route.is_empty() {
        format!("/c/{community}/p/coop")
    } else {
        format!("/c/{community}/p/coop/{route}")
    }
}

/// `amount × quantity`, rounded once.
pub fn amount_of(price: Kopecks, quantity: Decimal) -> Option<Kopecks> {
    Ratio::from_kopecks(price)
        .checked_mul(Ratio::from_decimal(quantity))
        .and_then(Ratio::round_to_kopecks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_russian() {
        assert_eq!(day_text("2026-06-05".parse().unwrap()), "05.06.2026");
        assert_eq!(decimal_text(Decimal::new(1_500, 3)), "1,5");
        assert_eq!(decimal_text(Decimal::new(2, 0)), "2");
        assert_eq!(
            amount_of(Kopecks(25_000), Decimal::new(15, 1)),
            Some(Kopecks(37_500))
        );
        assert_eq!(page_path("snt", "purchase/1"), "/c/snt/p/coop/purchase/1");
    }
}

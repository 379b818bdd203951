//! Reading people's input, with errors that name the field, and writing dates and times in
//! sentences the way people read them (tables get typed cells the host formats).

use dvor_sdk::prelude::*;

use crate::geo::GeoPoint;

/// `text` trimmed: required, at most `max` characters.
pub fn required(field: &str, text: Option<&str>, max: usize) -> Result<String> {
    let text = text.unwrap_or_default().trim();
    if text.is_empty() {
        return Err(Error::invalid(
            field,
            tr("Заполните это поле", "this field is required"),
        ));
    }
    limited(field, text, max)
}

/// `text` trimmed, none when blank; at most `max` characters.
pub fn optional(field: &str, text: Option<&str>, max: usize) -> Result<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => limited(field, text, max).map(Some),
    }
}

fn limited(field: &str, text: &str, max: usize) -> Result<String> {
    let chars = text.chars().count();
    if chars > max {
        return Err(Error::invalid(
            field,
            format!(
                "{} {max} {} ({chars})",
                tr("Не больше", "at most"),
                tr("символов", "characters")
            ),
        ));
    }
    Ok(text.to_owned())
}

/// A phone number as people type it (`+7 900 123-45-67`, `8 (900) 123 45 67`): 10 to 15
/// digits; kept as typed. None when blank.
pub fn phone(field: &str, text: Option<&str>) -> Result<Option<String>> {
    let Some(text) = optional(field, text, 30)? else {
        return Ok(None);
    };
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
    if !allowed || !(10..=15).contains(&digits) {
        return Err(Error::invalid(
            field,
            tr(
                "Введите номер телефона: 10–15 цифр, например +7 900 123-45-67",
                "enter a phone number: 10 to 15 digits, e.g. +7 900 123-45-67",
            ),
        ));
    }
    Ok(Some(text))
}

/// A point `lat,lon` from a location field.
pub fn point(field: &str, text: Option<&str>) -> Result<GeoPoint> {
    let text = text.unwrap_or_default().trim();
    if text.is_empty() {
        return Err(Error::invalid(
            field,
            tr("Отметьте место на карте", "mark the place on the map"),
        ));
    }
    let parsed = text
        .split_once(',')
        .and_then(|(lat, lon)| Some((lat.trim().parse().ok()?, lon.trim().parse().ok()?)));
    let Some((lat, lon)) = parsed else {
        return Err(Error::invalid(
            field,
            tr(
                "Нужны широта и долгота через запятую",
                "latitude and longitude, separated by a comma",
            ),
        ));
    };
    GeoPoint::new(lat, lon).map_err(|e| e.with_field(field))
}

/// A whole number in `range`, none when blank.
pub fn number(
    field: &str,
    text: Option<&str>,
    range: core::ops::RangeInclusive<u32>,
) -> Result<Option<u32>> {
    let text = text.unwrap_or_default().trim().replace([' ', '\u{a0}'], "");
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(Error::invalid(
            field,
            format!(
                "{} {} {} {}",
                tr("Целое число от", "a whole number from"),
                range.start(),
                tr("до", "to"),
                range.end()
            ),
        )),
    }
}

/// A day as people read it in a sentence: `15.12.2026` (English: `2026-12-15`).
pub fn date_text(day: Date) -> String {
    if ctx::is_english() {
        day.to_string()
    } else {
        format!("{:02}.{:02}.{}", day.day(), day.month(), day.year())
    }
}

/// The local time of day of `at`: `14:05`, with seconds when asked: `14:05:30`.
pub fn time_text(at: i64, seconds: bool) -> String {
    let offset = ctx::utc_offset_minutes().unwrap_or(180);
    let local = (at + i64::from(offset) * 60_000).rem_euclid(86_400_000) / 1000;
    let (h, m, s) = (local / 3600, local / 60 % 60, local % 60);
    if seconds {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}")
    }
}

/// The local day of `at`.
pub fn day_of(at: i64) -> Date {
    let offset = ctx::utc_offset_minutes().unwrap_or(180);
    Date::from_timestamp(at, offset).unwrap_or(Date::MIN)
}

/// `15.12.2026 14:05`.
pub fn datetime_text(at: i64) -> String {
    format!("{} {}", date_text(day_of(at)), time_text(at, false))
}

/// `bytes` random bytes as hex, from the host's secure random source.
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::internal(format!("no random source: {e}")))?;
    Ok(hex::encode(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_take_what_people_type() {
        assert_eq!(
            phone("phone", Some(" +7 900 123-45-67 "))
                .unwrap()
                .as_deref(),
            Some("+7 900 123-45-67")
        );
        assert_eq!(
            phone("phone", Some("8 (900) 1234567")).unwrap().as_deref(),
            Some("8 (900) 1234567")
        );
        assert_eq!(phone("phone", Some("")).unwrap(), None);
        let err = phone("phone", Some("12-34")).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("phone"));
        assert!(phone("phone", Some("+7 900 abc")).is_err());
    }

    #[test]
    fn points_and_numbers_name_their_field() {
        let p = point("point", Some("56.0105, 37.4810")).unwrap();
        assert!((p.lat - 56.0105).abs() < 1e-9);
        assert_eq!(
            point("point", Some("")).unwrap_err().field.as_deref(),
            Some("point")
        );
        assert_eq!(
            point("point", Some("91,0")).unwrap_err().field.as_deref(),
            Some("point")
        );
        assert_eq!(
            number("limit", Some("1 000"), 1..=5000).unwrap(),
            Some(1000)
        );
        assert_eq!(number("limit", Some(""), 1..=5000).unwrap(), None);
        let err = number("limit", Some("0"), 1..=5000).unwrap_err();
        assert_eq!(err.message, "Целое число от 1 до 5000");
    }

    #[test]
    fn texts_are_trimmed_and_limited() {
        assert_eq!(required("name", Some("  Колосок "), 10).unwrap(), "Колосок");
        assert_eq!(
            required("name", Some("   "), 10)
                .unwrap_err()
                .field
                .as_deref(),
            Some("name")
        );
        let long = required("name", Some(&"я".repeat(11)), 10).unwrap_err();
        assert_eq!(long.message, "Не больше 10 символов (11)");
        assert_eq!(optional("site", Some(" "), 10).unwrap(), None);
        assert_eq!(date_text("2026-12-05".parse().unwrap()), "05.12.2026");
    }
}

//! Phone numbers: how they may be written, one normal form (`+79991234567`), the numbering
//! plan of numbers that receive sign-in codes, and a masked form for people who may not see
//! the number.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// The longest phone a request may carry, in characters.
pub const MAX_WRITTEN: usize = 32;

/// How a phone may be written in a request: spaces first, `+` once, then digits, spaces,
/// hyphens and brackets. The OpenAPI document states it; [`written_well`] checks it. The
/// no-break space (U+00A0) is in it as itself: numbers pasted from formatted text carry it.
pub const WRITTEN_PATTERN: &str = "^[ \u{a0}]*[+]?[0-9 ()\u{a0}-]*$";

/// The default plan: Russian mobile numbers, the DEF codes +7 9xx that the numbering plan
/// gives to mobile networks. Landlines (+7 3xx, 4xx, 8xx) and other countries are outside it.
pub const DEFAULT_PLAN: &[&str] = &["+7 9XX XXX-XX-XX"];

/// The OpenAPI schema of a phone field (`#[schema(schema_with = phone_schema)]`).
pub fn phone_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_WRITTEN))
        .pattern(Some(WRITTEN_PATTERN))
        .description(Some(
            "A mobile number: `+7 999 123-45-67`, `8 (999) 123-45-67`, `9991234567`. Only numbers \
             in the instance's plan (`identity.phone_plan`; Russian mobile numbers +7 9XX by \
             default) get a code; others are refused with 422.",
        ))
        .into()
}

/// Whether `text` is written as [`WRITTEN_PATTERN`] allows, and not longer than
/// [`MAX_WRITTEN`]; an empty text is not.
pub fn written_well(text: &str) -> bool {
    if text.is_empty() || text.chars().count() > MAX_WRITTEN {
        return false;
    }
    let rest = text.trim_start_matches([' ', '\u{a0}']);
    let rest = rest.strip_prefix('+').unwrap_or(rest);
    rest.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | '\u{a0}'))
}

/// Whether a normal-form phone is in `plan`: entries such as `+7 9XX XXX-XX-XX`, where `X` is
/// any digit and spaces and hyphens are for reading only.
pub fn in_plan<S: AsRef<str>>(phone: &str, plan: &[S]) -> bool {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    plan.iter().any(|entry| {
        let wanted: Vec<char> = plan_digits(entry.as_ref());
        wanted.len() == digits.len() && wanted.iter().zip(&digits).all(|(w, d)| *w == 'X' || w == d)
    })
}

/// The digits and `X`es of a plan entry.
fn plan_digits(entry: &str) -> Vec<char> {
    entry
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'X')
        .collect()
}

/// A problem with a plan entry, for the config check: `None` if it is one.
pub fn plan_entry_problem(entry: &str) -> Option<String> {
    let Some(rest) = entry.trim().strip_prefix('+') else {
        return Some(format!(
            "`{entry}` must start with `+` and the country code"
        ));
    };
    if let Some(bad) = rest
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, 'X' | ' ' | '-')))
    {
        return Some(format!(
            "`{entry}` may hold only digits, `X` for any digit, spaces and hyphens, not `{bad}`"
        ));
    }
    let digits = plan_digits(entry);
    if !(8..=15).contains(&digits.len()) {
        return Some(format!(
            "`{entry}` has {} digits; a phone number has 8 to 15",
            digits.len()
        ));
    }
    if !digits
        .first()
        .is_some_and(|c| c.is_ascii_digit() && *c != '0')
    {
        return Some(format!("`{entry}` must begin with a country code"));
    }
    None
}

/// The normal form of a phone number, or `None` if it is not one.
///
/// Russian numbers may be written `8 999 123-45-67`, `7 (999) 123 45 67` or `+7…`; other
/// countries' numbers must start with `+` and have 8 to 15 digits.
pub fn normalize(text: &str) -> Option<String> {
    let trimmed = text.trim();
    let plus = trimmed.starts_with('+');
    let mut digits = String::with_capacity(16);
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    if !plus && digits.len() == 11 && (digits.starts_with('8') || digits.starts_with('7')) {
        return Some(format!("+7{}", &digits[1..]));
    }
    if !plus && digits.len() == 10 && digits.starts_with('9') {
        return Some(format!("+7{digits}"));
    }
    if plus && digits.starts_with('7') {
        return (digits.len() == 11).then(|| format!("+{digits}"));
    }
    (plus && (8..=15).contains(&digits.len()) && !digits.starts_with('0'))
        .then(|| format!("+{digits}"))
}

/// `+7 999 123-45-67`: a normalized Russian number as people write it (others as they are).
pub fn pretty(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if !(phone.starts_with("+7") && digits.len() == 11) {
        return phone.to_owned();
    }
    let part = |a: usize, b: usize| digits[a..b].iter().collect::<String>();
    format!(
        "+7 {} {}-{}-{}",
        part(1, 4),
        part(4, 7),
        part(7, 9),
        part(9, 11)
    )
}

/// `+7 999 ***-**-67`: enough for a person to recognise their own number.
pub fn mask(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return "***".into();
    }
    let last: String = digits[digits.len() - 2..].iter().collect();
    if phone.starts_with("+7") && digits.len() == 11 {
        let code: String = digits[1..4].iter().collect();
        return format!("+7 {code} ***-**-{last}");
    }
    format!("+{}***{last}", digits[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_shown_as_people_write_it() {
        assert_eq!(pretty("+79161234567"), "+7 916 123-45-67");
        assert_eq!(pretty("+375291234567"), "+375291234567");
    }

    #[test]
    fn russian_numbers_in_every_usual_spelling_become_one() {
        for written in [
            "+79991234567",
            "+7 999 123-45-67",
            "8 (999) 123-45-67",
            "79991234567",
            "9991234567",
        ] {
            assert_eq!(
                normalize(written).as_deref(),
                Some("+79991234567"),
                "{written}"
            );
        }
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        for written in [
            "",
            "12345",
            "+7999123456",
            "+7 999 123 45 678",
            "phone",
            "+0123456789",
        ] {
            assert_eq!(normalize(written), None, "{written}");
        }
        assert_eq!(
            normalize("+375 29 123 45 67").as_deref(),
            Some("+375291234567")
        );
    }

    #[test]
    fn the_default_plan_takes_russian_mobiles_only() {
        let plan = DEFAULT_PLAN;
        assert!(in_plan("+79991234567", plan));
        assert!(in_plan("+79001234567", plan));
        for outside in [
            "+74951234567",  // a Moscow landline
            "+78123456789",  // a St Petersburg landline
            "+78001234567",  // a free-phone number
            "+77011234567",  // Kazakhstan
            "+15555550123",  // a fictional North American number
            "+9991234567",   // no such country
            "+375291234567", // Belarus, until the operator adds it
        ] {
            assert!(!in_plan(outside, plan), "{outside}");
        }
        assert!(in_plan("+375291234567", &["+375 29 XXX-XX-XX"]));
        assert_eq!(plan_entry_problem("+7 9XX XXX-XX-XX"), None);
        assert!(plan_entry_problem("7 9XX").is_some());
        assert!(plan_entry_problem("+7 9YY XXX-XX-XX").is_some());
        assert!(plan_entry_problem("+7 9XX").is_some());
    }

    #[test]
    fn a_phone_is_written_as_the_document_says() {
        for good in [
            "+7 999 123-45-67",
            " 8 (999) 123-45-67",
            "9991234567",
            "+7\u{a0}999",
        ] {
            assert!(written_well(good), "{good}");
        }
        for bad in [
            "",
            "phone",
            "+7 999 123 45 67 ext. 2",
            "7+999",
            "++7",
            &"1".repeat(33),
        ] {
            assert!(!written_well(bad), "{bad}");
        }
    }

    #[test]
    fn a_masked_number_keeps_the_operator_code_and_the_last_two_digits() {
        assert_eq!(mask("+79991234567"), "+7 999 ***-**-67");
    }
}

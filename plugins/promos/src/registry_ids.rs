//! The check digits of a business's state registration numbers (RULES §9).
//!
//! - ИНН of an organization: 10 digits; the 10th is Σ dᵢ·wᵢ mod 11 mod 10 with weights
//!   2, 4, 10, 3, 5, 9, 4, 6, 8.
//! - ИНН of a person or an individual entrepreneur: 12 digits; the 11th uses weights
//!   7, 2, 4, 10, 3, 5, 9, 4, 6, 8, the 12th weights 3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8.
//! - ОГРН: 13 digits; the last is (the first 12 as a number) mod 11 mod 10.
//! - ОГРНИП: 15 digits; the last is (the first 14 as a number) mod 13 mod 10.
//!
//! Passing the check digits only means the number is well-formed; an admin still approves the
//! business. Errors name the field and say what is wrong, so a typo is caught at the form.

use dvor_sdk::Error;
use dvor_sdk::ctx::tr;
use serde::{Deserialize, Serialize};

/// What a valid ИНН belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InnKind {
    /// 10 digits: an organization.
    Organization,
    /// 12 digits: a person or an individual entrepreneur.
    Individual,
}

/// What a valid ОГРН belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OgrnKind {
    /// 13 digits: ОГРН of an organization.
    Organization,
    /// 15 digits: ОГРНИП of an individual entrepreneur.
    Entrepreneur,
}

fn digits(field: &str, text: &str, lengths: &[usize]) -> Result<Vec<u32>, Error> {
    let text = text.trim();
    if !text.bytes().all(|b| b.is_ascii_digit()) || !lengths.contains(&text.len()) {
        let lengths = lengths
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(tr(" или ", " or "));
        return Err(Error::invalid(
            field,
            format!(
                "{} {lengths} {}",
                tr("Нужно", "expected"),
                tr("цифр", "digits")
            ),
        ));
    }
    Ok(text.bytes().map(|b| u32::from(b - b'0')).collect())
}

fn weighted(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11 % 10
}

fn bad_check(field: &str) -> Error {
    Error::invalid(
        field,
        tr(
            "Контрольная цифра не сходится: проверьте номер",
            "the check digit does not match: check the number",
        ),
    )
}

/// Checks an ИНН typed into `field`.
pub fn check_inn(field: &str, text: &str) -> Result<InnKind, Error> {
    let d = digits(field, text, &[10, 12])?;
    if d.len() == 10 {
        if weighted(&d[..9], &[2, 4, 10, 3, 5, 9, 4, 6, 8]) != d[9] {
            return Err(bad_check(field));
        }
        return Ok(InnKind::Organization);
    }
    let eleventh = weighted(&d[..10], &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
    let twelfth = weighted(&d[..11], &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
    if eleventh != d[10] || twelfth != d[11] {
        return Err(bad_check(field));
    }
    Ok(InnKind::Individual)
}

/// Checks an ОГРН (13 digits) or ОГРНИП (15 digits) typed into `field`.
pub fn check_ogrn(field: &str, text: &str) -> Result<OgrnKind, Error> {
    let d = digits(field, text, &[13, 15])?;
    let (body, check) = d.split_at(d.len() - 1);
    let modulus: u64 = if d.len() == 13 { 11 } else { 13 };
    // At most 14 digits: fits in a u64.
    let number = body
        .iter()
        .fold(0u64, |n, &digit| n * 10 + u64::from(digit));
    if (number % modulus % 10) as u32 != check[0] {
        return Err(bad_check(field));
    }
    Ok(if d.len() == 13 {
        OgrnKind::Organization
    } else {
        OgrnKind::Entrepreneur
    })
}

/// Checks that an ИНН and an ОГРН belong to the same kind of business: an organization's
/// 10-digit ИНН with an ОГРН, an entrepreneur's 12-digit ИНН with an ОГРНИП. Errors name
/// `inn`, `ogrn`, or `ogrn` for a mismatch.
pub fn check_business(inn: &str, ogrn: &str) -> Result<OgrnKind, Error> {
    let inn_kind = check_inn("inn", inn)?;
    let ogrn_kind = check_ogrn("ogrn", ogrn)?;
    match (inn_kind, ogrn_kind) {
        (InnKind::Organization, OgrnKind::Organization)
        | (InnKind::Individual, OgrnKind::Entrepreneur) => Ok(ogrn_kind),
        _ => Err(Error::invalid(
            "ogrn",
            tr(
                "У организации ИНН из 10 цифр и ОГРН из 13, у предпринимателя ИНН из 12 и ОГРНИП из 15",
                "an organization has a 10-digit ИНН and a 13-digit ОГРН, an entrepreneur a 12-digit ИНН and a 15-digit ОГРНИП",
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RULES §9: ИНН 7707083893 and 500100732259 pass; 7707083894 and 500100732258 fail;
    /// ОГРН 1027700132195 passes.
    #[test]
    fn rules_s9_cases() {
        assert_eq!(
            check_inn("inn", "7707083893").unwrap(),
            InnKind::Organization
        );
        assert_eq!(
            check_inn("inn", "500100732259").unwrap(),
            InnKind::Individual
        );
        let err = check_inn("inn", "7707083894").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("inn"));
        assert!(err.message.contains("Контрольная цифра"));
        assert!(check_inn("inn", "500100732258").is_err());
        assert_eq!(
            check_ogrn("ogrn", "1027700132195").unwrap(),
            OgrnKind::Organization
        );
    }

    #[test]
    fn ogrnip_and_single_digit_changes() {
        assert_eq!(
            check_ogrn("ogrn", "304500116000157").unwrap(),
            OgrnKind::Entrepreneur
        );
        assert!(check_ogrn("ogrn", "304500116000158").is_err());
        assert!(check_ogrn("ogrn", "1027700132196").is_err());
        // Changing any one digit of a valid ИНН breaks it.
        let inn = b"7707083893";
        for i in 0..inn.len() {
            let mut changed = inn.to_vec();
            changed[i] = if changed[i] == b'9' {
                b'0'
            } else {
                changed[i] + 1
            };
            let text = String::from_utf8(changed).unwrap();
            assert!(check_inn("inn", &text).is_err(), "{text}");
        }
    }

    #[test]
    fn malformed_numbers_name_the_field() {
        for bad in ["", "770708389", "77070838930", "77070838a3", "7707 083893"] {
            let err = check_inn("inn", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("inn"), "{bad}");
            assert!(err.message.contains("10 или 12"), "{bad}: {}", err.message);
        }
        assert_eq!(
            check_inn("inn", " 7707083893 ").unwrap(),
            InnKind::Organization
        );
        assert!(check_ogrn("ogrn", "10277001321950").is_err());
    }

    #[test]
    fn inn_and_ogrn_must_match_in_kind() {
        assert_eq!(
            check_business("7707083893", "1027700132195").unwrap(),
            OgrnKind::Organization
        );
        let err = check_business("500100732259", "1027700132195").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("ogrn"));
        assert_eq!(
            check_business("500100732259", "304500116000157").unwrap(),
            OgrnKind::Entrepreneur
        );
        assert_eq!(
            check_business("7707083894", "1027700132195")
                .unwrap_err()
                .field
                .as_deref(),
            Some("inn")
        );
    }
}

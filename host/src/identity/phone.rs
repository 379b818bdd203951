//! Phone numbers: one normal form (`+79991234567`) and a masked form for people who may not
//! see the number.

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
    fn a_masked_number_keeps_the_operator_code_and_the_last_two_digits() {
        assert_eq!(mask("+79991234567"), "+7 999 ***-**-67");
    }
}

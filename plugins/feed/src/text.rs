//! Small helpers for the texts people type and the lines the pages show.

use dvor_sdk::prelude::*;

/// At most `max` characters of `text`, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut = cut.trim_end().to_owned();
        cut.push('…');
        cut
    }
}

/// The trimmed text of `field`: refused when empty or longer than `max` characters.
pub fn required(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(
            field,
            tr("Напишите текст", "write the text"),
        ));
    }
    optional(field, text, max)
}

/// The trimmed text of `field` (may be empty): refused when longer than `max` characters.
pub fn optional(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars > max {
        return Err(Error::invalid(
            field,
            format!(
                "{} {max} {} ({chars})",
                tr("Не длиннее", "at most"),
                tr("знаков", "characters")
            ),
        ));
    }
    Ok(text.to_owned())
}

/// A count with the Russian noun form it takes: `plural(3, "комментарий", "комментария",
/// "комментариев")` is `3 комментария`; in English the second and third forms are one.
pub fn plural(n: u64, one: &str, few: &str, many: &str) -> String {
    let form = if dvor_sdk::ctx::is_english() {
        if n == 1 { one } else { many }
    } else {
        match (n % 10, n % 100) {
            (1, r) if r != 11 => one,
            (2..=4, r) if !(12..=14).contains(&r) => few,
            _ => many,
        }
    };
    format!("{n} {form}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_and_checks_texts() {
        assert_eq!(shorten("  коротко ", 60), "коротко");
        assert_eq!(shorten(&"я".repeat(70), 10), format!("{}…", "я".repeat(9)));
        assert_eq!(required("text", "  привет ", 10).unwrap(), "привет");
        assert_eq!(
            required("text", "   ", 10).unwrap_err().field.as_deref(),
            Some("text")
        );
        let long = optional("title", &"а".repeat(11), 10).unwrap_err();
        assert!(long.message.contains("10"), "{}", long.message);
        assert_eq!(optional("title", "", 10).unwrap(), "");
    }

    #[test]
    fn russian_counts_take_their_forms() {
        let c = |n| plural(n, "комментарий", "комментария", "комментариев");
        assert_eq!(c(1), "1 комментарий");
        assert_eq!(c(3), "3 комментария");
        assert_eq!(c(5), "5 комментариев");
        assert_eq!(c(11), "11 комментариев");
        assert_eq!(c(21), "21 комментарий");
        assert_eq!(c(112), "112 комментариев");
    }
}

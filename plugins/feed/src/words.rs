//! Watched words: block a post, or hold it for a moderator's approval (RULES §9).
//!
//! Russian changes a word's ending (дурак, дурака, дураки), people write ё as е and dodge
//! filters with Latin look-alikes (дурaк with a Latin `a`), digits (3 for з) and stretched
//! letters (дураааак). So both the text and the list are [`normalize`]d first — lower case,
//! ё → е, look-alike Latin letters and digits inside Cyrillic words read as the Cyrillic
//! letters they imitate, runs of three or more of one letter shortened to one, everything but
//! letters and digits a word break — and a watched entry matches either a whole word
//! ([`MatchMode::Word`]) or every word that starts with it ([`MatchMode::Stem`], for endings).
//! An entry of several words matches them in a row. A block wins over a hold.

use serde::{Deserialize, Serialize};

/// What a watched word does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordAction {
    /// Held for a moderator's approval.
    Hold,
    /// Refused outright.
    Block,
}

/// How an entry matches words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Every word that starts with the entry: its forms.
    #[default]
    Stem,
    /// The whole word only.
    Word,
}

/// One entry of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchedWord {
    /// The word, stem or phrase as the moderator typed it.
    pub pattern: String,
    /// Block or hold.
    pub action: WordAction,
    /// Stem or whole word.
    #[serde(default)]
    pub mode: MatchMode,
}

fn cyrillic_look_alike(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а',
        'b' => 'в',
        'c' => 'с',
        'e' => 'е',
        'h' => 'н',
        'k' => 'к',
        'm' => 'м',
        'o' | '0' => 'о',
        'p' => 'р',
        't' => 'т',
        'x' => 'х',
        'y' => 'у',
        '3' => 'з',
        '6' => 'б',
        _ => return None,
    })
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, 'а'..='я' | 'ё')
}

/// The text as it is matched: see the module's description.
pub fn normalize(text: &str) -> String {
    let lower = text.to_lowercase().replace('ё', "е");
    let mut words = Vec::new();
    for raw in lower.split(|c: char| !c.is_alphanumeric()) {
        if raw.is_empty() {
            continue;
        }
        let mixed = raw.chars().any(is_cyrillic);
        let letters: Vec<char> = raw
            .chars()
            .map(|c| {
                if mixed {
                    cyrillic_look_alike(c).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect();
        // A run of three or more of one letter is one letter; «нн» of «длинный» stays.
        let mut word = String::with_capacity(raw.len());
        let mut i = 0;
        while i < letters.len() {
            let run = letters[i..]
                .iter()
                .take_while(|&&c| c == letters[i])
                .count();
            let keep = if run >= 3 { 1 } else { run };
            word.extend(std::iter::repeat_n(letters[i], keep));
            i += run;
        }
        words.push(word);
    }
    words.join(" ")
}

/// What the list says of a text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WordCheck {
    /// The strongest action of the matched entries; none when nothing matched.
    pub action: Option<WordAction>,
    /// The entries that matched, as typed — for the moderators' queue.
    pub matched: Vec<String>,
}

/// Checks `text` against `list`.
pub fn check(text: &str, list: &[WatchedWord]) -> WordCheck {
    let text = normalize(text);
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let mut result = WordCheck::default();
    for entry in list {
        let pattern = normalize(&entry.pattern);
        let pattern: Vec<&str> = pattern.split(' ').filter(|w| !w.is_empty()).collect();
        if pattern.is_empty() || pattern.len() > words.len() {
            continue;
        }
        let word_matches = |word: &str, p: &str| match entry.mode {
            MatchMode::Word => word == p,
            MatchMode::Stem => word.starts_with(p),
        };
        let found = words
            .windows(pattern.len())
            .any(|window| window.iter().zip(&pattern).all(|(w, p)| word_matches(w, p)));
        if found {
            result.matched.push(entry.pattern.clone());
            result.action = result.action.max(Some(entry.action));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pattern: &str, action: WordAction, mode: MatchMode) -> WatchedWord {
        WatchedWord {
            pattern: pattern.into(),
            action,
            mode,
        }
    }

    #[test]
    fn normalizes_what_people_type() {
        assert_eq!(normalize("Ёлка, ЁЖИК!"), "елка ежик");
        assert_eq!(normalize("дурaк"), "дурак");
        assert_eq!(normalize("ду-рак"), "ду рак");
        assert_eq!(normalize("дураааак"), "дурак");
        assert_eq!(normalize("длинный"), "длинный");
        assert_eq!(normalize("ду6ина 3аяц"), "дубина заяц");
        // Latin words stay Latin.
        assert_eq!(normalize("Hello cat"), "hello cat");
    }

    #[test]
    fn stems_match_every_form_words_only_the_word() {
        let list = [
            entry("дурак", WordAction::Hold, MatchMode::Stem),
            entry("бля", WordAction::Block, MatchMode::Word),
        ];
        for text in [
            "Сосед — дурак",
            "Таких ДУРАКОВ поискать",
            "дурaки (Latin a)",
            "дураааак",
        ] {
            let c = check(text, &list);
            assert_eq!(c.action, Some(WordAction::Hold), "{text}");
            assert_eq!(c.matched, ["дурак"]);
        }
        assert_eq!(check("Корабля не видно", &list).action, None);
        assert_eq!(check("Ну бля!", &list).action, Some(WordAction::Block));
        // A block wins over a hold.
        let c = check("бля, дурак", &list);
        assert_eq!(c.action, Some(WordAction::Block));
        assert_eq!(c.matched.len(), 2);
    }

    #[test]
    fn ё_and_е_are_one_letter_and_phrases_match_in_a_row() {
        let list = [
            entry("ёлки палки", WordAction::Hold, MatchMode::Word),
            entry("продам", WordAction::Hold, MatchMode::Stem),
        ];
        assert_eq!(check("ЕЛКИ-ПАЛКИ, опять", &list).matched, ["ёлки палки"]);
        assert_eq!(check("палки ёлки", &list).action, None);
        assert_eq!(check("Продаю велосипед", &list).action, None);
        assert_eq!(
            check("Продам велосипед", &list).action,
            Some(WordAction::Hold)
        );
        assert_eq!(check("", &list), WordCheck::default());
    }
}

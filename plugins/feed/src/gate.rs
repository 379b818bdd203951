//! What happens to a new post, comment or chat message before anyone sees it (RULES §9).
//!
//! - Rate limits per person and activity: at most `max` in any `window_seconds`; the refusal
//!   says how long to wait ([`check_rate`]).
//! - A new member's first posts are held for approval (`first_posts_held`, 3 by default):
//!   neighbours get to know them before their posts go straight out.
//! - Watched words block the text or hold it ([`crate::words`]).
//!
//! [`gate`] combines them into a [`Verdict`] with every reason, so the moderators' queue shows
//! why a post waits.

use dvor_sdk::Error;
use dvor_sdk::ctx::tr;
use serde::{Deserialize, Serialize};

use crate::words::{self, WatchedWord, WordAction};

/// At most `max` in any `window_seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// How many.
    pub max: u32,
    /// In how many seconds.
    pub window_seconds: u32,
}

/// What a person does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// A post in the feed.
    Post,
    /// A comment.
    Comment,
    /// A chat message.
    Message,
}

/// The rules of the gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GateRules {
    /// A new member's posts held until this many were approved.
    pub first_posts_held: u32,
    /// Limits on posts.
    pub posts: Vec<RateLimit>,
    /// Limits on comments.
    pub comments: Vec<RateLimit>,
    /// Limits on chat messages.
    pub messages: Vec<RateLimit>,
}

impl Default for GateRules {
    fn default() -> Self {
        let limit = |max, window_seconds| RateLimit {
            max,
            window_seconds,
        };
        Self {
            first_posts_held: 3,
            posts: vec![limit(5, 3_600), limit(20, 86_400)],
            comments: vec![limit(10, 600), limit(100, 86_400)],
            messages: vec![limit(20, 60), limit(600, 86_400)],
        }
    }
}

impl GateRules {
    fn limits(&self, activity: Activity) -> &[RateLimit] {
        match activity {
            Activity::Post => &self.posts,
            Activity::Comment => &self.comments,
            Activity::Message => &self.messages,
        }
    }
}

/// Whether one more `activity` at `now` fits the limits, given the person's `recent` ones
/// (ms since the epoch, any order). The error says in how many seconds it will fit.
pub fn check_rate(
    activity: Activity,
    recent: &[i64],
    now: i64,
    rules: &GateRules,
) -> Result<(), Error> {
    let mut wait_ms = 0i64;
    for limit in rules.limits(activity) {
        let window = i64::from(limit.window_seconds) * 1000;
        let mut inside: Vec<i64> = recent
            .iter()
            .copied()
            .filter(|t| *t > now - window && *t <= now)
            .collect();
        if inside.len() < limit.max as usize {
            continue;
        }
        inside.sort_unstable();
        // The oldest that must leave the window for one more to fit.
        let leaving = inside[inside.len() - limit.max as usize];
        wait_ms = wait_ms.max(leaving + window - now);
    }
    if wait_ms > 0 {
        let seconds = (wait_ms + 999) / 1000;
        return Err(Error::limited(format!(
            "{} {seconds} {}",
            tr("Слишком часто: попробуйте через", "too often: try again in"),
            tr("с", "s")
        )));
    }
    Ok(())
}

/// Why a text waits for a moderator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum HoldReason {
    /// The author is new: `approved` of the first posts approved so far.
    NewMember {
        /// Approved so far.
        approved: u32,
    },
    /// Watched words.
    WatchedWords {
        /// The entries that matched.
        words: Vec<String>,
    },
}

/// What happens to a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Out at once.
    Publish,
    /// Waits for a moderator, for these reasons.
    Hold {
        /// Every reason.
        reasons: Vec<HoldReason>,
    },
    /// Refused: the author is told which words.
    Block {
        /// The entries that matched.
        words: Vec<String>,
    },
}

/// The verdict on `text` by an author with `approved_posts` approved so far.
/// New-member holds apply to posts only; comments and messages are checked for words.
pub fn gate(
    activity: Activity,
    text: &str,
    approved_posts: u32,
    list: &[WatchedWord],
    rules: &GateRules,
) -> Verdict {
    let words = words::check(text, list);
    if words.action == Some(WordAction::Block) {
        return Verdict::Block {
            words: words.matched,
        };
    }
    let mut reasons = Vec::new();
    if activity == Activity::Post && approved_posts < rules.first_posts_held {
        reasons.push(HoldReason::NewMember {
            approved: approved_posts,
        });
    }
    if words.action == Some(WordAction::Hold) {
        reasons.push(HoldReason::WatchedWords {
            words: words.matched,
        });
    }
    if reasons.is_empty() {
        Verdict::Publish
    } else {
        Verdict::Hold { reasons }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::MatchMode;

    fn list() -> Vec<WatchedWord> {
        vec![
            WatchedWord {
                pattern: "казино".into(),
                action: WordAction::Block,
                mode: MatchMode::Stem,
            },
            WatchedWord {
                pattern: "продам".into(),
                action: WordAction::Hold,
                mode: MatchMode::Word,
            },
        ]
    }

    #[test]
    fn a_new_member_s_first_posts_are_held() {
        let rules = GateRules::default();
        assert_eq!(
            gate(Activity::Post, "Всем привет!", 0, &list(), &rules),
            Verdict::Hold {
                reasons: vec![HoldReason::NewMember { approved: 0 }]
            }
        );
        assert_eq!(
            gate(Activity::Post, "Всем привет!", 3, &list(), &rules),
            Verdict::Publish
        );
        // Comments are not held for newness.
        assert_eq!(
            gate(Activity::Comment, "Спасибо!", 0, &list(), &rules),
            Verdict::Publish
        );
    }

    #[test]
    fn watched_words_hold_or_block() {
        let rules = GateRules::default();
        assert_eq!(
            gate(Activity::Post, "Лучшие КАЗИНО онлайн", 10, &list(), &rules),
            Verdict::Block {
                words: vec!["казино".into()]
            }
        );
        assert_eq!(
            gate(Activity::Post, "Продам коляску", 1, &list(), &rules),
            Verdict::Hold {
                reasons: vec![
                    HoldReason::NewMember { approved: 1 },
                    HoldReason::WatchedWords {
                        words: vec!["продам".into()]
                    }
                ]
            }
        );
    }

    #[test]
    fn rate_limits_say_how_long_to_wait() {
        let rules = GateRules::default();
        let now = 10_000_000;
        // Five posts in the last hour, the oldest 50 minutes ago.
        let recent: Vec<i64> = (0..5).map(|i| now - 3_000_000 + i * 60_000).collect();
        let err = check_rate(Activity::Post, &recent, now, &rules).unwrap_err();
        assert_eq!(err.code, dvor_sdk::ErrorCode::Limited);
        assert!(err.message.contains("600"), "{}", err.message);
        assert!(check_rate(Activity::Post, &recent, now + 600_000, &rules).is_ok());
        assert!(check_rate(Activity::Post, &recent[1..], now, &rules).is_ok());
        // Twenty messages in a minute is the chat's limit.
        let burst: Vec<i64> = (0..20).map(|i| now - 30_000 + i).collect();
        assert!(check_rate(Activity::Message, &burst, now, &rules).is_err());
        assert!(check_rate(Activity::Message, &burst[..19], now, &rules).is_ok());
    }
}

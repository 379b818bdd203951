//! Post types, their lifecycles and expiry, and «пойду» for events (issue 19).
//!
//! | type | states | ends |
//! |---|---|---|
//! | news | open | expires after `news_days` unless pinned |
//! | question | open → answered | expires after `question_days` |
//! | recommendation | open | expires after `recommendation_days` |
//! | lost & found | open → resolved (found, returned) | expires after `lost_found_days` |
//! | give-away | open ⇄ reserved → given | expires after `give_away_days` |
//! | event | open | over when it ends |
//!
//! Only the author (or a moderator) moves a post along; a resolved lost-and-found post with a
//! helper other than the author is the `feed.helped` moment ([`Transition::helped`]). An
//! expired or finished post leaves the feed but stays in its author's history.

use std::collections::BTreeSet;

use dvor_sdk::Error;
use dvor_sdk::ctx::tr;
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;

/// What a post is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PostKind {
    /// Новость.
    News,
    /// Вопрос соседям.
    Question,
    /// Рекомендация.
    Recommendation,
    /// Потеряно или найдено.
    LostFound {
        /// Lost (true) or found (false).
        lost: bool,
    },
    /// Отдам даром.
    GiveAway,
    /// Событие.
    Event {
        /// Starts, ms.
        starts_at: i64,
        /// Ends, ms.
        ends_at: i64,
    },
}

/// Where a post stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    /// In the feed.
    Open,
    /// A give-away promised to someone.
    Reserved,
    /// Answered, found, given away.
    Resolved,
    /// An event that ended.
    Over,
    /// Past its expiry.
    Expired,
}

/// How long each type stays in the feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExpirySettings {
    /// News, days.
    pub news_days: u32,
    /// Questions, days.
    pub question_days: u32,
    /// Recommendations, days.
    pub recommendation_days: u32,
    /// Lost and found, days.
    pub lost_found_days: u32,
    /// Give-aways, days.
    pub give_away_days: u32,
}

impl Default for ExpirySettings {
    fn default() -> Self {
        Self {
            news_days: 30,
            question_days: 30,
            recommendation_days: 365,
            lost_found_days: 30,
            give_away_days: 14,
        }
    }
}

/// A post as its lifecycle sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// The type.
    pub kind: PostKind,
    /// The stored state.
    pub state: PostState,
    /// The author.
    pub author: String,
    /// When it was published, ms.
    pub published_at: i64,
    /// Pinned by staff: never expires while pinned.
    pub pinned: bool,
}

/// A step in a post's life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PostAction {
    /// Answered, found, returned, given away; `helper` is the neighbour who helped.
    Resolve {
        /// Who helped, if someone did.
        helper: Option<String>,
    },
    /// A give-away promised to someone.
    Reserve,
    /// The promise fell through.
    Unreserve,
    /// Back into the feed.
    Reopen,
}

/// The result of a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The new state.
    pub state: PostState,
    /// Whether a neighbour helped find a lost or found thing: the `feed.helped` event.
    pub helped: Option<String>,
}

fn not_allowed() -> Error {
    Error::conflict(tr(
        "Для этой записи такой шаг невозможен",
        "this step is not possible for this post",
    ))
}

impl Post {
    /// When it leaves the feed, ms; none while pinned.
    pub fn expires_at(&self, settings: &ExpirySettings) -> Option<i64> {
        if self.pinned {
            return None;
        }
        let days = match self.kind {
            PostKind::News => settings.news_days,
            PostKind::Question => settings.question_days,
            PostKind::Recommendation => settings.recommendation_days,
            PostKind::LostFound { .. } => settings.lost_found_days,
            PostKind::GiveAway => settings.give_away_days,
            PostKind::Event { ends_at, .. } => return Some(ends_at),
        };
        Some(self.published_at + i64::from(days) * DAY_MS)
    }

    /// The state at `now`: the stored one, or over / expired once its time has passed.
    pub fn state_at(&self, now: i64, settings: &ExpirySettings) -> PostState {
        match (self.state, self.expires_at(settings)) {
            (PostState::Open | PostState::Reserved, Some(end)) if now >= end => {
                if matches!(self.kind, PostKind::Event { .. }) {
                    PostState::Over
                } else {
                    PostState::Expired
                }
            }
            (state, _) => state,
        }
    }

    /// Whether it shows in the feed at `now`.
    pub fn in_feed(&self, now: i64, settings: &ExpirySettings) -> bool {
        matches!(
            self.state_at(now, settings),
            PostState::Open | PostState::Reserved
        )
    }

    /// Takes `action` by `by` (the author, or a moderator when `moderator`) at `now`.
    pub fn apply(
        &self,
        action: &PostAction,
        by: &str,
        moderator: bool,
        now: i64,
        settings: &ExpirySettings,
    ) -> Result<Transition, Error> {
        if by != self.author && !moderator {
            return Err(Error::forbidden(tr(
                "Это может сделать только автор",
                "only the author may do this",
            )));
        }
        let state = self.state_at(now, settings);
        let next = match (&self.kind, state, action) {
            (
                PostKind::Question | PostKind::LostFound { .. },
                PostState::Open,
                PostAction::Resolve { .. },
            ) => PostState::Resolved,
            (
                PostKind::GiveAway,
                PostState::Open | PostState::Reserved,
                PostAction::Resolve { .. },
            ) => PostState::Resolved,
            (PostKind::GiveAway, PostState::Open, PostAction::Reserve) => PostState::Reserved,
            (PostKind::GiveAway, PostState::Reserved, PostAction::Unreserve) => PostState::Open,
            (
                PostKind::Question | PostKind::LostFound { .. } | PostKind::GiveAway,
                PostState::Resolved,
                PostAction::Reopen,
            ) => PostState::Open,
            _ => return Err(not_allowed()),
        };
        let helped = match (&self.kind, action) {
            (
                PostKind::LostFound { .. },
                PostAction::Resolve {
                    helper: Some(helper),
                },
            ) if *helper != self.author => Some(helper.clone()),
            _ => None,
        };
        Ok(Transition {
            state: next,
            helped,
        })
    }
}

/// Who is going to an event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rsvp {
    going: BTreeSet<String>,
}

impl Rsvp {
    /// `person` says «пойду» (`going`) or takes it back, at `now`; refused once the event is
    /// over. Returns the count.
    pub fn set(
        &mut self,
        post: &Post,
        person: &str,
        going: bool,
        now: i64,
        settings: &ExpirySettings,
    ) -> Result<usize, Error> {
        if !matches!(post.kind, PostKind::Event { .. }) {
            return Err(not_allowed());
        }
        if post.state_at(now, settings) != PostState::Open {
            return Err(Error::conflict(tr(
                "Событие уже прошло",
                "the event is over",
            )));
        }
        if going {
            self.going.insert(person.to_owned());
        } else {
            self.going.remove(person);
        }
        Ok(self.going.len())
    }

    /// How many are going.
    pub fn count(&self) -> usize {
        self.going.len()
    }

    /// Whether `person` is going.
    pub fn is_going(&self, person: &str) -> bool {
        self.going.contains(person)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(kind: PostKind) -> Post {
        Post {
            kind,
            state: PostState::Open,
            author: "anna".into(),
            published_at: 0,
            pinned: false,
        }
    }

    #[test]
    fn each_type_expires_by_its_setting() {
        let s = ExpirySettings::default();
        let news = post(PostKind::News);
        assert!(news.in_feed(29 * DAY_MS, &s));
        assert_eq!(news.state_at(30 * DAY_MS, &s), PostState::Expired);
        let pinned = Post {
            pinned: true,
            ..news.clone()
        };
        assert!(pinned.in_feed(400 * DAY_MS, &s));
        let gift = post(PostKind::GiveAway);
        assert_eq!(gift.expires_at(&s), Some(14 * DAY_MS));
        let event = post(PostKind::Event {
            starts_at: 5 * DAY_MS,
            ends_at: 5 * DAY_MS + 7_200_000,
        });
        assert!(event.in_feed(5 * DAY_MS, &s));
        assert_eq!(event.state_at(5 * DAY_MS + 7_200_000, &s), PostState::Over);
    }

    #[test]
    fn lifecycles_and_the_helped_moment() {
        let s = ExpirySettings::default();
        let lost = post(PostKind::LostFound { lost: true });
        let t = lost
            .apply(
                &PostAction::Resolve {
                    helper: Some("boris".into()),
                },
                "anna",
                false,
                DAY_MS,
                &s,
            )
            .unwrap();
        assert_eq!(t.state, PostState::Resolved);
        assert_eq!(t.helped.as_deref(), Some("boris"));
        let t = lost
            .apply(
                &PostAction::Resolve {
                    helper: Some("anna".into()),
                },
                "anna",
                false,
                DAY_MS,
                &s,
            )
            .unwrap();
        assert_eq!(t.helped, None);
        assert_eq!(
            lost.apply(
                &PostAction::Resolve { helper: None },
                "boris",
                false,
                DAY_MS,
                &s
            )
            .unwrap_err()
            .code,
            dvor_sdk::ErrorCode::Forbidden
        );
        let gift = post(PostKind::GiveAway);
        assert_eq!(
            gift.apply(&PostAction::Reserve, "anna", false, DAY_MS, &s)
                .unwrap()
                .state,
            PostState::Reserved
        );
        let reserved = Post {
            state: PostState::Reserved,
            ..gift.clone()
        };
        assert_eq!(
            reserved
                .apply(&PostAction::Unreserve, "anna", false, DAY_MS, &s)
                .unwrap()
                .state,
            PostState::Open
        );
        assert_eq!(
            reserved
                .apply(
                    &PostAction::Resolve { helper: None },
                    "anna",
                    false,
                    DAY_MS,
                    &s
                )
                .unwrap()
                .state,
            PostState::Resolved
        );
        // News has no lifecycle steps; an expired question cannot be resolved.
        assert!(
            post(PostKind::News)
                .apply(&PostAction::Resolve { helper: None }, "anna", false, 0, &s)
                .is_err()
        );
        assert!(
            post(PostKind::Question)
                .apply(
                    &PostAction::Resolve { helper: None },
                    "anna",
                    false,
                    31 * DAY_MS,
                    &s
                )
                .is_err()
        );
        // A moderator may close someone's question.
        assert!(
            post(PostKind::Question)
                .apply(
                    &PostAction::Resolve { helper: None },
                    "olga",
                    true,
                    DAY_MS,
                    &s
                )
                .is_ok()
        );
    }

    #[test]
    fn going_counts_each_person_once() {
        let s = ExpirySettings::default();
        let event = post(PostKind::Event {
            starts_at: 5 * DAY_MS,
            ends_at: 6 * DAY_MS,
        });
        let mut rsvp = Rsvp::default();
        assert_eq!(rsvp.set(&event, "anna", true, 0, &s).unwrap(), 1);
        assert_eq!(rsvp.set(&event, "anna", true, 0, &s).unwrap(), 1);
        assert_eq!(rsvp.set(&event, "boris", true, 0, &s).unwrap(), 2);
        assert_eq!(rsvp.set(&event, "anna", false, 0, &s).unwrap(), 1);
        assert!(!rsvp.is_going("anna"));
        assert!(rsvp.set(&event, "vera", true, 6 * DAY_MS, &s).is_err());
        assert!(
            rsvp.set(&post(PostKind::News), "vera", true, 0, &s)
                .is_err()
        );
        assert_eq!(rsvp.count(), 1);
    }
}

//! Moderators' decisions, with the reason the author sees, and the author's appeal (RULES §9).
//!
//! - Every decision names its target, the action, the moderator and a reason; a decision
//!   without a reason cannot be made, nor one by a moderator on their own text.
//! - The author may appeal once, within `appeal_days`; another moderator resolves the appeal,
//!   again with a reason.
//! - A decision on a reported post tells whether the reports were accurate
//!   ([`reports_were_accurate`]), which feeds the reporters' standing.

use dvor_sdk::Error;
use dvor_sdk::ctx::tr;
use serde::{Deserialize, Serialize};

/// What a moderator did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Approved a held post.
    Approve,
    /// Rejected a held post.
    Reject,
    /// Hid a published post.
    Hide,
    /// Put back a hidden post.
    Restore,
    /// Removed a post for good.
    Remove,
}

/// Whether reports on a post were upheld by `action`; none for actions on held posts.
pub fn reports_were_accurate(action: ModerationAction) -> Option<bool> {
    match action {
        ModerationAction::Hide | ModerationAction::Remove => Some(true),
        ModerationAction::Restore => Some(false),
        ModerationAction::Approve | ModerationAction::Reject => None,
    }
}

/// Appeal settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppealSettings {
    /// Days after the decision the author may appeal.
    pub appeal_days: u32,
}

impl Default for AppealSettings {
    fn default() -> Self {
        Self { appeal_days: 14 }
    }
}

/// An appeal and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    /// The author's words.
    pub text: String,
    /// When, ms.
    pub at: i64,
    /// The outcome, once resolved.
    pub outcome: Option<AppealOutcome>,
}

/// How an appeal was resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealOutcome {
    /// Whether the decision stands.
    pub upheld: bool,
    /// Why.
    pub reason: String,
    /// The moderator who resolved it.
    pub by: String,
    /// When, ms.
    pub at: i64,
}

/// One logged decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The post, comment or message.
    pub target: String,
    /// Its author.
    pub author: String,
    /// What was done.
    pub action: ModerationAction,
    /// Why, as the author reads it.
    pub reason: String,
    /// The moderator.
    pub moderator: String,
    /// When, ms.
    pub at: i64,
    /// The author's appeal, if any.
    pub appeal: Option<Appeal>,
}

fn required(field: &str, text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.chars().count() < 3 {
        return Err(Error::invalid(
            field,
            tr(
                "Объясните решение: автор увидит эту причину",
                "explain the decision: the author will see this reason",
            ),
        ));
    }
    Ok(text.to_owned())
}

impl Decision {
    /// Records a decision; refused without a reason or on the moderator's own text.
    pub fn new(
        target: &str,
        author: &str,
        action: ModerationAction,
        reason: &str,
        moderator: &str,
        at: i64,
    ) -> Result<Decision, Error> {
        if moderator == author {
            return Err(Error::forbidden(tr(
                "Решение о своём сообщении принимает другой модератор",
                "another moderator decides on your own text",
            )));
        }
        Ok(Decision {
            target: target.to_owned(),
            author: author.to_owned(),
            action,
            reason: required("reason", reason)?,
            moderator: moderator.to_owned(),
            at,
            appeal: None,
        })
    }

    /// The author appeals at `now`.
    pub fn appeal(
        &mut self,
        by: &str,
        text: &str,
        now: i64,
        settings: &AppealSettings,
    ) -> Result<(), Error> {
        if by != self.author {
            return Err(Error::forbidden(tr(
                "Обжаловать может только автор",
                "only the author may appeal",
            )));
        }
        if self.appeal.is_some() {
            return Err(Error::conflict(tr(
                "Решение уже обжаловано",
                "the decision was already appealed",
            )));
        }
        if now > self.at + i64::from(settings.appeal_days) * 86_400_000 {
            return Err(Error::conflict(tr(
                "Срок обжалования прошёл",
                "the time to appeal has passed",
            )));
        }
        self.appeal = Some(Appeal {
            text: required("text", text)?,
            at: now,
            outcome: None,
        });
        Ok(())
    }

    /// Another moderator resolves the appeal.
    pub fn resolve_appeal(
        &mut self,
        by: &str,
        upheld: bool,
        reason: &str,
        now: i64,
    ) -> Result<(), Error> {
        if by == self.moderator || by == self.author {
            return Err(Error::forbidden(tr(
                "Жалобу рассматривает другой модератор",
                "another moderator resolves the appeal",
            )));
        }
        let reason = required("reason", reason)?;
        let appeal = self
            .appeal
            .as_mut()
            .ok_or_else(|| Error::not_found(tr("Жалобы нет", "there is no appeal")))?;
        if appeal.outcome.is_some() {
            return Err(Error::conflict(tr(
                "Жалоба уже рассмотрена",
                "the appeal was already resolved",
            )));
        }
        appeal.outcome = Some(AppealOutcome {
            upheld,
            reason,
            by: by.to_owned(),
            at: now,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_decision_needs_a_reason_and_another_moderator() {
        let err =
            Decision::new("post-1", "ivan", ModerationAction::Hide, "  ", "olga", 0).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("reason"));
        let err =
            Decision::new("post-1", "olga", ModerationAction::Hide, "спам", "olga", 0).unwrap_err();
        assert_eq!(err.code, dvor_sdk::ErrorCode::Forbidden);
        let d = Decision::new(
            "post-1",
            "ivan",
            ModerationAction::Hide,
            "Реклама казино",
            "olga",
            0,
        )
        .unwrap();
        assert_eq!(d.reason, "Реклама казино");
        assert_eq!(reports_were_accurate(d.action), Some(true));
        assert_eq!(
            reports_were_accurate(ModerationAction::Restore),
            Some(false)
        );
    }

    #[test]
    fn the_author_appeals_once_in_time_and_another_moderator_resolves() {
        let settings = AppealSettings::default();
        let mut d = Decision::new(
            "post-1",
            "ivan",
            ModerationAction::Remove,
            "Оскорбления",
            "olga",
            0,
        )
        .unwrap();
        assert_eq!(
            d.appeal("petr", "не согласен", DAY, &settings)
                .unwrap_err()
                .code,
            dvor_sdk::ErrorCode::Forbidden
        );
        assert!(
            d.clone()
                .appeal("ivan", "не согласен", 15 * DAY, &settings)
                .is_err()
        );
        d.appeal("ivan", "Это была цитата", DAY, &settings).unwrap();
        assert_eq!(
            d.appeal("ivan", "ещё раз", DAY, &settings)
                .unwrap_err()
                .code,
            dvor_sdk::ErrorCode::Conflict
        );
        assert_eq!(
            d.resolve_appeal("olga", false, "сама решила", 2 * DAY)
                .unwrap_err()
                .code,
            dvor_sdk::ErrorCode::Forbidden
        );
        d.resolve_appeal("sergey", false, "Цитата без оскорблений: вернуть", 2 * DAY)
            .unwrap();
        let outcome = d.appeal.as_ref().unwrap().outcome.as_ref().unwrap();
        assert!(!outcome.upheld);
        assert_eq!(outcome.by, "sergey");
        assert!(d.resolve_appeal("anna", true, "повторно", 3 * DAY).is_err());
    }
}

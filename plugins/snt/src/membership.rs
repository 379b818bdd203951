//! Admission, exit and expulsion of members (217-ФЗ ст.12–13, RULES §7).
//!
//! - An application goes to the board; the general meeting decides, or the board where the
//!   charter says so ([`AdmissionDecider`]). Membership starts on the day of the decision.
//! - A refusal may rest only on the grounds the law allows ([`RefusalReason`]): an earlier
//!   expulsion for unpaid dues that are still unpaid, not owning a plot, missing documents, a
//!   defective application. Any other reason cannot be recorded.
//! - Exit — voluntary, the plot sold, death — takes effect on that day, without a decision.
//! - Expulsion is decided only by the general meeting, and only when [`crate::law::check_expulsion`]
//!   finds nothing blocking it.
//!
//! [`Membership`] is the state of one person's membership and its transitions; each returns the
//! new state or an error that says why the step is not allowed.

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Error};
use serde::{Deserialize, Serialize};

use crate::law::{self, LawHistory};

/// Who decides on admission: a charter setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionDecider {
    /// The general meeting (the law's default).
    #[default]
    GeneralMeeting,
    /// The board, where the charter gives it this power.
    Board,
}

/// The only grounds on which admission may be refused (ст.12 ч.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// Expelled earlier for unpaid dues, and they are still unpaid.
    ExpelledForUnpaidDues,
    /// The applicant owns no plot in the SNT.
    NotAnOwner,
    /// The documents the law requires are missing.
    MissingDocuments,
    /// The application lacks what the law requires of it.
    DefectiveApplication,
}

impl RefusalReason {
    /// Every lawful reason.
    pub const ALL: [RefusalReason; 4] = [
        Self::ExpelledForUnpaidDues,
        Self::NotAnOwner,
        Self::MissingDocuments,
        Self::DefectiveApplication,
    ];

    /// The code stored and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::ExpelledForUnpaidDues => "expelled_for_unpaid_dues",
            Self::NotAnOwner => "not_an_owner",
            Self::MissingDocuments => "missing_documents",
            Self::DefectiveApplication => "defective_application",
        }
    }

    /// The reason from form field `field`; anything but a lawful reason is refused.
    pub fn from_code(field: &str, code: &str) -> Result<RefusalReason, Error> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code.trim())
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    tr(
                        "Отказать в приёме можно только по основаниям закона (ст.12 ч.9 217-ФЗ)",
                        "admission may be refused only on the grounds of the law (217-FZ art.12 p.9)",
                    ),
                )
            })
    }

    /// The reason as the applicant reads it, in the call's locale.
    pub fn label(self) -> &'static str {
        match self {
            Self::ExpelledForUnpaidDues => tr(
                "Ранее исключены за неуплату взносов, долг не погашен",
                "expelled earlier for unpaid dues that are still unpaid",
            ),
            Self::NotAnOwner => tr(
                "Заявитель не является правообладателем участка в границах товарищества",
                "the applicant owns no plot within the partnership",
            ),
            Self::MissingDocuments => tr(
                "Не представлены документы, предусмотренные законом",
                "the documents the law requires are missing",
            ),
            Self::DefectiveApplication => tr(
                "Заявление не соответствует требованиям закона",
                "the application does not meet the law's requirements",
            ),
        }
    }
}

/// Why a member left without a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// The member's own application.
    Voluntary,
    /// The plot was sold or otherwise passed on.
    PlotSold,
    /// The member died.
    Death,
}

/// Where one person's membership stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Membership {
    /// Applied on `on`; the board reviews it.
    Applied {
        /// The day of the application.
        on: Date,
    },
    /// Refused.
    Refused {
        /// The day of the decision.
        on: Date,
        /// The lawful ground.
        reason: RefusalReason,
    },
    /// A member since `since`, with book number `book_number`.
    Member {
        /// The day of the decision that admitted them.
        since: Date,
        /// The membership book's number.
        book_number: String,
    },
    /// Left on `on`.
    Left {
        /// The day it took effect.
        on: Date,
        /// Why.
        reason: ExitReason,
    },
    /// Expelled by the meeting on `on`.
    Expelled {
        /// The meeting's day.
        on: Date,
        /// The minutes.
        minutes: String,
        /// The last day the person must be notified.
        notify_by: Date,
    },
}

/// Who is recording a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecidedBy {
    /// The general meeting.
    GeneralMeeting,
    /// The board.
    Board,
}

fn conflict(ru: &str, en: &str) -> Error {
    Error::conflict(tr(ru, en))
}

impl Membership {
    /// A new application.
    pub fn apply(on: Date) -> Membership {
        Membership::Applied { on }
    }

    fn check_decider(decider: AdmissionDecider, by: DecidedBy) -> Result<(), Error> {
        match (decider, by) {
            (AdmissionDecider::Board, _) | (_, DecidedBy::GeneralMeeting) => Ok(()),
            (AdmissionDecider::GeneralMeeting, DecidedBy::Board) => Err(Error::forbidden(tr(
                "По уставу о приёме решает общее собрание",
                "under the charter the general meeting decides on admission",
            ))),
        }
    }

    /// Admits the applicant by the decision of `decided_on`; membership starts that day.
    pub fn admit(
        &self,
        decided_on: Date,
        book_number: &str,
        by: DecidedBy,
        decider: AdmissionDecider,
    ) -> Result<Membership, Error> {
        Self::check_decider(decider, by)?;
        let Membership::Applied { on } = self else {
            return Err(conflict(
                "Принять можно только по поданному заявлению",
                "only an application can be admitted",
            ));
        };
        if decided_on < *on {
            return Err(Error::invalid(
                "decided_on",
                tr(
                    "Решение не может быть раньше заявления",
                    "the decision cannot precede the application",
                ),
            ));
        }
        if book_number.trim().is_empty() {
            return Err(Error::invalid(
                "book_number",
                tr(
                    "Укажите номер членской книжки",
                    "enter the membership book number",
                ),
            ));
        }
        Ok(Membership::Member {
            since: decided_on,
            book_number: book_number.trim().to_owned(),
        })
    }

    /// Refuses the application on a lawful ground.
    pub fn refuse(
        &self,
        decided_on: Date,
        reason: RefusalReason,
        by: DecidedBy,
        decider: AdmissionDecider,
    ) -> Result<Membership, Error> {
        Self::check_decider(decider, by)?;
        if !matches!(self, Membership::Applied { .. }) {
            return Err(conflict(
                "Отказать можно только по поданному заявлению",
                "only an application can be refused",
            ));
        }
        Ok(Membership::Refused {
            on: decided_on,
            reason,
        })
    }

    /// The member leaves; it takes effect on `on`, without a decision.
    pub fn leave(&self, on: Date, reason: ExitReason) -> Result<Membership, Error> {
        let Membership::Member { since, .. } = self else {
            return Err(conflict(
                "Выйти может только член товарищества",
                "only a member can leave",
            ));
        };
        if on < *since {
            return Err(Error::invalid(
                "on",
                tr(
                    "Выход не может быть раньше вступления",
                    "the exit cannot precede the admission",
                ),
            ));
        }
        Ok(Membership::Left { on, reason })
    }

    /// The general meeting of `meeting` expels the member, when the law allows it.
    pub fn expel(
        &self,
        meeting: Date,
        minutes: &str,
        oldest_unpaid_due: Option<Date>,
        warned_on: Option<Date>,
        history: &LawHistory,
    ) -> Result<Membership, Error> {
        if !matches!(self, Membership::Member { .. }) {
            return Err(conflict(
                "Исключить можно только члена товарищества",
                "only a member can be expelled",
            ));
        }
        if minutes.trim().is_empty() {
            return Err(Error::invalid(
                "minutes",
                tr(
                    "Укажите протокол общего собрания",
                    "name the general meeting's minutes",
                ),
            ));
        }
        if let Err(blockers) = law::check_expulsion(oldest_unpaid_due, warned_on, meeting, history)
        {
            let reasons: Vec<String> = blockers
                .iter()
                .map(law::ExpulsionBlocker::message)
                .collect();
            return Err(conflict(&reasons.join("; "), &reasons.join("; ")));
        }
        Ok(Membership::Expelled {
            on: meeting,
            minutes: minutes.trim().to_owned(),
            notify_by: law::expulsion_notice_deadline(meeting, history.in_force_on(meeting))?,
        })
    }

    /// Whether the person is a member on `day`.
    pub fn is_member_on(&self, day: Date) -> bool {
        matches!(self, Membership::Member { since, .. } if *since <= day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn admission_starts_on_the_decision_day() {
        let applied = Membership::apply(d("2026-04-01"));
        let member = applied
            .admit(
                d("2026-05-20"),
                "17",
                DecidedBy::GeneralMeeting,
                AdmissionDecider::GeneralMeeting,
            )
            .unwrap();
        assert_eq!(
            member,
            Membership::Member {
                since: d("2026-05-20"),
                book_number: "17".into()
            }
        );
        assert!(!member.is_member_on(d("2026-05-19")));
        assert!(member.is_member_on(d("2026-05-20")));
    }

    #[test]
    fn the_board_decides_only_where_the_charter_says_so() {
        let applied = Membership::apply(d("2026-04-01"));
        let err = applied
            .admit(
                d("2026-04-10"),
                "17",
                DecidedBy::Board,
                AdmissionDecider::GeneralMeeting,
            )
            .unwrap_err();
        assert_eq!(err.code, dvor_sdk::ErrorCode::Forbidden);
        assert!(
            applied
                .admit(
                    d("2026-04-10"),
                    "17",
                    DecidedBy::Board,
                    AdmissionDecider::Board
                )
                .is_ok()
        );
    }

    #[test]
    fn refusal_only_on_lawful_grounds() {
        for reason in RefusalReason::ALL {
            assert_eq!(
                RefusalReason::from_code("reason", reason.code()).unwrap(),
                reason
            );
            assert!(!reason.label().is_empty());
        }
        let err = RefusalReason::from_code("reason", "we_dislike_them").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("reason"));
        assert!(err.message.contains("217-ФЗ"));
        let applied = Membership::apply(d("2026-04-01"));
        let refused = applied
            .refuse(
                d("2026-04-10"),
                RefusalReason::NotAnOwner,
                DecidedBy::GeneralMeeting,
                AdmissionDecider::GeneralMeeting,
            )
            .unwrap();
        assert!(matches!(
            refused,
            Membership::Refused {
                reason: RefusalReason::NotAnOwner,
                ..
            }
        ));
        assert!(
            refused
                .admit(
                    d("2026-04-11"),
                    "1",
                    DecidedBy::GeneralMeeting,
                    AdmissionDecider::GeneralMeeting
                )
                .is_err()
        );
    }

    #[test]
    fn exit_takes_effect_that_day() {
        let member = Membership::Member {
            since: d("2020-05-01"),
            book_number: "3".into(),
        };
        let left = member.leave(d("2026-08-14"), ExitReason::PlotSold).unwrap();
        assert_eq!(
            left,
            Membership::Left {
                on: d("2026-08-14"),
                reason: ExitReason::PlotSold
            }
        );
        assert!(!left.is_member_on(d("2026-08-14")));
        assert!(
            member
                .leave(d("2019-01-01"), ExitReason::Voluntary)
                .is_err()
        );
    }

    #[test]
    fn expulsion_follows_the_law_s_timers() {
        let law = LawHistory::default();
        let member = Membership::Member {
            since: d("2020-05-01"),
            book_number: "3".into(),
        };
        // S5: due 2026-03-31; a meeting on 2026-07-15 with a warning on 2026-06-10.
        let expelled = member
            .expel(
                d("2026-07-15"),
                "Протокол № 5",
                Some(d("2026-03-31")),
                Some(d("2026-06-10")),
                &law,
            )
            .unwrap();
        assert_eq!(
            expelled,
            Membership::Expelled {
                on: d("2026-07-15"),
                minutes: "Протокол № 5".into(),
                notify_by: d("2026-07-25")
            }
        );
        let err = member
            .expel(
                d("2026-05-30"),
                "Протокол № 4",
                Some(d("2026-03-31")),
                None,
                &law,
            )
            .unwrap_err();
        assert_eq!(err.code, dvor_sdk::ErrorCode::Conflict);
        assert!(err.message.contains("2026-06-01"), "{}", err.message);
        assert!(err.message.contains("2026-04-30"), "{}", err.message);
        assert!(
            member
                .expel(
                    d("2026-07-15"),
                    " ",
                    Some(d("2026-03-31")),
                    Some(d("2026-06-10")),
                    &law
                )
                .is_err()
        );
    }
}

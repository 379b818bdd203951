//! The periods 217-ФЗ sets for an СНТ, as dated data, and the deadlines they give.
//!
//! Every period is a field of [`LawPeriods`] with the law's value as its default; a
//! [`LawHistory`] holds one set per date it took effect, so a change of the law (or of the
//! charter, where the law leaves the period to it) is a new entry, and a deadline is always
//! computed with the periods in force on the day that matters. The values were checked against
//! court rulings and SNT board documents, not the official text; the docs say so.
//!
//! The rules (ст.13, 17, 11):
//! - expulsion only for dues unpaid **more than** two months: with dues due on 31 March, a
//!   meeting from 1 June may decide it ([`expulsion_earliest_meeting`]);
//! - the chairman's warning goes at least one month before that meeting
//!   ([`expulsion_warning_deadline`]); the decision reaches the person within 10 days after it
//!   ([`expulsion_notice_deadline`]);
//! - the draft estimate and ФЭО are available at least 7 days before the meeting, the meeting's
//!   notice goes at least two weeks before it;
//! - a certified copy of a document is provided within the charter's period
//!   ([`certified_copy_deadline`]).

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Error};
use serde::{Deserialize, Serialize};

/// The periods in force at one time. Each has the law's value as default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LawPeriods {
    /// Dues must be unpaid for more than this many months before expulsion (ст.13 ч.4).
    pub expulsion_debt_months: u8,
    /// The warning goes at least this many months before the meeting (ст.13 ч.5).
    pub expulsion_warning_months: u8,
    /// The decision reaches the person within this many days after the meeting (ст.13 ч.7).
    pub expulsion_notice_days: u16,
    /// The draft estimate and ФЭО are available at least this many days before the meeting
    /// (ст.17 ч.17).
    pub estimate_draft_days: u16,
    /// The meeting's notice goes at least this many days before it (ст.17 ч.13).
    pub meeting_notice_days: u16,
    /// A certified copy is provided within this many days of the request (a charter setting;
    /// the law leaves it open).
    pub certified_copy_days: u16,
}

impl Default for LawPeriods {
    fn default() -> Self {
        Self {
            expulsion_debt_months: 2,
            expulsion_warning_months: 1,
            expulsion_notice_days: 10,
            estimate_draft_days: 7,
            meeting_notice_days: 14,
            certified_copy_days: 30,
        }
    }
}

/// One set of periods and the day it took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedPeriods {
    /// The first day these periods apply.
    pub effective_from: Date,
    /// The periods.
    pub periods: LawPeriods,
}

/// The periods through time, in ascending order of `effective_from`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<DatedPeriods>", into = "Vec<DatedPeriods>")]
pub struct LawHistory(Vec<DatedPeriods>);

/// The day 217-ФЗ took effect.
pub const LAW_IN_FORCE_FROM: Date = match Date::new(2019, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

impl Default for LawHistory {
    fn default() -> Self {
        Self(vec![DatedPeriods {
            effective_from: LAW_IN_FORCE_FROM,
            periods: LawPeriods::default(),
        }])
    }
}

impl LawHistory {
    /// A history from its entries; refused when empty or when two entries share a date.
    /// The entries may come in any order.
    pub fn new(mut entries: Vec<DatedPeriods>) -> Result<Self, Error> {
        if entries.is_empty() {
            return Err(Error::invalid(
                "law_periods",
                tr(
                    "Нужен хотя бы один набор сроков",
                    "at least one set of periods is needed",
                ),
            ));
        }
        entries.sort_by_key(|e| e.effective_from);
        if let Some(pair) = entries
            .windows(2)
            .find(|w| w[0].effective_from == w[1].effective_from)
        {
            return Err(Error::invalid(
                "law_periods",
                format!(
                    "{} {}",
                    tr(
                        "Два набора сроков с одной датой:",
                        "two sets of periods share the date"
                    ),
                    pair[0].effective_from
                ),
            ));
        }
        Ok(Self(entries))
    }

    /// The periods in force on `day`: the latest entry that took effect on or before it (the
    /// earliest entry for days before all of them).
    pub fn in_force_on(&self, day: Date) -> &LawPeriods {
        let index = self
            .0
            .partition_point(|e| e.effective_from <= day)
            .saturating_sub(1);
        &self.0[index].periods
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[DatedPeriods] {
        &self.0
    }
}

impl TryFrom<Vec<DatedPeriods>> for LawHistory {
    type Error = String;
    fn try_from(entries: Vec<DatedPeriods>) -> Result<Self, String> {
        LawHistory::new(entries).map_err(|e| e.message)
    }
}

impl From<LawHistory> for Vec<DatedPeriods> {
    fn from(history: LawHistory) -> Self {
        history.0
    }
}

fn out_of_range(field: &str) -> Error {
    Error::invalid(
        field,
        tr("Дата вне допустимого диапазона", "the date is out of range"),
    )
}

/// The earliest day a meeting may expel a member whose dues were due on `due` and are still
/// unpaid: the day after `due` + the debt months (due 2026-03-31 → 2026-06-01).
pub fn expulsion_earliest_meeting(due: Date, periods: &LawPeriods) -> Result<Date, Error> {
    due.add_months(i32::from(periods.expulsion_debt_months))
        .and_then(|d| d.add_days(1))
        .ok_or_else(|| out_of_range("due"))
}

/// The last day the chairman's warning may be sent for a meeting on `meeting`
/// (2026-07-15 → 2026-06-15).
pub fn expulsion_warning_deadline(meeting: Date, periods: &LawPeriods) -> Result<Date, Error> {
    meeting
        .add_months(-i32::from(periods.expulsion_warning_months))
        .ok_or_else(|| out_of_range("meeting"))
}

/// The last day the decision, its grounds and how to be re-admitted may reach the person
/// expelled at the meeting on `meeting`.
pub fn expulsion_notice_deadline(meeting: Date, periods: &LawPeriods) -> Result<Date, Error> {
    meeting
        .add_days(i64::from(periods.expulsion_notice_days))
        .ok_or_else(|| out_of_range("meeting"))
}

/// The last day the draft estimate and its ФЭО may be published for a meeting on `meeting`.
pub fn estimate_draft_deadline(meeting: Date, periods: &LawPeriods) -> Result<Date, Error> {
    meeting
        .add_days(-i64::from(periods.estimate_draft_days))
        .ok_or_else(|| out_of_range("meeting"))
}

/// The last day the notice of a meeting on `meeting` may be sent.
pub fn meeting_notice_deadline(meeting: Date, periods: &LawPeriods) -> Result<Date, Error> {
    meeting
        .add_days(-i64::from(periods.meeting_notice_days))
        .ok_or_else(|| out_of_range("meeting"))
}

/// The last day to provide a certified copy requested on `requested`.
pub fn certified_copy_deadline(requested: Date, periods: &LawPeriods) -> Result<Date, Error> {
    requested
        .add_days(i64::from(periods.certified_copy_days))
        .ok_or_else(|| out_of_range("requested"))
}

/// Whether a draft estimate published on `published` was in time for the meeting on `meeting`;
/// the error names the field `published` and the last day it could have been.
pub fn check_estimate_draft(
    published: Date,
    meeting: Date,
    periods: &LawPeriods,
) -> Result<(), Error> {
    let deadline = estimate_draft_deadline(meeting, periods)?;
    if published > deadline {
        return Err(Error::invalid(
            "published",
            format!(
                "{} {deadline}",
                tr(
                    "Проект сметы должен быть доступен не позднее",
                    "the draft estimate must be available no later than"
                )
            ),
        ));
    }
    Ok(())
}

/// What blocks putting a member's expulsion on a meeting's agenda.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ExpulsionBlocker {
    /// The member owes no dues.
    NoDebt,
    /// The oldest unpaid dues are not yet overdue long enough; a meeting from `earliest` may.
    DebtTooRecent {
        /// The earliest meeting day.
        earliest: Date,
    },
    /// No warning was sent.
    NoWarning {
        /// The last day it may still be sent for this meeting.
        deadline: Date,
    },
    /// The warning was sent less than the required period before the meeting.
    WarningTooLate {
        /// When it was sent.
        sent: Date,
        /// The last day it should have been sent.
        deadline: Date,
    },
}

impl ExpulsionBlocker {
    /// The reason for the chairman, in the call's locale.
    pub fn message(&self) -> String {
        match self {
            Self::NoDebt => tr("У члена нет долга по взносам", "the member owes no dues").into(),
            Self::DebtTooRecent { earliest } => format!(
                "{} {earliest}",
                tr(
                    "Взносы не просрочены более двух месяцев; исключать можно на собрании не ранее",
                    "dues are not unpaid long enough; expulsion may be decided at a meeting from"
                )
            ),
            Self::NoWarning { deadline } => format!(
                "{} {deadline}",
                tr(
                    "Предупреждение не направлено; его нужно направить не позднее",
                    "no warning was sent; it must be sent by"
                )
            ),
            Self::WarningTooLate { sent, deadline } => format!(
                "{} {sent}, {} {deadline}",
                tr("Предупреждение направлено", "the warning was sent on"),
                tr("а нужно было не позднее", "but was due by")
            ),
        }
    }
}

/// Whether the meeting on `meeting` may decide to expel a member whose oldest unpaid dues were
/// due on `oldest_unpaid_due` (none: no debt) and who was warned on `warned_on`. Every blocker
/// is listed.
pub fn check_expulsion(
    oldest_unpaid_due: Option<Date>,
    warned_on: Option<Date>,
    meeting: Date,
    history: &LawHistory,
) -> Result<(), Vec<ExpulsionBlocker>> {
    let periods = history.in_force_on(meeting);
    let mut blockers = Vec::new();
    match oldest_unpaid_due {
        None => blockers.push(ExpulsionBlocker::NoDebt),
        Some(due) => match expulsion_earliest_meeting(due, periods) {
            Ok(earliest) if meeting < earliest => {
                blockers.push(ExpulsionBlocker::DebtTooRecent { earliest });
            }
            Ok(_) => {}
            Err(_) => blockers.push(ExpulsionBlocker::NoDebt),
        },
    }
    if let Ok(deadline) = expulsion_warning_deadline(meeting, periods) {
        match warned_on {
            None => blockers.push(ExpulsionBlocker::NoWarning { deadline }),
            Some(sent) if sent > deadline => {
                blockers.push(ExpulsionBlocker::WarningTooLate { sent, deadline });
            }
            Some(_) => {}
        }
    }
    if blockers.is_empty() {
        Ok(())
    } else {
        Err(blockers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// RULES §7 S5: dues due 2026-03-31 and unpaid; expulsion may be on the agenda of a meeting
    /// from 2026-06-01; for a meeting on 2026-07-15 the warning is sent by 2026-06-15.
    #[test]
    fn s5_expulsion_timers() {
        let law = LawHistory::default();
        let periods = law.in_force_on(d("2026-07-15"));
        assert_eq!(
            expulsion_earliest_meeting(d("2026-03-31"), periods).unwrap(),
            d("2026-06-01")
        );
        assert_eq!(
            expulsion_warning_deadline(d("2026-07-15"), periods).unwrap(),
            d("2026-06-15")
        );
        assert_eq!(
            expulsion_notice_deadline(d("2026-07-15"), periods).unwrap(),
            d("2026-07-25")
        );

        // A meeting on 31 May is one day too early; 1 June is allowed.
        assert_eq!(
            check_expulsion(
                Some(d("2026-03-31")),
                Some(d("2026-04-20")),
                d("2026-05-31"),
                &law
            ),
            Err(vec![ExpulsionBlocker::DebtTooRecent {
                earliest: d("2026-06-01")
            }])
        );
        assert_eq!(
            check_expulsion(
                Some(d("2026-03-31")),
                Some(d("2026-05-01")),
                d("2026-06-01"),
                &law
            ),
            Ok(())
        );
        // For 15 July, a warning on 15 June is in time, on 16 June too late.
        assert_eq!(
            check_expulsion(
                Some(d("2026-03-31")),
                Some(d("2026-06-15")),
                d("2026-07-15"),
                &law
            ),
            Ok(())
        );
        assert_eq!(
            check_expulsion(
                Some(d("2026-03-31")),
                Some(d("2026-06-16")),
                d("2026-07-15"),
                &law
            ),
            Err(vec![ExpulsionBlocker::WarningTooLate {
                sent: d("2026-06-16"),
                deadline: d("2026-06-15")
            }])
        );
    }

    #[test]
    fn expulsion_lists_every_blocker() {
        let law = LawHistory::default();
        let blockers = check_expulsion(None, None, d("2026-07-15"), &law).unwrap_err();
        assert_eq!(
            blockers,
            [
                ExpulsionBlocker::NoDebt,
                ExpulsionBlocker::NoWarning {
                    deadline: d("2026-06-15")
                }
            ]
        );
        assert!(blockers[1].message().contains("2026-06-15"));
    }

    #[test]
    fn month_ends_do_not_shift_the_debt_period() {
        let p = LawPeriods::default();
        // Due 31 December: two months end on the last day of February.
        assert_eq!(
            expulsion_earliest_meeting(d("2025-12-31"), &p).unwrap(),
            d("2026-03-01")
        );
        assert_eq!(
            expulsion_earliest_meeting(d("2027-12-31"), &p).unwrap(),
            d("2028-03-01")
        );
        // A warning for a meeting on 31 March goes by 28 February (no 31 February).
        assert_eq!(
            expulsion_warning_deadline(d("2026-03-31"), &p).unwrap(),
            d("2026-02-28")
        );
    }

    #[test]
    fn drafts_notices_and_copies() {
        let p = LawPeriods::default();
        assert_eq!(
            estimate_draft_deadline(d("2026-05-20"), &p).unwrap(),
            d("2026-05-13")
        );
        assert!(check_estimate_draft(d("2026-05-13"), d("2026-05-20"), &p).is_ok());
        let late = check_estimate_draft(d("2026-05-14"), d("2026-05-20"), &p).unwrap_err();
        assert_eq!(late.field.as_deref(), Some("published"));
        assert!(late.message.contains("2026-05-13"));
        assert_eq!(
            meeting_notice_deadline(d("2026-05-20"), &p).unwrap(),
            d("2026-05-06")
        );
        assert_eq!(
            certified_copy_deadline(d("2026-05-20"), &p).unwrap(),
            d("2026-06-19")
        );
    }

    #[test]
    fn the_periods_in_force_follow_their_dates() {
        let charter = LawPeriods {
            certified_copy_days: 10,
            ..LawPeriods::default()
        };
        let law = LawHistory::new(vec![
            DatedPeriods {
                effective_from: d("2027-01-01"),
                periods: charter.clone(),
            },
            DatedPeriods {
                effective_from: LAW_IN_FORCE_FROM,
                periods: LawPeriods::default(),
            },
        ])
        .unwrap();
        assert_eq!(law.in_force_on(d("2026-12-31")).certified_copy_days, 30);
        assert_eq!(law.in_force_on(d("2027-01-01")).certified_copy_days, 10);
        assert_eq!(law.in_force_on(d("2010-01-01")).certified_copy_days, 30);

        let twice = LawHistory::new(vec![
            DatedPeriods {
                effective_from: d("2027-01-01"),
                periods: charter.clone(),
            },
            DatedPeriods {
                effective_from: d("2027-01-01"),
                periods: charter,
            },
        ]);
        assert_eq!(twice.unwrap_err().field.as_deref(), Some("law_periods"));
        assert!(LawHistory::new(Vec::new()).is_err());
    }

    #[test]
    fn settings_fill_defaults_and_round_trip() {
        let p: LawPeriods = serde_json::from_str(r#"{"certified_copy_days": 7}"#).unwrap();
        assert_eq!(p.certified_copy_days, 7);
        assert_eq!(p.expulsion_debt_months, 2);
        let law = LawHistory::default();
        let json = serde_json::to_string(&law).unwrap();
        assert_eq!(serde_json::from_str::<LawHistory>(&json).unwrap(), law);
        assert!(serde_json::from_str::<LawHistory>("[]").is_err());
    }
}

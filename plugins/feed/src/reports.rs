//! Reports from neighbours, weighted by the reporter's standing (RULES §9).
//!
//! A report's weight grows with the reporter's time in the house (capped), verified ownership
//! and past reports the moderators found accurate, and shrinks with past reports they
//! rejected; a member newer than a week weighs the minimum. Each reporter counts once per post,
//! the author's own report not at all. Once the reports on a post weigh `hide_threshold`, the
//! post is hidden until a moderator decides ([`tally`]). Every number is a setting.

use dvor_sdk::Date;
use dvor_sdk::ctx::tr;
use serde::{Deserialize, Serialize};

/// The weights and the threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportWeights {
    /// Every established reporter's weight to start with.
    pub base: u32,
    /// Added per full month in the house…
    pub per_month_in_house: u32,
    /// …for at most this many months.
    pub tenure_cap_months: u32,
    /// Added for verified ownership.
    pub verified_owner: u32,
    /// Added per past report found accurate…
    pub per_accurate_report: u32,
    /// …up to this much in all.
    pub accuracy_cap: u32,
    /// Taken off per past report rejected.
    pub per_rejected_report: u32,
    /// The least weight of any report.
    pub min_weight: u32,
    /// Members newer than this many days weigh `min_weight`.
    pub new_member_days: u32,
    /// Reports weighing this much in all hide the post.
    pub hide_threshold: u32,
}

impl Default for ReportWeights {
    fn default() -> Self {
        Self {
            base: 10,
            per_month_in_house: 1,
            tenure_cap_months: 24,
            verified_owner: 10,
            per_accurate_report: 3,
            accuracy_cap: 15,
            per_rejected_report: 5,
            min_weight: 1,
            new_member_days: 7,
            hide_threshold: 50,
        }
    }
}

/// What the reporter's report weighs by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The day they joined the house.
    pub member_since: Date,
    /// Whether their ownership was verified.
    pub verified_owner: bool,
    /// Past reports the moderators upheld.
    pub accurate_reports: u32,
    /// Past reports the moderators rejected.
    pub rejected_reports: u32,
}

/// The weight of a report by someone of `standing` on `today`.
pub fn weight(standing: &Standing, today: Date, w: &ReportWeights) -> u32 {
    let days = standing.member_since.days_until(today).max(0);
    if days < i64::from(w.new_member_days) {
        return w.min_weight;
    }
    // Full months between the two days.
    let mut months = 0u32;
    while months < w.tenure_cap_months
        && standing
            .member_since
            .add_months(months as i32 + 1)
            .is_some_and(|d| d <= today)
    {
        months += 1;
    }
    let plus = w.base
        + months * w.per_month_in_house
        + if standing.verified_owner {
            w.verified_owner
        } else {
            0
        }
        + (standing
            .accurate_reports
            .saturating_mul(w.per_accurate_report))
        .min(w.accuracy_cap);
    plus.saturating_sub(
        standing
            .rejected_reports
            .saturating_mul(w.per_rejected_report),
    )
    .max(w.min_weight)
}

/// Why a neighbour reports a post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    /// Advertising or spam.
    Spam,
    /// Insults or harassment.
    Insult,
    /// Someone's personal data.
    PersonalData,
    /// Fraud.
    Fraud,
    /// Against the law.
    Illegal,
    /// Not about the place.
    OffTopic,
    /// Something else, explained in the note.
    Other,
}

impl ReportReason {
    /// The reason's name, in the call's locale.
    pub fn label(self) -> &'static str {
        match self {
            Self::Spam => tr("Реклама или спам", "Advertising or spam"),
            Self::Insult => tr("Оскорбления", "Insults"),
            Self::PersonalData => tr("Чужие персональные данные", "Someone's personal data"),
            Self::Fraud => tr("Мошенничество", "Fraud"),
            Self::Illegal => tr("Нарушает закон", "Against the law"),
            Self::OffTopic => tr("Не по теме", "Off topic"),
            Self::Other => tr("Другое", "Other"),
        }
    }
}

/// One report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Who reported.
    pub reporter: String,
    /// Why.
    pub reason: ReportReason,
    /// The weight, fixed when the report was made.
    pub weight: u32,
}

/// The reports on a post, added up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportTally {
    /// Σ weights, one report per reporter, the author's own left out.
    pub weight: u32,
    /// How many reporters counted.
    pub reporters: u32,
    /// Whether the post is hidden until a moderator decides.
    pub hidden: bool,
    /// Per reason, how many reporters gave it — for the moderators' queue.
    pub reasons: Vec<(ReportReason, u32)>,
}

/// Adds up `reports` on a post by `author`.
pub fn tally(author: &str, reports: &[Report], w: &ReportWeights) -> ReportTally {
    let mut counted: Vec<&Report> = Vec::new();
    for report in reports.iter().filter(|r| r.reporter != author) {
        if !counted.iter().any(|c| c.reporter == report.reporter) {
            counted.push(report);
        }
    }
    let weight = counted.iter().map(|r| r.weight).sum::<u32>();
    let mut reasons: Vec<(ReportReason, u32)> = Vec::new();
    for r in &counted {
        match reasons.iter_mut().find(|(reason, _)| *reason == r.reason) {
            Some((_, n)) => *n += 1,
            None => reasons.push((r.reason, 1)),
        }
    }
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ReportTally {
        weight,
        reporters: counted.len() as u32,
        hidden: weight >= w.hide_threshold,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn standing(since: &str, verified: bool, accurate: u32, rejected: u32) -> Standing {
        Standing {
            member_since: d(since),
            verified_owner: verified,
            accurate_reports: accurate,
            rejected_reports: rejected,
        }
    }

    #[test]
    fn standing_sets_the_weight() {
        let w = ReportWeights::default();
        let today = d("2026-06-15");
        // A newcomer of three days.
        assert_eq!(weight(&standing("2026-06-12", true, 0, 0), today, &w), 1);
        // A year in the house: 10 + 12.
        assert_eq!(weight(&standing("2025-06-15", false, 0, 0), today, &w), 22);
        // Five years, verified, 10 accurate reports: 10 + 24 (cap) + 10 + 15 (cap).
        assert_eq!(weight(&standing("2021-01-01", true, 10, 0), today, &w), 59);
        // Rejected reports cost weight, never below the minimum.
        assert_eq!(weight(&standing("2025-06-15", false, 0, 2), today, &w), 12);
        assert_eq!(weight(&standing("2025-06-15", false, 0, 20), today, &w), 1);
        // One day short of a full month is no month.
        assert_eq!(weight(&standing("2026-05-16", false, 0, 0), today, &w), 10);
    }

    #[test]
    fn a_post_hides_once_reports_weigh_enough() {
        let w = ReportWeights::default();
        let r = |who: &str, weight: u32| Report {
            reporter: who.into(),
            reason: ReportReason::Spam,
            weight,
        };
        // Five fresh accounts do not hide a post.
        let sock_puppets: Vec<Report> = (0..5).map(|i| r(&format!("new{i}"), 1)).collect();
        assert!(!tally("author", &sock_puppets, &w).hidden);
        // Two established neighbours and a third do.
        let neighbours = [
            r("anna", 22),
            r("boris", 22),
            r("anna", 22),
            r("author", 59),
        ];
        let t = tally("author", &neighbours, &w);
        assert_eq!((t.weight, t.reporters, t.hidden), (44, 2, false));
        let mut more = neighbours.to_vec();
        more.push(Report {
            reporter: "vera".into(),
            reason: ReportReason::Insult,
            weight: 10,
        });
        let t = tally("author", &more, &w);
        assert_eq!((t.weight, t.hidden), (54, true));
        assert_eq!(
            t.reasons,
            [(ReportReason::Spam, 2), (ReportReason::Insult, 1)]
        );
        assert_eq!(
            ReportReason::PersonalData.label(),
            "Чужие персональные данные"
        );
    }
}

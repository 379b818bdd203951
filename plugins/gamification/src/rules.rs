//! The pure rules: the settings, points with daily caps, the status a total earns and what the
//! next needs, the start of a leaderboard's period, and who holds the title next.

use serde::{Deserialize, Serialize};

/// Points for one event kind.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The event kind, e.g. `reading.submitted`.
    pub kind: String,
    /// Points per event.
    pub points: i64,
    /// The most points a person earns from this kind in a day.
    pub daily_cap: i64,
}

/// A rung of the ladder.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// The name in Russian.
    pub name_ru: String,
    /// The name in English.
    pub name_en: String,
    /// Points it needs (for the title: to be eligible).
    pub points: i64,
}

/// The title's rules.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MayorRule {
    /// Activity counted over this many days.
    pub window_days: i64,
    /// The holder is quiet after this many days without activity.
    pub inactive_days: i64,
}

/// A badge.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BadgeRule {
    /// Its code.
    pub code: String,
    /// The name in Russian.
    pub name_ru: String,
    /// The name in English.
    pub name_en: String,
    /// The event kind counted.
    pub kind: String,
    /// How many events it takes.
    pub count: u64,
}

/// The plugin's settings.
#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    /// Points per kind.
    pub rules: Vec<Rule>,
    /// The ladder; the last rung is the title.
    pub statuses: Vec<Rung>,
    /// The title's rules.
    pub mayor: MayorRule,
    /// Badges.
    pub badges: Vec<BadgeRule>,
}

impl Settings {
    /// Check what the operator wrote; the error names the setting.
    pub fn check(&self) -> Result<(), (String, String)> {
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.points < 0 || rule.daily_cap < 0 {
                return Err((
                    format!("settings.rules[{i}]"),
                    "points and daily_cap are not negative".into(),
                ));
            }
        }
        if self.statuses.len() < 2 {
            return Err((
                "settings.statuses".into(),
                "at least one status and the title".into(),
            ));
        }
        let ladder = self.ladder();
        if ladder[0].points != 0 || ladder.windows(2).any(|w| w[1].points <= w[0].points) {
            return Err((
                "settings.statuses".into(),
                "the ladder starts at 0 points and grows".into(),
            ));
        }
        if self.mayor.window_days < 1 || self.mayor.inactive_days < 0 {
            return Err((
                "settings.mayor".into(),
                "window_days is at least 1 and inactive_days not negative".into(),
            ));
        }
        Ok(())
    }

    /// The rule for `kind`.
    pub fn rule(&self, kind: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.kind == kind)
    }

    /// The ordinary rungs (all but the title).
    pub fn ladder(&self) -> &[Rung] {
        &self.statuses[..self.statuses.len() - 1]
    }

    /// The title's rung.
    pub fn title(&self) -> &Rung {
        self.statuses.last().expect("checked: there is a title")
    }
}

/// The points an event earns when the person already has `earned_today` from its kind today.
pub fn points_for(rule: &Rule, earned_today: i64) -> i64 {
    rule.points.min((rule.daily_cap - earned_today).max(0))
}

/// Where a total stands on the ladder.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Standing {
    /// The status reached.
    pub status: Rung,
    /// The next one, if any.
    pub next: Option<Rung>,
    /// Points still needed for it.
    pub needed: Option<i64>,
}

/// The status `total` points earn on `ladder`.
pub fn standing(ladder: &[Rung], total: i64) -> Standing {
    let reached = ladder.iter().rposition(|r| total >= r.points).unwrap_or(0);
    let next = ladder.get(reached + 1).cloned();
    Standing {
        status: ladder[reached].clone(),
        needed: next.as_ref().map(|n| n.points - total),
        next,
    }
}

/// A leaderboard's period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// Since Monday.
    Week,
    /// Since the 1st.
    Month,
    /// Ever.
    All,
}

impl Period {
    /// Parse `week`, `month` or `all`.
    pub fn parse(text: &str) -> Option<Period> {
        match text {
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            "all" => Some(Period::All),
            _ => None,
        }
    }

    /// When it started, for a local calendar day given as days since the epoch (`today`),
    /// turned into ms with `offset_minutes`.
    pub fn start(self, today: dvor_sdk::Date, offset_minutes: i32) -> i64 {
        let first = match self {
            Period::Week => {
                // 1970-01-01 was a Thursday: Monday is day 4 of the week counted from it.
                let weekday = (today.days_since_epoch() + 3).rem_euclid(7);
                today.add_days(-weekday).unwrap_or(today)
            }
            Period::Month => today.first_day_of_month(),
            Period::All => return 0,
        };
        first.start_timestamp(offset_minutes)
    }
}

/// Someone who may hold the title.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The person.
    pub person: String,
    /// Points within the window.
    pub recent_points: i64,
    /// Their last activity (ms).
    pub last_active: i64,
}

/// Who holds the title after this run: the holder while active; when there is none, or the
/// holder has gone quiet, the most active candidate who is not quiet (ties to the more recently
/// active, then the smaller id). `None` keeps things as they are.
pub fn next_holder(
    holder: Option<&str>,
    holder_last_active: Option<i64>,
    candidates: &[Candidate],
    now: i64,
    inactive_ms: i64,
) -> Option<String> {
    let quiet = |last: i64| now - last > inactive_ms;
    if holder.is_some() && !holder_last_active.is_none_or(quiet) {
        return None;
    }
    candidates
        .iter()
        .filter(|c| Some(c.person.as_str()) != holder && !quiet(c.last_active))
        .max_by(|a, b| {
            a.recent_points
                .cmp(&b.recent_points)
                .then(a.last_active.cmp(&b.last_active))
                .then(b.person.cmp(&a.person))
        })
        .map(|c| c.person.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rung(name: &str, points: i64) -> Rung {
        Rung {
            name_ru: name.into(),
            name_en: name.into(),
            points,
        }
    }

    #[test]
    fn the_daily_cap_stops_farming() {
        let rule = Rule {
            kind: "appeal.created".into(),
            points: 5,
            daily_cap: 12,
        };
        assert_eq!(points_for(&rule, 0), 5);
        assert_eq!(points_for(&rule, 5), 5);
        assert_eq!(points_for(&rule, 10), 2, "only up to the cap");
        assert_eq!(points_for(&rule, 12), 0);
        assert_eq!(points_for(&rule, 40), 0);
    }

    #[test]
    fn a_total_reaches_a_status_and_knows_what_the_next_needs() {
        let ladder = [rung("Новосёл", 0), rung("Сосед", 30), rung("Активист", 100)];
        let s = standing(&ladder, 0);
        assert_eq!((s.status.name_ru.as_str(), s.needed), ("Новосёл", Some(30)));
        let s = standing(&ladder, 30);
        assert_eq!((s.status.name_ru.as_str(), s.needed), ("Сосед", Some(70)));
        let s = standing(&ladder, 250);
        assert_eq!((s.status.name_ru.as_str(), s.next), ("Активист", None));
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let thursday = dvor_sdk::Date::new(2026, 11, 26).unwrap();
        let monday = dvor_sdk::Date::new(2026, 11, 23).unwrap();
        assert_eq!(
            Period::Week.start(thursday, 180),
            monday.start_timestamp(180)
        );
        assert_eq!(Period::Week.start(monday, 0), monday.start_timestamp(0));
        let sunday = dvor_sdk::Date::new(2026, 11, 29).unwrap();
        assert_eq!(Period::Week.start(sunday, 0), monday.start_timestamp(0));
        assert_eq!(
            Period::Month.start(thursday, 180),
            dvor_sdk::Date::new(2026, 11, 1)
                .unwrap()
                .start_timestamp(180)
        );
        assert_eq!(Period::All.start(thursday, 180), 0);
    }

    #[test]
    fn the_title_stays_while_its_holder_is_active_and_passes_when_they_go_quiet() {
        let day = 86_400_000;
        let now = 100 * day;
        let candidates = [
            Candidate {
                person: "anna".into(),
                recent_points: 80,
                last_active: now - 10 * day,
            },
            Candidate {
                person: "boris".into(),
                recent_points: 40,
                last_active: now - day,
            },
            Candidate {
                person: "vera".into(),
                recent_points: 60,
                last_active: now - 20 * day,
            },
        ];
        // Nobody holds it: the most active of those not quiet (Vera is quiet).
        assert_eq!(
            next_holder(None, None, &candidates, now, 14 * day).as_deref(),
            Some("anna")
        );
        // Anna holds it and was active 10 days ago: it stays.
        assert_eq!(
            next_holder(
                Some("anna"),
                Some(now - 10 * day),
                &candidates,
                now,
                14 * day
            ),
            None
        );
        // With a 7-day rule Anna is quiet: it passes to Boris, not back to her.
        assert_eq!(
            next_holder(
                Some("anna"),
                Some(now - 10 * day),
                &candidates,
                now,
                7 * day
            )
            .as_deref(),
            Some("boris")
        );
        // Nobody active enough: it stays where it is.
        assert_eq!(
            next_holder(
                Some("anna"),
                Some(now - 30 * day),
                &candidates[2..],
                now,
                7 * day
            ),
            None
        );
    }
}

//! Counting the votes of a general meeting, exactly.
//!
//! Two kinds of meeting are supported:
//!
//! - **МКД** — the general meeting of the owners of premises in an apartment building (ЖК РФ
//!   ст.44–48, 47.1). An owner's votes are proportional to their share of the common property,
//!   that is to the area they own: a 60 m² flat owned 1/3 and 2/3 gives 20 and 40 votes. The
//!   meeting has a quorum when its participants hold more than half of all the owners' votes
//!   (ст.45 ч.3); each question is decided by the threshold its kind carries (ст.46 ч.1).
//! - **СНТ** — the general meeting of the members of a gardening partnership (217-ФЗ ст.17):
//!   one member, one vote; quorum is more than half of the members; non-member owners vote only
//!   on the questions of ст.17 ч.3 (common property and payments) and never count toward the
//!   members' quorum.
//!
//! Vote weights are exact rationals ([`Weight`]) and every comparison with a threshold is done
//! by cross-multiplication, so "не менее 2/3" of 4000 m² is exactly 8000/3 m², not a float.
//!
//! The thresholds are effective-dated **data** ([`Rules`], [`default_rules`]): an operator can
//! override them from settings through [`Rules::from_json`], and [`Rules::in_force`] picks the
//! entries effective on the meeting's date.
//!
//! Also here: СНТ dues by the estimate ([`dues_per_m2`], [`dues_per_plot`], [`plot_dues`],
//! [`non_member_payment`]) and the electronic-voting schedule check of ЖК ст.47.1
//! ([`check_electronic_schedule`]).

use std::cmp::Ordering;
use std::fmt;
use std::ops::Add;

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Weight
// ---------------------------------------------------------------------------------------------

/// Exact vote weight: a rational number of "vote units". For МКД: area in hundredths of m² ×
/// share (num/den). For SNT: 1 per member.
///
/// Always normalized (numerator and denominator coprime, `den > 0`), so the derived equality is
/// value equality. Deserialization normalizes and rejects a zero denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawWeight")]
pub struct Weight {
    /// Numerator.
    pub num: u128,
    /// Denominator, always positive.
    pub den: u128,
}

/// The wire form of a [`Weight`] before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeight {
    num: u128,
    den: u128,
}

impl TryFrom<RawWeight> for Weight {
    type Error = String;

    fn try_from(raw: RawWeight) -> Result<Self, Self::Error> {
        Weight::checked_new(raw.num, raw.den).ok_or_else(|| "знаменатель веса равен нулю".into())
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

/// The full 256-bit product of two `u128`s as `(high, low)`.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let low = (p00 & MASK) | (mid << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

impl Weight {
    /// Zero votes.
    pub const ZERO: Weight = Weight { num: 0, den: 1 };

    /// `num / den`, normalized; `None` when `den` is zero.
    pub fn checked_new(num: u128, den: u128) -> Option<Weight> {
        if den == 0 {
            return None;
        }
        if num == 0 {
            return Some(Weight::ZERO);
        }
        let g = gcd(num, den);
        Some(Weight {
            num: num / g,
            den: den / g,
        })
    }

    /// `num / den`, normalized.
    ///
    /// # Panics
    ///
    /// When `den` is zero.
    pub fn new(num: u128, den: u128) -> Weight {
        Weight::checked_new(num, den).expect("vote weight with a zero denominator")
    }

    /// A whole number of vote units (СНТ: `n` members).
    pub fn integer(n: u128) -> Weight {
        Weight { num: n, den: 1 }
    }

    /// The votes of an owner of `share_num / share_den` of premises of `area_centi_m2`
    /// hundredths of a square metre (ЖК ст.48 ч.3): one unit per hundredth of m².
    ///
    /// # Panics
    ///
    /// When `share_den` is zero.
    pub fn of_area(area_centi_m2: u64, share_num: u32, share_den: u32) -> Weight {
        Weight::new(
            u128::from(area_centi_m2) * u128::from(share_num),
            u128::from(share_den),
        )
    }

    /// Whether the weight is well-formed (positive denominator); weights built through the
    /// constructors always are, hand-built ones may not be.
    pub fn is_valid(&self) -> bool {
        self.den > 0
    }

    /// Whether the weight is zero.
    pub fn is_zero(&self) -> bool {
        self.num == 0
    }

    /// The sum, or `None` on overflow.
    pub fn checked_add(self, other: Weight) -> Option<Weight> {
        let g = gcd(self.den, other.den);
        let den = (self.den / g).checked_mul(other.den)?;
        let left = self.num.checked_mul(other.den / g)?;
        let right = other.num.checked_mul(self.den / g)?;
        Weight::checked_new(left.checked_add(right)?, den)
    }

    /// `self × numerator / denominator`, or `None` on overflow or a zero denominator.
    pub fn checked_scale(self, numerator: u128, denominator: u128) -> Option<Weight> {
        if denominator == 0 {
            return None;
        }
        if self.num == 0 || numerator == 0 {
            return Some(Weight::ZERO);
        }
        let g1 = gcd(self.num, denominator);
        let g2 = gcd(numerator, self.den);
        let num = (self.num / g1).checked_mul(numerator / g2)?;
        let den = (self.den / g2).checked_mul(denominator / g1)?;
        Weight::checked_new(num, den)
    }

    /// The value rounded half-up to a whole unit.
    pub fn round_half_up(&self) -> u128 {
        let whole = self.num / self.den;
        let rest = self.num % self.den;
        if rest >= self.den - rest {
            whole + 1
        } else {
            whole
        }
    }

    /// The value rounded up to a whole unit.
    pub fn ceil(&self) -> u128 {
        let whole = self.num / self.den;
        if self.num.is_multiple_of(self.den) {
            whole
        } else {
            whole + 1
        }
    }

    /// Whether the value is a whole number of units.
    pub fn is_integer(&self) -> bool {
        self.den == 1
    }

    /// The weight read as hundredths of m², in m² with two decimals rounded half-up:
    /// 266 666.67 hundredths → `"2666.67"`.
    pub fn as_m2_string(&self) -> String {
        centi_string(self.round_half_up())
    }

    /// An approximate value, for display and charts only — never for decisions.
    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

/// `hundredths` as `"units.hh"`.
fn centi_string(hundredths: u128) -> String {
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

impl Add for Weight {
    type Output = Weight;

    /// # Panics
    ///
    /// On overflow of the 128-bit numerator or denominator; [`Weight::checked_add`] does not.
    fn add(self, other: Weight) -> Weight {
        self.checked_add(other).expect("vote weight overflow")
    }
}

impl Ord for Weight {
    fn cmp(&self, other: &Self) -> Ordering {
        mul_wide(self.num, other.den).cmp(&mul_wide(other.num, self.den))
    }
}

impl PartialOrd for Weight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// `part / whole × 100` with two decimals rounded half-up (`"53.33"`); `"0.00"` when `whole`
/// is zero. Exact for all realistic weights; falls back to floating point only on overflow.
pub fn percent_string(part: Weight, whole: Weight) -> String {
    if whole.is_zero() {
        return "0.00".into();
    }
    // part / whole × 10 000 = (part.num × whole.den × 10 000) / (part.den × whole.num)
    let exact = part
        .num
        .checked_mul(whole.den)
        .and_then(|n| n.checked_mul(10_000))
        .zip(part.den.checked_mul(whole.num))
        .and_then(|(n, d)| Weight::checked_new(n, d));
    match exact {
        Some(ratio) => centi_string(ratio.round_half_up()),
        None => format!("{:.2}", part.to_f64() / whole.to_f64() * 100.0),
    }
}

/// A weight as the protocol shows votes: m² with two decimals for МКД (`"2250.00"`), a count
/// for СНТ (`"61"`, or two decimals if a fractional weight ever appears).
pub fn votes_text(kind: MeetingKind, weight: Weight) -> String {
    match kind {
        MeetingKind::Mkd => weight.as_m2_string(),
        MeetingKind::Snt if weight.is_integer() => weight.num.to_string(),
        MeetingKind::Snt => {
            let hundredths = weight
                .checked_scale(100, 1)
                .map_or(0, |w| w.round_half_up());
            centi_string(hundredths)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Enumerations
// ---------------------------------------------------------------------------------------------

/// The kind of general meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// Owners of premises in an apartment building (ЖК РФ ст.44–48).
    Mkd,
    /// Members of a gardening partnership (217-ФЗ ст.17).
    Snt,
}

/// The form in which a meeting is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// Очное: joint presence.
    InPerson,
    /// Заочное: written decisions (ballots).
    Absentee,
    /// Очно-заочное: both.
    Mixed,
    /// Заочное с использованием информационной системы (ЖК ст.47.1); a kind of absentee
    /// voting for quorum purposes.
    Electronic,
}

impl Form {
    /// Whether the form is (at least partly) absentee: everything but [`Form::InPerson`].
    pub fn is_absentee(self) -> bool {
        !matches!(self, Form::InPerson)
    }

    /// The Russian name in the genitive, to follow "в форме": "заочного голосования".
    pub fn name_ru_genitive(self) -> &'static str {
        match self {
            Form::InPerson => "очного голосования (совместного присутствия)",
            Form::Absentee => "заочного голосования",
            Form::Mixed => "очно-заочного голосования",
            Form::Electronic => {
                "заочного голосования с использованием информационной системы (ЖК РФ ст.47.1)"
            }
        }
    }
}

/// One answer to one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// «За».
    For,
    /// «Против».
    Against,
    /// «Воздержался».
    Abstain,
}

/// What a threshold fraction is taken of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// The votes of those taking part in the meeting (СНТ: members present, plus non-members
    /// on the questions they vote on).
    Participants,
    /// All the votes (МКД: all owners; СНТ: all members, plus all non-members on the questions
    /// they vote on).
    All,
}

/// The majority a question needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Threshold {
    /// More than half of the participants' votes.
    MoreThanHalfOfParticipants,
    /// More than half of all votes.
    MoreThanHalfOfAll,
    /// At least two thirds of all votes ("не менее").
    AtLeastTwoThirdsOfAll,
    /// At least two thirds of the participants' votes ("не менее").
    AtLeastTwoThirdsOfParticipants,
    /// Any fraction: "for" must be `> n/d × base` when `strict`, `≥ n/d × base` otherwise.
    Fraction {
        /// Numerator, `0 < numerator ≤ denominator`.
        numerator: u32,
        /// Denominator.
        denominator: u32,
        /// `true` for "более", `false` for "не менее".
        strict: bool,
        /// What the fraction is taken of.
        base: Base,
    },
}

impl Threshold {
    /// The threshold as `(numerator, denominator, strict, base)`.
    pub fn parts(&self) -> (u32, u32, bool, Base) {
        match *self {
            Threshold::MoreThanHalfOfParticipants => (1, 2, true, Base::Participants),
            Threshold::MoreThanHalfOfAll => (1, 2, true, Base::All),
            Threshold::AtLeastTwoThirdsOfAll => (2, 3, false, Base::All),
            Threshold::AtLeastTwoThirdsOfParticipants => (2, 3, false, Base::Participants),
            Threshold::Fraction {
                numerator,
                denominator,
                strict,
                base,
            } => (numerator, denominator, strict, base),
        }
    }

    /// A Russian description: "более половины голосов от общего числа голосов".
    pub fn description_ru(&self) -> String {
        let (n, d, strict, base) = self.parts();
        let amount = match (n, d, strict) {
            (1, 2, true) => "более половины голосов".to_string(),
            (2, 3, false) => "не менее двух третей голосов".to_string(),
            (n, d, true) => format!("более {n}/{d} голосов"),
            (n, d, false) => format!("не менее {n}/{d} голосов"),
        };
        let of = match base {
            Base::Participants => "от числа голосов принявших участие в собрании",
            Base::All => "от общего числа голосов",
        };
        format!("{amount} {of}")
    }
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// A kind of question on the agenda and the majority it needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionKind {
    /// Stable code, e.g. `"management_method"`.
    pub code: String,
    /// Russian name for the agenda and the protocol.
    pub name_ru: String,
    /// The majority needed.
    pub threshold: Threshold,
    /// СНТ: whether non-member owners vote on it (217-ФЗ ст.17 ч.3). МКД: ignored.
    pub non_members_vote: bool,
}

/// One dated entry for a question kind: from `effective_from` on, questions of `kind.code` at
/// meetings of kind `meeting` are decided as `kind` says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    /// The kind of meeting the question belongs to.
    pub meeting: MeetingKind,
    /// First day in force, `YYYY-MM-DD`.
    pub effective_from: String,
    /// The question kind.
    pub kind: QuestionKind,
}

/// One dated entry for the СНТ quorum of absentee-type meetings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SntQuorumRule {
    /// First day in force, `YYYY-MM-DD`.
    pub effective_from: String,
    /// For absentee, mixed and electronic meetings, whether only the members who cast a
    /// ballot count toward the quorum (since 2024), rather than all members taking part.
    pub absentee_counts_only_voters: bool,
}

/// The effective-dated thresholds and quorum rules. Build with [`default_rules`] or
/// [`Rules::from_json`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Question kinds; per code, entries in ascending `effective_from` order.
    pub kinds: Vec<KindRule>,
    /// The СНТ quorum rule history, in ascending `effective_from` order.
    pub snt_quorum: Vec<SntQuorumRule>,
    /// How long before voting a meeting must be noticed, and how long its voting lasts, per
    /// kind of meeting, in ascending `effective_from` order (the law's when not given).
    #[serde(default = "default_notice_rules")]
    pub notice: Vec<NoticeRule>,
}

/// One dated entry for how a meeting of a kind is called: from `effective_from` on, its notice
/// is given at least `days_before` whole days before voting opens, and its voting lasts from
/// `min_voting_days` to `max_voting_days` days where the law bounds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeRule {
    /// The kind of meeting.
    pub meeting: MeetingKind,
    /// First day in force, `YYYY-MM-DD`.
    pub effective_from: String,
    /// The notice's least number of days before voting opens.
    pub days_before: u32,
    /// The shortest voting, in days, if the law sets one.
    #[serde(default)]
    pub min_voting_days: Option<u32>,
    /// The longest voting, in days, if the law sets one.
    #[serde(default)]
    pub max_voting_days: Option<u32>,
    /// The article of the law the numbers come from, shown with a refusal.
    pub basis: String,
}

impl NoticeRule {
    /// How long the law lets the voting last, in Russian and English words: `от 7 до 60 дней`,
    /// `не меньше 7 дней`, `не больше 21 дня`; `None` when the law does not bound it.
    pub fn voting_length(&self) -> Option<(String, String)> {
        match (self.min_voting_days, self.max_voting_days) {
            (Some(min), Some(max)) => Some((
                format!("от {min} до {max} {}", days_ru(max)),
                format!("{min} to {max} days"),
            )),
            (Some(min), None) => Some((
                format!("не меньше {min} {}", days_ru(min)),
                format!("at least {min} days"),
            )),
            (None, Some(max)) => Some((
                format!("не больше {max} {}", days_ru(max)),
                format!("at most {max} days"),
            )),
            (None, None) => None,
        }
    }
}

/// «дня» or «дней» after `n` in the genitive that «до», «не меньше» and «не больше» take:
/// «до 21 дня», «не меньше 3 дней».
fn days_ru(n: u32) -> &'static str {
    if n % 10 == 1 && n % 100 != 11 {
        "дня"
    } else {
        "дней"
    }
}

/// The rules in force on one date: see [`Rules::in_force`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesInForce {
    date: String,
    kinds: Vec<(MeetingKind, QuestionKind)>,
    snt_absentee_counts_only_voters: bool,
    notice: Vec<NoticeRule>,
}

impl RulesInForce {
    /// The date these rules are for.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// How a meeting of `meeting` is called on this date, if a rule is in force.
    pub fn notice(&self, meeting: MeetingKind) -> Option<&NoticeRule> {
        self.notice.iter().find(|n| n.meeting == meeting)
    }

    /// The question kind with this code, if one is in force.
    pub fn kind(&self, code: &str) -> Option<&QuestionKind> {
        self.kinds
            .iter()
            .find(|(_, k)| k.code == code)
            .map(|(_, k)| k)
    }

    /// The kind of meeting a question kind belongs to, if it is in force.
    pub fn meeting_of(&self, code: &str) -> Option<MeetingKind> {
        self.kinds
            .iter()
            .find(|(_, k)| k.code == code)
            .map(|(m, _)| *m)
    }

    /// The question kinds in force for one kind of meeting, in the rules' order.
    pub fn kinds_for(&self, meeting: MeetingKind) -> Vec<&QuestionKind> {
        self.kinds
            .iter()
            .filter(|(m, _)| *m == meeting)
            .map(|(_, k)| k)
            .collect()
    }

    /// СНТ: whether, for absentee, mixed and electronic meetings, only the members who cast a
    /// ballot count toward the quorum (the rule since 2024-01-01).
    pub fn snt_absentee_counts_only_voters(&self) -> bool {
        self.snt_absentee_counts_only_voters
    }
}

/// Whether `date` is a real calendar date written `YYYY-MM-DD`.
pub fn is_valid_date(date: &str) -> bool {
    parse_date(date).is_some()
}

fn parse_date(date: &str) -> Option<(i64, u32, u32)> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |s: &str| -> Option<u32> {
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let year = digits(&date[0..4])?;
    let month = digits(&date[5..7])?;
    let day = digits(&date[8..10])?;
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if year == 0 || day == 0 || day > days_in_month {
        return None;
    }
    Some((i64::from(year), month, day))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Codes of the question kinds the plugin knows (those of [`default_rules`]).
pub const KNOWN_KINDS: [&str; 11] = [
    "ordinary",
    "management_method",
    "capital_repair_fund",
    "reconstruction",
    "capital_repair_fund_use",
    "land_use_limits",
    "common_property_use",
    "snt_ordinary",
    "snt_qualified",
    "snt_common_property",
    "snt_payments",
];

impl Rules {
    /// The entries effective on `date` (`YYYY-MM-DD`): per question code the latest entry
    /// whose `effective_from` is not after `date` (codes not yet in force are absent), and the
    /// latest СНТ quorum entry (none yet: the pre-2024 rule).
    pub fn in_force(&self, date: &str) -> RulesInForce {
        let mut kinds: Vec<(MeetingKind, QuestionKind, &str)> = Vec::new();
        for rule in &self.kinds {
            if rule.effective_from.as_str() > date {
                continue;
            }
            match kinds.iter_mut().find(|(_, k, _)| k.code == rule.kind.code) {
                Some(slot) if slot.2 <= rule.effective_from.as_str() => {
                    *slot = (rule.meeting, rule.kind.clone(), &rule.effective_from);
                }
                Some(_) => {}
                None => kinds.push((rule.meeting, rule.kind.clone(), &rule.effective_from)),
            }
        }
        let mut quorum: Option<&SntQuorumRule> = None;
        for rule in &self.snt_quorum {
            if rule.effective_from.as_str() <= date
                && quorum.is_none_or(|q| q.effective_from <= rule.effective_from)
            {
                quorum = Some(rule);
            }
        }
        let mut notice: Vec<NoticeRule> = Vec::new();
        for rule in self
            .notice
            .iter()
            .filter(|n| n.effective_from.as_str() <= date)
        {
            match notice.iter_mut().find(|n| n.meeting == rule.meeting) {
                Some(slot) if slot.effective_from <= rule.effective_from => *slot = rule.clone(),
                Some(_) => {}
                None => notice.push(rule.clone()),
            }
        }
        RulesInForce {
            date: date.to_string(),
            kinds: kinds.into_iter().map(|(m, k, _)| (m, k)).collect(),
            snt_absentee_counts_only_voters: quorum.is_some_and(|q| q.absentee_counts_only_voters),
            notice,
        }
    }

    /// Parse rules from JSON (the shape [`Rules`] serializes to) and [`validate`](Self::validate)
    /// them. The error is a Russian message naming the problem.
    pub fn from_json(text: &str) -> Result<Rules, String> {
        let rules: Rules =
            serde_json::from_str(text).map_err(|e| format!("правила голосования: {e}"))?;
        rules.validate()?;
        Ok(rules)
    }

    /// Check the rules: known question codes with names, fractions `0 < n/d ≤ 1`, valid
    /// dates, per code and for the СНТ quorum strictly ascending dates, a code tied to one
    /// kind of meeting.
    pub fn validate(&self) -> Result<(), String> {
        for (i, rule) in self.kinds.iter().enumerate() {
            let code = &rule.kind.code;
            let at = format!("правила голосования, вид вопроса «{code}»");
            if !KNOWN_KINDS.contains(&code.as_str()) {
                return Err(format!(
                    "{at}: неизвестный вид вопроса; допустимы: {}",
                    KNOWN_KINDS.join(", ")
                ));
            }
            if rule.kind.name_ru.trim().is_empty() {
                return Err(format!("{at}: не указано название"));
            }
            if !is_valid_date(&rule.effective_from) {
                return Err(format!(
                    "{at}: неверная дата «{}» (нужно ГГГГ-ММ-ДД)",
                    rule.effective_from
                ));
            }
            let (n, d, _, _) = rule.kind.threshold.parts();
            if n == 0 || d == 0 || n > d {
                return Err(format!(
                    "{at}: доля {n}/{d} недопустима (нужно 0 < числитель/знаменатель ≤ 1)"
                ));
            }
            if let Some(earlier) = self.kinds[..i].iter().rev().find(|r| r.kind.code == *code) {
                if earlier.meeting != rule.meeting {
                    return Err(format!("{at}: указан для разных видов собраний"));
                }
                if earlier.effective_from >= rule.effective_from {
                    return Err(format!(
                        "{at}: даты не по возрастанию ({} после {})",
                        rule.effective_from, earlier.effective_from
                    ));
                }
            }
        }
        for (i, rule) in self.snt_quorum.iter().enumerate() {
            if !is_valid_date(&rule.effective_from) {
                return Err(format!(
                    "правила кворума СНТ: неверная дата «{}» (нужно ГГГГ-ММ-ДД)",
                    rule.effective_from
                ));
            }
            if let Some(earlier) = i.checked_sub(1).map(|j| &self.snt_quorum[j])
                && earlier.effective_from >= rule.effective_from
            {
                return Err(format!(
                    "правила кворума СНТ: даты не по возрастанию ({} после {})",
                    rule.effective_from, earlier.effective_from
                ));
            }
        }
        for (i, rule) in self.notice.iter().enumerate() {
            let at = "правила созыва собрания";
            if !is_valid_date(&rule.effective_from) {
                return Err(format!(
                    "{at}: неверная дата «{}» (нужно ГГГГ-ММ-ДД)",
                    rule.effective_from
                ));
            }
            if let (Some(min), Some(max)) = (rule.min_voting_days, rule.max_voting_days)
                && min > max
            {
                return Err(format!(
                    "{at}: голосование не может длиться от {min} до {max} дней"
                ));
            }
            if let Some(earlier) = self.notice[..i]
                .iter()
                .rev()
                .find(|r| r.meeting == rule.meeting)
                && earlier.effective_from >= rule.effective_from
            {
                return Err(format!(
                    "{at}: даты не по возрастанию ({} после {})",
                    rule.effective_from, earlier.effective_from
                ));
            }
        }
        Ok(())
    }
}

/// The law's notice periods: ЖК РФ ст.45 ч.4 and ст.47.1 (at least 10 days; electronic voting
/// 7–60 days, which dvor applies to every form of an owners' meeting it runs) for МКД, 217-ФЗ
/// ст.17 ч.13 (no later than two weeks before) for СНТ.
pub fn default_notice_rules() -> Vec<NoticeRule> {
    vec![
        NoticeRule {
            meeting: MeetingKind::Mkd,
            effective_from: "2005-03-01".to_string(),
            days_before: 10,
            min_voting_days: Some(7),
            max_voting_days: Some(60),
            basis: "ЖК РФ ст.45, 47.1".to_string(),
        },
        NoticeRule {
            meeting: MeetingKind::Snt,
            effective_from: "2019-01-01".to_string(),
            days_before: 14,
            min_voting_days: None,
            max_voting_days: None,
            basis: "217-ФЗ ст.17 ч.13".to_string(),
        },
    ]
}

/// The law as known: ЖК РФ ст.46 ч.1 (in force since 2005-03-01) for МКД, 217-ФЗ ст.17 (since
/// 2019-01-01) for СНТ, and the СНТ absentee quorum change of 2024-01-01.
pub fn default_rules() -> Rules {
    const ZHK: &str = "2005-03-01";
    const FZ217: &str = "2019-01-01";
    let entry =
        |meeting, from: &str, code: &str, name: &str, threshold, non_members_vote| KindRule {
            meeting,
            effective_from: from.to_string(),
            kind: QuestionKind {
                code: code.to_string(),
                name_ru: name.to_string(),
                threshold,
                non_members_vote,
            },
        };
    use MeetingKind::{Mkd, Snt};
    use Threshold::*;
    Rules {
        kinds: vec![
            entry(
                Mkd,
                ZHK,
                "ordinary",
                "Вопрос, решаемый большинством голосов участников собрания",
                MoreThanHalfOfParticipants,
                false,
            ),
            entry(
                Mkd,
                ZHK,
                "management_method",
                "Выбор способа управления многоквартирным домом",
                MoreThanHalfOfAll,
                false,
            ),
            entry(
                Mkd,
                ZHK,
                "capital_repair_fund",
                "Выбор способа формирования фонда капитального ремонта",
                MoreThanHalfOfAll,
                false,
            ),
            entry(
                Mkd,
                ZHK,
                "reconstruction",
                "Реконструкция, капитальный ремонт общего имущества",
                AtLeastTwoThirdsOfAll,
                false,
            ),
            entry(
                Mkd,
                ZHK,
                "capital_repair_fund_use",
                "Использование фонда капитального ремонта",
                AtLeastTwoThirdsOfAll,
                false,
            ),
            entry(
                Mkd,
                ZHK,
                "land_use_limits",
                "Пределы использования земельного участка",
                AtLeastTwoThirdsOfAll,
                false,
            ),
            entry(
                Mkd,
                ZHK,
                "common_property_use",
                "Пользование общим имуществом иными лицами",
                AtLeastTwoThirdsOfAll,
                false,
            ),
            entry(
                Snt,
                FZ217,
                "snt_ordinary",
                "Вопрос, решаемый большинством голосов членов товарищества",
                MoreThanHalfOfParticipants,
                false,
            ),
            entry(
                Snt,
                FZ217,
                "snt_qualified",
                "Вопрос, решаемый квалифицированным большинством (217-ФЗ ст.17 ч.2)",
                AtLeastTwoThirdsOfParticipants,
                false,
            ),
            entry(
                Snt,
                FZ217,
                "snt_common_property",
                "Общее имущество (217-ФЗ ст.17 ч.3)",
                AtLeastTwoThirdsOfParticipants,
                true,
            ),
            entry(
                Snt,
                FZ217,
                "snt_payments",
                "Взносы и плата (217-ФЗ ст.17 ч.3)",
                AtLeastTwoThirdsOfParticipants,
                true,
            ),
        ],
        snt_quorum: vec![
            SntQuorumRule {
                effective_from: FZ217.to_string(),
                absentee_counts_only_voters: false,
            },
            SntQuorumRule {
                effective_from: "2024-01-01".to_string(),
                absentee_counts_only_voters: true,
            },
        ],
        notice: default_notice_rules(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tally
// ---------------------------------------------------------------------------------------------

/// One ballot as the tally sees it: who, their weight, whether they are a member (SNT; МКД:
/// true), and their answer per question (by index; None = did not answer that question).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotView {
    /// Who voted (for error messages).
    pub voter: String,
    /// Their votes.
    pub weight: Weight,
    /// СНТ: a member (`false` for a non-member owner, ст.17 ч.3). МКД: `true`.
    pub member: bool,
    /// One entry per question; `None` when the question was not (validly) answered.
    pub answers: Vec<Option<Choice>>,
}

/// The electorate: total weight of all eligible voters (МКД: all owners' area; SNT: number of
/// members) — and for SNT the number of non-member owners.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Electorate {
    /// МКД: all owners' votes (area in hundredths of m²). СНТ: the number of members.
    pub total: Weight,
    /// СНТ: the number of non-member owners. МКД: zero.
    pub non_member_total: Weight,
}

/// The count for one question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionResult {
    /// Index of the question on the agenda, from 0.
    pub index: usize,
    /// The question kind's code.
    pub kind: String,
    /// Votes «за».
    pub for_: Weight,
    /// Votes «против».
    pub against: Weight,
    /// Votes «воздержался».
    pub abstain: Weight,
    /// Votes of the ballots that answered this question (for + against + abstain).
    pub participating: Weight,
    /// The votes of those taking part in the meeting who may vote on this question: the
    /// meeting's participants (СНТ: plus the non-members who took part, on ст.17 ч.3
    /// questions). The protocol's percentages are of this.
    pub participants_base: Weight,
    /// What the threshold fraction was taken of: `participants_base` or all the votes.
    pub base: Weight,
    /// The threshold as text: `"> 1125.00"`, `"≥ 2666.67"`, `"≥ 41"`.
    pub needed: String,
    /// Whether the decision is adopted (never without a quorum).
    pub adopted: bool,
}

/// The result of a count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The kind of meeting.
    pub kind: MeetingKind,
    /// Its form.
    pub form: Form,
    /// Votes counted toward the quorum: МКД — all ballots' weight; СНТ — members taking part.
    pub participants: Weight,
    /// All votes (the electorate's total; СНТ: members only).
    pub total: Weight,
    /// Whether there is a quorum.
    pub quorum: bool,
    /// The quorum threshold as text: `"> 2000.00"`, `"> 60"`.
    pub quorum_needed: String,
    /// One result per question.
    pub questions: Vec<QuestionResult>,
}

/// Human text for "needs `value`", `strict` meaning "more than". МКД in m² (`"> 1125.00"`,
/// `"≥ 2666.67"` — rounded up so that the shown figure itself passes); СНТ as a whole count
/// of votes (`"> 60"`, or `"≥ 41"` for 40.67).
fn needed_text(kind: MeetingKind, value: Weight, strict: bool) -> String {
    match kind {
        MeetingKind::Mkd if strict => format!("> {}", value.as_m2_string()),
        MeetingKind::Mkd => format!("≥ {}", centi_string(value.ceil())),
        MeetingKind::Snt if strict && value.is_integer() => format!("> {}", value.num),
        MeetingKind::Snt if strict => format!("≥ {}", value.ceil()),
        MeetingKind::Snt => format!("≥ {}", value.ceil()),
    }
}

fn sum(a: Weight, b: Weight) -> Result<Weight, String> {
    a.checked_add(b)
        .ok_or_else(|| "переполнение при подсчёте голосов".to_string())
}

/// Count the ballots. Quorum: МКД — participants' weight > 1/2 of total. SNT — count of
/// members who took part > 1/2 of members (with the since-2024 rule: for Absentee/Mixed/
/// Electronic forms, only members who cast a ballot count; for InPerson, `present_members`
/// counts). Without quorum no question is adopted. For a question: participating = weight of
/// ballots that answered it (for SNT: members, plus non-members where the kind allows);
/// thresholds applied against participating or total as the kind says; abstain counts as
/// participating but not for.
///
/// Precisely: a [`Base::Participants`] threshold is taken of the meeting's participants (ЖК
/// ст.46 ч.1 "от общего числа голосов принимающих участие в данном собрании"; 217-ФЗ ст.17
/// ч.4 "присутствующих на общем собрании"), so a ballot that left a question unanswered still
/// counts in the base — it just is not «за». For СНТ, `present_members` (when given and the
/// voters-only rule does not apply) is the number of members present; members who cast a
/// ballot are always counted as taking part. Non-member ballots add to the base and to
/// `participating` on the questions whose kind lets them vote, and are ignored elsewhere.
///
/// Errors (Russian messages): an unknown question kind or one for the other kind of meeting,
/// an answers vector of the wrong length, a malformed weight, a zero electorate, more
/// participants than the electorate, arithmetic overflow.
pub fn tally(
    kind: MeetingKind,
    form: Form,
    rules: &RulesInForce,
    questions: &[String],
    electorate: &Electorate,
    ballots: &[BallotView],
    present_members: Option<u64>,
) -> Result<Tally, String> {
    let kinds = questions
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let number = i + 1;
            let found = rules.kind(code).ok_or_else(|| {
                format!(
                    "вопрос № {number}: неизвестный вид вопроса «{code}» на {}",
                    rules.date()
                )
            })?;
            if rules.meeting_of(code) != Some(kind) {
                return Err(format!(
                    "вопрос № {number}: вид «{code}» относится к собранию другого вида"
                ));
            }
            Ok(found)
        })
        .collect::<Result<Vec<_>, String>>()?;
    if !electorate.total.is_valid() || !electorate.non_member_total.is_valid() {
        return Err("неверно задано общее число голосов".into());
    }
    if electorate.total.is_zero() {
        return Err("общее число голосов равно нулю".into());
    }
    for ballot in ballots {
        if !ballot.weight.is_valid() {
            return Err(format!("бюллетень «{}»: неверный вес голоса", ballot.voter));
        }
        if ballot.answers.len() != questions.len() {
            return Err(format!(
                "бюллетень «{}»: ответов {}, а вопросов {}",
                ballot.voter,
                ballot.answers.len(),
                questions.len()
            ));
        }
    }
    let counts_in_quorum = |b: &BallotView| kind == MeetingKind::Mkd || b.member;

    // Quorum.
    let mut voters = Weight::ZERO;
    for ballot in ballots.iter().filter(|b| counts_in_quorum(b)) {
        voters = sum(voters, ballot.weight)?;
    }
    let participants = match (kind, present_members) {
        (MeetingKind::Mkd, _) => voters,
        (MeetingKind::Snt, _) if form.is_absentee() && rules.snt_absentee_counts_only_voters() => {
            voters
        }
        (MeetingKind::Snt, Some(present)) => voters.max(Weight::integer(u128::from(present))),
        (MeetingKind::Snt, None) => voters,
    };
    if participants > electorate.total {
        return Err(format!(
            "участников ({}) больше, чем всего голосов ({})",
            votes_text(kind, participants),
            votes_text(kind, electorate.total)
        ));
    }
    let half = electorate
        .total
        .checked_scale(1, 2)
        .ok_or("переполнение при подсчёте кворума")?;
    let quorum = participants > half;
    let quorum_needed = needed_text(kind, half, true);

    // Questions.
    let mut results = Vec::with_capacity(questions.len());
    for (index, question) in kinds.iter().enumerate() {
        let non_members_vote = kind == MeetingKind::Snt && question.non_members_vote;
        let (mut for_, mut against, mut abstain) = (Weight::ZERO, Weight::ZERO, Weight::ZERO);
        let mut non_members = Weight::ZERO;
        for ballot in ballots {
            let member = counts_in_quorum(ballot);
            if !member {
                if !non_members_vote {
                    continue;
                }
                non_members = sum(non_members, ballot.weight)?;
            }
            match ballot.answers[index] {
                Some(Choice::For) => for_ = sum(for_, ballot.weight)?,
                Some(Choice::Against) => against = sum(against, ballot.weight)?,
                Some(Choice::Abstain) => abstain = sum(abstain, ballot.weight)?,
                None => {}
            }
        }
        let participating = sum(sum(for_, against)?, abstain)?;
        let participants_base = sum(participants, non_members)?;
        let (n, d, strict, base_kind) = question.threshold.parts();
        let base = match base_kind {
            Base::Participants => participants_base,
            Base::All if non_members_vote => sum(electorate.total, electorate.non_member_total)?,
            Base::All => electorate.total,
        };
        let value = base
            .checked_scale(u128::from(n), u128::from(d))
            .ok_or_else(|| format!("вопрос № {}: неверный порог {n}/{d}", index + 1))?;
        let passes = if strict { for_ > value } else { for_ >= value };
        results.push(QuestionResult {
            index,
            kind: question.code.clone(),
            for_,
            against,
            abstain,
            participating,
            participants_base,
            base,
            needed: needed_text(kind, value, strict),
            adopted: quorum && passes,
        });
    }
    Ok(Tally {
        kind,
        form,
        participants,
        total: electorate.total,
        quorum,
        quorum_needed,
        questions: results,
    })
}

// ---------------------------------------------------------------------------------------------
// Electronic voting schedule (ЖК ст.47.1)
// ---------------------------------------------------------------------------------------------

/// Minimum days between the notice and the start of electronic voting (ЖК ст.47.1 ч.4, ст.45
/// ч.4).
pub const ELECTRONIC_NOTICE_DAYS: i64 = 10;
/// Minimum length of electronic voting, days.
pub const ELECTRONIC_MIN_DAYS: i64 = 7;
/// Maximum length of electronic voting, days.
pub const ELECTRONIC_MAX_DAYS: i64 = 60;

/// Check an electronic vote's dates (`YYYY-MM-DD`): the notice at least 10 days before the
/// start, the voting lasting 7 to 60 days. The error is a Russian message.
pub fn check_electronic_schedule(notice: &str, start: &str, end: &str) -> Result<(), String> {
    let day = |label: &str, date: &str| {
        parse_date(date)
            .map(|(y, m, d)| days_from_civil(y, m, d))
            .ok_or_else(|| format!("{label}: неверная дата «{date}» (нужно ГГГГ-ММ-ДД)"))
    };
    let notice = day("дата сообщения о собрании", notice)?;
    let start = day("дата начала голосования", start)?;
    let end = day("дата окончания голосования", end)?;
    if start - notice < ELECTRONIC_NOTICE_DAYS {
        return Err(format!(
            "сообщение о собрании должно быть размещено не позднее чем за \
             {ELECTRONIC_NOTICE_DAYS} дней до начала голосования (ЖК РФ ст.45 ч.4, ст.47.1)"
        ));
    }
    let length = end - start;
    if !(ELECTRONIC_MIN_DAYS..=ELECTRONIC_MAX_DAYS).contains(&length) {
        return Err(format!(
            "продолжительность голосования {length} дн.: должна быть от \
             {ELECTRONIC_MIN_DAYS} до {ELECTRONIC_MAX_DAYS} дней (ЖК РФ ст.47.1)"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// СНТ dues (217-ФЗ ст.5, ст.14)
// ---------------------------------------------------------------------------------------------

/// `num / den` rounded half away from zero; `den > 0`.
fn div_round(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// Dues rate per m² from the estimate: kopecks per m², rounded half-up. 1 200 000 ₽
/// (120 000 000 kopecks) over 60 000 m² (6 000 000 hundredths) is 2 000 kopecks = 20 ₽/m².
pub fn dues_per_m2(estimate_kopecks: i64, total_area_centi: u64) -> Result<i64, String> {
    if total_area_centi == 0 {
        return Err("общая площадь участков равна нулю".into());
    }
    if estimate_kopecks < 0 {
        return Err("сумма по смете отрицательна".into());
    }
    let rate = div_round(
        i128::from(estimate_kopecks) * 100,
        i128::from(total_area_centi),
    );
    Ok(saturate(rate))
}

/// Dues rate per plot from the estimate: kopecks per plot, rounded half-up.
pub fn dues_per_plot(estimate_kopecks: i64, plots: u64) -> Result<i64, String> {
    if plots == 0 {
        return Err("число участков равно нулю".into());
    }
    if estimate_kopecks < 0 {
        return Err("сумма по смете отрицательна".into());
    }
    Ok(saturate(div_round(
        i128::from(estimate_kopecks),
        i128::from(plots),
    )))
}

/// Dues of one plot: `rate × area`, rounded half-up to a kopeck. 20 ₽/m² × 600 m² = 12 000 ₽.
pub fn plot_dues(rate_kopecks_per_m2: i64, area_centi: u64) -> i64 {
    saturate(div_round(
        i128::from(rate_kopecks_per_m2) * i128::from(area_centi),
        100,
    ))
}

/// What a non-member owner pays (217-ФЗ ст.5 ч.3): the same as a member's membership plus
/// target dues for the same plot.
pub fn non_member_payment(member_membership: i64, member_target: i64) -> i64 {
    member_membership.saturating_add(member_target)
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn m2(m2: u64) -> Weight {
        Weight::of_area(m2 * 100, 1, 1)
    }

    fn ballot(voter: &str, weight: Weight, member: bool, answers: &[Option<Choice>]) -> BallotView {
        BallotView {
            voter: voter.into(),
            weight,
            member,
            answers: answers.to_vec(),
        }
    }

    fn mkd_rules() -> RulesInForce {
        default_rules().in_force("2025-03-01")
    }

    fn codes(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    /// A МКД house of 4000 m², one question of `code`, ballots of (weight, answer).
    fn mkd_one_question(code: &str, ballots: &[(Weight, Choice)]) -> Tally {
        let ballots: Vec<BallotView> = ballots
            .iter()
            .enumerate()
            .map(|(i, (w, c))| ballot(&format!("owner{i}"), *w, true, &[Some(*c)]))
            .collect();
        let electorate = Electorate {
            total: m2(4000),
            non_member_total: Weight::ZERO,
        };
        tally(
            MeetingKind::Mkd,
            Form::Electronic,
            &mkd_rules(),
            &codes(&[code]),
            &electorate,
            &ballots,
            None,
        )
        .unwrap()
    }

    /// An СНТ of `members` members; `for_`/`against` member ballots plus `non_members` "for"
    /// ballots from non-members, on one question of `code`.
    #[allow(clippy::too_many_arguments)]
    fn snt_one_question(
        form: Form,
        date: &str,
        code: &str,
        members: u64,
        for_: usize,
        against: usize,
        non_members: usize,
        present: Option<u64>,
    ) -> Tally {
        let mut ballots = Vec::new();
        for i in 0..for_ {
            ballots.push(ballot(
                &format!("m{i}"),
                Weight::integer(1),
                true,
                &[Some(Choice::For)],
            ));
        }
        for i in 0..against {
            ballots.push(ballot(
                &format!("a{i}"),
                Weight::integer(1),
                true,
                &[Some(Choice::Against)],
            ));
        }
        for i in 0..non_members {
            ballots.push(ballot(
                &format!("n{i}"),
                Weight::integer(1),
                false,
                &[Some(Choice::For)],
            ));
        }
        let electorate = Electorate {
            total: Weight::integer(u128::from(members)),
            non_member_total: Weight::integer(non_members as u128),
        };
        tally(
            MeetingKind::Snt,
            form,
            &default_rules().in_force(date),
            &codes(&[code]),
            &electorate,
            &ballots,
            present,
        )
        .unwrap()
    }

    // --- Weight ---------------------------------------------------------------------------

    #[test]
    fn flat_of_60_m2_owned_one_third_and_two_thirds_gives_20_and_40_votes() {
        let a = Weight::of_area(6000, 1, 3);
        let b = Weight::of_area(6000, 2, 3);
        assert_eq!(a, m2(20));
        assert_eq!(b, m2(40));
        assert_eq!(a.as_m2_string(), "20.00");
        assert_eq!(b.as_m2_string(), "40.00");
        assert_eq!(a + b, m2(60));
    }

    #[test]
    fn weight_is_normalized_and_adds_exactly() {
        assert_eq!(Weight::new(6, 4), Weight { num: 3, den: 2 });
        assert_eq!(Weight::new(0, 7), Weight::ZERO);
        assert_eq!(Weight::checked_new(1, 0), None);
        let third = Weight::new(1, 3);
        let sixth = Weight::new(1, 6);
        assert_eq!(third + sixth, Weight::new(1, 2));
        assert_eq!(third + third + third, Weight::integer(1));
        assert_eq!(Weight::ZERO + third, third);
        assert_eq!(
            Weight::new(u128::MAX, 1).checked_add(Weight::integer(1)),
            None
        );
        assert_eq!(
            Weight::integer(10).checked_scale(2, 3),
            Some(Weight::new(20, 3))
        );
    }

    #[test]
    fn weight_orders_by_value_even_when_cross_products_overflow_u128() {
        assert!(Weight::new(2, 3) > Weight::new(3, 5));
        assert!(Weight::new(1, 2) < Weight::new(1, 1));
        assert_eq!(Weight::new(2, 4).cmp(&Weight::new(1, 2)), Ordering::Equal);
        let big = Weight::new(u128::MAX, u128::MAX - 1);
        let bigger = Weight::new(u128::MAX - 1, u128::MAX - 2);
        assert!(big < bigger);
        assert!(Weight::new(u128::MAX, 3) > Weight::new(u128::MAX - 1, 3));
    }

    #[test]
    fn weight_rounds_half_up_to_hundredths_of_m2() {
        assert_eq!(Weight::new(800_000, 3).as_m2_string(), "2666.67");
        assert_eq!(Weight::new(1, 2).as_m2_string(), "0.01");
        assert_eq!(Weight::new(1, 3).as_m2_string(), "0.00");
        assert_eq!(Weight::integer(5).as_m2_string(), "0.05");
        assert!((Weight::new(1, 4).to_f64() - 0.25).abs() < 1e-12);
        assert_eq!(percent_string(m2(1200), m2(2250)), "53.33");
        assert_eq!(
            percent_string(Weight::integer(1), Weight::integer(8)),
            "12.50"
        );
        assert_eq!(percent_string(Weight::integer(1), Weight::ZERO), "0.00");
    }

    #[test]
    fn weight_deserialization_normalizes_and_rejects_zero_denominator() {
        let w: Weight = serde_json::from_str(r#"{"num": 4, "den": 6}"#).unwrap();
        assert_eq!(w, Weight::new(2, 3));
        assert!(serde_json::from_str::<Weight>(r#"{"num": 1, "den": 0}"#).is_err());
    }

    // --- МКД (ЖК ст.45–46) ----------------------------------------------------------------

    #[test]
    fn mkd_exactly_half_of_4000_is_no_quorum() {
        let t = mkd_one_question("ordinary", &[(m2(2000), Choice::For)]);
        assert!(!t.quorum);
        assert_eq!(t.quorum_needed, "> 2000.00");
        assert_eq!(t.participants, m2(2000));
    }

    #[test]
    fn mkd_2250_of_4000_is_a_quorum() {
        let t = mkd_one_question("ordinary", &[(m2(2250), Choice::Against)]);
        assert!(t.quorum);
        assert_eq!(t.total, m2(4000));
    }

    #[test]
    fn mkd_ordinary_question_1200_for_of_2250_is_adopted_over_1125() {
        let t = mkd_one_question(
            "ordinary",
            &[(m2(1200), Choice::For), (m2(1050), Choice::Against)],
        );
        let q = &t.questions[0];
        assert_eq!(q.needed, "> 1125.00");
        assert_eq!(q.participating, m2(2250));
        assert_eq!(q.base, m2(2250));
        assert!(q.adopted);
    }

    #[test]
    fn mkd_ordinary_question_exactly_half_of_participants_is_rejected() {
        let t = mkd_one_question(
            "ordinary",
            &[(m2(1125), Choice::For), (m2(1125), Choice::Abstain)],
        );
        assert!(!t.questions[0].adopted);
        assert_eq!(t.questions[0].abstain, m2(1125));
    }

    #[test]
    fn mkd_management_method_1900_of_2250_is_rejected_needing_more_than_half_of_all() {
        let t = mkd_one_question(
            "management_method",
            &[(m2(1900), Choice::For), (m2(350), Choice::Against)],
        );
        let q = &t.questions[0];
        assert!(t.quorum);
        assert_eq!(q.needed, "> 2000.00");
        assert_eq!(q.base, m2(4000));
        assert!(!q.adopted);
    }

    #[test]
    fn mkd_common_property_use_exactly_two_thirds_of_all_is_adopted() {
        // 2/3 of 4000 m² = 8000/3 m² = 800 000/3 hundredths: "не менее" includes it.
        let for_ = Weight::new(800_000, 3);
        let against = Weight::new(100_000, 3);
        assert_eq!(for_ + against, m2(3000));
        let t = mkd_one_question(
            "common_property_use",
            &[(for_, Choice::For), (against, Choice::Against)],
        );
        let q = &t.questions[0];
        assert_eq!(q.needed, "≥ 2666.67");
        assert!(q.adopted);
    }

    #[test]
    fn mkd_common_property_use_2666_66_rejected_and_2666_67_adopted() {
        let run = |hundredths: u64| {
            let t = mkd_one_question(
                "common_property_use",
                &[
                    (Weight::of_area(hundredths, 1, 1), Choice::For),
                    (Weight::of_area(300_000 - hundredths, 1, 1), Choice::Against),
                ],
            );
            t.questions[0].adopted
        };
        assert!(!run(266_666));
        assert!(run(266_667));
    }

    #[test]
    fn no_quorum_means_nothing_is_adopted() {
        let t = mkd_one_question("ordinary", &[(m2(2000), Choice::For)]);
        assert!(!t.quorum);
        assert!(t.questions.iter().all(|q| !q.adopted));
        assert_eq!(t.questions[0].for_, m2(2000));
    }

    #[test]
    fn mkd_unanswered_question_stays_in_the_participants_base() {
        let ballots = vec![
            ballot("a", m2(1200), true, &[Some(Choice::For)]),
            ballot("b", m2(1500), true, &[None]),
        ];
        let electorate = Electorate {
            total: m2(4000),
            non_member_total: Weight::ZERO,
        };
        let t = tally(
            MeetingKind::Mkd,
            Form::Absentee,
            &mkd_rules(),
            &codes(&["ordinary"]),
            &electorate,
            &ballots,
            None,
        )
        .unwrap();
        let q = &t.questions[0];
        assert_eq!(q.participating, m2(1200));
        assert_eq!(q.base, m2(2700));
        assert!(!q.adopted);
    }

    #[test]
    fn tally_rejects_unknown_kind_foreign_kind_and_wrong_answer_count() {
        let electorate = Electorate {
            total: m2(4000),
            non_member_total: Weight::ZERO,
        };
        let ok = [ballot("a", m2(3000), true, &[Some(Choice::For)])];
        let run = |qs: &[&str], ballots: &[BallotView]| {
            tally(
                MeetingKind::Mkd,
                Form::Absentee,
                &mkd_rules(),
                &codes(qs),
                &electorate,
                ballots,
                None,
            )
        };
        let err = run(&["nonsense"], &ok).unwrap_err();
        assert!(err.contains("неизвестный вид вопроса «nonsense»"), "{err}");
        let err = run(&["snt_ordinary"], &ok).unwrap_err();
        assert!(err.contains("другого вида"), "{err}");
        let err = run(&["ordinary", "ordinary"], &ok).unwrap_err();
        assert!(err.contains("ответов 1, а вопросов 2"), "{err}");
        let too_many = [ballot("a", m2(5000), true, &[Some(Choice::For)])];
        assert!(run(&["ordinary"], &too_many).is_err());
    }

    // --- СНТ (217-ФЗ ст.17) ---------------------------------------------------------------

    #[test]
    fn snt_61_of_120_members_is_a_quorum_and_60_is_not() {
        let yes = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_ordinary",
            120,
            61,
            0,
            0,
            None,
        );
        assert!(yes.quorum);
        assert_eq!(yes.quorum_needed, "> 60");
        let no = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_ordinary",
            120,
            60,
            0,
            0,
            None,
        );
        assert!(!no.quorum);
    }

    #[test]
    fn snt_two_thirds_of_61_present_needs_41_votes() {
        let adopted = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_qualified",
            120,
            41,
            20,
            0,
            None,
        );
        assert_eq!(adopted.questions[0].needed, "≥ 41");
        assert!(adopted.questions[0].adopted);
        let rejected = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_qualified",
            120,
            40,
            21,
            0,
            None,
        );
        assert!(rejected.quorum);
        assert!(!rejected.questions[0].adopted);
    }

    #[test]
    fn snt_simple_majority_of_61_present_needs_31_votes() {
        let adopted = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_ordinary",
            120,
            31,
            30,
            0,
            None,
        );
        assert_eq!(adopted.questions[0].needed, "≥ 31");
        assert!(adopted.questions[0].adopted);
        let rejected = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_ordinary",
            120,
            30,
            31,
            0,
            None,
        );
        assert!(!rejected.questions[0].adopted);
    }

    #[test]
    fn snt_present_members_count_for_in_person_quorum_and_base() {
        // 61 present, only 40 handed in ballots: quorum, and 2/3 is of the 61 present.
        let t = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_qualified",
            120,
            40,
            0,
            0,
            Some(61),
        );
        assert!(t.quorum);
        assert_eq!(t.participants, Weight::integer(61));
        assert_eq!(t.questions[0].needed, "≥ 41");
        assert!(!t.questions[0].adopted);
    }

    #[test]
    fn snt_non_member_votes_count_only_on_common_property_and_payments() {
        // 61 members: 38 for, 23 against; 10 non-members for. On a qualified question the
        // non-members are ignored (38 < 41); on payments they add to both sides of the
        // fraction: 48 of 71 ≥ 47.33.
        let qualified = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_qualified",
            120,
            38,
            23,
            10,
            None,
        );
        let q = &qualified.questions[0];
        assert_eq!(q.for_, Weight::integer(38));
        assert_eq!(q.base, Weight::integer(61));
        assert!(!q.adopted);
        let payments = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_payments",
            120,
            38,
            23,
            10,
            None,
        );
        let q = &payments.questions[0];
        assert_eq!(q.for_, Weight::integer(48));
        assert_eq!(q.participating, Weight::integer(71));
        assert_eq!(q.base, Weight::integer(71));
        assert_eq!(q.needed, "≥ 48");
        assert!(q.adopted);
        // Non-members never make the members' quorum.
        assert_eq!(payments.participants, Weight::integer(61));
        let thin = snt_one_question(
            Form::InPerson,
            "2025-03-01",
            "snt_payments",
            120,
            50,
            0,
            30,
            None,
        );
        assert!(!thin.quorum);
        assert!(!thin.questions[0].adopted);
    }

    #[test]
    fn snt_absentee_quorum_counted_by_presence_before_2024_and_by_ballots_since() {
        // 120 members, 61 registered as taking part, but only 50 cast a ballot.
        let before = snt_one_question(
            Form::Absentee,
            "2023-06-01",
            "snt_ordinary",
            120,
            50,
            0,
            0,
            Some(61),
        );
        assert!(before.quorum);
        assert!(before.questions[0].adopted);
        let since = snt_one_question(
            Form::Absentee,
            "2024-06-01",
            "snt_ordinary",
            120,
            50,
            0,
            0,
            Some(61),
        );
        assert!(!since.quorum);
        assert_eq!(since.participants, Weight::integer(50));
        assert!(!since.questions[0].adopted);
        // The in-person form is unaffected by the 2024 change.
        let in_person = snt_one_question(
            Form::InPerson,
            "2024-06-01",
            "snt_ordinary",
            120,
            50,
            0,
            0,
            Some(61),
        );
        assert!(in_person.quorum);
        // Mixed and electronic forms follow the absentee rule.
        for form in [Form::Mixed, Form::Electronic] {
            let t = snt_one_question(form, "2024-06-01", "snt_ordinary", 120, 50, 0, 0, Some(61));
            assert!(!t.quorum);
        }
    }

    // --- Rules ----------------------------------------------------------------------------

    #[test]
    fn rules_in_force_differ_before_and_since_2024_for_snt_quorum() {
        let rules = default_rules();
        assert!(
            !rules
                .in_force("2023-06-01")
                .snt_absentee_counts_only_voters()
        );
        assert!(
            rules
                .in_force("2024-06-01")
                .snt_absentee_counts_only_voters()
        );
        assert!(
            rules
                .in_force("2024-01-01")
                .snt_absentee_counts_only_voters()
        );
        assert!(
            !rules
                .in_force("2023-12-31")
                .snt_absentee_counts_only_voters()
        );
    }

    #[test]
    fn a_meeting_is_noticed_as_the_law_in_force_says_and_an_operator_may_date_a_change() {
        let mut rules = default_rules();
        let mkd = rules.in_force("2026-05-01");
        assert_eq!(mkd.notice(MeetingKind::Mkd).unwrap().days_before, 10);
        let snt = mkd.notice(MeetingKind::Snt).unwrap();
        assert_eq!((snt.days_before, snt.max_voting_days), (14, None));
        // Before 217-ФЗ there is no SNT rule to call a meeting by.
        assert!(
            rules
                .in_force("2018-06-01")
                .notice(MeetingKind::Snt)
                .is_none()
        );
        rules.notice.push(NoticeRule {
            meeting: MeetingKind::Snt,
            effective_from: "2030-01-01".into(),
            days_before: 21,
            min_voting_days: Some(7),
            max_voting_days: Some(30),
            basis: "устав СНТ".into(),
        });
        rules.validate().unwrap();
        assert_eq!(
            rules
                .in_force("2029-12-31")
                .notice(MeetingKind::Snt)
                .unwrap()
                .days_before,
            14
        );
        assert_eq!(
            rules
                .in_force("2030-01-01")
                .notice(MeetingKind::Snt)
                .unwrap()
                .days_before,
            21
        );
        // Rules written without a notice section keep the law's.
        let mut json = serde_json::to_value(default_rules()).unwrap();
        json.as_object_mut().unwrap().remove("notice");
        let parsed = Rules::from_json(&json.to_string()).unwrap();
        assert_eq!(parsed.notice, default_notice_rules());
        // Dates out of order are refused with what is wrong.
        rules.notice.push(NoticeRule {
            effective_from: "2029-01-01".into(),
            ..rules.notice[2].clone()
        });
        assert!(
            rules
                .validate()
                .unwrap_err()
                .contains("даты не по возрастанию")
        );
    }

    #[test]
    fn rules_in_force_pick_the_latest_entry_per_code() {
        let mut rules = default_rules();
        rules.kinds.push(KindRule {
            meeting: MeetingKind::Mkd,
            effective_from: "2030-01-01".into(),
            kind: QuestionKind {
                code: "ordinary".into(),
                name_ru: "Иной вопрос".into(),
                threshold: Threshold::Fraction {
                    numerator: 3,
                    denominator: 5,
                    strict: false,
                    base: Base::Participants,
                },
                non_members_vote: false,
            },
        });
        rules.validate().unwrap();
        let now = rules.in_force("2025-01-01");
        assert_eq!(
            now.kind("ordinary").unwrap().threshold,
            Threshold::MoreThanHalfOfParticipants
        );
        let later = rules.in_force("2030-01-01");
        assert_eq!(
            later.kind("ordinary").unwrap().threshold.parts(),
            (3, 5, false, Base::Participants)
        );
        // Before the Code, nothing is in force.
        assert!(rules.in_force("2004-12-31").kind("ordinary").is_none());
        // СНТ kinds only from 2019.
        assert!(rules.in_force("2018-12-31").kind("snt_ordinary").is_none());
        assert_eq!(
            rules
                .in_force("2019-01-01")
                .kinds_for(MeetingKind::Snt)
                .len(),
            4
        );
        assert_eq!(
            rules
                .in_force("2019-01-01")
                .kinds_for(MeetingKind::Mkd)
                .len(),
            7
        );
    }

    #[test]
    fn default_rules_survive_a_json_round_trip() {
        let rules = default_rules();
        let text = serde_json::to_string(&rules).unwrap();
        assert_eq!(Rules::from_json(&text).unwrap(), rules);
    }

    fn with_first_threshold(threshold: serde_json::Value) -> String {
        let mut value = serde_json::to_value(default_rules()).unwrap();
        value["kinds"][0]["kind"]["threshold"] = threshold;
        value.to_string()
    }

    #[test]
    fn from_json_rejects_a_fraction_outside_zero_to_one() {
        for (n, d) in [(3, 2), (0, 3), (1, 0)] {
            let text = with_first_threshold(serde_json::json!({
                "fraction": {"numerator": n, "denominator": d, "strict": false, "base": "all"}
            }));
            let err = Rules::from_json(&text).unwrap_err();
            assert!(err.contains(&format!("доля {n}/{d} недопустима")), "{err}");
            assert!(err.contains("«ordinary»"), "{err}");
        }
        let ok = with_first_threshold(serde_json::json!({
            "fraction": {"numerator": 3, "denominator": 4, "strict": true, "base": "participants"}
        }));
        assert!(Rules::from_json(&ok).is_ok());
    }

    #[test]
    fn from_json_rejects_unsorted_dates_naming_them() {
        let mut rules = default_rules();
        let mut older = rules.kinds[0].clone();
        older.effective_from = "2000-01-01".into();
        rules.kinds.push(older);
        let err = Rules::from_json(&serde_json::to_string(&rules).unwrap()).unwrap_err();
        assert!(err.contains("даты не по возрастанию"), "{err}");
        assert!(
            err.contains("2000-01-01") && err.contains("2005-03-01"),
            "{err}"
        );

        let mut rules = default_rules();
        rules.snt_quorum.reverse();
        let err = Rules::from_json(&serde_json::to_string(&rules).unwrap()).unwrap_err();
        assert!(err.contains("кворума СНТ: даты не по возрастанию"), "{err}");
    }

    #[test]
    fn from_json_rejects_bad_dates_unknown_kinds_and_unknown_fields() {
        let mut rules = default_rules();
        rules.kinds[0].effective_from = "2005-02-30".into();
        let err = Rules::from_json(&serde_json::to_string(&rules).unwrap()).unwrap_err();
        assert!(err.contains("неверная дата «2005-02-30»"), "{err}");

        let mut rules = default_rules();
        rules.kinds[0].kind.code = "whatever".into();
        let err = Rules::from_json(&serde_json::to_string(&rules).unwrap()).unwrap_err();
        assert!(err.contains("неизвестный вид вопроса"), "{err}");

        let bad_threshold = with_first_threshold(serde_json::json!("most_of_them"));
        assert!(Rules::from_json(&bad_threshold).is_err());
        assert!(Rules::from_json("{\"kinds\": [], \"snt_quorum\": [], \"x\": 1}").is_err());
        assert!(Rules::from_json("not json").is_err());
    }

    #[test]
    fn dates_are_checked_for_the_calendar() {
        assert!(is_valid_date("2024-02-29"));
        assert!(!is_valid_date("2023-02-29"));
        assert!(!is_valid_date("2023-13-01"));
        assert!(!is_valid_date("2023-1-01"));
        assert!(!is_valid_date("2023-01-+1"));
    }

    #[test]
    fn the_voting_length_is_said_in_words_whether_the_law_bounds_one_end_or_both() {
        let rule = |min, max| NoticeRule {
            meeting: MeetingKind::Mkd,
            effective_from: "2005-03-01".into(),
            days_before: 10,
            min_voting_days: min,
            max_voting_days: max,
            basis: "ЖК РФ ст.45".into(),
        };
        let said = |min, max| rule(min, max).voting_length();
        assert_eq!(
            said(Some(7), Some(60)),
            Some(("от 7 до 60 дней".into(), "7 to 60 days".into()))
        );
        assert_eq!(
            said(Some(7), None),
            Some(("не меньше 7 дней".into(), "at least 7 days".into()))
        );
        assert_eq!(
            said(None, Some(21)),
            Some(("не больше 21 дня".into(), "at most 21 days".into()))
        );
        assert_eq!(said(Some(1), None).unwrap().0, "не меньше 1 дня");
        assert_eq!(said(Some(3), None).unwrap().0, "не меньше 3 дней");
        assert_eq!(said(Some(11), None).unwrap().0, "не меньше 11 дней");
        assert_eq!(said(Some(2), Some(31)).unwrap().0, "от 2 до 31 дня");
        assert_eq!(said(None, None), None);
    }

    #[test]
    fn electronic_vote_needs_10_days_notice_and_lasts_7_to_60_days() {
        assert!(check_electronic_schedule("2025-03-01", "2025-03-11", "2025-03-18").is_ok());
        let err = check_electronic_schedule("2025-03-02", "2025-03-11", "2025-03-18").unwrap_err();
        assert!(err.contains("10 дней"), "{err}");
        assert!(check_electronic_schedule("2025-03-01", "2025-03-11", "2025-03-17").is_err());
        assert!(check_electronic_schedule("2025-03-01", "2025-03-11", "2025-05-10").is_ok());
        assert!(check_electronic_schedule("2025-03-01", "2025-03-11", "2025-05-11").is_err());
        assert!(check_electronic_schedule("2025-03-01", "bad", "2025-05-11").is_err());
    }

    // --- Dues (217-ФЗ ст.5, ст.14) --------------------------------------------------------

    #[test]
    fn dues_1_200_000_rub_over_60_000_m2_is_20_rub_per_m2_and_12_000_for_600_m2() {
        let rate = dues_per_m2(120_000_000, 6_000_000).unwrap();
        assert_eq!(rate, 2_000);
        assert_eq!(plot_dues(rate, 60_000), 1_200_000);
    }

    #[test]
    fn non_member_with_600_m2_pays_the_same_12_000_as_a_member() {
        let rate = dues_per_m2(120_000_000, 6_000_000).unwrap();
        let membership = plot_dues(rate, 60_000);
        let target = 0;
        assert_eq!(non_member_payment(membership, target), 1_200_000);
        assert_eq!(non_member_payment(membership, 50_000), membership + 50_000);
    }

    #[test]
    fn dues_round_half_up_to_a_kopeck_and_reject_nonsense() {
        // 100 kopecks over 3 m² = 33.33… → 33; over 0.08 m² (8 hundredths) = 1250.
        assert_eq!(dues_per_m2(100, 300), Ok(33));
        assert_eq!(dues_per_m2(200, 300), Ok(67));
        assert_eq!(plot_dues(15, 10), 2); // 1.5 kopecks → 2
        assert_eq!(plot_dues(15, 9), 1); // 1.35 → 1
        assert!(dues_per_m2(100, 0).is_err());
        assert!(dues_per_m2(-1, 100).is_err());
        assert_eq!(dues_per_plot(120_000_000, 100), Ok(1_200_000));
        assert_eq!(dues_per_plot(5, 2), Ok(3));
        assert!(dues_per_plot(1, 0).is_err());
    }
}

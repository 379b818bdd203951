//! What the plugin stores: personal accounts with their meters, tariffs, readings, bills,
//! payments, billing runs, providers' details, service requests and announcements; and its
//! settings. Money is kopecks, volumes thousandths of a unit, areas hundredths of a m².

use core::fmt;
use core::str::FromStr;

use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::charges::{AveragingRule, CoefficientRule, MeterHistory, Method, ReadingKind};
use crate::penalty::PenaltyRules;
use crate::qr::Payee;

/// Personal accounts, id `{house}:{number}`.
pub const ACCOUNTS: Collection<Account> = Collection::new("accounts");
/// Services and their effective-dated tariffs, id `{community}:{code}`.
pub const TARIFFS: Collection<Tariff> = Collection::new("tariffs");
/// Meter readings, id `{meter}@{period}`: one per meter per month.
pub const READINGS: Collection<Reading> = Collection::new("readings");
/// Bills, id `{account}@{period}`.
pub const BILLS: Collection<Bill> = Collection::new("bills");
/// Payments, id `{source}:{reference}` (so a registry line or a webhook counts once).
pub const PAYMENTS: Collection<Payment> = Collection::new("payments");
/// Billing runs, id `{scope}@{period}`.
pub const RUNS: Collection<Run> = Collection::new("runs");
/// The provider's details for the payment document, id = the community they apply to.
pub const PROVIDERS: Collection<Provider> = Collection::new("providers");
/// Service requests (заявки).
pub const REQUESTS: Collection<ServiceRequest> = Collection::new("requests");
/// Announcements of outages and works.
pub const ANNOUNCEMENTS: Collection<Announcement> = Collection::new("announcements");
/// Payments started at the payment provider («Оплатить»), id = the order sent to it.
pub const CHECKOUTS: Collection<Checkout> = Collection::new("checkouts");
/// Counters and once-only marks: request numbers per house (`requests:{house}`), the reading
/// reminder of a month (`reminder:{community}@{YYYY-MM}`).
pub const COUNTERS: Collection<Counter> = Collection::new("counters");

/// A billing month, `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// The year.
    pub year: i32,
    /// The month, 1–12.
    pub month: u8,
}

impl Period {
    /// The month `date` falls in.
    pub fn of(date: Date) -> Period {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).expect("a period is a valid month")
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        self.first_day().last_day_of_month()
    }

    /// The month before.
    pub fn previous(self) -> Period {
        Period::of(self.first_day().add_months(-1).expect("in range"))
    }

    /// The month after.
    pub fn next(self) -> Period {
        Period::of(self.first_day().add_months(1).expect("in range"))
    }

    /// `MM.YYYY`, as the bill shows it.
    pub fn dotted(self) -> String {
        format!("{:02}.{}", self.month, self.year)
    }

    /// The month as people name it in the call's locale: `ноябрь 2026`, `November 2026`.
    pub fn name(self) -> String {
        const RU: [&str; 12] = [
            "январь",
            "февраль",
            "март",
            "апрель",
            "май",
            "июнь",
            "июль",
            "август",
            "сентябрь",
            "октябрь",
            "ноябрь",
            "декабрь",
        ];
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let i = usize::from(self.month.clamp(1, 12) - 1);
        let month = if ctx::is_english() { EN[i] } else { RU[i] };
        format!("{month} {}", self.year)
    }

    /// Parse what a person or a file gave for field `field`.
    pub fn parse_field(field: &str, input: &str) -> Result<Period> {
        input.trim().parse().map_err(|()| {
            Error::invalid(
                field,
                tr(
                    "Укажите месяц как ГГГГ-ММ, например 2026-11",
                    "give the month as YYYY-MM, e.g. 2026-11",
                ),
            )
        })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = ();

    fn from_str(s: &str) -> core::result::Result<Self, ()> {
        let (y, m) = s.split_once('-').ok_or(())?;
        if y.len() != 4 || m.len() != 2 {
            return Err(());
        }
        let year: i32 = y.parse().map_err(|_| ())?;
        let month: u8 = m.parse().map_err(|_| ())?;
        Date::new(year, month, 1).ok_or(())?;
        Ok(Period { year, month })
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|()| serde::de::Error::custom("a month as YYYY-MM"))
    }
}

/// A meter in a flat, with what billing remembers about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    /// Stable id, `{account id}#{n}`.
    pub id: String,
    /// The service code it measures (`cold_water`, `electricity`).
    pub service: String,
    /// The serial number on the meter.
    pub serial: String,
    /// Digits of its counter (before the point), for rollovers.
    pub digits: u8,
    /// When it was installed.
    pub installed: Option<Date>,
    /// When its verification (поверка) runs out; after that it no longer counts.
    pub verified_until: Option<Date>,
    /// The value billing last used (thousandths).
    pub last_value: i64,
    /// The month of that value; none before the first reading.
    pub last_period: Option<Period>,
    /// Recent monthly volumes and months without readings.
    #[serde(default)]
    pub history: MeterHistory,
    /// The reading submitted for the month not yet billed (also kept in `readings`): the
    /// account is all billing reads.
    #[serde(default)]
    pub pending: Option<PendingReading>,
}

/// A reading waiting for its month's bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReading {
    /// The month.
    pub period: Period,
    /// The value (thousandths).
    pub value: i64,
    /// Normal, replacement or rollover.
    #[serde(default)]
    pub kind: ReadingKind,
    /// For a replacement: the old meter's last value.
    #[serde(default)]
    pub old_final: Option<i64>,
    /// Flagged as a jump and not yet accepted or corrected by an operator: the account's
    /// bill waits for it.
    #[serde(default)]
    pub held: bool,
}

/// A bill not yet paid in full, as the account keeps it for payments and penalties.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenBill {
    /// The month.
    pub period: Period,
    /// Pay by.
    pub due: Date,
    /// Lines and recalculations.
    pub principal: Kopecks,
    /// Paid so far.
    pub paid: Kopecks,
    /// Payments applied: (day, amount).
    pub payments: Vec<(Date, Kopecks)>,
}

impl OpenBill {
    /// What is left to pay.
    pub fn owed(&self) -> Kopecks {
        Kopecks(self.principal.0 - self.paid.0)
    }
}

impl Meter {
    /// Whether it may be read on `day`: installed and verified.
    pub fn is_verified_on(&self, day: Date) -> bool {
        self.verified_until.is_none_or(|until| day <= until)
    }
}

/// A personal account (лицевой счёт) of a flat or premises.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The number people see and pay by.
    pub number: String,
    /// The host's unit (`demo-house-1/12`) it belongs to; residents of the unit see it. Indexed.
    pub unit: Option<String>,
    /// The payer's name on the bill.
    pub payer: String,
    /// The address on the bill.
    pub address: String,
    /// Area in hundredths of a m².
    pub area: i64,
    /// People registered (зарегистрировано) — for charges by norm.
    pub residents: i64,
    /// Owners' count, for the operator's card.
    #[serde(default)]
    pub owners: i64,
    /// Codes of the services billed; empty: every service with a tariff.
    #[serde(default)]
    pub services: Vec<String>,
    /// Codes of services charged by norm with the increasing coefficient (a meter is required
    /// and possible but not installed, or access was refused twice).
    #[serde(default)]
    pub raised: Vec<String>,
    /// The meters.
    #[serde(default)]
    pub meters: Vec<Meter>,
    /// Charged minus paid; above zero is debt. Indexed (debtors).
    #[serde(default)]
    pub balance: Kopecks,
    /// Paid and not yet applied to any bill.
    #[serde(default)]
    pub advance: Kopecks,
    /// Penalties put on bills so far.
    #[serde(default)]
    pub penalty_charged: Kopecks,
    /// Penalties paid so far.
    #[serde(default)]
    pub penalty_paid: Kopecks,
    /// The final penalties of bills paid in full.
    #[serde(default)]
    pub penalty_settled: Kopecks,
    /// The last month billed. Indexed.
    #[serde(default)]
    pub last_billed: Option<Period>,
    /// Bills not yet paid in full, oldest first.
    #[serde(default)]
    pub open: Vec<OpenBill>,
    /// The number for natural order (flat 2 before flat 10): runs of digits zero-padded.
    /// Indexed; set by [`Account::index`].
    #[serde(default)]
    pub sort_key: String,
    /// The payer's name in lower case, for search by its beginning. Indexed.
    #[serde(default)]
    pub payer_key: String,
}

impl Account {
    /// Fill the indexed keys from the number and the payer.
    pub fn index(&mut self) {
        self.sort_key = natural_key(&self.number);
        self.payer_key = self.payer.trim().to_lowercase();
    }
}

/// A key that sorts numbers people write the way they read them: `2` before `10`, `12` before
/// `12а`: every run of digits is left-padded to 12 digits, letters are lower-cased.
pub fn natural_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 12);
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0');
            for _ in trimmed.len()..12 {
                out.push('0');
            }
            out.push_str(trimmed);
            digits.clear();
        }
    };
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.extend(c.to_lowercase());
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// How a service is charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeBasis {
    /// By meter, else average, else norm × residents.
    Metered,
    /// Area × rate per m² (maintenance, capital repair).
    Area,
}

/// A tariff and norm from a date on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// From this day.
    pub from: Date,
    /// Roubles per unit, as a decimal string (`"45.00"`, `"1.936"`).
    pub tariff: String,
    /// Units per person per month for charges by norm, as a decimal string (`"4.9"`).
    #[serde(default)]
    pub norm: Option<String>,
}

/// A service of a house (or of every house under a community) and its tariffs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tariff {
    /// The code (`[a-z][a-z0-9_]*`). Indexed.
    pub code: String,
    /// The name on the bill, in Russian.
    pub name_ru: String,
    /// The name in English.
    pub name_en: String,
    /// The unit (`м³`, `кВт·ч`, `м²`).
    pub unit: String,
    /// How it is charged.
    pub basis: ChargeBasis,
    /// Tariffs by effective date, sorted.
    pub rates: Vec<Rate>,
}

/// A meter reading for a month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The account id. Indexed.
    pub account: String,
    /// The meter id.
    pub meter: String,
    /// The service code.
    pub service: String,
    /// The month. Indexed.
    pub period: Period,
    /// The value (thousandths).
    pub value: i64,
    /// Normal, replacement or rollover.
    #[serde(default)]
    pub kind: ReadingKind,
    /// For a replacement: the old meter's last value (thousandths).
    #[serde(default)]
    pub old_final: Option<i64>,
    /// The volume since the value billing last used (thousandths).
    pub volume: i64,
    /// Far above the average: for the operator to look at. Indexed.
    pub flagged: bool,
    /// Who submitted it.
    pub by: Option<String>,
    /// When (ms).
    pub at: i64,
    /// The operator's review of a flagged reading.
    #[serde(default)]
    pub review: Option<Review>,
}

/// What an operator decided about a flagged reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Accepted as submitted, or corrected.
    pub corrected: bool,
    /// The value submitted, when corrected (thousandths).
    pub submitted: Option<i64>,
    /// Who reviewed it (name).
    pub by: String,
    /// When (ms).
    pub at: i64,
}

/// A text in both languages, stored where the locale of the reader is not known yet (a run's
/// anomalies are written by a job and read by an operator). Reads plain strings (Russian) of
/// older documents too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Note {
    /// Russian and English.
    Both {
        /// Russian.
        ru: String,
        /// English.
        en: String,
    },
    /// Russian only (older documents).
    Russian(String),
}

impl Note {
    /// A note in Russian and English.
    pub fn new(ru: impl Into<String>, en: impl Into<String>) -> Note {
        Note::Both {
            ru: ru.into(),
            en: en.into(),
        }
    }

    /// The Russian and the English text (the Russian twice for older documents).
    pub fn both(&self) -> (&str, &str) {
        match self {
            Note::Both { ru, en } => (ru, en),
            Note::Russian(ru) => (ru, ru),
        }
    }

    /// The text in the call's locale.
    pub fn text(&self) -> &str {
        match self {
            Note::Both { ru, en } => tr(ru, en),
            Note::Russian(ru) => ru,
        }
    }
}

/// The penalty one unpaid bill had accrued when a later bill was issued, with its calculation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyOfBill {
    /// The unpaid bill's month.
    pub period: Period,
    /// Its due date.
    pub due: Date,
    /// Its principal.
    pub principal: Kopecks,
    /// The penalty accrued on it through the end of the billing month, rounded once.
    pub total: Kopecks,
    /// Runs of days with the same debt, rate and fraction.
    pub periods: Vec<crate::penalty::PenaltyPeriod>,
}

/// A line of a bill: one service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The service code.
    pub service: String,
    /// Its name in Russian.
    pub name_ru: String,
    /// Its name in English.
    pub name_en: String,
    /// The unit.
    pub unit: String,
    /// How the volume was found.
    pub method: Method,
    /// The volume (thousandths) or area (thousandths of m²).
    pub volume: i64,
    /// The tariff, roubles per unit.
    pub tariff: String,
    /// The increasing coefficient, if applied.
    pub coefficient: Option<String>,
    /// The part of `amount` above the plain norm charge (with a coefficient).
    pub above_norm: Kopecks,
    /// The amount.
    pub amount: Kopecks,
}

/// A recalculation on a bill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recalculation {
    /// The service code.
    pub service: String,
    /// Why, in Russian and English.
    pub reason_ru: String,
    /// Why, in English.
    pub reason_en: String,
    /// The amount (negative: a refund).
    pub amount: Kopecks,
}

/// A monthly bill — the data of the payment document (ЕПД).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    /// The account id. Indexed.
    pub account: String,
    /// The account number.
    pub number: String,
    /// The billing month. Indexed.
    pub period: Period,
    /// When it was issued.
    pub issued: Date,
    /// Pay by this day.
    pub due: Date,
    /// The services.
    pub lines: Vec<Line>,
    /// Recalculations with reasons.
    pub recalculations: Vec<Recalculation>,
    /// Lines and recalculations.
    pub principal: Kopecks,
    /// Penalties accrued since the last bill (may be negative after a late-recorded payment).
    pub penalty: Kopecks,
    /// Owed before this bill (debt from earlier periods; negative is an advance).
    pub balance_before: Kopecks,
    /// What to pay: the balance after this bill, not below zero.
    pub to_pay: Kopecks,
    /// Of `principal`, paid so far.
    pub paid: Kopecks,
    /// Payments applied to the principal: (day, amount).
    pub payments: Vec<(Date, Kopecks)>,
    /// Principal not yet paid in full.
    pub open: bool,
    /// What the operator should look at (estimated volumes, a missing tariff).
    pub anomalies: Vec<Note>,
    /// How `penalty` was found: the penalty of each unpaid bill through the end of the month.
    #[serde(default)]
    pub penalty_details: Vec<PenaltyOfBill>,
    /// The final penalties of bills paid in full before this bill (also part of `penalty`).
    #[serde(default)]
    pub penalty_settled: Kopecks,
    /// Penalties put on earlier bills (subtracted to find `penalty`).
    #[serde(default)]
    pub penalty_before: Kopecks,
}

/// Where a payment came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentSource {
    /// Entered by an operator.
    Manual,
    /// A line of a bank registry file.
    Registry,
    /// A payment provider's webhook.
    Webhook,
}

impl PaymentSource {
    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            PaymentSource::Manual => "manual",
            PaymentSource::Registry => "registry",
            PaymentSource::Webhook => "webhook",
        }
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            PaymentSource::Manual => tr("Внесён оператором", "Entered by an operator"),
            PaymentSource::Registry => tr("Реестр банка", "Bank registry"),
            PaymentSource::Webhook => tr("Онлайн-оплата", "Paid online"),
        }
    }
}

/// A payment and where it went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// The account id. Indexed.
    pub account: String,
    /// The account number.
    pub number: String,
    /// The day it was paid.
    pub date: Date,
    /// The amount.
    pub amount: Kopecks,
    /// Where it came from.
    pub source: PaymentSource,
    /// The bank's or provider's reference.
    pub reference: String,
    /// The month the payer named, if any.
    pub period: Option<Period>,
    /// Applied to bills: (month, amount).
    pub applied: Vec<(Period, Kopecks)>,
    /// Applied to penalties.
    pub to_penalties: Kopecks,
    /// Left as an advance.
    pub to_advance: Kopecks,
    /// Who recorded it (manual).
    pub by: Option<String>,
    /// When it was recorded (ms).
    pub at: i64,
}

/// The state of a billing run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting for the job.
    Pending,
    /// Part-way through.
    Running,
    /// Every account done.
    Done,
}

/// A billing run over the accounts of a community subtree for a month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The community whose accounts it bills.
    pub scope: String,
    /// The month.
    pub period: Period,
    /// Its state. Indexed.
    pub status: RunStatus,
    /// The last account id done.
    pub cursor: Option<String>,
    /// Accounts billed by this run.
    pub billed: u64,
    /// Accounts already billed for the month (skipped).
    pub skipped: u64,
    /// Accounts not billed because a flagged reading waits for an operator.
    #[serde(default)]
    pub held: u64,
    /// The sum of the bills it issued.
    pub total: Kopecks,
    /// Accounts with something for the operator to look at.
    pub anomalies: u64,
    /// Up to 50 of those, `number: what`.
    pub anomaly_samples: Vec<Note>,
    /// Who asked for it; none for the schedule.
    pub requested_by: Option<String>,
    /// When it was asked for (ms). Indexed.
    pub requested: i64,
    /// When it finished (ms).
    pub finished: Option<i64>,
}

/// The provider's details on the payment document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    /// Name and bank details (also the QR code's).
    #[serde(flatten)]
    pub payee: Payee,
    /// The provider's address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
}

/// Where a service request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Registered, waiting for the operator.
    Registered,
    /// Sent to an executor.
    Sent,
    /// The executor is working on it.
    InProgress,
    /// Done.
    Done,
    /// Rejected with a reason.
    Rejected,
}

impl RequestStatus {
    /// Its code, as stored and indexed.
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::Registered => "registered",
            RequestStatus::Sent => "sent",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::Done => "done",
            RequestStatus::Rejected => "rejected",
        }
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Registered => tr("Зарегистрирована", "Registered"),
            RequestStatus::Sent => tr("Передана исполнителю", "Sent for execution"),
            RequestStatus::InProgress => tr("В работе", "In progress"),
            RequestStatus::Done => tr("Выполнена", "Done"),
            RequestStatus::Rejected => tr("Отклонена", "Rejected"),
        }
    }

    /// Whether the request is closed.
    pub fn is_closed(self) -> bool {
        matches!(self, RequestStatus::Done | RequestStatus::Rejected)
    }

    /// The badge tone.
    pub fn tone(self) -> Tone {
        match self {
            RequestStatus::Registered => Tone::Info,
            RequestStatus::Sent | RequestStatus::InProgress => Tone::Warning,
            RequestStatus::Done => Tone::Success,
            RequestStatus::Rejected => Tone::Danger,
        }
    }
}

/// A status change or comment on a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestEntry {
    /// When (ms).
    pub at: i64,
    /// Who (name).
    pub by: String,
    /// The new status, for a status change.
    pub status: Option<RequestStatus>,
    /// The text: a comment or the reason.
    pub text: Option<String>,
}

/// A service request (заявка) to the management company.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceRequest {
    /// The number people quote, counted per house from 1 (0 for requests made before
    /// numbers).
    #[serde(default)]
    pub number: u64,
    /// The category code. Indexed.
    pub category: String,
    /// What is wrong.
    pub description: String,
    /// A photo (file id).
    pub photo: Option<String>,
    /// The flat or place, as the author gave it.
    pub place: Option<String>,
    /// The author's person id. Indexed.
    pub author: String,
    /// The author's name.
    pub author_name: String,
    /// Where it is. Indexed.
    pub status: RequestStatus,
    /// The executor's person id. Indexed.
    pub executor: Option<String>,
    /// The executor's name.
    pub executor_name: Option<String>,
    /// Do by (ms). Indexed.
    pub deadline: Option<i64>,
    /// Created (ms). Indexed.
    pub created: i64,
    /// When it was first sent to an executor (ms).
    pub sent_at: Option<i64>,
    /// When it was closed (ms).
    pub closed_at: Option<i64>,
    /// Status changes and comments, oldest first.
    pub history: Vec<RequestEntry>,
    /// The author's rating, 1–5.
    pub rating: Option<u8>,
}

/// What an announcement is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnouncementKind {
    /// Water, power or heating off.
    Outage,
    /// Planned works.
    Works,
    /// Anything else.
    Info,
}

/// An announcement to the houses an operator serves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    /// What about.
    pub kind: AnnouncementKind,
    /// The title.
    pub title: String,
    /// The text.
    pub text: String,
    /// From.
    pub from: Date,
    /// Until.
    pub until: Option<Date>,
    /// Who posted it (the staff see the name).
    pub by: String,
    /// The organization it is from: what everyone else sees.
    #[serde(default)]
    pub organization: Option<String>,
    /// When (ms). Indexed.
    pub at: i64,
    /// People it reached.
    pub reached: u32,
}

/// Where a payment started at the provider is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutStatus {
    /// The payer was sent to the provider's page.
    Started,
    /// The provider said it is paid; the payment is recorded.
    Paid,
    /// The provider said it failed or the payer gave up.
    Canceled,
}

/// A payment started at the payment provider: what the payer was asked to pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    /// The account id. Indexed.
    pub account: String,
    /// The account number.
    pub number: String,
    /// The amount asked.
    pub amount: Kopecks,
    /// The latest month it pays (the payment goes there first, then to the oldest debt).
    pub period: Option<Period>,
    /// The provider's id of the payment.
    pub provider_id: String,
    /// The provider's page the payer was sent to.
    pub url: String,
    /// Where it is.
    pub status: CheckoutStatus,
    /// Who started it.
    pub by: String,
    /// When (ms).
    pub at: i64,
}

/// A counter, or a mark that something was done once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    /// The last number given (1 for a mark).
    pub value: u64,
}

/// The payment provider the payer is sent to by «Оплатить» (see `docs/housing.md`); an empty
/// `api_url` turns it off. Its notifications come to `payments/webhook`, signed with
/// `payment_webhook_secret`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentProvider {
    /// The name the payer sees («ЮKassa»).
    pub name: String,
    /// Where payments are created: `POST {api_url}/payments`. Its host must be granted in
    /// `grants.outbound_hosts`.
    pub api_url: String,
    /// The bearer key of that API (set through the environment).
    pub api_key: String,
    /// The instance's public address, for the payer's way back and the notifications.
    pub site_url: String,
}

impl PaymentProvider {
    /// Whether «Оплатить» is offered.
    pub fn is_configured(&self) -> bool {
        !self.api_url.trim().is_empty()
    }
}

/// The reading window: days of the month readings are accepted on.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReadingWindow {
    /// First day (default 20).
    pub from_day: u8,
    /// Last day (default 25).
    pub to_day: u8,
}

/// A service request category.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// The code.
    pub code: String,
    /// Name in Russian.
    pub name_ru: String,
    /// Name in English.
    pub name_en: String,
    /// Hours to complete (target 12–24).
    pub deadline_hours: u32,
}

impl Category {
    /// The name in the call's locale.
    pub fn name(&self) -> &str {
        tr(&self.name_ru, &self.name_en)
    }
}

/// The plugin's settings (`[plugins.housing.settings]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Days of the month readings are accepted on.
    pub reading_window: ReadingWindow,
    /// A reading this many times the recent average is flagged.
    pub jump_factor: String,
    /// Months without readings, effective-dated.
    pub averaging: Vec<AveragingRule>,
    /// The increasing coefficient, effective-dated.
    pub increasing_coefficient: Vec<CoefficientRule>,
    /// Penalty rules; an empty table means the built-in defaults (RULES.md §1).
    pub penalty: serde_json::Value,
    /// The day of the month the schedule bills the month before.
    pub billing_day: u8,
    /// Accounts per chunk of a billing run.
    pub chunk_size: u32,
    /// Rows per chunk of a background import.
    pub import_chunk_rows: u32,
    /// A file of more rows than this, sent from the page, is imported in the background.
    pub import_inline_rows: u32,
    /// The payment webhook's HMAC-SHA256 secret; empty turns the webhook off.
    pub payment_webhook_secret: String,
    /// The payment provider of «Оплатить»; none configured by default.
    #[serde(default)]
    pub payment_provider: PaymentProvider,
    /// Service request categories.
    pub categories: Vec<Category>,
    /// Seed demo data on the job's first run (the bundled demo town only).
    pub demo: bool,
}

impl Settings {
    /// The settings, checked.
    pub fn load() -> Result<Settings> {
        let settings: Settings = dvor_sdk::settings()?;
        settings.penalty_rules()?;
        if !(1..=28).contains(&settings.reading_window.from_day)
            || settings.reading_window.to_day < settings.reading_window.from_day
            || settings.reading_window.to_day > 31
        {
            return Err(Error::invalid(
                "settings.reading_window",
                "from_day must be 1–28 and to_day from from_day to 31",
            ));
        }
        let provider = &settings.payment_provider;
        if provider.is_configured() {
            let absolute = |url: &str| url.starts_with("https://") || url.starts_with("http://");
            if !absolute(provider.api_url.trim()) {
                return Err(Error::invalid(
                    "settings.payment_provider.api_url",
                    "an absolute http(s) URL of the provider's API",
                ));
            }
            if !absolute(provider.site_url.trim()) {
                return Err(Error::invalid(
                    "settings.payment_provider.site_url",
                    "the instance's public URL, where the provider sends payers back and its notifications",
                ));
            }
            if settings.payment_webhook_secret.is_empty() {
                return Err(Error::invalid(
                    "settings.payment_webhook_secret",
                    "a payment provider needs the secret its notifications are signed with",
                ));
            }
        }
        Ok(settings)
    }

    /// The penalty rules in force.
    pub fn penalty_rules(&self) -> Result<PenaltyRules> {
        let rules = match &self.penalty {
            serde_json::Value::Object(map) if map.is_empty() => PenaltyRules::default(),
            value => serde_json::from_value(value.clone()).map_err(|e| {
                Error::invalid("settings.penalty", format!("the penalty rules: {e}"))
            })?,
        };
        rules
            .validate()
            .map_err(|e| Error::invalid("settings.penalty", e))?;
        Ok(rules)
    }

    /// The category with `code`.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The jump factor as a decimal.
    pub fn jump_factor(&self) -> Result<Decimal> {
        self.jump_factor
            .parse()
            .map_err(|_| Error::invalid("settings.jump_factor", "a decimal number, e.g. 3"))
    }
}

/// Whether `code` is a valid service or category code.
pub fn is_code(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && code.len() <= 40
}

pub use dvor_sdk::money::Decimal;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Account 12 of 54.3 m² with two residents and nothing else: the other modules' tests
    /// start from it.
    pub(crate) fn account_no_12() -> Account {
        serde_json::from_value(serde_json::json!({
            "number": "12", "unit": null, "payer": "Смирнова А.", "address": "",
            "area": 5430, "residents": 2
        }))
        .unwrap()
    }

    /// Flat 2 comes before flat 10, 12 before 12а, whatever the case.
    #[test]
    fn numbers_sort_as_people_read_them() {
        let mut numbers = vec!["10", "2", "12а", "Н1", "1", "12", "100"];
        numbers.sort_by_key(|n| natural_key(n));
        assert_eq!(numbers, ["1", "2", "10", "12", "12а", "100", "Н1"]);
        assert_eq!(natural_key("007"), natural_key("7"));
    }
}

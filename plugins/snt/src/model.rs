//! What the plugin stores — one collection per concern, declared in `dvor-plugin.toml` — and
//! its settings (the charter's options, the law's periods, the electricity tariff, the bank
//! details).

use dvor_sdk::payment_qr::Payee;
use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, Ratio};
use serde::{Deserialize, Serialize};

use crate::debtors::DebtorListSettings;
use crate::documents::DocumentKind;
use crate::dues::{Approval, DuesCharter, EstimateLine};
use crate::electricity::LossSharing;
use crate::law::LawHistory;
use crate::membership::{AdmissionDecider, ExitReason, RefusalReason};
use crate::penalties::PenaltyRates;
use crate::readings::{Period, ReadingWindow};

/// The register: one record a person.
pub const RECORDS: Collection<Record> = Collection::new("records");
/// What the register keeps about plots beyond the host's units, by the unit's id.
pub const PLOTS: Collection<PlotExtra> = Collection::new("plots");
/// Applications for membership.
pub const APPLICATIONS: Collection<Application> = Collection::new("applications");
/// Estimates.
pub const ESTIMATES: Collection<EstimateDoc> = Collection::new("estimates");
/// Every charge and payment of every plot's ledgers.
pub const LEDGER: Collection<Entry> = Collection::new("ledger");
/// Electricity meters: the plots', the transformers' and the common ones.
pub const METERS: Collection<Meter> = Collection::new("meters");
/// Meter readings, id `{meter}@{period}`.
pub const READINGS: Collection<Reading> = Collection::new("readings");
/// Monthly balances of the transformers, id `{transformer}@{period}`.
pub const BALANCES: Collection<BalanceRun> = Collection::new("balances");
/// Documents with their versions.
pub const DOCUMENTS: Collection<Document> = Collection::new("documents");
/// Requests for certified copies.
pub const COPIES: Collection<CopyDoc> = Collection::new("copies");
/// Produce certificates.
pub const CERTIFICATES: Collection<Certificate> = Collection::new("certificates");
/// Announcements and alerts.
pub const NOTICES: Collection<Notice> = Collection::new("notices");
/// Small documents of the plugin's own: the list of target purposes, counters, the demo flag.
pub const STATE: Collection<serde_json::Value> = Collection::new("state");

/// Where a person stands in the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// A member of the partnership.
    Member,
    /// An owner of a plot who is not a member (ст.5).
    Owner,
    /// No longer in the register's sections: left, expelled or sold their plot; kept for the
    /// history.
    Former,
}

impl Standing {
    /// Its name, in the call's locale.
    pub fn label(self) -> &'static str {
        match self {
            Standing::Member => tr("Член товарищества", "Member"),
            Standing::Owner => tr("Собственник без членства", "Non-member owner"),
            Standing::Former => tr("Выбыл", "Former"),
        }
    }
}

/// A plot a person holds, with their share where the plot has several owners.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// The plot's number.
    pub plot: String,
    /// Their share, where shares are given.
    #[serde(default)]
    pub share: Option<Ratio>,
}

/// The chairman's warning before an expulsion meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The day it was sent.
    pub sent_on: Date,
    /// The meeting it warns of.
    pub meeting: Date,
}

/// An expulsion decided by the general meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expulsion {
    /// The meeting's day.
    pub meeting: Date,
    /// The minutes.
    pub minutes: String,
    /// The last day the decision must reach the person.
    pub notify_by: Date,
    /// The day the decision was sent to them.
    #[serde(default)]
    pub notified_on: Option<Date>,
}

/// Why and when a person left the register's sections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departure {
    /// The day it took effect.
    pub on: Date,
    /// Why.
    pub reason: DepartureReason,
}

/// Why a member left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartureReason {
    /// Their own application.
    Voluntary,
    /// The plot was sold or passed on.
    PlotSold,
    /// They died.
    Death,
    /// The general meeting expelled them.
    Expelled,
}

impl DepartureReason {
    /// The reason, in the call's locale.
    pub fn label(self) -> &'static str {
        match self {
            Self::Voluntary => tr("добровольный выход", "left of their own will"),
            Self::PlotSold => tr("участок продан", "the plot was sold"),
            Self::Death => tr("смерть", "death"),
            Self::Expelled => tr(
                "исключён общим собранием",
                "expelled by the general meeting",
            ),
        }
    }

    /// The code events carry.
    pub fn code(self) -> &'static str {
        match self {
            Self::Voluntary => "voluntary",
            Self::PlotSold => "plot_sold",
            Self::Death => "death",
            Self::Expelled => "expelled",
        }
    }
}

impl From<ExitReason> for DepartureReason {
    fn from(reason: ExitReason) -> Self {
        match reason {
            ExitReason::Voluntary => Self::Voluntary,
            ExitReason::PlotSold => Self::PlotSold,
            ExitReason::Death => Self::Death,
        }
    }
}

/// One change in a record's history, with the day it took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The day the change took effect.
    pub on: Date,
    /// What changed, in Russian.
    pub ru: String,
    /// What changed, in English.
    pub en: String,
    /// Who recorded it.
    #[serde(default)]
    pub by: Option<String>,
}

/// A person of the register (ст.15): a member or a non-member owner, with their plots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Member, owner or former.
    pub standing: Standing,
    /// Фамилия, имя, отчество.
    pub full_name: String,
    /// The name lower-cased, for ordering and matching.
    pub name_key: String,
    /// The postal address for notices.
    pub postal_address: String,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone, `+7XXXXXXXXXX`.
    #[serde(default)]
    pub phone: Option<String>,
    /// The person's dvor account, once linked.
    #[serde(default)]
    pub person_id: Option<String>,
    /// Their plots.
    pub holdings: Vec<Holding>,
    /// Members: the day membership started.
    #[serde(default)]
    pub member_since: Option<Date>,
    /// Members: the membership book's number.
    #[serde(default)]
    pub book_number: Option<String>,
    /// The warning before an expulsion meeting.
    #[serde(default)]
    pub warning: Option<Warning>,
    /// The expulsion, if the meeting decided one.
    #[serde(default)]
    pub expulsion: Option<Expulsion>,
    /// How they left, if they did.
    #[serde(default)]
    pub departure: Option<Departure>,
    /// Every change, oldest first.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

impl Record {
    /// Whether they hold `plot`.
    pub fn holds(&self, plot: &str) -> bool {
        self.holdings.iter().any(|h| h.plot == plot)
    }

    /// Their plots' numbers, joined: `12, 13а`.
    pub fn plots_text(&self) -> String {
        let mut plots: Vec<&str> = self.holdings.iter().map(|h| h.plot.as_str()).collect();
        plots.sort_by(|a, b| dvor_sdk::directory::cmp_unit_numbers(a, b));
        plots.join(", ")
    }

    /// Add a line to the history.
    pub fn note(&mut self, on: Date, ru: impl Into<String>, en: impl Into<String>) {
        self.history.push(HistoryEntry {
            on,
            ru: ru.into(),
            en: en.into(),
            by: ctx::caller().map(|c| c.display_name),
        });
    }
}

/// A name as compared: lower-case, `ё` as `е`, single spaces.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
        .replace('ё', "е")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the register keeps about a plot beyond the host's unit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlotExtra {
    /// The area of its buildings, hundredths of m².
    pub building_area_centi_m2: u64,
    /// The transformer its line hangs on.
    pub transformer: Option<String>,
    /// It pays the supplier directly.
    pub direct_contract: bool,
    /// Its cadastral number, from the register, where the host's unit has none.
    pub cadastral_number: Option<String>,
}

/// Where an application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// Sent; the board has not looked at it yet.
    Submitted,
    /// The board reviewed it; the decision is the meeting's (or the board's).
    Reviewed,
    /// Admitted.
    Admitted,
    /// Refused.
    Refused,
}

impl ApplicationStatus {
    /// Its name, in the call's locale.
    pub fn label(self) -> &'static str {
        match self {
            Self::Submitted => tr("Подано", "Submitted"),
            Self::Reviewed => tr("Рассмотрено правлением", "Reviewed by the board"),
            Self::Admitted => tr("Принят в члены", "Admitted"),
            Self::Refused => tr("Отказано", "Refused"),
        }
    }

    /// Its colour.
    pub fn tone(self) -> Tone {
        match self {
            Self::Submitted => Tone::Info,
            Self::Reviewed => Tone::Warning,
            Self::Admitted => Tone::Success,
            Self::Refused => Tone::Danger,
        }
    }
}

/// An application for membership (ст.12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Who applied.
    pub person_id: String,
    /// Фамилия, имя, отчество.
    pub full_name: String,
    /// The postal address for notices.
    pub postal_address: String,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// The plot they own.
    pub plot: String,
    /// Copies of the title documents (stored files).
    #[serde(default)]
    pub documents: Vec<String>,
    /// The day it was received.
    pub applied_on: Date,
    /// Where it stands (indexed).
    pub status: ApplicationStatus,
    /// The board's review.
    #[serde(default)]
    pub review: Option<String>,
    /// The day of the decision.
    #[serde(default)]
    pub decided_on: Option<Date>,
    /// The minutes of the meeting that decided, where the meeting did.
    #[serde(default)]
    pub minutes: Option<String>,
    /// The ground of a refusal.
    #[serde(default)]
    pub refusal: Option<RefusalReason>,
    /// The record it made.
    #[serde(default)]
    pub record: Option<String>,
    /// When it was received (ms).
    pub at: i64,
}

/// Where an estimate stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstimateStatus {
    /// Being drafted by the board.
    Draft,
    /// The draft is published for the meeting.
    Published,
    /// Approved by the meeting.
    Approved,
}

impl EstimateStatus {
    /// Its name, in the call's locale.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => tr("Черновик", "Draft"),
            Self::Published => tr("Проект опубликован", "Draft published"),
            Self::Approved => tr("Утверждена", "Approved"),
        }
    }
}

/// Dues charged from an approved estimate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charging {
    /// The day they were charged.
    pub on: Date,
    /// The day they are due.
    pub due: Date,
    /// How many plots.
    pub plots: u32,
    /// Per kind: the estimate, what was charged and the rounding remainder.
    pub totals: Vec<KindSum>,
    /// The plots as they were charged: every computation sheet reads them.
    #[serde(default)]
    pub bases: Vec<crate::dues::PlotBase>,
}

/// One kind's sums in a charging.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindSum {
    /// The ledger's name.
    pub name: String,
    /// Σ of the estimate's lines.
    pub estimate: Kopecks,
    /// Σ of the plots' rounded dues.
    pub charged: Kopecks,
    /// The rounding remainder.
    pub remainder: Kopecks,
}

/// An estimate (смета) and its ФЭО.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateDoc {
    /// «Смета на 2026 год».
    pub title: String,
    /// Its lines, each with its key and its ФЭО basis.
    pub lines: Vec<EstimateLine>,
    /// Where it stands (indexed).
    pub status: EstimateStatus,
    /// The meeting it goes to.
    #[serde(default)]
    pub meeting: Option<Date>,
    /// The day the draft was published.
    #[serde(default)]
    pub published_on: Option<Date>,
    /// The meeting's approval.
    #[serde(default)]
    pub approval: Option<Approval>,
    /// The dues charged from it.
    #[serde(default)]
    pub charging: Option<Charging>,
    /// When it was made (ms, indexed).
    pub created: i64,
}

/// What a ledger entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A charge.
    Charge,
    /// A payment.
    Payment,
}

/// How a payment arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentWay {
    /// Entered by the board (cash, a receipt).
    Manual,
    /// From the bank's registry.
    Registry,
    /// Entered by the board from the payment QR code of the bill.
    Qr,
}

/// One charge or payment of a plot's ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `{plot}-{ledger}` (indexed).
    pub account: String,
    /// The plot (indexed).
    pub plot: String,
    /// The ledger's code (indexed).
    pub ledger: String,
    /// Charge or payment (indexed).
    pub entry: EntryKind,
    /// Positive for a charge, negative for a payment (indexed).
    pub amount: Kopecks,
    /// The day (indexed).
    pub date: Date,
    /// For a charge: the day it is due.
    #[serde(default)]
    pub due: Option<Date>,
    /// What it is, in Russian.
    pub text_ru: String,
    /// What it is, in English.
    pub text_en: String,
    /// Charges: the estimate or balance it comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Payments: how it arrived.
    #[serde(default)]
    pub way: Option<PaymentWay>,
    /// Payments: the bank's or the receipt's reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// Payments: who paid, as written.
    #[serde(default)]
    pub payer: Option<String>,
    /// Who recorded it.
    #[serde(default)]
    pub by: Option<String>,
}

/// What a meter measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeterKind {
    /// A plot's meter.
    Plot,
    /// A transformer's boundary meter.
    Boundary,
    /// A common meter: street lighting, the pump.
    Common,
}

/// An electricity meter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meter {
    /// What it measures (indexed).
    pub kind: MeterKind,
    /// Its transformer (indexed).
    pub transformer: String,
    /// «Участок 45», «Освещение улиц».
    pub name: String,
    /// Plot meters: the plot.
    #[serde(default)]
    pub plot: Option<String>,
    /// The meter's serial number.
    #[serde(default)]
    pub serial: String,
    /// Plot meters: the plot pays the supplier directly.
    #[serde(default)]
    pub direct_contract: bool,
}

/// A meter's value at the end of a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The meter's id (indexed).
    pub meter: String,
    /// The month (indexed).
    pub period: Period,
    /// The value, kWh.
    pub value: Decimal,
    /// kWh since the previous reading.
    #[serde(default)]
    pub consumption: Option<Decimal>,
    /// Held for the board to confirm (indexed).
    pub flagged: bool,
    /// Why it is held.
    #[serde(default)]
    pub held: Option<String>,
    /// The day it was taken.
    pub date: Date,
    /// Who sent it.
    pub by: String,
}

/// One plot's bill in a month's balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlotBillRow {
    /// The plot.
    pub plot: String,
    /// Its own consumption billed, kWh.
    pub consumption: String,
    /// Its share of the losses, kWh.
    pub losses: String,
    /// kWh billed.
    pub billed_kwh: String,
    /// The bill.
    pub amount: Kopecks,
}

/// A transformer's month: the balance and the bills it made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceRun {
    /// The transformer.
    pub transformer: String,
    /// The month (indexed).
    pub period: Period,
    /// kWh of the boundary meter.
    pub boundary: String,
    /// Σ plot meters, kWh.
    pub plots: String,
    /// Σ common meters, kWh.
    pub common: String,
    /// Losses, kWh.
    pub losses: String,
    /// Losses in percent of the boundary meter.
    pub losses_percent: String,
    /// How losses were shared.
    pub sharing: LossSharing,
    /// The tariff per kWh.
    pub tariff: Kopecks,
    /// The bills.
    pub bills: Vec<PlotBillRow>,
    /// The common meters' cost, for the estimate.
    pub common_cost: Kopecks,
    /// Losses paid from membership dues, for the estimate.
    pub losses_in_dues: Kopecks,
    /// The bills are due by.
    pub due: Date,
    /// The day it was made.
    pub on: Date,
}

/// One version of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// The stored file.
    pub file: String,
    /// The file's name.
    pub name: String,
    /// Its type.
    pub mime: String,
    /// Its size, bytes.
    pub size: u64,
    /// The day it was uploaded.
    pub on: Date,
    /// Who uploaded it.
    pub by: String,
    /// What changed.
    #[serde(default)]
    pub note: String,
}

/// A document of the partnership (ст.11 ч.3) with its versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Its kind (indexed).
    pub kind: DocumentKind,
    /// «Устав СНТ «Рябинка» в ред. 2024 г.».
    pub title: String,
    /// The versions, oldest first; the last is current.
    pub versions: Vec<Version>,
    /// The day of the newest version (indexed).
    pub updated_on: Date,
}

/// A request for a certified copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyDoc {
    /// Who asked (indexed).
    pub person_id: String,
    /// Their name.
    pub name: String,
    /// The document's title when asked.
    pub title: String,
    /// The request with its deadline and fee.
    pub request: crate::documents::CopyRequest,
    /// The cost of making it.
    #[serde(default)]
    pub cost: Kopecks,
    /// Still to be provided (indexed).
    pub open: bool,
    /// The deadline (indexed).
    pub due_by: Date,
    /// The board was told it falls due.
    #[serde(default)]
    pub reminded: bool,
}

/// Where a produce certificate stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Asked for.
    Requested,
    /// Issued.
    Issued,
}

/// A produce certificate (НК ст.217 п.13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// Who asked (indexed).
    pub person_id: String,
    /// Their register record.
    pub record: String,
    /// Their name.
    pub name: String,
    /// The plot.
    pub plot: String,
    /// Its area, hundredths of m².
    pub area_centi_m2: u64,
    /// Its cadastral number.
    #[serde(default)]
    pub cadastral_number: Option<String>,
    /// The year the produce is grown.
    pub year: i32,
    /// Where it stands (indexed).
    pub status: CertificateStatus,
    /// The day asked.
    pub requested_on: Date,
    /// The number given when issued.
    #[serde(default)]
    pub number: Option<u32>,
    /// The day issued.
    #[serde(default)]
    pub issued_on: Option<Date>,
    /// The chairman who signed it.
    #[serde(default)]
    pub signed_by: Option<String>,
}

/// An announcement or an alert to every plot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The headline.
    pub title: String,
    /// The text.
    pub text: String,
    /// An emergency: sent by SMS too.
    pub emergency: bool,
    /// Shown until this day, if given.
    #[serde(default)]
    pub until: Option<Date>,
    /// Who sent it.
    pub by: String,
    /// When (ms, indexed).
    pub at: i64,
    /// How many people it reached.
    pub reached: u32,
}

/// A tariff and the day it took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    /// The first day.
    pub from: Date,
    /// Kopecks per kWh.
    pub tariff: Kopecks,
}

/// The electricity settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerSettings {
    /// How losses are shared, as the meeting chose.
    pub sharing: LossSharing,
    /// Whether plots with a direct contract share the losses.
    pub direct_contract_plots_share_losses: bool,
    /// The population tariff by effective date.
    pub tariffs: Vec<Tariff>,
    /// The days plots send readings.
    pub reading_window: ReadingWindow,
    /// A consumption above this many times the usual is held for the board.
    pub jump_factor: u32,
}

impl PowerSettings {
    /// The tariff in force on `day`.
    pub fn tariff_on(&self, day: Date) -> Result<Kopecks> {
        self.tariffs
            .iter()
            .filter(|t| t.from <= day)
            .max_by_key(|t| t.from)
            .map(|t| t.tariff)
            .ok_or_else(|| {
                Error::invalid(
                    "settings.electricity.tariffs",
                    format!(
                        "{} {day}",
                        tr("Нет тарифа, действующего на", "no tariff in force on")
                    ),
                )
            })
    }
}

/// The plugin's settings: the charter's options and the law's data.
#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    /// Who decides on admission.
    pub admission: AdmissionDecider,
    /// How dues may differ between plots.
    pub dues: DuesCharter,
    /// Penalties, where the charter sets them.
    pub penalties: PenaltyRates,
    /// The law's periods.
    pub law_periods: LawHistory,
    /// Electricity.
    pub electricity: PowerSettings,
    /// The bank details of the payment QR code; an empty table: none yet.
    #[serde(default)]
    pub payee: serde_json::Value,
    /// The published debtor list.
    pub debtor_list: DebtorListSettings,
    /// Seed the demo.
    #[serde(default)]
    pub demo: bool,
}

impl Settings {
    /// The settings as the operator set them.
    pub fn load() -> Result<Settings> {
        dvor_sdk::settings()
    }

    /// The partnership's bank details, if the operator gave them.
    pub fn payee(&self) -> Result<Option<Payee>> {
        match &self.payee {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::Object(map) if map.is_empty() => Ok(None),
            value => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|e| Error::invalid("settings.payee", e.to_string())),
        }
    }
}

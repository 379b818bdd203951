//! The operator's records — accounts, meters, tariffs, the provider's details — by hand and
//! by CSV import (all or nothing, every bad cell reported by line and column); and the
//! resident's meter readings inside the reading window.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::{account_id, visible_account};
use crate::charges::{self, ReadingKind, ReadingRefusal, is_jump};
use crate::model::{
    ACCOUNTS, Account, ChargeBasis, Decimal, Meter, PROVIDERS, PendingReading, Period, Provider,
    READINGS, Rate, Reading, Review, Settings, TARIFFS, Tariff, is_code,
};
use crate::show;

/// The event a reading emits.
pub const READING_SUBMITTED: &str = "reading.submitted";

/// An account as the operator sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// The host's unit number in this house (`12`), if the account is a flat's.
    #[serde(default)]
    pub unit: Option<String>,
    /// The payer's name.
    pub payer: String,
    /// The address on the bill; default: the house's address and the unit.
    #[serde(default)]
    pub address: Option<String>,
    /// Area in m², as a string (`"54.3"`); default: the unit's area.
    #[serde(default)]
    pub area: Option<String>,
    /// People registered.
    #[serde(default)]
    pub residents: i64,
    /// Owners.
    #[serde(default)]
    pub owners: i64,
    /// Service codes billed (empty: all).
    #[serde(default)]
    pub services: Vec<String>,
    /// Service codes charged by norm with the increasing coefficient.
    #[serde(default)]
    pub raised: Vec<String>,
}

fn invalid(field: &str, ru: &str, en: &str) -> Error {
    Error::invalid(field, tr(ru, en))
}

/// An area given in m² as hundredths.
pub fn parse_area(field: &str, text: &str) -> Result<i64> {
    let value: Decimal = text.trim().parse().map_err(|_| {
        invalid(
            field,
            "Площадь — число м², например 54.3",
            "the area is a number of m², e.g. 54.3",
        )
    })?;
    match charges::scaled(value, 2) {
        Some(area) if area > 0 => Ok(area),
        _ => Err(invalid(
            field,
            "Площадь — больше нуля, не больше двух знаков после точки",
            "the area must be above zero with at most two decimals",
        )),
    }
}

/// A volume or reading given as a decimal, in thousandths.
pub fn parse_volume(field: &str, text: &str) -> Result<i64> {
    let value: Decimal = text.trim().parse().map_err(|_| {
        invalid(
            field,
            "Укажите число, например 123.456",
            "give a number, e.g. 123.456",
        )
    })?;
    match charges::thousandths(value) {
        Some(v) if v >= 0 => Ok(v),
        _ => Err(invalid(
            field,
            "Не меньше нуля и не больше трёх знаков после точки",
            "not below zero, at most three decimals",
        )),
    }
}

/// Check an account; `field` prefixes the names in errors (`` or `line 3: `).
fn build_account(number: &str, input: AccountInput, old: Option<Account>) -> Result<Account> {
    let number = number.trim();
    if number.is_empty() || number.len() > 32 || number.contains([':', '@', '/']) {
        return Err(invalid(
            "number",
            "Номер счёта — до 32 символов, без «:», «@» и «/»",
            "the account number is up to 32 characters without ':', '@' or '/'",
        ));
    }
    let payer = input.payer.trim();
    if payer.is_empty() {
        return Err(invalid(
            "payer",
            "Укажите плательщика",
            "give the payer's name",
        ));
    }
    if input.residents < 0 || input.residents > 100 {
        return Err(invalid(
            "residents",
            "Число зарегистрированных — от 0 до 100",
            "residents must be 0–100",
        ));
    }
    for (field, codes) in [("services", &input.services), ("raised", &input.raised)] {
        if let Some(bad) = codes.iter().find(|c| !is_code(c)) {
            return Err(Error::invalid(
                field,
                format!(
                    "{}: «{bad}»",
                    tr("Неверный код услуги", "not a service code")
                ),
            ));
        }
    }
    let house = ctx::community();
    let unit = match input
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(number) => Some(
            directory::units(&house)
                .into_iter()
                .find(|u| u.number == number)
                .ok_or_else(|| {
                    Error::invalid(
                        "unit",
                        format!(
                            "{} «{number}»",
                            tr("В этом доме нет помещения", "this house has no unit")
                        ),
                    )
                })?,
        ),
        None => None,
    };
    let area = match input.area.as_deref() {
        Some(text) => parse_area("area", text)?,
        None => match &unit {
            Some(u) => i64::try_from(u.area_centi_m2).unwrap_or(0),
            None => {
                return Err(invalid("area", "Укажите площадь", "give the area"));
            }
        },
    };
    let address = match input.address.map(|a| a.trim().to_owned()) {
        Some(a) if !a.is_empty() => a,
        _ => {
            let street = directory::community(&house)
                .and_then(|c| c.address)
                .unwrap_or_default();
            match &unit {
                Some(u) => format!("{street}, {} {}", tr("кв.", "apt."), u.number),
                None => street,
            }
        }
    };
    let old = old.unwrap_or_else(|| Account {
        number: number.to_owned(),
        unit: None,
        payer: String::new(),
        address: String::new(),
        area: 0,
        residents: 0,
        owners: 0,
        services: Vec::new(),
        raised: Vec::new(),
        meters: Vec::new(),
        balance: Kopecks::ZERO,
        advance: Kopecks::ZERO,
        penalty_charged: Kopecks::ZERO,
        penalty_paid: Kopecks::ZERO,
        penalty_settled: Kopecks::ZERO,
        last_billed: None,
        open: Vec::new(),
        sort_key: String::new(),
        payer_key: String::new(),
    });
    let mut account = Account {
        number: number.to_owned(),
        unit: unit.map(|u| u.id),
        payer: payer.to_owned(),
        address,
        area,
        residents: input.residents,
        owners: input.owners,
        services: input.services,
        raised: input.raised,
        ..old
    };
    account.index();
    Ok(account)
}

/// Create or update the account `number` of the call's house.
pub fn save_account(number: &str, input: AccountInput) -> Result<Doc<Account>> {
    let id = account_id(number);
    let old = ACCOUNTS.get(&id)?;
    let account = build_account(number, input, old.as_ref().map(|d| d.data.clone()))?;
    ACCOUNTS.put(
        &ctx::community(),
        &id,
        &account,
        Some(old.map_or(0, |d| d.version)),
    )
}

/// A meter as the operator sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterInput {
    /// The service code.
    pub service: String,
    /// The serial number.
    pub serial: String,
    /// Counter digits (default 5).
    #[serde(default)]
    pub digits: Option<u8>,
    /// Installed on.
    #[serde(default)]
    pub installed: Option<Date>,
    /// Verified until.
    #[serde(default)]
    pub verified_until: Option<Date>,
    /// The value when installed (`"0"`).
    #[serde(default)]
    pub initial: Option<String>,
}

fn build_meter(account: &Account, id: &str, input: MeterInput) -> Result<Meter> {
    if !is_code(&input.service) {
        return Err(invalid(
            "service",
            "Неверный код услуги",
            "not a service code",
        ));
    }
    let serial = input.serial.trim();
    if serial.is_empty() || serial.len() > 40 {
        return Err(invalid(
            "serial",
            "Укажите заводской номер (до 40 символов)",
            "give the serial number (up to 40 characters)",
        ));
    }
    if account
        .meters
        .iter()
        .any(|m| m.serial == serial && m.service == input.service)
    {
        return Err(Error::invalid(
            "serial",
            tr(
                "Такой счётчик уже есть на этом счёте",
                "this account already has that meter",
            ),
        ));
    }
    let digits = input.digits.unwrap_or(5);
    if !(3..=9).contains(&digits) {
        return Err(invalid(
            "digits",
            "Разрядность — от 3 до 9",
            "digits must be 3–9",
        ));
    }
    if let (Some(installed), Some(until)) = (input.installed, input.verified_until)
        && until < installed
    {
        return Err(invalid(
            "verified_until",
            "Поверка не может кончиться раньше установки",
            "verification cannot end before installation",
        ));
    }
    let initial = match input.initial.as_deref() {
        Some(text) => parse_volume("initial", text)?,
        None => 0,
    };
    Ok(Meter {
        id: id.to_owned(),
        service: input.service,
        serial: serial.to_owned(),
        digits,
        installed: input.installed,
        verified_until: input.verified_until,
        last_value: initial,
        last_period: None,
        history: Default::default(),
        pending: None,
    })
}

/// Add a meter to account `number`.
pub fn add_meter(number: &str, input: MeterInput) -> Result<Meter> {
    let doc = ACCOUNTS.get(&account_id(number))?.ok_or_else(|| {
        Error::not_found(tr("Нет такого лицевого счёта", "no such personal account"))
    })?;
    let mut account = doc.data;
    let id = format!("{}#{}", doc.id, account.meters.len() + 1);
    let meter = build_meter(&account, &id, input)?;
    account.meters.push(meter.clone());
    ACCOUNTS.put(&doc.community, &doc.id, &account, Some(doc.version))?;
    Ok(meter)
}

/// A tariff as the operator sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffInput {
    /// Name in Russian.
    pub name_ru: String,
    /// Name in English (default: the Russian).
    #[serde(default)]
    pub name_en: Option<String>,
    /// The unit.
    pub unit: String,
    /// `metered` or `area`.
    pub basis: ChargeBasis,
    /// Rates by date.
    pub rates: Vec<Rate>,
}

/// Check a tariff.
pub fn build_tariff(code: &str, input: TariffInput) -> Result<Tariff> {
    if !is_code(code) {
        return Err(invalid(
            "code",
            "Код услуги — латиницей: cold_water",
            "the service code is like cold_water",
        ));
    }
    if input.name_ru.trim().is_empty() {
        return Err(invalid("name_ru", "Укажите название", "give the name"));
    }
    if input.unit.trim().is_empty() {
        return Err(invalid("unit", "Укажите единицу", "give the unit"));
    }
    if input.rates.is_empty() {
        return Err(invalid(
            "rates",
            "Нужен хотя бы один тариф",
            "give at least one rate",
        ));
    }
    let mut rates = input.rates;
    rates.sort_by_key(|r| r.from);
    for (i, rate) in rates.iter().enumerate() {
        let field = format!("rates[{i}].tariff");
        match rate.tariff.parse::<Decimal>() {
            Ok(d) if d.value() >= 0 => {}
            _ => {
                return Err(Error::invalid(
                    field,
                    tr(
                        "Тариф — число рублей, например 45.00",
                        "the tariff is roubles, e.g. 45.00",
                    ),
                ));
            }
        }
        if let Some(norm) = &rate.norm {
            parse_volume(&format!("rates[{i}].norm"), norm)?;
        }
        if i > 0 && rates[i - 1].from == rate.from {
            return Err(Error::invalid(
                format!("rates[{i}].from"),
                tr("Два тарифа с одной даты", "two rates from the same day"),
            ));
        }
    }
    Ok(Tariff {
        code: code.to_owned(),
        name_en: input
            .name_en
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| input.name_ru.clone()),
        name_ru: input.name_ru,
        unit: input.unit,
        basis: input.basis,
        rates,
    })
}

/// Create or replace service `code` of the call's community (a house, or every house below).
pub fn save_tariff(code: &str, input: TariffInput) -> Result<Doc<Tariff>> {
    let tariff = build_tariff(code, input)?;
    let community = ctx::community();
    TARIFFS.put(&community, &format!("{community}:{code}"), &tariff, None)
}

/// Set the provider's details for the call's community.
pub fn save_provider(provider: Provider) -> Result<Doc<Provider>> {
    crate::qr::payload(&crate::qr::PaymentQr {
        payee: &provider.payee,
        sum: Kopecks(1),
        purpose: String::new(),
        personal_account: String::new(),
        period_month: 0,
        period_year: 0,
        last_name: String::new(),
        payer_address: String::new(),
    })
    .map_err(|e| {
        let (field, message) = e.split_once(':').unwrap_or(("payee", e.as_str()));
        Error::invalid(
            field.trim().trim_start_matches("payee."),
            format!(
                "{}: {}",
                tr("Неверные реквизиты", "invalid bank details"),
                message.trim()
            ),
        )
    })?;
    let community = ctx::community();
    PROVIDERS.put(&community, &community, &provider, None)
}

/// The provider for `community`: its own details or the nearest above.
pub fn provider_for(community: &str) -> Result<Option<Provider>> {
    for id in directory::ancestry(community) {
        if let Some(doc) = PROVIDERS.get(&id)? {
            return Ok(Some(doc.data));
        }
    }
    Ok(None)
}

/// A reading as the resident sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingInput {
    /// The meter id.
    pub meter: String,
    /// The value (`"123.456"`).
    pub value: String,
    /// Normal (default), replacement or rollover.
    #[serde(default)]
    pub kind: ReadingKind,
    /// For a replacement: the old meter's final value.
    #[serde(default)]
    pub old_final: Option<String>,
}

/// What submitting a reading did.
#[derive(Debug, Serialize)]
pub struct Submitted {
    /// The reading.
    pub reading: Reading,
    /// Whether it replaced one submitted earlier this month.
    pub replaced: bool,
}

/// When readings are accepted, as people read it: «Показания принимаются с 20 по 25 число
/// месяца».
pub fn window_text(settings: &Settings) -> String {
    format!(
        "{} {} {} {} {}",
        tr("Показания принимаются с", "Readings are accepted from day"),
        settings.reading_window.from_day,
        tr("по", "to"),
        settings.reading_window.to_day,
        tr("число месяца", "of the month")
    )
}

/// Whether `today` is inside the reading window.
pub fn window_is_open(settings: &Settings, today: Date) -> bool {
    (settings.reading_window.from_day..=settings.reading_window.to_day).contains(&today.day())
}

/// The reading window people can use next: this month's while it is open or still to come,
/// else next month's; its first and last day, and whether it is open on `today`.
pub fn window_dates(settings: &Settings, today: Date) -> (Date, Date, bool) {
    let window = &settings.reading_window;
    let in_month = |day: Date| {
        let last = day.last_day_of_month();
        let from = day.with_day(window.from_day).unwrap_or(last);
        let to = day.with_day(window.to_day).unwrap_or(last);
        (from, to)
    };
    let (from, to) = in_month(today);
    if today <= to {
        return (from, to, today >= from);
    }
    let next = today
        .first_day_of_month()
        .add_months(1)
        .unwrap_or(today.last_day_of_month());
    let (from, to) = in_month(next);
    (from, to, false)
}

/// The window's dates as people read them: «Приём показаний открыт до 25.12.2026» or
/// «Следующий приём показаний — с 20.12.2026 по 25.12.2026».
pub fn window_schedule(settings: &Settings, today: Date) -> String {
    let (from, to, open) = window_dates(settings, today);
    if open {
        format!(
            "{} {}.",
            tr("Приём показаний открыт до", "Readings are accepted until"),
            show::date_text(to)
        )
    } else {
        format!(
            "{} {} {} {}.",
            tr(
                "Следующий приём показаний — с",
                "The next reading window is from"
            ),
            show::date_text(from),
            tr("по", "to"),
            show::date_text(to)
        )
    }
}

/// An operator's decision on a flagged reading: accept it as submitted (no `value`) or
/// correct it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// The meter id.
    pub meter: String,
    /// The corrected value (`"123.456"`); none accepts the reading as it is.
    #[serde(default)]
    pub value: Option<String>,
}

/// Accept or correct the flagged reading waiting on a meter of account `number`: it is no
/// longer held, so the account's bill can be issued (see [`crate::billing::bill_after_review`]).
pub fn review_reading(number: &str, input: ReviewInput) -> Result<Reading> {
    let caller = crate::access::require_operator()?;
    let doc = ACCOUNTS.get(&account_id(number))?.ok_or_else(|| {
        Error::not_found(tr("Нет такого лицевого счёта", "no such personal account"))
    })?;
    let mut account = doc.data.clone();
    let meter = account
        .meters
        .iter_mut()
        .find(|m| m.id == input.meter)
        .ok_or_else(|| invalid("meter", "Нет такого счётчика", "no such meter"))?;
    let pending = meter.pending.clone().filter(|p| p.held).ok_or_else(|| {
        Error::conflict(tr(
            "Показания этого счётчика не ждут проверки",
            "no reading of this meter waits for a review",
        ))
    })?;
    let reading_id = format!("{}@{}", meter.id, pending.period);
    let reading_doc = READINGS
        .get(&reading_id)?
        .ok_or_else(|| Error::not_found(tr("Показание не найдено", "the reading was not found")))?;
    let mut reading = reading_doc.data.clone();
    let submitted = reading.value;
    let corrected = match input
        .value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => false,
        Some(text) => {
            let value = parse_volume("value", text)?;
            reading.volume = charges::consumed(
                meter.last_value,
                value,
                pending.kind,
                pending.old_final,
                0,
                meter.digits,
            )
            .map_err(|_| {
                Error::invalid(
                    "value",
                    format!(
                        "{} {}",
                        tr(
                            "Показание меньше последнего учтённого:",
                            "The reading is below the last billed one:"
                        ),
                        show::volume_text(meter.last_value)
                    ),
                )
            })?;
            reading.value = value;
            true
        }
    };
    reading.review = Some(Review {
        corrected,
        submitted: corrected.then_some(submitted),
        by: caller.display_name,
        at: ctx::now(),
    });
    meter.pending = Some(PendingReading {
        value: reading.value,
        held: false,
        ..pending
    });
    READINGS.put(
        &reading_doc.community,
        &reading_doc.id,
        &reading,
        Some(reading_doc.version),
    )?;
    let saved = ACCOUNTS.put(&doc.community, &doc.id, &account, Some(doc.version))?;
    crate::billing::bill_after_review(&saved, reading.period)?;
    Ok(reading)
}

/// Take a reading of this month (`today`'s) for a meter of `account` (whose id is
/// `account_id`): checked against the meter's last value and verification, flagged when it
/// jumps by more than `jump_factor` times the recent average, and left pending on the meter
/// for billing. Nothing is stored.
pub fn take_reading(
    account: &mut Account,
    account_id: &str,
    input: &ReadingInput,
    jump_factor: Decimal,
    today: Date,
) -> Result<Reading> {
    let meter = account
        .meters
        .iter_mut()
        .find(|m| m.id == input.meter)
        .ok_or_else(|| invalid("meter", "Нет такого счётчика", "no such meter"))?;
    if !meter.is_verified_on(today) {
        return Err(invalid(
            "meter",
            "Срок поверки счётчика истёк — показания не принимаются; обратитесь в управляющую компанию",
            "the meter's verification has expired; contact the management company",
        ));
    }
    let value = parse_volume("value", &input.value)?;
    let old_final = input
        .old_final
        .as_deref()
        .map(|t| parse_volume("old_final", t))
        .transpose()?;
    let volume = charges::consumed(
        meter.last_value,
        value,
        input.kind,
        old_final,
        0,
        meter.digits,
    )
    .map_err(|refusal| match refusal {
        ReadingRefusal::Lower { previous } => Error::invalid(
            "value",
            format!(
                "{} {}. {}",
                tr(
                    "Показание меньше предыдущего:",
                    "The reading is lower than the previous one:"
                ),
                show::volume_text(previous),
                tr(
                    "Если счётчик заменили или он прошёл через ноль, отметьте это",
                    "If the meter was replaced or rolled over, say so"
                )
            ),
        ),
        ReadingRefusal::BadReplacement => invalid(
            "old_final",
            "Укажите последнее показание старого счётчика — не меньше предыдущего",
            "give the old meter's last value, not below the previous reading",
        ),
        ReadingRefusal::NotRollover => invalid(
            "kind",
            "Показание не меньше предыдущего — это не переход через ноль",
            "the value is not below the previous one: not a rollover",
        ),
    })?;
    let flagged = is_jump(volume, &meter.history.recent_volumes, jump_factor);
    let period = Period::of(today);
    let reading = Reading {
        account: account_id.to_owned(),
        meter: meter.id.clone(),
        service: meter.service.clone(),
        period,
        value,
        kind: input.kind,
        old_final,
        volume,
        flagged,
        by: ctx::caller().map(|c| c.person_id),
        at: ctx::now(),
        review: None,
    };
    meter.pending = Some(PendingReading {
        period,
        value,
        kind: input.kind,
        old_final,
        held: flagged,
    });
    Ok(reading)
}

/// Submit a reading for this month to account `number`.
pub fn submit_reading(number: &str, input: ReadingInput) -> Result<Submitted> {
    let settings = Settings::load()?;
    let doc = visible_account(number)?;
    let today = ctx::today()?;
    if !window_is_open(&settings, today) {
        return Err(Error::invalid(
            "value",
            format!(
                "{}. {}",
                window_text(&settings),
                window_schedule(&settings, today)
            ),
        ));
    }
    let factor = settings.jump_factor()?;
    let period = Period::of(today);
    let mut account = doc.data.clone();
    let reading = take_reading(&mut account, &doc.id, &input, factor, today)?;
    let id = format!("{}@{period}", reading.meter);
    let existing = READINGS.get(&id)?;
    READINGS.put(
        &doc.community,
        &id,
        &reading,
        Some(existing.as_ref().map_or(0, |d| d.version)),
    )?;
    // The account carries the reading to billing.
    ACCOUNTS.put(&doc.community, &doc.id, &account, Some(doc.version))?;
    events::emit(
        READING_SUBMITTED,
        &doc.community,
        &serde_json::json!({
            "account": reading.account,
            "meter": reading.meter,
            "service": reading.service,
            "period": reading.period,
            "flagged": reading.flagged,
        }),
    )?;
    Ok(Submitted {
        reading,
        replaced: existing.is_some(),
    })
}

/// A CSV error: line (1-based, the header is line 1), column and reason.
pub type CsvProblem = dvor_sdk::csv_sheet::CellProblem;

/// A CSV row: its line and its cells by lower-cased column name.
pub type CsvRow = (u64, std::collections::HashMap<String, String>);

/// A CSV file with a header: its columns, its delimiter (`;` when the header has one, else
/// `,`) and where its rows begin, so that its rows can be read a part at a time.
pub struct CsvFile<'a> {
    text: &'a str,
    delimiter: u8,
    headers: Vec<String>,
    rows_start: usize,
}

impl<'a> CsvFile<'a> {
    /// Read the header of `body`, which must name every `required` column.
    pub fn open(body: &'a [u8], required: &[&str]) -> Result<Self> {
        let text = core::str::from_utf8(body).map_err(|_| {
            invalid(
                "body",
                "Файл должен быть в кодировке UTF-8",
                "the file must be UTF-8",
            )
        })?;
        let text = text.trim_start_matches('\u{feff}');
        let delimiter = if text.lines().next().is_some_and(|h| h.contains(';')) {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| Error::invalid("body", e.to_string()))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        for column in required {
            if !headers.iter().any(|h| h == column) {
                return Err(Error::invalid(
                    "body",
                    format!(
                        "{} «{column}»",
                        tr("В заголовке нет столбца", "the header lacks the column")
                    ),
                ));
            }
        }
        let rows_start = usize::try_from(reader.position().byte()).unwrap_or(text.len());
        Ok(CsvFile {
            text,
            delimiter,
            headers,
            rows_start,
        })
    }

    /// Where the first row begins (a byte offset for [`CsvFile::rows_from`]).
    pub fn rows_start(&self) -> usize {
        self.rows_start
    }

    /// Up to `limit` rows from byte `offset` (the start of a row), and the offset of the row
    /// after them (none when the file ends there).
    pub fn rows_from(&self, offset: usize, limit: usize) -> Result<(Vec<CsvRow>, Option<usize>)> {
        let rest = self.text.get(offset..).ok_or_else(|| {
            invalid(
                "body",
                "Файл изменился во время загрузки",
                "the file changed during the import",
            )
        })?;
        // Lines are counted from the file's start: the header is line 1.
        let first_line = self.text.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(rest.as_bytes());
        let mut rows = Vec::new();
        let mut record = csv::StringRecord::new();
        while rows.len() < limit {
            let more = reader
                .read_record(&mut record)
                .map_err(|e| Error::invalid("body", e.to_string()))?;
            if !more {
                return Ok((rows, None));
            }
            let line = first_line + record.position().map_or(0, |p| p.line());
            let row = self
                .headers
                .iter()
                .cloned()
                .zip(record.iter().map(|v| v.trim().to_owned()))
                .collect();
            rows.push((line, row));
        }
        let next = offset + usize::try_from(reader.position().byte()).unwrap_or(rest.len());
        Ok((rows, (next < self.text.len()).then_some(next)))
    }
}

/// Read every CSV row (with a header) into maps from lower-cased column name to value.
pub fn read_csv(body: &[u8], required: &[&str]) -> Result<Vec<CsvRow>> {
    let file = CsvFile::open(body, required)?;
    Ok(file.rows_from(file.rows_start(), usize::MAX)?.0)
}

/// Turn an error on a row into a problem at `line`.
pub fn problem(line: u64, error: Error) -> CsvProblem {
    CsvProblem {
        line,
        column: error.field.unwrap_or_default(),
        message: error.message,
    }
}

/// What an all-or-nothing import did.
#[derive(Debug, Default, Serialize)]
pub struct Imported {
    /// Rows written (none when there are problems).
    pub imported: usize,
    /// Rows already recorded before (payments).
    pub duplicates: usize,
    /// The sum of what was imported (payments).
    pub total: Option<Kopecks>,
    /// Every bad cell; nothing is written when there is one.
    pub problems: Vec<CsvProblem>,
}

impl Imported {
    /// The API's answer: 200 with the counts, or 400 with every problem.
    pub fn respond(self) -> Result<ApiResponse> {
        if self.problems.is_empty() {
            ApiResponse::ok(&self)
        } else {
            ApiResponse::json(
                400,
                &serde_json::json!({
                    "error": {
                        "code": "invalid",
                        "message": tr(
                            "Файл не загружен: исправьте ошибки",
                            "nothing was imported: fix the errors"
                        ),
                    },
                    "problems": self.problems,
                }),
            )
        }
    }

    /// The problems as one text for a form: `строка 3, amount: …; …`.
    pub fn problems_text(&self) -> String {
        problems_text(&self.problems)
    }
}

/// The first twenty `problems` as one text: `строка 3, amount: …; …`.
pub fn problems_text(problems: &[CsvProblem]) -> String {
    dvor_sdk::csv_sheet::problems_text(problems, 20)
}

/// What an import does with the rows it has checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Apply {
    /// Write them if every one is good: a file imported in one request.
    IfAllGood,
    /// Write the good ones: a file imported in the background, already checked whole.
    GoodRows,
    /// Only check them: the background import's first pass.
    Never,
}

impl Apply {
    /// Whether rows are written after these problems.
    pub fn writes(self, problems: &[CsvProblem]) -> bool {
        match self {
            Apply::IfAllGood => problems.is_empty(),
            Apply::GoodRows => true,
            Apply::Never => false,
        }
    }

    /// What was done: `good` rows checked, written unless [`Apply::writes`] says not.
    pub fn outcome(self, good: usize, mut problems: Vec<CsvProblem>) -> Imported {
        problems.sort_by_key(|p| p.line);
        Imported {
            imported: if self.writes(&problems) { good } else { 0 },
            problems,
            ..Imported::default()
        }
    }
}

/// The columns an accounts file must have.
pub const ACCOUNT_COLUMNS: &[&str] = &["number", "payer"];
/// The columns a meters file must have.
pub const METER_COLUMNS: &[&str] = &["account", "service", "serial"];
/// The columns a readings file must have.
pub const READING_COLUMNS: &[&str] = &["account", "serial", "value"];

fn split_codes(text: Option<&String>) -> Vec<String> {
    text.map(|t| {
        t.split([' ', '|'])
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Import accounts: `number,unit,payer,address,area,residents,owners,services,raised`
/// (services and raised as codes separated by spaces).
pub fn import_accounts(body: &[u8]) -> Result<Imported> {
    import_account_rows(read_csv(body, ACCOUNT_COLUMNS)?, Apply::IfAllGood)
}

/// Check and, as `apply` says, write rows of an accounts file.
pub fn import_account_rows(rows: Vec<CsvRow>, apply: Apply) -> Result<Imported> {
    let mut problems = Vec::new();
    let mut ready = Vec::new();
    let mut existing = LoadedAccounts::for_rows(rows.len())?;
    for (line, row) in rows {
        let number = row.get("number").cloned().unwrap_or_default();
        let residents = match row.get("residents").filter(|r| !r.is_empty()) {
            Some(r) => match r.parse() {
                Ok(n) => n,
                Err(_) => {
                    problems.push(problem(
                        line,
                        invalid("residents", "Не число", "not a number"),
                    ));
                    continue;
                }
            },
            None => 0,
        };
        let owners = row.get("owners").and_then(|o| o.parse().ok()).unwrap_or(0);
        let input = AccountInput {
            unit: row.get("unit").cloned().filter(|u| !u.is_empty()),
            payer: row.get("payer").cloned().unwrap_or_default(),
            address: row.get("address").cloned().filter(|a| !a.is_empty()),
            area: row.get("area").cloned().filter(|a| !a.is_empty()),
            residents,
            owners,
            services: split_codes(row.get("services")),
            raised: split_codes(row.get("raised")),
        };
        let id = account_id(&number);
        let old = existing.get_mut(&number)?.map(|d| d.data.clone());
        match build_account(&number, input, old) {
            Ok(account) => ready.push((id, account)),
            Err(e) => problems.push(problem(line, e)),
        }
    }
    if apply.writes(&problems) {
        let community = ctx::community();
        ACCOUNTS.put_many(
            ready
                .iter()
                .map(|(id, a)| (community.as_str(), Some(id.as_str()), a)),
        )?;
    }
    Ok(apply.outcome(ready.len(), problems))
}

/// Import meters: `account,service,serial,digits,installed,verified_until,initial`.
pub fn import_meters(body: &[u8]) -> Result<Imported> {
    import_meter_rows(read_csv(body, METER_COLUMNS)?, Apply::IfAllGood)
}

/// Check and, as `apply` says, write rows of a meters file.
pub fn import_meter_rows(rows: Vec<CsvRow>, apply: Apply) -> Result<Imported> {
    let mut problems = Vec::new();
    let mut accounts = LoadedAccounts::for_rows(rows.len())?;
    let mut count = 0;
    for (line, row) in rows {
        let number = row.get("account").cloned().unwrap_or_default();
        let Some(doc) = accounts.get_mut(&number)? else {
            problems.push(no_such_account(line));
            continue;
        };
        let date = |name: &str| -> Result<Option<Date>> {
            match row.get(name).filter(|v| !v.is_empty()) {
                Some(v) => Date::parse_field(name, v).map(Some),
                None => Ok(None),
            }
        };
        let parsed = (|| -> Result<MeterInput> {
            Ok(MeterInput {
                service: row.get("service").cloned().unwrap_or_default(),
                serial: row.get("serial").cloned().unwrap_or_default(),
                digits: match row.get("digits").filter(|v| !v.is_empty()) {
                    Some(d) => Some(
                        d.parse()
                            .map_err(|_| invalid("digits", "Не число", "not a number"))?,
                    ),
                    None => None,
                },
                installed: date("installed")?,
                verified_until: date("verified_until")?,
                initial: row.get("initial").cloned().filter(|v| !v.is_empty()),
            })
        })();
        let meter_id = format!("{}#{}", doc.id, doc.data.meters.len() + 1);
        match parsed.and_then(|input| build_meter(&doc.data, &meter_id, input)) {
            Ok(meter) => {
                doc.data.meters.push(meter);
                count += 1;
            }
            Err(e) => problems.push(problem(line, e)),
        }
    }
    if apply.writes(&problems) {
        accounts.save()?;
    }
    Ok(apply.outcome(count, problems))
}

/// Import this month's readings, as a controller's round or a reading service gives them:
/// `account,serial,value,kind,old_final` (`kind`: `normal`, `replacement` or `rollover`;
/// `old_final` for a replacement). Each is checked as a resident's reading is, but the reading
/// window does not apply: the management company enters them. All or nothing.
pub fn import_readings(body: &[u8]) -> Result<Imported> {
    import_reading_rows(read_csv(body, READING_COLUMNS)?, Apply::IfAllGood)
}

/// Finds rows that name the same meter as an earlier row by the `key` columns (a reading's
/// account and serial, a new meter's account, service and serial), over a file read in parts:
/// it keeps only each meter's key cells and first line.
pub struct RepeatedMeters {
    key: &'static [&'static str],
    seen: std::collections::HashMap<Vec<String>, u64>,
}

impl RepeatedMeters {
    /// Keyed by the `key` columns.
    pub fn new(key: &'static [&'static str]) -> Self {
        RepeatedMeters {
            key,
            seen: std::collections::HashMap::new(),
        }
    }

    /// The problems of `rows`, the next part of the file.
    pub fn check(&mut self, rows: &[CsvRow]) -> Vec<CsvProblem> {
        let mut problems = Vec::new();
        for (line, row) in rows {
            let cells = self
                .key
                .iter()
                .map(|name| row.get(*name).map_or("", |v| v.trim()).to_owned())
                .collect();
            if let Some(first) = self.seen.get(&cells) {
                problems.push(repeated_meter(*line, *first));
            } else {
                self.seen.insert(cells, *line);
            }
        }
        problems
    }
}

/// The problem of a row at `line` naming the meter of the row at `first`.
fn repeated_meter(line: u64, first: u64) -> CsvProblem {
    problem(
        line,
        Error::invalid(
            "serial",
            format!(
                "{} {first}",
                tr(
                    "Этот счётчик уже есть в файле, в строке",
                    "this meter is already in the file, on line"
                )
            ),
        ),
    )
}

/// Check and, as `apply` says, write rows of a readings file. A meter repeated among the rows
/// is a problem; across a file read in parts, [`RepeatedMeters`] finds it.
pub fn import_reading_rows(rows: Vec<CsvRow>, apply: Apply) -> Result<Imported> {
    let settings = Settings::load()?;
    let factor = settings.jump_factor()?;
    let today = ctx::today()?;
    let period = Period::of(today);
    let mut problems = Vec::new();
    let mut accounts = LoadedAccounts::for_rows(rows.len())?;
    let mut readings: Vec<(String, String, Reading)> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (line, row) in rows {
        let number = row.get("account").cloned().unwrap_or_default();
        let Some(doc) = accounts.get_mut(&number)? else {
            problems.push(no_such_account(line));
            continue;
        };
        let serial = row.get("serial").map(|s| s.trim()).unwrap_or_default();
        let Some(meter) = doc.data.meters.iter().find(|m| m.serial == serial) else {
            problems.push(problem(
                line,
                invalid(
                    "serial",
                    "На этом лицевом счёте нет счётчика с таким номером",
                    "this account has no meter with that serial number",
                ),
            ));
            continue;
        };
        if let Some(first) = seen.insert(meter.id.clone(), line) {
            problems.push(repeated_meter(line, first));
            continue;
        }
        let kind = match row.get("kind").map(|k| k.trim()).unwrap_or_default() {
            "" | "normal" => ReadingKind::Normal,
            "replacement" => ReadingKind::Replacement,
            "rollover" => ReadingKind::Rollover,
            _ => {
                problems.push(problem(
                    line,
                    invalid(
                        "kind",
                        "Укажите normal, replacement или rollover",
                        "give normal, replacement or rollover",
                    ),
                ));
                continue;
            }
        };
        let input = ReadingInput {
            meter: meter.id.clone(),
            value: row.get("value").cloned().unwrap_or_default(),
            kind,
            old_final: row.get("old_final").cloned().filter(|v| !v.is_empty()),
        };
        match take_reading(&mut doc.data, &doc.id, &input, factor, today) {
            Ok(reading) => readings.push((
                doc.community.clone(),
                format!("{}@{period}", reading.meter),
                reading,
            )),
            Err(e) => problems.push(problem(line, e)),
        }
    }
    if apply.writes(&problems) {
        READINGS.put_many(
            readings
                .iter()
                .map(|(community, id, reading)| (community.as_str(), Some(id.as_str()), reading)),
        )?;
        accounts.save()?;
        let payloads: Vec<serde_json::Value> = readings
            .iter()
            .map(|(_, _, reading)| {
                serde_json::json!({
                    "account": reading.account,
                    "meter": reading.meter,
                    "service": reading.service,
                    "period": reading.period,
                    "flagged": reading.flagged,
                    // The management company's round earns no one a resident's points.
                    "person_id": null,
                })
            })
            .collect();
        events::emit_many(
            readings
                .iter()
                .zip(&payloads)
                .map(|((community, _, _), payload)| {
                    (READING_SUBMITTED, community.as_str(), payload)
                }),
        )?;
    }
    Ok(apply.outcome(readings.len(), problems))
}

/// The problem of a row whose account does not exist.
fn no_such_account(line: u64) -> CsvProblem {
    problem(
        line,
        invalid("account", "Нет такого лицевого счёта", "no such account"),
    )
}

/// The accounts an import touches, each read once (by number) and written back together.
#[derive(Default)]
struct LoadedAccounts {
    docs: Vec<Doc<Account>>,
    by_id: std::collections::HashMap<String, usize>,
    /// Every account of the community is loaded: one not among them does not exist.
    complete: bool,
    /// The loaded accounts handed out for changing: the ones to write back.
    touched: std::collections::BTreeSet<usize>,
}

impl LoadedAccounts {
    /// Ready for a file of `rows` rows. A file that covers a good part of the community's
    /// accounts reads them all a thousand at a time, far faster than one by one; a small file
    /// in a large community reads only its own.
    fn for_rows(rows: usize) -> Result<Self> {
        let mut loaded = LoadedAccounts::default();
        let community = ctx::community();
        if rows >= 500 && rows as u64 * 4 >= ACCOUNTS.query().in_community(&community).count()? {
            loaded.docs = ACCOUNTS
                .query()
                .in_community(&community)
                .limit(1000)
                .fetch_all()?;
            loaded.by_id = loaded
                .docs
                .iter()
                .enumerate()
                .map(|(i, d)| (d.id.clone(), i))
                .collect();
            loaded.complete = true;
        }
        Ok(loaded)
    }

    /// Account `number`, read on first use; `None` when there is no such account.
    fn get_mut(&mut self, number: &str) -> Result<Option<&mut Doc<Account>>> {
        let id = account_id(number);
        let index = match self.by_id.get(&id) {
            Some(index) => *index,
            None if self.complete => return Ok(None),
            None => match ACCOUNTS.get(&id)? {
                Some(doc) => {
                    self.docs.push(doc);
                    self.by_id.insert(id, self.docs.len() - 1);
                    self.docs.len() - 1
                }
                None => return Ok(None),
            },
        };
        self.touched.insert(index);
        Ok(self.docs.get_mut(index))
    }

    /// Write back, in one go, every account handed out by [`LoadedAccounts::get_mut`].
    fn save(&self) -> Result<()> {
        ACCOUNTS.put_many(self.touched.iter().map(|&i| {
            let d = &self.docs[i];
            (d.community.as_str(), Some(d.id.as_str()), &d.data)
        }))?;
        Ok(())
    }
}

/// Import tariffs: `code,name_ru,name_en,unit,basis,from,tariff,norm`, one row per rate.
pub fn import_tariffs(body: &[u8]) -> Result<Imported> {
    let rows = read_csv(
        body,
        &["code", "name_ru", "unit", "basis", "from", "tariff"],
    )?;
    let mut problems = Vec::new();
    let mut tariffs: Vec<(String, TariffInput)> = Vec::new();
    let mut lines: Vec<(String, u64)> = Vec::new();
    for (line, row) in rows {
        let get = |name: &str| row.get(name).cloned().unwrap_or_default();
        let basis = match get("basis").as_str() {
            "metered" | "счётчик" | "счетчик" => ChargeBasis::Metered,
            "area" | "площадь" => ChargeBasis::Area,
            _ => {
                problems.push(problem(
                    line,
                    invalid("basis", "metered или area", "metered or area"),
                ));
                continue;
            }
        };
        let from = match Date::parse_field("from", &get("from")) {
            Ok(d) => d,
            Err(e) => {
                problems.push(problem(line, e));
                continue;
            }
        };
        let rate = Rate {
            from,
            tariff: get("tariff"),
            norm: row.get("norm").cloned().filter(|n| !n.is_empty()),
        };
        let code = get("code");
        lines.push((code.clone(), line));
        match tariffs.iter_mut().find(|(c, _)| *c == code) {
            Some((_, t)) => t.rates.push(rate),
            None => tariffs.push((
                code,
                TariffInput {
                    name_ru: get("name_ru"),
                    name_en: row.get("name_en").cloned(),
                    unit: get("unit"),
                    basis,
                    rates: vec![rate],
                },
            )),
        }
    }
    let mut ready = Vec::new();
    for (code, input) in tariffs {
        let line = lines
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(0, |(_, l)| *l);
        match build_tariff(&code, input) {
            Ok(t) => ready.push(t),
            Err(e) => problems.push(problem(line, e)),
        }
    }
    if problems.is_empty() {
        let community = ctx::community();
        let ids: Vec<String> = ready
            .iter()
            .map(|t| format!("{community}:{}", t.code))
            .collect();
        TARIFFS.put_many(
            ready
                .iter()
                .zip(&ids)
                .map(|(t, id)| (community.as_str(), Some(id.as_str()), t)),
        )?;
    }
    Ok(Apply::IfAllGood.outcome(ready.len(), problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file read in parts gives the rows, and the lines, that reading it whole gives — with a
    /// byte-order mark, `;` between cells and a quoted cell over two lines.
    #[test]
    fn a_file_read_in_parts_reads_as_the_whole() {
        let text = "\u{feff}number;payer;area\n1;Иванова;54.3\n2;\"Петров\nБорис\";40\n3;Сидорова;61\n4;Орлов;30";
        let whole = read_csv(text.as_bytes(), ACCOUNT_COLUMNS).unwrap();
        assert_eq!(
            whole.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            [2, 3, 5, 6],
            "the quoted cell takes lines 3 and 4"
        );
        assert_eq!(whole[1].1["payer"], "Петров\nБорис");

        let file = CsvFile::open(text.as_bytes(), ACCOUNT_COLUMNS).unwrap();
        let mut parts = Vec::new();
        let mut offset = Some(file.rows_start());
        while let Some(at) = offset {
            let (rows, next) = file.rows_from(at, 1).unwrap();
            assert!(next.is_none_or(|n| n > at), "each part moves on");
            parts.extend(rows);
            offset = next;
        }
        assert_eq!(parts, whole);
    }

    #[test]
    fn a_file_without_a_column_it_needs_is_refused_by_name() {
        let refused = CsvFile::open("number,area\n1,54\n".as_bytes(), ACCOUNT_COLUMNS)
            .err()
            .expect("no payer column");
        assert_eq!(refused.field.as_deref(), Some("body"));
        assert!(refused.message.contains("«payer»"), "{}", refused.message);
    }
}

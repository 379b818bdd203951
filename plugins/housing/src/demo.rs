//! Demo data for the bundled demo town (`settings.demo = true`): the first run of the billing
//! job gives every house under the job's community a provider, tariffs, an account per flat
//! with meters and last month's readings, and an announcement; then last month is billed, so
//! a newcomer opens a living house. Idempotent: nothing is written once tariffs exist.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::charges::MeterHistory;
use crate::model::{
    ACCOUNTS, ANNOUNCEMENTS, Account, Announcement, AnnouncementKind, ChargeBasis, Meter,
    PROVIDERS, PendingReading, Period, Provider, READINGS, Rate, Reading, TARIFFS, Tariff,
};
use crate::qr::Payee;

fn tariff(
    code: &str,
    ru: &str,
    en: &str,
    unit: &str,
    basis: ChargeBasis,
    price: &str,
    norm: Option<&str>,
) -> Tariff {
    Tariff {
        code: code.into(),
        name_ru: ru.into(),
        name_en: en.into(),
        unit: unit.into(),
        basis,
        rates: vec![Rate {
            from: Date::new(2025, 7, 1).expect("a date"),
            tariff: price.into(),
            norm: norm.map(Into::into),
        }],
    }
}

/// Seed the demo under the call's community, once.
pub fn seed(today: Date) -> Result<bool> {
    let root = ctx::community();
    if !TARIFFS.query().limit(1).fetch()?.docs.is_empty() {
        return Ok(false);
    }
    let mut houses = directory::descendants(&root, Some("house"));
    if let Some(me) = directory::community(&root).filter(|c| c.kind == "house") {
        houses.push(me);
    }
    let tariffs = [
        tariff(
            "cold_water",
            "Холодное водоснабжение",
            "Cold water",
            "м³",
            ChargeBasis::Metered,
            "45.00",
            Some("4.9"),
        ),
        tariff(
            "hot_water",
            "Горячее водоснабжение",
            "Hot water",
            "м³",
            ChargeBasis::Metered,
            "215.30",
            Some("3.6"),
        ),
        tariff(
            "electricity",
            "Электроэнергия",
            "Electricity",
            "кВт·ч",
            ChargeBasis::Metered,
            "6.43",
            Some("90"),
        ),
        tariff(
            "maintenance",
            "Содержание жилого помещения",
            "Maintenance",
            "м²",
            ChargeBasis::Area,
            "25.40",
            None,
        ),
        tariff(
            "capital_repair",
            "Взнос на капитальный ремонт",
            "Capital repair",
            "м²",
            ChargeBasis::Area,
            "12.10",
            None,
        ),
    ];
    let ids: Vec<String> = tariffs
        .iter()
        .map(|t| format!("{root}:{}", t.code))
        .collect();
    TARIFFS.put_many(
        tariffs
            .iter()
            .zip(&ids)
            .map(|(t, id)| (root.as_str(), Some(id.as_str()), t)),
    )?;
    let provider = Provider {
        payee: Payee {
            name: "ООО «УК Садовая»".into(),
            bank_name: "ПАО Сбербанк".into(),
            bic: "044525225".into(),
            account: "40702810938000012345".into(),
            corr_account: "30101810400000000225".into(),
            inn: "7701234567".into(),
            kpp: "770101001".into(),
        },
        address: "Демо-город, ул. Садовая, д. 1, пом. Н1".into(),
        phone: "+7 900 000-00-10".into(),
        email: "uk@demo.example".into(),
    };
    PROVIDERS.put(&root, &root, &provider, None)?;
    let last_month = Period::of(today).previous();
    let month_before = last_month.previous();
    for house in houses {
        let street = house.address.clone().unwrap_or_else(|| house.name.clone());
        for (i, unit) in directory::units(&house.id).into_iter().enumerate() {
            let id = format!("{}:{}", house.id, unit.number);
            let residential = unit.kind == "apartment";
            let mut meters = Vec::new();
            if residential {
                for (n, (service, last)) in [
                    ("cold_water", 112_000),
                    ("hot_water", 64_000),
                    ("electricity", 8_450_000),
                ]
                .into_iter()
                .enumerate()
                {
                    let typical = if service == "electricity" {
                        150_000
                    } else {
                        5_000
                    };
                    meters.push(Meter {
                        id: format!("{id}#{}", n + 1),
                        service: service.into(),
                        serial: format!("{:02}-{:06}", n + 1, 100_000 + i * 37),
                        digits: if service == "electricity" { 6 } else { 5 },
                        installed: Date::new(2021, 3, 1),
                        verified_until: Date::new(2027, 3, 1),
                        last_value: last,
                        last_period: Some(month_before),
                        history: MeterHistory {
                            recent_volumes: vec![typical; 6],
                            ..MeterHistory::default()
                        },
                        pending: None,
                    });
                }
            }
            for meter in &mut meters {
                let volume =
                    meter.history.recent_volumes[0] + 500 * i64::try_from(i % 3).unwrap_or(0);
                meter.pending = Some(PendingReading {
                    period: last_month,
                    value: meter.last_value + volume,
                    kind: Default::default(),
                    old_final: None,
                    held: false,
                });
            }
            let account = Account {
                number: unit.number.clone(),
                unit: Some(unit.id.clone()),
                payer: if residential {
                    format!("Жильцы кв. {}", unit.number)
                } else {
                    "ИП Колоскова".into()
                },
                address: format!(
                    "{street}, {} {}",
                    if residential { "кв." } else { "пом." },
                    unit.number
                ),
                area: i64::try_from(unit.area_centi_m2).unwrap_or(0),
                residents: if residential { 2 } else { 0 },
                owners: 1,
                services: if residential {
                    vec![]
                } else {
                    vec!["maintenance".into(), "capital_repair".into()]
                },
                raised: vec![],
                meters: meters.clone(),
                balance: Kopecks::ZERO,
                advance: Kopecks::ZERO,
                penalty_charged: Kopecks::ZERO,
                penalty_paid: Kopecks::ZERO,
                penalty_settled: Kopecks::ZERO,
                last_billed: Some(month_before),
                open: vec![],
                sort_key: String::new(),
                payer_key: String::new(),
            };
            let mut account = account;
            account.index();
            ACCOUNTS.put(&house.id, &id, &account, None)?;
            for meter in &meters {
                let Some(pending) = &meter.pending else {
                    continue;
                };
                let volume = pending.value - meter.last_value;
                let reading = Reading {
                    account: id.clone(),
                    meter: meter.id.clone(),
                    service: meter.service.clone(),
                    period: last_month,
                    value: pending.value,
                    kind: Default::default(),
                    old_final: None,
                    volume,
                    flagged: false,
                    by: None,
                    at: ctx::now(),
                    review: None,
                };
                READINGS.put(
                    &house.id,
                    &format!("{}@{last_month}", meter.id),
                    &reading,
                    None,
                )?;
            }
        }
        ANNOUNCEMENTS.insert(
            &house.id,
            None,
            &Announcement {
                kind: AnnouncementKind::Works,
                title: "Промывка системы отопления".into(),
                text:
                    "Плановые работы в подвале; горячая вода будет, отопление включат по графику."
                        .into(),
                from: today,
                until: today.add_days(14),
                by: "УК «Садовая»".into(),
                organization: None,
                at: ctx::now(),
                reached: 0,
            },
        )?;
    }
    crate::billing::request_run(&root, last_month, None)?;
    Ok(true)
}

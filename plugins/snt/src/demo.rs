//! The bundled demo's partnership, seeded once on the upkeep job's first run when the settings
//! say `demo = true`: the register of its plots (two members, a non-member owner), an approved
//! estimate with its dues charged, a payment from the bank, the meters with two months of
//! readings, and an announcement — so a newcomer sees the chairman's and a member's pages with
//! data. A real instance leaves `demo` off.

use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, Kopecks};

use crate::access::{self, scoped};
use crate::dues::{self, AllocationKey, Approval, DuesKind, EstimateLine};
use crate::ledgers::Ledger;
use crate::model::{
    Charging, ESTIMATES, Entry, EntryKind, EstimateDoc, EstimateStatus, Holding, KindSum, LEDGER,
    METERS, Meter, MeterKind, NOTICES, Notice, PLOTS, PaymentWay, PlotExtra, READINGS, RECORDS,
    Reading, Record, STATE, Settings, Standing, name_key,
};
use crate::readings::Period;

/// Seed the demo in the job's partnership, once, if the settings ask for it.
pub fn seed_if_asked() -> Result<()> {
    let settings = Settings::load()?;
    if !settings.demo || access::snt().is_err() {
        return Ok(());
    }
    let flag = scoped("demo");
    if STATE.get(&flag)?.is_some() {
        return Ok(());
    }
    let community = ctx::community();
    let today = ctx::today()?;
    let plots = access::plots();
    if plots.is_empty() {
        return Ok(());
    }

    // The register.
    let people = [
        (
            "Петрова Анна Сергеевна",
            "Демо-город, ул. Лесная, д. 4, кв. 12",
            Some(("1", "2019-05-18")),
        ),
        (
            "Смирнов Олег Иванович",
            "Демо-город, ул. Садовая, д. 1, кв. 2",
            Some(("2", "2020-04-25")),
        ),
        (
            "Кузнецова Мария Викторовна",
            "Москва, ул. Речная, д. 7",
            None,
        ),
    ];
    let mut saved = Vec::new();
    for ((name, address, member), unit) in people.iter().zip(&plots) {
        let since = member.and_then(|(_, s)| s.parse::<Date>().ok());
        let mut record = Record {
            standing: if member.is_some() {
                Standing::Member
            } else {
                Standing::Owner
            },
            full_name: (*name).to_owned(),
            name_key: name_key(name),
            postal_address: (*address).to_owned(),
            email: None,
            phone: None,
            person_id: None,
            holdings: vec![Holding {
                plot: unit.number.clone(),
                share: None,
            }],
            member_since: since,
            book_number: member.map(|(b, _)| b.to_owned()),
            warning: None,
            expulsion: None,
            departure: None,
            history: Vec::new(),
        };
        record.note(
            since.unwrap_or(today),
            "Внесён в реестр (демо)",
            "Entered in the register (demo)",
        );
        saved.push(RECORDS.insert(&community, None, &record)?);
    }
    for unit in &plots {
        PLOTS.put(
            &community,
            &unit.id,
            &PlotExtra {
                transformer: Some("ТП-1".into()),
                ..PlotExtra::default()
            },
            None,
        )?;
    }
    crate::signals::register_changed(&saved)?;

    // An approved estimate with its dues charged.
    let year = today.year();
    let meeting = today.add_days(-40).unwrap_or(today);
    let published = today.add_days(-50).unwrap_or(today);
    let due = today.add_days(30).unwrap_or(today);
    let minutes = format!("Протокол № 1 от {}", crate::show::date_text_ru(meeting));
    let line =
        |id: &str, title: &str, kind: DuesKind, key, rubles: i64, basis: &str| EstimateLine {
            id: id.into(),
            title: title.into(),
            kind,
            key,
            amount: Kopecks(rubles * 100),
            basis: basis.into(),
        };
    let lines = vec![
        line(
            "l1",
            "Охрана",
            DuesKind::Membership,
            AllocationKey::PerPlot,
            90_000,
            "ФЭО п.1: договор с ЧОП, 7 500 ₽ в месяц × 12",
        ),
        line(
            "l2",
            "Ремонт дороги",
            DuesKind::Membership,
            AllocationKey::PlotArea,
            60_000,
            "ФЭО п.2: смета подрядчика на 120 м дороги",
        ),
        line(
            "l3",
            "Новый водопровод",
            DuesKind::Target("водопровод".into()),
            AllocationKey::PerPlot,
            25_000,
            "ФЭО п.3: трубы и работы по коммерческому предложению",
        ),
    ];
    // Unique across partnerships, and fit for a page route (no `:`), as the sheet links to it.
    let estimate_id = format!("{community}-estimate-{year}");
    let bases = crate::estimates::plot_bases()?;
    let estimate = dues::Estimate {
        id: estimate_id.clone(),
        title: format!("Смета на {year} год"),
        lines: lines.clone(),
        approval: Some(Approval {
            minutes: minutes.clone(),
            decided_on: meeting,
        }),
    };
    let computation = dues::compute_dues(&estimate, &bases, &settings.dues)?;
    let mut totals = Vec::new();
    for total in &computation.totals {
        let ledger = crate::estimates::ledger_of(&total.kind)?;
        totals.push(KindSum {
            name: crate::accounts::ledger_name(&ledger, &crate::accounts::purposes()?),
            estimate: total.estimate,
            charged: total.charged,
            remainder: total.remainder,
        });
    }
    for plot_dues in &computation.dues {
        let ledger = crate::estimates::ledger_of(&plot_dues.kind)?;
        let account = ledger.account(&plot_dues.plot);
        LEDGER.put(
            &community,
            &scoped(&format!("dues:{estimate_id}:{account}")),
            &Entry {
                account,
                plot: plot_dues.plot.clone(),
                ledger: ledger.code(),
                entry: EntryKind::Charge,
                amount: plot_dues.amount,
                date: meeting,
                due: Some(due),
                text_ru: format!("Начислено по смете «{}» ({minutes})", estimate.title),
                text_en: format!("Charged by the estimate «{}» ({minutes})", estimate.title),
                source: Some(estimate_id.clone()),
                way: None,
                reference: None,
                payer: None,
                by: None,
            },
            None,
        )?;
    }
    ESTIMATES.put(
        &community,
        &estimate_id,
        &EstimateDoc {
            title: estimate.title.clone(),
            lines,
            status: EstimateStatus::Approved,
            meeting: Some(meeting),
            published_on: Some(published),
            approval: estimate.approval.clone(),
            charging: Some(Charging {
                on: meeting,
                due,
                plots: u32::try_from(bases.len()).unwrap_or(u32::MAX),
                totals,
                bases,
            }),
            created: ctx::now(),
        },
        None,
    )?;

    // The second plot's membership dues came through the bank.
    if let Some(second) = plots.get(1) {
        let account = Ledger::Membership.account(&second.number);
        let owed = computation
            .dues
            .iter()
            .find(|d| d.plot == second.number && d.kind == DuesKind::Membership)
            .map_or(Kopecks::ZERO, |d| d.amount);
        if owed > Kopecks::ZERO {
            LEDGER.put(
                &community,
                &scoped("pay:DEMO-1"),
                &Entry {
                    account,
                    plot: second.number.clone(),
                    ledger: Ledger::Membership.code(),
                    entry: EntryKind::Payment,
                    amount: Kopecks(-owed.0),
                    date: today.add_days(-5).unwrap_or(today),
                    due: None,
                    text_ru: "Оплата через банк".into(),
                    text_en: "Payment through the bank".into(),
                    source: None,
                    way: Some(PaymentWay::Registry),
                    reference: Some("DEMO-1".into()),
                    payer: Some("Смирнов О. И.".into()),
                    by: None,
                },
                None,
            )?;
        }
    }

    // Meters with the last two months' readings, ready for the board's balance.
    let last = Period::of(today).previous();
    let before = last.previous();
    let mut meters = vec![(
        scoped("meter:boundary:ТП-1"),
        Meter {
            kind: MeterKind::Boundary,
            transformer: "ТП-1".into(),
            name: "Граничный счётчик ТП-1".into(),
            plot: None,
            serial: "ТП1-0001".into(),
            direct_contract: false,
        },
        (40_000, 41_650),
    )];
    meters.push((
        scoped("meter:common:ТП-1:освещение улиц"),
        Meter {
            kind: MeterKind::Common,
            transformer: "ТП-1".into(),
            name: "Освещение улиц".into(),
            plot: None,
            serial: "ОС-17".into(),
            direct_contract: false,
        },
        (3_000, 3_060),
    ));
    for (i, unit) in plots.iter().enumerate() {
        let start = 5_000 + 1_000 * i64::try_from(i).unwrap_or(0);
        let used = 250 + 50 * i64::try_from(i % 4).unwrap_or(0);
        meters.push((
            crate::power::plot_meter_id(&unit.number),
            Meter {
                kind: MeterKind::Plot,
                transformer: "ТП-1".into(),
                name: format!("Участок {}", unit.number),
                plot: Some(unit.number.clone()),
                serial: format!("ЭМ-{:04}", i + 1),
                direct_contract: false,
            },
            (start, start + used),
        ));
    }
    for (id, meter, (first, second)) in meters {
        METERS.put(&community, &id, &meter, None)?;
        for (period, value, consumption) in [
            (before, first, None),
            (last, second, Some(Decimal::new(second - first, 0))),
        ] {
            READINGS.put(
                &community,
                &format!("{id}@{period}"),
                &Reading {
                    meter: id.clone(),
                    period,
                    value: Decimal::new(value, 0),
                    consumption,
                    flagged: false,
                    held: None,
                    date: period.last_day(),
                    by: "Правление (демо)".into(),
                },
                None,
            )?;
        }
    }

    NOTICES.insert(
        &community,
        None,
        &Notice {
            title: "Вывоз мусора по субботам".into(),
            text: "Контейнер у ворот вывозят по субботам до 10:00. Крупный мусор — по заявке правлению.".into(),
            emergency: false,
            until: Some(today.add_days(60).unwrap_or(today)),
            by: "Правление".into(),
            at: ctx::now(),
            reached: 0,
        },
    )?;
    STATE.put(
        &community,
        &flag,
        &serde_json::json!({ "seeded": today }),
        Some(0),
    )?;
    log::info(format!("demo partnership seeded in {community}"));
    Ok(())
}

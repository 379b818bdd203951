//! Demo data for the bundled demo town (`settings.demo = true`): on the tick job's first run,
//! every SNT under the job's community gets a payee, an open purchase of honey, oil, buckwheat
//! and cheese (weighed) with a supplier's minimum, and a shared trimmer with a deposit — so a
//! newcomer opens a living co-op. Idempotent: nothing is written once a purchase exists.

use std::collections::BTreeMap;

use dvor_sdk::payment_qr::Payee;
use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, directory};

use crate::equipment::ItemPolicy;
use crate::model::{ITEMS, Item, Owner, PAYEES, PURCHASES, Purchase, PurchaseState, Tally};
use crate::purchase::{Article, PurchaseTerms};

fn article(code: &str, name: &str, unit: &str, price: i64, box_size: u32) -> Article {
    Article {
        code: code.into(),
        name: name.into(),
        unit: unit.into(),
        price: Kopecks(price),
        box_size,
        minimum: 0,
        vat_percent: Some(10),
        weighed: false,
        available: None,
    }
}

/// Seed the demo under the call's community, once; whether it did.
pub fn seed() -> Result<bool> {
    let root = ctx::community();
    if PURCHASES.query().limit(1).count()? > 0 {
        return Ok(false);
    }
    let mut snts = directory::descendants(&root, Some("snt"));
    if let Some(me) = directory::community(&root).filter(|c| c.kind == "snt") {
        snts.push(me);
    }
    let today = ctx::today()?;
    for snt in snts {
        PAYEES.put(
            &snt.id,
            &snt.id,
            &Payee {
                name: snt.name.clone(),
                bank_name: "ПАО Сбербанк".into(),
                bic: "044525225".into(),
                account: "40703810938000054321".into(),
                corr_account: "30101810400000000225".into(),
                inn: "5012345678".into(),
                kpp: "501201001".into(),
            },
            None,
        )?;
        let mut oil = article("M-1", "Масло подсолнечное, 1 л", "шт", 18_000, 12);
        oil.available = Some(48);
        let mut cheese = article("S-1", "Сыр «Российский», головка ≈1 кг", "кг", 90_000, 1);
        cheese.weighed = true;
        let purchase = Purchase {
            title: "Мёд и масло с пасеки «Медовый край»".into(),
            supplier: "ИП Пчёлкин, пасека «Медовый край»".into(),
            organizer: String::new(),
            organizer_name: format!("Правление {}", snt.name),
            articles: vec![
                article("H-05", "Мёд цветочный, банка 0,5 кг", "шт", 45_000, 6),
                oil,
                article("G-2", "Гречка ядрица, 2 кг", "шт", 26_000, 10),
                cheese,
            ],
            terms: PurchaseTerms {
                supplier_minimum: Kopecks(500_000),
                markup_percent: Decimal::new(10, 0),
                transport: Kopecks(50_000),
            },
            ends_on: today.add_days(7).unwrap_or(today),
            box_fill_hours: 24,
            box_fill_until: None,
            pickup_place: "Сторожка у ворот".into(),
            pickup_time: "суббота, 10:00–12:00".into(),
            state: PurchaseState::Open,
            tally: Vec::<Tally>::new(),
            end_lines: Vec::new(),
            end_total: Kopecks::ZERO,
            supplier_file: None,
            arrived: Vec::new(),
            weights: BTreeMap::new(),
            charges: Vec::new(),
            expected: Kopecks::ZERO,
            remainder: Kopecks::ZERO,
            pay_by: None,
            created: ctx::now(),
        };
        PURCHASES.insert(&snt.id, None, &purchase)?;
        let policy = ItemPolicy {
            deposit: Kopecks(200_000),
            longest_loan_days: 3,
            ..ItemPolicy::default()
        };
        let owner = Owner::Community {
            name: snt.name.clone(),
        };
        ITEMS.insert(
            &snt.id,
            None,
            &Item {
                name: "Триммер бензиновый".into(),
                description: "Леска и бензин — свои. Возвращать чистым.".into(),
                photo: None,
                owner_key: owner.key(),
                owner,
                policy,
                available: true,
                created: ctx::now(),
            },
        )?;
    }
    Ok(true)
}

//! The demo (`settings.demo = true`), seeded on the upkeep job's first run in the bundled demo
//! town: the demo house on the map; the bakery «Колосок» (the `demo-bakery` organization, so
//! its operators manage it and its executors redeem) with a branch on the shopping street and
//! an offer for the house; a plumber and an electrician in the marketplace, the plumber's a
//! paid listing.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::geo::GeoPoint;
use crate::model::{
    Audience, BUSINESSES, Branch, Business, BusinessKind, BusinessStatus, Decision, OFFERS, Offer,
    OfferStatus, PLACES, PaidListing, Place, Service, TALLIES, Tally,
};
use crate::rating::Rating;
use crate::settings::Settings;

/// The demo house and its point.
const HOUSE: (&str, f64, f64) = ("demo-house-1", 56.010_5, 37.481_0);

fn point(lat: f64, lon: f64) -> Result<GeoPoint> {
    GeoPoint::new(lat, lon)
}

fn business(
    kind: BusinessKind,
    name: &str,
    legal: &str,
    inn: &str,
    ogrn: Option<&str>,
) -> Business {
    Business {
        kind,
        name: name.into(),
        legal_name: legal.into(),
        inn: inn.into(),
        ogrn: ogrn.map(Into::into),
        description: String::new(),
        categories: Vec::new(),
        phone: None,
        website: None,
        owner: None,
        owner_name: None,
        organization: None,
        status: BusinessStatus::Approved,
        decisions: vec![Decision {
            status: BusinessStatus::Approved,
            reason: None,
            by_name: "Демо".into(),
            at: ctx::now(),
        }],
        branches: Vec::new(),
        services: Vec::new(),
        photos: Vec::new(),
        staff: Vec::new(),
        paid: None,
        rating: Rating::default(),
        created: ctx::now(),
    }
}

/// Seed the demo under the call's community once, when the settings ask for it. The numbers
/// are made up and pass their check digits.
pub fn seed_once() -> Result<bool> {
    if !Settings::load()?.demo || !BUSINESSES.query().limit(1).fetch()?.docs.is_empty() {
        return Ok(false);
    }
    let root = ctx::community();
    let today = ctx::today()?;
    if directory::community(HOUSE.0).is_some() {
        PLACES.put(
            HOUSE.0,
            HOUSE.0,
            &Place {
                point: point(HOUSE.1, HOUSE.2)?,
                by_name: "Демо".into(),
            },
            Some(0),
        )?;
    }

    let mut bakery = business(
        BusinessKind::Shop,
        "Пекарня «Колосок»",
        "ООО «Колосок»",
        "5031001236",
        Some("1025031001236"),
    );
    bakery.description = "Хлеб и выпечка каждое утро из своей печи; кофе с собой.".into();
    bakery.categories = vec!["bakery".into()];
    bakery.phone = Some("+7 900 555-01-01".into());
    // The demo bakery organization serves the shopping street, below the town.
    bakery.organization = std::iter::once(root.clone())
        .chain(
            directory::descendants(&root, None)
                .into_iter()
                .map(|c| c.id),
        )
        .flat_map(|c| directory::organizations(&c, Some("business")))
        .find(|o| o.id == "demo-bakery")
        .map(|o| o.id);
    bakery.branches = vec![Branch {
        id: "b1".into(),
        name: "Пекарня на Торговой".into(),
        address: "Демо-город, Торговая улица, 5".into(),
        point: point(56.011_2, 37.483_5)?,
        hours: "Ежедневно 7:00–21:00".into(),
        phone: None,
    }];
    BUSINESSES.put(&root, "demo-bakery", &bakery, Some(0))?;
    let audience = if directory::community(HOUSE.0).is_some() {
        Audience::Houses {
            houses: vec![HOUSE.0.into()],
        }
    } else {
        Audience::Radius {
            branch: "b1".into(),
            metres: 1500,
        }
    };
    let offer = Offer {
        business: "demo-bakery".into(),
        business_name: bakery.name.clone(),
        title: "−20 % на выпечку после 19:00".into(),
        terms: "Скидка 20 % на всю выпечку с 19:00 до закрытия по купону из приложения. Один купон на жителя, не суммируется с другими скидками.".into(),
        starts: today,
        ends: today.add_days(30).unwrap_or(today),
        audience,
        limit: Some(100),
        status: OfferStatus::Published,
        by_name: "Демо".into(),
        created: ctx::now(),
    };
    OFFERS.put(&root, "demo-bakery-evening", &offer, Some(0))?;
    TALLIES.put(&root, "demo-bakery-evening", &Tally::default(), Some(0))?;

    let mut plumber = business(
        BusinessKind::Specialist,
        "Сантехник Иван Кузнецов",
        "ИП Кузнецов Иван Петрович",
        "503100123439",
        Some("316503100123451"),
    );
    plumber.description =
        "Смесители, унитазы, счётчики воды, засоры. Выезд в день обращения.".into();
    plumber.categories = vec!["plumbing".into()];
    plumber.phone = Some("+7 900 555-02-02".into());
    plumber.branches = vec![Branch {
        id: "b1".into(),
        name: "Выезд по городу".into(),
        address: "Демо-город".into(),
        point: point(56.009_0, 37.479_0)?,
        hours: "Пн–Сб 8:00–20:00".into(),
        phone: None,
    }];
    plumber.services = vec![
        Service {
            id: "s1".into(),
            name: "Замена смесителя".into(),
            category: "plumbing".into(),
            price_from: Kopecks(150_000),
            unit: "за работу".into(),
            radius_km: 10,
        },
        Service {
            id: "s2".into(),
            name: "Установка счётчика воды".into(),
            category: "plumbing".into(),
            price_from: Kopecks(120_000),
            unit: "за счётчик".into(),
            radius_km: 10,
        },
    ];
    plumber.paid = Some(PaidListing {
        until: today.add_days(30).unwrap_or(today),
        advertiser: "ИП Кузнецов И. П., ИНН 503100123439".into(),
        erid: None,
    });
    BUSINESSES.put(&root, "demo-plumber", &plumber, Some(0))?;

    let mut electrician = business(
        BusinessKind::Specialist,
        "Электрик Олег Смирнов",
        "Смирнов Олег Андреевич (самозанятый)",
        "503100987679",
        None,
    );
    electrician.categories = vec!["electrics".into()];
    electrician.branches = vec![Branch {
        id: "b1".into(),
        name: "Выезд по городу".into(),
        address: "Демо-город".into(),
        point: point(56.014_0, 37.476_0)?,
        hours: "Ежедневно 9:00–21:00".into(),
        phone: None,
    }];
    electrician.services = vec![Service {
        id: "s1".into(),
        name: "Замена розетки или выключателя".into(),
        category: "electrics".into(),
        price_from: Kopecks(50_000),
        unit: "за точку".into(),
        radius_km: 15,
    }];
    BUSINESSES.put(&root, "demo-electrician", &electrician, Some(0))?;
    Ok(true)
}

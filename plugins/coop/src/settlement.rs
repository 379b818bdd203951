//! Receiving what arrived and charging each household (RULES §8).
//!
//! - Receiving: when fewer units arrive than were ordered, they are shared by the same rule as
//!   the boxes — quantities first, earliest first, then tolerances ([`receive`]). Weighed goods
//!   are then charged by what was weighed for each household, not by the nominal units.
//! - Charge of a household = Σ goods × (1 + markup) + its share of transport, split by the
//!   value of goods; computed exactly and **rounded once per household**; the remainder
//!   against the purchase's exact total is reported, never spread silently ([`settle`]).
//! - A household pays only for what it received: one that got nothing has no charge.

use dvor_sdk::ctx::tr;
use dvor_sdk::{Decimal, Error, Kopecks, Ratio};
use serde::{Deserialize, Serialize};

use crate::ordering::{self, Allocation, OrderLine};
use crate::purchase::{Article, PurchaseTerms};

/// What arrived of an article, and who gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receiving {
    /// Units ordered from the supplier.
    pub ordered: u64,
    /// Units that arrived and are handed out.
    pub arrived: u64,
    /// Units short (ordered − arrived, or 0).
    pub shortage: u64,
    /// Units above the order, left with the organizer.
    pub surplus: u64,
    /// Per order, in the orders' order.
    pub allocations: Vec<Allocation>,
}

/// Shares `arrived` units of an article among its `orders`, which were boxed to `ordered`
/// units at the end.
pub fn receive(orders: &[OrderLine], ordered: u64, arrived: u64) -> Receiving {
    let handed_out = arrived.min(ordered);
    Receiving {
        ordered,
        arrived: handed_out,
        shortage: ordered.saturating_sub(arrived),
        surplus: arrived.saturating_sub(ordered),
        allocations: ordering::allocate(orders, handed_out),
    }
}

/// What one household received of one article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The household.
    pub household: String,
    /// The article's code.
    pub article: String,
    /// Units received.
    pub units: u32,
    /// For weighed goods, kg weighed for this household.
    pub weight: Option<Decimal>,
}

/// One article on a household's charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChargeLine {
    /// The article's code.
    pub article: String,
    /// Units received.
    pub units: u32,
    /// kg weighed, for weighed goods.
    pub weight: Option<Decimal>,
    /// Value at the supplier's price, kopecks, exact.
    pub value: Ratio,
}

/// A household's charge for the purchase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HouseholdCharge {
    /// The household.
    pub household: String,
    /// Its articles.
    pub lines: Vec<ChargeLine>,
    /// Σ values, exact.
    pub goods: Ratio,
    /// goods × markup, exact.
    pub markup: Ratio,
    /// Its share of transport, exact.
    pub transport: Ratio,
    /// The charge: goods + markup + transport, rounded once.
    pub amount: Kopecks,
}

/// Every household's charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settlement {
    /// Per household, in order of first appearance in the received list.
    pub charges: Vec<HouseholdCharge>,
    /// Σ goods × (1 + markup) + transport, rounded once.
    pub expected: Kopecks,
    /// Σ of the charges.
    pub charged: Kopecks,
    /// expected − charged: what rounding left over (positive) or added (negative).
    pub remainder: Kopecks,
}

fn too_large() -> Error {
    Error::invalid(
        "received",
        tr("Слишком большие суммы", "the amounts are too large"),
    )
}

/// The charges for what each household received.
pub fn settle(
    articles: &[Article],
    received: &[Received],
    terms: &PurchaseTerms,
) -> Result<Settlement, Error> {
    let factor = ordering::markup_factor(terms.markup_percent)?;
    if terms.transport.is_negative() {
        return Err(Error::invalid(
            "transport",
            tr(
                "Доставка не может стоить меньше нуля",
                "transport cannot cost less than zero",
            ),
        ));
    }
    let mut charges: Vec<HouseholdCharge> = Vec::new();
    for (i, r) in received.iter().enumerate() {
        let article = articles
            .iter()
            .find(|a| a.code == r.article)
            .ok_or_else(|| {
                Error::invalid(
                    format!("received[{i}].article"),
                    tr("Нет такого товара", "no such article"),
                )
            })?;
        let value = if article.weighed {
            let weight = r.weight.ok_or_else(|| {
                Error::invalid(
                    format!("received[{i}].weight"),
                    tr(
                        "Весовой товар: укажите взвешенный вес",
                        "weighed goods: enter the weight",
                    ),
                )
            })?;
            let weight = Ratio::from_decimal(weight);
            if weight.is_negative() {
                return Err(Error::invalid(
                    format!("received[{i}].weight"),
                    tr(
                        "Вес не может быть отрицательным",
                        "the weight cannot be negative",
                    ),
                ));
            }
            Ratio::from_kopecks(article.price).checked_mul(weight)
        } else {
            Ratio::from_kopecks(article.price).checked_mul(Ratio::from_integer(i64::from(r.units)))
        }
        .ok_or_else(too_large)?;
        let line = ChargeLine {
            article: r.article.clone(),
            units: r.units,
            weight: r.weight.filter(|_| article.weighed),
            value,
        };
        match charges.iter_mut().find(|c| c.household == r.household) {
            Some(charge) => {
                charge.goods = charge.goods.checked_add(value).ok_or_else(too_large)?;
                charge.lines.push(line);
            }
            None => charges.push(HouseholdCharge {
                household: r.household.clone(),
                lines: vec![line],
                goods: value,
                markup: Ratio::ZERO,
                transport: Ratio::ZERO,
                amount: Kopecks::ZERO,
            }),
        }
    }
    charges.retain(|c| !c.goods.is_zero());
    let goods_total = Ratio::checked_sum(charges.iter().map(|c| c.goods)).ok_or_else(too_large)?;
    let transport = Ratio::from_kopecks(terms.transport);
    for charge in &mut charges {
        let with_markup = charge.goods.checked_mul(factor).ok_or_else(too_large)?;
        charge.markup = with_markup
            .checked_sub(charge.goods)
            .ok_or_else(too_large)?;
        charge.transport = transport
            .checked_mul(charge.goods)
            .and_then(|r| r.checked_div(goods_total))
            .ok_or_else(too_large)?;
        charge.amount = with_markup
            .checked_add(charge.transport)
            .and_then(Ratio::round_to_kopecks)
            .ok_or_else(too_large)?;
    }
    let expected = if charges.is_empty() {
        Kopecks::ZERO
    } else {
        goods_total
            .checked_mul(factor)
            .and_then(|r| r.checked_add(transport))
            .and_then(Ratio::round_to_kopecks)
            .ok_or_else(too_large)?
    };
    let charged = Kopecks::checked_sum(charges.iter().map(|c| c.amount)).ok_or_else(too_large)?;
    Ok(Settlement {
        charges,
        expected,
        charged,
        remainder: expected.checked_sub(charged).ok_or_else(too_large)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(code: &str, price: i64, weighed: bool) -> Article {
        Article {
            code: code.into(),
            name: code.into(),
            unit: if weighed { "кг" } else { "шт" }.into(),
            price: Kopecks(price),
            box_size: 6,
            minimum: 0,
            vat_percent: None,
            weighed,
            available: None,
        }
    }

    fn got(household: &str, article: &str, units: u32) -> Received {
        Received {
            household: household.into(),
            article: article.into(),
            units,
            weight: None,
        }
    }

    fn terms() -> PurchaseTerms {
        PurchaseTerms {
            supplier_minimum: Kopecks::ZERO,
            markup_percent: Decimal::new(15, 0),
            transport: Kopecks(30_000),
        }
    }

    /// RULES §8 C4: C1's result (A 5, B 1, C 0) at 120.00 ₽ a unit, markup 15 %, transport
    /// 300.00 ₽: A 940.00 ₽ (690.00 + 250.00 transport), B 188.00 ₽ (138.00 + 50.00).
    #[test]
    fn c4_markup_and_transport_by_value() {
        let articles = [article("oil", 12_000, false)];
        let received = [got("A", "oil", 5), got("B", "oil", 1), got("C", "oil", 0)];
        let s = settle(&articles, &received, &terms()).unwrap();
        assert_eq!(s.charges.len(), 2, "C received nothing and pays nothing");
        let a = &s.charges[0];
        assert_eq!(a.household, "A");
        assert_eq!(
            a.goods.checked_add(a.markup),
            Some(Ratio::from_integer(69_000))
        );
        assert_eq!(a.transport, Ratio::from_integer(25_000));
        assert_eq!(a.amount, Kopecks(94_000));
        let b = &s.charges[1];
        assert_eq!(
            b.goods.checked_add(b.markup),
            Some(Ratio::from_integer(13_800))
        );
        assert_eq!(b.transport, Ratio::from_integer(5_000));
        assert_eq!(b.amount, Kopecks(18_800));
        assert_eq!(s.expected, Kopecks(112_800));
        assert_eq!(s.remainder, Kopecks::ZERO);
    }

    #[test]
    fn rounded_once_per_household_and_the_remainder_reported() {
        // 1,00 ₽ transport over three equal households: 33.33… kopecks each.
        let articles = [article("salt", 1_000, false)];
        let received = [
            got("A", "salt", 1),
            got("B", "salt", 1),
            got("C", "salt", 1),
        ];
        let t = PurchaseTerms {
            markup_percent: Decimal::new(0, 0),
            transport: Kopecks(100),
            ..PurchaseTerms::default()
        };
        let s = settle(&articles, &received, &t).unwrap();
        assert!(s.charges.iter().all(|c| c.amount == Kopecks(1_033)));
        assert_eq!(s.expected, Kopecks(3_100));
        assert_eq!(s.remainder, Kopecks(1));
    }

    #[test]
    fn a_shortage_is_shared_by_the_same_rule() {
        // C1's orders: A 4 + 2 (first), B 1, C 0 + 3; 6 ordered, 4 arrived.
        let orders = [
            OrderLine {
                household: "A".into(),
                placed_at: 1,
                quantity: 4,
                tolerance: 2,
            },
            OrderLine {
                household: "B".into(),
                placed_at: 2,
                quantity: 1,
                tolerance: 0,
            },
            OrderLine {
                household: "C".into(),
                placed_at: 3,
                quantity: 0,
                tolerance: 3,
            },
        ];
        let r = receive(&orders, 6, 4);
        assert_eq!(r.shortage, 2);
        let units: Vec<u32> = r.allocations.iter().map(Allocation::units).collect();
        assert_eq!(units, [4, 0, 0]);
        let r = receive(&orders, 6, 5);
        let units: Vec<u32> = r.allocations.iter().map(Allocation::units).collect();
        assert_eq!(units, [4, 1, 0]);
        let r = receive(&orders, 6, 8);
        assert_eq!((r.arrived, r.surplus, r.shortage), (6, 2, 0));
    }

    #[test]
    fn weighed_goods_are_charged_by_weight() {
        // Cheese at 900 ₽/kg, ordered by the piece of about 1 kg; A's piece weighed 1.135 kg.
        let articles = [article("cheese", 90_000, true)];
        let mut a = got("A", "cheese", 1);
        a.weight = Some(Decimal::new(1_135, 3));
        let t = PurchaseTerms {
            markup_percent: Decimal::new(10, 0),
            ..PurchaseTerms::default()
        };
        let s = settle(&articles, &[a], &t).unwrap();
        // 900 × 1.135 = 1 021.50 ₽; + 10 % = 1 123.65 ₽.
        assert_eq!(s.charges[0].goods, Ratio::from_integer(102_150));
        assert_eq!(s.charges[0].amount, Kopecks(112_365));
        let err = settle(&articles, &[got("A", "cheese", 1)], &t).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("received[0].weight"));
        let err = settle(&articles, &[got("A", "milk", 1)], &t).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("received[0].article"));
    }
}

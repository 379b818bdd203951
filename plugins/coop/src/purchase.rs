//! A joint purchase's articles, terms and end (RULES §8).
//!
//! At the end every article is boxed per [`crate::ordering`]. The order to the supplier is the
//! boxed units at the supplier's prices; below the supplier's minimum order it is not sent and
//! nobody is charged ([`EndOutcome::BelowMinimum`] carries no allocation at all), and the
//! organizer may extend the end instead. An article whose boxed units stay below its own
//! minimum is dropped from the order. While open, [`check_stock`] keeps orders within what the
//! supplier has, so concurrent orders on the last units never oversell (the shell runs it in
//! the same transaction as the write).

use dvor_sdk::csv_sheet;
use dvor_sdk::ctx::tr;
use dvor_sdk::{Decimal, Error, Kopecks};
use serde::{Deserialize, Serialize};

use crate::ordering::{self, Allocation, OrderLine};

/// An article of a purchase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// The supplier's code.
    pub code: String,
    /// What it is.
    pub name: String,
    /// The unit: `шт`, `кг`, `л`.
    pub unit: String,
    /// The supplier's price per unit (per kg for weighed goods), VAT included.
    pub price: Kopecks,
    /// Units per box (ряд).
    pub box_size: u32,
    /// The least units the supplier takes of it; 0 for none.
    pub minimum: u32,
    /// VAT rate in percent, none when the supplier pays no VAT.
    pub vat_percent: Option<u8>,
    /// Priced by weight: the charge follows what was weighed at receiving.
    pub weighed: bool,
    /// Units the supplier has; none for no limit.
    pub available: Option<u32>,
}

/// The purchase's money terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PurchaseTerms {
    /// The supplier's minimum order, at its prices; zero for none.
    pub supplier_minimum: Kopecks,
    /// The organizer's markup (оргсбор), percent.
    pub markup_percent: Decimal,
    /// Transport, split by the value of goods.
    pub transport: Kopecks,
}

impl Default for PurchaseTerms {
    fn default() -> Self {
        Self {
            supplier_minimum: Kopecks::ZERO,
            markup_percent: Decimal::new(0, 0),
            transport: Kopecks::ZERO,
        }
    }
}

/// One line of the order to the supplier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SupplierLine {
    /// The article's code.
    pub code: String,
    /// Boxes.
    pub boxes: u64,
    /// Units: boxes × box size.
    pub units: u64,
    /// Price per unit.
    pub price: Kopecks,
    /// units × price.
    pub amount: Kopecks,
    /// Who gets the units, per order.
    pub allocations: Vec<Allocation>,
}

/// How a purchase ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EndOutcome {
    /// The order goes to the supplier.
    Send {
        /// The lines with units to order.
        lines: Vec<SupplierLine>,
        /// Σ amounts.
        total: Kopecks,
    },
    /// Below the supplier's minimum: not sent, nobody charged.
    BelowMinimum {
        /// What the boxed orders came to.
        total: Kopecks,
        /// The supplier's minimum.
        minimum: Kopecks,
    },
}

fn too_large() -> Error {
    Error::invalid(
        "orders",
        tr("Слишком большой заказ", "the order is too large"),
    )
}

/// Ends a purchase: `orders` per article code.
pub fn end_purchase(
    articles: &[Article],
    orders: &[(String, Vec<OrderLine>)],
    terms: &PurchaseTerms,
) -> Result<EndOutcome, Error> {
    let mut lines = Vec::new();
    for (code, article_orders) in orders {
        let article = articles.iter().find(|a| &a.code == code).ok_or_else(|| {
            Error::invalid(
                "orders",
                format!("{} {code}", tr("Нет такого товара:", "no such article:")),
            )
        })?;
        let plan = ordering::plan(article_orders, article.box_size)?;
        if plan.units == 0 || plan.units < u64::from(article.minimum) {
            continue;
        }
        let amount = i64::try_from(plan.units)
            .ok()
            .and_then(|u| article.price.0.checked_mul(u))
            .map(Kopecks)
            .ok_or_else(too_large)?;
        lines.push(SupplierLine {
            code: code.clone(),
            boxes: plan.boxes,
            units: plan.units,
            price: article.price,
            amount,
            allocations: plan.allocations,
        });
    }
    let total = Kopecks::checked_sum(lines.iter().map(|l| l.amount)).ok_or_else(too_large)?;
    if total < terms.supplier_minimum || lines.is_empty() {
        return Ok(EndOutcome::BelowMinimum {
            total,
            minimum: terms.supplier_minimum,
        });
    }
    Ok(EndOutcome::Send { lines, total })
}

/// Whether `orders` of `article` with one household's order changed to `quantity` stay within
/// what the supplier has. `index` is the household's order, none for a new one.
pub fn check_stock(
    article: &Article,
    orders: &[OrderLine],
    index: Option<usize>,
    quantity: u32,
) -> Result<(), Error> {
    let Some(available) = article.available else {
        return Ok(());
    };
    let others: u64 = orders
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != index)
        .map(|(_, o)| u64::from(o.quantity))
        .sum();
    let left = u64::from(available).saturating_sub(others);
    if u64::from(quantity) > left {
        return Err(Error::invalid(
            "quantity",
            format!(
                "{} {left} {}",
                tr("У поставщика осталось", "the supplier has"),
                tr("ед.", "units left")
            ),
        ));
    }
    Ok(())
}

/// The order to the supplier as CSV: code, name, unit, boxes, units, price, amount.
pub fn supplier_order_csv(articles: &[Article], lines: &[SupplierLine]) -> String {
    let header = if dvor_sdk::ctx::is_english() {
        ["code", "name", "unit", "boxes", "units", "price", "amount"]
    } else {
        [
            "артикул",
            "наименование",
            "ед.",
            "коробов",
            "количество",
            "цена",
            "сумма",
        ]
    };
    let money = |k: Kopecks| format!("{}.{:02}", k.rubles(), k.kopecks_part());
    let rows = lines.iter().map(|l| {
        let article = articles.iter().find(|a| a.code == l.code);
        vec![
            l.code.clone(),
            article.map(|a| a.name.clone()).unwrap_or_default(),
            article.map(|a| a.unit.clone()).unwrap_or_default(),
            l.boxes.to_string(),
            l.units.to_string(),
            money(l.price),
            money(l.amount),
        ]
    });
    csv_sheet::write_sheet(&header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(code: &str, price: i64, box_size: u32) -> Article {
        Article {
            code: code.into(),
            name: format!("Товар {code}"),
            unit: "шт".into(),
            price: Kopecks(price),
            box_size,
            minimum: 0,
            vat_percent: Some(20),
            weighed: false,
            available: None,
        }
    }

    fn order(household: &str, at: i64, quantity: u32) -> OrderLine {
        OrderLine {
            household: household.into(),
            placed_at: at,
            quantity,
            tolerance: 0,
        }
    }

    /// RULES §8 C5: supplier minimum 5 000 ₽, orders total 4 200 ₽ at the end: not sent,
    /// nobody charged.
    #[test]
    fn c5_below_the_supplier_minimum_nothing_is_sent() {
        let articles = [article("honey", 70_000, 1)];
        // 6 jars of 700 ₽ = 4 200 ₽.
        let orders = [(
            "honey".to_string(),
            vec![order("A", 1, 4), order("B", 2, 2)],
        )];
        let terms = PurchaseTerms {
            supplier_minimum: Kopecks(500_000),
            ..PurchaseTerms::default()
        };
        let outcome = end_purchase(&articles, &orders, &terms).unwrap();
        assert_eq!(
            outcome,
            EndOutcome::BelowMinimum {
                total: Kopecks(420_000),
                minimum: Kopecks(500_000)
            }
        );
        // One more jar and it goes.
        let orders = [(
            "honey".to_string(),
            vec![order("A", 1, 4), order("B", 2, 2), order("C", 3, 2)],
        )];
        let EndOutcome::Send { lines, total } = end_purchase(&articles, &orders, &terms).unwrap()
        else {
            panic!("sent");
        };
        assert_eq!(total, Kopecks(560_000));
        assert_eq!(lines[0].units, 8);
    }

    #[test]
    fn the_order_counts_boxes_and_drops_articles_below_their_minimum() {
        let mut tea = article("tea", 25_000, 6);
        tea.minimum = 12;
        let articles = [article("oil", 12_000, 6), tea];
        let orders = [
            ("oil".to_string(), vec![order("A", 1, 7), order("B", 2, 6)]),
            ("tea".to_string(), vec![order("A", 1, 6)]),
        ];
        let EndOutcome::Send { lines, total } =
            end_purchase(&articles, &orders, &PurchaseTerms::default()).unwrap()
        else {
            panic!("sent");
        };
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].boxes, 2);
        assert_eq!(total, Kopecks(144_000));
        let csv = supplier_order_csv(&articles, &lines);
        assert!(
            csv.contains("oil;Товар oil;шт;2;12;120.00;1440.00"),
            "{csv}"
        );
        let err = end_purchase(
            &articles,
            &[("nope".into(), vec![])],
            &PurchaseTerms::default(),
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("orders"));
    }

    #[test]
    fn the_last_units_are_never_oversold() {
        let mut oil = article("oil", 12_000, 6);
        oil.available = Some(10);
        let orders = [order("A", 1, 7)];
        assert!(check_stock(&oil, &orders, None, 3).is_ok());
        let err = check_stock(&oil, &orders, None, 4).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("quantity"));
        assert!(err.message.contains('3'));
        // A's own order may change within the stock.
        assert!(check_stock(&oil, &orders, Some(0), 10).is_ok());
        assert!(check_stock(&oil, &orders, Some(0), 11).is_err());
    }
}

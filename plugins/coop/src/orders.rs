//! Households' orders of a purchase: placing and changing them, the figures everyone sees
//! while it is open, and the live update of those figures.
//!
//! Every change of an order writes the purchase back with the version it was read at, after
//! updating its running sums per article: two orders at the same moment cannot both pass the
//! stock check on the same last units. The one that loses the race reads the purchase again
//! and checks once more (PostgreSQL lets a transaction see what committed meanwhile; SQLite
//! serialises calls anyway), so people rarely see a conflict, and never an oversold article.

use dvor_sdk::directory::Unit;
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::{my_household, unit_label};
use crate::model::{
    HOUSEHOLDS, HouseholdOrder, ORDERS, OrderedLine, PURCHASES, Purchase, PurchaseState, conflict,
    invalid, not_found,
};
use crate::ordering::{self, OpenFigures, OrderLine};
use crate::purchase::{self, Article};
use crate::show::{day_text, money_text};

/// How many times an order is retried when another order changed the purchase meanwhile.
const ATTEMPTS: u32 = 40;
/// The most units one household may order of an article.
const MAX_UNITS: i64 = 100_000;
/// The events of new orders.
pub const ORDER_PLACED: &str = "coop.order_placed";

/// An order of one article, as the API and the pages take it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// The article's code.
    pub article: String,
    /// Units for sure.
    pub quantity: i64,
    /// Units more to fill a box.
    #[serde(default)]
    pub tolerance: i64,
    /// The household (a unit id), when the person has several.
    #[serde(default)]
    pub household: Option<String>,
}

/// What an order came to.
#[derive(Clone, Debug, Serialize)]
pub struct Placed {
    /// The household's order.
    pub order: HouseholdOrder,
    /// The article's figures now.
    pub figures: OpenFigures,
    /// Whether the household had no line of the article before.
    pub new_line: bool,
}

/// The phase a purchase is in at `now`, whatever the job has recorded yet: an open purchase
/// past its end is in the box-fill phase, and one past that is ended.
pub fn phase(purchase: &Purchase, now: i64) -> Result<PurchaseState> {
    let offset = ctx::utc_offset_minutes()?;
    Ok(match purchase.state {
        PurchaseState::Open => {
            let stop = stop_at(purchase, offset);
            if now < stop {
                PurchaseState::Open
            } else if now < stop + i64::from(purchase.box_fill_hours) * 3_600_000 {
                PurchaseState::BoxFill
            } else {
                PurchaseState::Sent
            }
        }
        PurchaseState::BoxFill => match purchase.box_fill_until {
            Some(until) if now >= until => PurchaseState::Sent,
            _ => PurchaseState::BoxFill,
        },
        other => other,
    })
}

/// When orders stop: the start of the day after the end date.
pub fn stop_at(purchase: &Purchase, offset: i32) -> i64 {
    purchase
        .ends_on
        .add_days(1)
        .unwrap_or(purchase.ends_on)
        .start_timestamp(offset)
}

/// Every household's order of `purchase`.
pub fn orders_of(purchase: &str) -> Result<Vec<Doc<HouseholdOrder>>> {
    ORDERS
        .query()
        .filter("purchase", Compare::Eq, purchase)
        .fetch_all()
}

/// The lines of `article` among `orders`, as the box rules take them.
pub fn lines_of(orders: &[Doc<HouseholdOrder>], article: &str) -> Vec<OrderLine> {
    orders
        .iter()
        .filter_map(|o| {
            let line = o.data.lines.iter().find(|l| l.article == article)?;
            (line.quantity + line.tolerance > 0).then(|| OrderLine {
                household: o.data.household.clone(),
                placed_at: line.placed_at,
                quantity: line.quantity,
                tolerance: line.tolerance,
            })
        })
        .collect()
}

/// The figures of `article` from the purchase's running sums.
pub fn figures_of(purchase: &Purchase, article: &Article) -> OpenFigures {
    let (q, t) = purchase.tally_of(&article.code);
    let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    let sums = [OrderLine {
        household: String::new(),
        placed_at: 0,
        quantity: clamp(q),
        tolerance: clamp(t),
    }];
    ordering::open_figures(&sums, article.box_size)
}

fn count(field: &str, value: i64) -> Result<u32> {
    if value < 0 {
        return Err(invalid(
            field,
            "Не может быть меньше нуля",
            "cannot be below zero",
        ));
    }
    if value > MAX_UNITS {
        return Err(Error::invalid(
            field,
            format!("{} {MAX_UNITS}", tr("Не больше", "at most")),
        ));
    }
    Ok(value as u32)
}

/// Whether the household of `unit` owes past its deadline: then it is dropped from new
/// purchases until it pays.
fn check_not_in_debt(unit: &Unit) -> Result<()> {
    let Some(household) = HOUSEHOLDS.get(&unit.id)? else {
        return Ok(());
    };
    let today = ctx::today()?;
    match household.data.pay_by {
        Some(due) if household.data.balance > Kopecks::ZERO && due < today => Err(Error::invalid(
            "household",
            format!(
                "{} {} ({} {})",
                tr(
                    "Сначала оплатите прошлые закупки:",
                    "pay for the earlier purchases first:"
                ),
                money_text(household.data.balance),
                tr("срок был", "due"),
                day_text(due)
            ),
        )),
        _ => Ok(()),
    }
}

/// Place or change the caller's order of one article of purchase `id` (quantity and tolerance
/// 0 withdraw it). Refused naming the field; nothing is written then.
pub fn place(id: &str, input: &OrderInput) -> Result<Placed> {
    let caller = ctx::require_caller()?;
    let quantity = count("quantity", input.quantity)?;
    let tolerance = count("tolerance", input.tolerance)?;
    let unit = my_household(input.household.as_deref())?;
    check_not_in_debt(&unit)?;
    let order_id = HouseholdOrder::id(id, &unit.id);
    let now = ctx::now();
    for _ in 0..ATTEMPTS {
        let mut doc = PURCHASES
            .get(id)?
            .ok_or_else(|| not_found("Нет такой закупки", "no such purchase"))?;
        let state = phase(&doc.data, now)?;
        if !matches!(state, PurchaseState::Open | PurchaseState::BoxFill) {
            return Err(conflict(
                "Заказы в эту закупку больше не принимаются",
                "this purchase takes no more orders",
            ));
        }
        let article = doc
            .data
            .article(input.article.trim())
            .cloned()
            .ok_or_else(|| invalid("article", "Нет такого товара", "no such article"))?;
        if tolerance >= article.box_size.max(1) && tolerance > 0 {
            return Err(Error::invalid(
                "tolerance",
                format!(
                    "{} {}",
                    tr(
                        "Допуск — меньше короба: не больше",
                        "the tolerance is less than a box: at most"
                    ),
                    article.box_size.saturating_sub(1)
                ),
            ));
        }
        let existing = ORDERS.get(&order_id)?;
        let old = existing
            .as_ref()
            .map_or((0, 0), |o| o.data.line(&article.code));
        if old == (quantity, tolerance) {
            let order = existing
                .map(|o| o.data)
                .ok_or_else(|| invalid("quantity", "Укажите количество", "enter a quantity"))?;
            return Ok(Placed {
                order,
                figures: figures_of(&doc.data, &article),
                new_line: false,
            });
        }
        // Stock: the others' quantities and this one stay within what the supplier has.
        let (q, _) = doc.data.tally_of(&article.code);
        let others = [OrderLine {
            household: String::new(),
            placed_at: 0,
            quantity: u32::try_from(q - u64::from(old.0)).unwrap_or(u32::MAX),
            tolerance: 0,
        }];
        purchase::check_stock(&article, &others, None, quantity)?;
        if state == PurchaseState::BoxFill {
            let orders = orders_of(id)?;
            let mut lines = lines_of(&orders, &article.code);
            let index = match lines.iter().position(|l| l.household == unit.id) {
                Some(i) => i,
                None => {
                    lines.push(OrderLine {
                        household: unit.id.clone(),
                        placed_at: now,
                        quantity: 0,
                        tolerance: 0,
                    });
                    lines.len() - 1
                }
            };
            ordering::check_box_fill_change(&lines, index, quantity, tolerance, article.box_size)?;
        }
        doc.data.retally(&article.code, old, (quantity, tolerance));
        match PURCHASES.put(&doc.community, &doc.id, &doc.data, Some(doc.version)) {
            Ok(_) => {}
            Err(e) if e.is(ErrorCode::Conflict) => continue,
            Err(e) => return Err(e),
        }
        let mut order = existing.map(|o| o.data).unwrap_or_else(|| HouseholdOrder {
            purchase: id.to_owned(),
            household: unit.id.clone(),
            label: unit_label(&unit),
            person: caller.person_id.clone(),
            person_name: caller.display_name.clone(),
            people: Vec::new(),
            lines: Vec::new(),
        });
        order.person = caller.person_id.clone();
        order.person_name = caller.display_name.clone();
        if !order.people.contains(&caller.person_id) {
            order.people.push(caller.person_id.clone());
        }
        let new_line = old == (0, 0);
        match order.lines.iter_mut().find(|l| l.article == article.code) {
            Some(line) => {
                line.quantity = quantity;
                line.tolerance = tolerance;
                if new_line {
                    line.placed_at = now;
                }
            }
            None => order.lines.push(OrderedLine {
                article: article.code.clone(),
                quantity,
                tolerance,
                placed_at: now,
            }),
        }
        order.lines.retain(|l| l.quantity + l.tolerance > 0);
        if order.lines.is_empty() {
            ORDERS.delete(&order_id)?;
        } else {
            ORDERS.put(&doc.community, &order_id, &order, None)?;
        }
        if new_line && quantity + tolerance > 0 {
            events::emit(
                ORDER_PLACED,
                &doc.community,
                &serde_json::json!({
                    "person_id": caller.person_id,
                    "purchase": doc.id,
                    "household": unit.id,
                    "article": article.code,
                    "quantity": quantity,
                    "tolerance": tolerance,
                }),
            )?;
        }
        publish_figures(&doc)?;
        return Ok(Placed {
            order,
            figures: figures_of(&doc.data, &article),
            new_line,
        });
    }
    Err(conflict(
        "Сейчас заказывают слишком многие: попробуйте ещё раз",
        "too many orders at once: try again",
    ))
}

/// The live channel of a purchase's figures.
pub fn channel(purchase: &str) -> String {
    format!("purchase:{purchase}")
}

/// Send the purchase's figures to the pages following it.
pub fn publish_figures(doc: &Doc<Purchase>) -> Result<()> {
    dvor_sdk::live::replace(
        &doc.community,
        &channel(&doc.id),
        Section::untitled().table(figures_table(&doc.data)),
    )
}

/// What "missing to the next box" reads as.
fn missing_text(f: &OpenFigures, unit: &str) -> String {
    if f.missing_to_next_box == 0 {
        if f.ordered == 0 {
            tr("ещё никто не заказал", "nobody ordered yet").to_owned()
        } else {
            tr("короба полные", "the boxes are full").to_owned()
        }
    } else if f.missing_with_tolerance == 0 {
        format!(
            "{} {unit} ({})",
            f.missing_to_next_box,
            tr("допуски закроют", "tolerances fill it")
        )
    } else {
        format!("{} {unit}", f.missing_to_next_box)
    }
}

/// Per article: its price and box, what is ordered, boxes if it ended now, and what the box
/// being filled is missing.
pub fn figures_table(purchase: &Purchase) -> Table {
    let rows = purchase.articles.iter().map(|a| {
        let f = figures_of(purchase, a);
        let tone = if f.missing_to_next_box > 0 && f.missing_with_tolerance > 0 {
            Tone::Warning
        } else {
            Tone::Neutral
        };
        Row::new([
            Cell::from(a.name.clone()),
            Cell::from(a.price),
            Cell::from(format!("{} {}", a.box_size, a.unit)),
            Cell::from(format!("{} + {}", f.ordered, f.tolerance)),
            Cell::from(f.boxes_if_ended_now as i64),
            Cell::from(missing_text(&f, &a.unit)),
        ])
        .tone(tone)
    });
    Table::new([
        Column::text(tr("Товар", "Article")),
        Column::numeric(tr("Цена", "Price")),
        Column::text(tr("В коробе", "Box")),
        Column::text(tr("Заказано + допуск", "Ordered + tolerance")),
        Column::numeric(tr("Коробов", "Boxes")),
        Column::text(tr("До полного короба", "Missing to the next box")),
    ])
    .rows(rows)
    .empty_text(tr("Товаров пока нет", "no articles yet"))
}

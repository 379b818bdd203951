//! Ordering an article by boxes (RULES §8).
//!
//! A household orders a quantity and a tolerance: how many more units it would take so that a
//! box fills. For an article of box size `b`, with Q the sum of quantities and T the sum of
//! tolerances:
//!
//! - boxes at the end = ⌊Q ÷ b⌋, plus one more when Q mod b > 0 and Q mod b + T ≥ b; a box is
//!   never filled by tolerance alone ([`boxes_at_end`]);
//! - the units are allocated by the time orders were placed: quantities first, earliest first,
//!   then tolerances, earliest first ([`allocate`]); receiving a shortage uses the same rule;
//! - while the purchase is open everyone sees how many units are missing to the next box and
//!   what their tolerance may cost ([`open_figures`], [`tolerance_cost`]);
//! - after the end, in the box-fill phase, only changes that fill boxes are accepted
//!   ([`check_box_fill_change`]).

use dvor_sdk::ctx::tr;
use dvor_sdk::{Decimal, Error, Kopecks, Ratio};
use serde::{Deserialize, Serialize};

/// One household's order of one article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The household (a flat's or a plot's account).
    pub household: String,
    /// When the order was first placed, ms since the epoch; earlier orders are served first.
    pub placed_at: i64,
    /// Units wanted for sure.
    pub quantity: u32,
    /// Units more the household would take to fill a box.
    pub tolerance: u32,
}

/// What one household gets of an article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// The household.
    pub household: String,
    /// Units of its quantity it gets.
    pub from_quantity: u32,
    /// Units of its tolerance it gets.
    pub from_tolerance: u32,
}

impl Allocation {
    /// All the units it gets.
    pub fn units(&self) -> u32 {
        self.from_quantity + self.from_tolerance
    }
}

fn sums(orders: &[OrderLine]) -> (u64, u64) {
    orders.iter().fold((0, 0), |(q, t), o| {
        (q + u64::from(o.quantity), t + u64::from(o.tolerance))
    })
}

/// Boxes ordered at the end for quantities `q` and tolerances `t` with `box_size` units a box.
pub fn boxes_at_end(q: u64, t: u64, box_size: u32) -> u64 {
    let size = u64::from(box_size.max(1));
    let (full, rest) = (q / size, q % size);
    if rest > 0 && rest + t >= size {
        full + 1
    } else {
        full
    }
}

/// Orders in serving order: by `placed_at`, ties in the order given.
fn serving_order(orders: &[OrderLine]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..orders.len()).collect();
    order.sort_by_key(|&i| (orders[i].placed_at, i));
    order
}

/// Shares `units` between `orders`: quantities first, earliest first; then tolerances,
/// earliest first. Returns one allocation per order, in the orders' order; a household that
/// gets nothing has zeros.
pub fn allocate(orders: &[OrderLine], units: u64) -> Vec<Allocation> {
    let mut left = units;
    let mut result: Vec<Allocation> = orders
        .iter()
        .map(|o| Allocation {
            household: o.household.clone(),
            from_quantity: 0,
            from_tolerance: 0,
        })
        .collect();
    let order = serving_order(orders);
    for &i in &order {
        let take = left.min(u64::from(orders[i].quantity));
        result[i].from_quantity = take as u32;
        left -= take;
    }
    for &i in &order {
        let take = left.min(u64::from(orders[i].tolerance));
        result[i].from_tolerance = take as u32;
        left -= take;
    }
    result
}

/// The end of an article: boxes, units, and who gets what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoxPlan {
    /// Σ quantities.
    pub quantity: u64,
    /// Σ tolerances.
    pub tolerance: u64,
    /// Boxes to order.
    pub boxes: u64,
    /// Units to order: boxes × box size.
    pub units: u64,
    /// Per order, in the orders' order.
    pub allocations: Vec<Allocation>,
}

/// The plan for `orders` of an article with `box_size` units a box.
pub fn plan(orders: &[OrderLine], box_size: u32) -> Result<BoxPlan, Error> {
    if box_size == 0 {
        return Err(Error::invalid(
            "box_size",
            tr(
                "В коробке должна быть хотя бы одна единица",
                "a box holds at least one unit",
            ),
        ));
    }
    let (quantity, tolerance) = sums(orders);
    let boxes = boxes_at_end(quantity, tolerance, box_size);
    let units = boxes * u64::from(box_size);
    Ok(BoxPlan {
        quantity,
        tolerance,
        boxes,
        units,
        allocations: allocate(orders, units),
    })
}

/// What everyone sees of an article while the purchase is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenFigures {
    /// Σ quantities.
    pub ordered: u64,
    /// Σ tolerances.
    pub tolerance: u64,
    /// Boxes if the purchase ended now.
    pub boxes_if_ended_now: u64,
    /// Units of quantity missing to complete the box being filled (0 when every started box
    /// is full).
    pub missing_to_next_box: u64,
    /// Units missing counting tolerances too: when 0 and `missing_to_next_box` is not, the
    /// tolerances would fill the box.
    pub missing_with_tolerance: u64,
}

/// The figures of `orders` with `box_size` units a box.
pub fn open_figures(orders: &[OrderLine], box_size: u32) -> OpenFigures {
    let size = u64::from(box_size.max(1));
    let (ordered, tolerance) = sums(orders);
    let missing = (size - ordered % size) % size;
    OpenFigures {
        ordered,
        tolerance,
        boxes_if_ended_now: boxes_at_end(ordered, tolerance, box_size),
        missing_to_next_box: missing,
        missing_with_tolerance: missing.saturating_sub(tolerance),
    }
}

/// What a household's tolerance may cost it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ToleranceCost {
    /// Tolerance units it would get if the purchase ended now.
    pub units_if_ended_now: u32,
    /// At most: its whole tolerance.
    pub max_units: u32,
    /// The cost of `units_if_ended_now` with the markup, before transport.
    pub cost_if_ended_now: Kopecks,
    /// The cost of `max_units` with the markup, before transport.
    pub max_cost: Kopecks,
}

/// What the tolerance of `orders[index]` may cost, at `price` a unit plus `markup_percent`.
pub fn tolerance_cost(
    orders: &[OrderLine],
    index: usize,
    box_size: u32,
    price: Kopecks,
    markup_percent: Decimal,
) -> Result<ToleranceCost, Error> {
    let order = orders
        .get(index)
        .ok_or_else(|| Error::not_found(tr("Нет такого заказа", "no such order")))?;
    let plan = plan(orders, box_size)?;
    let now = plan.allocations[index].from_tolerance;
    let factor = markup_factor(markup_percent)?;
    let cost = |units: u32| {
        Ratio::from_kopecks(price)
            .checked_mul(Ratio::from_integer(i64::from(units)))
            .and_then(|r| r.checked_mul(factor))
            .and_then(Ratio::round_to_kopecks)
            .ok_or_else(|| {
                Error::invalid(
                    "price",
                    tr("Слишком большая сумма", "the amount is too large"),
                )
            })
    };
    Ok(ToleranceCost {
        units_if_ended_now: now,
        max_units: order.tolerance,
        cost_if_ended_now: cost(now)?,
        max_cost: cost(order.tolerance)?,
    })
}

/// 1 + markup ÷ 100, exact; a negative markup is refused naming `markup_percent`.
pub fn markup_factor(markup_percent: Decimal) -> Result<Ratio, Error> {
    let markup = Ratio::from_decimal(markup_percent);
    if markup.is_negative() {
        return Err(Error::invalid(
            "markup_percent",
            tr(
                "Оргсбор не может быть отрицательным",
                "the markup cannot be negative",
            ),
        ));
    }
    markup
        .checked_div(Ratio::from_integer(100))
        .and_then(|m| m.checked_add(Ratio::ONE))
        .ok_or_else(|| {
            Error::invalid(
                "markup_percent",
                tr("Слишком большой оргсбор", "the markup is too large"),
            )
        })
}

/// Whether, in the box-fill phase, `orders[index]` may become `quantity` + `tolerance`.
///
/// Allowed only when the change fills boxes: the household's quantity does not go down, the
/// total stays within the box being filled (no new box is started), and no box is lost.
pub fn check_box_fill_change(
    orders: &[OrderLine],
    index: usize,
    quantity: u32,
    tolerance: u32,
    box_size: u32,
) -> Result<(), Error> {
    let order = orders
        .get(index)
        .ok_or_else(|| Error::not_found(tr("Нет такого заказа", "no such order")))?;
    let refuse = |field: &str, ru: &str, en: &str| Err(Error::invalid(field, tr(ru, en)));
    if quantity < order.quantity {
        return refuse(
            "quantity",
            "После стопа количество можно только увеличить, чтобы добрать короб",
            "after the end a quantity may only grow, to fill a box",
        );
    }
    let before = open_figures(orders, box_size);
    let (q, t) = sums(orders);
    let new_q = q - u64::from(order.quantity) + u64::from(quantity);
    let new_t = t - u64::from(order.tolerance) + u64::from(tolerance);
    if new_q > q + before.missing_to_next_box {
        return refuse(
            "quantity",
            "Так начнётся новый неполный короб: можно добавить не больше, чем не хватает до полного",
            "this would start a new, incomplete box: add no more than the box is missing",
        );
    }
    if boxes_at_end(new_q, new_t, box_size) < boxes_at_end(q, t, box_size) {
        return refuse(
            "tolerance",
            "Так короб перестанет собираться",
            "this would leave a box unfilled",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(household: &str, at: i64, quantity: u32, tolerance: u32) -> OrderLine {
        OrderLine {
            household: household.into(),
            placed_at: at,
            quantity,
            tolerance,
        }
    }

    fn units(plan: &BoxPlan) -> Vec<(String, u32)> {
        plan.allocations
            .iter()
            .map(|a| (a.household.clone(), a.units()))
            .collect()
    }

    /// RULES §8 C1: box 6; A orders 4 + tolerance 2 (first), B 1 + 0, C 0 + 3: 1 box; A 5,
    /// B 1, C 0.
    #[test]
    fn c1_a_box_filled_by_tolerance() {
        let orders = [
            order("A", 1, 4, 2),
            order("B", 2, 1, 0),
            order("C", 3, 0, 3),
        ];
        let plan = plan(&orders, 6).unwrap();
        assert_eq!(plan.boxes, 1);
        assert_eq!(plan.units, 6);
        assert_eq!(
            units(&plan),
            [("A".into(), 5), ("B".into(), 1), ("C".into(), 0)]
        );
        assert_eq!(plan.allocations[0].from_tolerance, 1);
    }

    /// RULES §8 C2: box 6; A 7 (first), B 6, no tolerance: 2 boxes; A 7, B 5.
    #[test]
    fn c2_the_earlier_order_is_served_first() {
        // B is listed first but ordered later.
        let orders = [order("B", 20, 6, 0), order("A", 10, 7, 0)];
        let plan = plan(&orders, 6).unwrap();
        assert_eq!(plan.boxes, 2);
        assert_eq!(units(&plan), [("B".into(), 5), ("A".into(), 7)]);
    }

    /// RULES §8 C3: box 6; A 0 + 4, B 0 + 4: no box; nobody gets or pays anything.
    #[test]
    fn c3_tolerance_alone_never_fills_a_box() {
        let orders = [order("A", 1, 0, 4), order("B", 2, 0, 4)];
        let plan = plan(&orders, 6).unwrap();
        assert_eq!(plan.boxes, 0);
        assert!(plan.allocations.iter().all(|a| a.units() == 0));
        assert_eq!(boxes_at_end(12, 100, 6), 2);
        assert_eq!(boxes_at_end(13, 4, 6), 2);
        assert_eq!(boxes_at_end(13, 5, 6), 3);
    }

    #[test]
    fn open_figures_show_what_is_missing() {
        let orders = [order("A", 1, 4, 1), order("B", 2, 3, 0)];
        let f = open_figures(&orders, 6);
        assert_eq!(f.ordered, 7);
        assert_eq!(f.boxes_if_ended_now, 1);
        assert_eq!(f.missing_to_next_box, 5);
        assert_eq!(f.missing_with_tolerance, 4);
        let full = open_figures(&[order("A", 1, 12, 0)], 6);
        assert_eq!(full.missing_to_next_box, 0);
        assert_eq!(full.boxes_if_ended_now, 2);
    }

    #[test]
    fn what_tolerance_may_cost() {
        // C1 at 120 ₽ a unit, 15 % markup: A would get 1 of its 2 tolerance units.
        let orders = [
            order("A", 1, 4, 2),
            order("B", 2, 1, 0),
            order("C", 3, 0, 3),
        ];
        let cost = tolerance_cost(&orders, 0, 6, Kopecks(12_000), Decimal::new(15, 0)).unwrap();
        assert_eq!(cost.units_if_ended_now, 1);
        assert_eq!(cost.cost_if_ended_now, Kopecks(13_800));
        assert_eq!(cost.max_units, 2);
        assert_eq!(cost.max_cost, Kopecks(27_600));
        let c = tolerance_cost(&orders, 2, 6, Kopecks(12_000), Decimal::new(15, 0)).unwrap();
        assert_eq!(c.units_if_ended_now, 0);
        assert_eq!(c.max_cost, Kopecks(41_400));
        assert!(tolerance_cost(&orders, 9, 6, Kopecks(1), Decimal::new(0, 0)).is_err());
        let err = tolerance_cost(&orders, 0, 6, Kopecks(1), Decimal::new(-1, 0)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("markup_percent"));
    }

    #[test]
    fn box_fill_accepts_only_changes_that_fill_boxes() {
        // 7 ordered of box 6: the second box misses 5.
        let orders = [order("A", 1, 4, 0), order("B", 2, 3, 0)];
        // B adds 5: the second box fills.
        assert!(check_box_fill_change(&orders, 1, 8, 0, 6).is_ok());
        // B adds 6: a third box would start.
        let err = check_box_fill_change(&orders, 1, 9, 0, 6).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("quantity"));
        // A lowers its quantity.
        assert!(check_box_fill_change(&orders, 0, 3, 0, 6).is_err());
        // Tolerance that fills the box is welcome.
        assert!(check_box_fill_change(&orders, 0, 4, 5, 6).is_ok());
        // Withdrawing the tolerance that filled a box is not.
        let filled = [order("A", 1, 4, 5), order("B", 2, 3, 0)];
        let err = check_box_fill_change(&filled, 0, 4, 0, 6).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("tolerance"));
        // Every started box is full: nothing may be added.
        let full = [order("A", 1, 6, 0)];
        assert!(check_box_fill_change(&full, 0, 7, 0, 6).is_err());
        assert!(plan(&full, 0).is_err());
    }
}

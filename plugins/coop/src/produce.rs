//! Produce between neighbours: a grower lists what they sell (how much, the price, where and
//! when to pick it up); neighbours order; the grower confirms or declines; the pickup closes
//! the order; then each side rates the other once. Where the SNT issued the grower its produce
//! certificate (`snt.certificate_issued`, from the `snt` plugin), listings show it; without
//! the `snt` plugin they simply show none.
//!
//! What is left of a listing is written back with the version read, so two neighbours cannot
//! order its last kilogram at the same moment.

use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, Ratio};
use serde::Deserialize;

use crate::access::is_member;
use crate::model::{
    CERTIFICATES, Certificate, LISTINGS, Listing, PRODUCE_ORDERS, ProduceOrder, ProduceState,
    Rating, conflict, invalid, not_found,
};
use crate::show::{amount_of, decimal_text, money_text, page_path};

/// The event of a listing published.
pub const LISTED: &str = "coop.produce_listed";
/// The event of an order picked up.
pub const PICKED_UP: &str = "coop.produce_picked_up";
/// The event kind the `snt` plugin emits for a produce certificate.
pub const CERTIFICATE_ISSUED: &str = "snt.certificate_issued";
const ATTEMPTS: u32 = 20;

/// A listing, as the API and the form take it. Money in kopecks.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListingInput {
    /// What it is.
    pub title: String,
    /// The unit.
    pub unit: String,
    /// Price per unit.
    pub price: i64,
    /// How much is offered.
    pub quantity: Option<Decimal>,
    /// Where to pick it up.
    pub pickup_place: String,
    /// When.
    pub pickup_time: String,
}

fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(
            field,
            "Заполните это поле",
            "this field is required",
        ));
    }
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!(
                "{} {max} {}",
                tr("Не длиннее", "at most"),
                tr("знаков", "characters")
            ),
        ));
    }
    Ok(value.to_owned())
}

fn positive(field: &str, value: Option<Decimal>) -> Result<Decimal> {
    let value = value.ok_or_else(|| invalid(field, "Укажите количество", "enter the quantity"))?;
    if value.value() <= 0 || value.scale() > 3 {
        return Err(invalid(
            field,
            "Количество — больше нуля, не больше трёх знаков после запятой",
            "the quantity is above zero, with at most three decimals",
        ));
    }
    if Ratio::from_decimal(value) > Ratio::from_integer(100_000) {
        return Err(invalid(field, "Слишком много", "too much"));
    }
    Ok(value)
}

/// List produce in the call's community, as the caller.
pub fn list(input: &ListingInput) -> Result<Doc<Listing>> {
    let caller = ctx::require_caller()?;
    if !is_member() {
        return Err(Error::forbidden(tr(
            "Продавать могут соседи с участком или квартирой здесь",
            "neighbours with a plot or flat here may sell",
        )));
    }
    let title = text("title", &input.title, 120)?;
    let unit = text("unit", &input.unit, 12)?;
    if input.price <= 0 || input.price > 100_000_000 {
        return Err(invalid(
            "price",
            "Цена — больше нуля",
            "the price is above zero",
        ));
    }
    let quantity = positive("quantity", input.quantity)?;
    let listing = Listing {
        grower: caller.person_id.clone(),
        grower_name: caller.display_name.clone(),
        title,
        unit,
        price: Kopecks(input.price),
        offered: quantity,
        left: quantity,
        pickup_place: text("pickup_place", &input.pickup_place, 200)?,
        pickup_time: text("pickup_time", &input.pickup_time, 120)?,
        open: true,
        created: ctx::now(),
    };
    let saved = LISTINGS.insert(&ctx::community(), None, &listing)?;
    events::emit(
        LISTED,
        &saved.community,
        &serde_json::json!({ "person_id": caller.person_id, "listing": saved.id, "title": saved.data.title }),
    )?;
    Ok(saved)
}

/// Listing `id`.
pub fn listing(id: &str) -> Result<Doc<Listing>> {
    LISTINGS
        .get(id)?
        .ok_or_else(|| not_found("Нет такого объявления", "no such listing"))
}

/// Order `id` of produce.
pub fn order(id: &str) -> Result<Doc<ProduceOrder>> {
    PRODUCE_ORDERS
        .get(id)?
        .ok_or_else(|| not_found("Нет такого заказа", "no such order"))
}

/// `a − b` (or `a + b` with `plus`), exactly, at the finer of their scales.
fn combine(a: Decimal, b: Decimal, plus: bool) -> Option<Decimal> {
    let scale = a.scale().max(b.scale());
    let at = |d: Decimal| {
        10i64
            .checked_pow(u32::from(scale - d.scale()))
            .and_then(|f| d.value().checked_mul(f))
    };
    let (x, y) = (at(a)?, at(b)?);
    let value = if plus {
        x.checked_add(y)?
    } else {
        x.checked_sub(y)?
    };
    Some(Decimal::new(value, scale))
}

fn sub(a: Decimal, b: Decimal) -> Option<Decimal> {
    combine(a, b, false)
}

fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    combine(a, b, true)
}

/// Order `quantity` of listing `id`, as the caller.
pub fn place(id: &str, quantity: Option<Decimal>) -> Result<Doc<ProduceOrder>> {
    let caller = ctx::require_caller()?;
    let quantity = positive("quantity", quantity)?;
    for _ in 0..ATTEMPTS {
        let mut doc = listing(id)?;
        if !doc.data.open {
            return Err(conflict("Продажа закрыта", "the listing is closed"));
        }
        if doc.data.grower == caller.person_id {
            return Err(invalid(
                "quantity",
                "Это ваше объявление",
                "this is your own listing",
            ));
        }
        if Ratio::from_decimal(quantity) > Ratio::from_decimal(doc.data.left) {
            return Err(Error::invalid(
                "quantity",
                format!(
                    "{} {} {}",
                    tr("Осталось только", "only"),
                    decimal_text(doc.data.left),
                    doc.data.unit
                ),
            ));
        }
        let left = sub(doc.data.left, quantity)
            .ok_or_else(|| invalid("quantity", "Слишком много", "too much"))?;
        doc.data.left = left;
        match LISTINGS.put(&doc.community, &doc.id, &doc.data, Some(doc.version)) {
            Ok(_) => {}
            Err(e) if e.is(ErrorCode::Conflict) => continue,
            Err(e) => return Err(e),
        }
        let amount = amount_of(doc.data.price, quantity)
            .ok_or_else(|| invalid("quantity", "Слишком много", "too much"))?;
        let order = ProduceOrder {
            listing: doc.id.clone(),
            title: doc.data.title.clone(),
            unit: doc.data.unit.clone(),
            grower: doc.data.grower.clone(),
            grower_name: doc.data.grower_name.clone(),
            buyer: caller.person_id.clone(),
            buyer_name: caller.display_name.clone(),
            quantity,
            amount,
            state: ProduceState::Placed,
            buyer_rating: None,
            grower_rating: None,
            created: ctx::now(),
        };
        let saved = PRODUCE_ORDERS.insert(&doc.community, None, &order)?;
        notifications::notify(
            std::slice::from_ref(&doc.data.grower),
            &Message::new(
                Localized::new(
                    format!("Заказ: {}", doc.data.title),
                    format!("Order: {}", doc.data.title),
                ),
                Localized::new(
                    format!(
                        "{}: {} {} на {}. Подтвердите заказ.",
                        caller.display_name,
                        quantity.to_string().replace('.', ","),
                        doc.data.unit,
                        money_text(amount)
                    ),
                    format!(
                        "{}: {quantity} {} for {}. Confirm the order.",
                        caller.display_name,
                        doc.data.unit,
                        money_text(amount)
                    ),
                ),
            )
            .link(page_path(&doc.community, &format!("listing/{}", doc.id))),
        )?;
        return Ok(saved);
    }
    Err(conflict(
        "Сейчас заказывают другие: попробуйте ещё раз",
        "others are ordering right now: try again",
    ))
}

fn require_grower(order: &ProduceOrder) -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if caller.person_id != order.grower {
        return Err(Error::forbidden(tr(
            "Это делает продавец",
            "the grower does this",
        )));
    }
    Ok(caller)
}

/// Put back what an order took from its listing.
fn restock(order: &ProduceOrder) -> Result<()> {
    for _ in 0..ATTEMPTS {
        let mut doc = listing(&order.listing)?;
        doc.data.left = add(doc.data.left, order.quantity)
            .ok_or_else(|| invalid("quantity", "Слишком много", "too much"))?;
        match LISTINGS.put(&doc.community, &doc.id, &doc.data, Some(doc.version)) {
            Ok(_) => return Ok(()),
            Err(e) if e.is(ErrorCode::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(conflict("Попробуйте ещё раз", "try again"))
}

fn tell(order: &Doc<ProduceOrder>, who: &str, ru: String, en: String) -> Result<()> {
    notifications::notify(
        &[who.to_owned()],
        &Message::new(
            Localized::new(
                format!("{}: {}", order.data.title, ru),
                format!("{}: {}", order.data.title, en),
            ),
            Localized::new(ru, en),
        )
        .link(page_path(
            &order.community,
            &format!("listing/{}", order.data.listing),
        )),
    )
}

/// The grower confirms (`true`) or declines an order waiting for them.
pub fn answer(id: &str, confirm: bool) -> Result<Doc<ProduceOrder>> {
    let mut doc = order(id)?;
    require_grower(&doc.data)?;
    if doc.data.state != ProduceState::Placed {
        return Err(conflict(
            "На этот заказ уже ответили",
            "this order is answered",
        ));
    }
    if confirm {
        doc.data.state = ProduceState::Confirmed;
    } else {
        doc.data.state = ProduceState::Declined;
        restock(&doc.data)?;
    }
    let saved = PRODUCE_ORDERS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    let listing = listing(&saved.data.listing)?;
    let (ru, en) = if confirm {
        (
            format!(
                "заказ подтверждён, заберите: {}, {}",
                listing.data.pickup_place, listing.data.pickup_time
            ),
            format!(
                "confirmed; pick it up: {}, {}",
                listing.data.pickup_place, listing.data.pickup_time
            ),
        )
    } else {
        (
            "продавец отклонил заказ".to_owned(),
            "the grower declined the order".to_owned(),
        )
    };
    tell(&saved, &saved.data.buyer, ru, en)?;
    Ok(saved)
}

/// The buyer calls off an order not yet picked up.
pub fn cancel(id: &str) -> Result<Doc<ProduceOrder>> {
    let mut doc = order(id)?;
    let caller = ctx::require_caller()?;
    if caller.person_id != doc.data.buyer {
        return Err(Error::forbidden(tr(
            "Это не ваш заказ",
            "this is not your order",
        )));
    }
    if !matches!(
        doc.data.state,
        ProduceState::Placed | ProduceState::Confirmed
    ) {
        return Err(conflict("Этот заказ уже закрыт", "this order is closed"));
    }
    doc.data.state = ProduceState::Cancelled;
    restock(&doc.data)?;
    let saved = PRODUCE_ORDERS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    tell(
        &saved,
        &saved.data.grower,
        format!("{} отменил заказ", saved.data.buyer_name),
        format!("{} cancelled the order", saved.data.buyer_name),
    )?;
    Ok(saved)
}

/// The grower hands the order over: it is closed.
pub fn picked_up(id: &str) -> Result<Doc<ProduceOrder>> {
    let mut doc = order(id)?;
    require_grower(&doc.data)?;
    if doc.data.state != ProduceState::Confirmed {
        return Err(conflict(
            "Выдают подтверждённый заказ",
            "a confirmed order is handed over",
        ));
    }
    doc.data.state = ProduceState::PickedUp;
    let saved = PRODUCE_ORDERS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    events::emit(
        PICKED_UP,
        &saved.community,
        &serde_json::json!({
            "person_id": saved.data.buyer,
            "grower": saved.data.grower,
            "listing": saved.data.listing,
            "order": saved.id,
            "amount": saved.data.amount,
        }),
    )?;
    Ok(saved)
}

/// One side rates the other once, after the pickup.
pub fn rate(id: &str, stars: i64, comment: &str) -> Result<Doc<ProduceOrder>> {
    let mut doc = order(id)?;
    let caller = ctx::require_caller()?;
    if doc.data.state != ProduceState::PickedUp {
        return Err(conflict(
            "Оценивают после получения",
            "rate after the pickup",
        ));
    }
    if !(1..=5).contains(&stars) {
        return Err(invalid("stars", "Оценка — от 1 до 5", "a rating is 1 to 5"));
    }
    if comment.chars().count() > 500 {
        return Err(invalid(
            "comment",
            "Не длиннее 500 знаков",
            "at most 500 characters",
        ));
    }
    let rating = Rating {
        stars: stars as u8,
        comment: comment.trim().to_owned(),
        at: ctx::now(),
    };
    let slot = if caller.person_id == doc.data.buyer {
        &mut doc.data.buyer_rating
    } else if caller.person_id == doc.data.grower {
        &mut doc.data.grower_rating
    } else {
        return Err(Error::forbidden(tr(
            "Это не ваш заказ",
            "this is not your order",
        )));
    };
    if slot.is_some() {
        return Err(conflict(
            "Вы уже оценили этот заказ",
            "you rated this order already",
        ));
    }
    *slot = Some(rating);
    PRODUCE_ORDERS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))
}

/// A grower's average rating from buyers, and how many rated.
pub fn grower_rating(grower: &str) -> Result<Option<(Decimal, u64)>> {
    let orders = PRODUCE_ORDERS
        .query()
        .filter("grower", Compare::Eq, grower)
        .fetch_all()?;
    let stars: Vec<u64> = orders
        .iter()
        .filter_map(|o| o.data.buyer_rating.as_ref().map(|r| u64::from(r.stars)))
        .collect();
    if stars.is_empty() {
        return Ok(None);
    }
    let tenths = stars.iter().sum::<u64>() * 10 / stars.len() as u64;
    Ok(Some((Decimal::new(tenths as i64, 1), stars.len() as u64)))
}

/// The grower's produce certificate valid today, if the SNT issued one.
pub fn certificate_of(grower: &str) -> Result<Option<Certificate>> {
    let today = ctx::today()?;
    let mut found: Vec<Certificate> = CERTIFICATES
        .query()
        .with_ancestors()
        .filter("person", Compare::Eq, grower)
        .fetch_all()?
        .into_iter()
        .map(|d| d.data)
        .filter(|c| c.valid_until.is_none_or(|until| until >= today))
        .collect();
    found.sort_by_key(|c| c.issued);
    Ok(found.pop())
}

/// Keep a produce certificate the `snt` plugin issued. Its payload names the `person_id`;
/// the number, what it covers, the last valid day and the issuer are kept when given, under
/// whichever of the usual names they come.
pub fn on_certificate(event: &Event) -> Result<()> {
    let payload: serde_json::Value = event.payload()?;
    let Some(person) = payload["person_id"].as_str().filter(|p| !p.is_empty()) else {
        log::warn(format!(
            "{CERTIFICATE_ISSUED} {} has no person_id: ignored",
            event.id
        ));
        return Ok(());
    };
    let first = |keys: &[&str]| {
        keys.iter().find_map(|k| match &payload[*k] {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .filter(|s| !s.is_empty()),
            _ => None,
        })
    };
    let certificate = Certificate {
        person: person.to_owned(),
        number: first(&["number", "certificate_number", "certificate"]),
        products: first(&["products", "produce", "what", "crops"]),
        valid_until: first(&["valid_until", "expires", "expires_on", "until"])
            .and_then(|d| d.get(..10).and_then(|d| d.parse().ok())),
        issuer: first(&["issuer", "snt_name", "community_name"]),
        issued: event.occurred,
    };
    match CERTIFICATES.insert(&event.community, Some(&event.id), &certificate) {
        Ok(_) => Ok(()),
        // Delivered again: kept already.
        Err(e) if e.is(ErrorCode::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}

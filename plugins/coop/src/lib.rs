//! The `coop` plugin: joint purchases between neighbours (совместные закупки) by boxes with
//! tolerances, their settlement, receiving and household ledgers; shared equipment with
//! bookings, late fines and deposits; and produce between neighbours — the model of RULES §8
//! (Foodsoft's, in the words of Russian joint purchases: ряд = box, стоп = the order's end,
//! оргсбор = markup, раздача = pickup).
//!
//! The rules are pure functions, tested natively against the worked examples C1–C5, E1 and
//! E2: [`ordering`] (boxes at the end, allocation by order time, the open figures, the box-fill
//! rule), [`purchase`] (articles, terms, the end and the order to the supplier), [`settlement`]
//! (receiving with shortages, weighed goods, each household's charge), [`ledger`] (append-only,
//! reversing corrections), [`pricelist`] (the supplier's CSV) and [`equipment`] (bookings,
//! holds, fines, the deposit).
//!
//! The shell around them: [`purchases`] and [`orders`] (a purchase through its phases, orders
//! that never oversell), [`households`] (one account per unit, payments, the bank registry,
//! the payment QR code, reminders), [`lending`] (items and bookings), [`produce`] (listings,
//! orders, ratings, the SNT's certificates), the pages, the `tick` job and the demo. The API
//! lives under `/api/c/{community}/p/coop/`; `docs/coop.md` lists every route.

pub mod access;
mod demo;
pub mod equipment;
pub mod households;
pub mod ledger;
pub mod lending;
pub mod model;
pub mod ordering;
pub mod orders;
mod pages;
pub mod pricelist;
pub mod produce;
pub mod purchase;
pub mod purchases;
pub mod settlement;
pub mod show;

use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, payment_qr};
use serde::Deserialize;
use serde_json::json;

use crate::access::{my_units, require_accounts, runs};
use crate::ledger::PaymentMethod;
use crate::model::{
    BOOKINGS, HOUSEHOLDS, ITEMS, LISTINGS, ORDERS, PURCHASES, Purchase, PurchaseState, Settings,
    invalid, not_found,
};
use crate::orders::{OrderInput, figures_of, orders_of, phase};
use crate::show::day_text;

#[derive(Default)]
struct Coop;

/// The body of the purchase steps that take one value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Extend {
    ends_on: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Arrived {
    arrived: std::collections::BTreeMap<String, i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Weight {
    household: String,
    article: String,
    kg: Decimal,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Weights {
    weights: Vec<Weight>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPayment {
    household: String,
    amount: i64,
    #[serde(default)]
    method: Option<PaymentMethod>,
    #[serde(default)]
    reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Correction {
    household: String,
    entry: u64,
    reason: String,
    #[serde(default)]
    amount: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBooking {
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
#[derive(Default)]
struct Handover {
    note: String,
    photo: Option<String>,
    on: Option<String>,
    amount: Option<i64>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProduceQuantity {
    quantity: Decimal,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stars {
    stars: i64,
    #[serde(default)]
    comment: String,
}

/// A purchase as the API answers it: the document, and per article what is ordered and what
/// the box being filled is missing.
fn purchase_json(doc: &Doc<Purchase>) -> Result<serde_json::Value> {
    let state = phase(&doc.data, ctx::now())?;
    let figures: Vec<_> = doc
        .data
        .articles
        .iter()
        .map(|a| json!({ "article": a.code, "figures": figures_of(&doc.data, a) }))
        .collect();
    Ok(json!({
        "id": doc.id,
        "community": doc.community,
        "version": doc.version,
        "phase": state,
        "purchase": doc.data,
        "figures": figures,
    }))
}

fn cents(field: &str, amount: i64) -> Result<Kopecks> {
    if amount <= 0 {
        return Err(invalid(
            field,
            "Сумма должна быть больше нуля",
            "the amount must be above zero",
        ));
    }
    Ok(Kopecks(amount))
}

impl Coop {
    fn purchase_route(&self, req: &ApiRequest, id: &str, rest: &[&str]) -> Result<ApiResponse> {
        let method = req.method.as_str();
        match (method, rest) {
            ("GET", []) => ApiResponse::ok(&purchase_json(&purchases::get(id)?)?),
            ("POST", ["articles"]) => {
                let doc = purchases::add_article(id, &req.json()?)?;
                ApiResponse::created(&purchase_json(&doc)?)
            }
            ("POST", ["articles", "import"]) => {
                let (doc, imported) = purchases::import_articles(id, &req.body)?;
                ApiResponse::ok(&json!({ "imported": imported, "purchase": purchase_json(&doc)? }))
            }
            ("DELETE", ["articles", code]) => {
                ApiResponse::ok(&purchase_json(&purchases::remove_article(id, code)?)?)
            }
            ("POST", ["start"]) => ApiResponse::ok(&purchase_json(&purchases::start(id)?)?),
            ("POST", ["stop"]) => ApiResponse::ok(&purchase_json(&purchases::stop(id)?)?),
            ("POST", ["finish"]) => ApiResponse::ok(&purchase_json(&purchases::finish_now(id)?)?),
            ("POST", ["extend"]) => {
                let body: Extend = req.json()?;
                ApiResponse::ok(&purchase_json(&purchases::extend(id, &body.ends_on)?)?)
            }
            ("POST", ["cancel"]) => {
                let body: Reason = req.json()?;
                ApiResponse::ok(&purchase_json(&purchases::cancel(id, &body.reason)?)?)
            }
            ("POST", ["orders"]) => {
                let input: OrderInput = req.json()?;
                let placed = orders::place(id, &input)?;
                let status = if placed.new_line { 201 } else { 200 };
                ApiResponse::json(status, &placed)
            }
            ("GET", ["orders"]) => {
                let doc = purchases::get(id)?;
                let all = orders_of(id)?;
                let mine: Vec<String> = my_units().into_iter().map(|u| u.id).collect();
                let visible: Vec<_> = all
                    .into_iter()
                    .filter(|o| runs(&doc.data) || mine.contains(&o.data.household))
                    .map(|o| o.data)
                    .collect();
                ApiResponse::ok(&json!({ "orders": visible }))
            }
            ("GET", ["supplier.csv"]) => {
                let doc = purchases::get(id)?;
                if doc.data.end_lines.is_empty() {
                    return Err(not_found(
                        "Заказ поставщику ещё не сформирован",
                        "the order to the supplier is not made yet",
                    ));
                }
                Ok(ApiResponse::bytes(
                    200,
                    "text/csv; charset=utf-8",
                    purchases::supplier_csv(&doc.data).into_bytes(),
                )
                .header("content-disposition", "attachment; filename=\"order.csv\""))
            }
            ("POST", ["receive"]) => {
                let body: Arrived = req.json()?;
                let arrived: Vec<(String, i64, String)> = body
                    .arrived
                    .into_iter()
                    .map(|(code, n)| {
                        let field = format!("arrived.{code}");
                        (code, n, field)
                    })
                    .collect();
                ApiResponse::ok(&purchase_json(&purchases::receive(id, &arrived)?)?)
            }
            ("POST", ["weights"]) => {
                let body: Weights = req.json()?;
                let weights: Vec<_> = body
                    .weights
                    .into_iter()
                    .enumerate()
                    .map(|(i, w)| (w.household, w.article, w.kg, format!("weights[{i}].kg")))
                    .collect();
                ApiResponse::ok(&purchase_json(&purchases::weigh(id, &weights)?)?)
            }
            ("POST", ["settle"]) => ApiResponse::ok(&purchase_json(&purchases::settle(id)?)?),
            ("POST", ["close"]) => ApiResponse::ok(&purchase_json(&purchases::close(id)?)?),
            _ => Err(not_found("Нет такого адреса", "no such route")),
        }
    }

    fn booking_route(&self, req: &ApiRequest, id: &str, step: &str) -> Result<ApiResponse> {
        let body: Handover = if req.body.is_empty() {
            Handover::default()
        } else {
            req.json()?
        };
        let doc = match step {
            "approve" => lending::approve(id)?,
            "refuse" | "cancel" => lending::cancel(id, &body.reason)?,
            "checkout" => lending::check_out(id, &body.note, body.photo.as_deref())?,
            "return" => {
                let on = match body.on.as_deref() {
                    Some(day) => Date::parse_field("on", day)?,
                    None => ctx::today()?,
                };
                lending::take_back(id, on, &body.note, body.photo.as_deref())?
            }
            "damage" => lending::report_damage(
                id,
                &body.note,
                Kopecks(body.amount.unwrap_or(0)),
                body.photo.as_deref(),
            )?,
            "settle" => lending::settle_deposit(id)?,
            _ => return Err(not_found("Нет такого адреса", "no such route")),
        };
        ApiResponse::ok(&json!({ "id": doc.id, "booking": doc.data }))
    }
}

impl Plugin for Coop {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        let (method, path) = req.route();
        let parts: Vec<&str> = path.split('/').collect();
        match (method, parts.as_slice()) {
            ("GET", ["purchases"]) => {
                let page = PURCHASES
                    .query()
                    .in_community(&ctx::community())
                    .order_by("ends_on", Direction::Desc)
                    .limit(100)
                    .cursor(req.param("cursor"))
                    .fetch()?;
                let list: Vec<_> = page
                    .docs
                    .iter()
                    .filter(|d| d.data.state != PurchaseState::Draft || runs(&d.data))
                    .map(|d| json!({ "id": d.id, "community": d.community, "purchase": d.data }))
                    .collect();
                ApiResponse::ok(&json!({ "purchases": list, "next_cursor": page.next_cursor }))
            }
            ("POST", ["purchases"]) => {
                let doc = purchases::create(&req.json()?)?;
                ApiResponse::created(&purchase_json(&doc)?)
            }
            (_, ["purchases", id, rest @ ..]) => self.purchase_route(&req, id, rest),
            ("GET", ["account"]) => {
                ctx::require_caller()?;
                let treasurer = access::keeps_accounts()?;
                let mine: Vec<String> = my_units().into_iter().map(|u| u.id).collect();
                let ids: Vec<String> = match req.param("h") {
                    Some(h) if treasurer || mine.iter().any(|m| m == h) => vec![h.to_owned()],
                    Some(_) => {
                        return Err(Error::forbidden(tr(
                            "Это не ваш счёт",
                            "this account is not yours",
                        )));
                    }
                    None => mine,
                };
                let mut accounts = Vec::new();
                for id in ids {
                    if let Some(doc) = households::get(&id)? {
                        let qr = households::payment_qr(&doc)?.map(|(text, _)| text);
                        accounts
                            .push(json!({ "id": doc.id, "household": doc.data, "qr_payload": qr }));
                    }
                }
                ApiResponse::ok(&json!({ "accounts": accounts }))
            }
            ("GET", ["account", "qr.svg"]) => {
                ctx::require_caller()?;
                let h = req.param("h").unwrap_or_default();
                let mine = my_units().iter().any(|u| u.id == h);
                if !mine && !access::keeps_accounts()? {
                    return Err(Error::forbidden(tr(
                        "Это не ваш счёт",
                        "this account is not yours",
                    )));
                }
                let doc = households::get(h)?
                    .ok_or_else(|| not_found("Нет такого счёта", "no such account"))?;
                let (text, _) = households::payment_qr(&doc)?.ok_or_else(|| {
                    not_found(
                        "Платить нечего или не указаны реквизиты",
                        "nothing to pay, or no payee",
                    )
                })?;
                let svg = payment_qr::svg(&text).map_err(Error::internal)?;
                Ok(ApiResponse::bytes(200, "image/svg+xml", svg.into_bytes())
                    .header("cache-control", "private, no-cache"))
            }
            ("GET", ["accounts"]) => {
                require_accounts()?;
                let all = HOUSEHOLDS
                    .query()
                    .in_community(&ctx::community())
                    .order_by("balance", Direction::Desc)
                    .limit(500)
                    .fetch()?;
                ApiResponse::ok(&json!({
                    "accounts": all.docs.iter().map(|d| json!({ "id": d.id, "household": d.data })).collect::<Vec<_>>()
                }))
            }
            ("POST", ["payments"]) => {
                require_accounts()?;
                let body: NewPayment = req.json()?;
                let amount = cents("amount", body.amount)?;
                let reference = body
                    .reference
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| format!("hand:{}", ctx::now()));
                let doc = households::pay(
                    &body.household,
                    amount,
                    body.method.unwrap_or(PaymentMethod::Hand),
                    &reference,
                )?;
                ApiResponse::created(&json!({ "id": doc.id, "household": doc.data }))
            }
            ("POST", ["corrections"]) => {
                require_accounts()?;
                let body: Correction = req.json()?;
                let amount = body.amount.map(|a| cents("amount", a)).transpose()?;
                let doc = households::correct(&body.household, body.entry, &body.reason, amount)?;
                ApiResponse::ok(&json!({ "id": doc.id, "household": doc.data }))
            }
            ("POST", ["registry"]) => {
                require_accounts()?;
                match households::import_registry(&req.body)? {
                    Ok(done) => ApiResponse::ok(&done),
                    Err(problems) => ApiResponse::json(
                        422,
                        &json!({ "error": {
                            "code": "invalid",
                            "field": "file",
                            "message": tr("Выписка не загружена: ошибки в строках", "nothing imported: bad lines"),
                            "problems": problems,
                        }}),
                    ),
                }
            }
            ("PUT", ["payee"]) => {
                if !access::is_manager() {
                    return Err(Error::forbidden(tr(
                        "Реквизиты задаёт правление",
                        "the board sets the details",
                    )));
                }
                let payee = model::payee_from(req.json()?).map_err(|e| {
                    Error::invalid(
                        "body",
                        format!("{}: {e}", tr("Неверные данные", "unexpected JSON")),
                    )
                })?;
                let doc = households::set_payee(&payee)?;
                ApiResponse::ok(&doc.data)
            }
            ("POST", ["photos"]) => {
                ctx::require_caller()?;
                let content_type = req.header("content-type").unwrap_or("").to_owned();
                if !content_type.starts_with("image/") {
                    return Err(invalid(
                        "content-type",
                        "Нужна фотография (image/…)",
                        "an image (image/…) is required",
                    ));
                }
                let name = req.param("name").unwrap_or("photo").to_owned();
                let file =
                    dvor_sdk::files::store(&ctx::community(), &name, &content_type, &req.body)?;
                ApiResponse::created(&json!({ "id": file.id }))
            }
            ("GET", ["items"]) => {
                let items = ITEMS.query().in_community(&ctx::community()).fetch_all()?;
                ApiResponse::ok(&json!({
                    "items": items.iter().map(|d| json!({ "id": d.id, "item": d.data })).collect::<Vec<_>>()
                }))
            }
            ("POST", ["items"]) => {
                let doc = lending::add_item(&req.json()?)?;
                ApiResponse::created(&json!({ "id": doc.id, "item": doc.data }))
            }
            ("GET", ["items", id]) => {
                let doc = lending::item(id)?;
                let taken: Vec<_> = lending::bookings_of(id)?
                    .into_iter()
                    .filter(|b| {
                        !matches!(
                            b.data.state,
                            equipment::BookingState::Cancelled | equipment::BookingState::Returned { .. }
                        )
                    })
                    .map(|b| json!({ "from": b.data.range.from, "to": b.data.range.to, "status": b.data.status }))
                    .collect();
                ApiResponse::ok(&json!({ "id": doc.id, "item": doc.data, "taken": taken }))
            }
            ("POST", ["items", id, "bookings"]) => {
                let body: NewBooking = req.json()?;
                let from = Date::parse_field("from", &body.from)?;
                let to = Date::parse_field("to", &body.to)?;
                let doc = lending::book(id, from, to)?;
                ApiResponse::created(&json!({ "id": doc.id, "booking": doc.data }))
            }
            ("GET", ["bookings", id]) => {
                let doc = lending::booking(id)?;
                let caller = ctx::require_caller()?;
                let item = lending::item(&doc.data.item)?;
                if caller.person_id != doc.data.borrower && !lending::owns(&item.data) {
                    return Err(Error::forbidden(tr(
                        "Это не ваша бронь",
                        "this booking is not yours",
                    )));
                }
                ApiResponse::ok(&json!({ "id": doc.id, "booking": doc.data }))
            }
            ("POST", ["bookings", id, step]) => self.booking_route(&req, id, step),
            ("GET", ["listings"]) => {
                let open = LISTINGS
                    .query()
                    .in_community(&ctx::community())
                    .filter("open", Compare::Eq, true)
                    .fetch_all()?;
                let mut list = Vec::new();
                for d in open {
                    let certificate = produce::certificate_of(&d.data.grower)?;
                    list.push(json!({ "id": d.id, "listing": d.data, "certificate": certificate }));
                }
                ApiResponse::ok(&json!({ "listings": list }))
            }
            ("POST", ["listings"]) => {
                let doc = produce::list(&req.json()?)?;
                ApiResponse::created(&json!({ "id": doc.id, "listing": doc.data }))
            }
            ("GET", ["listings", id, "orders"]) => {
                let caller = ctx::require_caller()?;
                let listing = produce::listing(id)?;
                let orders: Vec<_> = model::PRODUCE_ORDERS
                    .query()
                    .filter("listing", Compare::Eq, listing.id.as_str())
                    .fetch_all()?
                    .into_iter()
                    .filter(|o| {
                        caller.person_id == listing.data.grower || caller.person_id == o.data.buyer
                    })
                    .map(|o| json!({ "id": o.id, "order": o.data }))
                    .collect();
                ApiResponse::ok(&json!({ "orders": orders }))
            }
            ("POST", ["listings", id, "orders"]) => {
                let body: ProduceQuantity = req.json()?;
                let doc = produce::place(id, Some(body.quantity))?;
                ApiResponse::created(&json!({ "id": doc.id, "order": doc.data }))
            }
            ("POST", ["produce-orders", id, step]) => {
                let doc = match *step {
                    "confirm" => produce::answer(id, true)?,
                    "decline" => produce::answer(id, false)?,
                    "picked-up" => produce::picked_up(id)?,
                    "cancel" => produce::cancel(id)?,
                    "rate" => {
                        let body: Stars = req.json()?;
                        produce::rate(id, body.stars, &body.comment)?
                    }
                    _ => return Err(not_found("Нет такого адреса", "no such route")),
                };
                ApiResponse::ok(&json!({ "id": doc.id, "order": doc.data }))
            }
            _ => Err(not_found("Нет такого адреса", "no such route")),
        }
    }

    fn render_page(&self, route: &str, query: &Params) -> Result<Page> {
        pages::render(route, query)
    }

    fn handle_action(&self, route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
        pages::act(route, action, form)
    }

    fn on_event(&self, event: Event) -> Result<()> {
        if event.kind == produce::CERTIFICATE_ISSUED {
            return produce::on_certificate(&event);
        }
        log::warn(format!("ignoring an event of kind `{}`", event.kind));
        Ok(())
    }

    fn run_job(&self, name: &str, _cursor: Option<String>) -> Result<Option<String>> {
        if name != "tick" {
            return Err(Error::not_found(format!("no job `{name}`")));
        }
        let settings = Settings::load()?;
        if settings.demo {
            demo::seed()?;
        }
        for state in [PurchaseState::Open, PurchaseState::BoxFill] {
            let due = PURCHASES
                .query()
                .filter("state", Compare::Eq, state.code())
                .fetch_all()?;
            for doc in due {
                purchases::advance(doc)?;
            }
        }
        households::remind_and_drop()?;
        lending::expire_holds()?;
        Ok(None)
    }

    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        match place {
            TilePlace::Community => {
                let open = PURCHASES
                    .query()
                    .in_community(&ctx::community())
                    .filter("state", Compare::Eq, PurchaseState::Open.code())
                    .order_by("ends_on", Direction::Asc)
                    .limit(4)
                    .fetch()?;
                let mut tile = Tile::new(tr("Совместные закупки", "Joint purchases"))
                    .count(open.docs.len() as i64);
                for doc in &open.docs {
                    tile = tile.line(format!(
                        "{} — {} {}",
                        doc.data.title,
                        tr("заказы до", "orders until"),
                        day_text(doc.data.ends_on)
                    ));
                }
                if open.docs.is_empty() {
                    tile = tile.line(tr("Сейчас открытых закупок нет", "no open purchases now"));
                }
                Ok(Some(tile))
            }
            TilePlace::Person => person_tile(),
        }
    }

    fn subscribe(&self, channel: &str) -> Result<()> {
        match channel.strip_prefix("purchase:") {
            Some(id) if PURCHASES.get(id)?.is_some() => Ok(()),
            _ => Err(not_found("Нет такого канала", "no such channel")),
        }
    }
}

/// The caller's own tile: open orders, pickups, what to pay, bookings and produce to collect.
fn person_tile() -> Result<Option<Tile>> {
    let Some(caller) = ctx::caller() else {
        return Ok(None);
    };
    let mut lines = Vec::new();
    let mut tone = Tone::Neutral;
    for unit in my_units() {
        let orders = ORDERS
            .query()
            .filter("household", Compare::Eq, unit.id.as_str())
            .limit(20)
            .fetch()?;
        for order in orders.docs {
            let Some(p) = PURCHASES.get(&order.data.purchase)? else {
                continue;
            };
            match p.data.state {
                PurchaseState::Open | PurchaseState::BoxFill => lines.push(format!(
                    "{} «{}»: {} {}",
                    tr("Заказ", "Order"),
                    p.data.title,
                    tr("до", "until"),
                    day_text(p.data.ends_on)
                )),
                PurchaseState::Sent | PurchaseState::Received => lines.push(format!(
                    "{} «{}»: {}, {}",
                    tr("Раздача", "Pickup"),
                    p.data.title,
                    p.data.pickup_place,
                    p.data.pickup_time
                )),
                _ => {}
            }
        }
        if let Some(h) = HOUSEHOLDS.get(&unit.id)?
            && h.data.balance > Kopecks::ZERO
        {
            tone = Tone::Warning;
            lines.push(format!(
                "{}: {}",
                tr("К оплате за закупки", "To pay for purchases"),
                households::owes_text(&h.data)
            ));
        }
    }
    let bookings = BOOKINGS
        .query()
        .filter("borrower", Compare::Eq, caller.person_id.as_str())
        .limit(20)
        .fetch()?;
    for b in bookings.docs {
        if matches!(
            b.data.state,
            equipment::BookingState::Confirmed | equipment::BookingState::CheckedOut
        ) {
            lines.push(format!(
                "{}: {} — {}",
                b.data.item_name,
                day_text(b.data.range.from),
                day_text(b.data.range.to)
            ));
        }
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let count = lines.len() as i64;
    let mut tile = Tile::new(tr("Кооператив", "Co-op")).count(count).tone(tone);
    for line in lines.into_iter().take(4) {
        tile = tile.line(line);
    }
    Ok(Some(tile))
}

dvor_sdk::plugin!(Coop, manifest = "dvor-plugin.toml");

//! A joint purchase from opening to closing, around the rules of [`crate::purchase`],
//! [`crate::ordering`] and [`crate::settlement`]:
//!
//! draft (articles by hand or from the supplier's CSV) → open (orders until the end date) →
//! box-fill (only changes that fill boxes) → sent (boxes counted, the order to the supplier as
//! a document and CSV) or not reached (below the supplier's minimum: nobody charged; the end
//! may be extended) → received (shortages shared by the rule, weighed goods weighed) →
//! settled (a charge in every household's ledger) → closed. A purchase may be cancelled until
//! its goods are received; it cannot close without charging.
//!
//! Every step is one call and checks everything before it writes.

use std::collections::BTreeMap;

use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, Ratio};
use serde::Deserialize;

use crate::access::{may_organize, require_runs, units_here};
use crate::households;
use crate::ledger;
use crate::model::{
    ArrivedLine, ChargeRecord, EndLine, HOUSEHOLDS, PURCHASES, Purchase, PurchaseState, Settings,
    conflict, invalid, not_found,
};
use crate::orders::{self, lines_of, orders_of, phase};
use crate::pricelist;
use crate::purchase::{self, Article, EndOutcome, PurchaseTerms, SupplierLine};
use crate::settlement::{self, Received};
use crate::show::{money_text, page_path};

/// The event of a purchase opened for orders.
pub const OPENED: &str = "coop.purchase_opened";
/// The event of a purchase's end (sent or not reached).
pub const ENDED: &str = "coop.purchase_ended";
/// The event of a purchase charged.
pub const SETTLED: &str = "coop.purchase_settled";

/// A new purchase's terms, as the API and the form take them. Money in kopecks.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseInput {
    /// What people call it.
    pub title: String,
    /// The supplier.
    pub supplier: String,
    /// The last day of orders, `YYYY-MM-DD`.
    pub ends_on: String,
    /// The supplier's minimum order.
    pub supplier_minimum: i64,
    /// The markup (оргсбор), percent.
    pub markup_percent: Option<Decimal>,
    /// Transport.
    pub transport: i64,
    /// Where the goods are handed out.
    pub pickup_place: String,
    /// When.
    pub pickup_time: String,
    /// The box-fill phase after the end, hours (the settings' when absent).
    pub box_fill_hours: Option<i64>,
}

fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String> {
    let value = value.trim();
    if required && value.is_empty() {
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

fn money(field: &str, kopecks: i64) -> Result<Kopecks> {
    if kopecks < 0 {
        return Err(invalid(
            field,
            "Сумма не может быть меньше нуля",
            "the amount cannot be below zero",
        ));
    }
    if kopecks > 10_000_000_000 {
        return Err(invalid(
            field,
            "Слишком большая сумма",
            "the amount is too large",
        ));
    }
    Ok(Kopecks(kopecks))
}

/// A purchase from `input`, checked field by field.
fn from_input(input: &PurchaseInput, settings: &Settings) -> Result<Purchase> {
    let caller = ctx::require_caller()?;
    let title = text("title", &input.title, 120, true)?;
    let supplier = text("supplier", &input.supplier, 160, true)?;
    let ends_on = Date::parse_field("ends_on", input.ends_on.trim())?;
    if ends_on < ctx::today()? {
        return Err(invalid(
            "ends_on",
            "Дата окончания уже прошла",
            "the end date has passed",
        ));
    }
    let markup = input.markup_percent.unwrap_or(Decimal::new(0, 0));
    crate::ordering::markup_factor(markup)?;
    if Ratio::from_decimal(markup) > Ratio::from_integer(100) {
        return Err(invalid(
            "markup_percent",
            "Оргсбор не больше 100 %",
            "the markup is at most 100 %",
        ));
    }
    let box_fill_hours = match input.box_fill_hours {
        None => settings.box_fill_hours,
        Some(h) if (0..=24 * 14).contains(&h) => h as u32,
        Some(_) => {
            return Err(invalid(
                "box_fill_hours",
                "Добор коробов — от 0 до 336 часов",
                "the box-fill phase is 0 to 336 hours",
            ));
        }
    };
    Ok(Purchase {
        title,
        supplier,
        organizer: caller.person_id,
        organizer_name: caller.display_name,
        articles: Vec::new(),
        terms: PurchaseTerms {
            supplier_minimum: money("supplier_minimum", input.supplier_minimum)?,
            markup_percent: markup,
            transport: money("transport", input.transport)?,
        },
        ends_on,
        box_fill_hours,
        box_fill_until: None,
        pickup_place: text("pickup_place", &input.pickup_place, 200, true)?,
        pickup_time: text("pickup_time", &input.pickup_time, 120, true)?,
        state: PurchaseState::Draft,
        tally: Vec::new(),
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
    })
}

/// Open a purchase (a draft: articles come next) in the call's community.
pub fn create(input: &PurchaseInput) -> Result<Doc<Purchase>> {
    let settings = Settings::load()?;
    ctx::require_caller()?;
    if !may_organize(&settings) {
        return Err(Error::forbidden(tr(
            "Открывать закупки здесь могут участники с подтверждённым участком или квартирой",
            "people with a confirmed plot or flat here may open purchases",
        )));
    }
    let purchase = from_input(input, &settings)?;
    PURCHASES.insert(&ctx::community(), None, &purchase)
}

/// Purchase `id`, if it is in the call's scope.
pub fn get(id: &str) -> Result<Doc<Purchase>> {
    PURCHASES
        .get(id)?
        .ok_or_else(|| not_found("Нет такой закупки", "no such purchase"))
}

/// An article as the API takes it. Money in kopecks.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// The supplier's code.
    pub code: String,
    /// What it is.
    pub name: String,
    /// The unit (`шт` when blank, `кг` for weighed goods).
    #[serde(default)]
    pub unit: String,
    /// Price per unit.
    pub price: i64,
    /// Units per box.
    #[serde(default = "one")]
    pub box_size: i64,
    /// The least the supplier takes.
    #[serde(default)]
    pub minimum: i64,
    /// VAT, percent.
    #[serde(default)]
    pub vat_percent: Option<i64>,
    /// Charged by weight.
    #[serde(default)]
    pub weighed: bool,
    /// What the supplier has.
    #[serde(default)]
    pub available: Option<i64>,
}

fn one() -> i64 {
    1
}

/// VAT rates an article may carry, percent.
const VAT_RATES: [i64; 6] = [0, 5, 7, 10, 20, 22];

/// An article from `input`, checked field by field.
pub fn article_from(input: &ArticleInput) -> Result<Article> {
    let whole = |field: &str, v: i64, min: i64, max: i64| -> Result<u32> {
        if v < min || v > max {
            return Err(Error::invalid(
                field,
                format!("{} {min} {} {max}", tr("От", "from"), tr("до", "to")),
            ));
        }
        Ok(v as u32)
    };
    if input.price <= 0 {
        return Err(invalid(
            "price",
            "Цена должна быть больше нуля",
            "the price must be above zero",
        ));
    }
    let vat_percent = match input.vat_percent {
        None => None,
        Some(v) if VAT_RATES.contains(&v) => Some(v as u8),
        Some(_) => {
            return Err(invalid(
                "vat_percent",
                "НДС: 0, 5, 7, 10, 20 или 22 %",
                "VAT: 0, 5, 7, 10, 20 or 22 %",
            ));
        }
    };
    let unit = text("unit", &input.unit, 12, false)?;
    Ok(Article {
        code: text("code", &input.code, 40, true)?,
        name: text("name", &input.name, 160, true)?,
        unit: if unit.is_empty() {
            if input.weighed { "кг" } else { "шт" }.to_owned()
        } else {
            unit
        },
        price: money("price", input.price)?,
        box_size: whole("box_size", input.box_size, 1, 10_000)?,
        minimum: whole("minimum", input.minimum, 0, 100_000)?,
        vat_percent,
        weighed: input.weighed,
        available: input
            .available
            .map(|v| whole("available", v, 0, 1_000_000))
            .transpose()?,
    })
}

fn require_editable(doc: &Doc<Purchase>) -> Result<()> {
    require_runs(&doc.data)?;
    if !matches!(doc.data.state, PurchaseState::Draft | PurchaseState::Open) {
        return Err(conflict(
            "Товары меняют, пока идёт сбор заказов",
            "articles change only while orders are taken",
        ));
    }
    Ok(())
}

/// Add articles (or replace those with the same code that nobody ordered yet).
fn merge_articles(doc: &mut Doc<Purchase>, articles: Vec<Article>, field: &str) -> Result<()> {
    for article in articles {
        let (q, t) = doc.data.tally_of(&article.code);
        match doc
            .data
            .articles
            .iter()
            .position(|a| a.code == article.code)
        {
            Some(_) if q + t > 0 => {
                return Err(Error::invalid(
                    field,
                    format!(
                        "{} {}",
                        tr(
                            "Этот товар уже заказывают, его нельзя заменить:",
                            "this article is ordered already and cannot be replaced:"
                        ),
                        article.code
                    ),
                ));
            }
            Some(i) => doc.data.articles[i] = article,
            None => doc.data.articles.push(article),
        }
    }
    if doc.data.articles.len() > 500 {
        return Err(invalid(
            field,
            "Не больше 500 товаров",
            "at most 500 articles",
        ));
    }
    Ok(())
}

/// Add an article to purchase `id`.
pub fn add_article(id: &str, input: &ArticleInput) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    require_editable(&doc)?;
    let article = article_from(input)?;
    merge_articles(&mut doc, vec![article], "code")?;
    save(&doc)
}

/// Add the articles of the supplier's price list (CSV) to purchase `id`: all, or none and every
/// bad cell named in the error (field `file`).
pub fn import_articles(id: &str, csv: &[u8]) -> Result<(Doc<Purchase>, usize)> {
    let mut doc = get(id)?;
    require_editable(&doc)?;
    let articles = pricelist::import_price_list(csv).map_err(|problems| {
        Error::invalid("file", dvor_sdk::csv_sheet::problems_text(&problems, 10))
    })?;
    let count = articles.len();
    merge_articles(&mut doc, articles, "file")?;
    Ok((save(&doc)?, count))
}

/// Remove an article nobody ordered.
pub fn remove_article(id: &str, code: &str) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    require_editable(&doc)?;
    let (q, t) = doc.data.tally_of(code);
    if q + t > 0 {
        return Err(invalid(
            "article",
            "Этот товар уже заказывают",
            "this article is ordered already",
        ));
    }
    let before = doc.data.articles.len();
    doc.data.articles.retain(|a| a.code != code);
    if doc.data.articles.len() == before {
        return Err(invalid("article", "Нет такого товара", "no such article"));
    }
    save(&doc)
}

/// Write a purchase back, only if nobody changed it since it was read.
fn save(doc: &Doc<Purchase>) -> Result<Doc<Purchase>> {
    PURCHASES.put(&doc.community, &doc.id, &doc.data, Some(doc.version))
}

/// Start taking orders.
pub fn start(id: &str) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    let caller = require_runs(&doc.data)?;
    if doc.data.state != PurchaseState::Draft {
        return Err(conflict(
            "Сбор заказов уже начат",
            "orders are taken already",
        ));
    }
    if doc.data.articles.is_empty() {
        return Err(invalid(
            "articles",
            "Добавьте хотя бы один товар",
            "add at least one article",
        ));
    }
    if doc.data.ends_on < ctx::today()? {
        return Err(invalid(
            "ends_on",
            "Дата окончания уже прошла: продлите закупку",
            "the end date has passed: extend it",
        ));
    }
    doc.data.state = PurchaseState::Open;
    let saved = save(&doc)?;
    events::emit(
        OPENED,
        &saved.community,
        &serde_json::json!({ "person_id": caller.person_id, "purchase": saved.id, "title": saved.data.title }),
    )?;
    orders::publish_figures(&saved)?;
    Ok(saved)
}

/// The organizer stops orders now: the box-fill phase begins (or, without one, the end).
pub fn stop(id: &str) -> Result<Doc<Purchase>> {
    let doc = get(id)?;
    require_runs(&doc.data)?;
    if phase(&doc.data, ctx::now())? != PurchaseState::Open {
        return Err(conflict(
            "Сбор заказов уже закончен",
            "orders are no longer taken",
        ));
    }
    begin_box_fill(doc)
}

fn begin_box_fill(mut doc: Doc<Purchase>) -> Result<Doc<Purchase>> {
    if doc.data.box_fill_hours == 0 {
        return finish(doc);
    }
    let now = ctx::now();
    doc.data.state = PurchaseState::BoxFill;
    doc.data.box_fill_until = Some(now + i64::from(doc.data.box_fill_hours) * 3_600_000);
    let saved = save(&doc)?;
    notify_participants(
        &saved,
        Localized::new(
            format!("Добор коробов: «{}»", saved.data.title),
            format!("Filling boxes: “{}”", saved.data.title),
        ),
        Localized::new(
            "Сбор заказов закончен. Можно добавить то, что дополнит неполные короба.",
            "Orders have stopped. You may add what fills the incomplete boxes.",
        ),
    )?;
    Ok(saved)
}

/// Count the boxes now: the order goes to the supplier, or the purchase did not reach the
/// supplier's minimum and nobody is charged.
pub fn finish_now(id: &str) -> Result<Doc<Purchase>> {
    let doc = get(id)?;
    require_runs(&doc.data)?;
    if !matches!(
        phase(&doc.data, ctx::now())?,
        PurchaseState::BoxFill | PurchaseState::Sent
    ) || !matches!(doc.data.state, PurchaseState::Open | PurchaseState::BoxFill)
    {
        return Err(conflict(
            "Итог подводят после окончания сбора заказов",
            "the boxes are counted once orders have stopped",
        ));
    }
    finish(doc)
}

/// What the scheduled job does with a purchase whose time has come.
pub fn advance(doc: Doc<Purchase>) -> Result<Option<Doc<Purchase>>> {
    let now = ctx::now();
    match (doc.data.state, phase(&doc.data, now)?) {
        (PurchaseState::Open, PurchaseState::BoxFill) => begin_box_fill(doc).map(Some),
        (PurchaseState::Open | PurchaseState::BoxFill, PurchaseState::Sent) => {
            finish(doc).map(Some)
        }
        _ => Ok(None),
    }
}

fn supplier_lines(lines: &[EndLine]) -> Vec<SupplierLine> {
    lines
        .iter()
        .map(|l| SupplierLine {
            code: l.article.clone(),
            boxes: l.boxes,
            units: l.units,
            price: l.price,
            amount: l.amount,
            allocations: l.allocations.clone(),
        })
        .collect()
}

/// The order to the supplier as CSV.
pub fn supplier_csv(purchase: &Purchase) -> String {
    purchase::supplier_order_csv(&purchase.articles, &supplier_lines(&purchase.end_lines))
}

fn finish(mut doc: Doc<Purchase>) -> Result<Doc<Purchase>> {
    let orders = orders_of(&doc.id)?;
    let per_article: Vec<(String, Vec<crate::ordering::OrderLine>)> = doc
        .data
        .articles
        .iter()
        .map(|a| (a.code.clone(), lines_of(&orders, &a.code)))
        .collect();
    let outcome = purchase::end_purchase(&doc.data.articles, &per_article, &doc.data.terms)?;
    let (title, body) = match outcome {
        EndOutcome::Send { lines, total } => {
            doc.data.state = PurchaseState::Sent;
            doc.data.end_total = total;
            doc.data.end_lines = lines
                .iter()
                .map(|l| EndLine {
                    article: l.code.clone(),
                    boxes: l.boxes,
                    units: l.units,
                    price: l.price,
                    amount: l.amount,
                    allocations: l.allocations.clone(),
                })
                .collect();
            let csv = purchase::supplier_order_csv(&doc.data.articles, &lines);
            let file = dvor_sdk::files::store(
                &doc.community,
                &format!("{}.csv", file_name(&doc.data.title)),
                "text/csv",
                csv.as_bytes(),
            )?;
            doc.data.supplier_file = Some(file.id);
            (
                Localized::new(
                    format!("Закупка «{}» состоялась", doc.data.title),
                    format!("The purchase “{}” goes ahead", doc.data.title),
                ),
                Localized::new(
                    format!(
                        "Заказ отправлен поставщику на {}. Раздача: {}, {}.",
                        money_text(total),
                        doc.data.pickup_place,
                        doc.data.pickup_time
                    ),
                    format!(
                        "The order of {} goes to the supplier. Pickup: {}, {}.",
                        money_text(total),
                        doc.data.pickup_place,
                        doc.data.pickup_time
                    ),
                ),
            )
        }
        EndOutcome::BelowMinimum { total, minimum } => {
            doc.data.state = PurchaseState::NotReached;
            doc.data.end_total = total;
            doc.data.end_lines.clear();
            (
                Localized::new(
                    format!("Закупка «{}» не состоялась", doc.data.title),
                    format!(
                        "The purchase “{}” did not reach the minimum",
                        doc.data.title
                    ),
                ),
                Localized::new(
                    format!(
                        "Набрано {} при минимуме поставщика {}. Ничего не списано; организатор может продлить сбор.",
                        money_text(total),
                        money_text(minimum)
                    ),
                    format!(
                        "Orders came to {} against the supplier's minimum of {}. Nobody is charged; the organizer may extend it.",
                        money_text(total),
                        money_text(minimum)
                    ),
                ),
            )
        }
    };
    let saved = save(&doc)?;
    notify_participants(&saved, title, body)?;
    events::emit(
        ENDED,
        &saved.community,
        &serde_json::json!({
            "person_id": saved.data.organizer,
            "purchase": saved.id,
            "sent": saved.data.state == PurchaseState::Sent,
            "total": saved.data.end_total,
        }),
    )?;
    Ok(saved)
}

fn file_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    format!("zakaz-{}", cleaned.trim_matches('-'))
}

/// Extend orders to `ends_on`: a purchase below the minimum (orders kept), or one still open.
pub fn extend(id: &str, ends_on: &str) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    require_runs(&doc.data)?;
    if !matches!(
        doc.data.state,
        PurchaseState::Open | PurchaseState::BoxFill | PurchaseState::NotReached
    ) {
        return Err(conflict(
            "Продлить можно, пока заказ не отправлен поставщику",
            "it can be extended until the order goes to the supplier",
        ));
    }
    let day = Date::parse_field("ends_on", ends_on.trim())?;
    if day < ctx::today()? {
        return Err(invalid(
            "ends_on",
            "Новая дата окончания — сегодня или позже",
            "the new end date is today or later",
        ));
    }
    doc.data.ends_on = day;
    doc.data.state = PurchaseState::Open;
    doc.data.box_fill_until = None;
    doc.data.end_total = Kopecks::ZERO;
    let saved = save(&doc)?;
    notify_participants(
        &saved,
        Localized::new(
            format!("Закупка «{}» продлена", saved.data.title),
            format!("The purchase “{}” is extended", saved.data.title),
        ),
        Localized::new(
            format!("Заказы принимаются до {} включительно.", day_text_ru(day)),
            format!("Orders are taken until {day}."),
        ),
    )?;
    orders::publish_figures(&saved)?;
    Ok(saved)
}

fn day_text_ru(day: Date) -> String {
    format!("{:02}.{:02}.{}", day.day(), day.month(), day.year())
}

/// Call the purchase off; nobody is charged.
pub fn cancel(id: &str, reason: &str) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    require_runs(&doc.data)?;
    if matches!(
        doc.data.state,
        PurchaseState::Received
            | PurchaseState::Settled
            | PurchaseState::Closed
            | PurchaseState::Cancelled
    ) {
        return Err(conflict(
            "Отменить можно до получения товара",
            "it can be cancelled until the goods are received",
        ));
    }
    let reason = text("reason", reason, 500, true)?;
    doc.data.state = PurchaseState::Cancelled;
    let saved = save(&doc)?;
    notify_participants(
        &saved,
        Localized::new(
            format!("Закупка «{}» отменена", saved.data.title),
            format!("The purchase “{}” is cancelled", saved.data.title),
        ),
        Localized::new(
            format!("{reason}. Ничего не списано."),
            format!("{reason}. Nobody is charged."),
        ),
    )?;
    Ok(saved)
}

/// Record what arrived, per article code: shortages are shared by the rule (quantities first,
/// earliest first, then tolerances). `field` names each count in errors.
pub fn receive(id: &str, arrived: &[(String, i64, String)]) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    require_runs(&doc.data)?;
    if !matches!(
        doc.data.state,
        PurchaseState::Sent | PurchaseState::Received
    ) {
        return Err(conflict(
            "Приёмка — после отправки заказа поставщику",
            "receiving comes after the order went to the supplier",
        ));
    }
    let orders = orders_of(&doc.id)?;
    let mut lines = Vec::new();
    for end in &doc.data.end_lines {
        let (count, field) = match arrived.iter().find(|(code, _, _)| *code == end.article) {
            Some((_, count, field)) => (*count, field.as_str()),
            None => (end.units as i64, ""),
        };
        if !(0..=1_000_000).contains(&count) {
            return Err(invalid(
                if field.is_empty() { "arrived" } else { field },
                "Укажите, сколько пришло (0 или больше)",
                "enter how many arrived (0 or more)",
            ));
        }
        let received =
            settlement::receive(&lines_of(&orders, &end.article), end.units, count as u64);
        lines.push(ArrivedLine {
            article: end.article.clone(),
            ordered: received.ordered,
            arrived: received.arrived,
            shortage: received.shortage,
            surplus: received.surplus,
            allocations: received.allocations,
        });
    }
    for (code, _, field) in arrived {
        if !doc.data.end_lines.iter().any(|l| &l.article == code) {
            return Err(invalid(
                if field.is_empty() { "arrived" } else { field },
                "Этого товара нет в заказе поставщику",
                "this article is not in the order to the supplier",
            ));
        }
    }
    doc.data.arrived = lines;
    doc.data.weights.retain(|key, _| {
        doc.data.arrived.iter().any(|l| {
            l.allocations
                .iter()
                .any(|a| a.units() > 0 && weight_key(&a.household, &l.article) == *key)
        })
    });
    doc.data.state = PurchaseState::Received;
    save(&doc)
}

/// The key of a household's weight of an article.
pub fn weight_key(household: &str, article: &str) -> String {
    format!("{household}|{article}")
}

/// Record what was weighed for households (`household`, `article`, kg, field).
pub fn weigh(id: &str, weights: &[(String, String, Decimal, String)]) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    require_runs(&doc.data)?;
    if doc.data.state != PurchaseState::Received {
        return Err(conflict(
            "Вес вносят после приёмки, до начисления",
            "weights are entered after receiving, before charging",
        ));
    }
    for (household, article, kg, field) in weights {
        let weighed = doc.data.article(article).is_some_and(|a| a.weighed);
        let gets = doc.data.arrived.iter().any(|l| {
            l.article == *article
                && l.allocations
                    .iter()
                    .any(|a| a.household == *household && a.units() > 0)
        });
        if !weighed || !gets {
            return Err(invalid(
                field,
                "Этот товар не весовой или не достался этому участнику",
                "this article is not weighed or this household gets none",
            ));
        }
        if kg.value() <= 0 || Ratio::from_decimal(*kg) > Ratio::from_integer(10_000) {
            return Err(invalid(
                field,
                "Вес — больше нуля, в килограммах",
                "the weight is above zero, in kilograms",
            ));
        }
        doc.data.weights.insert(weight_key(household, article), *kg);
    }
    save(&doc)
}

/// What every household received, with the weights, as the settlement takes it.
fn received_of(purchase: &Purchase) -> Vec<Received> {
    let mut received = Vec::new();
    for line in &purchase.arrived {
        for a in &line.allocations {
            if a.units() == 0 {
                continue;
            }
            received.push(Received {
                household: a.household.clone(),
                article: line.article.clone(),
                units: a.units(),
                weight: purchase
                    .weights
                    .get(&weight_key(&a.household, &line.article))
                    .copied(),
            });
        }
    }
    received
}

fn rounded(value: Ratio) -> Kopecks {
    value.round_to_kopecks().unwrap_or(Kopecks::ZERO)
}

/// Charge every household what it received: goods × (1 + markup) + its share of transport,
/// rounded once; the remainder is reported. One ledger entry per household.
pub fn settle(id: &str) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    let caller = require_runs(&doc.data)?;
    if doc.data.state != PurchaseState::Received {
        return Err(conflict(
            "Начисляют после приёмки товара",
            "charges come after the goods are received",
        ));
    }
    let received = received_of(&doc.data);
    let labels = labels_of(&doc.id)?;
    let settlement =
        settlement::settle(&doc.data.articles, &received, &doc.data.terms).map_err(|e| match e
            .field
            .as_deref()
        {
            Some(f) if f.ends_with(".weight") => {
                let who = f
                    .trim_start_matches("received[")
                    .split(']')
                    .next()
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| received.get(i))
                    .map(|r| {
                        format!(
                            "{}, {}",
                            labels.get(&r.household).cloned().unwrap_or_default(),
                            doc.data
                                .article(&r.article)
                                .map(|a| a.name.clone())
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                Error::invalid("weights", format!("{}: {who}", e.message))
            }
            _ => e,
        })?;
    let settings = Settings::load()?;
    let pay_by = ctx::today()?
        .add_days(i64::from(settings.payment_days))
        .unwrap_or(ctx::today()?);
    let reference = Purchase::reference(&doc.id);
    let note = format!("{} «{}»", tr("Закупка", "Purchase"), doc.data.title);
    let units = units_here();
    let people = people_of(&doc.id)?;
    let mut charges = Vec::new();
    for charge in &settlement.charges {
        let label = labels.get(&charge.household).cloned().unwrap_or_default();
        let unit = units.iter().find(|u| u.id == charge.household);
        households::charge(
            &charge.household,
            unit,
            &label,
            charge.amount,
            &reference,
            &note,
            pay_by,
            people.get(&charge.household).map_or(&[][..], Vec::as_slice),
        )?;
        charges.push(ChargeRecord {
            household: charge.household.clone(),
            label,
            goods: rounded(charge.goods),
            markup: rounded(charge.markup),
            transport: rounded(charge.transport),
            amount: charge.amount,
        });
    }
    doc.data.charges = charges;
    doc.data.expected = settlement.expected;
    doc.data.remainder = settlement.remainder;
    doc.data.pay_by = Some(pay_by);
    doc.data.state = PurchaseState::Settled;
    let saved = save(&doc)?;
    for charge in &saved.data.charges {
        let recipients = people.get(&charge.household).cloned().unwrap_or_default();
        if recipients.is_empty() {
            continue;
        }
        notifications::notify(
            &recipients,
            &Message::new(
                Localized::new(
                    format!("К оплате {}: «{}»", money_text(charge.amount), saved.data.title),
                    format!("To pay {}: “{}”", money_text(charge.amount), saved.data.title),
                ),
                Localized::new(
                    format!(
                        "{}: начислено {} за совместную закупку. Оплатить до {} — по QR-коду на странице счёта.",
                        charge.label,
                        money_text(charge.amount),
                        day_text_ru(pay_by)
                    ),
                    format!(
                        "{}: {} is charged for the joint purchase. Pay by {pay_by} with the QR code on the account's page.",
                        charge.label,
                        money_text(charge.amount)
                    ),
                ),
            )
            .link(format!(
                "{}?h={}",
                page_path(&saved.community, "account"),
                charge.household
            )),
        )?;
    }
    events::emit(
        SETTLED,
        &saved.community,
        &serde_json::json!({
            "person_id": caller.person_id,
            "purchase": saved.id,
            "households": saved.data.charges.len(),
            "charged": Kopecks::checked_sum(saved.data.charges.iter().map(|c| c.amount)),
            "remainder": saved.data.remainder,
        }),
    )?;
    Ok(saved)
}

/// Close a charged purchase: refused while any household's charge is missing from its ledger.
pub fn close(id: &str) -> Result<Doc<Purchase>> {
    let mut doc = get(id)?;
    require_runs(&doc.data)?;
    if doc.data.state != PurchaseState::Settled {
        return Err(conflict(
            "Закупку нельзя закрыть без начисления: сначала начислите",
            "a purchase cannot close without charging: charge it first",
        ));
    }
    let reference = Purchase::reference(&doc.id);
    let mut ledgers = BTreeMap::new();
    for charge in &doc.data.charges {
        if let Some(h) = HOUSEHOLDS.get(&charge.household)? {
            ledgers.insert(charge.household.clone(), h.data.ledger);
        }
    }
    let charges: Vec<(String, Kopecks)> = doc
        .data
        .charges
        .iter()
        .map(|c| (c.label.clone(), c.amount))
        .collect();
    let by_label: BTreeMap<String, String> = doc
        .data
        .charges
        .iter()
        .map(|c| (c.label.clone(), c.household.clone()))
        .collect();
    ledger::check_can_close(&reference, &charges, |label| {
        by_label.get(label).and_then(|h| ledgers.get(h))
    })?;
    doc.data.state = PurchaseState::Closed;
    save(&doc)
}

/// How each household of purchase `id` is called, by unit id.
fn labels_of(id: &str) -> Result<BTreeMap<String, String>> {
    Ok(orders_of(id)?
        .into_iter()
        .map(|o| (o.data.household, o.data.label))
        .collect())
}

/// Who ordered for each household of purchase `id`.
fn people_of(id: &str) -> Result<BTreeMap<String, Vec<String>>> {
    Ok(orders_of(id)?
        .into_iter()
        .map(|o| (o.data.household, o.data.people))
        .collect())
}

/// Tell everyone who ordered in the purchase (and its organizer).
fn notify_participants(doc: &Doc<Purchase>, title: Localized, body: Localized) -> Result<()> {
    let mut people: Vec<String> = orders_of(&doc.id)?
        .into_iter()
        .flat_map(|o| o.data.people)
        .collect();
    people.push(doc.data.organizer.clone());
    people.sort();
    people.dedup();
    notifications::notify(
        &people,
        &Message::new(title, body).link(page_path(&doc.community, &format!("purchase/{}", doc.id))),
    )
}

//! The web pages, through the UI contract, phone first: the purchases (home), one purchase
//! through its phases, the order to the supplier, receiving; household accounts with the
//! payment QR code; shared equipment and its bookings; produce between neighbours. Forms post
//! to actions; an error comes back next to its field, and nothing is written.

mod accounts;
mod equipment;
mod produce;
mod purchases;

use dvor_sdk::prelude::*;

use crate::access::{keeps_accounts, may_organize, my_units};
use crate::model::{ORDERS, PURCHASES, Purchase, PurchaseState, Settings, not_found};
use crate::show::day_cell;

/// The link to the home page.
fn home_link() -> Link {
    Link::to("", tr("Кооператив", "Co-op"))
}

/// The link to purchase `id`.
fn purchase_link(id: &str, title: &str) -> Link {
    Link::to(format!("purchase/{id}"), title.to_owned())
}

/// The page at `route`.
pub fn render(route: &str, query: &Params) -> Result<Page> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => home(),
        ["purchase", id] => purchases::page(id),
        ["purchase", id, "supplier"] => purchases::supplier_page(id),
        ["purchase", id, "receive"] => purchases::receive_page(id),
        ["account"] => accounts::page(query),
        ["account", unit @ ..] => accounts::household_page(Some(&unit.join("/"))),
        ["accounts"] => accounts::all_page(),
        ["equipment"] => equipment::list_page(),
        ["item", id] => equipment::item_page(id),
        ["booking", id] => equipment::booking_page(id),
        ["produce"] => produce::list_page(),
        ["listing", id] => produce::listing_page(id),
        _ => Err(not_found("Нет такой страницы", "no such page")),
    }
}

/// The form or button `action` on the page at `route`.
pub fn act(route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    let outcome = match parts.as_slice() {
        [] => home_act(action, form),
        ["purchase", id, ..] => purchases::act(id, action, form),
        ["account", ..] | ["accounts"] => accounts::act(action, form),
        ["equipment"] | ["item", _] | ["booking", _] => equipment::act(&parts, action, form),
        ["produce"] | ["listing", _] => produce::act(&parts, action, form),
        _ => Err(not_found("Нет такого действия", "no such action")),
    };
    ActionOutcome::errors_next_to_fields(outcome)
}

/// The purchase's state as a badge.
fn state_badge(state: PurchaseState) -> Badge {
    Badge::new(state.label(), state.tone())
}

fn purchase_row(id: &str, p: &Purchase) -> Row {
    Row::new([
        Cell::from(purchase_link(id, &p.title)),
        Cell::from(p.supplier.clone()),
        day_cell(p.ends_on),
        Cell::from(state_badge(p.state)),
    ])
}

fn purchases_table(rows: Vec<Row>, empty: &str) -> Table {
    Table::new([
        Column::text(tr("Закупка", "Purchase")),
        Column::text(tr("Поставщик", "Supplier")),
        Column::text(tr("Заказы до", "Orders until")),
        Column::text(tr("Статус", "Status")),
    ])
    .rows(rows)
    .empty_text(empty)
}

/// The links to every part of the plugin.
fn sections_links() -> Result<Section> {
    let mut links = vec![
        Link::to("account", tr("Мой счёт", "My account")),
        Link::to("equipment", tr("Общий инвентарь", "Shared equipment")),
        Link::to(
            "produce",
            tr("Продукты от соседей", "Produce from neighbours"),
        ),
    ];
    if keeps_accounts()? {
        links.push(Link::to(
            "accounts",
            tr("Счета участников", "Households' accounts"),
        ));
    }
    Ok(Section::untitled().links(links))
}

fn home() -> Result<Page> {
    let mut page = Page::new(tr("Совместные закупки", "Joint purchases"));
    page = page.section(sections_links()?);
    let community = ctx::community();
    let all = PURCHASES
        .query()
        .in_community(&community)
        .order_by("ends_on", Direction::Desc)
        .limit(200)
        .fetch()?
        .docs;
    let current: Vec<Row> = all
        .iter()
        .filter(|d| {
            !matches!(
                d.data.state,
                PurchaseState::Closed | PurchaseState::Cancelled
            ) && (d.data.state != PurchaseState::Draft || crate::access::runs(&d.data))
        })
        .map(|d| purchase_row(&d.id, &d.data))
        .collect();
    page = page.section(
        Section::titled(tr("Закупки", "Purchases")).table(purchases_table(
            current,
            tr(
                "Сейчас закупок нет — откройте свою",
                "no purchases now — open one",
            ),
        )),
    );
    if ctx::caller().is_some() {
        let units = my_units();
        let mut mine = Vec::new();
        for unit in &units {
            let orders = ORDERS
                .query()
                .filter("household", Compare::Eq, unit.id.as_str())
                .fetch_all()?;
            for order in orders {
                if let Some(p) = all.iter().find(|d| d.id == order.data.purchase) {
                    mine.push(
                        Row::new([
                            Cell::from(purchase_link(&p.id, &p.data.title)),
                            Cell::from(order.data.label.clone()),
                            Cell::from(order.data.lines.len() as i64),
                            Cell::from(state_badge(p.data.state)),
                        ])
                        .tone(if p.data.state == PurchaseState::Settled {
                            Tone::Warning
                        } else {
                            Tone::Neutral
                        }),
                    );
                }
            }
        }
        if !mine.is_empty() {
            page = page.section(
                Section::titled(tr("Мои заказы", "My orders")).table(
                    Table::new([
                        Column::text(tr("Закупка", "Purchase")),
                        Column::text(tr("Для", "For")),
                        Column::numeric(tr("Позиций", "Articles")),
                        Column::text(tr("Статус", "Status")),
                    ])
                    .rows(mine),
                ),
            );
        }
    }
    let past: Vec<Row> = all
        .iter()
        .filter(|d| {
            matches!(
                d.data.state,
                PurchaseState::Closed | PurchaseState::Cancelled
            )
        })
        .take(10)
        .map(|d| purchase_row(&d.id, &d.data))
        .collect();
    if !past.is_empty() {
        page =
            page.section(Section::titled(tr("Прошедшие", "Past")).table(purchases_table(past, "")));
    }
    let above: Vec<_> = PURCHASES
        .query()
        .with_ancestors()
        .filter("state", Compare::Eq, PurchaseState::Open.code())
        .limit(20)
        .fetch()?
        .docs
        .into_iter()
        .filter(|d| d.community != community && !all.iter().any(|a| a.id == d.id))
        .collect();
    if !above.is_empty() {
        let mut section = Section::titled(tr(
            "Закупки всего поселения",
            "Purchases of the whole place",
        ));
        for d in above {
            let place = dvor_sdk::directory::ancestors()
                .into_iter()
                .find(|c| c.id == d.community)
                .map(|c| c.name)
                .unwrap_or_default();
            section = section.paragraph(format!(
                "«{}» ({}) — {} «{place}»",
                d.data.title,
                d.data.supplier,
                tr("заказы на странице", "orders on the page of")
            ));
        }
        page = page.section(section);
    }
    let settings = Settings::load()?;
    if may_organize(&settings) {
        page = page.section(new_purchase_form(&settings)?);
    }
    Ok(page)
}

fn new_purchase_form(settings: &Settings) -> Result<Section> {
    let week = ctx::today()?.add_days(7).unwrap_or(ctx::today()?);
    Ok(
        Section::titled(tr("Открыть закупку", "Open a purchase")).form(
            Form::new("new-purchase", tr("Создать закупку", "Create the purchase"))
                .field(
                    Field::text("title", tr("Название", "Title"))
                        .required()
                        .max_length(120),
                )
                .field(
                    Field::text("supplier", tr("Поставщик", "Supplier"))
                        .required()
                        .max_length(160),
                )
                .field(
                    Field::date(
                        "ends_on",
                        tr("Заказы принимаются до", "Orders are taken until"),
                    )
                    .required()
                    .day_value(week),
                )
                .field(
                    Field::money(
                        "supplier_minimum",
                        tr(
                            "Минимальный заказ поставщика",
                            "The supplier's minimum order",
                        ),
                    )
                    .help(tr("0 — без минимума", "0 — no minimum")),
                )
                .field(Field::number("markup_percent", tr("Оргсбор, %", "Markup, %"), 2).value("0"))
                .field(Field::money(
                    "transport",
                    tr("Доставка, всего", "Transport, in total"),
                ))
                .field(
                    Field::number(
                        "box_fill_hours",
                        tr(
                            "Добор коробов после стопа, часов",
                            "Box-fill phase after the end, hours",
                        ),
                        0,
                    )
                    .value(settings.box_fill_hours.to_string()),
                )
                .field(
                    Field::text("pickup_place", tr("Место раздачи", "Pickup place"))
                        .required()
                        .max_length(200),
                )
                .field(
                    Field::text("pickup_time", tr("Время раздачи", "Pickup time"))
                        .required()
                        .max_length(120),
                ),
        ),
    )
}

fn home_act(action: &str, form: &Params) -> Result<ActionOutcome> {
    match action {
        "new-purchase" => {
            let input = crate::purchases::PurchaseInput {
                title: form.get("title").unwrap_or_default().to_owned(),
                supplier: form.get("supplier").unwrap_or_default().to_owned(),
                ends_on: form.get("ends_on").unwrap_or_default().to_owned(),
                supplier_minimum: form.kopecks("supplier_minimum")?.unwrap_or_default().0,
                markup_percent: form.parse("markup_percent")?,
                transport: form.kopecks("transport")?.unwrap_or_default().0,
                pickup_place: form.get("pickup_place").unwrap_or_default().to_owned(),
                pickup_time: form.get("pickup_time").unwrap_or_default().to_owned(),
                box_fill_hours: form.int("box_fill_hours")?,
            };
            let doc = crate::purchases::create(&input)?;
            Ok(ActionOutcome::redirect(
                purchase_link(&doc.id, &doc.data.title),
                tr(
                    "Закупка создана: добавьте товары",
                    "Purchase created: add the articles",
                ),
            ))
        }
        _ => Err(not_found("Нет такого действия", "no such action")),
    }
}

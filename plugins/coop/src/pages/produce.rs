//! Produce between neighbours: what growers sell (with the SNT's certificate where they have
//! one), a listing with its order form, the grower's orders to confirm and hand over, and the
//! ratings each side gives once.

use dvor_sdk::Decimal;
use dvor_sdk::prelude::*;

use super::home_link;
use crate::access::is_member;
use crate::model::{
    LISTINGS, Listing, PRODUCE_ORDERS, ProduceOrder, ProduceState, invalid, not_found,
};
use crate::produce::{self, ListingInput, certificate_of, grower_rating};
use crate::show::{day_text, decimal_text};

fn produce_link() -> Link {
    Link::to(
        "produce",
        tr("Продукты от соседей", "Produce from neighbours"),
    )
}

fn listing_link(id: &str, title: &str) -> Link {
    Link::to(format!("listing/{id}"), title.to_owned())
}

fn certificate_badge() -> Badge {
    Badge::new(tr("Сертификат СНТ", "SNT certificate"), Tone::Success)
}

fn qty_cell(value: Decimal, unit: &str) -> Cell {
    Cell::from(format!("{} {unit}", decimal_text(value)))
}

/// What neighbours sell, the caller's orders, and the form to sell something.
pub fn list_page() -> Result<Page> {
    let listings = LISTINGS
        .query()
        .in_community(&ctx::community())
        .filter("open", Compare::Eq, true)
        .fetch_all()?;
    let mut rows = Vec::new();
    for d in listings.iter().rev() {
        let grower = if certificate_of(&d.data.grower)?.is_some() {
            Cell::from(Badge::new(
                format!("{} ✓", d.data.grower_name),
                Tone::Success,
            ))
        } else {
            Cell::from(d.data.grower_name.clone())
        };
        rows.push(Row::new([
            Cell::from(listing_link(&d.id, &d.data.title)),
            grower,
            Cell::from(d.data.price),
            qty_cell(d.data.left, &d.data.unit),
            Cell::from(format!("{}, {}", d.data.pickup_place, d.data.pickup_time)),
        ]));
    }
    let mut page = Page::new(tr("Продукты от соседей", "Produce from neighbours"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("Продают соседи", "Neighbours sell"))
                .paragraph(tr(
                    "Галочка — у продавца есть сертификат СНТ на свою продукцию.",
                    "A tick: the grower holds the SNT's produce certificate.",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Что", "What")),
                        Column::text(tr("Продавец", "Grower")),
                        Column::numeric(tr("Цена за единицу", "Price per unit")),
                        Column::text(tr("Осталось", "Left")),
                        Column::text(tr("Где и когда забрать", "Pickup")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Сейчас ничего не продают", "nothing is on sale now")),
                ),
        );
    if let Some(caller) = ctx::caller() {
        let mine = PRODUCE_ORDERS
            .query()
            .filter("buyer", Compare::Eq, caller.person_id.as_str())
            .fetch_all()?;
        if !mine.is_empty() {
            page = page.section(
                Section::titled(tr("Мои заказы", "My orders")).table(
                    Table::new([
                        Column::text(tr("Что", "What")),
                        Column::text(tr("Сколько", "How much")),
                        Column::numeric(tr("Сумма", "Amount")),
                        Column::text(tr("Статус", "Status")),
                    ])
                    .rows(mine.iter().rev().map(|o| {
                        Row::new([
                            Cell::from(listing_link(&o.data.listing, &o.data.title)),
                            qty_cell(o.data.quantity, &o.data.unit),
                            Cell::from(o.data.amount),
                            Cell::from(o.data.state.label()),
                        ])
                    })),
                ),
            );
        }
        if is_member() {
            page = page.section(
                Section::titled(tr("Продать своё", "Sell your produce")).form(
                    Form::new("list", tr("Выставить", "Publish"))
                        .field(
                            Field::text("title", tr("Что продаёте", "What you sell"))
                                .required()
                                .max_length(120),
                        )
                        .field(
                            Field::number("quantity", tr("Сколько есть", "How much you have"), 3)
                                .required(),
                        )
                        .field(
                            Field::text("unit", tr("Единица", "Unit"))
                                .required()
                                .max_length(12)
                                .value(tr("кг", "kg")),
                        )
                        .field(
                            Field::money("price", tr("Цена за единицу", "Price per unit"))
                                .required(),
                        )
                        .field(
                            Field::text("pickup_place", tr("Где забрать", "Where to pick it up"))
                                .required()
                                .max_length(200),
                        )
                        .field(
                            Field::text("pickup_time", tr("Когда", "When"))
                                .required()
                                .max_length(120),
                        ),
                ),
            );
        }
    }
    Ok(page)
}

fn order_row(o: &Doc<ProduceOrder>, grower_view: bool) -> Row {
    let who = if grower_view {
        &o.data.buyer_name
    } else {
        &o.data.grower_name
    };
    let mut row = Row::new([
        Cell::from(who.clone()),
        qty_cell(o.data.quantity, &o.data.unit),
        Cell::from(o.data.amount),
        Cell::from(o.data.state.label()),
    ]);
    let arg = |b: Button| b.arg("order", o.id.clone());
    if grower_view {
        match o.data.state {
            ProduceState::Placed => {
                row = row
                    .action(arg(
                        Button::action("confirm", tr("Подтвердить", "Confirm")).primary()
                    ))
                    .action(arg(Button::action("decline", tr("Отклонить", "Decline"))));
            }
            ProduceState::Confirmed => {
                row = row.action(arg(Button::action(
                    "picked-up",
                    tr("Выдано", "Handed over"),
                )
                .primary()));
            }
            _ => {}
        }
    } else if matches!(o.data.state, ProduceState::Placed | ProduceState::Confirmed) {
        row = row.action(arg(Button::action(
            "cancel-order",
            tr("Отменить", "Cancel"),
        )));
    }
    row
}

fn rating_form(o: &Doc<ProduceOrder>, whom: &str) -> Form {
    Form::new("rate", format!("{} {whom}", tr("Оценить:", "Rate:")))
        .field(Field::hidden("order", o.id.clone()))
        .field(
            Field::radio(
                "stars",
                tr("Оценка", "Rating"),
                [("5", "5"), ("4", "4"), ("3", "3"), ("2", "2"), ("1", "1")],
            )
            .required(),
        )
        .field(Field::text("comment", tr("Пара слов", "A word")).max_length(500))
}

/// A listing: what, how much, where; its certificate; the order form or the grower's orders.
pub fn listing_page(id: &str) -> Result<Page> {
    let doc = produce::listing(id)?;
    let l: &Listing = &doc.data;
    let mut about = Section::untitled().fields([
        (tr("Продавец", "Grower"), Cell::from(l.grower_name.clone())),
        (tr("Цена за единицу", "Price per unit"), Cell::from(l.price)),
        (tr("Осталось", "Left"), qty_cell(l.left, &l.unit)),
        (
            tr("Где забрать", "Where"),
            Cell::from(l.pickup_place.clone()),
        ),
        (tr("Когда", "When"), Cell::from(l.pickup_time.clone())),
    ]);
    if let Some(cert) = certificate_of(&l.grower)? {
        let mut text = tr(
            "Продукция с сертификатом СНТ",
            "Produce with the SNT's certificate",
        )
        .to_owned();
        if let Some(n) = &cert.number {
            text.push_str(&format!(" №{n}"));
        }
        if let Some(p) = &cert.products {
            text.push_str(&format!(": {p}"));
        }
        if let Some(until) = cert.valid_until {
            text.push_str(&format!(
                " ({} {})",
                tr("действует до", "valid until"),
                day_text(until)
            ));
        }
        about = about
            .badges([certificate_badge()])
            .notice(Tone::Success, text);
    }
    if let Some((stars, count)) = grower_rating(&l.grower)? {
        about = about.fields([(
            tr("Оценка покупателей", "Buyers' rating"),
            Cell::from(format!("{} / 5 ({count})", decimal_text(stars))),
        )]);
    }
    let mut page = Page::new(l.title.clone())
        .breadcrumb(home_link())
        .breadcrumb(produce_link())
        .section(about);
    let Some(caller) = ctx::caller() else {
        return Ok(page.section(
            Section::untitled().empty(tr("Войдите, чтобы заказать", "Sign in to order"), ""),
        ));
    };
    let orders = PRODUCE_ORDERS
        .query()
        .filter("listing", Compare::Eq, doc.id.as_str())
        .fetch_all()?;
    let grower = caller.person_id == l.grower;
    let visible: Vec<_> = orders
        .iter()
        .filter(|o| grower || o.data.buyer == caller.person_id)
        .collect();
    if !visible.is_empty() {
        page = page.section(
            Section::titled(if grower {
                tr("Заказы", "Orders")
            } else {
                tr("Мой заказ", "My order")
            })
            .table(
                Table::new([
                    Column::text(if grower {
                        tr("Покупатель", "Buyer")
                    } else {
                        tr("Продавец", "Grower")
                    }),
                    Column::text(tr("Сколько", "How much")),
                    Column::numeric(tr("Сумма", "Amount")),
                    Column::text(tr("Статус", "Status")),
                ])
                .rows(visible.iter().map(|o| order_row(o, grower))),
            ),
        );
        for o in &visible {
            if o.data.state != ProduceState::PickedUp {
                continue;
            }
            let (already, whom) = if grower {
                (o.data.grower_rating.is_some(), o.data.buyer_name.clone())
            } else {
                (o.data.buyer_rating.is_some(), o.data.grower_name.clone())
            };
            if !already {
                page = page.section(Section::untitled().form(rating_form(o, &whom)));
            }
        }
    }
    if grower {
        if l.open {
            page = page.section(Section::untitled().buttons([Button::action(
                "close-listing",
                tr("Снять с продажи", "Close the listing"),
            )]));
        }
    } else if l.open {
        page = page.section(
            Section::titled(tr("Заказать", "Order")).form(
                Form::new("order", tr("Заказать", "Order")).field(
                    Field::number(
                        "quantity",
                        format!("{}, {}", tr("Сколько", "How much"), l.unit),
                        3,
                    )
                    .required(),
                ),
            ),
        );
    }
    Ok(page)
}

/// The forms and buttons of the produce pages.
pub fn act(parts: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    let quantity = |name: &str| -> Result<Option<Decimal>> {
        form.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<Decimal>()
                    .map_err(|_| invalid(name, "Число, например 1,5", "a number, e.g. 1.5"))
            })
            .transpose()
    };
    match (parts, action) {
        (["produce"], "list") => {
            let input = ListingInput {
                title: form.get("title").unwrap_or_default().to_owned(),
                unit: form.get("unit").unwrap_or_default().to_owned(),
                price: form.kopecks("price")?.unwrap_or_default().0,
                quantity: quantity("quantity")?,
                pickup_place: form.get("pickup_place").unwrap_or_default().to_owned(),
                pickup_time: form.get("pickup_time").unwrap_or_default().to_owned(),
            };
            let doc = produce::list(&input)?;
            Ok(ActionOutcome::redirect(
                listing_link(&doc.id, &doc.data.title),
                tr("Объявление опубликовано", "Listing published"),
            ))
        }
        (["listing", id], _) => {
            let listing = produce::listing(id)?;
            let back = listing_link(&listing.id, &listing.data.title);
            let notice = match action {
                "order" => {
                    produce::place(id, quantity("quantity")?)?;
                    tr("Заказ отправлен продавцу", "Order sent to the grower")
                }
                "confirm" => {
                    produce::answer(form.require("order")?, true)?;
                    tr("Заказ подтверждён", "Order confirmed")
                }
                "decline" => {
                    produce::answer(form.require("order")?, false)?;
                    tr("Заказ отклонён", "Order declined")
                }
                "picked-up" => {
                    produce::picked_up(form.require("order")?)?;
                    tr("Заказ выдан и закрыт", "Order handed over and closed")
                }
                "cancel-order" => {
                    produce::cancel(form.require("order")?)?;
                    tr("Заказ отменён", "Order cancelled")
                }
                "rate" => {
                    let stars = form
                        .int("stars")?
                        .ok_or_else(|| invalid("stars", "Поставьте оценку", "choose a rating"))?;
                    produce::rate(
                        form.require("order")?,
                        stars,
                        form.get("comment").unwrap_or_default(),
                    )?;
                    tr("Спасибо за оценку", "Thank you for the rating")
                }
                "close-listing" => {
                    let mut doc = listing;
                    if ctx::caller().is_none_or(|c| c.person_id != doc.data.grower) {
                        return Err(Error::forbidden(tr(
                            "Это делает продавец",
                            "the grower does this",
                        )));
                    }
                    doc.data.open = false;
                    LISTINGS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
                    tr("Снято с продажи", "Listing closed")
                }
                _ => return Err(not_found("Нет такого действия", "no such action")),
            };
            Ok(ActionOutcome::redirect(back, notice))
        }
        _ => Err(not_found("Нет такого действия", "no such action")),
    }
}

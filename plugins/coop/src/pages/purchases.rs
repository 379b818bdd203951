//! One purchase through its phases: its terms; the articles (by hand or from the supplier's
//! CSV) while it is prepared; the live figures and the household's order while it is open and
//! in the box-fill phase; the result; receiving and weighing; the charges; closing.

use std::collections::BTreeMap;

use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, directory};

use super::{home_link, purchase_link, state_badge};
use crate::access::{my_units, runs};
use crate::model::{HouseholdOrder, ORDERS, Purchase, PurchaseState, invalid, not_found};
use crate::ordering;
use crate::orders::{self, OrderInput, figures_table, lines_of, orders_of, phase};
use crate::purchases::{self, ArticleInput};
use crate::show::{day_cell, decimal_text};

fn link_to(id: &str, title: &str) -> Link {
    purchase_link(id, title)
}

fn terms_section(p: &Purchase, state: PurchaseState) -> Section {
    let mut fields: Vec<(String, Cell)> = vec![
        (
            tr("Поставщик", "Supplier").into(),
            Cell::from(p.supplier.clone()),
        ),
        (
            tr("Организатор", "Organizer").into(),
            Cell::from(p.organizer_name.clone()),
        ),
        (
            tr("Статус", "Status").into(),
            Cell::from(state_badge(state)),
        ),
        (tr("Заказы до", "Orders until").into(), day_cell(p.ends_on)),
    ];
    if p.terms.supplier_minimum > Kopecks::ZERO {
        fields.push((
            tr("Минимум поставщика", "Supplier's minimum").into(),
            Cell::from(p.terms.supplier_minimum),
        ));
    }
    fields.push((
        tr("Оргсбор", "Markup").into(),
        Cell::from(format!("{} %", decimal_text(p.terms.markup_percent))),
    ));
    if p.terms.transport > Kopecks::ZERO {
        fields.push((
            tr("Доставка", "Transport").into(),
            Cell::from(p.terms.transport),
        ));
    }
    fields.push((
        tr("Раздача", "Pickup").into(),
        Cell::from(format!("{}, {}", p.pickup_place, p.pickup_time)),
    ));
    Section::untitled().fields(fields)
}

/// The page of purchase `id`.
pub fn page(id: &str) -> Result<Page> {
    let doc = purchases::get(id)?;
    let p = &doc.data;
    let now = ctx::now();
    let state = phase(p, now)?;
    let organizer = runs(p);
    let mut page = Page::new(p.title.clone())
        .breadcrumb(home_link())
        .section(terms_section(p, state));
    match state {
        PurchaseState::Draft => {
            if !organizer {
                return Ok(page.section(Section::untitled().notice(
                    Tone::Info,
                    tr(
                        "Организатор готовит список товаров; заказы скоро начнутся.",
                        "The organizer is preparing the articles; orders start soon.",
                    ),
                )));
            }
            page = page
                .section(articles_section(&doc))
                .section(article_form())
                .section(import_form())
                .section(
                    Section::untitled().buttons([Button::action(
                        "start",
                        tr("Открыть сбор заказов", "Start taking orders"),
                    )
                    .primary()]),
                );
        }
        PurchaseState::Open | PurchaseState::BoxFill => {
            if state == PurchaseState::BoxFill {
                let until = p.box_fill_until.unwrap_or_else(|| {
                    orders::stop_at(p, ctx::utc_offset_minutes().unwrap_or(180))
                        + i64::from(p.box_fill_hours) * 3_600_000
                });
                page = page.section(
                    Section::untitled()
                        .notice(
                            Tone::Warning,
                            tr(
                                "Сбор заказов закончен, идёт добор коробов: можно только дополнять неполные короба.",
                                "Orders have stopped; boxes are being filled: only changes that fill incomplete boxes.",
                            ),
                        )
                        .fields([(tr("Добор до", "Box-fill until"), Cell::datetime(until))]),
                );
            }
            page = page.section(
                Section::titled(tr("Сейчас в заказе", "Ordered so far"))
                    .live(orders::channel(&doc.id))
                    .table(figures_table(p)),
            );
            if ctx::caller().is_some() {
                page = my_order_sections(page, &doc, state)?;
            } else {
                page = page.section(Section::untitled().empty(
                    tr("Войдите, чтобы заказать", "Sign in to order"),
                    tr(
                        "Заказывают владельцы и жильцы с подтверждённым участком или квартирой.",
                        "Owners and residents with a confirmed plot or flat order.",
                    ),
                ));
            }
            if organizer {
                page = page.section(organizer_open_section(state));
                if state == PurchaseState::Open
                    && p.tally.iter().all(|t| t.quantity + t.tolerance == 0)
                {
                    page = page.section(article_form());
                }
            }
        }
        PurchaseState::NotReached => {
            page = page.section(Section::untitled().notice(
                Tone::Danger,
                format!(
                    "{} {}, {} {}. {}",
                    tr("Набрано", "Orders came to"),
                    p.end_total,
                    tr("минимум поставщика", "the supplier's minimum is"),
                    p.terms.supplier_minimum,
                    tr(
                        "Заказ не отправлен, никому ничего не начислено.",
                        "The order was not sent; nobody is charged.",
                    )
                ),
            ));
            if organizer {
                page = page.section(extend_form()).section(cancel_form());
            }
        }
        PurchaseState::Sent => {
            page = page.section(
                Section::untitled()
                    .notice(
                        Tone::Info,
                        format!(
                            "{} {}.",
                            tr(
                                "Заказ отправлен поставщику на",
                                "The order to the supplier comes to"
                            ),
                            p.end_total
                        ),
                    )
                    .links([Link::to(
                        format!("purchase/{}/supplier", doc.id),
                        tr("Заказ поставщику", "The order to the supplier"),
                    )]),
            );
            page = page.section(allocation_section(&doc, false)?);
            if organizer {
                page = page.section(Section::untitled().links([Link::to(
                    format!("purchase/{}/receive", doc.id),
                    tr("Приёмка товара", "Receive the goods"),
                )]));
                page = page.section(cancel_form());
            }
        }
        PurchaseState::Received => {
            page = page.section(arrived_section(p));
            page = page.section(allocation_section(&doc, true)?);
            if organizer {
                page = page.section(
                    Section::untitled()
                        .links([Link::to(
                            format!("purchase/{}/receive", doc.id),
                            tr("Приёмка и взвешивание", "Receiving and weighing"),
                        )])
                        .buttons([Button::action("settle", tr("Начислить участникам", "Charge the households"))
                            .primary()
                            .confirm(tr(
                                "Начислить каждому за полученное? Исправить потом можно только сторнированием.",
                                "Charge everyone for what they received? Later corrections are reversing entries only.",
                            ))]),
                );
            }
        }
        PurchaseState::Settled | PurchaseState::Closed => {
            page = page.section(arrived_section(p));
            page = page.section(charges_section(&doc, organizer)?);
            if organizer && state == PurchaseState::Settled {
                page = page.section(Section::untitled().buttons([Button::action(
                    "close",
                    tr("Закрыть закупку", "Close the purchase"),
                )]));
            }
        }
        PurchaseState::Cancelled => {
            page = page.section(Section::untitled().notice(
                Tone::Danger,
                tr(
                    "Закупка отменена, никому ничего не начислено.",
                    "The purchase is cancelled; nobody is charged.",
                ),
            ));
        }
    }
    Ok(page)
}

fn articles_section(doc: &Doc<Purchase>) -> Section {
    let rows = doc.data.articles.iter().map(|a| {
        Row::new([
            Cell::from(a.code.clone()),
            Cell::from(a.name.clone()),
            Cell::from(a.price),
            Cell::from(format!("{} {}", a.box_size, a.unit)),
            if a.minimum > 0 {
                Cell::Integer(a.minimum.into())
            } else {
                Cell::Empty
            },
            Cell::from(match a.vat_percent {
                Some(v) => format!("{v} %"),
                None => tr("без НДС", "no VAT").to_owned(),
            }),
        ])
        .action(
            Button::action("remove-article", tr("Убрать", "Remove")).arg("article", a.code.clone()),
        )
    });
    Section::titled(tr("Товары", "Articles")).table(
        Table::new([
            Column::text(tr("Артикул", "Code")),
            Column::text(tr("Товар", "Article")),
            Column::numeric(tr("Цена", "Price")),
            Column::text(tr("В коробе", "Box")),
            Column::numeric(tr("Минимум", "Minimum")),
            Column::text(tr("НДС", "VAT")),
        ])
        .rows(rows)
        .empty_text(tr(
            "Добавьте товары вручную или из прайс-листа",
            "add articles by hand or from the price list",
        )),
    )
}

fn article_form() -> Section {
    Section::titled(tr("Добавить товар", "Add an article")).form(
        Form::new("add-article", tr("Добавить товар", "Add the article"))
            .field(
                Field::text("code", tr("Артикул", "Code"))
                    .required()
                    .max_length(40),
            )
            .field(
                Field::text("name", tr("Наименование", "Name"))
                    .required()
                    .max_length(160),
            )
            .field(
                Field::text("unit", tr("Единица", "Unit"))
                    .max_length(12)
                    .help(tr("шт, кг, л", "pcs, kg, l")),
            )
            .field(Field::money("price", tr("Цена за единицу", "Price per unit")).required())
            .field(Field::number("box_size", tr("В коробе, единиц", "Units per box"), 0).value("1"))
            .field(Field::number(
                "minimum",
                tr(
                    "Минимум поставщика, единиц",
                    "The supplier's minimum, units",
                ),
                0,
            ))
            .field(Field::select(
                "vat",
                tr("НДС", "VAT"),
                [
                    ("", tr("без НДС", "no VAT")),
                    ("0", "0 %"),
                    ("10", "10 %"),
                    ("20", "20 %"),
                    ("22", "22 %"),
                ],
            ))
            .field(
                Field::number(
                    "available",
                    tr("Есть у поставщика, единиц", "The supplier has, units"),
                    0,
                )
                .help(tr("Пусто — без ограничения", "blank — no limit")),
            )
            .field(Field::checkbox(
                "weighed",
                tr(
                    "Весовой товар: цена за кг, счёт по весу",
                    "Weighed: price per kg, charged by weight",
                ),
            )),
    )
}

fn import_form() -> Section {
    Section::titled(tr("Прайс-лист поставщика", "The supplier's price list"))
        .paragraph(tr(
            "CSV с колонками: артикул; наименование; ед.; цена; в коробе; мин. заказ; НДС; весовой.",
            "CSV with the columns: code; name; unit; price; box_size; minimum; vat; weighed.",
        ))
        .form(
            Form::new("import-articles", tr("Загрузить", "Import")).field(
                Field::file("file", tr("Файл CSV", "CSV file"), ["text/csv", "text/plain"]).required(),
            ),
        )
}

fn organizer_open_section(state: PurchaseState) -> Section {
    let mut section = Section::titled(tr("Организатору", "For the organizer"));
    section = if state == PurchaseState::Open {
        section.buttons([Button::action(
            "stop",
            tr("Стоп: закончить сбор заказов", "Stop taking orders"),
        )
        .confirm(tr(
            "Закончить сбор заказов сейчас?",
            "Stop taking orders now?",
        ))])
    } else {
        section
            .buttons([Button::action("finish", tr("Подвести итог", "Count the boxes")).primary()])
    };
    section.form(extend_form_inner()).form(cancel_form_inner())
}

fn extend_form_inner() -> Form {
    Form::new("extend", tr("Продлить", "Extend"))
        .field(Field::date("ends_on", tr("Новая дата окончания", "New end date")).required())
}

fn extend_form() -> Section {
    Section::titled(tr("Продлить сбор заказов", "Extend the orders")).form(extend_form_inner())
}

fn cancel_form_inner() -> Form {
    Form::new("cancel", tr("Отменить закупку", "Cancel the purchase"))
        .field(
            Field::text("reason", tr("Причина отмены", "Why it is cancelled"))
                .required()
                .max_length(500),
        )
        .confirm(tr(
            "Отменить закупку? Никому ничего не начислится.",
            "Cancel the purchase? Nobody is charged.",
        ))
}

fn cancel_form() -> Section {
    Section::titled(tr("Отменить", "Cancel")).form(cancel_form_inner())
}

/// The caller's households among `orders`, with their orders.
fn my_orders(orders: &[Doc<HouseholdOrder>]) -> Vec<(directory::Unit, Option<HouseholdOrder>)> {
    my_units()
        .into_iter()
        .map(|u| {
            let order = orders
                .iter()
                .find(|o| o.data.household == u.id)
                .map(|o| o.data.clone());
            (u, order)
        })
        .collect()
}

fn my_order_sections(mut page: Page, doc: &Doc<Purchase>, state: PurchaseState) -> Result<Page> {
    let p = &doc.data;
    let orders = orders_of(&doc.id)?;
    let mine = my_orders(&orders);
    if mine.is_empty() {
        return Ok(page.section(Section::untitled().notice(
            Tone::Info,
            tr(
                "Заказывают владельцы и жильцы: подтвердите свой участок или квартиру в профиле.",
                "Owners and residents order: confirm your plot or flat in your profile.",
            ),
        )));
    }
    for (unit, order) in &mine {
        let Some(order) = order else { continue };
        let mut rows = Vec::new();
        for a in &p.articles {
            let lines = lines_of(&orders, &a.code);
            let Some(index) = lines.iter().position(|l| l.household == unit.id) else {
                continue;
            };
            let cost = ordering::tolerance_cost(
                &lines,
                index,
                a.box_size,
                a.price,
                p.terms.markup_percent,
            )?;
            let plan = ordering::plan(&lines, a.box_size)?;
            let (q, t) = order.line(&a.code);
            rows.push(Row::new([
                Cell::from(a.name.clone()),
                Cell::from(format!("{q} + {t} {}", a.unit)),
                Cell::from(i64::from(plan.allocations[index].units())),
                if t > 0 {
                    Cell::Money(cost.max_cost.0)
                } else {
                    Cell::Empty
                },
            ]));
        }
        page = page.section(
            Section::titled(format!("{}: {}", tr("Мой заказ", "My order"), order.label))
                .paragraph(tr(
                    "«Получу сейчас» — сколько достанется, если закупка закончится сейчас; допуск может стоить не больше указанного.",
                    "“Now” is what you get if the purchase ended now; the tolerance costs at most the amount shown.",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Товар", "Article")),
                        Column::text(tr("Количество + допуск", "Quantity + tolerance")),
                        Column::numeric(tr("Получу сейчас", "Now")),
                        Column::numeric(tr("Допуск — до", "Tolerance, at most")),
                    ])
                    .rows(rows),
                ),
        );
    }
    let mut form = Form::new("save-order", tr("Сохранить заказ", "Save the order"));
    if mine.len() > 1 {
        form = form.field(
            Field::select(
                "household",
                tr("Для кого заказ", "Who the order is for"),
                mine.iter()
                    .map(|(u, _)| (u.id.clone(), crate::access::unit_label(u))),
            )
            .required()
            .value(mine[0].0.id.clone()),
        );
    }
    let current = mine[0].1.clone();
    for (i, a) in p.articles.iter().enumerate() {
        let (q, t) = current.as_ref().map_or((0, 0), |o| o.line(&a.code));
        let f = orders::figures_of(p, a);
        let mut help = format!(
            "{} {} {}; {} {} {}",
            a.price,
            tr("за", "per"),
            a.unit,
            tr("в коробе", "box of"),
            a.box_size,
            a.unit
        );
        if f.missing_to_next_box > 0 {
            help.push_str(&format!(
                "; {} {} {}",
                tr("до полного короба не хватает", "the box misses"),
                f.missing_to_next_box,
                a.unit
            ));
        }
        form = form
            .field(
                Field::number(
                    format!("q{i}"),
                    format!("{} — {}, {}", a.name, tr("количество", "quantity"), a.unit),
                    0,
                )
                .value(q.to_string())
                .help(help),
            )
            .field(
                Field::number(
                    format!("t{i}"),
                    format!("{} — {}, {}", a.name, tr("допуск", "tolerance"), a.unit),
                    0,
                )
                .value(t.to_string())
                .help(tr(
                    "Сколько ещё возьмёте, если это дополнит короб",
                    "how many more you would take to fill a box",
                )),
            );
    }
    let title = if state == PurchaseState::BoxFill {
        tr("Дополнить короба", "Fill the boxes")
    } else {
        tr("Заказать", "Order")
    };
    Ok(page.section(Section::titled(title).form(form)))
}

fn allocation_section(doc: &Doc<Purchase>, received: bool) -> Result<Section> {
    let p = &doc.data;
    let units = my_units();
    let mut rows = Vec::new();
    let lines: Vec<(String, Vec<ordering::Allocation>)> = if received {
        p.arrived
            .iter()
            .map(|l| (l.article.clone(), l.allocations.clone()))
            .collect()
    } else {
        p.end_lines
            .iter()
            .map(|l| (l.article.clone(), l.allocations.clone()))
            .collect()
    };
    for (code, allocations) in &lines {
        let Some(article) = p.article(code) else {
            continue;
        };
        for a in allocations {
            if let Some(unit) = units.iter().find(|u| u.id == a.household) {
                rows.push(Row::new([
                    Cell::from(crate::access::unit_label(unit)),
                    Cell::from(article.name.clone()),
                    Cell::from(format!("{} {}", a.units(), article.unit)),
                ]));
            }
        }
    }
    let title = if received {
        tr("Мне выдадут", "I receive")
    } else {
        tr("Мне достанется", "I get")
    };
    Ok(Section::titled(title).table(
        Table::new([
            Column::text(tr("Для", "For")),
            Column::text(tr("Товар", "Article")),
            Column::text(tr("Количество", "Quantity")),
        ])
        .rows(rows)
        .empty_text(tr(
            "Вам в этой закупке ничего не досталось",
            "you get nothing in this purchase",
        )),
    ))
}

fn arrived_section(p: &Purchase) -> Section {
    let rows = p.arrived.iter().map(|l| {
        let name = p
            .article(&l.article)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| l.article.clone());
        Row::new([
            Cell::from(name),
            Cell::from(l.ordered as i64),
            Cell::from(l.arrived as i64),
            Cell::from(l.shortage as i64),
        ])
        .tone(if l.shortage > 0 {
            Tone::Warning
        } else {
            Tone::Neutral
        })
    });
    Section::titled(tr("Пришло", "Arrived")).table(
        Table::new([
            Column::text(tr("Товар", "Article")),
            Column::numeric(tr("Заказано", "Ordered")),
            Column::numeric(tr("Пришло", "Arrived")),
            Column::numeric(tr("Недостача", "Short")),
        ])
        .rows(rows),
    )
}

fn charges_section(doc: &Doc<Purchase>, organizer: bool) -> Result<Section> {
    let p = &doc.data;
    let mine: Vec<String> = my_units().into_iter().map(|u| u.id).collect();
    let visible = p
        .charges
        .iter()
        .filter(|c| organizer || mine.contains(&c.household));
    let rows: Vec<Row> = visible
        .map(|c| {
            Row::new([
                Cell::from(c.label.clone()),
                Cell::from(Kopecks(c.goods.0 + c.markup.0)),
                Cell::from(c.transport),
                Cell::from(c.amount),
            ])
            .link(Link::to(
                format!("account/{}", c.household),
                c.label.clone(),
            ))
        })
        .collect();
    let mut section = Section::titled(tr("Начислено", "Charged")).table(
        Table::new([
            Column::text(tr("Участник", "Household")),
            Column::numeric(tr("Товар с оргсбором", "Goods with markup")),
            Column::numeric(tr("Доставка", "Transport")),
            Column::numeric(tr("Итого", "Total")),
        ])
        .rows(rows)
        .empty_text(tr(
            "Вам в этой закупке ничего не начислено",
            "you are not charged in this purchase",
        )),
    );
    if let Some(due) = p.pay_by {
        section = section.fields([(tr("Оплатить до", "Pay by"), day_cell(due))]);
    }
    if organizer {
        section = section.fields([
            (
                tr("Всего по расчёту", "Exact total"),
                Cell::from(p.expected),
            ),
            (
                tr("Остаток округления", "Rounding remainder"),
                Cell::from(p.remainder),
            ),
        ]);
    }
    Ok(section.links([Link::to("account", tr("Оплатить", "Pay"))]))
}

/// The order to the supplier, as a document to print and send, with its CSV.
pub fn supplier_page(id: &str) -> Result<Page> {
    let doc = purchases::get(id)?;
    let p = &doc.data;
    if p.end_lines.is_empty() {
        return Err(not_found(
            "Заказ поставщику ещё не сформирован",
            "the order to the supplier is not made yet",
        ));
    }
    let place = directory::community(&doc.community)
        .map(|c| c.name)
        .unwrap_or_default();
    let rows = p.end_lines.iter().map(|l| {
        let a = p.article(&l.article);
        Row::new([
            Cell::from(l.article.clone()),
            Cell::from(a.map(|a| a.name.clone()).unwrap_or_default()),
            Cell::from(a.map(|a| a.unit.clone()).unwrap_or_default()),
            Cell::from(l.boxes as i64),
            Cell::from(l.units as i64),
            Cell::from(l.price),
            Cell::from(l.amount),
        ])
    });
    let mut section = Section::untitled()
        .fields([
            (tr("Поставщик", "Supplier"), Cell::from(p.supplier.clone())),
            (tr("Заказчик", "Customer"), Cell::from(place)),
            (
                tr("Организатор", "Organizer"),
                Cell::from(p.organizer_name.clone()),
            ),
            (
                tr("Раздача", "Delivery to"),
                Cell::from(format!("{}, {}", p.pickup_place, p.pickup_time)),
            ),
        ])
        .table(
            Table::new([
                Column::text(tr("Артикул", "Code")),
                Column::text(tr("Наименование", "Name")),
                Column::text(tr("Ед.", "Unit")),
                Column::numeric(tr("Коробов", "Boxes")),
                Column::numeric(tr("Количество", "Units")),
                Column::numeric(tr("Цена", "Price")),
                Column::numeric(tr("Сумма", "Amount")),
            ])
            .rows(rows),
        )
        .fields([(tr("Итого", "Total"), Cell::from(p.end_total))]);
    if let Some(file) = &p.supplier_file
        && let Some(info) = dvor_sdk::files::info(file)?
    {
        section = section.attachment(
            file.clone(),
            tr("Заказ в CSV", "The order as CSV"),
            info.content_type,
            info.size,
        );
    }
    Ok(Page::new(format!(
        "{}: {}",
        tr("Заказ поставщику", "Order to the supplier"),
        p.supplier
    ))
    .breadcrumb(home_link())
    .breadcrumb(link_to(&doc.id, &p.title))
    .section(section))
}

/// Receiving: how many arrived of each article, then the weights of weighed goods.
pub fn receive_page(id: &str) -> Result<Page> {
    let doc = purchases::get(id)?;
    let p = &doc.data;
    crate::access::require_runs(p)?;
    let mut page = Page::new(format!("{}: {}", tr("Приёмка", "Receiving"), p.title))
        .breadcrumb(home_link())
        .breadcrumb(link_to(&doc.id, &p.title));
    if !matches!(p.state, PurchaseState::Sent | PurchaseState::Received) {
        return Ok(page.section(Section::untitled().notice(
            Tone::Info,
            tr(
                "Приёмка — после отправки заказа поставщику, до начисления.",
                "Receiving comes after the order was sent, before charging.",
            ),
        )));
    }
    let mut form = Form::new("receive", tr("Записать приёмку", "Record what arrived"));
    for (i, l) in p.end_lines.iter().enumerate() {
        let Some(a) = p.article(&l.article) else {
            continue;
        };
        let arrived = p
            .arrived
            .iter()
            .find(|r| r.article == l.article)
            .map_or(l.units, |r| r.arrived);
        form = form.field(
            Field::number(
                format!("a{i}"),
                format!("{} — {}, {}", a.name, tr("пришло", "arrived"), a.unit),
                0,
            )
            .required()
            .value(arrived.to_string())
            .help(format!(
                "{} {} {}",
                tr("Заказано", "Ordered"),
                l.units,
                a.unit
            )),
        );
    }
    page = page.section(
        Section::titled(tr("Сколько пришло", "What arrived"))
            .paragraph(tr(
                "Недостачу делят по правилу: сначала количества, раньше заказавшим раньше, потом допуски.",
                "A shortage is shared by the rule: quantities first, earliest first, then tolerances.",
            ))
            .form(form),
    );
    let labels: BTreeMap<String, String> = ORDERS
        .query()
        .filter("purchase", Compare::Eq, doc.id.as_str())
        .fetch_all()?
        .into_iter()
        .map(|o| (o.data.household, o.data.label))
        .collect();
    let mut weigh = Form::new("weigh", tr("Записать вес", "Record the weights"));
    let mut any = false;
    for (i, l) in p.arrived.iter().enumerate() {
        let Some(a) = p.article(&l.article).filter(|a| a.weighed) else {
            continue;
        };
        for (j, alloc) in l.allocations.iter().enumerate() {
            if alloc.units() == 0 {
                continue;
            }
            any = true;
            let key = purchases::weight_key(&alloc.household, &l.article);
            let mut field = Field::number(
                format!("w{i}_{j}"),
                format!(
                    "{}: {} ({} {}), {}",
                    labels.get(&alloc.household).cloned().unwrap_or_default(),
                    a.name,
                    alloc.units(),
                    a.unit,
                    tr("кг", "kg")
                ),
                3,
            )
            .required();
            if let Some(kg) = p.weights.get(&key) {
                field = field.value(kg.to_string());
            }
            weigh = weigh.field(field);
        }
    }
    if any {
        page = page.section(
            Section::titled(tr("Весовой товар", "Weighed goods"))
                .paragraph(tr(
                    "Счёт — по тому, что взвесили каждому.",
                    "Each is charged by what was weighed for them.",
                ))
                .form(weigh),
        );
    }
    Ok(page)
}

fn order_input(form: &Params, article: &str, i: usize) -> Result<OrderInput> {
    let number = |name: &str| -> Result<i64> {
        match form.get(name).map(str::trim) {
            None | Some("") => Ok(0),
            Some(v) => v
                .parse::<Decimal>()
                .ok()
                .filter(|d| d.scale() == 0)
                .map(|d| d.value())
                .ok_or_else(|| invalid(name, "Целое число", "a whole number")),
        }
    };
    Ok(OrderInput {
        article: article.to_owned(),
        quantity: number(&format!("q{i}"))?,
        tolerance: number(&format!("t{i}"))?,
        household: form.get("household").map(str::to_owned),
    })
}

/// The form or button `action` on a page of purchase `id`.
pub fn act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let doc = purchases::get(id)?;
    let back = link_to(&doc.id, &doc.data.title);
    match action {
        "save-order" => {
            let household = form.get("household").filter(|h| !h.is_empty());
            let unit = crate::access::my_household(household)?;
            let current = ORDERS
                .get(&HouseholdOrder::id(&doc.id, &unit.id))?
                .map(|o| o.data);
            let mut changed = 0;
            for (i, a) in doc.data.articles.iter().enumerate() {
                let input = order_input(form, &a.code, i)?;
                let old = current.as_ref().map_or((0, 0), |o| o.line(&a.code));
                if (i64::from(old.0), i64::from(old.1)) == (input.quantity, input.tolerance) {
                    continue;
                }
                orders::place(&doc.id, &input).map_err(|mut e| {
                    e.field = Some(match e.field.as_deref() {
                        Some("tolerance") => format!("t{i}"),
                        Some("household") if household.is_some() => "household".to_owned(),
                        _ => format!("q{i}"),
                    });
                    e
                })?;
                changed += 1;
            }
            let notice = if changed == 0 {
                tr("Заказ не изменился", "The order is unchanged")
            } else {
                tr("Заказ сохранён", "Order saved")
            };
            Ok(ActionOutcome::redirect(back, notice))
        }
        "add-article" => {
            let input = ArticleInput {
                code: form.get("code").unwrap_or_default().to_owned(),
                name: form.get("name").unwrap_or_default().to_owned(),
                unit: form.get("unit").unwrap_or_default().to_owned(),
                price: form.kopecks("price")?.unwrap_or_default().0,
                box_size: form.int("box_size")?.unwrap_or(1),
                minimum: form.int("minimum")?.unwrap_or(0),
                vat_percent: form.int("vat")?,
                weighed: form.flag("weighed"),
                available: form.int("available")?,
            };
            purchases::add_article(&doc.id, &input)?;
            Ok(ActionOutcome::redirect(
                back,
                tr("Товар добавлен", "Article added"),
            ))
        }
        "import-articles" => {
            let file = form.require("file")?;
            let bytes = dvor_sdk::files::read(file)?;
            let (_, count) = purchases::import_articles(&doc.id, &bytes)?;
            Ok(ActionOutcome::redirect(
                back,
                format!("{} {count}", tr("Загружено товаров:", "Articles imported:")),
            ))
        }
        "remove-article" => {
            purchases::remove_article(&doc.id, form.require("article")?)?;
            Ok(ActionOutcome::redirect(
                back,
                tr("Товар убран", "Article removed"),
            ))
        }
        "start" => {
            purchases::start(&doc.id)?;
            Ok(ActionOutcome::redirect(
                back,
                tr("Сбор заказов открыт", "Orders are open"),
            ))
        }
        "stop" => {
            let saved = purchases::stop(&doc.id)?;
            let notice = if saved.data.state == PurchaseState::BoxFill {
                tr(
                    "Сбор заказов закончен: идёт добор коробов",
                    "Orders stopped: boxes are being filled",
                )
            } else {
                tr("Сбор заказов закончен", "Orders stopped")
            };
            Ok(ActionOutcome::redirect(back, notice))
        }
        "finish" => {
            let saved = purchases::finish_now(&doc.id)?;
            Ok(ActionOutcome::redirect(back, result_notice(&saved.data)))
        }
        "extend" => {
            purchases::extend(&doc.id, form.require("ends_on")?)?;
            Ok(ActionOutcome::redirect(
                back,
                tr("Сбор заказов продлён", "Orders extended"),
            ))
        }
        "cancel" => {
            purchases::cancel(&doc.id, form.get("reason").unwrap_or_default())?;
            Ok(ActionOutcome::redirect(
                back,
                tr("Закупка отменена", "Purchase cancelled"),
            ))
        }
        "receive" => {
            let mut arrived = Vec::new();
            for (i, l) in doc.data.end_lines.iter().enumerate() {
                let name = format!("a{i}");
                let count = form
                    .get(&name)
                    .and_then(|v| v.trim().parse::<Decimal>().ok())
                    .filter(|d| d.scale() == 0)
                    .map(|d| d.value())
                    .ok_or_else(|| {
                        invalid(
                            &name,
                            "Целое число, 0 или больше",
                            "a whole number, 0 or more",
                        )
                    })?;
                arrived.push((l.article.clone(), count, name));
            }
            purchases::receive(&doc.id, &arrived)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("purchase/{}/receive", doc.id), ""),
                tr("Приёмка записана", "Receiving recorded"),
            ))
        }
        "weigh" => {
            let mut weights = Vec::new();
            for (i, l) in doc.data.arrived.iter().enumerate() {
                for (j, a) in l.allocations.iter().enumerate() {
                    let name = format!("w{i}_{j}");
                    let Some(text) = form.get(&name).map(str::trim).filter(|t| !t.is_empty())
                    else {
                        continue;
                    };
                    let kg = text.parse::<Decimal>().map_err(|_| {
                        invalid(
                            &name,
                            "Вес в килограммах, например 1,135",
                            "the weight in kg, e.g. 1.135",
                        )
                    })?;
                    weights.push((a.household.clone(), l.article.clone(), kg, name));
                }
            }
            purchases::weigh(&doc.id, &weights)?;
            Ok(ActionOutcome::redirect(
                back,
                tr("Вес записан", "Weights recorded"),
            ))
        }
        "settle" => {
            let saved = purchases::settle(&doc.id)?;
            Ok(ActionOutcome::redirect(
                back,
                format!(
                    "{} {}",
                    tr("Начислено участникам:", "Households charged:"),
                    saved.data.charges.len()
                ),
            ))
        }
        "close" => {
            purchases::close(&doc.id)?;
            Ok(ActionOutcome::redirect(
                back,
                tr("Закупка закрыта", "Purchase closed"),
            ))
        }
        _ => Err(not_found("Нет такого действия", "no such action")),
    }
}

/// What the end came to, in a sentence.
fn result_notice(p: &Purchase) -> String {
    match p.state {
        PurchaseState::Sent => format!(
            "{} {}",
            tr(
                "Закупка состоялась: заказ поставщику на",
                "The purchase goes ahead: the order comes to"
            ),
            p.end_total
        ),
        PurchaseState::NotReached => format!(
            "{} {} {} {}",
            tr(
                "Не набран минимум поставщика:",
                "The supplier's minimum is not reached:"
            ),
            p.end_total,
            tr("из", "of"),
            p.terms.supplier_minimum
        ),
        other => other.label().to_owned(),
    }
}

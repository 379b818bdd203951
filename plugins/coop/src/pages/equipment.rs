//! Shared equipment: what is lent here and on what terms, an item with its free and taken
//! days and the booking form, a booking through approval, hand-out and return (with photos),
//! the damage ticket and the deposit's ledger.

use dvor_sdk::prelude::*;

use super::home_link;
use crate::access::{is_manager, is_member};
use crate::equipment::BookingState;
use crate::households::entry_label;
use crate::lending::{self, ItemInput, owns};
use crate::model::{BOOKINGS, Booking, ITEMS, Item, invalid, not_found};
use crate::show::{day_cell, day_text};

fn equipment_link() -> Link {
    Link::to("equipment", tr("Общий инвентарь", "Shared equipment"))
}

fn item_link(id: &str, name: &str) -> Link {
    Link::to(format!("item/{id}"), name.to_owned())
}

fn booking_link(id: &str, name: &str) -> Link {
    Link::to(format!("booking/{id}"), name.to_owned())
}

fn status_badge(b: &Booking) -> Badge {
    let (label, tone) = match b.state {
        BookingState::Held { .. } => (tr("Ждёт подтверждения", "Waiting"), Tone::Warning),
        BookingState::Confirmed => (tr("Подтверждена", "Confirmed"), Tone::Info),
        BookingState::CheckedOut => (tr("Выдано", "Handed out"), Tone::Info),
        BookingState::Returned { .. } => (tr("Возвращено", "Returned"), Tone::Success),
        BookingState::Cancelled => (tr("Отменена", "Cancelled"), Tone::Neutral),
    };
    Badge::new(label, tone)
}

fn who_may(item: &Item) -> String {
    let mut parts = vec![if item.policy.members_only {
        tr("только соседи", "neighbours only")
    } else {
        tr("все", "anyone")
    }];
    if item.policy.approval_needed {
        parts.push(tr("с одобрения владельца", "with the owner's approval"));
    }
    parts.join(", ")
}

/// What is lent here, the caller's bookings, and the form to lend something.
pub fn list_page() -> Result<Page> {
    let items = ITEMS.query().in_community(&ctx::community()).fetch_all()?;
    let rows = items.iter().map(|d| {
        Row::new([
            Cell::from(item_link(&d.id, &d.data.name)),
            Cell::from(d.data.owner.name().to_owned()),
            Cell::from(d.data.policy.deposit),
            Cell::from(d.data.policy.fee),
            Cell::from(format!(
                "{} {}",
                d.data.policy.longest_loan_days,
                tr("дн.", "days")
            )),
        ])
    });
    let mut page = Page::new(tr("Общий инвентарь", "Shared equipment"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("Что можно взять", "What can be borrowed")).table(
                Table::new([
                    Column::text(tr("Вещь", "Item")),
                    Column::text(tr("Владелец", "Owner")),
                    Column::numeric(tr("Залог", "Deposit")),
                    Column::numeric(tr("Плата", "Fee")),
                    Column::text(tr("Не дольше", "At most")),
                ])
                .rows(rows)
                .empty_text(tr(
                    "Пока никто ничем не делится",
                    "nobody shares anything yet",
                )),
            ),
        );
    if let Some(caller) = ctx::caller() {
        let mine = BOOKINGS
            .query()
            .filter("borrower", Compare::Eq, caller.person_id.as_str())
            .fetch_all()?;
        if !mine.is_empty() {
            let rows = mine.iter().rev().map(|b| {
                Row::new([
                    Cell::from(booking_link(&b.id, &b.data.item_name)),
                    day_cell(b.data.range.from),
                    day_cell(b.data.range.to),
                    Cell::from(status_badge(&b.data)),
                ])
            });
            page = page.section(
                Section::titled(tr("Мои брони", "My bookings")).table(
                    Table::new([
                        Column::text(tr("Вещь", "Item")),
                        Column::text(tr("С", "From")),
                        Column::text(tr("По", "To")),
                        Column::text(tr("Статус", "Status")),
                    ])
                    .rows(rows),
                ),
            );
        }
        let lent = BOOKINGS
            .query()
            .filter("owner", Compare::Eq, caller.person_id.as_str())
            .fetch_all()?;
        let community_lent = if is_manager() {
            BOOKINGS
                .query()
                .filter("owner", Compare::Eq, "community")
                .fetch_all()?
        } else {
            Vec::new()
        };
        let active: Vec<_> = lent
            .iter()
            .chain(community_lent.iter())
            .filter(|b| !matches!(b.data.state, BookingState::Cancelled) && !b.data.deposit_settled)
            .collect();
        if !active.is_empty() {
            let rows = active.iter().map(|b| {
                Row::new([
                    Cell::from(booking_link(&b.id, &b.data.item_name)),
                    Cell::from(b.data.borrower_name.clone()),
                    day_cell(b.data.range.from),
                    day_cell(b.data.range.to),
                    Cell::from(status_badge(&b.data)),
                ])
            });
            page = page.section(
                Section::titled(tr("Брони моих вещей", "Bookings of my things")).table(
                    Table::new([
                        Column::text(tr("Вещь", "Item")),
                        Column::text(tr("Кто", "Who")),
                        Column::text(tr("С", "From")),
                        Column::text(tr("По", "To")),
                        Column::text(tr("Статус", "Status")),
                    ])
                    .rows(rows),
                ),
            );
        }
        if is_member() {
            page = page.section(item_form());
        }
    }
    Ok(page)
}

fn item_form() -> Section {
    let mut form = Form::new("add-item", tr("Дать в пользование", "Lend it"))
        .field(
            Field::text("name", tr("Что", "What"))
                .required()
                .max_length(120),
        )
        .field(Field::multiline("description", tr("Описание", "Description")).max_length(2000))
        .field(Field::file(
            "photo",
            tr("Фото", "Photo"),
            ["image/jpeg", "image/png", "image/webp"],
        ))
        .field(Field::money("deposit", tr("Залог", "Deposit")))
        .field(Field::money("fee", tr("Плата за прокат", "Fee per loan")))
        .field(
            Field::number(
                "longest_loan_days",
                tr("Не дольше, дней", "At most, days"),
                0,
            )
            .value("7"),
        )
        .field(Field::money("fine", tr("Штраф за просрочку", "Late fine")).value("5000"))
        .field(
            Field::number(
                "fine_period_days",
                tr("Штраф за каждые, дней", "Fine per started period of, days"),
                0,
            )
            .value("1"),
        )
        .field(
            Field::number(
                "hold_hours",
                tr(
                    "Бронь без ответа держится, часов",
                    "An unanswered hold lasts, hours",
                ),
                0,
            )
            .value("24"),
        )
        .field(
            Field::checkbox("members_only", tr("Только соседям", "Neighbours only")).checked(true),
        )
        .field(Field::checkbox(
            "approval_needed",
            tr("Каждую бронь подтверждаю сам", "I approve each booking"),
        ));
    if is_manager() {
        form = form.field(Field::checkbox(
            "community_owned",
            tr("Имущество товарищества", "The community's property"),
        ));
    }
    Section::titled(tr("Поделиться вещью", "Share a thing")).form(form)
}

/// An item: its terms, taken days and the booking form.
pub fn item_page(id: &str) -> Result<Page> {
    let doc = lending::item(id)?;
    let item = &doc.data;
    let mine = owns(item);
    let mut section = Section::untitled();
    if let Some(photo) = &item.photo {
        section = section.photo(photo.clone(), item.name.clone());
    }
    if !item.description.is_empty() {
        section = section.paragraph(item.description.clone());
    }
    section = section.fields([
        (
            tr("Владелец", "Owner"),
            Cell::from(item.owner.name().to_owned()),
        ),
        (tr("Залог", "Deposit"), Cell::from(item.policy.deposit)),
        (tr("Плата", "Fee"), Cell::from(item.policy.fee)),
        (
            tr("Не дольше", "At most"),
            Cell::from(format!(
                "{} {}",
                item.policy.longest_loan_days,
                tr("дн.", "days")
            )),
        ),
        (
            tr("Штраф за просрочку", "Late fine"),
            Cell::from(format!(
                "{} {} {} {}",
                item.policy.fine,
                tr("за каждые", "per started"),
                item.policy.fine_period_days,
                tr("дн.", "days")
            )),
        ),
        (tr("Кому", "Who may borrow"), Cell::from(who_may(item))),
    ]);
    let now = ctx::now();
    let bookings = lending::bookings_of(&doc.id)?;
    let rows = bookings
        .iter()
        .filter(|b| {
            matches!(
                b.data.state,
                BookingState::Confirmed | BookingState::CheckedOut
            ) || matches!(b.data.state, BookingState::Held { expires_at } if now < expires_at)
        })
        .map(|b| {
            let who = if mine || ctx::caller().is_some_and(|c| c.person_id == b.data.borrower) {
                Cell::from(booking_link(&b.id, &b.data.borrower_name))
            } else {
                Cell::from(tr("занято", "taken"))
            };
            Row::new([
                day_cell(b.data.range.from),
                day_cell(b.data.range.to),
                who,
                Cell::from(status_badge(&b.data)),
            ])
        });
    let mut page = Page::new(item.name.clone())
        .breadcrumb(home_link())
        .breadcrumb(equipment_link())
        .section(section)
        .section(
            Section::titled(tr("Занятые дни", "Taken days")).table(
                Table::new([
                    Column::text(tr("С", "From")),
                    Column::text(tr("По", "To")),
                    Column::text(tr("Кто", "Who")),
                    Column::text(tr("Статус", "Status")),
                ])
                .rows(rows)
                .empty_text(tr("Все дни свободны", "every day is free")),
            ),
        );
    if ctx::caller().is_some() {
        let today = ctx::today()?;
        page = page.section(
            Section::titled(tr("Забронировать", "Book it")).form(
                Form::new("book", tr("Забронировать", "Book"))
                    .field(
                        Field::date("from", tr("С", "From"))
                            .required()
                            .day_value(today),
                    )
                    .field(
                        Field::date("to", tr("По (включительно)", "To (inclusive)"))
                            .required()
                            .day_value(today),
                    ),
            ),
        );
    }
    Ok(page)
}

/// A booking: its days, state, the deposit's ledger, and what the owner or borrower may do.
pub fn booking_page(id: &str) -> Result<Page> {
    let doc = lending::booking(id)?;
    let b = &doc.data;
    let caller = ctx::require_caller()?;
    let item = lending::item(&b.item)?;
    let owner = owns(&item.data);
    if !owner && caller.person_id != b.borrower {
        return Err(Error::forbidden(tr(
            "Это не ваша бронь",
            "this booking is not yours",
        )));
    }
    let mut fields = vec![
        (
            tr("Кто берёт", "Borrower").to_owned(),
            Cell::from(b.borrower_name.clone()),
        ),
        (tr("С", "From").to_owned(), day_cell(b.range.from)),
        (tr("По", "To").to_owned(), day_cell(b.range.to)),
        (
            tr("Статус", "Status").to_owned(),
            Cell::from(status_badge(b)),
        ),
        (
            tr("Залог", "Deposit").to_owned(),
            Cell::from(b.policy.deposit),
        ),
    ];
    if let BookingState::Held { expires_at } = b.state {
        fields.push((
            tr("Бронь держится до", "Held until").to_owned(),
            Cell::datetime(expires_at),
        ));
    }
    if let BookingState::Returned { on } = b.state {
        fields.push((tr("Вернули", "Returned on").to_owned(), day_cell(on)));
        fields.push((
            tr("Штраф за просрочку", "Late fine").to_owned(),
            Cell::from(b.fine),
        ));
    }
    if let Some(reason) = &b.cancel_reason {
        fields.push((
            tr("Причина", "Reason").to_owned(),
            Cell::from(reason.clone()),
        ));
    }
    let mut page = Page::new(format!(
        "{}: {} — {}",
        b.item_name,
        day_text(b.range.from),
        day_text(b.range.to)
    ))
    .breadcrumb(home_link())
    .breadcrumb(item_link(&b.item, &b.item_name))
    .section(Section::untitled().fields(fields));
    for (title, handover) in [
        (tr("При выдаче", "Handed out"), &b.checkout),
        (tr("При возврате", "Returned"), &b.returned),
    ] {
        if let Some(h) = handover {
            let mut s =
                Section::titled(title).fields([(tr("Когда", "When"), Cell::datetime(h.at))]);
            if !h.note.is_empty() {
                s = s.paragraph(h.note.clone());
            }
            if let Some(photo) = &h.photo {
                s = s.photo(photo.clone(), format!("{}: {}", title, b.item_name));
            }
            page = page.section(s);
        }
    }
    if let Some(d) = &b.damage {
        let mut s = Section::titled(tr("Акт о повреждении", "Damage ticket"))
            .paragraph(d.note.clone())
            .fields([(tr("Оценка ущерба", "Assessed damage"), Cell::from(d.amount))]);
        if let Some(photo) = &d.photo {
            s = s.photo(photo.clone(), tr("Фото повреждения", "Photo of the damage"));
        }
        page = page.section(s);
    }
    if !b.deposit.entries().is_empty() {
        let rows = b.deposit.entries().iter().map(|e| {
            Row::new([
                Cell::date(e.at),
                Cell::from(entry_label(e)),
                Cell::from(e.note.clone()),
                Cell::from(e.amount),
            ])
        });
        let mut s = Section::titled(tr("Залог", "Deposit")).table(
            Table::new([
                Column::text(tr("Дата", "Date")),
                Column::text(tr("Запись", "Entry")),
                Column::text(tr("Основание", "Note")),
                Column::numeric(tr("Сумма", "Amount")),
            ])
            .rows(rows),
        );
        s = s.fields([(
            tr("Остаток залога", "Deposit held"),
            Cell::from(Kopecks(-b.deposit.balance().0)),
        )]);
        if b.still_owed > Kopecks::ZERO {
            s = s.notice(
                Tone::Danger,
                format!(
                    "{} {}",
                    tr(
                        "Штрафы и ущерб больше залога, осталось доплатить",
                        "Fines and damage exceed the deposit; still owed"
                    ),
                    b.still_owed
                ),
            );
        }
        page = page.section(s);
    }
    let now = ctx::now();
    if owner {
        match b.state {
            BookingState::Held { expires_at } if now < expires_at => {
                page = page.section(
                    Section::titled(tr("Ответить", "Answer"))
                        .buttons(
                            [Button::action("approve", tr("Подтвердить", "Approve")).primary()],
                        )
                        .form(
                            Form::new("refuse", tr("Отказать", "Refuse")).field(
                                Field::text("reason", tr("Почему", "Why"))
                                    .required()
                                    .max_length(300),
                            ),
                        ),
                );
                if !b.policy.approval_needed {
                    page = page.section(handout_form(b));
                }
            }
            BookingState::Confirmed => page = page.section(handout_form(b)),
            BookingState::CheckedOut => {
                page = page.section(
                    Section::titled(tr("Приём вещи", "Take it back")).form(
                        Form::new("return", tr("Принять", "Take it back"))
                            .field(
                                Field::date("on", tr("Дата возврата", "Returned on"))
                                    .required()
                                    .day_value(ctx::today()?),
                            )
                            .field(
                                Field::multiline("note", tr("Состояние", "Condition"))
                                    .max_length(1000),
                            )
                            .field(Field::file(
                                "photo",
                                tr("Фото при возврате", "Photo on return"),
                                ["image/jpeg", "image/png", "image/webp"],
                            )),
                    ),
                );
            }
            BookingState::Returned { .. } if !b.deposit_settled => {
                let mut s = Section::titled(tr("Расчёт залога", "Settle the deposit"));
                if b.damage.is_none() {
                    s = s.form(
                        Form::new("damage", tr("Составить акт", "Open a damage ticket"))
                            .field(
                                Field::text("note", tr("Что повреждено", "What is damaged"))
                                    .required()
                                    .max_length(500),
                            )
                            .field(
                                Field::money("amount", tr("Оценка ущерба", "Assessed cost"))
                                    .required(),
                            )
                            .field(Field::file(
                                "photo",
                                tr("Фото", "Photo"),
                                ["image/jpeg", "image/png", "image/webp"],
                            )),
                    );
                }
                page = page.section(
                    s.buttons([Button::action(
                        "settle-deposit",
                        tr(
                            "Вернуть залог за вычетом штрафа и ущерба",
                            "Refund the deposit less fines and damage",
                        ),
                    )
                    .primary()]),
                );
            }
            _ => {}
        }
    }
    if caller.person_id == b.borrower
        && matches!(b.state, BookingState::Held { .. } | BookingState::Confirmed)
    {
        page = page.section(
            Section::untitled().buttons([Button::action(
                "cancel-booking",
                tr("Отменить бронь", "Cancel the booking"),
            )
            .confirm(tr("Отменить бронь?", "Cancel the booking?"))]),
        );
    }
    Ok(page)
}

fn handout_form(b: &Booking) -> Section {
    Section::titled(tr("Выдача", "Hand it out"))
        .paragraph(format!(
            "{} {}",
            tr("Возьмите залог и плату:", "Take the deposit and the fee:"),
            Kopecks(b.policy.deposit.0 + b.policy.fee.0)
        ))
        .form(
            Form::new("checkout", tr("Выдать", "Hand out"))
                .field(Field::multiline("note", tr("Состояние", "Condition")).max_length(1000))
                .field(Field::file(
                    "photo",
                    tr("Фото при выдаче", "Photo at hand-out"),
                    ["image/jpeg", "image/png", "image/webp"],
                )),
        )
}

fn optional_photo(form: &Params) -> Option<&str> {
    form.get("photo").filter(|p| !p.is_empty())
}

/// The forms and buttons of the equipment pages.
pub fn act(parts: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match (parts, action) {
        (["equipment"], "add-item") => {
            let input = ItemInput {
                name: form.get("name").unwrap_or_default().to_owned(),
                description: form.get("description").unwrap_or_default().to_owned(),
                photo: form.get("photo").map(str::to_owned),
                community_owned: form.flag("community_owned"),
                deposit: form.kopecks("deposit")?.unwrap_or_default().0,
                fee: form.kopecks("fee")?.unwrap_or_default().0,
                longest_loan_days: form.int("longest_loan_days")?,
                members_only: Some(form.flag("members_only")),
                approval_needed: form.flag("approval_needed"),
                fine: form.kopecks("fine")?.map(|k| k.0),
                fine_period_days: form.int("fine_period_days")?,
                hold_hours: form.int("hold_hours")?,
            };
            let doc = lending::add_item(&input)?;
            Ok(ActionOutcome::redirect(
                item_link(&doc.id, &doc.data.name),
                tr("Вещь добавлена", "Item added"),
            ))
        }
        (["item", id], "book") => {
            let from = form
                .date("from")?
                .ok_or_else(|| invalid("from", "Укажите дату", "enter the date"))?;
            let to = form
                .date("to")?
                .ok_or_else(|| invalid("to", "Укажите дату", "enter the date"))?;
            let doc = lending::book(id, from, to)?;
            let notice = if matches!(doc.data.state, BookingState::Held { .. }) {
                tr(
                    "Бронь ждёт подтверждения владельца",
                    "The booking waits for the owner",
                )
            } else {
                tr("Забронировано", "Booked")
            };
            Ok(ActionOutcome::redirect(
                booking_link(&doc.id, &doc.data.item_name),
                notice,
            ))
        }
        (["booking", id], _) => {
            let (doc, notice) = match action {
                "approve" => (
                    lending::approve(id)?,
                    tr("Бронь подтверждена", "Booking approved"),
                ),
                "refuse" => (
                    lending::cancel(id, form.get("reason").unwrap_or_default())?,
                    tr("Бронь отклонена", "Booking refused"),
                ),
                "cancel-booking" => (
                    lending::cancel(id, "")?,
                    tr("Бронь отменена", "Booking cancelled"),
                ),
                "checkout" => (
                    lending::check_out(
                        id,
                        form.get("note").unwrap_or_default(),
                        optional_photo(form),
                    )?,
                    tr("Выдано", "Handed out"),
                ),
                "return" => {
                    let on = form
                        .date("on")?
                        .ok_or_else(|| invalid("on", "Укажите дату", "enter the date"))?;
                    (
                        lending::take_back(
                            id,
                            on,
                            form.get("note").unwrap_or_default(),
                            optional_photo(form),
                        )?,
                        tr("Вещь принята", "Item taken back"),
                    )
                }
                "damage" => {
                    let amount = form.kopecks("amount")?.unwrap_or_default();
                    (
                        lending::report_damage(
                            id,
                            form.get("note").unwrap_or_default(),
                            amount,
                            optional_photo(form),
                        )?,
                        tr("Акт составлен", "Damage ticket opened"),
                    )
                }
                "settle-deposit" => (
                    lending::settle_deposit(id)?,
                    tr("Залог рассчитан", "Deposit settled"),
                ),
                _ => return Err(not_found("Нет такого действия", "no such action")),
            };
            Ok(ActionOutcome::redirect(
                booking_link(&doc.id, &doc.data.item_name),
                notice,
            ))
        }
        _ => Err(not_found("Нет такого действия", "no such action")),
    }
}

//! Household accounts: what a household owes and by when, the payment QR code with the
//! details a banking app reads, the ledger; for those who keep the accounts, every household,
//! payments by hand, the bank's registry, corrections as reversing entries, and the payee.

use dvor_sdk::payment_qr::Payee;
use dvor_sdk::prelude::*;

use super::home_link;
use crate::access::{is_manager, keeps_accounts, my_units, require_accounts};
use crate::households::{self, entry_label};
use crate::ledger::{EntryKind, PaymentMethod};
use crate::model::{HOUSEHOLDS, Household, PAYEES, invalid, not_found};
use crate::show::{day_cell, money_text};

fn account_link(h: &Doc<Household>) -> Link {
    Link::to(format!("account/{}", h.id), h.data.label.clone())
}

/// The households the caller may open: theirs, or (keeping the accounts) `requested`.
fn visible(requested: Option<&str>) -> Result<Vec<Doc<Household>>> {
    ctx::require_caller()?;
    let treasurer = keeps_accounts()?;
    let mine: Vec<String> = my_units().into_iter().map(|u| u.id).collect();
    if let Some(id) = requested.filter(|r| !r.is_empty()) {
        if !treasurer && !mine.iter().any(|m| m == id) {
            return Err(Error::forbidden(tr(
                "Это не ваш счёт",
                "this account is not yours",
            )));
        }
        let doc =
            households::get(id)?.ok_or_else(|| not_found("Нет такого счёта", "no such account"))?;
        return Ok(vec![doc]);
    }
    let mut found = Vec::new();
    for id in mine {
        if let Some(doc) = households::get(&id)? {
            found.push(doc);
        }
    }
    Ok(found)
}

/// The caller's household accounts (or the one `?h=` names).
pub fn page(query: &Params) -> Result<Page> {
    household_page(query.get("h"))
}

/// The caller's household accounts, or household `h`'s (`account/{unit id}`).
pub fn household_page(h: Option<&str>) -> Result<Page> {
    let mut page =
        Page::new(tr("Счёт совместных закупок", "Joint purchase account")).breadcrumb(home_link());
    if ctx::caller().is_none() {
        return Ok(page.section(Section::untitled().empty(
            tr("Войдите", "Sign in"),
            tr(
                "Войдите, чтобы увидеть свой счёт",
                "sign in to see your account",
            ),
        )));
    }
    let households = visible(h)?;
    if households.is_empty() {
        return Ok(page.section(Section::untitled().empty(
            tr("Начислений пока нет", "No charges yet"),
            tr(
                "Счёт появится после первой закупки, в которой вы участвовали.",
                "The account appears after the first purchase you took part in.",
            ),
        )));
    }
    let treasurer = keeps_accounts()?;
    for doc in &households {
        page = household_sections(page, doc, treasurer)?;
    }
    Ok(page)
}

fn household_sections(mut page: Page, doc: &Doc<Household>, treasurer: bool) -> Result<Page> {
    let h = &doc.data;
    let mut stats = vec![
        Stat::new(
            tr("К оплате", "To pay"),
            Cell::from(Kopecks(h.balance.0.max(0))),
        )
        .tone(if h.balance > Kopecks::ZERO {
            Tone::Warning
        } else {
            Tone::Success
        }),
    ];
    if let Some(due) = h.pay_by {
        let late = due < ctx::today()?;
        stats.push(
            Stat::new(tr("Оплатить до", "Pay by"), day_cell(due))
                .tone(if late { Tone::Danger } else { Tone::Neutral })
                .hint(if late {
                    tr(
                        "срок прошёл: заказы в новых закупках снимаются",
                        "overdue: orders in new purchases are withdrawn",
                    )
                } else {
                    tr(
                        "после срока заказы снимаются",
                        "orders are withdrawn after it",
                    )
                }),
        );
    }
    if h.balance < Kopecks::ZERO {
        stats.push(Stat::new(
            tr("Переплата", "Overpaid"),
            Cell::from(Kopecks(-h.balance.0)),
        ));
    }
    let mut summary = Section::titled(h.label.clone()).stats(stats);
    if h.balance <= Kopecks::ZERO {
        summary = summary.paragraph(tr("Долга нет", "Nothing is owed"));
    }
    page = page.section(summary);
    if h.balance > Kopecks::ZERO {
        page = page.section(match households::payment_qr(doc)? {
            Some((text, payee)) => qr_section(&text, &payee, h),
            None => Section::titled(tr("Оплата", "Payment")).notice(
                Tone::Info,
                tr(
                    "Реквизиты для оплаты не указаны: оплатите организатору закупки.",
                    "No payment details are set: pay the purchase's organizer.",
                ),
            ),
        });
    }
    let reversed: Vec<u64> = h
        .ledger
        .entries()
        .iter()
        .filter_map(|e| match e.kind {
            EntryKind::Reversal { of } => Some(of),
            _ => None,
        })
        .collect();
    let rows = h.ledger.entries().iter().rev().map(|e| {
        Row::new([
            Cell::from(e.number as i64),
            Cell::date(e.at),
            Cell::from(entry_label(e)),
            Cell::from(e.note.clone()),
            Cell::from(e.amount),
        ])
        .tone(if reversed.contains(&e.number) {
            Tone::Neutral
        } else if matches!(e.kind, EntryKind::Payment { .. }) {
            Tone::Success
        } else {
            Tone::Neutral
        })
    });
    page = page.section(
        Section::titled(tr("Записи счёта", "Ledger"))
            .paragraph(tr(
                "Записи не исправляются: ошибку отменяет сторно с причиной.",
                "Entries are never edited: a mistake is cancelled by a reversal with its reason.",
            ))
            .table(
                Table::new([
                    Column::numeric("№"),
                    Column::text(tr("Дата", "Date")),
                    Column::text(tr("Запись", "Entry")),
                    Column::text(tr("Основание", "Note")),
                    Column::numeric(tr("Сумма", "Amount")),
                ])
                .rows(rows),
            ),
    );
    if treasurer {
        page = page.section(
            Section::titled(tr("Внести оплату", "Record a payment")).form(
                Form::new("pay", tr("Записать оплату", "Record the payment"))
                    .field(Field::hidden("h", doc.id.clone()))
                    .field(
                        Field::money("amount", tr("Сумма", "Amount"))
                            .required()
                            .money_value(Kopecks(h.balance.0.max(0))),
                    )
                    .field(
                        Field::select(
                            "method",
                            tr("Как оплачено", "How it was paid"),
                            [
                                ("hand", tr("наличными или переводом", "cash or transfer")),
                                ("qr", tr("по QR-коду", "by the QR code")),
                            ],
                        )
                        .required()
                        .value("hand"),
                    ),
            ),
        );
        let choices: Vec<(String, String)> = h
            .ledger
            .entries()
            .iter()
            .filter(|e| {
                !matches!(e.kind, EntryKind::Reversal { .. }) && !reversed.contains(&e.number)
            })
            .map(|e| {
                (
                    e.number.to_string(),
                    format!("№{} {} {}", e.number, entry_label(e), money_text(e.amount)),
                )
            })
            .collect();
        if !choices.is_empty() {
            page = page.section(
                Section::titled(tr("Исправить запись", "Correct an entry")).form(
                    Form::new("correct", tr("Сторнировать", "Reverse"))
                        .field(Field::hidden("h", doc.id.clone()))
                        .field(Field::select("entry", tr("Запись", "Entry"), choices).required())
                        .field(
                            Field::text("reason", tr("Причина", "Reason"))
                                .required()
                                .max_length(300),
                        )
                        .field(
                            Field::money(
                                "amount",
                                tr("Верная сумма начисления", "The right charge"),
                            )
                            .help(tr(
                                "Для начисления: запишется новое, верное. Пусто — только отменить.",
                                "For a charge: the right one is recorded. Blank: only cancel it.",
                            )),
                        )
                        .confirm(tr(
                            "Отменить запись сторнированием?",
                            "Cancel the entry with a reversal?",
                        )),
                ),
            );
        }
    }
    Ok(page)
}

fn qr_section(text: &str, payee: &Payee, h: &Household) -> Section {
    let mut fields: Vec<(String, Cell)> = vec![(
        tr("Получатель", "Payee").into(),
        Cell::from(payee.name.clone()),
    )];
    if !payee.inn.is_empty() {
        fields.push((tr("ИНН", "INN").into(), Cell::from(payee.inn.clone())));
    }
    fields.extend([
        (
            tr("Банк", "Bank").into(),
            Cell::from(payee.bank_name.clone()),
        ),
        (tr("БИК", "BIC").into(), Cell::from(payee.bic.clone())),
        (
            tr("Счёт получателя", "Account").into(),
            Cell::from(payee.account.clone()),
        ),
        (
            tr("Корр. счёт", "Correspondent account").into(),
            Cell::from(payee.corr_account.clone()),
        ),
        (tr("Сумма", "Amount").into(), Cell::from(h.balance)),
        (
            tr("Назначение платежа", "Purpose").into(),
            Cell::from(households::purpose(h)),
        ),
    ]);
    Section::titled(tr("Оплата по QR-коду", "Pay by the QR code"))
        .qr(
            text.to_owned(),
            format!(
                "{} {}",
                tr(
                    "QR-код для оплаты в приложении банка:",
                    "QR code to pay in a banking app:"
                ),
                money_text(h.balance)
            ),
        )
        .fields(fields)
}

/// Every household's account, the bank's registry and the payee: for those who keep accounts.
pub fn all_page() -> Result<Page> {
    require_accounts()?;
    let households = HOUSEHOLDS
        .query()
        .in_community(&ctx::community())
        .order_by("balance", Direction::Desc)
        .limit(500)
        .fetch()?
        .docs;
    let today = ctx::today()?;
    let rows = households.iter().map(|h| {
        let late = h.data.pay_by.is_some_and(|d| d < today) && h.data.balance > Kopecks::ZERO;
        Row::new([
            Cell::from(account_link(h)),
            Cell::from(h.data.balance),
            Cell::from(h.data.pay_by.map(day_cell)),
        ])
        .tone(if late { Tone::Danger } else { Tone::Neutral })
    });
    let mut page = Page::new(tr("Счета участников", "Households' accounts"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("Участники", "Households")).table(
                Table::new([
                    Column::text(tr("Участок или квартира", "Plot or flat")),
                    Column::numeric(tr("Долг", "Owes")),
                    Column::text(tr("Оплатить до", "Pay by")),
                ])
                .rows(rows)
                .empty_text(tr("Начислений ещё не было", "nobody was charged yet")),
            ),
        )
        .section(
            Section::titled(tr("Выписка банка", "Bank registry"))
                .paragraph(tr(
                    "CSV с колонками: дата; сумма; лицевой счёт; назначение; номер. Оплата по QR-коду узнаётся по отметке ЗК: в назначении; повторная загрузка не задваивает платежи.",
                    "CSV with the columns: date; amount; account; purpose; number. A QR payment is recognised by the ЗК: mark in its purpose; loading a registry again records nothing twice.",
                ))
                .form(
                    Form::new("import-registry", tr("Загрузить выписку", "Import the registry")).field(
                        Field::file("file", tr("Файл CSV", "CSV file"), ["text/csv", "text/plain"]).required(),
                    ),
                ),
        );
    if is_manager() {
        let current = PAYEES
            .get(&ctx::community())?
            .map(|d| d.data)
            .unwrap_or_default();
        page = page.section(
            Section::titled(tr("Реквизиты получателя", "Payee details"))
                .paragraph(tr(
                    "По ним строится QR-код оплаты (ГОСТ Р 56042).",
                    "The payment QR code (ГОСТ Р 56042) is built from them.",
                ))
                .form(
                    Form::new("set-payee", tr("Сохранить реквизиты", "Save the details"))
                        .field(
                            Field::text("name", tr("Получатель", "Payee"))
                                .required()
                                .value(current.name),
                        )
                        .field(Field::text("inn", tr("ИНН", "INN")).value(current.inn))
                        .field(Field::text("kpp", tr("КПП", "KPP")).value(current.kpp))
                        .field(
                            Field::text("bank_name", tr("Банк", "Bank"))
                                .required()
                                .value(current.bank_name),
                        )
                        .field(
                            Field::text("bic", tr("БИК", "BIC"))
                                .required()
                                .value(current.bic),
                        )
                        .field(
                            Field::text("account", tr("Расчётный счёт", "Account"))
                                .required()
                                .value(current.account),
                        )
                        .field(
                            Field::text("corr_account", tr("Корр. счёт", "Correspondent account"))
                                .required()
                                .value(current.corr_account),
                        ),
                ),
        );
    }
    Ok(page)
}

/// The forms of the account pages.
pub fn act(action: &str, form: &Params) -> Result<ActionOutcome> {
    match action {
        "pay" => {
            require_accounts()?;
            let id = form.require("h")?;
            let amount = form
                .kopecks("amount")?
                .ok_or_else(|| invalid("amount", "Укажите сумму", "enter the amount"))?;
            let method = match form.get("method") {
                Some("qr") => PaymentMethod::Qr,
                _ => PaymentMethod::Hand,
            };
            let reference = format!("hand:{}", ctx::now());
            let saved = households::pay(id, amount, method, &reference)?;
            Ok(ActionOutcome::redirect(
                account_link(&saved),
                format!(
                    "{} {}",
                    tr("Оплата записана:", "Payment recorded:"),
                    money_text(amount)
                ),
            ))
        }
        "correct" => {
            require_accounts()?;
            let id = form.require("h")?;
            let entry: u64 = form
                .require("entry")?
                .parse()
                .map_err(|_| invalid("entry", "Выберите запись", "choose an entry"))?;
            let saved = households::correct(
                id,
                entry,
                form.get("reason").unwrap_or_default(),
                form.kopecks("amount")?,
            )?;
            Ok(ActionOutcome::redirect(
                account_link(&saved),
                tr("Запись сторнирована", "Entry reversed"),
            ))
        }
        "import-registry" => {
            require_accounts()?;
            let file = form.require("file")?;
            let bytes = dvor_sdk::files::read(file)?;
            match households::import_registry(&bytes)? {
                Ok(done) => Ok(ActionOutcome::redirect(
                    Link::to("accounts", ""),
                    format!(
                        "{} {} ({} {}{})",
                        tr("Платежей записано:", "Payments recorded:"),
                        done.imported,
                        tr("по QR-коду:", "by QR code:"),
                        done.by_qr,
                        if done.duplicates > 0 {
                            format!(
                                ", {} {}",
                                tr("повторов пропущено:", "duplicates skipped:"),
                                done.duplicates
                            )
                        } else {
                            String::new()
                        }
                    ),
                )),
                Err(problems) => Ok(ActionOutcome::invalid([(
                    "file",
                    format!(
                        "{}: {}",
                        tr("Выписка не загружена", "Nothing was imported"),
                        dvor_sdk::csv_sheet::problems_text(&problems, 10)
                    ),
                )])),
            }
        }
        "set-payee" => {
            if !is_manager() {
                return Err(Error::forbidden(tr(
                    "Реквизиты задаёт правление",
                    "the board sets the details",
                )));
            }
            let payee = Payee {
                name: form.get("name").unwrap_or_default().to_owned(),
                bank_name: form.get("bank_name").unwrap_or_default().to_owned(),
                bic: form.get("bic").unwrap_or_default().to_owned(),
                account: form.get("account").unwrap_or_default().to_owned(),
                corr_account: form.get("corr_account").unwrap_or_default().to_owned(),
                inn: form.get("inn").unwrap_or_default().to_owned(),
                kpp: form.get("kpp").unwrap_or_default().to_owned(),
            };
            households::set_payee(&payee)?;
            Ok(ActionOutcome::redirect(
                Link::to("accounts", ""),
                tr("Реквизиты сохранены", "Details saved"),
            ))
        }
        _ => Err(not_found("Нет такого действия", "no such action")),
    }
}

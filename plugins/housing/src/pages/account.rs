//! A personal account's pages: the card of what to pay now (with «Оплатить» and the payment
//! QR code), the meters and their one readings form, the bills of each month, the penalties
//! and how they were calculated, payments; the bill (ЕПД) of a month; the statement.

use dvor_sdk::prelude::*;
use dvor_sdk::ui::Block;

use super::{account_link, home_link, service_name, service_names};
use crate::access::{is_operator, visible_account};
use crate::charges::ReadingKind;
use crate::due::AmountDue;
use crate::epd::{self, QrImage};
use crate::model::{
    Account, BILLS, Bill, CHECKOUTS, CheckoutStatus, Decimal, PaymentSource, PenaltyOfBill, Period,
    Provider, READINGS, Settings,
};
use crate::penalty::{PenaltyPeriod, PenaltyRules};
use crate::show::{
    date_cell, date_text, decimal_cell, decimal_text, money_text, trimmed, volume_cell, volume_text,
};
use crate::{accounts, bills_of, checkout, ledger, payments_of};

/// The payment QR code as a page block — **the one place it is drawn**: contract 0.2's
/// `image` block, which the host draws from `qr.payload` at no less than
/// [`epd::QR_MIN_SCREEN_PX`] px on screen and [`epd::QR_MIN_PRINT_MM`] mm in print, between the
/// amount and «Оплатить», on the screen and on the printout. The same code is served as SVG at
/// `accounts/{n}/qr.svg` for banking apps.
fn qr_block(qr: &QrImage) -> Option<Block> {
    Some(Block::Image(dvor_sdk::ui::Image {
        source: dvor_sdk::ui::ImageSource::Qr(qr.payload.clone()),
        alt: qr.alt.clone(),
        width: Some(epd::QR_MIN_SCREEN_PX),
    }))
}

/// The card of what to pay now: the amount, by when, what is overdue, the months it is made
/// of, the payment QR code and «Оплатить». The same on the account page and on every bill's
/// page, so paying November lowers what December's page asks.
fn pay_card(
    doc: &Doc<Account>,
    due: &AmountDue,
    provider: Option<&Provider>,
    settings: &Settings,
) -> Section {
    let mut card = Section::titled(tr("К оплате", "To pay"));
    if due.is_settled() {
        let mut stats = vec![
            Stat::new(tr("К оплате", "To pay"), Kopecks::ZERO)
                .tone(Tone::Success)
                .hint(tr("Долга нет", "Nothing owed")),
        ];
        if due.advance > Kopecks::ZERO {
            stats.push(
                Stat::new(tr("Переплата", "Paid ahead"), due.advance)
                    .tone(Tone::Success)
                    .hint(tr("Зачтётся в следующий счёт", "Goes to the next bill")),
            );
        }
        return card.stats(stats);
    }
    let mut stats =
        vec![
            Stat::new(tr("К оплате", "To pay"), due.total).tone(if due.overdue > Kopecks::ZERO {
                Tone::Danger
            } else {
                Tone::Warning
            }),
        ];
    match due.pay_by {
        Some(day) => stats.push(Stat::new(tr("Оплатить до", "Pay by"), date_cell(day))),
        None => stats.push(
            Stat::new(tr("Оплатить", "Pay"), tr("сейчас", "now"))
                .tone(Tone::Danger)
                .hint(tr("Срок оплаты прошёл", "The due date has passed")),
        ),
    }
    if due.overdue > Kopecks::ZERO {
        let mut overdue =
            Stat::new(tr("Из них просрочено", "Of it overdue"), due.overdue).tone(Tone::Danger);
        if let Some(since) = due.overdue_since {
            overdue = overdue.hint(format!(
                "{} {}",
                tr("срок был", "was due"),
                date_text(since)
            ));
        }
        stats.push(overdue);
    }
    card = card.stats(stats);
    if due.months.len() > 1 || due.penalties > Kopecks::ZERO {
        let mut rows: Vec<Row> = due
            .months
            .iter()
            .map(|m| {
                Row::new([
                    Cell::from(Link::to(
                        format!("account/{}/bill/{}", doc.data.number, m.period),
                        capitalized(&m.period.name()),
                    )),
                    Cell::from(m.owed),
                ])
                .tone(if m.overdue {
                    Tone::Danger
                } else {
                    Tone::Neutral
                })
            })
            .collect();
        if due.penalties > Kopecks::ZERO {
            rows.push(Row::new([
                Cell::from(tr("Пени", "Penalties")),
                Cell::from(due.penalties),
            ]));
        }
        card = card.table(
            Table::new([
                Column::text(tr("За что", "For")),
                Column::numeric(tr("Сумма", "Amount")),
            ])
            .rows(rows),
        );
    }
    match epd::payment_qr(&doc.data, provider, due) {
        Ok(qr) => {
            if let Some(block) = qr_block(&qr) {
                card = card.block(block);
            }
        }
        Err(why) => {
            card = card.notice(
                Tone::Info,
                format!(
                    "{} {why}",
                    tr("QR-кода для оплаты нет:", "No payment QR code:")
                ),
            );
        }
    }
    match checkout::provider(settings) {
        Some(p) => card
            .buttons([Button::action("pay", tr("Оплатить", "Pay")).tone(Tone::Info)])
            .paragraph(format!(
                "{}{}. {}",
                tr(
                    "Картой или через СБП на странице платёжного сервиса",
                    "By card or SBP on the page of the payment service"
                ),
                if p.name.trim().is_empty() {
                    String::new()
                } else {
                    format!(" «{}»", p.name.trim())
                },
                tr(
                    "Платёж сам придёт на лицевой счёт — ничего вводить не нужно.",
                    "The payment reaches the account by itself — nothing to type.",
                )
            )),
        None => card.paragraph(tr(
            "Оплатите в приложении банка по QR-коду или по реквизитам платёжного документа.",
            "Pay in a banking app by the QR code or by the payment document's bank details.",
        )),
    }
}

/// `ноябрь 2026` → `Ноябрь 2026`.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What the payer sees when they come back from the provider (`?payment=`).
fn checkout_notice(doc: &Doc<Account>, order: &str) -> Result<Option<(Tone, String)>> {
    let Some(checkout) = CHECKOUTS.get(order)?.filter(|c| c.data.account == doc.id) else {
        return Ok(None);
    };
    let amount = money_text(checkout.data.amount);
    Ok(Some(match checkout.data.status {
        CheckoutStatus::Paid => (
            Tone::Success,
            format!(
                "{} {amount} {}",
                tr("Оплата", "The payment of"),
                tr("получена. Спасибо!", "is received. Thank you!")
            ),
        ),
        CheckoutStatus::Started => (
            Tone::Info,
            format!(
                "{} {amount} {}",
                tr("Платёж на", "The payment of"),
                tr(
                    "ещё не подтверждён банком: обновите страницу через минуту.",
                    "is not confirmed by the bank yet: reload the page in a minute.",
                )
            ),
        ),
        CheckoutStatus::Canceled => (
            Tone::Warning,
            tr(
                "Оплата не прошла: деньги не списаны. Попробуйте ещё раз.",
                "The payment did not go through: nothing was charged. Try again.",
            )
            .to_owned(),
        ),
    }))
}

/// A bill's state in the list of months.
fn bill_badge(bill: &Bill, today: Date) -> Badge {
    let owed = Kopecks(bill.principal.0 - bill.paid.0);
    if !bill.open || owed <= Kopecks::ZERO {
        Badge::new(tr("Оплачен", "Paid"), Tone::Success)
    } else if bill.due < today {
        Badge::new(tr("Просрочен", "Overdue"), Tone::Danger)
    } else if bill.paid > Kopecks::ZERO {
        Badge::new(tr("Оплачен частично", "Partly paid"), Tone::Warning)
    } else {
        Badge::new(tr("Не оплачен", "Unpaid"), Tone::Warning)
    }
}

pub fn account_page(number: &str, query: &Params) -> Result<Page> {
    let doc = visible_account(number)?;
    let account = &doc.data;
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let bills = bills_of(&doc.id)?;
    let due = AmountDue::of(account, today);
    let provider = accounts::provider_for(&doc.community)?;
    let names = service_names(&doc.community)?;
    let mut page = Page::new(format!(
        "{} {}",
        tr("Лицевой счёт", "Account"),
        account.number
    ))
    .breadcrumb(home_link());
    // Back from the provider's page: whether the payment has arrived.
    if let Some(order) = query.get("payment")
        && let Some((tone, text)) = checkout_notice(&doc, order)?
    {
        page = page.section(Section::untitled().notice(tone, text));
    }
    page = page
        .section(pay_card(&doc, &due, provider.as_ref(), &settings))
        .section(readings_section(&doc, &settings, today, &names));
    // The bills, each the document of its month.
    let bill_rows = bills.iter().rev().map(|b| {
        let owed = if b.open {
            Kopecks(b.principal.0 - b.paid.0)
        } else {
            Kopecks::ZERO
        };
        Row::new([
            Cell::from(Link::to(
                format!("account/{number}/bill/{}", b.period),
                capitalized(&b.period.name()),
            )),
            Cell::from(Kopecks(b.principal.0 + b.penalty.0)),
            Cell::from(owed),
            Cell::from(bill_badge(b, today)),
        ])
    });
    page = page.section(
        Section::titled(tr("Счета по месяцам", "Bills by month"))
            .table(
                Table::new([
                    Column::text(tr("Месяц", "Month")),
                    Column::numeric(tr("Начислено", "Charged")),
                    Column::numeric(tr("Не оплачено", "Unpaid")),
                    Column::text(tr("Статус", "Status")),
                ])
                .rows(bill_rows)
                .empty_text(tr("Счетов пока нет", "No bills yet")),
            )
            .links([Link::to(
                format!("account/{number}/statement"),
                tr("Выписка за период", "Statement for a period"),
            )]),
    );
    if let Some(section) = live_penalties(account, &settings.penalty_rules()?, today) {
        page = page.section(section);
    }
    let payments = payments_of(&doc.id)?;
    page = page.section(
        Section::titled(tr("Платежи", "Payments")).table(
            Table::new([
                Column::text(tr("Дата", "Date")),
                Column::numeric(tr("Сумма", "Amount")),
                Column::text(tr("Как", "How")),
            ])
            .rows(payments.iter().rev().map(|p| {
                Row::new([
                    date_cell(p.date),
                    Cell::from(p.amount),
                    Cell::from(p.source.label()),
                ])
            }))
            .empty_text(tr("Платежей нет", "No payments")),
        ),
    );
    page = page.section(Section::titled(tr("Лицевой счёт", "Account")).fields([
        (tr("Плательщик", "Payer"), Cell::from(account.payer.clone())),
        (tr("Адрес", "Address"), Cell::from(account.address.clone())),
        (
            tr("Площадь, м²", "Area, m²"),
            Cell::from(trimmed(Decimal::new(account.area, 2))),
        ),
        (
            tr("Зарегистрировано", "Registered residents"),
            Cell::from(account.residents),
        ),
    ]));
    if is_operator() {
        page = page.section(payment_form(account, today));
    }
    Ok(page)
}

/// The meters, their one readings form (every meter a field), and the form for a replaced or
/// rolled-over meter; or when the window opens next.
fn readings_section(
    doc: &Doc<Account>,
    settings: &Settings,
    today: Date,
    names: &std::collections::HashMap<String, String>,
) -> Section {
    let account = &doc.data;
    let mut meters = Section::titled(tr("Счётчики", "Meters"));
    if account.meters.is_empty() {
        return meters.paragraph(tr(
            "Счётчиков нет — начисление по нормативу",
            "No meters: charged by norm",
        ));
    }
    let this_month = Period::of(today);
    let submitted = |m: &crate::model::Meter| {
        READINGS
            .get(&format!("{}@{this_month}", m.id))
            .ok()
            .flatten()
            .map(|d| d.data.value)
    };
    let meter_name =
        |m: &crate::model::Meter| format!("{} № {}", service_name(names, &m.service), m.serial);
    let rows = account.meters.iter().map(|m| {
        Row::new([
            Cell::from(meter_name(m)),
            volume_cell(m.last_value),
            submitted(m).map_or(Cell::Empty, volume_cell),
            m.verified_until.map_or(Cell::Empty, date_cell),
        ])
        .tone(if m.is_verified_on(today) {
            Tone::Neutral
        } else {
            Tone::Danger
        })
    });
    meters = meters.table(
        Table::new([
            Column::text(tr("Счётчик", "Meter")),
            Column::numeric(tr("Последнее учтённое", "Last billed")),
            Column::numeric(tr("Передано в этом месяце", "Submitted this month")),
            Column::text(tr("Поверка до", "Verified until")),
        ])
        .rows(rows),
    );
    meters = meters.paragraph(format!(
        "{}. {}",
        accounts::window_text(settings),
        accounts::window_schedule(settings, today)
    ));
    if !accounts::window_is_open(settings, today) {
        return meters;
    }
    let mut form = Form::new(
        "submit-readings",
        tr("Передать показания", "Submit readings"),
    );
    for (i, m) in account.meters.iter().enumerate() {
        let mut help = format!(
            "{} {}",
            tr("Последнее учтённое:", "Last billed:"),
            volume_text(m.last_value)
        );
        if let Some(value) = submitted(m) {
            help.push_str(&format!(
                "; {} {}",
                tr("в этом месяце передано:", "submitted this month:"),
                volume_text(value)
            ));
        }
        help.push('.');
        if !m.is_verified_on(today) {
            help = tr(
                "Срок поверки истёк — показания не принимаются.",
                "The verification has expired: no readings accepted.",
            )
            .to_owned();
        }
        form = form.field(Field::number(format!("meter-{}", i + 1), meter_name(m), 3).help(help));
    }
    meters.form(form).links([Link::to(
        format!("account/{}/meter-change", account.number),
        tr(
            "Счётчик заменили или он прошёл через ноль",
            "A meter was replaced or rolled over",
        ),
    )])
}

/// The page for a replaced meter or a counter that passed zero: the one reading that is lower
/// than the last one, said so.
pub fn meter_change_page(number: &str) -> Result<Page> {
    let doc = visible_account(number)?;
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let names = service_names(&doc.community)?;
    let account = &doc.data;
    let page = Page::new(tr(
        "Счётчик заменили или он прошёл через ноль",
        "A meter was replaced or rolled over",
    ))
    .breadcrumb(home_link())
    .breadcrumb(account_link(number));
    if !accounts::window_is_open(&settings, today) {
        return Ok(page.section(Section::untitled().paragraph(format!(
            "{}. {}",
            accounts::window_text(&settings),
            accounts::window_schedule(&settings, today)
        ))));
    }
    let meter_name =
        |m: &crate::model::Meter| format!("{} № {}", service_name(&names, &m.service), m.serial);
    Ok(page.section(Section::untitled().paragraph(tr(
        "Новое показание меньше прошлого, когда счётчик заменили (укажите последнее показание старого) или когда он дошёл до предела и начал с нуля.",
        "A new reading is below the last one when the meter was replaced (give the old meter's last value) or when it reached its limit and started from zero.",
    )).form(
        Form::new("submit-reading", tr("Передать", "Submit"))
            .field(
                Field::select(
                    "meter",
                    tr("Счётчик", "Meter"),
                    account.meters.iter().map(|m| (m.id.clone(), meter_name(m))),
                )
                .required(),
            )
            .field(
                Field::select(
                    "kind",
                    tr("Что случилось", "What happened"),
                    [
                        ("replacement", tr("Счётчик заменён", "Meter replaced")),
                        (
                            "rollover",
                            tr("Счётчик прошёл через ноль", "Counter rolled over"),
                        ),
                    ],
                )
                .required(),
            )
            .field(Field::number("value", tr("Показание", "Reading"), 3).required())
            .field(
                Field::number(
                    "old_final",
                    tr(
                        "Последнее показание старого счётчика",
                        "The old meter's last value",
                    ),
                    3,
                )
                .help(tr(
                    "Только при замене счётчика.",
                    "Only when the meter was replaced.",
                )),
            ),
    )))
}

/// The operator's form to record a payment made at a bank's counter or by transfer.
fn payment_form(account: &Account, today: Date) -> Section {
    let months = core::iter::once((
        String::new(),
        tr(
            "Не указан: сначала самый старый долг",
            "Not named: the oldest debt first",
        )
        .to_owned(),
    ))
    .chain(
        account
            .open
            .iter()
            .map(|b| (b.period.to_string(), capitalized(&b.period.name()))),
    );
    Section::titled(tr("Записать платёж", "Record a payment")).form(
        Form::new("record-payment", tr("Записать", "Record"))
            .field(Field::money("amount", tr("Сумма", "Amount")).required())
            .field(
                Field::date("date", tr("Дата оплаты", "Paid on"))
                    .required()
                    .value(today.to_string()),
            )
            .field(
                Field::text(
                    "reference",
                    tr("Номер платёжного документа", "Payment document number"),
                )
                .required()
                .max_length(64),
            )
            .field(Field::select(
                "period",
                tr("За какой месяц", "For which month"),
                months,
            )),
    )
}

/// A penalty's periods as public calculators show them: from, to, days, debt, rate, fraction
/// of the rate, penalty (each period's penalty rounded for display; the total is rounded once).
fn penalty_table(periods: &[PenaltyPeriod]) -> Table {
    Table::new([
        Column::text(tr("С", "From")),
        Column::text(tr("По", "To")),
        Column::numeric(tr("Дней", "Days")),
        Column::numeric(tr("Долг", "Debt")),
        Column::numeric(tr("Ставка", "Rate")),
        Column::numeric(tr("Доля ставки", "Fraction")),
        Column::numeric(tr("Пени", "Penalty")),
    ])
    .rows(periods.iter().map(|p| {
        Row::new([
            date_cell(p.from),
            date_cell(p.to),
            Cell::from(i64::from(p.days)),
            Cell::from(p.debt),
            Cell::from(format!(
                "{}\u{a0}%",
                decimal_text(trimmed(Decimal::new(p.rate_bp, 2)))
            )),
            Cell::from(format!("{}/{}", p.numerator, p.denominator)),
            Cell::from(p.amount),
        ])
    }))
}

/// How penalties are counted, in one sentence.
fn penalty_rule_text() -> &'static str {
    tr(
        "Пени за день = долг × ставка × доля ставки. Первые 30 дней после срока оплаты пеней нет, с 31-го по 90-й день — 1/300 ставки, с 91-го — 1/130 (ЖК РФ ст. 155 ч. 14). Сумма считается без округления и округляется до копеек один раз.",
        "A day's penalty = debt × rate × fraction of the rate. Nothing for the first 30 days after the due date, 1/300 of the rate from day 31 to 90, 1/130 from day 91 (Housing Code art. 155 p. 14). The sum is exact and rounded to kopecks once.",
    )
}

/// One unpaid month's penalty: a heading, its periods and its total on `as_of`.
fn penalty_of_bill(section: Section, p: &PenaltyOfBill, as_of: Date) -> Section {
    section
        .heading(format!(
            "{} {} ({} {})",
            tr("Долг за", "Debt for"),
            p.period.name(),
            tr("срок оплаты", "due"),
            date_text(p.due)
        ))
        .table(penalty_table(&p.periods))
        .fields([(
            format!("{} {}", tr("Пени на", "Penalty on"), date_text(as_of)),
            Cell::from(p.total),
        )])
}

/// The penalties accruing now on overdue bills, with their calculation: what the next bill
/// will add.
fn live_penalties(account: &Account, rules: &PenaltyRules, today: Date) -> Option<Section> {
    let accruing: Vec<PenaltyOfBill> = account
        .open
        .iter()
        .filter(|b| b.due < today && b.owed() > Kopecks::ZERO)
        .map(|b| {
            let p = rules.penalty(b.principal, b.due, &b.payments, today);
            PenaltyOfBill {
                period: b.period,
                due: b.due,
                principal: b.principal,
                total: p.total,
                periods: p.periods,
            }
        })
        .collect();
    if accruing.is_empty() {
        return None;
    }
    let mut section = Section::titled(tr("Пени", "Penalties")).paragraph(penalty_rule_text());
    for p in &accruing {
        section = penalty_of_bill(section, p, today);
    }
    let accrued =
        Kopecks(account.penalty_settled.0 + accruing.iter().map(|p| p.total.0).sum::<i64>());
    let next = Kopecks((accrued.0 - account.penalty_charged.0).max(0));
    Some(section.fields([
        (
            tr("Уже начислено в счетах", "Already on bills"),
            Cell::from(account.penalty_charged),
        ),
        (
            tr("Войдёт в следующий счёт", "Goes to the next bill"),
            Cell::from(next),
        ),
    ]))
}

pub fn bill_page(number: &str, period: &str) -> Result<Page> {
    let doc = visible_account(number)?;
    let period = Period::parse_field("period", period)?;
    let bill = BILLS
        .get(&format!("{}@{period}", doc.id))?
        .ok_or_else(|| {
            Error::not_found(tr(
                "Счёт за этот месяц ещё не выставлен",
                "no bill for that month yet",
            ))
        })?
        .data;
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let due = AmountDue::of(&doc.data, today);
    let provider = accounts::provider_for(&doc.community)?;
    let names = service_names(&doc.community)?;
    let mut page = Page::new(format!(
        "{} {} — {} {}",
        tr("Платёжный документ за", "Payment document for"),
        period.name(),
        tr("л/с", "account"),
        doc.data.number
    ))
    .breadcrumb(home_link())
    .breadcrumb(account_link(number));
    let mut card = pay_card(&doc, &due, provider.as_ref(), &settings);
    card.title = Some(
        tr(
            "Сейчас к оплате по лицевому счёту",
            "To pay now on this account",
        )
        .to_owned(),
    );
    page = page.section(card);
    for section in document_sections(&doc.data, &bill, provider.as_ref(), &names) {
        page = page.section(section);
    }
    Ok(page.section(Section::untitled().paragraph(tr(
        "Распечатайте эту страницу из браузера (Ctrl+P) или сохраните её как PDF.",
        "Print this page from the browser (Ctrl+P) or save it as PDF.",
    ))))
}

/// The ЕПД of `bill`: every field ПП 354 п.69 asks for, as it was on the day it was issued,
/// and what has been paid of the month since.
fn document_sections(
    account: &Account,
    bill: &Bill,
    provider: Option<&Provider>,
    names: &std::collections::HashMap<String, String>,
) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut payer = Section::titled(tr("Плательщик", "Payer")).fields([
        (tr("Плательщик", "Payer"), Cell::from(account.payer.clone())),
        (tr("Адрес", "Address"), Cell::from(account.address.clone())),
        (
            tr("Лицевой счёт", "Personal account"),
            Cell::from(account.number.clone()),
        ),
        (
            tr("Площадь, м²", "Area, m²"),
            Cell::from(trimmed(Decimal::new(account.area, 2))),
        ),
        (
            tr("Зарегистрировано", "Registered residents"),
            Cell::from(account.residents),
        ),
        (
            tr("Расчётный период", "Billing month"),
            Cell::from(capitalized(&bill.period.name())),
        ),
    ]);
    if provider.is_none() {
        payer = payer.notice(
            Tone::Warning,
            tr(
                "Реквизиты получателя не указаны",
                "the provider's details are not set",
            ),
        );
    }
    sections.push(payer);
    if let Some(p) = provider {
        sections.push(Section::titled(tr("Получатель платежа", "Payee")).fields([
            (
                tr("Организация", "Organization"),
                Cell::from(p.payee.name.clone()),
            ),
            (
                tr("ИНН / КПП", "INN / KPP"),
                Cell::from(format!("{} / {}", p.payee.inn, p.payee.kpp)),
            ),
            (tr("Банк", "Bank"), Cell::from(p.payee.bank_name.clone())),
            (tr("БИК", "BIC"), Cell::from(p.payee.bic.clone())),
            (
                tr("Расчётный счёт", "Account"),
                Cell::from(p.payee.account.clone()),
            ),
            (
                tr("Корр. счёт", "Correspondent account"),
                Cell::from(p.payee.corr_account.clone()),
            ),
            (tr("Адрес", "Address"), Cell::from(p.address.clone())),
            (tr("Телефон", "Phone"), Cell::from(p.phone.clone())),
            (tr("Эл. почта", "E-mail"), Cell::from(p.email.clone())),
        ]));
    }
    // The increasing coefficient's columns only where some line has it (ПП 354 п.69).
    let raised = bill.lines.iter().any(|l| l.coefficient.is_some());
    let rows = bill.lines.iter().map(|l| {
        let name = tr(&l.name_ru, &l.name_en);
        let name = if name.is_empty() || name == l.service {
            service_name(names, &l.service)
        } else {
            name.to_owned()
        };
        let mut cells = vec![
            Cell::from(name),
            Cell::from(l.unit.clone()),
            volume_cell(l.volume),
            decimal_cell(&l.tariff),
            Cell::from(l.method.label(ctx::is_english())),
        ];
        if raised {
            cells.push(l.coefficient.as_deref().map_or(Cell::Empty, decimal_cell));
            cells.push(Cell::from(l.above_norm));
        }
        cells.push(Cell::from(l.amount));
        Row::new(cells)
    });
    let mut columns = vec![
        Column::text(tr("Услуга", "Service")),
        Column::text(tr("Ед.", "Unit")),
        Column::numeric(tr("Объём", "Volume")),
        Column::numeric(tr("Тариф, ₽", "Tariff, ₽")),
        Column::text(tr("Как", "How")),
    ];
    if raised {
        columns.push(Column::numeric(tr("Повыш. коэф.", "Raising coef.")));
        columns.push(Column::numeric(tr("Сверх норматива", "Above the norm")));
    }
    columns.push(Column::numeric(tr("Сумма", "Amount")));
    sections.push(
        Section::titled(tr("Начисления", "Charges")).table(
            Table::new(columns)
                .rows(rows)
                .empty_text(tr("Начислений нет", "No charges")),
        ),
    );
    if !bill.recalculations.is_empty() {
        sections.push(
            Section::titled(tr("Перерасчёты", "Recalculations")).table(
                Table::new([
                    Column::text(tr("Причина", "Reason")),
                    Column::numeric(tr("Сумма", "Amount")),
                ])
                .rows(bill.recalculations.iter().map(|r| {
                    Row::new([
                        Cell::from(tr(&r.reason_ru, &r.reason_en).to_owned()),
                        Cell::from(r.amount),
                    ])
                })),
            ),
        );
    }
    if bill.penalty != Kopecks::ZERO || !bill.penalty_details.is_empty() {
        let as_of = bill.period.last_day();
        let mut penalties = Section::titled(tr("Пени в этом счёте", "Penalties on this bill"))
            .paragraph(penalty_rule_text());
        for p in &bill.penalty_details {
            penalties = penalty_of_bill(penalties, p, as_of);
        }
        let mut totals = Vec::new();
        if bill.penalty_settled > Kopecks::ZERO {
            totals.push((
                tr(
                    "Пени по счетам, оплаченным полностью",
                    "Penalties of bills paid in full",
                ),
                Cell::from(bill.penalty_settled),
            ));
        }
        totals.push((
            tr("Уже начислено в прошлых счетах", "Already on earlier bills"),
            Cell::from(bill.penalty_before),
        ));
        totals.push((
            tr("Пени в этом счёте", "Penalties on this bill"),
            Cell::from(bill.penalty),
        ));
        sections.push(penalties.fields(totals));
    }
    let before = bill.balance_before;
    let mut total = vec![(
        tr("Начислено за месяц", "Charged for the month"),
        Cell::from(bill.principal),
    )];
    if before > Kopecks::ZERO {
        total.insert(
            0,
            (
                tr("Долг прошлых периодов", "Debt from earlier periods"),
                Cell::from(before),
            ),
        );
    } else if before < Kopecks::ZERO {
        total.insert(
            0,
            (
                tr("Аванс на начало месяца", "Advance at the start"),
                Cell::from(Kopecks(-before.0)),
            ),
        );
    }
    total.push((tr("Пени", "Penalties"), Cell::from(bill.penalty)));
    sections.push(Section::titled(tr("Итого", "Total")).fields(total).fields([
        (
            format!(
                "{} {}",
                tr("Итого к оплате на", "Total to pay on"),
                date_text(bill.issued)
            ),
            Cell::from(bill.to_pay),
        ),
        (tr("Оплатить до", "Pay by").to_owned(), date_cell(bill.due)),
    ]));
    let mut paid = Section::titled(tr("Оплачено за этот месяц", "Paid for this month"));
    if bill.payments.is_empty() {
        paid = paid.paragraph(tr("Оплат пока нет", "No payments yet"));
    } else {
        paid = paid.table(
            Table::new([
                Column::text(tr("Дата", "Date")),
                Column::numeric(tr("Сумма", "Amount")),
            ])
            .rows(
                bill.payments
                    .iter()
                    .map(|(day, amount)| Row::new([date_cell(*day), Cell::from(*amount)])),
            ),
        );
    }
    sections.push(paid.fields([(
        tr("Не оплачено за месяц", "Unpaid of the month"),
        Cell::from(if bill.open {
            Kopecks(bill.principal.0 - bill.paid.0)
        } else {
            Kopecks::ZERO
        }),
    )]));
    sections
}

pub fn statement_page(number: &str, query: &Params) -> Result<Page> {
    let doc = visible_account(number)?;
    let today = ctx::today()?;
    let from = query
        .date("from")?
        .unwrap_or(today.add_months(-12).unwrap_or(today));
    let to = query.date("to")?.unwrap_or(today);
    let statement = ledger::statement(&bills_of(&doc.id)?, &payments_of(&doc.id)?, from, to);
    // A balance below zero is an advance: said so, not as a negative debt.
    let balance = |label_debt: &str, label_advance: &str, amount: Kopecks| {
        if amount < Kopecks::ZERO {
            (label_advance.to_owned(), Cell::from(Kopecks(-amount.0)))
        } else {
            (label_debt.to_owned(), Cell::from(amount))
        }
    };
    Ok(Page::new(format!(
        "{} {}",
        tr("Выписка по счёту", "Statement of account"),
        doc.data.number
    ))
    .breadcrumb(home_link())
    .breadcrumb(account_link(number))
    .section(
        Section::untitled()
            .form(
                Form::new("statement", tr("Показать", "Show"))
                    .field(Field::date("from", tr("С", "From")).value(from.to_string()))
                    .field(Field::date("to", tr("По", "To")).value(to.to_string())),
            )
            .fields([
                balance(
                    &format!("{} {}", tr("Долг на", "Debt on"), date_text(from)),
                    &format!(
                        "{} {}",
                        tr("Переплата на", "Paid ahead on"),
                        date_text(from)
                    ),
                    statement.opening,
                ),
                (
                    tr("Начислено", "Charged").to_owned(),
                    Cell::from(statement.charged),
                ),
                (
                    tr("Оплачено", "Paid").to_owned(),
                    Cell::from(statement.paid),
                ),
                balance(
                    &format!("{} {}", tr("Долг на", "Debt on"), date_text(to)),
                    &format!("{} {}", tr("Переплата на", "Paid ahead on"), date_text(to)),
                    statement.closing,
                ),
            ])
            .table(
                Table::new([
                    Column::text(tr("Дата", "Date")),
                    Column::text(tr("Операция", "Entry")),
                    Column::numeric(tr("Начислено", "Charged")),
                    Column::numeric(tr("Оплачено", "Paid")),
                    Column::numeric(tr("Долг после", "Debt after")),
                ])
                .rows(statement.lines.iter().map(|l| {
                    Row::new([
                        date_cell(l.date),
                        Cell::from(l.text.clone()),
                        Cell::from(l.charged),
                        Cell::from(l.paid),
                        Cell::from(l.balance),
                    ])
                }))
                .empty_text(tr("За период операций нет", "Nothing in this period")),
            ),
    ))
}

/// Every meter's field of the readings form, submitted at once: each filled field is one
/// reading; any refusal refuses them all (the error stays next to its meter's field and the
/// call writes nothing).
fn submit_readings(number: &str, form: &Params) -> Result<ActionOutcome> {
    let doc = visible_account(number)?;
    let names = service_names(&doc.community)?;
    let mut accepted = Vec::new();
    let mut flagged = false;
    for (i, meter) in doc.data.meters.iter().enumerate() {
        let field = format!("meter-{}", i + 1);
        let Some(value) = form.get(&field).map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        let submitted = accounts::submit_reading(
            number,
            accounts::ReadingInput {
                meter: meter.id.clone(),
                value: value.to_owned(),
                kind: ReadingKind::Normal,
                old_final: None,
            },
        )
        .map_err(|e| match e.field {
            Some(_) => Error::invalid(field.clone(), e.message),
            None => e,
        })?;
        flagged |= submitted.reading.flagged;
        accepted.push(service_name(&names, &meter.service));
    }
    if accepted.is_empty() {
        return Err(Error::invalid(
            "meter-1",
            tr(
                "Введите показание хотя бы одного счётчика",
                "enter the reading of at least one meter",
            ),
        ));
    }
    let mut notice = format!(
        "{} {}.",
        tr("Показания приняты:", "Readings accepted:"),
        accepted.join(", ")
    );
    if flagged {
        notice.push(' ');
        notice.push_str(tr(
            "Расход намного выше обычного — оператор проверит показания до счёта.",
            "The volume is far above usual: an operator checks it before the bill.",
        ));
    }
    Ok(ActionOutcome::redirect(
        Link::to(format!("account/{number}"), ""),
        notice,
    ))
}

/// The actions of an account's pages (`rest` is the route after `account/{n}`).
pub fn act(number: &str, rest: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match (rest, action) {
        // Several writes: an error must reach the host as an error, so nothing is kept.
        ([], "submit-readings") => submit_readings(number, form),
        ([] | ["bill", _], "pay") => {
            let doc = visible_account(number)?;
            let settings = Settings::load()?;
            let started = checkout::start(&doc, &settings)?;
            // The host sends the browser to the provider's page (a granted outbound host).
            Ok(ActionOutcome::redirect_silently(Link::to(
                started.data.url,
                "",
            )))
        }
        _ => ActionOutcome::errors_next_to_fields(one_form(number, rest, action, form)),
    }
}

fn one_form(number: &str, rest: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match (rest, action) {
        (["meter-change"], "submit-reading") => {
            let kind = match form.require("kind")? {
                "replacement" => ReadingKind::Replacement,
                "rollover" => ReadingKind::Rollover,
                _ => ReadingKind::Normal,
            };
            let submitted = accounts::submit_reading(
                number,
                accounts::ReadingInput {
                    meter: form.require("meter")?.to_owned(),
                    value: form.require("value")?.to_owned(),
                    kind,
                    old_final: form
                        .get("old_final")
                        .filter(|v| !v.trim().is_empty())
                        .map(str::to_owned),
                },
            )?;
            let notice = if submitted.reading.flagged {
                tr(
                    "Показания приняты. Расход намного выше обычного — оператор проверит их.",
                    "Reading accepted. The volume is far above usual: an operator will check it.",
                )
            } else {
                tr("Показания приняты", "Reading accepted")
            };
            Ok(ActionOutcome::redirect(
                Link::to(format!("account/{number}"), ""),
                notice,
            ))
        }
        ([], "record-payment") => {
            let caller = crate::access::require_operator()?;
            let settings = Settings::load()?;
            let date = Date::parse_field("date", form.require("date")?)?;
            if date > ctx::today()? {
                return Err(Error::invalid(
                    "date",
                    tr("Дата оплаты в будущем", "the payment date is in the future"),
                ));
            }
            let amount = form
                .kopecks("amount")?
                .ok_or_else(|| Error::invalid("amount", tr("Укажите сумму", "give the amount")))?;
            let period = form
                .get("period")
                .filter(|p| !p.trim().is_empty())
                .map(|p| Period::parse_field("period", p))
                .transpose()?;
            let recorded = ledger::record(
                ledger::NewPayment {
                    source: PaymentSource::Manual,
                    reference: form.require("reference")?.to_owned(),
                    account_id: crate::access::account_id(number),
                    date,
                    amount,
                    period,
                    by: Some(caller.person_id),
                },
                &settings,
            )?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("account/{number}"), ""),
                if recorded.new {
                    format!(
                        "{} {}",
                        tr("Платёж записан:", "Payment recorded:"),
                        money_text(amount)
                    )
                } else {
                    tr(
                        "Этот платёж уже был записан",
                        "This payment was recorded before",
                    )
                    .to_owned()
                },
            ))
        }
        (["statement"], "statement") => Ok(ActionOutcome::redirect_silently(
            Link::to(format!("account/{number}/statement"), "")
                .param("from", form.get("from").unwrap_or_default())
                .param("to", form.get("to").unwrap_or_default()),
        )),
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}

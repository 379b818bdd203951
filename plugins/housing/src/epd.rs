//! The single payment document (ЕПД) of a bill — every field ПП 354 п.69 asks for — and its
//! payment QR code (ГОСТ Р 56042-2014), as JSON, as a printable page and as SVG.

use dvor_sdk::prelude::*;
use serde::Serialize;

use crate::billing::show_volume;
use crate::model::{Account, Bill, Line, Provider};
use crate::qr::{self, PaymentQr};

/// The payment document.
#[derive(Debug, Serialize)]
pub struct Epd {
    /// The payer's name.
    pub payer: String,
    /// The payer's address.
    pub address: String,
    /// The personal account number.
    pub account_number: String,
    /// The area, m².
    pub area: String,
    /// People registered.
    pub residents: i64,
    /// The provider: name, bank details, address, phone, e-mail.
    pub provider: Option<Provider>,
    /// The billing month, `MM.YYYY`.
    pub month: String,
    /// The services.
    pub lines: Vec<Line>,
    /// Recalculations with reasons.
    pub recalculations: Vec<crate::model::Recalculation>,
    /// Charged this month.
    pub charged: Kopecks,
    /// Debt from earlier periods (0 if none).
    pub debt_before: Kopecks,
    /// Advance from earlier periods (0 if none).
    pub advance_before: Kopecks,
    /// Penalties this month.
    pub penalty: Kopecks,
    /// Total to pay.
    pub to_pay: Kopecks,
    /// Pay by.
    pub due: Date,
    /// The QR code's text; none without the provider's bank details or nothing to pay.
    pub qr_payload: Option<String>,
    /// Why there is no QR code.
    pub qr_missing: Option<String>,
}

/// The payer's surname for the QR code: the first word of the payer's name.
fn last_name(payer: &str) -> String {
    payer
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The payment document of `bill` on `account`.
pub fn build(account: &Account, bill: &Bill, provider: Option<Provider>) -> Epd {
    let mut qr_missing = None;
    let qr_payload = match &provider {
        Some(p) if bill.to_pay > Kopecks::ZERO => {
            let purpose = format!(
                "{} {}, {} {}",
                "Оплата ЖКУ за",
                bill.period.dotted(),
                "л/с",
                account.number
            );
            match qr::payload(&PaymentQr {
                payee: &p.payee,
                sum: bill.to_pay,
                purpose,
                personal_account: account.number.clone(),
                period_month: bill.period.month,
                period_year: bill.period.year,
                last_name: last_name(&account.payer),
                payer_address: account.address.clone(),
            }) {
                Ok(text) => Some(text),
                Err(e) => {
                    qr_missing = Some(e);
                    None
                }
            }
        }
        Some(_) => {
            qr_missing = Some(tr("Платить нечего", "nothing to pay").to_owned());
            None
        }
        None => {
            qr_missing = Some(
                tr(
                    "Управляющая организация не указала реквизиты",
                    "the provider's bank details are not set",
                )
                .to_owned(),
            );
            None
        }
    };
    Epd {
        payer: account.payer.clone(),
        address: account.address.clone(),
        account_number: account.number.clone(),
        area: crate::model::Decimal::new(account.area, 2).to_string(),
        residents: account.residents,
        provider,
        month: bill.period.dotted(),
        lines: bill.lines.clone(),
        recalculations: bill.recalculations.clone(),
        charged: bill.principal,
        debt_before: Kopecks(bill.balance_before.0.max(0)),
        advance_before: Kopecks((-bill.balance_before.0).max(0)),
        penalty: bill.penalty,
        to_pay: bill.to_pay,
        due: bill.due,
        qr_payload,
        qr_missing,
    }
}

/// The ЕПД as page sections (printable from the browser).
pub fn sections(epd: &Epd, qr_link: Option<Link>) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut payer = Section::titled(tr("Плательщик", "Payer")).fields([
        (tr("Плательщик", "Payer"), Cell::from(epd.payer.clone())),
        (tr("Адрес", "Address"), Cell::from(epd.address.clone())),
        (
            tr("Лицевой счёт", "Personal account"),
            Cell::from(epd.account_number.clone()),
        ),
        (tr("Площадь, м²", "Area, m²"), Cell::from(epd.area.clone())),
        (
            tr("Зарегистрировано", "Registered residents"),
            Cell::from(epd.residents),
        ),
        (
            tr("Расчётный период", "Billing month"),
            Cell::from(epd.month.clone()),
        ),
    ]);
    if epd.provider.is_none() {
        payer = payer.notice(
            Tone::Warning,
            tr(
                "Реквизиты получателя не указаны",
                "the provider's details are not set",
            ),
        );
    }
    sections.push(payer);
    if let Some(p) = &epd.provider {
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
    let rows = epd.lines.iter().map(|l| {
        Row::new([
            Cell::from(tr(&l.name_ru, &l.name_en).to_owned()),
            Cell::from(l.unit.clone()),
            Cell::from(show_volume(l.volume)),
            Cell::from(l.tariff.clone()),
            Cell::from(l.method.label(ctx::is_english())),
            Cell::from(l.coefficient.clone().unwrap_or_default()),
            Cell::from(l.above_norm),
            Cell::from(l.amount),
        ])
    });
    sections.push(
        Section::titled(tr("Начисления", "Charges")).table(
            Table::new([
                Column::text(tr("Услуга", "Service")),
                Column::text(tr("Ед.", "Unit")),
                Column::numeric(tr("Объём", "Volume")),
                Column::numeric(tr("Тариф, ₽", "Tariff, ₽")),
                Column::text(tr("Как", "How")),
                Column::numeric(tr("Повыш. коэф.", "Raising coef.")),
                Column::numeric(tr("Сверх норматива", "Above the norm")),
                Column::numeric(tr("Сумма", "Amount")),
            ])
            .rows(rows)
            .empty_text(tr("Начислений нет", "No charges")),
        ),
    );
    if !epd.recalculations.is_empty() {
        sections.push(
            Section::titled(tr("Перерасчёты", "Recalculations")).table(
                Table::new([
                    Column::text(tr("Причина", "Reason")),
                    Column::numeric(tr("Сумма", "Amount")),
                ])
                .rows(epd.recalculations.iter().map(|r| {
                    Row::new([
                        Cell::from(tr(&r.reason_ru, &r.reason_en).to_owned()),
                        Cell::from(r.amount),
                    ])
                })),
            ),
        );
    }
    let mut total = Section::titled(tr("Итого", "Total")).fields([
        (
            tr("Начислено за месяц", "Charged this month"),
            Cell::from(epd.charged),
        ),
        (
            tr("Долг прошлых периодов", "Debt from earlier periods"),
            Cell::from(epd.debt_before),
        ),
        (tr("Аванс", "Advance"), Cell::from(epd.advance_before)),
        (tr("Пени", "Penalties"), Cell::from(epd.penalty)),
        (tr("Итого к оплате", "Total to pay"), Cell::from(epd.to_pay)),
        (tr("Оплатить до", "Pay by"), Cell::from(epd.due.to_string())),
    ]);
    match (&epd.qr_payload, qr_link) {
        (Some(payload), link) => {
            total = total.qr(
                payload.clone(),
                tr(
                    "QR-код для оплаты: наведите камеру приложения банка",
                    "Payment QR code: point your banking app's camera at it",
                ),
            );
            if let Some(link) = link {
                total = total.links([link]);
            }
        }
        _ => {
            if let Some(why) = &epd.qr_missing {
                total = total.notice(
                    Tone::Info,
                    format!("{} {why}", tr("QR-кода нет:", "No QR code:")),
                );
            }
        }
    }
    sections.push(total);
    sections
}

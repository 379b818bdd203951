//! The single payment document (ЕПД) of a bill — every field ПП 354 п.69 asks for — and the
//! payment QR code (ГОСТ Р 56042-2014) of what the account owes now, as JSON and as SVG. The
//! pages draw both (`pages::account`).
//!
//! A bill is the document of its month: what was charged for it, the penalties it carries, the
//! debt before it and the total on the day it was issued. What to pay *now* is not a bill's: it
//! is the account's ([`AmountDue`]), so a month billed and unpaid is asked for once, on the card
//! and in its QR code, and paying it lowers what every later page asks.

use dvor_sdk::prelude::*;
use serde::Serialize;

use crate::due::AmountDue;
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
    /// Total to pay on the day the bill was issued (with the debt from earlier periods).
    pub to_pay: Kopecks,
    /// Pay by.
    pub due: Date,
    /// The day it was issued.
    pub issued: Date,
    /// What the account owes now, every month and the penalties: the amount of the QR code.
    pub pay_now: Kopecks,
    /// The QR code's text (for `pay_now`); none without the provider's bank details or with
    /// nothing to pay.
    pub qr_payload: Option<String>,
    /// Why there is no QR code.
    pub qr_missing: Option<String>,
}

/// The payment QR code of what an account owes now, as a page draws it: the ГОСТ Р 56042
/// text and what it says for people who cannot see it. It scans from at least
/// [`QR_MIN_SCREEN_PX`] CSS pixels on a screen and [`QR_MIN_PRINT_MM`] on paper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QrImage {
    /// The text the code carries.
    pub payload: String,
    /// The image's alternative text.
    pub alt: String,
}

/// The smallest side of the QR code on a screen, CSS pixels: a phone camera reads a
/// 300-byte level M code (about 77 modules) from it at arm's length.
pub const QR_MIN_SCREEN_PX: u32 = 240;
/// The smallest side of the printed QR code, millimetres (banks' guidance for ЕПД).
pub const QR_MIN_PRINT_MM: u32 = 35;

/// The payment QR code for what `account` owes now (`due`), paid to `provider`: the sum of
/// every unpaid month and the penalties, for the latest month billed. Why there is none when
/// there is none.
pub fn payment_qr(
    account: &Account,
    provider: Option<&Provider>,
    due: &AmountDue,
) -> Result<QrImage, String> {
    let Some(provider) = provider else {
        return Err(tr(
            "Управляющая организация не указала реквизиты",
            "the provider's bank details are not set",
        )
        .to_owned());
    };
    if due.is_settled() {
        return Err(tr("Платить нечего", "nothing to pay").to_owned());
    }
    let months = match (due.months.first(), due.months.last()) {
        (Some(first), Some(last)) if first.period != last.period => {
            format!("{}–{}", first.period.dotted(), last.period.dotted())
        }
        (Some(only), _) => only.period.dotted(),
        _ => due.last_billed.map(|p| p.dotted()).unwrap_or_default(),
    };
    let purpose = format!("Оплата ЖКУ за {months}, л/с {}", account.number);
    let period = due.last_billed;
    let payload = qr::payload(&PaymentQr {
        payee: &provider.payee,
        sum: due.total,
        purpose,
        personal_account: account.number.clone(),
        period_month: period.map_or(0, |p| p.month),
        period_year: period.map_or(0, |p| p.year),
        last_name: last_name(&account.payer),
        payer_address: account.address.clone(),
    })?;
    Ok(QrImage {
        payload,
        alt: format!(
            "{} {}, {} {}",
            tr(
                "QR-код для оплаты в приложении банка:",
                "QR code to pay in a banking app:"
            ),
            crate::show::money_text(due.total),
            tr("лицевой счёт", "account"),
            account.number
        ),
    })
}

/// The payer's surname for the QR code: the first word of the payer's name.
fn last_name(payer: &str) -> String {
    payer
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The payment document of `bill` on `account`, with the QR code of what the account owes now
/// (`due`).
pub fn build(account: &Account, bill: &Bill, provider: Option<Provider>, due: &AmountDue) -> Epd {
    let (qr_payload, qr_missing) = match payment_qr(account, provider.as_ref(), due) {
        Ok(image) => (Some(image.payload), None),
        Err(why) => (None, Some(why)),
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
        issued: bill.issued,
        pay_now: due.total,
        qr_payload,
        qr_missing,
    }
}

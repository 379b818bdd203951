//! «Оплатить» through the payment provider the operator configured
//! (`settings.payment_provider`): the plugin creates a payment there for what the account owes
//! now, the payer is sent to the provider's page, and the provider's signed notification
//! (`payments/webhook`, see [`notice`]) records the payment exactly once and marks the checkout
//! paid. The protocol is in `docs/housing.md`.

use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::due::AmountDue;
use crate::model::{
    Account, CHECKOUTS, Checkout, CheckoutStatus, PaymentProvider, PaymentSource, Period, Settings,
};

/// How long the provider may take to create a payment (the plugin's deadline caps it).
const CREATE_TIMEOUT_MS: u32 = 5_000;

/// What the provider answers when a payment is created.
#[derive(Debug, Deserialize)]
struct Created {
    /// Its id of the payment.
    id: String,
    /// Its page to send the payer to.
    url: String,
}

/// Percent-encode a path segment or query value (everything but RFC 3986's unreserved).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The provider, if «Оплатить» is offered here.
pub fn provider(settings: &Settings) -> Option<&PaymentProvider> {
    Some(&settings.payment_provider).filter(|p| p.is_configured())
}

/// The account page a payer comes back to after checkout `order`.
pub fn return_path(house: &str, number: &str, order: &str) -> String {
    format!(
        "/c/{}/p/housing/account/{}?payment={}",
        encode(house),
        encode(number),
        encode(order)
    )
}

/// Start paying what account `doc` owes now at the provider: create the payment there and
/// keep it as a checkout (its id is the order sent to the provider). The payer goes to the
/// checkout's `url`.
pub fn start(doc: &Doc<Account>, settings: &Settings) -> Result<Doc<Checkout>> {
    let caller = ctx::require_caller()?;
    let provider = provider(settings).ok_or_else(|| {
        Error::conflict(tr(
            "Онлайн-оплата не настроена: оплатите по реквизитам платёжного документа",
            "online payment is not set up: pay by the bank details of the payment document",
        ))
    })?;
    let due = AmountDue::of(&doc.data, ctx::today()?);
    if due.is_settled() {
        return Err(Error::conflict(tr(
            "Платить нечего: долга нет",
            "nothing to pay: there is no debt",
        )));
    }
    let now = ctx::now();
    let order = format!("{}-{}-{now}", doc.community, doc.data.number);
    let site = provider.site_url.trim_end_matches('/');
    let months: Vec<String> = due.months.iter().map(|m| m.period.dotted()).collect();
    let description = format!(
        "Оплата ЖКУ, л/с {}{}",
        doc.data.number,
        if months.is_empty() {
            String::new()
        } else {
            format!(", {}", months.join(", "))
        }
    );
    let body = serde_json::json!({
        "order": order,
        "amount": due.total,
        "currency": "RUB",
        "description": description,
        "account": doc.data.number,
        "house": doc.community,
        "period": due.last_billed,
        "return_url": format!("{site}{}", return_path(&doc.community, &doc.data.number, &order)),
        "notify_url": format!("{site}/api/c/{}/p/housing/payments/webhook", encode(&doc.community)),
    });
    let url = format!("{}/payments", provider.api_url.trim_end_matches('/'));
    let mut request = dvor_sdk::http::Request::new("POST", url)
        .header("idempotency-key", order.as_str())
        .json(&body)?
        .timeout_ms(CREATE_TIMEOUT_MS);
    if !provider.api_key.is_empty() {
        request = request.header("authorization", format!("Bearer {}", provider.api_key));
    }
    let unavailable = |why: String| {
        log::warn(format!("payment provider: {why}"));
        Error::unavailable(tr(
            "Платёжный сервис сейчас не отвечает — попробуйте через несколько минут",
            "the payment service does not answer now — try again in a few minutes",
        ))
    };
    let answer = dvor_sdk::http::send(&request).map_err(|e| unavailable(e.message))?;
    if !answer.is_success() {
        return Err(unavailable(format!("answered {}", answer.status)));
    }
    let created: Created = answer
        .json()
        .map_err(|e| unavailable(format!("unreadable answer: {}", e.message)))?;
    if !(created.url.starts_with("https://") || created.url.starts_with("http://")) {
        return Err(unavailable(format!(
            "not a page to send the payer to: {}",
            created.url
        )));
    }
    let checkout = Checkout {
        account: doc.id.clone(),
        number: doc.data.number.clone(),
        amount: due.total,
        period: due.last_billed,
        provider_id: created.id,
        url: created.url,
        status: CheckoutStatus::Started,
        by: caller.person_id,
        at: now,
    };
    CHECKOUTS.put(&doc.community, &order, &checkout, Some(0))
}

/// A provider's notification of a payment: `{"id", "account", "amount" (kopecks), "date",
/// "period"?, "order"?, "status"?}`. Without `order` it is a payment made elsewhere (the
/// provider's own page, a terminal); with it, it must match the checkout.
#[derive(Debug, Deserialize)]
pub struct Notice {
    /// The provider's id of the payment: the idempotency key.
    pub id: String,
    /// The account number.
    pub account: String,
    /// Kopecks.
    pub amount: i64,
    /// The day paid.
    pub date: Date,
    /// The month the payer named.
    #[serde(default)]
    pub period: Option<String>,
    /// The checkout it pays.
    #[serde(default)]
    pub order: Option<String>,
    /// `succeeded` (the default) records the payment; `canceled` or `failed` marks the
    /// checkout and records nothing.
    #[serde(default)]
    pub status: Option<String>,
}

/// What a notification did.
pub enum Outcome {
    /// The payment is recorded (or was, for a repeated notification).
    Paid(crate::ledger::Recorded),
    /// The provider says the payment did not go through.
    Canceled,
}

/// Apply a provider's (already authenticated) notification.
pub fn notice(notice: Notice, settings: &Settings) -> Result<Outcome> {
    let account_id = crate::access::account_id(&notice.account);
    let checkout = match notice.order.as_deref() {
        Some(order) => {
            let doc = CHECKOUTS.get(order)?.ok_or_else(|| {
                Error::invalid(
                    "order",
                    tr("Нет такого платежа", "no payment with this order"),
                )
            })?;
            if doc.data.account != account_id {
                return Err(Error::invalid(
                    "account",
                    tr(
                        "Платёж начат по другому лицевому счёту",
                        "the payment was started for another account",
                    ),
                ));
            }
            Some(doc)
        }
        None => None,
    };
    let succeeded = notice
        .status
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("succeeded"));
    if !succeeded {
        if let Some(doc) = checkout
            && doc.data.status == CheckoutStatus::Started
        {
            let mut data = doc.data.clone();
            data.status = CheckoutStatus::Canceled;
            CHECKOUTS.put(&doc.community, &doc.id, &data, Some(doc.version))?;
        }
        return Ok(Outcome::Canceled);
    }
    if let Some(doc) = &checkout
        && doc.data.amount.0 != notice.amount
    {
        return Err(Error::invalid(
            "amount",
            tr(
                "Сумма не совпадает с суммой платежа",
                "the amount differs from the payment's",
            ),
        ));
    }
    let recorded = crate::ledger::record(
        crate::ledger::NewPayment {
            source: PaymentSource::Webhook,
            reference: notice.id,
            account_id,
            date: notice.date,
            amount: Kopecks(notice.amount),
            period: match notice.period {
                Some(p) => Some(Period::parse_field("period", &p)?),
                None => checkout.as_ref().and_then(|d| d.data.period),
            },
            by: None,
        },
        settings,
    )?;
    if let Some(doc) = checkout
        && doc.data.status != CheckoutStatus::Paid
    {
        let mut data = doc.data.clone();
        data.status = CheckoutStatus::Paid;
        CHECKOUTS.put(&doc.community, &doc.id, &data, Some(doc.version))?;
    }
    Ok(Outcome::Paid(recorded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_is_an_encoded_page_of_the_account() {
        assert_eq!(
            return_path("demo-house-1", "Н1", "demo-house-1-Н1-5"),
            "/c/demo-house-1/p/housing/account/%D0%9D1?payment=demo-house-1-%D0%9D1-5"
        );
    }
}

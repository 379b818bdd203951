//! What the plugin stores, and its settings.
//!
//! - `purchases`: a joint purchase with its articles, terms, phase, the running sums of what
//!   was ordered per article (written with the version it was read at, so concurrent orders
//!   are serialised on it), and what the end, the receiving and the settlement produced.
//! - `orders`: one household's order of one purchase (`{purchase}|{household}`).
//! - `households`: one account per unit (flat or plot), id the unit's id, with its ledger.
//! - `payees`: who a community's purchases are paid to, id the community's.
//! - `items`, `bookings`: shared equipment and its bookings, each with its deposit ledger.
//! - `listings`, `produce_orders`: produce between neighbours.
//! - `certificates`: the SNT's produce certificates, from `snt.certificate_issued`.

use std::collections::BTreeMap;

use dvor_sdk::payment_qr::Payee;
use dvor_sdk::prelude::*;
use dvor_sdk::{Decimal, Error};
use serde::{Deserialize, Serialize};

use crate::equipment::{BookingState, DateRange, ItemPolicy};
use crate::ledger::Ledger;
use crate::ordering::Allocation;
use crate::purchase::{Article, PurchaseTerms};

/// Purchases.
pub const PURCHASES: Collection<Purchase> = Collection::new("purchases");
/// Households' orders.
pub const ORDERS: Collection<HouseholdOrder> = Collection::new("orders");
/// Household accounts.
pub const HOUSEHOLDS: Collection<Household> = Collection::new("households");
/// Payees by community.
pub const PAYEES: Collection<Payee> = Collection::new("payees");
/// Shared equipment.
pub const ITEMS: Collection<Item> = Collection::new("items");
/// Bookings of equipment.
pub const BOOKINGS: Collection<Booking> = Collection::new("bookings");
/// Produce listings.
pub const LISTINGS: Collection<Listing> = Collection::new("listings");
/// Orders of produce.
pub const PRODUCE_ORDERS: Collection<ProduceOrder> = Collection::new("produce_orders");
/// Produce certificates.
pub const CERTIFICATES: Collection<Certificate> = Collection::new("certificates");

/// The plugin's settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Seed the demo.
    pub demo: bool,
    /// Roles that may open purchases; empty: anyone with a unit here.
    pub organizer_roles: Vec<String>,
    /// The box-fill phase after the end, hours.
    pub box_fill_hours: u32,
    /// Days to pay after a purchase is charged.
    pub payment_days: u32,
    /// A reminder this many days before the deadline.
    pub remind_days_before: u32,
    /// Who is paid when the community set no payee (`{}`, the manifest's default, for none).
    #[serde(deserialize_with = "payee_setting")]
    pub payee: Option<Payee>,
}

/// The `payee` setting: none when it is empty or has no name; the fields it leaves out blank.
fn payee_setting<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Payee>, D::Error> {
    let value = Option::<serde_json::Map<String, serde_json::Value>>::deserialize(deserializer)?;
    let Some(fields) = value else {
        return Ok(None);
    };
    let payee = payee_from(fields).map_err(serde::de::Error::custom)?;
    Ok(Some(payee).filter(|p| !p.name.trim().is_empty()))
}

/// A payee from JSON fields, those left out blank (INN and KPP are optional).
pub fn payee_from(
    mut fields: serde_json::Map<String, serde_json::Value>,
) -> std::result::Result<Payee, serde_json::Error> {
    for key in [
        "name",
        "bank_name",
        "bic",
        "account",
        "corr_account",
        "inn",
        "kpp",
    ] {
        fields
            .entry(key)
            .or_insert_with(|| serde_json::Value::String(String::new()));
    }
    serde_json::from_value(serde_json::Value::Object(fields))
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            demo: false,
            organizer_roles: Vec::new(),
            box_fill_hours: 24,
            payment_days: 5,
            remind_days_before: 1,
            payee: None,
        }
    }
}

impl Settings {
    /// The settings of the call's community.
    pub fn load() -> Result<Settings> {
        let mut settings: Settings = dvor_sdk::settings()?;
        if settings.payee.as_ref().is_some_and(|p| p.name.is_empty()) {
            settings.payee = None;
        }
        Ok(settings)
    }
}

/// Where a purchase stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseState {
    /// The organizer is filling in the articles; nobody orders yet.
    Draft,
    /// Orders are taken until the end date.
    Open,
    /// After the end: only changes that fill boxes.
    BoxFill,
    /// Boxes counted; the order went to the supplier.
    Sent,
    /// Below the supplier's minimum at the end: not sent, nobody charged.
    NotReached,
    /// What arrived is recorded and shared out.
    Received,
    /// Every household is charged.
    Settled,
    /// Done.
    Closed,
    /// Called off; nobody charged.
    Cancelled,
}

impl PurchaseState {
    /// Its name in the call's language.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => tr("Готовится", "Being prepared"),
            Self::Open => tr("Идёт сбор заказов", "Taking orders"),
            Self::BoxFill => tr("Добор коробов", "Filling boxes"),
            Self::Sent => tr("Заказано у поставщика", "Ordered from the supplier"),
            Self::NotReached => tr("Не набран минимум", "Minimum not reached"),
            Self::Received => tr("Товар получен", "Goods received"),
            Self::Settled => tr("Начислено, идёт оплата", "Charged, being paid"),
            Self::Closed => tr("Закрыта", "Closed"),
            Self::Cancelled => tr("Отменена", "Cancelled"),
        }
    }

    /// Its stored (indexed) name.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::BoxFill => "box_fill",
            Self::Sent => "sent",
            Self::NotReached => "not_reached",
            Self::Received => "received",
            Self::Settled => "settled",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }

    /// A colour for it.
    pub fn tone(self) -> Tone {
        match self {
            Self::Open | Self::BoxFill => Tone::Info,
            Self::Sent | Self::Received => Tone::Neutral,
            Self::Settled => Tone::Warning,
            Self::Closed => Tone::Success,
            Self::NotReached | Self::Cancelled => Tone::Danger,
            Self::Draft => Tone::Neutral,
        }
    }
}

/// Σ quantities and Σ tolerances ordered of one article.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The article's code.
    pub article: String,
    /// Σ quantities.
    pub quantity: u64,
    /// Σ tolerances.
    pub tolerance: u64,
}

/// One line of the order to the supplier, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndLine {
    /// The article's code.
    pub article: String,
    /// Boxes.
    pub boxes: u64,
    /// Units.
    pub units: u64,
    /// Price per unit.
    pub price: Kopecks,
    /// units × price.
    pub amount: Kopecks,
    /// Who gets what, by household.
    pub allocations: Vec<Allocation>,
}

/// What arrived of an article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivedLine {
    /// The article's code.
    pub article: String,
    /// Units ordered.
    pub ordered: u64,
    /// Units handed out.
    pub arrived: u64,
    /// Units short.
    pub shortage: u64,
    /// Units above the order.
    pub surplus: u64,
    /// Who gets what, by household.
    pub allocations: Vec<Allocation>,
}

/// A household's charge for a purchase, as stored (the parts rounded for reading; the amount
/// rounded once from the exact sum).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeRecord {
    /// The household (unit id).
    pub household: String,
    /// How people call it.
    pub label: String,
    /// Goods at the supplier's prices.
    pub goods: Kopecks,
    /// The markup.
    pub markup: Kopecks,
    /// The share of transport.
    pub transport: Kopecks,
    /// The charge.
    pub amount: Kopecks,
}

/// A joint purchase.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Purchase {
    /// What people call it.
    pub title: String,
    /// The supplier.
    pub supplier: String,
    /// Who opened it (person id). Indexed.
    pub organizer: String,
    /// Their name.
    pub organizer_name: String,
    /// The articles.
    pub articles: Vec<Article>,
    /// Minimum, markup, transport.
    pub terms: PurchaseTerms,
    /// The last day orders are taken. Indexed.
    pub ends_on: Date,
    /// The box-fill phase, hours.
    pub box_fill_hours: u32,
    /// When the box-fill phase ends (ms), once it began.
    #[serde(default)]
    pub box_fill_until: Option<i64>,
    /// Where the goods are handed out.
    pub pickup_place: String,
    /// When.
    pub pickup_time: String,
    /// Where it stands (indexed by [`PurchaseState::code`]).
    pub state: PurchaseState,
    /// Σ ordered per article.
    #[serde(default)]
    pub tally: Vec<Tally>,
    /// The order to the supplier, once sent.
    #[serde(default)]
    pub end_lines: Vec<EndLine>,
    /// What the boxed orders came to at the end.
    #[serde(default)]
    pub end_total: Kopecks,
    /// The order to the supplier as a CSV file.
    #[serde(default)]
    pub supplier_file: Option<String>,
    /// What arrived.
    #[serde(default)]
    pub arrived: Vec<ArrivedLine>,
    /// kg weighed per `household|article`, for weighed goods.
    #[serde(default)]
    pub weights: BTreeMap<String, Decimal>,
    /// The charges.
    #[serde(default)]
    pub charges: Vec<ChargeRecord>,
    /// Σ goods × (1 + markup) + transport, rounded once.
    #[serde(default)]
    pub expected: Kopecks,
    /// What rounding left over against the charges.
    #[serde(default)]
    pub remainder: Kopecks,
    /// The payment deadline, once charged.
    #[serde(default)]
    pub pay_by: Option<Date>,
    /// When it was opened (ms).
    pub created: i64,
}

impl Purchase {
    /// The article with `code`.
    pub fn article(&self, code: &str) -> Option<&Article> {
        self.articles.iter().find(|a| a.code == code)
    }

    /// Σ ordered of article `code`.
    pub fn tally_of(&self, code: &str) -> (u64, u64) {
        self.tally
            .iter()
            .find(|t| t.article == code)
            .map_or((0, 0), |t| (t.quantity, t.tolerance))
    }

    /// Change Σ ordered of `code` by a household's old and new line.
    pub fn retally(&mut self, code: &str, old: (u32, u32), new: (u32, u32)) {
        let entry = match self.tally.iter().position(|t| t.article == code) {
            Some(i) => &mut self.tally[i],
            None => {
                self.tally.push(Tally {
                    article: code.to_owned(),
                    ..Tally::default()
                });
                let last = self.tally.len() - 1;
                &mut self.tally[last]
            }
        };
        entry.quantity = entry.quantity - u64::from(old.0) + u64::from(new.0);
        entry.tolerance = entry.tolerance - u64::from(old.1) + u64::from(new.1);
    }

    /// The ledger reference of its charges.
    pub fn reference(id: &str) -> String {
        format!("purchase:{id}")
    }
}

/// One article of a household's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedLine {
    /// The article's code.
    pub article: String,
    /// Units for sure.
    pub quantity: u32,
    /// Units more to fill a box.
    pub tolerance: u32,
    /// When first ordered (ms): earlier orders are served first.
    pub placed_at: i64,
}

/// A household's order of a purchase; id `{purchase}|{household}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HouseholdOrder {
    /// The purchase. Indexed.
    pub purchase: String,
    /// The household (unit id). Indexed.
    pub household: String,
    /// How people call it.
    pub label: String,
    /// Who ordered last (person id). Indexed.
    pub person: String,
    /// Their name.
    pub person_name: String,
    /// Everyone who ordered for it.
    #[serde(default)]
    pub people: Vec<String>,
    /// The articles.
    pub lines: Vec<OrderedLine>,
}

impl HouseholdOrder {
    /// The id of `household`'s order of `purchase`.
    pub fn id(purchase: &str, household: &str) -> String {
        format!("{purchase}|{household}")
    }

    /// Its line of `article`: (quantity, tolerance).
    pub fn line(&self, article: &str) -> (u32, u32) {
        self.lines
            .iter()
            .find(|l| l.article == article)
            .map_or((0, 0), |l| (l.quantity, l.tolerance))
    }
}

/// A household's account: one per unit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Household {
    /// The unit's id.
    pub unit: String,
    /// How people call it: `участок 3, СНТ «Рябинка»`.
    pub label: String,
    /// Its entries.
    pub ledger: Ledger,
    /// Σ of the ledger: positive when it owes. Indexed.
    pub balance: Kopecks,
    /// When what it owes is due, while it owes. Indexed.
    #[serde(default)]
    pub pay_by: Option<Date>,
    /// The deadline it was last reminded of.
    #[serde(default)]
    pub reminded_for: Option<Date>,
    /// The deadline it was dropped from open purchases for.
    #[serde(default)]
    pub dropped_for: Option<Date>,
    /// The people who ordered for it.
    #[serde(default)]
    pub people: Vec<String>,
}

/// Who owns an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// The community itself (the SNT), run by its chairman and board.
    Community {
        /// Its name.
        name: String,
    },
    /// A neighbour.
    Person {
        /// Their id.
        id: String,
        /// Their name.
        name: String,
    },
}

impl Owner {
    /// Its indexed value: the person's id, or `community`.
    pub fn key(&self) -> String {
        match self {
            Owner::Community { .. } => "community".into(),
            Owner::Person { id, .. } => id.clone(),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            Owner::Community { name } | Owner::Person { name, .. } => name,
        }
    }
}

/// A shared item.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Item {
    /// What it is.
    pub name: String,
    /// About it.
    pub description: String,
    /// Its photo.
    #[serde(default)]
    pub photo: Option<String>,
    /// Who owns it.
    pub owner: Owner,
    /// Indexed: [`Owner::key`].
    pub owner_key: String,
    /// The owner's rules.
    pub policy: ItemPolicy,
    /// Whether it can be booked now.
    pub available: bool,
    /// When it was listed (ms).
    pub created: i64,
}

/// A damage ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Damage {
    /// What is damaged.
    pub note: String,
    /// The assessed cost.
    pub amount: Kopecks,
    /// A photo.
    #[serde(default)]
    pub photo: Option<String>,
    /// When (ms).
    pub at: i64,
}

/// A photo and note taken at check-out or return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// When (ms).
    pub at: i64,
    /// The state of the item.
    pub note: String,
    /// Its photo.
    #[serde(default)]
    pub photo: Option<String>,
}

/// A booking of an item.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Booking {
    /// The item.
    pub item: String,
    /// Its name.
    pub item_name: String,
    /// The owner's key ([`Owner::key`]). Indexed.
    pub owner: String,
    /// Who borrows (person id). Indexed.
    pub borrower: String,
    /// Their name.
    pub borrower_name: String,
    /// The days.
    pub range: DateRange,
    /// Where it stands.
    pub state: BookingState,
    /// Indexed: `held`, `confirmed`, `out`, `returned`, `cancelled`.
    pub status: String,
    /// The policy when booked.
    pub policy: ItemPolicy,
    /// Taken out.
    #[serde(default)]
    pub checkout: Option<Handover>,
    /// Brought back.
    #[serde(default)]
    pub returned: Option<Handover>,
    /// The late fine, once returned.
    #[serde(default)]
    pub fine: Kopecks,
    /// A damage ticket.
    #[serde(default)]
    pub damage: Option<Damage>,
    /// The deposit's own ledger: paid in, fines and damage, refunded.
    pub deposit: Ledger,
    /// Whether the deposit is settled (refunded less fines and damage).
    #[serde(default)]
    pub deposit_settled: bool,
    /// What fines and damage exceed the deposit by.
    #[serde(default)]
    pub still_owed: Kopecks,
    /// Why it was cancelled or refused.
    #[serde(default)]
    pub cancel_reason: Option<String>,
    /// When it was made (ms).
    pub created: i64,
}

/// The indexed status of a booking state.
pub fn booking_status(state: &BookingState) -> &'static str {
    match state {
        BookingState::Held { .. } => "held",
        BookingState::Confirmed => "confirmed",
        BookingState::CheckedOut => "out",
        BookingState::Returned { .. } => "returned",
        BookingState::Cancelled => "cancelled",
    }
}

/// A grower's produce listing.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Listing {
    /// The grower (person id). Indexed.
    pub grower: String,
    /// Their name.
    pub grower_name: String,
    /// What it is.
    pub title: String,
    /// The unit: `кг`, `шт`, `банка`.
    pub unit: String,
    /// Price per unit.
    pub price: Kopecks,
    /// How much was offered.
    pub offered: Decimal,
    /// How much is left to order.
    pub left: Decimal,
    /// Where to pick it up.
    pub pickup_place: String,
    /// When.
    pub pickup_time: String,
    /// Whether it takes orders. Indexed.
    pub open: bool,
    /// When listed (ms).
    pub created: i64,
}

/// Where a produce order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProduceState {
    /// Waiting for the grower.
    Placed,
    /// The grower will have it ready.
    Confirmed,
    /// Picked up: the order is closed.
    PickedUp,
    /// The grower declined it.
    Declined,
    /// The buyer called it off.
    Cancelled,
}

impl ProduceState {
    /// Its name in the call's language.
    pub fn label(self) -> &'static str {
        match self {
            Self::Placed => tr("Ждёт подтверждения", "Waiting for the grower"),
            Self::Confirmed => tr("Подтверждён", "Confirmed"),
            Self::PickedUp => tr("Получен", "Picked up"),
            Self::Declined => tr("Отклонён", "Declined"),
            Self::Cancelled => tr("Отменён", "Cancelled"),
        }
    }
}

/// A rating one side gives the other, once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// 1–5.
    pub stars: u8,
    /// A word about it.
    pub comment: String,
    /// When (ms).
    pub at: i64,
}

/// An order of produce.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProduceOrder {
    /// The listing. Indexed.
    pub listing: String,
    /// What it is.
    pub title: String,
    /// The unit.
    pub unit: String,
    /// The grower (person id). Indexed.
    pub grower: String,
    /// Their name.
    pub grower_name: String,
    /// The buyer (person id). Indexed.
    pub buyer: String,
    /// Their name.
    pub buyer_name: String,
    /// How much.
    pub quantity: Decimal,
    /// What it costs: price × quantity, rounded once.
    pub amount: Kopecks,
    /// Where it stands.
    pub state: ProduceState,
    /// The buyer's rating of the grower.
    #[serde(default)]
    pub buyer_rating: Option<Rating>,
    /// The grower's rating of the buyer.
    #[serde(default)]
    pub grower_rating: Option<Rating>,
    /// When placed (ms).
    pub created: i64,
}

/// An SNT's produce certificate of a grower (from `snt.certificate_issued`); id the event's.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Certificate {
    /// The grower. Indexed.
    pub person: String,
    /// Its number, if the SNT gave one.
    #[serde(default)]
    pub number: Option<String>,
    /// What it certifies, if said.
    #[serde(default)]
    pub products: Option<String>,
    /// The last day it is valid, if it lapses.
    #[serde(default)]
    pub valid_until: Option<Date>,
    /// Who issued it: the SNT's name.
    #[serde(default)]
    pub issuer: Option<String>,
    /// When it was issued (ms).
    pub issued: i64,
}

/// `invalid` naming `field`.
pub fn invalid(field: &str, ru: &str, en: &str) -> Error {
    Error::invalid(field, tr(ru, en))
}

/// `not_found` in the call's language.
pub fn not_found(ru: &str, en: &str) -> Error {
    Error::not_found(tr(ru, en))
}

/// `conflict` in the call's language.
pub fn conflict(ru: &str, en: &str) -> Error {
    Error::conflict(tr(ru, en))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_payee_setting_is_no_payee_and_a_partial_one_leaves_the_rest_blank() {
        let none: Settings = serde_json::from_value(serde_json::json!({ "payee": {} })).unwrap();
        assert_eq!(none.payee, None);
        let partial: Settings = serde_json::from_value(
            serde_json::json!({ "payee": { "name": "СНТ «Рябинка»", "bic": "044525225" } }),
        )
        .unwrap();
        let payee = partial.payee.unwrap();
        assert_eq!(
            (payee.name.as_str(), payee.bic.as_str(), payee.kpp.as_str()),
            ("СНТ «Рябинка»", "044525225", "")
        );
    }
}

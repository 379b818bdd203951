//! Shared equipment around the rules of [`crate::equipment`]: an owner (the SNT, run by its
//! chairman and board, or a neighbour) lists an item with a policy; neighbours book date
//! ranges without overlap; holds lapse; the owner approves, hands it out with a photo of its
//! state, takes it back with another, fines lateness and may open a damage ticket; the
//! deposit is a ledger of its own, refunded less fines and damage.
//!
//! Bookings of an item are serialised on the item (written back with the version read), so
//! two people cannot book the same days at the same moment.

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::access::{is_manager, is_member};
use crate::equipment::{self, BookingRefusal, BookingState, DateRange, ItemPolicy};
use crate::ledger::{Ledger, PaymentMethod};
use crate::model::{
    BOOKINGS, Booking, Damage, Handover, ITEMS, Item, Owner, booking_status, conflict, invalid,
    not_found,
};
use crate::show::{day_text, money_text, page_path};

/// The event of a booking made.
pub const ITEM_BOOKED: &str = "coop.item_booked";
/// The event of an item returned.
pub const ITEM_RETURNED: &str = "coop.item_returned";
const ATTEMPTS: u32 = 20;

/// A new item, as the API and the form take it. Money in kopecks.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ItemInput {
    /// What it is.
    pub name: String,
    /// About it.
    pub description: String,
    /// A photo (a stored file's id).
    pub photo: Option<String>,
    /// Owned by the community rather than the caller (managers only).
    pub community_owned: bool,
    /// Deposit.
    pub deposit: i64,
    /// Fee per loan.
    pub fee: i64,
    /// The longest loan, days.
    pub longest_loan_days: Option<i64>,
    /// Members only.
    pub members_only: Option<bool>,
    /// Each booking needs the owner's approval.
    pub approval_needed: bool,
    /// The fine per started period of lateness.
    pub fine: Option<i64>,
    /// The fine's period, days.
    pub fine_period_days: Option<i64>,
    /// How long a hold lasts, hours.
    pub hold_hours: Option<i64>,
}

fn money(field: &str, kopecks: i64) -> Result<Kopecks> {
    if !(0..=1_000_000_000).contains(&kopecks) {
        return Err(invalid(
            field,
            "Сумма — от нуля до 10 000 000 ₽",
            "the amount is from zero to 10 000 000 ₽",
        ));
    }
    Ok(Kopecks(kopecks))
}

fn whole(field: &str, value: i64, min: i64, max: i64) -> Result<u32> {
    if value < min || value > max {
        return Err(Error::invalid(
            field,
            format!("{} {min} {} {max}", tr("От", "from"), tr("до", "to")),
        ));
    }
    Ok(value as u32)
}

/// A photo the caller attached: a stored image, or none.
pub fn check_photo(field: &str, photo: Option<&str>) -> Result<Option<String>> {
    let Some(id) = photo.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let info = dvor_sdk::files::info(id)?
        .ok_or_else(|| invalid(field, "Фото не найдено", "the photo was not found"))?;
    if !info.content_type.starts_with("image/") {
        return Err(invalid(field, "Это не фотография", "this is not a photo"));
    }
    Ok(Some(id.to_owned()))
}

/// List an item in the call's community.
pub fn add_item(input: &ItemInput) -> Result<Doc<Item>> {
    let caller = ctx::require_caller()?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(invalid(
            "name",
            "Назовите вещь (до 120 знаков)",
            "name the item (up to 120 characters)",
        ));
    }
    if input.description.chars().count() > 2000 {
        return Err(invalid(
            "description",
            "Не длиннее 2000 знаков",
            "at most 2000 characters",
        ));
    }
    let owner = if input.community_owned {
        if !is_manager() {
            return Err(Error::forbidden(tr(
                "Имущество товарищества выставляет правление",
                "the board lists the community's property",
            )));
        }
        let name = directory::community(&ctx::community())
            .map(|c| c.name)
            .unwrap_or_default();
        Owner::Community { name }
    } else {
        if !is_member() {
            return Err(Error::forbidden(tr(
                "Делиться вещами могут соседи с участком или квартирой здесь",
                "neighbours with a plot or flat here may share things",
            )));
        }
        Owner::Person {
            id: caller.person_id.clone(),
            name: caller.display_name.clone(),
        }
    };
    let defaults = ItemPolicy::default();
    let policy = ItemPolicy {
        deposit: money("deposit", input.deposit)?,
        fee: money("fee", input.fee)?,
        longest_loan_days: whole(
            "longest_loan_days",
            input
                .longest_loan_days
                .unwrap_or(defaults.longest_loan_days.into()),
            1,
            90,
        )?,
        members_only: input.members_only.unwrap_or(defaults.members_only),
        approval_needed: input.approval_needed,
        fine: money("fine", input.fine.unwrap_or(defaults.fine.0))?,
        fine_period_days: whole(
            "fine_period_days",
            input
                .fine_period_days
                .unwrap_or(defaults.fine_period_days.into()),
            1,
            30,
        )?,
        hold_minutes: whole(
            "hold_hours",
            input
                .hold_hours
                .unwrap_or(i64::from(defaults.hold_minutes / 60)),
            1,
            168,
        )? * 60,
    };
    let item = Item {
        name: name.to_owned(),
        description: input.description.trim().to_owned(),
        photo: check_photo("photo", input.photo.as_deref())?,
        owner_key: owner.key(),
        owner,
        policy,
        available: true,
        created: ctx::now(),
    };
    ITEMS.insert(&ctx::community(), None, &item)
}

/// Item `id`.
pub fn item(id: &str) -> Result<Doc<Item>> {
    ITEMS
        .get(id)?
        .ok_or_else(|| not_found("Нет такой вещи", "no such item"))
}

/// Booking `id`.
pub fn booking(id: &str) -> Result<Doc<Booking>> {
    BOOKINGS
        .get(id)?
        .ok_or_else(|| not_found("Нет такой брони", "no such booking"))
}

/// Whether the caller owns `item` (for the community's own, manages the community).
pub fn owns(item: &Item) -> bool {
    match &item.owner {
        Owner::Community { .. } => is_manager(),
        Owner::Person { id, .. } => ctx::caller().is_some_and(|c| &c.person_id == id),
    }
}

fn require_owner(booking: &Booking) -> Result<Doc<Item>> {
    let item = item(&booking.item)?;
    if !owns(&item.data) {
        return Err(Error::forbidden(tr(
            "Это делает владелец вещи",
            "the item's owner does this",
        )));
    }
    Ok(item)
}

/// Every booking of item `id`.
pub fn bookings_of(id: &str) -> Result<Vec<Doc<Booking>>> {
    BOOKINGS.query().filter("item", Compare::Eq, id).fetch_all()
}

/// Book item `id` for `from`…`to` (inclusive), as the caller.
pub fn book(id: &str, from: Date, to: Date) -> Result<Doc<Booking>> {
    let caller = ctx::require_caller()?;
    let range = DateRange::new(from, to)?;
    if from < ctx::today()? {
        return Err(invalid(
            "from",
            "Бронь начинается сегодня или позже",
            "a booking starts today or later",
        ));
    }
    let now = ctx::now();
    for _ in 0..ATTEMPTS {
        let item = item(id)?;
        if !item.data.available {
            return Err(conflict(
                "Владелец сейчас не даёт эту вещь",
                "the owner does not lend it now",
            ));
        }
        let taken: Vec<equipment::Booking> = bookings_of(id)?
            .into_iter()
            .map(|b| equipment::Booking {
                id: b.id,
                range: b.data.range,
                state: b.data.state,
            })
            .collect();
        equipment::check_booking(&item.data.policy, &taken, range, is_member(), now)
            .map_err(refusal_error)?;
        // Serialise bookings of the item: a concurrent booking makes this write fail.
        match ITEMS.put(&item.community, &item.id, &item.data, Some(item.version)) {
            Ok(_) => {}
            Err(e) if e.is(ErrorCode::Conflict) => continue,
            Err(e) => return Err(e),
        }
        let state = equipment::initial_state(&item.data.policy, now);
        let booking = Booking {
            item: item.id.clone(),
            item_name: item.data.name.clone(),
            owner: item.data.owner_key.clone(),
            borrower: caller.person_id.clone(),
            borrower_name: caller.display_name.clone(),
            range,
            status: booking_status(&state).to_owned(),
            state,
            policy: item.data.policy.clone(),
            checkout: None,
            returned: None,
            fine: Kopecks::ZERO,
            damage: None,
            deposit: Ledger::new(),
            deposit_settled: false,
            still_owed: Kopecks::ZERO,
            cancel_reason: None,
            created: now,
        };
        let saved = BOOKINGS.insert(&item.community, None, &booking)?;
        events::emit(
            ITEM_BOOKED,
            &saved.community,
            &serde_json::json!({
                "person_id": caller.person_id, "item": item.id, "booking": saved.id,
                "from": from, "to": to,
            }),
        )?;
        notify_owner(
            &item,
            Localized::new(
                format!("Бронь: {}", item.data.name),
                format!("Booking: {}", item.data.name),
            ),
            Localized::new(
                format!(
                    "{} просит {} с {} по {}.",
                    caller.display_name,
                    item.data.name,
                    day_ru(from),
                    day_ru(to)
                ),
                format!(
                    "{} asks for {} from {from} to {to}.",
                    caller.display_name, item.data.name
                ),
            ),
            &format!("booking/{}", saved.id),
        )?;
        return Ok(saved);
    }
    Err(conflict(
        "Эту вещь сейчас бронируют другие: попробуйте ещё раз",
        "others are booking it right now: try again",
    ))
}

fn refusal_error(refusal: BookingRefusal) -> Error {
    match refusal {
        BookingRefusal::Taken { day, .. } => Error::conflict(format!(
            "{} {}",
            tr("Уже занято:", "already taken:"),
            day_text(day)
        ))
        .with_field("from"),
        other => other.to_error(),
    }
}

fn day_ru(day: Date) -> String {
    format!("{:02}.{:02}.{}", day.day(), day.month(), day.year())
}

fn notify_owner(item: &Doc<Item>, title: Localized, body: Localized, route: &str) -> Result<()> {
    let recipients = match &item.data.owner {
        Owner::Person { id, .. } => vec![id.clone()],
        Owner::Community { .. } => {
            let mut people = directory::people_with_role(&item.community, "chairman");
            people.extend(directory::people_with_role(&item.community, "board"));
            people.sort();
            people.dedup();
            people
        }
    };
    notifications::notify(
        &recipients,
        &Message::new(title, body).link(page_path(&item.community, route)),
    )
}

fn notify_borrower(doc: &Doc<Booking>, title: Localized, body: Localized) -> Result<()> {
    notifications::notify(
        std::slice::from_ref(&doc.data.borrower),
        &Message::new(title, body).link(page_path(&doc.community, &format!("booking/{}", doc.id))),
    )
}

fn save(doc: &mut Doc<Booking>) -> Result<Doc<Booking>> {
    doc.data.status = booking_status(&doc.data.state).to_owned();
    BOOKINGS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))
}

fn held_and_alive(booking: &Booking, now: i64) -> bool {
    matches!(booking.state, BookingState::Held { expires_at } if now < expires_at)
}

/// The owner approves a held booking.
pub fn approve(id: &str) -> Result<Doc<Booking>> {
    let mut doc = booking(id)?;
    require_owner(&doc.data)?;
    if !held_and_alive(&doc.data, ctx::now()) {
        return Err(conflict(
            "Подтверждают бронь, которая ждёт ответа",
            "only a booking waiting for an answer is approved",
        ));
    }
    doc.data.state = BookingState::Confirmed;
    let saved = save(&mut doc)?;
    notify_borrower(
        &saved,
        Localized::new(
            format!("Бронь подтверждена: {}", saved.data.item_name),
            format!("Booking approved: {}", saved.data.item_name),
        ),
        Localized::new(
            format!(
                "С {} по {}. Залог {}.",
                day_ru(saved.data.range.from),
                day_ru(saved.data.range.to),
                money_text(saved.data.policy.deposit)
            ),
            format!(
                "From {} to {}. Deposit {}.",
                saved.data.range.from,
                saved.data.range.to,
                money_text(saved.data.policy.deposit)
            ),
        ),
    )?;
    Ok(saved)
}

/// The owner refuses, or the borrower cancels, a booking not yet handed out.
pub fn cancel(id: &str, reason: &str) -> Result<Doc<Booking>> {
    let mut doc = booking(id)?;
    let caller = ctx::require_caller()?;
    let borrower = caller.person_id == doc.data.borrower;
    if !borrower {
        require_owner(&doc.data)?;
    }
    if !matches!(
        doc.data.state,
        BookingState::Held { .. } | BookingState::Confirmed
    ) {
        return Err(conflict(
            "Отменить можно до выдачи",
            "it can be cancelled until handed out",
        ));
    }
    let reason = reason.trim();
    if !borrower && reason.is_empty() {
        return Err(invalid(
            "reason",
            "Напишите, почему отказываете",
            "say why you refuse",
        ));
    }
    doc.data.state = BookingState::Cancelled;
    doc.data.cancel_reason = Some(reason.to_owned()).filter(|r| !r.is_empty());
    let saved = save(&mut doc)?;
    if !borrower {
        notify_borrower(
            &saved,
            Localized::new(
                format!("Бронь отклонена: {}", saved.data.item_name),
                format!("Booking refused: {}", saved.data.item_name),
            ),
            Localized::new(reason, reason),
        )?;
    }
    Ok(saved)
}

/// The owner hands the item out, taking the deposit and the fee, with a photo of its state.
pub fn check_out(id: &str, note: &str, photo: Option<&str>) -> Result<Doc<Booking>> {
    let mut doc = booking(id)?;
    require_owner(&doc.data)?;
    let now = ctx::now();
    let ready = match doc.data.state {
        BookingState::Confirmed => true,
        BookingState::Held { expires_at } => !doc.data.policy.approval_needed && now < expires_at,
        _ => false,
    };
    if !ready {
        return Err(conflict(
            "Выдают по подтверждённой брони",
            "an item is handed out on a confirmed booking",
        ));
    }
    if ctx::today()? < doc.data.range.from {
        return Err(conflict(
            "Бронь ещё не началась",
            "the booking has not started yet",
        ));
    }
    let photo = crate::lending::check_photo("photo", photo)?;
    let policy = doc.data.policy.clone();
    let taken = Kopecks(policy.deposit.0 + policy.fee.0);
    let reference = format!("booking:{}", doc.id);
    if taken > Kopecks::ZERO {
        doc.data
            .deposit
            .pay(taken, PaymentMethod::Hand, now, &reference)?;
    }
    if policy.fee > Kopecks::ZERO {
        doc.data
            .deposit
            .charge(policy.fee, now, &reference, tr("Плата за прокат", "Fee"))?;
    }
    doc.data.checkout = Some(Handover {
        at: now,
        note: note.trim().to_owned(),
        photo,
    });
    doc.data.state = BookingState::CheckedOut;
    save(&mut doc)
}

/// The owner takes the item back on `on`, with a photo of its state: lateness is fined.
pub fn take_back(id: &str, on: Date, note: &str, photo: Option<&str>) -> Result<Doc<Booking>> {
    let mut doc = booking(id)?;
    require_owner(&doc.data)?;
    if doc.data.state != BookingState::CheckedOut {
        return Err(conflict(
            "Вернуть можно выданную вещь",
            "only an item handed out comes back",
        ));
    }
    let today = ctx::today()?;
    if on > today {
        return Err(invalid(
            "on",
            "Дата возврата в будущем",
            "the return date is in the future",
        ));
    }
    if on < doc.data.range.from {
        return Err(invalid(
            "on",
            "Вернули раньше, чем взяли?",
            "returned before it was taken?",
        ));
    }
    let photo = check_photo("photo", photo)?;
    let fine = equipment::late_fine(doc.data.range.to, on, &doc.data.policy);
    let now = ctx::now();
    if fine > Kopecks::ZERO {
        let days = doc.data.range.to.days_until(on);
        doc.data.deposit.charge(
            fine,
            now,
            &format!("booking:{}", doc.id),
            &format!(
                "{} {days} {}",
                tr("Просрочка", "Late by"),
                tr("дн.", "days")
            ),
        )?;
    }
    doc.data.fine = fine;
    doc.data.returned = Some(Handover {
        at: now,
        note: note.trim().to_owned(),
        photo,
    });
    doc.data.state = BookingState::Returned { on };
    let saved = save(&mut doc)?;
    events::emit(
        ITEM_RETURNED,
        &saved.community,
        &serde_json::json!({
            "person_id": saved.data.borrower,
            "item": saved.data.item,
            "booking": saved.id,
            "days_late": saved.data.range.to.days_until(on).max(0),
            "fine": fine,
        }),
    )?;
    Ok(saved)
}

/// The owner opens a damage ticket: what is damaged, its assessed cost, a photo.
pub fn report_damage(
    id: &str,
    note: &str,
    amount: Kopecks,
    photo: Option<&str>,
) -> Result<Doc<Booking>> {
    let mut doc = booking(id)?;
    require_owner(&doc.data)?;
    if !matches!(doc.data.state, BookingState::Returned { .. }) || doc.data.deposit_settled {
        return Err(conflict(
            "Повреждения вносят после возврата, до расчёта залога",
            "damage is recorded after the return, before the deposit is settled",
        ));
    }
    if doc.data.damage.is_some() {
        return Err(conflict(
            "Акт о повреждении уже составлен",
            "a damage ticket is already open",
        ));
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(invalid(
            "note",
            "Опишите повреждение",
            "describe the damage",
        ));
    }
    if amount <= Kopecks::ZERO {
        return Err(invalid(
            "amount",
            "Оценка ущерба — больше нуля",
            "the assessed damage is above zero",
        ));
    }
    let photo = check_photo("photo", photo)?;
    let now = ctx::now();
    doc.data.deposit.charge(
        amount,
        now,
        &format!("booking:{}", doc.id),
        &format!("{}: {note}", tr("Повреждение", "Damage")),
    )?;
    doc.data.damage = Some(Damage {
        note: note.to_owned(),
        amount,
        photo,
        at: now,
    });
    save(&mut doc)
}

/// The owner settles the deposit: refunded less fines and damage; what they exceed it by is
/// still owed.
pub fn settle_deposit(id: &str) -> Result<Doc<Booking>> {
    let mut doc = booking(id)?;
    require_owner(&doc.data)?;
    if !matches!(doc.data.state, BookingState::Returned { .. }) || doc.data.deposit_settled {
        return Err(conflict(
            "Залог рассчитывают один раз, после возврата",
            "the deposit is settled once, after the return",
        ));
    }
    let deposit = if doc.data.checkout.is_some() {
        doc.data.policy.deposit
    } else {
        Kopecks::ZERO
    };
    let damage = doc.data.damage.as_ref().map_or(Kopecks::ZERO, |d| d.amount);
    let settled = equipment::settle_deposit(deposit, doc.data.fine, damage)?;
    if settled.refund > Kopecks::ZERO {
        doc.data.deposit.refund(
            settled.refund,
            ctx::now(),
            &format!("booking:{}", doc.id),
            tr("Возврат залога", "Deposit refunded"),
        )?;
    }
    doc.data.still_owed = settled.still_owed;
    doc.data.deposit_settled = true;
    let saved = save(&mut doc)?;
    notify_borrower(
        &saved,
        Localized::new(
            format!(
                "Залог за {}: возврат {}",
                saved.data.item_name,
                money_text(settled.refund)
            ),
            format!(
                "Deposit for {}: {} refunded",
                saved.data.item_name,
                money_text(settled.refund)
            ),
        ),
        Localized::new(
            format!(
                "Залог {}, штраф {}, ущерб {}. Вернули {}{}.",
                money_text(deposit),
                money_text(settled.fines),
                money_text(damage),
                money_text(settled.refund),
                if settled.still_owed > Kopecks::ZERO {
                    format!("; осталось доплатить {}", money_text(settled.still_owed))
                } else {
                    String::new()
                }
            ),
            format!(
                "Deposit {}, fine {}, damage {}. Refunded {}{}.",
                money_text(deposit),
                money_text(settled.fines),
                money_text(damage),
                money_text(settled.refund),
                if settled.still_owed > Kopecks::ZERO {
                    format!("; still owed {}", money_text(settled.still_owed))
                } else {
                    String::new()
                }
            ),
        ),
    )?;
    Ok(saved)
}

/// Holds that lapsed are cancelled and the borrower told; returns how many.
pub fn expire_holds() -> Result<u64> {
    let now = ctx::now();
    let held = BOOKINGS
        .query()
        .filter("status", Compare::Eq, "held")
        .fetch_all()?;
    let mut expired = 0;
    for mut doc in held {
        let BookingState::Held { expires_at } = doc.data.state else {
            continue;
        };
        if now < expires_at {
            continue;
        }
        doc.data.state = BookingState::Cancelled;
        doc.data.cancel_reason = Some(tr("Бронь истекла", "The hold lapsed").to_owned());
        let saved = save(&mut doc)?;
        notify_borrower(
            &saved,
            Localized::new(
                format!("Бронь истекла: {}", saved.data.item_name),
                format!("Hold lapsed: {}", saved.data.item_name),
            ),
            Localized::new(
                "Владелец не подтвердил бронь вовремя; эти дни снова свободны.",
                "The owner did not approve it in time; the days are free again.",
            ),
        )?;
        expired += 1;
    }
    Ok(expired)
}

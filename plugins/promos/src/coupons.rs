//! Coupons and their redemption at the counter (RULES §9).
//!
//! - A resident of the offer's audience takes a coupon (one per person and offer). Its page
//!   shows a code that changes every step (a QR code and short digits); while the page is
//!   open, the `codes` job pushes each new code to it (a live section).
//! - Staff scan the QR code with the phone's camera or type the digits on their redeem page.
//!   The redemption is one call, one transaction: the coupon is found by its code, refused if
//!   it was used (naming when and at which branch), the offer's limit is checked against its
//!   tally and the tally written with the version it was read at — two redemptions racing for
//!   the last place cannot both commit — and the log, the coupon and the event are written
//!   with it.

use dvor_sdk::prelude::*;
use serde::Serialize;

use crate::businesses;
use crate::coupon_code::{self, CodeRejection, Redemption, ShownCode};
use crate::input;
use crate::model::{
    BusinessStatus, COUPONS, Coupon, OFFERS, REDEMPTIONS, RedemptionRecord, TALLIES, Tally, Used,
};
use crate::offers;
use crate::people::{self, Duty};
use crate::settings::Settings;

/// The event a redemption emits (gamification counts it).
pub const COUPON_REDEEMED: &str = "promos.coupon_redeemed";
/// How long a coupon counts as open on a phone after its page was shown, ms.
pub const ON_SCREEN_MS: i64 = 10 * 60_000;
/// Bytes of a coupon's secret.
const SECRET_BYTES: usize = 20;

/// The live channel of coupon `id`'s code.
pub fn channel(id: &str) -> String {
    format!("coupon:{id}")
}

/// The id of `person`'s coupon for `offer`.
pub fn coupon_id(offer: &str, person: &str) -> String {
    offers::key(&["coupon", offer, person])
}

/// The caller's coupon for `offer_id`, taken now if they have none; the offer must run and
/// their house be in its audience.
pub fn take(offer_id: &str) -> Result<Doc<Coupon>> {
    let caller = ctx::require_caller()?;
    let home = people::require_home(&caller)?;
    let offer = offers::find(offer_id)?;
    let business = businesses::find(&offer.data.business)?;
    let id = coupon_id(&offer.id, &caller.person_id);
    if let Some(existing) = COUPONS.get(&id)? {
        return Ok(existing);
    }
    offers::check_for_home(&offer, &business, &home)?;
    if let Some(limit) = offer.data.limit
        && offers::redeemed(&offer.id)? >= limit
    {
        return Err(Error::conflict(tr(
            "Купоны по этой акции закончились",
            "this offer's coupons have run out",
        )));
    }
    let coupon = Coupon {
        offer: offer.id.clone(),
        business: business.id.clone(),
        person: caller.person_id.clone(),
        house: home.house.clone(),
        household: home.household,
        secret: input::random_hex(SECRET_BYTES)?,
        showing_until: 0,
        last_step: None,
        used: None,
        created: ctx::now(),
    };
    match COUPONS.insert(&home.house, Some(&id), &coupon) {
        Err(e) if e.is(ErrorCode::Conflict) => COUPONS
            .get(&id)?
            .ok_or_else(|| Error::internal("a coupon vanished while it was taken")),
        other => other,
    }
}

/// The caller's coupon `id`.
pub fn mine(id: &str) -> Result<Doc<Coupon>> {
    let caller = ctx::require_caller()?;
    match COUPONS.get(id)? {
        Some(doc) if doc.data.person == caller.person_id => Ok(doc),
        _ => Err(Error::not_found(tr("Нет такого купона", "no such coupon"))),
    }
}

fn secret(coupon: &Coupon) -> Result<Vec<u8>> {
    hex::decode(&coupon.secret).map_err(|_| Error::internal("a coupon's secret is not hex"))
}

/// The code coupon `doc` shows now; marks it open on the phone, so that the codes job keeps
/// its page current and the counter finds it by its digits.
pub fn show(doc: &Doc<Coupon>) -> Result<ShownCode> {
    let settings = Settings::load()?;
    let now = ctx::now();
    if doc.data.used.is_none() && doc.data.showing_until < now + ON_SCREEN_MS - 60_000 {
        let mut open = doc.data.clone();
        open.showing_until = now + ON_SCREEN_MS;
        COUPONS.put(&doc.community, &doc.id, &open, Some(doc.version))?;
    }
    coupon_code::show(&secret(&doc.data)?, &doc.id, now, &settings.code)
}

/// What the redeem page and `POST businesses/{id}/redeem` send.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RedeemInput {
    /// The scanned QR text or the typed digits.
    pub code: Option<String>,
    /// The branch's id (the only branch if none).
    pub branch: Option<String>,
}

/// A redemption done.
#[derive(Clone, Debug, Serialize)]
pub struct Redeemed {
    /// The log record's id.
    pub id: String,
    /// The record.
    pub record: RedemptionRecord,
    /// The offer's title.
    pub offer_title: String,
    /// How many redemptions remain within the limit; none without a limit.
    pub remaining: Option<u32>,
}

/// Find the coupon of business `business` that `code` (a QR payload or typed digits) belongs
/// to, and the step the code is of.
fn find_by_code(
    business: &str,
    code: &str,
    settings: &Settings,
) -> Result<(Doc<Coupon>, Option<u64>)> {
    let now = ctx::now();
    let code = code.trim();
    let (candidates, digits) = if code.starts_with(coupon_code::QR_PREFIX) {
        let (id, digits) = coupon_code::parse_qr(code)?;
        let coupon = COUPONS.get(&id)?.ok_or_else(|| {
            Error::invalid("code", tr("Такого купона нет", "there is no such coupon"))
        })?;
        if coupon.data.business != business {
            return Err(Error::invalid(
                "code",
                tr(
                    "Это купон другой организации",
                    "this coupon is another business's",
                ),
            ));
        }
        (vec![coupon], digits)
    } else {
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != usize::from(settings.code.digits)
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CodeRejection::Malformed.to_error());
        }
        // A code typed by hand is one of a coupon open on a phone right now.
        let open = COUPONS
            .query()
            .filter("business", Compare::Eq, business)
            .filter("showing_until", Compare::Ge, now)
            .limit(1000)
            .fetch_all()?;
        (open, digits)
    };
    let mut matched = Vec::new();
    for coupon in candidates {
        // A used coupon is matched with no memory of its steps, so that a second use is
        // refused for what it is.
        let last = if coupon.data.used.is_some() {
            None
        } else {
            coupon.data.last_step
        };
        match coupon_code::verify(
            &secret(&coupon.data)?,
            &coupon.id,
            &digits,
            now,
            last,
            &settings.code,
        ) {
            Ok(step) => matched.push((coupon, Some(step))),
            Err(CodeRejection::AlreadyUsed) => matched.push((coupon, None)),
            Err(_) => {}
        }
    }
    match matched.len() {
        0 => Err(CodeRejection::WrongOrExpired.to_error()),
        1 => Ok(matched.remove(0)),
        _ => Err(Error::invalid(
            "code",
            tr(
                "Этот код подходит к нескольким купонам: отсканируйте QR-код",
                "these digits fit several coupons: scan the QR code",
            ),
        )),
    }
}

/// Redeem the coupon whose code was shown at the counter of business `business_id`.
pub fn redeem(business_id: &str, input: &RedeemInput) -> Result<Redeemed> {
    let (business, caller) = businesses::for_duty(business_id, Duty::Redeem)?;
    let settings = Settings::load()?;
    let offset = ctx::utc_offset_minutes()?;
    if business.data.status != BusinessStatus::Approved {
        return Err(Error::forbidden(tr(
            "Организация ещё не проверена администратором",
            "the business is not verified yet",
        )));
    }
    let branch = match input
        .branch
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        Some(id) => business
            .data
            .branch(id)
            .ok_or_else(|| Error::invalid("branch", tr("Нет такого филиала", "no such branch")))?,
        None if business.data.branches.len() == 1 => &business.data.branches[0],
        None if business.data.branches.is_empty() => {
            return Err(Error::invalid(
                "branch",
                tr(
                    "Сначала добавьте филиал: в журнале видно, где погашен купон",
                    "add a branch first: the log says where a coupon was used",
                ),
            ));
        }
        None => {
            return Err(Error::invalid(
                "branch",
                tr("Выберите филиал", "choose the branch"),
            ));
        }
    };
    let code = input::required("code", input.code.as_deref(), 200)?;
    let (mut coupon, step) = find_by_code(&business.id, &code, &settings)?;
    if let Some(used) = &coupon.data.used {
        return Err(coupon_code::already_redeemed(
            &Redemption {
                at: used.at,
                branch: used.branch_name.clone(),
            },
            offset,
        ));
    }
    let Some(step) = step else {
        return Err(CodeRejection::AlreadyUsed.to_error());
    };
    let offer = OFFERS
        .get(&coupon.data.offer)?
        .ok_or_else(|| Error::not_found(tr("Акция удалена", "the offer was removed")))?;
    let today = ctx::today()?;
    if !offer.data.runs_on(today) {
        return Err(Error::conflict(format!(
            "{} «{}» {} {}",
            tr("Акция", "the offer"),
            offer.data.title,
            tr(
                "не действует сегодня; её срок —",
                "does not run today; it runs"
            ),
            period_text(offer.data.starts, offer.data.ends)
        )));
    }
    // The limit: the tally is read and written back at the version it was read at.
    let tally = TALLIES.get(&offer.id)?;
    let (count, version) = tally
        .as_ref()
        .map_or((0, 0), |t| (t.data.redeemed, t.version));
    coupon_code::check_limit(count, offer.data.limit)?;
    TALLIES.put(
        &offer.community,
        &offer.id,
        &Tally {
            redeemed: count + 1,
        },
        Some(version),
    )?;
    let now = ctx::now();
    let record = RedemptionRecord {
        business: business.id.clone(),
        offer: offer.id.clone(),
        offer_title: offer.data.title.clone(),
        coupon: coupon.id.clone(),
        branch: branch.id.clone(),
        branch_name: branch.name.clone(),
        staff: caller.person_id.clone(),
        staff_name: caller.display_name.clone(),
        house: coupon.data.house.clone(),
        household: coupon.data.household.clone(),
        at: now,
    };
    let logged = REDEMPTIONS.insert(&business.community, None, &record)?;
    coupon.data.last_step = Some(step);
    coupon.data.used = Some(Used {
        at: now,
        branch: branch.id.clone(),
        branch_name: branch.name.clone(),
        redemption: logged.id.clone(),
    });
    COUPONS.put(
        &coupon.community,
        &coupon.id,
        &coupon.data,
        Some(coupon.version),
    )?;
    events::emit(
        COUPON_REDEEMED,
        &coupon.data.house,
        &serde_json::json!({
            "person_id": coupon.data.person,
            "business": business.id,
            "business_name": business.data.name,
            "offer": offer.id,
            "offer_title": offer.data.title,
            "coupon": coupon.id,
            "branch": branch.name,
            "redemption": logged.id,
        }),
    )?;
    dvor_sdk::live::replace(
        &coupon.community,
        &channel(&coupon.id),
        used_section(&coupon.data),
    )?;
    Ok(Redeemed {
        id: logged.id,
        offer_title: offer.data.title.clone(),
        remaining: offer.data.limit.map(|l| l.saturating_sub(count + 1)),
        record,
    })
}

/// «с 01.06.2026 по 30.06.2026».
pub fn period_text(starts: Date, ends: Date) -> String {
    format!(
        "{} {} {} {}",
        tr("с", "from"),
        input::date_text(starts),
        tr("по", "to"),
        input::date_text(ends)
    )
}

/// The blocks of a coupon's code: the QR code for the camera, the digits to type, and when
/// they change.
pub fn code_section(shown: &ShownCode) -> Section {
    let spaced = spaced_digits(&shown.digits);
    Section::untitled()
        .qr(
            &shown.qr_payload,
            format!(
                "{} {spaced}",
                tr("QR-код купона, код", "The coupon's QR code, code")
            ),
        )
        .heading(spaced)
        .paragraph(format!(
            "{} {}. {}",
            tr("Код сменится в", "The code changes at"),
            input::time_text(shown.changes_at, true),
            tr(
                "Покажите его на кассе: кассир отсканирует QR-код или введёт цифры.",
                "Show it at the counter: the cashier scans the QR code or types the digits."
            )
        ))
}

/// What a used coupon's page shows instead of a code.
pub fn used_section(coupon: &Coupon) -> Section {
    let Some(used) = &coupon.used else {
        return Section::untitled();
    };
    Section::untitled().notice(
        Tone::Success,
        format!(
            "{} {}, {} «{}»",
            tr("Купон использован", "The coupon was used on"),
            input::datetime_text(used.at),
            tr("филиал", "branch"),
            used.branch_name
        ),
    )
}

/// `123 456`: digits in threes, easier to read out and type.
pub fn spaced_digits(digits: &str) -> String {
    let chars: Vec<char> = digits.chars().collect();
    chars
        .chunks(3)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `codes` job: push the current code to every coupon page open now, in the call's scope.
pub fn push_codes() -> Result<u32> {
    let settings = Settings::load()?;
    let now = ctx::now();
    let open = COUPONS
        .query()
        .filter("showing_until", Compare::Ge, now)
        .limit(1000)
        .fetch_all()?;
    let mut pushed = 0;
    for coupon in open.iter().filter(|c| c.data.used.is_none()) {
        let shown = coupon_code::show(&secret(&coupon.data)?, &coupon.id, now, &settings.code)?;
        dvor_sdk::live::replace(
            &coupon.community,
            &channel(&coupon.id),
            code_section(&shown),
        )?;
        pushed += 1;
    }
    Ok(pushed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_read_in_threes() {
        assert_eq!(spaced_digits("123456"), "123 456");
        assert_eq!(spaced_digits("12345678"), "123 456 78");
    }

    #[test]
    fn coupon_ids_are_per_person_and_offer() {
        assert_eq!(coupon_id("o1", "p1"), coupon_id("o1", "p1"));
        assert_ne!(coupon_id("o1", "p1"), coupon_id("o1", "p2"));
        let channel = channel(&coupon_id("o1", "p1"));
        // A live channel's name: lowercase letters, digits and `:`.
        assert!(channel.starts_with("coupon:"));
        assert!(
            channel
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ':')
        );
    }
}

//! Who may do what, and which household a person acts for.
//!
//! - A household is a unit (flat or plot) the caller owns or lives in, inside the call's
//!   community; a person with several picks one.
//! - Managers are the community's chairman, board and admins: they keep its accounts, its
//!   payee and its own equipment, and may run any purchase.
//! - Organizers open purchases: the roles of `organizer_roles`, or anyone with a household
//!   when it is empty; a purchase is run by its organizer (and the managers).
//! - Members may borrow what is lent to members only: people with a household or a
//!   community role here.

use dvor_sdk::directory::{self, Unit};
use dvor_sdk::prelude::*;

use crate::model::{PURCHASES, Purchase, Settings, invalid};

/// Whether the caller manages the call's community.
pub fn is_manager() -> bool {
    ["admin", "chairman", "board"]
        .iter()
        .any(|r| ctx::has_role(r))
}

/// The caller's units inside the call's community, in the order people number them.
pub fn my_units() -> Vec<Unit> {
    let Some(caller) = ctx::caller() else {
        return Vec::new();
    };
    let mut units = directory::units_of(&caller.person_id);
    units.sort_by(|a, b| {
        a.community
            .cmp(&b.community)
            .then_with(|| directory::cmp_unit_numbers(&a.number, &b.number))
    });
    units.dedup_by(|a, b| a.id == b.id);
    units
}

/// How people call a unit: `участок 3, СНТ «Рябинка»`, `кв. 12, ул. Садовая, 1`.
pub fn unit_label(unit: &Unit) -> String {
    let kind = match unit.kind.as_str() {
        "plot" => tr("участок", "plot"),
        "apartment" => tr("кв.", "flat"),
        _ => tr("пом.", "premises"),
    };
    let place = directory::community(&unit.community)
        .map(|c| c.name)
        .unwrap_or_else(|| unit.community.clone());
    format!("{kind} {}, {place}", unit.number)
}

/// The household the caller acts for: `requested` (a unit id) if it is theirs, else their only
/// unit; refused naming `household` when they have none or several and chose none.
pub fn my_household(requested: Option<&str>) -> Result<Unit> {
    ctx::require_caller()?;
    let mine = my_units();
    let requested = requested.map(str::trim).filter(|r| !r.is_empty());
    match requested {
        Some(id) => mine.into_iter().find(|u| u.id == id).ok_or_else(|| {
            invalid(
                "household",
                "Это не ваш участок или квартира",
                "this plot or flat is not yours",
            )
        }),
        None => match mine.len() {
            0 => Err(invalid(
                "household",
                "Заказывать могут владельцы и жильцы: подтвердите свой участок или квартиру в профиле",
                "owners and residents order: confirm your plot or flat in your profile",
            )),
            1 => Ok(mine.into_iter().next().expect("one unit")),
            _ => Err(invalid(
                "household",
                "Выберите, для какого участка или квартиры заказ",
                "choose the plot or flat the order is for",
            )),
        },
    }
}

/// Whether the caller may open purchases here.
pub fn may_organize(settings: &Settings) -> bool {
    if ctx::caller().is_none() {
        return false;
    }
    if is_manager() {
        return true;
    }
    if settings.organizer_roles.is_empty() {
        !my_units().is_empty()
    } else {
        settings.organizer_roles.iter().any(|r| ctx::has_role(r))
    }
}

/// Whether the caller runs `purchase`: its organizer or a manager.
pub fn runs(purchase: &Purchase) -> bool {
    ctx::caller().is_some_and(|c| c.person_id == purchase.organizer) || is_manager()
}

/// The caller, if they run `purchase`.
pub fn require_runs(purchase: &Purchase) -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if runs(purchase) {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Это может делать только организатор закупки",
            "only the purchase's organizer may do this",
        )))
    }
}

/// Whether the caller keeps the households' accounts here: a manager, or an organizer of a
/// purchase here.
pub fn keeps_accounts() -> Result<bool> {
    let Some(caller) = ctx::caller() else {
        return Ok(false);
    };
    if is_manager() {
        return Ok(true);
    }
    Ok(PURCHASES
        .query()
        .in_community(&ctx::community())
        .filter("organizer", Compare::Eq, caller.person_id.as_str())
        .limit(1)
        .count()?
        > 0)
}

/// The caller, if they keep the accounts here.
pub fn require_accounts() -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if keeps_accounts()? {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Счета ведут правление и организаторы закупок",
            "the board and the purchases' organizers keep the accounts",
        )))
    }
}

/// Whether the caller is a member here: has a household or a community role.
pub fn is_member() -> bool {
    if ctx::caller().is_none() {
        return false;
    }
    !my_units().is_empty()
        || [
            "snt-member",
            "resident",
            "owner",
            "chairman",
            "board",
            "admin",
        ]
        .iter()
        .any(|r| ctx::has_role(r))
}

/// The units of the call's community and every place under it.
pub fn units_here() -> Vec<Unit> {
    let root = ctx::community();
    let mut units = directory::units(&root);
    for place in directory::descendants(&root, None) {
        units.extend(directory::units(&place.id));
    }
    units
}

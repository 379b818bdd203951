//! Who the caller is to the plugin: a resident with a home (their house and household), an
//! admin or moderator of the place, and what they may do for a business.
//!
//! - A resident's home is the house of the first unit they own or live in (the household is
//!   that unit), else the place where they hold the `resident` role (the household is then
//!   the person). Views, saves and redemptions count households, never people.
//! - A business is run by its owner (who registered it), the staff they invited (each allowed
//!   to publish, to redeem, or both), and the people of its host organization: operators
//!   manage it, executors redeem at the counter.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::model::Business;

/// The kinds of places people live in: an offer's audience is made of them.
pub const HOME_KINDS: [&str; 4] = ["house", "snt", "village", "yard"];

/// A resident's home.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    /// The house (or SNT, village) they live in.
    pub house: String,
    /// Their household: a unit id, or `person:<id>`.
    pub household: String,
}

/// The caller's home inside the call's scope, if they have one.
pub fn home_of(caller: &ctx::Caller) -> Option<Home> {
    if let Some(unit) = directory::units_of(&caller.person_id).into_iter().next() {
        return Some(Home {
            house: unit.community,
            household: unit.id,
        });
    }
    caller
        .roles
        .iter()
        .filter(|r| r.name == "resident" && r.organization.is_none())
        .filter_map(|r| r.community.as_deref())
        .find(|c| directory::community(c).is_some_and(|c| HOME_KINDS.contains(&c.kind.as_str())))
        .map(|house| Home {
            house: house.to_owned(),
            household: format!("person:{}", caller.person_id),
        })
}

/// The caller's home, or why they cannot do what needs one.
pub fn require_home(caller: &ctx::Caller) -> Result<Home> {
    home_of(caller).ok_or_else(|| {
        Error::forbidden(tr(
            "Акции и купоны — для жителей домов этого района: попросите управляющую компанию или правление добавить вас в дом",
            "offers and coupons are for residents of the houses here: ask your management company or board to add you to your house",
        ))
    })
}

/// Whether the caller is an admin here (of the instance, or of a place at or above the call's).
pub fn is_admin() -> bool {
    ctx::has_role("admin")
}

/// Whether the caller moderates reviews here: moderators and admins.
pub fn is_moderator() -> bool {
    is_admin() || ctx::has_role("moderator")
}

/// An admin, or why not.
pub fn require_admin() -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if is_admin() {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Это может только администратор",
            "only an admin may do this",
        )))
    }
}

/// A moderator, or why not.
pub fn require_moderator() -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if is_moderator() {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Это может только модератор",
            "only a moderator may do this",
        )))
    }
}

/// What someone does for a business.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duty {
    /// Edit the profile, branches, photos, services and staff; see statistics.
    Manage,
    /// Publish offers, answer reviews, handle hired jobs.
    Publish,
    /// Redeem coupons at the counter; see the log.
    Redeem,
}

/// Whether `caller` may do `duty` for `business`.
pub fn may(business: &Business, caller: &ctx::Caller, duty: Duty) -> bool {
    if business.owner.as_deref() == Some(caller.person_id.as_str()) {
        return true;
    }
    let staff = business
        .staff
        .iter()
        .find(|s| s.person == caller.person_id)
        .is_some_and(|s| match duty {
            Duty::Manage => false,
            Duty::Publish => s.publish,
            Duty::Redeem => s.redeem,
        });
    let organization = business.organization.as_deref().is_some_and(|org| {
        caller.roles.iter().any(|r| {
            r.organization.as_deref() == Some(org)
                && match duty {
                    Duty::Manage | Duty::Publish => r.name == "operator",
                    Duty::Redeem => matches!(r.name.as_str(), "operator" | "executor"),
                }
        })
    });
    staff || organization
}

/// Whether the caller works for `business` in any way.
pub fn works_for(business: &Business, caller: &ctx::Caller) -> bool {
    [Duty::Manage, Duty::Publish, Duty::Redeem]
        .iter()
        .any(|d| may(business, caller, *d))
}

/// The caller, if they may do `duty` for `business`.
pub fn require_duty(business: &Business, duty: Duty) -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if may(business, &caller, duty) {
        return Ok(caller);
    }
    Err(Error::forbidden(match duty {
        Duty::Manage => tr(
            "Управлять организацией может её владелец или управляющий",
            "only the business's owner or manager may do this",
        ),
        Duty::Publish => tr(
            "Публиковать акции и отвечать может только сотрудник организации",
            "only the business's staff may publish and answer",
        ),
        Duty::Redeem => tr(
            "Гасить купоны может только сотрудник организации",
            "only the business's staff may redeem coupons",
        ),
    }))
}

/// «Анна П.»: a first name and the initial of the surname, as reviews sign.
pub fn short_name(display_name: &str) -> String {
    let mut words = display_name.split_whitespace();
    match (words.next(), words.next()) {
        (Some(first), Some(last)) => {
            let initial: String = last.chars().take(1).collect();
            format!("{first} {initial}.")
        }
        (Some(first), None) => first.to_owned(),
        _ => tr("Житель", "Resident").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_sign_with_a_first_name_and_an_initial() {
        assert_eq!(short_name("Анна Петрова"), "Анна П.");
        assert_eq!(short_name("  Борис  "), "Борис");
        assert_eq!(short_name(""), "Житель");
    }
}

//! Who may read, write and moderate where.
//!
//! - **Members** of a place are the people who live in or own a unit anywhere in it, or hold a
//!   resident's role there: the neighbours. They read its feed (and the feeds above it), post,
//!   comment, react and report.
//! - **Staff** are the operators and executors of the management company (or ТСЖ) serving the
//!   place: they post as the company, pin notices, and are members of the house's staff room.
//! - **Moderators** hold `moderator` (or are the instance's `admin`) at the place or above it:
//!   they decide on held and reported texts and keep the watched words.
//!
//! Anyone else — a resident of another house among them — is refused with 403 and is shown
//! nothing.

use dvor_sdk::directory::{self, Unit};
use dvor_sdk::prelude::*;

/// Roles that make a person a neighbour where they hold them.
const MEMBER_ROLES: [&str; 3] = ["resident", "owner", "owner-unverified"];
/// Staff roles of an organization.
const STAFF_ROLES: [&str; 2] = ["operator", "executor"];
/// The kinds of organization that run houses.
const MANAGERS: [&str; 2] = ["management-company", "hoa"];

/// Whether `held` (the community a role is held in) covers `community`: it is `community` or
/// above it, or above the call's scope altogether (the directory does not show it).
fn covers(held: Option<&str>, community: &str) -> bool {
    match held {
        None => true,
        Some(held) => {
            directory::community(held).is_none()
                || directory::ancestry(community).iter().any(|c| c == held)
        }
    }
}

/// Whether `caller` holds one of `roles` (not as staff) covering the call's community or
/// anywhere inside it.
fn holds_here(caller: &ctx::Caller, roles: &[&str]) -> bool {
    let here = ctx::community();
    caller.roles.iter().any(|r| {
        roles.contains(&r.name.as_str())
            && r.organization.is_none()
            && (covers(r.community.as_deref(), &here)
                || r.community
                    .as_deref()
                    .is_some_and(|c| directory::community(c).is_some()))
    })
}

/// The caller's units inside the call's community.
pub fn units_here(caller: &ctx::Caller) -> Vec<Unit> {
    directory::units_of(&caller.person_id)
}

/// Whether the caller is a neighbour here.
pub fn is_member(caller: &ctx::Caller) -> bool {
    holds_here(caller, &MEMBER_ROLES) || !units_here(caller).is_empty()
}

/// The management companies (and ТСЖ) serving `community` that the caller works for.
pub fn staff_organizations(
    caller: &ctx::Caller,
    community: &str,
) -> Vec<directory::OrganizationInfo> {
    if !caller.roles.iter().any(|r| r.organization.is_some()) {
        return Vec::new();
    }
    directory::organizations(community, None)
        .into_iter()
        .filter(|org| MANAGERS.contains(&org.kind.as_str()))
        .filter(|org| {
            caller.roles.iter().any(|r| {
                STAFF_ROLES.contains(&r.name.as_str()) && r.organization.as_deref() == Some(&org.id)
            })
        })
        .collect()
}

/// Whether the caller is staff of a company running the call's community.
pub fn is_staff(caller: &ctx::Caller) -> bool {
    !staff_organizations(caller, &ctx::community()).is_empty()
}

/// Whether the caller moderates `community` (held at it or above, or the instance's admin).
pub fn moderates(caller: &ctx::Caller, community: &str) -> bool {
    caller.roles.iter().any(|r| {
        (r.name == "moderator" || r.name == "admin")
            && r.organization.is_none()
            && covers(r.community.as_deref(), community)
    })
}

/// Whether the caller moderates anything in the call's community: its queue has something
/// for them.
pub fn moderates_somewhere_here(caller: &ctx::Caller) -> bool {
    moderates(caller, &ctx::community())
        || caller.roles.iter().any(|r| {
            r.name == "moderator"
                && r.organization.is_none()
                && r.community
                    .as_deref()
                    .is_some_and(|c| directory::community(c).is_some())
        })
}

/// What the caller is here.
#[derive(Clone, Debug)]
pub struct Here {
    /// Who.
    pub caller: ctx::Caller,
    /// A neighbour.
    pub member: bool,
    /// Staff of a company running the place: the companies.
    pub staff: Vec<directory::OrganizationInfo>,
    /// A moderator of the place.
    pub moderator: bool,
}

impl Here {
    /// The signed-in caller's standing here; `unauthenticated` if nobody is signed in.
    pub fn caller() -> Result<Here> {
        let caller = ctx::require_caller()?;
        Ok(Here::of(caller))
    }

    /// `caller`'s standing here.
    pub fn of(caller: ctx::Caller) -> Here {
        let community = ctx::community();
        Here {
            member: is_member(&caller),
            staff: staff_organizations(&caller, &community),
            moderator: moderates(&caller, &community),
            caller,
        }
    }

    /// Whether they may read the place's feed and write in it.
    pub fn may_take_part(&self) -> bool {
        self.member || !self.staff.is_empty() || self.moderator
    }

    /// The caller if they may take part here; 403 otherwise.
    pub fn require_part() -> Result<Here> {
        let here = Here::caller()?;
        if here.may_take_part() {
            Ok(here)
        } else {
            Err(not_a_neighbour())
        }
    }

    /// Whether they are staff here.
    pub fn is_staff(&self) -> bool {
        !self.staff.is_empty()
    }

    /// The person id.
    pub fn id(&self) -> &str {
        &self.caller.person_id
    }
}

/// The refusal for someone who is not a neighbour here.
pub fn not_a_neighbour() -> Error {
    Error::forbidden(tr(
        "Лента и чаты этого места — для его жителей",
        "this place's feed and chats are for the people who live there",
    ))
}

/// How a unit is named next to a person: `кв. 12`, `пом. Н1`, `уч. 3`.
pub fn unit_label(unit: &Unit) -> String {
    let prefix = match unit.kind.as_str() {
        "apartment" => tr("кв.", "flat"),
        "plot" => tr("уч.", "plot"),
        _ => tr("пом.", "premises"),
    };
    format!("{prefix} {}", unit.number)
}

/// The caller's address in `community` (their units there), if any: `кв. 12`.
pub fn address_in(units: &[Unit], community: &str) -> Option<String> {
    let mut mine: Vec<&Unit> = units.iter().filter(|u| u.community == community).collect();
    if mine.is_empty() {
        return None;
    }
    mine.sort_by(|a, b| directory::cmp_unit_numbers(&a.number, &b.number));
    let first = unit_label(mine[0]);
    let rest: Vec<&str> = mine[1..].iter().map(|u| u.number.as_str()).collect();
    Some(if rest.is_empty() {
        first
    } else {
        format!("{first}, {}", rest.join(", "))
    })
}

//! Who may see and do what: residents see only the accounts of the units they own or live
//! in; operators (and admins) of the organization serving a house see all of its accounts
//! (the host gives them the role only where their organization serves).

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::model::{ACCOUNTS, Account};

/// Whether the caller runs the houses of the call's community.
pub fn is_operator() -> bool {
    ctx::has_role("operator") || ctx::has_role("admin")
}

/// The caller, if they run the houses here.
pub fn require_operator() -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if is_operator() {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Это могут делать только сотрудники управляющей организации",
            "only the management company's staff may do this",
        )))
    }
}

/// Whether `caller` may file a service request in the call's house: a resident or owner of a
/// unit in it, and its staff. A person of another house, or another company's operator, may
/// not (the host gives staff roles only where their organization serves).
pub fn may_file_requests(caller: &ctx::Caller) -> bool {
    is_staff()
        || !directory::units_of(&caller.person_id).is_empty()
        || caller.roles.iter().any(|r| {
            matches!(r.name.as_str(), "resident" | "owner" | "owner-unverified")
                && r.organization.is_none()
                // Held in the call's house (the directory knows only what is in scope).
                && r.community
                    .as_deref()
                    .is_some_and(|c| directory::community(c).is_some())
        })
}

/// Whether the caller is an executor (or an operator) here.
pub fn is_staff() -> bool {
    is_operator() || ctx::has_role("executor")
}

/// The id of the account numbered `number` in the call's community (a house).
pub fn account_id(number: &str) -> String {
    format!("{}:{}", ctx::community(), number.trim())
}

/// The account numbered `number` in the call's house, if the caller may see it: its
/// residents and owners, and the staff.
pub fn visible_account(number: &str) -> Result<Doc<Account>> {
    let caller = ctx::require_caller()?;
    let doc = ACCOUNTS.get(&account_id(number))?.ok_or_else(|| {
        Error::not_found(tr("Нет такого лицевого счёта", "no such personal account"))
    })?;
    if is_staff() {
        return Ok(doc);
    }
    let mine = directory::units_of(&caller.person_id);
    match &doc.data.unit {
        Some(unit) if mine.iter().any(|u| &u.id == unit) => Ok(doc),
        _ => Err(Error::forbidden(tr(
            "Это не ваш лицевой счёт",
            "this personal account is not yours",
        ))),
    }
}

/// The caller's accounts under the call's community: for staff every account (a page), for
/// residents those of their units.
pub fn my_accounts() -> Result<Vec<Doc<Account>>> {
    let caller = ctx::require_caller()?;
    let mut accounts = Vec::new();
    for unit in directory::units_of(&caller.person_id) {
        let found = ACCOUNTS
            .query()
            .in_community(&ctx::community())
            .filter("unit", Compare::Eq, unit.id.as_str())
            .fetch()?;
        accounts.extend(found.docs);
    }
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    accounts.dedup_by(|a, b| a.id == b.id);
    Ok(accounts)
}

//! The facts of the current call: who, where, when, in which language.

use crate::bindings::dvor::plugin::context;
use crate::date::Date;
use crate::error::{Error, Result};

pub use context::{CallTrigger as Trigger, CallerInfo as Caller, Role};

/// The signed-in caller; none for anonymous requests, events and scheduled jobs.
pub fn caller() -> Option<Caller> {
    context::caller()
}

/// The id of the community the call is about; storage is scoped to its subtree.
pub fn community() -> String {
    context::community()
}

/// What made the host call the plugin.
pub fn trigger() -> Trigger {
    context::trigger()
}

/// The locale to answer in: `ru` (the default) or `en`.
///
/// Outside WebAssembly (in native unit tests of a plugin) there is no host, and it is `ru`.
pub fn locale() -> String {
    if cfg!(target_arch = "wasm32") {
        context::locale()
    } else {
        "ru".to_owned()
    }
}

/// Whether the call is answered in English.
pub fn is_english() -> bool {
    locale() == "en"
}

/// The text for the call's locale: `tr("Сохранено", "Saved")`.
pub fn tr<'a>(ru: &'a str, en: &'a str) -> &'a str {
    if is_english() { en } else { ru }
}

/// The current time, ms since the epoch (UTC); fixed for the whole call.
pub fn now() -> i64 {
    context::now()
}

/// The instance's time zone as an IANA name, e.g. `Europe/Moscow`.
pub fn timezone() -> String {
    context::timezone()
}

/// The instance's UTC offset in minutes (180 for Moscow), as the host says.
pub fn utc_offset_minutes() -> Result<i32> {
    Ok(context::utc_offset_minutes())
}

/// Today's date in the instance's time zone, as the host says.
pub fn today() -> Result<Date> {
    let day = context::today();
    Date::new(day.year, day.month, day.day)
        .ok_or_else(|| Error::internal("the host's date is out of the calendar's range"))
}

/// Whether the caller holds `role` in the call's community or above it.
pub fn has_role(role: &str) -> bool {
    context::has_role(role)
}

/// The caller, or `unauthenticated` if nobody is signed in.
pub fn require_caller() -> Result<Caller> {
    caller().ok_or_else(|| {
        Error::unauthenticated(tr("Войдите, чтобы продолжить", "sign in to continue"))
    })
}

/// The caller if they hold `role`; `unauthenticated` if nobody is signed in, `forbidden` if
/// they lack the role.
pub fn require_role(role: &str) -> Result<Caller> {
    let caller = require_caller()?;
    if has_role(role) {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Недостаточно прав для этого действия",
            "you are not allowed to do this",
        )))
    }
}

//! The web pages, phone first, through the UI contract: a member's home (their plots and what
//! they owe, their record, the documents), the application, a plot's ledgers with the payment
//! QR code and the computation sheet; the board's register, applications, estimates, payments,
//! debts, electricity, documents, copies, certificates and announcements.
//!
//! Forms post to actions that call the same functions as the API, so the rules live in one
//! place; an error naming a field comes back next to it, a conflict with the current state
//! above the forms.

mod board;
mod home;
mod membership;
mod money;
mod papers;
mod power;
mod register;

use dvor_sdk::prelude::*;

use crate::access;

/// The link to the partnership's home page, named after it.
pub(crate) fn home_link() -> Link {
    let name = dvor_sdk::directory::community(&ctx::community())
        .map(|c| c.name)
        .unwrap_or_else(|| tr("СНТ", "SNT").to_owned());
    Link::to("", name)
}

fn parts(route: &str) -> Vec<&str> {
    route.split('/').filter(|p| !p.is_empty()).collect()
}

/// The page at `route`.
pub fn render(route: &str, query: &Params) -> Result<Page> {
    access::snt()?;
    match parts(route).as_slice() {
        [] => home::page(),
        ["apply"] => membership::apply_page(),
        ["applications"] => membership::applications_page(),
        ["application", id] => membership::application_page(id),
        ["register"] => register::register_page(query),
        ["record", id] => register::record_page(id),
        ["plots"] => register::plots_page(),
        ["estimates"] => money::estimates_page(),
        ["estimate", id] => money::estimate_page(id),
        ["sheet", estimate, plot] => money::sheet_page(estimate, plot),
        ["plot", plot] => money::plot_page(plot),
        ["payments"] => board::payments_page(),
        ["debts"] => board::debts_page(),
        ["debtors"] => board::debtors_page(),
        ["electricity"] => power::page(),
        ["balance", id] => power::balance_page(id),
        ["documents"] => papers::documents_page(),
        ["document", id] => papers::document_page(id),
        ["copies"] => papers::copies_page(),
        ["copy", id] => papers::copy_page(id),
        ["certificates"] => papers::certificates_page(),
        ["certificate", id] => papers::certificate_page(id),
        ["notices"] => papers::notices_page(),
        _ => Err(Error::not_found(tr("Нет такой страницы", "no such page"))),
    }
}

/// The form or button `action` on the page at `route`.
pub fn act(route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    access::snt()?;
    let outcome = ActionOutcome::errors_next_to_fields(run(&parts(route), action, form));
    match outcome {
        // Named by no field, so the page shows it above its forms.
        Err(e) if e.is(ErrorCode::Conflict) => Ok(ActionOutcome::invalid([("", e.message)])),
        other => other,
    }
}

fn run(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match route {
        ["apply"] | ["applications"] | ["application", _] => membership::act(route, action, form),
        ["register"] | ["record", _] | ["plots"] => register::act(route, action, form),
        ["estimates"] | ["estimate", _] | ["plot", _] => money::act(route, action, form),
        ["payments"] | ["debts"] => board::act(route, action, form),
        ["electricity"] => power::act(route, action, form),
        ["documents"]
        | ["document", _]
        | ["copy", _]
        | ["certificates"]
        | ["certificate", _]
        | ["notices"] => papers::act(route, action, form),
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}

/// A required date field.
pub(crate) fn date_field(form: &Params, name: &str) -> Result<Date> {
    form.date(name)?
        .ok_or_else(|| Error::invalid(name, tr("Укажите дату", "enter the date")))
}

/// A required money field.
pub(crate) fn money_field(form: &Params, name: &str) -> Result<Kopecks> {
    form.kopecks(name)?
        .ok_or_else(|| Error::invalid(name, tr("Укажите сумму", "enter the amount")))
}

/// The text of field `name`, empty when missing.
pub(crate) fn text<'a>(form: &'a Params, name: &str) -> &'a str {
    form.get(name).unwrap_or_default()
}

/// A stored file's id from file field `name`, if one was attached.
pub(crate) fn file_field(form: &Params, name: &str) -> Option<String> {
    match form.value(name) {
        Some(dvor_sdk::ui::FieldValue::File(id)) if !id.is_empty() => Some(id.clone()),
        _ => form
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .map(str::to_owned),
    }
}

/// The page for someone who is not on the board.
pub(crate) fn board_only() -> Error {
    match ctx::caller() {
        None => Error::unauthenticated(tr(
            "Войдите: это страница правления",
            "sign in: this is the board's page",
        )),
        Some(_) => Error::forbidden(tr(
            "Это страница правления товарищества",
            "this is the partnership's board's page",
        )),
    }
}

//! The web pages, through the UI contract: the resident's accounts (what to pay now and
//! «Оплатить», meters, bills, the ЕПД, the statement) and requests; the operator's accounts
//! (in natural order, searchable, debtors), billing runs with the readings they hold back,
//! payments, statistics and announcements. Forms post to actions; errors come back next to
//! their fields.

mod account;
mod billing;
mod requests;

use std::collections::HashMap;

use dvor_sdk::prelude::*;

use crate::access::{is_operator, my_accounts};
use crate::due::AmountDue;
use crate::model::{ACCOUNTS, AnnouncementKind, TARIFFS};
use crate::show::{date_cell, date_text};

fn home_link() -> Link {
    Link::to("", tr("ЖКХ", "Housing"))
}

fn account_link(number: &str) -> Link {
    Link::to(
        format!("account/{number}"),
        format!("{} {number}", tr("Лицевой счёт", "Account")),
    )
}

/// The names of the services of `house`, by code, in the call's locale: a tariff's name, or
/// the usual name of a common code, or the code itself.
fn service_names(house: &str) -> Result<HashMap<String, String>> {
    let tariffs = TARIFFS.query().fetch_all()?;
    let mut ancestors = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for t in crate::billing::tariffs_for(house, &tariffs, &mut ancestors) {
        names.insert(t.code.clone(), tr(&t.name_ru, &t.name_en).to_owned());
    }
    Ok(names)
}

/// The name of service `code` among `names`.
fn service_name(names: &HashMap<String, String>, code: &str) -> String {
    if let Some(name) = names.get(code) {
        return name.clone();
    }
    let known = match code {
        "cold_water" => tr("Холодная вода", "Cold water"),
        "hot_water" => tr("Горячая вода", "Hot water"),
        "electricity" => tr("Электроэнергия", "Electricity"),
        "heating" => tr("Отопление", "Heating"),
        "gas" => tr("Газ", "Gas"),
        "sewage" => tr("Водоотведение", "Sewage"),
        "maintenance" => tr("Содержание жилого помещения", "Maintenance"),
        "capital_repair" => tr("Взнос на капитальный ремонт", "Capital repair"),
        other => other,
    };
    known.to_owned()
}

/// The page at `route`.
pub fn render(route: &str, query: &Params) -> Result<Page> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => home(query),
        ["account", number] => account::account_page(number, query),
        ["account", number, "bill", period] => account::bill_page(number, period),
        ["account", number, "statement"] => account::statement_page(number, query),
        ["account", number, "meter-change"] => account::meter_change_page(number),
        ["requests"] => requests::requests_page(query),
        ["request", id] => requests::request_page(id),
        ["billing"] if is_operator() => billing::billing_page(),
        ["stats"] if is_operator() => billing::stats_page(),
        _ => Err(Error::not_found(tr("Нет такой страницы", "no such page"))),
    }
}

/// The form or button `action` on the page at `route`.
pub fn act(route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        ["account", number, ..] => account::act(number, &parts[2..], action, form),
        ["requests"] | ["request", _] => requests::act(&parts, action, form),
        ["billing"] => billing::act(action, form),
        [] => ActionOutcome::errors_next_to_fields(home_act(action, form)),
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}

fn announcements_section() -> Result<Option<Section>> {
    let current = crate::current_announcements()?;
    if current.is_empty() {
        return Ok(None);
    }
    let mut section = Section::titled(tr("Объявления", "Announcements"));
    for a in current {
        let tone = match a.kind {
            AnnouncementKind::Outage => Tone::Danger,
            AnnouncementKind::Works => Tone::Warning,
            AnnouncementKind::Info => Tone::Info,
        };
        let when = match a.until {
            Some(u) => format!("{} — {}", date_text(a.from), date_text(u)),
            None => format!("{} {}", tr("с", "from"), date_text(a.from)),
        };
        section = section.notice(tone, format!("{} ({when}). {}", a.title, a.text));
    }
    Ok(Some(section))
}

fn home(query: &Params) -> Result<Page> {
    let mut page = Page::new(tr("ЖКХ", "Housing"));
    if let Some(section) = announcements_section()? {
        page = page.section(section);
    }
    if ctx::caller().is_none() {
        return Ok(page.section(Section::untitled().empty(
            tr("Войдите", "Sign in"),
            tr(
                "Войдите, чтобы увидеть свой лицевой счёт и подать заявку",
                "sign in to see your personal account and file a request",
            ),
        )));
    }
    let today = ctx::today()?;
    page = if is_operator() {
        page.section(staff_accounts(query, today)?)
    } else {
        page.section(my_accounts_section(today)?)
    };
    let mut links = vec![Link::to("requests", tr("Заявки", "Service requests"))];
    if is_operator() {
        links.push(Link::to(
            "billing",
            tr("Начисления и платежи", "Billing and payments"),
        ));
        links.push(Link::to(
            "stats",
            tr("Статистика заявок", "Request statistics"),
        ));
    }
    page = page.section(Section::untitled().links(links));
    if is_operator() {
        page = page.section(announcement_form());
    }
    Ok(page)
}

/// A resident's accounts: what each asks now and by when.
fn my_accounts_section(today: Date) -> Result<Section> {
    let mine = my_accounts()?;
    let rows = mine.iter().map(|d| {
        let due = AmountDue::of(&d.data, today);
        Row::new([
            Cell::from(account_link(&d.data.number)),
            Cell::from(d.data.address.clone()),
            Cell::from(due.total),
            Cell::from(due.pay_by.map(date_cell)),
        ])
        .tone(if due.overdue > Kopecks::ZERO {
            Tone::Danger
        } else {
            Tone::Neutral
        })
    });
    Ok(
        Section::titled(tr("Мои лицевые счета", "My accounts")).table(
            Table::new([
                Column::text(tr("Счёт", "Account")),
                Column::text(tr("Адрес", "Address")),
                Column::numeric(tr("К оплате", "To pay")),
                Column::text(tr("Оплатить до", "Pay by")),
            ])
            .rows(rows)
            .empty_text(tr(
                "Лицевых счетов нет: подтвердите адрес в профиле или обратитесь в управляющую компанию",
                "no accounts: confirm your address in your profile or ask the management company",
            )),
        ),
    )
}

/// The staff's accounts of the houses here: in the order of their numbers (2 before 10), by
/// the beginning of a number or the payer's name, all or debtors only, a page at a time.
fn staff_accounts(query: &Params, today: Date) -> Result<Section> {
    let search = query.get("q").map(str::trim).unwrap_or_default();
    let debtors = query.flag("debtors");
    let mut accounts = ACCOUNTS
        .query()
        .in_community(&ctx::community())
        .order_by("sort_key", Direction::Asc)
        .limit(50)
        .cursor(query.get("cursor"));
    if !search.is_empty() {
        accounts = if search.starts_with(|c: char| c.is_ascii_digit()) {
            accounts.filter("number", Compare::Prefix, search)
        } else {
            accounts.filter("payer_key", Compare::Prefix, search.to_lowercase())
        };
    }
    if debtors {
        accounts = accounts.filter("balance", Compare::Gt, 0i64);
    }
    let found = accounts.fetch()?;
    let next = found.next_cursor.map(|c| {
        let mut link = Link::to("", tr("Дальше", "More")).param("cursor", c);
        if !search.is_empty() {
            link = link.param("q", search);
        }
        if debtors {
            link = link.param("debtors", "true");
        }
        link
    });
    let rows = found.docs.iter().map(|d| {
        let due = AmountDue::of(&d.data, today);
        Row::new([
            Cell::from(account_link(&d.data.number)),
            Cell::from(d.data.payer.clone()),
            Cell::from(d.data.address.clone()),
            Cell::from(due.total),
            Cell::from(due.overdue),
        ])
        .tone(if due.overdue > Kopecks::ZERO {
            Tone::Warning
        } else {
            Tone::Neutral
        })
    });
    let mut filter = Field::text(
        "q",
        tr("Номер счёта или фамилия", "Account number or surname"),
    )
    .max_length(100)
    .help(tr(
        "Начало номера (12) или фамилии плательщика (Смир)",
        "The beginning of the number (12) or of the payer's name (Smir)",
    ));
    if !search.is_empty() {
        filter = filter.value(search);
    }
    let mut only_debtors = Field::checkbox("debtors", tr("Только с долгом", "Debtors only"));
    if debtors {
        only_debtors = only_debtors.value("true");
    }
    Ok(Section::titled(tr("Лицевые счета", "Personal accounts"))
        .form(
            Form::new("find", tr("Найти", "Find"))
                .field(filter)
                .field(only_debtors),
        )
        .table(
            Table::new([
                Column::text(tr("Счёт", "Account")),
                Column::text(tr("Плательщик", "Payer")),
                Column::text(tr("Адрес", "Address")),
                Column::numeric(tr("К оплате", "To pay")),
                Column::numeric(tr("Просрочено", "Overdue")),
            ])
            .rows(rows)
            .empty_text(if search.is_empty() && !debtors {
                tr("Лицевых счетов нет", "No accounts")
            } else {
                tr("Ничего не нашлось", "Nothing found")
            })
            .next_page(next),
        ))
}

fn announcement_form() -> Section {
    Section::titled(tr("Новое объявление", "New announcement")).form(
        Form::new("announce", tr("Опубликовать", "Publish"))
            .field(
                Field::select(
                    "kind",
                    tr("Что", "Kind"),
                    [
                        ("outage", tr("Отключение", "Outage")),
                        ("works", tr("Работы", "Works")),
                        ("info", tr("Информация", "Information")),
                    ],
                )
                .required(),
            )
            .field(
                Field::text("title", tr("Заголовок", "Title"))
                    .required()
                    .max_length(200),
            )
            .field(
                Field::multiline("text", tr("Текст", "Text"))
                    .required()
                    .max_length(4000),
            )
            .field(Field::date("from", tr("С", "From")).required())
            .field(Field::date("until", tr("По", "Until"))),
    )
}

fn home_act(action: &str, form: &Params) -> Result<ActionOutcome> {
    match action {
        "find" => {
            let mut link = Link::to("", "");
            let search = form.get("q").map(str::trim).unwrap_or_default();
            if !search.is_empty() {
                link = link.param("q", search);
            }
            if form.flag("debtors") {
                link = link.param("debtors", "true");
            }
            Ok(ActionOutcome::redirect_silently(link))
        }
        "announce" => {
            let caller = crate::access::require_operator()?;
            let kind = match form.require("kind")? {
                "outage" => AnnouncementKind::Outage,
                "works" => AnnouncementKind::Works,
                _ => AnnouncementKind::Info,
            };
            let input: crate::NewAnnouncement = serde_json::from_value(serde_json::json!({
                "kind": kind,
                "title": form.get("title").unwrap_or_default(),
                "text": form.get("text").unwrap_or_default(),
                "from": Date::parse_field("from", form.require("from")?)?,
                "until": form.get("until").filter(|u| !u.is_empty()).map(|u| Date::parse_field("until", u)).transpose()?,
            }))
            .map_err(|e| Error::invalid("text", e.to_string()))?;
            let doc = crate::announce(input, &caller)?;
            Ok(ActionOutcome::redirect(
                Link::to("", ""),
                format!(
                    "{} {}",
                    tr(
                        "Объявление опубликовано; получателей:",
                        "Published; people reached:"
                    ),
                    doc.data.reached
                ),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}

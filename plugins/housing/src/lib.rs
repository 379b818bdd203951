//! `housing`: the ЖКХ plugin a management company (УК, ТСЖ) runs and residents open every
//! month — personal accounts, meters and readings, the billing month, payments, penalties
//! (ЖК РФ ст.155 ч.14), the payment document (ЕПД) with its QR code, service requests and
//! announcements.
//!
//! The API lives under `/api/c/{house}/p/housing/`; see `docs/housing.md` for every route.
//! Pure parts (charges, penalties, the QR code, the ledger) are tested natively; the rest
//! through the host's integration tests.

pub mod access;
pub mod accounts;
pub mod billing;
pub mod charges;
pub mod checkout;
mod demo;
pub mod due;
pub mod epd;
pub mod imports;
pub mod ledger;
pub mod model;
mod pages;
pub mod penalty;
pub mod qr;
pub mod requests;
mod show;

use dvor_sdk::notifications::{self, Localized, Message, Urgency};
use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::access::{account_id, is_operator, my_accounts, require_operator, visible_account};
use crate::model::{
    ACCOUNTS, ANNOUNCEMENTS, Announcement, AnnouncementKind, BILLS, Bill, PAYMENTS, Payment,
    PaymentSource, Period, READINGS, RUNS, RequestStatus, Settings, TARIFFS,
};

#[derive(Default)]
struct Housing;

impl Plugin for Housing {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        let (method, path) = req.route();
        let parts: Vec<&str> = path.split('/').collect();
        match (method, parts.as_slice()) {
            ("GET", ["accounts"]) => list_accounts(&req),
            ("GET", ["accounts", number]) => {
                let doc = visible_account(number)?;
                ApiResponse::ok(&account_json(&doc)?)
            }
            ("PUT", ["accounts", number]) => {
                require_operator()?;
                ApiResponse::ok(&accounts::save_account(number, req.json()?)?)
            }
            ("POST", ["accounts", number, "meters"]) => {
                require_operator()?;
                ApiResponse::created(&accounts::add_meter(number, req.json()?)?)
            }
            ("POST", ["accounts", number, "readings"]) => {
                let submitted = accounts::submit_reading(number, req.json()?)?;
                if submitted.replaced {
                    ApiResponse::ok(&submitted)
                } else {
                    ApiResponse::created(&submitted)
                }
            }
            ("GET", ["accounts", number, "readings"]) => {
                let doc = visible_account(number)?;
                let readings = READINGS
                    .query()
                    .filter("account", Compare::Eq, doc.id.as_str())
                    .order_by("period", Direction::Desc)
                    .limit(100)
                    .fetch()?;
                ApiResponse::ok(&serde_json::json!({
                    "readings": readings.docs.into_iter().map(|d| d.data).collect::<Vec<_>>()
                }))
            }
            ("GET", ["accounts", number, "bills"]) => {
                let doc = visible_account(number)?;
                ApiResponse::ok(&serde_json::json!({ "bills": bills_of(&doc.id)? }))
            }
            ("GET", ["accounts", number, "bills", period]) => {
                let (account, bill) = bill_of(number, period)?;
                let provider = accounts::provider_for(&account.community)?;
                let due = due::AmountDue::of(&account.data, ctx::today()?);
                ApiResponse::ok(&epd::build(&account.data, &bill, provider, &due))
            }
            // The QR code of what the account owes now: the same on every bill of it.
            ("GET", ["accounts", number, "bills", period, "qr.svg"]) => {
                let (account, _) = bill_of(number, period)?;
                qr_svg(&account)
            }
            ("GET", ["accounts", number, "qr.svg"]) => qr_svg(&visible_account(number)?),
            ("POST", ["accounts", number, "checkout"]) => {
                let account = visible_account(number)?;
                let started = checkout::start(&account, &Settings::load()?)?;
                ApiResponse::created(&serde_json::json!({
                    "order": started.id, "url": started.data.url, "checkout": started.data
                }))
            }
            ("POST", ["accounts", number, "readings", "review"]) => {
                let reading = accounts::review_reading(number, req.json()?)?;
                ApiResponse::ok(&serde_json::json!({ "reading": reading }))
            }
            ("GET", ["accounts", number, "statement"]) => {
                let doc = visible_account(number)?;
                let params = req.params();
                let today = ctx::today()?;
                let from = params
                    .date("from")?
                    .unwrap_or(today.add_months(-12).unwrap_or(today));
                let to = params.date("to")?.unwrap_or(today);
                if to < from {
                    return Err(Error::invalid(
                        "to",
                        tr("Конец периода раньше начала", "the end is before the start"),
                    ));
                }
                let bills = bills_of(&doc.id)?;
                let payments = payments_of(&doc.id)?;
                ApiResponse::ok(&ledger::statement(&bills, &payments, from, to))
            }
            ("GET", ["tariffs"]) => {
                require_operator()?;
                let tariffs = TARIFFS.query().fetch_all()?;
                ApiResponse::ok(&serde_json::json!({
                    "tariffs": tariffs.into_iter().map(|d| serde_json::json!({
                        "community": d.community, "tariff": d.data
                    })).collect::<Vec<_>>()
                }))
            }
            ("PUT", ["tariffs", code]) => {
                require_operator()?;
                ApiResponse::ok(&accounts::save_tariff(code, req.json()?)?.data)
            }
            ("PUT", ["provider"]) => {
                require_operator()?;
                ApiResponse::ok(&accounts::save_provider(req.json()?)?.data)
            }
            ("POST", ["import", "accounts"]) => {
                require_operator()?;
                accounts::import_accounts(&req.body)?.respond()
            }
            ("POST", ["import", "meters"]) => {
                require_operator()?;
                accounts::import_meters(&req.body)?.respond()
            }
            ("POST", ["import", "readings"]) => {
                require_operator()?;
                accounts::import_readings(&req.body)?.respond()
            }
            ("POST", ["import", "tariffs"]) => {
                require_operator()?;
                accounts::import_tariffs(&req.body)?.respond()
            }
            ("POST", ["import", "payments"]) => {
                require_operator()?;
                import_payments(&req.body)?.respond()
            }
            // A file too large for one request: checked whole, then written in the background.
            ("POST", ["imports", kind]) => {
                require_operator()?;
                let kind = imports::ImportKind::named(kind).ok_or_else(|| {
                    Error::not_found(tr(
                        "Такие файлы не загружаются в фоне",
                        "no such background import",
                    ))
                })?;
                let started = imports::start_from_body(kind, &req.body)?;
                ApiResponse::json(202, &imports::import_json(&started))
            }
            ("GET", ["imports"]) => {
                require_operator()?;
                let recent = imports::recent(20)?;
                ApiResponse::ok(&serde_json::json!({
                    "imports": recent.iter().map(imports::import_json).collect::<Vec<_>>()
                }))
            }
            ("GET", ["imports", id]) => {
                require_operator()?;
                // The host reads only documents of the call's community and below, as the
                // list does.
                let doc = imports::IMPORTS
                    .get(id)?
                    .ok_or_else(|| Error::not_found(tr("Нет такой загрузки", "no such import")))?;
                ApiResponse::ok(&imports::import_json(&doc))
            }
            ("POST", ["billing", "runs"]) => {
                let caller = require_operator()?;
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct NewRun {
                    period: String,
                    /// The operator knows the month is not over (see `billing::check_period`).
                    #[serde(default)]
                    confirm_unfinished: bool,
                }
                let body: NewRun = req.json()?;
                let period = Period::parse_field("period", &body.period)?;
                billing::check_period(period, ctx::today()?, body.confirm_unfinished)?;
                let run = billing::request_run(&ctx::community(), period, Some(caller.person_id))?;
                ApiResponse::json(202, &serde_json::json!({ "id": run.id, "run": run.data }))
            }
            ("GET", ["billing", "runs"]) => {
                require_operator()?;
                let runs = RUNS
                    .query()
                    .in_community(&ctx::community())
                    .order_by("requested", Direction::Desc)
                    .limit(24)
                    .fetch()?;
                ApiResponse::ok(&serde_json::json!({
                    "runs": runs.docs.into_iter().map(|d| serde_json::json!({"id": d.id, "run": d.data})).collect::<Vec<_>>()
                }))
            }
            ("POST", ["payments"]) => {
                let caller = require_operator()?;
                let recorded = record_manual_payment(&req, caller.person_id)?;
                if recorded.new {
                    ApiResponse::created(&recorded)
                } else {
                    ApiResponse::ok(&recorded)
                }
            }
            ("POST", ["payments", "webhook"]) => payment_webhook(&req),
            ("GET", ["requests"]) => {
                let page = requests::list(req.param("status"), req.param("cursor"))?;
                let now = ctx::now();
                ApiResponse::ok(&serde_json::json!({
                    "requests": page.docs.iter().map(|d| serde_json::json!({
                        "id": d.id, "request": d.data, "overdue": requests::is_overdue(&d.data, now)
                    })).collect::<Vec<_>>(),
                    "next_cursor": page.next_cursor,
                }))
            }
            ("POST", ["requests"]) => {
                let doc = requests::create(req.json()?)?;
                ApiResponse::created(&serde_json::json!({ "id": doc.id, "request": doc.data }))
            }
            ("GET", ["requests", "stats"]) => ApiResponse::ok(&requests::stats()?),
            ("GET", ["requests", id]) => {
                let doc = requests::visible(id)?;
                ApiResponse::ok(&serde_json::json!({ "id": doc.id, "request": doc.data,
                    "overdue": requests::is_overdue(&doc.data, ctx::now()) }))
            }
            ("POST", ["requests", id, "assign"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Assign {
                    executor: String,
                    #[serde(default)]
                    deadline: Option<i64>,
                }
                let body: Assign = req.json()?;
                let doc = requests::assign(id, &body.executor, body.deadline)?;
                request_json(&doc)
            }
            ("POST", ["requests", id, "status"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Move {
                    status: RequestStatus,
                    /// Why, for `rejected`.
                    #[serde(default)]
                    reason: Option<String>,
                    /// What was done, for `done`.
                    #[serde(default)]
                    note: Option<String>,
                }
                let body: Move = req.json()?;
                let text = match body.status {
                    RequestStatus::Done => body.note.as_deref(),
                    _ => body.reason.as_deref(),
                };
                let doc = requests::set_status(id, body.status, text)?;
                request_json(&doc)
            }
            ("POST", ["requests", id, "comments"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Comment {
                    text: String,
                }
                let body: Comment = req.json()?;
                let doc = requests::comment(id, &body.text)?;
                request_json(&doc)
            }
            ("POST", ["requests", id, "rating"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Rating {
                    rating: i64,
                }
                let body: Rating = req.json()?;
                let doc = requests::rate(id, body.rating)?;
                request_json(&doc)
            }
            ("GET", ["announcements"]) => {
                let staff = crate::access::is_staff();
                ApiResponse::ok(&serde_json::json!({
                    "announcements": current_announcements()?
                        .iter()
                        .map(|a| announcement_json(a, staff))
                        .collect::<Vec<_>>()
                }))
            }
            ("POST", ["announcements"]) => {
                let caller = require_operator()?;
                let doc = announce(req.json()?, &caller)?;
                ApiResponse::created(&serde_json::json!({ "id": doc.id, "announcement": doc.data }))
            }
            ("GET", ["export", "debtors.csv"]) => {
                require_operator()?;
                Ok(csv_response("debtors.csv", export_debtors()?))
            }
            ("GET", ["export", "charges.csv"]) => {
                require_operator()?;
                let period = Period::parse_field("period", req.param("period").unwrap_or(""))?;
                Ok(csv_response("charges.csv", export_charges(period)?))
            }
            ("GET", ["export", "readings.csv"]) => {
                require_operator()?;
                let period = Period::parse_field("period", req.param("period").unwrap_or(""))?;
                Ok(csv_response("readings.csv", export_readings(period)?))
            }
            _ => Err(Error::not_found(tr("Нет такого адреса", "no such route"))),
        }
    }

    fn render_page(&self, route: &str, query: &Params) -> Result<Page> {
        pages::render(route, query)
    }

    fn handle_action(&self, route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
        pages::act(route, action, form)
    }

    fn job(&self, job: Job) -> Result<JobStep> {
        match job.name.as_str() {
            "billing" => Ok(JobStep::continue_from(billing::run_job_chunk(job.cursor)?)),
            imports::IMPORT_JOB => imports::run_chunk(&job),
            name => Err(Error::not_found(format!("no job `{name}`"))),
        }
    }

    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        match place {
            TilePlace::Community => Ok(Some(notices_tile()?)),
            TilePlace::Person => bills_tile(),
        }
    }
}

/// A house's home: what the plugin is for. Its announcements are not repeated here: the host's
/// page lists them with the place's own (`GET announcements`), urgent first.
fn notices_tile() -> Result<Tile> {
    Ok(Tile::new(tr("Дом и счета", "Home and bills")).line(tr(
        "Лицевые счета, показания, оплата, заявки",
        "accounts, readings, payments, requests",
    )))
}

/// A resident's home: what each of their accounts asks now, and by when.
fn bills_tile() -> Result<Option<Tile>> {
    if ctx::caller().is_none() {
        return Ok(None);
    }
    let accounts = my_accounts()?;
    let Some(first) = accounts.first() else {
        return Ok(None);
    };
    let today = ctx::today()?;
    let mut tile = Tile::new(tr("Квартплата", "Housing bills"))
        .link(Link::to(format!("account/{}", first.data.number), ""));
    let mut tone = Tone::Success;
    for account in &accounts {
        let due = due::AmountDue::of(&account.data, today);
        let number = &account.data.number;
        if due.total.0 <= 0 {
            tile = tile.line(format!(
                "{} {number}: {}",
                tr("Л/с", "Account"),
                tr("долга нет", "nothing owed")
            ));
            continue;
        }
        let when = if due.overdue.0 > 0 {
            tone = Tone::Danger;
            format!(
                "{} {}",
                tr("просрочено", "overdue"),
                show::money_text(due.overdue)
            )
        } else {
            if tone == Tone::Success {
                tone = Tone::Warning;
            }
            due.pay_by.map_or_else(String::new, |day| {
                format!("{} {}", tr("оплатить до", "pay by"), show::date_text(day))
            })
        };
        tile = tile.line(format!(
            "{} {number}: {} {}{}",
            tr("Л/с", "Account"),
            tr("к оплате", "to pay"),
            show::money_text(due.total),
            if when.is_empty() {
                String::new()
            } else {
                format!(", {when}")
            }
        ));
    }
    Ok(Some(tile.tone(tone)))
}

dvor_sdk::plugin!(Housing, manifest = "dvor-plugin.toml");

/// A request with its id, as the request routes answer.
fn request_json(doc: &Doc<model::ServiceRequest>) -> Result<ApiResponse> {
    ApiResponse::ok(&serde_json::json!({ "id": doc.id, "request": doc.data }))
}

/// Accounts: the caller's own; with `all=true` the staff see every account (paged, flat 2
/// before flat 10).
fn list_accounts(req: &ApiRequest) -> Result<ApiResponse> {
    if is_operator() && req.param("all") == Some("true") {
        let page = ACCOUNTS
            .query()
            .in_community(&ctx::community())
            .order_by("sort_key", Direction::Asc)
            .limit(200)
            .cursor(req.param("cursor"))
            .fetch()?;
        return ApiResponse::ok(&serde_json::json!({
            "accounts": page.docs.iter().map(|d| serde_json::json!({
                "id": d.id, "house": d.community, "account": d.data
            })).collect::<Vec<_>>(),
            "next_cursor": page.next_cursor,
        }));
    }
    let mine = my_accounts()?;
    ApiResponse::ok(&serde_json::json!({
        "accounts": mine.iter().map(|d| serde_json::json!({
            "id": d.id, "house": d.community, "account": d.data
        })).collect::<Vec<_>>(),
    }))
}

/// The account card: what to pay now (`due`: the total, the overdue part, by when, the
/// months), the balance behind it, meters, the latest bill.
fn account_json(doc: &Doc<model::Account>) -> Result<serde_json::Value> {
    let bills = bills_of(&doc.id)?;
    let due = due::AmountDue::of(&doc.data, ctx::today()?);
    Ok(serde_json::json!({
        "id": doc.id,
        "house": doc.community,
        "account": doc.data,
        "balance": doc.data.balance,
        "to_pay": due.total,
        "debt": due.overdue,
        "penalties_owed": due.penalties,
        "advance": doc.data.advance,
        "due": due,
        "latest_bill": bills.last(),
    }))
}

/// The payment QR code (SVG) of what `account` owes now.
fn qr_svg(account: &Doc<model::Account>) -> Result<ApiResponse> {
    let provider = accounts::provider_for(&account.community)?;
    let due = due::AmountDue::of(&account.data, ctx::today()?);
    let image =
        epd::payment_qr(&account.data, provider.as_ref(), &due).map_err(Error::not_found)?;
    let svg = qr::svg(&image.payload).map_err(Error::internal)?;
    // What it asks changes with every payment: never kept by a cache.
    Ok(ApiResponse::bytes(200, "image/svg+xml", svg.into_bytes())
        .header("cache-control", "private, no-cache"))
}

/// Every bill of an account, oldest first.
pub fn bills_of(account_id: &str) -> Result<Vec<Bill>> {
    let mut bills: Vec<Bill> = BILLS
        .query()
        .filter("account", Compare::Eq, account_id)
        .fetch_all()?
        .into_iter()
        .map(|d| d.data)
        .collect();
    bills.sort_by_key(|b| b.period);
    Ok(bills)
}

/// Every payment of an account, by date.
pub fn payments_of(account_id: &str) -> Result<Vec<Payment>> {
    let mut payments: Vec<Payment> = PAYMENTS
        .query()
        .filter("account", Compare::Eq, account_id)
        .fetch_all()?
        .into_iter()
        .map(|d| d.data)
        .collect();
    payments.sort_by_key(|p| (p.date, p.at));
    Ok(payments)
}

/// Account `number`'s bill for `period`, if the caller may see the account.
fn bill_of(number: &str, period: &str) -> Result<(Doc<model::Account>, Bill)> {
    let account = visible_account(number)?;
    let period = Period::parse_field("period", period)?;
    let bill = BILLS
        .get(&format!("{}@{period}", account.id))?
        .ok_or_else(|| {
            Error::not_found(tr(
                "Счёт за этот месяц ещё не выставлен",
                "no bill for that month yet",
            ))
        })?;
    Ok((account, bill.data))
}

/// A payment an operator enters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualPayment {
    account: String,
    amount: String,
    date: String,
    #[serde(default)]
    period: Option<String>,
    reference: String,
}

fn record_manual_payment(req: &ApiRequest, by: String) -> Result<ledger::Recorded> {
    let body: ManualPayment = req.json()?;
    let settings = Settings::load()?;
    let payment = ledger::NewPayment {
        source: PaymentSource::Manual,
        reference: body.reference,
        account_id: account_id(&body.account),
        date: Date::parse_field("date", &body.date)?,
        amount: Kopecks::parse_field("amount", &body.amount)?,
        period: body
            .period
            .filter(|p| !p.is_empty())
            .map(|p| Period::parse_field("period", &p))
            .transpose()?,
        by: Some(by),
    };
    if payment.date > ctx::today()? {
        return Err(Error::invalid(
            "date",
            tr("Дата оплаты в будущем", "the payment date is in the future"),
        ));
    }
    ledger::record(payment, &settings)
}

/// A payment provider's notification (see [`checkout::Notice`]), signed with HMAC-SHA256 of
/// the body in `x-signature`. The provider's `id` is the idempotency key: a repeated
/// notification is answered as the first and changes nothing.
fn payment_webhook(req: &ApiRequest) -> Result<ApiResponse> {
    let settings = Settings::load()?;
    if settings.payment_webhook_secret.is_empty() {
        return Err(Error::not_found(tr(
            "Приём платежей не настроен",
            "payment webhook is not configured",
        )));
    }
    let signature = req.header("x-signature").unwrap_or_default();
    if !dvor_sdk::webhooks::signature_is_valid(
        &settings.payment_webhook_secret,
        &req.body,
        signature,
    ) {
        return Err(Error::unauthenticated(tr(
            "Неверная подпись",
            "bad signature",
        )));
    }
    match checkout::notice(req.json()?, &settings)? {
        checkout::Outcome::Paid(recorded) => ApiResponse::ok(&serde_json::json!({
            "accepted": true, "duplicate": !recorded.new, "payment": recorded.payment
        })),
        checkout::Outcome::Canceled => {
            ApiResponse::ok(&serde_json::json!({ "accepted": true, "recorded": false }))
        }
    }
}

/// A bank registry: `account,date,amount,reference[,period]` — all or nothing; lines already
/// recorded (same reference) are counted as duplicates and change nothing.
pub fn import_payments(body: &[u8]) -> Result<accounts::Imported> {
    import_payment_rows(
        accounts::read_csv(body, PAYMENT_COLUMNS)?,
        accounts::Apply::IfAllGood,
    )
}

/// The columns a bank registry must have.
pub const PAYMENT_COLUMNS: &[&str] = &["account", "date", "amount", "reference"];

/// Check and, as `apply` says, record rows of a bank registry.
pub fn import_payment_rows(
    rows: Vec<accounts::CsvRow>,
    apply: accounts::Apply,
) -> Result<accounts::Imported> {
    let settings = Settings::load()?;
    let mut problems = Vec::new();
    let mut ready = Vec::new();
    for (line, row) in rows {
        let get = |name: &str| row.get(name).cloned().unwrap_or_default();
        let parsed = (|| -> Result<ledger::NewPayment> {
            let id = account_id(&get("account"));
            if ACCOUNTS.get(&id)?.is_none() {
                return Err(Error::invalid(
                    "account",
                    tr("Нет такого лицевого счёта", "no such personal account"),
                ));
            }
            Ok(ledger::NewPayment {
                source: PaymentSource::Registry,
                reference: get("reference"),
                account_id: id,
                date: Date::parse_field("date", &get("date"))?,
                amount: Kopecks::parse_field("amount", &get("amount"))?,
                period: row
                    .get("period")
                    .filter(|p| !p.is_empty())
                    .map(|p| Period::parse_field("period", p))
                    .transpose()?,
                by: None,
            })
        })();
        match parsed {
            Ok(p) if p.amount <= Kopecks::ZERO => problems.push(accounts::problem(
                line,
                Error::invalid(
                    "amount",
                    tr(
                        "Сумма должна быть больше нуля",
                        "the amount must be above zero",
                    ),
                ),
            )),
            Ok(p) if p.reference.is_empty() => problems.push(accounts::problem(
                line,
                Error::invalid("reference", tr("Нет номера платежа", "no reference")),
            )),
            Ok(p) => ready.push(p),
            Err(e) => problems.push(accounts::problem(line, e)),
        }
    }
    if !apply.writes(&problems) {
        return Ok(apply.outcome(ready.len(), problems));
    }
    let (mut new, mut duplicates, mut total) = (0, 0, 0i64);
    for payment in ready {
        let amount = payment.amount;
        if ledger::record(payment, &settings)?.new {
            new += 1;
            total += amount.0;
        } else {
            duplicates += 1;
        }
    }
    Ok(accounts::Imported {
        imported: new,
        duplicates,
        total: Some(Kopecks(total)),
        problems,
    })
}

/// A new announcement as the operator sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAnnouncement {
    kind: AnnouncementKind,
    title: String,
    text: String,
    from: Date,
    #[serde(default)]
    until: Option<Date>,
}

/// An announcement as the API shows it: the organization it is from to everyone, the name of
/// the operator who posted it to the staff only.
pub fn announcement_json(announcement: &Announcement, staff: bool) -> serde_json::Value {
    let mut value = serde_json::to_value(announcement).unwrap_or_default();
    if !staff && let Some(map) = value.as_object_mut() {
        map.remove("by");
    }
    value
}

/// The organization `operator` posts for here: that of their operator role serving the call's
/// community (none for an admin).
fn posting_organization(operator: &ctx::Caller) -> Option<String> {
    let chain = dvor_sdk::directory::ancestry(&ctx::community());
    operator
        .roles
        .iter()
        .filter(|r| r.name == "operator")
        .filter(|r| {
            r.community.as_deref().is_none_or(|c| {
                chain.iter().any(|here| here == c) || dvor_sdk::directory::community(c).is_none()
            })
        })
        .find_map(|r| r.organization.clone())
}

/// Publish an announcement to the call's community (a house, or every house below) and
/// notify its residents and owners (SMS too for outages).
pub fn announce(input: NewAnnouncement, by: &ctx::Caller) -> Result<Doc<Announcement>> {
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(Error::invalid(
            "title",
            tr(
                "Заголовок — от 1 до 200 знаков",
                "the title is 1–200 characters",
            ),
        ));
    }
    let text = input.text.trim();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(Error::invalid(
            "text",
            tr(
                "Текст — от 1 до 4000 знаков",
                "the text is 1–4000 characters",
            ),
        ));
    }
    if input.until.is_some_and(|u| u < input.from) {
        return Err(Error::invalid(
            "until",
            tr("Окончание раньше начала", "the end is before the start"),
        ));
    }
    let community = ctx::community();
    let message = Message::new(
        Localized::new(title, title),
        Localized::new(
            format!("{text} ({} {})", "с", input.from),
            format!("{text} (from {})", input.from),
        ),
    )
    .link(format!("/c/{community}/p/housing"))
    .urgency(if input.kind == AnnouncementKind::Outage {
        Urgency::High
    } else {
        Urgency::Normal
    });
    let mut reached = notifications::notify_community(&community, "resident", &message)?;
    reached += notifications::notify_community(&community, "owner", &message)?;
    let announcement = Announcement {
        kind: input.kind,
        title: title.to_owned(),
        text: text.to_owned(),
        from: input.from,
        until: input.until,
        by: by.display_name.clone(),
        organization: posting_organization(by),
        at: ctx::now(),
        reached,
    };
    ANNOUNCEMENTS.insert(&community, None, &announcement)
}

/// Announcements not yet over, for the call's community and the places above it.
pub fn current_announcements() -> Result<Vec<Announcement>> {
    let today = ctx::today()?;
    let community = ctx::community();
    let mut found = Vec::new();
    for place in dvor_sdk::directory::ancestry(&community) {
        let docs = ANNOUNCEMENTS
            .query()
            .filter("community", Compare::Eq, place.as_str())
            .order_by("at", Direction::Desc)
            .limit(20)
            .fetch();
        // Places above the plugin's scope are not readable: stop there.
        let Ok(docs) = docs else { break };
        found.extend(
            docs.docs
                .into_iter()
                .filter(|d| d.community == place)
                .map(|d| d.data)
                .filter(|a| a.until.is_none_or(|u| u >= today)),
        );
    }
    found.sort_by_key(|a| core::cmp::Reverse(a.at));
    Ok(found)
}

fn csv_response(name: &str, body: String) -> ApiResponse {
    ApiResponse::bytes(200, "text/csv; charset=utf-8", body.into_bytes()).header(
        "content-disposition",
        format!("attachment; filename=\"{name}\""),
    )
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', ';']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

fn rubles(k: Kopecks) -> String {
    let sign = if k.0 < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", k.0.abs() / 100, k.0.abs() % 100)
}

/// Debtors: accounts with a positive balance, largest first.
fn export_debtors() -> Result<String> {
    let today = ctx::today()?;
    let mut out = csv_line(
        &[
            "account",
            "payer",
            "address",
            "balance",
            "debt",
            "penalties",
        ]
        .map(String::from),
    );
    // Read in the store's cheapest order (by id), a page at a time, and sorted here: only
    // each debtor's line and balance are kept, so a hundred thousand fit the plugin's memory.
    let mut debtors = Vec::new();
    ACCOUNTS
        .query()
        .in_community(&ctx::community())
        .filter("balance", Compare::Gt, 0i64)
        .limit(1000)
        .for_each(|doc| {
            let a = &doc.data;
            let line = csv_line(&[
                a.number.clone(),
                a.payer.clone(),
                a.address.clone(),
                rubles(a.balance),
                rubles(due::AmountDue::of(a, today).overdue),
                rubles(due::penalties_owed(a)),
            ]);
            debtors.push((a.balance, doc.id, line));
            Ok(())
        })?;
    debtors.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (_, _, line) in debtors {
        out.push_str(&line);
    }
    Ok(out)
}

/// Charges of a month: one row per bill line, then recalculations and penalties.
fn export_charges(period: Period) -> Result<String> {
    let mut out = csv_line(
        &[
            "account", "period", "service", "method", "volume", "tariff", "amount",
        ]
        .map(String::from),
    );
    BILLS
        .query()
        .in_community(&ctx::community())
        .filter("period", Compare::Eq, period.to_string())
        .limit(1000)
        .for_each(|doc| {
            let b = &doc.data;
            for l in &b.lines {
                out.push_str(&csv_line(&[
                    b.number.clone(),
                    period.to_string(),
                    l.service.clone(),
                    format!("{:?}", l.method).to_lowercase(),
                    billing::show_volume(l.volume),
                    l.tariff.clone(),
                    rubles(l.amount),
                ]));
            }
            for r in &b.recalculations {
                out.push_str(&csv_line(&[
                    b.number.clone(),
                    period.to_string(),
                    r.service.clone(),
                    "recalculation".into(),
                    String::new(),
                    String::new(),
                    rubles(r.amount),
                ]));
            }
            if b.penalty != Kopecks::ZERO {
                out.push_str(&csv_line(&[
                    b.number.clone(),
                    period.to_string(),
                    "penalty".into(),
                    "penalty".into(),
                    String::new(),
                    String::new(),
                    rubles(b.penalty),
                ]));
            }
            Ok(())
        })?;
    Ok(out)
}

/// Readings of a month.
fn export_readings(period: Period) -> Result<String> {
    let mut out = csv_line(
        &[
            "account", "meter", "service", "period", "value", "volume", "kind", "flagged",
        ]
        .map(String::from),
    );
    READINGS
        .query()
        .in_community(&ctx::community())
        .filter("period", Compare::Eq, period.to_string())
        .limit(1000)
        .for_each(|doc| {
            let r = &doc.data;
            let number = r.account.rsplit(':').next().unwrap_or_default().to_owned();
            out.push_str(&csv_line(&[
                number,
                r.meter.clone(),
                r.service.clone(),
                period.to_string(),
                billing::show_volume(r.value),
                billing::show_volume(r.volume),
                format!("{:?}", r.kind).to_lowercase(),
                r.flagged.to_string(),
            ]));
            Ok(())
        })?;
    Ok(out)
}

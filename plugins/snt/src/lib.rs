//! The `snt` plugin: the garden non-profit partnership (СНТ, 217-ФЗ) — its register of members
//! and plots, admission, exit and expulsion with the law's timers, the estimate and its ФЭО with
//! dues traced to the kopeck, the plots' ledgers with the payment QR code, the electricity
//! balance, documents and certified copies, the produce certificate, announcements.
//!
//! The domain logic is pure and tested natively against the worked examples S1–S5 of
//! `shared/domain/RULES.md` §5 and §7:
//!
//! - [`law`]: the periods the law sets (expulsion, warnings, notices, drafts, copies) as dated,
//!   configurable data, and the deadlines they give.
//! - [`dues`]: the estimate's lines with their allocation keys, exact rates, each plot's dues
//!   rounded once, the rounding remainder, and the member's computation sheet.
//! - [`electricity`]: the monthly loss balance of a transformer and the plots' bills at the
//!   tariff; [`readings`]: months, the readings window and the checks of a reading.
//! - [`membership`]: admission, refusal on the grounds the law allows, exit and expulsion.
//! - [`register`]: the register's CSV import (all or nothing, every bad cell named) and export.
//! - [`ledgers`]: a plot's accounts per ledger, debts paid oldest first, statements;
//!   [`penalties`]: penalties where the charter sets them; [`bank`]: the bank's registry CSV.
//! - [`documents`]: certified copies of documents, their deadline and fee.
//! - [`debtors`]: the debtor list for publication — plot numbers and amounts only.
//!
//! The shell calls them: [`records`] (the register in storage), [`admission`], [`estimates`],
//! [`accounts`] (ledgers, payments, the QR code), [`power`], [`library`] (documents, copies,
//! certificates), [`notices`]; the pages are in `pages`, the events in [`signals`]. The API is
//! under `/api/c/{snt}/p/snt/`; `docs/snt.md` describes roles, settings, timers and CSV
//! formats. The payment QR code (ГОСТ Р 56042) is [`dvor_sdk::payment_qr`], shared with the
//! housing plugin.

pub mod access;
pub mod accounts;
pub mod admission;
pub mod bank;
pub mod debtors;
mod demo;
pub mod documents;
pub mod dues;
pub mod electricity;
pub mod estimates;
pub mod law;
pub mod ledgers;
pub mod library;
pub mod membership;
pub mod model;
pub mod notices;
mod pages;
pub mod penalties;
pub mod power;
pub mod readings;
pub mod records;
pub mod register;
pub mod show;
pub mod signals;
pub mod tell;

use dvor_sdk::csv_sheet::CellProblem;
use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::access::{Viewer, require_board};
use crate::ledgers::Ledger;
use crate::model::{PaymentWay, Settings, Standing};

#[derive(Default)]
struct Snt;

/// An import's answer: 200 with what it did, or 422 with every bad cell.
fn import_answer<T: serde::Serialize>(
    outcome: core::result::Result<T, Vec<CellProblem>>,
) -> Result<ApiResponse> {
    match outcome {
        Ok(report) => ApiResponse::ok(&report),
        Err(problems) => ApiResponse::json(
            422,
            &serde_json::json!({
                "error": { "code": "invalid", "message": tr("В файле есть ошибки: ничего не загружено", "the file has errors: nothing was imported"), "field": "file" },
                "problems": problems,
            }),
        ),
    }
}

fn csv_file(name: &str, body: String) -> ApiResponse {
    ApiResponse::bytes(200, "text/csv; charset=utf-8", body.into_bytes()).header(
        "content-disposition",
        format!("attachment; filename=\"{name}\""),
    )
}

impl Plugin for Snt {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        access::snt()?;
        let (method, path) = req.route();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let today = ctx::today()?;
        match (method, parts.as_slice()) {
            ("GET", ["me"]) => {
                let viewer = Viewer::of_call()?;
                let caller = ctx::require_caller()?;
                let mut plots = Vec::new();
                for plot in viewer.plots() {
                    plots.push(serde_json::json!({
                        "plot": plot,
                        "ledgers": accounts::plot_ledgers(&plot, today)?,
                    }));
                }
                ApiResponse::ok(&serde_json::json!({
                    "person_id": caller.person_id,
                    "board": viewer.board,
                    "standing": viewer.record().map(|r| r.data.standing),
                    "record": viewer.record(),
                    "plots": plots,
                    "application": admission::open_application_of(&caller.person_id)?,
                }))
            }
            ("GET", ["register"]) => {
                require_board()?;
                ApiResponse::ok(&serde_json::json!({ "records": access::all_records()? }))
            }
            ("GET", ["register.csv"]) => Ok(csv_file("register.csv", records::export()?)),
            ("POST", ["register", "import"]) => import_answer(records::import(&req.body)?),
            ("GET", ["plots", plot]) => {
                let viewer = Viewer::of_call()?;
                if !viewer.sees_plot(plot) {
                    return Err(viewer.refusal());
                }
                access::plot("plot", plot)?;
                ApiResponse::ok(&serde_json::json!({
                    "plot": plot,
                    "ledgers": accounts::plot_ledgers(plot, today)?,
                }))
            }
            ("GET", ["plots", plot, "qr"]) => {
                let viewer = Viewer::of_call()?;
                if !viewer.sees_plot(plot) {
                    return Err(viewer.refusal());
                }
                let ledger =
                    Ledger::from_code(req.param("ledger").unwrap_or("Ч")).ok_or_else(|| {
                        Error::invalid("ledger", tr("Нет такого вида", "no such ledger"))
                    })?;
                let owed = accounts::plot_ledgers(plot, today)?
                    .into_iter()
                    .find(|l| l.ledger == ledger)
                    .map_or(Kopecks::ZERO, |l| l.position.balance);
                match accounts::qr_payload(plot, &ledger, owed, &Settings::load()?)? {
                    Ok(payload) => ApiResponse::ok(&serde_json::json!({ "payload": payload })),
                    Err(why) => Err(Error::not_found(why)),
                }
            }
            ("POST", ["payments"]) => {
                require_board()?;
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Payment {
                    account: String,
                    amount: String,
                    date: String,
                    #[serde(default)]
                    reference: Option<String>,
                    #[serde(default)]
                    payer: Option<String>,
                }
                let body: Payment = req.json()?;
                let (plot, ledger) = ledgers::parse_account("account", &body.account)?;
                let (doc, new) = accounts::record_payment(
                    &accounts::NewPayment {
                        plot,
                        ledger,
                        amount: Kopecks::parse_field("amount", &body.amount)?,
                        date: Date::parse_field("date", &body.date)?,
                        reference: body.reference,
                        payer: body.payer,
                        way: PaymentWay::Manual,
                    },
                    &access::all_records()?,
                )?;
                ApiResponse::json(
                    if new { 201 } else { 200 },
                    &serde_json::json!({ "id": doc.id, "entry": doc.data, "new": new }),
                )
            }
            ("POST", ["payments", "import"]) => {
                import_answer(accounts::import_registry(&req.body)?)
            }
            ("GET", ["debts"]) => {
                require_board()?;
                ApiResponse::ok(&serde_json::json!({ "debts": accounts::debts(today)? }))
            }
            ("GET", ["debtors"]) => {
                let viewer = Viewer::of_call()?;
                if !viewer.reads_documents() {
                    return Err(viewer.refusal());
                }
                ApiResponse::ok(&serde_json::json!({
                    "as_of": today,
                    "debtors": accounts::debtor_list(today, &Settings::load()?)?,
                }))
            }
            ("GET", ["estimates"]) => {
                let viewer = Viewer::of_call()?;
                if !viewer.reads_documents() {
                    return Err(viewer.refusal());
                }
                let all: Vec<_> = estimates::all()?
                    .into_iter()
                    .filter(|d| viewer.board || d.data.status != model::EstimateStatus::Draft)
                    .collect();
                ApiResponse::ok(&serde_json::json!({ "estimates": all }))
            }
            ("GET", ["estimates", id, "sheet", plot]) => {
                let (_, sheet) = estimates::sheet(id, plot)?;
                ApiResponse::ok(&sheet)
            }
            ("GET", ["documents"]) => {
                ApiResponse::ok(&serde_json::json!({ "documents": library::all()? }))
            }
            ("POST", ["documents"]) => {
                require_board()?;
                let file = store_body(&req)?;
                let doc = library::add(
                    req.param("kind").unwrap_or_default(),
                    req.param("title").unwrap_or_default(),
                    &file,
                )?;
                ApiResponse::created(&serde_json::json!({ "id": doc.id, "document": doc.data }))
            }
            ("POST", ["documents", id, "versions"]) => {
                require_board()?;
                let file = store_body(&req)?;
                let doc = library::add_version(id, &file, req.param("note").unwrap_or_default())?;
                ApiResponse::created(&serde_json::json!({ "id": doc.id, "document": doc.data }))
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

    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        if access::snt().is_err() {
            return Ok(None);
        }
        let today = ctx::today()?;
        match place {
            // The partnership's open notices, and for the board what waits for it.
            TilePlace::Community => {
                let open = notices::open_notices()?;
                let mut tile = Tile::new(tr("Товарищество", "Partnership"));
                let urgent = open.iter().any(|n| n.data.emergency);
                for notice in open.iter().take(3) {
                    tile = tile.line(notice.data.title.clone());
                }
                if !open.is_empty() {
                    tile = tile
                        .count(i64::try_from(open.len()).unwrap_or(i64::MAX))
                        .tone(if urgent { Tone::Danger } else { Tone::Info });
                }
                if access::is_board() {
                    let waiting = model::APPLICATIONS
                        .query()
                        .in_community(&ctx::community())
                        .filter("status", Compare::Eq, "submitted")
                        .count()?;
                    if waiting > 0 {
                        tile = tile.line(format!(
                            "{}: {waiting}",
                            tr("Заявлений о вступлении", "Membership applications")
                        ));
                    }
                }
                Ok(Some(tile))
            }
            // A member's (or owner's) unpaid dues.
            TilePlace::Person => {
                let viewer = Viewer::of_call()?;
                let plots = viewer.plots();
                if plots.is_empty() {
                    return Ok(None);
                }
                let mut owed = Kopecks::ZERO;
                let mut overdue = Kopecks::ZERO;
                let mut next: Option<Date> = None;
                for plot in &plots {
                    for l in accounts::plot_ledgers(plot, today)? {
                        if l.position.balance > Kopecks::ZERO {
                            owed = owed.checked_add(l.position.balance).unwrap_or(owed);
                        }
                        overdue = overdue.checked_add(l.position.overdue).unwrap_or(overdue);
                        if let Some(d) = l.position.next_due {
                            next = Some(next.map_or(d, |n| n.min(d)));
                        }
                    }
                }
                let title = match viewer.record().map(|r| r.data.standing) {
                    Some(Standing::Member) => tr("Взносы в СНТ", "SNT dues"),
                    _ => tr("Платежи в СНТ", "SNT payments"),
                };
                let mut tile = Tile::new(title).link(Link::to(format!("plot/{}", plots[0]), ""));
                if owed > Kopecks::ZERO {
                    tile = tile
                        .line(format!("{}: {owed}", tr("К оплате", "To pay")))
                        .tone(if overdue > Kopecks::ZERO {
                            Tone::Danger
                        } else {
                            Tone::Warning
                        });
                    if overdue > Kopecks::ZERO {
                        tile = tile.line(format!("{}: {overdue}", tr("Просрочено", "Overdue")));
                    } else if let Some(next) = next {
                        tile = tile.line(format!(
                            "{} {}",
                            tr("Оплатить до", "Pay by"),
                            show::date_text(next)
                        ));
                    }
                } else {
                    tile = tile
                        .line(tr("Долгов нет", "Nothing owed"))
                        .tone(Tone::Success);
                }
                Ok(Some(tile))
            }
        }
    }

    fn run_job(&self, name: &str, _cursor: Option<String>) -> Result<Option<String>> {
        match name {
            "upkeep" => {
                demo::seed_if_asked()?;
                let today = ctx::today()?;
                library::remind_copies(today)?;
                Ok(None)
            }
            _ => Err(Error::not_found(format!("no job `{name}`"))),
        }
    }
}

dvor_sdk::plugin!(Snt, manifest = "dvor-plugin.toml");

/// The request's body stored as a file, named by the `name` parameter.
fn store_body(req: &ApiRequest) -> Result<String> {
    if req.body.is_empty() {
        return Err(Error::invalid(
            "file",
            tr("Приложите файл документа", "attach the document's file"),
        ));
    }
    let name = req.param("name").unwrap_or("document");
    let mime = req
        .header("content-type")
        .unwrap_or("application/octet-stream");
    Ok(dvor_sdk::files::store(&ctx::community(), name, mime, &req.body)?.id)
}

//! `people-control`: residents' appeals to the body responsible — a pothole, a broken lift,
//! rubbish not collected, or thanks — routed by category and place to the organization that
//! answers, moderated, followed through their statuses with deadlines, discussed, supported by
//! neighbours and counted in statistics. Served over Open311 GeoReport v2 as well, and linked to
//! an external people's-control system that appeals are forwarded to and statuses come back from.
//!
//! The API lives under `/api/c/{community}/p/people-control/`; see `docs/people-control.md`.

pub mod access;
pub mod appeals;
mod demo;
pub mod export;
pub mod external;
pub mod model;
pub mod open311;
mod open311_api;
mod pages;
pub mod stats;

use dvor_sdk::prelude::*;

use crate::appeals::{Author, Filter, NewAppeal};
use crate::model::{APPEALS, Category, Point, Status};

#[derive(Default)]
struct PeopleControl;

/// Chunks of the `sync` job, in order.
const JOB_STEPS: [&str; 4] = ["forward", "poll", "webhooks", "overdue"];

impl Plugin for PeopleControl {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        let (method, path) = req.route();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match (method, parts.as_slice()) {
            (_, ["open311", "v2", rest @ ..]) => open311_api::handle(&req, rest),
            ("GET", ["categories"]) => ApiResponse::ok(&serde_json::json!({
                "categories": appeals::categories()?
            })),
            ("PUT", ["categories", code]) => {
                let category: Category = req.json()?;
                ApiResponse::ok(&appeals::save_category(code, category)?)
            }
            ("GET", ["appeals"]) => list(&req),
            ("POST", ["appeals"]) => {
                let input: NewAppeal = req.json()?;
                let doc = appeals::file(input, Author::caller()?, &|code| {
                    format!("attributes.{code}")
                })?;
                let standing = access::standing(ctx::caller().as_ref(), &doc.data, &doc.community);
                ApiResponse::created(&appeals::json(&doc, standing))
            }
            ("GET", ["appeals", id]) => {
                let (doc, standing) = appeals::visible(id)?;
                let mut body = appeals::json(&doc, standing);
                if standing.moderator
                    && let Some(map) = body.as_object_mut()
                {
                    let similar = appeals::similar(
                        &doc.data.category,
                        doc.data.point,
                        doc.data.address.as_deref(),
                        Some(&doc.data.description),
                        Some(&doc.id),
                    )?;
                    map.insert("similar".into(), serde_json::to_value(similar)?);
                }
                ApiResponse::ok(&body)
            }
            ("POST", ["appeals", id, "photos"]) => add_photo(&req, id),
            ("GET", ["appeals", id, "photos", file]) => photo(id, file),
            ("POST", ["appeals", id, "moderation"]) => {
                appeal_answer(appeals::moderate(id, req.json()?)?)
            }
            ("POST", ["appeals", id, "status"]) => {
                appeal_answer(appeals::change_status(id, req.json()?)?)
            }
            ("POST", ["appeals", id, "verdict"]) => {
                appeal_answer(appeals::verdict(id, req.json()?)?)
            }
            ("POST", ["appeals", id, "comments"]) => {
                appeal_answer(appeals::comment(id, req.json()?)?)
            }
            ("POST", ["appeals", id, "support"]) => {
                let (doc, new) = appeals::support(id)?;
                ApiResponse::json(
                    if new { 201 } else { 200 },
                    &serde_json::json!({ "id": doc.id, "supporters": doc.data.supporters, "new": new }),
                )
            }
            ("GET", ["similar"]) => {
                let params = req.params();
                let category = params.require("category")?;
                let point = match (params.parse::<f64>("lat")?, params.parse::<f64>("lon")?) {
                    (Some(lat), Some(lon)) => Some(Point { lat, lon }),
                    _ => None,
                };
                ApiResponse::ok(&serde_json::json!({
                    "similar": appeals::similar(
                        category,
                        point,
                        params.get("address"),
                        params.get("text"),
                        None,
                    )?
                }))
            }
            ("GET", ["stats"]) => {
                let (from, to) = period(&req.params())?;
                ApiResponse::ok(&stats::compute(from, to)?)
            }
            ("GET", ["stats.csv"]) => {
                let (from, to) = period(&req.params())?;
                let body = stats::csv(&stats::compute(from, to)?)?;
                Ok(
                    ApiResponse::bytes(200, "text/csv; charset=utf-8", body).header(
                        "content-disposition",
                        "attachment; filename=\"appeals-stats.csv\"",
                    ),
                )
            }
            ("GET", ["appeals.csv"]) => export(&req),
            ("POST", ["external", "webhook"]) => {
                let applied =
                    external::receive_webhook(&req.body, req.header(external::SIGNATURE_HEADER))?;
                ApiResponse::ok(&serde_json::json!({ "applied": applied }))
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
        let community = ctx::community();
        match place {
            TilePlace::Community => {
                let in_work = APPEALS
                    .query()
                    .in_community(&community)
                    .filter("public", Compare::Eq, true)
                    .filter("status", Compare::Eq, Status::Accepted.as_str())
                    .count()?;
                let resolved = APPEALS
                    .query()
                    .in_community(&community)
                    .filter("public", Compare::Eq, true)
                    .filter("status", Compare::Eq, Status::Resolved.as_str())
                    .count()?;
                if in_work + resolved == 0 {
                    return Ok(None);
                }
                Ok(Some(
                    Tile::new(tr("Обращения жителей", "Residents' appeals"))
                        .count(in_work as i64)
                        .line(format!("{}: {in_work}", tr("В работе", "In work")))
                        .line(format!("{}: {resolved}", tr("Решено", "Resolved"))),
                ))
            }
            TilePlace::Person => {
                let Some(caller) = ctx::caller() else {
                    return Ok(None);
                };
                let mine = APPEALS
                    .query()
                    .filter("author", Compare::Eq, caller.person_id.as_str())
                    .fetch_all()?;
                let asked = mine
                    .iter()
                    .filter(|d| d.data.status == Status::NeedsInfo)
                    .count();
                let open = mine
                    .iter()
                    .filter(|d| {
                        matches!(
                            d.data.status,
                            Status::New | Status::Accepted | Status::NeedsInfo
                        )
                    })
                    .count();
                if open == 0 {
                    return Ok(None);
                }
                let mut tile = Tile::new(tr("Мои обращения", "My appeals"))
                    .count(open as i64)
                    .line(format!("{}: {open}", tr("Открыто", "Open")));
                if asked > 0 {
                    tile = tile.tone(Tone::Warning).line(format!(
                        "{}: {asked}",
                        tr("Ждут вашего ответа", "Waiting for your answer")
                    ));
                }
                Ok(Some(tile.link(Link::to("", "").param("mine", "true"))))
            }
        }
    }

    fn run_job(&self, name: &str, cursor: Option<String>) -> Result<Option<String>> {
        if name != "sync" {
            return Err(Error::not_found(format!("no job `{name}`")));
        }
        let step = cursor.as_deref().unwrap_or(JOB_STEPS[0]);
        match step {
            "forward" => {
                demo::seed_once()?;
                external::forward_pending(50)?;
            }
            "poll" => {
                external::poll()?;
            }
            "webhooks" => {
                external::deliver_webhooks(50)?;
            }
            "overdue" => {
                appeals::flag_overdue(200)?;
            }
            other => return Err(Error::invalid("cursor", format!("unknown step {other}"))),
        }
        let next = JOB_STEPS
            .iter()
            .position(|s| *s == step)
            .and_then(|i| JOB_STEPS.get(i + 1));
        Ok(next.map(|s| (*s).to_owned()))
    }
}

dvor_sdk::plugin!(PeopleControl, manifest = "dvor-plugin.toml");

fn appeal_answer(doc: Doc<model::Appeal>) -> Result<ApiResponse> {
    let standing = access::standing(ctx::caller().as_ref(), &doc.data, &doc.community);
    ApiResponse::ok(&appeals::json(&doc, standing))
}

fn filter_of(params: &Params) -> Result<Filter> {
    Ok(Filter {
        status: params
            .get("status")
            .filter(|s| !s.is_empty())
            .map(|s| Status::parse_field("status", s))
            .transpose()?,
        category: params
            .get("category")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        organization: params
            .get("organization")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        mine: params.flag("mine"),
        moderation_queue: params.flag("queue"),
        overdue: params.flag("overdue"),
        community: params
            .get("community")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        created: None,
    })
}

fn list(req: &ApiRequest) -> Result<ApiResponse> {
    let params = req.params();
    let filter = filter_of(&params)?;
    let limit = params.int("limit")?.unwrap_or(50).clamp(1, 200) as u32;
    let page = appeals::list(&filter, params.get("cursor"), limit)?;
    let caller = ctx::caller();
    ApiResponse::ok(&serde_json::json!({
        "appeals": page.docs.iter().map(|doc| {
            let standing = access::standing(caller.as_ref(), &doc.data, &doc.community);
            appeals::json(doc, standing)
        }).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    }))
}

fn period(params: &Params) -> Result<(i64, i64)> {
    period_since(params, ctx::now() - 365 * 86_400_000)
}

/// The days `from`..`to` of the query in milliseconds, `[from, to)`; without `from` the
/// period starts at `default_from`, without `to` it runs to now.
fn period_since(params: &Params, default_from: i64) -> Result<(i64, i64)> {
    let now = ctx::now();
    let offset = i64::from(ctx::utc_offset_minutes()?) * 60_000;
    let day = |date: dvor_sdk::Date| date.days_since_epoch() * 86_400_000 - offset;
    let from = params.date("from")?.map_or(default_from, day);
    let to = params.date("to")?.map_or(now + 1, |d| day(d) + 86_400_000);
    if to <= from {
        return Err(Error::invalid(
            "to",
            tr("Конец периода раньше начала", "the end is before the start"),
        ));
    }
    Ok((from, to))
}

/// The appeals (those the caller may see) as CSV, for officials' reports: all of them, or
/// those filed in the days `from`..`to`. An export that would not fit one answer is refused
/// with how far it got, never cut short.
fn export(req: &ApiRequest) -> Result<ApiResponse> {
    stats::audience()?;
    let params = req.params();
    let mut filter = filter_of(&params)?;
    // Unlike the statistics, an export without `from` has no lower bound: everything up to `to`.
    if params.date("from")?.is_some() || params.date("to")?.is_some() {
        filter.created = Some(period_since(&params, i64::MIN)?);
    }
    let body = export::appeals_csv(&filter, export::Columns::Codes)?;
    Ok(
        ApiResponse::bytes(200, "text/csv; charset=utf-8", body).header(
            "content-disposition",
            "attachment; filename=\"appeals.csv\"",
        ),
    )
}

/// Add a photo to one's appeal (the body is the image; `?name=` its file name) while it is
/// still new.
fn add_photo(req: &ApiRequest, id: &str) -> Result<ApiResponse> {
    let (doc, standing) = appeals::visible(id)?;
    if !standing.author {
        return Err(Error::forbidden(tr(
            "Фото добавляет автор обращения",
            "only the author adds photos",
        )));
    }
    if doc.data.status != Status::New {
        return Err(Error::conflict(tr(
            "Фото можно добавить, пока обращение новое",
            "photos can be added while the appeal is new",
        )));
    }
    if doc.data.photos.len() >= 5 {
        return Err(Error::invalid(
            "photos",
            tr("Не больше 5 фото", "at most 5 photos"),
        ));
    }
    let content_type = req.header("content-type").unwrap_or("").to_owned();
    if !content_type.starts_with("image/") {
        return Err(Error::invalid(
            "content-type",
            tr(
                "Нужна фотография (image/…)",
                "an image (image/…) is required",
            ),
        ));
    }
    let name = req.param("name").unwrap_or("photo").to_owned();
    let stored = dvor_sdk::files::store(&doc.community, &name, &content_type, &req.body)?;
    let mut appeal = doc.data.clone();
    appeal.photos.push(stored.id.clone());
    APPEALS.put(&doc.community, &doc.id, &appeal, Some(doc.version))?;
    ApiResponse::created(&serde_json::json!({ "id": stored.id, "photos": appeal.photos }))
}

/// A photo of an appeal the caller may see.
fn photo(id: &str, file: &str) -> Result<ApiResponse> {
    let (doc, _) = appeals::visible(id)?;
    if !doc.data.photos.iter().any(|p| p == file) {
        return Err(Error::not_found(tr("Нет такого фото", "no such photo")));
    }
    let info = dvor_sdk::files::info(file)?
        .ok_or_else(|| Error::not_found(tr("Нет такого фото", "no such photo")))?;
    let bytes = dvor_sdk::files::read(file)?;
    Ok(ApiResponse::bytes(200, info.content_type, bytes)
        .header("cache-control", "private, max-age=3600"))
}

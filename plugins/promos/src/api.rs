//! The JSON API under `/api/c/{community}/p/promos/`: the same operations as the pages, for
//! apps and tests (see `docs/promos.md` for the routes).

use dvor_sdk::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::businesses::{self, BranchInput, BusinessInput, ProfileInput, ServiceInput, Verdict};
use crate::coupons::{self, RedeemInput};
use crate::hires::{self, HireInput, Order, Step};
use crate::model::{Business, REDEMPTIONS};
use crate::offers::{self, OfferInput};
use crate::people::{self, Duty};
use crate::reviews::{self, ReviewInput};
use crate::stats;

/// A business as the API shows it: no owner's or staff's ids.
fn business_json(doc: &Doc<Business>) -> serde_json::Value {
    let b = &doc.data;
    json!({
        "id": doc.id,
        "community": doc.community,
        "kind": b.kind,
        "name": b.name,
        "legal_name": b.legal_name,
        "inn": b.inn,
        "ogrn": b.ogrn,
        "description": b.description,
        "categories": b.categories,
        "phone": b.phone,
        "website": b.website,
        "status": b.status,
        "branches": b.branches,
        "services": b.services,
        "photos": b.photos,
        "paid": b.paid,
        "rating": { "count": b.rating.count, "average_tenths": b.rating.average_tenths(), "label": b.rating.label() },
    })
}

fn offer_json(offer: &Doc<crate::model::Offer>, business: &Doc<Business>) -> serde_json::Value {
    json!({
        "id": offer.id,
        "business": business.id,
        "business_name": business.data.name,
        "title": offer.data.title,
        "terms": offer.data.terms,
        "starts": offer.data.starts,
        "ends": offer.data.ends,
        "limit": offer.data.limit,
        "status": offer.data.status,
        "audience": offer.data.audience,
        "advertiser": format!("{}, ИНН {}", business.data.legal_name, business.data.inn),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionInput {
    decision: String,
    reason: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TextInput {
    text: Option<String>,
    reason: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteInput {
    publish: bool,
    redeem: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ModerationInput {
    keep: bool,
    reason: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PointInput {
    point: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PaidInput {
    until: Option<String>,
    advertiser: Option<String>,
    erid: Option<String>,
}

/// Answer an API request.
pub fn handle(req: &ApiRequest) -> Result<ApiResponse> {
    let (method, path) = req.route();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match (method, parts.as_slice()) {
        ("GET", ["offers"]) => {
            let house = match ctx::caller().and_then(|c| people::home_of(&c)) {
                Some(home) => home.house,
                None => ctx::community(),
            };
            let list: Vec<_> = offers::for_house(&house)?
                .iter()
                .map(|(o, b)| offer_json(o, b))
                .collect();
            ApiResponse::ok(&json!({ "offers": list }))
        }
        ("GET", ["offers", id]) => {
            let offer = offers::find(id)?;
            let business = businesses::visible(&offer.data.business)?;
            if let Some(caller) = ctx::caller()
                && let Some(home) = people::home_of(&caller)
                && offers::check_for_home(&offer, &business, &home).is_ok()
            {
                offers::record_view(&offer, &home)?;
            }
            let mut body = offer_json(&offer, &business);
            body["redeemed"] = offers::redeemed(&offer.id)?.into();
            ApiResponse::ok(&body)
        }
        ("POST", ["offers", id, "save"]) => {
            let new = offers::set_saved(id, true)?;
            ApiResponse::json(if new { 201 } else { 200 }, &json!({ "saved": true }))
        }
        ("DELETE", ["offers", id, "save"]) => {
            offers::set_saved(id, false)?;
            ApiResponse::ok(&json!({ "saved": false }))
        }
        ("POST", ["offers", id, "coupon"]) => {
            let coupon = coupons::take(id)?;
            coupon_answer(&coupon)
        }
        ("POST", ["offers", id, "stop"]) => {
            let offer = offers::stop(id)?;
            ApiResponse::ok(&json!({ "id": offer.id, "status": offer.data.status }))
        }
        ("GET", ["coupons", id]) => coupon_answer(&coupons::mine(id)?),
        ("GET", ["businesses"]) => {
            let kind = match req.param("kind") {
                Some("shop") => Some(crate::model::BusinessKind::Shop),
                Some("specialist") => Some(crate::model::BusinessKind::Specialist),
                _ => None,
            };
            let list: Vec<_> = businesses::listed(kind)?
                .iter()
                .map(business_json)
                .collect();
            ApiResponse::ok(&json!({ "businesses": list }))
        }
        ("POST", ["businesses"]) => {
            let input: BusinessInput = req.json()?;
            ApiResponse::created(&business_json(&businesses::register(&input)?))
        }
        ("GET", ["businesses", id]) => ApiResponse::ok(&business_json(&businesses::visible(id)?)),
        ("PUT", ["businesses", id]) => {
            let input: ProfileInput = req.json()?;
            ApiResponse::ok(&business_json(&businesses::update_profile(id, &input)?))
        }
        ("POST", ["businesses", id, "decision"]) => {
            let input: DecisionInput = req.json()?;
            let verdict = Verdict::parse(&input.decision)?;
            ApiResponse::ok(&business_json(&businesses::decide(
                id,
                verdict,
                input.reason.as_deref(),
            )?))
        }
        ("PUT", ["businesses", id, "paid"]) => {
            let input: PaidInput = req.json()?;
            let until = match input.until.as_deref() {
                Some(day) if !day.trim().is_empty() => Some(Date::parse_field("until", day)?),
                _ => None,
            };
            let doc = businesses::set_paid(
                id,
                until,
                input.advertiser.as_deref(),
                input.erid.as_deref(),
            )?;
            ApiResponse::ok(&business_json(&doc))
        }
        ("POST", ["businesses", id, "branches"]) => {
            let input: BranchInput = req.json()?;
            ApiResponse::created(&business_json(&businesses::put_branch(id, None, &input)?))
        }
        ("PUT", ["businesses", id, "branches", branch]) => {
            let input: BranchInput = req.json()?;
            ApiResponse::ok(&business_json(&businesses::put_branch(
                id,
                Some(branch),
                &input,
            )?))
        }
        ("DELETE", ["businesses", id, "branches", branch]) => {
            ApiResponse::ok(&business_json(&businesses::remove_branch(id, branch)?))
        }
        ("POST", ["businesses", id, "services"]) => {
            let input: ServiceInput = req.json()?;
            ApiResponse::created(&business_json(&businesses::add_service(id, &input)?))
        }
        ("POST", ["businesses", id, "invites"]) => {
            let input: InviteInput = req.json()?;
            let code = businesses::invite(id, input.publish, input.redeem)?;
            ApiResponse::created(&json!({ "code": code }))
        }
        ("POST", ["staff", "join"]) => {
            let input: TextInput = req.json()?;
            let doc = businesses::join(input.code.as_deref().unwrap_or_default())?;
            ApiResponse::ok(&business_json(&doc))
        }
        ("POST", ["businesses", id, "offers"]) => {
            let input: OfferInput = req.json()?;
            let offer = offers::create(id, &input)?;
            let business = businesses::find(id)?;
            ApiResponse::created(&offer_json(&offer, &business))
        }
        ("POST", ["businesses", id, "redeem"]) => {
            let input: RedeemInput = req.json()?;
            ApiResponse::ok(&coupons::redeem(id, &input)?)
        }
        ("GET", ["businesses", id, "redemptions"]) => {
            let (business, _) = businesses::for_duty(id, Duty::Redeem)?;
            let page = REDEMPTIONS
                .query()
                .filter("business", Compare::Eq, business.id.as_str())
                .order_by("at", Direction::Desc)
                .limit(100)
                .cursor(req.param("cursor"))
                .fetch()?;
            let rows: Vec<_> = page
                .docs
                .iter()
                .map(|d| {
                    json!({
                        "id": d.id, "at": d.data.at, "offer": d.data.offer, "offer_title": d.data.offer_title,
                        "branch": d.data.branch_name, "staff": d.data.staff_name, "coupon": d.data.coupon,
                    })
                })
                .collect();
            ApiResponse::ok(&json!({ "redemptions": rows, "next_cursor": page.next_cursor }))
        }
        ("GET", ["businesses", id, "stats"]) => {
            let (business, _) = businesses::for_duty(id, Duty::Manage)?;
            let mut out = Vec::new();
            for offer in crate::model::OFFERS
                .query()
                .filter("business", Compare::Eq, business.id.as_str())
                .limit(1000)
                .fetch_all()?
            {
                let s = stats::of_offer(&offer)?;
                out.push(json!({
                    "offer": offer.id,
                    "title": offer.data.title,
                    "views": stats::json(&s.views),
                    "saves": stats::json(&s.saves),
                    "redemptions": stats::json(&s.redemptions),
                    "redeemed": s.redeemed,
                }));
            }
            ApiResponse::ok(&json!({ "offers": out }))
        }
        ("GET", ["businesses", id, "reviews"]) => {
            businesses::visible(id)?;
            let (list, _) = reviews::of_business(id)?;
            let rows: Vec<_> = list
                .iter()
                .filter(|r| r.data.status == crate::model::ReviewStatus::Published)
                .map(|r| {
                    json!({
                        "id": r.id, "author": r.data.author_name, "stars": r.data.stars, "text": r.data.text,
                        "at": r.data.at, "answer": r.data.answer,
                    })
                })
                .collect();
            ApiResponse::ok(&json!({ "reviews": rows }))
        }
        ("POST", ["businesses", id, "reviews"]) => {
            let input: ReviewInput = req.json()?;
            let posted = reviews::post(id, &input)?;
            ApiResponse::json(if posted.published { 201 } else { 202 }, &posted)
        }
        ("POST", ["reviews", id, "answer"]) => {
            let input: TextInput = req.json()?;
            let doc = reviews::answer(id, input.text.as_deref())?;
            ApiResponse::ok(&json!({ "id": doc.id, "answer": doc.data.answer }))
        }
        ("POST", ["reviews", id, "report"]) => {
            let input: TextInput = req.json()?;
            reviews::report(id, input.reason.as_deref())?;
            ApiResponse::json(202, &json!({ "reported": true }))
        }
        ("POST", ["reviews", id, "moderation"]) => {
            let input: ModerationInput = req.json()?;
            let doc = reviews::moderate(id, input.keep, input.reason.as_deref())?;
            ApiResponse::ok(&json!({ "id": doc.id, "status": doc.data.status }))
        }
        ("POST", ["reviews", id, "appeal"]) => {
            let input: TextInput = req.json()?;
            reviews::appeal(id, input.text.as_deref())?;
            ApiResponse::json(202, &json!({ "appealed": true }))
        }
        ("GET", ["specialists"]) => {
            let order = match req.param("sort") {
                Some("rating") => Order::Rating,
                _ => Order::Distance,
            };
            let from = match ctx::caller().and_then(|c| people::home_of(&c)) {
                Some(home) => offers::point_of(&home.house)?,
                None => None,
            };
            let rows: Vec<_> = hires::specialists(req.param("category"), from, order)?
                .iter()
                .map(|l| {
                    json!({
                        "business": business_json(&l.business),
                        "service": l.service,
                        "distance_m": l.distance_m,
                        "advertisement": l.promoted.as_ref().map(|p| p.label()),
                    })
                })
                .collect();
            ApiResponse::ok(&json!({ "specialists": rows }))
        }
        ("POST", ["businesses", id, "jobs"]) => {
            let input: HireInput = req.json()?;
            let job = hires::hire(id, &input)?;
            ApiResponse::created(&json!({ "id": job.id, "status": job.data.status }))
        }
        ("POST", ["jobs", id, step]) => {
            let job = hires::advance(id, Step::parse(step)?)?;
            ApiResponse::ok(&json!({ "id": job.id, "status": job.data.status }))
        }
        ("PUT", ["places", house]) => {
            let input: PointInput = req.json()?;
            let point = match input.point.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(p) => Some(crate::input::point("point", Some(p))?),
            };
            offers::set_point(house, point)?;
            ApiResponse::ok(&json!({ "house": house, "point": point }))
        }
        _ => Err(Error::not_found(tr("Нет такого адреса", "no such route"))),
    }
}

fn coupon_answer(coupon: &Doc<crate::model::Coupon>) -> Result<ApiResponse> {
    let mut body =
        json!({ "coupon": coupon.id, "offer": coupon.data.offer, "used": coupon.data.used });
    if coupon.data.used.is_none() {
        let shown = coupons::show(coupon)?;
        body["digits"] = shown.digits.into();
        body["qr"] = shown.qr_payload.into();
        body["changes_at"] = shown.changes_at.into();
    }
    ApiResponse::ok(&body)
}

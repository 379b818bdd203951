//! The services marketplace: specialists found by category, on the map and in a list by
//! distance and rating (paid listings first, marked «Реклама» with the advertiser), and the
//! jobs residents hire them for — requested, accepted or declined, done (then the resident may
//! review), or called off.

use dvor_sdk::notifications;
use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::businesses;
use crate::geo::GeoPoint;
use crate::input;
use crate::model::{
    Business, BusinessKind, BusinessStatus, HiredJob, JOBS, JobStatus, PaidListing, Service,
};
use crate::people::{self, Duty};
use crate::settings::Settings;

/// How a list of specialists is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Nearest base first.
    Distance,
    /// Best damped rating first.
    Rating,
}

/// A specialist as a list shows them.
#[derive(Clone, Debug)]
pub struct Listing {
    /// The specialist.
    pub business: Doc<Business>,
    /// Their cheapest service in the category asked for (or overall).
    pub service: Option<Service>,
    /// How far their base is, metres, when the resident's house is on the map.
    pub distance_m: Option<u64>,
    /// Their paid listing, if it runs today.
    pub promoted: Option<PaidListing>,
}

/// The specialists serving `from` (when known) in `category` (when given), paid listings
/// first, then in `order`.
pub fn specialists(
    category: Option<&str>,
    from: Option<GeoPoint>,
    order: Order,
) -> Result<Vec<Listing>> {
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let mut out = Vec::new();
    for business in businesses::listed(Some(BusinessKind::Specialist))? {
        let services: Vec<&Service> = business
            .data
            .services
            .iter()
            .filter(|s| category.is_none_or(|c| s.category == c))
            .collect();
        if services.is_empty() {
            continue;
        }
        let base = business.data.branches.first().map(|b| b.point);
        let distance_m = match (from, base) {
            (Some(from), Some(base)) => Some(from.distance_m(base).round() as u64),
            _ => None,
        };
        let reach_m = services
            .iter()
            .map(|s| u64::from(s.radius_km) * 1000)
            .max()
            .unwrap_or(0);
        if distance_m.is_some_and(|d| d > reach_m) {
            continue;
        }
        let service = services
            .iter()
            .min_by_key(|s| s.price_from)
            .map(|s| (*s).clone());
        let promoted = business.data.promoted(today).cloned();
        out.push(Listing {
            business,
            service,
            distance_m,
            promoted,
        });
    }
    out.sort_by(|a, b| {
        let paid = b.promoted.is_some().cmp(&a.promoted.is_some());
        let by = match order {
            Order::Distance => a
                .distance_m
                .unwrap_or(u64::MAX)
                .cmp(&b.distance_m.unwrap_or(u64::MAX)),
            Order::Rating => b
                .business
                .data
                .rating
                .ranking_score(&settings.rating)
                .cmp(&a.business.data.rating.ranking_score(&settings.rating)),
        };
        paid.then(by)
            .then_with(|| a.business.data.name.cmp(&b.business.data.name))
    });
    Ok(out)
}

/// What a hire form or `POST businesses/{id}/jobs` carries.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HireInput {
    /// The service's id.
    pub service: Option<String>,
    /// What needs doing.
    pub description: Option<String>,
    /// The phone for the specialist to call.
    pub phone: Option<String>,
    /// Where to come.
    pub address: Option<String>,
}

impl HireInput {
    /// From a submitted form.
    pub fn from_form(form: &Params) -> Self {
        let get = |name: &str| form.get(name).map(str::to_owned);
        HireInput {
            service: get("service"),
            description: get("description"),
            phone: get("phone"),
            address: get("address"),
        }
    }
}

/// The caller hires specialist `id`; the specialist hears of it.
pub fn hire(id: &str, input: &HireInput) -> Result<Doc<HiredJob>> {
    let caller = ctx::require_caller()?;
    let home = people::require_home(&caller)?;
    let specialist = businesses::find(id)?;
    if specialist.data.status != BusinessStatus::Approved
        || specialist.data.kind != BusinessKind::Specialist
    {
        return Err(Error::not_found(tr(
            "Нет такого мастера",
            "no such specialist",
        )));
    }
    let service = input
        .service
        .as_deref()
        .and_then(|s| specialist.data.services.iter().find(|x| x.id == s))
        .ok_or_else(|| Error::invalid("service", tr("Выберите услугу", "choose a service")))?;
    let description = input::required("description", input.description.as_deref(), 1000)?;
    let phone = input::phone("phone", input.phone.as_deref())?.ok_or_else(|| {
        Error::invalid(
            "phone",
            tr(
                "Оставьте телефон: мастер позвонит договориться",
                "leave a phone: the specialist will call to arrange",
            ),
        )
    })?;
    let address = input::required("address", input.address.as_deref(), 300)?;
    let now = ctx::now();
    let job = HiredJob {
        specialist: specialist.id.clone(),
        specialist_name: specialist.data.name.clone(),
        service: service.id.clone(),
        service_name: service.name.clone(),
        person: caller.person_id.clone(),
        person_name: caller.display_name.clone(),
        phone,
        address,
        description,
        house: home.house.clone(),
        status: JobStatus::Requested,
        history: vec![(JobStatus::Requested, now, caller.display_name.clone())],
        created: now,
    };
    let doc = JOBS.insert(&home.house, None, &job)?;
    let mut to: Vec<String> = specialist.data.owner.iter().cloned().collect();
    to.extend(
        specialist
            .data
            .staff
            .iter()
            .filter(|s| s.publish)
            .map(|s| s.person.clone()),
    );
    if !to.is_empty() {
        notifications::notify(
            &to,
            &notifications::Message::new(
                notifications::Localized::new(
                    format!("Новая заявка: {}", service.name),
                    format!("A new job: {}", service.name),
                ),
                notifications::Localized::new(
                    doc.data.description.clone(),
                    doc.data.description.clone(),
                ),
            )
            .link(format!(
                "/c/{}/p/promos/b/{}/jobs",
                specialist.community, specialist.id
            )),
        )?;
    }
    Ok(doc)
}

/// What happens to a hired job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The specialist takes it.
    Accept,
    /// The specialist declines.
    Decline,
    /// The specialist did it.
    Done,
    /// The resident calls it off.
    Cancel,
}

impl Step {
    /// From `accept`, `decline`, `done`, `cancel`.
    pub fn parse(text: &str) -> Result<Step> {
        match text {
            "accept" => Ok(Self::Accept),
            "decline" => Ok(Self::Decline),
            "done" => Ok(Self::Done),
            "cancel" => Ok(Self::Cancel),
            _ => Err(Error::invalid(
                "step",
                tr("Нет такого действия с заявкой", "no such step of a job"),
            )),
        }
    }
}

/// Move hired job `id` on by `step`.
pub fn advance(id: &str, step: Step) -> Result<Doc<HiredJob>> {
    let caller = ctx::require_caller()?;
    let mut doc = JOBS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой заявки", "no such job")))?;
    let from = doc.data.status;
    let to = match (step, from) {
        (Step::Accept, JobStatus::Requested) => JobStatus::Accepted,
        (Step::Decline, JobStatus::Requested) => JobStatus::Declined,
        (Step::Done, JobStatus::Accepted) => JobStatus::Done,
        (Step::Cancel, JobStatus::Requested | JobStatus::Accepted) => JobStatus::Cancelled,
        _ => {
            return Err(Error::conflict(format!(
                "{}: {}",
                tr("Заявка уже в состоянии", "the job is already"),
                from.label()
            )));
        }
    };
    if step == Step::Cancel {
        if doc.data.person != caller.person_id {
            return Err(Error::forbidden(tr(
                "Отменить заявку может только тот, кто её отправил",
                "only the person who asked may call it off",
            )));
        }
    } else {
        businesses::for_duty(&doc.data.specialist, Duty::Publish)?;
    }
    doc.data.status = to;
    doc.data
        .history
        .push((to, ctx::now(), caller.display_name.clone()));
    let saved = JOBS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    if step != Step::Cancel {
        let body = match to {
            JobStatus::Done => (
                "Можно оставить отзыв о мастере",
                "You can now review the specialist",
            ),
            _ => ("", ""),
        };
        notifications::notify(
            std::slice::from_ref(&saved.data.person),
            &notifications::Message::new(
                notifications::Localized::new(
                    format!("{}: {}", saved.data.specialist_name, to.label()),
                    format!("{}: {}", saved.data.specialist_name, to.label()),
                ),
                notifications::Localized::new(body.0, body.1),
            ),
        )?;
    }
    Ok(saved)
}

/// The jobs residents hired specialist `id` for, newest first.
pub fn of_specialist(id: &str) -> Result<Vec<Doc<HiredJob>>> {
    JOBS.query()
        .filter("specialist", Compare::Eq, id)
        .order_by("created", Direction::Desc)
        .limit(200)
        .fetch()
        .map(|p| p.docs)
}

/// The jobs `person` hired, newest first.
pub fn of_person(person: &str) -> Result<Vec<Doc<HiredJob>>> {
    JOBS.query()
        .filter("person", Compare::Eq, person)
        .order_by("created", Direction::Desc)
        .limit(200)
        .fetch()
        .map(|p| p.docs)
}

//! Businesses and specialists: registration with ИНН/ОГРН checked by their check digits, an
//! admin's approval, the profile, branches on the map with hours and contacts, photos,
//! services, staff by invitation, and paid listings.
//!
//! A business lives in the community it registered at (register at the town, and every house
//! in the town sees it); it is managed there. Until an admin approves it, only its own people
//! and the admins see it, and it cannot publish.

use dvor_sdk::prelude::*;
use dvor_sdk::{directory, files, notifications};
use serde::Deserialize;

use crate::input;
use crate::model::{
    BUSINESSES, Branch, Business, BusinessKind, BusinessStatus, Decision, INVITES, Invite, OFFERS,
    OfferStatus, PaidListing, Service, StaffMember,
};
use crate::people::{self, Duty};
use crate::rating::Rating;
use crate::registry_ids::{self, InnKind};
use crate::settings::Settings;

/// At most this many photos per business.
pub const MAX_PHOTOS: usize = 12;
/// How long a staff invitation is valid.
const INVITE_MS: i64 = 7 * 86_400_000;

/// What a registration form or `POST businesses` carries.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct BusinessInput {
    /// `shop` or `specialist`.
    pub kind: Option<String>,
    /// The name people know.
    pub name: Option<String>,
    /// The legal name.
    pub legal_name: Option<String>,
    /// ИНН.
    pub inn: Option<String>,
    /// ОГРН or ОГРНИП (none for a self-employed specialist).
    pub ogrn: Option<String>,
    /// What it is about.
    pub description: Option<String>,
    /// Category codes.
    pub categories: Vec<String>,
    /// The main phone.
    pub phone: Option<String>,
    /// The website.
    pub website: Option<String>,
}

impl BusinessInput {
    /// From a submitted form.
    pub fn from_form(form: &Params) -> Self {
        let get = |name: &str| form.get(name).map(str::to_owned);
        BusinessInput {
            kind: get("kind"),
            name: get("name"),
            legal_name: get("legal_name"),
            inn: get("inn"),
            ogrn: get("ogrn"),
            description: get("description"),
            categories: form.all("categories").map(str::to_owned).collect(),
            phone: get("phone"),
            website: get("website"),
        }
    }
}

/// A branch as a form or the API gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct BranchInput {
    /// Its name.
    pub name: Option<String>,
    /// Its address.
    pub address: Option<String>,
    /// `lat,lon`.
    pub point: Option<String>,
    /// Opening hours.
    pub hours: Option<String>,
    /// Its phone.
    pub phone: Option<String>,
}

impl BranchInput {
    /// From a submitted form.
    pub fn from_form(form: &Params) -> Self {
        let get = |name: &str| form.get(name).map(str::to_owned);
        BranchInput {
            name: get("name"),
            address: get("address"),
            point: get("point"),
            hours: get("hours"),
            phone: get("phone"),
        }
    }
}

/// A service as a form or the API gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceInput {
    /// Its name.
    pub name: Option<String>,
    /// A category code.
    pub category: Option<String>,
    /// The lowest price, kopecks.
    pub price_from: Option<i64>,
    /// What the price is for.
    pub unit: Option<String>,
    /// How far from the base, km.
    pub radius_km: Option<u32>,
}

impl ServiceInput {
    /// From a submitted form (the money field submits kopecks).
    pub fn from_form(form: &Params) -> Result<Self> {
        Ok(ServiceInput {
            name: form.get("name").map(str::to_owned),
            category: form.get("category").map(str::to_owned),
            price_from: form.kopecks("price_from")?.map(|k| k.0),
            unit: form.get("unit").map(str::to_owned),
            radius_km: input::number("radius_km", form.get("radius_km"), 1..=200)?,
        })
    }
}

fn kind_of(text: Option<&str>) -> Result<BusinessKind> {
    match text.map(str::trim) {
        Some("shop") => Ok(BusinessKind::Shop),
        Some("specialist") => Ok(BusinessKind::Specialist),
        _ => Err(Error::invalid(
            "kind",
            tr(
                "Выберите: магазин или заведение, или мастер",
                "choose a shop or venue, or a specialist",
            ),
        )),
    }
}

fn categories_of(codes: &[String], kind: BusinessKind, settings: &Settings) -> Result<Vec<String>> {
    if codes.is_empty() {
        return Err(Error::invalid(
            "categories",
            tr(
                "Выберите хотя бы одну категорию",
                "choose at least one category",
            ),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for code in codes {
        let code = code.trim();
        match settings.category(code) {
            Some(c) if c.kind == kind => {
                if !out.iter().any(|o| o == code) {
                    out.push(code.to_owned());
                }
            }
            _ => {
                return Err(Error::invalid(
                    "categories",
                    format!(
                        "{} «{code}»",
                        tr("Нет такой категории:", "no such category:")
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn website_of(text: Option<&str>) -> Result<Option<String>> {
    let site = input::optional("website", text, 200)?;
    if let Some(site) = &site
        && !(site.starts_with("https://") || site.starts_with("http://"))
    {
        return Err(Error::invalid(
            "website",
            tr(
                "Адрес сайта начинается с https://",
                "a website address starts with https://",
            ),
        ));
    }
    Ok(site)
}

/// A registration that passed its checks.
#[derive(Clone, Debug)]
pub struct CheckedRegistration {
    /// A shop or a specialist.
    pub kind: BusinessKind,
    /// The name people know.
    pub name: String,
    /// The legal name.
    pub legal_name: String,
    /// The ИНН.
    pub inn: String,
    /// The ОГРН or ОГРНИП, if given.
    pub ogrn: Option<String>,
    /// The category codes.
    pub categories: Vec<String>,
}

/// Check a registration: the numbers by their check digits and kinds, the rest by length.
/// ОГРН may be left out only by a self-employed specialist (a person's 12-digit ИНН).
pub fn check_registration(
    input: &BusinessInput,
    settings: &Settings,
) -> Result<CheckedRegistration> {
    let kind = kind_of(input.kind.as_deref())?;
    let name = input::required("name", input.name.as_deref(), 120)?;
    let legal_name = input::required("legal_name", input.legal_name.as_deref(), 200)?;
    let inn_text = input::required("inn", input.inn.as_deref(), 12)?;
    let inn_kind = registry_ids::check_inn("inn", &inn_text)?;
    let ogrn = match input::optional("ogrn", input.ogrn.as_deref(), 15)? {
        Some(ogrn) => {
            registry_ids::check_business(&inn_text, &ogrn)?;
            Some(ogrn)
        }
        None if kind == BusinessKind::Specialist && inn_kind == InnKind::Individual => None,
        None => {
            return Err(Error::invalid(
                "ogrn",
                tr(
                    "Укажите ОГРН (13 цифр) или ОГРНИП (15 цифр); без него можно только самозанятому мастеру",
                    "give the ОГРН (13 digits) or ОГРНИП (15 digits); only a self-employed specialist may go without",
                ),
            ));
        }
    };
    let categories = categories_of(&input.categories, kind, settings)?;
    Ok(CheckedRegistration {
        kind,
        name,
        legal_name,
        inn: inn_text,
        ogrn,
        categories,
    })
}

/// Register a business for the caller in the call's community; it waits for an admin.
pub fn register(input: &BusinessInput) -> Result<Doc<Business>> {
    let caller = ctx::require_caller()?;
    let settings = Settings::load()?;
    let CheckedRegistration {
        kind,
        name,
        legal_name,
        inn,
        ogrn,
        categories,
    } = check_registration(input, &settings)?;
    let description = input::optional("description", input.description.as_deref(), 2000)?;
    let phone = input::phone("phone", input.phone.as_deref())?;
    let website = website_of(input.website.as_deref())?;
    let taken = BUSINESSES
        .query()
        .with_ancestors()
        .filter("inn", Compare::Eq, inn.as_str())
        .fetch()?
        .docs
        .into_iter()
        .find(|d| d.data.status != BusinessStatus::Rejected);
    if let Some(taken) = taken {
        return Err(Error::invalid(
            "inn",
            format!(
                "{} «{}»",
                tr(
                    "Организация с этим ИНН уже зарегистрирована:",
                    "a business with this ИНН is already registered:"
                ),
                taken.data.name
            ),
        ));
    }
    let community = ctx::community();
    let business = Business {
        kind,
        name,
        legal_name,
        inn,
        ogrn,
        description: description.unwrap_or_default(),
        categories,
        phone,
        website,
        owner: Some(caller.person_id.clone()),
        owner_name: Some(caller.display_name.clone()),
        organization: None,
        status: BusinessStatus::Pending,
        decisions: Vec::new(),
        branches: Vec::new(),
        services: Vec::new(),
        photos: Vec::new(),
        staff: Vec::new(),
        paid: None,
        rating: Rating::default(),
        created: ctx::now(),
    };
    let doc = BUSINESSES.insert(&community, None, &business)?;
    notifications::notify_community(
        &community,
        "admin",
        &notifications::Message::new(
            notifications::Localized::new(
                format!("Новая организация ждёт проверки: {}", doc.data.name),
                format!("A new business awaits review: {}", doc.data.name),
            ),
            notifications::Localized::new(
                format!("{}, ИНН {}", doc.data.legal_name, doc.data.inn),
                format!("{}, ИНН {}", doc.data.legal_name, doc.data.inn),
            ),
        )
        .link(format!("/c/{community}/p/promos/admin")),
    )?;
    Ok(doc)
}

/// The business `id`, wherever it is above or in the call's scope.
pub fn find(id: &str) -> Result<Doc<Business>> {
    BUSINESSES
        .get_inherited(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой организации", "no such business")))
}

/// The business `id` as the caller may see it: an approved one, or one they work for or
/// review as an admin.
pub fn visible(id: &str) -> Result<Doc<Business>> {
    let doc = find(id)?;
    if doc.data.status == BusinessStatus::Approved || people::is_admin() {
        return Ok(doc);
    }
    match ctx::caller() {
        Some(caller) if people::works_for(&doc.data, &caller) => Ok(doc),
        _ => Err(Error::not_found(tr(
            "Нет такой организации",
            "no such business",
        ))),
    }
}

/// The business `id` for a change: it must live in the call's community or below it (a
/// business is run where it registered).
pub fn writable(id: &str) -> Result<Doc<Business>> {
    if let Some(doc) = BUSINESSES.get(id)? {
        return Ok(doc);
    }
    let doc = find(id)?;
    let place = directory::ancestors()
        .into_iter()
        .find(|c| c.id == doc.community)
        .map_or(doc.community.clone(), |c| c.name);
    Err(Error::forbidden(format!(
        "{} «{place}»",
        tr(
            "Организацией управляют на странице места, где она зарегистрирована:",
            "a business is run on the page of the place it registered at:"
        )
    )))
}

/// The business `id`, writable, if the caller may do `duty` for it.
pub fn for_duty(id: &str, duty: Duty) -> Result<(Doc<Business>, ctx::Caller)> {
    let doc = writable(id)?;
    let caller = people::require_duty(&doc.data, duty)?;
    Ok((doc, caller))
}

/// Approved businesses the call's community sees, optionally only of `kind`.
pub fn listed(kind: Option<BusinessKind>) -> Result<Vec<Doc<Business>>> {
    let mut query = BUSINESSES.query().with_ancestors().filter(
        "status",
        Compare::Eq,
        BusinessStatus::Approved.as_str(),
    );
    if let Some(kind) = kind {
        query = query.filter("kind", Compare::Eq, kind.as_str());
    }
    query.limit(1000).fetch_all()
}

/// The businesses the caller works for, seen from here.
pub fn mine(caller: &ctx::Caller) -> Result<Vec<Doc<Business>>> {
    Ok(BUSINESSES
        .query()
        .with_ancestors()
        .limit(1000)
        .fetch_all()?
        .into_iter()
        .filter(|d| people::works_for(&d.data, caller))
        .collect())
}

/// Save a changed business: only if nobody changed it since it was read.
pub fn save(doc: &Doc<Business>) -> Result<Doc<Business>> {
    BUSINESSES.put(&doc.community, &doc.id, &doc.data, Some(doc.version))
}

/// What an admin decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Verified: it may publish.
    Approve,
    /// Refused (a reason is required).
    Reject,
    /// Stopped after approval (a reason is required).
    Suspend,
}

impl Verdict {
    /// From `approve`, `reject`, `suspend`.
    pub fn parse(text: &str) -> Result<Verdict> {
        match text {
            "approve" => Ok(Self::Approve),
            "reject" => Ok(Self::Reject),
            "suspend" => Ok(Self::Suspend),
            _ => Err(Error::invalid(
                "decision",
                tr(
                    "Решение: одобрить, отклонить или приостановить",
                    "the decision is approve, reject or suspend",
                ),
            )),
        }
    }
}

/// An admin's decision on business `id`; the owner hears of it.
pub fn decide(id: &str, verdict: Verdict, reason: Option<&str>) -> Result<Doc<Business>> {
    let caller = people::require_admin()?;
    let mut doc = writable(id)?;
    let reason = input::optional("reason", reason, 1000)?;
    let from = doc.data.status;
    let to = match (verdict, from) {
        (
            Verdict::Approve,
            BusinessStatus::Pending | BusinessStatus::Rejected | BusinessStatus::Suspended,
        ) => BusinessStatus::Approved,
        (Verdict::Reject, BusinessStatus::Pending) => BusinessStatus::Rejected,
        (Verdict::Suspend, BusinessStatus::Approved) => BusinessStatus::Suspended,
        _ => {
            return Err(Error::conflict(format!(
                "{} «{}»",
                tr("Организация уже в состоянии", "the business is already"),
                from.label()
            )));
        }
    };
    if to != BusinessStatus::Approved && reason.is_none() {
        return Err(Error::invalid(
            "reason",
            tr(
                "Напишите причину: её увидит владелец",
                "give the reason: the owner will see it",
            ),
        ));
    }
    doc.data.status = to;
    doc.data.decisions.push(Decision {
        status: to,
        reason: reason.clone(),
        by_name: caller.display_name.clone(),
        at: ctx::now(),
    });
    let saved = save(&doc)?;
    if let Some(owner) = &saved.data.owner {
        let (ru, en) = match to {
            BusinessStatus::Approved => ("проверена и опубликована", "is verified and listed"),
            BusinessStatus::Rejected => ("не прошла проверку", "was not approved"),
            _ => ("приостановлена", "is suspended"),
        };
        notifications::notify(
            std::slice::from_ref(owner),
            &notifications::Message::new(
                notifications::Localized::new(
                    format!("«{}» {ru}", saved.data.name),
                    format!("«{}» {en}", saved.data.name),
                ),
                notifications::Localized::new(
                    reason.clone().unwrap_or_default(),
                    reason.unwrap_or_default(),
                ),
            )
            .link(format!(
                "/c/{}/p/promos/b/{}/manage",
                saved.community, saved.id
            )),
        )?;
    }
    Ok(saved)
}

/// What the owner may change after registering (the legal identity stays as verified).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileInput {
    /// The name people know.
    pub name: Option<String>,
    /// What it is about.
    pub description: Option<String>,
    /// Category codes.
    pub categories: Vec<String>,
    /// The main phone.
    pub phone: Option<String>,
    /// The website.
    pub website: Option<String>,
}

impl ProfileInput {
    /// From a submitted form.
    pub fn from_form(form: &Params) -> Self {
        let get = |name: &str| form.get(name).map(str::to_owned);
        ProfileInput {
            name: get("name"),
            description: get("description"),
            categories: form.all("categories").map(str::to_owned).collect(),
            phone: get("phone"),
            website: get("website"),
        }
    }
}

/// Change the profile of business `id`.
pub fn update_profile(id: &str, input: &ProfileInput) -> Result<Doc<Business>> {
    let (mut doc, _) = for_duty(id, Duty::Manage)?;
    let settings = Settings::load()?;
    doc.data.name = input::required("name", input.name.as_deref(), 120)?;
    doc.data.description =
        input::optional("description", input.description.as_deref(), 2000)?.unwrap_or_default();
    doc.data.categories = categories_of(&input.categories, doc.data.kind, &settings)?;
    doc.data.phone = input::phone("phone", input.phone.as_deref())?;
    doc.data.website = website_of(input.website.as_deref())?;
    save(&doc)
}

/// Add a branch to business `id`, or replace branch `branch` when given.
pub fn put_branch(id: &str, branch: Option<&str>, input: &BranchInput) -> Result<Doc<Business>> {
    let (mut doc, _) = for_duty(id, Duty::Manage)?;
    let new = Branch {
        id: match branch {
            Some(b) if doc.data.branch(b).is_some() => b.to_owned(),
            Some(_) => {
                return Err(Error::not_found(tr("Нет такого филиала", "no such branch")));
            }
            None => Business::next_id("b", doc.data.branches.iter().map(|b| b.id.as_str())),
        },
        name: input::required("name", input.name.as_deref(), 120)?,
        address: input::required("address", input.address.as_deref(), 300)?,
        point: input::point("point", input.point.as_deref())?,
        hours: input::required("hours", input.hours.as_deref(), 300)?,
        phone: input::phone("phone", input.phone.as_deref())?,
    };
    match doc.data.branches.iter_mut().find(|b| b.id == new.id) {
        Some(old) => *old = new,
        None => doc.data.branches.push(new),
    }
    save(&doc)
}

/// Remove branch `branch` of business `id`, unless a running offer is for the houses around it.
pub fn remove_branch(id: &str, branch: &str) -> Result<Doc<Business>> {
    let (mut doc, _) = for_duty(id, Duty::Manage)?;
    let today = ctx::today()?;
    let offers = OFFERS
        .query()
        .filter("business", Compare::Eq, id)
        .filter("status", Compare::Eq, OfferStatus::Published.as_str())
        .limit(1000)
        .fetch_all()?;
    if let Some(offer) = offers.iter().find(|o| {
        o.data.ends >= today
            && matches!(&o.data.audience, crate::model::Audience::Radius { branch: b, .. } if b == branch)
    }) {
        return Err(Error::conflict(format!(
            "{} «{}»",
            tr(
                "Вокруг этого филиала идёт акция:",
                "an offer runs around this branch:"
            ),
            offer.data.title
        )));
    }
    let before = doc.data.branches.len();
    doc.data.branches.retain(|b| b.id != branch);
    if doc.data.branches.len() == before {
        return Err(Error::not_found(tr("Нет такого филиала", "no such branch")));
    }
    save(&doc)
}

/// Add a photo (a stored image) to business `id`.
pub fn add_photo(id: &str, file: &str) -> Result<Doc<Business>> {
    let (mut doc, _) = for_duty(id, Duty::Manage)?;
    let info = files::info(file)?
        .ok_or_else(|| Error::invalid("photo", tr("Выберите фотографию", "choose a photo")))?;
    if !info.content_type.starts_with("image/") {
        return Err(Error::invalid(
            "photo",
            tr(
                "Нужна фотография (JPEG или PNG)",
                "a photo is needed (JPEG or PNG)",
            ),
        ));
    }
    if doc.data.photos.len() >= MAX_PHOTOS {
        return Err(Error::invalid(
            "photo",
            format!(
                "{} {MAX_PHOTOS}",
                tr("Фотографий не больше", "at most photos:")
            ),
        ));
    }
    doc.data.photos.push(file.to_owned());
    save(&doc)
}

/// Remove photo `file` from business `id`.
pub fn remove_photo(id: &str, file: &str) -> Result<Doc<Business>> {
    let (mut doc, _) = for_duty(id, Duty::Manage)?;
    doc.data.photos.retain(|p| p != file);
    let saved = save(&doc)?;
    files::delete(file)?;
    Ok(saved)
}

/// Add a service to specialist `id`.
pub fn add_service(id: &str, input: &ServiceInput) -> Result<Doc<Business>> {
    let (mut doc, _) = for_duty(id, Duty::Manage)?;
    let settings = Settings::load()?;
    let name = input::required("name", input.name.as_deref(), 120)?;
    let category = match input.category.as_deref().map(str::trim) {
        Some(code)
            if settings
                .category(code)
                .is_some_and(|c| c.kind == BusinessKind::Specialist) =>
        {
            code.to_owned()
        }
        _ => {
            return Err(Error::invalid(
                "category",
                tr("Выберите категорию услуги", "choose the service's category"),
            ));
        }
    };
    let price_from = match input.price_from {
        Some(k) if k >= 0 => Kopecks(k),
        Some(_) => {
            return Err(Error::invalid(
                "price_from",
                tr(
                    "Цена не может быть отрицательной",
                    "a price cannot be negative",
                ),
            ));
        }
        None => {
            return Err(Error::invalid(
                "price_from",
                tr("Укажите цену «от»", "give the lowest price"),
            ));
        }
    };
    let unit = input::optional("unit", input.unit.as_deref(), 60)?
        .unwrap_or_else(|| tr("за работу", "per job").to_owned());
    let radius_km = match input.radius_km {
        Some(r) if (1..=200).contains(&r) => r,
        _ => {
            return Err(Error::invalid(
                "radius_km",
                tr(
                    "Радиус выезда: от 1 до 200 км",
                    "the service radius is 1 to 200 km",
                ),
            ));
        }
    };
    let service = Service {
        id: Business::next_id("s", doc.data.services.iter().map(|s| s.id.as_str())),
        name,
        category,
        price_from,
        unit,
        radius_km,
    };
    doc.data.services.push(service);
    save(&doc)
}

/// Remove service `service` of specialist `id`.
pub fn remove_service(id: &str, service: &str) -> Result<Doc<Business>> {
    let (mut doc, _) = for_duty(id, Duty::Manage)?;
    doc.data.services.retain(|s| s.id != service);
    save(&doc)
}

/// Make a staff invitation for business `id`; returns its code, valid for a week.
pub fn invite(id: &str, publish: bool, redeem: bool) -> Result<String> {
    let (doc, caller) = for_duty(id, Duty::Manage)?;
    if !publish && !redeem {
        return Err(Error::invalid(
            "redeem",
            tr(
                "Отметьте, что сотрудник сможет делать",
                "tick what the staff member may do",
            ),
        ));
    }
    let code = input::random_hex(6)?;
    INVITES.insert(
        &doc.community,
        Some(&code),
        &Invite {
            business: doc.id.clone(),
            publish,
            redeem,
            expires: ctx::now() + INVITE_MS,
            by_name: caller.display_name,
        },
    )?;
    Ok(code)
}

/// Join a business's staff with an invitation `code`.
pub fn join(code: &str) -> Result<Doc<Business>> {
    let caller = ctx::require_caller()?;
    let code = code.trim().to_lowercase();
    let invite = INVITES.get(&code)?.filter(|i| i.data.expires > ctx::now());
    let Some(invite) = invite else {
        return Err(Error::invalid(
            "code",
            tr(
                "Приглашение не найдено или истекло: попросите новое",
                "the invitation is unknown or expired: ask for a new one",
            ),
        ));
    };
    let mut doc = writable(&invite.data.business)?;
    doc.data.staff.retain(|s| s.person != caller.person_id);
    doc.data.staff.push(StaffMember {
        person: caller.person_id.clone(),
        name: caller.display_name.clone(),
        publish: invite.data.publish,
        redeem: invite.data.redeem,
        added: ctx::now(),
    });
    INVITES.delete(&code)?;
    save(&doc)
}

/// Remove `person` from the staff of business `id`.
pub fn remove_staff(id: &str, person: &str) -> Result<Doc<Business>> {
    let (mut doc, _) = for_duty(id, Duty::Manage)?;
    doc.data.staff.retain(|s| s.person != person);
    save(&doc)
}

/// An admin marks business `id` a paid listing until `until` (the advertiser defaults to its
/// legal name and ИНН), or clears it with `until` none.
pub fn set_paid(
    id: &str,
    until: Option<Date>,
    advertiser: Option<&str>,
    erid: Option<&str>,
) -> Result<Doc<Business>> {
    people::require_admin()?;
    let mut doc = writable(id)?;
    doc.data.paid = match until {
        None => None,
        Some(until) => {
            if until < ctx::today()? {
                return Err(Error::invalid(
                    "until",
                    tr("Дата уже прошла", "that day is past"),
                ));
            }
            let advertiser = input::optional("advertiser", advertiser, 300)?
                .unwrap_or_else(|| format!("{}, ИНН {}", doc.data.legal_name, doc.data.inn));
            Some(PaidListing {
                until,
                advertiser,
                erid: input::optional("erid", erid, 100)?,
            })
        }
    };
    save(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Category;

    fn settings() -> Settings {
        let cat = |code: &str, kind| Category {
            code: code.into(),
            name_ru: code.into(),
            name_en: code.into(),
            kind,
        };
        Settings {
            categories: vec![
                cat("bakery", BusinessKind::Shop),
                cat("plumbing", BusinessKind::Specialist),
            ],
            ..Settings::default()
        }
    }

    fn shop(inn: &str, ogrn: Option<&str>) -> BusinessInput {
        BusinessInput {
            kind: Some("shop".into()),
            name: Some("Пекарня «Колосок»".into()),
            legal_name: Some("ООО «Колосок»".into()),
            inn: Some(inn.into()),
            ogrn: ogrn.map(Into::into),
            categories: vec!["bakery".into()],
            ..BusinessInput::default()
        }
    }

    /// RULES §9: ИНН 7707083893 and 500100732259 pass; 7707083894 and 500100732258 fail;
    /// ОГРН 1027700132195 passes — through the registration a business fills in.
    #[test]
    fn registration_checks_the_numbers_of_rules_s9() {
        let s = settings();
        assert!(check_registration(&shop("7707083893", Some("1027700132195")), &s).is_ok());
        let bad = check_registration(&shop("7707083894", Some("1027700132195")), &s).unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("inn"));
        assert!(bad.message.contains("Контрольная цифра"), "{}", bad.message);
        // A person's ИНН with an organization's ОГРН does not match.
        let mismatch =
            check_registration(&shop("500100732259", Some("1027700132195")), &s).unwrap_err();
        assert_eq!(mismatch.field.as_deref(), Some("ogrn"));
        // A self-employed plumber: a person's ИНН and no ОГРНИП.
        let mut plumber = shop("500100732259", None);
        plumber.kind = Some("specialist".into());
        plumber.categories = vec!["plumbing".into()];
        assert!(check_registration(&plumber, &s).is_ok());
        plumber.inn = Some("500100732258".into());
        assert_eq!(
            check_registration(&plumber, &s)
                .unwrap_err()
                .field
                .as_deref(),
            Some("inn")
        );
        // A shop needs its ОГРН.
        let no_ogrn = check_registration(&shop("7707083893", None), &s).unwrap_err();
        assert_eq!(no_ogrn.field.as_deref(), Some("ogrn"));
    }

    #[test]
    fn categories_must_be_of_the_kind() {
        let s = settings();
        let mut input = shop("7707083893", Some("1027700132195"));
        input.categories = vec!["plumbing".into()];
        assert_eq!(
            check_registration(&input, &s).unwrap_err().field.as_deref(),
            Some("categories")
        );
        input.categories.clear();
        assert_eq!(
            check_registration(&input, &s).unwrap_err().field.as_deref(),
            Some("categories")
        );
        input.kind = Some("bank".into());
        assert_eq!(
            check_registration(&input, &s).unwrap_err().field.as_deref(),
            Some("kind")
        );
    }

    #[test]
    fn ids_count_up() {
        assert_eq!(Business::next_id("b", ["b1", "b3"].into_iter()), "b4");
        assert_eq!(Business::next_id("s", std::iter::empty()), "s1");
    }
}

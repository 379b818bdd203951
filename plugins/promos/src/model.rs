//! What the plugin stores: businesses and specialists with their branches, services, staff and
//! rating; offers and their tallies; coupons and redemptions; views and saves (counted per
//! household, never shown per person); reviews with answers, reports and moderation; jobs
//! residents hire specialists for; houses' map points; staff invitations.
//!
//! Where documents live: a business and its offers in the community it registered at (the
//! town, so that every house in it reads them); what a resident does (views, saves, coupons,
//! reviews, hired jobs) in their home house; a redemption beside its business.

use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;
use crate::rating::Rating;

/// Businesses and specialists.
pub const BUSINESSES: Collection<Business> = Collection::new("businesses");
/// Offers.
pub const OFFERS: Collection<Offer> = Collection::new("offers");
/// How many times each offer was redeemed; the id is the offer's.
pub const TALLIES: Collection<Tally> = Collection::new("tallies");
/// Coupons: one per resident and offer.
pub const COUPONS: Collection<Coupon> = Collection::new("coupons");
/// The redemptions log.
pub const REDEMPTIONS: Collection<RedemptionRecord> = Collection::new("redemptions");
/// The first view of an offer per household.
pub const VIEWS: Collection<Sighting> = Collection::new("views");
/// Saved offers, per person.
pub const SAVES: Collection<Sighting> = Collection::new("saves");
/// Reviews.
pub const REVIEWS: Collection<Review> = Collection::new("reviews");
/// Jobs residents hired specialists for.
pub const JOBS: Collection<HiredJob> = Collection::new("jobs");
/// The map points of houses; the id is the house's.
pub const PLACES: Collection<Place> = Collection::new("places");
/// Staff invitations; the id is the code.
pub const INVITES: Collection<Invite> = Collection::new("invites");
/// What residents sent about reviews from a house's pages, waiting to be applied.
pub const SUBMISSIONS: Collection<Submission> = Collection::new("submissions");

/// A shop (with offers and coupons) or a specialist (with services residents hire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessKind {
    /// A shop, a café, a pharmacy: branches, offers, coupons.
    Shop,
    /// A plumber, an electrician: services with prices and an area, jobs.
    Specialist,
}

impl BusinessKind {
    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shop => tr("Магазин или заведение", "Shop or venue"),
            Self::Specialist => tr("Мастер или служба", "Specialist"),
        }
    }

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shop => "shop",
            Self::Specialist => "specialist",
        }
    }
}

/// Where a business is in its verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessStatus {
    /// Registered; the numbers passed their check digits; waiting for an admin.
    Pending,
    /// Approved: it may publish and is listed.
    Approved,
    /// Refused, with the reason.
    Rejected,
    /// Stopped by an admin after approval, with the reason.
    Suspended,
}

impl BusinessStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
        }
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => tr("Ждёт проверки", "Awaiting review"),
            Self::Approved => tr("Проверена", "Verified"),
            Self::Rejected => tr("Отклонена", "Rejected"),
            Self::Suspended => tr("Приостановлена", "Suspended"),
        }
    }

    /// Its colour.
    pub fn tone(self) -> Tone {
        match self {
            Self::Pending => Tone::Warning,
            Self::Approved => Tone::Success,
            Self::Rejected | Self::Suspended => Tone::Danger,
        }
    }
}

/// An admin's decision on a business.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The status it set.
    pub status: BusinessStatus,
    /// Why (required to refuse or suspend).
    pub reason: Option<String>,
    /// Who decided.
    pub by_name: String,
    /// When, ms since the epoch.
    pub at: i64,
}

/// A place where the business serves: a shop's branch, a specialist's base.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// Unique within the business (`b1`, `b2`, …).
    pub id: String,
    /// «Пекарня на Торговой».
    pub name: String,
    /// The address people walk to.
    pub address: String,
    /// Where it is on the map.
    pub point: GeoPoint,
    /// Opening hours as people write them: «Пн–Пт 8:00–20:00, Сб–Вс 9:00–18:00».
    pub hours: String,
    /// Its phone, if it has its own.
    pub phone: Option<String>,
}

/// A service a specialist offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Unique within the business (`s1`, …).
    pub id: String,
    /// «Замена смесителя».
    pub name: String,
    /// A category code of the settings.
    pub category: String,
    /// The lowest price.
    pub price_from: Kopecks,
    /// What the price is for: «за работу», «за час».
    pub unit: String,
    /// How far from the base it is offered, kilometres.
    pub radius_km: u32,
}

/// A person working for a business.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffMember {
    /// The person.
    pub person: String,
    /// Their name as shown.
    pub name: String,
    /// May publish offers and answer reviews.
    pub publish: bool,
    /// May redeem coupons at the counter.
    pub redeem: bool,
    /// When they joined.
    pub added: i64,
}

/// A paid listing (38-ФЗ): shown marked «Реклама» with its advertiser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaidListing {
    /// The last day it is promoted.
    pub until: Date,
    /// The advertiser as the law wants it named: the legal name and ИНН.
    pub advertiser: String,
    /// The advertising token (erid) from the ad register, where there is one.
    pub erid: Option<String>,
}

impl PaidListing {
    /// Whether it is promoted on `today`.
    pub fn active(&self, today: Date) -> bool {
        today <= self.until
    }

    /// «Реклама · ООО «Колосок», ИНН 5031001236 · erid: …».
    pub fn label(&self) -> String {
        let mut text = format!("{} · {}", tr("Реклама", "Advertisement"), self.advertiser);
        if let Some(erid) = &self.erid {
            text.push_str(&format!(" · erid: {erid}"));
        }
        text
    }
}

/// A business or a specialist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Business {
    /// Shop or specialist. Indexed.
    pub kind: BusinessKind,
    /// The name people know: «Пекарня «Колосок»».
    pub name: String,
    /// The legal name: «ООО «Колосок»», «ИП Кузнецов Иван Петрович».
    pub legal_name: String,
    /// ИНН, checked.
    pub inn: String,
    /// ОГРН or ОГРНИП, checked; none for a self-employed specialist.
    pub ogrn: Option<String>,
    /// What it is about.
    pub description: String,
    /// Category codes.
    pub categories: Vec<String>,
    /// The main phone.
    pub phone: Option<String>,
    /// The website.
    pub website: Option<String>,
    /// Who registered it. Indexed.
    pub owner: Option<String>,
    /// The owner's name as shown.
    pub owner_name: Option<String>,
    /// The host organization it is (its operators manage it, its executors redeem).
    pub organization: Option<String>,
    /// Where it is in verification. Indexed.
    pub status: BusinessStatus,
    /// The admins' decisions, oldest first.
    pub decisions: Vec<Decision>,
    /// Its branches (a specialist's base is its first).
    pub branches: Vec<Branch>,
    /// A specialist's services.
    pub services: Vec<Service>,
    /// Photos: stored files' ids.
    pub photos: Vec<String>,
    /// Staff besides the owner and the organization's people.
    pub staff: Vec<StaffMember>,
    /// A paid listing.
    pub paid: Option<PaidListing>,
    /// The published reviews.
    pub rating: Rating,
    /// When it registered.
    pub created: i64,
}

impl Business {
    /// Its branch `id`.
    pub fn branch(&self, id: &str) -> Option<&Branch> {
        self.branches.iter().find(|b| b.id == id)
    }

    /// The next free id among `ids` with `prefix`: `b3` after `b1`, `b2`.
    pub fn next_id<'a>(prefix: &str, ids: impl Iterator<Item = &'a str>) -> String {
        let max = ids
            .filter_map(|id| id.strip_prefix(prefix)?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        format!("{prefix}{}", max + 1)
    }

    /// The active paid listing on `today`.
    pub fn promoted(&self, today: Date) -> Option<&PaidListing> {
        self.paid.as_ref().filter(|p| p.active(today))
    }
}

/// Who an offer is for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Audience {
    /// The residents of these houses (or of the places under these communities).
    Houses {
        /// Community ids.
        houses: Vec<String>,
    },
    /// The residents of the houses within `metres` of a branch.
    Radius {
        /// The branch's id.
        branch: String,
        /// The radius.
        metres: u32,
    },
}

/// Where an offer is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Shown to its audience within its period.
    Published,
    /// Stopped by the business before its end.
    Stopped,
}

impl OfferStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Stopped => "stopped",
        }
    }
}

/// A promotion: its terms and period (38-ФЗ), its audience and its limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// The business's id. Indexed.
    pub business: String,
    /// The business's name when it was published.
    pub business_name: String,
    /// «−20 % на всю выпечку после 19:00».
    pub title: String,
    /// The terms in full.
    pub terms: String,
    /// The first day.
    pub starts: Date,
    /// The last day. Indexed (as `YYYY-MM-DD`).
    pub ends: Date,
    /// Who it is for.
    pub audience: Audience,
    /// At most this many redemptions; none: no limit.
    pub limit: Option<u32>,
    /// Published or stopped. Indexed.
    pub status: OfferStatus,
    /// Who published it.
    pub by_name: String,
    /// When.
    pub created: i64,
}

impl Offer {
    /// Whether it runs on `today`.
    pub fn runs_on(&self, today: Date) -> bool {
        self.status == OfferStatus::Published && self.starts <= today && today <= self.ends
    }
}

/// An offer's redemptions so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// How many.
    pub redeemed: u32,
}

/// Where and when a coupon was used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Used {
    /// When, ms since the epoch.
    pub at: i64,
    /// The branch's id.
    pub branch: String,
    /// The branch's name.
    pub branch_name: String,
    /// The redemption's id.
    pub redemption: String,
}

/// A resident's coupon for an offer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coupon {
    /// The offer. Indexed.
    pub offer: String,
    /// The offer's business. Indexed.
    pub business: String,
    /// Whose. Indexed.
    pub person: String,
    /// Their house.
    pub house: String,
    /// Their household (a unit, or the person when they have none).
    pub household: String,
    /// The per-coupon secret of its codes, hex.
    pub secret: String,
    /// Until when its code is on the resident's screen, ms since the epoch: the codes job
    /// renews codes until then, and typed digits are looked up among such coupons. Indexed.
    pub showing_until: i64,
    /// The last code step accepted.
    pub last_step: Option<u64>,
    /// Its redemption.
    pub used: Option<Used>,
    /// When it was taken.
    pub created: i64,
}

/// One redemption, in the business's log. No name, flat or phone of the resident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RedemptionRecord {
    /// The business. Indexed.
    pub business: String,
    /// The offer. Indexed.
    pub offer: String,
    /// The offer's title.
    pub offer_title: String,
    /// The coupon.
    pub coupon: String,
    /// The branch's id.
    pub branch: String,
    /// The branch's name.
    pub branch_name: String,
    /// The staff member who redeemed it.
    pub staff: String,
    /// Their name.
    pub staff_name: String,
    /// The resident's house (for counts under the floor, never listed per redemption).
    pub house: String,
    /// The resident's household (for distinct counts).
    pub household: String,
    /// When. Indexed.
    pub at: i64,
}

/// A household's view or a person's save of an offer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    /// The offer. Indexed.
    pub offer: String,
    /// The business.
    pub business: String,
    /// Who (saves only; views keep no person). Indexed.
    pub person: Option<String>,
    /// The house.
    pub house: String,
    /// The household.
    pub household: String,
    /// When.
    pub at: i64,
}

/// What a review stands on: a redemption or a completed job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Basis {
    /// A redeemed coupon.
    Coupon(String),
    /// A completed job.
    Job(String),
}

impl Basis {
    /// The review's id: one review per redemption or job.
    pub fn review_id(&self) -> String {
        match self {
            Self::Coupon(id) => format!("c-{id}"),
            Self::Job(id) => format!("j-{id}"),
        }
    }

    /// As a form value: `coupon:<id>`, `job:<id>`.
    pub fn to_value(&self) -> String {
        match self {
            Self::Coupon(id) => format!("coupon:{id}"),
            Self::Job(id) => format!("job:{id}"),
        }
    }

    /// From a form value.
    pub fn from_value(value: &str) -> Option<Basis> {
        let (kind, id) = value.split_once(':')?;
        if id.is_empty() {
            return None;
        }
        match kind {
            "coupon" => Some(Self::Coupon(id.to_owned())),
            "job" => Some(Self::Job(id.to_owned())),
            _ => None,
        }
    }
}

/// Whether a review is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Shown and counted in the rating.
    Published,
    /// Hidden by reports or a moderator; not counted.
    Hidden,
}

impl ReviewStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Hidden => "hidden",
        }
    }
}

/// The business's answer to a review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The text.
    pub text: String,
    /// Who answered.
    pub by_name: String,
    /// When.
    pub at: i64,
}

/// A report of a review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Who reported.
    pub by: String,
    /// Why.
    pub reason: String,
    /// How much it weighs (the reporter's standing).
    pub weight: u32,
    /// When.
    pub at: i64,
}

/// A moderator's decision, or the author's appeal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModerationEntry {
    /// What happened: `hidden_by_reports`, `kept`, `hidden`, `appealed`.
    pub action: String,
    /// Why, as the author sees it.
    pub reason: String,
    /// Who (a moderator; none when reports hid it).
    pub by_name: Option<String>,
    /// When.
    pub at: i64,
}

/// A review of a business.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The business. Indexed.
    pub business: String,
    /// The author. Indexed.
    pub author: String,
    /// «Анна П.».
    pub author_name: String,
    /// The redemption or job it stands on.
    pub basis: Basis,
    /// 1 to 5.
    pub stars: u8,
    /// What they wrote.
    pub text: String,
    /// Shown or hidden. Indexed.
    pub status: ReviewStatus,
    /// Waiting for a moderator (reported or appealed). Indexed.
    pub queued: bool,
    /// Reports since the last decision.
    pub reports: Vec<Report>,
    /// Decisions and appeals, oldest first.
    pub moderation: Vec<ModerationEntry>,
    /// The business's answer.
    pub answer: Option<Answer>,
    /// When. Indexed.
    pub at: i64,
}

/// Where a hired job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// The resident asked.
    Requested,
    /// The specialist took it.
    Accepted,
    /// The specialist declined.
    Declined,
    /// The specialist did it: the resident may review.
    Done,
    /// The resident called it off.
    Cancelled,
}

impl JobStatus {
    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => tr("Заявка отправлена", "Requested"),
            Self::Accepted => tr("Принята мастером", "Accepted"),
            Self::Declined => tr("Мастер отказался", "Declined"),
            Self::Done => tr("Выполнена", "Done"),
            Self::Cancelled => tr("Отменена", "Cancelled"),
        }
    }

    /// Its colour.
    pub fn tone(self) -> Tone {
        match self {
            Self::Requested => Tone::Warning,
            Self::Accepted => Tone::Info,
            Self::Done => Tone::Success,
            Self::Declined | Self::Cancelled => Tone::Neutral,
        }
    }
}

/// A job a resident hired a specialist for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HiredJob {
    /// The specialist (a business id). Indexed.
    pub specialist: String,
    /// The specialist's name.
    pub specialist_name: String,
    /// The service's id.
    pub service: String,
    /// The service's name.
    pub service_name: String,
    /// Who hired. Indexed.
    pub person: String,
    /// Their name, for the specialist who comes.
    pub person_name: String,
    /// The phone they left for the specialist.
    pub phone: String,
    /// Where to come: the address and flat they wrote.
    pub address: String,
    /// What needs doing.
    pub description: String,
    /// Their house.
    pub house: String,
    /// Where it is.
    pub status: JobStatus,
    /// Changes, oldest first: (status, when, by whom).
    pub history: Vec<(JobStatus, i64, String)>,
    /// When it was asked. Indexed.
    pub created: i64,
}

/// A house's point on the map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Where.
    pub point: GeoPoint,
    /// Who put it there.
    pub by_name: String,
}

/// An invitation to join a business's staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    /// The business.
    pub business: String,
    /// May publish and answer.
    pub publish: bool,
    /// May redeem.
    pub redeem: bool,
    /// Valid until, ms since the epoch.
    pub expires: i64,
    /// Who made it.
    pub by_name: String,
}

/// What a resident sent about reviews from a page where the business's reviews are out of
/// reach (a house's pages see the town's documents but cannot write them); the upkeep job
/// applies it at the business.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Sent {
    /// A new review (its id is the review's).
    Review {
        /// The review.
        review: Review,
    },
    /// A report of a review.
    Report {
        /// The review's id.
        review: String,
        /// The report.
        report: Report,
    },
    /// The author's appeal of a decision.
    Appeal {
        /// The review's id.
        review: String,
        /// The appeal.
        entry: ModerationEntry,
    },
}

/// A pending submission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// Who sent it. Indexed.
    pub author: String,
    /// What.
    pub sent: Sent,
}

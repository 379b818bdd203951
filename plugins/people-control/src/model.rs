//! What the plugin stores: categories with their routes and extra fields, appeals with their
//! timelines, supports, the Open311 status updates, the outbox of webhooks to deliver and the
//! sync state; and its settings.

use std::collections::BTreeMap;

use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// Categories, id = code; stored in the community whose subtree they serve.
pub const CATEGORIES: Collection<Category> = Collection::new("categories");
/// Appeals, id = their number.
pub const APPEALS: Collection<Appeal> = Collection::new("appeals");
/// Supports, id `{appeal}:{person}` so that one person supports once.
pub const SUPPORTS: Collection<Support> = Collection::new("supports");
/// Status updates as Open311 `servicerequestupdates` lists them, id `{appeal}.{n}`.
pub const UPDATES: Collection<StatusUpdate> = Collection::new("updates");
/// Webhooks to Open311 clients waiting for delivery.
pub const OUTBOX: Collection<Webhook> = Collection::new("outbox");
/// Small state documents: the appeal counter, the external system's sync point.
pub const STATE: Collection<serde_json::Value> = Collection::new("state");

/// What an appeal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Something is wrong (a pothole, a broken lift).
    #[default]
    Problem,
    /// An idea for improvement.
    Suggestion,
    /// Thanks to someone.
    Thanks,
}

impl Kind {
    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Problem => tr("Проблема", "Problem"),
            Kind::Suggestion => tr("Предложение", "Suggestion"),
            Kind::Thanks => tr("Благодарность", "Thanks"),
        }
    }
}

/// Where an appeal is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Filed; waiting for moderation or for the organization to take it.
    New,
    /// Taken into work by the responsible organization.
    Accepted,
    /// The author is asked for details.
    NeedsInfo,
    /// The problem is solved.
    Resolved,
    /// Answered with an explanation (nothing to fix, or not this body's business).
    Explained,
    /// A motivated refusal (by the organization or the moderator).
    Rejected,
    /// Closed as a duplicate of another appeal.
    Duplicate,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::Accepted,
        Status::NeedsInfo,
        Status::Resolved,
        Status::Explained,
        Status::Rejected,
        Status::Duplicate,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::NeedsInfo => "needs_info",
            Status::Resolved => "resolved",
            Status::Explained => "explained",
            Status::Rejected => "rejected",
            Status::Duplicate => "duplicate",
        }
    }

    /// Parse a wire name given for `field`.
    pub fn parse_field(field: &str, text: &str) -> Result<Status> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!(
                        "{}: {text} / {}",
                        tr("Неизвестный статус", "unknown status"),
                        Status::ALL.map(Status::as_str).join(", ")
                    ),
                )
            })
    }

    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            Status::New => tr("Новое", "New"),
            Status::Accepted => tr("В работе", "In progress"),
            Status::NeedsInfo => tr("Нужны уточнения", "Details needed"),
            Status::Resolved => tr("Решено", "Resolved"),
            Status::Explained => tr("Дано разъяснение", "Explained"),
            Status::Rejected => tr("Мотивированный отказ", "Refused"),
            Status::Duplicate => tr("Дубликат", "Duplicate"),
        }
    }

    /// Whether the appeal is closed (Open311 `closed`).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Status::Resolved | Status::Explained | Status::Rejected | Status::Duplicate
        )
    }
}

/// Where an appeal stands with the moderators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    /// In the queue.
    Pending,
    /// Published and routed.
    Approved,
    /// Refused by a moderator.
    Rejected,
}

impl Moderation {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::Pending => "pending",
            Moderation::Approved => "approved",
            Moderation::Rejected => "rejected",
        }
    }
}

/// An extra field of a category (and an Open311 service attribute).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraField {
    /// The code, `[a-z][a-z0-9_]*`.
    pub code: String,
    /// The question in Russian.
    pub label_ru: String,
    /// The question in English.
    #[serde(default)]
    pub label_en: String,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist` or `multivaluelist`.
    #[serde(default = "default_datatype")]
    pub datatype: String,
    /// Whether an appeal needs it.
    #[serde(default)]
    pub required: bool,
    /// The choices of a list.
    #[serde(default)]
    pub values: Vec<Choice>,
}

fn default_datatype() -> String {
    "string".into()
}

/// A choice of a list field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The value submitted.
    pub key: String,
    /// The name in Russian.
    pub name_ru: String,
    /// The name in English.
    #[serde(default)]
    pub name_en: String,
}

/// Which organization answers a category's appeals in a community's subtree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The community; the route covers its subtree.
    pub community: String,
    /// The organization's id.
    pub organization: String,
}

/// A category of appeals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// The code (the Open311 service code), `[a-z0-9][a-z0-9_-]*`.
    pub code: String,
    /// The name in Russian.
    pub name_ru: String,
    /// The name in English.
    #[serde(default)]
    pub name_en: String,
    /// A group for the list (`Дороги`, `ЖКХ`).
    #[serde(default)]
    pub group: String,
    /// Days the responsible organization has to answer.
    pub deadline_days: u32,
    /// Whether appeals are public (else only the author and those handling it see them).
    #[serde(default = "yes")]
    pub public: bool,
    /// The organization answering by default.
    #[serde(default)]
    pub organization: Option<String>,
    /// Organizations answering in particular subtrees; the deepest matching route wins.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Extra fields asked when filing.
    #[serde(default)]
    pub fields: Vec<ExtraField>,
    /// Whether new appeals are offered; old ones keep their category.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Category {
    /// The name in the caller's language.
    pub fn name(&self) -> &str {
        localized(&self.name_ru, &self.name_en)
    }
}

/// The Russian text, or the English one when the caller chose English and it is there.
pub fn localized<'a>(ru: &'a str, en: &'a str) -> &'a str {
    if ctx::is_english() && !en.is_empty() {
        en
    } else {
        ru
    }
}

/// A point on the map.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
}

impl Point {
    /// The distance to `other` in metres (haversine on a sphere of the Earth's mean radius).
    pub fn distance_m(self, other: Point) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_008.8;
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let dphi = (other.lat - self.lat).to_radians();
        let dlambda = (other.lon - self.lon).to_radians();
        let a =
            (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }
}

/// One line of an appeal's timeline: a status change, a comment, a routing, a moderation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When (ms since the epoch).
    pub at: i64,
    /// Who (a person id), or none for the system.
    #[serde(default)]
    pub by: Option<String>,
    /// Their name as shown.
    #[serde(default)]
    pub by_name: String,
    /// `status`, `comment`, `route`, `edit`, `forward`, `external`, `escalation`, `support`.
    pub kind: String,
    /// The new status, for status changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The note or the comment.
    #[serde(default)]
    pub note: String,
    /// The external system's update id, so an update counts once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_id: Option<String>,
}

/// Where forwarding to the external system stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardState {
    /// Not to be forwarded.
    None,
    /// Waiting to be sent (or retried).
    Pending,
    /// Acknowledged: the external system gave its id.
    Sent,
    /// The external system refused it (4xx); a moderator must fix it.
    Refused,
}

impl ForwardState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ForwardState::None => "none",
            ForwardState::Pending => "pending",
            ForwardState::Sent => "sent",
            ForwardState::Refused => "refused",
        }
    }
}

/// An appeal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Appeal {
    /// Its number, as people quote it.
    pub number: u64,
    /// Problem, suggestion or thanks.
    pub kind: Kind,
    /// The category code.
    pub category: String,
    /// What happened, in the author's words (a moderator may fix the wording).
    pub description: String,
    /// The point on the map.
    #[serde(default)]
    pub point: Option<Point>,
    /// The address.
    #[serde(default)]
    pub address: Option<String>,
    /// Photo file ids.
    #[serde(default)]
    pub photos: Vec<String>,
    /// A link to a photo elsewhere (Open311 `media_url`).
    #[serde(default)]
    pub media_url: Option<String>,
    /// Answers to the category's extra fields.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The author's person id.
    pub author: String,
    /// The author's name as shown.
    pub author_name: String,
    /// The author's e-mail or phone given through Open311, seen only by those handling it.
    #[serde(default)]
    pub contact: Option<String>,
    /// The Open311 client it came through, if any.
    #[serde(default)]
    pub client: Option<String>,
    /// The status.
    pub status: Status,
    /// The status before the author was asked for details.
    #[serde(default)]
    pub status_before_question: Option<Status>,
    /// Moderation.
    pub moderation: Moderation,
    /// The organization it is routed to.
    #[serde(default)]
    pub organization: Option<String>,
    /// Whether the category is public (copied at filing).
    pub public: bool,
    /// The appeal this one duplicates.
    #[serde(default)]
    pub duplicate_of: Option<u64>,
    /// Filed (ms).
    pub created: i64,
    /// Last changed (ms).
    pub updated: i64,
    /// The answer is due (ms).
    pub deadline: i64,
    /// Past its deadline and still open.
    #[serde(default)]
    pub overdue: bool,
    /// Escalated to the moderators and officials.
    #[serde(default)]
    pub escalated: bool,
    /// Milliseconds from filing to the resolution, once resolved.
    #[serde(default)]
    pub resolve_ms: Option<i64>,
    /// Whether the author confirmed the resolution.
    #[serde(default)]
    pub confirmed: bool,
    /// How many times the author reopened it.
    #[serde(default)]
    pub reopened: u32,
    /// How many people support it.
    #[serde(default)]
    pub supporters: u32,
    /// Forwarding to the external system.
    pub forward: ForwardState,
    /// The external system's id for it.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Attempts to forward so far.
    #[serde(default)]
    pub forward_attempts: u32,
    /// The next attempt is not before this (ms).
    #[serde(default)]
    pub forward_next: i64,
    /// The last forwarding error.
    #[serde(default)]
    pub forward_error: Option<String>,
    /// Status updates so far (numbers the `updates` documents).
    #[serde(default)]
    pub update_count: u32,
    /// What happened to it, oldest first.
    pub timeline: Vec<Entry>,
}

/// One person supporting one appeal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Support {
    /// The appeal's id.
    pub appeal: String,
    /// The person.
    pub person: String,
    /// When.
    pub at: i64,
}

/// A status change as Open311 `servicerequestupdates` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The appeal's id.
    pub appeal: String,
    /// When (ms).
    pub at: i64,
    /// The status after it.
    pub status: Status,
    /// The note.
    pub note: String,
    /// Whether the appeal is public (so anonymous readers may see the update).
    pub public: bool,
    /// The Open311 client the appeal came through.
    #[serde(default)]
    pub client: Option<String>,
}

/// A webhook to an Open311 client waiting for delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// The client's name.
    pub client: String,
    /// The JSON body (an array of Open311 updates).
    pub body: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Not before (ms).
    pub next_try: i64,
    /// The last error.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// How near duplicates are found.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRule {
    /// Within this many metres.
    pub radius_m: u32,
    /// Filed within this many days.
    pub days: u32,
}

/// An application allowed to file appeals over Open311.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Open311Client {
    /// Its name, shown on the appeals it files.
    pub name: String,
    /// The key it sends as `api_key`.
    pub api_key: String,
    /// Where status updates of its appeals are posted, signed.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// The HMAC-SHA256 secret of those webhooks.
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

/// The external people's-control system appeals are forwarded to.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct External {
    /// Its name, shown on the timeline.
    pub name: String,
    /// Its Open311 base URL (…/open311/v2).
    pub base_url: String,
    /// The jurisdiction there, if it serves several.
    #[serde(default)]
    pub jurisdiction_id: Option<String>,
    /// Our key there.
    pub api_key: String,
    /// The category codes forwarded (here they are also the service codes there).
    pub categories: Vec<String>,
    /// The secret its webhooks are signed with; none refuses webhooks.
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// Whether to poll its `servicerequestupdates`.
    #[serde(default = "yes")]
    pub poll: bool,
    /// The first wait before forwarding again after a failure (ms); it doubles each time, to
    /// at most an hour.
    #[serde(default = "a_minute")]
    pub retry_base_ms: i64,
}

fn a_minute() -> i64 {
    60_000
}

/// The plugin's settings.
#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    /// Whether new appeals wait for moderation.
    pub moderation: bool,
    /// Near duplicates.
    pub duplicates: DuplicateRule,
    /// Days overdue before escalation.
    pub escalate_after_days: u32,
    /// The external system (an empty table: none).
    pub external: serde_json::Value,
    /// Open311 clients.
    pub open311_clients: Vec<Open311Client>,
    /// Seed the demo.
    pub demo: bool,
}

impl Settings {
    /// The settings, checked.
    pub fn load() -> Result<Settings> {
        let settings: Settings = dvor_sdk::settings()?;
        settings.external()?;
        Ok(settings)
    }

    /// The external system, if one is configured.
    pub fn external(&self) -> Result<Option<External>> {
        match &self.external {
            serde_json::Value::Object(map) if map.is_empty() => Ok(None),
            value => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|e| Error::invalid("settings.external", e.to_string())),
        }
    }

    /// The Open311 client with this key.
    pub fn client_by_key(&self, key: &str) -> Option<&Open311Client> {
        if key.is_empty() {
            return None;
        }
        self.open311_clients
            .iter()
            .find(|c| constant_time_eq(c.api_key.as_bytes(), key.as_bytes()))
    }

    /// The Open311 client called `name`.
    pub fn client_named(&self, name: &str) -> Option<&Open311Client> {
        self.open311_clients.iter().find(|c| c.name == name)
    }
}

/// Compare secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_between_two_points_a_block_apart() {
        let a = Point {
            lat: 55.7539,
            lon: 37.6208,
        };
        let b = Point {
            lat: 55.7549,
            lon: 37.6208,
        };
        let d = a.distance_m(b);
        assert!((d - 111.2).abs() < 1.0, "{d}");
        assert_eq!(a.distance_m(a), 0.0);
    }

    #[test]
    fn closed_statuses_are_the_final_ones() {
        let closed: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_closed()).collect();
        assert_eq!(
            closed,
            [
                Status::Resolved,
                Status::Explained,
                Status::Rejected,
                Status::Duplicate
            ]
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}

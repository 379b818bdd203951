//! `meetings`: polls and surveys, residents' initiatives with a support threshold
//! ("Мудрость народа"), and legally valid general meetings — of the owners of a block of flats
//! (ЖК РФ ст.44–48, 47.1) and of the members of an SNT (217-ФЗ ст.17) — with their quorum,
//! per-question results and protocol (Минстрой 44/пр).
//!
//! The law's numbers (thresholds by question kind, the SNT quorum rule) are data with effective
//! dates in `tally`; the API is under `/api/c/{community}/p/meetings/`, see `docs/meetings.md`;
//! the web pages and their forms are in `pages`. An SNT meeting's voters are the partnership's
//! register where the `snt` plugin keeps one (`roll`, fed by its `snt.register_changed` events).

pub mod assembly;
pub mod initiatives;
pub mod pages;
pub mod polls;
pub mod protocol;
pub mod roll;
pub mod tally;

use std::collections::BTreeMap;

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::tally::{Choice, Weight};

/// Polls.
pub const POLLS: Collection<polls::Poll> = Collection::new("polls");
/// Initiatives.
pub const INITIATIVES: Collection<initiatives::Initiative> = Collection::new("initiatives");
/// General meetings.
pub const MEETINGS: Collection<assembly::Meeting> = Collection::new("meetings");
/// Ballots of polls and meetings, id `{target}:{voter}`: one per voter.
pub const BALLOTS: Collection<Ballot> = Collection::new("ballots");
/// Initiative supports, id `{initiative}:{person}`.
pub const SUPPORTS: Collection<serde_json::Value> = Collection::new("supports");

/// How a ballot came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// Cast in the app by the voter.
    Online,
    /// Entered from a paper ballot by the organizer.
    Paper,
}

/// One voter's ballot in a poll or a meeting, with who, when and how.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ballot {
    /// `poll:{id}` or `meeting:{id}`.
    pub target: String,
    /// Who votes: a person, or a unit for per-unit polls.
    pub voter: String,
    /// The person who cast it (or whose paper ballot it is).
    pub person: String,
    /// Their name.
    pub name: String,
    /// A poll's chosen options.
    #[serde(default)]
    pub choices: Vec<u32>,
    /// A text poll's answer.
    #[serde(default)]
    pub text: Option<String>,
    /// A meeting's answers, one per question.
    #[serde(default)]
    pub answers: Vec<Option<Choice>>,
    /// A meeting voter's weight.
    #[serde(default)]
    pub weight: Option<Weight>,
    /// An SNT member (else a non-member owner); true for МКД.
    pub member: bool,
    /// Online or paper.
    pub how: How,
    /// Who entered a paper ballot.
    #[serde(default)]
    pub entered_by: Option<String>,
    /// When (the last change).
    pub at: i64,
    /// How many times it was changed before the meeting closed.
    #[serde(default)]
    pub changes: u32,
}

/// Initiative thresholds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Everywhere.
    pub default: u32,
    /// Per community.
    #[serde(default)]
    pub communities: BTreeMap<String, u32>,
}

/// The plugin's settings.
#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    /// Initiative thresholds.
    pub initiative_threshold: Thresholds,
    /// Overrides of the law's rules (empty: the built-in ones).
    pub rules: serde_json::Value,
}

impl Settings {
    /// The settings.
    pub fn load() -> Result<Settings> {
        dvor_sdk::settings()
    }

    /// The rules with their effective dates.
    pub fn rules(&self) -> Result<tally::Rules> {
        match &self.rules {
            serde_json::Value::Object(map) if map.is_empty() => Ok(tally::default_rules()),
            value => tally::Rules::from_json(&value.to_string())
                .map_err(|e| Error::invalid("settings.rules", e)),
        }
    }
}

/// The caller, if they hold any role in the call's community or above it (a resident, an
/// owner, a member, staff): polls and initiatives are for the people of the place.
pub fn require_member_of_place() -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    let here = ctx::community();
    let chain = directory::ancestry(&here);
    let belongs = caller.roles.iter().any(|r| match &r.community {
        None => true,
        Some(c) => chain.contains(c) || directory::community(c).is_none(),
    }) || !directory::units_of(&caller.person_id).is_empty();
    if belongs {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Участвуют жители этого места",
            "the people of this place take part",
        )))
    }
}

/// Who is reading, as far as names, person ids and tallies go.
pub enum Viewer {
    /// Nobody is signed in.
    Anonymous,
    /// Signed in, but not one of the people of this place: why they cannot take part.
    Outsider(String),
    /// One of the people of this place (residents, owners, members, staff serving it).
    Member(ctx::Caller),
}

impl Viewer {
    /// Whether names and person ids may be shown: only to the people of the place.
    pub fn sees_names(&self) -> bool {
        matches!(self, Viewer::Member(_))
    }

    /// The refusal of something that is only for the people of this place: sign in, or you
    /// are not one of them.
    pub fn refusal(&self, ru: &str, en: &str) -> Error {
        match self {
            Viewer::Anonymous => Error::unauthenticated(tr(
                "Войдите: это видят жители этого места",
                "sign in: the people of this place see this",
            )),
            _ => Error::forbidden(tr(ru, en)),
        }
    }
}

/// Who is reading this call.
pub fn viewer() -> Result<Viewer> {
    if ctx::caller().is_none() {
        return Ok(Viewer::Anonymous);
    }
    match require_member_of_place() {
        Ok(caller) => Ok(Viewer::Member(caller)),
        Err(e) if e.is(ErrorCode::Forbidden) => Ok(Viewer::Outsider(e.message)),
        Err(e) => Err(e),
    }
}

/// `value`'s object without `keys`.
pub(crate) fn without(mut value: serde_json::Value, keys: &[&str]) -> serde_json::Value {
    if let Some(map) = value.as_object_mut() {
        for key in keys {
            map.remove(*key);
        }
    }
    value
}

#[derive(Default)]
struct Meetings;

fn created<T: Serialize>(doc: &Doc<T>) -> Result<ApiResponse> {
    ApiResponse::created(
        &serde_json::json!({ "id": doc.id, "community": doc.community, "data": doc.data }),
    )
}

fn shown<T: Serialize>(doc: &Doc<T>) -> Result<ApiResponse> {
    ApiResponse::ok(
        &serde_json::json!({ "id": doc.id, "community": doc.community, "data": doc.data }),
    )
}

impl Plugin for Meetings {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        let (method, path) = req.route();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match (method, parts.as_slice()) {
            ("POST", ["polls"]) => created(&polls::create(req.json()?)?),
            ("GET", ["polls"]) => {
                let all = POLLS
                    .query()
                    .order_by("closes", Direction::Desc)
                    .limit(100)
                    .fetch()?;
                let viewer = viewer()?;
                ApiResponse::ok(&serde_json::json!({
                    "polls": all.docs.iter().map(|d| polls::json(d, &viewer)).collect::<Vec<_>>()
                }))
            }
            ("GET", ["polls", id]) => ApiResponse::ok(&polls::json(&polls::get(id)?, &viewer()?)),
            ("POST", ["polls", id, "vote"]) => created(&polls::vote(id, req.json()?)?),
            ("POST", ["polls", id, "close"]) => shown(&polls::close(id)?),
            ("GET", ["polls", id, "results"]) => ApiResponse::ok(&polls::results(id)?),
            ("POST", ["initiatives"]) => created(&initiatives::create(req.json()?)?),
            ("GET", ["initiatives"]) => {
                let all = INITIATIVES
                    .query()
                    .order_by("created", Direction::Desc)
                    .limit(100)
                    .fetch()?;
                let viewer = viewer()?;
                ApiResponse::ok(&serde_json::json!({
                    "initiatives": all.docs.iter().map(|d| initiatives::json(d, &viewer)).collect::<Vec<_>>()
                }))
            }
            ("GET", ["initiatives", id]) => {
                ApiResponse::ok(&initiatives::json(&initiatives::get(id)?, &viewer()?))
            }
            ("POST", ["initiatives", id, "support"]) => {
                let (doc, new) = initiatives::support(id)?;
                ApiResponse::json(
                    if new { 201 } else { 200 },
                    &serde_json::json!({ "id": doc.id, "data": doc.data, "new": new }),
                )
            }
            ("POST", ["initiatives", id, "review"]) => {
                shown(&initiatives::review(id, req.json()?)?)
            }
            ("POST", ["initiatives", id, "comments"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Text {
                    text: String,
                }
                let text: Text = req.json()?;
                shown(&initiatives::comment(id, &text.text)?)
            }
            ("POST", ["meetings"]) => created(&assembly::create(req.json()?)?),
            ("GET", ["meetings", id]) => {
                ApiResponse::ok(&assembly::json(&assembly::get(id)?, &viewer()?))
            }
            ("POST", ["meetings", id, "ballot"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Cast {
                    answers: Vec<Option<Choice>>,
                    #[serde(default)]
                    person: Option<String>,
                }
                let cast: Cast = req.json()?;
                let ballot = assembly::cast(id, &cast.answers, cast.person.as_deref())?;
                ApiResponse::json(
                    if ballot.version == 1 { 201 } else { 200 },
                    &serde_json::json!({ "id": ballot.id, "data": ballot.data }),
                )
            }
            ("POST", ["meetings", id, "close"]) => {
                #[derive(Deserialize, Default)]
                #[serde(deny_unknown_fields)]
                struct Close {
                    #[serde(default)]
                    present_members: Option<u64>,
                }
                if !assembly::is_organizer() {
                    return Err(Error::forbidden(tr(
                        "Собрание закрывает организатор",
                        "the organizer closes a meeting",
                    )));
                }
                let input: Close = if req.body.is_empty() {
                    Close::default()
                } else {
                    req.json()?
                };
                shown(&assembly::close(id, input.present_members)?)
            }
            ("GET", ["meetings", id, "tally"]) => ApiResponse::ok(&assembly::verify(id)?),
            ("GET", ["meetings", id, "protocol"]) => {
                let viewer = viewer()?;
                if !viewer.sees_names() {
                    return Err(viewer.refusal(
                        "Протокол видят жители этого места",
                        "the people of this place see the protocol",
                    ));
                }
                let protocol = assembly::protocol(id)?;
                ApiResponse::ok(
                    &serde_json::json!({ "title": protocol.title, "sections": protocol.sections, "text": protocol.to_text() }),
                )
            }
            ("GET", ["meetings", id, "ballots.csv"]) => {
                if !assembly::counts(&assembly::get(id)?) {
                    return Err(Error::forbidden(tr(
                        "Бюллетени видят организатор и счётная комиссия",
                        "the organizer and the counting commission see the ballots",
                    )));
                }
                Ok(
                    ApiResponse::bytes(200, "text/csv; charset=utf-8", assembly::ballots_csv(id)?)
                        .header(
                            "content-disposition",
                            "attachment; filename=\"ballots.csv\"",
                        ),
                )
            }
            _ => Err(Error::not_found(tr("Нет такого адреса", "no such route"))),
        }
    }

    fn render_page(&self, route: &str, _query: &Params) -> Result<Page> {
        pages::render(route)
    }

    fn handle_action(&self, route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
        pages::act(route, action, form)
    }

    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        if place != TilePlace::Community {
            return Ok(None);
        }
        let now = ctx::now();
        let community = ctx::community();
        let open = POLLS
            .query()
            .in_community(&community)
            .filter("closes", Compare::Gt, now)
            .order_by("closes", Direction::Asc)
            .limit(3)
            .fetch()?;
        let voting = MEETINGS
            .query()
            .in_community(&community)
            .filter("voting_to", Compare::Gt, now)
            .count()?;
        let polls = POLLS
            .query()
            .in_community(&community)
            .filter("closes", Compare::Gt, now)
            .count()?;
        if polls == 0 && voting == 0 {
            return Ok(None);
        }
        let mut tile = Tile::new(tr("Идёт голосование", "Voting now"))
            .count((polls + voting) as i64)
            .tone(Tone::Info);
        for doc in &open.docs {
            tile = tile.line(doc.data.title.clone());
        }
        if voting > 0 {
            tile = tile.line(format!(
                "{}: {voting}",
                tr("Общие собрания", "General meetings")
            ));
        }
        if let [only] = open.docs.as_slice()
            && voting == 0
        {
            tile = tile.link(Link::to(format!("poll/{}", only.id), ""));
        }
        Ok(Some(tile))
    }

    /// `snt.register_changed`: the partnership's register, for its meetings' voter lists.
    fn on_event(&self, event: Event) -> Result<()> {
        if event.kind == roll::REGISTER_CHANGED {
            roll::follow(&event)
        } else {
            Ok(())
        }
    }

    fn run_job(&self, name: &str, _cursor: Option<String>) -> Result<Option<String>> {
        match name {
            "close" => {
                assembly::close_due()?;
                Ok(None)
            }
            _ => Err(Error::not_found(format!("no job `{name}`"))),
        }
    }
}

dvor_sdk::plugin!(Meetings, manifest = "dvor-plugin.toml");

//! Polls and surveys: single or multiple choice or free text, for a community subtree, open for
//! a period; one vote per person or per unit, as the poll says; results live or after closing,
//! anonymous or named, for the people of the place or for everyone, as the author chooses.
//!
//! Names (the author's, the voters') are shown only to the people of the place; anyone else
//! sees a poll's results only if the author made them public, and then only the counts.

use std::collections::BTreeMap;

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{BALLOTS, Ballot, How, POLLS, Viewer, require_member_of_place, without};

/// Emitted for every vote.
pub const POLL_VOTED: &str = "poll.voted";
const HOUR_MS: i64 = 3_600_000;

/// What a poll asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollKind {
    /// One option.
    Single,
    /// Any number of options.
    Multiple,
    /// A free-text answer.
    Text,
}

/// Who votes once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Every person.
    #[default]
    Person,
    /// Every unit (flat, plot): its first voter speaks for it.
    Unit,
}

/// When the results are shown to voters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Show {
    /// As votes come in.
    #[default]
    Live,
    /// After the poll closes.
    AfterClose,
}

/// A poll.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Poll {
    /// The question.
    pub title: String,
    /// Details.
    pub description: String,
    /// Single, multiple or text.
    pub kind: PollKind,
    /// The options (none for text).
    pub options: Vec<String>,
    /// Per person or per unit.
    pub per: Per,
    /// Whether voters stay unnamed in the results.
    pub anonymous: bool,
    /// When results are shown.
    pub show: Show,
    /// Whether anyone (not only the people of the place) sees the results, never with names.
    #[serde(default)]
    pub public: bool,
    /// Opened (ms).
    pub opens: i64,
    /// Closes (ms).
    pub closes: i64,
    /// The author.
    pub author: String,
    /// The author's name.
    pub author_name: String,
}

/// A new poll.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    /// The question.
    pub title: String,
    /// Details.
    #[serde(default)]
    pub description: String,
    /// Single, multiple or text.
    pub kind: PollKind,
    /// The options.
    #[serde(default)]
    pub options: Vec<String>,
    /// Per person or per unit.
    #[serde(default)]
    pub per: Per,
    /// Anonymous results.
    #[serde(default)]
    pub anonymous: bool,
    /// When results are shown.
    #[serde(default)]
    pub show: Show,
    /// Results for everyone, not only the people of the place (counts only, never names).
    #[serde(default)]
    pub public: bool,
    /// Open for this many hours (1 to 2160).
    pub hours: i64,
}

/// Create a poll in the call's community (anyone holding a role there).
pub fn create(input: NewPoll) -> Result<Doc<Poll>> {
    let caller = require_member_of_place()?;
    let title = input.title.trim();
    if title.chars().count() < 3 || title.chars().count() > 300 {
        return Err(Error::invalid(
            "title",
            tr(
                "Вопрос от 3 до 300 знаков",
                "the question is 3 to 300 characters",
            ),
        ));
    }
    let options: Vec<String> = input.options.iter().map(|o| o.trim().to_owned()).collect();
    match input.kind {
        PollKind::Text if !options.is_empty() => {
            return Err(Error::invalid(
                "options",
                tr(
                    "У текстового опроса нет вариантов",
                    "a text poll has no options",
                ),
            ));
        }
        PollKind::Single | PollKind::Multiple
            if options.len() < 2 || options.len() > 20 || options.iter().any(String::is_empty) =>
        {
            return Err(Error::invalid(
                "options",
                tr(
                    "Нужно от 2 до 20 непустых вариантов",
                    "2 to 20 non-empty options are needed",
                ),
            ));
        }
        _ => {}
    }
    if !(1..=2160).contains(&input.hours) {
        return Err(Error::invalid(
            "hours",
            tr("Срок — от 1 часа до 90 дней", "open for 1 hour to 90 days"),
        ));
    }
    let now = ctx::now();
    let poll = Poll {
        title: title.to_owned(),
        description: input.description.trim().to_owned(),
        kind: input.kind,
        options,
        per: input.per,
        anonymous: input.anonymous,
        show: input.show,
        public: input.public,
        opens: now,
        closes: now + input.hours * HOUR_MS,
        author: caller.person_id,
        author_name: caller.display_name,
    };
    let here = ctx::community();
    let doc = POLLS.insert(&here, None, &poll)?;
    notify_opened(&doc, &here)?;
    Ok(doc)
}

/// Tell the people of the place that a poll is open: its residents, owners and members (the
/// owners only, when it takes a vote per flat or plot), once each, not its author.
fn notify_opened(doc: &Doc<Poll>, community: &str) -> Result<()> {
    let p = &doc.data;
    let roles: &[&str] = match p.per {
        Per::Person => &["resident", "owner", "snt-member"],
        Per::Unit => &["owner", "snt-member"],
    };
    let mut people: Vec<String> = roles
        .iter()
        .flat_map(|role| directory::people_with_role(community, role))
        .chain(
            directory::units(community)
                .iter()
                .flat_map(|u| directory::owners(&u.id))
                .map(|o| o.person_id),
        )
        .filter(|person| *person != p.author)
        .collect();
    people.sort();
    people.dedup();
    if people.is_empty() {
        return Ok(());
    }
    let offset = ctx::utc_offset_minutes()?;
    let until = Date::from_timestamp(p.closes, offset)
        .map(|d| format!("{:02}.{:02}.{}", d.day(), d.month(), d.year()))
        .unwrap_or_default();
    notifications::notify(
        &people,
        &Message::new(
            Localized::new("Новый опрос", "A new poll"),
            Localized::new(
                format!("{} — ответить можно до {until}", p.title),
                format!("{}: answer until {until}", p.title),
            ),
        )
        .link(format!("poll/{}", doc.id)),
    )
}

/// A vote.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVote {
    /// The chosen options (indexes from 0).
    #[serde(default)]
    pub choices: Vec<u32>,
    /// The answer to a text poll.
    #[serde(default)]
    pub text: Option<String>,
    /// For per-unit polls: which of the caller's units votes (default: the only one).
    #[serde(default)]
    pub unit: Option<String>,
}

/// A poll as `viewer` may read it: the author's id and name only for the people of the place.
pub fn json(doc: &Doc<Poll>, viewer: &Viewer) -> serde_json::Value {
    let mut data = serde_json::to_value(&doc.data).unwrap_or_default();
    if !viewer.sees_names() {
        data = without(data, &["author", "author_name"]);
    }
    serde_json::json!({ "id": doc.id, "community": doc.community, "data": data })
}

/// The poll `id`.
pub fn get(id: &str) -> Result<Doc<Poll>> {
    poll(id)
}

fn poll(id: &str) -> Result<Doc<Poll>> {
    POLLS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого опроса", "no such poll")))
}

/// The id of `voter`'s ballot in poll `poll`: one per person or unit.
pub fn ballot_id(poll: &str, voter: &str) -> String {
    format!("poll:{poll}:{voter}")
}

/// The units `person` may vote for in per-unit polls: theirs, within the call's scope.
pub fn units_here(person: &str) -> Vec<directory::Unit> {
    directory::units_of(person)
        .into_iter()
        .filter(|u| directory::community(&u.community).is_some())
        .collect()
}

/// Whether `voter` (a person, or a unit in per-unit polls) has voted in poll `poll`.
pub fn has_voted(poll: &str, voter: &str) -> Result<bool> {
    Ok(BALLOTS.get(&ballot_id(poll, voter))?.is_some())
}

/// Whether `caller` may close `poll` early: its author, or an admin.
pub fn may_close(poll: &Poll, caller: &ctx::Caller) -> bool {
    poll.author == caller.person_id || ctx::has_role("admin")
}

/// Vote once (per person or per unit).
pub fn vote(id: &str, input: NewVote) -> Result<Doc<Ballot>> {
    let caller = require_member_of_place()?;
    let doc = poll(id)?;
    let p = &doc.data;
    let now = ctx::now();
    if now >= p.closes {
        return Err(Error::conflict(tr("Опрос закрыт", "the poll is closed")));
    }
    let voter = match p.per {
        Per::Person => caller.person_id.clone(),
        Per::Unit => {
            let units = units_here(&caller.person_id);
            let unit = match &input.unit {
                Some(unit) => units.iter().find(|u| &u.id == unit),
                None if units.len() == 1 => units.first(),
                None => None,
            };
            unit.ok_or_else(|| {
                Error::invalid(
                    "unit",
                    tr(
                        "Укажите свою квартиру или участок",
                        "name your flat or plot",
                    ),
                )
            })?
            .id
            .clone()
        }
    };
    let (choices, text) = match p.kind {
        PollKind::Text => {
            let text = input.text.as_deref().map(str::trim).unwrap_or("");
            if text.is_empty() || text.chars().count() > 2000 {
                return Err(Error::invalid(
                    "text",
                    tr(
                        "Ответ от 1 до 2000 знаков",
                        "an answer of 1 to 2000 characters",
                    ),
                ));
            }
            (Vec::new(), Some(text.to_owned()))
        }
        kind => {
            let mut choices = input.choices.clone();
            choices.sort_unstable();
            choices.dedup();
            let count_ok = match kind {
                PollKind::Single => choices.len() == 1,
                _ => !choices.is_empty(),
            };
            if !count_ok || choices.iter().any(|c| *c as usize >= p.options.len()) {
                return Err(Error::invalid(
                    "choices",
                    if kind == PollKind::Single {
                        tr("Выберите один вариант", "choose one option")
                    } else {
                        tr(
                            "Выберите варианты из списка",
                            "choose options from the list",
                        )
                    },
                ));
            }
            (choices, None)
        }
    };
    let key = ballot_id(&doc.id, &voter);
    let ballot = Ballot {
        target: format!("poll:{}", doc.id),
        voter: voter.clone(),
        person: caller.person_id.clone(),
        name: caller.display_name.clone(),
        choices,
        text,
        answers: Vec::new(),
        weight: None,
        member: true,
        how: How::Online,
        entered_by: None,
        at: now,
        changes: 0,
    };
    // The poll itself is not written: votes are counted from the ballots, so that voters do
    // not queue on one document.
    // Written only if there is no ballot yet: a second vote is refused by the store itself, with
    // no read before (and none for two votes racing).
    let saved = BALLOTS
        .put(&doc.community, &key, &ballot, Some(0))
        .map_err(|error| match error.code {
            ErrorCode::Conflict => Error::conflict(match p.per {
                Per::Person => tr("Вы уже проголосовали", "you have voted already"),
                Per::Unit => tr(
                    "За эту квартиру уже проголосовали",
                    "this unit has voted already",
                ),
            }),
            _ => error,
        })?;
    dvor_sdk::events::emit(
        POLL_VOTED,
        &doc.community,
        &serde_json::json!({ "poll": doc.id, "person_id": caller.person_id }),
    )?;
    Ok(saved)
}

/// Close a poll early (its author).
pub fn close(id: &str) -> Result<Doc<Poll>> {
    let caller = ctx::require_caller()?;
    let doc = poll(id)?;
    if !may_close(&doc.data, &caller) {
        return Err(Error::forbidden(tr(
            "Закрыть опрос может его автор",
            "only the author closes a poll",
        )));
    }
    let mut p = doc.data.clone();
    p.closes = p.closes.min(ctx::now());
    POLLS.put(&doc.community, &doc.id, &p, Some(doc.version))
}

/// How many have voted.
pub fn votes(id: &str) -> Result<u64> {
    BALLOTS
        .query()
        .filter("target", Compare::Eq, format!("poll:{id}"))
        .count()
}

/// The results, if the caller may see them now: the people of the place as the poll shows
/// them (with names unless it is anonymous), anyone else only the counts of a poll whose
/// results are public; the author always.
pub fn results(id: &str) -> Result<serde_json::Value> {
    let doc = poll(id)?;
    let p = &doc.data;
    let caller = ctx::caller();
    let closed = ctx::now() >= p.closes;
    let is_author = caller.as_ref().is_some_and(|c| c.person_id == p.author);
    let viewer = crate::viewer()?;
    if !is_author && !viewer.sees_names() && !p.public {
        return Err(viewer.refusal(
            "Итоги этого опроса видят жители этого места",
            "the people of this place see this poll's results",
        ));
    }
    let named = !p.anonymous && (viewer.sees_names() || is_author);
    if p.show == Show::AfterClose && !closed && !is_author {
        return Err(Error::forbidden(tr(
            "Итоги будут видны после закрытия опроса",
            "the results are shown after the poll closes",
        )));
    }
    let ballots = BALLOTS
        .query()
        .filter("target", Compare::Eq, format!("poll:{}", doc.id))
        .fetch_all()?;
    let mut counts = vec![0u64; p.options.len()];
    let mut voters: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut texts = Vec::new();
    for ballot in &ballots {
        for choice in &ballot.data.choices {
            if let Some(count) = counts.get_mut(*choice as usize) {
                *count += 1;
                voters
                    .entry(*choice as usize)
                    .or_default()
                    .push(ballot.data.name.clone());
            }
        }
        if let Some(text) = &ballot.data.text {
            texts.push(if !named {
                serde_json::json!({ "text": text })
            } else {
                serde_json::json!({ "text": text, "name": ballot.data.name })
            });
        }
    }
    Ok(serde_json::json!({
        "id": doc.id,
        "title": p.title,
        "closed": closed,
        "votes": ballots.len(),
        "named": named,
        "options": p.options.iter().enumerate().map(|(i, option)| {
            let mut row = serde_json::json!({ "option": option, "count": counts[i] });
            if named {
                row["voters"] = voters.remove(&i).unwrap_or_default().into();
            }
            row
        }).collect::<Vec<_>>(),
        "answers": texts,
    }))
}

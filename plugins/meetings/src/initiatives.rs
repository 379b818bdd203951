//! Initiatives ("Мудрость народа"): a resident, an organization or an official proposes;
//! neighbours support; reaching the community's support threshold sends it to the officials
//! for review; they accept or reject it, and an accepted one is marked implemented. Comments
//! and every change are on its timeline.
//!
//! Who proposed, commented and decided is shown only to the people of the place; anyone else
//! reads the initiative, its support and its history without names (an organization that
//! proposes is named to everyone).

use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use dvor_sdk::directory::ancestry;

use crate::{INITIATIVES, SUPPORTS, Viewer, require_member_of_place, without};

/// Emitted when an initiative is proposed.
pub const INITIATIVE_CREATED: &str = "initiative.created";
/// Emitted for every new supporter.
pub const INITIATIVE_SUPPORTED: &str = "initiative.supported";

/// Where an initiative is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Just proposed.
    Proposed,
    /// Collecting support.
    Collecting,
    /// Reached the threshold; the officials review it.
    UnderReview,
    /// Accepted by the officials.
    Accepted,
    /// Rejected, with a reason.
    Rejected,
    /// Done.
    Implemented,
}

impl Status {
    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            Status::Proposed => tr("Предложена", "Proposed"),
            Status::Collecting => tr("Сбор поддержки", "Collecting support"),
            Status::UnderReview => tr("На рассмотрении", "Under review"),
            Status::Accepted => tr("Принята", "Accepted"),
            Status::Rejected => tr("Отклонена", "Rejected"),
            Status::Implemented => tr("Реализована", "Implemented"),
        }
    }
}

/// A line of the timeline.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// When.
    pub at: i64,
    /// Who.
    pub by_name: String,
    /// The new status, for status changes.
    pub status: Option<Status>,
    /// The note or the comment.
    pub note: String,
}

/// An initiative.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Initiative {
    /// The title.
    pub title: String,
    /// What is proposed.
    pub description: String,
    /// The author.
    pub author: String,
    /// The author's name (or the organization's, when an organization proposes).
    pub author_name: String,
    /// The organization that proposes it, if one does.
    #[serde(default)]
    pub organization: Option<String>,
    /// The status.
    pub status: Status,
    /// Supporters so far.
    pub supporters: u32,
    /// Supporters it needs.
    pub threshold: u32,
    /// Proposed (ms).
    pub created: i64,
    /// What happened.
    pub timeline: Vec<Entry>,
}

/// A new initiative.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInitiative {
    /// The title.
    pub title: String,
    /// What is proposed.
    pub description: String,
    /// Propose on behalf of this organization (its staff only).
    #[serde(default)]
    pub organization: Option<String>,
}

/// The support threshold of `community`: the deepest configured one on the way up.
pub fn threshold(settings: &crate::Settings, community: &str) -> u32 {
    ancestry(community)
        .iter()
        .find_map(|c| settings.initiative_threshold.communities.get(c).copied())
        .unwrap_or(settings.initiative_threshold.default)
}

/// Propose an initiative in the call's community.
pub fn create(input: NewInitiative) -> Result<Doc<Initiative>> {
    let caller = require_member_of_place()?;
    let settings = crate::Settings::load()?;
    let title = input.title.trim();
    if title.chars().count() < 5 || title.chars().count() > 200 {
        return Err(Error::invalid(
            "title",
            tr(
                "Название от 5 до 200 знаков",
                "the title is 5 to 200 characters",
            ),
        ));
    }
    let description = input.description.trim();
    if description.chars().count() < 20 || description.chars().count() > 5000 {
        return Err(Error::invalid(
            "description",
            tr(
                "Опишите предложение (от 20 до 5000 знаков)",
                "describe the proposal (20 to 5000 characters)",
            ),
        ));
    }
    let author_name = match input.organization.as_deref() {
        Some(org) => {
            let staff = caller
                .roles
                .iter()
                .any(|r| r.organization.as_deref() == Some(org));
            if !staff {
                return Err(Error::invalid(
                    "organization",
                    tr(
                        "Вы не сотрудник этой организации",
                        "you do not work for this organization",
                    ),
                ));
            }
            org.to_owned()
        }
        None => caller.display_name.clone(),
    };
    let now = ctx::now();
    let community = ctx::community();
    let initiative = Initiative {
        title: title.to_owned(),
        description: description.to_owned(),
        author: caller.person_id.clone(),
        author_name: author_name.clone(),
        organization: input.organization.clone(),
        status: Status::Collecting,
        supporters: 0,
        threshold: threshold(&settings, &community),
        created: now,
        timeline: vec![
            Entry {
                at: now,
                by_name: author_name.clone(),
                status: Some(Status::Proposed),
                note: String::new(),
            },
            Entry {
                at: now,
                by_name: String::new(),
                status: Some(Status::Collecting),
                note: String::new(),
            },
        ],
    };
    let doc = INITIATIVES.insert(&community, None, &initiative)?;
    dvor_sdk::events::emit(
        INITIATIVE_CREATED,
        &community,
        &serde_json::json!({ "initiative": doc.id, "person_id": caller.person_id }),
    )?;
    Ok(doc)
}

/// Whether `name` on the initiative may be shown to `viewer`: the people of the place see every
/// name, anyone else only the proposing organization's.
pub fn shows_name(initiative: &Initiative, viewer: &Viewer, name: &str) -> bool {
    viewer.sees_names() || initiative.organization.as_deref() == Some(name)
}

/// An initiative as `viewer` may read it: the author's id only for the people of the place,
/// names as [`shows_name`] says.
pub fn json(doc: &Doc<Initiative>, viewer: &Viewer) -> serde_json::Value {
    let i = &doc.data;
    let mut data = serde_json::to_value(i).unwrap_or_default();
    if !viewer.sees_names() {
        data = without(data, &["author"]);
        if !shows_name(i, viewer, &i.author_name) {
            data = without(data, &["author_name"]);
        }
        if let Some(entries) = data["timeline"].as_array_mut() {
            for (entry, original) in entries.iter_mut().zip(&i.timeline) {
                if !shows_name(i, viewer, &original.by_name) {
                    entry["by_name"] = "".into();
                }
            }
        }
    }
    serde_json::json!({ "id": doc.id, "community": doc.community, "data": data })
}

/// The initiative `id`.
pub fn get(id: &str) -> Result<Doc<Initiative>> {
    INITIATIVES
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой инициативы", "no such initiative")))
}

fn support_id(initiative: &str, person: &str) -> String {
    format!("{initiative}:{person}")
}

/// Whether `person` has supported initiative `id`.
pub fn has_supported(id: &str, person: &str) -> Result<bool> {
    Ok(SUPPORTS.get(&support_id(id, person))?.is_some())
}

/// Whether the caller reviews initiatives: an official or an admin here.
pub fn is_reviewer() -> bool {
    ctx::has_role("official") || ctx::has_role("admin")
}

/// Support an initiative once; at the threshold it goes to the officials.
pub fn support(id: &str) -> Result<(Doc<Initiative>, bool)> {
    let caller = require_member_of_place()?;
    let doc = get(id)?;
    if doc.data.status != Status::Collecting {
        return Err(Error::conflict(tr(
            "Сбор поддержки закончен",
            "support is no longer collected",
        )));
    }
    if has_supported(&doc.id, &caller.person_id)? {
        return Ok((doc, false));
    }
    SUPPORTS.put(
        &doc.community,
        &support_id(&doc.id, &caller.person_id),
        &serde_json::json!({ "initiative": doc.id, "person": caller.person_id, "at": ctx::now() }),
        Some(0),
    )?;
    let mut initiative = doc.data.clone();
    initiative.supporters += 1;
    let reached = initiative.supporters >= initiative.threshold;
    if reached {
        initiative.status = Status::UnderReview;
        initiative.timeline.push(Entry {
            at: ctx::now(),
            by_name: String::new(),
            status: Some(Status::UnderReview),
            note: format!(
                "{} {}",
                tr("Набрано голосов поддержки:", "Supporters reached:"),
                initiative.supporters
            ),
        });
    }
    let saved = INITIATIVES.put(&doc.community, &doc.id, &initiative, Some(doc.version))?;
    dvor_sdk::events::emit(
        INITIATIVE_SUPPORTED,
        &doc.community,
        &serde_json::json!({ "initiative": doc.id, "person_id": caller.person_id, "author": initiative.author, "supporters": initiative.supporters }),
    )?;
    if reached {
        let message = Message::new(
            Localized::new("Инициатива на рассмотрение", "An initiative for review"),
            Localized::new(
                format!(
                    "«{}» набрала {} голосов поддержки",
                    initiative.title, initiative.supporters
                ),
                format!(
                    "\"{}\" has {} supporters",
                    initiative.title, initiative.supporters
                ),
            ),
        )
        .link(format!("initiative/{}", doc.id));
        let officials = dvor_sdk::directory::people_with_role(&doc.community, "official");
        if !officials.is_empty() {
            notifications::notify(&officials, &message)?;
        }
        notifications::notify(&[initiative.author.clone()], &message)?;
    }
    Ok((saved, true))
}

/// An official's decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// `accept`, `reject` or `implemented`.
    pub decision: String,
    /// The reason or the report.
    #[serde(default)]
    pub note: String,
}

/// Officials (and admins) accept or reject an initiative under review, and mark an accepted
/// one implemented.
pub fn review(id: &str, input: Review) -> Result<Doc<Initiative>> {
    let caller = ctx::require_caller()?;
    if !is_reviewer() {
        return Err(Error::forbidden(tr(
            "Инициативы рассматривают должностные лица",
            "officials review initiatives",
        )));
    }
    let doc = get(id)?;
    let from = doc.data.status;
    let to = match (input.decision.as_str(), from) {
        ("accept", Status::UnderReview) => Status::Accepted,
        ("reject", Status::UnderReview) => Status::Rejected,
        ("implemented", Status::Accepted) => Status::Implemented,
        ("accept" | "reject" | "implemented", _) => {
            return Err(Error::conflict(format!(
                "{}: {}",
                tr("Сейчас инициатива", "The initiative is"),
                from.label()
            )));
        }
        _ => {
            return Err(Error::invalid(
                "decision",
                tr(
                    "Решение: accept, reject или implemented",
                    "the decision is accept, reject or implemented",
                ),
            ));
        }
    };
    let note = input.note.trim();
    if to == Status::Rejected && note.chars().count() < 5 {
        return Err(Error::invalid(
            "note",
            tr("Объясните причину отказа", "explain the reason"),
        ));
    }
    let mut initiative = doc.data.clone();
    initiative.status = to;
    initiative.timeline.push(Entry {
        at: ctx::now(),
        by_name: caller.display_name,
        status: Some(to),
        note: note.to_owned(),
    });
    let saved = INITIATIVES.put(&doc.community, &doc.id, &initiative, Some(doc.version))?;
    notifications::notify(
        &[initiative.author.clone()],
        &Message::new(
            Localized::new(
                format!("Инициатива: {}", to_ru(to)),
                format!("Initiative: {}", to_en(to)),
            ),
            Localized::new(
                format!("«{}» — {note}", initiative.title),
                format!("\"{}\" — {note}", initiative.title),
            ),
        )
        .link(format!("initiative/{}", doc.id)),
    )?;
    Ok(saved)
}

fn to_ru(status: Status) -> &'static str {
    match status {
        Status::Accepted => "принята",
        Status::Rejected => "отклонена",
        Status::Implemented => "реализована",
        _ => "изменена",
    }
}

fn to_en(status: Status) -> &'static str {
    match status {
        Status::Accepted => "accepted",
        Status::Rejected => "rejected",
        Status::Implemented => "implemented",
        _ => "changed",
    }
}

/// Comment on an initiative.
pub fn comment(id: &str, text: &str) -> Result<Doc<Initiative>> {
    let caller = require_member_of_place()?;
    let doc = get(id)?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(Error::invalid(
            "text",
            tr(
                "Комментарий от 1 до 2000 знаков",
                "a comment is 1 to 2000 characters",
            ),
        ));
    }
    let mut initiative = doc.data.clone();
    initiative.timeline.push(Entry {
        at: ctx::now(),
        by_name: caller.display_name,
        status: None,
        note: text.to_owned(),
    });
    INITIATIVES.put(&doc.community, &doc.id, &initiative, Some(doc.version))
}

//! What the plugin stores — posts, comments, chat messages, moderators' decisions, watched
//! words, people's standing and choices, read markers — and its settings.

use std::collections::{BTreeMap, BTreeSet};

use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::decisions::{AppealSettings, Decision, ModerationAction};
use crate::gate::{GateRules, HoldReason};
use crate::posts::{ExpirySettings, Post, PostKind, PostState, Rsvp};
use crate::reports::{Report, ReportWeights};
use crate::rooms::RoomSettings;
use crate::words::WatchedWord;

/// Posts of the feed; stored at the place they were posted to.
pub const POSTS: Collection<PostDoc> = Collection::new("posts");
/// Comments; stored with their post.
pub const COMMENTS: Collection<CommentDoc> = Collection::new("comments");
/// Chat messages; stored at their house.
pub const MESSAGES: Collection<MessageDoc> = Collection::new("messages");
/// Moderators' decisions; stored with what they decided on.
pub const DECISIONS: Collection<DecisionDoc> = Collection::new("decisions");
/// Watched words moderators added; stored at the place they moderate.
pub const WORDS: Collection<WatchedWord> = Collection::new("words");
/// A person's standing and choices in their house: id `{home}|{person}`.
pub const PEOPLE: Collection<PersonDoc> = Collection::new("people");
/// When a person last read a room: id `{room}|{person}`.
pub const READS: Collection<ReadDoc> = Collection::new("reads");
/// The plugin's own bookkeeping (the demo's seed).
pub const STATE: Collection<serde_json::Value> = Collection::new("state");

/// Where a text stands with the moderators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    /// Seen by everyone it is for.
    #[default]
    Published,
    /// Waits for a moderator's approval (a new member's first posts, watched words).
    Held,
    /// Hidden by neighbours' reports until a moderator decides.
    Reported,
    /// Hidden by a moderator; may be restored.
    Hidden,
    /// Removed by a moderator for good.
    Removed,
    /// A held text a moderator did not let through.
    Rejected,
}

impl Moderation {
    /// The stored name, as indexed.
    pub fn code(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Held => "held",
            Self::Reported => "reported",
            Self::Hidden => "hidden",
            Self::Removed => "removed",
            Self::Rejected => "rejected",
        }
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Published => tr("Опубликовано", "Published"),
            Self::Held => tr("Ждёт проверки модератором", "Waiting for a moderator"),
            Self::Reported => tr(
                "Скрыто по жалобам до решения модератора",
                "Hidden by reports until a moderator decides",
            ),
            Self::Hidden => tr("Скрыто модератором", "Hidden by a moderator"),
            Self::Removed => tr("Удалено модератором", "Removed by a moderator"),
            Self::Rejected => tr("Не пропущено модератором", "Rejected by a moderator"),
        }
    }

    /// Whether a moderator has something to decide.
    pub fn waits(self) -> bool {
        matches!(self, Self::Held | Self::Reported)
    }
}

/// One neighbour's report, as kept with the text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportEntry {
    /// Who, why and how much it weighs.
    #[serde(flatten)]
    pub report: Report,
    /// What the reporter added.
    #[serde(default)]
    pub note: Option<String>,
    /// When, ms.
    pub at: i64,
}

/// What every moderated text carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModerationState {
    /// Where it stands.
    pub moderation: Moderation,
    /// Why it waits, when it was held.
    #[serde(default)]
    pub held_for: Vec<HoldReason>,
    /// Open reports (cleared when a moderator decides).
    #[serde(default)]
    pub reports: Vec<ReportEntry>,
}

impl ModerationState {
    /// The reports as the tally reads them.
    pub fn report_list(&self) -> Vec<Report> {
        self.reports.iter().map(|r| r.report.clone()).collect()
    }
}

/// A post of the feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostDoc {
    /// The place (community) it was posted to.
    pub place: String,
    /// How deep that place is in the tree (the root is 0): a place's feed shows its own posts
    /// and those of the places above it, never those below.
    pub depth: i64,
    /// The entrance of a house it is for, if only one.
    #[serde(default)]
    pub entrance: Option<String>,
    /// The type (`type`, indexed) and what the type needs.
    #[serde(flatten)]
    pub kind: PostKind,
    /// A short title; may be empty.
    #[serde(default)]
    pub title: String,
    /// The text.
    pub text: String,
    /// Photos: stored file ids.
    #[serde(default)]
    pub photos: Vec<String>,
    /// The author's person id.
    pub author: String,
    /// The author's name as shown.
    pub author_name: String,
    /// The author's address in the house (`кв. 12`), when they live there.
    #[serde(default)]
    pub author_address: Option<String>,
    /// The organization it speaks for (a management company's notice).
    #[serde(default)]
    pub organization: Option<String>,
    /// Its lifecycle.
    pub state: PostState,
    /// Pinned by staff or a moderator.
    #[serde(default)]
    pub pinned: bool,
    /// When it was written, ms.
    pub created_at: i64,
    /// When it was published (written, or approved), ms; 0 while held.
    #[serde(default)]
    pub published_at: i64,
    /// When it leaves the feed, ms (`i64::MAX` while pinned) — indexed.
    #[serde(default)]
    pub leaves_at: i64,
    /// Whether it is in the feed now but for its time: published and open or reserved — indexed.
    #[serde(default)]
    pub open: bool,
    /// Moderation.
    #[serde(flatten)]
    pub mod_state: ModerationState,
    /// The neighbour who helped find a lost thing.
    #[serde(default)]
    pub helper: Option<String>,
    /// Who is going to an event.
    #[serde(default)]
    pub going: Rsvp,
    /// Reactions: code → who.
    #[serde(default)]
    pub reactions: BTreeMap<String, BTreeSet<String>>,
}

impl PostDoc {
    /// The lifecycle's view of it.
    pub fn lifecycle(&self) -> Post {
        Post {
            kind: self.kind.clone(),
            state: self.state,
            author: self.author.clone(),
            published_at: if self.published_at > 0 {
                self.published_at
            } else {
                self.created_at
            },
            pinned: self.pinned,
        }
    }

    /// Recompute the indexed fields the feed's query reads.
    pub fn refresh_index(&mut self, expiry: &ExpirySettings) {
        self.leaves_at = self.lifecycle().expires_at(expiry).unwrap_or(i64::MAX);
        self.open = self.mod_state.moderation == Moderation::Published
            && matches!(self.state, PostState::Open | PostState::Reserved);
    }

    /// The title, or the text's first line when there is none.
    pub fn heading(&self) -> String {
        if !self.title.trim().is_empty() {
            return self.title.clone();
        }
        crate::text::shorten(self.text.lines().next().unwrap_or_default(), 80)
    }
}

/// A comment on a post.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommentDoc {
    /// The post.
    pub post: String,
    /// The comment it answers (threads are a comment and its answers).
    #[serde(default)]
    pub parent: Option<String>,
    /// The text.
    pub text: String,
    /// The author.
    pub author: String,
    /// The author's name as shown.
    pub author_name: String,
    /// When, ms.
    pub at: i64,
    /// The people it mentions.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// Moderation.
    #[serde(flatten)]
    pub mod_state: ModerationState,
}

/// A chat message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageDoc {
    /// The room's id (`{house}:entrance:2`).
    pub room: String,
    /// The text.
    pub text: String,
    /// The author; `system` for the room's own notes (someone joined).
    pub author: String,
    /// The author's name as shown.
    pub author_name: String,
    /// Who they are here: `кв. 12`, or the organization they work for.
    #[serde(default)]
    pub author_label: Option<String>,
    /// Written by the management company's staff.
    #[serde(default)]
    pub staff: bool,
    /// When, ms.
    pub at: i64,
    /// Moderation.
    #[serde(flatten)]
    pub mod_state: ModerationState,
    /// For a room's own note, the person it names (taken out when their account is deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

/// The author id of a room's own notes.
pub const SYSTEM_AUTHOR: &str = "system";

/// What a decision was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A post.
    Post,
    /// A comment.
    Comment,
    /// A chat message.
    Message,
}

impl TargetKind {
    /// The name in routes: `posts`, `comments`, `messages`.
    pub fn route(self) -> &'static str {
        match self {
            Self::Post => "posts",
            Self::Comment => "comments",
            Self::Message => "messages",
        }
    }

    /// The kind named in a route.
    pub fn from_route(route: &str) -> Option<Self> {
        match route {
            "posts" => Some(Self::Post),
            "comments" => Some(Self::Comment),
            "messages" => Some(Self::Message),
            _ => None,
        }
    }

    /// How a person names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Post => tr("Запись", "Post"),
            Self::Comment => tr("Комментарий", "Comment"),
            Self::Message => tr("Сообщение в чате", "Chat message"),
        }
    }
}

/// A logged decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionDoc {
    /// The decision itself: target, author, action, reason, moderator, when, appeal.
    #[serde(flatten)]
    pub decision: Decision,
    /// What it was about.
    pub kind: TargetKind,
    /// The text's beginning, as the author and the moderators recognise it.
    pub excerpt: String,
    /// The moderator's name.
    pub moderator_name: String,
    /// How many reports it answered, and how much they weighed.
    #[serde(default)]
    pub reports: u32,
    /// Their weight.
    #[serde(default)]
    pub report_weight: u32,
    /// `none`, `pending` or `resolved` — indexed.
    pub appeal_state: String,
}

impl DecisionDoc {
    /// Keep `appeal_state` in step with the decision's appeal.
    pub fn refresh(&mut self) {
        self.appeal_state = match &self.decision.appeal {
            None => "none",
            Some(appeal) if appeal.outcome.is_none() => "pending",
            Some(_) => "resolved",
        }
        .into();
    }
}

/// How a person wants to hear of chat messages they missed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestChoice {
    /// No digest.
    #[default]
    Off,
    /// By e-mail (and the inbox).
    Email,
    /// By SMS (and e-mail, and the inbox).
    Sms,
}

impl DigestChoice {
    /// The stored name, as indexed and submitted.
    pub fn code(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    /// The choice named `code`.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "off" => Some(Self::Off),
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Off => tr("Не присылать", "Do not send"),
            Self::Email => tr("По e-mail", "By e-mail"),
            Self::Sms => tr("По SMS", "By SMS"),
        }
    }
}

/// A person as the plugin knows them in their house.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDoc {
    /// Their id — indexed.
    pub person: String,
    /// The house (or place) this record is for.
    pub home: String,
    /// Their name, for the room's notes when they leave.
    #[serde(default)]
    pub name: String,
    /// Since when they are a member here, ms: when they joined, or first seen.
    pub member_since: i64,
    /// Their posts moderators approved (a new member's first posts are held).
    #[serde(default)]
    pub approved_posts: u32,
    /// Their reports moderators upheld.
    #[serde(default)]
    pub accurate_reports: u32,
    /// Their reports moderators rejected.
    #[serde(default)]
    pub rejected_reports: u32,
    /// The chats digest they chose — indexed as its code.
    #[serde(default)]
    pub digest: DigestChoice,
    /// When they last looked at their chats, ms.
    #[serde(default)]
    pub last_seen: i64,
    /// When the last digest went to them, ms.
    #[serde(default)]
    pub last_digest: i64,
}

/// When a person last read a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadDoc {
    /// The room — indexed.
    pub room: String,
    /// The person — indexed.
    pub person: String,
    /// Everything up to here is read, ms.
    pub at: i64,
}

/// The longest texts, and how much of a room's history a page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// A post's text, characters.
    pub post_chars: usize,
    /// A comment, characters.
    pub comment_chars: usize,
    /// A chat message, characters.
    pub message_chars: usize,
    /// Messages a room shows (and puts back on open pages when one is hidden).
    pub history: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            post_chars: 5_000,
            comment_chars: 2_000,
            message_chars: 1_000,
            history: 40,
        }
    }
}

/// The plugin's settings (`[plugins.feed.settings]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Report weights and the hiding threshold.
    pub reports: ReportWeights,
    /// The posting gate.
    pub gate: GateRules,
    /// The instance's watched words.
    pub watched_words: Vec<WatchedWord>,
    /// Appeals.
    pub appeals: AppealSettings,
    /// How long posts stay.
    pub expiry: ExpirySettings,
    /// Chat rooms.
    pub rooms: RoomSettings,
    /// Texts and history.
    pub limits: Limits,
    /// Hours without a look before a digest.
    pub digest_after_hours: u32,
    /// Seed the demo.
    pub demo: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            reports: ReportWeights::default(),
            gate: GateRules::default(),
            watched_words: Vec::new(),
            appeals: AppealSettings::default(),
            expiry: ExpirySettings::default(),
            rooms: RoomSettings::default(),
            limits: Limits::default(),
            digest_after_hours: 24,
            demo: false,
        }
    }
}

impl Settings {
    /// The settings of the call.
    pub fn load() -> Result<Settings> {
        dvor_sdk::settings()
    }
}

/// Whether an action undoes what went against the author (so it may be appealed).
pub fn appealable(action: ModerationAction) -> bool {
    matches!(
        action,
        ModerationAction::Reject | ModerationAction::Hide | ModerationAction::Remove
    )
}

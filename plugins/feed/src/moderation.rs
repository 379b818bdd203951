//! Moderation of posts, comments and chat messages alike (RULES §9), on top of the domain
//! rules in [`crate::reports`], [`crate::gate`] and [`crate::decisions`]:
//!
//! - a report weighs by the reporter's standing; once a text's reports weigh the threshold it
//!   is hidden and waits in the moderators' queue with the reasons;
//! - what the gate holds (a new member's first posts, watched words) waits there too;
//! - a moderator decides with a reason the author reads; the decision is logged, and it tells
//!   whether the reports were accurate, which moves the reporters' standing;
//! - the author may appeal an unfavourable decision once, in time; another moderator resolves
//!   the appeal, and a decision that does not stand is undone.

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;

use crate::access::{self, Here};
use crate::decisions::{Decision, ModerationAction, reports_were_accurate};
use crate::gate::{self, Activity, HoldReason};
use crate::model::{
    COMMENTS, CommentDoc, DECISIONS, DecisionDoc, MESSAGES, MessageDoc, Moderation,
    ModerationState, POSTS, PostDoc, ReportEntry, SYSTEM_AUTHOR, Settings, TargetKind, WORDS,
    appealable,
};
use crate::reports::{self, Report, ReportReason};
use crate::text::shorten;
use crate::words::{MatchMode, WatchedWord, WordAction};

/// The watched words in force here: the instance's, and those moderators added here and above.
pub fn watched_words(settings: &Settings) -> Result<Vec<WatchedWord>> {
    let mut list = settings.watched_words.clone();
    list.extend(
        WORDS
            .query()
            .with_ancestors()
            .limit(1000)
            .fetch_all()?
            .into_iter()
            .map(|d| d.data),
    );
    Ok(list)
}

/// The refusal of a text with blocked words, next to the text.
pub fn blocked(words: &[String]) -> Error {
    let quoted: Vec<String> = words.iter().map(|w| format!("«{w}»")).collect();
    Error::invalid(
        "text",
        format!(
            "{} {}",
            tr(
                "Так написать нельзя: правила запрещают слова",
                "this cannot be posted: the rules forbid the words"
            ),
            quoted.join(", ")
        ),
    )
}

/// Whether `person` may do one more `activity` now; the refusal says how long to wait.
pub fn check_rate(activity: Activity, person: &str, now: i64, settings: &Settings) -> Result<()> {
    let limits = match activity {
        Activity::Post => &settings.gate.posts,
        Activity::Comment => &settings.gate.comments,
        Activity::Message => &settings.gate.messages,
    };
    let Some(window) = limits.iter().map(|l| l.window_seconds).max() else {
        return Ok(());
    };
    let most = limits
        .iter()
        .map(|l| l.max)
        .max()
        .unwrap_or(1)
        .clamp(1, 1000);
    let since = now - i64::from(window) * 1000;
    // Of each window only its newest `max` count, so the newest `most` in the widest window
    // decide every limit.
    let recent: Vec<i64> = match activity {
        Activity::Post => POSTS
            .query()
            .filter("author", Compare::Eq, person)
            .filter("created_at", Compare::Gt, since)
            .order_by("created_at", Direction::Desc)
            .limit(most)
            .fetch()?
            .docs
            .into_iter()
            .map(|d| d.data.created_at)
            .collect(),
        Activity::Comment => COMMENTS
            .query()
            .filter("author", Compare::Eq, person)
            .filter("at", Compare::Gt, since)
            .order_by("at", Direction::Desc)
            .limit(most)
            .fetch()?
            .docs
            .into_iter()
            .map(|d| d.data.at)
            .collect(),
        Activity::Message => MESSAGES
            .query()
            .filter("author", Compare::Eq, person)
            .filter("at", Compare::Gt, since)
            .order_by("at", Direction::Desc)
            .limit(most)
            .fetch()?
            .docs
            .into_iter()
            .map(|d| d.data.at)
            .collect(),
    };
    gate::check_rate(activity, &recent, now, &settings.gate).map_err(|e| e.with_field("text"))
}

/// The people who moderate `community` (at it or above).
fn moderators_of(community: &str) -> Vec<String> {
    let mut ids = directory::people_with_role(community, "moderator");
    ids.sort();
    ids.dedup();
    ids
}

/// Tell the moderators of `community` that something waits for them.
pub fn tell_moderators_of_held(community: &str, kind: TargetKind) -> Result<()> {
    let moderators = moderators_of(community);
    if moderators.is_empty() {
        return Ok(());
    }
    let (ru, en) = match kind {
        TargetKind::Post => ("Новая запись ждёт проверки", "A new post waits for a check"),
        TargetKind::Comment => ("Комментарий ждёт проверки", "A comment waits for a check"),
        TargetKind::Message => (
            "Сообщение в чате ждёт проверки",
            "A chat message waits for a check",
        ),
    };
    notifications::notify(
        &moderators,
        &Message::new(
            Localized::new(ru, en),
            Localized::new(
                "Откройте очередь модерации, чтобы решить.",
                "Open the moderation queue to decide.",
            ),
        )
        .link("moderation"),
    )
}

/// A post, a comment or a chat message, as moderation sees it.
#[derive(Clone, Debug)]
pub enum Item {
    /// A post.
    Post(Doc<PostDoc>),
    /// A comment.
    Comment(Doc<CommentDoc>),
    /// A chat message.
    Message(Doc<MessageDoc>),
}

impl Item {
    /// The text of `kind` with `id`, in the call's scope.
    pub fn load(kind: TargetKind, id: &str) -> Result<Item> {
        let missing = || Error::not_found(tr("Такой записи нет", "there is no such text"));
        Ok(match kind {
            TargetKind::Post => Item::Post(POSTS.get(id)?.ok_or_else(missing)?),
            TargetKind::Comment => Item::Comment(COMMENTS.get(id)?.ok_or_else(missing)?),
            TargetKind::Message => Item::Message(MESSAGES.get(id)?.ok_or_else(missing)?),
        })
    }

    /// What it is.
    pub fn kind(&self) -> TargetKind {
        match self {
            Item::Post(_) => TargetKind::Post,
            Item::Comment(_) => TargetKind::Comment,
            Item::Message(_) => TargetKind::Message,
        }
    }

    /// Its id.
    pub fn id(&self) -> &str {
        match self {
            Item::Post(d) => &d.id,
            Item::Comment(d) => &d.id,
            Item::Message(d) => &d.id,
        }
    }

    /// The community it is stored at.
    pub fn community(&self) -> &str {
        match self {
            Item::Post(d) => &d.community,
            Item::Comment(d) => &d.community,
            Item::Message(d) => &d.community,
        }
    }

    /// Its author.
    pub fn author(&self) -> &str {
        match self {
            Item::Post(d) => &d.data.author,
            Item::Comment(d) => &d.data.author,
            Item::Message(d) => &d.data.author,
        }
    }

    /// Its author's name.
    pub fn author_name(&self) -> &str {
        match self {
            Item::Post(d) => &d.data.author_name,
            Item::Comment(d) => &d.data.author_name,
            Item::Message(d) => &d.data.author_name,
        }
    }

    /// When it was written.
    pub fn at(&self) -> i64 {
        match self {
            Item::Post(d) => d.data.created_at,
            Item::Comment(d) => d.data.at,
            Item::Message(d) => d.data.at,
        }
    }

    /// Its text.
    pub fn text(&self) -> String {
        match self {
            Item::Post(d) => {
                if d.data.title.is_empty() {
                    d.data.text.clone()
                } else {
                    format!("{}\n\n{}", d.data.title, d.data.text)
                }
            }
            Item::Comment(d) => d.data.text.clone(),
            Item::Message(d) => d.data.text.clone(),
        }
    }

    /// Its beginning, as people recognise it.
    pub fn excerpt(&self) -> String {
        let text = self.text();
        shorten(&text.split_whitespace().collect::<Vec<_>>().join(" "), 120)
    }

    /// Its moderation.
    pub fn state(&self) -> &ModerationState {
        match self {
            Item::Post(d) => &d.data.mod_state,
            Item::Comment(d) => &d.data.mod_state,
            Item::Message(d) => &d.data.mod_state,
        }
    }

    fn state_mut(&mut self) -> &mut ModerationState {
        match self {
            Item::Post(d) => &mut d.data.mod_state,
            Item::Comment(d) => &mut d.data.mod_state,
            Item::Message(d) => &mut d.data.mod_state,
        }
    }

    /// The page that shows it: a post, a comment's post, a message's room.
    pub fn route(&self) -> String {
        match self {
            Item::Post(d) => format!("posts/{}", d.id),
            Item::Comment(d) => format!("posts/{}", d.data.post),
            Item::Message(d) => format!("chats/{}", crate::chat::slug(&d.data.room)),
        }
    }

    /// Whether `here`'s caller may see it (published or not: that is the caller's business
    /// elsewhere).
    pub fn visible_to(&self, here: &Here) -> Result<bool> {
        Ok(match self {
            Item::Post(d) => crate::feed::may_see(here, &d.data),
            Item::Comment(d) => match POSTS.get_inherited(&d.data.post)? {
                Some(post) => crate::feed::may_see(here, &post.data),
                None => false,
            },
            Item::Message(d) => {
                let settings = Settings::load()?;
                let house = d.community.clone();
                crate::chat::rooms_of_house(&house, &settings.rooms)
                    .iter()
                    .find(|r| r.id == d.data.room)
                    .is_some_and(|room| crate::chat::Membership::of(here, &house).is_in(room))
            }
        })
    }

    fn save(&mut self, settings: &Settings) -> Result<()> {
        match self {
            Item::Post(d) => {
                d.data.refresh_index(&settings.expiry);
                *d = POSTS.put(&d.community, &d.id, &d.data, Some(d.version))?;
            }
            Item::Comment(d) => *d = COMMENTS.put(&d.community, &d.id, &d.data, Some(d.version))?,
            Item::Message(d) => *d = MESSAGES.put(&d.community, &d.id, &d.data, Some(d.version))?,
        }
        Ok(())
    }

    /// What follows when the text comes out (approved, restored): a post's first publication
    /// is announced; a comment's people are told the first time; a chat's open pages get it.
    fn came_out(&mut self, first_time: bool) -> Result<()> {
        match self {
            Item::Post(d) => {
                if d.data.published_at == 0 {
                    let settings = Settings::load()?;
                    d.data.published_at = ctx::now();
                    d.data.refresh_index(&settings.expiry);
                    *d = POSTS.put(&d.community, &d.id, &d.data, Some(d.version))?;
                    crate::feed::announce(d)?;
                }
                Ok(())
            }
            Item::Comment(d) if first_time => crate::comments::announce(d),
            Item::Comment(_) => Ok(()),
            Item::Message(d) => crate::chat::published_again(&d.community.clone(), d),
        }
    }

    /// What follows when the text goes away (hidden, removed): a chat's open pages lose it.
    fn went_away(&self) -> Result<()> {
        match self {
            Item::Message(d) => crate::chat::republish(&d.community, &d.data.room),
            _ => Ok(()),
        }
    }
}

/// What a report did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Reported {
    /// What the report weighs.
    pub weight: u32,
    /// What all reports on the text weigh.
    pub total: u32,
    /// Whether the text is now hidden until a moderator decides.
    pub hidden: bool,
}

/// The caller reports `kind` `id` for `reason`, with an optional `note`.
pub fn report(
    kind: TargetKind,
    id: &str,
    reason: ReportReason,
    note: Option<&str>,
) -> Result<Reported> {
    let here = Here::caller()?;
    let settings = Settings::load()?;
    let mut item = Item::load(kind, id)?;
    if !here.may_take_part() || !item.visible_to(&here)? {
        return Err(access::not_a_neighbour());
    }
    if item.author() == here.id() {
        return Err(Error::conflict(tr(
            "На свою запись пожаловаться нельзя",
            "you cannot report your own text",
        )));
    }
    if item.author() == SYSTEM_AUTHOR {
        return Err(Error::conflict(tr(
            "Это служебное сообщение чата",
            "this is the chat's own note",
        )));
    }
    if !matches!(
        item.state().moderation,
        Moderation::Published | Moderation::Reported
    ) {
        return Err(Error::conflict(tr(
            "Эта запись уже не опубликована",
            "this text is no longer published",
        )));
    }
    if item
        .state()
        .reports
        .iter()
        .any(|r| r.report.reporter == here.id())
    {
        return Err(Error::conflict(tr(
            "Вы уже пожаловались на эту запись",
            "you have already reported this",
        )));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if reason == ReportReason::Other && note.is_none() {
        return Err(Error::invalid(
            "note",
            tr(
                "Расскажите, что не так: модератор прочтёт",
                "say what is wrong: the moderator will read it",
            ),
        ));
    }
    let note = note
        .map(|n| crate::text::optional("note", n, 500))
        .transpose()?;
    let record = crate::people::of_caller(&here.caller)?;
    let standing = crate::people::standing(here.id(), &record.data)?;
    let weight = reports::weight(&standing, ctx::today()?, &settings.reports);
    let now = ctx::now();
    item.state_mut().reports.push(ReportEntry {
        report: Report {
            reporter: here.id().to_owned(),
            reason,
            weight,
        },
        note,
        at: now,
    });
    let tally = reports::tally(
        item.author(),
        &item.state().report_list(),
        &settings.reports,
    );
    let hides = tally.hidden && item.state().moderation == Moderation::Published;
    if hides {
        item.state_mut().moderation = Moderation::Reported;
    }
    item.save(&settings)?;
    if hides {
        item.went_away()?;
        let excerpt = item.excerpt();
        notifications::notify(
            &[item.author().to_owned()],
            &Message::new(
                Localized::new(
                    "Ваша запись скрыта по жалобам соседей",
                    "Your text is hidden after neighbours' reports",
                ),
                Localized::new(
                    format!("«{excerpt}» скрыта до решения модератора. Решение придёт с причиной."),
                    format!("“{excerpt}” is hidden until a moderator decides. The decision will come with its reason."),
                ),
            )
            .link(item.route()),
        )?;
        let moderators = moderators_of(item.community());
        if !moderators.is_empty() {
            notifications::notify(
                &moderators,
                &Message::new(
                    Localized::new(
                        "Запись скрыта по жалобам: нужно решение",
                        "A text is hidden by reports: a decision is needed",
                    ),
                    Localized::new(excerpt.clone(), excerpt),
                )
                .link(format!("moderation/{}/{}", item.kind().route(), item.id())),
            )?;
        }
    }
    Ok(Reported {
        weight,
        total: tally.weight,
        hidden: tally.hidden,
    })
}

/// How a person reads a moderator's action.
pub fn action_label(action: ModerationAction) -> &'static str {
    match action {
        ModerationAction::Approve => tr("Одобрено", "Approved"),
        ModerationAction::Reject => tr("Отклонено", "Rejected"),
        ModerationAction::Hide => tr("Скрыто", "Hidden"),
        ModerationAction::Restore => tr("Восстановлено", "Restored"),
        ModerationAction::Remove => tr("Удалено", "Removed"),
    }
}

/// The code of `action`, as forms and the API name it.
pub fn action_code(action: ModerationAction) -> &'static str {
    match action {
        ModerationAction::Approve => "approve",
        ModerationAction::Reject => "reject",
        ModerationAction::Hide => "hide",
        ModerationAction::Restore => "restore",
        ModerationAction::Remove => "remove",
    }
}

/// The action named `code` (`approve`, `reject`, `hide`, `restore`, `remove`).
pub fn parse_action(code: &str) -> Result<ModerationAction> {
    Ok(match code {
        "approve" => ModerationAction::Approve,
        "reject" => ModerationAction::Reject,
        "hide" => ModerationAction::Hide,
        "restore" => ModerationAction::Restore,
        "remove" => ModerationAction::Remove,
        _ => {
            return Err(Error::invalid(
                "action",
                tr("Выберите решение", "choose a decision"),
            ));
        }
    })
}

/// The actions a moderator may take on a text that stands at `moderation`.
pub fn actions_for(moderation: Moderation) -> Vec<ModerationAction> {
    use ModerationAction::*;
    match moderation {
        Moderation::Held => vec![Approve, Reject],
        Moderation::Published => vec![Hide, Remove],
        Moderation::Reported => vec![Restore, Hide, Remove],
        Moderation::Hidden => vec![Restore, Remove],
        Moderation::Removed | Moderation::Rejected => Vec::new(),
    }
}

fn outcome_of(action: ModerationAction) -> Moderation {
    match action {
        ModerationAction::Approve | ModerationAction::Restore => Moderation::Published,
        ModerationAction::Reject => Moderation::Rejected,
        ModerationAction::Hide => Moderation::Hidden,
        ModerationAction::Remove => Moderation::Removed,
    }
}

/// A moderator takes `action` on `kind` `id`, with the `reason` its author will read.
pub fn decide(
    kind: TargetKind,
    id: &str,
    action: ModerationAction,
    reason: &str,
) -> Result<Doc<DecisionDoc>> {
    let caller = ctx::require_caller()?;
    let settings = Settings::load()?;
    let mut item = Item::load(kind, id)?;
    if !access::moderates(&caller, item.community()) {
        return Err(Error::forbidden(tr(
            "Решения принимают модераторы этого места",
            "the moderators of this place decide",
        )));
    }
    let from = item.state().moderation;
    if !actions_for(from).contains(&action) {
        return Err(Error::conflict(format!(
            "{} ({})",
            tr(
                "Такое решение сейчас невозможно",
                "this decision is not possible now"
            ),
            from.label()
        )));
    }
    let now = ctx::now();
    let decision = Decision::new(
        item.id(),
        item.author(),
        action,
        reason,
        &caller.person_id,
        now,
    )?;
    let reports = std::mem::take(&mut item.state_mut().reports);
    let tally = reports::tally(
        item.author(),
        &reports.iter().map(|r| r.report.clone()).collect::<Vec<_>>(),
        &settings.reports,
    );
    if let Some(accurate) = reports_were_accurate(action) {
        for reporter in reports.iter().map(|r| &r.report.reporter) {
            crate::people::update(reporter, "", |p| {
                if accurate {
                    p.accurate_reports += 1;
                } else {
                    p.rejected_reports += 1;
                }
            })?;
        }
    }
    if from == Moderation::Held && action == ModerationAction::Approve && kind == TargetKind::Post {
        crate::people::update(item.author(), item.author_name(), |p| p.approved_posts += 1)?;
    }
    let to = outcome_of(action);
    let state = item.state_mut();
    state.moderation = to;
    if to != Moderation::Held {
        state.held_for.clear();
    }
    item.save(&settings)?;
    if to == Moderation::Published {
        item.came_out(from == Moderation::Held)?;
    } else if from == Moderation::Published || from == Moderation::Reported {
        item.went_away()?;
    }
    let mut doc = DecisionDoc {
        decision,
        kind,
        excerpt: item.excerpt(),
        moderator_name: caller.display_name.clone(),
        reports: tally.reporters,
        report_weight: tally.weight,
        appeal_state: String::new(),
    };
    doc.refresh();
    let saved = DECISIONS.insert(item.community(), None, &doc)?;
    tell_author(&saved)?;
    Ok(saved)
}

fn tell_author(doc: &Doc<DecisionDoc>) -> Result<()> {
    let d = &doc.data;
    if d.decision.author == SYSTEM_AUTHOR {
        return Ok(());
    }
    let settings = Settings::load()?;
    let appeal = if appealable(d.decision.action) {
        (
            format!(
                " Вы можете обжаловать решение в течение {} дн.",
                settings.appeals.appeal_days
            ),
            format!(
                " You may appeal within {} days.",
                settings.appeals.appeal_days
            ),
        )
    } else {
        (String::new(), String::new())
    };
    notifications::notify(
        std::slice::from_ref(&d.decision.author),
        &Message::new(
            Localized::new(
                format!(
                    "Решение модератора: {}",
                    ru_action(d.decision.action).to_lowercase()
                ),
                format!("A moderator's decision: {}", en_action(d.decision.action)),
            ),
            Localized::new(
                format!(
                    "«{}». Причина: {}.{}",
                    d.excerpt, d.decision.reason, appeal.0
                ),
                format!(
                    "“{}”. Reason: {}.{}",
                    d.excerpt, d.decision.reason, appeal.1
                ),
            ),
        )
        .link(format!("decisions/{}", doc.id)),
    )
}

fn ru_action(action: ModerationAction) -> &'static str {
    match action {
        ModerationAction::Approve => "Одобрено",
        ModerationAction::Reject => "Отклонено",
        ModerationAction::Hide => "Скрыто",
        ModerationAction::Restore => "Восстановлено",
        ModerationAction::Remove => "Удалено",
    }
}

fn en_action(action: ModerationAction) -> &'static str {
    match action {
        ModerationAction::Approve => "approved",
        ModerationAction::Reject => "rejected",
        ModerationAction::Hide => "hidden",
        ModerationAction::Restore => "restored",
        ModerationAction::Remove => "removed",
    }
}

/// The decision `id`, if the caller may read it: its author, or a moderator of its place.
pub fn decision_for_caller(id: &str) -> Result<(ctx::Caller, Doc<DecisionDoc>)> {
    let caller = ctx::require_caller()?;
    let doc = DECISIONS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого решения", "no such decision")))?;
    if doc.data.decision.author != caller.person_id && !access::moderates(&caller, &doc.community) {
        return Err(Error::not_found(tr(
            "Нет такого решения",
            "no such decision",
        )));
    }
    Ok((caller, doc))
}

/// The author appeals decision `id` with `text`.
pub fn appeal(id: &str, text: &str) -> Result<Doc<DecisionDoc>> {
    let (caller, mut doc) = decision_for_caller(id)?;
    if !appealable(doc.data.decision.action) {
        return Err(Error::conflict(tr(
            "Это решение в вашу пользу: обжаловать нечего",
            "this decision is in your favour: there is nothing to appeal",
        )));
    }
    let settings = Settings::load()?;
    doc.data
        .decision
        .appeal(&caller.person_id, text, ctx::now(), &settings.appeals)?;
    doc.data.refresh();
    let saved = DECISIONS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    let others: Vec<String> = moderators_of(&saved.community)
        .into_iter()
        .filter(|m| *m != saved.data.decision.moderator)
        .collect();
    if !others.is_empty() {
        notifications::notify(
            &others,
            &Message::new(
                Localized::new(
                    "Автор обжалует решение модератора",
                    "An author appeals a moderator's decision",
                ),
                Localized::new(saved.data.excerpt.clone(), saved.data.excerpt.clone()),
            )
            .link(format!("decisions/{}", saved.id)),
        )?;
    }
    Ok(saved)
}

/// Another moderator resolves the appeal on decision `id`: the decision stands (`upheld`) or
/// is undone, with `reason`.
pub fn resolve(id: &str, upheld: bool, reason: &str) -> Result<Doc<DecisionDoc>> {
    let (caller, mut doc) = decision_for_caller(id)?;
    if !access::moderates(&caller, &doc.community) {
        return Err(Error::forbidden(tr(
            "Жалобу рассматривает модератор",
            "a moderator resolves the appeal",
        )));
    }
    doc.data
        .decision
        .resolve_appeal(&caller.person_id, upheld, reason, ctx::now())?;
    doc.data.refresh();
    let settings = Settings::load()?;
    if !upheld {
        let mut item = Item::load(doc.data.kind, &doc.data.decision.target)?;
        if item.state().moderation != Moderation::Published {
            let was = item.state().moderation;
            item.state_mut().moderation = Moderation::Published;
            item.state_mut().held_for.clear();
            if was == Moderation::Rejected && doc.data.kind == TargetKind::Post {
                crate::people::update(item.author(), item.author_name(), |p| {
                    p.approved_posts += 1
                })?;
            }
            item.save(&settings)?;
            item.came_out(was == Moderation::Rejected)?;
        }
    }
    let saved = DECISIONS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    let d = &saved.data;
    let (ru, en) = if upheld {
        (
            "Жалоба рассмотрена: решение остаётся",
            "Appeal resolved: the decision stands",
        )
    } else {
        (
            "Жалоба рассмотрена: решение отменено",
            "Appeal resolved: the decision is undone",
        )
    };
    notifications::notify(
        std::slice::from_ref(&d.decision.author),
        &Message::new(
            Localized::new(ru, en),
            Localized::new(
                format!("«{}». Причина: {}", d.excerpt, reason.trim()),
                format!("“{}”. Reason: {}", d.excerpt, reason.trim()),
            ),
        )
        .link(format!("decisions/{}", saved.id)),
    )?;
    Ok(saved)
}

/// One line of the moderators' queue.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Waiting {
    /// What it is.
    pub kind: TargetKind,
    /// Its id.
    pub id: String,
    /// Where it is stored.
    pub community: String,
    /// Its author's name.
    pub author_name: String,
    /// When it was written.
    pub at: i64,
    /// Its beginning.
    pub excerpt: String,
    /// Held or reported.
    pub moderation: Moderation,
    /// Why it waits, for the moderator.
    pub reasons: Vec<String>,
}

/// Why `item` waits, in words.
pub fn reasons_of(item: &Item, settings: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    for reason in &item.state().held_for {
        out.push(match reason {
            HoldReason::NewMember { approved } => format!(
                "{}: {} {approved} {} {}",
                tr("Новый участник", "New member"),
                tr("одобрено", "approved"),
                tr("из первых", "of the first"),
                settings.gate.first_posts_held
            ),
            HoldReason::WatchedWords { words } => format!(
                "{}: {}",
                tr("Стоп-слова", "Watched words"),
                words
                    .iter()
                    .map(|w| format!("«{w}»"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let reports = item.state().report_list();
    if !reports.is_empty() {
        let tally = reports::tally(item.author(), &reports, &settings.reports);
        let reasons: Vec<String> = tally
            .reasons
            .iter()
            .map(|(reason, n)| format!("{} — {n}", reason.label()))
            .collect();
        out.push(format!(
            "{}: {} ({} {} {} {}): {}",
            tr("Жалобы", "Reports"),
            tally.reporters,
            tr("вес", "weight"),
            tally.weight,
            tr("из", "of"),
            settings.reports.hide_threshold,
            reasons.join(", ")
        ));
        for note in item
            .state()
            .reports
            .iter()
            .filter_map(|r| r.note.as_deref())
        {
            out.push(format!("«{note}»"));
        }
    }
    out
}

fn waiting_of(item: Item, settings: &Settings) -> Waiting {
    Waiting {
        kind: item.kind(),
        reasons: reasons_of(&item, settings),
        id: item.id().to_owned(),
        community: item.community().to_owned(),
        author_name: item.author_name().to_owned(),
        at: item.at(),
        excerpt: item.excerpt(),
        moderation: item.state().moderation,
    }
}

/// What waits for the caller, a moderator: held and reported texts of the places they
/// moderate here, oldest first.
pub fn queue(caller: &ctx::Caller) -> Result<Vec<Waiting>> {
    let settings = Settings::load()?;
    let mut out = Vec::new();
    for moderation in [Moderation::Held, Moderation::Reported] {
        let code = moderation.code();
        for d in POSTS
            .query()
            .filter("moderation", Compare::Eq, code)
            .fetch_all()?
        {
            out.push(Item::Post(d));
        }
        for d in COMMENTS
            .query()
            .filter("moderation", Compare::Eq, code)
            .fetch_all()?
        {
            out.push(Item::Comment(d));
        }
        for d in MESSAGES
            .query()
            .filter("moderation", Compare::Eq, code)
            .fetch_all()?
        {
            out.push(Item::Message(d));
        }
    }
    let mut waiting: Vec<Waiting> = out
        .into_iter()
        .filter(|item| access::moderates(caller, item.community()))
        .map(|item| waiting_of(item, &settings))
        .collect();
    waiting.sort_by_key(|w| w.at);
    Ok(waiting)
}

/// Appeals that wait for the caller: on decisions of others in the places they moderate.
pub fn appeals_for(caller: &ctx::Caller) -> Result<Vec<Doc<DecisionDoc>>> {
    Ok(DECISIONS
        .query()
        .filter("appeal_state", Compare::Eq, "pending")
        .fetch_all()?
        .into_iter()
        .filter(|d| {
            d.data.decision.moderator != caller.person_id
                && d.data.decision.author != caller.person_id
                && access::moderates(caller, &d.community)
        })
        .collect())
}

/// The decisions on the caller's texts, newest first.
pub fn decisions_of(person: &str) -> Result<Vec<Doc<DecisionDoc>>> {
    Ok(DECISIONS
        .query()
        .filter("author", Compare::Eq, person)
        .order_by("at", Direction::Desc)
        .limit(100)
        .fetch()?
        .docs)
}

/// A moderator adds a watched word here.
pub fn add_word(pattern: &str, action: &str, mode: &str) -> Result<Doc<WatchedWord>> {
    let caller = ctx::require_caller()?;
    if !access::moderates(&caller, &ctx::community()) {
        return Err(Error::forbidden(tr(
            "Стоп-слова ведут модераторы этого места",
            "the moderators of this place keep the watched words",
        )));
    }
    let pattern = crate::text::required("pattern", pattern, 100)?;
    if crate::words::normalize(&pattern).is_empty() {
        return Err(Error::invalid(
            "pattern",
            tr("Нужны буквы или цифры", "letters or digits are needed"),
        ));
    }
    let action = match action {
        "block" => WordAction::Block,
        "hold" | "" => WordAction::Hold,
        _ => {
            return Err(Error::invalid(
                "action",
                tr("Выберите действие", "choose an action"),
            ));
        }
    };
    let mode = match mode {
        "word" => MatchMode::Word,
        "stem" | "" => MatchMode::Stem,
        _ => {
            return Err(Error::invalid(
                "mode",
                tr("Выберите, как искать", "choose how to match"),
            ));
        }
    };
    WORDS.insert(
        &ctx::community(),
        None,
        &WatchedWord {
            pattern,
            action,
            mode,
        },
    )
}

/// A moderator takes a watched word off the list.
pub fn remove_word(id: &str) -> Result<bool> {
    let caller = ctx::require_caller()?;
    let Some(doc) = WORDS.get(id)? else {
        return Ok(false);
    };
    if !access::moderates(&caller, &doc.community) {
        return Err(Error::forbidden(tr(
            "Стоп-слова ведут модераторы этого места",
            "the moderators of this place keep the watched words",
        )));
    }
    WORDS.delete(id)
}

/// The reason named `code` (`spam`, `insult`, …).
pub fn parse_reason(code: &str) -> Result<ReportReason> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).map_err(|_| {
        Error::invalid(
            "reason",
            tr("Выберите причину жалобы", "choose why you report it"),
        )
    })
}

/// Every reason, for a form: `(code, label)`.
pub fn reason_choices() -> Vec<(&'static str, &'static str)> {
    use ReportReason::*;
    [
        ("spam", Spam),
        ("insult", Insult),
        ("personal_data", PersonalData),
        ("fraud", Fraud),
        ("illegal", Illegal),
        ("off_topic", OffTopic),
        ("other", Other),
    ]
    .into_iter()
    .map(|(code, r)| (code, r.label()))
    .collect()
}

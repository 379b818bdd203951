//! The feed of a place: typed posts by neighbours and by the management company, their
//! lifecycles ([`crate::posts`]), photos, pinned notices, reactions and «пойду».
//!
//! A place's feed shows its own posts and those of the places above it (a house sees its
//! town's), never those below; a post for one entrance only its residents (and the staff and
//! moderators) see. Every new post passes the gate ([`crate::gate`]) first.

use std::collections::BTreeSet;

use dvor_sdk::directory;
use dvor_sdk::events;
use dvor_sdk::files;
use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::{self, Here};
use crate::gate::{self, Activity, Verdict};
use crate::model::{COMMENTS, Moderation, ModerationState, POSTS, PostDoc, Settings, TargetKind};
use crate::moderation;
use crate::posts::{PostAction, PostKind, PostState};

/// The event of a post going out.
pub const POSTED: &str = "feed.posted";
/// The event of a neighbour helping find a lost thing.
pub const HELPED: &str = "feed.helped";

/// The most photos a post carries.
pub const MAX_PHOTOS: usize = 6;

/// The reactions people may leave: code and emoji.
pub const REACTIONS: [(&str, &str); 5] = [
    ("like", "👍"),
    ("love", "❤️"),
    ("laugh", "😄"),
    ("wow", "😮"),
    ("thanks", "🙏"),
];

/// How deep the call's community is (the root is 0).
pub fn depth_here() -> i64 {
    directory::ancestors().len() as i64
}

/// The type's code, as indexed (`news`, `lost_found`, …).
pub fn type_code(kind: &PostKind) -> &'static str {
    match kind {
        PostKind::News => "news",
        PostKind::Question => "question",
        PostKind::Recommendation => "recommendation",
        PostKind::LostFound { .. } => "lost_found",
        PostKind::GiveAway => "give_away",
        PostKind::Event { .. } => "event",
    }
}

/// The type as people name it.
pub fn type_label(kind: &PostKind) -> &'static str {
    match kind {
        PostKind::News => tr("Новость", "News"),
        PostKind::Question => tr("Вопрос", "Question"),
        PostKind::Recommendation => tr("Рекомендация", "Recommendation"),
        PostKind::LostFound { lost: true } => tr("Потеряно", "Lost"),
        PostKind::LostFound { lost: false } => tr("Найдено", "Found"),
        PostKind::GiveAway => tr("Отдам даром", "Free to a good home"),
        PostKind::Event { .. } => tr("Событие", "Event"),
    }
}

/// The types a new post may take: `(code, label)` of the form.
pub fn type_choices() -> Vec<(&'static str, &'static str)> {
    vec![
        ("news", tr("Новость", "News")),
        (
            "question",
            tr("Вопрос соседям", "A question to the neighbours"),
        ),
        ("recommendation", tr("Рекомендация", "Recommendation")),
        ("lost", tr("Потеряно", "Lost")),
        ("found", tr("Найдено", "Found")),
        ("give_away", tr("Отдам даром", "Free to a good home")),
        ("event", tr("Событие", "Event")),
    ]
}

/// The filters of the feed: `(code, label)`.
pub fn filter_choices() -> Vec<(&'static str, &'static str)> {
    vec![
        ("news", tr("Новости", "News")),
        ("question", tr("Вопросы", "Questions")),
        ("recommendation", tr("Рекомендации", "Recommendations")),
        ("lost_found", tr("Потеряшки", "Lost and found")),
        ("give_away", tr("Отдам даром", "Free")),
        ("event", tr("События", "Events")),
    ]
}

/// Where a post stands in its life, in words; none while simply open.
pub fn state_label(post: &PostDoc, now: i64, settings: &Settings) -> Option<(&'static str, Tone)> {
    let state = post.lifecycle().state_at(now, &settings.expiry);
    Some(match (state, &post.kind) {
        (PostState::Open, _) => return None,
        (PostState::Reserved, _) => (tr("Забронировано", "Reserved"), Tone::Warning),
        (PostState::Resolved, PostKind::Question) => {
            (tr("Вопрос решён", "Answered"), Tone::Success)
        }
        (PostState::Resolved, PostKind::LostFound { lost: true }) => {
            (tr("Нашлось", "Found"), Tone::Success)
        }
        (PostState::Resolved, PostKind::LostFound { lost: false }) => (
            tr("Вернулось к хозяину", "Back with its owner"),
            Tone::Success,
        ),
        (PostState::Resolved, PostKind::GiveAway) => (tr("Отдано", "Given away"), Tone::Success),
        (PostState::Resolved, _) => (tr("Закрыто", "Closed"), Tone::Success),
        (PostState::Over, _) => (tr("Прошло", "Over"), Tone::Neutral),
        (PostState::Expired, _) => (tr("Срок истёк", "Expired"), Tone::Neutral),
    })
}

/// Whether `here`'s caller may see `post` (its moderation aside).
pub fn may_see(here: &Here, post: &PostDoc) -> bool {
    if !here.may_take_part() {
        return false;
    }
    match &post.entrance {
        None => true,
        Some(entrance) => {
            here.is_staff()
                || access::moderates(&here.caller, &post.place)
                || post.author == here.caller.person_id
                || access::units_here(&here.caller)
                    .iter()
                    .any(|u| u.community == post.place && u.entrance.as_deref() == Some(entrance))
        }
    }
}

/// The post `id` (here or at a place above), if the caller may see it; 404 otherwise (403 for
/// someone who takes no part here).
pub fn visible(here: &Here, id: &str) -> Result<Doc<PostDoc>> {
    let missing = || Error::not_found(tr("Такой записи нет", "there is no such post"));
    let doc = POSTS.get_inherited(id)?.ok_or_else(missing)?;
    if !here.may_take_part() {
        return Err(access::not_a_neighbour());
    }
    let published = doc.data.mod_state.moderation == Moderation::Published;
    let own = doc.data.author == here.caller.person_id;
    if !may_see(here, &doc.data)
        || (!published && !own && !access::moderates(&here.caller, &doc.community))
    {
        return Err(missing());
    }
    Ok(doc)
}

/// Whether a post lives at the call's community (not above it): only there can it be
/// commented on, reacted to and reported.
pub fn is_here(doc: &Doc<PostDoc>) -> bool {
    doc.community == ctx::community() || directory::community(&doc.community).is_some()
}

/// The post `id` for a change by the caller: visible, published and stored in scope.
fn for_change(here: &Here, id: &str) -> Result<Doc<PostDoc>> {
    let doc = visible(here, id)?;
    if !is_here(&doc) {
        return Err(Error::conflict(tr(
            "Эта запись — для места выше: отвечайте на его странице",
            "this post is for a place above: answer on its page",
        )));
    }
    if doc.data.mod_state.moderation != Moderation::Published {
        return Err(Error::conflict(doc.data.mod_state.moderation.label()));
    }
    Ok(doc)
}

/// A new post as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewPost {
    /// `news`, `question`, `recommendation`, `lost`, `found`, `give_away`, `event`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short title (may be empty).
    pub title: String,
    /// The text.
    pub text: String,
    /// One entrance of a house, if only for it.
    pub entrance: Option<String>,
    /// An event's day, `YYYY-MM-DD`.
    pub day: Option<String>,
    /// When an event starts, `ЧЧ:ММ`.
    pub start: Option<String>,
    /// When it ends, `ЧЧ:ММ` (two hours after the start if none).
    pub end: Option<String>,
    /// A photo: a stored file's id.
    pub photo: Option<String>,
    /// Pin it (staff and moderators).
    pub pinned: bool,
    /// As the management company (staff): true unless said otherwise.
    pub as_company: Option<bool>,
}

/// Minutes after midnight of `ЧЧ:ММ`.
fn time_of_day(field: &str, text: &str) -> Result<i64> {
    let bad = || {
        Error::invalid(
            field,
            tr(
                "Укажите время как ЧЧ:ММ, например 19:30",
                "give the time as HH:MM, e.g. 19:30",
            ),
        )
    };
    let (h, m) = text.trim().split_once([':', '.']).ok_or_else(bad)?;
    let (h, m): (i64, i64) = (
        h.trim().parse().map_err(|_| bad())?,
        m.trim().parse().map_err(|_| bad())?,
    );
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// An event's start and end, ms, from what was typed.
fn event_times(input: &NewPost, now: i64) -> Result<(i64, i64)> {
    let day = input.day.as_deref().map(str::trim).unwrap_or_default();
    if day.is_empty() {
        return Err(Error::invalid(
            "day",
            tr("Укажите день события", "give the event's day"),
        ));
    }
    let day = Date::parse_field("day", day)?;
    let start = input.start.as_deref().map(str::trim).unwrap_or_default();
    if start.is_empty() {
        return Err(Error::invalid(
            "start",
            tr("Укажите, во сколько начало", "give the start time"),
        ));
    }
    let offset = ctx::utc_offset_minutes()?;
    let midnight = day.start_timestamp(offset);
    let starts = midnight + time_of_day("start", start)? * 60_000;
    let ends = match input
        .end
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(end) => midnight + time_of_day("end", end)? * 60_000,
        None => starts + 2 * 3_600_000,
    };
    if ends <= starts {
        return Err(Error::invalid(
            "end",
            tr("Конец — позже начала", "the end comes after the start"),
        ));
    }
    if ends <= now {
        return Err(Error::invalid(
            "day",
            tr("Это время уже прошло", "this time has passed"),
        ));
    }
    Ok((starts, ends))
}

fn check_photo(field: &str, id: &str) -> Result<String> {
    let info = files::info(id)?.ok_or_else(|| {
        Error::invalid(
            field,
            tr(
                "Фото не загрузилось, попробуйте ещё раз",
                "the photo did not upload; try again",
            ),
        )
    })?;
    if !info.content_type.starts_with("image/") {
        return Err(Error::invalid(
            field,
            tr("Это не фотография", "this is not a photo"),
        ));
    }
    Ok(info.id)
}

/// What became of a new post.
#[derive(Clone, Debug, Serialize)]
pub struct Created {
    /// Its id.
    pub id: String,
    /// Published or held.
    pub moderation: Moderation,
}

/// The caller posts `input` to the call's place.
pub fn create(input: &NewPost) -> Result<Created> {
    let here = Here::require_part()?;
    let settings = Settings::load()?;
    let place = ctx::community();
    let now = ctx::now();
    let kind = match input.kind.trim() {
        "news" => PostKind::News,
        "question" => PostKind::Question,
        "recommendation" => PostKind::Recommendation,
        "lost" => PostKind::LostFound { lost: true },
        "found" => PostKind::LostFound { lost: false },
        "give_away" => PostKind::GiveAway,
        "event" => {
            let (starts_at, ends_at) = event_times(input, now)?;
            PostKind::Event { starts_at, ends_at }
        }
        _ => {
            return Err(Error::invalid(
                "type",
                tr(
                    "Выберите, что это за запись",
                    "choose what kind of post it is",
                ),
            ));
        }
    };
    let title = crate::text::optional("title", &input.title, 120)?;
    let text = crate::text::required("text", &input.text, settings.limits.post_chars)?;
    let trusted = here.is_staff() || here.moderator;
    let my_units = access::units_here(&here.caller);
    let entrance = match input
        .entrance
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(e) => {
            let known = if trusted {
                directory::units(&place)
                    .iter()
                    .any(|u| u.entrance.as_deref() == Some(e))
            } else {
                my_units
                    .iter()
                    .any(|u| u.community == place && u.entrance.as_deref() == Some(e))
            };
            if !known {
                return Err(Error::invalid(
                    "entrance",
                    tr(
                        "Можно писать только в свой подъезд",
                        "you may post only to your own entrance",
                    ),
                ));
            }
            Some(e.to_owned())
        }
    };
    if input.pinned && !trusted {
        return Err(Error::invalid(
            "pinned",
            tr(
                "Закрепляют сотрудники управляющей компании и модераторы",
                "the management company's staff and moderators pin posts",
            ),
        ));
    }
    let photos = match input.photo.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(id) => vec![check_photo("photo", id.trim())?],
        None => Vec::new(),
    };
    moderation::check_rate(Activity::Post, here.id(), now, &settings)?;
    let record = crate::people::of_caller(&here.caller)?;
    let approved = if trusted {
        u32::MAX
    } else {
        record.data.approved_posts
    };
    let list = moderation::watched_words(&settings)?;
    let checked = format!("{title}\n{text}");
    let verdict = gate::gate(Activity::Post, &checked, approved, &list, &settings.gate);
    let organization = if here.is_staff() && input.as_company.unwrap_or(true) {
        here.staff.first().map(|o| o.name.clone())
    } else {
        None
    };
    let mut post = PostDoc {
        place: place.clone(),
        depth: depth_here(),
        entrance,
        kind,
        title,
        text,
        photos,
        author: here.id().to_owned(),
        author_name: here.caller.display_name.clone(),
        author_address: access::address_in(&my_units, &place),
        organization,
        state: PostState::Open,
        pinned: input.pinned,
        created_at: now,
        published_at: 0,
        leaves_at: 0,
        open: false,
        mod_state: ModerationState::default(),
        helper: None,
        going: Default::default(),
        reactions: Default::default(),
    };
    match verdict {
        Verdict::Block { words } => return Err(moderation::blocked(&words)),
        Verdict::Hold { reasons } => {
            post.mod_state.moderation = Moderation::Held;
            post.mod_state.held_for = reasons;
        }
        Verdict::Publish => post.published_at = now,
    }
    post.refresh_index(&settings.expiry);
    let doc = POSTS.insert(&place, None, &post)?;
    match doc.data.mod_state.moderation {
        Moderation::Published => announce(&doc)?,
        _ => moderation::tell_moderators_of_held(&place, TargetKind::Post)?,
    }
    Ok(Created {
        id: doc.id,
        moderation: doc.data.mod_state.moderation,
    })
}

/// A post is out: the event gamification counts.
pub fn announce(doc: &Doc<PostDoc>) -> Result<()> {
    events::emit(
        POSTED,
        &doc.community,
        &serde_json::json!({
            "person_id": doc.data.author,
            "post_id": doc.id,
            "type": type_code(&doc.data.kind),
            "place": doc.data.place,
        }),
    )?;
    Ok(())
}

/// One page of the feed here.
#[derive(Clone, Debug)]
pub struct FeedPage {
    /// Pinned notices (on the first page only).
    pub pinned: Vec<Doc<PostDoc>>,
    /// The posts, newest first.
    pub posts: Vec<Doc<PostDoc>>,
    /// Where the next page starts.
    pub next: Option<String>,
}

/// The feed the caller sees here: `kind` filters by type code, `cursor` pages on.
pub fn list(here: &Here, kind: Option<&str>, cursor: Option<&str>) -> Result<FeedPage> {
    let now = ctx::now();
    let base = || {
        let mut q = POSTS
            .query()
            .with_ancestors()
            .filter("depth", Compare::Le, depth_here())
            .filter("open", Compare::Eq, true)
            .filter("leaves_at", Compare::Gt, now);
        if let Some(kind) = kind {
            q = q.filter("type", Compare::Eq, kind);
        }
        q
    };
    let pinned = if cursor.is_none() {
        base()
            .filter("pinned", Compare::Eq, true)
            .order_by("published_at", Direction::Desc)
            .limit(20)
            .fetch()?
            .docs
            .into_iter()
            .filter(|d| may_see(here, &d.data))
            .collect()
    } else {
        Vec::new()
    };
    let page = base()
        .filter("pinned", Compare::Eq, false)
        .order_by("published_at", Direction::Desc)
        .limit(20)
        .cursor(cursor)
        .fetch()?;
    Ok(FeedPage {
        pinned,
        posts: page
            .docs
            .into_iter()
            .filter(|d| may_see(here, &d.data))
            .collect(),
        next: page.next_cursor,
    })
}

/// The caller's own posts here that wait for a moderator.
pub fn my_waiting(here: &Here) -> Result<Vec<Doc<PostDoc>>> {
    Ok(POSTS
        .query()
        .filter("author", Compare::Eq, here.id())
        .filter("moderation", Compare::Eq, Moderation::Held.code())
        .order_by("created_at", Direction::Desc)
        .limit(20)
        .fetch()?
        .docs)
}

/// How many comments a post has out.
pub fn comment_count(post: &str) -> Result<u64> {
    COMMENTS
        .query()
        .filter("post", Compare::Eq, post)
        .filter("moderation", Compare::Eq, Moderation::Published.code())
        .count()
}

/// The people who commented on a post, with their names: who may have helped.
pub fn commenters(post: &Doc<PostDoc>) -> Result<Vec<(String, String)>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for c in COMMENTS
        .query()
        .filter("post", Compare::Eq, post.id.as_str())
        .filter("moderation", Compare::Eq, Moderation::Published.code())
        .order_by("at", Direction::Asc)
        .limit(1000)
        .fetch()?
        .docs
    {
        if c.data.author != post.data.author && seen.insert(c.data.author.clone()) {
            out.push((c.data.author, c.data.author_name));
        }
    }
    Ok(out)
}

/// The step `action` is named by `code` (`resolve`, `reserve`, `unreserve`, `reopen`).
pub fn parse_step(code: &str, helper: Option<&str>) -> Result<PostAction> {
    Ok(match code {
        "resolve" => PostAction::Resolve {
            helper: helper
                .map(str::trim)
                .filter(|h| !h.is_empty() && *h != "none")
                .map(str::to_owned),
        },
        "reserve" => PostAction::Reserve,
        "unreserve" => PostAction::Unreserve,
        "reopen" => PostAction::Reopen,
        _ => {
            return Err(Error::invalid(
                "action",
                tr("Нет такого шага", "no such step"),
            ));
        }
    })
}

/// The author (or a moderator) moves post `id` along its life.
pub fn step(id: &str, action: &PostAction) -> Result<Doc<PostDoc>> {
    let here = Here::require_part()?;
    let settings = Settings::load()?;
    let mut doc = for_change(&here, id)?;
    if let PostAction::Resolve {
        helper: Some(helper),
    } = action
        && *helper != doc.data.author
        && !commenters(&doc)?.iter().any(|(p, _)| p == helper)
    {
        return Err(Error::invalid(
            "helper",
            tr(
                "Выберите соседа из тех, кто откликнулся",
                "choose a neighbour among those who answered",
            ),
        ));
    }
    let moderator = access::moderates(&here.caller, &doc.community);
    let now = ctx::now();
    let transition =
        doc.data
            .lifecycle()
            .apply(action, here.id(), moderator, now, &settings.expiry)?;
    doc.data.state = transition.state;
    if let PostAction::Resolve { helper } = action {
        doc.data.helper = helper.clone();
    }
    if matches!(action, PostAction::Reopen) {
        doc.data.helper = None;
    }
    doc.data.refresh_index(&settings.expiry);
    let saved = POSTS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    if let Some(helper) = transition.helped {
        events::emit(
            HELPED,
            &saved.community,
            &serde_json::json!({
                "person_id": helper,
                "post_id": saved.id,
                "author_id": saved.data.author,
            }),
        )?;
        let what = saved.data.heading();
        notifications::notify(
            &[helper],
            &Message::new(
                Localized::new("Спасибо, что помогли!", "Thank you for helping!"),
                Localized::new(
                    format!(
                        "{} отметил(а), что вы помогли: «{what}»",
                        saved.data.author_name
                    ),
                    format!("{} says you helped: “{what}”", saved.data.author_name),
                ),
            )
            .link(format!("posts/{}", saved.id)),
        )?;
    }
    Ok(saved)
}

/// The caller says «пойду» to event `id` (or takes it back); the count.
pub fn going(id: &str, going: bool) -> Result<usize> {
    let here = Here::require_part()?;
    let settings = Settings::load()?;
    let mut doc = for_change(&here, id)?;
    let post = doc.data.lifecycle();
    let count = doc
        .data
        .going
        .set(&post, here.id(), going, ctx::now(), &settings.expiry)?;
    POSTS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    Ok(count)
}

/// The caller leaves reaction `code` on post `id`, or takes it back; whether it is on now.
pub fn react(id: &str, code: &str) -> Result<bool> {
    let here = Here::require_part()?;
    if !REACTIONS.iter().any(|(c, _)| *c == code) {
        return Err(Error::invalid(
            "reaction",
            tr("Нет такой реакции", "no such reaction"),
        ));
    }
    let mut doc = for_change(&here, id)?;
    let who = doc.data.reactions.entry(code.to_owned()).or_default();
    let on = if who.remove(here.id()) {
        false
    } else {
        who.insert(here.id().to_owned());
        true
    };
    doc.data.reactions.retain(|_, who| !who.is_empty());
    POSTS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))?;
    Ok(on)
}

/// Staff or a moderator pins post `id` (or unpins it).
pub fn pin(id: &str, pinned: bool) -> Result<Doc<PostDoc>> {
    let here = Here::require_part()?;
    let settings = Settings::load()?;
    let mut doc = for_change(&here, id)?;
    if !here.is_staff() && !access::moderates(&here.caller, &doc.community) {
        return Err(Error::forbidden(tr(
            "Закрепляют сотрудники управляющей компании и модераторы",
            "the management company's staff and moderators pin posts",
        )));
    }
    doc.data.pinned = pinned;
    doc.data.refresh_index(&settings.expiry);
    POSTS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))
}

/// The author adds a photo to post `id`.
pub fn add_photo(id: &str, file: &str) -> Result<Doc<PostDoc>> {
    let here = Here::require_part()?;
    let mut doc = for_change(&here, id)?;
    if doc.data.author != here.caller.person_id {
        return Err(Error::forbidden(tr(
            "Фото добавляет автор",
            "the author adds photos",
        )));
    }
    if doc.data.photos.len() >= MAX_PHOTOS {
        return Err(Error::invalid(
            "photo",
            format!(
                "{} {MAX_PHOTOS}",
                tr("Фотографий не больше", "at most this many photos:")
            ),
        ));
    }
    let photo = check_photo("photo", file)?;
    doc.data.photos.push(photo);
    POSTS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_read_as_people_type_them() {
        assert_eq!(time_of_day("start", "19:30").unwrap(), 19 * 60 + 30);
        assert_eq!(time_of_day("start", " 7.05 ").unwrap(), 7 * 60 + 5);
        assert_eq!(
            time_of_day("start", "24:00").unwrap_err().field.as_deref(),
            Some("start")
        );
        assert!(time_of_day("end", "семь").is_err());
    }
}

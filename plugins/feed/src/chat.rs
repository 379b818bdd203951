//! The house chats: rooms generated from the register ([`crate::rooms`]), who is in them,
//! messages through the same gate and moderation as the feed, history, unread counts, and the
//! live channel each room's open pages follow.
//!
//! Rooms are not stored: they are generated from the register on every call, so a person is in
//! a room exactly while the register puts them there — they join and leave with their address.
//! A room's page address and live channel come from its id (`chats/entrance-2`,
//! `room:entrance-2`). A new message is appended to the open pages; when one is hidden (by
//! reports or a moderator) or put back, the room's recent history replaces what the open pages
//! show, so it disappears (or comes back) without a reload.

use dvor_sdk::directory;
use dvor_sdk::live;
use dvor_sdk::notifications::{self, Localized, Message};
use dvor_sdk::prelude::*;
use dvor_sdk::ui::{Block, TimelineEntry};

use crate::access::{self, Here};
use crate::gate::{self, Activity, Verdict};
use crate::model::{
    MESSAGES, MessageDoc, Moderation, ModerationState, READS, ReadDoc, SYSTEM_AUTHOR, Settings,
};
use crate::moderation;
use crate::rooms::{self, Room, RoomKind, RoomSettings, UnitEntry};

/// Whether `community` is a house (chats are a house's).
pub fn is_house(community: &str) -> bool {
    directory::community(community).is_some_and(|c| c.kind == "house")
}

/// The rooms of `house` from its register.
pub fn rooms_of_house(house: &str, settings: &RoomSettings) -> Vec<Room> {
    let units: Vec<UnitEntry> = directory::units(house)
        .into_iter()
        .map(|u| UnitEntry {
            residential: u.kind == "apartment",
            entrance: u.entrance.filter(|e| !e.trim().is_empty()),
            id: u.id,
            number: u.number,
        })
        .collect();
    rooms::rooms_for_house(house, &units, settings)
}

fn transliterate(c: char) -> Option<&'static str> {
    const TABLE: [(char, &str); 33] = [
        ('а', "a"),
        ('б', "b"),
        ('в', "v"),
        ('г', "g"),
        ('д', "d"),
        ('е', "e"),
        ('ё', "e"),
        ('ж', "zh"),
        ('з', "z"),
        ('и', "i"),
        ('й', "i"),
        ('к', "k"),
        ('л', "l"),
        ('м', "m"),
        ('н', "n"),
        ('о', "o"),
        ('п', "p"),
        ('р', "r"),
        ('с', "s"),
        ('т', "t"),
        ('у', "u"),
        ('ф', "f"),
        ('х', "h"),
        ('ц', "c"),
        ('ч', "ch"),
        ('ш', "sh"),
        ('щ', "sch"),
        ('ъ', ""),
        ('ы', "y"),
        ('ь', ""),
        ('э', "e"),
        ('ю', "yu"),
        ('я', "ya"),
    ];
    TABLE.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
}

/// The room's short name in its page's address and its channel: `house`, `staff`,
/// `entrance-2`, `pool-1-15`. Numbers with letters (`12А`) are transliterated, and a few hex
/// digits of the room's id keep such names apart.
pub fn slug(room_id: &str) -> String {
    let tail = room_id.split_once(':').map_or(room_id, |(_, t)| t);
    let mut out = String::new();
    let mut plain = true;
    for c in tail.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == ':' || c == '-' {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            plain = false;
            match transliterate(c) {
                Some(latin) => out.push_str(latin),
                None if !out.ends_with('-') => out.push('-'),
                None => {}
            }
        }
    }
    let mut out = out.trim_matches('-').to_owned();
    if !plain || out.is_empty() {
        // FNV-1a of the id: stable, and different for `12А` and `12A`.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in room_id.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("-{:06x}", hash & 0xff_ffff));
    }
    out.chars().take(100).collect()
}

/// The live channel of a room.
pub fn channel(room_id: &str) -> String {
    format!("room:{}", slug(room_id))
}

/// What makes a person a member of the house's rooms.
#[derive(Clone, Debug, Default)]
pub struct Membership {
    /// Their units in the house.
    pub units: Vec<String>,
    /// A resident of the house without a unit the register knows: in the house-wide rooms.
    pub resident: bool,
    /// The name of the company they work for, when they are its staff.
    pub staff: Option<String>,
}

impl Membership {
    /// The caller's, in the call's house.
    pub fn of(here: &Here, house: &str) -> Membership {
        let units: Vec<String> = access::units_here(&here.caller)
            .into_iter()
            .filter(|u| u.community == house)
            .map(|u| u.id)
            .collect();
        Membership {
            resident: here.member,
            staff: here.staff.first().map(|o| o.name.clone()),
            units,
        }
    }

    /// A person's, from the register alone (in a job, where there is no caller).
    pub fn of_person(person: &str, house: &str, residents: &[String]) -> Membership {
        let units: Vec<String> = directory::units_of(person)
            .into_iter()
            .filter(|u| u.community == house)
            .map(|u| u.id)
            .collect();
        let staff = directory::organizations(house, None)
            .into_iter()
            .filter(|o| o.kind == "management-company" || o.kind == "hoa")
            .find(|o| {
                ["operator", "executor"].iter().any(|role| {
                    directory::staff_of(&o.id, house, role)
                        .iter()
                        .any(|p| p == person)
                })
            })
            .map(|o| o.name);
        Membership {
            resident: residents.iter().any(|r| r == person),
            staff,
            units,
        }
    }

    /// Whether they are in `room`.
    pub fn is_in(&self, room: &Room) -> bool {
        room.units.iter().any(|u| self.units.contains(u))
            || (room.with_staff && self.staff.is_some())
            || (self.resident && matches!(room.kind, RoomKind::House | RoomKind::Staff))
    }

    /// The rooms of `rooms` they are in.
    pub fn rooms<'r>(&self, rooms: &'r [Room]) -> Vec<&'r Room> {
        rooms.iter().filter(|r| self.is_in(r)).collect()
    }
}

/// A room of the call's house the caller is in, by its short name; 404 for no such room, 403
/// for someone who is not in it. The house's room and the staff room take everyone of the
/// house, so they are answered from the caller's own units without generating the rooms from
/// the whole register (this runs for every message and every open page's `subscribe`); their
/// `units` are left empty — [`room_with_units`] fills them.
pub fn room_for_caller(slug_: &str) -> Result<(Here, Room)> {
    let here = Here::caller()?;
    let house = ctx::community();
    if !is_house(&house) {
        return Err(no_such_room());
    }
    let settings = Settings::load()?;
    let wide = match slug_ {
        "house" => Some(RoomKind::House),
        "staff" if settings.rooms.staff_room => Some(RoomKind::Staff),
        _ => None,
    };
    let room = match wide {
        Some(kind) => rooms::rooms_for_house(&house, &[], &settings.rooms)
            .into_iter()
            .find(|r| r.kind == kind)
            .ok_or_else(no_such_room)?,
        None => rooms_of_house(&house, &settings.rooms)
            .into_iter()
            .find(|r| slug(&r.id) == slug_)
            .ok_or_else(no_such_room)?,
    };
    let membership = Membership::of(&here, &house);
    let allowed = match room.kind {
        // Every unit of the house is in these rooms: any of the caller's units here will do.
        RoomKind::House | RoomKind::Staff => {
            membership.is_in(&room) || !membership.units.is_empty()
        }
        _ => membership.is_in(&room),
    };
    if !allowed {
        return Err(not_in_room());
    }
    Ok((here, room))
}

/// The caller's room by its short name with its units from the register (its members page).
pub fn room_with_units(slug_: &str) -> Result<Room> {
    let (_, room) = room_for_caller(slug_)?;
    let settings = Settings::load()?;
    rooms_of_house(&ctx::community(), &settings.rooms)
        .into_iter()
        .find(|r| r.id == room.id)
        .ok_or_else(no_such_room)
}

fn not_in_room() -> Error {
    Error::forbidden(tr(
        "Этот чат — для жителей, которых он объединяет",
        "this chat is for the residents it brings together",
    ))
}

fn no_such_room() -> Error {
    Error::not_found(tr("Нет такого чата", "no such chat"))
}

/// The newest published messages of a room before `before` (ms; none: up to now), oldest
/// first, and whether there are older ones.
pub fn history(
    room: &str,
    limit: u32,
    before: Option<i64>,
) -> Result<(Vec<Doc<MessageDoc>>, bool)> {
    let mut query = MESSAGES
        .query()
        .filter("room", Compare::Eq, room)
        .filter("moderation", Compare::Eq, Moderation::Published.code())
        .order_by("at", Direction::Desc)
        .limit(limit);
    if let Some(before) = before {
        query = query.filter("at", Compare::Lt, before);
    }
    let page = query.fetch()?;
    let more = page.next_cursor.is_some();
    let mut docs = page.docs;
    docs.reverse();
    Ok((docs, more))
}

/// How one message reads on a page: when, who (and their flat), what.
pub fn entry(message: &MessageDoc) -> TimelineEntry {
    if message.author == SYSTEM_AUTHOR {
        return TimelineEntry {
            at: message.at,
            title: message.text.clone(),
            note: None,
            actor: None,
            tone: Tone::Neutral,
        };
    }
    let who = match &message.author_label {
        Some(label) => format!("{} · {label}", message.author_name),
        None => message.author_name.clone(),
    };
    TimelineEntry {
        at: message.at,
        title: who,
        note: Some(message.text.clone()),
        actor: None,
        tone: if message.staff {
            Tone::Info
        } else {
            Tone::Neutral
        },
    }
}

/// The blocks of a room's history as a page's live section starts with them — and as they
/// replace it on open pages when a message is hidden: at most `limit` messages, and no more
/// than fits one live update.
pub fn history_blocks(room: &str, limit: u32) -> Result<Vec<Block>> {
    let (docs, _) = history(room, limit, None)?;
    Ok(blocks_of(&docs))
}

/// `docs` (oldest first) as one timeline, the newest that fit one live update.
pub fn blocks_of(docs: &[Doc<MessageDoc>]) -> Vec<Block> {
    const BUDGET: usize = 48 * 1024;
    let mut entries = Vec::new();
    let mut size = 0;
    for doc in docs.iter().rev() {
        let entry = entry(&doc.data);
        size += entry.title.len() + entry.note.as_ref().map_or(0, String::len) + 160;
        if size > BUDGET {
            break;
        }
        entries.push(entry);
    }
    entries.reverse();
    if entries.is_empty() {
        Vec::new()
    } else {
        vec![Block::Timeline(entries)]
    }
}

/// Put a room's current history on its open pages instead of what they show.
pub fn republish(house: &str, room: &str) -> Result<()> {
    let settings = Settings::load()?;
    let blocks = history_blocks(room, settings.limits.history)?;
    let mut section = Section::untitled();
    for block in blocks {
        section = section.block(block);
    }
    live::publish(
        house,
        &channel(room),
        section,
        live::UpdateMode::Replace,
        &serde_json::json!({ "room": room, "history": true }),
    )
}

/// Show a new message on the room's open pages.
fn announce(house: &str, id: &str, message: &MessageDoc) -> Result<()> {
    live::publish(
        house,
        &channel(&message.room),
        Section::untitled().block(Block::Timeline(vec![entry(message)])),
        live::UpdateMode::Append,
        &serde_json::json!({
            "id": id,
            "room": message.room,
            "author": message.author_name,
            "text": message.text,
            "at": message.at,
        }),
    )
}

/// What became of a message.
#[derive(Debug)]
pub enum Sent {
    /// Out, on the open pages.
    Published(Doc<MessageDoc>),
    /// Waits for a moderator.
    Held(Doc<MessageDoc>),
}

/// The caller writes `text` into `room` (they are in it).
pub fn send(here: &Here, room: &Room, text: &str) -> Result<Sent> {
    let settings = Settings::load()?;
    let house = ctx::community();
    let text = crate::text::required("text", text, settings.limits.message_chars)?;
    let now = ctx::now();
    let person = here.id().to_owned();
    moderation::check_rate(Activity::Message, &person, now, &settings)?;
    let list = moderation::watched_words(&settings)?;
    let verdict = gate::gate(Activity::Message, &text, u32::MAX, &list, &settings.gate);
    let membership = Membership::of(here, &house);
    let mut message = MessageDoc {
        room: room.id.clone(),
        text,
        author: person.clone(),
        author_name: here.caller.display_name.clone(),
        author_label: access::address_in(&access::units_here(&here.caller), &house)
            .or(membership.staff.clone()),
        staff: membership.staff.is_some() && membership.units.is_empty(),
        at: now,
        mod_state: ModerationState::default(),
        about: None,
    };
    crate::people::of_caller(&here.caller)?;
    match verdict {
        Verdict::Block { words } => Err(moderation::blocked(&words)),
        Verdict::Hold { reasons } => {
            message.mod_state.moderation = Moderation::Held;
            message.mod_state.held_for = reasons;
            let doc = MESSAGES.insert(&house, None, &message)?;
            moderation::tell_moderators_of_held(&house, crate::model::TargetKind::Message)?;
            Ok(Sent::Held(doc))
        }
        Verdict::Publish => {
            let doc = MESSAGES.insert(&house, None, &message)?;
            announce(&house, &doc.id, &doc.data)?;
            mark_read(&house, &room.id, &person, now)?;
            Ok(Sent::Published(doc))
        }
    }
}

/// A note of the room's own about `about` (someone joined), written once per `key`.
pub fn note(house: &str, room: &str, key: &str, about: &str, text: &str, at: i64) -> Result<()> {
    let message = MessageDoc {
        room: room.to_owned(),
        text: text.to_owned(),
        author: SYSTEM_AUTHOR.into(),
        author_name: String::new(),
        author_label: None,
        staff: false,
        at,
        mod_state: ModerationState::default(),
        about: Some(about.to_owned()),
    };
    match MESSAGES.insert(house, Some(key), &message) {
        Ok(doc) => announce(house, &doc.id, &doc.data),
        Err(e) if e.is(ErrorCode::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A message a moderator let through or put back: out on the open pages.
pub fn published_again(house: &str, message: &Doc<MessageDoc>) -> Result<()> {
    republish(house, &message.data.room)
}

fn read_id(room: &str, person: &str) -> String {
    format!("{room}|{person}")
}

/// Everything in `room` up to `at` is read by `person`.
pub fn mark_read(house: &str, room: &str, person: &str, at: i64) -> Result<()> {
    READS.put(
        house,
        &read_id(room, person),
        &ReadDoc {
            room: room.to_owned(),
            person: person.to_owned(),
            at,
        },
        None,
    )?;
    Ok(())
}

/// When `person` last read `room` (0: never).
pub fn last_read(room: &str, person: &str) -> Result<i64> {
    Ok(READS.get(&read_id(room, person))?.map_or(0, |r| r.data.at))
}

/// Messages of others in `room` after `since`.
pub fn count_after(room: &str, person: &str, since: i64) -> Result<u64> {
    MESSAGES
        .query()
        .filter("room", Compare::Eq, room)
        .filter("moderation", Compare::Eq, Moderation::Published.code())
        .filter("at", Compare::Gt, since)
        .filter("author", Compare::Ne, person)
        .count()
}

/// Messages of others in `room` that `person` has not read.
pub fn unread(room: &str, person: &str) -> Result<u64> {
    count_after(room, person, last_read(room, person)?)
}

/// The caller's rooms in the call's house with their unread counts; none outside a house.
pub fn my_rooms(here: &Here) -> Result<Vec<(Room, u64)>> {
    let house = ctx::community();
    if !is_house(&house) {
        return Ok(Vec::new());
    }
    let settings = Settings::load()?;
    let membership = Membership::of(here, &house);
    let mut out = Vec::new();
    for room in rooms_of_house(&house, &settings.rooms) {
        if membership.is_in(&room) {
            let unread = unread(&room.id, here.id())?;
            out.push((room, unread));
        }
    }
    Ok(out)
}

/// Tell the people a held message concerns nothing; tell its author it waits.
pub fn held_notice() -> &'static str {
    tr(
        "Сообщение появится в чате после проверки модератором",
        "the message will appear in the chat once a moderator has checked it",
    )
}

/// Notify `people` that the chats have news for them (the digest).
pub fn digest_message(house: &str, lines: &[String], total: u64) -> Message {
    let ru = format!(
        "{}: {}",
        crate::text::plural(
            total,
            "новое сообщение",
            "новых сообщения",
            "новых сообщений"
        ),
        lines.join("; ")
    );
    Message::new(
        Localized::new("Новое в чатах дома", "New in your house's chats"),
        Localized::new(ru, format!("{total} new messages: {}", lines.join("; "))),
    )
    .link(format!(
        "/c/{}/p/feed/chats",
        house.replace('%', "%25").replace(' ', "%20")
    ))
}

/// Send `message` to `person` now.
pub fn notify_one(person: &str, message: &Message) -> Result<()> {
    notifications::notify(&[person.to_owned()], message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_fit_addresses_and_channels() {
        assert_eq!(slug("demo-house-1:house"), "house");
        assert_eq!(slug("h:entrance:2"), "entrance-2");
        assert_eq!(slug("h:pool:1-15"), "pool-1-15");
        assert_eq!(slug("h:staff"), "staff");
        let cyrillic = slug("h:pool:1-12А");
        let latin = slug("h:pool:1-12A");
        assert!(cyrillic.starts_with("pool-1-12a-"), "{cyrillic}");
        assert_ne!(cyrillic, latin);
        assert_eq!(channel("h:entrance:2"), "room:entrance-2");
        for id in ["h:entrance:Второй", "h:pool:1-12А", "h:entrance:#"] {
            let c = channel(id);
            assert!(
                c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ":-".contains(ch)),
                "{c}"
            );
        }
    }
}

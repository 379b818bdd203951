//! People joining and leaving a house, as the host tells it (`person.joined`, `person.left`):
//! the house chat says so with their address, their record starts counting their time in the
//! house, and a deleted account's name is taken out of everything they wrote (ФЗ-152).

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::model::{COMMENTS, MESSAGES, PEOPLE, POSTS, READS, Settings};
use crate::people;
use crate::rooms::RoomKind;

#[derive(Deserialize)]
struct Change {
    person_id: String,
    #[serde(default)]
    deleted: bool,
}

/// The name shown for someone whose account was deleted.
pub const DELETED_NAME_RU: &str = "Удалённый пользователь";

/// Handle a host event about membership.
pub fn on_event(event: &Event) -> Result<()> {
    let change: Change = event.payload()?;
    let house = event.community.clone();
    match event.kind.as_str() {
        "person.joined" => joined(event, &house, &change.person_id),
        "person.left" if change.deleted => forget(&house, &change.person_id),
        "person.left" => left(event, &house, &change.person_id),
        _ => Ok(()),
    }
}

fn house_room(house: &str) -> Result<Option<String>> {
    if !crate::chat::is_house(house) {
        return Ok(None);
    }
    let settings = Settings::load()?;
    Ok(crate::chat::rooms_of_house(house, &settings.rooms)
        .into_iter()
        .find(|r| r.kind == RoomKind::House)
        .map(|r| r.id))
}

fn joined(event: &Event, house: &str, person: &str) -> Result<()> {
    let Some(info) = directory::person(person) else {
        return Ok(());
    };
    let id = people::record_id(house, person);
    let mut record = people::record(house, person, &info.display_name)?;
    if record.data.member_since > event.occurred || record.data.name != info.display_name {
        record.data.member_since = record.data.member_since.min(event.occurred);
        record.data.name = info.display_name.clone();
        PEOPLE.put(house, &id, &record.data, Some(record.version))?;
    }
    let Some(room) = house_room(house)? else {
        return Ok(());
    };
    let units = directory::units_of(person);
    let who = match crate::access::address_in(&units, house) {
        Some(address) => format!("{}, {address}", info.display_name),
        None => info.display_name.clone(),
    };
    crate::chat::note(
        house,
        &room,
        &format!("joined-{}", event.id),
        person,
        &format!("Новый сосед в чатах дома: {who}"),
        event.occurred,
    )
}

fn left(event: &Event, house: &str, person: &str) -> Result<()> {
    let Some(room) = house_room(house)? else {
        return Ok(());
    };
    let name = PEOPLE
        .get(&people::record_id(house, person))?
        .map(|d| d.data.name)
        .filter(|n| !n.is_empty())
        .or_else(|| directory::person(person).map(|p| p.display_name));
    let Some(name) = name else {
        return Ok(());
    };
    crate::chat::note(
        house,
        &room,
        &format!("left-{}", event.id),
        person,
        &format!("Больше не в чатах дома: {name}"),
        event.occurred,
    )
}

/// Take a deleted person's name out of their posts, comments and messages here, drop the
/// chats' notes naming them and their records, and refresh the open pages of the rooms touched.
fn forget(_house: &str, person: &str) -> Result<()> {
    let mut posts = POSTS
        .query()
        .filter("author", Compare::Eq, person)
        .fetch_all()?;
    for p in &mut posts {
        p.data.author_name = DELETED_NAME_RU.into();
        p.data.author_address = None;
    }
    if !posts.is_empty() {
        POSTS.put_many_checked(&posts)?;
    }
    let mut comments = COMMENTS
        .query()
        .filter("author", Compare::Eq, person)
        .fetch_all()?;
    for c in &mut comments {
        c.data.author_name = DELETED_NAME_RU.into();
    }
    if !comments.is_empty() {
        COMMENTS.put_many_checked(&comments)?;
    }
    let mut messages = MESSAGES
        .query()
        .filter("author", Compare::Eq, person)
        .fetch_all()?;
    for m in &mut messages {
        m.data.author_name = DELETED_NAME_RU.into();
        m.data.author_label = None;
    }
    if !messages.is_empty() {
        MESSAGES.put_many_checked(&messages)?;
    }
    // The chats' notes naming them («Новый сосед в чатах дома: …») go, from the open pages too.
    let notes = MESSAGES
        .query()
        .filter("about", Compare::Eq, person)
        .fetch_all()?;
    let mut rooms: Vec<(String, String)> = Vec::new();
    for note in &notes {
        MESSAGES.delete(&note.id)?;
        let house = note.community.clone();
        if !rooms
            .iter()
            .any(|(h, r)| *h == house && *r == note.data.room)
        {
            rooms.push((house, note.data.room.clone()));
        }
    }
    for m in &messages {
        if !rooms
            .iter()
            .any(|(h, r)| *h == m.community && *r == m.data.room)
        {
            rooms.push((m.community.clone(), m.data.room.clone()));
        }
    }
    for (house, room) in rooms {
        crate::chat::republish(&house, &room)?;
    }
    for doc in PEOPLE
        .query()
        .filter("person", Compare::Eq, person)
        .fetch_all()?
    {
        PEOPLE.delete(&doc.id)?;
    }
    for doc in READS
        .query()
        .filter("person", Compare::Eq, person)
        .fetch_all()?
    {
        READS.delete(&doc.id)?;
    }
    Ok(())
}

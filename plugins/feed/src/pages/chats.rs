//! The house chats: the list of one's rooms with unread counts and the digest choice, a room
//! with its live history, its members, and a message to report.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use super::home_link;
use crate::access::{self, Here};
use crate::chat::{self, Sent};
use crate::model::{DigestChoice, Settings};
use crate::rooms::{Room, RoomKind};

fn chats_link() -> Link {
    Link::to("chats", tr("Чаты", "Chats"))
}

fn room_link(room: &Room) -> Link {
    Link::to(
        format!("chats/{}", chat::slug(&room.id)),
        room.title.clone(),
    )
}

/// The caller's rooms in the house.
pub fn list() -> Result<Page> {
    let here = Here::caller()?;
    let house = ctx::community();
    if !chat::is_house(&house) {
        let houses: Vec<String> = access::units_here(&here.caller)
            .into_iter()
            .filter_map(|u| directory::community(&u.community).map(|c| c.name))
            .collect();
        let mut text = tr(
            "Чаты есть у каждого дома: откройте «Соседи» на странице своего дома.",
            "Every house has its chats: open «Neighbours» on your house's page.",
        )
        .to_owned();
        if !houses.is_empty() {
            text.push_str(&format!(
                " {} {}.",
                tr("Ваш дом:", "Your house:"),
                houses.join(", ")
            ));
        }
        return Ok(Page::new(tr("Чаты", "Chats"))
            .breadcrumb(home_link())
            .section(Section::untitled().paragraph(text)));
    }
    let rooms = chat::my_rooms(&here)?;
    if rooms.is_empty() {
        return Err(access::not_a_neighbour());
    }
    let record = crate::people::of_caller(&here.caller)?;
    let rows = rooms.iter().map(|(room, unread)| {
        Row::new([
            Cell::from(room_link(room)),
            if *unread > 0 {
                Cell::from(Badge::new(
                    format!("{unread} {}", tr("новых", "new")),
                    Tone::Info,
                ))
            } else {
                Cell::from(tr("нет новых", "none new"))
            },
        ])
        .link(room_link(room))
    });
    let choice = record.data.digest;
    let settings = Settings::load()?;
    Ok(Page::new(tr("Чаты дома", "House chats"))
        .breadcrumb(home_link())
        .section(
            Section::untitled()
                .paragraph(tr(
                    "Вы в чатах по своему адресу: дома, подъезда, своих соседей по квартирам и с управляющей компанией.",
                    "You are in the chats of your address: the house, your entrance, your neighbouring flats, and with the management company.",
                ))
                .table(
                    Table::new([Column::text(tr("Чат", "Chat")), Column::text(tr("Сообщения", "Messages"))])
                        .rows(rows),
                ),
        )
        .section(
            Section::titled(tr("Сводка пропущенного", "A digest of what you missed")).form(
                Form::new("digest", tr("Сохранить", "Save")).field(
                    Field::radio(
                        "digest",
                        format!(
                            "{} {} {}",
                            tr("Если я не заглядывал в чаты", "If I have not looked at the chats for"),
                            settings.digest_after_hours,
                            tr("ч, присылать сводку", "hours, send a digest")
                        ),
                        [DigestChoice::Off, DigestChoice::Email, DigestChoice::Sms]
                            .map(|c| (c.code(), c.label())),
                    )
                    .value(choice.code()),
                ),
            ),
        ))
}

/// The caller chooses their digest.
pub fn set_digest(form: &Params) -> Result<ActionOutcome> {
    let here = Here::caller()?;
    let choice = DigestChoice::parse(form.get("digest").unwrap_or_default()).ok_or_else(|| {
        Error::invalid(
            "digest",
            tr("Выберите, как присылать", "choose how to send it"),
        )
    })?;
    set_digest_choice(&here, choice)?;
    Ok(ActionOutcome::redirect(
        chats_link(),
        tr("Сохранено", "Saved"),
    ))
}

/// Store the caller's digest choice.
pub fn set_digest_choice(here: &Here, choice: DigestChoice) -> Result<()> {
    crate::people::update(here.id(), &here.caller.display_name, |p| p.digest = choice)
}

/// A room: its live history and the message form.
pub fn room(slug: &str, query: &Params) -> Result<Page> {
    let (here, room) = chat::room_for_caller(slug)?;
    let settings = Settings::load()?;
    let house = ctx::community();
    let mut page = Page::new(room.title.clone())
        .breadcrumb(home_link())
        .breadcrumb(chats_link());
    if let Some(before) = query.int("before")? {
        // Older history: not live.
        let (docs, more) = chat::history(&room.id, settings.limits.history, Some(before))?;
        let mut section = Section::titled(tr("Раньше", "Earlier"));
        if docs.is_empty() {
            section = section.paragraph(tr("Раньше сообщений нет.", "No earlier messages."));
        } else {
            section = section.block(dvor_sdk::ui::Block::Timeline(
                docs.iter().map(|d| chat::entry(&d.data)).collect(),
            ));
        }
        let mut links = vec![Link::to(
            format!("chats/{slug}"),
            tr("К новым сообщениям", "To the newest messages"),
        )];
        if more && let Some(first) = docs.first() {
            links.push(
                Link::to(format!("chats/{slug}"), tr("Ещё раньше", "Even earlier"))
                    .param("before", first.data.at.to_string()),
            );
        }
        return Ok(page.section(section.links(links)));
    }
    let (docs, more) = chat::history(&room.id, settings.limits.history, None)?;
    let mut messages = Section::titled(tr("Сообщения", "Messages")).live(chat::channel(&room.id));
    for block in chat::blocks_of(&docs) {
        messages = messages.block(block);
    }
    page = page.section(messages);
    page = page.section(
        Section::untitled().form(
            Form::new("send", tr("Отправить", "Send")).field(
                Field::multiline("text", tr("Сообщение", "Message"))
                    .required()
                    .max_length(settings.limits.message_chars as u32)
                    // Said whether the room is empty or not: the first message arrives live
                    // too, and a "no messages yet" would stay beside it.
                    .help(tr(
                        "Новые сообщения появляются сами, без обновления страницы.",
                        "New messages appear by themselves, without reloading.",
                    )),
            ),
        ),
    );
    let mut links = Vec::new();
    if more && let Some(first) = docs.first() {
        links.push(
            Link::to(format!("chats/{slug}"), tr("Раньше", "Earlier"))
                .param("before", first.data.at.to_string()),
        );
    }
    links.push(Link::to(
        format!("chats/{slug}/members"),
        tr("Участники", "Members"),
    ));
    links.push(Link::to(
        format!("chats/{slug}/report"),
        tr("Пожаловаться на сообщение", "Report a message"),
    ));
    page = page.section(Section::untitled().links(links));
    // Looking at the room reads it.
    let now = ctx::now();
    chat::mark_read(&house, &room.id, here.id(), now)?;
    crate::people::update(here.id(), &here.caller.display_name, |p| p.last_seen = now)?;
    Ok(page)
}

/// A message from the room's form.
pub fn send(slug: &str, form: &Params) -> Result<ActionOutcome> {
    let (here, room) = chat::room_for_caller(slug)?;
    let back = Link::to(format!("chats/{slug}"), room.title.clone());
    match chat::send(&here, &room, form.get("text").unwrap_or_default())? {
        Sent::Published(_) => Ok(ActionOutcome::redirect_silently(back)),
        Sent::Held(_) => Ok(ActionOutcome::redirect(back, chat::held_notice())),
    }
}

/// Who is in a room, with their address.
pub fn members(slug: &str) -> Result<Page> {
    let room = chat::room_with_units(slug)?;
    let house = ctx::community();
    let mut people: Vec<(String, String, String)> = Vec::new();
    let mut add = |id: String, name: String, label: String| {
        if !people.iter().any(|(known, _, _)| *known == id) {
            people.push((id, name, label));
        }
    };
    let units = directory::units(&house);
    for unit in units.iter().filter(|u| room.units.contains(&u.id)) {
        for owner in directory::owners(&unit.id) {
            if let Some(person) = directory::person(&owner.person_id) {
                add(
                    owner.person_id,
                    person.display_name,
                    access::unit_label(unit),
                );
            }
        }
    }
    for id in directory::people_with_role(&house, "resident") {
        let theirs: Vec<_> = directory::units_of(&id)
            .into_iter()
            .filter(|u| room.units.contains(&u.id))
            .collect();
        let label = access::address_in(&theirs, &house);
        let in_room = label.is_some() || matches!(room.kind, RoomKind::House | RoomKind::Staff);
        if in_room && let Some(person) = directory::person(&id) {
            add(id, person.display_name, label.unwrap_or_default());
        }
    }
    if room.with_staff {
        for org in directory::organizations(&house, None)
            .into_iter()
            .filter(|o| o.kind == "management-company" || o.kind == "hoa")
        {
            for role in ["operator", "executor"] {
                for id in directory::staff_of(&org.id, &house, role) {
                    if let Some(person) = directory::person(&id) {
                        add(id, person.display_name, org.name.clone());
                    }
                }
            }
        }
    }
    people.sort_by(|a, b| directory::cmp_unit_numbers(&a.2, &b.2).then(a.1.cmp(&b.1)));
    let count = people.len() as u64;
    let rows = people
        .into_iter()
        .map(|(_, name, label)| Row::new([Cell::from(name), Cell::from(label)]));
    Ok(
        Page::new(format!("{}: {}", room.title, tr("участники", "members")))
            .breadcrumb(home_link())
            .breadcrumb(chats_link())
            .breadcrumb(room_link(&room))
            .section(
                Section::untitled()
                    .paragraph(format!(
                        "{}. {}",
                        crate::text::plural(count, "участник", "участника", "участников"),
                        tr(
                            "Участники приходят и уходят вместе со своим адресом в реестре дома.",
                            "Members come and go with their address in the house's register.",
                        )
                    ))
                    .table(
                        Table::new([
                            Column::text(tr("Кто", "Who")),
                            Column::text(tr("Адрес", "Address")),
                        ])
                        .rows(rows)
                        .empty_text(tr("Пока никого", "Nobody yet")),
                    ),
            ),
    )
}

/// The room's recent messages, each to report.
pub fn report(slug: &str) -> Result<Page> {
    let (here, room) = chat::room_for_caller(slug)?;
    let settings = Settings::load()?;
    let (docs, _) = chat::history(&room.id, settings.limits.history, None)?;
    let rows = docs
        .iter()
        .rev()
        .filter(|d| {
            d.data.author != here.caller.person_id && d.data.author != crate::model::SYSTEM_AUTHOR
        })
        .map(|d| {
            Row::new([
                Cell::datetime(d.data.at),
                Cell::from(d.data.author_name.clone()),
                Cell::from(crate::text::shorten(&d.data.text, 100)),
            ])
            .link(Link::to(
                format!("messages/{}/report", d.id),
                tr("Пожаловаться", "Report"),
            ))
        });
    Ok(
        Page::new(tr("Пожаловаться на сообщение", "Report a message"))
            .breadcrumb(home_link())
            .breadcrumb(chats_link())
            .breadcrumb(room_link(&room))
            .section(
                Section::untitled()
                    .paragraph(tr("Выберите сообщение.", "Choose the message."))
                    .table(
                        Table::new([
                            Column::text(tr("Когда", "When")),
                            Column::text(tr("Кто", "Who")),
                            Column::text(tr("Сообщение", "Message")),
                        ])
                        .rows(rows)
                        .empty_text(tr(
                            "Нет сообщений других участников",
                            "No messages of others",
                        )),
                    ),
            ),
    )
}

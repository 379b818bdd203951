//! The `feed` plugin: the neighbours' feed of a place (entrance, house, yard, district) with
//! typed posts, and the house chats generated from the register of units — moderated on the
//! server and accountably (RULES §9): no end-to-end encryption, so the house's rules can be
//! enforced and every decision has a reason the author sees and may appeal. See `docs/feed.md`.
//!
//! The domain logic is pure and tested natively (`cargo test -p feed`):
//!
//! - [`reports`]: reports weighted by the reporter's standing; a post hidden once they weigh
//!   enough.
//! - [`words`]: watched words (block, or hold for approval), matched on normalized Russian text.
//! - [`gate`]: what happens to a new post or message: published, held (a new member's first
//!   posts, watched words) or blocked; rate limits per person.
//! - [`decisions`]: moderators' decisions with reasons, and the author's appeal.
//! - [`posts`]: post types with their lifecycles and expiry, and «пойду» counts of events.
//! - [`rooms`]: chat rooms from the register: the house, each entrance, pools of 10–15 flats,
//!   and a room with the management company's staff.
//!
//! The plugin around it, on contract 0.2:
//!
//! - [`model`]: what is stored, and the settings; [`access`]: who may do what where;
//!   [`people`]: a person's standing and choices in their house.
//! - [`feed`] and [`comments`]: posts, their steps, reactions, «пойду», comments and mentions.
//! - [`chat`]: rooms, messages, history, unread counts, the live channels.
//! - [`moderation`]: reports, the queue, decisions, appeals, watched words.
//! - [`members`]: the host's `person.joined` / `person.left`; [`digest`]: the chats digest
//!   job; [`demo`]: the demo's seed.
//! - `pages` and `api`: the typed pages and the JSON API over the same operations.

pub mod decisions;
pub mod gate;
pub mod posts;
pub mod reports;
pub mod rooms;
pub mod words;

pub mod access;
pub mod chat;
pub mod comments;
pub mod demo;
pub mod digest;
pub mod feed;
pub mod members;
pub mod model;
pub mod moderation;
pub mod people;
pub mod text;

mod api;
mod pages;

use dvor_sdk::prelude::*;

use crate::access::Here;

#[derive(Default)]
struct Feed;

impl Plugin for Feed {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        api::handle(&req)
    }

    fn render_page(&self, route: &str, query: &Params) -> Result<Page> {
        pages::render(route, query)
    }

    fn handle_action(&self, route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
        pages::act(route, action, form)
    }

    fn on_event(&self, event: Event) -> Result<()> {
        members::on_event(&event)
    }

    fn job(&self, job: Job) -> Result<JobStep> {
        match job.name.as_str() {
            "digest" => digest::run(&job),
            other => Err(Error::not_found(format!("no job `{other}`"))),
        }
    }

    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        let title = tr("Соседи", "Neighbours");
        let plain = || {
            (place == TilePlace::Community).then(|| {
                Tile::new(title).line(tr(
                    "Лента и чаты для жителей",
                    "The feed and chats of the people who live here",
                ))
            })
        };
        let Some(caller) = ctx::caller() else {
            return Ok(plain());
        };
        let here = Here::of(caller);
        if !here.may_take_part() {
            return Ok(plain());
        }
        let rooms = chat::my_rooms(&here)?;
        let unread: u64 = rooms.iter().map(|(_, n)| n).sum();
        if place == TilePlace::Person && unread == 0 {
            return Ok(None);
        }
        let mut tile = Tile::new(title);
        if unread > 0 {
            tile = tile
                .count(unread as i64)
                .tone(Tone::Info)
                .link(Link::to("chats", tr("Чаты дома", "House chats")));
            for (room, n) in rooms.iter().filter(|(_, n)| *n > 0).take(3) {
                tile = tile.line(format!("{}: {n} {}", room.title, tr("новых", "new")));
            }
        }
        if let Some(post) = feed::list(&here, None, None)?.posts.first() {
            tile = tile.line(post.data.heading());
        }
        Ok(Some(tile))
    }

    fn subscribe(&self, channel: &str) -> Result<()> {
        match channel.strip_prefix("room:") {
            Some(slug) => chat::room_for_caller(slug).map(|_| ()),
            None => Err(Error::not_found(tr("Нет такого канала", "no such channel"))),
        }
    }
}

dvor_sdk::plugin!(Feed, manifest = "dvor-plugin.toml");

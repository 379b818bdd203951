//! The JSON API under `/api/c/{community}/p/feed/` — the same operations as the pages, for
//! apps and scripts (docs/feed.md lists the routes).

use dvor_sdk::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::access::Here;
use crate::chat::{self, Sent};
use crate::comments::{self, NewComment};
use crate::feed::{self, NewPost};
use crate::model::{DigestChoice, MessageDoc, TargetKind};
use crate::moderation as mods;

fn message_json(doc: &Doc<MessageDoc>) -> serde_json::Value {
    json!({
        "id": doc.id,
        "room": doc.data.room,
        "author": doc.data.author,
        "author_name": doc.data.author_name,
        "author_label": doc.data.author_label,
        "text": doc.data.text,
        "at": doc.data.at,
        "moderation": doc.data.mod_state.moderation,
    })
}

/// Answer an API request.
pub fn handle(req: &ApiRequest) -> Result<ApiResponse> {
    let (method, path) = req.route();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match (method, parts.as_slice()) {
        ("GET", ["posts"]) => {
            let here = Here::require_part()?;
            let page = feed::list(&here, req.param("type"), req.param("cursor"))?;
            ApiResponse::ok(&json!({
                "pinned": page.pinned,
                "posts": page.posts,
                "next_cursor": page.next,
            }))
        }
        ("POST", ["posts"]) => {
            let input: NewPost = req.json()?;
            ApiResponse::created(&feed::create(&input)?)
        }
        ("GET", ["posts", id]) => {
            let here = Here::require_part()?;
            let post = feed::visible(&here, id)?;
            let threads: Vec<serde_json::Value> = comments::threads(id)?
                .into_iter()
                .map(|(root, answers)| json!({ "comment": root, "answers": answers }))
                .collect();
            ApiResponse::ok(&json!({ "post": post, "threads": threads }))
        }
        ("POST", ["posts", id, "comments"]) => {
            let input: NewComment = req.json()?;
            let doc = comments::add(id, &input)?;
            ApiResponse::created(
                &json!({ "id": doc.id, "moderation": doc.data.mod_state.moderation }),
            )
        }
        ("POST", ["posts", id, "reactions"]) => {
            #[derive(Deserialize)]
            struct Body {
                reaction: String,
            }
            let body: Body = req.json()?;
            ApiResponse::ok(&json!({ "on": feed::react(id, &body.reaction)? }))
        }
        ("POST", ["posts", id, "going"]) => {
            #[derive(Deserialize)]
            struct Body {
                going: bool,
            }
            let body: Body = req.json()?;
            ApiResponse::ok(&json!({ "going": feed::going(id, body.going)? }))
        }
        ("POST", ["posts", id, "lifecycle"]) => {
            #[derive(Deserialize)]
            struct Body {
                action: String,
                #[serde(default)]
                helper: Option<String>,
            }
            let body: Body = req.json()?;
            let step = feed::parse_step(&body.action, body.helper.as_deref())?;
            ApiResponse::ok(&feed::step(id, &step)?)
        }
        ("POST", ["posts", id, "pin"]) => {
            #[derive(Deserialize)]
            struct Body {
                pinned: bool,
            }
            let body: Body = req.json()?;
            ApiResponse::ok(&feed::pin(id, body.pinned)?)
        }
        ("POST", [kind, id, "reports"]) => {
            let kind = TargetKind::from_route(kind)
                .ok_or_else(|| Error::not_found(tr("Нет такого адреса", "no such route")))?;
            #[derive(Deserialize)]
            struct Body {
                reason: String,
                #[serde(default)]
                note: Option<String>,
            }
            let body: Body = req.json()?;
            let reason = mods::parse_reason(&body.reason)?;
            ApiResponse::created(&mods::report(kind, id, reason, body.note.as_deref())?)
        }
        ("GET", ["chats"]) => {
            let here = Here::caller()?;
            let rooms: Vec<serde_json::Value> = chat::my_rooms(&here)?
                .into_iter()
                .map(|(room, unread)| {
                    json!({
                        "id": room.id,
                        "slug": chat::slug(&room.id),
                        "channel": chat::channel(&room.id),
                        "title": room.title,
                        "kind": room.kind,
                        "unread": unread,
                    })
                })
                .collect();
            ApiResponse::ok(&json!({ "rooms": rooms }))
        }
        ("GET", ["chats", slug, "messages"]) => {
            let (_, room) = chat::room_for_caller(slug)?;
            let before = req.params().int("before")?;
            let limit = req.params().int("limit")?.unwrap_or(50).clamp(1, 200) as u32;
            let (docs, more) = chat::history(&room.id, limit, before)?;
            ApiResponse::ok(&json!({
                "messages": docs.iter().map(message_json).collect::<Vec<_>>(),
                "more": more,
            }))
        }
        ("POST", ["chats", slug, "messages"]) => {
            #[derive(Deserialize)]
            struct Body {
                text: String,
            }
            let body: Body = req.json()?;
            let (here, room) = chat::room_for_caller(slug)?;
            match chat::send(&here, &room, &body.text)? {
                Sent::Published(doc) => ApiResponse::created(&message_json(&doc)),
                Sent::Held(doc) => ApiResponse::json(202, &message_json(&doc)),
            }
        }
        ("PUT", ["digest"]) => {
            #[derive(Deserialize)]
            struct Body {
                digest: String,
            }
            let body: Body = req.json()?;
            let choice = DigestChoice::parse(&body.digest).ok_or_else(|| {
                Error::invalid(
                    "digest",
                    tr(
                        "Ожидается off, email или sms",
                        "off, email or sms is expected",
                    ),
                )
            })?;
            let here = Here::caller()?;
            crate::people::update(here.id(), &here.caller.display_name, |p| p.digest = choice)?;
            ApiResponse::ok(&json!({ "digest": choice }))
        }
        ("GET", ["moderation"]) => {
            let caller = ctx::require_caller()?;
            if !crate::access::moderates_somewhere_here(&caller) {
                return Err(Error::forbidden(tr(
                    "Это для модераторов",
                    "this is for moderators",
                )));
            }
            ApiResponse::ok(&json!({
                "waiting": mods::queue(&caller)?,
                "appeals": mods::appeals_for(&caller)?,
            }))
        }
        ("POST", ["moderation", kind, id]) => {
            let kind = TargetKind::from_route(kind)
                .ok_or_else(|| Error::not_found(tr("Нет такого адреса", "no such route")))?;
            #[derive(Deserialize)]
            struct Body {
                action: String,
                #[serde(default)]
                reason: String,
            }
            let body: Body = req.json()?;
            let action = mods::parse_action(&body.action)?;
            ApiResponse::created(&mods::decide(kind, id, action, &body.reason)?)
        }
        ("POST", ["moderation", "words"]) => {
            #[derive(Deserialize)]
            struct Body {
                pattern: String,
                #[serde(default)]
                action: String,
                #[serde(default)]
                mode: String,
            }
            let body: Body = req.json()?;
            ApiResponse::created(&mods::add_word(&body.pattern, &body.action, &body.mode)?)
        }
        ("DELETE", ["moderation", "words", id]) => {
            if mods::remove_word(id)? {
                Ok(ApiResponse::no_content())
            } else {
                Err(Error::not_found(tr("Нет такого слова", "no such word")))
            }
        }
        ("GET", ["decisions"]) => {
            let caller = ctx::require_caller()?;
            ApiResponse::ok(&json!({ "decisions": mods::decisions_of(&caller.person_id)? }))
        }
        ("GET", ["decisions", id]) => ApiResponse::ok(&mods::decision_for_caller(id)?.1),
        ("POST", ["decisions", id, "appeal"]) => {
            #[derive(Deserialize)]
            struct Body {
                text: String,
            }
            let body: Body = req.json()?;
            ApiResponse::ok(&mods::appeal(id, &body.text)?)
        }
        ("POST", ["decisions", id, "resolve"]) => {
            #[derive(Deserialize)]
            struct Body {
                upheld: bool,
                #[serde(default)]
                reason: String,
            }
            let body: Body = req.json()?;
            ApiResponse::ok(&mods::resolve(id, body.upheld, &body.reason)?)
        }
        _ => Err(Error::not_found(tr("Нет такого адреса", "no such route"))),
    }
}

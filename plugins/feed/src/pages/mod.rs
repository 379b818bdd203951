//! The plugin's pages, drawn by the host, phone first: the feed and its posts
//! ([`posts`]), the chats ([`chats`]), and moderation ([`moderation`]).
//!
//! | route | page |
//! |---|---|
//! | `` | the feed of the place |
//! | `new` | a new post |
//! | `posts/{id}` | a post with its comments |
//! | `{posts,comments,messages}/{id}/report` | reporting a text |
//! | `chats`, `chats/{room}`, `chats/{room}/members`, `chats/{room}/report` | the house chats |
//! | `moderation`, `moderation/{kind}/{id}`, `moderation/words` | the moderators' queue, a decision, the watched words |
//! | `decisions`, `decisions/{id}` | decisions on one's texts, and appeals |

mod chats;
mod moderation;
mod posts;

use dvor_sdk::prelude::*;

/// The page at `route`.
pub fn render(route: &str, query: &Params) -> Result<Page> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => posts::home(query),
        ["new"] => posts::new_post(),
        ["posts", id] => posts::post(id, query),
        [kind @ ("posts" | "comments" | "messages"), id, "report"] => posts::report(kind, id),
        ["chats"] => chats::list(),
        ["chats", room] => chats::room(room, query),
        ["chats", room, "members"] => chats::members(room),
        ["chats", room, "report"] => chats::report(room),
        ["moderation"] => moderation::queue(),
        ["moderation", "words"] => moderation::words(),
        ["moderation", kind, id] => moderation::item(kind, id),
        ["decisions"] => moderation::decisions(),
        ["decisions", id] => moderation::decision(id),
        _ => Err(not_found()),
    }
}

/// Run `action` posted from the page at `route`.
pub fn act(route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    let outcome = match (parts.as_slice(), action) {
        ([] | ["new"], "create-post") => posts::create(form),
        (["posts", id], _) => posts::act(id, action, form),
        ([kind @ ("posts" | "comments" | "messages"), id, "report"], "report") => {
            posts::send_report(kind, id, form)
        }
        (["chats"], "digest") => chats::set_digest(form),
        (["chats", room], "send") => chats::send(room, form),
        (["moderation", "words"], "add-word") => moderation::add_word(form),
        (["moderation", "words"], "remove-word") => moderation::remove_word(form),
        (["moderation", kind, id], "decide") => moderation::decide(kind, id, form),
        (["decisions", id], "appeal") => moderation::appeal(id, form),
        (["decisions", id], "resolve-appeal") => moderation::resolve(id, form),
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    };
    ActionOutcome::errors_next_to_fields(outcome)
}

fn not_found() -> Error {
    Error::not_found(tr("Нет такой страницы", "no such page"))
}

/// The link back to the feed, first of every page's breadcrumbs.
fn home_link() -> Link {
    Link::to("", tr("Соседи", "Neighbours"))
}

/// Who wrote something, as a line: `Анна Петрова · кв. 12`, or the company.
fn byline(name: &str, address: Option<&str>, organization: Option<&str>) -> String {
    match (organization, address) {
        (Some(org), _) if org == name => org.to_owned(),
        (Some(org), _) => format!("{org} · {name}"),
        (None, Some(address)) => format!("{name} · {address}"),
        (None, None) => name.to_owned(),
    }
}

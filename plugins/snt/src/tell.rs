//! Notifications to the partnership's people: one person, a plot's holders, the board, or every
//! plot (announcements, and alerts that go by SMS too).

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message, Urgency};
use dvor_sdk::prelude::*;

use crate::model::{Record, Standing};

/// The web address of a page of the plugin in the call's partnership: `/c/{snt}/p/snt/{route}`.
pub fn page_link(route: &str) -> String {
    page_link_at(&ctx::community(), route)
}

/// The web address of a page of the plugin in partnership `community`.
pub fn page_link_at(community: &str, route: &str) -> String {
    let base = format!("/c/{community}/p/snt");
    if route.is_empty() {
        base
    } else {
        format!("{base}/{route}")
    }
}

/// Notify `people` (duplicates and blanks dropped) with a message in both languages, opening
/// page `route` of the call's partnership.
pub fn tell(
    people: &[String],
    title: (&str, &str),
    body: (String, String),
    route: &str,
    urgency: Urgency,
) -> Result<()> {
    tell_at(&ctx::community(), people, title, body, route, urgency)
}

/// [`tell`] about partnership `community` (from a job running above it).
pub fn tell_at(
    community: &str,
    people: &[String],
    title: (&str, &str),
    body: (String, String),
    route: &str,
    urgency: Urgency,
) -> Result<()> {
    let mut people: Vec<String> = people.iter().filter(|p| !p.is_empty()).cloned().collect();
    people.sort();
    people.dedup();
    if people.is_empty() {
        return Ok(());
    }
    notifications::notify(
        &people,
        &Message::new(
            Localized::new(title.0, title.1),
            Localized::new(body.0, body.1),
        )
        .link(page_link_at(community, route))
        .urgency(urgency),
    )
}

/// The board: the chairman and the board members of the call's partnership.
pub fn board() -> Vec<String> {
    board_of(&ctx::community())
}

/// The chairman and the board members of partnership `community`.
pub fn board_of(community: &str) -> Vec<String> {
    let mut people = directory::people_with_role(community, "chairman");
    people.extend(directory::people_with_role(community, "board"));
    people
}

/// Everyone of every plot: the register's people with an account, the host's owners of the
/// plots, and the host's members.
pub fn everyone(records: &[Doc<Record>]) -> Vec<String> {
    let here = ctx::community();
    let mut people: Vec<String> = records
        .iter()
        .filter(|r| r.data.standing != Standing::Former)
        .filter_map(|r| r.data.person_id.clone())
        .collect();
    for unit in crate::access::plots() {
        people.extend(directory::owners(&unit.id).into_iter().map(|o| o.person_id));
    }
    people.extend(directory::people_with_role(&here, "snt-member"));
    people.sort();
    people.dedup();
    people
}

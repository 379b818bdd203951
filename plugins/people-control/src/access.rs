//! Who may see and do what with an appeal:
//!
//! - its author always sees it and talks on it;
//! - staff (operators, executors, officials) of the organization it is routed to see it once it
//!   is published, and work it;
//! - moderators (and admins) of a community see and moderate every appeal in its subtree;
//! - everyone else sees a public appeal once it is published, and nothing else (404).
//!
//! Roles come from the host with the community they are held in, so a moderator of one house
//! calling at the town level moderates that house only.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::model::{Appeal, Moderation};

/// Whether the caller holds one of `roles` (not as staff of an organization) in `community`
/// or above it. The host passes the roles held at, above and inside the call's community; one
/// held above it is outside the call's scope, so the directory does not know it, and it covers
/// the whole scope.
fn holds_at(caller: &ctx::Caller, roles: &[&str], community: &str) -> bool {
    let chain = directory::ancestry(community);
    caller.roles.iter().any(|role| {
        roles.contains(&role.name.as_str())
            && role.organization.is_none()
            && match &role.community {
                None => true,
                Some(held) => chain.contains(held) || directory::community(held).is_none(),
            }
    })
}

/// Whether the caller moderates appeals in `community`.
pub fn is_moderator_at(caller: &ctx::Caller, community: &str) -> bool {
    holds_at(caller, &["moderator", "admin"], community)
}

/// Whether the caller moderates anywhere in the call's community.
pub fn is_moderator_here(caller: &ctx::Caller) -> bool {
    let scope = ctx::community();
    is_moderator_at(caller, &scope)
        || caller.roles.iter().any(|r| {
            (r.name == "moderator" || r.name == "admin")
                && r.organization.is_none()
                && r.community
                    .as_deref()
                    .is_some_and(|c| directory::community(c).is_some())
        })
}

/// The organizations whose staff the caller is.
pub fn staff_of(caller: &ctx::Caller) -> Vec<String> {
    let mut organizations: Vec<String> = caller
        .roles
        .iter()
        .filter(|r| matches!(r.name.as_str(), "operator" | "executor" | "official"))
        .filter_map(|r| r.organization.clone())
        .collect();
    organizations.sort();
    organizations.dedup();
    organizations
}

/// Whether the caller works for the organization `appeal` is routed to.
pub fn is_handler(caller: &ctx::Caller, appeal: &Appeal) -> bool {
    appeal.moderation == Moderation::Approved
        && appeal
            .organization
            .as_ref()
            .is_some_and(|org| staff_of(caller).contains(org))
}

/// What the caller is to an appeal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// They filed it.
    pub author: bool,
    /// They work for the organization it is routed to.
    pub handler: bool,
    /// They moderate its community.
    pub moderator: bool,
}

impl Standing {
    /// Whether they may see the contact details and the internal notes.
    pub fn handles(self) -> bool {
        self.handler || self.moderator
    }
}

/// The caller's standing to the appeal in `community`.
pub fn standing(caller: Option<&ctx::Caller>, appeal: &Appeal, community: &str) -> Standing {
    match caller {
        None => Standing {
            author: false,
            handler: false,
            moderator: false,
        },
        Some(caller) => Standing {
            author: caller.person_id == appeal.author,
            handler: is_handler(caller, appeal),
            moderator: is_moderator_at(caller, community),
        },
    }
}

/// Whether anyone may see the appeal.
pub fn is_public(appeal: &Appeal) -> bool {
    appeal.public && appeal.moderation == Moderation::Approved
}

/// Whether someone of `standing` may see the appeal.
pub fn may_see(standing: Standing, appeal: &Appeal) -> bool {
    standing.author || standing.handler || standing.moderator || is_public(appeal)
}

/// The answer for an appeal the caller may not see: the same as for one that does not exist.
pub fn not_found() -> Error {
    Error::not_found(tr("Нет такого обращения", "no such appeal"))
}

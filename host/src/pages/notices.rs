//! The one list of announcements on a place's page: the host's own (what the place's managers
//! and officials publish) together with those of plugins that keep announcements of their own
//! (housing's outage notices), urgent first and then newest first, each saying who published it
//! and for which dates.
//!
//! A plugin takes part by declaring a collection named `announcements` and answering
//! `GET announcements` with `{"announcements": [{title, text, kind?, from?, until?,
//! organization?, at?}]}`: `kind = "outage"` is urgent, `from`/`until` are days (`YYYY-MM-DD`),
//! `organization` an organization's id, `at` when it was published (ms).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::http::AppState;
use crate::runtime::latest::dvor::plugin::context::CallTrigger;
use crate::runtime::latest::exports::dvor::plugin::plugin::ApiRequest;
use crate::runtime::{CallContext, Invocation, Outcome};
use crate::web;

/// An announcement as the place's page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// The title.
    pub title: String,
    /// The text.
    pub text: String,
    /// Who published it: an organization's name, or the place's.
    pub publisher: String,
    /// When it was published (ms), for the order.
    pub published: i64,
    /// Its dates as people read them (`с 01.12.2026 по 03.12.2026`).
    pub dates: String,
    /// An outage: shown first and marked.
    pub urgent: bool,
}

/// What a plugin's `GET announcements` answers.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    announcements: Vec<PluginNotice>,
}

#[derive(Deserialize)]
struct PluginNotice {
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    at: Option<i64>,
}

/// `2026-12-01` as the locale writes a day; anything else as given.
fn day_text(day: &str, locale: &str) -> String {
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) if locale == "en" => d.format("%Y-%m-%d").to_string(),
        Ok(d) => d.format("%d.%m.%Y").to_string(),
        Err(_) => day.to_owned(),
    }
}

/// «с 01.12.2026 по 03.12.2026», «с 01.12.2026», «по 03.12.2026».
fn dates_text(from: Option<&str>, until: Option<&str>, locale: &str) -> String {
    let (since, till) = if locale == "en" {
        ("from", "until")
    } else {
        ("с", "по")
    };
    match (from, until) {
        (Some(f), Some(u)) => format!(
            "{since} {} {till} {}",
            day_text(f, locale),
            day_text(u, locale)
        ),
        (Some(f), None) => format!("{since} {}", day_text(f, locale)),
        (None, Some(u)) => format!("{till} {}", day_text(u, locale)),
        (None, None) => String::new(),
    }
}

/// Urgent first, then the newest.
pub fn in_order(mut notices: Vec<Notice>) -> Vec<Notice> {
    notices.sort_by_key(|n| (!n.urgent, std::cmp::Reverse(n.published)));
    notices
}

/// Every announcement in force at `community`, host's and plugins', in the page's order.
pub async fn current(
    state: &AppState,
    caller: Option<crate::runtime::Caller>,
    locale: &str,
    community: &str,
) -> Result<Vec<Notice>, crate::error::AppError> {
    let shared = state.runtime.shared();
    let tree = shared.communities();
    let db = shared.db.connection();
    let now = crate::identity::now_ms();
    let organizations: BTreeMap<String, String> = crate::identity::organizations::list(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut notices = Vec::new();
    for item in crate::announcements::current_for(db, &tree, community, now, 10).await? {
        let publisher = publisher_of(state, &item, &organizations).await?;
        let published = web::format_date(item.created, state.utc_offset_minutes, locale);
        let until = item
            .until
            .map(|u| web::format_date(u, state.utc_offset_minutes, locale));
        notices.push(Notice {
            title: item.title,
            text: item.text,
            publisher,
            published: item.created,
            dates: dates_text(Some(&published), until.as_deref(), locale),
            urgent: false,
        });
    }
    let plugins: Vec<_> = state
        .runtime
        .plugins()
        .values()
        .filter(|p| {
            p.manifest
                .capabilities
                .collections
                .iter()
                .any(|c| c == "announcements")
                && p.enabled_for
                    .iter()
                    .any(|root| tree.is_within(community, root))
        })
        .cloned()
        .collect();
    let asks = plugins.iter().map(|plugin| {
        let mut context = CallContext::anonymous(community, CallTrigger::Ui);
        context.caller = caller.clone();
        context.locale = locale.to_owned();
        let runtime = state.runtime.clone();
        let id = plugin.id().to_owned();
        async move {
            let request = ApiRequest {
                method: "GET".to_owned(),
                path: "announcements".to_owned(),
                query: Vec::new(),
                headers: Vec::new(),
                body: Vec::new(),
            };
            match runtime
                .call(&id, context, Invocation::Request(request))
                .await
            {
                Ok(Outcome::Response(answer)) if answer.status == 200 => {
                    serde_json::from_slice::<Answer>(&answer.body)
                        .map(|a| a.announcements)
                        .unwrap_or_default()
                }
                Ok(_) => Vec::new(),
                Err(error) => {
                    tracing::debug!(plugin = %id, %error, "no announcements");
                    Vec::new()
                }
            }
        }
    });
    let place_name = tree
        .get(community)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    for found in futures_util::future::join_all(asks).await {
        for item in found {
            let publisher = item
                .organization
                .as_ref()
                .and_then(|o| organizations.get(o).cloned())
                .unwrap_or_else(|| place_name.clone());
            let to_day =
                |d: &Option<String>| d.as_deref().map(|d| d.get(..10).unwrap_or(d).to_owned());
            notices.push(Notice {
                title: item.title,
                text: item.text,
                publisher,
                published: item.at.unwrap_or_default(),
                dates: dates_text(
                    to_day(&item.from).as_deref(),
                    to_day(&item.until).as_deref(),
                    locale,
                ),
                urgent: item.kind.as_deref() == Some("outage"),
            });
        }
    }
    Ok(in_order(notices))
}

/// Who published a host announcement, as residents are told: the organization its author
/// works for (an operator of the management company, an official of the administration), or
/// else the place it was published for (its chairman, board or admins).
async fn publisher_of(
    state: &AppState,
    item: &crate::announcements::Announcement,
    organizations: &BTreeMap<String, String>,
) -> Result<String, crate::error::AppError> {
    let shared = state.runtime.shared();
    let tree = shared.communities();
    let grants = crate::identity::roles::grants_of(shared.db.connection(), &item.author_id).await?;
    let areas = crate::identity::roles::organization_areas(shared.db.connection()).await?;
    let works_for = grants.iter().find_map(|g| {
        let org = g.organization_id.as_ref()?;
        let serves_here = areas.get(org).is_some_and(|served| {
            served.iter().any(|a| {
                tree.is_within(&item.community_id, a) || tree.is_within(a, &item.community_id)
            })
        });
        serves_here
            .then(|| organizations.get(org).cloned())
            .flatten()
    });
    Ok(works_for.unwrap_or_else(|| {
        tree.get(&item.community_id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }))
}

/// The section of the page: nothing when there is nothing to say.
pub fn section(notices: &[Notice], locale: &str) -> String {
    if notices.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<section class=\"section\" aria-labelledby=\"news\"><h2 id=\"news\">{}</h2>",
        if locale == "en" {
            "Announcements"
        } else {
            "Объявления"
        }
    );
    for n in notices {
        let (tone, mark) = if n.urgent {
            (
                "tone-warning",
                format!(
                    "<strong>{}</strong> ",
                    if locale == "en" {
                        "Outage."
                    } else {
                        "Отключение."
                    }
                ),
            )
        } else {
            ("tone-info", String::new())
        };
        let dates = if n.dates.is_empty() {
            String::new()
        } else {
            format!(" · {}", web::escape(&n.dates))
        };
        out.push_str(&format!(
            "<article class=\"notice {tone}\"><h3>{mark}{}</h3><p>{}</p><p class=\"help\">{}{dates}</p></article>",
            web::escape(&n.title),
            web::escape(&n.text),
            web::escape(&n.publisher),
        ));
    }
    out.push_str("</section>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(title: &str, published: i64, urgent: bool) -> Notice {
        Notice {
            title: title.to_owned(),
            text: String::new(),
            publisher: String::new(),
            published,
            dates: String::new(),
            urgent,
        }
    }

    #[test]
    fn outages_come_first_then_the_newest() {
        let order: Vec<String> = in_order(vec![
            notice("old news", 1, false),
            notice("old outage", 2, true),
            notice("new news", 5, false),
            notice("new outage", 4, true),
        ])
        .into_iter()
        .map(|n| n.title)
        .collect();
        assert_eq!(order, ["new outage", "old outage", "new news", "old news"]);
    }

    #[test]
    fn dates_are_written_as_people_read_them() {
        assert_eq!(
            dates_text(Some("2026-12-01"), Some("2026-12-03"), "ru"),
            "с 01.12.2026 по 03.12.2026"
        );
        assert_eq!(dates_text(None, Some("2026-12-03"), "ru"), "по 03.12.2026");
        assert_eq!(
            dates_text(Some("2026-12-01"), None, "en"),
            "from 2026-12-01"
        );
    }
}

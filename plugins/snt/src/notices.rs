//! Announcements and alerts to every plot: the board writes one, everyone of the partnership
//! gets it in the app, an emergency (a burst pipe, a fire, the power off) by SMS too — the
//! host's notifications with high urgency.

use dvor_sdk::notifications::Urgency;
use dvor_sdk::prelude::*;

use crate::access::{self, require_board};
use crate::model::{NOTICES, Notice};
use crate::tell::{everyone, tell};

/// Send an announcement (or, with `emergency`, an alert) to every plot.
pub fn announce(
    title: &str,
    text: &str,
    emergency: bool,
    until: Option<Date>,
) -> Result<Doc<Notice>> {
    let caller = require_board()?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 120 {
        return Err(Error::invalid(
            "title",
            tr(
                "Заголовок — от 1 до 120 знаков",
                "the title is 1–120 characters",
            ),
        ));
    }
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(Error::invalid(
            "text",
            tr(
                "Текст — от 1 до 2000 знаков",
                "the text is 1–2000 characters",
            ),
        ));
    }
    let today = ctx::today()?;
    if until.is_some_and(|u| u < today) {
        return Err(Error::invalid(
            "until",
            tr("Дата уже прошла", "the date has passed"),
        ));
    }
    let people = everyone(&access::all_records()?);
    tell(
        &people,
        if emergency {
            ("Срочно", "Urgent")
        } else {
            ("Объявление", "Announcement")
        },
        (format!("{title}. {text}"), format!("{title}. {text}")),
        "",
        if emergency {
            Urgency::High
        } else {
            Urgency::Normal
        },
    )?;
    NOTICES.insert(
        &ctx::community(),
        None,
        &Notice {
            title: title.to_owned(),
            text: text.to_owned(),
            emergency,
            until,
            by: caller.display_name,
            at: ctx::now(),
            reached: u32::try_from(people.len()).unwrap_or(u32::MAX),
        },
    )
}

/// The notices still open today, newest first: those with a day that has not passed, and
/// those without one from the last 30 days.
pub fn open_notices() -> Result<Vec<Doc<Notice>>> {
    let today = ctx::today()?;
    let month_ago = ctx::now() - 30 * 86_400_000;
    Ok(NOTICES
        .query()
        .in_community(&ctx::community())
        .order_by("at", Direction::Desc)
        .limit(50)
        .fetch()?
        .docs
        .into_iter()
        .filter(|d| match d.data.until {
            Some(until) => until >= today,
            None => d.data.at >= month_ago,
        })
        .collect())
}

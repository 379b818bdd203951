//! Announcements on a place's home page: what its managers tell everyone there. A house's page
//! shows the house's own and those of the town around it; the people of the place are told in
//! their inbox when one is published.

use sea_orm::sea_query::{Alias, Expr, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::communities::Communities;
use crate::error::AppError;
use crate::inbox::NewNotification;

/// The longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest text, in characters.
pub const MAX_TEXT: usize = 4000;

/// A published announcement.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize, utoipa::ToSchema)]
pub struct Announcement {
    /// Its id (sortable by time).
    pub id: String,
    /// The place it is for (and every place inside it).
    pub community_id: String,
    /// The title.
    pub title: String,
    /// The text.
    pub text: String,
    /// Who published it: stored, never shown (everyone reads announcements, and a
    /// person id is not theirs to see).
    #[serde(skip)]
    pub author_id: String,
    /// When, ms since the epoch.
    pub created: i64,
    /// Shown until then; none: until taken down.
    pub until: Option<i64>,
}

/// What a manager publishes.
#[derive(Clone, Debug)]
pub struct NewAnnouncement<'a> {
    /// The place.
    pub community: &'a str,
    /// The title (1 to 200 characters).
    pub title: &'a str,
    /// The text (1 to 4000 characters).
    pub text: &'a str,
    /// Who publishes.
    pub author: &'a str,
    /// Shown until then (must be in the future); none: until taken down.
    pub until: Option<i64>,
}

/// Who publishes and takes down announcements for a place: those who manage its members
/// (admins, the chairman and board, operators of an organization serving it) and its officials.
pub fn may_publish(authority: &crate::identity::roles::Authority<'_>, community: &str) -> bool {
    authority.manages_members_of(community) || authority.holds("official", community)
}

/// The last moment of `date` (`YYYY-MM-DD`) in the instance's time, ms since the epoch: an
/// announcement "until the 2nd" is shown all through the 2nd. Errors name `until`.
pub fn last_moment_of(date: &str, utc_offset_minutes: i32) -> Result<i64, AppError> {
    // Exactly `YYYY-MM-DD`, as the document's `format: date` says.
    let bytes = date.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    let day = shaped
        .then(|| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| {
            AppError::invalid("until", "Дата в виде ГГГГ-ММ-ДД / A date as YYYY-MM-DD")
        })?;
    let next_midnight = day
        .succ_opt()
        .unwrap_or(day)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    Ok(next_midnight.and_utc().timestamp_millis() - i64::from(utc_offset_minutes) * 60_000 - 1)
}

fn t(name: &str) -> Alias {
    Alias::new(name)
}

const COLUMNS: [&str; 7] = [
    "id",
    "community_id",
    "title",
    "text",
    "author_id",
    "created",
    "until",
];

/// Publish an announcement and tell the people of the place (residents, owners, SNT members
/// and gardeners) in their inbox. Errors name `title`, `text` or `until`; nothing is written
/// then.
pub async fn publish<C: ConnectionTrait>(
    db: &C,
    tree: &Communities,
    new: NewAnnouncement<'_>,
    now: i64,
) -> Result<Announcement, AppError> {
    let title = crate::input::required_text("title", Some(new.title), MAX_TITLE)?;
    let text = crate::input::required_text("text", Some(new.text), MAX_TEXT)?;
    if new.until.is_some_and(|until| until <= now) {
        return Err(AppError::unprocessable(
            "until",
            "Дата окончания уже прошла / The end date has passed",
        ));
    }
    let place = tree.get(new.community).ok_or_else(|| {
        AppError::not_found("Нет такого места / No such place").with_field("community")
    })?;
    let announcement = Announcement {
        id: crate::events::new_id(now),
        community_id: place.id.clone(),
        title: title.to_owned(),
        text: text.to_owned(),
        author_id: new.author.to_owned(),
        created: now,
        until: new.until,
    };
    let insert = Query::insert()
        .into_table(t("announcements"))
        .columns(COLUMNS.map(t))
        .values_panic([
            announcement.id.clone().into(),
            announcement.community_id.clone().into(),
            announcement.title.clone().into(),
            announcement.text.clone().into(),
            announcement.author_id.clone().into(),
            announcement.created.into(),
            announcement.until.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    let mut people = Vec::new();
    for role in ["resident", "owner", "snt-member", "snt-non-member"] {
        people.extend(crate::inbox::people_with_role_below(db, &place.path, role).await?);
    }
    people.retain(|p| p != new.author);
    let note = NewNotification {
        source: "host".into(),
        title: (
            format!("Объявление: {title}"),
            format!("Announcement: {title}"),
        ),
        body: (text.to_owned(), text.to_owned()),
        link: Some(format!("/c/{}", crate::web::percent_encode(&place.id))),
        urgency: "normal",
    };
    crate::inbox::deliver(db, &people, &note, now).await?;
    Ok(announcement)
}

/// What the home page of `community` shows: the announcements of the place and of the places
/// around it that are still current, newest first.
pub async fn current_for<C: ConnectionTrait>(
    db: &C,
    tree: &Communities,
    community: &str,
    now: i64,
    limit: u64,
) -> Result<Vec<Announcement>, DbErr> {
    // The chain from the root down to the place itself.
    let places: Vec<String> = tree
        .ancestors(community)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    let query = newest_first(limit)
        .and_where(Expr::col(t("community_id")).is_in(places))
        .and_where(
            Expr::col(t("until"))
                .is_null()
                .or(Expr::col(t("until")).gt(now)),
        )
        .to_owned();
    Announcement::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// Every column, newest first, at most `limit`.
fn newest_first(limit: u64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .columns(COLUMNS.map(t))
        .from(t("announcements"))
        .order_by(t("id"), Order::Desc)
        .limit(limit)
        .to_owned()
}

/// The announcements published for `community` itself, current or not, newest first (for
/// its managers).
pub async fn published_at<C: ConnectionTrait>(
    db: &C,
    community: &str,
    limit: u64,
) -> Result<Vec<Announcement>, DbErr> {
    let query = newest_first(limit)
        .and_where(Expr::col(t("community_id")).eq(community))
        .to_owned();
    Announcement::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// Take down announcement `id` of `community`; false when there is none.
pub async fn take_down<C: ConnectionTrait>(
    db: &C,
    community: &str,
    id: &str,
) -> Result<bool, DbErr> {
    let delete = Query::delete()
        .from_table(t("announcements"))
        .and_where(Expr::col(t("id")).eq(id))
        .and_where(Expr::col(t("community_id")).eq(community))
        .to_owned();
    Ok(db
        .execute(db.get_database_backend().build(&delete))
        .await?
        .rows_affected()
        > 0)
}

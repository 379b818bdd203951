//! The in-app inbox: notifications plugins send, delivered when the call commits.

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::runtime::latest::dvor::plugin::notifications::{Message, Urgency};

/// A notification to store for each recipient.
#[derive(Clone, Debug)]
pub struct NewNotification {
    /// The sending plugin.
    pub source: String,
    /// Title in Russian and English.
    pub title: (String, String),
    /// Text in Russian and English.
    pub body: (String, String),
    /// A web UI path.
    pub link: Option<String>,
    /// `low`, `normal` or `high`.
    pub urgency: &'static str,
}

impl NewNotification {
    /// From the contract's message sent by plugin `source` in a call at `community`. A link is
    /// a path of the web UI (`/c/…`); a route without the leading slash (`appeal/4`, as page
    /// links are written) is taken as a page of the sending plugin in the call's community.
    pub fn from_wit(source: &str, community: &str, message: Message) -> Self {
        let link = message.link.and_then(|link| {
            if link.starts_with('/') && !link.starts_with("//") {
                Some(link)
            } else {
                let (route, query) = link.split_once('?').unwrap_or((&link, ""));
                let query: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let base = format!(
                    "/c/{}/p/{}",
                    crate::web::percent_encode(community),
                    crate::web::percent_encode(source)
                );
                crate::web::link_href(&base, route, &query)
            }
        });
        Self {
            source: source.to_owned(),
            title: (message.title.ru, message.title.en),
            body: (message.body.ru, message.body.en),
            link,
            urgency: match message.urgency {
                Urgency::Low => "low",
                Urgency::Normal => "normal",
                Urgency::High => "high",
            },
        }
    }
}

/// Store a notification for each recipient and queue the email and SMS it becomes for those
/// who allowed them (see [`crate::notify`]), in the caller's transaction; returns how many
/// notifications were stored.
pub async fn deliver<C: ConnectionTrait>(
    db: &C,
    recipients: &[String],
    note: &NewNotification,
    now: i64,
) -> Result<u32, DbErr> {
    let mut unique: Vec<&String> = recipients.iter().collect();
    unique.sort();
    unique.dedup();
    for chunk in unique.chunks(500) {
        let mut insert = Query::insert()
            .into_table(Alias::new("notifications"))
            .columns(
                [
                    "id",
                    "person_id",
                    "source",
                    "title_ru",
                    "title_en",
                    "body_ru",
                    "body_en",
                    "link",
                    "urgency",
                    "created",
                    "read_at",
                ]
                .map(Alias::new),
            )
            .to_owned();
        let mut stored = Vec::with_capacity(chunk.len());
        for person in chunk {
            let id = crate::events::new_id(now);
            stored.push((id.clone(), (*person).clone()));
            insert.values_panic([
                id.into(),
                (*person).clone().into(),
                note.source.clone().into(),
                note.title.0.clone().into(),
                note.title.1.clone().into(),
                note.body.0.clone().into(),
                note.body.1.clone().into(),
                note.link.clone().into(),
                note.urgency.into(),
                now.into(),
                Option::<i64>::None.into(),
            ]);
        }
        db.execute(db.get_database_backend().build(&insert)).await?;
        crate::notify::queue(db, &stored, note, now).await?;
    }
    Ok(unique.len() as u32)
}

#[derive(FromQueryResult)]
struct PersonId {
    person_id: String,
}

/// The people holding `role` in the community at `path` or anywhere below it.
pub async fn people_with_role_below<C: ConnectionTrait>(
    db: &C,
    path: &str,
    role: &str,
) -> Result<Vec<String>, DbErr> {
    let g = Alias::new("role_grants");
    let c = Alias::new("communities");
    let query = Query::select()
        .distinct()
        .column((g.clone(), Alias::new("person_id")))
        .from(g.clone())
        .inner_join(
            c.clone(),
            Expr::col((g.clone(), Alias::new("community_id")))
                .equals((c.clone(), Alias::new("id"))),
        )
        .and_where(Expr::col((g, Alias::new("role"))).eq(role))
        .and_where(Expr::col((c, Alias::new("path"))).like(format!("{}%", escape_like(path))))
        .to_owned();
    let rows = PersonId::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.person_id).collect())
}

/// Community ids never contain LIKE wildcards (they are `[a-z0-9-]`), but paths are escaped
/// anyway so that a future id format cannot widen a scope.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A notification as the inbox shows it.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct InboxItem {
    /// Its id.
    pub id: String,
    /// The sending plugin.
    pub source: String,
    /// Russian title.
    pub title_ru: String,
    /// English title.
    pub title_en: String,
    /// Russian text.
    pub body_ru: String,
    /// English text.
    pub body_en: String,
    /// Where it leads.
    pub link: Option<String>,
    /// How urgent.
    pub urgency: String,
    /// When it was sent.
    pub created: i64,
    /// When it was read.
    pub read_at: Option<i64>,
}

/// A person's latest notifications.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    person: &str,
    limit: u64,
) -> Result<Vec<InboxItem>, DbErr> {
    let query = own_notifications(person)
        .order_by(Alias::new("created"), sea_orm::sea_query::Order::Desc)
        .limit(limit)
        .to_owned();
    InboxItem::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// How many of a person's notifications are unread.
pub async fn unread_count<C: ConnectionTrait>(db: &C, person: &str) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let select = Query::select()
        .expr_as(Expr::col(Alias::new("id")).count(), Alias::new("n"))
        .from(Alias::new("notifications"))
        .and_where(Expr::col(Alias::new("person_id")).eq(person))
        .and_where(Expr::col(Alias::new("read_at")).is_null())
        .to_owned();
    Ok(
        Count::find_by_statement(db.get_database_backend().build(&select))
            .one(db)
            .await?
            .map_or(0, |c| c.n.max(0) as u64),
    )
}

/// Mark one of a person's notifications read (a read one stays as it was); another person's
/// notification is untouched. Answers the notification, or none when it is not the person's.
pub async fn mark_read<C: ConnectionTrait>(
    db: &C,
    person: &str,
    id: &str,
    now: i64,
) -> Result<Option<InboxItem>, DbErr> {
    let update = Query::update()
        .table(Alias::new("notifications"))
        .value(Alias::new("read_at"), now)
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .and_where(Expr::col(Alias::new("person_id")).eq(person))
        .and_where(Expr::col(Alias::new("read_at")).is_null())
        .to_owned();
    db.execute(db.get_database_backend().build(&update)).await?;
    let mut select = own_notifications(person);
    select.and_where(Expr::col(Alias::new("id")).eq(id));
    InboxItem::find_by_statement(db.get_database_backend().build(&select))
        .one(db)
        .await
}

/// Mark every unread notification of a person read; answers how many were.
pub async fn mark_all_read<C: ConnectionTrait>(
    db: &C,
    person: &str,
    now: i64,
) -> Result<u64, DbErr> {
    let update = Query::update()
        .table(Alias::new("notifications"))
        .value(Alias::new("read_at"), now)
        .and_where(Expr::col(Alias::new("person_id")).eq(person))
        .and_where(Expr::col(Alias::new("read_at")).is_null())
        .to_owned();
    Ok(db
        .execute(db.get_database_backend().build(&update))
        .await?
        .rows_affected())
}

/// The select of a person's notifications with every column of [`InboxItem`].
pub fn own_notifications(person: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .columns(
            [
                "id", "source", "title_ru", "title_en", "body_ru", "body_en", "link", "urgency",
                "created", "read_at",
            ]
            .map(Alias::new),
        )
        .from(Alias::new("notifications"))
        .and_where(Expr::col(Alias::new("person_id")).eq(person))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::NewNotification;
    use crate::runtime::latest::dvor::plugin::notifications::{Message, Urgency};
    use crate::runtime::latest::dvor::plugin::types::Localized;

    fn linking(link: &str) -> Option<String> {
        let text = || Localized {
            ru: "т".into(),
            en: "t".into(),
        };
        let message = Message {
            title: text(),
            body: text(),
            link: Some(link.into()),
            urgency: Urgency::Normal,
        };
        NewNotification::from_wit("people-control", "demo-town", message).link
    }

    #[test]
    fn a_route_leads_to_the_sending_plugins_page_in_the_calls_community() {
        assert_eq!(
            linking("appeal/4").as_deref(),
            Some("/c/demo-town/p/people-control/appeal/4")
        );
        assert_eq!(
            linking("appeal/4?tab=timeline").as_deref(),
            Some("/c/demo-town/p/people-control/appeal/4?tab=timeline")
        );
        assert_eq!(
            linking("").as_deref(),
            Some("/c/demo-town/p/people-control")
        );
        assert_eq!(
            linking("/c/demo-house-1/p/housing").as_deref(),
            Some("/c/demo-house-1/p/housing")
        );
        // Nothing leads off the site or out of the plugin's pages.
        assert_eq!(linking("//evil.example/x"), None);
        assert_eq!(linking("https://evil.example/x"), None);
        assert_eq!(linking("../../admin"), None);
    }
}

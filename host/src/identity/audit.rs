//! The audit log: every change to roles, ownership and verification, with who, when and what.
//! Entries are written in the same transaction as the change they describe.

use sea_orm::sea_query::{Expr, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::t;

/// One thing that happened.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    /// Who did it (none: the instance itself, from its config).
    pub actor: Option<&'a str>,
    /// What, as `role.granted`, `ownership.verified`, `join.approved`, ….
    pub action: &'a str,
    /// Whom it concerns.
    pub person: Option<&'a str>,
    /// Where.
    pub community: Option<&'a str>,
    /// The particulars.
    pub details: serde_json::Value,
}

/// Write an entry.
pub async fn record<C: ConnectionTrait>(db: &C, entry: Entry<'_>, now: i64) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(t("audit_log"))
        .columns(
            [
                "at",
                "actor_id",
                "action",
                "person_id",
                "community_id",
                "details",
            ]
            .map(t),
        )
        .values_panic([
            now.into(),
            entry.actor.map(str::to_owned).into(),
            entry.action.into(),
            entry.person.map(str::to_owned).into(),
            entry.community.map(str::to_owned).into(),
            entry.details.to_string().into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(())
}

/// An entry as read back.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Its sequence number (the pagination cursor).
    pub id: i64,
    /// When, ms since the epoch.
    pub at: i64,
    /// Who did it; none for the instance itself.
    pub actor_id: Option<String>,
    /// What.
    pub action: String,
    /// Whom it concerns.
    pub person_id: Option<String>,
    /// Where.
    pub community_id: Option<String>,
    /// The particulars.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Which entries to read.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only entries in these communities (a subtree), if given.
    pub communities: Option<Vec<String>>,
    /// Only entries about or by this person.
    pub person: Option<String>,
    /// Only entries older than this id.
    pub before: Option<i64>,
    /// At most this many.
    pub limit: u64,
}

/// Entries, newest first.
pub async fn list<C: ConnectionTrait>(db: &C, filter: &Filter) -> Result<Vec<AuditEntry>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        at: i64,
        actor_id: Option<String>,
        action: String,
        person_id: Option<String>,
        community_id: Option<String>,
        details: String,
    }
    let mut query = Query::select();
    query
        .columns(
            [
                "id",
                "at",
                "actor_id",
                "action",
                "person_id",
                "community_id",
                "details",
            ]
            .map(t),
        )
        .from(t("audit_log"))
        .order_by(t("id"), Order::Desc)
        .limit(filter.limit);
    if let Some(communities) = &filter.communities {
        query.and_where(Expr::col(t("community_id")).is_in(communities.iter().cloned()));
    }
    if let Some(person) = &filter.person {
        query.and_where(
            Expr::col(t("person_id"))
                .eq(person)
                .or(Expr::col(t("actor_id")).eq(person)),
        );
    }
    if let Some(before) = filter.before {
        query.and_where(Expr::col(t("id")).lt(before));
    }
    let rows = Row::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            action: r.action,
            person_id: r.person_id,
            community_id: r.community_id,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}

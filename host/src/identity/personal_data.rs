//! A person's own data (ФЗ-152): everything the instance holds about them, as one JSON
//! document, and the deletion of their account.
//!
//! Deletion removes the person's name, phone, email, sign-ins, roles, ownerships, inbox and
//! pending messages, join requests and register claims. What must outlive the account (an
//! owners' meeting's protocol, the audit log of who verified whom) keeps only the person's
//! id, which then resolves to no one. Plugins that keep their own copies learn of the
//! deletion through the host's `person.left` event with `"deleted": true`.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, JsonValue};
use serde_json::json;

use super::people::Person;
use super::t;
use crate::inbox::escape_like;

async fn rows<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    person_column: &str,
    person: &str,
) -> Result<Vec<JsonValue>, DbErr> {
    let query = Query::select()
        .columns(columns.iter().map(|c| t(c)))
        .from(t(table))
        .and_where(Expr::col(t(person_column)).eq(person))
        .to_owned();
    JsonValue::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// Everything about a person, for them to download.
pub async fn export<C: ConnectionTrait>(
    db: &C,
    person: &Person,
    now: i64,
) -> Result<serde_json::Value, DbErr> {
    let id = person.id.as_str();
    let grants = rows(
        db,
        "role_grants",
        &["role", "community_id", "organization_id", "created"],
        "person_id",
        id,
    )
    .await?;
    let ownerships = rows(
        db,
        "ownerships",
        &[
            "unit_id",
            "share_numerator",
            "share_denominator",
            "verified",
        ],
        "person_id",
        id,
    )
    .await?;
    let credentials = rows(
        db,
        "credentials",
        &[
            "id",
            "kind",
            "name",
            "scopes",
            "user_agent",
            "created",
            "expires",
            "last_used",
            "revoked",
        ],
        "person_id",
        id,
    )
    .await?;
    let join_requests = rows(
        db,
        "join_requests",
        &[
            "id",
            "community_id",
            "unit_number",
            "claims_ownership",
            "note",
            "status",
            "created",
            "decided",
            "reason",
        ],
        "person_id",
        id,
    )
    .await?;
    let notifications = rows(
        db,
        "notifications",
        &[
            "id", "source", "title_ru", "title_en", "body_ru", "body_en", "link", "urgency",
            "created", "read_at",
        ],
        "person_id",
        id,
    )
    .await?;
    let oidc = rows(
        db,
        "oidc_links",
        &["provider", "subject", "created"],
        "person_id",
        id,
    )
    .await?;
    let audit = super::audit::list(
        db,
        &super::audit::Filter {
            person: Some(id.to_owned()),
            limit: 10_000,
            ..Default::default()
        },
    )
    .await?;
    // Plugin records that mention the person (appeals, readings, votes): their id is a
    // unique random string, so a text search over the documents finds exactly theirs.
    let documents_query = Query::select()
        .columns(
            [
                "plugin",
                "collection",
                "id",
                "community_id",
                "data",
                "created",
                "updated",
            ]
            .map(t),
        )
        .from(t("documents"))
        .and_where(Expr::col(t("data")).like(format!("%\"{}\"%", escape_like(id))))
        .to_owned();
    let documents: Vec<serde_json::Value> =
        JsonValue::find_by_statement(db.get_database_backend().build(&documents_query))
            .all(db)
            .await?
            .into_iter()
            .map(|mut row| {
                if let Some(data) = row.get("data").and_then(|d| d.as_str()).map(str::to_owned) {
                    row["data"] =
                        serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data));
                }
                row
            })
            .collect();
    Ok(json!({
        "exported_at": now,
        "person": person,
        "roles": grants,
        "ownerships": ownerships,
        "sign_ins": credentials,
        "oidc_accounts": oidc,
        "join_requests": join_requests,
        "notifications": notifications,
        "audit_log": audit,
        "plugin_records": documents,
    }))
}

/// Delete a person's account and personal data (see the module docs for what stays).
pub async fn delete<C: ConnectionTrait>(db: &C, person: &Person, now: i64) -> Result<(), DbErr> {
    let id = person.id.as_str();
    let backend = db.get_database_backend();
    for (table, column) in [
        ("credentials", "person_id"),
        ("role_grants", "person_id"),
        ("ownerships", "person_id"),
        ("notifications", "person_id"),
        ("outbound_messages", "person_id"),
        ("join_requests", "person_id"),
        ("oidc_links", "person_id"),
    ] {
        let delete = Query::delete()
            .from_table(t(table))
            .and_where(Expr::col(t(column)).eq(id))
            .to_owned();
        db.execute(backend.build(&delete)).await?;
    }
    if let Some(phone) = &person.phone {
        let delete = Query::delete()
            .from_table(t("otp_challenges"))
            .and_where(Expr::col(t("phone")).eq(phone))
            .to_owned();
        db.execute(backend.build(&delete)).await?;
    }
    // A register row stays (it is the manager's document), but it no longer points at them.
    let unclaim = Query::update()
        .table(t("owner_register"))
        .value(t("claimed_by"), Option::<String>::None)
        .and_where(Expr::col(t("claimed_by")).eq(id))
        .to_owned();
    db.execute(backend.build(&unclaim)).await?;
    let delete = Query::delete()
        .from_table(t("people"))
        .and_where(Expr::col(t("id")).eq(id))
        .to_owned();
    db.execute(backend.build(&delete)).await?;
    super::audit::record(
        db,
        super::audit::Entry {
            actor: Some(id),
            action: "person.deleted",
            person: Some(id),
            community: None,
            details: json!({}),
        },
        now,
    )
    .await
}

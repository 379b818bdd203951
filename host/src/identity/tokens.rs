//! Credentials: browser sessions and API tokens. Both are opaque random strings shown once;
//! the database keeps only their SHA-256, so a copy of it signs nobody in.

use base64::Engine as _;
use sea_orm::sea_query::{Expr, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::people::{self, Person};
use super::t;
use crate::storage::StatementText;

/// Prefix of a session token.
pub const SESSION_PREFIX: &str = "dvs_";
/// Prefix of an API token.
pub const API_PREFIX: &str = "dvt_";

/// What an API token may be used for. A session may do everything its person may.
pub const SCOPES: [(&str, &str); 6] = [
    ("profile", "read the owner's profile and roles"),
    (
        "communities:read",
        "read communities, units, members and organizations",
    ),
    (
        "members:write",
        "manage invitations, join requests, owners and the owners' register",
    ),
    ("roles:write", "grant and revoke roles"),
    ("audit:read", "read the audit log"),
    (
        "plugins",
        "call plugin APIs (or `plugin:<id>` for one plugin)",
    ),
];

/// [`is_known_scope`] as the OpenAPI document states it.
pub const SCOPE_PATTERN: &str = "^(profile|communities:read|members:write|roles:write|audit:read|plugins|plugin:[a-z0-9][a-z0-9-]{0,62})$";

/// Whether `scope` is one an API token may carry.
pub fn is_known_scope(scope: &str) -> bool {
    SCOPES.iter().any(|(s, _)| *s == scope)
        || scope
            .strip_prefix("plugin:")
            .is_some_and(crate::config::is_community_id)
}

/// A new random token with a prefix.
fn new_token(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A credential's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A sign-in on a device.
    Session,
    /// An integration's token.
    Api,
}

/// A credential as listed to its owner (never the token itself).
#[derive(Clone, Debug, FromQueryResult, Serialize, utoipa::ToSchema)]
pub struct CredentialInfo {
    /// Its id (used to revoke it).
    pub id: String,
    /// `session` or `api`.
    pub kind: String,
    /// The token's name, for API tokens.
    pub name: Option<String>,
    /// Space-separated scopes of an API token.
    pub scopes: Option<String>,
    /// The browser or client that signed in.
    pub user_agent: Option<String>,
    /// Created, ms since the epoch.
    pub created: i64,
    /// Expires, ms since the epoch (none: never, for API tokens without expiry).
    pub expires: Option<i64>,
    /// Last used, ms since the epoch.
    pub last_used: i64,
}

/// A credential that authenticated a request.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// The credential's id.
    pub credential_id: String,
    /// Whose it is.
    pub person_id: String,
    /// Session or API token.
    pub kind: Kind,
    /// An API token's scopes (empty for sessions).
    pub scopes: Vec<String>,
}

/// A credential to issue.
#[derive(Clone, Copy, Debug)]
pub struct NewCredential<'a> {
    /// Whose.
    pub person_id: &'a str,
    /// Session or API token.
    pub kind: Kind,
    /// An API token's name.
    pub name: Option<&'a str>,
    /// An API token's scopes.
    pub scopes: &'a [String],
    /// The client that signed in.
    pub user_agent: Option<&'a str>,
    /// When it expires, ms since the epoch.
    pub expires: Option<i64>,
}

/// Issue a credential; returns the token (shown once) and its id.
pub async fn issue<C: ConnectionTrait>(
    db: &C,
    new: NewCredential<'_>,
    now: i64,
) -> Result<(String, String), DbErr> {
    let NewCredential {
        person_id,
        kind,
        name,
        scopes,
        user_agent,
        expires,
    } = new;
    let token = new_token(match kind {
        Kind::Session => SESSION_PREFIX,
        Kind::Api => API_PREFIX,
    });
    let id = crate::events::new_id(now);
    let insert = Query::insert()
        .into_table(t("credentials"))
        .columns(
            [
                "id",
                "token_hash",
                "person_id",
                "kind",
                "name",
                "scopes",
                "user_agent",
                "created",
                "expires",
                "last_used",
            ]
            .map(t),
        )
        .values_panic([
            id.clone().into(),
            hash(&token).into(),
            person_id.into(),
            match kind {
                Kind::Session => "session",
                Kind::Api => "api",
            }
            .into(),
            name.map(str::to_owned).into(),
            (kind == Kind::Api).then(|| scopes.join(" ")).into(),
            user_agent
                .map(|ua| ua.chars().take(200).collect::<String>())
                .into(),
            now.into(),
            expires.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok((token, id))
}

/// The live credential a token stands for and the person it signs in, read on `db`; a
/// session's expiry slides forward on use (by at most one write a minute, on `writer`).
pub async fn authenticate<R: ConnectionTrait, W: ConnectionTrait>(
    db: &R,
    writer: &W,
    token: &str,
    session_ms: i64,
    now: i64,
) -> Result<Option<(Authenticated, Person)>, DbErr> {
    if !(token.starts_with(SESSION_PREFIX) || token.starts_with(API_PREFIX)) || token.len() > 100 {
        return Ok(None);
    }
    // The credential and its person in one statement: every signed-in request asks this.
    #[derive(FromQueryResult)]
    struct Row {
        credential_id: String,
        kind: String,
        scopes: Option<String>,
        expires: Option<i64>,
        last_used: i64,
    }
    static TEXT: StatementText = StatementText::new();
    let token_hash = hash(token);
    let statement = TEXT.with_values(
        db.get_database_backend(),
        vec![token_hash.clone().into()],
        || {
            let mut query = Query::select();
            query
                .expr_as(Expr::col((t("credentials"), t("id"))), t("credential_id"))
                .columns(
                    ["kind", "scopes", "expires", "last_used"].map(|c| (t("credentials"), t(c))),
                );
            for column in people::COLUMNS {
                query.expr_as(Expr::col((t("people"), t(column))), t(column));
            }
            query
                .from(t("credentials"))
                .inner_join(
                    t("people"),
                    Expr::col((t("people"), t("id"))).equals((t("credentials"), t("person_id"))),
                )
                .and_where(Expr::col((t("credentials"), t("token_hash"))).eq(token_hash))
                .and_where(Expr::col((t("credentials"), t("revoked"))).is_null());
            query
        },
    );
    let Some(found) = db.query_one(statement).await? else {
        return Ok(None);
    };
    let row = Row::from_query_result(&found, "")?;
    let person = Person::from_query_result(&found, "")?;
    if row.expires.is_some_and(|e| e <= now) {
        return Ok(None);
    }
    let kind = if row.kind == "api" {
        Kind::Api
    } else {
        Kind::Session
    };
    if now - row.last_used > 60_000 {
        let mut update = Query::update();
        update
            .table(t("credentials"))
            .value(t("last_used"), now)
            .and_where(Expr::col(t("id")).eq(&row.credential_id));
        if kind == Kind::Session {
            update.value(t("expires"), now + session_ms);
        }
        writer
            .execute(writer.get_database_backend().build(&update))
            .await?;
    }
    let credential = Authenticated {
        credential_id: row.credential_id,
        person_id: person.id.clone(),
        kind,
        scopes: row
            .scopes
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    };
    Ok(Some((credential, person)))
}

/// A person's live credentials of one kind, newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    person_id: &str,
    kind: Kind,
    now: i64,
) -> Result<Vec<CredentialInfo>, DbErr> {
    let query = Query::select()
        .columns(
            [
                "id",
                "kind",
                "name",
                "scopes",
                "user_agent",
                "created",
                "expires",
                "last_used",
            ]
            .map(t),
        )
        .from(t("credentials"))
        .and_where(Expr::col(t("person_id")).eq(person_id))
        .and_where(Expr::col(t("kind")).eq(match kind {
            Kind::Session => "session",
            Kind::Api => "api",
        }))
        .and_where(Expr::col(t("revoked")).is_null())
        .and_where(
            Expr::col(t("expires"))
                .is_null()
                .or(Expr::col(t("expires")).gt(now)),
        )
        .order_by(t("id"), Order::Desc)
        .to_owned();
    CredentialInfo::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// Revoke one of a person's credentials; false if there was no such live credential.
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    person_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, DbErr> {
    let update = Query::update()
        .table(t("credentials"))
        .value(t("revoked"), now)
        .and_where(Expr::col(t("person_id")).eq(person_id))
        .and_where(Expr::col(t("id")).eq(id))
        .and_where(Expr::col(t("revoked")).is_null())
        .to_owned();
    Ok(db
        .execute(db.get_database_backend().build(&update))
        .await?
        .rows_affected()
        > 0)
}

/// Revoke every session of a person (sign out everywhere); API tokens stay.
pub async fn revoke_all_sessions<C: ConnectionTrait>(
    db: &C,
    person_id: &str,
    now: i64,
) -> Result<u64, DbErr> {
    let update = Query::update()
        .table(t("credentials"))
        .value(t("revoked"), now)
        .and_where(Expr::col(t("person_id")).eq(person_id))
        .and_where(Expr::col(t("kind")).eq("session"))
        .and_where(Expr::col(t("revoked")).is_null())
        .to_owned();
    Ok(db
        .execute(db.get_database_backend().build(&update))
        .await?
        .rows_affected())
}

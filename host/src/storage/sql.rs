//! Table names and portable SQL building blocks shared by the storage functions.

use sea_orm::sea_query::{Alias, Expr, IntoColumnRef, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, DeriveIden, QueryResult, StatementBuilder};

/// `documents`: one row per stored document.
#[derive(DeriveIden, Clone, Copy)]
pub(super) enum Documents {
    Table,
    Key,
    Plugin,
    Collection,
    Id,
    CommunityId,
    CommunityPath,
    Data,
    Version,
    Created,
    Updated,
}

/// `document_index`: one row per document (by key) and declared index field (by field key).
#[derive(DeriveIden, Clone, Copy)]
pub(super) enum DocumentIndex {
    Table,
    Doc,
    Field,
    IntValue,
    TextValue,
}

/// `plugin_collections`: the indexes each plugin's collection was last loaded with.
#[derive(DeriveIden, Clone, Copy)]
pub(super) enum PluginCollections {
    Table,
    Plugin,
    Collection,
    Indexes,
}

/// `communities`: the community tree.
#[derive(DeriveIden, Clone, Copy)]
pub(super) enum Communities {
    Table,
    Id,
    ParentId,
    Name,
    Kind,
    Path,
    Created,
}

/// The alias of `documents` in queries.
pub(super) fn d() -> Alias {
    Alias::new("d")
}

/// How many bind parameters one statement may carry.
pub(super) fn max_params(backend: DbBackend) -> usize {
    match backend {
        // SQLite's SQLITE_MAX_VARIABLE_NUMBER since 3.32 (the bundled library is newer).
        DbBackend::Sqlite => 32_766,
        DbBackend::Postgres => 65_535,
        DbBackend::MySql => 65_535,
    }
}

/// How many rows of `params_per_row` bind parameters fit one statement.
pub(super) fn rows_per_statement(backend: DbBackend, params_per_row: usize) -> usize {
    (max_params(backend) / params_per_row).max(1)
}

/// The smallest string greater than every string that starts with `prefix`; `None` when there
/// is none (empty prefix, or only `char::MAX`).
pub(super) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// `column` starts with `prefix`, as a range an index can serve. Text compares byte-wise on
/// both engines (see the migration), so the range is exact.
pub(super) fn starts_with<C: IntoColumnRef + Clone>(column: C, prefix: &str) -> SimpleExpr {
    let lower = Expr::col(column.clone()).gte(prefix);
    match prefix_end(prefix) {
        Some(end) => lower.and(Expr::col(column).lt(end)),
        None => lower,
    }
}

/// `statements` in as few round trips as the engine allows, as many joined as one statement's
/// parameters allow. Each statement sent is a round trip to the connection (on SQLite, to its
/// thread and back), most of a small write's cost.
///
/// - SQLite: consecutive statements joined by `;`, their parameters in order.
/// - PostgreSQL (which prepares one statement at a time): one statement, the earlier ones as
///   the parts of a `WITH` and their `$n` parameters renumbered; it answers the last one's
///   rows. A part of a `WITH` runs only if it modifies data, so every statement but the last
///   must be an `INSERT`, `UPDATE` or `DELETE`.
pub(crate) fn in_few_round_trips(
    backend: DbBackend,
    statements: Vec<sea_orm::Statement>,
) -> Vec<sea_orm::Statement> {
    if backend == DbBackend::MySql {
        return statements;
    }
    // Per joined statement: the parts before the last, the last, and all the parameters.
    let mut joined: Vec<(Vec<String>, String, Vec<sea_orm::Value>)> = Vec::new();
    for statement in statements {
        let values = statement.values.map(|v| v.0).unwrap_or_default();
        match joined.last_mut() {
            Some((parts, last, params)) if params.len() + values.len() <= max_params(backend) => {
                let sql = match backend {
                    DbBackend::Postgres => renumbered(&statement.sql, params.len()),
                    _ => statement.sql,
                };
                parts.push(std::mem::replace(last, sql));
                params.extend(values);
            }
            _ => joined.push((Vec::new(), statement.sql, values)),
        }
    }
    joined
        .into_iter()
        .map(|(parts, last, values)| {
            let sql = if parts.is_empty() {
                last
            } else if backend == DbBackend::Postgres {
                let with: Vec<String> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, part)| format!("\"part{i}\" AS ({part})"))
                    .collect();
                format!("WITH {} {last}", with.join(", "))
            } else {
                let mut sql = parts.join("; ");
                sql.push_str("; ");
                sql.push_str(&last);
                sql
            };
            sea_orm::Statement::from_sql_and_values(backend, sql, values)
        })
        .collect()
}

/// PostgreSQL's `sql` with every `$n` parameter moved up by `by`; quoted names and strings are
/// left as they are.
fn renumbered(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                let n: usize = digits.parse().unwrap_or(0);
                out.push('$');
                out.push_str(&(n + by).to_string());
            }
            None => out.push(c),
        }
    }
    out
}

/// Build a statement for the connection's engine.
pub(super) fn build<C: ConnectionTrait, S: StatementBuilder>(
    db: &C,
    stmt: &S,
) -> sea_orm::Statement {
    db.get_database_backend().build(stmt)
}

/// Run a statement and return its rows.
pub(super) async fn fetch_all<C: ConnectionTrait, S: StatementBuilder>(
    db: &C,
    stmt: &S,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all(build(db, stmt)).await
}

/// Run a statement and return its first row.
pub(super) async fn fetch_one<C: ConnectionTrait, S: StatementBuilder>(
    db: &C,
    stmt: &S,
) -> Result<Option<QueryResult>, DbErr> {
    db.query_one(build(db, stmt)).await
}

/// Run a statement and return how many rows it changed.
pub(super) async fn execute<C: ConnectionTrait, S: StatementBuilder>(
    db: &C,
    stmt: &S,
) -> Result<u64, DbErr> {
    Ok(db.execute(build(db, stmt)).await?.rows_affected())
}

/// The text of a statement whose shape never changes, built by sea-query once per engine and
/// reused with each call's values. A query every signed-in request makes (the session, the
/// person, their roles) then costs no statement building, only its values.
pub struct StatementText {
    /// By engine: SQLite, PostgreSQL, MySQL.
    text: [std::sync::OnceLock<String>; 3],
}

impl StatementText {
    /// Nothing built yet.
    pub const fn new() -> Self {
        Self {
            text: [const { std::sync::OnceLock::new() }; 3],
        }
    }

    /// The statement for `backend` with `values` bound in order. `build` makes it the first
    /// time, from the same values, which must be the ones it binds, in the same order: the
    /// text is kept, the values are the caller's.
    pub fn with_values<S: StatementBuilder>(
        &self,
        backend: DbBackend,
        values: Vec<sea_orm::Value>,
        build: impl FnOnce() -> S,
    ) -> sea_orm::Statement {
        let slot = match backend {
            DbBackend::Sqlite => 0,
            DbBackend::Postgres => 1,
            DbBackend::MySql => 2,
        };
        let text = self.text[slot].get_or_init(|| {
            let built = build().build(&backend);
            assert_eq!(
                built.values.map(|v| v.0).unwrap_or_default(),
                values,
                "a cached statement binds exactly the values it is given, in order"
            );
            built.sql
        });
        sea_orm::Statement::from_sql_and_values(backend, text.clone(), values)
    }
}

impl Default for StatementText {
    fn default() -> Self {
        Self::new()
    }
}

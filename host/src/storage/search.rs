//! Queries and aggregates: conditions, order, keyset pagination and grouping over the index
//! rows, built with sea-query so the same code serves SQLite and PostgreSQL.
//!
//! A query joins `documents AS d` with one `document_index` row per field it names. Which
//! table drives the join matters enormously for large collections, and SQLite's planner,
//! lacking statistics on these tables, tends to scan every document in scope. So on SQLite the
//! builder picks the driver itself: it counts (up to [`PROBE_CAP`]) the rows each usable
//! condition and the scope would yield, drives from the smallest, and fixes the join order
//! with `CROSS JOIN` (which SQLite never reorders). When everything is large and the query is
//! ordered by an index field, it walks that field's index in order instead and stops at the
//! page's end. PostgreSQL plans the same joins itself from its statistics.
//!
//! What the probes chose is kept per database for a moment ([`ProbeEstimates`]), so a page
//! asked for many times a second picks its driver without counting again. A choice made on
//! counts gone stale can only be a slower driver, never change a result.

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, Func, JoinType, NullOrdering, Order as SqlOrder, Query as Sql,
    SelectStatement, SimpleExpr,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::documents::{
    Aggregate, CollectionSpec, Compare, Condition, Group, IndexKind, Page, Query, Scope,
    StorageError, Value, document_columns, field_key, in_scope, read_document,
};
use super::sql::{
    Communities, DocumentIndex, Documents, d, fetch_all, fetch_one, prefix_end, starts_with,
};
use super::values::{check_id, check_text, invalid};

/// The special field naming a document's community (and, in conditions, its subtree).
pub(super) const COMMUNITY: &str = "community";
/// The page size when a query asks for 0.
const DEFAULT_LIMIT: u32 = 100;
/// The largest page.
const MAX_LIMIT: u32 = 1000;
/// How many rows a driver probe counts at most: beyond it, every driver is "large".
const PROBE_CAP: u64 = 10_000;

/// How long a query shape's chosen driver is trusted before its probes count again.
const ESTIMATE_TTL: Duration = Duration::from_secs(2);
/// How many query shapes a database remembers; when full, the stale are forgotten (all of
/// them if none is stale).
const MAX_ESTIMATES: usize = 4096;

/// What the driver probes of recent queries on one database chose (see the module docs): a
/// query of the same shape (scope, collection, conditions with their values, order) within
/// [`ESTIMATE_TTL`] drives from the same table without probing.
#[derive(Default)]
pub struct ProbeEstimates {
    /// By the query's shape: the driver it chose, whether its scope was large, and when.
    choices: Mutex<HashMap<String, (Choice, Instant)>>,
    /// How many queries were planned from here.
    #[cfg(test)]
    hits: std::sync::atomic::AtomicUsize,
}

/// A driver probe's outcome: the driving join (`None`: the documents) and whether the
/// documents in scope are many.
#[derive(Clone, Copy)]
struct Choice {
    driver: Option<usize>,
    large_scope: bool,
}

impl std::fmt::Debug for ProbeEstimates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeEstimates").finish_non_exhaustive()
    }
}

impl ProbeEstimates {
    fn recent(&self, shape: &str) -> Option<Choice> {
        let choices = self.choices.lock().unwrap_or_else(|e| e.into_inner());
        let choice = choices
            .get(shape)
            .filter(|(_, chosen)| chosen.elapsed() < ESTIMATE_TTL)
            .map(|(choice, _)| *choice);
        #[cfg(test)]
        if choice.is_some() {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        choice
    }

    fn remember(&self, shape: String, choice: Choice) {
        let mut choices = self.choices.lock().unwrap_or_else(|e| e.into_inner());
        if choices.len() >= MAX_ESTIMATES {
            // Shapes whose values change with every call (a time, a fresh id) fill the map;
            // the stale go first, and everything only when that is not enough.
            choices.retain(|_, (_, chosen)| chosen.elapsed() < ESTIMATE_TTL);
            if choices.len() >= MAX_ESTIMATES {
                choices.clear();
            }
        }
        choices.insert(shape, (choice, Instant::now()));
    }

    /// How many query shapes are remembered.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.choices.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// How many queries were planned from memory.
    #[cfg(test)]
    pub(super) fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// [`PROBE_CAP`], which tests lower to exercise the plans for large collections.
fn probe_cap() -> u64 {
    #[cfg(test)]
    if let Some(cap) = super::tests::PROBE_CAP_OVERRIDE.with(std::cell::Cell::get) {
        return cap;
    }
    PROBE_CAP
}

/// A field a query may name.
#[derive(Clone, Copy)]
enum Field<'a> {
    /// The document's community.
    Community,
    /// A declared index field.
    Index(&'a str, IndexKind),
}

/// Resolve a field name; `error_field` names it in errors.
fn resolve<'a>(
    coll: &'a CollectionSpec,
    name: &str,
    error_field: &str,
) -> Result<Field<'a>, StorageError> {
    if name == COMMUNITY {
        return Ok(Field::Community);
    }
    coll.indexes
        .iter()
        .find(|index| index.field == name)
        .map(|index| Field::Index(&index.field, index.kind))
        .ok_or_else(|| {
            let declared: Vec<&str> = coll.indexes.iter().map(|i| i.field.as_str()).collect();
            invalid(
                error_field,
                format!(
                    "`{name}` is not an indexed field of collection `{}` (indexed: {}{}community)",
                    coll.name,
                    declared.join(", "),
                    if declared.is_empty() { "" } else { ", " },
                ),
            )
        })
}

fn kind_name(kind: IndexKind) -> &'static str {
    match kind {
        IndexKind::Text => "text",
        IndexKind::Integer => "an integer",
        IndexKind::Boolean => "a boolean",
    }
}

/// One joined index row.
struct Join {
    field: String,
    key: i64,
    kind: IndexKind,
    alias: Alias,
}

impl Join {
    /// The column this field's values are in.
    fn value(&self) -> (Alias, DocumentIndex) {
        match self.kind {
            IndexKind::Text => (self.alias.clone(), DocumentIndex::TextValue),
            IndexKind::Integer | IndexKind::Boolean => {
                (self.alias.clone(), DocumentIndex::IntValue)
            }
        }
    }

    /// The row's identity besides the document: its field, and the value column it leaves
    /// empty (saying so lets the value index `(field, int_value, text_value, doc)` serve
    /// ranges and order on either column).
    fn identity(&self) -> SimpleExpr {
        let unused = match self.kind {
            IndexKind::Text => DocumentIndex::IntValue,
            IndexKind::Integer | IndexKind::Boolean => DocumentIndex::TextValue,
        };
        Expr::col((self.alias.clone(), DocumentIndex::Field))
            .eq(self.key)
            .and(Expr::col((self.alias.clone(), unused)).is_null())
    }
}

/// A query under construction: its joins and conditions, assembled into a statement once
/// the driving table is chosen.
struct Builder<'s> {
    scope: &'s Scope<'s>,
    coll: &'s CollectionSpec,
    backend: DbBackend,
    joins: Vec<Join>,
    /// Conditions on the joined tables (the scope's own are added by [`Builder::assemble`]).
    wheres: Vec<SimpleExpr>,
    /// Conditions on `d` narrowing the scope (from `community` eq conditions).
    subtree: Vec<SimpleExpr>,
    /// Conditions an index could drive from: the join and its condition.
    drivers: Vec<(usize, SimpleExpr)>,
    /// Whether the documents in scope are many (at least the probe cap), once probed.
    large_scope: bool,
    /// The conditions as given, fields, operators and values: with the scope, what makes a
    /// query of the same shape ([`ProbeEstimates`]).
    shape: String,
}

impl<'s> Builder<'s> {
    fn new<C: ConnectionTrait>(db: &C, scope: &'s Scope<'s>, coll: &'s CollectionSpec) -> Self {
        Builder {
            scope,
            coll,
            backend: db.get_database_backend(),
            joins: Vec::new(),
            wheres: Vec::new(),
            subtree: Vec::new(),
            drivers: Vec::new(),
            large_scope: false,
            shape: String::new(),
        }
    }

    /// The join of `field`'s index rows, added on first use.
    fn join(&mut self, field: &str, kind: IndexKind) -> usize {
        if let Some(i) = self.joins.iter().position(|j| j.field == field) {
            return i;
        }
        self.joins.push(Join {
            field: field.to_owned(),
            key: field_key(self.scope.plugin, &self.coll.name, field),
            kind,
            alias: Alias::new(format!("i{}", self.joins.len())),
        });
        self.joins.len() - 1
    }

    /// Add the conditions.
    async fn conditions<C: ConnectionTrait>(
        &mut self,
        db: &C,
        conditions: &[Condition],
    ) -> Result<(), StorageError> {
        use std::fmt::Write as _;
        for condition in conditions.iter().filter(|_| self.scope.estimates.is_some()) {
            let _ = write!(
                self.shape,
                "{}\u{1}{:?}\u{1}{:?}\u{2}",
                condition.field, condition.op, condition.value
            );
        }
        for (i, condition) in conditions.iter().enumerate() {
            let value_field = format!("conditions[{i}].value");
            match resolve(
                self.coll,
                &condition.field,
                &format!("conditions[{i}].field"),
            )? {
                Field::Community => {
                    let Value::Text(id) = &condition.value else {
                        return Err(invalid(
                            value_field,
                            "`community` takes a community id (text)",
                        ));
                    };
                    check_text(id, &value_field)?;
                    let known = self.scope.paths.and_then(|paths| paths.path_of(id));
                    let path = match known {
                        Some(path) => Some(path.to_owned()),
                        None => community_path(db, id).await?,
                    };
                    let inside = match &path {
                        Some(path) => starts_with((d(), Documents::CommunityPath), path),
                        None => Expr::val(1).eq(0),
                    };
                    match condition.op {
                        Compare::Eq => self.subtree.push(inside),
                        Compare::Ne => self.wheres.push(inside.not()),
                        _ => {
                            return Err(invalid(
                                format!("conditions[{i}].op"),
                                "`community` can only be compared with eq (inside its subtree) \
                                 or ne",
                            ));
                        }
                    }
                }
                Field::Index(field, kind) => {
                    let join = self.join(field, kind);
                    let (expr, usable) = compare(&self.joins[join], condition, i)?;
                    if usable {
                        self.drivers.push((join, expr.clone()));
                    }
                    self.wheres.push(expr);
                }
            }
        }
        Ok(())
    }

    /// Choose the driving join on SQLite (see the module docs); `None` drives from `d`.
    /// `ordered_by` is the join an ordered query walks when everything is large. A query of
    /// the same shape a moment ago chose for this one.
    async fn choose_driver<C: ConnectionTrait>(
        &mut self,
        db: &C,
        ordered_by: Option<usize>,
    ) -> Result<Option<usize>, DbErr> {
        if self.backend != DbBackend::Sqlite {
            return Ok(None);
        }
        let cap = probe_cap();
        let shape = self.scope.estimates.map(|_| {
            let joins: Vec<&str> = self.joins.iter().map(|j| j.field.as_str()).collect();
            format!(
                "{}\u{1}{}\u{1}{}\u{1}{:?}\u{1}{}\u{1}{joins:?}\u{1}{ordered_by:?}\u{1}{cap}",
                self.scope.plugin,
                self.coll.name,
                self.scope.community_path,
                self.scope.ancestors,
                self.shape,
            )
        });
        if let (Some(estimates), Some(shape)) = (self.scope.estimates, &shape)
            && let Some(choice) = estimates.recent(shape)
        {
            self.large_scope = choice.large_scope;
            return Ok(choice.driver);
        }
        let driver = self.probe_drivers(db, ordered_by, cap).await?;
        if let (Some(estimates), Some(shape)) = (self.scope.estimates, shape) {
            let large_scope = self.large_scope;
            estimates.remember(
                shape,
                Choice {
                    driver,
                    large_scope,
                },
            );
        }
        Ok(driver)
    }

    /// Count (up to `cap`) what each usable condition and the scope yield; the smallest
    /// drives. Each probe counts only up to the smallest count so far.
    async fn probe_drivers<C: ConnectionTrait>(
        &mut self,
        db: &C,
        ordered_by: Option<usize>,
        cap: u64,
    ) -> Result<Option<usize>, DbErr> {
        // (rows, driver): the smallest so far; each probe only counts up to it.
        let mut best: (u64, Option<usize>) = (cap, None);
        for (join, condition) in &self.drivers {
            let join_ = &self.joins[*join];
            let mut probe = Sql::select();
            probe
                .expr(Expr::val(1))
                .from_as(DocumentIndex::Table, join_.alias.clone())
                .and_where(join_.identity())
                .and_where(condition.clone())
                .limit(best.0);
            let rows = count(db, probe).await?;
            if rows < best.0 {
                best = (rows, Some(*join));
            }
            if rows == 0 {
                return Ok(best.1);
            }
        }
        let mut probe = Sql::select();
        probe
            .expr(Expr::val(1))
            .from_as(Documents::Table, d())
            .limit(best.0);
        in_scope(&mut probe, self.scope, self.coll);
        for narrower in &self.subtree {
            probe.and_where(narrower.clone());
        }
        let documents = count(db, probe).await?;
        self.large_scope = documents >= cap;
        if documents < best.0 {
            best = (documents, None);
        }
        // Everything is large: walk the order's index (stopping at the page's end), or the
        // documents (by id, see `assemble`).
        Ok(if best.0 >= cap { ordered_by } else { best.1 })
    }

    /// Add the tables (driver first), their join conditions and the scope to `select`.
    /// `by_id`: the query is ordered by document id.
    fn assemble(&self, select: &mut SelectStatement, driver: Option<usize>, by_id: bool) {
        // SQLite keeps the order of CROSS JOINs; PostgreSQL plans INNER JOINs itself.
        let join_type = if self.backend == DbBackend::Sqlite {
            JoinType::CrossJoin
        } else {
            JoinType::InnerJoin
        };
        let on_document = |join: &Join| {
            Expr::col((join.alias.clone(), DocumentIndex::Doc))
                .equals((d(), Documents::Key))
                .and(join.identity())
        };
        match driver {
            Some(first) => {
                let join = &self.joins[first];
                select
                    .from_as(DocumentIndex::Table, join.alias.clone())
                    .and_where(join.identity())
                    .join_as(
                        join_type,
                        Documents::Table,
                        d(),
                        Expr::col((d(), Documents::Key))
                            .equals((join.alias.clone(), DocumentIndex::Doc)),
                    );
            }
            None => {
                select.from_as(Documents::Table, d());
            }
        }
        for (i, join) in self.joins.iter().enumerate() {
            if Some(i) != driver {
                select.join_as(
                    join_type,
                    DocumentIndex::Table,
                    join.alias.clone(),
                    on_document(join),
                );
            }
        }
        if self.backend == DbBackend::Sqlite
            && driver.is_none()
            && by_id
            && self.large_scope
            && self.scope.ancestors.is_empty()
        {
            // Many documents in scope, in id order: walk the id index and filter by path
            // (stopping at the page's end) rather than sort the whole scope. The unary `+`
            // keeps SQLite from using the path index instead (`?` is where sea-query puts the
            // column on SQLite).
            let path = || {
                Expr::expr(Expr::cust_with_expr(
                    "+?",
                    Expr::col((d(), Documents::CommunityPath)),
                ))
            };
            select
                .and_where(Expr::col((d(), Documents::Plugin)).eq(self.scope.plugin))
                .and_where(Expr::col((d(), Documents::Collection)).eq(&self.coll.name))
                .and_where(path().gte(self.scope.community_path));
            if let Some(end) = prefix_end(self.scope.community_path) {
                select.and_where(path().lt(end));
            }
        } else {
            in_scope(select, self.scope, self.coll);
        }
        for condition in self.subtree.iter().chain(&self.wheres) {
            select.and_where(condition.clone());
        }
    }
}

/// How many rows a probe yields (it is capped by its own limit).
async fn count<C: ConnectionTrait>(db: &C, probe: SelectStatement) -> Result<u64, DbErr> {
    let mut outer = Sql::select();
    outer
        .expr(Expr::col(Asterisk).count())
        .from_subquery(probe, Alias::new("probe"));
    match fetch_one(db, &outer).await? {
        Some(row) => Ok(u64::try_from(row.try_get_by_index::<i64>(0)?).unwrap_or_default()),
        None => Ok(0),
    }
}

/// The SQL value a condition value stands for (`None` for null), checked against the kind.
fn sql_value(
    field: &str,
    kind: IndexKind,
    value: &Value,
    error_field: &str,
) -> Result<Option<sea_orm::sea_query::Value>, StorageError> {
    match (kind, value) {
        (_, Value::Null) => Ok(None),
        (IndexKind::Integer, Value::Integer(n)) => Ok(Some((*n).into())),
        (IndexKind::Boolean, Value::Boolean(b)) => Ok(Some(i64::from(*b).into())),
        (IndexKind::Text, Value::Text(t)) => {
            check_text(t, error_field)?;
            Ok(Some(t.clone().into()))
        }
        _ => Err(invalid(
            error_field,
            format!(
                "`{field}` is {}: compare it with {0} or null",
                kind_name(kind)
            ),
        )),
    }
}

/// One condition on an index value column, and whether an index can be driven from it.
fn compare(
    join: &Join,
    condition: &Condition,
    i: usize,
) -> Result<(SimpleExpr, bool), StorageError> {
    let value_field = format!("conditions[{i}].value");
    let op_field = format!("conditions[{i}].op");
    let (field, kind) = (&join.field, join.kind);
    let col = || Expr::col(join.value());
    let ordered = matches!(
        condition.op,
        Compare::Lt | Compare::Le | Compare::Gt | Compare::Ge
    );
    if ordered && kind == IndexKind::Boolean {
        return Err(invalid(
            op_field,
            format!("`{field}` is a boolean: use eq or ne"),
        ));
    }
    if condition.op == Compare::Prefix && kind != IndexKind::Text {
        return Err(invalid(
            op_field,
            format!("`{field}` is not text: prefix needs text"),
        ));
    }
    let value = sql_value(field, kind, &condition.value, &value_field)?;
    let Some(value) = value else {
        return match condition.op {
            Compare::Eq => Ok((col().is_null(), true)),
            Compare::Ne => Ok((col().is_not_null(), false)),
            _ => Err(invalid(
                value_field,
                "null can only be compared with eq or ne",
            )),
        };
    };
    Ok(match condition.op {
        Compare::Eq => (col().eq(value), true),
        Compare::Ne => (col().ne(value).or(col().is_null()), false),
        Compare::Lt => (col().lt(value), true),
        Compare::Le => (col().lte(value), true),
        Compare::Gt => (col().gt(value), true),
        Compare::Ge => (col().gte(value), true),
        Compare::Prefix => match &condition.value {
            Value::Text(prefix) => (starts_with(join.value(), prefix), true),
            _ => return Err(invalid(value_field, "prefix needs text")),
        },
    })
}

/// The path of a community, if it exists.
async fn community_path<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<String>, DbErr> {
    let mut select = Sql::select();
    select
        .column(Communities::Path)
        .from(Communities::Table)
        .and_where(Expr::col(Communities::Id).eq(id));
    match fetch_one(db, &select).await? {
        Some(row) => Ok(Some(row.try_get_by_index(0)?)),
        None => Ok(None),
    }
}

/// How an order's key column reads back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// `int_value` (integers and booleans); may be null.
    Int,
    /// `text_value` or the community id.
    Text,
}

/// The resolved order of a query.
struct Ordering {
    /// The field's name as the query gave it (`None`: by id).
    field: Option<String>,
    descending: bool,
    /// The key column and how to read it (`None`: by id only).
    key: Option<(SimpleExpr, KeyKind)>,
    /// The join of the key's index rows, if it is an index field.
    join: Option<usize>,
}

/// What a cursor carries: the order it belongs to and where the last page ended.
fn encode_cursor(ordering: &Ordering, key: &serde_json::Value, id: &str) -> String {
    let json = json!({ "o": ordering.field, "d": ordering.descending, "k": key, "i": id });
    hex::encode(json.to_string())
}

/// The last key (`None` for null) and id of a cursor, checked against the query's order.
fn decode_cursor(
    ordering: &Ordering,
    cursor: &str,
) -> Result<(Option<sea_orm::sea_query::Value>, String), StorageError> {
    let bad = |why: &str| invalid("cursor", format!("not a cursor of this query: {why}"));
    let bytes = hex::decode(cursor).map_err(|_| bad("not hex"))?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad("garbled"))?;
    let field = json.get("o").and_then(|o| o.as_str());
    let descending = json.get("d").and_then(|d| d.as_bool());
    if field != ordering.field.as_deref() || descending != Some(ordering.descending) {
        return Err(bad("it belongs to a different order"));
    }
    let id = json
        .get("i")
        .and_then(|i| i.as_str())
        .ok_or_else(|| bad("no id"))?;
    check_id(id, "cursor")?;
    let key = match (json.get("k"), ordering.key.as_ref().map(|(_, kind)| *kind)) {
        (_, None) | (None | Some(serde_json::Value::Null), _) => None,
        (Some(k), Some(KeyKind::Int)) => Some(k.as_i64().ok_or_else(|| bad("bad key"))?.into()),
        (Some(k), Some(KeyKind::Text)) => {
            let text = k.as_str().ok_or_else(|| bad("bad key"))?;
            check_text(text, "cursor")?;
            Some(text.to_owned().into())
        }
    };
    Ok((key, id.to_owned()))
}

/// The condition "after the cursor" of a query without an order (by id), or from a cursor
/// whose key is null. Nulls sort first: before everything ascending, after everything
/// descending. (From a non-null key, see [`after_key`].)
fn after_null_key(ordering: &Ordering, id: String) -> SimpleExpr {
    let id_col = || Expr::col((d(), Documents::Id));
    let after_id = || {
        if ordering.descending {
            id_col().lt(id.clone())
        } else {
            id_col().gt(id.clone())
        }
    };
    let Some((column, _)) = &ordering.key else {
        return after_id();
    };
    let col = || Expr::expr(column.clone());
    if ordering.descending {
        col().is_null().and(after_id())
    } else {
        col().is_null().and(after_id()).or(col().is_not_null())
    }
}

/// One page of documents matching the query.
pub(super) async fn query<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    q: Query,
) -> Result<Page, StorageError> {
    let limit = match q.limit {
        0 => DEFAULT_LIMIT,
        n if n > MAX_LIMIT => {
            return Err(invalid(
                "limit",
                format!("at most {MAX_LIMIT} documents per page, not {n}"),
            ));
        }
        n => n,
    };
    let mut builder = Builder::new(db, scope, coll);
    builder.conditions(db, &q.conditions).await?;

    let ordering = match &q.order {
        None => Ordering {
            field: None,
            descending: false,
            key: None,
            join: None,
        },
        Some(order) => match resolve(coll, &order.field, "order.field")? {
            Field::Community => Ordering {
                field: Some(order.field.clone()),
                descending: order.descending,
                key: Some((
                    Expr::col((d(), Documents::CommunityId)).into(),
                    KeyKind::Text,
                )),
                join: None,
            },
            Field::Index(field, kind) => {
                let join = builder.join(field, kind);
                let key_kind = match kind {
                    IndexKind::Text => KeyKind::Text,
                    IndexKind::Integer | IndexKind::Boolean => KeyKind::Int,
                };
                Ordering {
                    field: Some(order.field.clone()),
                    descending: order.descending,
                    key: Some((Expr::col(builder.joins[join].value()).into(), key_kind)),
                    join: Some(join),
                }
            }
        },
    };
    let cursor = match &q.cursor {
        Some(cursor) => Some(decode_cursor(&ordering, cursor)?),
        None => None,
    };

    let direction = if ordering.descending {
        SqlOrder::Desc
    } else {
        SqlOrder::Asc
    };
    // From a cursor inside a run of equal keys, the rest of that run comes first, walked by
    // id alone: a run of thousands of equal values (accounts owing the same amount) would
    // otherwise be scanned again for every page.
    let mut ties = Vec::new();
    let mut tie_key = serde_json::Value::Null;
    if let (Some(order), Some((Some(key), after))) = (&q.order, &cursor) {
        let (value, json_key) = tie_value(coll, &order.field, key)?;
        tie_key = json_key;
        let mut conditions = q.conditions.clone();
        conditions.push(Condition {
            field: order.field.clone(),
            op: Compare::Eq,
            value,
        });
        let mut run = Builder::new(db, scope, coll);
        run.conditions(db, &conditions).await?;
        let driver = run.choose_driver(db, None).await?;
        let mut select = Sql::select();
        document_columns(&mut select);
        run.assemble(&mut select, driver, true);
        let id = Expr::col((d(), Documents::Id));
        select.and_where(if ordering.descending {
            id.lt(after.clone())
        } else {
            id.gt(after.clone())
        });
        select.order_by((d(), Documents::Id), direction.clone());
        select.limit(u64::from(limit) + 1);
        ties = fetch_all(db, &select).await?;
    }

    let wanted = (limit as usize + 1).saturating_sub(ties.len());
    let rows = if wanted == 0 {
        Vec::new()
    } else {
        let driver = builder.choose_driver(db, ordering.join).await?;
        let mut select = Sql::select();
        document_columns(&mut select);
        builder.assemble(&mut select, driver, ordering.field.is_none());
        if let Some((key, id)) = cursor {
            select.and_where(match key {
                Some(key) => after_key(&ordering, key),
                None => after_null_key(&ordering, id),
            });
        }
        if let Some((column, _)) = &ordering.key {
            let nulls = if ordering.descending {
                NullOrdering::Last
            } else {
                NullOrdering::First
            };
            select.expr(column.clone());
            select.order_by_expr_with_nulls(column.clone(), direction.clone(), nulls);
        }
        select.order_by((d(), Documents::Id), direction);
        select.limit(wanted as u64);
        fetch_all(db, &select).await?
    };

    let more = ties.len() + rows.len() > limit as usize;
    let mut documents = Vec::with_capacity((ties.len() + rows.len()).min(limit as usize));
    let mut last_key = serde_json::Value::Null;
    for row in ties.iter().take(limit as usize) {
        documents.push(read_document(row)?);
        last_key = tie_key.clone();
    }
    for row in rows.iter().take(limit as usize - documents.len()) {
        documents.push(read_document(row)?);
        if let Some((_, kind)) = &ordering.key {
            last_key = read_key(row, *kind)?;
        }
    }
    let next_cursor = match documents.last() {
        Some(last) if more => Some(encode_cursor(&ordering, &last_key, &last.id)),
        _ => None,
    };
    Ok(Page {
        documents,
        next_cursor,
    })
}

/// The condition "equal to the cursor's `key`" on the ordered field `name`, and the key as a
/// cursor holds it.
fn tie_value(
    coll: &CollectionSpec,
    name: &str,
    key: &sea_orm::sea_query::Value,
) -> Result<(Value, serde_json::Value), StorageError> {
    use sea_orm::sea_query::Value as Sql;
    let bad = || invalid("cursor", "not a cursor of this query: bad key");
    Ok(match (resolve(coll, name, "order.field")?, key) {
        (Field::Index(_, IndexKind::Integer), Sql::BigInt(Some(i))) => {
            (Value::Integer(*i), (*i).into())
        }
        (Field::Index(_, IndexKind::Boolean), Sql::BigInt(Some(i))) => {
            (Value::Boolean(*i != 0), (*i).into())
        }
        (Field::Index(_, IndexKind::Text) | Field::Community, Sql::String(Some(text))) => {
            (Value::Text(text.to_string()), text.to_string().into())
        }
        _ => return Err(bad()),
    })
}

/// The condition "past every document whose key is `key`" in the query's order (the rest of
/// the run of `key` itself is read apart: see [`query`]). Nulls sort last descending.
fn after_key(ordering: &Ordering, key: sea_orm::sea_query::Value) -> SimpleExpr {
    let column = &ordering
        .key
        .as_ref()
        .expect("a key only with an ordered field")
        .0;
    let col = || Expr::expr(column.clone());
    if ordering.descending {
        col().lt(key).or(col().is_null())
    } else {
        col().gt(key)
    }
}

/// The order key of a document row (the column after the document's six).
fn read_key(row: &QueryResult, kind: KeyKind) -> Result<serde_json::Value, DbErr> {
    Ok(match kind {
        KeyKind::Int => row
            .try_get_by_index::<Option<i64>>(6)?
            .map_or(serde_json::Value::Null, Into::into),
        KeyKind::Text => row
            .try_get_by_index::<Option<String>>(6)?
            .map_or(serde_json::Value::Null, Into::into),
    })
}

/// Count and sum per group.
pub(super) async fn aggregate<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    a: Aggregate,
) -> Result<Vec<Group>, StorageError> {
    let mut builder = Builder::new(db, scope, coll);
    builder.conditions(db, &a.conditions).await?;

    // The group key column and how to read it back.
    let group = match &a.group_by {
        None => None,
        Some(name) => Some(match resolve(coll, name, "group_by")? {
            Field::Community => (
                SimpleExpr::from(Expr::col((d(), Documents::CommunityId))),
                IndexKind::Text,
            ),
            Field::Index(field, kind) => {
                let join = builder.join(field, kind);
                (Expr::col(builder.joins[join].value()).into(), kind)
            }
        }),
    };
    let sum = match &a.sum_of {
        None => None,
        Some(name) => match resolve(coll, name, "sum_of")? {
            Field::Index(field, IndexKind::Integer) => {
                let join = builder.join(field, IndexKind::Integer);
                Some(SimpleExpr::from(Expr::col(builder.joins[join].value())))
            }
            _ => {
                return Err(invalid(
                    "sum_of",
                    format!("`{name}` is not an integer field: only integers can be summed"),
                ));
            }
        },
    };

    let driver = builder.choose_driver(db, None).await?;
    let mut select = Sql::select();
    if let Some((key, _)) = &group {
        select.expr(key.clone());
        select.add_group_by([key.clone()]);
        select.order_by_expr_with_nulls(key.clone(), SqlOrder::Asc, NullOrdering::First);
    }
    select.expr(Expr::col(Asterisk).count());
    if let Some(sum) = &sum {
        // As text: exact on both engines (PostgreSQL sums bigints as numeric).
        select.expr(Func::cast_as(Func::sum(sum.clone()), Alias::new("TEXT")));
    }
    builder.assemble(&mut select, driver, false);

    let rows = match fetch_all(db, &select).await {
        Ok(rows) => rows,
        // SQLite refuses to overflow a sum.
        Err(e) if e.to_string().contains("integer overflow") => return Err(sum_overflow()),
        Err(e) => return Err(e.into()),
    };
    let mut groups = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut column = 0;
        let key = match &group {
            None => Value::Null,
            Some((_, kind)) => {
                column = 1;
                match kind {
                    IndexKind::Text => row
                        .try_get_by_index::<Option<String>>(0)?
                        .map_or(Value::Null, Value::Text),
                    IndexKind::Integer => row
                        .try_get_by_index::<Option<i64>>(0)?
                        .map_or(Value::Null, Value::Integer),
                    IndexKind::Boolean => row
                        .try_get_by_index::<Option<i64>>(0)?
                        .map_or(Value::Null, |b| Value::Boolean(b != 0)),
                }
            }
        };
        let count: i64 = row.try_get_by_index(column)?;
        let sum = if sum.is_some() {
            match row.try_get_by_index::<Option<String>>(column + 1)? {
                None => 0,
                Some(text) => text.trim().parse::<i64>().map_err(|_| sum_overflow())?,
            }
        } else {
            0
        };
        groups.push(Group {
            key,
            count: u64::try_from(count).unwrap_or_default(),
            sum,
        });
    }
    Ok(groups)
}

fn sum_overflow() -> StorageError {
    invalid("sum_of", "the sum does not fit a 64-bit integer")
}
